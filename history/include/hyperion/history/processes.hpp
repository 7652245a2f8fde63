#pragma once

// Process history: every processes_interval, the top processes by CPU and by memory (N
// each) and the top containers, so that "what was using the CPU at 03:12" has an answer. One
// row per host and time; names, users and command lines are stored once in history_strings
// and referred to by number, so a year of it stays small.

#include <cstdint>
#include <map>
#include <utility>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "hyperion/collectors/snapshot.hpp"
#include "hyperion/storage/database.hpp"

namespace hyperion::history {

struct ProcessEntry {
  std::int32_t pid = 0;
  std::int64_t start_time_unix_ms = 0;
  std::string name, user, command;
  double cpu_percent = 0;
  std::uint64_t rss_bytes = 0;
  std::optional<double> read_bytes_per_second, write_bytes_per_second;
  bool top_cpu = false, top_memory = false;
};

struct ContainerEntry {
  std::string id, name, kind;
  std::optional<double> cpu_percent;
  std::optional<std::uint64_t> memory_bytes;
  std::optional<double> read_bytes_per_second, write_bytes_per_second;
};

struct ProcessFrame {
  std::string host;
  std::int64_t time_ms = 0;
  std::vector<ProcessEntry> processes;
  std::vector<ContainerEntry> containers;
};

// The CPU time each process had used at the previous frame: a process's CPU in a frame is its
// average since then (the whole minute), not only over the last sampling interval, so that a
// burst between two frames is not missed.
struct CpuTicks {
  std::int64_t time_ms = 0;
  std::map<std::pair<std::int32_t, std::int64_t>, std::uint64_t> ticks;  // (pid, start) -> utime + stime
};

// The top `top` processes by CPU and by memory (a process in both lists once), and the top
// containers likewise; command lines cut at `cmdline_bytes`. Processes using no CPU are not
// in the CPU list. `previous` (updated) gives the CPU averages since the previous frame.
ProcessFrame top_processes(const collectors::Snapshot& snapshot, std::uint32_t top, std::uint32_t cmdline_bytes,
                           CpuTicks* previous = nullptr);

class ProcessHistory {
 public:
  // Database thread. Throws StorageError.
  void write(storage::Database& db, const ProcessFrame& frame);
  // Reader thread: the frames of a host from..to (newest last), at most `limit`.
  std::vector<ProcessFrame> query(storage::Database& reader, const std::string& host, std::int64_t from_ms,
                                  std::int64_t to_ms, std::size_t limit) const;
  // The frame nearest to `at_ms` within `window_ms`, if any.
  std::optional<ProcessFrame> at(storage::Database& reader, const std::string& host, std::int64_t at_ms,
                                 std::int64_t window_ms) const;

 private:
  std::int64_t string_id(storage::Database& db, const std::string& text);
  std::unordered_map<std::string, std::int64_t> ids_;  // database thread only
};

}  // namespace hyperion::history
