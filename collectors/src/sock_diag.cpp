#include "hyperion/collectors/sock_diag.hpp"

#include <arpa/inet.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>
#include <exception>
#include <fmt/format.h>
#include <system_error>

namespace hyperion::collectors {
namespace {

// The kernel sends a dump datagram of at most max(NLMSG_GOODSIZE, the largest buffer we
// have offered to recvmsg, capped at SKB_WITH_OVERHEAD(32 KiB)): see netlink_dump() and
// netlink_recvmsg() in net/netlink/af_netlink.c. 64 KiB leaves room; MSG_TRUNC is still
// checked.
constexpr std::size_t kReceiveBufferBytes = 64 * 1024;

// A dump does not stall in the kernel, but the sampling thread must never hang on a reply
// that does not come.
constexpr int kReceiveTimeoutSeconds = 2;

// NLMSG_ALIGN/NLMSG_HDRLEN without the macros' C casts.
constexpr std::size_t align(std::size_t n) noexcept {
  return (n + NLMSG_ALIGNTO - 1) & ~std::size_t{NLMSG_ALIGNTO - 1};
}
constexpr std::size_t kHeaderBytes = align(sizeof(nlmsghdr));
static_assert(kHeaderBytes == sizeof(nlmsghdr));

// Every state /proc/net/tcp can show, TCP_ESTABLISHED (1) to TCP_NEW_SYN_RECV (12); the
// kernel adds request sockets when SYN_RECV is asked for. Not bit 13, TCP_BOUND_INACTIVE
// (6.8+): bound but unconnected sockets, which no /proc file lists. UDP sockets are 1 or 7.
constexpr std::uint32_t kAllStates = ((1U << 13) - 1) & ~1U;

// Copies instead of casting: a datagram offset need not be aligned for the struct.
template <class T>
T load(const std::byte* p) noexcept {
  T value{};
  std::memcpy(&value, p, sizeof value);
  return value;
}

// "EPERM (Operation not permitted)".
std::string errno_text(int e) {
  const char* name = ::strerrorname_np(e);  // glibc 2.32+
  const std::string message = std::generic_category().message(e);
  return name != nullptr ? fmt::format("{} ({})", name, message) : fmt::format("errno {} ({})", e, message);
}

SocketProtocol protocol_of(bool ipv6, SockDiagTransport transport) noexcept {
  if (transport == SockDiagTransport::tcp) return ipv6 ? SocketProtocol::tcp6 : SocketProtocol::tcp;
  return ipv6 ? SocketProtocol::udp6 : SocketProtocol::udp;
}

// inet_diag_msg_common_fill(): an AF_INET socket's address is idiag_src[0], the rest zero;
// an AF_INET6 socket's is all 16 bytes (also when v4-mapped), as /proc/net/tcp6 prints it.
SocketAddress address_of(const __be32 (&words)[4], __be16 port, bool ipv6) noexcept {
  SocketAddress a;
  a.ipv6 = ipv6;
  std::memcpy(a.bytes.data(), words, ipv6 ? 16 : 4);
  a.port = ntohs(port);
  return a;
}

Socket to_socket(const inet_diag_msg& m, SockDiagTransport transport) noexcept {
  const bool ipv6 = m.idiag_family == AF_INET6;
  Socket s;
  s.protocol = protocol_of(ipv6, transport);
  // TIME_WAIT sockets report their tw_substate (TIME_WAIT, or FIN_WAIT2 for an orphan that
  // became a timewait socket), request sockets SYN_RECV: as /proc prints them.
  s.state = m.idiag_state <= static_cast<std::uint8_t>(TcpState::new_syn_recv)
                ? static_cast<TcpState>(m.idiag_state)
                : TcpState::unknown;
  s.local = address_of(m.id.idiag_src, m.id.idiag_sport, ipv6);
  s.remote = address_of(m.id.idiag_dst, m.id.idiag_dport, ipv6);
  s.rx_queue = m.idiag_rqueue;
  // tcp_diag_get_info() gives a listener rqueue = sk_ack_backlog (as /proc's rx_queue) but
  // wqueue = sk_max_ack_backlog, while get_tcp4_sock()/get_tcp6_sock() print
  // write_seq - snd_una there, 0 for a listener in practice (still so in 6.18: a 2024 patch
  // to print the backlog in /proc was not merged). inet_diag has no field for write_seq -
  // snd_una of a listener, so 0 it is.
  s.tx_queue = s.state == TcpState::listen ? 0 : m.idiag_wqueue;
  s.uid = m.idiag_uid;
  s.inode = m.idiag_inode;  // a __u32: sockfs inode numbers come from get_next_ino()
  return s;
}

bool is_wildcard(const SocketAddress& a) noexcept {
  return std::all_of(a.bytes.begin(), a.bytes.end(), [](std::uint8_t b) { return b == 0; });
}

bool is_v4_mapped_of(const SocketAddress& v6, const SocketAddress& v4) noexcept {
  constexpr std::uint8_t kPrefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF};
  return std::equal(std::begin(kPrefix), std::end(kPrefix), v6.bytes.begin()) &&
         std::equal(v4.bytes.begin(), v4.bytes.begin() + 4, v6.bytes.begin() + 12);
}

// How well a listener on the request's port fits it: 0 not at all.
int listener_fit(const Socket& listener, const Socket& request) noexcept {
  if (listener.local.ipv6 == request.local.ipv6) {
    if (listener.local.bytes == request.local.bytes) return 4;
    return is_wildcard(listener.local) ? 3 : 0;
  }
  // An IPv4 SYN to a dual-stack listener makes an AF_INET request socket.
  if (!request.local.ipv6) {
    if (is_v4_mapped_of(listener.local, request.local)) return 2;
    return is_wildcard(listener.local) ? 1 : 0;
  }
  return 0;
}

// /proc/net/tcp prints a request socket (TCP_NEW_SYN_RECV in the hash, shown as SYN_RECV) with
// its listener's uid: get_openreq4() uses sock_i_uid(req->rsk_listener). inet_req_diag_fill()
// sends uid 0 and has no field for the listener, so find it among the listeners on the same
// port: the same address first, then the wildcard, then, for an IPv4 request, a dual-stack
// IPv6 listener. Only SO_REUSEPORT listeners of different users on one address and port can
// make this pick the wrong one; a request whose listener has just been closed keeps uid 0.
void fill_request_socket_uids(std::span<Socket> sockets) {
  std::vector<const Socket*> listeners;
  for (const auto& s : sockets) {
    const bool tcp = s.protocol == SocketProtocol::tcp || s.protocol == SocketProtocol::tcp6;
    if (tcp && s.state == TcpState::listen) listeners.push_back(&s);
  }
  if (listeners.empty()) return;
  const auto by_port = [](const Socket* a, const Socket* b) { return a->local.port < b->local.port; };
  std::sort(listeners.begin(), listeners.end(), by_port);
  for (auto& s : sockets) {
    const bool tcp = s.protocol == SocketProtocol::tcp || s.protocol == SocketProtocol::tcp6;
    if (!tcp || s.state != TcpState::syn_recv || s.inode != 0 || s.uid != 0) continue;
    Socket key;
    key.local.port = s.local.port;
    const auto [first, last] = std::equal_range(listeners.begin(), listeners.end(), &key, by_port);
    const Socket* best = nullptr;
    int best_fit = 0;
    for (auto it = first; it != last; ++it) {
      const int fit = listener_fit(**it, s);
      if (fit > best_fit) {
        best_fit = fit;
        best = *it;
      }
    }
    if (best != nullptr) s.uid = best->uid;
  }
}

}  // namespace

