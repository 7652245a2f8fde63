#pragma once

// The route files' entry points: each area registers its own routes. register_api (api.cpp)
// and register_auth_api (auth_api.cpp) call them in the order of the route table, which is
// the order of the OpenAPI document.

#include <functional>
#include <memory>

#include "hyperion/auth/service.hpp"
#include "hyperion/web/api.hpp"
#include "hyperion/web/auth_api.hpp"
#include "hyperion/web/families.hpp"
#include "hyperion/web/router.hpp"

namespace hyperion::web::routes {

// Registers the routes of a view that is not a table route (FamilyView::table_route false).
using ViewRoutes = std::function<void(Router&, const FamilyView&)>;

// routes/hosts.cpp: GET /healthz, /api/v1/hosts, and /api/v1/hosts/{host}/NAME for each view
// of the family table; a view with routes of its own gets them from `own_routes`, at its place
// in the table.
void register_hosts_routes(Router& router, std::shared_ptr<const ApiContext> context, const ViewRoutes& own_routes);

// routes/processes.cpp: the views with query filters: processes (/processes, sorted, filtered
// and paged, and /processes/{pid}) and sockets (/sockets, filtered). Other views: nothing.
void register_process_routes(Router& router, std::shared_ptr<const ApiContext> context, const FamilyView& view);

// routes/history.cpp: /api/v1/hosts/{host}/history, .../history/processes and
// .../history/catalog (viewer), run on the "history" lane; without a history in the context
// they answer 404 history-disabled.
void register_history_routes(Router& router, std::shared_ptr<const ApiContext> context);

// routes/auth.cpp: /api/v1/auth/...: sessions (login, refresh, logout, me, password), the
// second factor (totp) and API tokens.
void register_auth_routes(Router& router, auth::AuthService& auth, AuthApiOptions options);

// routes/users.cpp: /api/v1/users/... (admin).
void register_user_routes(Router& router, auth::AuthService& auth);

// routes/audit.cpp: /api/v1/audit (admin).
void register_audit_routes(Router& router, auth::AuthService& auth);

}  // namespace hyperion::web::routes
