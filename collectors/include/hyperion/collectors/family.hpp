#pragma once

// The data families of a snapshot. Each is collected on its own interval and published as its
// own shared part of the Snapshot. This table says what the collectors know of a family (its
// name and default interval: the daemon makes the intervals.* settings from it); the web
// module's table (web/src/families.cpp) says how each is served (REST, live, OpenAPI).

#include <bitset>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <span>
#include <string_view>

namespace hyperion::collectors {

enum class Family : std::uint8_t {
  host, system, cpu, memory, processes, network, sockets, disks, filesystems, sensors, containers,
};
inline constexpr std::size_t kFamilyCount = 11;

struct FamilyInfo {
  Family family;
  std::string_view name;              // in settings, metrics and logs: "cpu"
  std::uint32_t default_interval_ms;  // how often it is collected unless configured
  std::string_view interval_help;     // "how often CPU usage is collected"
};
// One row per family, in the order of the enum.
std::span<const FamilyInfo> family_table() noexcept;
const FamilyInfo& family_info(Family f) noexcept;

// "host", "cpu", ... (the name in API paths, live topics, settings and metrics).
const char* to_string(Family f) noexcept;
std::optional<Family> family_from_string(std::string_view name) noexcept;

using FamilySet = std::bitset<kFamilyCount>;
FamilySet all_families() noexcept;
FamilySet families_of(std::initializer_list<Family> list) noexcept;

}  // namespace hyperion::collectors
