// AuthService: login (rate limits, lockout, second factor), tokens, refresh, logout.
#include "hyperion/auth/service.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <cstring>
#include <mutex>

#include "hyperion/auth/jwt.hpp"
#include "hyperion/auth/totp.hpp"

#include "service_detail.hpp"

namespace hyperion::auth {

using namespace detail;
using storage::Statement;

// --- login and sessions

namespace {

AuthError too_many(std::int64_t retry_s) {
  retry_s = std::max<std::int64_t>(1, retry_s);
  return error(429, "too-many-attempts", "Too many attempts",
               fmt::format("too many failed logins from this address; try again in {} s", retry_s), retry_s);
}

}  // namespace

std::string address_block(std::string_view address) {
  std::string text(address);
  if (text.size() > 2 && text.front() == '[' && text.back() == ']') text = text.substr(1, text.size() - 2);
  in_addr v4{};
  char out[INET6_ADDRSTRLEN] = {};
  if (::inet_pton(AF_INET, text.c_str(), &v4) == 1) return ::inet_ntop(AF_INET, &v4, out, sizeof out);
  in6_addr v6{};
  if (::inet_pton(AF_INET6, text.c_str(), &v6) != 1) return std::string(address);
  if (IN6_IS_ADDR_V4MAPPED(&v6)) {
    // An IPv4 client seen on a dual-stack socket: its own address, not the /64 that all of
    // IPv4 shares (which would let one client throttle every other).
    std::memcpy(&v4, reinterpret_cast<const unsigned char*>(&v6) + 12, 4);
    return ::inet_ntop(AF_INET, &v4, out, sizeof out);
  }
  std::memset(reinterpret_cast<unsigned char*>(&v6) + 8, 0, 8);
  ::inet_ntop(AF_INET6, &v6, out, sizeof out);
  return std::string(out) + "/64";
}

// Before a login is tried: the address's failures in the last minute (any name), then this
// address's throttle for this name. Nothing here depends on whether the name exists.
std::optional<AuthError> AuthService::check_rate(const std::string& source, const std::string& name) {
  const auto now = now_();
  const auto window_start = now - 60'000;
  if (auto it = attempts_by_source_.find(address_block(source)); it != attempts_by_source_.end()) {
    auto& f = it->second.failures_ms;
    std::erase_if(f, [&](std::int64_t t) { return t < window_start; });
    if (f.empty()) {
      attempts_by_source_.erase(it);
    } else if (f.size() >= settings_.attempts_per_minute) {
      return too_many((f.front() + 60'000 - now + 999) / 1000);
    }
  }
  auto s = db_.prepare("SELECT blocked_until_ms FROM login_failures WHERE name = ? AND source = ?");
  s.bind(1, name).bind(2, address_block(source));
  if (s.step() && s.int64(0) > now) return too_many((s.int64(0) - now + 999) / 1000);
  return std::nullopt;
}

void AuthService::record_failure(const std::string& source, const std::string& name) {
  const auto now = now_();
  attempts_by_source_[address_block(source)].failures_ms.push_back(now);
  // Bounded: a scan from many addresses does not grow memory without end.
  constexpr std::size_t kMaxTracked = 10'000;
  if (attempts_by_source_.size() > kMaxTracked) attempts_by_source_.erase(attempts_by_source_.begin());

  // Per (name, address), in the file: failures are forgotten `lockout` after the last one or
  // the end of its wait, whichever is later. From the max_failed_logins-th failure on, the
  // address waits 1 s, doubling with each failure, at most `lockout`.
  const auto horizon = now - settings_.lockout.count();
  std::int64_t failures = 1;
  std::int64_t first = now;
  auto s = db_.prepare(
      "SELECT failures, first_ms, max(last_ms, blocked_until_ms) FROM login_failures WHERE name = ? AND source = ?");
  s.bind(1, name).bind(2, address_block(source));
  if (s.step() && s.int64(2) > horizon) {
    failures = s.int64(0) + 1;
    first = s.int64(1);
  }
  s.reset();
  std::int64_t blocked_until = 0;
  if (failures >= settings_.max_failed_logins) {
    const auto doublings = std::min<std::int64_t>(failures - settings_.max_failed_logins, 40);
    const auto delay = std::min<std::int64_t>(settings_.lockout.count(), std::int64_t{1000} << std::min<std::int64_t>(doublings, 30));
    blocked_until = now + delay;
  }
  db_.prepare(
         "INSERT INTO login_failures (name, source, failures, first_ms, last_ms, blocked_until_ms) VALUES (?, ?, ?, ?, ?, ?) "
         "ON CONFLICT (name, source) DO UPDATE SET failures = excluded.failures, first_ms = excluded.first_ms, "
         "last_ms = excluded.last_ms, blocked_until_ms = excluded.blocked_until_ms")
      .bind(1, name)
      .bind(2, address_block(source))
      .bind(3, failures)
      .bind(4, first)
      .bind(5, now)
      .bind(6, blocked_until)
      .run();
}

Outcome<Tokens> AuthService::login(std::string_view name_in, std::string_view password, std::optional<std::string_view> otp,
                                   const std::string& source) {
  std::string name(name_in.substr(0, 64));
  for (auto& c : name) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  if (auto limited = check_rate(source, name)) {
    audit_repeated(std::nullopt, source, "denied", "rate limited");
    return *limited;
  }
  const auto now = now_();
  auto s = db_.prepare("SELECT id, password_hash, enabled, totp_enabled, totp_secret, totp_last_step FROM users WHERE name = ?");
  s.bind(1, name);
  const bool exists = s.step();
  // The same work whether the user exists or not: timing does not tell.
  const bool password_ok = verify_password(password, exists ? s.text(1) : dummy_hash_);
  if (!exists || !password_ok) {
    s.reset();
    // The same bookkeeping and the same answer for an unknown name as for a wrong password.
    record_failure(source, name);
    audit_repeated(name, source, "failure", "wrong user name or password");
    return bad_credentials();
  }
  const auto id = s.int64(0);
  const bool enabled = s.int64(2) != 0;
  const bool totp_enabled = s.int64(3) != 0;
  const auto totp_box = s.blob(4);
  const auto last_step = s.optional_int64(5);
  s.reset();
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
      // A wrong code is a failed login like a wrong password: it feeds the same throttle.
      record_failure(source, name);
      audit_repeated(name, source, "failure", "wrong second factor");
      return error(401, "invalid-otp", "Invalid code", "the code is wrong, expired or already used");
    }
    if (step) db_.prepare("UPDATE users SET totp_last_step = ? WHERE id = ?").bind(1, *step).bind(2, id).run();
    if (recovery_used) audit(name, source, "totp.recovery", name, "success", "a recovery code was used");
  }
  // A success from this address forgets its failures for this name (not other addresses').
  db_.prepare("DELETE FROM login_failures WHERE name = ? AND source = ?").bind(1, name).bind(2, address_block(source)).run();
  db_.prepare("UPDATE users SET last_login_ms = ? WHERE id = ?").bind(1, now).bind(2, id).run();
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
      AccessClaims{user.uid, user.name, std::string(to_string(user.role)), family, random_token(9), now, t.access_expires_ms},
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

}  // namespace hyperion::auth
