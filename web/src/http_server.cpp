#include "hyperion/web/http_server.hpp"

#include "hyperion/web/auth_api.hpp"
#include "server_impl.hpp"
#include "steps/compression.hpp"
#include "steps/dispatch.hpp"
#include "steps/request_policy.hpp"

#include <fmt/format.h>

#include <atomic>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/ssl.hpp>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "hyperion/auth/crypto.hpp"
#include "hyperion/web/client_address.hpp"
#include <type_traits>
#include <map>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <thread>
#include <tuple>
#include <unordered_set>

namespace hyperion::web {

using Clock = std::chrono::steady_clock;

namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

const char* reason(int status) {
  return http::obsolete_reason(static_cast<http::status>(status)).data();
}

}  // namespace

// One HTTP connection; Stream is beast::tcp_stream (plain) or TlsStream.
template <class Stream>
class Session : public SessionBase, public std::enable_shared_from_this<Session<Stream>> {
  static constexpr bool kTls = std::is_same_v<Stream, TlsStream>;

 public:
  Session(Stream&& stream, HttpServer::Impl& server, ConnectionSlot slot)
      : server_(server),
        stream_(std::move(stream)),
        buffer_(static_cast<std::size_t>(server.limits.http.max_header_bytes + server.limits.http.max_body_bytes + 8192)),
        slot_(std::move(slot)) {
    server_.sessions.insert(this);
    if (server_.auth) server_.track_unauthenticated(this);
    ++server_.open;
  }
  ~Session() override {
    server_.sessions.erase(this);
    server_.forget_unauthenticated(this);
    --server_.open;
  }

  void start() {
    asio::dispatch(stream_.get_executor(), [self = this->shared_from_this()] {
      if constexpr (kTls) {
        // The handshake, under the same deadline as a request header.
        self->lowest().expires_after(self->server_.limits.http.header_timeout);
        self->stream_.async_handshake(asio::ssl::stream_base::server, [self](beast::error_code ec) {
          if (ec) return self->close();
          self->wait_for_request();
        });
      } else {
        self->wait_for_request();
      }
    });
  }

  // Called on the io thread when the server drains: an idle connection closes now; one
  // with a request in flight finishes it (its response says Connection: close).
  void drain() override {
    if (!busy_) {
      beast::error_code ec;
      lowest().socket().cancel(ec);
      lowest().socket().close(ec);
    }
  }
  void force_close() override {
    beast::error_code ec;
    lowest().socket().close(ec);
  }
  bool busy() const override { return busy_; }

 private:
  beast::tcp_stream& lowest() { return beast::get_lowest_layer(stream_); }

  // Phase 1: wait for the first bytes of the next request, under the idle timeout.
  void wait_for_request() {
    busy_ = false;
    if (server_.draining) return close();
    if (buffer_.size() > 0) return read_request();  // pipelined: already here
    lowest().expires_after(first_ ? server_.limits.http.header_timeout : server_.limits.http.idle_timeout);
    const std::size_t room = std::min<std::size_t>(4096, buffer_.max_size() - buffer_.size());
    stream_.async_read_some(buffer_.prepare(room), [self = this->shared_from_this()](beast::error_code ec, std::size_t n) {
      if (ec) return self->close();  // idle timeout, EOF, reset, or closed by a drain
      self->buffer_.commit(n);
      self->read_request();
    });
  }

  // Phase 2: the whole request (headers and body) must arrive within the header timeout,
  // however slowly it trickles in (slowloris).
  void read_request() {
    busy_ = true;
    parser_.emplace();
    parser_->header_limit(static_cast<std::uint32_t>(std::min<std::uint64_t>(server_.limits.http.max_header_bytes, UINT32_MAX)));
    parser_->body_limit(server_.limits.http.max_body_bytes);
    lowest().expires_after(server_.limits.http.header_timeout);
    http::async_read(stream_, buffer_, *parser_, [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
      self->on_read(ec);
    });
  }

