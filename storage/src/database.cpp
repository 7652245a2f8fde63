#include "hyperion/storage/database.hpp"

#include <fcntl.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

namespace hyperion::storage {
namespace {

// How long a writer waits for another process's write lock before giving up (SQLITE_BUSY).
constexpr int kBusyTimeoutMs = 5000;

std::string short_sql(std::string_view sql) {
  std::string out(sql.substr(0, 80));
  for (auto& c : out) {
    if (c == '\n' || c == '\t') c = ' ';
  }
  return sql.size() > 80 ? out + "..." : out;
}

}  // namespace

void Statement::Finalizer::operator()(sqlite3_stmt* s) const noexcept { sqlite3_finalize(s); }

Statement::Statement(sqlite3* db, sqlite3_stmt* stmt, std::string sql) : db_(db), stmt_(stmt), sql_(std::move(sql)) {}

void Statement::check(int rc, std::string_view what) const {
  if (rc == SQLITE_OK) return;
  throw StorageError(sqlite3_extended_errcode(db_),
                     fmt::format("{} '{}': {}", what, short_sql(sql_), sqlite3_errmsg(db_)));
}

Statement& Statement::bind(int index, std::int64_t value) {
  check(sqlite3_bind_int64(stmt_.get(), index, value), "bind");
  return *this;
}

Statement& Statement::bind(int index, double value) {
  check(sqlite3_bind_double(stmt_.get(), index, value), "bind");
  return *this;
}

Statement& Statement::bind(int index, std::string_view value) {
  check(sqlite3_bind_text64(stmt_.get(), index, value.data(), value.size(), SQLITE_TRANSIENT, SQLITE_UTF8), "bind");
  return *this;
}

Statement& Statement::bind(int index, std::span<const unsigned char> value) {
  check(sqlite3_bind_blob64(stmt_.get(), index, value.data(), value.size(), SQLITE_TRANSIENT), "bind");
  return *this;
}

Statement& Statement::bind(int index, std::nullptr_t) {
  check(sqlite3_bind_null(stmt_.get(), index), "bind");
  return *this;
}

bool Statement::step() {
  const int rc = sqlite3_step(stmt_.get());
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  // The error is on the connection; reset so that the statement can run again.
  const int code = sqlite3_extended_errcode(db_);
  std::string message = sqlite3_errmsg(db_);
  sqlite3_reset(stmt_.get());
  throw StorageError(code, fmt::format("step '{}': {}", short_sql(sql_), message));
}

void Statement::run() {
  while (step()) {
  }
  reset();
}

void Statement::reset() {
  sqlite3_reset(stmt_.get());
  sqlite3_clear_bindings(stmt_.get());
}

bool Statement::is_null(int column) const { return sqlite3_column_type(stmt_.get(), column) == SQLITE_NULL; }

std::int64_t Statement::int64(int column) const { return sqlite3_column_int64(stmt_.get(), column); }

double Statement::real(int column) const { return sqlite3_column_double(stmt_.get(), column); }

std::string Statement::text(int column) const {
  const auto* p = sqlite3_column_text(stmt_.get(), column);
  const int n = sqlite3_column_bytes(stmt_.get(), column);
  return p ? std::string(reinterpret_cast<const char*>(p), static_cast<std::size_t>(n)) : std::string();
}

Blob Statement::blob(int column) const {
  const auto* p = static_cast<const unsigned char*>(sqlite3_column_blob(stmt_.get(), column));
  const int n = sqlite3_column_bytes(stmt_.get(), column);
  return p ? Blob(p, p + n) : Blob();
}

std::optional<std::int64_t> Statement::optional_int64(int column) const {
  if (is_null(column)) return std::nullopt;
  return int64(column);
}

std::optional<std::string> Statement::optional_text(int column) const {
  if (is_null(column)) return std::nullopt;
  return text(column);
}

void Database::Closer::operator()(sqlite3* db) const noexcept { sqlite3_close_v2(db); }

Database::Database(sqlite3* db, std::filesystem::path path) : db_(db), path_(std::move(path)) {}

Database Database::open(const std::filesystem::path& file) {
  // Create the file ourselves, 0600, so that SQLite never makes it world-readable: it holds
  // password hashes and token hashes. Only when it does not exist: closing a descriptor of a
  // file drops every POSIX lock this process holds on it, those of another connection to it
  // included, and SQLite's WAL locking would then let another process delete the WAL under
  // that connection.
  struct stat st {};
  if (::stat(file.c_str(), &st) != 0) {
    if (errno != ENOENT) {
      throw StorageError(SQLITE_CANTOPEN, fmt::format("cannot open database {}: {}", file.string(), std::strerror(errno)));
    }
    const int fd = ::open(file.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0 && errno != EEXIST) {
      throw StorageError(SQLITE_CANTOPEN, fmt::format("cannot create database {}: {}", file.string(), std::strerror(errno)));
    }
    if (fd >= 0) ::close(fd);
  }
  sqlite3* raw = nullptr;
  const int rc = sqlite3_open_v2(file.c_str(), &raw, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, nullptr);
  Database db(raw, file);
  if (rc != SQLITE_OK) {
    throw StorageError(rc, fmt::format("cannot open database {}: {}", file.string(),
                                       raw ? sqlite3_errmsg(raw) : sqlite3_errstr(rc)));
  }
  try {
    db.configure();
  } catch (const StorageError& e) {
    // "file is not a database": say which file, and that it is left as it is.
    throw StorageError(e.code(), fmt::format("database {} cannot be used: {} (not an SQLite database, or damaged): "
                                             "restore it from a backup or move it away; it is left as it is",
                                             file.string(), e.what()));
  }
  return db;
}

std::vector<std::string> Database::tables_of(const std::filesystem::path& file) {
  sqlite3* raw = nullptr;
  const int rc = sqlite3_open_v2(file.c_str(), &raw, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, nullptr);
  std::unique_ptr<sqlite3, Closer> db(raw);
  const auto fail = [&](int code) {
    return StorageError(code, fmt::format("database {} cannot be used: {} (not an SQLite database, or damaged): "
                                          "restore it from a backup or move it away; it is left as it is",
                                          file.string(), raw ? sqlite3_errmsg(raw) : sqlite3_errstr(code)));
  };
  if (rc != SQLITE_OK) throw fail(rc);
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v2(raw, "SELECT name FROM sqlite_master WHERE type = 'table'", -1, &stmt, nullptr) != SQLITE_OK) {
    throw fail(sqlite3_extended_errcode(raw));
  }
  std::vector<std::string> tables;
  int step = SQLITE_ROW;
  while ((step = sqlite3_step(stmt)) == SQLITE_ROW) {
    tables.emplace_back(reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0)));
  }
  sqlite3_finalize(stmt);
  if (step != SQLITE_DONE) throw fail(sqlite3_extended_errcode(raw));
  return tables;
}

