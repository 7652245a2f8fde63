#pragma once

// Helpers shared by the files of AuthService (service.cpp, users.cpp, sessions.cpp,
// second_factor.cpp, api_tokens.cpp, audit.cpp). Internal to the auth module.

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

}  // namespace hyperion::auth::detail