  void on_read(beast::error_code ec) {
    started_ = Clock::now();
    if (!ec) return handle(parser_->release());
    if (ec == http::error::end_of_stream || ec == beast::error::timeout || ec == asio::error::operation_aborted ||
        ec == asio::error::connection_reset || ec == asio::error::eof) {
      return close();
    }
    // The request is bad; answer and close, since the stream position is unknown.
    if (ec == http::error::header_limit) {
      return send_problem(431, "headers-too-large", "Request headers too large",
                          fmt::format("the request headers exceed the limit of {} bytes", server_.limits.http.max_header_bytes));
    }
    if (ec == http::error::body_limit || ec == http::error::buffer_overflow) {
      return send_problem(413, "body-too-large", "Request body too large",
                          fmt::format("the request body exceeds the limit of {} bytes", server_.limits.http.max_body_bytes));
    }
    if (ec.category() == make_error_code(http::error::bad_target).category()) {
      return send_problem(400, "malformed-request", "Malformed request", "the request is not valid HTTP/1.1: " + ec.message());
    }
    close();
  }

  void send_problem(int status, std::string_view type, std::string_view title, const std::string& detail) {
    auto r = problem(status, type, title, detail);
    send(r, 11, false, false, false, "other", "?");
  }

  void handle(http::request<http::string_body> req) {
    const bool head = req.method() == http::verb::head;
    const bool keep_alive = req.keep_alive() && !server_.draining;
    const unsigned version = req.version();
    const bool gzip_ok = accepts_gzip(req[http::field::accept_encoding]);
    // DNS rebinding: a page of another site whose name now resolves to us sends its own name in
    // Host. Only the names this server answers to are served, REST and WebSocket alike.
    if (auto refused = check_host(server_.limits.allowed_hosts, req[http::field::host], version)) {
      server_.count(server_.misdirected);
      return send(*refused, version, false, head, gzip_ok, "other", req.method_string());
    }
    if (beast::websocket::is_upgrade(req)) return upgrade(std::move(req));
    HttpRequest hr;
    hr.method = std::string(req.method_string());
    const std::string_view target = req.target();
    // A malformed target: answer 400 and close, as for any request we cannot trust.
    if (target.empty() || target.front() != '/') {
      auto r = problem(400, "malformed-request", "Malformed request", "the request target must be an absolute path");
      return send(r, version, false, head, gzip_ok, "other", hr.method);
    }
    const auto q = target.find('?');
    if (!percent_decode(target.substr(0, q), hr.path, false) || hr.path.find('\0') != std::string::npos) {
      auto r = problem(400, "malformed-request", "Malformed request", "the request path has a malformed %-escape");
      return send(r, version, false, head, gzip_ok, "other", hr.method);
    }
    if (q != std::string_view::npos) hr.query = std::string(target.substr(q + 1));
    for (const auto& field : req) hr.headers.emplace_back(lower(field.name_string()), std::string(field.value()));
    hr.body = std::move(req.body());
    hr.remote_address = client_of(hr);

    // CORS, only for the origins in http.cors_allowed_origins: a preflight is answered here;
    // other responses get the allow headers in send().
    cors_origin_ = cors_origin(server_.limits.cors_allowed_origins, hr.header("origin"));
    if (hr.method == "OPTIONS" && !cors_origin_.empty() && !hr.header("access-control-request-method").empty()) {
      auto preflight = cors_preflight();
      return send(preflight, version, keep_alive, head, gzip_ok, "other", hr.method);
    }

    auto match = server_.router.match(hr.method, hr.path);
    HttpResponse r;
    std::string handler = "other";
    if (match.route) {
      handler = match.route->pattern;
      if (server_.auth) {
        authenticate_request(*server_.auth, hr);
        // Credentials seen: this connection no longer counts against the budget of
        // unauthenticated ones, and is never evicted to make room.
        if (hr.principal) server_.forget_unauthenticated(this);
        if (auto refused = authorize(*match.route, hr)) return send(*refused, version, keep_alive, head, gzip_ok, handler, hr.method);
      }
      if (match.route->blocking) {
        return run_on_worker(*match.route, std::move(match.params), std::move(hr), version, keep_alive, head, gzip_ok);
      }
      r = call_handler(*match.route, hr, match.params, server_.error_log);
    } else {
      r = no_route(match, hr);
    }
    send(r, version, keep_alive, head, gzip_ok, handler, hr.method);
  }

