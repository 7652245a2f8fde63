#include "hyperion/collectors/etc_passwd.hpp"

#include "hyperion/collectors/text.hpp"

namespace hyperion::collectors {
namespace {

constexpr std::size_t kFields = 7;  // name:password:UID:GID:gecos:home:shell (passwd(5))

// A name we are willing to show: no control bytes, no blanks (useradd never makes such
// names; a line holding one is not a passwd entry).
bool is_printable_name(std::string_view name) noexcept {
  if (name.empty()) return false;
  for (const char ch : name) {
    const auto c = static_cast<unsigned char>(ch);
    if (c <= 0x20 || c == 0x7f) return false;
  }
  return true;
}

}  // namespace

UserNames parse_etc_passwd(std::string_view text) {
  UserNames out;
  std::string_view rest = text, line;
  while (text::next_line(rest, line)) {
    // A file edited on Windows ends its lines in "\r\n".
    if (line.ends_with('\r')) line.remove_suffix(1);
    if (line.empty() || line.front() == '#') continue;
    // "+name", "-name", "+@netgroup", "+::::::": NIS compat entries (nsswitch "compat"),
    // which name no local user by themselves.
    if (line.front() == '+' || line.front() == '-') continue;

    std::string_view fields[kFields];
    std::size_t n = 0;
    std::string_view remaining = line;
    bool too_many = false;
    while (true) {
      const auto colon = remaining.find(':');
      if (n == kFields) {
        too_many = true;
        break;
      }
      fields[n++] = remaining.substr(0, colon);
      if (colon == std::string_view::npos) break;
      remaining.remove_prefix(colon + 1);
    }
    if (too_many || n != kFields) continue;

    const std::string_view name = fields[0];
    const std::string_view uid_text = fields[2];
    // to_u32 would accept a leading '+'; a UID is plain digits.
    if (uid_text.empty() || uid_text.front() < '0' || uid_text.front() > '9') continue;
    const auto uid = text::to_u32(uid_text);
    if (!uid || !is_printable_name(name)) continue;
    out.try_emplace(*uid, name);  // the first entry for a UID wins, as with getpwuid()
  }
  return out;
}

}  // namespace hyperion::collectors
