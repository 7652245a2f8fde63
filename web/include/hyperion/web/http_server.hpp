#pragma once

// The HTTP/1.1 server (Boost.Beast underneath; no Beast type leaks out of this header).
// One io_context on one thread of its own: handlers are quick (they read an in-memory
// snapshot) and never block. Keep-alive, pipelining, HEAD and HTTP/1.0; every limit is a
// setting; slow or half-open clients time out without holding anyone else up.

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "hyperion/collectors/snapshot.hpp"
#include "hyperion/web/client_address.hpp"
#include "hyperion/web/router.hpp"
#include "hyperion/web/self_metrics.hpp"
#include "hyperion/web/settings.hpp"

namespace hyperion::web {

// What the server enforces: the [http] and [live] settings as configured, and the lists in
// them parsed once.
struct ServerLimits {
  HttpSettings http;
  LiveSettings live;
  std::vector<std::string> cors_allowed_origins;  // http.cors_allowed_origins; empty: no CORS headers
  std::vector<std::string> live_allowed_origins;  // live.allowed_origins, besides the same origin
  std::vector<Network> trusted_proxies;           // their X-Forwarded-For / Forwarded name the client
  AllowedHosts allowed_hosts{true, {}};           // Host header values served (DNS rebinding: 421)
};

// The limits for a server listening on `listen_host`. The Host names a browser may use are the
// listen address, localhost and the loopback addresses, this machine's names, on a wildcard
// listen address every address of its interfaces, and http.allowed_hosts ("*": no check).
// The settings were checked when read, so a list that does not parse counts as empty.
ServerLimits server_limits(const HttpSettings& http, const LiveSettings& live, const std::string& listen_host);

class HttpServer {
 public:
  HttpServer(const Router& router, ServerLimits limits);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Binds and listens. Throws std::runtime_error with a one-line reason ("127.0.0.1:9800:
  // Address already in use"). Port 0 picks a free port: see port().
  void listen(const std::string& host, std::uint16_t port);
  std::uint16_t port() const noexcept;

  // Runs the event loop on its own thread.
  void start();

  // Stops accepting, closes idle connections, lets requests in flight finish and be
  // answered, and after `grace` closes whatever is left. Returns when the loop has stopped.
  void shutdown(std::chrono::milliseconds grace);

  // Counters for /metrics (a copy).
  SelfMetrics stats() const;

  // Where internal errors (a handler's exception, a database failure) are reported; the client
  // gets a generic 500 that names an incident id, never the error's text. Call before start().
  void set_error_log(std::function<void(const std::string&)> log);

  // The served certificate's notAfter (Unix seconds), 0 without TLS.
  std::int64_t tls_not_after() const noexcept;

  // Requires credentials on every route that is not kPublic, and on /api/v1/live:
  // a bearer token (access or API token) in Authorization, or the session cookie. Without
  // this call every route is open (tests of the server alone). Call before start().
  void require_auth(const auth::AuthService& auth);

  // Serves HTTPS (TLS 1.2 and later) with this certificate chain and private key (PEM files)
  // to every connection accepted from now on. Thread-safe; call it again to reload (SIGHUP).
  // Throws std::runtime_error with a one-line reason, keeping the previous ones.
  void use_tls(const std::string& certificate_file, const std::string& key_file);
  bool tls() const noexcept;

  // Runs fn on the worker thread, after the blocking handlers queued before it.
  void run_blocking(std::function<void()> fn);

  // Blocking handlers run through `post` (the daemon gives the database's executor, the one
  // thread that owns the database) instead of the server's own worker thread. The executor must
  // run what was posted until the server is shut down. Call before start().
  void set_blocking_executor(std::function<void(std::function<void()>)> post);
  // Blocking routes of this lane (Route::lane) run through `post` instead. Call before start().
  void set_lane_executor(const std::string& lane, std::function<void(std::function<void()>)> post);

  // Which hosts live topics may name ("hosts/HOST/..."); without it, any host that has
  // published a snapshot. Called on the server's thread. Call before start().
  void set_known_hosts(std::function<bool(std::string_view)> known);

  // Offers a new snapshot to the live WebSocket clients (/api/v1/live). Thread-safe: the
  // sampling thread calls it; frames are rendered and sent on the server's thread.
  void publish(std::shared_ptr<const collectors::Snapshot> snapshot);

  struct Impl;  // server_impl.hpp

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace hyperion::web
