#include "hyperion/web/metrics_route.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <mutex>

#include "hyperion/web/metrics.hpp"

namespace hyperion::web {
namespace {

// The host part of the latest snapshot of each host, rendered on the first scrape after it.
class HostPartCache {
 public:
  std::shared_ptr<const std::string> get(const std::shared_ptr<const collectors::Snapshot>& snapshot,
                                         const MetricsOptions& options) {
    std::lock_guard lock(mutex_);
    auto& entry = by_host_[snapshot->host];
    if (entry.snapshot != snapshot || !entry.body) {
      entry.snapshot = snapshot;
      entry.body = std::make_shared<const std::string>(render_host_metrics(*snapshot, options));
    }
    return entry.body;
  }

 private:
  struct Entry {
    std::shared_ptr<const collectors::Snapshot> snapshot;
    std::shared_ptr<const std::string> body;
  };
  std::mutex mutex_;
  std::map<std::string, Entry, std::less<>> by_host_;
};

}  // namespace

void register_metrics_route(Router& router, MetricsRouteContext context) {
  auto ctx = std::make_shared<MetricsRouteContext>(std::move(context));
  auto cache = std::make_shared<HostPartCache>();
  Route route{"GET", "/metrics",
              "Prometheus metrics of this host (node_exporter names where they exist, hyperion_* otherwise); "
              "?host=ID for another host's",
              ctx->settings.public_access ? kPublic : Access(auth::Role::viewer),
              [ctx, cache](const HttpRequest& req, const RouteParams&) {
                QueryParams q;
                if (!parse_query(req.query, q)) {
                  return problem(400, "bad-parameter", "Bad query parameter", "the query string has a malformed %-escape");
                }
                const auto hosts = ctx->hosts();
                std::string host = hosts.empty() ? std::string() : hosts.front();
                for (const auto& [k, v] : q) {
                  if (k != "host") {
                    return problem(400, "unknown-parameter", "Unknown query parameter",
                                   fmt::format("'{}' is not a parameter of /metrics; known: host", k));
                  }
                  host = v;
                }
                if (std::find(hosts.begin(), hosts.end(), host) == hosts.end()) {
                  return problem(404, "unknown-host", "Unknown host", fmt::format("no host '{}' is configured", host));
                }
                const auto snapshot = ctx->snapshot(host);
                if (!snapshot) {
                  return problem(503, "not-ready", "No data yet",
                                 fmt::format("host '{}' has not been sampled yet", host));
                }
                MetricsOptions options;
                options.top_processes = ctx->settings.top_processes;
                options.self_pid = ctx->self_pid;
                options.now_seconds = ctx->now_seconds ? ctx->now_seconds() : 0;
                const auto part = cache->get(snapshot, options);
                HttpResponse r;
                r.content_type = std::string(kMetricsContentType);
                if (host != hosts.front()) {
                  r.shared_body = part;  // another host: its families only, shared as they are
                  return r;
                }
                r.body.reserve(part->size() + 8192);
                r.body = *part;
                render_daemon_metrics(r.body, *snapshot, ctx->self ? ctx->self() : SelfMetrics{}, options);
                return r;
              },
              {"host"}};
  router.add(std::move(route));
}

}  // namespace hyperion::web
