#include <array>

#include "hyperion/auth/schema.hpp"

namespace hyperion::auth {
namespace {

using storage::Migration;

// Version 1: accounts, their second factor, sessions (refresh-token families), API tokens
// and the audit log. Times are Unix milliseconds. Secrets are never stored in the clear:
// passwords as Argon2id strings, tokens and recovery codes as keyed hashes, TOTP secrets
// encrypted under a key kept outside the database.
constexpr std::string_view kSchema1 = R"sql(
CREATE TABLE users (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE COLLATE NOCASE,
  display_name TEXT NOT NULL DEFAULT '',
  role TEXT NOT NULL CHECK (role IN ('viewer', 'operator', 'admin')),
  enabled INTEGER NOT NULL DEFAULT 1 CHECK (enabled IN (0, 1)),
  password_hash TEXT NOT NULL,
  must_change_password INTEGER NOT NULL DEFAULT 0 CHECK (must_change_password IN (0, 1)),
  created_ms INTEGER NOT NULL,
  password_changed_ms INTEGER NOT NULL,
  last_login_ms INTEGER,
  failed_logins INTEGER NOT NULL DEFAULT 0,
  locked_until_ms INTEGER,
  totp_secret BLOB,
  totp_enabled INTEGER NOT NULL DEFAULT 0 CHECK (totp_enabled IN (0, 1)),
  totp_last_step INTEGER,
  sessions_valid_after_ms INTEGER NOT NULL DEFAULT 0
) STRICT;

CREATE TABLE recovery_codes (
  id INTEGER PRIMARY KEY,
  user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  code_hash BLOB NOT NULL,
  used_ms INTEGER
) STRICT;
CREATE INDEX recovery_codes_user ON recovery_codes(user_id);

CREATE TABLE refresh_tokens (
  id INTEGER PRIMARY KEY,
  user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  family TEXT NOT NULL,
  token_hash BLOB NOT NULL UNIQUE,
  created_ms INTEGER NOT NULL,
  expires_ms INTEGER NOT NULL,
  used_ms INTEGER,
  revoked_ms INTEGER,
  source TEXT NOT NULL DEFAULT ''
) STRICT;
CREATE INDEX refresh_tokens_family ON refresh_tokens(family);
CREATE INDEX refresh_tokens_user ON refresh_tokens(user_id);

CREATE TABLE api_tokens (
  id INTEGER PRIMARY KEY,
  user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  name TEXT NOT NULL,
  role TEXT NOT NULL CHECK (role IN ('viewer', 'operator', 'admin')),
  token_hash BLOB NOT NULL UNIQUE,
  prefix TEXT NOT NULL,
  created_ms INTEGER NOT NULL,
  expires_ms INTEGER,
  last_used_ms INTEGER,
  revoked_ms INTEGER,
  UNIQUE (user_id, name)
) STRICT;

CREATE TABLE audit (
  id INTEGER PRIMARY KEY,
  time_ms INTEGER NOT NULL,
  user TEXT,
  source TEXT NOT NULL DEFAULT '',
  action TEXT NOT NULL,
  target TEXT,
  outcome TEXT NOT NULL,
  detail TEXT
) STRICT;
CREATE INDEX audit_time ON audit(time_ms);
CREATE INDEX audit_user ON audit(user, time_ms);
CREATE INDEX audit_action ON audit(action, time_ms);
)sql";

// Version 2 (the security review):
// * users.uid: a random subject that access tokens name, never reused. Row ids are reused by
//   SQLite after a delete, so a token that named the row would outlive its user and authorise
//   the next one. sessions_valid_after_ms starts at the user's creation, so no token issued
//   before it counts.
// * login_failures: failed logins per (name, source address), for throttling the address that
//   fails rather than locking the account. Kept in the file so that a restart forgets nothing
//   and `hyperiond user unlock` reaches the daemon. users.failed_logins and locked_until_ms are
//   no longer used.
// * audit.count and audit.last_ms: repeated failures are one row per window with a count.
constexpr std::string_view kSchema2 = R"sql(
ALTER TABLE users ADD COLUMN uid TEXT NOT NULL DEFAULT '';
UPDATE users SET uid = 'u' || lower(hex(randomblob(16)));
CREATE UNIQUE INDEX users_uid ON users(uid);
UPDATE users SET sessions_valid_after_ms = max(sessions_valid_after_ms, created_ms);

CREATE TABLE login_failures (
  name TEXT NOT NULL COLLATE NOCASE,
  source TEXT NOT NULL,
  failures INTEGER NOT NULL,
  first_ms INTEGER NOT NULL,
  last_ms INTEGER NOT NULL,
  blocked_until_ms INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (name, source)
) STRICT, WITHOUT ROWID;
CREATE INDEX login_failures_last ON login_failures(last_ms);

ALTER TABLE audit ADD COLUMN count INTEGER NOT NULL DEFAULT 1;
ALTER TABLE audit ADD COLUMN last_ms INTEGER;
CREATE INDEX audit_outcome ON audit(outcome, time_ms);
)sql";

constexpr std::array kMigrations{
    Migration{1, "users, second factor, refresh tokens, API tokens, audit log", kSchema1},
    Migration{2, "never-reused user subjects, login throttling per address, aggregated audit rows", kSchema2},
};

}  // namespace

storage::ModuleSchema schema() {
  // Auth's tables were the whole schema before modules brought their own: its version is also
  // the file's PRAGMA user_version, which older hyperiond binaries read.
  return storage::ModuleSchema{"auth", kMigrations, true};
}

}  // namespace hyperion::auth
