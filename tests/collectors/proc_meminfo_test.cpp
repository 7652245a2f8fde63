#include "hyperion/collectors/proc_meminfo.hpp"

#include <catch2/catch.hpp>

#include <string>
#include <string_view>

#include "fixture.hpp"

using namespace hyperion::collectors;
using hyperion::test::read_fixture;
using namespace std::string_view_literals;

TEST_CASE("parse_proc_meminfo: reads the file of a real machine", "[collectors][proc_meminfo]") {
  const auto r = parse_proc_meminfo(read_fixture("debian12-6.18-x86_64/proc/meminfo"));
  REQUIRE(r);
  CHECK(r->total_bytes == 25'276'514'304u);  // 24684096 kB
  CHECK(r->free_bytes == 25'107'251'200u);   // 24518800 kB
  REQUIRE(r->available_bytes.has_value());
  CHECK(*r->available_bytes == 25'030'381'568u);  // 24443732 kB
  CHECK(r->buffers_bytes == 1'409'024u);          // 1376 kB
  CHECK(r->cached_bytes == 56'467'456u);          // 55144 kB
  REQUIRE(r->shared_bytes.has_value());
  CHECK(*r->shared_bytes == 8'998'912u);  // 8788 kB
  CHECK(r->slab_bytes == 68'878'336u);    // 67264 kB
  REQUIRE(r->slab_reclaimable_bytes.has_value());
  CHECK(*r->slab_reclaimable_bytes == 47'251'456u);  // 46144 kB
  CHECK(r->dirty_bytes == 172'032u);                 // 168 kB
  CHECK(r->writeback_bytes == 0);
  CHECK(r->swap_total_bytes == 0);  // the VM has no swap
  CHECK(r->swap_free_bytes == 0);
  CHECK(r->swap_cached_bytes == 0);
  // HugePages_* are page counts, not kB: no pool configured on this machine.
  CHECK(r->hugepages_total == std::optional<std::uint64_t>(0));
  CHECK(r->hugepages_free == std::optional<std::uint64_t>(0));
  CHECK(r->hugepages_reserved == std::optional<std::uint64_t>(0));
  CHECK(r->hugepages_surplus == std::optional<std::uint64_t>(0));
  CHECK(r->hugepage_size_bytes == std::optional<std::uint64_t>(2'097'152));  // 2048 kB
}

TEST_CASE("MemInfo::used_bytes: matches free(1) on the real machine", "[collectors][proc_meminfo]") {
  const auto r = parse_proc_meminfo(read_fixture("debian12-6.18-x86_64/proc/meminfo"));
  REQUIRE(r);
  // free (procps-ng 3.3.10+): used = MemTotal - MemFree - Buffers - (Cached + SReclaimable)
  //   = 24684096 - 24518800 - 1376 - (55144 + 46144)
  //   = 24684096 - 24518800 - 1376 - 101288
  //   = 62632 kB = 62632 * 1024 = 64135168 bytes
  CHECK(r->used_bytes() == 64'135'168u);
  // MemAvailable is there (3.14+), so no estimate.
  CHECK(r->available_or_estimate() == 25'030'381'568u);
}

TEST_CASE("parse_proc_meminfo: 3.10-era kernel without MemAvailable", "[collectors][proc_meminfo]") {
  const auto r = parse_proc_meminfo(read_fixture("synthetic-nomemavailable/proc/meminfo"));
  REQUIRE(r);
  CHECK(r->total_bytes == 8'202'489'856u);  // 8010244 kB
  CHECK_FALSE(r->available_bytes.has_value());
  REQUIRE(r->shared_bytes.has_value());  // Shmem exists since 2.6.32
  CHECK(*r->shared_bytes == 263'929'856u);  // 257744 kB
  CHECK(r->swap_total_bytes == 4'294'963'200u);  // 4194300 kB
  CHECK(r->swap_free_bytes == 4'288'147'456u);   // 4187644 kB
  CHECK(r->swap_cached_bytes == 1'069'056u);     // 1044 kB
  // used = 8010244 - 1563012 - 212880 - (4821560 + 298416) = 1114376 kB = 1141121024 bytes
  CHECK(r->used_bytes() == 1'141'121'024u);
  // No MemAvailable: free + buffers + cached = 1563012 + 212880 + 4821560 = 6597452 kB
  CHECK(r->available_or_estimate() == 6'755'790'848u);
}

TEST_CASE("parse_proc_meminfo: hugepage pool configured", "[collectors][proc_meminfo]") {
  const auto r = parse_proc_meminfo(read_fixture("synthetic-hugepages/proc/meminfo"));
  REQUIRE(r);
  CHECK(r->hugepages_total == std::optional<std::uint64_t>(512));
  CHECK(r->hugepages_free == std::optional<std::uint64_t>(500));
  CHECK(r->hugepages_reserved == std::optional<std::uint64_t>(8));
  CHECK(r->hugepages_surplus == std::optional<std::uint64_t>(0));
  CHECK(r->hugepage_size_bytes == std::optional<std::uint64_t>(2'097'152));
  // The pool is gone from MemFree: 23470224 kB.
  CHECK(r->free_bytes == 24'033'509'376u);
  // ...so free(1) counts it as used: 24684096 - 23470224 - 1376 - (55144 + 46144) = 1111208 kB
  CHECK(r->used_bytes() == 1'137'876'992u);
}

TEST_CASE("parse_proc_meminfo: pre-2.6.19 kernel without SReclaimable or Shmem", "[collectors][proc_meminfo]") {
  const auto r = parse_proc_meminfo(
      "MemTotal:      1024000 kB\n"
      "MemFree:        200000 kB\n"
      "Buffers:         50000 kB\n"
      "Cached:         300000 kB\n"
      "SwapCached:          0 kB\n"
      "Slab:            40000 kB\n"
      "SwapTotal:     2000000 kB\n"
      "SwapFree:      2000000 kB\n");
  REQUIRE(r);
  CHECK_FALSE(r->slab_reclaimable_bytes.has_value());
  CHECK_FALSE(r->shared_bytes.has_value());
  CHECK_FALSE(r->hugepages_total.has_value());  // kernel without CONFIG_HUGETLBFS
  CHECK(r->slab_bytes == 40'960'000u);
  // No SReclaimable: cache is Cached alone. 1024000 - 200000 - 50000 - 300000 = 474000 kB
  CHECK(r->used_bytes() == 485'376'000u);
  CHECK(r->available_or_estimate() == 563'200'000u);  // 200000 + 50000 + 300000 kB
}

TEST_CASE("MemInfo::used_bytes: lxcfs cache larger than the container falls back like free", "[collectors][proc_meminfo]") {
  // From lxc/lxcfs#84: free + cache exceed MemTotal inside the container, free(1) printed a
  // negative "used" until procps-ng fell back to total - free (proc/sysinfo.c, meminfo()).
  const auto r = parse_proc_meminfo(
      "MemTotal:         998384 kB\n"
      "MemFree:          987608 kB\n"
      "MemAvailable:     987608 kB\n"
      "Buffers:               0 kB\n"
      "Cached:             7480 kB\n"
      "Shmem:             19340 kB\n"
      "Slab:             112108 kB\n"
      "SReclaimable:      65580 kB\n");
  REQUIRE(r);
  // 998384 - 987608 - 0 - (7480 + 65580) < 0, so used = 998384 - 987608 = 10776 kB
  CHECK(r->used_bytes() == 11'034'624u);
  CHECK(r->available_or_estimate() == 1'011'310'592u);  // 987608 kB, <= MemTotal
}

TEST_CASE("MemInfo::available_or_estimate: MemAvailable above MemTotal falls back to MemFree", "[collectors][proc_meminfo]") {
  // The host's MemAvailable shown against a container's MemTotal; free(1) shows MemFree.
  const auto r = parse_proc_meminfo(
      "MemTotal:     1000 kB\nMemFree:       400 kB\nMemAvailable:  5000 kB\nCached:        100 kB\n");
  REQUIRE(r);
  CHECK(r->available_or_estimate() == 409'600u);
  CHECK(r->used_bytes() == 512'000u);  // 1000 - 400 - 0 - 100 = 500 kB
}

TEST_CASE("MemInfo: derived values never wrap around", "[collectors][proc_meminfo]") {
  SECTION("used_bytes with a free count near the top of u64") {
    // 18014398509481983 kB is the largest value that still fits in bytes; adding Buffers
    // to it must saturate, not wrap to a small number that makes the host look busy.
    const auto r = parse_proc_meminfo(
        "MemTotal: 1000 kB\nMemFree: 18014398509481983 kB\nBuffers: 2 kB\n");
    REQUIRE(r);
    CHECK(r->used_bytes() == 0);
    CHECK(r->available_or_estimate() == 1'024'000u);  // clamped to MemTotal
  }
  SECTION("default-constructed") {
    const MemInfo m;
    CHECK(m.used_bytes() == 0);
    CHECK(m.available_or_estimate() == 0);
  }
  SECTION("everything used") {
    MemInfo m;
    m.total_bytes = 4096;
    CHECK(m.used_bytes() == 4096);
    CHECK(m.available_or_estimate() == 0);
  }
}

TEST_CASE("parse_proc_meminfo: a wrapped counter we do not read is tolerated", "[collectors][proc_meminfo]") {
  // A counter that went negative prints as a huge unsigned kB value; it overflows bytes,
  // but Committed_AS is not ours, and MemTotal/MemFree are still good.
  const auto r = parse_proc_meminfo(
      "MemTotal:     1000 kB\nMemFree:       400 kB\nCommitted_AS:   18446744073709099244 kB\n");
  REQUIRE(r);
  CHECK(r->total_bytes == 1'024'000u);
  CHECK(r->free_bytes == 409'600u);
}

TEST_CASE("parse_proc_meminfo: bad input gives an error, never a crash", "[collectors][proc_meminfo]") {
  const std::string head = "MemTotal:       24684096 kB\nMemFree:        24518800 kB\n";
  const auto [name, input, code] = GENERATE_REF(table<const char*, std::string, Errc>({
      {"empty", "", Errc::empty},
      {"whitespace only", "\n\n   \n", Errc::empty},
      {"no MemTotal", "MemFree:        24518800 kB\nBuffers: 1 kB\n", Errc::missing_field},
      {"no MemFree", "MemTotal:       24684096 kB\nBuffers: 1 kB\n", Errc::missing_field},
      {"line without colon", head + "Buffers 1376 kB\n", Errc::malformed},
      {"key without value", head + "Buffers:\n", Errc::truncated},
      {"cut after the colon", "MemTotal:       24684096 kB\nMemFree:     ", Errc::truncated},
      {"wrong unit", head + "Buffers:            1376 MB\n", Errc::malformed},
      {"extra column", head + "Buffers:            1376 kB 7\n", Errc::malformed},
      {"non-numeric", head + "Cached:            5514A kB\n", Errc::malformed},
      {"negative", head + "Cached:              -1 kB\n", Errc::malformed},
      {"fractional", head + "Cached:             1.5 kB\n", Errc::malformed},
      {"overflows u64", head + "Cached:   99999999999999999999 kB\n", Errc::malformed},
      {"overflows bytes", "MemTotal:   18014398509481984 kB\nMemFree: 1 kB\n", Errc::out_of_range},
      {"hugepage count overflows", head + "HugePages_Total: 18446744073709551616\n", Errc::malformed},
      {"binary garbage", std::string("\x01\x02\xff\x00MemTotal\x80"sv), Errc::malformed},
  }));
  INFO(name);
  const auto r = parse_proc_meminfo(input);
  REQUIRE_FALSE(r);
  CHECK(r.error().code == code);
  CHECK_FALSE(r.error().detail.empty());
}

TEST_CASE("parse_proc_meminfo: every prefix of the real file is handled", "[collectors][proc_meminfo]") {
  const auto full = read_fixture("debian12-6.18-x86_64/proc/meminfo");
  const auto free_digits = full.find("MemFree:") + 8;
  const auto free_value = full.find_first_not_of(' ', free_digits);
  REQUIRE(free_value != std::string::npos);
  std::size_t errors = 0, values = 0;
  for (std::size_t n = 0; n < full.size(); ++n) {
    INFO("prefix length " << n);
    const auto r = parse_proc_meminfo(std::string_view(full).substr(0, n));
    if (n <= free_value) {
      // MemFree has no digit yet.
      REQUIRE_FALSE(r);
      CHECK_FALSE(r.error().detail.empty());
    }
    if (r) {
      ++values;
      CHECK(r->total_bytes == 25'276'514'304u);
    } else {
      ++errors;
    }
  }
  // Cuts inside a key ("Buff") or before a value are errors; cuts inside a number are not
  // detectable and parse: both happen many times over a 50-line file.
  CHECK(errors > 50);
  CHECK(values > 50);
}
