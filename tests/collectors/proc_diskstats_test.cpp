#include "hyperion/collectors/proc_diskstats.hpp"

#include <catch2/catch.hpp>

#include "fixture.hpp"

using namespace hyperion::collectors;
using hyperion::test::read_fixture;

namespace {

const DiskStat* find(const std::vector<DiskStat>& disks, std::string_view name) {
  for (const auto& d : disks) {
    if (d.name == name) return &d;
  }
  return nullptr;
}

}  // namespace

TEST_CASE("parse_proc_diskstats: reads a real 6.18 file with flush columns",
          "[collectors][proc_diskstats]") {
  const auto r = parse_proc_diskstats(read_fixture("debian12-6.18-x86_64/proc/diskstats"));
  REQUIRE(r);
  REQUIRE(r->size() == 10);  // loop0..loop7, vda, zram0
  CHECK((*r)[0].name == "loop0");
  CHECK((*r)[0].major == 7);
  CHECK((*r)[7].name == "loop7");
  CHECK((*r)[7].minor == 7);

  const auto* vda = find(*r, "vda");
  REQUIRE(vda != nullptr);
  CHECK(vda->major == 254);
  CHECK(vda->minor == 0);
  const auto& c = vda->counters;
  CHECK(c.reads_completed > 0);
  CHECK(c.sectors_read > 0);
  CHECK(c.writes_completed > 0);
  CHECK(c.io_time_ms > 0);
  // Merges are counted separately from completions and cannot exceed sectors.
  CHECK(c.sectors_read >= c.reads_completed);
  // 6.18 prints all 20 columns.
  REQUIRE(c.discards_completed.has_value());
  REQUIRE(c.flushes_completed.has_value());
  CHECK(c.flush_time_ms.has_value());
  CHECK(*c.sectors_discarded >= *c.discards_completed);

  const auto* zram = find(*r, "zram0");
  REQUIRE(zram != nullptr);
  CHECK(zram->major == 253);
  CHECK(is_idle_virtual_disk(*zram));  // configured nowhere on this VM: no I/O at all
  CHECK_FALSE(is_idle_virtual_disk(*vda));
  CHECK(is_idle_virtual_disk((*r)[0]));
}

TEST_CASE("parse_proc_diskstats: 4.14 kernel with 14 columns", "[collectors][proc_diskstats]") {
  const auto r = parse_proc_diskstats(read_fixture("synthetic-kernel4.14/proc/diskstats"));
  REQUIRE(r);
  REQUIRE(r->size() == 8);
  const auto* dm = find(*r, "dm-0");
  REQUIRE(dm != nullptr);
  CHECK(dm->major == 253);
  CHECK(dm->counters.reads_completed == 221012);
  CHECK(dm->counters.sectors_written == 21440632);
  CHECK(dm->counters.write_time_ms == 5402312);
  CHECK(dm->counters.ios_in_progress == 3);
  CHECK(dm->counters.weighted_io_time_ms == 5532760);
  CHECK_FALSE(dm->counters.discards_completed.has_value());
  CHECK_FALSE(dm->counters.flushes_completed.has_value());
  const auto* md = find(*r, "md127");
  REQUIRE(md != nullptr);
  CHECK(md->minor == 127);
  CHECK(md->counters.sectors_read * kDiskstatsSectorBytes == 8000u * 512u);
}

TEST_CASE("parse_proc_diskstats: 5.4 kernel with 18 columns (discard, no flush)",
          "[collectors][proc_diskstats]") {
  const auto r = parse_proc_diskstats(read_fixture("synthetic-kernel5.4/proc/diskstats"));
  REQUIRE(r);
  REQUIRE(r->size() == 5);
  const auto* nvme = find(*r, "nvme0n1");
  REQUIRE(nvme != nullptr);
  CHECK(nvme->major == 259);
  CHECK(nvme->counters.reads_completed == 905123);
  CHECK(nvme->counters.io_time_ms == 1124880);
  REQUIRE(nvme->counters.discards_completed.has_value());
  CHECK(*nvme->counters.discards_completed == 3121);
  CHECK(*nvme->counters.discards_merged == 0);
  CHECK(*nvme->counters.sectors_discarded == 81234560);
  CHECK(*nvme->counters.discard_time_ms == 412);
  CHECK_FALSE(nvme->counters.flushes_completed.has_value());
  CHECK_FALSE(nvme->counters.flush_time_ms.has_value());
}

TEST_CASE("parse_proc_diskstats: reads every counter of a 20-column line in order",
          "[collectors][proc_diskstats]") {
  const auto r = parse_proc_diskstats(
      " 259       0 nvme0n1 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17\n");
  REQUIRE(r);
  REQUIRE(r->size() == 1);
  const auto& c = (*r)[0].counters;
  CHECK(c.reads_completed == 1);
  CHECK(c.reads_merged == 2);
  CHECK(c.sectors_read == 3);
  CHECK(c.read_time_ms == 4);
  CHECK(c.writes_completed == 5);
  CHECK(c.writes_merged == 6);
  CHECK(c.sectors_written == 7);
  CHECK(c.write_time_ms == 8);
  CHECK(c.ios_in_progress == 9);
  CHECK(c.io_time_ms == 10);
  CHECK(c.weighted_io_time_ms == 11);
  CHECK(c.discards_completed == 12u);
  CHECK(c.discards_merged == 13u);
  CHECK(c.sectors_discarded == 14u);
  CHECK(c.discard_time_ms == 15u);
  CHECK(c.flushes_completed == 16u);
  CHECK(c.flush_time_ms == 17u);
}

