// Prints /metrics for the live machine: collects every family twice, 200 ms apart (so rates
// and process CPU exist), and writes render_metrics to stdout. promtool_check.sh pipes it
// into `promtool check metrics`. No HTTP server runs here, so the request counters are a
// fixed placeholder that makes every hyperion_http_* family appear.

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <string>
#include <thread>

#include "hyperion/collectors/collector.hpp"
#include "hyperion/collectors/local_source.hpp"
#include "hyperion/web/metrics.hpp"

namespace {

using namespace hyperion;

double monotonic_seconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

std::int64_t wall_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

int main() {
  const double started = static_cast<double>(wall_ms()) / 1000.0;
  collectors::LocalSource source(collectors::SourcePaths{});
  collectors::Collector collector(source, "local");
  web::SelfMetrics self;
  self.version = "metrics_dump";
  self.start_time_seconds = started;

  std::shared_ptr<const collectors::Snapshot> snapshot;
  for (int round = 0; round < 2; ++round) {
    if (round > 0) std::this_thread::sleep_for(std::chrono::milliseconds(200));
    // One family at a time, so each gets its own duration, as the daemon's sampler reports it.
    for (std::size_t f = 0; f < collectors::kFamilyCount; ++f) {
      const auto family = static_cast<collectors::Family>(f);
      const double t0 = monotonic_seconds();
      snapshot = collector.collect(collectors::families_of({family}), t0, wall_ms());
      const double t1 = monotonic_seconds();
      if (round == 0) self.collections.push_back(web::CollectionStats{collectors::to_string(family), 0, 0, 0});
      auto& stats = self.collections[f];
      stats.last_duration_seconds = t1 - t0;
      ++stats.runs_total;
      for (const auto& e : snapshot->errors) {
        if (e.family == family) {
          ++stats.errors_total;
          break;
        }
      }
    }
  }

  self.requests.push_back(web::RequestCount{"/metrics", "GET", 200, 1});
  self.request_latency.count = 1;
  self.request_latency.sum_seconds = 0.0003;
  for (std::size_t i = 0; i < web::kLatencyBuckets.size(); ++i) {
    self.request_latency.buckets[i] = web::kLatencyBuckets[i] >= 0.0003 ? 1 : 0;
  }
  self.connections_open = 1;
  self.connections_accepted_total = 1;

  web::MetricsOptions options;
  options.self_pid = static_cast<std::int32_t>(::getpid());
  options.now_seconds = static_cast<double>(wall_ms()) / 1000.0;
  const std::string text = web::render_metrics(*snapshot, self, options);
  if (std::fwrite(text.data(), 1, text.size(), stdout) != text.size()) return 1;
  return std::fflush(stdout) == 0 ? 0 : 1;
}
