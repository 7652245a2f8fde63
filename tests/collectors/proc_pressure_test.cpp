#include "hyperion/collectors/proc_pressure.hpp"

#include <catch2/catch.hpp>

#include <string>
#include <string_view>

#include "fixture.hpp"

using namespace hyperion::collectors;
using hyperion::test::read_fixture;
using namespace std::string_view_literals;

TEST_CASE("parse_proc_pressure: reads cpu of a real 6.18 machine", "[collectors][proc_pressure]") {
  const auto r = parse_proc_pressure(read_fixture("debian12-6.18-x86_64/proc/pressure/cpu"));
  REQUIRE(r);
  CHECK(r->some.avg10 == 0.0);
  CHECK(r->some.avg60 == Approx(0.17));
  CHECK(r->some.avg300 == Approx(0.41));
  CHECK(r->some.total_microseconds == 2834756);
  // 5.13+ prints a "full" line for cpu too; system-wide it is always zero.
  REQUIRE(r->full.has_value());
  CHECK(r->full->avg10 == 0.0);
  CHECK(r->full->avg300 == 0.0);
  CHECK(r->full->total_microseconds == 0);
}

TEST_CASE("parse_proc_pressure: reads io and memory of a real 6.18 machine", "[collectors][proc_pressure]") {
  const auto io = parse_proc_pressure(read_fixture("debian12-6.18-x86_64/proc/pressure/io"));
  REQUIRE(io);
  CHECK(io->some.avg60 == Approx(0.28));
  CHECK(io->some.avg300 == Approx(0.41));
  CHECK(io->some.total_microseconds == 2287540);
  REQUIRE(io->full.has_value());
  CHECK(io->full->avg60 == Approx(0.27));
  CHECK(io->full->avg300 == Approx(0.39));
  CHECK(io->full->total_microseconds == 2193397);
  // "full" (every task stalled) can never exceed "some" (at least one stalled).
  CHECK(io->full->total_microseconds <= io->some.total_microseconds);

  const auto mem = parse_proc_pressure(read_fixture("debian12-6.18-x86_64/proc/pressure/memory"));
  REQUIRE(mem);
  CHECK(mem->some.total_microseconds == 0);
  REQUIRE(mem->full.has_value());
  CHECK(mem->full->total_microseconds == 0);
}

TEST_CASE("parse_proc_pressure: 5.4-era cpu file has only the some line", "[collectors][proc_pressure]") {
  const auto r = parse_proc_pressure(read_fixture("synthetic-psi-some-only/proc/pressure/cpu"));
  REQUIRE(r);
  CHECK(r->some.avg10 == Approx(1.53));
  CHECK(r->some.avg60 == Approx(0.87));
  CHECK(r->some.avg300 == Approx(0.31));
  CHECK(r->some.total_microseconds == 48151623);
  CHECK_FALSE(r->full.has_value());
}

TEST_CASE("parse_proc_pressure: a fully stalled io device", "[collectors][proc_pressure]") {
  // avg values are percentages printed "%lu.%02lu"; 100.00 is the ceiling.
  const auto r = parse_proc_pressure(
      "some avg10=100.00 avg60=99.87 avg300=72.10 total=18446744073709551615\n"
      "full avg10=98.50 avg60=97.00 avg300=70.01 total=123456789012\n");
  REQUIRE(r);
  CHECK(r->some.avg10 == Approx(100.0));
  CHECK(r->some.total_microseconds == 18446744073709551615ull);
  REQUIRE(r->full.has_value());
  CHECK(r->full->avg10 == Approx(98.5));
  CHECK(r->full->total_microseconds == 123456789012ull);
}

TEST_CASE("parse_proc_pressure: keys in any order, unknown keys ignored", "[collectors][proc_pressure]") {
  // A future kernel may add keys; their value need not even be a number.
  const auto r = parse_proc_pressure(
      "some total=42 avg300=0.03 avg60=0.02 avg10=0.01 peak=n/a\n"
      "\n"
      "full avg10=0.00 avg60=0.00 avg300=0.00 total=7 max_us=-5\n");
  REQUIRE(r);
  CHECK(r->some.avg10 == Approx(0.01));
  CHECK(r->some.avg60 == Approx(0.02));
  CHECK(r->some.avg300 == Approx(0.03));
  CHECK(r->some.total_microseconds == 42);
  REQUIRE(r->full.has_value());
  CHECK(r->full->total_microseconds == 7);
}

