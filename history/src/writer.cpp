#include "hyperion/history/writer.hpp"

#include <atomic>

namespace hyperion::history {

using collectors::Family;

HistoryWriter::HistoryWriter(HistoryStore& store, ProcessHistory& processes, storage::Executor& executor,
                             storage::Database& db)
    : store_(store), processes_(processes), executor_(executor), db_(db) {}

void HistoryWriter::consume(const collectors::SnapshotPtr& snapshot) {
  const auto& s = *snapshot;
  // A family was refreshed by this tick when its part is not the one of the previous snapshot.
  collectors::FamilySet families;
  const auto it = previous_.find(s.host);
  const collectors::Snapshot* prev = it != previous_.end() ? it->second.get() : nullptr;
  const auto changed = [&](Family f, const void* now, const void* before) {
    if (now && (!prev || now != before)) families.set(static_cast<std::size_t>(f));
  };
  changed(Family::host, s.host_info.get(), prev ? prev->host_info.get() : nullptr);
  changed(Family::system, s.system.get(), prev ? prev->system.get() : nullptr);
  changed(Family::cpu, s.cpu.get(), prev ? prev->cpu.get() : nullptr);
  changed(Family::memory, s.memory.get(), prev ? prev->memory.get() : nullptr);
  changed(Family::processes, s.processes.get(), prev ? prev->processes.get() : nullptr);
  changed(Family::network, s.network.get(), prev ? prev->network.get() : nullptr);
  changed(Family::sockets, s.sockets.get(), prev ? prev->sockets.get() : nullptr);
  changed(Family::disks, s.disks.get(), prev ? prev->disks.get() : nullptr);
  changed(Family::filesystems, s.filesystems.get(), prev ? prev->filesystems.get() : nullptr);
  changed(Family::sensors, s.sensors.get(), prev ? prev->sensors.get() : nullptr);
  changed(Family::containers, s.containers.get(), prev ? prev->containers.get() : nullptr);
  if (it != previous_.end()) {
    it->second = snapshot;
  } else {
    previous_.emplace(s.host, snapshot);
  }
  if (families.none()) return;
  store_.add(s, families);

  // The process list, every processes_interval (on a tick that refreshed it).
  if (!families.test(static_cast<std::size_t>(Family::processes))) return;
  const auto& settings = store_.settings();
  auto& next = next_processes_ms_[s.host];
  auto& ticks = ticks_[s.host];
  if (ticks.time_ms == 0) {  // the first list: only the starting point of the CPU averages
    top_processes(s, 0, 0, &ticks);
    next = s.timestamp_ms + settings.processes_interval.count();
    return;
  }
  if (s.timestamp_ms < next && s.timestamp_ms >= ticks.time_ms) return;
  next = s.timestamp_ms + settings.processes_interval.count();
  auto frame = std::make_shared<ProcessFrame>(
      top_processes(s, settings.processes_top, settings.processes_cmdline_bytes, &ticks));
  executor_.post([this, frame] {
    try {
      processes_.write(db_, *frame);
    } catch (const std::exception& e) {
      store_.record_outcome(false, "writing the process list", &e);
      return;
    }
    std::lock_guard lock(mutex_);
    ++process_frames_;
  });
}

void HistoryWriter::tick(std::int64_t now_ms) {
  const auto& settings = store_.settings();
  if (next_seal_ms_ == 0) {
    next_seal_ms_ = store_.next_seal_ms(now_ms);
    next_batch_ms_ = now_ms + settings.batch_interval.count();
    next_maintain_ms_ = now_ms;
  }
  if (now_ms >= next_seal_ms_ || now_ms < next_seal_ms_ - 2 * settings.chunk_span.count()) {
    next_seal_ms_ = store_.next_seal_ms(now_ms);
    next_batch_ms_ = now_ms + settings.batch_interval.count();
    executor_.post([this, now_ms] { store_.seal(db_, now_ms); });
  } else if (now_ms >= next_batch_ms_ || now_ms < next_batch_ms_ - 2 * settings.batch_interval.count()) {
    next_batch_ms_ = now_ms + settings.batch_interval.count();
    executor_.post([this] { store_.write_journal(db_); });
  }
  // Retention: a step a second while there is work, else a look once a minute.
  if (now_ms >= next_maintain_ms_ && !maintaining_->exchange(true)) {
    executor_.post([this, now_ms, flag = maintaining_] {
      const bool more = store_.maintain(db_, now_ms);
      next_maintain_ms_ = now_ms + (more ? 1'000 : 60'000);
      flag->store(false);
    });
  }
}

void HistoryWriter::flush() {
  executor_.post([this] { store_.write_journal(db_); });
}

std::uint64_t HistoryWriter::process_frames() const {
  std::lock_guard lock(mutex_);
  return process_frames_;
}

}  // namespace hyperion::history