Database Database::in_memory() {
  sqlite3* raw = nullptr;
  const int rc = sqlite3_open_v2(":memory:", &raw, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, nullptr);
  Database db(raw, ":memory:");
  if (rc != SQLITE_OK) throw StorageError(rc, "cannot open an in-memory database");
  db.configure();
  return db;
}

void Database::configure() {
  sqlite3_extended_result_codes(db_.get(), 1);
  sqlite3_busy_timeout(db_.get(), kBusyTimeoutMs);
  // A new file uses 8 KiB pages and incremental auto-vacuum (both fixed once a table exists):
  // the history's chunks are rows of up to ~2 KiB, which fill 8 KiB pages with less left over
  // than 4 KiB ones, and deleted history gives its pages back to the file system step by step.
  exec("PRAGMA page_size=8192");
  exec("PRAGMA auto_vacuum=INCREMENTAL");
  // WAL: readers never block the writer; NORMAL sync is durable across a process crash and
  // loses at most the last transactions on power loss, never corrupts the file.
  auto mode = prepare("PRAGMA journal_mode=WAL");
  mode.step();
  const auto journal = mode.text(0);
  if (journal != "wal" && journal != "memory") {
    throw StorageError(SQLITE_ERROR, fmt::format("database {}: cannot use WAL (journal mode is '{}')", path_.string(), journal));
  }
  exec("PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON; PRAGMA secure_delete=ON");
  // A page cache of 1 MiB per connection (SQLite's default is 2 MiB): the daemon's writes are
  // appends and its reads touch each chunk once, so a bigger cache would only add resident
  // memory.
  exec("PRAGMA cache_size=-1024");
}

