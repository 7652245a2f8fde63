#pragma once

// Renders a Snapshot and the daemon's own counters as the Prometheus text format 0.0.4,
// the body of GET /metrics. Called on every scrape: one pass into one std::string.
//
// Families that prometheus-node-exporter 1.5 also exports keep its exact metric names,
// label names and units (node_*, process_*), so existing dashboards work unchanged;
// what node_exporter lacks is under hyperion_*. A family whose data is absent (a null
// family pointer, an empty optional, an empty list) is left out entirely, HELP and TYPE
// included. Known differences from node_exporter are listed at the top of metrics.cpp.
// https://prometheus.io/docs/instrumenting/exposition_formats/#text-based-format

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "hyperion/collectors/snapshot.hpp"
#include "hyperion/web/self_metrics.hpp"

namespace hyperion::web {

inline constexpr std::string_view kMetricsContentType = "text/plain; version=0.0.4; charset=utf-8";

// Upper bound on MetricsOptions::top_processes: each listed process is a series (with a pid
// label), so a large N would blow up the scraper's cardinality.
inline constexpr std::size_t kMaxTopProcesses = 100;

struct MetricsOptions {
  // How many processes hyperion_process_cpu_ratio and hyperion_process_resident_memory_bytes
  // list (each its own top N; processes with no CPU use in the last interval are never
  // listed by CPU); clamped to kMaxTopProcesses; 0 leaves both families out.
  std::size_t top_processes = 10;
  // The daemon's own pid: its entry in the process list gives the process_* families.
  // 0 (or a pid not in the list) leaves them out, except process_start_time_seconds, which
  // then comes from SelfMetrics::start_time_seconds.
  std::int32_t self_pid = 0;
  // Unix time of the scrape, for node_time_seconds; 0 or less leaves that family out.
  double now_seconds = 0;
};

// The host's part: every family of the snapshot. It depends on the snapshot alone (and on
// top_processes), so a server renders it once per snapshot and shares it between scrapes.
std::string render_host_metrics(const collectors::Snapshot& snapshot, const MetricsOptions& options);
// The scrape's part, appended to `out`: node_time_seconds, the daemon's own process_* families
// (from `snapshot`, the daemon's host) and its hyperion_* counters.
void render_daemon_metrics(std::string& out, const collectors::Snapshot& snapshot, const SelfMetrics& self,
                           const MetricsOptions& options);
// Both, as one body.
std::string render_metrics(const collectors::Snapshot& snapshot, const SelfMetrics& self,
                           const MetricsOptions& options);

// Appends `value` escaped as a label value of the text format: backslash, double quote and
// line feed become \\, \" and \n; bytes that are not valid UTF-8 become U+FFFD (Prometheus
// rejects the whole scrape on an invalid UTF-8 label value, and comm is arbitrary bytes).
void append_label_value(std::string& out, std::string_view value);

// The hwmon chip label as node_exporter derives it from a "name" file: lower case, every
// character outside [a-z0-9:_] replaced by '_', leading and trailing '_' trimmed.
std::string hwmon_clean_name(std::string_view name);

}  // namespace hyperion::web
