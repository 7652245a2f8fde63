// AuthService: roles, the in-memory state and the fast per-request checks.
#include "hyperion/auth/service.hpp"

#include <algorithm>
#include <mutex>

#include "hyperion/auth/jwt.hpp"

#include "service_detail.hpp"

namespace hyperion::auth {

using namespace detail;
using storage::Database;
using storage::Statement;

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


AuthService::AuthService(Database& db, storage::AuditLog& audit, SecretKey secrets, Bytes signing_key,
                         AuthSettings settings, Clock now_ms)
    : db_(db), audit_(audit), secrets_(std::move(secrets)), signing_key_(std::move(signing_key)),
      settings_(std::move(settings)), now_(std::move(now_ms)) {
  dummy_hash_ = hash_password(random_token(16), settings_.password_cost);
  reload_if_changed();
}

AuthService::AuthService(Database& db, SecretKey secrets, Bytes signing_key, AuthSettings settings, Clock now_ms,
                         storage::AuditSettings audit)
    : db_(db),
      own_audit_(std::make_unique<storage::AuditLog>(db, std::move(audit), now_ms)),
      audit_(*own_audit_),
      secrets_(std::move(secrets)),
      signing_key_(std::move(signing_key)),
      settings_(std::move(settings)),
      now_(std::move(now_ms)) {
  dummy_hash_ = hash_password(random_token(16), settings_.password_cost);
  reload_if_changed();
}

void AuthService::load_state() {
  std::map<std::int64_t, UserState> users;
  std::map<std::string, std::int64_t, std::less<>> by_uid;
  auto s = db_.prepare("SELECT id, uid, name, role, enabled, must_change_password, sessions_valid_after_ms FROM users");
  while (s.step()) {
    users[s.int64(0)] = UserState{s.text(1), s.text(2), parse_role(s.text(3)).value_or(Role::viewer), s.int64(4) != 0,
                                  s.int64(5) != 0, s.int64(6)};
    by_uid[s.text(1)] = s.int64(0);
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
  id_by_uid_ = std::move(by_uid);
  api_tokens_ = std::move(tokens);
  api_token_ids_.clear();
  for (const auto& entry : api_tokens_) api_token_ids_.insert(entry.second.id);
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
  auto s = db_.prepare("SELECT uid, name, role, enabled, must_change_password, sessions_valid_after_ms FROM users WHERE id = ?");
  s.bind(1, user_id);
  std::unique_lock lock(mutex_);
  if (const auto old = users_.find(user_id); old != users_.end()) {
    id_by_uid_.erase(old->second.uid);
    users_.erase(old);
  }
  if (!s.step()) return;
  users_[user_id] = UserState{s.text(0), s.text(1), parse_role(s.text(2)).value_or(Role::viewer), s.int64(3) != 0,
                              s.int64(4) != 0, s.int64(5)};
  id_by_uid_[s.text(0)] = user_id;
}

// --- fast path

std::optional<Principal> AuthService::authenticate(std::string_view token) const {
  const auto now = now_();
  if (looks_like_jwt(token)) {
    const auto verified = verify_access_token(token, signing_key_, now);
    if (!std::holds_alternative<AccessClaims>(verified)) return std::nullopt;
    const auto& c = std::get<AccessClaims>(verified);
    std::shared_lock lock(mutex_);
    // The subject is the user's uid, never reused: a token of a deleted user names nobody, even
    // when a new user took the deleted one's row id or name.
    const auto id = id_by_uid_.find(c.subject);
    if (id == id_by_uid_.end()) return std::nullopt;
    const auto u = users_.find(id->second);
    if (u == users_.end() || !u->second.enabled || c.issued_ms < u->second.valid_after_ms) return std::nullopt;
    if (revoked_sessions_.contains(c.session)) return std::nullopt;
    // Name and role as they are now, never as the token says.
    return Principal{id->second, u->second.name, u->second.role, c.session, 0, c.issued_ms, c.expires_ms,
                     u->second.must_change_password};
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
    return api_token_ids_.contains(p.api_token_id);
  }
  return p.issued_ms >= u->second.valid_after_ms && !revoked_sessions_.contains(p.session);
}

}  // namespace hyperion::auth
