// libFuzzer target: parse_sock_diag_messages (NETLINK_SOCK_DIAG replies, as the kernel sends
// them to SockDiag). Input: one byte choosing the transport and the sequence number asked for
// (bit 0: UDP; bits 1-7: the sequence), then the datagram.
#include <cstddef>
#include <span>
#include <vector>

#include "fuzz_support.hpp"
#include "hyperion/collectors/sock_diag.hpp"

using namespace hyperion::collectors;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const auto transport = (data[0] & 1) ? SockDiagTransport::udp : SockDiagTransport::tcp;
  const std::uint32_t seq = data[0] >> 1;
  // The datagram in a buffer of its own size, so ASan sees a read one byte past it.
  std::vector<std::byte> datagram(size - 1);
  for (std::size_t i = 1; i < size; ++i) datagram[i - 1] = static_cast<std::byte>(data[i]);
  std::vector<Socket> out(1);  // one socket from an earlier datagram of the same dump
  const auto r = parse_sock_diag_messages(std::span<const std::byte>(datagram), seq, transport, out);
  HYPERION_FUZZ_CHECK(!out.empty());
  if (!r) {
    HYPERION_FUZZ_CHECK(out.size() == 1);  // an error leaves `out` as it was
    return 0;
  }
  // Each message is at least a netlink header and an inet_diag_msg (16 + 72 bytes).
  HYPERION_FUZZ_CHECK((out.size() - 1) * 88 <= datagram.size());
  for (std::size_t i = 1; i < out.size(); ++i) {
    const auto p = out[i].protocol;
    if (transport == SockDiagTransport::tcp) {
      HYPERION_FUZZ_CHECK(p == SocketProtocol::tcp || p == SocketProtocol::tcp6);
    } else {
      HYPERION_FUZZ_CHECK(p == SocketProtocol::udp || p == SocketProtocol::udp6);
    }
  }
  return 0;
}
