#include "hyperion/collectors/family.hpp"

#include <iterator>

namespace hyperion::collectors {

FamilySet all_families() noexcept { return FamilySet{}.set(); }

FamilySet families_of(std::initializer_list<Family> list) noexcept {
  FamilySet out;
  for (const auto f : list) out.set(static_cast<std::size_t>(f));
  return out;
}

namespace {

constexpr FamilyInfo kFamilies[] = {
    {Family::host, "host", 60'000, "how often host information (OS, kernel, CPU model) is read again"},
    {Family::system, "system", 1'000, "how often load, uptime and pressure are collected"},
    {Family::cpu, "cpu", 1'000, "how often CPU usage is collected"},
    {Family::memory, "memory", 1'000, "how often memory and swap are collected"},
    {Family::processes, "processes", 2'000, "how often the process list is collected"},
    {Family::network, "network", 1'000, "how often network interfaces are collected"},
    {Family::sockets, "sockets", 2'000, "how often TCP and UDP sockets are collected"},
    {Family::disks, "disks", 1'000, "how often disk I/O is collected"},
    {Family::filesystems, "filesystems", 5'000, "how often filesystem usage is collected"},
    {Family::sensors, "sensors", 5'000, "how often temperatures and fans are collected"},
    {Family::containers, "containers", 5'000, "how often services and containers (control groups) are collected"},
};
static_assert(std::size(kFamilies) == kFamilyCount, "one row per family");

constexpr bool in_enum_order() {
  for (std::size_t i = 0; i < kFamilyCount; ++i) {
    if (static_cast<std::size_t>(kFamilies[i].family) != i) return false;
  }
  return true;
}
static_assert(in_enum_order(), "rows in the order of the enum");

}  // namespace

std::span<const FamilyInfo> family_table() noexcept { return kFamilies; }
const FamilyInfo& family_info(Family f) noexcept { return kFamilies[static_cast<std::size_t>(f)]; }

const char* to_string(Family f) noexcept {
  const auto i = static_cast<std::size_t>(f);
  return i < kFamilyCount ? kFamilies[i].name.data() : "unknown";
}

std::optional<Family> family_from_string(std::string_view name) noexcept {
  for (std::size_t i = 0; i < kFamilyCount; ++i) {
    const auto f = static_cast<Family>(i);
    if (name == to_string(f)) return f;
  }
  return std::nullopt;
}

}  // namespace hyperion::collectors
