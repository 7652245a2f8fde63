// AuthService: accounts (create, change, delete, passwords).
#include "hyperion/auth/service.hpp"

#include <algorithm>
#include <mutex>

#include "service_detail.hpp"

namespace hyperion::auth {

using namespace detail;
using storage::Statement;

namespace {

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
  u.throttled_addresses = s.int64(10);
  return u;
}

// locked_until_ms: the latest throttle of any address for this name (login_failures), given the
// current time as the one parameter.
constexpr std::string_view kUserColumns =
    "id, name, display_name, role, enabled, must_change_password, totp_enabled, created_ms, last_login_ms, "
    "(SELECT max(blocked_until_ms) FROM login_failures f WHERE f.name = users.name AND f.blocked_until_ms > ?1), "
    "(SELECT count(*) FROM login_failures f WHERE f.name = users.name AND f.blocked_until_ms > ?1)";

}  // namespace

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
  auto s = db_.prepare(fmt::format("SELECT {} FROM users WHERE name = ?2", kUserColumns));
  s.bind(1, now_());
  s.bind(2, name);
  if (!s.step()) return std::nullopt;
  return read_user(s);
}

std::vector<UserInfo> AuthService::list_users() {
  std::vector<UserInfo> out;
  auto s = db_.prepare(fmt::format("SELECT {} FROM users ORDER BY name", kUserColumns));
  s.bind(1, now_());
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
  // A fresh random uid (what tokens name) and no token from before this moment: a new user
  // never inherits anything of a deleted one, whatever row id or name SQLite gives it.
  db_.prepare(
         "INSERT INTO users (uid, name, display_name, role, password_hash, must_change_password, created_ms, "
         "password_changed_ms, sessions_valid_after_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)")
      .bind(1, "u" + hex_encode(random_bytes(16)))
      .bind(2, user.name)
      .bind(3, user.display_name)
      .bind(4, to_string(user.role))
      .bind(5, hash)
      .bind(6, user.must_change_password)
      .bind(7, now)
      .bind(8, now)
      .bind(9, now)
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
      db_.prepare("UPDATE users SET enabled = ? WHERE id = ?")
          .bind(1, *change.enabled)
          .bind(2, user->id)
          .run();
      what.push_back(*change.enabled ? "enabled" : "disabled");
    }
  });
  // A role change or a disable ends the user's sessions: the new role takes effect at once.
  if ((change.role && *change.role != user->role) || (change.enabled && !*change.enabled)) revoke_user_sessions(user->id);
  // A disable also revokes the API tokens, so that enabling the user again revives nothing
  // issued before: the user starts again with new credentials.
  if (change.enabled && !*change.enabled && user->enabled) revoke_user_api_tokens(user->id, "user disabled", actor);
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
  db_.prepare("DELETE FROM login_failures WHERE name = ?").bind(1, user->name).run();
  {
    std::unique_lock lock(mutex_);
    if (const auto u = users_.find(user->id); u != users_.end()) id_by_uid_.erase(u->second.uid);
    users_.erase(user->id);
    std::erase_if(api_tokens_, [&](const auto& t) {
      if (t.second.user_id != user->id) return false;
      api_token_ids_.erase(t.second.id);
      return true;
    });
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
  db_.prepare("UPDATE users SET password_hash = ?, password_changed_ms = ?, must_change_password = ? WHERE id = ?")
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

Outcome<Done> AuthService::unlock_user(const Actor& actor, std::string_view name) {
  if (!may_manage(actor)) return forbidden("only an admin unlocks users");
  auto user = find_user(name);
  if (!user) return no_such_user(name);
  db_.prepare("DELETE FROM login_failures WHERE name = ?").bind(1, user->name).run();
  audit(actor.name(), actor.source, "user.unlock", user->name, "success",
        fmt::format("forgot the failed logins from {} address(es)", user->throttled_addresses));
  return Done{};
}

void AuthService::revoke_user_api_tokens(std::int64_t user_id, const std::string& why, const Actor& actor) {
  std::vector<std::string> names;
  auto s = db_.prepare("SELECT name FROM api_tokens WHERE user_id = ? AND revoked_ms IS NULL");
  s.bind(1, user_id);
  while (s.step()) names.push_back(s.text(0));
  s.reset();
  if (names.empty()) return;
  db_.prepare("UPDATE api_tokens SET revoked_ms = ? WHERE user_id = ? AND revoked_ms IS NULL").bind(1, now_()).bind(2, user_id).run();
  {
    std::unique_lock lock(mutex_);
    std::erase_if(api_tokens_, [&](const auto& t) {
      if (t.second.user_id != user_id) return false;
      api_token_ids_.erase(t.second.id);
      return true;
    });
  }
  for (const auto& n : names) audit(actor.name(), actor.source, "token.revoke", n, "success", why);
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

}  // namespace hyperion::auth
