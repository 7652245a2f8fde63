// libFuzzer target: an HTTP request from its bytes up to routing, as the server handles it
// (Session::read_request, on_read and handle in web/src/http_server.cpp, mirrored here since
// Session is private to that file): Beast's request parser with the default limits (header
// 8 KiB, body 64 KiB), then for each complete request: the target split and percent-decoded,
// the query parsed, the headers lower-cased into an HttpRequest and looked up, Accept-Encoding,
// the upgrade test, and Router::match on the real route table. Bytes after a complete request
// are the next one (pipelining), up to kMaxRequests.
//
// Each step is a function in kChecks: a new check is one function and one line there.
#include <boost/asio/buffer.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/websocket/rfc6455.hpp>

#include <array>
#include <cctype>
#include <optional>
#include <string>

#include "hyperion/web/api.hpp"
#include "hyperion/web/auth_api.hpp"
#include "hyperion/web/dashboard.hpp"
#include "hyperion/web/client_address.hpp"
#include "hyperion/web/http.hpp"
#include "hyperion/web/router.hpp"

#include "fuzz_support.hpp"

namespace beast = boost::beast;
namespace http = beast::http;
namespace web = hyperion::web;

namespace {

constexpr std::uint32_t kHeaderLimit = 8 * 1024;  // http.max_header_bytes default
constexpr std::uint64_t kBodyLimit = 64 * 1024;   // http.max_body_bytes default
constexpr int kMaxRequests = 16;

// The routes the daemon serves without accounts: register_api (its handlers never run here, so
// the context has no snapshot) and the dashboard's. register_auth_api needs an AuthService
// (a database): not here.
struct Server {
  web::Router router;
  Server() {
    web::ApiContext context;
    context.snapshot = [](std::string_view) { return std::shared_ptr<const hyperion::collectors::Snapshot>(); };
    context.hosts = [] { return std::vector<std::string>{"local"}; };
    context.now_ms = [] { return std::int64_t{1'700'000'000'000}; };
    web::register_api(router, std::move(context));
    web::register_dashboard(router);
  }
};

// One parsed request and what Session::handle makes of it.
struct Request {
  const http::request<http::string_body>& raw;
  std::string_view target;
  web::HttpRequest hr;
  bool target_ok = false;  // absolute path, well-formed escapes, no NUL: else the server answers 400
};

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// As Session::handle: target -> decoded path and raw query; headers lower-cased; body.
void check_target(Request& r, const Server&) {
  r.hr.method = std::string(r.raw.method_string());
  if (r.target.empty() || r.target.front() != '/') return;
  const auto q = r.target.find('?');
  const auto raw_path = r.target.substr(0, q);
  if (!web::percent_decode(raw_path, r.hr.path, false) || r.hr.path.find('\0') != std::string::npos) return;
  HYPERION_FUZZ_CHECK(r.hr.path.size() <= raw_path.size());
  if (q != std::string_view::npos) r.hr.query = std::string(r.target.substr(q + 1));
  for (const auto& field : r.raw) r.hr.headers.emplace_back(lower(field.name_string()), std::string(field.value()));
  r.hr.body = r.raw.body();
  r.hr.remote_address = "192.0.2.1";
  r.target_ok = true;
}

void check_query(Request& r, const Server&) {
  if (!r.target_ok) return;
  web::QueryParams params;
  if (!web::parse_query(r.hr.query, params)) return;  // the route answers 400
  std::size_t bytes = 0;
  for (const auto& [k, v] : params) bytes += k.size() + v.size();
  HYPERION_FUZZ_CHECK(bytes <= r.hr.query.size());
}

void check_headers(Request& r, const Server&) {
  if (!r.target_ok) return;
  for (const auto name : {"authorization", "cookie", "origin", "host", "x-forwarded-for", "forwarded", "content-type",
                          "x-csrf-token", "access-control-request-method"}) {
    (void)r.hr.header(name);
  }
  for (const auto name : {web::kAccessCookie, web::kRefreshCookie, web::kCsrfCookie}) {
    const auto value = r.hr.cookie(name);
    HYPERION_FUZZ_CHECK(value.find(';') == std::string_view::npos);
  }
  // What the server makes of them: the client behind a trusted proxy, and the Host check.
  static const auto trusted = *web::parse_networks("127.0.0.1, 10.0.0.0/8, fd00::/8");
  const auto client = web::client_address("127.0.0.1", r.hr.header("x-forwarded-for"), r.hr.header("forwarded"), trusted);
  HYPERION_FUZZ_CHECK(client == "127.0.0.1" || web::parse_ip(client).has_value());
  (void)web::address_block(client);
  static const web::AllowedHosts allowed{false, {"localhost", "127.0.0.1", "::1", "monitor.example"}};
  if (web::host_allowed(allowed, r.hr.header("host"))) HYPERION_FUZZ_CHECK(web::host_of(r.hr.header("host")).has_value());
  (void)web::parse_networks(r.hr.header("x-forwarded-for"));
}

void check_encoding(Request& r, const Server&) {
  (void)web::accepts_gzip(r.raw[http::field::accept_encoding]);
  (void)beast::websocket::is_upgrade(r.raw);
  (void)r.raw.keep_alive();
}

void check_route(Request& r, const Server& server) {
  if (!r.target_ok) return;
  const auto m = server.router.match(r.hr.method, r.hr.path);
  if (m.route) {
    HYPERION_FUZZ_CHECK(m.status == 200);
    HYPERION_FUZZ_CHECK(m.route->method == r.hr.method || (r.hr.method == "HEAD" && m.route->method == "GET"));
    for (const auto& [name, value] : m.params.values) {
      HYPERION_FUZZ_CHECK(!value.empty() && value.find('/') == std::string::npos);
      HYPERION_FUZZ_CHECK(m.params.get(name).data() != nullptr);
    }
  } else {
    HYPERION_FUZZ_CHECK(m.status == 404 || (m.status == 405 && !m.allow.empty()));
  }
}

// The double-submit check, as if the credentials had come in the session cookie.
void check_csrf(Request& r, const Server&) {
  if (!r.target_ok) return;
  r.hr.via_cookie = true;
  (void)web::csrf_ok(r.hr);
  r.hr.via_cookie = false;
}

using Check = void (*)(Request&, const Server&);
constexpr std::array<Check, 6> kChecks = {check_target, check_query, check_headers, check_encoding, check_route,
                                          check_csrf};

// Feeds the parser as Beast's read loop does with everything already in the buffer: put() the
// unconsumed bytes; on need_more that loop reads more before the next put(), and here nothing
// more will come (the peer closed). Returns the bytes consumed, or nullopt when the request is
// bad (the server answers 400, 413 or 431 and closes) or incomplete.
std::optional<std::size_t> parse(std::string_view bytes, http::request_parser<http::string_body>& parser) {
  parser.header_limit(kHeaderLimit);
  parser.body_limit(kBodyLimit);
  parser.eager(true);
  std::size_t used = 0;
  while (!parser.is_done()) {
    beast::error_code ec;
    const auto n = parser.put(boost::asio::buffer(bytes.data() + used, bytes.size() - used), ec);
    used += n;
    if (ec == http::error::need_more || (!ec && n == 0)) {
      parser.put_eof(ec);
      if (ec || !parser.is_done()) return std::nullopt;
    } else if (ec) {
      return std::nullopt;
    }
  }
  return used;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const Server server;  // the route table, built once
  auto bytes = hyperion::fuzz::as_text(data, size);
  for (int i = 0; i < kMaxRequests && !bytes.empty(); ++i) {
    http::request_parser<http::string_body> parser;
    const auto used = parse(bytes, parser);
    if (!used) break;
    HYPERION_FUZZ_CHECK(*used <= bytes.size());
    const auto& raw = parser.get();
    HYPERION_FUZZ_CHECK(raw.body().size() <= kBodyLimit);
    Request r{raw, raw.target(), {}, false};
    for (const auto check : kChecks) check(r, server);
    if (*used == 0 || !raw.keep_alive()) break;  // the server closes after this response
    bytes.remove_prefix(*used);
  }
  return 0;
}
