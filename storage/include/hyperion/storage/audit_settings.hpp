#pragma once

// The audit log's settings ([audit] of the configuration file); the daemon's settings table
// points into this struct. The member initialisers are the built-in defaults.

#include <chrono>
#include <cstdint>
#include <string>

namespace hyperion::storage {

struct AuditSettings {
  std::chrono::milliseconds aggregate_window{60'000};  // repeated events: one row per window
  std::chrono::milliseconds retention{365LL * 24 * 3600 * 1000};
  std::uint32_t max_rows = 1'000'000;
  // Over max_rows, unsuccessful rows of this action go first (a flood of failed logins must
  // never push out real events), then the oldest of the rest.
  std::string expendable_action = "login";

  bool operator==(const AuditSettings&) const = default;
};

}  // namespace hyperion::storage
