// libFuzzer target: the token helpers every parser is built on (collectors/text.hpp).
#include "hyperion/collectors/text.hpp"

#include "fuzz_support.hpp"

namespace text = hyperion::collectors::text;
using hyperion::fuzz::points_into;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto input = hyperion::fuzz::as_text(data, size);
  HYPERION_FUZZ_CHECK(points_into(text::trim(input), input));

  std::size_t lines = 0;
  std::string_view rest = input, line;
  while (text::next_line(rest, line)) {
    HYPERION_FUZZ_CHECK(points_into(line, input) && line.find('\n') == std::string_view::npos);
    HYPERION_FUZZ_CHECK(++lines <= size);  // always makes progress

    std::size_t tokens = 0;
    std::string_view words = line, token;
    while (text::next_token(words, token)) {
      HYPERION_FUZZ_CHECK(!token.empty() && points_into(token, line));
      HYPERION_FUZZ_CHECK(++tokens <= line.size());
      // The integer conversions accept one leading '+' (people type it), then digits only.
      const auto unsigned_part = token.front() == '+' ? token.substr(1) : token;
      const bool digits = text::is_digits(unsigned_part);
      const auto u64 = text::to_u64(token);
      // Up to 19 digits always fit in 64 bits; a number is all digits.
      if (digits && unsigned_part.size() <= 19) HYPERION_FUZZ_CHECK(u64.has_value());
      if (u64) HYPERION_FUZZ_CHECK(digits);
      if (const auto u32 = text::to_u32(token)) HYPERION_FUZZ_CHECK(u64 && *u64 == *u32);
      (void)text::to_i64(token);
      (void)text::to_i32(token);
      (void)text::to_double(token);
      (void)text::hex_to_u64(token);
    }

    std::string_view key, value;
    for (const char sep : {':', '=', ' '}) {
      if (text::split_once(line, sep, key, value)) {
        HYPERION_FUZZ_CHECK(points_into(key, line) && points_into(value, line));
      }
    }
  }
  HYPERION_FUZZ_CHECK(lines <= size);

  // Octal escapes only ever shorten the text.
  HYPERION_FUZZ_CHECK(text::unescape_octal(input).size() <= size);
  return 0;
}
