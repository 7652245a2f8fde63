#pragma once

// /proc/diskstats: per block device I/O counters.
// https://docs.kernel.org/admin-guide/iostats.html
// 14 columns before 4.18, 18 with discard stats (4.18+), 20 with flush stats (5.5+).
// Sectors are always 512 bytes here, whatever the device's sector size.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "hyperion/collectors/result.hpp"

namespace hyperion::collectors {

inline constexpr std::uint64_t kDiskstatsSectorBytes = 512;

struct DiskCounters {
  std::uint64_t reads_completed = 0;
  std::uint64_t reads_merged = 0;
  std::uint64_t sectors_read = 0;
  std::uint64_t read_time_ms = 0;
  std::uint64_t writes_completed = 0;
  std::uint64_t writes_merged = 0;
  std::uint64_t sectors_written = 0;
  std::uint64_t write_time_ms = 0;
  std::uint64_t ios_in_progress = 0;  // a gauge, not a counter
  std::uint64_t io_time_ms = 0;       // time the device had I/O in flight (utilisation)
  std::uint64_t weighted_io_time_ms = 0;
  std::optional<std::uint64_t> discards_completed;  // 4.18+
  std::optional<std::uint64_t> discards_merged;
  std::optional<std::uint64_t> sectors_discarded;
  std::optional<std::uint64_t> discard_time_ms;
  std::optional<std::uint64_t> flushes_completed;   // 5.5+
  std::optional<std::uint64_t> flush_time_ms;
};

struct DiskStat {
  std::uint32_t major = 0;
  std::uint32_t minor = 0;
  std::string name;
  DiskCounters counters;
};

// A line with fewer than 14 columns or a non-numeric value fails the whole parse.
Result<std::vector<DiskStat>> parse_proc_diskstats(std::string_view text);

// Devices that are never worth showing by default: ram*, zram is kept (it is swap),
// loop* and other virtual devices only when they have done no I/O at all.
// Documented in docs/ARCHITECTURE.md ("Which disks and filesystems are shown").
bool is_idle_virtual_disk(const DiskStat& d) noexcept;

}  // namespace hyperion::collectors
