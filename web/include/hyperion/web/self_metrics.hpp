#pragma once

// The daemon's own health, as the server and the sampler count it, for /metrics.
// A plain value: whoever renders /metrics gets a copy taken under the owner's lock.

#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace hyperion::web {

// Upper bounds (seconds) of the request latency histogram buckets; +Inf is implicit.
inline constexpr std::array<double, 12> kLatencyBuckets = {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005,
                                                          0.01,   0.025,   0.05,   0.1,   0.25,   1.0};

struct CollectionStats {
  std::string family;                 // "cpu", "processes", ... (collectors::to_string(Family))
  double last_duration_seconds = 0;   // how long the last collection of this family took
  std::uint64_t runs_total = 0;
  std::uint64_t errors_total = 0;     // collections that reported an error for this family
};

// A consumer of the snapshot bus (collectors::Bus).
struct SinkCount {
  std::string sink;             // "latest", "live", ...
  std::uint64_t delivered = 0;
  std::uint64_t dropped = 0;    // skipped for a newer snapshot of the same host (the sink was behind)
  std::uint64_t failed = 0;
};

struct RequestCount {
  std::string handler;  // the route pattern, e.g. "/api/v1/hosts/{host}/processes"; "other" for 404s
  std::string method;   // "GET", "HEAD", ...
  int code = 200;
  std::uint64_t count = 0;
};

struct LatencyHistogram {
  std::array<std::uint64_t, kLatencyBuckets.size()> buckets{};  // cumulative counts, Prometheus style
  std::uint64_t count = 0;
  double sum_seconds = 0;
};

// The history store (history::StoreStats), when it is on.
struct HistoryCount {
  std::uint64_t samples_total = 0;
  std::uint64_t series = 0;
  std::uint64_t series_refused_total = 0;
  std::uint64_t journal_writes_total = 0;
  std::uint64_t seals_total = 0;
  std::uint64_t write_failures_total = 0;
  std::uint64_t chunks_pruned_total = 0;
  std::uint64_t open_bytes = 0;
  std::uint64_t database_bytes = 0;
};

struct SelfMetrics {
  std::string version;
  double start_time_seconds = 0;          // Unix time the daemon started
  std::vector<CollectionStats> collections;
  std::vector<SinkCount> sinks;
  std::vector<RequestCount> requests;
  LatencyHistogram request_latency;       // all requests
  std::uint64_t connections_open = 0;
  std::uint64_t connections_accepted_total = 0;
  std::uint64_t connections_rejected_total = 0;  // over the connection limit
  std::uint64_t live_clients = 0;                // open /api/v1/live WebSockets
  std::uint64_t live_rejected_total = 0;         // upgrades refused over live.max_clients
  std::uint64_t connections_evicted_total = 0;   // unauthenticated ones closed to make room
  std::uint64_t connections_per_address_rejected_total = 0;  // over http.max_connections_per_address
  std::uint64_t live_evicted_total = 0;          // unauthenticated live clients closed to make room
  std::uint64_t misdirected_total = 0;           // requests for a Host not in http.allowed_hosts
  // The TLS certificate's notAfter (Unix seconds); 0 without TLS.
  double tls_certificate_not_after_seconds = 0;
  bool history_enabled = false;
  HistoryCount history;
};

}  // namespace hyperion::web
