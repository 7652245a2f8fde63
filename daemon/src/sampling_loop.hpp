#pragma once

// One host's sampling loop: a thread of its own that refreshes each family on its own
// interval through the host's Collector, so a slow read never delays an HTTP response or
// another host, and publishes each new snapshot.

#include <array>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <stop_token>
#include <string>
#include <thread>
#include <vector>

#include "hyperion/collectors/collector.hpp"
#include "hyperion/daemon/config.hpp"
#include "hyperion/daemon/log.hpp"
#include "hyperion/web/self_metrics.hpp"

namespace hyperion::daemon {

class SamplingLoop {
 public:
  using Clock = std::chrono::steady_clock;
  using Publish = std::function<void(const std::shared_ptr<const collectors::Snapshot>&)>;
  // `local`: this machine's loop (its log lines do not name the host).
  SamplingLoop(std::unique_ptr<collectors::Source> source, const std::string& host, bool local,
               const collectors::CollectorSettings& settings, const Intervals& intervals, Logger& log,
               Publish publish);
  ~SamplingLoop();
  SamplingLoop(const SamplingLoop&) = delete;
  SamplingLoop& operator=(const SamplingLoop&) = delete;

  void start();
  void stop();
  void set_intervals(const Intervals& intervals);
  // Runs, errors and the last duration per family (for /metrics).
  std::vector<web::CollectionStats> stats() const;
  // When the loop last finished a round (for the watchdog).
  Clock::time_point heartbeat() const;

 private:
  void run(std::stop_token stop);
  void account(const collectors::FamilySet& families, const collectors::Snapshot& s);
  std::string prefix() const;

  Publish publish_;
  std::unique_ptr<collectors::Source> source_;
  collectors::Collector collector_;
  Intervals intervals_;
  Logger& log_;
  bool local_ = true;
  mutable std::mutex mutex_;
  std::condition_variable_any cv_;
  std::vector<web::CollectionStats> stats_;
  std::array<std::string, collectors::kFamilyCount> last_error_;
  Clock::time_point heartbeat_ = Clock::now();
  std::jthread thread_;
};

}  // namespace hyperion::daemon
