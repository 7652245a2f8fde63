#include "hyperion/collectors/proc_loadavg.hpp"

#include <catch2/catch.hpp>

#include <string>
#include <string_view>

#include "fixture.hpp"

using namespace hyperion::collectors;
using hyperion::test::read_fixture;
using namespace std::string_view_literals;

TEST_CASE("parse_proc_loadavg: reads the file of a real machine", "[collectors][proc_loadavg]") {
  // "0.05 0.10 0.05 1/79 2403"
  const auto r = parse_proc_loadavg(read_fixture("debian12-6.18-x86_64/proc/loadavg"));
  REQUIRE(r);
  CHECK(r->load1 == Approx(0.05));
  CHECK(r->load5 == Approx(0.10));
  CHECK(r->load15 == Approx(0.05));
  CHECK(r->runnable == 1);
  CHECK(r->total == 79);
  CHECK(r->last_pid == 2403);
}

TEST_CASE("parse_proc_loadavg: the copy in the no-PSI tree reads the same", "[collectors][proc_loadavg]") {
  const auto a = parse_proc_loadavg(read_fixture("debian12-6.18-x86_64/proc/loadavg"));
  const auto b = parse_proc_loadavg(read_fixture("synthetic-nopsi/proc/loadavg"));
  REQUIRE(a);
  REQUIRE(b);
  CHECK(a->load1 == b->load1);
  CHECK(a->total == b->total);
  CHECK(a->last_pid == b->last_pid);
}

TEST_CASE("parse_proc_loadavg: busy many-core host near pid_max", "[collectors][proc_loadavg]") {
  // fs/proc/loadavg.c prints "%lu.%02lu ... %u/%d %d\n"; on a 64-bit host pid_max can be
  // 4194304 (PID_MAX_LIMIT), so the last pid takes 7 digits and loads can exceed 100.
  const auto r = parse_proc_loadavg("128.47 96.12 64.00 130/40960 4194303\n");
  REQUIRE(r);
  CHECK(r->load1 == Approx(128.47));
  CHECK(r->load5 == Approx(96.12));
  CHECK(r->load15 == Approx(64.0));
  CHECK(r->runnable == 130);
  CHECK(r->total == 40960);
  CHECK(r->last_pid == 4194303);
}

TEST_CASE("parse_proc_loadavg: no trailing newline, idle container", "[collectors][proc_loadavg]") {
  // An SSH source may strip the final newline; a fresh pid namespace has tiny numbers.
  const auto r = parse_proc_loadavg("0.00 0.00 0.00 0/3 1");
  REQUIRE(r);
  CHECK(r->load1 == 0.0);
  CHECK(r->runnable == 0);
  CHECK(r->total == 3);
  CHECK(r->last_pid == 1);
}

TEST_CASE("parse_proc_loadavg: bad input gives an error, never a crash", "[collectors][proc_loadavg]") {
  const auto [name, input, code] = GENERATE_REF(table<const char*, std::string, Errc>({
      {"empty", "", Errc::empty},
      {"whitespace only", " \n\t\n", Errc::empty},
      {"missing last pid", "0.05 0.10 0.05 1/79\n", Errc::truncated},
      {"short line", "0.05 0.10\n", Errc::truncated},
      {"extra column", "0.05 0.10 0.05 1/79 2403 7\n", Errc::malformed},
      {"non-numeric load", "0.05 high 0.05 1/79 2403\n", Errc::malformed},
      {"negative load", "0.05 -0.10 0.05 1/79 2403\n", Errc::malformed},
      {"nan load", "nan 0.10 0.05 1/79 2403\n", Errc::malformed},
      {"inf load", "0.05 0.10 inf 1/79 2403\n", Errc::malformed},
      {"load overflows double", "1e999 0.10 0.05 1/79 2403\n", Errc::malformed},
      {"no slash in tasks", "0.05 0.10 0.05 179 2403\n", Errc::malformed},
      {"empty runnable", "0.05 0.10 0.05 /79 2403\n", Errc::malformed},
      {"empty total", "0.05 0.10 0.05 1/ 2403\n", Errc::malformed},
      {"two slashes", "0.05 0.10 0.05 1/79/3 2403\n", Errc::malformed},
      {"task total overflows u32", "0.05 0.10 0.05 1/4294967296 2403\n", Errc::malformed},
      {"last pid overflows u32", "0.05 0.10 0.05 1/79 99999999999\n", Errc::malformed},
      {"negative last pid", "0.05 0.10 0.05 1/79 -1\n", Errc::malformed},
      {"fields out of order", "1/79 0.05 0.10 0.05 2403\n", Errc::malformed},
      {"binary garbage", std::string("\x01\x02\xff\x00 \x7f\x80 a b c"sv), Errc::malformed},
  }));
  INFO(name);
  const auto r = parse_proc_loadavg(input);
  REQUIRE_FALSE(r);
  CHECK(r.error().code == code);
  CHECK_FALSE(r.error().detail.empty());
}

TEST_CASE("parse_proc_loadavg: every prefix of the real file is handled", "[collectors][proc_loadavg]") {
  const auto full = read_fixture("debian12-6.18-x86_64/proc/loadavg");
  const auto last_space = full.rfind(' ');
  REQUIRE(last_space != std::string::npos);
  for (std::size_t n = 0; n < full.size(); ++n) {
    INFO("prefix length " << n);
    const auto r = parse_proc_loadavg(std::string_view(full).substr(0, n));
    if (n <= last_space + 1) {
      // The last pid has not started yet: at most four fields.
      REQUIRE_FALSE(r);
      CHECK(r.error().code == (n == 0 ? Errc::empty : Errc::truncated));
    } else {
      // Only the last pid is cut ("24" of "2403"): indistinguishable from a real short pid.
      REQUIRE(r);
      CHECK(r->total == 79);
    }
  }
}