Statement Database::prepare(std::string_view sql) {
  sqlite3_stmt* stmt = nullptr;
  const int rc = sqlite3_prepare_v3(db_.get(), sql.data(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT, &stmt, nullptr);
  if (rc != SQLITE_OK) {
    throw StorageError(sqlite3_extended_errcode(db_.get()),
                       fmt::format("prepare '{}': {}", short_sql(sql), sqlite3_errmsg(db_.get())));
  }
  return Statement(db_.get(), stmt, std::string(sql));
}

void Database::exec(std::string_view sql) {
  const std::string s(sql);
  char* error = nullptr;
  const int rc = sqlite3_exec(db_.get(), s.c_str(), nullptr, nullptr, &error);
  if (rc != SQLITE_OK) {
    std::string message = error ? error : sqlite3_errstr(rc);
    sqlite3_free(error);
    throw StorageError(sqlite3_extended_errcode(db_.get()), fmt::format("'{}': {}", short_sql(sql), message));
  }
}

std::int64_t Database::last_insert_rowid() const { return sqlite3_last_insert_rowid(db_.get()); }

int Database::changes() const { return sqlite3_changes(db_.get()); }

int Database::user_version() {
  auto s = prepare("PRAGMA user_version");
  s.step();
  return static_cast<int>(s.int64(0));
}

void Database::rollback() noexcept {
  if (!sqlite3_get_autocommit(db_.get())) sqlite3_exec(db_.get(), "ROLLBACK", nullptr, nullptr, nullptr);
}

int migrate(Database& db, std::span<const Migration> migrations) {
  const int current = db.user_version();
  const int latest = migrations.empty() ? 0 : migrations.back().version;
  if (current > latest) {
    throw StorageError(SQLITE_ERROR,
                       fmt::format("database {} has schema version {}, newer than this hyperiond knows ({}): "
                                   "use a newer hyperiond, or restore a backup made by this version",
                                   db.path().string(), current, latest));
  }
  int applied = 0;
  for (const auto& m : migrations) {
    if (m.version <= current) continue;
    db.transaction([&] {
      db.exec(m.sql);
      db.exec(fmt::format("PRAGMA user_version = {}", m.version));
    });
    ++applied;
  }
  return applied;
}

namespace {

void ensure_versions_table(Database& db) {
  db.exec("CREATE TABLE IF NOT EXISTS schema_versions (module TEXT PRIMARY KEY, version INTEGER NOT NULL) STRICT");
}

std::optional<int> stored_version(Database& db, std::string_view module) {
  auto s = db.prepare("SELECT version FROM schema_versions WHERE module = ?");
  s.bind(1, module);
  if (!s.step()) return std::nullopt;
  return static_cast<int>(s.int64(0));
}

}  // namespace

int module_version(Database& db, std::string_view module) {
  ensure_versions_table(db);
  return stored_version(db, module).value_or(0);
}

int migrate(Database& db, std::span<const ModuleSchema> modules) {
  ensure_versions_table(db);
  int applied = 0;
  for (const auto& m : modules) {
    // A file from before schema_versions: the mirroring module's version is user_version.
    const auto stored = stored_version(db, m.module);
    const int current = stored ? *stored : (m.mirrors_user_version ? db.user_version() : 0);
    const int latest = m.migrations.empty() ? 0 : m.migrations.back().version;
    if (current > latest) {
      throw StorageError(SQLITE_ERROR,
                         fmt::format("database {} has schema version {} of {}, newer than this hyperiond knows ({}): "
                                     "use a newer hyperiond, or restore a backup made by this version",
                                     db.path().string(), current, m.module, latest));
    }
    const auto record = [&](int version) {
      db.prepare("INSERT INTO schema_versions (module, version) VALUES (?, ?) "
                 "ON CONFLICT (module) DO UPDATE SET version = excluded.version")
          .bind(1, m.module)
          .bind(2, version)
          .run();
      if (m.mirrors_user_version) db.exec(fmt::format("PRAGMA user_version = {}", version));
    };
    if (!stored && current > 0) db.transaction([&] { record(current); });
    for (const auto& step : m.migrations) {
      if (step.version <= current) continue;
      db.transaction([&] {
        db.exec(step.sql);
        record(step.version);
      });
      ++applied;
    }
  }
  return applied;
}

}  // namespace hyperion::storage
