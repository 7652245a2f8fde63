// AuthService: TOTP enrolment, confirmation with recovery codes, removal.
#include "hyperion/auth/service.hpp"

#include "hyperion/auth/totp.hpp"

#include "service_detail.hpp"

namespace hyperion::auth {

using namespace detail;
using storage::Statement;

namespace {

constexpr int kRecoveryCodes = 10;

// A recovery code: 10 characters of base32 in two groups, "ABCDE-FGHIJ" (50 bits).
std::string recovery_code() {
  const auto b = base32_encode(random_bytes(7));
  return b.substr(0, 5) + "-" + b.substr(5, 5);
}

}  // namespace

// --- second factor

std::optional<AuthError> AuthService::verify_current_password(const Actor& actor, std::string_view password,
                                                              std::string_view action) {
  auto s = db_.prepare("SELECT password_hash FROM users WHERE id = ?");
  s.bind(1, actor.principal->user_id);
  if (!s.step()) return no_such_user(actor.principal->username);
  if (!verify_password(password, s.text(0))) {
    audit(actor.name(), actor.source, action, actor.name(), "failure", "wrong password");
    return error(403, "wrong-password", "Wrong password", "the password is wrong");
  }
  return std::nullopt;
}

Outcome<TotpEnrollment> AuthService::begin_totp(const Actor& actor, std::string_view password) {
  if (!actor.principal) return forbidden("log in to enrol a second factor");
  if (auto e = verify_current_password(actor, password, "totp.enroll")) return *e;
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

void AuthService::clear_totp(std::int64_t user_id) {
  db_.transaction([&] {
    db_.prepare("UPDATE users SET totp_enabled = 0, totp_secret = NULL, totp_last_step = NULL WHERE id = ?")
        .bind(1, user_id)
        .run();
    db_.prepare("DELETE FROM recovery_codes WHERE user_id = ?").bind(1, user_id).run();
  });
}

Outcome<Done> AuthService::disable_totp(const Actor& actor, std::string_view password) {
  if (!actor.principal) return forbidden("log in to remove the second factor");
  if (auto e = verify_current_password(actor, password, "totp.disable")) return *e;
  clear_totp(actor.principal->user_id);
  audit(actor.name(), actor.source, "totp.disable", actor.name(), "success");
  return Done{};
}

Outcome<Done> AuthService::reset_totp(const Actor& actor, std::string_view name) {
  if (!may_manage(actor)) return forbidden("only an admin resets another user's second factor");
  auto user = find_user(name);
  if (!user) return no_such_user(name);
  clear_totp(user->id);
  audit(actor.name(), actor.source, "totp.reset", std::string(name), "success");
  return Done{};
}

}  // namespace hyperion::auth
