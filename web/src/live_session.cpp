// /api/v1/live: one WebSocket per client, subscribing to topics ("hosts/local/cpu").
// Each frame is rendered once per topic per snapshot (LiveHub::frame) and shared. A client
// holds at most one pending frame per topic: a newer one replaces it, so a client that reads
// slowly (or not at all) gets the latest data when it reads, and its memory stays bounded.

#include <fmt/format.h>

#include <algorithm>
#include <boost/asio/buffer.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <deque>
#include <nlohmann/json.hpp>
#include <optional>

#include "hyperion/web/json_writer.hpp"
#include "hyperion/web/live.hpp"
#include "server_impl.hpp"

namespace hyperion::web {

namespace websocket = beast::websocket;
using Clock = std::chrono::steady_clock;

namespace {

constexpr std::size_t kMaxSubscriptions = 64;
constexpr std::size_t kMaxControlFrames = 16;  // acks and errors waiting to be sent
constexpr int kMaxEntryErrors = 8;             // error frames about the entries of one message
constexpr std::int64_t kMinIntervalMs = 100;
constexpr std::int64_t kMaxIntervalMs = 3'600'000;

std::shared_ptr<const std::string> control_frame(std::string_view kind, const std::string& type,
                                                 const std::string& detail) {
  std::string out;
  JsonWriter w(out);
  w.begin_object();
  w.key(kind);
  w.begin_object();
  w.field("type", type);
  w.field("detail", detail);
  w.end_object();
  w.end_object();
  return std::make_shared<const std::string>(std::move(out));
}

}  // namespace

// Stream is beast::tcp_stream (plain) or TlsStream.
template <class Stream>
class LiveSession : public LiveSessionBase, public std::enable_shared_from_this<LiveSession<Stream>> {
 public:
  LiveSession(Stream stream, HttpServer::Impl& server, std::optional<auth::Principal> principal, ConnectionSlot slot)
      : server_(server),
        ws_(std::move(stream)),
        principal_(std::move(principal)),
        auth_timer_(ws_.get_executor()),
        slot_(std::move(slot)) {
    if (needs_auth()) {
      server_.make_room_for_pending();
      server_.track_pending(this);
    } else {
      server_.count_authenticated(this);
    }
    server_.live.sessions.insert(this);
    ++server_.live_open;
  }
  ~LiveSession() override {
    server_.live.sessions.erase(this);
    server_.forget_pending(this);
    server_.uncount_authenticated(this);
    --server_.live_open;
  }

  void run(http::request<http::string_body> request) {
    const auto ping = server_.limits.live.ping_interval;
    websocket::stream_base::timeout t{};
    t.handshake_timeout = std::chrono::seconds(10);
    // Beast pings after half the idle timeout of silence and closes after all of it.
    t.idle_timeout = 2 * ping;
    t.keep_alive_pings = true;
    ws_.set_option(t);
    ws_.read_message_max(static_cast<std::size_t>(server_.limits.live.max_message_bytes));
    ws_.async_accept(request, [self = this->shared_from_this()](beast::error_code ec) {
      if (ec) return;
      self->accepted_ = true;
      if (self->needs_auth()) {
        // Connected without credentials: live.auth_timeout to send {"auth": TOKEN}.
        self->auth_timer_.expires_after(self->server_.limits.live.auth_timeout);
        self->auth_timer_.async_wait([weak = std::weak_ptr<LiveSession>(self)](beast::error_code wait_ec) {
          auto s = weak.lock();
          if (!wait_ec && s && s->needs_auth()) {
            s->close_policy("unauthenticated", "no {\"auth\": TOKEN} within live.auth_timeout");
          }
        });
      }
      self->read();
      self->write_next();
    });
  }

