#pragma once

// /proc/net/dev: per-interface counters since the interface appeared.
//   Inter-|   Receive                                                |  Transmit
//    face |bytes    packets errs drop fifo frame compressed multicast|bytes packets errs drop fifo colls carrier compressed
//       lo: 1234 ...
// Interface names may contain ':' only as aliases are not listed; the name ends at the
// LAST ':' before the counters, and long counters may touch the colon ("eth0:123").

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "hyperion/collectors/result.hpp"

namespace hyperion::collectors {

struct NetDevCounters {
  std::uint64_t rx_bytes = 0;
  std::uint64_t rx_packets = 0;
  std::uint64_t rx_errors = 0;
  std::uint64_t rx_dropped = 0;
  std::uint64_t rx_fifo = 0;
  std::uint64_t rx_frame = 0;
  std::uint64_t rx_compressed = 0;
  std::uint64_t rx_multicast = 0;
  std::uint64_t tx_bytes = 0;
  std::uint64_t tx_packets = 0;
  std::uint64_t tx_errors = 0;
  std::uint64_t tx_dropped = 0;
  std::uint64_t tx_fifo = 0;
  std::uint64_t tx_collisions = 0;
  std::uint64_t tx_carrier = 0;
  std::uint64_t tx_compressed = 0;
};

struct NetDev {
  std::string name;
  NetDevCounters counters;
};

// The two header lines are required; an interface line without exactly 16 counters
// (fewer: Errc::truncated, more: Errc::malformed) or with a non-numeric counter makes the
// whole parse fail. The format has not changed since 2.6, so extra columns mean bad input.
Result<std::vector<NetDev>> parse_proc_net_dev(std::string_view text);

}  // namespace hyperion::collectors
