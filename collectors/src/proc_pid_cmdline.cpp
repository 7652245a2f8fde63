#include "hyperion/collectors/proc_pid_cmdline.hpp"

#include <algorithm>

namespace hyperion::collectors {
namespace {

bool is_continuation(unsigned char c) noexcept { return c >= 0x80 && c <= 0xbf; }

// Length of the well-formed UTF-8 sequence at s[i] (RFC 3629: no overlong forms, no
// surrogates, nothing above U+10FFFF), or 0 when it is not one. s[i] is >= 0x80.
std::size_t utf8_length(std::string_view s, std::size_t i) noexcept {
  const auto byte = [&](std::size_t k) -> unsigned char {
    return i + k < s.size() ? static_cast<unsigned char>(s[i + k]) : 0;
  };
  const unsigned char c = byte(0);
  const unsigned char c1 = byte(1);
  if (c >= 0xc2 && c <= 0xdf) return is_continuation(c1) ? 2 : 0;
  if (c >= 0xe0 && c <= 0xef) {
    const bool second_ok = c == 0xe0   ? (c1 >= 0xa0 && c1 <= 0xbf)   // no overlong
                           : c == 0xed ? (c1 >= 0x80 && c1 <= 0x9f)   // no surrogates
                                       : is_continuation(c1);
    return second_ok && is_continuation(byte(2)) ? 3 : 0;
  }
  if (c >= 0xf0 && c <= 0xf4) {
    const bool second_ok = c == 0xf0   ? (c1 >= 0x90 && c1 <= 0xbf)   // no overlong
                           : c == 0xf4 ? (c1 >= 0x80 && c1 <= 0x8f)   // <= U+10FFFF
                                       : is_continuation(c1);
    return second_ok && is_continuation(byte(2)) && is_continuation(byte(3)) ? 4 : 0;
  }
  return 0;
}

// U+0080..U+009F, encoded C2 80..C2 9F: terminal control codes like the ASCII ones.
bool is_c1_control(std::string_view s, std::size_t i) noexcept {
  return static_cast<unsigned char>(s[i]) == 0xc2 && i + 1 < s.size() &&
         static_cast<unsigned char>(s[i + 1]) <= 0x9f;
}

}  // namespace

// The kernel returns the whole argv area (get_mm_cmdline() in fs/proc/base.c; before
// Linux 4.2 reads stopped at one page). When a process has overwritten its argv
// (setproctitle) and the area no longer ends in NUL, the kernel stops at the first NUL
// instead: such titles arrive with spaces and no separators, and are kept as they are.
std::string parse_proc_pid_cmdline(std::string_view text, std::size_t max_bytes) {
  // setproctitle implementations pad the rest of the area with NULs.
  while (!text.empty() && text.back() == '\0') text.remove_suffix(1);
  std::string out;
  out.reserve(std::min(text.size(), max_bytes));
  std::size_t i = 0;
  while (i < text.size()) {
    const auto c = static_cast<unsigned char>(text[i]);
    std::size_t length = 1;
    char replacement = '\0';  // '\0': copy the bytes as they are
    if (c == 0) {
      replacement = ' ';  // separator between arguments; "a\0\0b" keeps its empty argument
    } else if (c < 0x20 || c == 0x7f) {
      replacement = '?';
    } else if (c >= 0x80) {
      length = utf8_length(text, i);
      if (length == 0 || is_c1_control(text, i)) {
        replacement = '?';
        length = length == 0 ? 1 : length;
      }
    }
    const std::size_t out_length = replacement != '\0' ? 1 : length;
    if (out.size() + out_length > max_bytes) break;  // never split a character
    if (replacement != '\0') {
      out.push_back(replacement);
    } else {
      out.append(text.substr(i, length));
    }
    i += length;
  }
  return out;
}

}  // namespace hyperion::collectors
