#pragma once

// Routing and running a handler, as steps the HTTP session calls.

#include <functional>
#include <string>

#include "hyperion/web/http.hpp"
#include "hyperion/web/router.hpp"

namespace hyperion::web {

// The answer when no route matched: 405 with Allow, or 404.
HttpResponse no_route(const RouteMatch& match, const HttpRequest& request);

// Runs a handler. An exception is a bug or a failure of ours (the database), never bad input
// (handlers answer 4xx themselves): it goes to `error_log` with an incident id, and the client
// gets a generic 500 naming that id, never the error's text (which may hold SQL).
HttpResponse call_handler(const Route& route, const HttpRequest& request, const RouteParams& params,
                          const std::function<void(const std::string&)>& error_log);

}  // namespace hyperion::web
