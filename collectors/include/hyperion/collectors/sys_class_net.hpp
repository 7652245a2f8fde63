#pragma once

// Single-value attribute files under /sys/class/net/IFACE/.
// https://docs.kernel.org/admin-guide/abi-testing.html (sysfs-class-net)

#include <cstdint>
#include <optional>
#include <string_view>

namespace hyperion::collectors {

// "speed": link speed in Mb/s; the kernel returns -1 (or EINVAL on read) when the link
// is down or has no speed (virtual devices): both give nullopt, as do 0 and garbage.
std::optional<std::uint64_t> parse_sysfs_net_speed(std::string_view text) noexcept;

// "operstate": RFC 2863 state ("up", "down", "unknown", "dormant", "lowerlayerdown",
// "notpresent", "testing"). Returns the trimmed text, or "unknown" when it is not one of them;
// the view points at a string literal, never into `text`.
std::string_view parse_sysfs_net_operstate(std::string_view text) noexcept;

// Any file holding one unsigned decimal number ("mtu", "ifindex", "type", "carrier").
std::optional<std::uint64_t> parse_sysfs_u64(std::string_view text) noexcept;

}  // namespace hyperion::collectors
