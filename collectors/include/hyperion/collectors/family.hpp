#pragma once

// The data families of a snapshot. Each is collected on its own interval and published as its
// own shared part of the Snapshot; the web module's family table (web/src/families.cpp) says
// how each is served.

#include <bitset>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string_view>

namespace hyperion::collectors {

enum class Family : std::uint8_t {
  host, system, cpu, memory, processes, network, sockets, disks, filesystems, sensors,
};
inline constexpr std::size_t kFamilyCount = 10;

// "host", "cpu", ... (the name in API paths, live topics, settings and metrics).
const char* to_string(Family f) noexcept;
std::optional<Family> family_from_string(std::string_view name) noexcept;

using FamilySet = std::bitset<kFamilyCount>;
FamilySet all_families() noexcept;
FamilySet families_of(std::initializer_list<Family> list) noexcept;

}  // namespace hyperion::collectors
