#include "hyperion/web/auth_api.hpp"

#include "hyperion/auth/crypto.hpp"
#include "routes/routes.hpp"

namespace hyperion::web {

void authenticate_request(const auth::AuthService& auth, HttpRequest& req) {
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
  return !sent.empty() && auth::constant_time_equal(auth::as_bytes(sent), auth::as_bytes(expected));
}

// In the order of the table (and of the OpenAPI document): each area's routes come from its
// file under routes/.
void register_auth_api(Router& router, auth::AuthService& auth, AuthApiOptions options) {
  routes::register_auth_routes(router, auth, options);
  routes::register_user_routes(router, auth);
  routes::register_audit_routes(router, auth);
}

}  // namespace hyperion::web