Result<SockDiagProgress> parse_sock_diag_messages(std::span<const std::byte> datagram, std::uint32_t seq,
                                                  SockDiagTransport transport, std::vector<Socket>& out) {
  const std::size_t start = out.size();
  const auto fail = [&](Errc code, std::string detail) -> Result<SockDiagProgress> {
    out.resize(start);
    return Error{code, std::move(detail)};
  };
  if (datagram.empty()) return fail(Errc::empty, "empty netlink datagram");

  std::size_t offset = 0;
  for (std::size_t index = 0; offset < datagram.size(); ++index) {
    const std::size_t left = datagram.size() - offset;
    if (left < kHeaderBytes) {
      return fail(Errc::truncated,
                  fmt::format("message {}: {} bytes, less than a netlink header", index, left));
    }
    const auto header = load<nlmsghdr>(datagram.data() + offset);
    if (header.nlmsg_len < kHeaderBytes) {
      return fail(Errc::malformed,
                  fmt::format("message {}: length {} is less than its header", index, header.nlmsg_len));
    }
    if (header.nlmsg_len > left) {
      return fail(Errc::truncated, fmt::format("message {}: length {} but {} bytes left in the datagram",
                                               index, header.nlmsg_len, left));
    }
    if (header.nlmsg_seq != seq) {
      return fail(Errc::malformed,
                  fmt::format("message {}: sequence number {}, expected {}", index, header.nlmsg_seq, seq));
    }
    const auto payload = datagram.subspan(offset + kHeaderBytes, header.nlmsg_len - kHeaderBytes);

    switch (header.nlmsg_type) {
      case NLMSG_NOOP: break;
      case NLMSG_DONE: {
        // The payload is the dump's return value: negative when it failed part-way
        // (netlink_dump_done()), and then what came before is not the whole table.
        if (payload.size() >= sizeof(int)) {
          const int status = load<int>(payload.data());
          if (status < 0 && status != INT_MIN) {
            return fail(Errc::io, fmt::format("the dump failed: {}", errno_text(-status)));
          }
          if (status < 0) return fail(Errc::io, fmt::format("the dump failed with status {}", status));
        }
        // Anything after NLMSG_DONE in the same datagram is not part of the dump.
        return SockDiagProgress::done;
      }
      case NLMSG_ERROR: {
        // struct nlmsgerr: the negative errno, then (a copy of) the request's header.
        if (payload.size() < sizeof(int)) {
          return fail(Errc::truncated, fmt::format("message {}: NLMSG_ERROR without its error code", index));
        }
        const int code = load<int>(payload.data());
        if (code < 0 && code != INT_MIN)
          return fail(Errc::io, fmt::format("netlink error {}", errno_text(-code)));
        // 0 is an acknowledgement, which we never ask for (no NLM_F_ACK).
        return fail(Errc::malformed, fmt::format("message {}: NLMSG_ERROR with code {}", index, code));
      }
      case NLMSG_OVERRUN: return fail(Errc::io, "netlink overrun: messages were lost");
      case SOCK_DIAG_BY_FAMILY:
      case TCPDIAG_GETSOCK: {  // the same inet_diag_msg, in answer to the legacy request
        // Attributes may follow (INET_DIAG_SHUTDOWN is always sent); they are skipped.
        if (payload.size() < sizeof(inet_diag_msg)) {
          return fail(Errc::truncated, fmt::format("message {}: {} bytes of inet_diag_msg, expected {}",
                                                   index, payload.size(), sizeof(inet_diag_msg)));
        }
        const auto m = load<inet_diag_msg>(payload.data());
        if (m.idiag_family != AF_INET && m.idiag_family != AF_INET6) {
          return fail(Errc::malformed,
                      fmt::format("message {}: unknown address family {}", index, m.idiag_family));
        }
        out.push_back(to_socket(m, transport));
        break;
      }
      default:
        return fail(Errc::malformed, fmt::format("message {}: unexpected type {}", index, header.nlmsg_type));
    }
    offset += align(header.nlmsg_len);  // past the end for an unpadded last message: the loop ends
  }
  return SockDiagProgress::more;
}

