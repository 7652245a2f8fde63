#include "metrics_format.hpp"

namespace hyperion::web {
namespace {

// Length of the UTF-8 sequence at the start of `s`, or 0 when it is not well formed
// (overlong forms, surrogates and code points above U+10FFFF included), per RFC 3629.
std::size_t utf8_sequence_length(std::string_view s) noexcept {
  const auto b = [&s](std::size_t i) { return static_cast<unsigned char>(s[i]); };
  const auto cont = [&](std::size_t i) { return i < s.size() && (b(i) & 0xC0U) == 0x80U; };
  const unsigned char c = b(0);
  if (c >= 0xC2 && c <= 0xDF) return cont(1) ? 2 : 0;
  if (c >= 0xE0 && c <= 0xEF) {
    if (!cont(1) || !cont(2)) return 0;
    if (c == 0xE0 && b(1) < 0xA0) return 0;  // overlong
    if (c == 0xED && b(1) > 0x9F) return 0;  // UTF-16 surrogate
    return 3;
  }
  if (c >= 0xF0 && c <= 0xF4) {
    if (!cont(1) || !cont(2) || !cont(3)) return 0;
    if (c == 0xF0 && b(1) < 0x90) return 0;  // overlong
    if (c == 0xF4 && b(1) > 0x8F) return 0;  // above U+10FFFF
    return 4;
  }
  return 0;
}

}  // namespace

void append_label_value(std::string& out, std::string_view value) {
  std::size_t i = 0;
  while (i < value.size()) {
    const char c = value[i];
    if (static_cast<unsigned char>(c) < 0x80) {
      if (c == '\\') {
        out += "\\\\";
      } else if (c == '"') {
        out += "\\\"";
      } else if (c == '\n') {
        out += "\\n";
      } else {
        out += c;
      }
      ++i;
      continue;
    }
    const std::size_t len = utf8_sequence_length(value.substr(i));
    if (len == 0) {
      out += "\xEF\xBF\xBD";  // U+FFFD REPLACEMENT CHARACTER
      ++i;
    } else {
      out.append(value.substr(i, len));
      i += len;
    }
  }
}

}  // namespace hyperion::web
