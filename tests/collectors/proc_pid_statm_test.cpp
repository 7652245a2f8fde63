#include "hyperion/collectors/proc_pid_statm.hpp"

#include <catch2/catch.hpp>

#include <type_traits>

#include "fixture.hpp"

using namespace hyperion::collectors;
using hyperion::test::read_fixture;

// Hot path: the result owns no heap memory.
static_assert(std::is_trivially_copyable_v<PidStatm>);

TEST_CASE("parse_proc_pid_statm: reads processes of a real machine", "[collectors][proc_pid_statm]") {
  SECTION("PID 1") {
    const auto r = parse_proc_pid_statm(read_fixture("debian12-6.18-x86_64/proc/1/statm"));
    REQUIRE(r);
    CHECK(r->size_pages == 10820);
    CHECK(r->resident_pages == 3364);
    CHECK(r->shared_pages == 1574);
    CHECK(r->text_pages == 1315);
    CHECK(r->data_pages == 8994);
  }
  SECTION("a shell") {
    const auto r = parse_proc_pid_statm(read_fixture("debian12-6.18-x86_64/proc/4984/statm"));
    REQUIRE(r);
    CHECK(r->size_pages == 1090);
    CHECK(r->resident_pages == 817);
    CHECK(r->shared_pages == 748);
    CHECK(r->text_pages == 193);
    CHECK(r->data_pages == 109);
    // shared is part of resident, resident part of size.
    CHECK(r->shared_pages <= r->resident_pages);
    CHECK(r->resident_pages <= r->size_pages);
  }
  SECTION("a kernel thread has no memory of its own") {
    const auto r = parse_proc_pid_statm(read_fixture("debian12-6.18-x86_64/proc/2/statm"));
    REQUIRE(r);
    CHECK(r->size_pages == 0);
    CHECK(r->resident_pages == 0);
    CHECK(r->data_pages == 0);
  }
}

TEST_CASE("parse_proc_pid_statm: variants", "[collectors][proc_pid_statm]") {
  SECTION("Linux 2.4 filled lib and dt; data is still the sixth number") {
    const auto r = parse_proc_pid_statm("1042 1042 851 40 12 1002 151\n");
    REQUIRE(r);
    CHECK(r->text_pages == 40);
    CHECK(r->data_pages == 1002);
  }
  SECTION("the first three numbers are enough") {
    const auto r = parse_proc_pid_statm("100 50 25");
    REQUIRE(r);
    CHECK(r->size_pages == 100);
    CHECK(r->resident_pages == 50);
    CHECK(r->shared_pages == 25);
    CHECK(r->text_pages == 0);
    CHECK(r->data_pages == 0);
  }
  SECTION("a 128 TiB address space (ASan, JVMs) fits") {
    const auto r = parse_proc_pid_statm("34359738368 2048 1024 300 0 34359700000 0\n");
    REQUIRE(r);
    CHECK(r->size_pages == 34359738368u);
    CHECK(r->data_pages == 34359700000u);
  }
}

TEST_CASE("parse_proc_pid_statm: bad input gives an error, never a crash",
          "[collectors][proc_pid_statm]") {
  const auto [name, input, code] = GENERATE(table<const char*, std::string, Errc>({
      {"empty", "", Errc::empty},
      {"whitespace only", " \n", Errc::empty},
      {"one number", "100\n", Errc::truncated},
      {"two numbers", "100 50\n", Errc::truncated},
      {"extra column", "1 2 3 4 0 5 0 9\n", Errc::malformed},
      {"non-numeric", "100 x 25 4 0 5 0\n", Errc::malformed},
      {"negative", "-100 50 25 4 0 5 0\n", Errc::malformed},
      {"decimal point", "100 50.5 25 4 0 5 0\n", Errc::malformed},
      {"overflow", "18446744073709551616 50 25 4 0 5 0\n", Errc::out_of_range},
      {"binary garbage", std::string("\x01\x02\xff\x00 7 8", 8), Errc::malformed},
  }));
  INFO(name);
  const auto r = parse_proc_pid_statm(input);
  REQUIRE_FALSE(r);
  CHECK(r.error().code == code);
  CHECK_FALSE(r.error().detail.empty());
}
