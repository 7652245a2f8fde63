// AuthService: API tokens for scripts.
#include "hyperion/auth/service.hpp"

#include <mutex>

#include "service_detail.hpp"

namespace hyperion::auth {

using namespace detail;
using storage::Statement;

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
                                                   std::optional<std::int64_t> expires_ms, std::string_view password) {
  if (!actor.principal) return forbidden("log in to create an API token");
  const auto& p = *actor.principal;
  if (p.api_token_id != 0) return forbidden("an API token cannot create API tokens");
  if (name.empty() || name.size() > 64) return error(400, "bad-token-name", "Bad token name", "a token name has 1 to 64 bytes");
  if (!printable_utf8(name)) {
    return error(400, "bad-token-name", "Bad token name", "a token name is UTF-8 text without control characters");
  }
  if (!role_allows(p.role, role)) {
    return forbidden(fmt::format("a token's role cannot be higher than yours ({})", to_string(p.role)));
  }
  const auto now = now_();
  if (expires_ms && *expires_ms <= now) return error(400, "bad-expiry", "Bad expiry", "the expiry is in the past");
  if (auto e = verify_current_password(actor, password, "token.create")) return *e;
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
    api_token_ids_.insert(id);
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
    api_token_ids_.erase(id);
  }
  audit(actor.name(), actor.source, "token.revoke", name, "success");
  return Done{};
}

}  // namespace hyperion::auth
