#pragma once

// /proc/net/{tcp,tcp6,udp,udp6}: one socket per line.
//   sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
//    0: 0100007F:0277 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 21283 ...
// Addresses are printed as the in-memory 32-bit words of the address (%08X of a
// __be32 read as a native u32), so on little-endian hosts each word's bytes are
// reversed; ports are printed in host order. This parser assumes the text came from a
// little-endian kernel (x86-64, arm64 and riscv64 all are).

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "hyperion/collectors/result.hpp"

namespace hyperion::collectors {

enum class SocketProtocol : std::uint8_t { tcp, tcp6, udp, udp6 };
const char* to_string(SocketProtocol p) noexcept;

// include/net/tcp_states.h; UDP sockets use 07 (CLOSE) when unconnected and 01 when connected.
enum class TcpState : std::uint8_t {
  unknown = 0,
  established = 1,
  syn_sent,
  syn_recv,
  fin_wait1,
  fin_wait2,
  time_wait,
  close,
  close_wait,
  last_ack,
  listen,
  closing,
  new_syn_recv,
};
inline constexpr std::size_t kTcpStateCount = 14;  // indices 0..13
// The kernel's names without "TCP_" ("ESTABLISHED", "LISTEN", ...; not ss's "ESTAB");
// "UNKNOWN" for 0 and out of range.
const char* to_string(TcpState s) noexcept;

struct SocketAddress {
  std::array<std::uint8_t, 16> bytes{};  // network order; IPv4 uses the first 4
  bool ipv6 = false;
  std::uint16_t port = 0;
};
// "127.0.0.1", "::1", "::ffff:10.0.0.1" (RFC 5952 text, as inet_ntop gives).
std::string format_address(const SocketAddress& a);

struct Socket {
  SocketProtocol protocol = SocketProtocol::tcp;
  TcpState state = TcpState::unknown;
  SocketAddress local;
  SocketAddress remote;
  std::uint64_t tx_queue = 0;
  std::uint64_t rx_queue = 0;
  std::uint32_t uid = 0;
  std::uint64_t inode = 0;  // 0 for TIME_WAIT and other orphaned sockets
};

// Skips the header line (which must start with "sl"); a malformed socket line makes the
// parse fail with its line number. Columns after the inode differ by protocol and state and
// are ignored. A state code the enum does not name (13 = TCP_BOUND_INACTIVE, an inet_diag
// pseudo-state, or higher) becomes TcpState::unknown, so `state` always indexes an array
// of kTcpStateCount.
// `protocol` says which file the text came from (it decides address width and family).
Result<std::vector<Socket>> parse_proc_net_sockets(std::string_view text, SocketProtocol protocol);

// Parses a "socket:[12345]" symlink target (from /proc/PID/fd/N); 0 when it is not one.
std::uint64_t parse_socket_link(std::string_view link_target) noexcept;

}  // namespace hyperion::collectors
