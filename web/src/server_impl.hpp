#pragma once

// Internals of HttpServer shared by http_server.cpp (HTTP sessions, listener) and
// live_session.cpp (the WebSocket hub). Asio and Beast stay inside web/src.

#include <atomic>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <chrono>
#include <functional>
#include <list>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <tuple>
#include <utility>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "hyperion/collectors/snapshot.hpp"
#include "hyperion/web/http_server.hpp"
#include "live_hub.hpp"
#include "steps/compression.hpp"

namespace hyperion::web {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

using TlsStream = beast::ssl_stream<beast::tcp_stream>;

// An HTTP connection, plain or TLS (http_server.cpp), as the server's registry sees it.
struct SessionBase {
  virtual ~SessionBase() = default;
  virtual void drain() = 0;
  virtual void force_close() = 0;
  virtual bool busy() const = 0;  // a request is being answered
  // In HttpServer::Impl::unauthenticated while no request on it carried valid credentials.
  bool unauthenticated = false;
  std::list<SessionBase*>::iterator unauthenticated_at;
};

// A /api/v1/live connection, plain or TLS (live_session.cpp), as the hub sees it.

// One open connection of one client address, counted in HttpServer::Impl::per_address while it
// lives; it moves from the HTTP session to the live session at an upgrade. io thread only.
class ConnectionSlot {
 public:
  ConnectionSlot() = default;
  ConnectionSlot(std::unordered_map<std::string, std::size_t>& counts, std::string address)
      : counts_(&counts), address_(std::move(address)) {
    ++(*counts_)[address_];
  }
  ConnectionSlot(ConnectionSlot&& o) noexcept : counts_(std::exchange(o.counts_, nullptr)), address_(std::move(o.address_)) {}
  ConnectionSlot& operator=(ConnectionSlot&& o) noexcept {
    if (this != &o) {
      release();
      counts_ = std::exchange(o.counts_, nullptr);
      address_ = std::move(o.address_);
    }
    return *this;
  }
  ConnectionSlot(const ConnectionSlot&) = delete;
  ConnectionSlot& operator=(const ConnectionSlot&) = delete;
  ~ConnectionSlot() { release(); }
  const std::string& address() const noexcept { return address_; }

 private:
  void release() noexcept {
    if (!counts_) return;
    const auto it = counts_->find(address_);
    if (it != counts_->end() && --it->second == 0) counts_->erase(it);
    counts_ = nullptr;
  }
  std::unordered_map<std::string, std::size_t>* counts_ = nullptr;
  std::string address_;
};

struct HttpServer::Impl {
  Impl(const Router& r, ServerLimits l) : router(r), limits(l) {}

  const Router& router;
  ServerLimits limits;

  // Declared before the io_context, so destroyed after it: destroying the io_context destroys
  // handlers it still holds, and with them sessions whose destructors leave these registries.
  std::atomic<std::size_t> open{0};
  std::unordered_set<SessionBase*> sessions;  // io thread only
  std::unordered_map<std::string, std::size_t> per_address;  // open connections by peer address
  std::list<SessionBase*> unauthenticated;    // oldest first; io thread only
  std::list<LiveSessionBase*> live_pending;   // live clients still to authenticate, oldest first
  std::size_t live_authenticated = 0;         // live clients that have credentials (live.max_clients)
  std::function<void(const std::string&)> error_log;
  std::atomic<std::int64_t> tls_not_after{0};
  LiveHub live;                           // /api/v1/live (live_session.cpp), io thread only
  std::atomic<std::size_t> live_open{0};

  asio::io_context ioc{1};
  tcp::acceptor acceptor{ioc};
  std::thread thread;

