#pragma once

// Helpers shared by the fuzz targets (fuzz_<what>.cpp, one libFuzzer target each).
// The input is never copied: a string_view over libFuzzer's buffer lets ASan catch a read
// one byte past the end.

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>
#include <utility>
#include <vector>

// An invariant the code under test promises. A violation aborts, which libFuzzer reports as a
// crash and saves the input; unlike assert() it does not vanish under NDEBUG.
#define HYPERION_FUZZ_CHECK(condition)                                                              \
  do {                                                                                              \
    if (!(condition)) {                                                                             \
      std::fprintf(stderr, "%s:%d: fuzz invariant failed: %s\n", __FILE__, __LINE__, #condition); \
      std::abort();                                                                                 \
    }                                                                                               \
  } while (false)

namespace hyperion::fuzz {

inline std::string_view as_text(const std::uint8_t* data, std::size_t size) noexcept {
  return {reinterpret_cast<const char*>(data), size};
}

// For targets with two inputs: the bytes before the first NUL and those after it
// (no NUL: everything, and an empty second part).
inline std::pair<std::string_view, std::string_view> split_at_nul(std::string_view s) noexcept {
  const auto at = s.find('\0');
  if (at == std::string_view::npos) return {s, {}};
  return {s.substr(0, at), s.substr(at + 1)};
}

// For targets with many inputs, some of them binary or NUL-separated themselves: fields
// separated by kFieldSeparator (0x1E, ASCII "record separator", which no /proc or /sys text
// holds). Missing fields are empty; bytes after the last expected field stay in it.
inline constexpr char kFieldSeparator = '\x1e';
inline std::vector<std::string_view> split_fields(std::string_view s, std::size_t count) {
  std::vector<std::string_view> out(count);
  for (std::size_t i = 0; i < count && !s.empty(); ++i) {
    const auto at = i + 1 == count ? std::string_view::npos : s.find(kFieldSeparator);
    out[i] = s.substr(0, at);
    s = at == std::string_view::npos ? std::string_view{} : s.substr(at + 1);
  }
  return out;
}

// True when `part` is a view into `whole` (or empty).
inline bool points_into(std::string_view part, std::string_view whole) noexcept {
  if (part.empty()) return true;
  const auto* begin = whole.data();
  const auto* end = whole.data() + whole.size();
  return part.data() >= begin && part.data() + part.size() <= end;
}

// RFC 3629 UTF-8: no overlong forms, surrogates or code points above U+10FFFF.
inline bool is_valid_utf8(std::string_view s) noexcept {
  std::size_t i = 0;
  const auto at = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
  const auto cont = [&](std::size_t k) { return k < s.size() && (at(k) & 0xc0) == 0x80; };
  while (i < s.size()) {
    const unsigned char c = at(i);
    if (c < 0x80) {
      i += 1;
    } else if (c >= 0xc2 && c <= 0xdf && cont(i + 1)) {
      i += 2;
    } else if (c >= 0xe0 && c <= 0xef && cont(i + 1) && cont(i + 2) && !(c == 0xe0 && at(i + 1) < 0xa0) &&
               !(c == 0xed && at(i + 1) > 0x9f)) {
      i += 3;
    } else if (c >= 0xf0 && c <= 0xf4 && cont(i + 1) && cont(i + 2) && cont(i + 3) &&
               !(c == 0xf0 && at(i + 1) < 0x90) && !(c == 0xf4 && at(i + 1) > 0x8f)) {
      i += 4;
    } else {
      return false;
    }
  }
  return true;
}

}  // namespace hyperion::fuzz
