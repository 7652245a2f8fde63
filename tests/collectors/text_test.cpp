#include "hyperion/collectors/text.hpp"

#include <catch2/catch.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

using namespace hyperion::collectors;
using namespace std::string_view_literals;

namespace {

std::vector<std::string_view> all_lines(std::string_view rest) {
  std::vector<std::string_view> out;
  std::string_view line;
  while (text::next_line(rest, line)) out.push_back(line);
  return out;
}

std::vector<std::string_view> all_tokens(std::string_view rest) {
  std::vector<std::string_view> out;
  std::string_view token;
  while (text::next_token(rest, token)) out.push_back(token);
  return out;
}

}  // namespace

TEST_CASE("trim: strips spaces, tabs, CR and LF at both ends only", "[collectors][text]") {
  CHECK(text::trim("  a b\t\r\n") == "a b");
  CHECK(text::trim("\t\n x") == "x");
  CHECK(text::trim("x") == "x");
  CHECK(text::trim("") == "");
  CHECK(text::trim(" \t\r\n ") == "");
  CHECK(text::trim("a \t b") == "a \t b");  // inner whitespace is kept
}

TEST_CASE("next_line: splits on LF, keeps a final line without LF", "[collectors][text]") {
  CHECK(all_lines("a\nb\n") == std::vector<std::string_view>{"a", "b"});
  CHECK(all_lines("a\nb") == std::vector<std::string_view>{"a", "b"});
  CHECK(all_lines("a\n\nb\n") == std::vector<std::string_view>{"a", "", "b"});
  CHECK(all_lines("\n") == std::vector<std::string_view>{""});
  CHECK(all_lines("").empty());
  CHECK(all_lines("a\r\nb") == std::vector<std::string_view>{"a\r", "b"});  // CR is the caller's
}

TEST_CASE("next_line: leaves the rest after the line", "[collectors][text]") {
  std::string_view rest = "first\nsecond\nthird", line;
  REQUIRE(text::next_line(rest, line));
  CHECK(line == "first");
  CHECK(rest == "second\nthird");
}

TEST_CASE("next_token: splits on any run of spaces, tabs, CR and LF", "[collectors][text]") {
  CHECK(all_tokens("  a\tbb  \n c\r\n") == std::vector<std::string_view>{"a", "bb", "c"});
  CHECK(all_tokens("one") == std::vector<std::string_view>{"one"});
  CHECK(all_tokens("").empty());
  CHECK(all_tokens(" \t\n ").empty());
  // A NUL or any other byte is part of a token: the number converters reject it later.
  CHECK(all_tokens("a\0b c"sv) == std::vector<std::string_view>{"a\0b"sv, "c"});
}

TEST_CASE("next_token: empties the rest when nothing is left", "[collectors][text]") {
  std::string_view rest = "x   ", token;
  REQUIRE(text::next_token(rest, token));
  CHECK(token == "x");
  CHECK(rest == "   ");
  CHECK_FALSE(text::next_token(rest, token));
  CHECK(rest.empty());
  CHECK(token == "x");  // untouched on failure
}

TEST_CASE("to_u64: whole-token unsigned decimal", "[collectors][text]") {
  CHECK(text::to_u64("0") == std::optional<std::uint64_t>(0));
  CHECK(text::to_u64("42") == std::optional<std::uint64_t>(42));
  CHECK(text::to_u64("007") == std::optional<std::uint64_t>(7));
  CHECK(text::to_u64("+5") == std::optional<std::uint64_t>(5));
  CHECK(text::to_u64("18446744073709551615") == std::optional<std::uint64_t>(UINT64_MAX));

  const auto bad = GENERATE(as<std::string_view>{}, "", "+", "-", "-1", "-0", "18446744073709551616",
                            "99999999999999999999999", " 1", "1 ", "1x", "x1", "0x10", "1.0", "1e3",
                            "++1", "+-1");
  INFO("input '" << bad << "'");
  CHECK_FALSE(text::to_u64(bad).has_value());
}

TEST_CASE("to_i64: whole-token signed decimal", "[collectors][text]") {
  CHECK(text::to_i64("-1") == std::optional<std::int64_t>(-1));
  CHECK(text::to_i64("+7") == std::optional<std::int64_t>(7));
  CHECK(text::to_i64("9223372036854775807") == std::optional<std::int64_t>(INT64_MAX));
  CHECK(text::to_i64("-9223372036854775808") == std::optional<std::int64_t>(INT64_MIN));

  const auto bad = GENERATE(as<std::string_view>{}, "", "-", "9223372036854775808",
                            "-9223372036854775809", "1-", "--1", "1.5", " -1");
  INFO("input '" << bad << "'");
  CHECK_FALSE(text::to_i64(bad).has_value());
}

TEST_CASE("to_u32: whole-token unsigned 32-bit", "[collectors][text]") {
  CHECK(text::to_u32("4294967295") == std::optional<std::uint32_t>(UINT32_MAX));
  CHECK(text::to_u32("0") == std::optional<std::uint32_t>(0));

  const auto bad = GENERATE(as<std::string_view>{}, "", "4294967296", "-1", "18446744073709551615", "1a");
  INFO("input '" << bad << "'");
  CHECK_FALSE(text::to_u32(bad).has_value());
}

TEST_CASE("to_i32: whole-token signed 32-bit", "[collectors][text]") {
  CHECK(text::to_i32("2147483647") == std::optional<std::int32_t>(INT32_MAX));
  CHECK(text::to_i32("-2147483648") == std::optional<std::int32_t>(INT32_MIN));
  CHECK(text::to_i32("-42") == std::optional<std::int32_t>(-42));

  const auto bad = GENERATE(as<std::string_view>{}, "", "2147483648", "-2147483649", "4294967295", "0x1");
  INFO("input '" << bad << "'");
  CHECK_FALSE(text::to_i32(bad).has_value());
}