  // The client's address: the peer, or behind a trusted proxy the address it forwarded.
  std::string client_of(const HttpRequest& hr) {
    const auto peer = peer_address();
    if (server_.limits.trusted_proxies.empty()) return peer;
    std::string xff, forwarded;
    const auto join = [](std::string& to, const std::string& value) {
      if (!to.empty()) to += ',';
      to += value;
    };
    for (const auto& [k, v] : hr.headers) {
      if (k == "x-forwarded-for") join(xff, v);
      else if (k == "forwarded") join(forwarded, v);
    }
    return client_address(peer, xff, forwarded, server_.limits.trusted_proxies);
  }

  std::string peer_address() {
    beast::error_code ec;
    auto address = lowest().socket().remote_endpoint(ec).address();
    if (ec) return std::string();
    if (address.is_v6() && address.to_v6().is_v4_mapped()) address = asio::ip::make_address_v4(asio::ip::v4_mapped, address.to_v6());
    return address.to_string();
  }

  // A blocking handler: run on the worker thread, answered back on this connection's thread.
  void run_on_worker(const Route& route, RouteParams params, HttpRequest hr, unsigned version, bool keep_alive,
                     bool head, bool gzip_ok) {
    server_.post_blocking(route.lane, [self = this->shared_from_this(), &route, params = std::move(params), hr = std::move(hr),
                           version, keep_alive, head, gzip_ok]() mutable {
      auto r = call_handler(route, hr, params, self->server_.error_log);
      asio::post(self->stream_.get_executor(), [self, &route, r = std::move(r), method = std::move(hr.method), version,
                                                keep_alive, head, gzip_ok]() mutable {
        self->send(r, version, keep_alive && !self->server_.draining, head, gzip_ok, route.pattern, method);
      });
    });
  }

  // A WebSocket upgrade: only /api/v1/live, within the client limit, from the same origin (or
  // an allowed one, or none: a script rather than a browser page). Then the connection
  // belongs to a LiveSession.
  void upgrade(http::request<http::string_body> req) {
    const auto target = std::string_view(req.target());
    const auto path = target.substr(0, target.find('?'));
    const auto refuse = [&](int status, std::string_view type, std::string_view title, const std::string& detail) {
      auto r = problem(status, type, title, detail);
      send(r, req.version(), false, false, false, "/api/v1/live", "GET");
    };
    if (path != "/api/v1/live") {
      return refuse(404, "not-found", "Not found", fmt::format("no WebSocket endpoint at {}", path));
    }
    const auto origin = std::string_view(req[http::field::origin]);
    if (!origin.empty() && !live_origin_allowed(server_.limits.live_allowed_origins, origin, req[http::field::host])) {
      return refuse(403, "origin-not-allowed", "Origin not allowed",
                    fmt::format("origin '{}' is neither this server nor in live.allowed_origins", origin));
    }
    std::optional<auth::Principal> principal;
    if (server_.auth) {
      HttpRequest hr;
      for (const auto& field : req) hr.headers.emplace_back(lower(field.name_string()), std::string(field.value()));
      authenticate_request(*server_.auth, hr);
      principal = std::move(hr.principal);
      // A temporary password reads nothing until it is changed, live data included.
      if (principal && principal->must_change_password) principal.reset();
    }
    // live.max_clients bounds the clients with credentials. Those still to send {"auth"} have a
    // budget of their own (live.max_unauthenticated_clients, the oldest closed to make room), so
    // a flood of sockets that never authenticate cannot keep a signed-in dashboard out.
    if ((principal || !server_.auth) && server_.live_authenticated >= server_.limits.live.max_clients) {
      server_.count(server_.live_rejected);
      return refuse(503, "too-many-clients", "Too many live clients",
                    fmt::format("the live endpoint holds its limit of {} clients", server_.limits.live.max_clients));
    }
    server_.record("/api/v1/live", "GET", 101, std::chrono::duration<double>(Clock::now() - started_).count());
    lowest().expires_never();  // the WebSocket keeps its own time (pings, idle timeout)
    server_.forget_unauthenticated(this);  // the connection is the live session's now
    start_live_session(server_, std::move(stream_), std::move(req), std::move(principal), std::move(slot_));
  }