  // Blocking handlers and the daemon's database work: one thread, in order. Declared after
  // ioc: destroyed first, with the sessions its queued handlers still hold.
  asio::io_context worker{1};
  // Where blocking handlers run instead of `worker`, when the owner gives one (the database's
  // thread); the server then starts no worker thread of its own.
  std::function<void(std::function<void()>)> blocking_executor;
  std::map<std::string, std::function<void(std::function<void()>)>> lanes;  // Route::lane -> executor
  void post_blocking(const std::string& lane, std::function<void()> fn);
  asio::executor_work_guard<asio::io_context::executor_type> worker_guard{worker.get_executor()};
  std::thread worker_thread;

  const auth::AuthService* auth = nullptr;  // null: no credentials required
  // The TLS context for new connections; null: plain HTTP. Replaced (io thread) on reload;
  // connections already open keep theirs (OpenSSL counts the references).
  std::shared_ptr<asio::ssl::context> tls;
  std::atomic<bool> tls_enabled{false};
  std::atomic<bool> draining{false};
  std::uint16_t bound_port = 0;

  // gzip forms of shared (cached) bodies. io thread only.
  GzipCache gzip_cache;

  mutable std::mutex stats_mutex;
  std::map<std::tuple<std::string, std::string, int>, std::uint64_t> requests;
  LatencyHistogram latency;
  std::uint64_t accepted = 0, rejected = 0;

  std::uint64_t live_rejected = 0;  // under stats_mutex
  std::uint64_t evicted = 0, per_address_rejected = 0, live_evicted = 0, misdirected = 0;  // under stats_mutex

  void count(std::uint64_t& counter) {
    std::lock_guard lock(stats_mutex);
    ++counter;
  }
  // The registry of connections without credentials (io thread).
  void track_unauthenticated(SessionBase* s) {
    s->unauthenticated_at = unauthenticated.insert(unauthenticated.end(), s);
    s->unauthenticated = true;
  }
  void forget_unauthenticated(SessionBase* s) {
    if (!s->unauthenticated) return;
    unauthenticated.erase(s->unauthenticated_at);
    s->unauthenticated = false;
  }
  // Closes the oldest connection without credentials (an idle one before one being answered);
  // false when there is none.
  bool evict_unauthenticated();
  void track_pending(LiveSessionBase* s) {
    s->pending_at = live_pending.insert(live_pending.end(), s);
    s->pending = true;
  }
  void forget_pending(LiveSessionBase* s) {
    if (!s->pending) return;
    live_pending.erase(s->pending_at);
    s->pending = false;
  }
  void count_authenticated(LiveSessionBase* s) {
    if (s->counted_authenticated) return;
    s->counted_authenticated = true;
    ++live_authenticated;
  }
  void uncount_authenticated(LiveSessionBase* s) {
    if (!s->counted_authenticated) return;
    s->counted_authenticated = false;
    --live_authenticated;
  }
  // Closes (1008) the oldest live client still to authenticate, if there are `limit` or more.
  void make_room_for_pending();

  void do_accept();
  void admit(tcp::socket socket);
  void reject(tcp::socket socket, const std::string& detail);
  void record(const std::string& handler, std::string_view method, int code, double seconds) {
    std::lock_guard lock(stats_mutex);
    ++requests[{handler, std::string(method), code}];
    ++latency.count;
    latency.sum_seconds += seconds;
    for (std::size_t i = 0; i < kLatencyBuckets.size(); ++i) {
      if (seconds <= kLatencyBuckets[i]) ++latency.buckets[i];
    }
  }
};


// Hands an upgraded connection to a new LiveSession (live_session.cpp).
// `principal`: who the upgrade request authenticated as; without one (and with auth required),
// the client must send {"auth": TOKEN} first.
void start_live_session(HttpServer::Impl& server, beast::tcp_stream stream, http::request<http::string_body> request,
                        std::optional<auth::Principal> principal, ConnectionSlot slot);
void start_live_session(HttpServer::Impl& server, TlsStream stream, http::request<http::string_body> request,
                        std::optional<auth::Principal> principal, ConnectionSlot slot);
// Closes every live session (shutdown).
void close_live_sessions(HttpServer::Impl& server);

}  // namespace hyperion::web
