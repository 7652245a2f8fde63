#pragma once

// The route table: method + path pattern -> handler. Patterns are literal segments and
// "{name}" captures ("/api/v1/hosts/{host}/processes/{pid}"). Every route carries what the
// OpenAPI document and, later, authorisation need: a summary and the role it requires.

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "hyperion/auth/service.hpp"
#include "hyperion/web/http.hpp"

namespace hyperion::web {

struct RouteParams {
  std::vector<std::pair<std::string, std::string>> values;
  std::string_view get(std::string_view name) const noexcept;
};

using Handler = std::function<HttpResponse(const HttpRequest&, const RouteParams&)>;

// Who may call a route: anyone (kPublic), or someone signed in with at least this role.
using Access = std::optional<auth::Role>;
inline constexpr Access kPublic = std::nullopt;
// "public", "viewer", "operator", "admin" (OpenAPI's x-required-role, messages).
std::string_view to_string(const Access& access);

struct Route {
  std::string method;   // "GET" also answers HEAD
  std::string pattern;
  std::string summary;  // one line, for OpenAPI
  Access role;          // kPublic or the least role it needs
  Handler handler;
  std::vector<std::string> query_parameters{};  // documented query parameters (OpenAPI)
  std::vector<std::string> required_query{};    // those of them a request must give
  // OpenAPI extras: a description per query parameter (name, text), and the 200 body's JSON
  // schema as JSON text (empty: none, or the family view's).
  std::vector<std::pair<std::string, std::string>> query_help{};
  std::string response_schema{};
  // Runs on the server's worker thread, not the network thread: the handler blocks (the
  // database, a password hash). One at a time, in arrival order.
  bool blocking = false;
  // For a blocking route: the executor it runs on (HttpServer::set_lane_executor), so that a
  // slow kind of work (history queries) never waits behind another (password hashes). Empty,
  // or a lane without an executor: the blocking executor.
  std::string lane{};
  // Usable by a user who must change their password first (the rest answer 403 until then).
  bool before_password_change = false;
  // The family view (families.hpp) whose envelope the route answers with; empty: none. The
  // OpenAPI document describes the body from it.
  std::string family_view{};
};

struct RouteMatch {
  const Route* route = nullptr;  // null: see status
  RouteParams params;
  int status = 200;              // 404 no such path, 405 path exists for other methods
  std::string allow;             // for 405: "GET, HEAD"
};

class Router {
 public:
  void add(Route route);
  RouteMatch match(std::string_view method, std::string_view path) const;
  const std::vector<Route>& routes() const noexcept { return routes_; }

 private:
  std::vector<Route> routes_;
};

}  // namespace hyperion::web
