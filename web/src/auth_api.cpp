#include "hyperion/web/auth_api.hpp"

#include <charconv>
#include <initializer_list>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "hyperion/auth/crypto.hpp"
#include "hyperion/web/request_body.hpp"

namespace hyperion::web {
namespace {

using nlohmann::json;
using namespace hyperion::auth;

HttpResponse json_response(int status, const json& body) {
  HttpResponse r;
  r.status = status;
  r.body = body.dump();
  return r;
}

HttpResponse from_error(const AuthError& e) {
  auto r = problem(e.status, e.type, e.title, e.detail);
  if (e.retry_after_seconds > 0) r.headers.emplace_back("Retry-After", std::to_string(e.retry_after_seconds));
  if (e.status == 401) r.headers.emplace_back("WWW-Authenticate", "Bearer realm=\"hyperion\"");
  return r;
}

HttpResponse bad_body(std::string detail) { return problem(400, "bad-body", "Bad request body", detail); }

std::optional<HttpResponse> read_body(const HttpRequest& req, std::initializer_list<BodyField> fields, json& out,
                                      bool body_optional = false) {
  return read_json_body(req, fields, out, body_optional);
}

std::optional<std::string> opt_string(const json& j, const char* key) {
  if (!j.contains(key)) return std::nullopt;
  return j[key].get<std::string>();
}

Actor actor_of(const HttpRequest& req) { return Actor{req.principal, req.remote_address}; }

json user_json(const UserInfo& u) {
  return json{{"name", u.name},
              {"display_name", u.display_name},
              {"role", to_string(u.role)},
              {"enabled", u.enabled},
              {"must_change_password", u.must_change_password},
              {"totp_enabled", u.totp_enabled},
              {"created_ms", u.created_ms},
              {"last_login_ms", u.last_login_ms ? json(*u.last_login_ms) : json(nullptr)},
              {"locked_until_ms", u.locked_until_ms ? json(*u.locked_until_ms) : json(nullptr)},
              {"throttled_addresses", u.throttled_addresses}};
}

json token_json(const ApiTokenInfo& t) {
  return json{{"id", t.id},
              {"name", t.name},
              {"role", to_string(t.role)},
              {"prefix", t.prefix},
              {"created_ms", t.created_ms},
              {"expires_ms", t.expires_ms ? json(*t.expires_ms) : json(nullptr)},
              {"last_used_ms", t.last_used_ms ? json(*t.last_used_ms) : json(nullptr)},
              {"revoked", t.revoked}};
}

std::string cookie(std::string_view name, std::string_view value, std::string_view path, std::int64_t max_age_s,
                   bool http_only, bool secure) {
  return fmt::format("{}={}; Path={}; Max-Age={}; SameSite=Strict{}{}", name, value, path, std::max<std::int64_t>(0, max_age_s),
                     http_only ? "; HttpOnly" : "", secure ? "; Secure" : "");
}

// The token response (OAuth 2 field names, RFC 6749 5.1) and the dashboard's cookies.
HttpResponse tokens_response(const Tokens& t, const AuthApiOptions& options) {
  // Lifetimes from the moment of issue: the configured ones exactly, however long this took.
  const auto access_s = (t.access_expires_ms - t.principal.issued_ms) / 1000;
  const auto refresh_s = (t.refresh_expires_ms - t.principal.issued_ms) / 1000;
  auto r = json_response(200, json{{"access_token", t.access_token},
                                   {"token_type", "Bearer"},
                                   {"expires_in", access_s},
                                   {"refresh_token", t.refresh_token},
                                   {"refresh_expires_in", refresh_s},
                                   {"user",
                                    {{"name", t.principal.username},
                                     {"role", to_string(t.principal.role)},
                                     {"must_change_password", t.principal.must_change_password}}}});
  r.headers.emplace_back("Set-Cookie", cookie(kAccessCookie, t.access_token, "/", access_s, true, options.secure_cookies));
  r.headers.emplace_back("Set-Cookie",
                         cookie(kRefreshCookie, t.refresh_token, "/api/v1/auth", refresh_s, true, options.secure_cookies));
  r.headers.emplace_back("Set-Cookie", cookie(kCsrfCookie, random_token(18), "/", refresh_s, false, options.secure_cookies));
  return r;
}

void clear_cookies(HttpResponse& r, const AuthApiOptions& options) {
  r.headers.emplace_back("Set-Cookie", cookie(kAccessCookie, "", "/", 0, true, options.secure_cookies));
  r.headers.emplace_back("Set-Cookie", cookie(kRefreshCookie, "", "/api/v1/auth", 0, true, options.secure_cookies));
  r.headers.emplace_back("Set-Cookie", cookie(kCsrfCookie, "", "/", 0, false, options.secure_cookies));
}

template <class T>
const AuthError* failed(const Outcome<T>& o) {
  return std::holds_alternative<AuthError>(o) ? &std::get<AuthError>(o) : nullptr;
}

std::optional<std::int64_t> parse_int(std::string_view s) {
  std::int64_t v = 0;
  const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
  return v;
}

std::optional<Role> role_field(const json& body, HttpResponse& error, Role fallback) {
  if (!body.contains("role")) return fallback;
  const auto role = parse_role(body["role"].get<std::string>());
  if (!role) error = bad_body("'role' must be viewer, operator or admin");
  return role;
}

}  // namespace

void authenticate_request(const AuthService& auth, HttpRequest& req) {
  std::string_view token;
  const auto header = req.header("authorization");
  if (header.size() > 7 && (header.starts_with("Bearer ") || header.starts_with("bearer "))) {
    token = header.substr(7);
    req.via_cookie = false;
  } else if (const auto c = req.cookie(kAccessCookie); !c.empty()) {
    token = c;
    req.via_cookie = true;
  }
  if (!token.empty()) req.principal = auth.authenticate(token);
}

bool csrf_ok(const HttpRequest& req) {
  if (!req.via_cookie || req.method == "GET" || req.method == "HEAD" || req.method == "OPTIONS") return true;
  const auto sent = req.header(kCsrfHeader);
  const auto expected = req.cookie(kCsrfCookie);
  return !sent.empty() && constant_time_equal(as_bytes(sent), as_bytes(expected));
}

void register_auth_api(Router& router, AuthService& auth, AuthApiOptions options) {
  const auto now_ms = [] {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
  };
  const auto add = [&](std::string method, std::string pattern, std::string summary, Access role, Handler h,
                       bool before_password_change = false, std::vector<std::string> query = {}) {
    Route r{std::move(method), std::move(pattern), std::move(summary), role, std::move(h), std::move(query)};
    r.blocking = true;
    r.before_password_change = before_password_change;
    router.add(std::move(r));
  };

  // --- sessions

  add("POST", "/api/v1/auth/login", "Log in: {username, password, otp}; returns access and refresh tokens (and cookies)",
      kPublic, [&auth, options](const HttpRequest& req, const RouteParams&) {
        json body;
        if (auto e = read_body(req, {{"username", json::value_t::string, true, 64}, {"password", json::value_t::string, true, 1024},
                                     {"otp", json::value_t::string, false, 32}},
                               body)) {
          return *e;
        }
        const auto otp = opt_string(body, "otp");
        const auto r = auth.login(body["username"].get<std::string>(), body["password"].get<std::string>(),
                                  otp ? std::optional<std::string_view>(*otp) : std::nullopt, req.remote_address);
        if (const auto* e = failed(r)) return from_error(*e);
        return tokens_response(std::get<Tokens>(r), options);
      });

  add("POST", "/api/v1/auth/refresh",
      "New tokens for a refresh token ({refresh_token}, or the cookie); the old one is spent", kPublic,
      [&auth, options](const HttpRequest& req, const RouteParams&) {
        json body;
        if (auto e = read_body(req, {{"refresh_token", json::value_t::string, false, 128}}, body, true)) return *e;
        std::string token;
        if (body.contains("refresh_token")) {
          token = body["refresh_token"].get<std::string>();
        } else {
          token = std::string(req.cookie(kRefreshCookie));
          // The cookie is sent by the browser on its own: require the CSRF header too.
          HttpRequest as_cookie = req;
          as_cookie.via_cookie = true;
          if (!token.empty() && !csrf_ok(as_cookie)) {
            return problem(403, "csrf", "CSRF check failed", "refreshing with the cookie needs the X-CSRF-Token header");
          }
        }
        const auto r = auth.refresh(token, req.remote_address);
        if (const auto* e = failed(r)) {
          auto response = from_error(*e);
          clear_cookies(response, options);
          return response;
        }
        return tokens_response(std::get<Tokens>(r), options);
      });

  add("POST", "/api/v1/auth/logout", "Log out: ends this session (its refresh tokens) and clears the cookies", auth::Role::viewer,
      [&auth, options](const HttpRequest& req, const RouteParams&) {
        auth.logout(*req.principal, req.remote_address);
        auto r = json_response(200, json{{"logged_out", true}});
        clear_cookies(r, options);
        return r;
      },
      true);

  add("GET", "/api/v1/auth/me", "Who the credentials belong to", auth::Role::viewer,
      [&auth](const HttpRequest& req, const RouteParams&) {
        const auto& p = *req.principal;
        const auto u = auth.get_user(p.username);
        if (const auto* e = failed(u)) return from_error(*e);
        auto j = user_json(std::get<UserInfo>(u));
        j["role"] = to_string(p.role);  // an API token may carry less than its owner
        j["authenticated_by"] = p.api_token_id ? "api-token" : (req.via_cookie ? "cookie" : "access-token");
        j["expires_ms"] = p.api_token_id && p.expires_ms == std::numeric_limits<std::int64_t>::max() ? json(nullptr) : json(p.expires_ms);
        return json_response(200, j);
      },
      true);

  add("POST", "/api/v1/auth/password",
      "Change your password: {current_password, new_password}; returns new tokens when the refresh cookie is sent",
      auth::Role::viewer,
      [&auth, options](const HttpRequest& req, const RouteParams&) {
        json body;
        if (auto e = read_body(req, {{"current_password", json::value_t::string, true, 1024},
                                     {"new_password", json::value_t::string, true, 1024}},
                               body)) {
          return *e;
        }
        if (req.principal->api_token_id) {
          return problem(403, "forbidden", "Forbidden", "an API token cannot change its owner's password");
        }
        const auto current = body["current_password"].get<std::string>();
        const auto r = auth.set_password(actor_of(req), req.principal->username, body["new_password"].get<std::string>(),
                                         std::string_view(current), false);
        if (const auto* e = failed(r)) return from_error(*e);
        // The access token in hand predates the change and no longer works: hand out new ones.
        if (const auto refresh = req.cookie(kRefreshCookie); !refresh.empty()) {
          const auto t = auth.refresh(refresh, req.remote_address);
          if (!failed(t)) return tokens_response(std::get<Tokens>(t), options);
        }
        return json_response(200, json{{"changed", true}});
      },
      true);

  // --- second factor

  add("POST", "/api/v1/auth/totp",
      "Start enrolling a TOTP second factor: {password}; returns the secret and an otpauth:// URI", auth::Role::viewer,
      [&auth](const HttpRequest& req, const RouteParams&) {
        json body;
        if (auto e = read_body(req, {{"password", json::value_t::string, true, 1024}}, body)) return *e;
        if (req.principal->api_token_id) return problem(403, "forbidden", "Forbidden", "an API token cannot enrol a second factor");
        const auto r = auth.begin_totp(actor_of(req), body["password"].get<std::string>());
        if (const auto* e = failed(r)) return from_error(*e);
        const auto& t = std::get<TotpEnrollment>(r);
        return json_response(200, json{{"secret", t.secret_base32}, {"otpauth_uri", t.otpauth_uri}});
      });

  add("POST", "/api/v1/auth/totp/confirm", "Confirm the enrolment with a first code: {code}; returns 10 recovery codes",
      auth::Role::viewer, [&auth](const HttpRequest& req, const RouteParams&) {
        json body;
        if (auto e = read_body(req, {{"code", json::value_t::string, true, 16}}, body)) return *e;
        const auto r = auth.confirm_totp(actor_of(req), body["code"].get<std::string>());
        if (const auto* e = failed(r)) return from_error(*e);
        return json_response(200, json{{"recovery_codes", std::get<std::vector<std::string>>(r)}});
      });

  add("DELETE", "/api/v1/auth/totp", "Remove your second factor: {password}", auth::Role::viewer,
      [&auth](const HttpRequest& req, const RouteParams&) {
        json body;
        if (auto e = read_body(req, {{"password", json::value_t::string, true, 1024}}, body)) return *e;
        const auto r = auth.disable_totp(actor_of(req), body["password"].get<std::string>());
        if (const auto* e = failed(r)) return from_error(*e);
        return json_response(200, json{{"totp_enabled", false}});
      });

  // --- API tokens

  add("GET", "/api/v1/auth/tokens", "Your API tokens (never their values)", auth::Role::viewer,
      [&auth](const HttpRequest& req, const RouteParams&) {
        json list = json::array();
        for (const auto& t : auth.list_api_tokens(req.principal->user_id)) list.push_back(token_json(t));
        return json_response(200, json{{"tokens", list}});
      });

  add("POST", "/api/v1/auth/tokens",
      "Create an API token: {name, role, expires_in_days, password}; the token is in this response only", auth::Role::viewer,
      [&auth, now_ms](const HttpRequest& req, const RouteParams&) {
        json body;
        if (auto e = read_body(req, {{"name", json::value_t::string, true, 64}, {"role", json::value_t::string, false, 16},
                                     {"expires_in_days", json::value_t::number_unsigned, false},
                                     {"password", json::value_t::string, true, 1024}},
                               body)) {
          return *e;
        }
        HttpResponse error;
        const auto role = role_field(body, error, req.principal->role);
        if (!role) return error;
        std::optional<std::int64_t> expires;
        if (body.contains("expires_in_days")) {
          const auto days = body["expires_in_days"].get<std::uint64_t>();
          if (days < 1 || days > 3650) return bad_body("'expires_in_days' is from 1 to 3650");
          expires = now_ms() + static_cast<std::int64_t>(days) * 86'400'000;
        }
        const auto r = auth.create_api_token(actor_of(req), body["name"].get<std::string>(), *role, expires,
                                             body["password"].get<std::string>());
        if (const auto* e = failed(r)) return from_error(*e);
        const auto& t = std::get<NewApiToken>(r);
        auto j = token_json(t.info);
        j["token"] = t.token;
        return json_response(201, j);
      });

  add("DELETE", "/api/v1/auth/tokens/{id}", "Revoke an API token", auth::Role::viewer,
      [&auth](const HttpRequest& req, const RouteParams& params) {
        const auto id = parse_int(params.get("id"));
        if (!id || *id <= 0) return problem(400, "bad-id", "Bad token id", fmt::format("'{}' is not a token id", params.get("id")));
        const auto r = auth.revoke_api_token(actor_of(req), *id);
        if (const auto* e = failed(r)) return from_error(*e);
        return json_response(200, json{{"revoked", true}});
      });

  // --- users (admin)

  add("GET", "/api/v1/users", "Every user", auth::Role::admin, [&auth](const HttpRequest&, const RouteParams&) {
    json list = json::array();
    for (const auto& u : auth.list_users()) list.push_back(user_json(u));
    return json_response(200, json{{"users", list}});
  });

  add("POST", "/api/v1/users",
      "Create a user: {name, display_name, role, password, must_change_password (default true)}", auth::Role::admin,
      [&auth](const HttpRequest& req, const RouteParams&) {
        json body;
        if (auto e = read_body(req, {{"name", json::value_t::string, true, 64}, {"display_name", json::value_t::string, false, 128},
                                     {"role", json::value_t::string, true, 16}, {"password", json::value_t::string, true, 1024},
                                     {"must_change_password", json::value_t::boolean, false}},
                               body)) {
          return *e;
        }
        HttpResponse error;
        const auto role = role_field(body, error, Role::viewer);
        if (!role) return error;
        const auto r = auth.create_user(
            actor_of(req), NewUser{body["name"].get<std::string>(), opt_string(body, "display_name").value_or(""), *role,
                                   body["password"].get<std::string>(), body.value("must_change_password", true)});
        if (const auto* e = failed(r)) return from_error(*e);
        return json_response(201, user_json(std::get<UserInfo>(r)));
      });

  add("GET", "/api/v1/users/{name}", "One user", auth::Role::admin, [&auth](const HttpRequest&, const RouteParams& params) {
    const auto r = auth.get_user(params.get("name"));
    if (const auto* e = failed(r)) return from_error(*e);
    return json_response(200, user_json(std::get<UserInfo>(r)));
  });

  add("PATCH", "/api/v1/users/{name}", "Change a user: {display_name, role, enabled}", auth::Role::admin,
      [&auth](const HttpRequest& req, const RouteParams& params) {
        json body;
        if (auto e = read_body(req, {{"display_name", json::value_t::string, false, 128}, {"role", json::value_t::string, false, 16},
                                     {"enabled", json::value_t::boolean, false}},
                               body)) {
          return *e;
        }
        UserChange change;
        change.display_name = opt_string(body, "display_name");
        if (body.contains("role")) {
          change.role = parse_role(body["role"].get<std::string>());
          if (!change.role) return bad_body("'role' must be viewer, operator or admin");
        }
        if (body.contains("enabled")) change.enabled = body["enabled"].get<bool>();
        const auto r = auth.change_user(actor_of(req), params.get("name"), change);
        if (const auto* e = failed(r)) return from_error(*e);
        return json_response(200, user_json(std::get<UserInfo>(r)));
      });

  add("DELETE", "/api/v1/users/{name}", "Delete a user (and their sessions and tokens)", auth::Role::admin,
      [&auth](const HttpRequest& req, const RouteParams& params) {
        const auto r = auth.delete_user(actor_of(req), params.get("name"));
        if (const auto* e = failed(r)) return from_error(*e);
        return json_response(200, json{{"deleted", true}});
      });

  add("POST", "/api/v1/users/{name}/password",
      "Set a user's password: {password, temporary (default true: must change it at next login)}", auth::Role::admin,
      [&auth](const HttpRequest& req, const RouteParams& params) {
        json body;
        if (auto e = read_body(req, {{"password", json::value_t::string, true, 1024}, {"temporary", json::value_t::boolean, false}},
                               body)) {
          return *e;
        }
        const auto r = auth.set_password(actor_of(req), params.get("name"), body["password"].get<std::string>(), std::nullopt,
                                         body.value("temporary", true));
        if (const auto* e = failed(r)) return from_error(*e);
        return json_response(200, json{{"changed", true}});
      });

  add("POST", "/api/v1/users/{name}/reset-2fa", "Remove a user's second factor (a lost phone)", auth::Role::admin,
      [&auth](const HttpRequest& req, const RouteParams& params) {
        const auto r = auth.reset_totp(actor_of(req), params.get("name"));
        if (const auto* e = failed(r)) return from_error(*e);
        return json_response(200, json{{"totp_enabled", false}});
      });

  add("POST", "/api/v1/users/{name}/unlock",
      "Forget a user's failed logins from every address (lifts the login throttle)", auth::Role::admin,
      [&auth](const HttpRequest& req, const RouteParams& params) {
        const auto r = auth.unlock_user(actor_of(req), params.get("name"));
        if (const auto* e = failed(r)) return from_error(*e);
        return json_response(200, json{{"unlocked", true}});
      });

  // --- audit (admin)

  add("GET", "/api/v1/audit", "The audit log, newest first; filter by user, action (a prefix ending in '.'), outcome, time",
      auth::Role::admin,
      [&auth](const HttpRequest& req, const RouteParams&) {
        QueryParams q;
        if (!parse_query(req.query, q)) return problem(400, "bad-parameter", "Bad query parameter", "malformed query string");
        AuditQuery query;
        for (const auto& [k, v] : q) {
          if (k == "user") query.user = v;
          else if (k == "action") query.action = v;
          else if (k == "outcome") query.outcome = v;
          else if (k == "since" || k == "until" || k == "limit" || k == "offset") {
            const auto n = parse_int(v);
            if (!n || *n < 0 || (k == "limit" && (*n < 1 || *n > 1000))) {
              return problem(400, "bad-parameter", "Bad query parameter",
                             fmt::format("{}: '{}' is not {}", k, v,
                                         k == "limit" ? "a whole number from 1 to 1000"
                                                      : (k == "offset" ? "a whole number >= 0" : "a time in Unix milliseconds")));
            }
            if (k == "since") query.since_ms = *n;
            else if (k == "until") query.until_ms = *n;
            else if (k == "limit") query.limit = static_cast<std::size_t>(*n);
            else query.offset = static_cast<std::size_t>(*n);
          } else {
            return problem(400, "bad-parameter", "Bad query parameter",
                           fmt::format("unknown parameter '{}'; parameters: user, action, outcome, since, until, limit, offset", k));
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

}  // namespace hyperion::web