  void send(HttpResponse& r, unsigned version, bool keep_alive, bool head, bool gzip_ok, const std::string& handler,
            std::string_view method) {
    busy_ = true;
    res_ = {};
    res_.version(version);
    res_.result(static_cast<unsigned>(r.status));
    if (res_.result() == http::status::unknown) res_.reason(reason(r.status));
    res_.set(http::field::content_type, r.content_type);
    res_.set(http::field::cache_control, "no-store");
    // On every response; the dashboard's page sets its own, looser, Content-Security-Policy.
    res_.set("X-Content-Type-Options", "nosniff");
    res_.set("Referrer-Policy", "no-referrer");
    res_.set("X-Frame-Options", "DENY");
    res_.set("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'");
    for (const auto& [k, v] : r.headers) {
      if (k == "Set-Cookie") res_.insert(k, v);
      else res_.set(k, v);
    }
    if (!cors_origin_.empty()) {
      // Bearer tokens only: the session cookies are SameSite=Strict and never sent cross-site.
      res_.set("Access-Control-Allow-Origin", cors_origin_);
      res_.set("Access-Control-Expose-Headers", "Retry-After, WWW-Authenticate");
      res_.set(http::field::vary, "Origin");
    }

    body_owned_.clear();
    body_shared_.reset();
    std::string_view payload = r.payload();
    const bool can_gzip = worth_compressing(server_.limits.http.gzip_min_bytes, payload.size(), r.content_type,
                                            r.has_header("Content-Encoding"));
    if (can_gzip) res_.set(http::field::vary, cors_origin_.empty() ? "Accept-Encoding" : "Origin, Accept-Encoding");
    if (can_gzip && gzip_ok) {
      if (r.shared_body) {
        body_shared_ = server_.gzip_cache.get(r.shared_body);
      } else {
        body_owned_ = gzip(payload);
      }
      res_.set(http::field::content_encoding, "gzip");
      payload = body_shared_ ? std::string_view(*body_shared_) : std::string_view(body_owned_);
    } else if (r.static_body.data() != nullptr) {
      // Lives as long as the program: nothing to hold.
    } else if (r.shared_body) {
      body_shared_ = r.shared_body;
    } else {
      body_owned_ = std::move(r.body);
      payload = body_owned_;
    }
    res_.keep_alive(keep_alive);
    if (head) {
      // HEAD: the headers GET would send, Content-Length included, and no body.
      res_.body() = http::span_body<const char>::value_type(payload.data(), 0);
      res_.content_length(payload.size());
    } else {
      res_.body() = http::span_body<const char>::value_type(payload.data(), payload.size());
      res_.prepare_payload();
    }
    const auto seconds = std::chrono::duration<double>(Clock::now() - started_).count();
    server_.record(handler, method, r.status, seconds);

    lowest().expires_after(server_.limits.http.write_timeout);
    http::async_write(stream_, res_, [self = this->shared_from_this(), keep_alive](beast::error_code ec, std::size_t) {
      if (ec || !keep_alive) return self->close();
      self->first_ = false;
      self->wait_for_request();
    });
  }

  void close() {
    busy_ = false;
    beast::error_code ec;
    lowest().socket().shutdown(tcp::socket::shutdown_send, ec);
    lowest().socket().close(ec);
  }

  HttpServer::Impl& server_;
  Stream stream_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  http::response<http::span_body<const char>> res_;
  std::string body_owned_;
  std::shared_ptr<const std::string> body_shared_;
  std::string cors_origin_;  // the request's Origin when it is allowed (CORS)
  ConnectionSlot slot_;       // this client address's count, handed to a live session on upgrade
  bool busy_ = false;
  bool first_ = true;
  Clock::time_point started_ = Clock::now();
};

