#pragma once

// What the route files (routes/*.cpp) share: JSON and problem responses, query parameters,
// the host snapshot lookup, and the account routes' conversions. Internal to web/.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "hyperion/auth/service.hpp"
#include "hyperion/collectors/snapshot.hpp"
#include "hyperion/web/api.hpp"
#include "hyperion/web/http.hpp"
#include "hyperion/web/json_writer.hpp"
#include "hyperion/web/router.hpp"

namespace hyperion::web::routes {

// ---- responses

// 200 with a body already serialised as JSON.
HttpResponse json_response(std::string body);
HttpResponse json_response(int status, const nlohmann::json& body);
// 400 bad-parameter: a query parameter's value is wrong.
HttpResponse bad_parameter(std::string_view detail);
// A whole decimal number, nothing else ("12", "-3"); nullopt otherwise.
std::optional<std::int64_t> parse_int(std::string_view s);

// ---- query parameters

// Parses the query, rejecting parameters the route does not document (typos must not
// silently return unfiltered data).
std::optional<HttpResponse> read_query(const HttpRequest& req, const std::vector<std::string>& allowed,
                                       QueryParams& out);
// The first value of a parameter, or empty.
std::string_view param(const QueryParams& q, std::string_view name);
bool has_param(const QueryParams& q, std::string_view name);

// ---- a host's snapshot

// The prefix of a host's routes.
inline constexpr std::string_view kHostPath = "/api/v1/hosts/{host}";

// The latest snapshot of the route's {host}; null with `error` set to 404 unknown-host (not
// configured) or 503 not-ready (not sampled yet).
std::shared_ptr<const collectors::Snapshot> find_snapshot(const ApiContext& context, const RouteParams& params,
                                                          HttpResponse& error);
// 503 not-ready: the snapshot has no part of this family yet.
HttpResponse not_collected(std::string_view family);

// An envelope {"host": ..., "timestamp_ms": ..., "<key>": <body>}.
template <class F>
std::string envelope(const collectors::Snapshot& s, std::string_view key, F body) {
  std::string out;
  out.reserve(4096);
  JsonWriter w(out);
  w.begin_object();
  w.field("host", s.host);
  w.field("timestamp_ms", s.timestamp_ms);
  w.key(key);
  body(w);
  w.end_object();
  return out;
}

// ---- accounts (auth, users, audit)

// Adds a route whose handler is `blocking` (the database, Argon2id): the server runs it on
// its worker thread.
void add_blocking(Router& router, std::string method, std::string pattern, std::string summary, Access role,
                  Handler handler, bool before_password_change = false, std::vector<std::string> query = {});

// The problem of a failed call, with Retry-After (throttled) and WWW-Authenticate (401).
HttpResponse from_error(const auth::AuthError& e);
// 400 bad-body: a field's value is wrong.
HttpResponse bad_body(std::string detail);

template <class T>
const auth::AuthError* failed(const auth::Outcome<T>& o) {
  return std::holds_alternative<auth::AuthError>(o) ? &std::get<auth::AuthError>(o) : nullptr;
}

// Who made the request, for the audit log.
auth::Actor actor_of(const HttpRequest& req);
// A string field of a body read by read_json_body, when present.
std::optional<std::string> opt_string(const nlohmann::json& j, const char* key);
// The body's "role" (fallback when absent); nullopt with `error` set when it names no role.
std::optional<auth::Role> role_field(const nlohmann::json& body, HttpResponse& error, auth::Role fallback);
nlohmann::json user_json(const auth::UserInfo& u);

}  // namespace hyperion::web::routes
