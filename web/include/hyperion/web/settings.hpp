#pragma once

// The web module's settings: [http], [live], [metrics] and [tls] of the configuration file.
// The daemon's settings table points into these structs; the member initialisers are the
// built-in defaults (a test checks them against the table's documented defaults).

#include <chrono>
#include <cstdint>
#include <string>

namespace hyperion::web {

// Bounds on every HTTP input ([http]).
struct HttpSettings {
  std::uint32_t max_connections = 256;
  // From one client address (WebSockets included); trusted proxies are exempt.
  std::uint32_t max_connections_per_address = 32;
  // Connections that have not sent valid credentials yet; beyond it the oldest is closed, so a
  // flood cannot hold the slots of signed-in clients.
  std::uint32_t max_unauthenticated_connections = 64;
  std::uint64_t max_header_bytes = 8 * 1024;
  std::uint64_t max_body_bytes = 64 * 1024;
  std::chrono::milliseconds header_timeout{10'000};  // whole request header, against slowloris
  std::chrono::milliseconds idle_timeout{60'000};    // keep-alive connection with no request
  std::chrono::milliseconds write_timeout{30'000};   // to send a response
  std::uint64_t gzip_min_bytes = 1024;               // 0: never gzip
  std::chrono::milliseconds shutdown_grace{1'500};
  std::string cors_allowed_origins;  // comma-separated; empty: no CORS
  std::string trusted_proxies;       // comma-separated addresses or CIDR blocks
  std::string allowed_hosts;         // comma-separated Host names besides the defaults; "*": any

  bool operator==(const HttpSettings&) const = default;
};

// [live]: the WebSocket at /api/v1/live.
struct LiveSettings {
  std::uint32_t max_clients = 1000;
  std::uint64_t max_message_bytes = 4 * 1024;      // a client's message (subscribe, ...)
  std::chrono::milliseconds ping_interval{15'000};  // ping after this much silence; close after twice
  std::string allowed_origins;                      // comma-separated, besides the same origin
  std::chrono::milliseconds auth_timeout{10'000};   // to send {"auth": TOKEN} when the upgrade had none
  std::uint32_t max_unauthenticated_clients = 32;   // waiting for {"auth"}; the oldest is closed

  bool operator==(const LiveSettings&) const = default;
};

// [metrics]: /metrics.
struct MetricsSettings {
  std::uint32_t top_processes = 10;
  bool public_access = false;  // metrics.public: /metrics without credentials

  bool operator==(const MetricsSettings&) const = default;
};

// [tls]: both files, or neither (plain HTTP).
struct TlsSettings {
  std::string certificate;  // PEM: the server's certificate, then any intermediates
  std::string key;          // PEM: its private key (keep it 0600)

  bool operator==(const TlsSettings&) const = default;
};

}  // namespace hyperion::web
