#pragma once

// The auth module's settings ([auth] of the configuration file); the daemon's settings table
// points into these structs. The member initialisers are the built-in defaults.

#include <chrono>
#include <cstdint>
#include <string>

namespace hyperion::auth {

struct PasswordCost {
  std::uint32_t iterations = 3;            // Argon2id t
  std::uint64_t memory_bytes = 64u << 20;  // Argon2id m

  bool operator==(const PasswordCost&) const = default;
};

struct AuthSettings {
  std::chrono::milliseconds access_ttl{15 * 60 * 1000};
  std::chrono::milliseconds refresh_ttl{7LL * 24 * 3600 * 1000};
  // Failed logins are throttled per (name, source address), never per account: after
  // max_failed_logins failures from one address, that address waits 1 s before its next try
  // for that name, doubling with each further failure up to `lockout`. Failures are forgotten
  // `lockout` after the last one, or at a success from that address.
  std::uint32_t max_failed_logins = 5;
  std::chrono::milliseconds lockout{15 * 60 * 1000};
  std::uint32_t attempts_per_minute = 10;  // failed logins per source address, all names
  PasswordCost password_cost;
  std::string issuer = "Hyperion";  // shown by authenticator apps; the daemon adds its host id

  bool operator==(const AuthSettings&) const = default;
};

}  // namespace hyperion::auth
