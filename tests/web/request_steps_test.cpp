// The steps the HTTP session calls (web/src/steps), each on its own, without a connection.

#include <catch2/catch.hpp>

#include "gunzip.hpp"
#include <nlohmann/json.hpp>

#include "steps/compression.hpp"
#include "steps/dispatch.hpp"
#include "steps/request_policy.hpp"

using namespace hyperion::web;
using hyperion::auth::Principal;
using hyperion::auth::Role;

namespace {

Route route(Access role, bool before_password_change = false) {
  Route r;
  r.method = "POST";
  r.pattern = "/api/v1/things";
  r.role = role;
  r.before_password_change = before_password_change;
  r.handler = [](const HttpRequest&, const RouteParams&) { return HttpResponse{}; };
  return r;
}

HttpRequest request_as(std::optional<Role> role, bool must_change = false) {
  HttpRequest hr;
  hr.method = "POST";
  hr.path = "/api/v1/things";
  if (role) {
    Principal p;
    p.username = "alice";
    p.role = *role;
    p.must_change_password = must_change;
    hr.principal = p;
  }
  return hr;
}

std::string problem_type(const HttpResponse& r) { return nlohmann::json::parse(r.body).value("type", ""); }


}  // namespace

TEST_CASE("authorize: 401 without credentials, 403 with too little, a temporary password or no CSRF header",
          "[web][steps]") {
  CHECK_FALSE(authorize(route(kPublic), request_as(std::nullopt)).has_value());

  const auto anonymous = authorize(route(Role::operator_), request_as(std::nullopt));
  REQUIRE(anonymous);
  CHECK(anonymous->status == 401);
  CHECK(anonymous->has_header("WWW-Authenticate"));

  const auto viewer = authorize(route(Role::operator_), request_as(Role::viewer));
  REQUIRE(viewer);
  CHECK(viewer->status == 403);
  CHECK(problem_type(*viewer).ends_with("forbidden"));

  CHECK_FALSE(authorize(route(Role::operator_), request_as(Role::admin)).has_value());

  const auto temporary = authorize(route(Role::viewer), request_as(Role::admin, true));
  REQUIRE(temporary);
  CHECK(temporary->status == 403);
  CHECK(problem_type(*temporary).ends_with("password-change-required"));
  CHECK_FALSE(authorize(route(Role::viewer, true), request_as(Role::admin, true)).has_value());

  // A cookie session changing something without X-CSRF-Token.
  auto cookie = request_as(Role::admin);
  cookie.via_cookie = true;
  const auto csrf = authorize(route(Role::operator_), cookie);
  REQUIRE(csrf);
  CHECK(csrf->status == 403);
  CHECK(problem_type(*csrf).ends_with("csrf"));
}

TEST_CASE("check_host: 421 for a name the server does not answer to, 400 for HTTP/1.1 without Host",
          "[web][steps]") {
  const AllowedHosts allowed{false, {"localhost", "127.0.0.1"}};
  CHECK_FALSE(check_host(allowed, "localhost:9800", 11).has_value());
  CHECK_FALSE(check_host(allowed, "127.0.0.1", 11).has_value());
  const auto rebinding = check_host(allowed, "attacker.example:9800", 11);
  REQUIRE(rebinding);
  CHECK(rebinding->status == 421);
  const auto missing = check_host(allowed, "", 11);
  REQUIRE(missing);
  CHECK(missing->status == 400);
  CHECK_FALSE(check_host(allowed, "", 10).has_value());  // HTTP/1.0 may omit it
  CHECK_FALSE(check_host(AllowedHosts{true, {}}, "anything.example", 11).has_value());
}

TEST_CASE("CORS and live origins: only the listed origins, or the same origin for the live socket", "[web][steps]") {
  const std::vector<std::string> allowed{"https://grafana.example:3000"};
  CHECK(cors_origin(allowed, "https://grafana.example:3000") == "https://grafana.example:3000");
  CHECK(cors_origin(allowed, "https://grafana.example:3001").empty());
  CHECK(cors_origin(allowed, "").empty());
  CHECK(cors_preflight().status == 204);
  CHECK(cors_preflight().has_header("Access-Control-Allow-Methods"));

  CHECK(live_origin_allowed({}, "http://monitor:9800", "monitor:9800"));
  CHECK(live_origin_allowed({}, "https://monitor:9800", "monitor:9800"));
  CHECK_FALSE(live_origin_allowed({}, "http://evil.example", "monitor:9800"));
  CHECK(live_origin_allowed(allowed, "https://grafana.example:3000", "monitor:9800"));
}

TEST_CASE("dispatch: 404 and 405 with Allow; a throwing handler is a 500 naming an incident, not the error",
          "[web][steps]") {
  HttpRequest hr;
  hr.method = "DELETE";
  hr.path = "/api/v1/x";
  RouteMatch none;
  none.status = 404;
  CHECK(no_route(none, hr).status == 404);
  RouteMatch other;
  other.status = 405;
  other.allow = "GET, HEAD";
  const auto wrong = no_route(other, hr);
  CHECK(wrong.status == 405);
  CHECK(wrong.has_header("Allow"));

  Route throwing = route(kPublic);
  throwing.handler = [](const HttpRequest&, const RouteParams&) -> HttpResponse {
    throw std::runtime_error("SELECT secret FROM users failed");
  };
  std::string logged;
  const auto r = call_handler(throwing, hr, {}, [&](const std::string& m) { logged = m; });
  CHECK(r.status == 500);
  CHECK(r.body.find("SELECT") == std::string::npos);
  CHECK(logged.find("SELECT secret") != std::string::npos);
}

TEST_CASE("compression: only what is worth it, and one gzip per shared body", "[web][steps]") {
  CHECK(worth_compressing(1024, 5000, "application/json", false));
  CHECK_FALSE(worth_compressing(1024, 500, "application/json", false));
  CHECK_FALSE(worth_compressing(0, 5000, "application/json", false));
  CHECK_FALSE(worth_compressing(1024, 5000, "image/png", false));
  CHECK_FALSE(worth_compressing(1024, 5000, "text/html", true));

  const auto body = std::make_shared<const std::string>(std::string(4000, 'x') + "{\"a\":1}");
  GzipCache cache(2);
  const auto first = cache.get(body);
  CHECK(hyperion::test::gunzip(*first) == *body);
  CHECK(cache.get(body) == first);  // the same object: compressed once
  auto other = std::make_shared<const std::string>("other body");
  CHECK(cache.get(other) != first);
}
