#include "hyperion/collectors/sys_class_net.hpp"

#include <array>

#include "hyperion/collectors/text.hpp"

namespace hyperion::collectors {

std::optional<std::uint64_t> parse_sysfs_net_speed(std::string_view text) noexcept {
  // speed_show() prints the ethtool u32 with "%d": SPEED_UNKNOWN (0xFFFFFFFF) reads back
  // as -1. No real link runs at 0 Mb/s either, and a 0 would make a caller's
  // "bytes/s over speed" divide by zero, so it is "no speed" too.
  const auto v = text::to_i64(text::trim(text));
  if (!v || *v <= 0) return std::nullopt;
  return static_cast<std::uint64_t>(*v);
}

std::string_view parse_sysfs_net_operstate(std::string_view text) noexcept {
  // operstates[] in net/core/net-sysfs.c, indexed by IF_OPER_* (RFC 2863 ifOperStatus).
  // Returning our own literal instead of a view of `text` keeps the result valid after the
  // caller's buffer is gone.
  constexpr std::array<std::string_view, 7> kStates = {
      "unknown", "notpresent", "down", "lowerlayerdown", "testing", "dormant", "up"};
  const auto state = text::trim(text);
  for (const auto known : kStates) {
    if (state == known) return known;
  }
  return kStates[0];
}

std::optional<std::uint64_t> parse_sysfs_u64(std::string_view text) noexcept {
  return text::to_u64(text::trim(text));
}

}  // namespace hyperion::collectors
