#pragma once

// Access tokens: JWT (RFC 7519) signed with HMAC-SHA-256 under a key of the daemon's own.
// Verification accepts exactly {"alg":"HS256"}: never "none", never another algorithm.

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <variant>

namespace hyperion::auth {

struct AccessClaims {
  std::string subject;       // "sub": the user's uid, random and never reused (not the row id)
  std::string username;      // "name"
  std::string role;          // "role": viewer, operator, admin
  std::string session;       // "sid": the refresh-token family it came from
  std::string token_id;      // "jti"
  std::int64_t issued_ms = 0;   // "iat" (seconds with a millisecond fraction in the token)
  std::int64_t expires_ms = 0;  // "exp"
};

// The OAuth 2 "scope" claim a role carries (RFC 8693 4.2, space-separated): viewer "read",
// operator "read act", admin "read act admin". Informational for clients: the server decides
// by the user's current role, never by a token's claims alone.
std::string scopes_of_role(std::string_view role);

std::string sign_access_token(const AccessClaims& claims, std::span<const unsigned char> key);

struct TokenError {
  std::string reason;  // "malformed", "bad signature", "expired", ...
};

std::variant<AccessClaims, TokenError> verify_access_token(std::string_view token, std::span<const unsigned char> key,
                                                           std::int64_t now_ms);

// True when the string has a JWT's shape (three base64url parts): tells access tokens from
// API tokens in an Authorization header.
bool looks_like_jwt(std::string_view token) noexcept;

}  // namespace hyperion::auth