void HttpServer::Impl::reject(tcp::socket socket, const std::string& detail) {
  // Over a connection limit: a short 503 and close, rather than a silent reset.
  struct Reject {
    beast::tcp_stream stream;
    std::string text;
  };
  auto r = std::make_shared<Reject>(Reject{beast::tcp_stream(std::move(socket)), {}});
  const std::string body = problem(503, "too-many-connections", "Too many connections", detail).body;
  r->text = fmt::format(
      "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/problem+json\r\nRetry-After: 1\r\n"
      "Connection: close\r\nContent-Length: {}\r\n\r\n{}",
      body.size(), body);
  r->stream.expires_after(std::chrono::seconds(2));
  asio::async_write(r->stream, asio::buffer(r->text), [r](beast::error_code, std::size_t) {
    beast::error_code ec;
    r->stream.socket().shutdown(tcp::socket::shutdown_send, ec);
    r->stream.socket().close(ec);
  });
}

bool HttpServer::Impl::evict_unauthenticated() {
  if (unauthenticated.empty()) return false;
  auto victim = unauthenticated.front();
  for (auto* s : unauthenticated) {
    if (!s->busy()) {
      victim = s;
      break;
    }
  }
  forget_unauthenticated(victim);
  victim->force_close();  // its pending operation ends with an error and the session goes
  count(evicted);
  return true;
}

void HttpServer::Impl::do_accept() {
  acceptor.async_accept([this](beast::error_code ec, tcp::socket socket) {
    if (ec == asio::error::operation_aborted || draining) return;
    if (ec) {
      // EMFILE and friends: back off a little instead of spinning.
      auto timer = std::make_shared<asio::steady_timer>(ioc, std::chrono::milliseconds(50));
      timer->async_wait([this, timer](beast::error_code) { do_accept(); });
      return;
    }
    admit(std::move(socket));
    do_accept();
  });
}

// A new connection, against the limits: per client address first (one address cannot take
// every slot), then the budget of connections without credentials (the oldest of them makes
// room), then the total (only signed-in connections left: 503).
void HttpServer::Impl::admit(tcp::socket socket) {
  beast::error_code ec;
  const auto peer = socket.remote_endpoint(ec);
  if (ec) return;  // already gone
  auto address = peer.address();
  if (address.is_v6() && address.to_v6().is_v4_mapped()) address = asio::ip::make_address_v4(asio::ip::v4_mapped, address.to_v6());
  std::string text = address_block(address.to_string());
  const bool proxy = in_networks(limits.trusted_proxies, address.to_string());
  if (!proxy) {
    const auto it = per_address.find(text);
    if (it != per_address.end() && it->second >= limits.http.max_connections_per_address) {
      count(per_address_rejected);
      count(rejected);
      return reject(std::move(socket), fmt::format("this address holds its limit of {} connections "
                                                   "(http.max_connections_per_address); retry later",
                                                   limits.http.max_connections_per_address));
    }
  }
  if (auth && unauthenticated.size() >= limits.http.max_unauthenticated_connections) evict_unauthenticated();
  if (open >= limits.http.max_connections && !(auth && evict_unauthenticated())) {
    count(rejected);
    return reject(std::move(socket), fmt::format("the server holds its limit of {} connections; retry later",
                                                 limits.http.max_connections));
  }
  count(accepted);
  socket.set_option(tcp::no_delay(true), ec);
  ConnectionSlot slot(per_address, std::move(text));
  if (tls) {
    std::make_shared<Session<TlsStream>>(TlsStream(beast::tcp_stream(std::move(socket)), *tls), *this, std::move(slot))->start();
  } else {
    std::make_shared<Session<beast::tcp_stream>>(beast::tcp_stream(std::move(socket)), *this, std::move(slot))->start();
  }
}

HttpServer::HttpServer(const Router& router, ServerLimits limits) : impl_(std::make_unique<Impl>(router, limits)) {}

