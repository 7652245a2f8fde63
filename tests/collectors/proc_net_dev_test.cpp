#include "hyperion/collectors/proc_net_dev.hpp"

#include <catch2/catch.hpp>
#include <limits>

#include "fixture.hpp"

using namespace hyperion::collectors;
using hyperion::test::read_fixture;

namespace {

const std::string kHeader =
    "Inter-|   Receive                                                |  Transmit\n"
    " face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop "
    "fifo colls carrier compressed\n";

const NetDev* find(const std::vector<NetDev>& devs, std::string_view name) {
  for (const auto& d : devs) {
    if (d.name == name) return &d;
  }
  return nullptr;
}

}  // namespace

TEST_CASE("parse_proc_net_dev: reads every interface of a real machine", "[collectors][proc_net_dev]") {
  const auto r = parse_proc_net_dev(read_fixture("debian12-6.18-x86_64/proc/net/dev"));
  REQUIRE(r);
  REQUIRE(r->size() == 4);
  // Kernel order (registration order), names without the right-alignment padding.
  CHECK((*r)[0].name == "lo");
  CHECK((*r)[1].name == "ifb0");
  CHECK((*r)[2].name == "ifb1");
  CHECK((*r)[3].name == "eth0");

  const auto& lo = (*r)[0].counters;
  CHECK(lo.rx_bytes == 4332);
  CHECK(lo.rx_packets == 47);
  // Everything sent on loopback is received on it.
  CHECK(lo.tx_bytes == lo.rx_bytes);
  CHECK(lo.tx_packets == lo.rx_packets);

  const auto& eth0 = (*r)[3].counters;
  CHECK(eth0.rx_bytes == 18689048);
  CHECK(eth0.rx_packets == 503);
  CHECK(eth0.tx_bytes == 25853);
  CHECK(eth0.tx_packets == 310);
  CHECK(eth0.rx_errors == 0);
  CHECK(eth0.tx_carrier == 0);

  CHECK((*r)[1].counters.rx_bytes == 0);  // ifb0 is down
}

TEST_CASE("parse_proc_net_dev: 20-digit counters touching the colon and 15-char names",
          "[collectors][proc_net_dev]") {
  const auto r = parse_proc_net_dev(read_fixture("synthetic-bigcounters/proc/net/dev"));
  REQUIRE(r);
  REQUIRE(r->size() == 3);
  constexpr auto kMax = std::numeric_limits<std::uint64_t>::max();

  const auto* eth0 = find(*r, "eth0");
  REQUIRE(eth0);
  const auto& c = eth0->counters;
  CHECK(c.rx_bytes == kMax);  // "  eth0:18446744073709551615"
  CHECK(c.rx_packets == 123456789012u);
  CHECK(c.rx_errors == 1);
  CHECK(c.rx_dropped == 2);
  CHECK(c.rx_fifo == 3);
  CHECK(c.rx_frame == 4);
  CHECK(c.rx_compressed == 5);
  CHECK(c.rx_multicast == 6);
  CHECK(c.tx_bytes == 9999999999999999999u);
  CHECK(c.tx_packets == 5);
  CHECK(c.tx_compressed == kMax);

  // IFNAMSIZ-1 = 15 characters: longer than "%6s", so no padding before the ':' either.
  const auto* veth = find(*r, "veth9f3a2b1c0de");
  REQUIRE(veth);
  CHECK(veth->counters.rx_bytes == kMax - 1);
  CHECK(veth->counters.tx_compressed == kMax - 1);
  CHECK(veth->counters.tx_collisions == kMax - 1);
}

TEST_CASE("parse_proc_net_dev: an interface added between two samples", "[collectors][proc_net_dev]") {
  const auto before = parse_proc_net_dev(read_fixture("synthetic-hotplug/proc/net/dev.1"));
  const auto after = parse_proc_net_dev(read_fixture("synthetic-hotplug/proc/net/dev.2"));
  REQUIRE(before);
  REQUIRE(after);
  REQUIRE(before->size() == 2);
  REQUIRE(after->size() == 3);
  CHECK(find(*before, "veth1a2b3c4") == nullptr);
  const auto* veth = find(*after, "veth1a2b3c4");
  REQUIRE(veth);
  CHECK(veth->counters.rx_bytes == 656);
  CHECK(veth->counters.tx_packets == 14);
  // The interfaces present in both only grew (the sampler relies on this fixture for rates).
  for (const auto& b : *before) {
    const auto* a = find(*after, b.name);
    REQUIRE(a);
    CHECK(a->counters.rx_bytes > b.counters.rx_bytes);
    CHECK(a->counters.tx_bytes > b.counters.tx_bytes);
  }
  CHECK(find(*after, "eth0")->counters.rx_bytes - find(*before, "eth0")->counters.rx_bytes == 250000);
}

