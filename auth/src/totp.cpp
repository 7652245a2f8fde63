#include "hyperion/auth/totp.hpp"

#include <array>

#include <fmt/format.h>

#include "hyperion/auth/crypto.hpp"

namespace hyperion::auth {
namespace {

std::string hotp(std::span<const unsigned char> secret, std::uint64_t counter, int digits) {
  std::array<unsigned char, 8> message{};
  for (int i = 7; i >= 0; --i) {
    message[static_cast<std::size_t>(i)] = static_cast<unsigned char>(counter & 0xff);
    counter >>= 8;
  }
  const auto mac = hmac_sha1(secret, message);
  // RFC 4226 5.3: dynamic truncation.
  const std::size_t offset = mac[mac.size() - 1] & 0x0f;
  const std::uint32_t binary = (static_cast<std::uint32_t>(mac[offset] & 0x7f) << 24) |
                               (static_cast<std::uint32_t>(mac[offset + 1]) << 16) |
                               (static_cast<std::uint32_t>(mac[offset + 2]) << 8) | mac[offset + 3];
  std::uint32_t modulus = 1;
  for (int i = 0; i < digits; ++i) modulus *= 10;
  return fmt::format("{:0{}}", binary % modulus, digits);
}

std::string uri_escape(std::string_view s) {
  std::string out;
  for (const char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
        c == '_' || c == '~') {
      out.push_back(c);
    } else {
      out += fmt::format("%{:02X}", u);
    }
  }
  return out;
}

}  // namespace

std::string totp_code(std::span<const unsigned char> secret, std::int64_t unix_seconds, int digits) {
  return hotp(secret, static_cast<std::uint64_t>(unix_seconds / kTotpStepSeconds), digits);
}

std::optional<std::int64_t> totp_verify(std::span<const unsigned char> secret, std::string_view code,
                                        std::int64_t unix_seconds, std::optional<std::int64_t> last_used_step) {
  std::string digits;
  for (const char c : code) {
    if (c == ' ') continue;
    if (c < '0' || c > '9') return std::nullopt;
    digits.push_back(c);
  }
  if (digits.size() != static_cast<std::size_t>(kTotpDigits)) return std::nullopt;
  const std::int64_t now = unix_seconds / kTotpStepSeconds;
  std::optional<std::int64_t> matched;
  for (std::int64_t step = now - 1; step <= now + 1; ++step) {
    // Compare every candidate, in constant time, so timing does not tell which step matched.
    const auto expected = hotp(secret, static_cast<std::uint64_t>(step), kTotpDigits);
    if (constant_time_equal(as_bytes(expected), as_bytes(digits)) && !matched) matched = step;
  }
  if (!matched || (last_used_step && *matched <= *last_used_step)) return std::nullopt;
  return matched;
}

std::string otpauth_uri(std::string_view issuer, std::string_view account, std::string_view base32_secret) {
  return fmt::format("otpauth://totp/{}:{}?secret={}&issuer={}&algorithm=SHA1&digits={}&period={}", uri_escape(issuer),
                     uri_escape(account), base32_secret, uri_escape(issuer), kTotpDigits, kTotpStepSeconds);
}

}  // namespace hyperion::auth