SockDiag::SockDiag() = default;

SockDiag::SockDiag(TcpRequest tcp_request) : tcp_request_(tcp_request) {}

SockDiag::~SockDiag() { close(); }

void SockDiag::close() noexcept {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

bool SockDiag::open(std::string& error) {
  if (!buffer_) buffer_ = std::make_unique_for_overwrite<std::byte[]>(kReceiveBufferBytes);
  const int fd = ::socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
  if (fd < 0) {
    error = fmt::format("socket(AF_NETLINK, NETLINK_SOCK_DIAG): {}", errno_text(errno));
    return false;
  }
  timeval timeout{};
  timeout.tv_sec = kReceiveTimeoutSeconds;
  if (::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout) != 0) {
    error = fmt::format("setsockopt(SO_RCVTIMEO) on the sock_diag socket: {}", errno_text(errno));
    ::close(fd);
    return false;
  }
  fd_ = fd;
  return true;
}

SockDiag::Dump SockDiag::dump_v2(int family, SockDiagTransport transport, std::vector<Socket>& out,
                                 std::string& error) {
  struct Request {
    nlmsghdr header;
    inet_diag_req_v2 body;
  };
  Request request{};
  request.header.nlmsg_len = sizeof request;
  request.header.nlmsg_type = SOCK_DIAG_BY_FAMILY;
  request.header.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
  request.header.nlmsg_seq = ++seq_;
  request.body.sdiag_family = static_cast<std::uint8_t>(family);
  request.body.sdiag_protocol = transport == SockDiagTransport::tcp ? IPPROTO_TCP : IPPROTO_UDP;
  request.body.idiag_ext = 0;  // no extensions: the fixed inet_diag_msg holds every field we need
  request.body.idiag_states = kAllStates;
  // id all zero: no port, address, interface or cookie filter.
  return dump(&request, sizeof request, transport, to_string(protocol_of(family == AF_INET6, transport)), out,
              error);
}

