#include "hyperion/web/api.hpp"

#include <memory>
#include <utility>

#include "routes/common.hpp"
#include "routes/routes.hpp"

namespace hyperion::web {

// The routes are registered in the order of the table (and of the OpenAPI document): each
// area's routes come from its file under routes/.
void register_api(Router& router, ApiContext context) {
  const auto ctx = std::make_shared<const ApiContext>(std::move(context));
  routes::register_hosts_routes(router, ctx, [&ctx](Router& r, const FamilyView& view) {
    routes::register_process_routes(r, ctx, view);
  });
  routes::register_history_routes(router, ctx);
  router.add({"GET", "/api/v1/live",
              "Live data over a WebSocket: subscribe to topics hosts/{host}/{family} (see docs/LIVE.md); a plain GET "
              "answers 426",
              auth::Role::viewer, [](const HttpRequest&, const RouteParams&) {
                auto r = problem(426, "upgrade-required", "Upgrade required",
                                 "/api/v1/live speaks WebSocket: send an Upgrade: websocket request");
                r.headers.emplace_back("Upgrade", "websocket");
                r.headers.emplace_back("Connection", "Upgrade");
                return r;
              }});
  const Router* table = &router;
  router.add({"GET", "/api/v1/openapi.json", "This document", kPublic, [table](const HttpRequest&, const RouteParams&) {
                return routes::json_response(openapi_document(*table));
              }});
}

}  // namespace hyperion::web
