#pragma once

// The TCP and UDP socket tables through NETLINK_SOCK_DIAG (inet_diag), as `ss` reads them,
// giving the same Socket structs as parse_proc_net_sockets() of /proc/net/{tcp,tcp6,udp,udp6}.
// Both walk every bucket of the kernel's established hash (262144 buckets on a 24 GiB host,
// about 1.1 ms even when they are all empty), /proc/net/tcp and /proc/net/tcp6 once each.
// Here one TCP dump covers both families, so the hash is walked once per call, and the
// records come as binary structs instead of text to format and parse.
// Kernel side: net/ipv4/inet_diag.c, tcp_diag.c, udp_diag.c; uapi <linux/inet_diag.h>;
// man 7 sock_diag.
//
// Unlike the /proc files, which the local source reads under a configurable proc root, this
// always reads the live kernel, in the network namespace of the thread that opened the socket.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "hyperion/collectors/proc_net_sockets.hpp"
#include "hyperion/collectors/result.hpp"

namespace hyperion::collectors {

// Replies carry the address family but not the transport: the request decides it.
enum class SockDiagTransport : std::uint8_t { tcp, udp };

// Whether a datagram ended its dump (NLMSG_DONE) or more datagrams follow.
enum class SockDiagProgress : std::uint8_t { more, done };

// Parses one datagram received for an inet_diag dump request with sequence number `seq`:
// appends one Socket per socket message (type SOCK_DIAG_BY_FAMILY, or TCPDIAG_GETSOCK in
// answer to that legacy request) to `out`, mapped as /proc/net/tcp shows it:
// - protocol tcp/udp for AF_INET, tcp6/udp6 for AF_INET6 (also with a v4-mapped address);
// - ports from big-endian idiag_sport/dport to host order; addresses stay in network order;
// - rx_queue = idiag_rqueue, tx_queue = idiag_wqueue, except that a LISTEN socket's
//   tx_queue is 0: tcp_diag_get_info() reports the accept-queue limit (sk_max_ack_backlog)
//   there, while get_tcp4_sock() prints write_seq - snd_una, which a listener keeps at 0;
// - a state the enum does not name becomes TcpState::unknown.
// Request sockets (SYN_RECV with inode 0) come with uid 0, where /proc shows their
// listener's uid: SockDiag::read() fills that in; this function cannot.
// Attributes after the fixed inet_diag_msg are skipped. An NLMSG_ERROR, an NLMSG_DONE with
// a negative error, NLMSG_OVERRUN, a wrong sequence number, an unknown message type or
// address family, or a message cut short gives an Error, and then `out` is left as it was.
// Never reads outside `datagram`; fit for fuzzing.
Result<SockDiagProgress> parse_sock_diag_messages(std::span<const std::byte> datagram, std::uint32_t seq,
                                                  SockDiagTransport transport, std::vector<Socket>& out);

// Keeps one NETLINK_SOCK_DIAG socket and one receive buffer across calls. Not thread-safe:
// one per sampling thread.
class SockDiag {
 public:
  // How TCP is asked for. `both_families`: one legacy TCPDIAG_GETSOCK dump (struct
  // inet_diag_req), which the kernel runs with family AF_UNSPEC: one walk of the established
  // hash (ss keeps it as its fallback). `per_family`: one SOCK_DIAG_BY_FAMILY dump (struct
  // inet_diag_req_v2) for AF_INET and one for AF_INET6, as `ss -ta` sends them: two walks.
  // A kernel that refuses the first gets the second from then on. UDP is always asked per
  // family: its hash is small (16384 slots here, 12 us a dump).
  enum class TcpRequest : std::uint8_t { both_families, per_family };

  SockDiag();  // both_families
  explicit SockDiag(TcpRequest tcp_request);
  ~SockDiag();
  SockDiag(const SockDiag&) = delete;
  SockDiag& operator=(const SockDiag&) = delete;

  // Appends every TCP socket (all states, LISTEN and TIME_WAIT included), then every UDP
  // socket, of both families, to `out`: the sockets /proc/net/{tcp,tcp6,udp,udp6} list, in
  // another order. Opens the netlink socket on first use (again after a failure).
  // False, with `out` as it was and a one-line reason in *error (when not null), when
  // netlink is unavailable (EPROTONOSUPPORT, EPERM in a sandbox, a missing diag module) or a
  // dump fails or is malformed: never a partial table. Never throws.
  bool read(std::vector<Socket>& out, std::string* error) noexcept;

 private:
  enum class Dump : std::uint8_t { refused, failed, done };

  bool open(std::string& error);
  void close() noexcept;
  bool read_all(std::vector<Socket>& out, std::string& error);
  // One request and its replies. `refused`: the kernel answered the request with an error
  // before any socket (for the legacy TCP request: fall back).
  Dump dump(const void* request, std::size_t request_bytes, SockDiagTransport transport, const char* name,
            std::vector<Socket>& out, std::string& error);
  Dump dump_v2(int family, SockDiagTransport transport, std::vector<Socket>& out, std::string& error);
  Dump dump_tcp_both_families(std::vector<Socket>& out, std::string& error);

  TcpRequest tcp_request_ = TcpRequest::both_families;
  int fd_ = -1;
  std::uint32_t seq_ = 0;
  std::unique_ptr<std::byte[]> buffer_;  // kReceiveBufferBytes, allocated on first use
};

}  // namespace hyperion::collectors