HttpServer::~HttpServer() {
  if (impl_->thread.joinable()) shutdown(std::chrono::milliseconds(0));
}

void HttpServer::listen(const std::string& host, std::uint16_t port) {
  beast::error_code ec;
  auto address = asio::ip::make_address(host, ec);
  if (ec) {
    // A name ("localhost"): resolved once, at start.
    tcp::resolver resolver(impl_->ioc);
    const auto results = resolver.resolve(host, std::to_string(port), ec);
    if (ec || results.empty()) {
      throw std::runtime_error(fmt::format("{}:{}: cannot resolve {}: {}", host, port, host, ec.message()));
    }
    address = results.begin()->endpoint().address();
  }
  const tcp::endpoint endpoint(address, port);
  auto& a = impl_->acceptor;
  const auto where = address.is_v6() ? fmt::format("[{}]:{}", host, port) : fmt::format("{}:{}", host, port);
  a.open(endpoint.protocol(), ec);
  if (ec) throw std::runtime_error(fmt::format("{}: {}", where, ec.message()));
  a.set_option(asio::socket_base::reuse_address(true), ec);
  a.bind(endpoint, ec);
  if (ec) throw std::runtime_error(fmt::format("{}: {}", where, ec.message()));
  a.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) throw std::runtime_error(fmt::format("{}: {}", where, ec.message()));
  impl_->bound_port = a.local_endpoint().port();
}

std::uint16_t HttpServer::port() const noexcept { return impl_->bound_port; }

void HttpServer::require_auth(const auth::AuthService& auth) { impl_->auth = &auth; }

void HttpServer::use_tls(const std::string& certificate_file, const std::string& key_file) {
  auto ctx = std::make_shared<asio::ssl::context>(asio::ssl::context::tls_server);
  ctx->set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                   asio::ssl::context::no_sslv3 | asio::ssl::context::single_dh_use);
  SSL_CTX_set_min_proto_version(ctx->native_handle(), TLS1_2_VERSION);
  // Mozilla's "intermediate" TLS 1.2 suites: forward secrecy and AEAD only (no AES-CBC, no
  // static RSA key exchange). TLS 1.3's suites are all of that kind already.
  if (SSL_CTX_set_cipher_list(ctx->native_handle(),
                              "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:"
                              "ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305:"
                              "DHE-RSA-AES128-GCM-SHA256:DHE-RSA-AES256-GCM-SHA384:DHE-RSA-CHACHA20-POLY1305") != 1) {
    throw std::runtime_error("tls: OpenSSL knows none of the intermediate cipher suites");
  }
  SSL_CTX_set_dh_auto(ctx->native_handle(), 1);
  const auto load = [&](const char* what, const std::string& file, auto&& f) {
    try {
      f();
    } catch (const std::exception& e) {
      throw std::runtime_error(fmt::format("tls: {} {}: {}", what, file, e.what()));
    }
  };
  load("certificate", certificate_file, [&] { ctx->use_certificate_chain_file(certificate_file); });
  load("key", key_file, [&] { ctx->use_private_key_file(key_file, asio::ssl::context::pem); });
  if (SSL_CTX_check_private_key(ctx->native_handle()) != 1) {
    throw std::runtime_error(fmt::format("tls: the key {} does not match the certificate {}", key_file, certificate_file));
  }
  // When it expires: warned about by the daemon and exported in /metrics.
  std::int64_t not_after = 0;
  if (const X509* cert = SSL_CTX_get0_certificate(ctx->native_handle())) {
    int days = 0, seconds = 0;
    if (ASN1_TIME_diff(&days, &seconds, nullptr, X509_get0_notAfter(cert)) == 1) {
      const auto now = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch());
      not_after = now.count() + std::int64_t{days} * 86'400 + seconds;
    }
  }
  impl_->tls_not_after = not_after;
  impl_->tls_enabled = true;
  if (!impl_->thread.joinable()) {
    impl_->tls = std::move(ctx);
    return;
  }
  asio::post(impl_->ioc, [impl = impl_.get(), ctx = std::move(ctx)]() mutable { impl->tls = std::move(ctx); });
}

