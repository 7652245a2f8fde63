#include "hyperion/collectors/proc_pid_io.hpp"

#include <catch2/catch.hpp>

#include "fixture.hpp"

using namespace hyperion::collectors;
using hyperion::test::read_fixture;

TEST_CASE("parse_proc_pid_io: reads a shell of a real machine", "[collectors][proc_pid_io]") {
  const auto r = parse_proc_pid_io(read_fixture("debian12-6.18-x86_64/proc/4984/io"));
  REQUIRE(r);
  CHECK(r->rchar == 31238);
  CHECK(r->wchar == 499);
  CHECK(r->syscr == 190);
  CHECK(r->syscw == 3);
  CHECK(r->read_bytes == 12288);
  CHECK(r->write_bytes == 12288);
  CHECK(r->cancelled_write_bytes == 0);
}

TEST_CASE("parse_proc_pid_io: a kernel thread reads all zeros", "[collectors][proc_pid_io]") {
  // PID 1's io is not in the fixtures: even root gets EACCES there on this machine
  // (io needs ptrace access, and PID 1 is not dumpable).
  const auto r = parse_proc_pid_io(read_fixture("debian12-6.18-x86_64/proc/2/io"));
  REQUIRE(r);
  CHECK(r->rchar == 0);
  CHECK(r->read_bytes == 0);
  CHECK(r->write_bytes == 0);
}

TEST_CASE("parse_proc_pid_io: variants", "[collectors][proc_pid_io]") {
  SECTION("only the storage lines; an unknown later key is skipped") {
    const auto r = parse_proc_pid_io("write_bytes: 4096\nfuture_bytes: 7\nread_bytes: 8192");
    REQUIRE(r);
    CHECK(r->read_bytes == 8192);
    CHECK(r->write_bytes == 4096);
    CHECK(r->rchar == 0);
    CHECK(r->cancelled_write_bytes == 0);
  }
  SECTION("full 64-bit counters and blank lines") {
    const auto r = parse_proc_pid_io(
        "rchar: 18446744073709551615\n\nwchar: 1\nsyscr: 2\nsyscw: 3\nread_bytes: 4\n"
        "write_bytes: 5\ncancelled_write_bytes: 6\n\n");
    REQUIRE(r);
    CHECK(r->rchar == 18446744073709551615u);
    CHECK(r->wchar == 1);
    CHECK(r->syscr == 2);
    CHECK(r->syscw == 3);
    CHECK(r->read_bytes == 4);
    CHECK(r->write_bytes == 5);
    CHECK(r->cancelled_write_bytes == 6);
  }
}

TEST_CASE("parse_proc_pid_io: bad input gives an error, never a crash", "[collectors][proc_pid_io]") {
  const std::string good = "read_bytes: 1\nwrite_bytes: 2\n";
  const auto [name, input, code] = GENERATE_REF(table<const char*, std::string, Errc>({
      {"empty", "", Errc::empty},
      {"whitespace only", "\n \n", Errc::empty},
      {"no read_bytes", "rchar: 1\nwrite_bytes: 2\n", Errc::missing_field},
      {"no write_bytes", "read_bytes: 1\ncancelled_write_bytes: 0\n", Errc::missing_field},
      {"no colon", "read_bytes 1\nwrite_bytes: 2\n", Errc::malformed},
      {"empty value", "read_bytes:\nwrite_bytes: 2\n", Errc::malformed},
      {"non-numeric", "read_bytes: lots\nwrite_bytes: 2\n", Errc::malformed},
      {"extra column", "read_bytes: 1 2\nwrite_bytes: 2\n", Errc::malformed},
      {"negative", good + "rchar: -1\n", Errc::malformed},
      {"overflow", good + "syscw: 18446744073709551616\n", Errc::out_of_range},
      {"binary garbage", std::string("\x01\x02\xff\x00\x7f", 5), Errc::malformed},
      {"binary garbage with colons", std::string("\xff:\x00:\x80\n", 6), Errc::missing_field},
  }));
  INFO(name);
  const auto r = parse_proc_pid_io(input);
  REQUIRE_FALSE(r);
  CHECK(r.error().code == code);
  CHECK_FALSE(r.error().detail.empty());
}

TEST_CASE("parse_proc_pid_io: truncated real file", "[collectors][proc_pid_io]") {
  const auto full = read_fixture("debian12-6.18-x86_64/proc/4984/io");
  // Cut before the write_bytes line is complete: missing_field or a broken last line.
  const auto write_line = full.find("write_bytes:");
  REQUIRE(write_line != std::string::npos);
  for (std::size_t cut = 0; cut < write_line + 13; ++cut) {
    INFO("cut at " << cut);
    CHECK_FALSE(parse_proc_pid_io(full.substr(0, cut)));
  }
}
