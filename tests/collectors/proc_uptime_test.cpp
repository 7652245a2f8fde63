#include "hyperion/collectors/proc_uptime.hpp"

#include <catch2/catch.hpp>

#include <string>
#include <string_view>

#include "fixture.hpp"

using namespace hyperion::collectors;
using hyperion::test::read_fixture;
using namespace std::string_view_literals;

TEST_CASE("parse_proc_uptime: reads the file of a real machine", "[collectors][proc_uptime]") {
  // "213.91 400.77": on this 2-vCPU VM the idle time, summed over CPUs, exceeds the uptime.
  const auto r = parse_proc_uptime(read_fixture("debian12-6.18-x86_64/proc/uptime"));
  REQUIRE(r);
  CHECK(r->uptime_seconds == Approx(213.91));
  CHECK(r->idle_seconds == Approx(400.77));
  CHECK(r->idle_seconds > r->uptime_seconds);
}

TEST_CASE("parse_proc_uptime: a year-long uptime on a large host", "[collectors][proc_uptime]") {
  // fs/proc/uptime.c prints "%lu.%02lu %lu.%02lu\n"; 64 CPUs idle for a year exceed 2^31 s.
  const auto r = parse_proc_uptime("31557600.00 2019686400.12\n");
  REQUIRE(r);
  CHECK(r->uptime_seconds == Approx(31557600.0));
  CHECK(r->idle_seconds == Approx(2019686400.12));
}

TEST_CASE("parse_proc_uptime: just booted, no trailing newline", "[collectors][proc_uptime]") {
  const auto r = parse_proc_uptime("0.01 0.00");
  REQUIRE(r);
  CHECK(r->uptime_seconds == Approx(0.01));
  CHECK(r->idle_seconds == 0.0);
}

TEST_CASE("parse_proc_uptime: bad input gives an error, never a crash", "[collectors][proc_uptime]") {
  const auto [name, input, code] = GENERATE_REF(table<const char*, std::string, Errc>({
      {"empty", "", Errc::empty},
      {"whitespace only", "\n \n", Errc::empty},
      {"missing idle", "213.91\n", Errc::truncated},
      {"extra column", "213.91 400.77 1\n", Errc::malformed},
      {"non-numeric uptime", "up 400.77\n", Errc::malformed},
      {"non-numeric idle", "213.91 4OO.77\n", Errc::malformed},
      {"trailing junk in a number", "213.91s 400.77\n", Errc::malformed},
      {"negative uptime", "-213.91 400.77\n", Errc::malformed},
      {"negative idle", "213.91 -1\n", Errc::malformed},
      {"nan", "nan 400.77\n", Errc::malformed},
      {"infinity", "213.91 infinity\n", Errc::malformed},
      {"overflows double", "213.91 1e400\n", Errc::malformed},
      {"comma decimal", "213,91 400,77\n", Errc::malformed},
      {"binary garbage", std::string("\x01\xfe\x00\x02 \xff\x7f"sv), Errc::malformed},
  }));
  INFO(name);
  const auto r = parse_proc_uptime(input);
  REQUIRE_FALSE(r);
  CHECK(r.error().code == code);
  CHECK_FALSE(r.error().detail.empty());
}

TEST_CASE("parse_proc_uptime: every prefix of the real file is handled", "[collectors][proc_uptime]") {
  const auto full = read_fixture("debian12-6.18-x86_64/proc/uptime");
  const auto space = full.find(' ');
  REQUIRE(space != std::string::npos);
  for (std::size_t n = 0; n < full.size(); ++n) {
    INFO("prefix length " << n);
    const auto r = parse_proc_uptime(std::string_view(full).substr(0, n));
    if (n <= space + 1) {
      // The idle field has not started: one field at most.
      REQUIRE_FALSE(r);
      CHECK(r.error().code == (n == 0 ? Errc::empty : Errc::truncated));
    } else {
      // A cut idle field ("400." of "400.77") still reads as a number.
      REQUIRE(r);
      CHECK(r->uptime_seconds == Approx(213.91));
    }
  }
}