SockDiag::Dump SockDiag::dump_tcp_both_families(std::vector<Socket>& out, std::string& error) {
  // inet_diag_rcv_msg_compat() -> inet_diag_dump_compat(): sdiag_family = AF_UNSPEC, so
  // inet_diag_dump_icsk() keeps sockets of both families. Replies have type TCPDIAG_GETSOCK.
  struct Request {
    nlmsghdr header;
    inet_diag_req body;
  };
  Request request{};
  request.header.nlmsg_len = sizeof request;
  request.header.nlmsg_type = TCPDIAG_GETSOCK;
  request.header.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
  request.header.nlmsg_seq = ++seq_;
  request.body.idiag_family = AF_INET;  // a dump ignores it; ss sends AF_INET
  request.body.idiag_ext = 0;
  request.body.idiag_states = kAllStates;
  return dump(&request, sizeof request, SockDiagTransport::tcp, "tcp+tcp6", out, error);
}

SockDiag::Dump SockDiag::dump(const void* request, std::size_t request_bytes, SockDiagTransport transport,
                              const char* name, std::vector<Socket>& out, std::string& error) {
  sockaddr_nl kernel{};
  kernel.nl_family = AF_NETLINK;  // nl_pid 0: the kernel
  ssize_t sent = 0;
  do {
    sent =
        ::sendto(fd_, request, request_bytes, 0, reinterpret_cast<const sockaddr*>(&kernel), sizeof kernel);
  } while (sent < 0 && errno == EINTR);
  if (sent < 0) {
    error = fmt::format("sock_diag {} request: {}", name, errno_text(errno));
    return Dump::failed;
  }
  if (static_cast<std::size_t>(sent) != request_bytes) {
    error = fmt::format("sock_diag {} request: sent {} of {} bytes", name, sent, request_bytes);
    return Dump::failed;
  }

  for (bool first = true;; first = false) {
    iovec iov{buffer_.get(), kReceiveBufferBytes};
    sockaddr_nl from{};
    msghdr message{};
    message.msg_name = &from;
    message.msg_namelen = sizeof from;
    message.msg_iov = &iov;
    message.msg_iovlen = 1;
    const ssize_t received = ::recvmsg(fd_, &message, 0);
    if (received < 0) {
      const int e = errno;
      if (e == EINTR) continue;
      if (e == EAGAIN || e == EWOULDBLOCK) {
        error = fmt::format("sock_diag {} dump: no reply within {} s", name, kReceiveTimeoutSeconds);
      } else if (e == ENOBUFS) {
        error = fmt::format(
            "sock_diag {} dump: the socket's receive buffer overflowed (ENOBUFS), messages were lost", name);
      } else {
        error = fmt::format("sock_diag {} dump: {}", name, errno_text(e));
      }
      return Dump::failed;
    }
    if ((static_cast<unsigned>(message.msg_flags) & MSG_TRUNC) != 0) {
      error = fmt::format("sock_diag {} dump: a datagram did not fit in {} bytes (MSG_TRUNC)", name,
                          kReceiveBufferBytes);
      return Dump::failed;
    }
    if (from.nl_pid != 0) continue;  // another process, not the kernel: not part of the dump
    const std::span<const std::byte> datagram(buffer_.get(), static_cast<std::size_t>(received));
    const auto parsed = parse_sock_diag_messages(datagram, seq_, transport, out);
    if (!parsed) {
      error = fmt::format("sock_diag {} dump: {}", name, parsed.error().detail);
      // The request itself was refused (netlink_ack() of its error): nothing else will come.
      const bool refused = first && datagram.size() >= sizeof(nlmsghdr) &&
                           load<nlmsghdr>(datagram.data()).nlmsg_type == NLMSG_ERROR;
      return refused ? Dump::refused : Dump::failed;
    }
    if (*parsed == SockDiagProgress::done) return Dump::done;
  }
}

