#pragma once

// One SQLite connection (WAL, foreign keys, a busy timeout) and its prepared statements, with
// every return code checked: a failure throws StorageError naming the statement and SQLite's
// message. A Database is used by one thread at a time; other processes (the `hyperiond user`
// commands) may open the same file, and WAL lets them read while the daemon writes.

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

struct sqlite3;
struct sqlite3_stmt;

namespace hyperion::storage {

class StorageError : public std::runtime_error {
 public:
  StorageError(int code, const std::string& what) : std::runtime_error(what), code_(code) {}
  int code() const noexcept { return code_; }  // SQLite's extended result code
  bool is_constraint() const noexcept { return (code_ & 0xff) == 19; }  // SQLITE_CONSTRAINT

 private:
  int code_;
};

using Blob = std::vector<unsigned char>;

class Statement {
 public:
  Statement(sqlite3* db, sqlite3_stmt* stmt, std::string sql);
  Statement(Statement&&) noexcept = default;
  Statement& operator=(Statement&&) noexcept = default;

  // Parameters are numbered from 1, as in SQLite.
  Statement& bind(int index, std::int64_t value);
  Statement& bind(int index, int value) { return bind(index, static_cast<std::int64_t>(value)); }
  Statement& bind(int index, bool value) { return bind(index, static_cast<std::int64_t>(value ? 1 : 0)); }
  Statement& bind(int index, double value);
  Statement& bind(int index, std::string_view value);
  Statement& bind(int index, const char* value) { return bind(index, std::string_view(value)); }
  Statement& bind(int index, std::span<const unsigned char> value);
  Statement& bind(int index, std::nullptr_t);
  template <class T>
  Statement& bind(int index, const std::optional<T>& value) {
    return value ? bind(index, *value) : bind(index, nullptr);
  }

  // True while there is a row to read; false once the statement is done.
  bool step();
  // Steps to the end (an INSERT, UPDATE or DELETE).
  void run();
  void reset();

  bool is_null(int column) const;
  std::int64_t int64(int column) const;
  double real(int column) const;
  std::string text(int column) const;
  Blob blob(int column) const;
  std::optional<std::int64_t> optional_int64(int column) const;
  std::optional<std::string> optional_text(int column) const;

 private:
  struct Finalizer {
    void operator()(sqlite3_stmt* s) const noexcept;
  };
  void check(int rc, std::string_view what) const;
  sqlite3* db_;
  std::unique_ptr<sqlite3_stmt, Finalizer> stmt_;
  std::string sql_;
};

class Database {
 public:
  // Opens (creating it, mode 0600, when missing) the file; WAL, foreign keys on.
  static Database open(const std::filesystem::path& file);
  // The tables of an existing file, read without changing a byte of it (no WAL switch, no
  // recovery written): to check that a file is ours before opening it for writing. Throws
  // StorageError naming the file when it is not an SQLite database.
  static std::vector<std::string> tables_of(const std::filesystem::path& file);
  // A private in-memory database (tests of code above storage).
  static Database in_memory();

  Statement prepare(std::string_view sql);
  void exec(std::string_view sql);  // one or more statements, no parameters
  std::int64_t last_insert_rowid() const;
  int changes() const;
  const std::filesystem::path& path() const noexcept { return path_; }

  // Runs f inside BEGIN IMMEDIATE ... COMMIT; an exception rolls back and propagates.
  template <class F>
  decltype(auto) transaction(F&& f) {
    exec("BEGIN IMMEDIATE");
    try {
      if constexpr (std::is_void_v<decltype(f())>) {
        f();
        exec("COMMIT");
      } else {
        auto result = f();
        exec("COMMIT");
        return result;
      }
    } catch (...) {
      rollback();
      throw;
    }
  }

  int user_version();

 private:
  struct Closer {
    void operator()(sqlite3* db) const noexcept;
  };
  Database(sqlite3* db, std::filesystem::path path);
  void configure();
  void rollback() noexcept;
  std::unique_ptr<sqlite3, Closer> db_;
  std::filesystem::path path_;
};

struct Migration {
  int version;              // PRAGMA user_version after it
  std::string_view summary;
  std::string_view sql;
};

// Applies, each in its own transaction, every migration newer than the file's user_version.
// A file from a newer hyperiond (user_version above the last migration) is refused: running an
// old binary on it could lose data. Returns the number applied.
int migrate(Database& db, std::span<const Migration> migrations);

// The migrations one module brings (auth now; history and alerts next), oldest first. Each
// module's version is kept in the table schema_versions. The module whose tables came first
// also keeps its version in PRAGMA user_version, as hyperiond did before modules had their own.
struct ModuleSchema {
  std::string_view module;
  std::span<const Migration> migrations;
  bool mirrors_user_version = false;
};

// Migrates each module in turn, each migration in its own transaction (with its version). A
// module whose version in the file is newer than its last migration is refused, as above.
// Returns the number of migrations applied.
int migrate(Database& db, std::span<const ModuleSchema> modules);
// A module's version in the file (0: none of its migrations applied).
int module_version(Database& db, std::string_view module);

}  // namespace hyperion::storage
