#include "hyperion/web/router.hpp"

#include <catch2/catch.hpp>

using namespace hyperion::web;

namespace {
Handler ok() {
  return [](const HttpRequest&, const RouteParams&) { return HttpResponse{}; };
}
}  // namespace

TEST_CASE("Router::match: literal and captured segments", "[web][router]") {
  Router r;
  r.add({"GET", "/api/v1/hosts/{host}/processes/{pid}", "", hyperion::auth::Role::viewer, ok()});
  r.add({"GET", "/api/v1/hosts", "", hyperion::auth::Role::viewer, ok()});
  const auto m = r.match("GET", "/api/v1/hosts/local/processes/42");
  REQUIRE(m.route);
  CHECK(m.params.get("host") == "local");
  CHECK(m.params.get("pid") == "42");
  CHECK(m.params.get("nope").empty());
  CHECK(r.match("GET", "/api/v1/hosts/").route);  // a trailing slash is the same path
  CHECK_FALSE(r.match("GET", "/api/v1/hosts/local/processes").route);
}

TEST_CASE("Router::match: HEAD answers through GET; other methods get 405 with Allow", "[web][router]") {
  Router r;
  r.add({"GET", "/x", "", hyperion::auth::Role::viewer, ok()});
  r.add({"POST", "/x", "", hyperion::auth::Role::operator_, ok()});
  CHECK(r.match("HEAD", "/x").route);
  const auto m = r.match("DELETE", "/x");
  CHECK_FALSE(m.route);
  CHECK(m.status == 405);
  CHECK(m.allow == "GET, HEAD, POST");
  CHECK(r.match("GET", "/y").status == 404);
}

TEST_CASE("parse_query: decodes, keeps order, rejects bad escapes", "[web][http]") {
  QueryParams q;
  REQUIRE(parse_query("sort=-cpu_percent&name=a%20b+c&flag&&x=", q));
  REQUIRE(q.size() == 4);
  CHECK(q[0] == std::pair<std::string, std::string>{"sort", "-cpu_percent"});
  CHECK(q[1].second == "a b c");
  CHECK(q[2] == std::pair<std::string, std::string>{"flag", ""});
  CHECK(q[3] == std::pair<std::string, std::string>{"x", ""});
  CHECK_FALSE(parse_query("a=%zz", q));
  CHECK_FALSE(parse_query("a=%4", q));
  CHECK_FALSE(parse_query("a=%", q));
}

TEST_CASE("problem: RFC 9457 body and media type", "[web][http]") {
  const auto r = problem(422, "bad-value", "Bad value", "x must be \"positive\"");
  CHECK(r.status == 422);
  CHECK(r.content_type == "application/problem+json");
  CHECK(r.body == R"({"type":"https://hyperion.invalid/problems/bad-value","title":"Bad value","status":422,)"
                  R"("detail":"x must be \"positive\""})");
}