TEST_CASE("parse_proc_diskstats: columns a future kernel appends are ignored",
          "[collectors][proc_diskstats]") {
  // iostats.rst: new fields are only ever added at the end.
  const auto r = parse_proc_diskstats(
      "   8       0 sda 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19\n");
  REQUIRE(r);
  REQUIRE(r->size() == 1);
  CHECK((*r)[0].counters.flush_time_ms == 17u);
}

TEST_CASE("parse_proc_diskstats: counters near 2^64 are kept exactly",
          "[collectors][proc_diskstats]") {
  // The kernel prints unsigned long; on 64-bit these wrap at 2^64 and rates must see it.
  const auto r = parse_proc_diskstats(
      "   8       0 sda 18446744073709551615 0 0 0 0 0 0 0 0 0 0\n");
  REQUIRE(r);
  CHECK((*r)[0].counters.reads_completed == 18446744073709551615u);
}

TEST_CASE("parse_proc_diskstats: empty file means no block devices",
          "[collectors][proc_diskstats]") {
  const auto empty = parse_proc_diskstats("");
  REQUIRE(empty);
  CHECK(empty->empty());
  const auto blank = parse_proc_diskstats("\n \n");
  REQUIRE(blank);
  CHECK(blank->empty());
}

TEST_CASE("parse_proc_diskstats: bad input gives an error, never a crash",
          "[collectors][proc_diskstats]") {
  const std::string good = "   8       0 sda 1 2 3 4 5 6 7 8 9 10 11\n";
  const auto [name, input, code] = GENERATE_REF(table<const char*, std::string, Errc>({
      {"only major", "   8\n", Errc::truncated},
      {"no name", "   8       0\n", Errc::truncated},
      {"name but no counters", "   8       0 sda\n", Errc::truncated},
      {"short line (10 counters)", "   8       0 sda 1 2 3 4 5 6 7 8 9 10\n", Errc::truncated},
      {"between widths (16 columns)", "   8       0 sda 1 2 3 4 5 6 7 8 9 10 11 12 13\n",
       Errc::truncated},
      {"between widths (19 columns)",
       "   8       0 sda 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16\n", Errc::truncated},
      {"truncated after a good line", good + "   8       1 sda1 1 2 3", Errc::truncated},
      {"non-numeric counter", "   8       0 sda 1 2 x 4 5 6 7 8 9 10 11\n", Errc::malformed},
      {"negative counter", "   8       0 sda 1 2 -3 4 5 6 7 8 9 10 11\n", Errc::malformed},
      {"overflow", "   8       0 sda 1 2 18446744073709551616 4 5 6 7 8 9 10 11\n",
       Errc::malformed},
      {"bad major", "   a       0 sda 1 2 3 4 5 6 7 8 9 10 11\n", Errc::malformed},
      {"major overflows u32", "4294967296 0 sda 1 2 3 4 5 6 7 8 9 10 11\n", Errc::malformed},
      {"bad minor", "   8      -1 sda 1 2 3 4 5 6 7 8 9 10 11\n", Errc::malformed},
      {"header line", "major minor name rio rmerge rsect ruse wio wmerge wsect wuse running use aveq\n",
       Errc::malformed},
      {"binary garbage", std::string("\x01\x02\xff\x00\x7f", 5), Errc::malformed},
  }));
  INFO(name);
  const auto r = parse_proc_diskstats(input);
  REQUIRE_FALSE(r);
  CHECK(r.error().code == code);
  CHECK_FALSE(r.error().detail.empty());
}

TEST_CASE("is_idle_virtual_disk: hides only unused virtual devices",
          "[collectors][proc_diskstats]") {
  DiskStat d;
  const auto idle = [&](std::string name, bool with_io) {
    d = DiskStat{};
    d.name = std::move(name);
    if (with_io) d.counters.reads_completed = 1;
    return is_idle_virtual_disk(d);
  };
  CHECK(idle("loop0", false));
  CHECK(idle("ram15", false));
  CHECK(idle("zram0", false));
  CHECK(idle("nbd3", false));
  CHECK_FALSE(idle("loop3", true));  // a mounted snap
  CHECK_FALSE(idle("zram0", true));  // zram in use as swap
  CHECK_FALSE(idle("ram0", true));
  // Real storage is shown even when idle.
  CHECK_FALSE(idle("sda", false));
  CHECK_FALSE(idle("nvme0n1", false));
  CHECK_FALSE(idle("dm-0", false));
  CHECK_FALSE(idle("md127", false));
  CHECK_FALSE(idle("sr0", false));

  // Any single non-zero field counts as I/O, including the 4.18+/5.5+ ones and the gauge.
  d = DiskStat{};
  d.name = "loop1";
  d.counters.discards_completed = 0;
  d.counters.flushes_completed = 0;
  CHECK(is_idle_virtual_disk(d));
  d.counters.flushes_completed = 2;
  CHECK_FALSE(is_idle_virtual_disk(d));
  d.counters.flushes_completed = 0;
  d.counters.ios_in_progress = 1;
  CHECK_FALSE(is_idle_virtual_disk(d));
  d.counters.ios_in_progress = 0;
  d.counters.sectors_discarded = 8;
  CHECK_FALSE(is_idle_virtual_disk(d));
}