TEST_CASE("parse_proc_pressure: full-only irq file is not the some/full format", "[collectors][proc_pressure]") {
  // /proc/pressure/irq (6.1+, CONFIG_IRQ_TIME_ACCOUNTING) prints only a "full" line
  // (psi_show(): only_full = res == PSI_IRQ). The contract covers cpu/memory/io, where
  // "some" is always present, so this is reported, not invented as zero.
  const auto r = parse_proc_pressure("full avg10=0.00 avg60=0.00 avg300=0.00 total=1234\n");
  REQUIRE_FALSE(r);
  CHECK(r.error().code == Errc::missing_field);
}

TEST_CASE("parse_proc_pressure: bad input gives an error, never a crash", "[collectors][proc_pressure]") {
  const std::string full_line = "full avg10=0.00 avg60=0.00 avg300=0.00 total=0\n";
  const auto [name, input, code] = GENERATE_REF(table<const char*, std::string, Errc>({
      {"empty", "", Errc::empty},
      {"whitespace only", "\n  \n", Errc::empty},
      {"no some line", full_line, Errc::missing_field},
      {"unknown line kind", "most avg10=0.00 avg60=0.00 avg300=0.00 total=0\n", Errc::malformed},
      {"kind only", "some\n" + full_line, Errc::malformed},
      {"missing avg300", "some avg10=0.00 avg60=0.00 total=0\n", Errc::malformed},
      {"missing total", "some avg10=0.00 avg60=0.00 avg300=0.00\n", Errc::malformed},
      {"cut mid-key", "some avg10=0.00 avg60=0.17 av", Errc::malformed},
      {"bare extra column", "some avg10=0.00 avg60=0.00 avg300=0.00 total=0 7\n", Errc::malformed},
      {"key without value", "some avg10= avg60=0.00 avg300=0.00 total=0\n", Errc::malformed},
      {"non-numeric avg", "some avg10=low avg60=0.00 avg300=0.00 total=0\n", Errc::malformed},
      {"negative avg", "some avg10=-0.50 avg60=0.00 avg300=0.00 total=0\n", Errc::malformed},
      {"nan avg", "some avg10=nan avg60=0.00 avg300=0.00 total=0\n", Errc::malformed},
      {"fractional total", "some avg10=0.00 avg60=0.00 avg300=0.00 total=1.5\n", Errc::malformed},
      {"negative total", "some avg10=0.00 avg60=0.00 avg300=0.00 total=-1\n", Errc::malformed},
      {"total overflows u64", "some avg10=0.00 avg60=0.00 avg300=0.00 total=18446744073709551616\n",
       Errc::malformed},
      {"bad full line", "some avg10=0.00 avg60=0.00 avg300=0.00 total=0\nfull avg10=x\n", Errc::malformed},
      {"binary garbage", std::string("\x01\x02\xff\x00some=\x80"sv), Errc::malformed},
  }));
  INFO(name);
  const auto r = parse_proc_pressure(input);
  REQUIRE_FALSE(r);
  CHECK(r.error().code == code);
  CHECK_FALSE(r.error().detail.empty());
}

TEST_CASE("parse_proc_pressure: every prefix of the real file is handled", "[collectors][proc_pressure]") {
  const auto full = read_fixture("debian12-6.18-x86_64/proc/pressure/io");
  const auto some_end = full.find('\n');
  const auto some_total = full.find("total=");
  const auto full_total = full.find("total=", some_end);
  REQUIRE(some_end != std::string::npos);
  REQUIRE(some_total < some_end);
  REQUIRE(full_total != std::string::npos);
  for (std::size_t n = 0; n < full.size(); ++n) {
    INFO("prefix length " << n);
    const auto r = parse_proc_pressure(std::string_view(full).substr(0, n));
    if (n <= some_total + 6 || (n > some_end + 1 && n <= full_total + 6)) {
      // A line has not reached the digits of its total: that line is malformed.
      REQUIRE_FALSE(r);
      CHECK(r.error().code == (n == 0 ? Errc::empty : Errc::malformed));
    } else {
      // Only a total is cut (it still reads as a number) or the full line is not there yet.
      REQUIRE(r);
      CHECK(r->some.avg300 == Approx(0.41));
      CHECK(r->full.has_value() == (n > some_end + 1));
    }
  }
}
