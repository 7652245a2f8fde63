#include "hyperion/collectors/proc_net_sockets.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <algorithm>
#include <fmt/format.h>
#include <optional>

#include "hyperion/collectors/text.hpp"

namespace hyperion::collectors {
namespace {

using text::next_line;
using text::next_token;

int hex_digit(char c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

// Exactly two hex digits -> one byte.
bool hex_byte(const char* p, std::uint8_t& out) noexcept {
  const int hi = hex_digit(p[0]);
  const int lo = hex_digit(p[1]);
  if (hi < 0 || lo < 0) return false;
  out = static_cast<std::uint8_t>(hi * 16 + lo);
  return true;
}

// "0100007F:0277" (tcp/udp: %08X:%04X) or "<32 hex>:0277" (tcp6/udp6: %08X%08X%08X%08X:%04X).
// Each 8-digit group is a __be32 word printed as a native u32: on a little-endian host its
// bytes come out reversed, so "0100007F" is 7F 00 00 01 = 127.0.0.1. The port is printed in
// host order (ntohs was already applied). See tcp4_seq_show()/tcp6_seq_show().
bool read_address(std::string_view token, bool ipv6, SocketAddress& out) noexcept {
  const std::size_t hex_len = ipv6 ? 32 : 8;
  if (token.size() != hex_len + 5 || token[hex_len] != ':') return false;
  out.ipv6 = ipv6;
  for (std::size_t word = 0; word < hex_len / 8; ++word) {
    const char* w = token.data() + word * 8;
    for (std::size_t b = 0; b < 4; ++b) {
      // Byte b of the word in memory is printed at hex position (3 - b) * 2.
      if (!hex_byte(w + (3 - b) * 2, out.bytes[word * 4 + b])) return false;
    }
  }
  std::uint8_t hi = 0, lo = 0;
  if (!hex_byte(token.data() + hex_len + 1, hi) || !hex_byte(token.data() + hex_len + 3, lo)) {
    return false;
  }
  out.port = static_cast<std::uint16_t>(hi << 8 | lo);
  return true;
}

// "0A" -> listen. States the enum does not name decode as unknown: 13 is
// TCP_BOUND_INACTIVE (6.8+), a pseudo-state for inet_diag that these files never list.
bool read_state(std::string_view token, TcpState& out) noexcept {
  std::uint8_t v = 0;
  if (token.size() != 2 || !hex_byte(token.data(), v)) return false;
  out = v <= static_cast<std::uint8_t>(TcpState::new_syn_recv) ? static_cast<TcpState>(v)
                                                                : TcpState::unknown;
  return true;
}

// "%08X:%08X" tx_queue:rx_queue.
bool read_queues(std::string_view token, Socket& s) noexcept {
  std::string_view tx, rx;
  if (!text::split_once(token, ':', tx, rx)) return false;
  const auto t = text::hex_to_u64(tx);
  const auto r = text::hex_to_u64(rx);
  if (!t || !r) return false;
  s.tx_queue = *t;
  s.rx_queue = *r;
  return true;
}

// "   0: ..." (tcp, %4d) or "12464: ..." (udp, %5d): the slot number and its colon.
bool is_slot(std::string_view token) noexcept {
  return token.size() >= 2 && token.back() == ':' &&
         text::to_u64(token.substr(0, token.size() - 1)).has_value();
}

// Columns: sl local rem st tx:rx tr:when retrnsmt uid timeout inode [per-protocol extras].
// The extras differ between TCP, UDP and a TCP socket's state (TIME_WAIT lines stop after
// refcount and pointer), so anything after the inode is ignored.
std::optional<Errc> read_socket(std::string_view line, bool ipv6, Socket& s) noexcept {
  std::string_view token;
  if (!next_token(line, token) || !is_slot(token)) return Errc::malformed;
  if (!next_token(line, token)) return Errc::truncated;
  if (!read_address(token, ipv6, s.local)) return Errc::malformed;
  if (!next_token(line, token)) return Errc::truncated;
  if (!read_address(token, ipv6, s.remote)) return Errc::malformed;
  if (!next_token(line, token)) return Errc::truncated;
  if (!read_state(token, s.state)) return Errc::malformed;
  if (!next_token(line, token)) return Errc::truncated;
  if (!read_queues(token, s)) return Errc::malformed;
  if (!next_token(line, token)) return Errc::truncated;  // tr:tm->when
  if (!next_token(line, token)) return Errc::truncated;  // retrnsmt
  if (!next_token(line, token)) return Errc::truncated;
  const auto uid = text::to_u32(token);
  if (!uid) return Errc::malformed;
  s.uid = *uid;
  if (!next_token(line, token)) return Errc::truncated;  // timeout
  if (!next_token(line, token)) return Errc::truncated;
  const auto inode = text::to_u64(token);
  if (!inode) return Errc::malformed;
  s.inode = *inode;
  return std::nullopt;
}

}  // namespace

const char* to_string(SocketProtocol p) noexcept {
  switch (p) {
    case SocketProtocol::tcp: return "tcp";
    case SocketProtocol::tcp6: return "tcp6";
    case SocketProtocol::udp: return "udp";
    case SocketProtocol::udp6: return "udp6";
  }
  return "unknown";
}

const char* to_string(TcpState s) noexcept {
  // The kernel's names (include/net/tcp_states.h without the TCP_ prefix).
  switch (s) {
    case TcpState::unknown: break;
    case TcpState::established: return "ESTABLISHED";
    case TcpState::syn_sent: return "SYN_SENT";
    case TcpState::syn_recv: return "SYN_RECV";
    case TcpState::fin_wait1: return "FIN_WAIT1";
    case TcpState::fin_wait2: return "FIN_WAIT2";
    case TcpState::time_wait: return "TIME_WAIT";
    case TcpState::close: return "CLOSE";
    case TcpState::close_wait: return "CLOSE_WAIT";
    case TcpState::last_ack: return "LAST_ACK";
    case TcpState::listen: return "LISTEN";
    case TcpState::closing: return "CLOSING";
    case TcpState::new_syn_recv: return "NEW_SYN_RECV";
  }
  return "UNKNOWN";
}

std::string format_address(const SocketAddress& a) {
  char buf[INET6_ADDRSTRLEN] = {};
  if (inet_ntop(a.ipv6 ? AF_INET6 : AF_INET, a.bytes.data(), buf, sizeof buf) == nullptr) {
    return {};  // cannot happen with these buffer sizes
  }
  return buf;
}

Result<std::vector<Socket>> parse_proc_net_sockets(std::string_view text, SocketProtocol protocol) {
  if (text::trim(text).empty()) {
    return Error{Errc::empty, fmt::format("/proc/net/{} is empty", to_string(protocol))};
  }
  const bool ipv6 = protocol == SocketProtocol::tcp6 || protocol == SocketProtocol::udp6;
  std::string_view rest = text, line;
  next_line(rest, line);
  if (!text::trim(line).starts_with("sl ")) {
    return Error{Errc::malformed, fmt::format("line 1: not the /proc/net/{} header", to_string(protocol))};
  }

  std::vector<Socket> out;
  // One line per socket: reserve once instead of regrowing on busy hosts.
  out.reserve(static_cast<std::size_t>(std::count(rest.begin(), rest.end(), '\n')) + 1);
  std::size_t line_no = 1;
  while (next_line(rest, line)) {
    ++line_no;
    if (text::trim(line).empty()) continue;
    Socket s;
    s.protocol = protocol;
    if (const auto bad = read_socket(line, ipv6, s)) {
      return Error{*bad, fmt::format("line {}: bad /proc/net/{} socket line", line_no, to_string(protocol))};
    }
    out.push_back(s);
  }
  return out;
}

std::uint64_t parse_socket_link(std::string_view link_target) noexcept {
  // readlink(/proc/PID/fd/N) gives "socket:[INODE]" for sockets (fs/proc/fd.c via d_path of
  // sockfs' dname); pipes, anon_inode:... and paths are not sockets.
  constexpr std::string_view kPrefix = "socket:[";
  if (!link_target.starts_with(kPrefix) || !link_target.ends_with(']')) return 0;
  link_target.remove_prefix(kPrefix.size());
  link_target.remove_suffix(1);
  if (link_target.empty() || link_target.front() == '+') return 0;
  return text::to_u64(link_target).value_or(0);
}

}  // namespace hyperion::collectors
