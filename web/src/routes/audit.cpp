#include "routes.hpp"

#include <fmt/format.h>

#include <cstddef>

#include <nlohmann/json.hpp>

#include "common.hpp"

namespace hyperion::web::routes {

using nlohmann::json;
using namespace hyperion::auth;

void register_audit_routes(Router& router, AuthService& auth) {
  add_blocking(router, "GET", "/api/v1/audit",
      "The audit log, newest first; filter by user, action (a prefix ending in '.'), outcome, time", auth::Role::admin,
      [&auth](const HttpRequest& req, const RouteParams&) {
        QueryParams q;
        if (!parse_query(req.query, q)) return bad_parameter("malformed query string");
        AuditQuery query;
        for (const auto& [k, v] : q) {
          if (k == "user") query.user = v;
          else if (k == "action") query.action = v;
          else if (k == "outcome") query.outcome = v;
          else if (k == "since" || k == "until" || k == "limit" || k == "offset") {
            const auto n = parse_int(v);
            if (!n || *n < 0 || (k == "limit" && (*n < 1 || *n > 1000))) {
              return bad_parameter(fmt::format("{}: '{}' is not {}", k, v,
                                               k == "limit" ? "a whole number from 1 to 1000"
                                                            : (k == "offset" ? "a whole number >= 0"
                                                                             : "a time in Unix milliseconds")));
            }
            if (k == "since") query.since_ms = *n;
            else if (k == "until") query.until_ms = *n;
            else if (k == "limit") query.limit = static_cast<std::size_t>(*n);
            else query.offset = static_cast<std::size_t>(*n);
          } else {
            return bad_parameter(fmt::format(
                "unknown parameter '{}'; parameters: user, action, outcome, since, until, limit, offset", k));
          }
        }
        const auto page = auth.query_audit(query);
        json entries = json::array();
        for (const auto& e : page.entries) {
          entries.push_back(json{{"id", e.id},
                                 {"time_ms", e.time_ms},
                                 {"user", e.user ? json(*e.user) : json(nullptr)},
                                 {"source", e.source},
                                 {"action", e.action},
                                 {"target", e.target ? json(*e.target) : json(nullptr)},
                                 {"outcome", e.outcome},
                                 {"detail", e.detail ? json(*e.detail) : json(nullptr)},
                                 {"count", e.count},
                                 {"last_ms", e.last_ms ? json(*e.last_ms) : json(nullptr)}});
        }
        return json_response(200, json{{"total", page.total}, {"offset", query.offset}, {"entries", entries}});
      },
      false, {"user", "action", "outcome", "since", "until", "limit", "offset"});
}

}  // namespace hyperion::web::routes