TEST_CASE("parse_proc_net_dev: headers only and trailing blank lines", "[collectors][proc_net_dev]") {
  const auto none = parse_proc_net_dev(kHeader);
  REQUIRE(none);
  CHECK(none->empty());

  const auto r = parse_proc_net_dev(kHeader + "  eth0: 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16\n\n\n");
  REQUIRE(r);
  REQUIRE(r->size() == 1);
  CHECK((*r)[0].name == "eth0");
  CHECK((*r)[0].counters.rx_bytes == 1);
  CHECK((*r)[0].counters.rx_multicast == 8);
  CHECK((*r)[0].counters.tx_bytes == 9);
  CHECK((*r)[0].counters.tx_compressed == 16);
}

TEST_CASE("parse_proc_net_dev: a last line without newline is read", "[collectors][proc_net_dev]") {
  const auto r = parse_proc_net_dev(kHeader + "wg0:1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16");
  REQUIRE(r);
  REQUIRE(r->size() == 1);
  CHECK((*r)[0].name == "wg0");
  CHECK((*r)[0].counters.tx_compressed == 16);
}

TEST_CASE("parse_proc_net_dev: bad input gives an error, never a crash", "[collectors][proc_net_dev]") {
  const std::string c15 = " 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15";
  const auto [name, input, code] = GENERATE_REF(table<const char*, std::string, Errc>({
      {"empty", "", Errc::empty},
      {"whitespace only", "  \n\n", Errc::empty},
      {"not the header", "  eth0:" + c15 + " 16\n", Errc::malformed},
      {"one header line", "Inter-|   Receive  |  Transmit\n", Errc::truncated},
      {"second header wrong", "Inter-|   Receive  |  Transmit\nbytes packets\n", Errc::malformed},
      {"no colon", kHeader + "  eth0" + c15 + " 16\n", Errc::malformed},
      {"empty name", kHeader + "     :" + c15 + " 16\n", Errc::malformed},
      {"missing counter", kHeader + "  eth0:" + c15 + "\n", Errc::truncated},
      {"no counters", kHeader + "  eth0:\n", Errc::truncated},
      {"extra column", kHeader + "  eth0:" + c15 + " 16 17\n", Errc::malformed},
      {"non-numeric", kHeader + "  eth0:" + c15 + " x\n", Errc::malformed},
      {"negative", kHeader + "  eth0:" + c15 + " -1\n", Errc::malformed},
      {"overflow", kHeader + "  eth0:18446744073709551616" + c15 + "\n", Errc::malformed},
      {"second bad line", kHeader + "  eth0:" + c15 + " 16\n" + "  eth1:" + c15 + "\n",
       Errc::truncated},
      {"binary garbage", kHeader + std::string("\x01\xff\x00:\x7f", 5), Errc::malformed},
      {"binary garbage, no colon", kHeader + std::string("\x01\xff\x00\x7f", 4), Errc::malformed},
      {"binary garbage counters", kHeader + std::string("e:\x01\xff\x00 1", 7), Errc::malformed},
      {"binary only", std::string("\x01\x02\xff\x00\x03", 5), Errc::malformed},
  }));
  INFO(name);
  const auto r = parse_proc_net_dev(input);
  REQUIRE_FALSE(r);
  CHECK(r.error().code == code);
  CHECK_FALSE(r.error().detail.empty());
}

TEST_CASE("parse_proc_net_dev: the error names the bad line", "[collectors][proc_net_dev]") {
  const auto r = parse_proc_net_dev(kHeader + "    lo: 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16\n" +
                                    "  eth0: 1 2 3\n");
  REQUIRE_FALSE(r);
  CHECK(r.error().code == Errc::truncated);
  CHECK_THAT(r.error().detail, Catch::Contains("line 4") && Catch::Contains("eth0"));
}

TEST_CASE("parse_proc_net_dev: truncated real file", "[collectors][proc_net_dev]") {
  const auto full = read_fixture("debian12-6.18-x86_64/proc/net/dev");
  // Cut in the middle of the first interface line (a short read).
  const auto first_if = full.find("lo:");
  REQUIRE(first_if != std::string::npos);
  const auto r = parse_proc_net_dev(full.substr(0, first_if + 20));
  REQUIRE_FALSE(r);
  CHECK(r.error().code == Errc::truncated);
  // Cut inside the header.
  const auto h = parse_proc_net_dev(full.substr(0, 40));
  REQUIRE_FALSE(h);
  CHECK(h.error().code == Errc::truncated);
}
