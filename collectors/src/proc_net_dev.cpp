#include "hyperion/collectors/proc_net_dev.hpp"

#include <fmt/format.h>

#include <optional>

#include "hyperion/collectors/text.hpp"

namespace hyperion::collectors {
namespace {

using text::next_line;
using text::next_token;

constexpr std::size_t kCounterCount = 16;

// The column order of dev_seq_printf_stats() in net/core/net-procfs.c, unchanged since 2.6.
// Returns the error code, or nullopt when all 16 counters were read.
std::optional<Errc> read_counters(std::string_view rest, NetDevCounters& c) {
  std::uint64_t* const fields[kCounterCount] = {
      &c.rx_bytes, &c.rx_packets, &c.rx_errors,     &c.rx_dropped,    &c.rx_fifo,    &c.rx_frame,
      &c.rx_compressed, &c.rx_multicast, &c.tx_bytes, &c.tx_packets, &c.tx_errors, &c.tx_dropped,
      &c.tx_fifo, &c.tx_collisions, &c.tx_carrier, &c.tx_compressed};
  std::size_t n = 0;
  std::string_view token;
  while (next_token(rest, token)) {
    if (n == kCounterCount) return Errc::malformed;  // more columns than the format has
    const auto v = text::to_u64(token);
    if (!v) return Errc::malformed;  // non-numeric, negative, or beyond 2^64-1
    *fields[n++] = *v;
  }
  if (n < kCounterCount) return Errc::truncated;
  return std::nullopt;
}

}  // namespace

Result<std::vector<NetDev>> parse_proc_net_dev(std::string_view text) {
  if (text::trim(text).empty()) return Error{Errc::empty, "/proc/net/dev is empty"};
  std::string_view rest = text, line;

  // Two fixed header lines: "Inter-|   Receive ...|  Transmit" and " face |bytes ...".
  if (!next_line(rest, line) || !text::trim(line).starts_with("Inter-|")) {
    return Error{Errc::malformed, "line 1: not the /proc/net/dev header"};
  }
  if (!next_line(rest, line)) return Error{Errc::truncated, "second header line missing"};
  if (!text::trim(line).starts_with("face |")) {
    return Error{Errc::malformed, "line 2: not the /proc/net/dev header"};
  }

  std::vector<NetDev> out;
  std::size_t line_no = 2;
  while (next_line(rest, line)) {
    ++line_no;
    if (text::trim(line).empty()) continue;
    // "%6s:%8llu ...": short names are right-aligned, long ones (up to 15 chars) and
    // 20-digit counters leave no space around the ':'. dev_valid_name() forbids ':' in a
    // name, so the last ':' ends it (alias labels like eth0:1 are not devices).
    const auto colon = line.rfind(':');
    if (colon == std::string_view::npos) {
      return Error{Errc::malformed, fmt::format("line {}: no ':' after the interface name", line_no)};
    }
    const auto name = text::trim(line.substr(0, colon));
    if (name.empty()) return Error{Errc::malformed, fmt::format("line {}: empty interface name", line_no)};
    NetDev dev;
    if (const auto bad = read_counters(line.substr(colon + 1), dev.counters)) {
      return Error{*bad, fmt::format("line {}: {} needs exactly {} numeric counters", line_no,
                                     name, kCounterCount)};
    }
    dev.name.assign(name);
    out.push_back(std::move(dev));
  }
  return out;
}

}  // namespace hyperion::collectors
