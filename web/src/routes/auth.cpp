#include "routes.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "common.hpp"
#include "hyperion/auth/crypto.hpp"
#include "hyperion/web/request_body.hpp"

namespace hyperion::web::routes {
namespace {

using nlohmann::json;
using namespace hyperion::auth;

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

}  // namespace

void register_auth_routes(Router& router, AuthService& auth, AuthApiOptions options) {
  const auto now_ms = [] {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
  };

  // --- sessions

  add_blocking(router, "POST", "/api/v1/auth/login",
      "Log in: {username, password, otp}; returns access and refresh tokens (and cookies)",
      kPublic, [&auth, options](const HttpRequest& req, const RouteParams&) {
        json body;
        if (auto e = read_json_body(req,
                                    {{"username", json::value_t::string, true, 64},
                                     {"password", json::value_t::string, true, 1024},
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

  add_blocking(router, "POST", "/api/v1/auth/refresh",
      "New tokens for a refresh token ({refresh_token}, or the cookie); the old one is spent", kPublic,
      [&auth, options](const HttpRequest& req, const RouteParams&) {
        json body;
        if (auto e = read_json_body(req, {{"refresh_token", json::value_t::string, false, 128}}, body, true)) return *e;
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

  add_blocking(router, "POST", "/api/v1/auth/logout",
      "Log out: ends this session (its refresh tokens) and clears the cookies", auth::Role::viewer,
      [&auth, options](const HttpRequest& req, const RouteParams&) {
        auth.logout(*req.principal, req.remote_address);
        auto r = json_response(200, json{{"logged_out", true}});
        clear_cookies(r, options);
        return r;
      },
      true);

  add_blocking(router, "GET", "/api/v1/auth/me", "Who the credentials belong to", auth::Role::viewer,
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

  add_blocking(router, "POST", "/api/v1/auth/password",
      "Change your password: {current_password, new_password}; returns new tokens when the refresh cookie is sent",
      auth::Role::viewer,
      [&auth, options](const HttpRequest& req, const RouteParams&) {
        json body;
        if (auto e = read_json_body(req,
                                    {{"current_password", json::value_t::string, true, 1024},
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

  add_blocking(router, "POST", "/api/v1/auth/totp",
      "Start enrolling a TOTP second factor: {password}; returns the secret and an otpauth:// URI", auth::Role::viewer,
      [&auth](const HttpRequest& req, const RouteParams&) {
        json body;
        if (auto e = read_json_body(req, {{"password", json::value_t::string, true, 1024}}, body)) return *e;
        if (req.principal->api_token_id) return problem(403, "forbidden", "Forbidden", "an API token cannot enrol a second factor");
        const auto r = auth.begin_totp(actor_of(req), body["password"].get<std::string>());
        if (const auto* e = failed(r)) return from_error(*e);
        const auto& t = std::get<TotpEnrollment>(r);
        return json_response(200, json{{"secret", t.secret_base32}, {"otpauth_uri", t.otpauth_uri}});
      });

  add_blocking(router, "POST", "/api/v1/auth/totp/confirm",
      "Confirm the enrolment with a first code: {code}; returns 10 recovery codes",
      auth::Role::viewer, [&auth](const HttpRequest& req, const RouteParams&) {
        json body;
        if (auto e = read_json_body(req, {{"code", json::value_t::string, true, 16}}, body)) return *e;
        const auto r = auth.confirm_totp(actor_of(req), body["code"].get<std::string>());
        if (const auto* e = failed(r)) return from_error(*e);
        return json_response(200, json{{"recovery_codes", std::get<std::vector<std::string>>(r)}});
      });

  add_blocking(router, "DELETE", "/api/v1/auth/totp", "Remove your second factor: {password}", auth::Role::viewer,
      [&auth](const HttpRequest& req, const RouteParams&) {
        json body;
        if (auto e = read_json_body(req, {{"password", json::value_t::string, true, 1024}}, body)) return *e;
        const auto r = auth.disable_totp(actor_of(req), body["password"].get<std::string>());
        if (const auto* e = failed(r)) return from_error(*e);
        return json_response(200, json{{"totp_enabled", false}});
      });

  // --- API tokens

  add_blocking(router, "GET", "/api/v1/auth/tokens", "Your API tokens (never their values)", auth::Role::viewer,
      [&auth](const HttpRequest& req, const RouteParams&) {
        json list = json::array();
        for (const auto& t : auth.list_api_tokens(req.principal->user_id)) list.push_back(token_json(t));
        return json_response(200, json{{"tokens", list}});
      });

  add_blocking(router, "POST", "/api/v1/auth/tokens",
      "Create an API token: {name, role, expires_in_days, password}; the token is in this response only", auth::Role::viewer,
      [&auth, now_ms](const HttpRequest& req, const RouteParams&) {
        json body;
        if (auto e = read_json_body(req,
                                    {{"name", json::value_t::string, true, 64},
                                     {"role", json::value_t::string, false, 16},
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

  add_blocking(router, "DELETE", "/api/v1/auth/tokens/{id}", "Revoke an API token", auth::Role::viewer,
      [&auth](const HttpRequest& req, const RouteParams& params) {
        const auto id = parse_int(params.get("id"));
        if (!id || *id <= 0) return problem(400, "bad-id", "Bad token id", fmt::format("'{}' is not a token id", params.get("id")));
        const auto r = auth.revoke_api_token(actor_of(req), *id);
        if (const auto* e = failed(r)) return from_error(*e);
        return json_response(200, json{{"revoked", true}});
      });
}

}  // namespace hyperion::web::routes
