#include "request_policy.hpp"

#include <fmt/format.h>

#include "hyperion/web/auth_api.hpp"

namespace hyperion::web {

std::optional<HttpResponse> check_host(const AllowedHosts& allowed, std::string_view host, unsigned http_version) {
  if (allowed.any) return std::nullopt;
  if (host.empty()) {
    if (http_version < 11) return std::nullopt;  // HTTP/1.0 may omit it; no browser does
    return problem(400, "malformed-request", "Malformed request", "an HTTP/1.1 request needs a Host header");
  }
  if (host_allowed(allowed, host)) return std::nullopt;
  return problem(421, "misdirected-request", "Misdirected request",
                 fmt::format("this server does not answer to the host '{}'; its names are set by http.allowed_hosts",
                             host.substr(0, 128)));
}

std::string cors_origin(const std::vector<std::string>& allowed, std::string_view origin) {
  if (origin.empty()) return {};
  for (const auto& a : allowed) {
    if (origin == a) return std::string(origin);
  }
  return {};
}

HttpResponse cors_preflight() {
  HttpResponse r;
  r.status = 204;
  r.content_type = "text/plain";
  r.headers.emplace_back("Access-Control-Allow-Methods", "GET, HEAD, POST, PATCH, DELETE");
  r.headers.emplace_back("Access-Control-Allow-Headers", "Authorization, Content-Type");
  r.headers.emplace_back("Access-Control-Max-Age", "600");
  return r;
}

bool live_origin_allowed(const std::vector<std::string>& allowed, std::string_view origin, std::string_view host) {
  for (const auto& a : allowed) {
    if (origin == a) return true;
  }
  for (const std::string_view scheme : {"http://", "https://"}) {
    if (origin.starts_with(scheme) && origin.substr(scheme.size()) == host) return true;
  }
  return false;
}

std::optional<HttpResponse> authorize(const Route& route, const HttpRequest& hr) {
  if (route.role == kPublic) return std::nullopt;
  if (!hr.principal) {
    auto r = problem(401, "unauthenticated", "Authentication required",
                     "log in (POST /api/v1/auth/login) or send an API token: Authorization: Bearer TOKEN");
    r.headers.emplace_back("WWW-Authenticate", "Bearer realm=\"hyperion\"");
    return r;
  }
  const auto need = *route.role;
  if (!auth::role_allows(hr.principal->role, need)) {
    return problem(403, "forbidden", "Forbidden",
                   fmt::format("{} {} needs the role {}; {} has {}", hr.method, route.pattern, to_string(route.role),
                               hr.principal->username, auth::to_string(hr.principal->role)));
  }
  if (hr.principal->must_change_password && !route.before_password_change) {
    return problem(403, "password-change-required", "Password change required",
                   "this account has a temporary password: change it first (POST /api/v1/auth/password)");
  }
  if (!csrf_ok(hr)) {
    return problem(403, "csrf", "CSRF check failed",
                   "a request authenticated by the session cookie that changes something needs the X-CSRF-Token "
                   "header, equal to the hyperion_csrf cookie");
  }
  return std::nullopt;
}

}  // namespace hyperion::web
