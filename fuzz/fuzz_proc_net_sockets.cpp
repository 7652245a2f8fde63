// libFuzzer target: parse_proc_net_sockets (/proc/net/{tcp,tcp6,udp,udp6}): the same input is
// parsed as each of the four files, then every address is formatted. Also parse_socket_link.
#include "hyperion/collectors/proc_net_sockets.hpp"

#include "fuzz_support.hpp"

using namespace hyperion::collectors;

namespace {

void check_address(const SocketAddress& a) {
  const auto text = format_address(a);
  HYPERION_FUZZ_CHECK(!text.empty() && text.size() <= 45);  // INET6_ADDRSTRLEN - 1
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto text = hyperion::fuzz::as_text(data, size);
  for (const auto protocol : {SocketProtocol::tcp, SocketProtocol::tcp6, SocketProtocol::udp, SocketProtocol::udp6}) {
    const auto r = parse_proc_net_sockets(text, protocol);
    if (!r) continue;
    const bool ipv6 = protocol == SocketProtocol::tcp6 || protocol == SocketProtocol::udp6;
    for (const auto& s : *r) {
      HYPERION_FUZZ_CHECK(s.protocol == protocol);
      HYPERION_FUZZ_CHECK(static_cast<std::size_t>(s.state) < kTcpStateCount);  // it indexes arrays
      HYPERION_FUZZ_CHECK(s.local.ipv6 == ipv6 && s.remote.ipv6 == ipv6);
      (void)to_string(s.state);
      check_address(s.local);
      check_address(s.remote);
    }
  }
  (void)parse_socket_link(text);
  return 0;
}
