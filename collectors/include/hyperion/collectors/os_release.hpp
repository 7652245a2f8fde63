#pragma once

// /etc/os-release (or /usr/lib/os-release): shell-style KEY=value lines.
// https://www.freedesktop.org/software/systemd/man/os-release.html

#include <string>
#include <string_view>

namespace hyperion::collectors {

struct OsRelease {
  std::string id;            // ID: "debian"; "linux" when unset (os-release(5) default)
  std::string name;          // NAME: "Debian GNU/Linux"; "Linux" when unset
  std::string version_id;    // VERSION_ID: "12"
  std::string version;       // VERSION: "12 (bookworm)"
  std::string pretty_name;   // PRETTY_NAME; falls back to NAME, then "Linux"
};

// Handles double and single quotes and backslash escapes inside double quotes;
// ignores comments, blank lines and unknown keys. Never fails.
OsRelease parse_os_release(std::string_view text);

}  // namespace hyperion::collectors
