#pragma once

// Accounts, sessions, API tokens, the second factor and the audit log, over the database.
//
// Two kinds of calls. `authenticate`, `still_valid` and `role_allows` are fast, never touch the
// database and may run on any thread (the HTTP thread checks every request with them): they
// read in-memory state (users' enabled flag and "sessions valid after" time, revoked sessions,
// API tokens) that the other calls keep current. Every other call uses the database and the
// password hash; they are made by one thread at a time (the daemon's auth worker, or the
// `hyperiond user` command).

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "hyperion/auth/crypto.hpp"
#include "hyperion/auth/settings.hpp"
#include "hyperion/storage/audit.hpp"
#include "hyperion/storage/database.hpp"

namespace hyperion::auth {

enum class Role : std::uint8_t { viewer = 1, operator_ = 2, admin = 3 };
std::optional<Role> parse_role(std::string_view name);
std::string_view to_string(Role role);
inline bool role_allows(Role have, Role need) { return static_cast<int>(have) >= static_cast<int>(need); }

// Who a request is from.
struct Principal {
  std::int64_t user_id = 0;
  std::string username;
  Role role = Role::viewer;
  std::string session;             // the login session (refresh family); empty for an API token
  std::int64_t api_token_id = 0;   // non-zero when authenticated by an API token
  std::int64_t issued_ms = 0;
  std::int64_t expires_ms = 0;     // INT64_MAX for an API token without expiry
  bool must_change_password = false;
};

// A refused call, ready to become a problem+json response.
struct AuthError {
  int status = 400;
  std::string type;    // "invalid-credentials", "otp-required", "too-many-attempts", ...
  std::string title;
  std::string detail;
  std::int64_t retry_after_seconds = 0;  // for 429
};

template <class T>
using Outcome = std::variant<T, AuthError>;
struct Done {};

struct Tokens {
  std::string access_token;
  std::int64_t access_expires_ms = 0;
  std::string refresh_token;
  std::int64_t refresh_expires_ms = 0;
  Principal principal;
};

struct UserInfo {
  std::int64_t id = 0;
  std::string name;
  std::string display_name;
  Role role = Role::viewer;
  bool enabled = true;
  bool must_change_password = false;
  bool totp_enabled = false;
  std::int64_t created_ms = 0;
  std::optional<std::int64_t> last_login_ms;
  // Until when some address is throttled for this name (the latest), and how many are.
  std::optional<std::int64_t> locked_until_ms;
  std::int64_t throttled_addresses = 0;
};

struct NewUser {
  std::string name;
  std::string display_name;
  Role role = Role::viewer;
  std::string password;
  bool must_change_password = false;
};

struct UserChange {
  std::optional<std::string> display_name;
  std::optional<Role> role;
  std::optional<bool> enabled;
};

struct TotpEnrollment {
  std::string secret_base32;
  std::string otpauth_uri;
};

struct ApiTokenInfo {
  std::int64_t id = 0;
  std::string name;
  Role role = Role::viewer;
  std::string prefix;  // the first characters, to recognise it
  std::int64_t created_ms = 0;
  std::optional<std::int64_t> expires_ms;
  std::optional<std::int64_t> last_used_ms;
  bool revoked = false;
};

struct NewApiToken {
  ApiTokenInfo info;
  std::string token;  // shown once
};

// The audit log is a service of storage's (storage/audit.hpp); these names stay for callers.
using storage::AuditEntry;
using storage::AuditPage;
using storage::AuditQuery;

// Who asks for a change, and from where: recorded in the audit log.
struct Actor {
  std::optional<Principal> principal;  // none: the root shell (`hyperiond user ...`)
  std::string source;                  // "127.0.0.1", "cli"
  std::string name() const { return principal ? principal->username : "root@cli"; }
};

class AuthService {
 public:
  using Clock = std::function<std::int64_t()>;  // Unix milliseconds

  // `secrets`: seals TOTP secrets and keys token hashes; `signing_key`: signs access tokens.
  // The schema must be migrated already. Events go to `audit`, shared with the other modules
  // that write to the log; without it, the service keeps an audit log of its own.
  AuthService(storage::Database& db, storage::AuditLog& audit, SecretKey secrets, Bytes signing_key,
              AuthSettings settings, Clock now_ms);
  // With an audit log of its own (tests, tools).
  AuthService(storage::Database& db, SecretKey secrets, Bytes signing_key, AuthSettings settings, Clock now_ms,
              storage::AuditSettings audit = {});

  // --- fast, any thread

  std::optional<Principal> authenticate(std::string_view token) const;
  // False once the principal's session was revoked, its user disabled, deleted or changed
  // (role, password), or its token expired: for long-lived connections (WebSockets).
  bool still_valid(const Principal& principal) const;
  const AuthSettings& settings() const noexcept { return settings_; }

  // --- the database

  // Re-reads users, API tokens and revoked sessions when another process (the `hyperiond
  // user` command) changed the database since the last call. Cheap when nothing changed: the
  // daemon calls it every second.
  bool reload_if_changed();

  bool has_users();
  // Creates `admin` with a random password that must be changed at first login; returns it.
  std::string create_initial_admin(const std::string& source);

  Outcome<Tokens> login(std::string_view name, std::string_view password, std::optional<std::string_view> otp,
                        const std::string& source);
  Outcome<Tokens> refresh(std::string_view refresh_token, const std::string& source);
  void logout(const Principal& principal, const std::string& source);