bool SockDiag::read_all(std::vector<Socket>& out, std::string& error) {
  if (fd_ < 0 && !open(error)) return false;
  bool tcp_done = false;
  if (tcp_request_ == TcpRequest::both_families) {
    switch (dump_tcp_both_families(out, error)) {
      case Dump::done: tcp_done = true; break;
      case Dump::refused: tcp_request_ = TcpRequest::per_family; break;  // from now on
      case Dump::failed: return false;
    }
  }
  // inet_diag registers AF_INET6 even when IPv6 is disabled at boot: those dumps are then
  // empty, not an error.
  if (!tcp_done) {
    for (const int family : {AF_INET, AF_INET6}) {
      if (dump_v2(family, SockDiagTransport::tcp, out, error) != Dump::done) return false;
    }
  }
  for (const int family : {AF_INET, AF_INET6}) {
    if (dump_v2(family, SockDiagTransport::udp, out, error) != Dump::done) return false;
  }
  return true;
}

bool SockDiag::read(std::vector<Socket>& out, std::string* error) noexcept {
  const std::size_t start = out.size();
  std::string why;
  try {
    if (read_all(out, why)) {
      fill_request_socket_uids(std::span<Socket>(out).subspan(start));
      return true;
    }
  } catch (const std::exception& e) {  // bad_alloc from `out` or a message
    try {
      why = fmt::format("sock_diag: {}", e.what());
    } catch (...) {
      why.clear();
    }
  }
  out.resize(start);
  // A failed dump may have left messages queued: the next call starts on a new socket.
  close();
  if (error != nullptr) {
    try {
      *error = why.empty() ? std::string("sock_diag: out of memory") : std::move(why);
    } catch (...) {
      error->clear();
    }
  }
  return false;
}

}  // namespace hyperion::collectors
