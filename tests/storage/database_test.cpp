#include "hyperion/storage/database.hpp"

#include <sys/stat.h>

#include <array>
#include <fstream>

#include <catch2/catch.hpp>

#include "temp_dir.hpp"

using namespace hyperion::storage;
using hyperion::test::TempDir;

namespace {

constexpr std::array kTwoMigrations{
    Migration{1, "t", "CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, data BLOB, n REAL)"},
    Migration{2, "t.extra", "ALTER TABLE t ADD COLUMN extra INTEGER"},
};

}  // namespace

TEST_CASE("Database::open: creates the file 0600, in WAL mode with foreign keys", "[storage][database]") {
  TempDir dir;
  auto db = Database::open(dir / "h.db");
  struct stat st {};
  REQUIRE(::stat((dir / "h.db").c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
  auto mode = db.prepare("PRAGMA journal_mode");
  REQUIRE(mode.step());
  CHECK(mode.text(0) == "wal");
  auto fk = db.prepare("PRAGMA foreign_keys");
  REQUIRE(fk.step());
  CHECK(fk.int64(0) == 1);
}

TEST_CASE("Database::open: a file that is not a database is a clear error", "[storage][database]") {
  TempDir dir;
  std::ofstream(dir / "junk.db") << "this is not an SQLite file, but it is long enough to have a header............";
  try {
    auto db = Database::open(dir / "junk.db");
    migrate(db, kTwoMigrations);
    FAIL("no error");
  } catch (const StorageError& e) {
    CHECK(std::string(e.what()).find("not a database") != std::string::npos);
  }
  CHECK_THROWS_AS(Database::open(dir / "missing-dir" / "h.db"), StorageError);
}

TEST_CASE("migrate: applies each migration once, in order, and survives a reopen", "[storage][database]") {
  TempDir dir;
  {
    auto db = Database::open(dir / "h.db");
    CHECK(migrate(db, std::span(kTwoMigrations).first(1)) == 1);
    CHECK(db.user_version() == 1);
    db.prepare("INSERT INTO t (name) VALUES (?)").bind(1, "kept").run();
  }
  auto db = Database::open(dir / "h.db");
  CHECK(migrate(db, kTwoMigrations) == 1);  // only version 2 is new
  CHECK(migrate(db, kTwoMigrations) == 0);
  CHECK(db.user_version() == 2);
  auto s = db.prepare("SELECT name, extra FROM t");
  REQUIRE(s.step());
  CHECK(s.text(0) == "kept");
  CHECK(s.is_null(1));
}

TEST_CASE("migrate: a database from a newer hyperiond is refused, untouched", "[storage][database]") {
  TempDir dir;
  auto db = Database::open(dir / "h.db");
  migrate(db, kTwoMigrations);
  try {
    migrate(db, std::span(kTwoMigrations).first(1));
    FAIL("no error");
  } catch (const StorageError& e) {
    CHECK(std::string(e.what()).find("schema version 2, newer than this hyperiond knows (1)") != std::string::npos);
  }
  CHECK(db.user_version() == 2);
}

TEST_CASE("migrate: a failing migration leaves the previous version intact", "[storage][database]") {
  TempDir dir;
  auto db = Database::open(dir / "h.db");
  const std::array broken{kTwoMigrations[0], Migration{2, "bad", "ALTER TABLE t ADD COLUMN x INTEGER; SELECT * FROM nowhere"}};
  CHECK_THROWS_AS(migrate(db, broken), StorageError);
  CHECK(db.user_version() == 1);
  CHECK_THROWS(db.prepare("SELECT x FROM t"));  // the half-applied ALTER was rolled back
}

namespace {
const std::array kOther{Migration{1, "another module's table", "CREATE TABLE other (v INTEGER) STRICT"}};
}  // namespace

TEST_CASE("migrate: modules keep their own versions; the first mirrors user_version", "[storage][database]") {
  TempDir dir;
  {
    auto db = Database::open(dir / "h.db");
    const std::array first{ModuleSchema{"main", std::span(kTwoMigrations).first(1), true}};
    CHECK(migrate(db, first) == 1);
    CHECK(db.user_version() == 1);
    CHECK(module_version(db, "main") == 1);
  }
  auto db = Database::open(dir / "h.db");
  const std::array both{ModuleSchema{"main", kTwoMigrations, true}, ModuleSchema{"other", kOther, false}};
  CHECK(migrate(db, both) == 2);  // main's version 2 and other's version 1
  CHECK(migrate(db, both) == 0);
  CHECK(db.user_version() == 2);  // the mirroring module's, not the other's
  CHECK(module_version(db, "main") == 2);
  CHECK(module_version(db, "other") == 1);
  CHECK(module_version(db, "never") == 0);
  db.prepare("INSERT INTO other (v) VALUES (1)").run();
}

TEST_CASE("migrate: a file from before schema_versions continues from its user_version", "[storage][database]") {
  TempDir dir;
  {
    auto db = Database::open(dir / "h.db");
    CHECK(migrate(db, std::span(kTwoMigrations).first(1)) == 1);  // the old, single-schema way
    db.prepare("INSERT INTO t (name) VALUES (?)").bind(1, "kept").run();
  }
  auto db = Database::open(dir / "h.db");
  const std::array modules{ModuleSchema{"main", kTwoMigrations, true}, ModuleSchema{"other", kOther, false}};
  CHECK(migrate(db, modules) == 2);  // main from 1 to 2 (not again from 0), other from 0 to 1
  CHECK(module_version(db, "main") == 2);
  auto s = db.prepare("SELECT name FROM t");
  REQUIRE(s.step());
  CHECK(s.text(0) == "kept");
}

TEST_CASE("migrate: a module newer in the file than in this binary is refused", "[storage][database]") {
  TempDir dir;
  auto db = Database::open(dir / "h.db");
  const std::array newer{ModuleSchema{"main", kTwoMigrations, true}, ModuleSchema{"other", kOther, false}};
  migrate(db, newer);
  const std::array older{ModuleSchema{"main", kTwoMigrations, true},
                         ModuleSchema{"other", std::span<const Migration>(), false}};
  try {
    migrate(db, older);
    FAIL("no error");
  } catch (const StorageError& e) {
    CHECK(std::string(e.what()).find("schema version 1 of other, newer than this hyperiond knows (0)") !=
          std::string::npos);
  }
}

TEST_CASE("Statement: values round-trip, NULL included", "[storage][database]") {
  auto db = Database::in_memory();
  migrate(db, kTwoMigrations);
  const Blob bytes{0, 1, 2, 255, 0};
  db.prepare("INSERT INTO t (name, data, n, extra) VALUES (?, ?, ?, ?)")
      .bind(1, std::string_view("a\0b", 3))
      .bind(2, std::span<const unsigned char>(bytes))
      .bind(3, 2.5)
      .bind(4, std::optional<std::int64_t>())
      .run();
  auto s = db.prepare("SELECT name, data, n, extra FROM t");
  REQUIRE(s.step());
  CHECK(s.text(0) == std::string("a\0b", 3));
  CHECK(s.blob(1) == bytes);
  CHECK(s.real(2) == 2.5);
  CHECK(s.is_null(3));
  CHECK_FALSE(s.optional_int64(3));
  CHECK_FALSE(s.step());
}

TEST_CASE("Statement: a constraint violation throws, names the statement, and the statement is reusable",
          "[storage][database]") {
  auto db = Database::in_memory();
  migrate(db, kTwoMigrations);
  auto insert = db.prepare("INSERT INTO t (name) VALUES (?)");
  insert.bind(1, "x").run();
  try {
    insert.bind(1, "x").run();
    FAIL("no error");
  } catch (const StorageError& e) {
    CHECK(e.is_constraint());
    CHECK(std::string(e.what()).find("INSERT INTO t") != std::string::npos);
    CHECK(std::string(e.what()).find("UNIQUE") != std::string::npos);
  }
  insert.reset();
  insert.bind(1, "y").run();
  CHECK(db.changes() == 1);
}

TEST_CASE("Database::transaction: commits on return, rolls back on an exception", "[storage][database]") {
  auto db = Database::in_memory();
  migrate(db, kTwoMigrations);
  const auto count = [&] {
    auto s = db.prepare("SELECT count(*) FROM t");
    s.step();
    return s.int64(0);
  };
  CHECK(db.transaction([&] {
    db.prepare("INSERT INTO t (name) VALUES ('a')").run();
    return 7;
  }) == 7);
  CHECK(count() == 1);
  CHECK_THROWS_AS(db.transaction([&] {
    db.prepare("INSERT INTO t (name) VALUES ('b')").run();
    throw std::runtime_error("abandon");
  }),
                  std::runtime_error);
  CHECK(count() == 1);
  db.transaction([&] { db.prepare("INSERT INTO t (name) VALUES ('c')").run(); });  // usable afterwards
  CHECK(count() == 2);
}

TEST_CASE("Database: a second connection (another process's) reads while the first writes", "[storage][database]") {
  TempDir dir;
  auto writer = Database::open(dir / "h.db");
  migrate(writer, kTwoMigrations);
  auto reader = Database::open(dir / "h.db");
  writer.exec("BEGIN IMMEDIATE; INSERT INTO t (name) VALUES ('pending')");
  auto s = reader.prepare("SELECT count(*) FROM t");
  REQUIRE(s.step());
  CHECK(s.int64(0) == 0);  // WAL: the reader sees the last commit and is not blocked
  s.reset();
  writer.exec("COMMIT");
  REQUIRE(s.step());
  CHECK(s.int64(0) == 1);
}
