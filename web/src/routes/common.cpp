#include "common.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>

#include <nlohmann/json.hpp>

namespace hyperion::web::routes {

using nlohmann::json;

HttpResponse json_response(std::string body) {
  HttpResponse r;
  r.body = std::move(body);
  return r;
}

HttpResponse json_response(int status, const json& body) {
  auto r = json_response(body.dump());
  r.status = status;
  return r;
}

HttpResponse bad_parameter(std::string_view detail) { return problem(400, "bad-parameter", "Bad query parameter", detail); }

std::optional<std::int64_t> parse_int(std::string_view s) {
  std::int64_t v = 0;
  const auto r = std::from_chars(s.data(), s.data() + s.size(), v);
  if (r.ec != std::errc{} || r.ptr != s.data() + s.size()) return std::nullopt;
  return v;
}

std::optional<HttpResponse> read_query(const HttpRequest& req, const std::vector<std::string>& allowed,
                                       QueryParams& out) {
  if (!parse_query(req.query, out)) return bad_parameter("the query string has a malformed %-escape");
  for (const auto& [k, v] : out) {
    if (std::find(allowed.begin(), allowed.end(), k) == allowed.end()) {
      std::string list;
      for (const auto& a : allowed) list += (list.empty() ? "" : ", ") + a;
      return problem(400, "unknown-parameter", "Unknown query parameter",
                     fmt::format("'{}' is not a parameter of this route{}{}", k, list.empty() ? "" : "; known: ",
                                 list));
    }
  }
  return std::nullopt;
}

std::string_view param(const QueryParams& q, std::string_view name) {
  for (const auto& [k, v] : q) {
    if (k == name) return v;
  }
  return {};
}

bool has_param(const QueryParams& q, std::string_view name) {
  return std::any_of(q.begin(), q.end(), [&](const auto& kv) { return kv.first == name; });
}

std::shared_ptr<const collectors::Snapshot> find_snapshot(const ApiContext& context, const RouteParams& params,
                                                          HttpResponse& error) {
  const auto host = params.get("host");
  auto s = context.snapshot(host);
  if (s) return s;
  const auto hosts = context.hosts();
  if (std::find(hosts.begin(), hosts.end(), host) == hosts.end()) {
    error = problem(404, "unknown-host", "Unknown host", fmt::format("no host '{}' is configured", host));
  } else {
    error = problem(503, "not-ready", "No data yet", fmt::format("host '{}' has not been sampled yet", host));
  }
  return nullptr;
}

HttpResponse not_collected(std::string_view family) {
  return problem(503, "not-ready", "No data yet", fmt::format("the {} family has not been collected yet", family));
}

void add_blocking(Router& router, std::string method, std::string pattern, std::string summary, Access role,
                  Handler handler, bool before_password_change, std::vector<std::string> query) {
  Route r{std::move(method), std::move(pattern), std::move(summary), role, std::move(handler), std::move(query)};
  r.blocking = true;
  r.before_password_change = before_password_change;
  router.add(std::move(r));
}

HttpResponse from_error(const auth::AuthError& e) {
  auto r = problem(e.status, e.type, e.title, e.detail);
  if (e.retry_after_seconds > 0) r.headers.emplace_back("Retry-After", std::to_string(e.retry_after_seconds));
  if (e.status == 401) r.headers.emplace_back("WWW-Authenticate", "Bearer realm=\"hyperion\"");
  return r;
}

HttpResponse bad_body(std::string detail) { return problem(400, "bad-body", "Bad request body", detail); }

auth::Actor actor_of(const HttpRequest& req) { return auth::Actor{req.principal, req.remote_address}; }

std::optional<std::string> opt_string(const json& j, const char* key) {
  if (!j.contains(key)) return std::nullopt;
  return j[key].get<std::string>();
}

std::optional<auth::Role> role_field(const json& body, HttpResponse& error, auth::Role fallback) {
  if (!body.contains("role")) return fallback;
  const auto role = auth::parse_role(body["role"].get<std::string>());
  if (!role) error = bad_body("'role' must be viewer, operator or admin");
  return role;
}

json user_json(const auth::UserInfo& u) {
  return json{{"name", u.name},
              {"display_name", u.display_name},
              {"role", auth::to_string(u.role)},
              {"enabled", u.enabled},
              {"must_change_password", u.must_change_password},
              {"totp_enabled", u.totp_enabled},
              {"created_ms", u.created_ms},
              {"last_login_ms", u.last_login_ms ? json(*u.last_login_ms) : json(nullptr)},
              {"locked_until_ms", u.locked_until_ms ? json(*u.locked_until_ms) : json(nullptr)},
              {"throttled_addresses", u.throttled_addresses}};
}

}  // namespace hyperion::web::routes
