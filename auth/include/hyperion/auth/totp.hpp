#pragma once

// TOTP (RFC 6238 over RFC 4226's HOTP): HMAC-SHA-1, 30 s steps, 6 digits, as every
// authenticator app does by default.

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace hyperion::auth {

constexpr int kTotpStepSeconds = 30;
constexpr int kTotpDigits = 6;

// The code for the step that holds `unix_seconds`.
std::string totp_code(std::span<const unsigned char> secret, std::int64_t unix_seconds, int digits = kTotpDigits);

// The step a code belongs to, when it matches the current step or one either side (clock
// skew), and that step is newer than `last_used_step` (a code works once). Nothing otherwise.
std::optional<std::int64_t> totp_verify(std::span<const unsigned char> secret, std::string_view code,
                                        std::int64_t unix_seconds, std::optional<std::int64_t> last_used_step);

// otpauth://totp/ISSUER:ACCOUNT?secret=...&issuer=...&algorithm=SHA1&digits=6&period=30
std::string otpauth_uri(std::string_view issuer, std::string_view account, std::string_view base32_secret);

}  // namespace hyperion::auth
