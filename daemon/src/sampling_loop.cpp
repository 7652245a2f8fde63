#include "sampling_loop.hpp"

#include <algorithm>

#include "hyperion/daemon/clock.hpp"

namespace hyperion::daemon {

using collectors::Family;
using collectors::kFamilyCount;

SamplingLoop::SamplingLoop(std::unique_ptr<collectors::Source> source, const std::string& host, bool local,
                           const collectors::CollectorSettings& settings, const Intervals& intervals, Logger& log,
                           Publish publish)
    : publish_(std::move(publish)),
      source_(std::move(source)),
      collector_(*source_, host, settings),
      intervals_(intervals),
      log_(log),
      local_(local) {}

SamplingLoop::~SamplingLoop() { stop(); }

void SamplingLoop::start() {
  thread_ = std::jthread([this](std::stop_token stop) { run(stop); });
}

void SamplingLoop::stop() {
  thread_.request_stop();
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void SamplingLoop::set_intervals(const Intervals& intervals) {
  {
    std::lock_guard lock(mutex_);
    intervals_ = intervals;
  }
  cv_.notify_all();
}

std::vector<web::CollectionStats> SamplingLoop::stats() const {
  std::lock_guard lock(mutex_);
  return stats_;
}

SamplingLoop::Clock::time_point SamplingLoop::heartbeat() const {
  std::lock_guard lock(mutex_);
  return heartbeat_;
}

void SamplingLoop::run(std::stop_token stop) {
  std::array<Clock::time_point, kFamilyCount> due;
  due.fill(Clock::now());
  {
    std::lock_guard lock(mutex_);
    stats_.clear();
    for (std::size_t i = 0; i < kFamilyCount; ++i) {
      stats_.push_back({collectors::to_string(static_cast<Family>(i)), 0, 0, 0});
    }
  }
  while (!stop.stop_requested()) {
    const auto now = Clock::now();
    Intervals intervals;
    {
      std::lock_guard lock(mutex_);
      intervals = intervals_;
    }
    collectors::FamilySet families;
    for (std::size_t i = 0; i < kFamilyCount; ++i) {
      if (due[i] > now) continue;
      families.set(i);
      const auto interval = intervals.of(static_cast<Family>(i));
      due[i] += interval;
      if (due[i] <= now) due[i] = now + interval;  // fell behind (suspend, slow tick): do not burst
    }
    if (families.any()) {
      const auto snapshot = collector_.collect(families, monotonic_seconds(), wall_ms());
      publish_(snapshot);
      account(families, *snapshot);
    }
    std::unique_lock lock(mutex_);
    heartbeat_ = Clock::now();
    const auto next = *std::min_element(due.begin(), due.end());
    cv_.wait_until(lock, stop, next, [] { return false; });
  }
}

// Counts runs and errors per family; logs an error once when it appears or changes, and once
// when the family recovers, never every tick.
void SamplingLoop::account(const collectors::FamilySet& families, const collectors::Snapshot& s) {
  std::array<std::string, kFamilyCount> errors;
  for (const auto& e : s.errors) {
    auto& slot = errors[static_cast<std::size_t>(e.family)];
    if (slot.empty()) slot = e.detail;
  }
  std::lock_guard lock(mutex_);
  for (std::size_t i = 0; i < kFamilyCount; ++i) {
    if (!families.test(i)) continue;
    auto& st = stats_[i];
    ++st.runs_total;
    st.last_duration_seconds = collector_.last_duration_seconds(static_cast<Family>(i));
    if (!errors[i].empty()) {
      ++st.errors_total;
      if (errors[i] != last_error_[i]) log_.warn("{}{}: {}", prefix(), st.family, errors[i]);
    } else if (!last_error_[i].empty()) {
      log_.info("{}{}: collecting again", prefix(), st.family);
    }
    last_error_[i] = errors[i];
  }
}

// Log lines of hosts other than this one name the host.
std::string SamplingLoop::prefix() const { return local_ ? std::string() : "host " + collector_.host() + ": "; }

}  // namespace hyperion::daemon
