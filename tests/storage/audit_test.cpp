// The audit log as a service of its own, over a real SQLite file.

#include "hyperion/storage/audit.hpp"

#include <unistd.h>

#include <array>
#include <filesystem>
#include <string>

#include <catch2/catch.hpp>

using namespace hyperion::storage;

namespace {

// Designated initialisers name only the fields a test sets.
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

struct Fixture {
  std::filesystem::path path =
      std::filesystem::temp_directory_path() / ("hyperion-audit-" + std::to_string(::getpid()) + ".db");
  Database db = open();
  std::int64_t now = 1'000'000;

  Database open() {
    auto d = Database::open(path);
    const std::array modules{audit_schema()};
    migrate(d, modules);
    return d;
  }
  ~Fixture() {
    std::error_code ec;
    for (const auto* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path.string() + suffix, ec);
  }
  AuditLog log(AuditSettings s = {}) {
    return AuditLog(db, std::move(s), [this] { return now; });
  }
};

}  // namespace

TEST_CASE("AuditLog: records, and queries newest first with filters", "[storage][audit]") {
  Fixture f;
  auto log = f.log();
  log.record("alice", "10.0.0.1", "user.create", "bob", "success", "role viewer");
  f.now += 10;
  log.record("alice", "10.0.0.1", "user.delete", "bob", "success");
  f.now += 10;
  log.record(std::nullopt, "cli", "service.restart", "nginx.service", "failure", "unit not found");
  auto page = log.query({});
  REQUIRE(page.total == 3);
  CHECK(page.entries[0].action == "service.restart");
  CHECK_FALSE(page.entries[0].user.has_value());
  CHECK(log.query(AuditQuery{.action = "user."}).total == 2);
  CHECK(log.query(AuditQuery{.user = "alice", .outcome = "success"}).total == 2);
  CHECK(log.query(AuditQuery{.since_ms = 1'000'010}).total == 2);
}

TEST_CASE("AuditLog: a repeated event is one row per window, with its count", "[storage][audit]") {
  Fixture f;
  auto log = f.log(AuditSettings{.aggregate_window = std::chrono::milliseconds(60'000)});
  for (int i = 0; i < 50; ++i) {
    log.record_repeated("mallory", "203.0.113.9", "login", "failure", "wrong password");
    f.now += 100;
  }
  auto page = log.query({});
  REQUIRE(page.total == 1);
  CHECK(page.entries[0].count == 50);
  CHECK(page.entries[0].last_ms == 1'000'000 + 49 * 100);
  f.now += 60'000;  // the next window: a new row
  log.record_repeated("mallory", "203.0.113.9", "login", "failure", "wrong password");
  CHECK(log.query({}).total == 2);
}

TEST_CASE("AuditLog: prune keeps the bounds, failed logins first", "[storage][audit]") {
  Fixture f;
  auto log = f.log(AuditSettings{.retention = std::chrono::milliseconds(1'000'000), .max_rows = 3});
  log.record("old", "x", "user.create", "y", "success");
  f.now += 2'000'000;
  log.record("alice", "x", "user.create", "y", "success");
  log.record("bob", "x", "login", std::nullopt, "failure");
  log.record("carol", "x", "login", std::nullopt, "failure");
  log.record("dave", "x", "service.stop", "z", "success");
  log.prune();
  const auto page = log.query({});
  REQUIRE(page.total == 3);  // "old" aged out; then one failed login went to keep three rows
  CHECK(page.entries[0].user == "dave");
  CHECK(page.entries[1].user == "carol");
  CHECK(page.entries[2].user == "alice");
}
