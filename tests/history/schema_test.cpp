// The history's migrations: on a new file, on every file an earlier hyperiond left (each
// auth version, with the audit log), with their data kept, and the refusal of a file from a
// newer hyperiond.

#include <array>

#include <catch2/catch.hpp>

#include "hyperion/auth/schema.hpp"
#include "hyperion/history/store.hpp"
#include "hyperion/storage/audit.hpp"
#include "temp_dir.hpp"

using namespace hyperion;
using storage::Database;

namespace {

std::int64_t count(Database& db, const std::string& sql) {
  auto s = db.prepare(sql);
  REQUIRE(s.step());
  return s.int64(0);
}

}  // namespace

TEST_CASE("history schema: every earlier daemon's file gains the history, its data kept", "[history][schema]") {
  const auto auth = auth::schema();
  for (std::size_t from = 1; from <= auth.migrations.size(); ++from) {
    INFO("auth version " << auth.migrations[from - 1].version);
    test::TempDir dir;
    const auto file = dir / "hyperion.db";
    {
      auto db = Database::open(file);
      storage::migrate(db, auth.migrations.first(from));
      db.exec("INSERT INTO users (name, role, password_hash, created_ms, password_changed_ms) "
              "VALUES ('alice', 'admin', 'x', 1000, 1000)");
      db.exec("INSERT INTO audit (time_ms, user, action, outcome) VALUES (2000, 'alice', 'login', 'success')");
    }
    auto db = Database::open(file);
    const std::array modules{auth, storage::audit_schema(), history::history_schema()};
    storage::migrate(db, modules);
    CHECK(storage::module_version(db, "history") == history::history_schema().migrations.back().version);
    // The store's open switches the file to incremental auto-vacuum (one VACUUM): data stays.
    history::HistoryStore store({});
    store.open(db);
    CHECK(count(db, "PRAGMA auto_vacuum") == 2);
    CHECK(count(db, "SELECT count(*) FROM users WHERE name = 'alice'") == 1);
    CHECK(count(db, "SELECT count(*) FROM audit WHERE user = 'alice'") == 1);
    store.add_value("local", *history::find_metric("system.load1"), "system.load1", 1'000'000, 1.5);
    CHECK(store.write_journal(db));
    CHECK(count(db, "SELECT count(*) FROM history_series") == 1);
  }
}

TEST_CASE("history schema: a file from a newer hyperiond is refused", "[history][schema]") {
  test::TempDir dir;
  auto db = Database::open(dir / "hyperion.db");
  const std::array modules{history::history_schema()};
  storage::migrate(db, modules);
  db.exec("UPDATE schema_versions SET version = 99 WHERE module = 'history'");
  try {
    storage::migrate(db, modules);
    FAIL("a newer history schema was accepted");
  } catch (const storage::StorageError& e) {
    CHECK(std::string(e.what()).find("newer than this hyperiond knows") != std::string::npos);
    CHECK(std::string(e.what()).find("history") != std::string::npos);
  }
}