  std::vector<UserInfo> list_users();
  Outcome<UserInfo> get_user(std::string_view name);
  Outcome<UserInfo> create_user(const Actor& actor, const NewUser& user);
  Outcome<UserInfo> change_user(const Actor& actor, std::string_view name, const UserChange& change);
  Outcome<Done> delete_user(const Actor& actor, std::string_view name);
  // `current_password` is required when users change their own password; an admin (or the
  // root shell) resetting another's sets must_change_password unless `keep_temporary` is false.
  Outcome<Done> set_password(const Actor& actor, std::string_view name, std::string_view new_password,
                             std::optional<std::string_view> current_password, bool temporary);

  // Enrolling, like removing, asks for the password again: a stolen session alone cannot tie
  // the account to the thief's phone.
  Outcome<TotpEnrollment> begin_totp(const Actor& actor, std::string_view password);
  Outcome<std::vector<std::string>> confirm_totp(const Actor& actor, std::string_view code);
  Outcome<Done> disable_totp(const Actor& actor, std::string_view password);
  Outcome<Done> reset_totp(const Actor& actor, std::string_view name);
  // Forgets the failed logins recorded for a name from every address (an admin's unlock).
  Outcome<Done> unlock_user(const Actor& actor, std::string_view name);

  std::vector<ApiTokenInfo> list_api_tokens(std::int64_t user_id);
  // Asks for the password again (a stolen session cannot mint lasting credentials).
  Outcome<NewApiToken> create_api_token(const Actor& actor, std::string_view name, Role role,
                                        std::optional<std::int64_t> expires_ms, std::string_view password);
  Outcome<Done> revoke_api_token(const Actor& actor, std::int64_t id);

  void audit(const std::optional<std::string>& user, const std::string& source, std::string_view action,
             const std::optional<std::string>& target, std::string_view outcome,
             const std::optional<std::string>& detail = std::nullopt) {
    audit_.record(user, source, action, target, outcome, detail);
  }
  AuditPage query_audit(const AuditQuery& query) { return audit_.query(query); }
  // Writes the counts of aggregated rows still held in memory (every second, and at stop).
  void flush_audit() { audit_.flush(); }
  // Applies the audit log's bounds, and forgets failed logins the throttle no longer needs
  // (the daemon calls it every minute).
  void prune_audit();
  storage::AuditLog& audit_log() noexcept { return audit_; }
  // True when the database answered a trivial query just now (/healthz).
  bool database_ok();

 private:
  struct UserState {
    std::string uid;
    std::string name;
    Role role = Role::viewer;
    bool enabled = true;
    bool must_change_password = false;
    std::int64_t valid_after_ms = 0;  // tokens issued before are refused
  };
  struct ApiTokenState {
    std::int64_t id = 0;
    std::int64_t user_id = 0;
    Role role = Role::viewer;
    std::int64_t expires_ms = 0;
  };
  struct Attempts {
    std::vector<std::int64_t> failures_ms;  // within the last minute
  };

  void load_state();
  void refresh_user_state(std::int64_t user_id);
  Tokens issue(const UserState& user, std::int64_t user_id, const std::string& family, const std::string& source);
  void revoke_family(const std::string& family, std::int64_t user_id, bool audit_theft, const std::string& source);
  void revoke_user_sessions(std::int64_t user_id, const std::string& except_family = {});
  void clear_totp(std::int64_t user_id);  // the second factor and its recovery codes
  std::optional<AuthError> check_rate(const std::string& source, const std::string& name);
  // Records a failed login of `name` from `source`; returns the 429 to answer when this failure
  // starts or extends a throttle.
  void record_failure(const std::string& source, const std::string& name);
  std::optional<AuthError> verify_current_password(const Actor& actor, std::string_view password, std::string_view action);
  // A failed or refused login, aggregated: one row per (user, source, outcome, detail) per window.
  void audit_repeated(const std::optional<std::string>& user, const std::string& source, std::string_view outcome,
                      const std::string& detail) {
    audit_.record_repeated(user, source, "login", outcome, detail);
  }
  void revoke_user_api_tokens(std::int64_t user_id, const std::string& why, const Actor& actor);
  std::optional<UserInfo> find_user(std::string_view name);
  bool may_manage(const Actor& actor) const;
  Bytes token_hash(std::string_view token) const { return secrets_.keyed_hash(token); }

  storage::Database& db_;
  std::unique_ptr<storage::AuditLog> own_audit_;  // when none was given
  storage::AuditLog& audit_;
  SecretKey secrets_;
  Bytes signing_key_;
  AuthSettings settings_;
  Clock now_;
  std::string dummy_hash_;  // verified for unknown names, so that timing does not tell
  std::int64_t data_version_ = -1;

  mutable std::shared_mutex mutex_;  // guards the maps below
  std::map<std::int64_t, UserState> users_;
  std::map<std::string, std::int64_t, std::less<>> id_by_uid_;
  std::map<std::string, std::int64_t> revoked_sessions_;  // family -> until (ms)
  std::map<Bytes, ApiTokenState> api_tokens_;             // keyed hash -> token
  std::set<std::int64_t> api_token_ids_;                  // the ids of api_tokens_ (still_valid, per tick)
  mutable std::map<std::int64_t, std::int64_t> api_token_used_;  // id -> last use (ms)

  std::map<std::string, Attempts> attempts_by_source_;

};

// What per-address limits count by: an IPv4 address as it is (also when seen IPv4-mapped on a
// dual-stack socket, "::ffff:192.0.2.1"), an IPv6 address by its /64 ("2001:db8:1:2::/64"),
// which one host or subscriber holds whole (an attacker would otherwise rotate through 2^64
// addresses). Anything else is returned as it is.
std::string address_block(std::string_view address);

// A user name: 1 to 64 of a-z, 0-9, '.', '_', '-', starting with a letter or digit.
std::optional<std::string> invalid_username(std::string_view name);

}  // namespace hyperion::auth
