#include "hyperion/collectors/text.hpp"

#include <charconv>
#include <limits>
#include <string>

namespace hyperion::collectors::text {
namespace {

bool is_space(char c) noexcept { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

template <class T>
std::optional<T> to_integer(std::string_view s, int base) noexcept {
  if (s.empty()) return std::nullopt;
  // from_chars rejects a leading '+', which the kernel never prints but people type.
  // Strip one, and then accept only a digit ("+-5" is not a number).
  if (s.front() == '+') {
    s.remove_prefix(1);
    if (s.empty() || s.front() < '0' || s.front() > '9') return std::nullopt;
  }
  T out{};
  const auto* first = s.data();
  const auto* last = s.data() + s.size();
  auto [ptr, ec] = std::from_chars(first, last, out, base);
  if (ec != std::errc{} || ptr != last) return std::nullopt;
  return out;
}

}  // namespace

std::string_view trim(std::string_view s) noexcept {
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return s;
}

bool next_line(std::string_view& rest, std::string_view& line) noexcept {
  if (rest.empty()) return false;
  const auto nl = rest.find('\n');
  if (nl == std::string_view::npos) {
    line = rest;
    rest = {};
  } else {
    line = rest.substr(0, nl);
    rest.remove_prefix(nl + 1);
  }
  return true;
}

bool next_token(std::string_view& rest, std::string_view& token) noexcept {
  std::size_t i = 0;
  while (i < rest.size() && is_space(rest[i])) ++i;
  if (i == rest.size()) {
    rest = {};
    return false;
  }
  std::size_t j = i;
  while (j < rest.size() && !is_space(rest[j])) ++j;
  token = rest.substr(i, j - i);
  rest.remove_prefix(j);
  return true;
}

bool is_digits(std::string_view s) noexcept {
  if (s.empty()) return false;
  for (const char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

std::optional<std::uint64_t> to_u64(std::string_view s) noexcept { return to_integer<std::uint64_t>(s, 10); }
std::optional<std::int64_t> to_i64(std::string_view s) noexcept { return to_integer<std::int64_t>(s, 10); }
std::optional<std::uint32_t> to_u32(std::string_view s) noexcept { return to_integer<std::uint32_t>(s, 10); }
std::optional<std::int32_t> to_i32(std::string_view s) noexcept { return to_integer<std::int32_t>(s, 10); }
std::optional<std::uint64_t> hex_to_u64(std::string_view s) noexcept { return to_integer<std::uint64_t>(s, 16); }

std::optional<double> to_double(std::string_view s) noexcept {
  if (s.empty()) return std::nullopt;
  double out = 0;
  const auto* last = s.data() + s.size();
  auto [ptr, ec] = std::from_chars(s.data(), last, out);
  if (ec != std::errc{} || ptr != last) return std::nullopt;
  if (out != out || out == std::numeric_limits<double>::infinity() ||
      out == -std::numeric_limits<double>::infinity()) {
    return std::nullopt;
  }
  return out;
}

bool split_once(std::string_view s, char sep, std::string_view& key, std::string_view& value) noexcept {
  const auto pos = s.find(sep);
  if (pos == std::string_view::npos) return false;
  key = s.substr(0, pos);
  value = s.substr(pos + 1);
  return true;
}

std::string unescape_octal(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 3 < s.size()) {
      const auto a = s[i + 1], b = s[i + 2], c = s[i + 3];
      if (a >= '0' && a <= '3' && b >= '0' && b <= '7' && c >= '0' && c <= '7') {
        out.push_back(static_cast<char>((a - '0') * 64 + (b - '0') * 8 + (c - '0')));
        i += 3;
        continue;
      }
    }
    out.push_back(s[i]);
  }
  return out;
}

}  // namespace hyperion::collectors::text