  // A new snapshot of a host: offer its subscribed topics whose frame changed and whose
  // interval passed.
  void offer_host(std::string_view host) override {
    if (server_.auth && principal_ && !server_.auth->still_valid(*principal_)) {
      // Expired, logged out, disabled, demoted: the client reconnects with fresh credentials.
      principal_.reset();
      subs_.clear();
      pending_.clear();
      error("session-expired", "the session expired or was revoked; connect again with fresh credentials");
      close_after_write_ = true;
      return write_next();
    }
    const auto now = Clock::now();
    for (auto& [topic, sub] : subs_) {
      if (sub.host == host) offer(topic, sub, now);
    }
    write_next();
  }

  void close() override {
    beast::error_code ec;
    auth_timer_.cancel();
    beast::get_lowest_layer(ws_).socket().close(ec);
  }

  void evict() override {
    server_.forget_pending(this);
    close_policy("evicted", "too many clients are waiting to authenticate; this, the oldest, is closed");
  }

  // Says why in an error frame, then closes with 1008 (policy violation), as docs/LIVE.md
  // promises; a peer that does not answer the close within 2 s is cut off.
  void close_policy(const std::string& type, const std::string& detail) {
    subs_.clear();
    pending_.clear();
    control_.clear();
    control_.push_back(control_frame("error", type, detail));
    close_after_write_ = true;
    auth_timer_.cancel();
    auth_timer_.expires_after(std::chrono::seconds(2));
    auth_timer_.async_wait([weak = std::weak_ptr<LiveSession>(this->shared_from_this())](beast::error_code ec) {
      if (auto s = weak.lock(); s && !ec) s->close();
    });
    if (!accepted_) return close();
    write_next();
  }

  bool needs_auth() const { return server_.auth && !principal_; }

 private:
  struct Subscription {
    std::string host;
    std::string family;
    std::chrono::milliseconds interval{0};
    Clock::time_point last_sent{};
    std::shared_ptr<const std::string> last_frame;
  };

  void read() {
    ws_.async_read(in_, [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
      if (ec) return;  // closed, timed out (no pong), or a message over the size limit
      const std::string text = beast::buffers_to_string(self->in_.data());
      self->in_.consume(self->in_.size());
      self->handle(text);
      self->read();
    });
  }

  void error(const std::string& type, const std::string& detail) {
    control(control_frame("error", type, detail));
  }

  void control(std::shared_ptr<const std::string> frame) {
    if (close_after_write_) return;
    if (control_.size() >= kMaxControlFrames) {
      // A client that floods us with messages and never reads the answers: say so and close.
      return close_policy("too-many-messages", "too many answers are waiting to be read; connect again");
    }
    control_.push_back(std::move(frame));
  }

  // Errors about the entries of one message: one frame for up to kMaxEntryErrors, then one that
  // counts the rest, so a long list of bad topics is answered, not cut off.
  void entry_error(const std::string& type, const std::string& detail) {
    if (++entry_errors_ <= kMaxEntryErrors) return error(type, detail);
    if (entry_errors_ == kMaxEntryErrors + 1) {
      error("too-many-errors", fmt::format("more than {} entries of this message were refused; the rest is not listed",
                                           kMaxEntryErrors));
    }
  }

