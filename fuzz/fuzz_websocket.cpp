// libFuzzer target: the live WebSocket (/api/v1/live) from the server's side: frames and
// messages as Beast reads them, then each message as LiveSession::handle reads it
// (web/src/live_session.cpp, mirrored here since the session is private to that file).
//
// A websocket::stream over Beast's in-memory test stream accepts a fixed, valid upgrade request
// (as the HTTP session hands it over), the input is written as the client's bytes, the client
// side closes, and messages are read (async, as the server does) until an error: a protocol
// violation, a message over read_message_max, a close frame or the end of the bytes. All of it
// runs on one io_context on this thread; no timers (no idle pings), so run() always returns.
#include <boost/asio/io_context.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/_experimental/test/stream.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/websocket/stream.hpp>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <string>

#include "hyperion/web/families.hpp"
#include "hyperion/web/live.hpp"

#include "fuzz_support.hpp"

namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
namespace net = boost::asio;
using json = nlohmann::json;

namespace {

constexpr std::size_t kMessageMax = 4096;  // live.max_message_bytes default
constexpr int kMaxMessages = 256;

http::request<http::empty_body> upgrade_request() {
  http::request<http::empty_body> req{http::verb::get, "/api/v1/live", 11};
  req.set(http::field::host, "127.0.0.1:9800");
  req.set(http::field::upgrade, "websocket");
  req.set(http::field::connection, "Upgrade");
  req.set(http::field::sec_websocket_key, "dGhlIHNhbXBsZSBub25jZQ==");  // RFC 6455 1.3's example
  req.set(http::field::sec_websocket_version, "13");
  req.set(http::field::origin, "http://127.0.0.1:9800");
  return req;
}

void check_topic(const std::string& topic) {
  const auto parsed = hyperion::web::parse_live_topic(topic);
  if (!parsed) return;
  HYPERION_FUZZ_CHECK(!parsed->host.empty());
  HYPERION_FUZZ_CHECK(hyperion::web::find_family_view(parsed->family) != nullptr);
  HYPERION_FUZZ_CHECK("hosts/" + parsed->host + "/" + parsed->family == topic);
}

// LiveSession::handle without the server's state: the same shape checks in the same order.
// {"auth": TOKEN} needs an AuthService: only its type is looked at here.
void handle_message(const std::string& text) {
  const auto doc = json::parse(text, nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) return;  // "bad-message"
  if (doc.contains("auth")) {
    (void)doc["auth"].is_string();
    if (doc.size() == 1) return;
  }
  for (const auto& [key, value] : doc.items()) {
    if (key == "auth") continue;
    if (key != "subscribe" && key != "unsubscribe") return;  // "bad-message"
    if (!value.is_array()) return;
  }
  if (doc.contains("unsubscribe")) {
    for (const auto& item : doc["unsubscribe"]) {
      if (item.is_string()) (void)item.get<std::string>();
    }
  }
  if (doc.contains("subscribe")) {
    for (const auto& item : doc["subscribe"]) {
      std::string topic;
      if (item.is_string()) {
        topic = item.get<std::string>();
      } else if (item.is_object() && item.contains("topic") && item["topic"].is_string()) {
        topic = item["topic"].get<std::string>();
        if (item.contains("interval_ms") && item["interval_ms"].is_number_integer()) {
          (void)item["interval_ms"].get<std::int64_t>();
        }
      } else {
        continue;  // "bad-topic"
      }
      check_topic(topic);
    }
  }
}

struct Reader {
  websocket::stream<beast::test::stream>& ws;
  beast::flat_buffer buffer;
  int messages = 0;

  void read() {
    ws.async_read(buffer, [this](beast::error_code ec, std::size_t) {
      if (ec) return;
      HYPERION_FUZZ_CHECK(buffer.size() <= kMessageMax);
      const std::string text = beast::buffers_to_string(buffer.data());
      buffer.consume(buffer.size());
      handle_message(text);
      if (++messages < kMaxMessages) read();
    });
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  net::io_context ioc;
  websocket::stream<beast::test::stream> ws(ioc);
  auto client = beast::test::connect(ws.next_layer());
  ws.read_message_max(kMessageMax);

  beast::error_code ec;
  ws.accept(upgrade_request(), ec);  // writes the 101 answer to the client
  HYPERION_FUZZ_CHECK(!ec);

  net::write(client, net::buffer(data, size), ec);
  HYPERION_FUZZ_CHECK(!ec);
  client.close();  // after these bytes, end of stream

  Reader reader{ws, {}, 0};
  reader.read();
  ioc.run();
  return 0;
}