// One leading '+' is accepted; from_chars would then accept a '-' for signed types, so
// "+-5" must be rejected explicitly.
TEST_CASE("to_i64: a plus followed by a minus is rejected", "[collectors][text]") {
  CHECK_FALSE(text::to_i64("+-5").has_value());
  CHECK_FALSE(text::to_i32("+-5").has_value());
}

TEST_CASE("to_double: whole-token finite decimal", "[collectors][text]") {
  CHECK(text::to_double("0.05") == std::optional<double>(0.05));
  CHECK(text::to_double("213.91") == std::optional<double>(213.91));
  CHECK(text::to_double("-1.5") == std::optional<double>(-1.5));
  CHECK(text::to_double("42") == std::optional<double>(42.0));
  CHECK(text::to_double("1e3") == std::optional<double>(1000.0));
  CHECK(text::to_double("1.7976931348623157e308").has_value());

  const auto bad = GENERATE(as<std::string_view>{}, "", "nan", "NaN", "-nan", "inf", "-inf", "INF",
                            "infinity", "-Infinity", "1e999", "-1e999", "1.0x", " 1.0", "1.0 ",
                            "0x1p3", "1,5", ".", "-", "e5");
  INFO("input '" << bad << "'");
  CHECK_FALSE(text::to_double(bad).has_value());
}

TEST_CASE("hex_to_u64: whole-token hexadecimal without prefix", "[collectors][text]") {
  CHECK(text::hex_to_u64("0") == std::optional<std::uint64_t>(0));
  CHECK(text::hex_to_u64("ff") == std::optional<std::uint64_t>(255));
  CHECK(text::hex_to_u64("FF") == std::optional<std::uint64_t>(255));
  CHECK(text::hex_to_u64("0100007F") == std::optional<std::uint64_t>(0x0100007F));  // /proc/net/tcp
  CHECK(text::hex_to_u64("ffffffffffffffff") == std::optional<std::uint64_t>(UINT64_MAX));

  const auto bad = GENERATE(as<std::string_view>{}, "", "0x10", "0X10", "g", "1g", "-1",
                            "10000000000000000", " a", "a ");
  INFO("input '" << bad << "'");
  CHECK_FALSE(text::hex_to_u64(bad).has_value());
}

TEST_CASE("split_once: splits at the first separator only", "[collectors][text]") {
  std::string_view key, value;
  REQUIRE(text::split_once("MemTotal:       24684096 kB", ':', key, value));
  CHECK(key == "MemTotal");
  CHECK(value == "       24684096 kB");

  REQUIRE(text::split_once("a=b=c", '=', key, value));
  CHECK(key == "a");
  CHECK(value == "b=c");

  REQUIRE(text::split_once("=x", '=', key, value));
  CHECK(key.empty());
  CHECK(value == "x");

  REQUIRE(text::split_once("x=", '=', key, value));
  CHECK(key == "x");
  CHECK(value.empty());
}

TEST_CASE("split_once: no separator leaves the outputs alone", "[collectors][text]") {
  std::string_view key = "old key", value = "old value";
  CHECK_FALSE(text::split_once("no separator", '=', key, value));
  CHECK_FALSE(text::split_once("", '=', key, value));
  CHECK(key == "old key");
  CHECK(value == "old value");
}

TEST_CASE("unescape_octal: undoes the kernel's path escapes", "[collectors][text]") {
  CHECK(text::unescape_octal("/mnt/my\\040disk") == "/mnt/my disk");
  CHECK(text::unescape_octal("a\\011b") == "a\tb");
  CHECK(text::unescape_octal("a\\012b") == "a\nb");
  CHECK(text::unescape_octal("back\\134slash") == "back\\slash");
  CHECK(text::unescape_octal("\\040\\040") == "  ");
  CHECK(text::unescape_octal("x\\040") == "x ");          // an escape that ends the string
  CHECK(text::unescape_octal("\\0400") == " 0");          // only three digits are read
  CHECK(text::unescape_octal("\\377") == "\xff");         // the largest escape
  CHECK(text::unescape_octal("no escapes") == "no escapes");
  CHECK(text::unescape_octal("") == "");
}

TEST_CASE("unescape_octal: anything that is not an escape is kept as is", "[collectors][text]") {
  CHECK(text::unescape_octal("\\400") == "\\400");  // above \377: not a byte
  CHECK(text::unescape_octal("\\08x") == "\\08x");  // 8 is not octal
  CHECK(text::unescape_octal("\\x41") == "\\x41");
  CHECK(text::unescape_octal("a\\\\040") == "a\\ ");  // the second backslash starts the escape
}

TEST_CASE("unescape_octal: a truncated escape at the end is kept, not read past", "[collectors][text]") {
  CHECK(text::unescape_octal("abc\\04") == "abc\\04");
  CHECK(text::unescape_octal("abc\\0") == "abc\\0");
  CHECK(text::unescape_octal("abc\\") == "abc\\");
  CHECK(text::unescape_octal("\\") == "\\");
  CHECK(text::unescape_octal("\\04") == "\\04");
  // From a larger buffer: the view ends before the last digit, which must not be read.
  const std::string buffer = "dir\\0401";
  CHECK(text::unescape_octal(std::string_view(buffer).substr(0, 6)) == "dir\\04");
}