  // {"subscribe": ["hosts/local/cpu", {"topic": "hosts/local/processes", "interval_ms": 5000}],
  //  "unsubscribe": ["hosts/local/cpu"]}
  void handle(const std::string& text) {
    const auto doc = nlohmann::json::parse(text, nullptr, false);
    if (doc.is_discarded() || !doc.is_object()) {
      error("bad-message", "a message must be a JSON object such as {\"subscribe\": [\"hosts/local/cpu\"]}");
      return write_next();
    }
    if (doc.contains("auth")) {
      // {"auth": TOKEN}: for clients that cannot send a cookie or header with the upgrade, and
      // to renew credentials on a long-lived connection.
      const auto& token = doc["auth"];
      const auto who = server_.auth && token.is_string() ? server_.auth->authenticate(token.get<std::string>())
                                                         : std::optional<auth::Principal>();
      if (!server_.auth) {
        error("bad-message", "this server requires no authentication");
      } else if (!who) {
        error("unauthenticated", "the token is invalid, expired or revoked");
        close_after_write_ = true;
      } else if (who->must_change_password) {
        error("unauthenticated", "this account has a temporary password: change it first");
        close_after_write_ = true;
      } else if (!counted_authenticated && server_.live_authenticated >= server_.limits.live.max_clients) {
        server_.count(server_.live_rejected);
        return close_policy("too-many-clients", fmt::format("the live endpoint holds its limit of {} clients",
                                                            server_.limits.live.max_clients));
      } else {
        principal_ = who;
        auth_timer_.cancel();
        server_.forget_pending(this);
        server_.count_authenticated(this);
        control(control_frame("ok", "authenticated", who->username));
      }
      if (doc.size() == 1 || !principal_) return write_next();
    }
    if (needs_auth()) {
      error("unauthenticated", "send {\"auth\": TOKEN} first, or connect with the session cookie or an Authorization header");
      return write_next();
    }
    for (const auto& [key, value] : doc.items()) {
      if (key == "auth") continue;
      if (key != "subscribe" && key != "unsubscribe") {
        error("bad-message", fmt::format("unknown key '{}'; known: subscribe, unsubscribe, auth", key));
        return write_next();
      }
      if (!value.is_array()) {
        error("bad-message", fmt::format("'{}' must be an array of topics", key));
        return write_next();
      }
    }
    entry_errors_ = 0;
    std::vector<std::string> subscribed, unsubscribed;
    if (doc.contains("unsubscribe")) {
      for (const auto& item : doc["unsubscribe"]) {
        if (!item.is_string()) {
          entry_error("bad-topic", "an unsubscribe entry must be a topic string");
          continue;
        }
        const auto topic = item.get<std::string>();
        subs_.erase(topic);
        for (auto it = pending_.begin(); it != pending_.end();) it = it->first == topic ? pending_.erase(it) : ++it;
        unsubscribed.push_back(topic);
      }
    }
    if (doc.contains("subscribe")) {
      for (const auto& item : doc["subscribe"]) {
        std::string topic;
        std::int64_t interval = 0;
        if (item.is_string()) {
          topic = item.get<std::string>();
        } else if (item.is_object() && item.contains("topic") && item["topic"].is_string()) {
          topic = item["topic"].get<std::string>();
          if (item.contains("interval_ms")) {
            if (!item["interval_ms"].is_number_integer() || item["interval_ms"].get<std::int64_t>() < kMinIntervalMs ||
                item["interval_ms"].get<std::int64_t>() > kMaxIntervalMs) {
              entry_error("bad-interval", fmt::format("{}: interval_ms must be a whole number from {} to {}", topic,
                                                kMinIntervalMs, kMaxIntervalMs));
              continue;
            }
            interval = item["interval_ms"].get<std::int64_t>();
          }
        } else {
          entry_error("bad-topic", "a subscribe entry must be a topic string or {\"topic\": ..., \"interval_ms\": ...}");
          continue;
        }
        const auto parsed = parse_live_topic(topic);
        if (!parsed) {
          entry_error("bad-topic", fmt::format("'{}' is not a topic; topics are hosts/HOST/FAMILY with FAMILY one of "
                                               "{}",
                                               topic, live_family_names()));
          continue;
        }
        if (!server_.live.knows(parsed->host)) {
          entry_error("unknown-host", fmt::format("no host '{}' is configured", parsed->host));
          continue;
        }
        if (subs_.size() >= kMaxSubscriptions && !subs_.count(topic)) {
          entry_error("too-many-topics", fmt::format("at most {} topics per connection", kMaxSubscriptions));
          continue;
        }
        auto& sub = subs_[topic];
        sub.host = parsed->host;
        sub.family = parsed->family;
        sub.interval = std::chrono::milliseconds(interval);
        sub.last_frame.reset();
        sub.last_sent = {};
        subscribed.push_back(topic);
        offer(topic, sub, Clock::now());  // the current data at once, not at the next tick
      }
    }
    // An acknowledgement lists what took effect.
    std::string out;
    JsonWriter w(out);
    w.begin_object();
    w.key("ok");
    w.begin_object();
    w.key("subscribed");
    w.begin_array();
    for (const auto& t : subscribed) w.value(t);
    w.end_array();
    w.key("unsubscribed");
    w.begin_array();
    for (const auto& t : unsubscribed) w.value(t);
    w.end_array();
    w.end_object();
    w.end_object();
    control(std::make_shared<const std::string>(std::move(out)));
    write_next();
  }

