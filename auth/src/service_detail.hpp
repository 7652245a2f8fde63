#pragma once

// Helpers shared by the files of AuthService (service.cpp, users.cpp, sessions.cpp,
// second_factor.cpp, api_tokens.cpp, audit.cpp). Internal to the auth module.

#include <cstdint>
#include <limits>
#include <string>
#include <string_view>

#include <fmt/format.h>

#include "hyperion/auth/service.hpp"

namespace hyperion::auth::detail {

inline constexpr std::int64_t kNoExpiry = std::numeric_limits<std::int64_t>::max();
inline constexpr std::string_view kApiTokenPrefix = "hyp_";

inline AuthError error(int status, std::string type, std::string title, std::string detail, std::int64_t retry = 0) {
  return AuthError{status, std::move(type), std::move(title), std::move(detail), retry};
}

inline AuthError bad_credentials() {
  return error(401, "invalid-credentials", "Invalid credentials", "the user name or the password is wrong");
}

inline AuthError no_such_user(std::string_view name) {
  return error(404, "no-such-user", "No such user", fmt::format("there is no user '{}'", name));
}

inline AuthError forbidden(std::string detail) { return error(403, "forbidden", "Forbidden", std::move(detail)); }

// A recovery code as stored (hashed) and compared: upper case, without '-' and spaces.
inline std::string normalise_recovery(std::string_view code) {
  std::string out;
  for (const char c : code) {
    if (c == '-' || c == ' ') continue;
    out.push_back(static_cast<char>(c >= 'a' && c <= 'z' ? c - 'a' + 'A' : c));
  }
  return out;
}

// Valid UTF-8 without control characters (C0, DEL, C1): safe to show in a list or a log line.
inline bool printable_utf8(std::string_view s) {
  for (std::size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x20 || c == 0x7f) return false;
    if (c < 0x80) {
      ++i;
      continue;
    }
    const int n = (c & 0xe0) == 0xc0 ? 1 : (c & 0xf0) == 0xe0 ? 2 : (c & 0xf8) == 0xf0 ? 3 : -1;
    if (n < 0 || i + static_cast<std::size_t>(n) >= s.size()) return false;  // not a lead byte, or cut short
    std::uint32_t cp = c & (0x3fu >> n);
    for (int k = 1; k <= n; ++k) {
      const auto cc = static_cast<unsigned char>(s[i + static_cast<std::size_t>(k)]);
      if ((cc & 0xc0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3fu);
    }
    // Overlong forms, surrogates, beyond U+10FFFF, and the C1 controls.
    if ((n == 1 && cp < 0x80) || (n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) || cp > 0x10ffff ||
        (cp >= 0xd800 && cp <= 0xdfff) || (cp >= 0x80 && cp < 0xa0)) {
      return false;
    }
    i += static_cast<std::size_t>(n) + 1;
  }
  return true;
}

}  // namespace hyperion::auth::detail
