#include "hyperion/auth/jwt.hpp"

#include <cmath>

#include <nlohmann/json.hpp>

#include "hyperion/auth/crypto.hpp"

namespace hyperion::auth {
namespace {

constexpr std::string_view kHeader = R"({"alg":"HS256","typ":"JWT"})";
// A token this much in the future (a clock step between two hyperiond) is still accepted.
constexpr std::int64_t kClockSkewMs = 60'000;

}  // namespace

std::string scopes_of_role(std::string_view role) {
  if (role == "admin") return "read act admin";
  if (role == "operator") return "read act";
  return "read";
}

std::string sign_access_token(const AccessClaims& c, std::span<const unsigned char> key) {
  const nlohmann::ordered_json payload{{"sub", c.subject},
                                       {"name", c.username},
                                       {"role", c.role},
                                       {"scope", scopes_of_role(c.role)},
                                       {"sid", c.session},
                                       {"jti", c.token_id},
                                       {"iat", static_cast<double>(c.issued_ms) / 1000.0},
                                       {"exp", c.expires_ms / 1000}};
  std::string out = base64url_encode(as_bytes(kHeader));
  out += '.';
  out += base64url_encode(as_bytes(payload.dump()));
  const auto mac = hmac_sha256(key, as_bytes(out));
  out += '.';
  out += base64url_encode(mac);
  return out;
}

bool looks_like_jwt(std::string_view token) noexcept {
  const auto first = token.find('.');
  if (first == std::string_view::npos) return false;
  const auto second = token.find('.', first + 1);
  return second != std::string_view::npos && token.find('.', second + 1) == std::string_view::npos;
}

std::variant<AccessClaims, TokenError> verify_access_token(std::string_view token, std::span<const unsigned char> key,
                                                           std::int64_t now_ms) {
  if (token.size() > 4096 || !looks_like_jwt(token)) return TokenError{"malformed"};
  const auto first = token.find('.');
  const auto second = token.find('.', first + 1);
  const auto signing_input = token.substr(0, second);
  const auto signature = base64url_decode(token.substr(second + 1));
  if (!signature) return TokenError{"malformed"};
  // The signature first: nothing in an unsigned token is looked at.
  if (!constant_time_equal(*signature, hmac_sha256(key, as_bytes(signing_input)))) return TokenError{"bad signature"};
  const auto header = base64url_decode(token.substr(0, first));
  const auto body = base64url_decode(token.substr(first + 1, second - first - 1));
  if (!header || !body) return TokenError{"malformed"};
  const auto h = nlohmann::json::parse(header->begin(), header->end(), nullptr, false);
  if (!h.is_object() || !h.contains("alg") || !h["alg"].is_string() || h["alg"].get<std::string>() != "HS256") {
    return TokenError{"unsupported algorithm"};
  }
  const auto p = nlohmann::json::parse(body->begin(), body->end(), nullptr, false);
  if (!p.is_object()) return TokenError{"malformed"};
  AccessClaims c;
  try {
    c.subject = p.at("sub").get<std::string>();
    c.username = p.at("name").get<std::string>();
    c.role = p.at("role").get<std::string>();
    c.session = p.at("sid").get<std::string>();
    c.token_id = p.at("jti").get<std::string>();
    // iat carries milliseconds (a NumericDate may have a fraction, RFC 7519 2), so that a token
    // issued just after a password change is told from one issued just before it.
    // Times we could not have written (beyond year 10000, negative, not numbers) are malformed:
    // checked before the arithmetic, which would overflow.
    constexpr double kMaxSeconds = 253'402'300'800.0;  // 10000-01-01
    const auto& iat = p.at("iat");
    const auto& exp = p.at("exp");
    if (!iat.is_number() || !exp.is_number_integer()) return TokenError{"malformed claims"};
    const double iat_s = iat.get<double>();
    const auto exp_s = exp.get<std::int64_t>();
    if (!(iat_s >= 0 && iat_s < kMaxSeconds) || exp_s < 0 || static_cast<double>(exp_s) >= kMaxSeconds) {
      return TokenError{"malformed claims"};
    }
    c.issued_ms = std::llround(iat_s * 1000.0);
    c.expires_ms = exp_s * 1000;
  } catch (const std::exception&) {
    return TokenError{"malformed claims"};
  }
  if (now_ms >= c.expires_ms) return TokenError{"expired"};
  if (c.issued_ms > now_ms + kClockSkewMs) return TokenError{"issued in the future"};
  return c;
}

}  // namespace hyperion::auth
