#pragma once

// The REST API under /api/v1, plus /healthz and the OpenAPI document. Handlers read only
// the latest published snapshot of a host: no request touches /proc.

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "hyperion/collectors/hosts.hpp"
#include "hyperion/collectors/snapshot.hpp"
#include "hyperion/history/processes.hpp"
#include "hyperion/history/store.hpp"
#include "hyperion/web/router.hpp"

namespace hyperion::web {

// The history's parts the routes read: the store, the process lists, and the reader's own
// connection (used only on the "history" lane's thread).
struct HistoryAccess {
  const history::HistoryStore* store = nullptr;
  const history::ProcessHistory* processes = nullptr;
  storage::Database* reader = nullptr;
};

struct ApiContext {
  // The latest snapshot of a host, or null when the host is unknown or has none yet.
  std::function<std::shared_ptr<const collectors::Snapshot>(std::string_view host)> snapshot;
  // Every configured host id ("local" first).
  std::function<std::vector<std::string>()> hosts;
  // The host registry's view (kind, state, last sample) for /api/v1/hosts; unset: ids only.
  std::function<std::vector<collectors::HostEntry>(std::int64_t now_ms)> host_entries;
  // Unix time in milliseconds (injected so tests control it).
  std::function<std::int64_t()> now_ms;
  // A snapshot older than this is stale: /healthz answers 503.
  std::int64_t stale_after_ms = 10'000;
  // What is wrong with the daemon's storage, for /healthz; nullopt (or unset) when healthy.
  std::function<std::optional<std::string>()> health_problem;
  // The history; unset: no history routes.
  std::shared_ptr<const HistoryAccess> history;
};

// Registers every /api/v1 route, /healthz and /api/v1/openapi.json.
void register_api(Router& router, ApiContext context);

// The OpenAPI 3.1 document of every route in the router.
std::string openapi_document(const Router& router);

}  // namespace hyperion::web
