#include "hyperion/web/dashboard.hpp"

#include <string>

#include <catch2/catch.hpp>

#include "gunzip.hpp"

using namespace hyperion::web;

namespace {

HttpResponse get(const Router& router, const std::string& path, std::vector<std::pair<std::string, std::string>> headers = {}) {
  HttpRequest req;
  req.method = "GET";
  req.path = path;
  req.headers = std::move(headers);
  const auto m = router.match("GET", path);
  if (!m.route) return problem(m.status, "no-route", "No route", path);
  return m.route->handler(req, m.params);
}

#if HYPERION_DASHBOARD_BUILT

std::string header(const HttpResponse& r, std::string_view name) {
  for (const auto& [k, v] : r.headers) {
    if (k == name) return v;
  }
  return {};
}


// The script and stylesheet the page names: "assets/main-XXXX.js".
std::string referenced(std::string_view html, std::string_view suffix) {
  const auto end = html.find(suffix);
  REQUIRE(end != std::string_view::npos);
  const auto start = html.rfind('"', end);
  return "/" + std::string(html.substr(start + 1, end + suffix.size() - start - 1));
}

#endif

}  // namespace

#if HYPERION_DASHBOARD_BUILT

TEST_CASE("Dashboard: the page and every file it names are embedded and served", "[web][dashboard]") {
  Router router;
  register_dashboard(router);
  const auto page = get(router, "/");
  REQUIRE(page.status == 200);
  CHECK(page.content_type == "text/html; charset=utf-8");
  const std::string html(page.payload());
  CHECK(html.find("<div id=\"app\">") != std::string::npos);
  CHECK(header(page, "Cache-Control") == "no-cache");
  CHECK(header(page, "Content-Security-Policy").find("frame-ancestors 'none'") != std::string::npos);
  CHECK(header(page, "Content-Security-Policy").find("script-src 'self'") != std::string::npos);
  CHECK(header(page, "X-Frame-Options") == "DENY");

  for (const auto* suffix : {".js\"", ".css\""}) {
    auto path = referenced(html, suffix);
    path.pop_back();  // the closing quote
    INFO(path);
    const auto asset = get(router, path);
    REQUIRE(asset.status == 200);
    CHECK(asset.payload().size() > 1000);
    CHECK(header(asset, "Cache-Control") == "public, max-age=31536000, immutable");
    CHECK(asset.content_type.starts_with(path.ends_with(".js") ? "text/javascript" : "text/css"));
  }
}

TEST_CASE("Dashboard: gzip when accepted, the same bytes once inflated", "[web][dashboard]") {
  Router router;
  register_dashboard(router);
  const auto plain = get(router, "/");
  const auto zipped = get(router, "/", {{"accept-encoding", "br, gzip;q=0.8"}});
  REQUIRE(header(zipped, "Content-Encoding") == "gzip");
  CHECK(header(plain, "Content-Encoding").empty());
  CHECK(header(zipped, "Vary") == "Accept-Encoding");
  CHECK(hyperion::test::gunzip(zipped.payload()) == plain.payload());
  CHECK(header(get(router, "/", {{"accept-encoding", "gzip;q=0"}}), "Content-Encoding").empty());
  for (const auto& a : embedded_assets()) {
    INFO(a.path);
    if (!a.gzip_body.empty()) CHECK(hyperion::test::gunzip(a.gzip_body) == a.body);
    CHECK(a.gzip_body.size() < a.body.size());
  }
}

TEST_CASE("Dashboard: If-None-Match with the ETag answers 304 with no body", "[web][dashboard]") {
  Router router;
  register_dashboard(router);
  const auto first = get(router, "/");
  const auto etag = header(first, "ETag");
  REQUIRE(etag.size() > 2);
  CHECK(etag.front() == '"');
  const auto again = get(router, "/", {{"if-none-match", "\"other\", W/" + etag}});
  CHECK(again.status == 304);
  CHECK(again.payload().empty());
  CHECK(header(again, "ETag") == etag);
  CHECK(get(router, "/", {{"if-none-match", "\"stale\""}}).status == 200);
}

TEST_CASE("Dashboard: an unknown file is a problem+json 404", "[web][dashboard]") {
  Router router;
  register_dashboard(router);
  for (const auto* path : {"/assets/nope.js", "/assets/..%2f..%2fetc%2fpasswd", "/assets/main.js"}) {
    INFO(path);
    const auto r = get(router, path);
    CHECK(r.status == 404);
    CHECK(r.content_type == "application/problem+json");
  }
}

#else

TEST_CASE("Dashboard: built without it, / says so in a problem+json 404", "[web][dashboard]") {
  Router router;
  register_dashboard(router);
  CHECK(embedded_assets().empty());
  const auto r = get(router, "/");
  CHECK(r.status == 404);
  CHECK(r.content_type == "application/problem+json");
  CHECK(std::string(r.payload()).find("no-dashboard") != std::string::npos);
}

#endif

TEST_CASE("accepts_gzip: codings, q-values and case", "[web][http]") {
  CHECK(accepts_gzip("gzip"));
  CHECK(accepts_gzip("deflate, GZIP"));
  CHECK(accepts_gzip("*"));
  CHECK(accepts_gzip("gzip;q=0.5"));
  CHECK(accepts_gzip("gzip; Q=1"));
  CHECK_FALSE(accepts_gzip(""));
  CHECK_FALSE(accepts_gzip("br, deflate"));
  CHECK_FALSE(accepts_gzip("gzip;q=0"));
  CHECK_FALSE(accepts_gzip("gzip;q=0.000"));
  CHECK_FALSE(accepts_gzip("x-gzip-not"));
}
