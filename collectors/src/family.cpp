#include "hyperion/collectors/family.hpp"

namespace hyperion::collectors {

FamilySet all_families() noexcept { return FamilySet{}.set(); }

FamilySet families_of(std::initializer_list<Family> list) noexcept {
  FamilySet out;
  for (const auto f : list) out.set(static_cast<std::size_t>(f));
  return out;
}

const char* to_string(Family f) noexcept {
  switch (f) {
    case Family::host: return "host";
    case Family::system: return "system";
    case Family::cpu: return "cpu";
    case Family::memory: return "memory";
    case Family::processes: return "processes";
    case Family::network: return "network";
    case Family::sockets: return "sockets";
    case Family::disks: return "disks";
    case Family::filesystems: return "filesystems";
    case Family::sensors: return "sensors";
  }
  return "unknown";
}

std::optional<Family> family_from_string(std::string_view name) noexcept {
  for (std::size_t i = 0; i < kFamilyCount; ++i) {
    const auto f = static_cast<Family>(i);
    if (name == to_string(f)) return f;
  }
  return std::nullopt;
}

}  // namespace hyperion::collectors
