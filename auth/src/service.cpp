#include "hyperion/auth/service.hpp"

#include <algorithm>
#include <limits>
#include <mutex>

#include <fmt/format.h>

#include "hyperion/auth/jwt.hpp"
#include "hyperion/auth/totp.hpp"

namespace hyperion::auth {
namespace {

using storage::Database;
using storage::Statement;

constexpr std::int64_t kNoExpiry = std::numeric_limits<std::int64_t>::max();
constexpr std::string_view kApiTokenPrefix = "hyp_";
constexpr int kRecoveryCodes = 10;

AuthError error(int status, std::string type, std::string title, std::string detail, std::int64_t retry = 0) {
  return AuthError{status, std::move(type), std::move(title), std::move(detail), retry};
}

AuthError bad_credentials() {
  return error(401, "invalid-credentials", "Invalid credentials", "the user name or the password is wrong");
}

AuthError no_such_user(std::string_view name) {
  return error(404, "no-such-user", "No such user", fmt::format("there is no user '{}'", name));
}

AuthError forbidden(std::string detail) { return error(403, "forbidden", "Forbidden", std::move(detail)); }

UserInfo read_user(const Statement& s) {
  // id, name, display_name, role, enabled, must_change_password, totp_enabled, created_ms,
  // last_login_ms, locked_until_ms
  UserInfo u;
  u.id = s.int64(0);
  u.name = s.text(1);
  u.display_name = s.text(2);
  u.role = parse_role(s.text(3)).value_or(Role::viewer);
  u.enabled = s.int64(4) != 0;
  u.must_change_password = s.int64(5) != 0;
  u.totp_enabled = s.int64(6) != 0;
  u.created_ms = s.int64(7);
  u.last_login_ms = s.optional_int64(8);
  u.locked_until_ms = s.optional_int64(9);
  return u;
}

constexpr std::string_view kUserColumns =
    "id, name, display_name, role, enabled, must_change_password, totp_enabled, created_ms, last_login_ms, "
    "locked_until_ms";

// A recovery code: 10 characters of base32 in two groups, "ABCDE-FGHIJ" (50 bits).
std::string recovery_code() {
  const auto b = base32_encode(random_bytes(7));
  return b.substr(0, 5) + "-" + b.substr(5, 5);
}

std::string normalise_recovery(std::string_view code) {
  std::string out;
  for (const char c : code) {
    if (c == '-' || c == ' ') continue;
    out.push_back(static_cast<char>(c >= 'a' && c <= 'z' ? c - 'a' + 'A' : c));
  }
  return out;
}

}  // namespace

std::optional<Role> parse_role(std::string_view name) {
  if (name == "viewer") return Role::viewer;
  if (name == "operator") return Role::operator_;
  if (name == "admin") return Role::admin;
  return std::nullopt;
}

std::string_view to_string(Role role) {
  switch (role) {
    case Role::viewer: return "viewer";
    case Role::operator_: return "operator";
    case Role::admin: return "admin";
  }
  return "viewer";
}

std::optional<std::string> invalid_username(std::string_view name) {
  if (name.empty() || name.size() > 64) return "a user name has 1 to 64 characters";
  const auto ok = [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-'; };
  if (!std::all_of(name.begin(), name.end(), ok)) {
    return "a user name uses only lower-case letters, digits, '.', '_' and '-'";
  }
  if (name.front() == '.' || name.front() == '-' || name.front() == '_') return "a user name starts with a letter or a digit";
  return std::nullopt;
}

AuthService::AuthService(Database& db, SecretKey secrets, Bytes signing_key, AuthSettings settings, Clock now_ms)
    : db_(db), secrets_(std::move(secrets)), signing_key_(std::move(signing_key)), settings_(std::move(settings)),
      now_(std::move(now_ms)) {
  dummy_hash_ = hash_password(random_token(16), settings_.password_cost);
  reload_if_changed();
}

void AuthService::load_state() {
  std::map<std::int64_t, UserState> users;
  auto s = db_.prepare("SELECT id, name, role, enabled, must_change_password, sessions_valid_after_ms FROM users");
  while (s.step()) {
    users[s.int64(0)] = UserState{s.text(1), parse_role(s.text(2)).value_or(Role::viewer), s.int64(3) != 0,
                                  s.int64(4) != 0, s.int64(5)};
  }
  std::map<Bytes, ApiTokenState> tokens;
  auto t = db_.prepare("SELECT id, user_id, role, token_hash, expires_ms FROM api_tokens WHERE revoked_ms IS NULL");
  while (t.step()) {
    tokens[t.blob(3)] = ApiTokenState{t.int64(0), t.int64(1), parse_role(t.text(2)).value_or(Role::viewer),
                                      t.optional_int64(4).value_or(kNoExpiry)};
  }
  // Families revoked while their access tokens may still be alive.
  std::map<std::string, std::int64_t> revoked;
  const auto horizon = now_() - settings_.access_ttl.count();
  auto r = db_.prepare("SELECT family, max(revoked_ms) FROM refresh_tokens WHERE revoked_ms > ? GROUP BY family");
  r.bind(1, horizon);
  while (r.step()) revoked[r.text(0)] = r.int64(1) + settings_.access_ttl.count();
  std::unique_lock lock(mutex_);
  users_ = std::move(users);
  api_tokens_ = std::move(tokens);
  revoked_sessions_ = std::move(revoked);
}

bool AuthService::reload_if_changed() {
  // data_version changes when another connection (a `hyperiond user` command) commits.
  auto s = db_.prepare("PRAGMA data_version");
  s.step();
  const auto version = s.int64(0);
  if (version == data_version_) return false;
  data_version_ = version;
  load_state();
  return true;
}

void AuthService::refresh_user_state(std::int64_t user_id) {
  auto s = db_.prepare("SELECT name, role, enabled, must_change_password, sessions_valid_after_ms FROM users WHERE id = ?");
  s.bind(1, user_id);
  std::unique_lock lock(mutex_);
  if (!s.step()) {
    users_.erase(user_id);
    return;
  }
  users_[user_id] = UserState{s.text(0), parse_role(s.text(1)).value_or(Role::viewer), s.int64(2) != 0,
                              s.int64(3) != 0, s.int64(4)};
}

// --- fast path

std::optional<Principal> AuthService::authenticate(std::string_view token) const {
  const auto now = now_();
  if (looks_like_jwt(token)) {
    const auto verified = verify_access_token(token, signing_key_, now);
    if (!std::holds_alternative<AccessClaims>(verified)) return std::nullopt;
    const auto& c = std::get<AccessClaims>(verified);
    Principal p{c.user_id, c.username, parse_role(c.role).value_or(Role::viewer), c.session, 0, c.issued_ms, c.expires_ms, false};
    std::shared_lock lock(mutex_);
    const auto u = users_.find(c.user_id);
    if (u == users_.end() || !u->second.enabled || c.issued_ms < u->second.valid_after_ms) return std::nullopt;
    if (revoked_sessions_.contains(c.session)) return std::nullopt;
    p.role = u->second.role;
    p.must_change_password = u->second.must_change_password;
    return p;
  }
  if (!token.starts_with(kApiTokenPrefix) || token.size() > 128) return std::nullopt;
  const auto hash = token_hash(token);
  std::shared_lock lock(mutex_);
  const auto t = api_tokens_.find(hash);
  if (t == api_tokens_.end() || now >= t->second.expires_ms) return std::nullopt;
  const auto u = users_.find(t->second.user_id);
  if (u == users_.end() || !u->second.enabled) return std::nullopt;
  api_token_used_[t->second.id] = now;
  // A token never has more than its owner has now: a demoted owner demotes the token.
  const auto role = static_cast<int>(t->second.role) < static_cast<int>(u->second.role) ? t->second.role : u->second.role;
  return Principal{t->second.user_id, u->second.name, role, {}, t->second.id, 0, t->second.expires_ms, false};
}

bool AuthService::still_valid(const Principal& p) const {
  if (now_() >= p.expires_ms) return false;
  std::shared_lock lock(mutex_);
  const auto u = users_.find(p.user_id);
  if (u == users_.end() || !u->second.enabled) return false;
  if (p.api_token_id != 0) {
    return std::any_of(api_tokens_.begin(), api_tokens_.end(), [&](const auto& t) { return t.second.id == p.api_token_id; });
  }
  return p.issued_ms >= u->second.valid_after_ms && !revoked_sessions_.contains(p.session);
}

// --- accounts

bool AuthService::has_users() {
  auto s = db_.prepare("SELECT count(*) FROM users");
  s.step();
  return s.int64(0) > 0;
}

std::string AuthService::create_initial_admin(const std::string& source) {
  const auto password = random_token(15);  // 20 characters, 120 bits
  const auto created = create_user(Actor{std::nullopt, source}, NewUser{"admin", "Administrator", Role::admin, password, true});
  if (std::holds_alternative<AuthError>(created)) throw std::runtime_error(std::get<AuthError>(created).detail);
  return password;
}

std::optional<UserInfo> AuthService::find_user(std::string_view name) {
  auto s = db_.prepare(fmt::format("SELECT {} FROM users WHERE name = ?", kUserColumns));
  s.bind(1, name);
  if (!s.step()) return std::nullopt;
  return read_user(s);
}

std::vector<UserInfo> AuthService::list_users() {
  std::vector<UserInfo> out;
  auto s = db_.prepare(fmt::format("SELECT {} FROM users ORDER BY name", kUserColumns));
  while (s.step()) out.push_back(read_user(s));
  return out;
}

Outcome<UserInfo> AuthService::get_user(std::string_view name) {
  if (auto u = find_user(name)) return *u;
  return no_such_user(name);
}

bool AuthService::may_manage(const Actor& actor) const {
  return !actor.principal || actor.principal->role == Role::admin;
}

Outcome<UserInfo> AuthService::create_user(const Actor& actor, const NewUser& user) {
  if (!may_manage(actor)) return forbidden("only an admin creates users");
  if (auto why = invalid_username(user.name)) return error(400, "bad-username", "Bad user name", *why);
  if (user.display_name.size() > 128) return error(400, "bad-display-name", "Bad display name", "a display name has at most 128 bytes");
  if (auto why = password_weakness(user.password, user.name)) return error(400, "weak-password", "Weak password", *why);
  if (find_user(user.name)) {
    return error(409, "user-exists", "User exists", fmt::format("there is already a user '{}'", user.name));
  }
  const auto now = now_();
  const auto hash = hash_password(user.password, settings_.password_cost);
  db_.prepare(
         "INSERT INTO users (name, display_name, role, password_hash, must_change_password, created_ms, "
         "password_changed_ms) VALUES (?, ?, ?, ?, ?, ?, ?)")
      .bind(1, user.name)
      .bind(2, user.display_name)
      .bind(3, to_string(user.role))
      .bind(4, hash)
      .bind(5, user.must_change_password)
      .bind(6, now)
      .bind(7, now)
      .run();
  refresh_user_state(db_.last_insert_rowid());
  audit(actor.name(), actor.source, "user.create", user.name, "success", fmt::format("role {}", to_string(user.role)));
  return *find_user(user.name);
}

Outcome<UserInfo> AuthService::change_user(const Actor& actor, std::string_view name, const UserChange& change) {
  if (!may_manage(actor)) return forbidden("only an admin changes users");
  auto user = find_user(name);
  if (!user) return no_such_user(name);
  if (change.display_name && change.display_name->size() > 128) {
    return error(400, "bad-display-name", "Bad display name", "a display name has at most 128 bytes");
  }
  const bool demotes_admin = user->role == Role::admin && user->enabled &&
                             ((change.role && *change.role != Role::admin) || (change.enabled && !*change.enabled));
  if (demotes_admin) {
    auto s = db_.prepare("SELECT count(*) FROM users WHERE role = 'admin' AND enabled = 1");
    s.step();
    if (s.int64(0) <= 1) {
      return error(409, "last-admin", "Last admin", "this is the only enabled admin; make another admin first");
    }
  }
  std::vector<std::string> what;
  db_.transaction([&] {
    if (change.display_name) {
      db_.prepare("UPDATE users SET display_name = ? WHERE id = ?").bind(1, *change.display_name).bind(2, user->id).run();
      what.push_back("display name");
    }
    if (change.role && *change.role != user->role) {
      db_.prepare("UPDATE users SET role = ? WHERE id = ?").bind(1, to_string(*change.role)).bind(2, user->id).run();
      what.push_back(fmt::format("role {} -> {}", to_string(user->role), to_string(*change.role)));
    }
    if (change.enabled && *change.enabled != user->enabled) {
      db_.prepare("UPDATE users SET enabled = ?, failed_logins = 0, locked_until_ms = NULL WHERE id = ?")
          .bind(1, *change.enabled)
          .bind(2, user->id)
          .run();
      what.push_back(*change.enabled ? "enabled" : "disabled");
    }
  });
  // A role change or a disable ends the user's sessions: the new role takes effect at once.
  if ((change.role && *change.role != user->role) || (change.enabled && !*change.enabled)) revoke_user_sessions(user->id);
  refresh_user_state(user->id);
  if (!what.empty()) {
    std::string detail;
    for (const auto& w : what) detail += (detail.empty() ? "" : ", ") + w;
    audit(actor.name(), actor.source, "user.update", std::string(name), "success", detail);
  }
  return *find_user(name);
}

Outcome<Done> AuthService::delete_user(const Actor& actor, std::string_view name) {
  if (!may_manage(actor)) return forbidden("only an admin deletes users");
  auto user = find_user(name);
  if (!user) return no_such_user(name);
  if (actor.principal && actor.principal->user_id == user->id) {
    return error(409, "self-delete", "Cannot delete yourself", "an admin cannot delete their own account");
  }
  if (user->role == Role::admin && user->enabled) {
    auto s = db_.prepare("SELECT count(*) FROM users WHERE role = 'admin' AND enabled = 1");
    s.step();
    if (s.int64(0) <= 1) return error(409, "last-admin", "Last admin", "this is the only enabled admin");
  }
  db_.prepare("DELETE FROM users WHERE id = ?").bind(1, user->id).run();
  {
    std::unique_lock lock(mutex_);
    users_.erase(user->id);
    std::erase_if(api_tokens_, [&](const auto& t) { return t.second.user_id == user->id; });
  }
  audit(actor.name(), actor.source, "user.delete", std::string(name), "success");
  return Done{};
}

Outcome<Done> AuthService::set_password(const Actor& actor, std::string_view name, std::string_view new_password,
                                        std::optional<std::string_view> current_password, bool temporary) {
  auto user = find_user(name);
  if (!user) return actor.principal && actor.principal->role != Role::admin ? forbidden("not your account") : no_such_user(name);
  const bool self = actor.principal && actor.principal->user_id == user->id;
  if (!self && !may_manage(actor)) return forbidden("only an admin sets another user's password");
  if (self) {
    auto s = db_.prepare("SELECT password_hash FROM users WHERE id = ?");
    s.bind(1, user->id);
    s.step();
    if (!current_password || !verify_password(*current_password, s.text(0))) {
      audit(actor.name(), actor.source, "user.password", std::string(name), "failure", "wrong current password");
      return error(403, "wrong-password", "Wrong password", "the current password is wrong");
    }
    if (*current_password == new_password) {
      return error(400, "weak-password", "Weak password", "the new password must differ from the current one");
    }
  }
  if (auto why = password_weakness(new_password, user->name)) return error(400, "weak-password", "Weak password", *why);
  const auto now = now_();
  db_.prepare(
         "UPDATE users SET password_hash = ?, password_changed_ms = ?, must_change_password = ?, failed_logins = 0, "
         "locked_until_ms = NULL WHERE id = ?")
      .bind(1, hash_password(new_password, settings_.password_cost))
      .bind(2, now)
      .bind(3, !self && temporary)
      .bind(4, user->id)
      .run();
  // Every session of the user ends but the one that made the change: its refresh token still
  // works, and gives an access token issued after the change.
  revoke_user_sessions(user->id, self && actor.principal ? actor.principal->session : std::string());
  refresh_user_state(user->id);
  audit(actor.name(), actor.source, "user.password", std::string(name), "success",
        self ? "changed own password" : (temporary ? "reset (must change at next login)" : "set"));
  return Done{};
}

void AuthService::revoke_user_sessions(std::int64_t user_id, const std::string& except_family) {
  const auto now = now_();
  // Access tokens issued until now are refused; refresh tokens are revoked.
  db_.prepare("UPDATE users SET sessions_valid_after_ms = ? WHERE id = ?").bind(1, now + 1).bind(2, user_id).run();
  db_.prepare("UPDATE refresh_tokens SET revoked_ms = ? WHERE user_id = ? AND revoked_ms IS NULL AND family != ?")
      .bind(1, now)
      .bind(2, user_id)
      .bind(3, except_family)
      .run();
}

// --- login and sessions

std::optional<AuthError> AuthService::check_rate(const std::string& source, const std::string& name) {
  const auto now = now_();
  const auto window_start = now - 60'000;
  for (auto* m : {&attempts_by_source_, &attempts_by_name_}) {
    const auto& key = m == &attempts_by_source_ ? source : name;
    auto it = m->find(key);
    if (it == m->end()) continue;
    auto& f = it->second.failures_ms;
    std::erase_if(f, [&](std::int64_t t) { return t < window_start; });
    if (f.empty()) {
      m->erase(it);
      continue;
    }
    if (static_cast<int>(f.size()) >= settings_.attempts_per_minute) {
      const auto retry = (f.front() + 60'000 - now + 999) / 1000;
      return error(429, "too-many-attempts", "Too many attempts",
                   fmt::format("too many failed logins; try again in {} s", retry), std::max<std::int64_t>(1, retry));
    }
  }
  return std::nullopt;
}

void AuthService::record_failure(const std::string& source, const std::string& name) {
  const auto now = now_();
  attempts_by_source_[source].failures_ms.push_back(now);
  attempts_by_name_[name].failures_ms.push_back(now);
  // Bounded: a scan of many names or addresses does not grow memory without end.
  constexpr std::size_t kMaxTracked = 10'000;
  for (auto* m : {&attempts_by_source_, &attempts_by_name_}) {
    if (m->size() > kMaxTracked) m->erase(m->begin());
  }
}

Outcome<Tokens> AuthService::login(std::string_view name_in, std::string_view password, std::optional<std::string_view> otp,
                                   const std::string& source) {
  std::string name(name_in.substr(0, 64));
  for (auto& c : name) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  if (auto limited = check_rate(source, name)) {
    audit(name, source, "login", std::nullopt, "denied", "rate limited");
    return *limited;
  }
  const auto now = now_();
  auto s = db_.prepare(
      "SELECT id, password_hash, enabled, locked_until_ms, totp_enabled, totp_secret, totp_last_step, failed_logins "
      "FROM users WHERE name = ?");
  s.bind(1, name);
  const bool exists = s.step();
  // The same work whether the user exists or not: timing does not tell.
  const bool password_ok = verify_password(password, exists ? s.text(1) : dummy_hash_);
  if (!exists) {
    record_failure(source, name);
    audit(name, source, "login", std::nullopt, "failure", "unknown user");
    return bad_credentials();
  }
  const auto id = s.int64(0);
  const bool enabled = s.int64(2) != 0;
  const auto locked_until = s.optional_int64(3);
  const bool totp_enabled = s.int64(4) != 0;
  const auto totp_box = s.blob(5);
  const auto last_step = s.optional_int64(6);
  const auto failed = s.int64(7);
  s.reset();
  if (locked_until && *locked_until > now) {
    record_failure(source, name);
    audit(name, source, "login", std::nullopt, "denied", "account locked");
    const auto retry = (*locked_until - now + 999) / 1000;
    return error(429, "too-many-attempts", "Too many attempts",
                 fmt::format("too many failed logins; try again in {} s", retry), retry);
  }
  if (!password_ok) {
    record_failure(source, name);
    const auto failures = failed + 1;
    const bool lock = failures >= settings_.max_failed_logins;
    db_.prepare("UPDATE users SET failed_logins = ?, locked_until_ms = ? WHERE id = ?")
        .bind(1, lock ? 0 : failures)
        .bind(2, lock ? std::optional<std::int64_t>(now + settings_.lockout.count()) : std::nullopt)
        .bind(3, id)
        .run();
    audit(name, source, "login", std::nullopt, "failure", lock ? "wrong password; account locked" : "wrong password");
    return bad_credentials();
  }
  if (!enabled) {
    audit(name, source, "login", std::nullopt, "denied", "account disabled");
    return error(403, "account-disabled", "Account disabled", "this account is disabled; ask an admin");
  }
  if (totp_enabled) {
    if (!otp || otp->empty()) {
      return error(401, "otp-required", "Second factor required", "enter the code from your authenticator app");
    }
    const auto secret = secrets_.open(totp_box);
    if (!secret) throw std::runtime_error("a TOTP secret does not open with the key file: was the key replaced?");
    const auto step = totp_verify(*secret, *otp, now / 1000, last_step);
    bool recovery_used = false;
    if (!step) {
      // A recovery code, once.
      const auto hash = token_hash(normalise_recovery(*otp));
      auto r = db_.prepare("SELECT id FROM recovery_codes WHERE user_id = ? AND code_hash = ? AND used_ms IS NULL");
      r.bind(1, id).bind(2, std::span<const unsigned char>(hash));
      if (r.step()) {
        db_.prepare("UPDATE recovery_codes SET used_ms = ? WHERE id = ?").bind(1, now).bind(2, r.int64(0)).run();
        recovery_used = true;
      }
    }
    if (!step && !recovery_used) {
      record_failure(source, name);
      audit(name, source, "login", std::nullopt, "failure", "wrong second factor");
      return error(401, "invalid-otp", "Invalid code", "the code is wrong, expired or already used");
    }
    if (step) db_.prepare("UPDATE users SET totp_last_step = ? WHERE id = ?").bind(1, *step).bind(2, id).run();
    if (recovery_used) audit(name, source, "totp.recovery", name, "success", "a recovery code was used");
  }
  db_.prepare("UPDATE users SET failed_logins = 0, locked_until_ms = NULL, last_login_ms = ? WHERE id = ?")
      .bind(1, now)
      .bind(2, id)
      .run();
  refresh_user_state(id);  // it may have been created or changed by `hyperiond user` since
  UserState state;
  {
    std::shared_lock lock(mutex_);
    state = users_.at(id);
  }
  auto tokens = issue(state, id, random_token(16), source);
  audit(name, source, "login", std::nullopt, "success");
  return tokens;
}

Tokens AuthService::issue(const UserState& user, std::int64_t user_id, const std::string& family, const std::string& source) {
  // Never issued before the user's "sessions valid after" time, which a change made in this
  // same millisecond may have set just ahead of the clock.
  const auto now = std::max(now_(), user.valid_after_ms);
  Tokens t;
  t.principal = Principal{user_id, user.name, user.role, family, 0, now, now + settings_.access_ttl.count(),
                          user.must_change_password};
  t.access_expires_ms = t.principal.expires_ms;
  t.access_token = sign_access_token(
      AccessClaims{user_id, user.name, std::string(to_string(user.role)), family, random_token(9), now, t.access_expires_ms},
      signing_key_);
  t.refresh_token = random_token(32);
  t.refresh_expires_ms = now + settings_.refresh_ttl.count();
  const auto hash = token_hash(t.refresh_token);
  db_.prepare(
         "INSERT INTO refresh_tokens (user_id, family, token_hash, created_ms, expires_ms, source) VALUES (?, ?, ?, ?, ?, ?)")
      .bind(1, user_id)
      .bind(2, family)
      .bind(3, std::span<const unsigned char>(hash))
      .bind(4, now)
      .bind(5, t.refresh_expires_ms)
      .bind(6, source)
      .run();
  return t;
}

Outcome<Tokens> AuthService::refresh(std::string_view refresh_token, const std::string& source) {
  const auto now = now_();
  const auto invalid = error(401, "invalid-refresh-token", "Invalid refresh token", "the refresh token is unknown, expired or revoked; log in again");
  if (refresh_token.empty() || refresh_token.size() > 128) return invalid;
  const auto hash = token_hash(refresh_token);
  auto s = db_.prepare("SELECT id, user_id, family, expires_ms, used_ms, revoked_ms FROM refresh_tokens WHERE token_hash = ?");
  s.bind(1, std::span<const unsigned char>(hash));
  if (!s.step()) return invalid;
  const auto row = s.int64(0);
  const auto user_id = s.int64(1);
  const auto family = s.text(2);
  const auto expires = s.int64(3);
  const bool used = !s.is_null(4);
  const bool revoked = !s.is_null(5);
  s.reset();
  std::optional<UserState> user;
  {
    std::shared_lock lock(mutex_);
    if (auto u = users_.find(user_id); u != users_.end()) user = u->second;
  }
  if (used) {
    // A refresh token is good for one use. Presented again, it was copied: end the session
    // for both holders.
    revoke_family(family, user_id, true, source);
    return invalid;
  }
  if (revoked || now >= expires || !user || !user->enabled) return invalid;
  db_.prepare("UPDATE refresh_tokens SET used_ms = ? WHERE id = ?").bind(1, now).bind(2, row).run();
  auto tokens = issue(*user, user_id, family, source);
  audit(user->name, source, "refresh", std::nullopt, "success");
  return tokens;
}

void AuthService::revoke_family(const std::string& family, std::int64_t user_id, bool theft, const std::string& source) {
  const auto now = now_();
  db_.prepare("UPDATE refresh_tokens SET revoked_ms = ? WHERE family = ? AND revoked_ms IS NULL").bind(1, now).bind(2, family).run();
  std::optional<std::string> name;
  {
    std::unique_lock lock(mutex_);
    revoked_sessions_[family] = now + settings_.access_ttl.count();
    std::erase_if(revoked_sessions_, [&](const auto& r) { return r.second < now; });
    if (auto u = users_.find(user_id); u != users_.end()) name = u->second.name;
  }
  if (theft) {
    audit(name, source, "refresh.reuse", name, "denied",
          "a used refresh token was presented again: likely stolen; the session is revoked");
  }
}

void AuthService::logout(const Principal& p, const std::string& source) {
  if (!p.session.empty()) revoke_family(p.session, p.user_id, false, source);
  audit(p.username, source, "logout", std::nullopt, "success");
}

// --- second factor

Outcome<TotpEnrollment> AuthService::begin_totp(const Actor& actor) {
  if (!actor.principal) return forbidden("log in to enrol a second factor");
  auto s = db_.prepare("SELECT totp_enabled FROM users WHERE id = ?");
  s.bind(1, actor.principal->user_id);
  if (!s.step()) return no_such_user(actor.principal->username);
  if (s.int64(0) != 0) {
    return error(409, "totp-enabled", "Second factor already on", "remove the current second factor first");
  }
  const auto secret = random_bytes(20);
  const auto box = secrets_.seal(secret);
  db_.prepare("UPDATE users SET totp_secret = ?, totp_last_step = NULL WHERE id = ?")
      .bind(1, std::span<const unsigned char>(box))
      .bind(2, actor.principal->user_id)
      .run();
  const auto b32 = base32_encode(secret);
  return TotpEnrollment{b32, otpauth_uri(settings_.issuer, actor.principal->username, b32)};
}

Outcome<std::vector<std::string>> AuthService::confirm_totp(const Actor& actor, std::string_view code) {
  if (!actor.principal) return forbidden("log in to enrol a second factor");
  const auto id = actor.principal->user_id;
  auto s = db_.prepare("SELECT totp_secret, totp_enabled, totp_last_step FROM users WHERE id = ?");
  s.bind(1, id);
  if (!s.step() || s.is_null(0)) {
    return error(409, "no-enrolment", "No enrolment", "start the enrolment first (POST /api/v1/auth/totp)");
  }
  if (s.int64(1) != 0) return error(409, "totp-enabled", "Second factor already on", "it is already confirmed");
  const auto secret = secrets_.open(s.blob(0));
  const auto last = s.optional_int64(2);
  s.reset();
  if (!secret) throw std::runtime_error("a TOTP secret does not open with the key file");
  const auto step = totp_verify(*secret, code, now_() / 1000, last);
  if (!step) {
    audit(actor.name(), actor.source, "totp.enroll", actor.name(), "failure", "wrong code");
    return error(400, "invalid-otp", "Invalid code", "the code does not match; check the device's clock and try the next code");
  }
  std::vector<std::string> codes;
  db_.transaction([&] {
    db_.prepare("UPDATE users SET totp_enabled = 1, totp_last_step = ? WHERE id = ?").bind(1, *step).bind(2, id).run();
    db_.prepare("DELETE FROM recovery_codes WHERE user_id = ?").bind(1, id).run();
    auto insert = db_.prepare("INSERT INTO recovery_codes (user_id, code_hash) VALUES (?, ?)");
    for (int i = 0; i < kRecoveryCodes; ++i) {
      codes.push_back(recovery_code());
      const auto hash = token_hash(normalise_recovery(codes.back()));
      insert.bind(1, id).bind(2, std::span<const unsigned char>(hash));
      insert.run();
    }
  });
  audit(actor.name(), actor.source, "totp.enroll", actor.name(), "success");
  return codes;
}

Outcome<Done> AuthService::disable_totp(const Actor& actor, std::string_view password) {
  if (!actor.principal) return forbidden("log in to remove the second factor");
  auto s = db_.prepare("SELECT password_hash FROM users WHERE id = ?");
  s.bind(1, actor.principal->user_id);
  if (!s.step()) return no_such_user(actor.principal->username);
  if (!verify_password(password, s.text(0))) {
    audit(actor.name(), actor.source, "totp.disable", actor.name(), "failure", "wrong password");
    return error(403, "wrong-password", "Wrong password", "the password is wrong");
  }
  s.reset();
  db_.prepare("UPDATE users SET totp_enabled = 0, totp_secret = NULL, totp_last_step = NULL WHERE id = ?")
      .bind(1, actor.principal->user_id)
      .run();
  db_.prepare("DELETE FROM recovery_codes WHERE user_id = ?").bind(1, actor.principal->user_id).run();
  audit(actor.name(), actor.source, "totp.disable", actor.name(), "success");
  return Done{};
}

Outcome<Done> AuthService::reset_totp(const Actor& actor, std::string_view name) {
  if (!may_manage(actor)) return forbidden("only an admin resets another user's second factor");
  auto user = find_user(name);
  if (!user) return no_such_user(name);
  db_.prepare("UPDATE users SET totp_enabled = 0, totp_secret = NULL, totp_last_step = NULL WHERE id = ?").bind(1, user->id).run();
  db_.prepare("DELETE FROM recovery_codes WHERE user_id = ?").bind(1, user->id).run();
  audit(actor.name(), actor.source, "totp.reset", std::string(name), "success");
  return Done{};
}

// --- API tokens

std::vector<ApiTokenInfo> AuthService::list_api_tokens(std::int64_t user_id) {
  std::vector<ApiTokenInfo> out;
  auto s = db_.prepare(
      "SELECT id, name, role, prefix, created_ms, expires_ms, last_used_ms, revoked_ms FROM api_tokens WHERE user_id = ? "
      "ORDER BY created_ms DESC");
  s.bind(1, user_id);
  std::shared_lock lock(mutex_);
  while (s.step()) {
    ApiTokenInfo t{s.int64(0), s.text(1), parse_role(s.text(2)).value_or(Role::viewer), s.text(3), s.int64(4),
                   s.optional_int64(5), s.optional_int64(6), !s.is_null(7)};
    if (auto used = api_token_used_.find(t.id); used != api_token_used_.end()) t.last_used_ms = used->second;
    out.push_back(std::move(t));
  }
  return out;
}

Outcome<NewApiToken> AuthService::create_api_token(const Actor& actor, std::string_view name, Role role,
                                                   std::optional<std::int64_t> expires_ms) {
  if (!actor.principal) return forbidden("log in to create an API token");
  const auto& p = *actor.principal;
  if (p.api_token_id != 0) return forbidden("an API token cannot create API tokens");
  if (name.empty() || name.size() > 64) return error(400, "bad-token-name", "Bad token name", "a token name has 1 to 64 characters");
  if (!role_allows(p.role, role)) {
    return forbidden(fmt::format("a token's role cannot be higher than yours ({})", to_string(p.role)));
  }
  const auto now = now_();
  if (expires_ms && *expires_ms <= now) return error(400, "bad-expiry", "Bad expiry", "the expiry is in the past");
  const auto token = std::string(kApiTokenPrefix) + random_token(32);
  const auto hash = token_hash(token);
  const auto prefix = token.substr(0, 10);
  try {
    db_.prepare(
           "INSERT INTO api_tokens (user_id, name, role, token_hash, prefix, created_ms, expires_ms) VALUES (?, ?, ?, ?, ?, ?, ?)")
        .bind(1, p.user_id)
        .bind(2, name)
        .bind(3, to_string(role))
        .bind(4, std::span<const unsigned char>(hash))
        .bind(5, prefix)
        .bind(6, now)
        .bind(7, expires_ms)
        .run();
  } catch (const storage::StorageError& e) {
    if (!e.is_constraint()) throw;
    return error(409, "token-exists", "Token exists", fmt::format("you already have a token named '{}'", name));
  }
  const auto id = db_.last_insert_rowid();
  {
    std::unique_lock lock(mutex_);
    api_tokens_[hash] = ApiTokenState{id, p.user_id, role, expires_ms.value_or(kNoExpiry)};
  }
  audit(actor.name(), actor.source, "token.create", std::string(name), "success", fmt::format("role {}", to_string(role)));
  return NewApiToken{ApiTokenInfo{id, std::string(name), role, prefix, now, expires_ms, std::nullopt, false}, token};
}

Outcome<Done> AuthService::revoke_api_token(const Actor& actor, std::int64_t id) {
  if (!actor.principal) return forbidden("log in to revoke an API token");
  auto s = db_.prepare("SELECT user_id, name, revoked_ms FROM api_tokens WHERE id = ?");
  s.bind(1, id);
  const auto not_found = error(404, "no-such-token", "No such token", fmt::format("there is no API token {}", id));
  if (!s.step()) return not_found;
  const auto owner = s.int64(0);
  const auto name = s.text(1);
  const bool revoked = !s.is_null(2);
  s.reset();
  if (owner != actor.principal->user_id && actor.principal->role != Role::admin) return not_found;
  if (!revoked) {
    db_.prepare("UPDATE api_tokens SET revoked_ms = ? WHERE id = ?").bind(1, now_()).bind(2, id).run();
    std::unique_lock lock(mutex_);
    std::erase_if(api_tokens_, [&](const auto& t) { return t.second.id == id; });
  }
  audit(actor.name(), actor.source, "token.revoke", name, "success");
  return Done{};
}

// --- audit

void AuthService::audit(const std::optional<std::string>& user, const std::string& source, std::string_view action,
                        const std::optional<std::string>& target, std::string_view outcome,
                        const std::optional<std::string>& detail) {
  db_.prepare("INSERT INTO audit (time_ms, user, source, action, target, outcome, detail) VALUES (?, ?, ?, ?, ?, ?, ?)")
      .bind(1, now_())
      .bind(2, user)
      .bind(3, source)
      .bind(4, action)
      .bind(5, target)
      .bind(6, outcome)
      .bind(7, detail)
      .run();
}

AuditPage AuthService::query_audit(const AuditQuery& q) {
  std::string where = "WHERE 1";
  std::vector<std::function<void(Statement&, int)>> binds;
  const auto add = [&](std::string clause, auto value) {
    where += " AND " + clause;
    binds.push_back([value](Statement& s, int i) { s.bind(i, value); });
  };
  if (q.user) add("user = ?", *q.user);
  if (q.action) {
    if (q.action->ends_with('.')) add("instr(action, ?) = 1", *q.action);
    else add("action = ?", *q.action);
  }
  if (q.outcome) add("outcome = ?", *q.outcome);
  if (q.since_ms) add("time_ms >= ?", *q.since_ms);
  if (q.until_ms) add("time_ms < ?", *q.until_ms);
  AuditPage page;
  auto count = db_.prepare("SELECT count(*) FROM audit " + where);
  for (std::size_t i = 0; i < binds.size(); ++i) binds[i](count, static_cast<int>(i + 1));
  count.step();
  page.total = count.int64(0);
  auto s = db_.prepare(fmt::format("SELECT id, time_ms, user, source, action, target, outcome, detail FROM audit {} "
                                   "ORDER BY time_ms DESC, id DESC LIMIT {} OFFSET {}",
                                   where, q.limit, q.offset));
  for (std::size_t i = 0; i < binds.size(); ++i) binds[i](s, static_cast<int>(i + 1));
  while (s.step()) {
    page.entries.push_back(AuditEntry{s.int64(0), s.int64(1), s.optional_text(2), s.text(3), s.text(4),
                                      s.optional_text(5), s.text(6), s.optional_text(7)});
  }
  return page;
}

}  // namespace hyperion::auth
