#pragma once

// The history's settings ([history] of the configuration file); the daemon's settings table
// points into this struct. The member initialisers are the built-in defaults.

#include <chrono>
#include <cstdint>

namespace hyperion::history {

struct HistorySettings {
  bool enabled = true;
  // How often the samples taken since the last write are committed (one transaction). What a
  // SIGKILL or a power cut can lose is at most this much.
  std::chrono::milliseconds batch_interval{5'000};
  // Raw chunks are sealed (written whole, compressed) at these wall-clock boundaries; between
  // two, the samples live in memory and in the journal.
  std::chrono::milliseconds chunk_span{30 * 60'000};
  std::chrono::milliseconds raw_retention{7LL * 24 * 3600'000};
  std::chrono::milliseconds minute_retention{90LL * 24 * 3600'000};
  std::chrono::milliseconds hour_retention{730LL * 24 * 3600'000};
  // The whole database file at most; over it the oldest raw chunks go first, then the oldest
  // minutes, process lists and hours.
  std::uint64_t max_bytes = std::uint64_t{1} << 30;
  // Series kept at most (a host with thousands of containers must not exhaust memory).
  std::uint32_t max_series = 20'000;
  // Process history: the top processes and containers by CPU and by memory, this often.
  std::chrono::milliseconds processes_interval{60'000};
  std::uint32_t processes_top = 10;
  std::uint32_t processes_cmdline_bytes = 256;
  std::chrono::milliseconds processes_retention{365LL * 24 * 3600'000};
  // Queries: points per series and series per query at most.
  std::uint32_t max_points = 5'000;
  std::uint32_t max_query_series = 200;

  bool operator==(const HistorySettings&) const = default;
};

}  // namespace hyperion::history
