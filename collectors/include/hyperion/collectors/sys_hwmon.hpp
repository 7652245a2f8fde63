#pragma once

// Sensor values from /sys/class/hwmon/hwmonN/ and /sys/class/thermal/thermal_zoneN/.
// https://docs.kernel.org/hwmon/sysfs-interface.html
// tempN_input / thermal temp: millidegrees Celsius; fanN_input: RPM; *_label: text.

#include <cstdint>
#include <optional>
#include <string_view>

namespace hyperion::collectors {

// "45000\n" -> 45.0. Garbage, empty or out-of-range (outside -273.15..1000 C) -> nullopt;
// some drivers report -ENODATA or absurd values for absent probes.
std::optional<double> parse_millidegrees(std::string_view text) noexcept;

// "1200\n" -> 1200 RPM; garbage -> nullopt.
std::optional<std::uint64_t> parse_fan_rpm(std::string_view text) noexcept;

// The trimmed label text; empty when the text is blank.
std::string_view parse_sysfs_label(std::string_view text) noexcept;

// Splits a hwmon attribute file name: "temp3_input" -> kind "temp", index 3, item "input".
struct HwmonAttribute {
  std::string_view kind;   // "temp", "fan", "in", "power", ...
  std::uint32_t index = 0;
  std::string_view item;   // "input", "label", "max", "crit", ...
};
std::optional<HwmonAttribute> parse_hwmon_attribute_name(std::string_view file_name) noexcept;

}  // namespace hyperion::collectors
