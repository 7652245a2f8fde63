#include "hyperion/collectors/proc_stat.hpp"

#include <catch2/catch.hpp>

#include "fixture.hpp"

using namespace hyperion::collectors;
using hyperion::test::read_fixture;

TEST_CASE("parse_proc_stat: reads every cpu line of a real machine", "[collectors][proc_stat]") {
  const auto r = parse_proc_stat(read_fixture("debian12-6.18-x86_64/proc/stat"));
  REQUIRE(r);
  REQUIRE(r->cpus.size() == 2);
  CHECK(r->cpus[0].cpu == 0);
  CHECK(r->cpus[1].cpu == 1);
  // The aggregate line is the per-CPU sum, give or take one tick per CPU: the kernel
  // converts each CPU's nanoseconds to ticks separately (fs/proc/stat.c, nsec_to_clock_t).
  const auto near_sum = [&](auto field) {
    const auto sum = r->cpus[0].times.*field + r->cpus[1].times.*field;
    const auto total = r->total.*field;
    return (total > sum ? total - sum : sum - total) <= r->cpus.size();
  };
  CHECK(near_sum(&CpuTimes::user_ticks));
  CHECK(near_sum(&CpuTimes::system_ticks));
  CHECK(near_sum(&CpuTimes::idle_ticks));
  CHECK(r->boot_time_seconds > 1'600'000'000u);
  CHECK(r->context_switches > 0);
  CHECK(r->interrupts > 0);
  CHECK(r->forks > 0);
  CHECK(r->procs_running >= 1);  // the reader itself was running
  CHECK(r->softirqs.has_value());
}

TEST_CASE("parse_proc_stat: 64+ cores with an offline gap", "[collectors][proc_stat]") {
  const auto r = parse_proc_stat(read_fixture("synthetic-96cpu/proc/stat"));
  REQUIRE(r);
  REQUIRE(r->cpus.size() == 95);  // cpu17 is offline
  CHECK(r->cpus[16].cpu == 16);
  CHECK(r->cpus[17].cpu == 18);
  CHECK(r->cpus.back().cpu == 95);
}

TEST_CASE("parse_proc_stat: old kernel with four cpu columns", "[collectors][proc_stat]") {
  const auto r = parse_proc_stat(
      "cpu  10 20 30 40\ncpu0 10 20 30 40\nctxt 5\nbtime 1000\nprocesses 7\n");
  REQUIRE(r);
  CHECK(r->total.idle_ticks == 40);
  CHECK(r->total.steal_ticks == 0);
  CHECK(r->total.total() == 100);
  CHECK(r->total.busy() == 60);
  CHECK_FALSE(r->softirqs.has_value());
}

TEST_CASE("CpuTimes::total: does not count guest time twice", "[collectors][proc_stat]") {
  CpuTimes t;
  t.user_ticks = 100;  // includes 40 of guest
  t.guest_ticks = 40;
  t.idle_ticks = 50;
  CHECK(t.total() == 150);
  CHECK(t.busy() == 100);
}

TEST_CASE("parse_proc_stat: bad input gives an error, never a crash", "[collectors][proc_stat]") {
  const std::string good_tail = "ctxt 5\nbtime 1000\nprocesses 7\n";
  const auto [name, input, code] = GENERATE_REF(table<const char*, std::string, Errc>({
      {"empty", "", Errc::empty},
      {"whitespace only", " \n\n", Errc::empty},
      {"no aggregate line", "cpu0 1 2 3 4\n" + good_tail, Errc::missing_field},
      {"short cpu line", "cpu  1 2 3\n" + good_tail, Errc::malformed},
      {"extra cpu columns", "cpu  1 2 3 4 5 6 7 8 9 10 11\n" + good_tail, Errc::malformed},
      {"non-numeric", "cpu  1 x 3 4\n" + good_tail, Errc::malformed},
      {"negative", "cpu  1 -2 3 4\n" + good_tail, Errc::malformed},
      {"overflow", "cpu  1 2 3 99999999999999999999999\n" + good_tail, Errc::malformed},
      {"bad cpu index", "cpu  1 2 3 4\ncpuX 1 2 3 4\n" + good_tail, Errc::malformed},
      {"no btime", "cpu  1 2 3 4\nctxt 5\nprocesses 7\n", Errc::missing_field},
      {"garbage ctxt", "cpu  1 2 3 4\nctxt five\nbtime 1\nprocesses 7\n", Errc::malformed},
      {"procs_running overflows u32", "cpu  1 2 3 4\nprocs_running 99999999999\n" + good_tail,
       Errc::malformed},
      {"binary garbage", std::string("\x01\x02\xff\x00cpu", 7), Errc::missing_field},
  }));
  INFO(name);
  const auto r = parse_proc_stat(input);
  REQUIRE_FALSE(r);
  CHECK(r.error().code == code);
  CHECK_FALSE(r.error().detail.empty());
}

TEST_CASE("parse_proc_stat: truncated real file", "[collectors][proc_stat]") {
  const auto full = read_fixture("debian12-6.18-x86_64/proc/stat");
  // Cut in the middle of the first line: the aggregate line loses columns.
  const auto r = parse_proc_stat(full.substr(0, 12));
  REQUIRE_FALSE(r);
}
