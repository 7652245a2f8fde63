#include "dispatch.hpp"

#include <fmt/format.h>

#include "hyperion/auth/crypto.hpp"

namespace hyperion::web {

HttpResponse no_route(const RouteMatch& match, const HttpRequest& hr) {
  if (match.status == 405) {
    auto r = problem(405, "method-not-allowed", "Method not allowed",
                     fmt::format("{} is not allowed on {}; allowed: {}", hr.method, hr.path, match.allow));
    r.headers.emplace_back("Allow", match.allow);
    return r;
  }
  return problem(404, "not-found", "Not found", fmt::format("no route for {}", hr.path));
}

HttpResponse call_handler(const Route& route, const HttpRequest& hr, const RouteParams& params,
                          const std::function<void(const std::string&)>& error_log) {
  try {
    return route.handler(hr, params);
  } catch (const std::exception& e) {
    const auto incident = auth::random_token(6);
    if (error_log) error_log(fmt::format("{} {}: internal error {}: {}", hr.method, hr.path, incident, e.what()));
    return problem(500, "internal-error", "Internal error",
                   fmt::format("the server failed to answer (incident {}); its log has the details", incident));
  }
}

}  // namespace hyperion::web
