#pragma once

// The audit log: who did what, when, from where, and how it ended; one row per event in the
// `audit` table. A service of its own, over the database, so that every module that acts
// (accounts, control, alerts) writes to it without depending on another. Repeated events of
// one kind (failed logins from one address) are one row per window with a count, so a flood
// costs a row a minute, not a row an attempt. The log is bounded by age and by rows.
// Like the Database under it, it is used by one thread at a time (the database's).

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "hyperion/storage/audit_settings.hpp"
#include "hyperion/storage/database.hpp"

namespace hyperion::storage {

struct AuditEntry {
  std::int64_t id = 0;
  std::int64_t time_ms = 0;
  std::optional<std::string> user;
  std::string source;
  std::string action;
  std::optional<std::string> target;
  std::string outcome;  // "success", "failure", "denied"
  std::optional<std::string> detail;
  std::int64_t count = 1;               // events this row stands for (repeated failures)
  std::optional<std::int64_t> last_ms;  // the last of them, when count > 1
};

struct AuditQuery {
  std::optional<std::string> user;
  std::optional<std::string> action;   // exact, or a prefix ending in '.' ("user.")
  std::optional<std::string> outcome;
  std::optional<std::int64_t> since_ms;
  std::optional<std::int64_t> until_ms;
  std::size_t limit = 100;
  std::size_t offset = 0;
};

struct AuditPage {
  std::vector<AuditEntry> entries;  // newest first
  std::int64_t total = 0;
};

// The audit log's migrations (module "audit"). The table was first made by auth's migrations,
// before the log was a service: version 1 makes it as it is now where it does not exist yet.
ModuleSchema audit_schema();

class AuditLog {
 public:
  using Clock = std::function<std::int64_t()>;  // Unix milliseconds

  // The `audit` table must exist (audit_schema() migrated).
  AuditLog(Database& db, AuditSettings settings, Clock now_ms);

  void record(const std::optional<std::string>& user, const std::string& source, std::string_view action,
              const std::optional<std::string>& target, std::string_view outcome,
              const std::optional<std::string>& detail = std::nullopt);
  // An event that may repeat often: one row per (user, source, action, outcome, detail) per
  // window, its count and last time kept in memory and written by flush().
  void record_repeated(const std::optional<std::string>& user, const std::string& source, std::string_view action,
                       std::string_view outcome, const std::string& detail);
  // Writes the counts held in memory (every second, and at stop).
  void flush();
  // Applies the age and row bounds (every minute).
  void prune();
  AuditPage query(const AuditQuery& query);

  const AuditSettings& settings() const noexcept { return settings_; }

 private:
  struct Repeated {
    std::int64_t row = 0;
    std::int64_t window_start_ms = 0;
    std::int64_t count = 0;
    std::int64_t written = 0;  // the count last written to the row
    std::int64_t last_ms = 0;
  };
  Database& db_;
  AuditSettings settings_;
  Clock now_;
  std::map<std::string, Repeated> repeated_;  // key: user, source, action, outcome, detail
};

}  // namespace hyperion::storage
