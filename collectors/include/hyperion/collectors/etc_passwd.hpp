#pragma once

// /etc/passwd: "name:password:UID:GID:gecos:home:shell". Used to name process owners
// without NSS calls on the hot path (and the same way for remote hosts). Users that
// exist only in LDAP/SSSD show as their numeric UID.

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>

#include "hyperion/collectors/result.hpp"

namespace hyperion::collectors {

using UserNames = std::unordered_map<std::uint32_t, std::string>;

// Skips blank lines, comments and NIS "+"/"-" lines; a malformed line is skipped,
// not fatal. The first entry for a UID wins (as getpwuid does). Empty text -> empty map.
UserNames parse_etc_passwd(std::string_view text);

}  // namespace hyperion::collectors
