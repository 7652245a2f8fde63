#pragma once

// The history writer: a sink on the bus. consume() (the sink's thread) adds each snapshot's
// refreshed families to the store in memory, and every processes_interval a host's top
// processes; tick() (once a second, from the daemon's upkeep) posts the database work to
// storage's executor: the journal every batch_interval, a seal at each chunk_span boundary,
// and a step of retention while there is some to do.

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "hyperion/collectors/bus.hpp"
#include "hyperion/history/processes.hpp"
#include "hyperion/history/store.hpp"
#include "hyperion/storage/executor.hpp"

namespace hyperion::history {

class HistoryWriter : public collectors::SnapshotSink {
 public:
  // `executor` runs jobs on the thread that owns `db`.
  HistoryWriter(HistoryStore& store, ProcessHistory& processes, storage::Executor& executor, storage::Database& db);

  std::string_view sink_name() const noexcept override { return "history"; }
  void consume(const collectors::SnapshotPtr& snapshot) override;

  // Once a second (any one thread).
  void tick(std::int64_t now_ms);
  // Posts the last journal write (at stop, before the executor's).
  void flush();

  std::uint64_t process_frames() const;

 private:
  HistoryStore& store_;
  ProcessHistory& processes_;
  storage::Executor& executor_;
  storage::Database& db_;
  // Sink thread only.
  std::map<std::string, collectors::SnapshotPtr, std::less<>> previous_;
  std::map<std::string, CpuTicks, std::less<>> ticks_;
  std::map<std::string, std::int64_t, std::less<>> next_processes_ms_;
  // tick() only.
  std::int64_t next_batch_ms_ = 0;
  std::int64_t next_seal_ms_ = 0;
  std::atomic<std::int64_t> next_maintain_ms_{0};
  std::shared_ptr<std::atomic<bool>> maintaining_ = std::make_shared<std::atomic<bool>>(false);
  mutable std::mutex mutex_;
  std::uint64_t process_frames_ = 0;
};

}  // namespace hyperion::history