  void offer(const std::string& topic, Subscription& sub, Clock::time_point now) {
    auto frame = server_.live.frame(topic, sub.host, sub.family);
    if (!frame || frame == sub.last_frame) return;
    if (sub.last_sent != Clock::time_point{} && now - sub.last_sent < sub.interval) return;
    sub.last_frame = frame;
    sub.last_sent = now;
    const auto it = std::find_if(pending_.begin(), pending_.end(), [&](const auto& p) { return p.first == topic; });
    if (it != pending_.end()) {
      it->second = std::move(frame);  // the latest replaces what the client has not taken yet
    } else {
      pending_.emplace_back(topic, std::move(frame));
    }
  }

  void write_next() {
    if (!accepted_ || writing_ || closing_) return;
    if (!control_.empty()) {
      current_ = std::move(control_.front());
      control_.pop_front();
    } else if (!pending_.empty()) {
      current_ = std::move(pending_.front().second);
      pending_.pop_front();
    } else {
      if (close_after_write_) {
        // Said why (an error frame); now a proper close: 1008, policy violation.
        closing_ = true;
        ws_.async_close(websocket::close_reason(websocket::close_code::policy_error, "authentication"),
                        [self = this->shared_from_this()](beast::error_code) { self->close(); });
      }
      return;
    }
    writing_ = true;
    ws_.text(true);
    ws_.async_write(asio::buffer(*current_), [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
      self->writing_ = false;
      self->current_.reset();
      if (ec) return self->close();
      self->write_next();
    });
  }

  HttpServer::Impl& server_;
  websocket::stream<Stream> ws_;
  beast::flat_buffer in_;
  std::map<std::string, Subscription, std::less<>> subs_;
  std::deque<std::pair<std::string, std::shared_ptr<const std::string>>> pending_;  // one per topic at most
  std::deque<std::shared_ptr<const std::string>> control_;
  std::shared_ptr<const std::string> current_;
  bool writing_ = false;
  bool accepted_ = false;
  bool close_after_write_ = false;
  bool closing_ = false;
  std::optional<auth::Principal> principal_;  // who the client is; none until it authenticates
  asio::steady_timer auth_timer_;
  ConnectionSlot slot_;  // the client address's count
  int entry_errors_ = 0;
};

void start_live_session(HttpServer::Impl& server, beast::tcp_stream stream, http::request<http::string_body> request,
                        std::optional<auth::Principal> principal, ConnectionSlot slot) {
  std::make_shared<LiveSession<beast::tcp_stream>>(std::move(stream), server, std::move(principal), std::move(slot))
      ->run(std::move(request));
}

void start_live_session(HttpServer::Impl& server, TlsStream stream, http::request<http::string_body> request,
                        std::optional<auth::Principal> principal, ConnectionSlot slot) {
  std::make_shared<LiveSession<TlsStream>>(std::move(stream), server, std::move(principal), std::move(slot))
      ->run(std::move(request));
}

void HttpServer::Impl::make_room_for_pending() {
  while (live_pending.size() >= limits.live.max_unauthenticated_clients && !live_pending.empty()) {
    auto* oldest = live_pending.front();
    forget_pending(oldest);
    oldest->evict();
    count(live_evicted);
  }
}

void close_live_sessions(HttpServer::Impl& server) {
  for (auto* s : std::vector<LiveSessionBase*>(server.live.sessions.begin(), server.live.sessions.end())) s->close();
}

}  // namespace hyperion::web
