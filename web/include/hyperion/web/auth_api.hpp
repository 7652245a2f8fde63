#pragma once

// The routes of accounts and sessions (/api/v1/auth/..., /api/v1/users/..., /api/v1/audit),
// and how a request's credentials are found: "Authorization: Bearer TOKEN" (an access token or
// an API token) or, for the dashboard, HttpOnly SameSite=Strict cookies. A request that
// authenticates with the cookie and changes something (POST, PUT, PATCH, DELETE) must also
// send the X-CSRF-Token header equal to the CSRF cookie (double submit).

#include <optional>
#include <string_view>

#include "hyperion/auth/service.hpp"
#include "hyperion/web/http.hpp"
#include "hyperion/web/router.hpp"

namespace hyperion::web {

inline constexpr std::string_view kAccessCookie = "hyperion_access";
inline constexpr std::string_view kRefreshCookie = "hyperion_refresh";
inline constexpr std::string_view kCsrfCookie = "hyperion_csrf";
inline constexpr std::string_view kCsrfHeader = "x-csrf-token";

struct AuthApiOptions {
  bool secure_cookies = false;  // add Secure (served over TLS)
};

// Finds and checks the request's credentials; sets req.principal and req.via_cookie.
void authenticate_request(const auth::AuthService& auth, HttpRequest& req);

// True when a cookie-authenticated request that changes something carries the CSRF header.
bool csrf_ok(const HttpRequest& req);

// The auth routes; their handlers are `blocking` (database, Argon2id): the server runs them on
// its worker thread.
void register_auth_api(Router& router, auth::AuthService& auth, AuthApiOptions options);

}  // namespace hyperion::web
