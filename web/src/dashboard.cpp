#include "hyperion/web/dashboard.hpp"

#include <string>

#include <fmt/format.h>

namespace hyperion::web {
namespace {

// The page may load only its own files and talk only to its own origin (the WebSocket
// included: CSP 3 lets 'self' match ws: and wss: on the same host). Styles set through the
// CSSOM (uPlot, Preact's style props) are not inline styles and need no 'unsafe-inline'.
constexpr std::string_view kContentSecurityPolicy =
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "font-src 'self'; manifest-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

const EmbeddedAsset* find_asset(std::string_view path) {
  for (const auto& a : embedded_assets()) {
    if (a.path == path) return &a;
  }
  return nullptr;
}

// True when an If-None-Match value names this entity tag (or is "*"), RFC 9110 13.1.2:
// a weak comparison, so W/"x" matches "x".
bool etag_matches(std::string_view if_none_match, std::string_view etag) {
  return any_list_item(if_none_match, ',', [&](std::string_view item) {
    if (item.starts_with("W/")) item.remove_prefix(2);
    return item == "*" || item == etag;
  });
}

HttpResponse serve(const EmbeddedAsset& a, const HttpRequest& req) {
  HttpResponse r;
  r.content_type = std::string(a.content_type);
  r.headers.emplace_back("ETag", std::string(a.etag));
  r.headers.emplace_back("Cache-Control", a.immutable ? "public, max-age=31536000, immutable" : "no-cache");
  r.headers.emplace_back("Content-Security-Policy", std::string(kContentSecurityPolicy));
  r.headers.emplace_back("Referrer-Policy", "no-referrer");
  r.headers.emplace_back("X-Frame-Options", "DENY");
  if (!a.gzip_body.empty()) r.headers.emplace_back("Vary", "Accept-Encoding");
  if (etag_matches(req.header("if-none-match"), a.etag)) {
    r.status = 304;
    r.static_body = std::string_view("", 0);
    return r;
  }
  if (!a.gzip_body.empty() && accepts_gzip(req.header("accept-encoding"))) {
    r.headers.emplace_back("Content-Encoding", "gzip");
    r.static_body = a.gzip_body;
  } else {
    r.static_body = a.body;
  }
  return r;
}

}  // namespace

void register_dashboard(Router& router) {
  router.add({"GET", "/", "The dashboard (HTML; its scripts and styles are under /assets/)", kPublic,
              [](const HttpRequest& req, const RouteParams&) {
                if (const auto* a = find_asset("/")) return serve(*a, req);
                return problem(404, "no-dashboard", "No dashboard",
                               "this hyperiond was built without its dashboard (HYPERION_DASHBOARD=OFF); the API is "
                               "under /api/v1/ and described at /api/v1/openapi.json");
              }});
  router.add({"GET", "/assets/{file}", "A file of the dashboard: script, style or icon, named by its content hash",
              kPublic, [](const HttpRequest& req, const RouteParams& params) {
                const auto path = fmt::format("/assets/{}", params.get("file"));
                if (const auto* a = find_asset(path)) return serve(*a, req);
                return problem(404, "not-found", "Not found", fmt::format("no dashboard file at {}", path));
              }});
}

}  // namespace hyperion::web
