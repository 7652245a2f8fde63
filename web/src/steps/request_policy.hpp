#pragma once

// The checks a request passes before its handler runs, as steps the HTTP session calls, each
// free of Beast and of the connection: which Host names are served (DNS rebinding), which
// origins may call the API (CORS) or open the live socket, and whether the credentials allow
// the route. Each returns the refusal to send, or nothing.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "hyperion/web/client_address.hpp"
#include "hyperion/web/http.hpp"
#include "hyperion/web/router.hpp"

namespace hyperion::web {

// 421 for a Host this server does not answer to; 400 for an HTTP/1.1 request without one.
std::optional<HttpResponse> check_host(const AllowedHosts& allowed, std::string_view host, unsigned http_version);

// The request's Origin when it is one of http.cors_allowed_origins, else empty.
std::string cors_origin(const std::vector<std::string>& allowed, std::string_view origin);
// The answer to a CORS preflight (OPTIONS with Access-Control-Request-Method).
HttpResponse cors_preflight();

// A WebSocket's Origin: one of live.allowed_origins, or this server's own ("http(s)://HOST"
// with HOST the Host header the browser sent).
bool live_origin_allowed(const std::vector<std::string>& allowed, std::string_view origin, std::string_view host);

// The route's role against the request's credentials (authenticate_request ran): 401 without
// any, 403 with too little, 403 until a temporary password is changed, 403 for a cookie
// without its CSRF header.
std::optional<HttpResponse> authorize(const Route& route, const HttpRequest& request);

}  // namespace hyperion::web
