#include "hyperion/collectors/sys_hwmon.hpp"

#include "hyperion/collectors/text.hpp"

namespace hyperion::collectors {
namespace {

// Absolute zero, and a ceiling no silicon survives: readings outside are a driver's way of
// saying "no probe" (an all-ones register read as a huge number, or an open thermistor
// circuit) rather than a temperature.
constexpr double kMinCelsius = -273.15;
constexpr double kMaxCelsius = 1000.0;

bool is_lower_alpha(char c) noexcept { return c >= 'a' && c <= 'z'; }
bool is_digit(char c) noexcept { return c >= '0' && c <= '9'; }

}  // namespace

// sysfs-interface: "tempN_input: temperature input value, unit millidegree Celsius".
// The thermal class uses the same unit for thermal_zoneN/temp. Reading a sensor that has
// no data fails with an errno (ENODATA, EIO, EAGAIN), so the caller hands over empty text.
std::optional<double> parse_millidegrees(std::string_view text) noexcept {
  const auto milli = text::to_i64(text::trim(text));
  if (!milli) return std::nullopt;
  const double celsius = static_cast<double>(*milli) / 1000.0;
  if (celsius < kMinCelsius || celsius > kMaxCelsius) return std::nullopt;
  return celsius;
}

// "fanN_input: fan speed in RPM". 0 is a real answer (a stopped fan, or none on the
// header); negative or non-numeric text is not.
std::optional<std::uint64_t> parse_fan_rpm(std::string_view text) noexcept {
  return text::to_u64(text::trim(text));
}

std::string_view parse_sysfs_label(std::string_view text) noexcept { return text::trim(text); }

// Attribute names are "<kind><index>_<item>" (temp1_input, fan2_min, in0_label,
// temp1_crit_alarm, power1_average_interval). pwmN has no item ("pwm1" is the value
// itself, "pwm1_enable" a setting), so an item-less name gives an empty item. Files that
// are not channels ("name", "uevent", "update_interval", "device", "power") give nullopt.
std::optional<HwmonAttribute> parse_hwmon_attribute_name(std::string_view file_name) noexcept {
  std::size_t i = 0;
  while (i < file_name.size() && is_lower_alpha(file_name[i])) ++i;
  if (i == 0) return std::nullopt;
  std::size_t j = i;
  while (j < file_name.size() && is_digit(file_name[j])) ++j;
  if (j == i) return std::nullopt;
  const auto index = text::to_u32(file_name.substr(i, j - i));
  if (!index) return std::nullopt;
  HwmonAttribute a;
  a.kind = file_name.substr(0, i);
  a.index = *index;
  if (j < file_name.size()) {
    if (file_name[j] != '_' || j + 1 == file_name.size()) return std::nullopt;
    a.item = file_name.substr(j + 1);
  }
  return a;
}

}  // namespace hyperion::collectors
