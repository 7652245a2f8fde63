#include "hyperion/collectors/proc_diskstats.hpp"

#include <array>

#include <fmt/format.h>

#include "hyperion/collectors/text.hpp"

namespace hyperion::collectors {
namespace {

using text::next_line;
using text::next_token;

// "major minor name" followed by 11 counters (every kernel since 2.6.25), 15 (4.18 added
// four discard fields) or 17 (5.5 added two flush fields).
// https://docs.kernel.org/admin-guide/iostats.html
constexpr std::size_t kBaseCounters = 11;
constexpr std::size_t kDiscardCounters = 15;
constexpr std::size_t kFlushCounters = 17;

// The kernel documents new columns as appended at the end, so a future kernel printing more
// than 17 counters is read like 5.5+ and the extra columns are ignored. A count between the
// known widths (12-14, 16) is a line cut short and fails.
// Before 2.6.25 partitions printed only 4 counters; such kernels are not supported.
Result<DiskStat> parse_line(std::string_view line) {
  DiskStat d;
  std::string_view token;
  if (!next_token(line, token)) return Error{Errc::truncated, "blank line"};
  const auto major = text::to_u32(token);
  if (!major) return Error{Errc::malformed, "bad major number"};
  if (!next_token(line, token)) return Error{Errc::truncated, "no minor number"};
  const auto minor = text::to_u32(token);
  if (!minor) return Error{Errc::malformed, "bad minor number"};
  if (!next_token(line, token)) return Error{Errc::truncated, "no device name"};
  d.major = *major;
  d.minor = *minor;
  d.name = std::string(token);

  std::array<std::uint64_t, kFlushCounters> v{};
  std::size_t n = 0;
  while (next_token(line, token)) {
    const auto value = text::to_u64(token);
    if (!value) {
      return Error{Errc::malformed, fmt::format("{}: bad counter in column {}", d.name, n + 4)};
    }
    if (n < v.size()) v[n] = *value;
    ++n;
  }
  if (n != kBaseCounters && n != kDiscardCounters && n < kFlushCounters) {
    return Error{Errc::truncated,
                 fmt::format("{}: {} columns, expected 14, 18 or 20", d.name, n + 3)};
  }

  auto& c = d.counters;
  c.reads_completed = v[0];
  c.reads_merged = v[1];
  c.sectors_read = v[2];
  c.read_time_ms = v[3];
  c.writes_completed = v[4];
  c.writes_merged = v[5];
  c.sectors_written = v[6];
  c.write_time_ms = v[7];
  c.ios_in_progress = v[8];
  c.io_time_ms = v[9];
  c.weighted_io_time_ms = v[10];
  if (n >= kDiscardCounters) {
    c.discards_completed = v[11];
    c.discards_merged = v[12];
    c.sectors_discarded = v[13];
    c.discard_time_ms = v[14];
  }
  if (n >= kFlushCounters) {
    c.flushes_completed = v[15];
    c.flush_time_ms = v[16];
  }
  return d;
}

bool all_zero(const DiskCounters& c) noexcept {
  const auto zero = [](const std::optional<std::uint64_t>& o) { return !o || *o == 0; };
  return c.reads_completed == 0 && c.reads_merged == 0 && c.sectors_read == 0 &&
         c.read_time_ms == 0 && c.writes_completed == 0 && c.writes_merged == 0 &&
         c.sectors_written == 0 && c.write_time_ms == 0 && c.ios_in_progress == 0 &&
         c.io_time_ms == 0 && c.weighted_io_time_ms == 0 && zero(c.discards_completed) &&
         zero(c.discards_merged) && zero(c.sectors_discarded) && zero(c.discard_time_ms) &&
         zero(c.flushes_completed) && zero(c.flush_time_ms);
}

}  // namespace

// An empty file is a valid answer, not an error: a kernel with no block device at all
// (a microVM booted from an initramfs without drives) prints nothing.
Result<std::vector<DiskStat>> parse_proc_diskstats(std::string_view text) {
  std::vector<DiskStat> out;
  std::string_view rest = text, line;
  std::size_t line_no = 0;
  while (next_line(rest, line)) {
    ++line_no;
    if (text::trim(line).empty()) continue;
    auto d = parse_line(line);
    if (!d) return Error{d.error().code, fmt::format("line {}: {}", line_no, d.error().detail)};
    out.push_back(std::move(d).value());
  }
  return out;
}

// Hidden by default, and only while they have never done any I/O:
//   ram*  - brd RAM disks (CONFIG_BLK_DEV_RAM creates ram0..ram15 whether used or not),
//   loop* - loop devices (the driver pre-creates loop0..loop7, CONFIG_BLK_DEV_LOOP_MIN_COUNT;
//           mounted snaps keep some busy),
//   zram* - compressed RAM swap: an unconfigured zram0 is noise, one in use as swap is shown,
//   nbd*  - network block devices (the module creates nbd0..nbd15 unconnected).
// Device-mapper (dm-*) and md RAID (md*) are real storage and always shown.
// Documented in docs/ARCHITECTURE.md ("Which disks and filesystems are shown").
bool is_idle_virtual_disk(const DiskStat& d) noexcept {
  const std::string_view name = d.name;
  const bool virtual_kind = name.starts_with("ram") || name.starts_with("loop") ||
                            name.starts_with("zram") || name.starts_with("nbd");
  return virtual_kind && all_zero(d.counters);
}

}  // namespace hyperion::collectors
