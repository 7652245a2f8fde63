// Auth's migrations, from an empty file and from every earlier version with data in it.

#include "hyperion/auth/schema.hpp"

#include <unistd.h>

#include <array>
#include <filesystem>
#include <string>

#include <catch2/catch.hpp>

using hyperion::storage::Database;
using hyperion::storage::ModuleSchema;

namespace {

struct TempFile {
  std::filesystem::path path =
      std::filesystem::temp_directory_path() / ("hyperion-auth-schema-" + std::to_string(::getpid()) + ".db");
  ~TempFile() {
    std::error_code ec;
    for (const auto* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path.string() + suffix, ec);
  }
};

std::int64_t count(Database& db, const std::string& sql) {
  auto s = db.prepare(sql);
  REQUIRE(s.step());
  return s.int64(0);
}

}  // namespace

TEST_CASE("auth schema: applies to an empty file", "[auth][schema]") {
  TempFile f;
  auto db = Database::open(f.path);
  const auto schema = hyperion::auth::schema();
  const std::array modules{schema};
  CHECK(hyperion::storage::migrate(db, modules) == static_cast<int>(schema.migrations.size()));
  CHECK(db.user_version() == schema.migrations.back().version);
  CHECK(hyperion::storage::module_version(db, "auth") == schema.migrations.back().version);
  for (const auto* table : {"users", "recovery_codes", "refresh_tokens", "api_tokens", "audit", "login_failures"}) {
    INFO(table);
    CHECK(count(db, std::string("SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = '") + table + "'") ==
          1);
  }
}

TEST_CASE("auth schema: every earlier version migrates with its data", "[auth][schema]") {
  const auto schema = hyperion::auth::schema();
  for (std::size_t from = 1; from < schema.migrations.size(); ++from) {
    INFO("from version " << schema.migrations[from - 1].version);
    TempFile f;
    {
      // The file as that version's hyperiond left it (user_version only, no schema_versions).
      auto db = Database::open(f.path);
      CHECK(hyperion::storage::migrate(db, schema.migrations.first(from)) == static_cast<int>(from));
      db.exec("INSERT INTO users (name, role, password_hash, created_ms, password_changed_ms) "
              "VALUES ('alice', 'admin', 'x', 1000, 1000)");
      db.exec("INSERT INTO audit (time_ms, user, action, outcome) VALUES (2000, 'alice', 'login', 'success')");
    }
    auto db = Database::open(f.path);
    const std::array modules{schema};
    CHECK(hyperion::storage::migrate(db, modules) == static_cast<int>(schema.migrations.size() - from));
    CHECK(hyperion::storage::module_version(db, "auth") == schema.migrations.back().version);
    CHECK(count(db, "SELECT count(*) FROM users WHERE name = 'alice' AND uid LIKE 'u%' AND length(uid) = 33") == 1);
    CHECK(count(db, "SELECT sessions_valid_after_ms FROM users WHERE name = 'alice'") >= 1000);
    CHECK(count(db, "SELECT count FROM audit WHERE user = 'alice'") == 1);
  }
}