bool HttpServer::tls() const noexcept { return impl_->tls_enabled; }

void HttpServer::Impl::post_blocking(const std::string& lane, std::function<void()> fn) {
  if (!lane.empty()) {
    if (const auto it = lanes.find(lane); it != lanes.end()) return it->second(std::move(fn));
  }
  if (blocking_executor) return blocking_executor(std::move(fn));
  asio::post(worker, std::move(fn));
}

void HttpServer::run_blocking(std::function<void()> fn) {
  impl_->post_blocking({}, [fn = std::move(fn)] {
    try {
      fn();
    } catch (const std::exception&) {
      // The caller reports its own failures; nothing may escape onto the worker.
    }
  });
}

void HttpServer::set_blocking_executor(std::function<void(std::function<void()>)> post) {
  impl_->blocking_executor = std::move(post);
}

void HttpServer::set_lane_executor(const std::string& lane, std::function<void(std::function<void()>)> post) {
  impl_->lanes[lane] = std::move(post);
}

void HttpServer::start() {
  impl_->do_accept();
  impl_->thread = std::thread([this] { impl_->ioc.run(); });
  if (!impl_->blocking_executor) impl_->worker_thread = std::thread([this] { impl_->worker.run(); });
}

void HttpServer::shutdown(std::chrono::milliseconds grace) {
  auto& s = *impl_;
  if (!s.thread.joinable()) return;
  asio::post(s.ioc, [&s] {
    s.draining = true;
    beast::error_code ec;
    s.acceptor.close(ec);
    for (auto* session : std::vector<SessionBase*>(s.sessions.begin(), s.sessions.end())) session->drain();
    close_live_sessions(s);
  });
  const auto deadline = Clock::now() + grace;
  while ((s.open > 0 || s.live_open > 0) && Clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  asio::post(s.ioc, [&s] {
    for (auto* session : std::vector<SessionBase*>(s.sessions.begin(), s.sessions.end())) session->force_close();
  });
  const auto hard = Clock::now() + std::chrono::milliseconds(200);
  while (s.open > 0 && Clock::now() < hard) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  s.ioc.stop();
  s.thread.join();
  // Work already queued (a login in progress) finishes; its answer has nowhere to go.
  s.worker_guard.reset();
  s.worker.stop();
  if (s.worker_thread.joinable()) s.worker_thread.join();
}

void HttpServer::publish(std::shared_ptr<const collectors::Snapshot> snapshot) {
  auto* impl = impl_.get();
  asio::post(impl->ioc, [impl, snapshot = std::move(snapshot)]() mutable { impl->live.publish(std::move(snapshot)); });
}

void HttpServer::set_known_hosts(std::function<bool(std::string_view)> known) {
  impl_->live.known_host = std::move(known);
}

SelfMetrics HttpServer::stats() const {
  SelfMetrics m;
  std::lock_guard lock(impl_->stats_mutex);
  for (const auto& [key, count] : impl_->requests) {
    m.requests.push_back({std::get<0>(key), std::get<1>(key), std::get<2>(key), count});
  }
  m.request_latency = impl_->latency;
  m.connections_open = impl_->open;
  m.connections_accepted_total = impl_->accepted;
  m.connections_rejected_total = impl_->rejected;
  m.live_clients = impl_->live_open;
  m.live_rejected_total = impl_->live_rejected;
  m.connections_evicted_total = impl_->evicted;
  m.connections_per_address_rejected_total = impl_->per_address_rejected;
  m.live_evicted_total = impl_->live_evicted;
  m.misdirected_total = impl_->misdirected;
  m.tls_certificate_not_after_seconds = static_cast<double>(impl_->tls_not_after.load());
  return m;
}

void HttpServer::set_error_log(std::function<void(const std::string&)> log) { impl_->error_log = std::move(log); }

std::int64_t HttpServer::tls_not_after() const noexcept { return impl_->tls_not_after; }

}  // namespace hyperion::web
