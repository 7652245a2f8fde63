#pragma once

// GET /metrics: this host's families and the daemon's own counters; GET /metrics?host=ID: the
// families of another host (one scrape target per host, as Prometheus expects). A host's part
// is rendered once per snapshot and shared by every scrape until the next one; only the small
// tail (node_time_seconds, process_*, hyperion_*) is rendered per scrape.

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "hyperion/collectors/snapshot.hpp"
#include "hyperion/web/router.hpp"
#include "hyperion/web/settings.hpp"
#include "hyperion/web/self_metrics.hpp"

namespace hyperion::web {

struct MetricsRouteContext {
  // The latest snapshot of a host, or null.
  std::function<std::shared_ptr<const collectors::Snapshot>(std::string_view host)> snapshot;
  // Every configured host id; the first is this one (the default of ?host=).
  std::function<std::vector<std::string>()> hosts;
  // The daemon's own counters at the time of the scrape.
  std::function<SelfMetrics()> self;
  // Unix time in seconds (node_time_seconds).
  std::function<double()> now_seconds;
  MetricsSettings settings;  // top processes; public access (no credentials needed)
  std::int32_t self_pid = 0;
};

void register_metrics_route(Router& router, MetricsRouteContext context);

}  // namespace hyperion::web
