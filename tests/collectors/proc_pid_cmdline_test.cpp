#include "hyperion/collectors/proc_pid_cmdline.hpp"

#include <catch2/catch.hpp>

#include <string>

#include "fixture.hpp"

using namespace hyperion::collectors;
using hyperion::test::read_fixture;

namespace {

using namespace std::string_literals;

// Valid UTF-8 without C0 controls, DEL or C1 controls: safe for JSON and terminals.
bool is_clean_utf8(const std::string& s) {
  for (std::size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    std::size_t n = 0;
    if (c < 0x20 || c == 0x7f) return false;
    if (c < 0x80) n = 1;
    else if (c >= 0xc2 && c <= 0xdf) n = 2;
    else if (c >= 0xe0 && c <= 0xef) n = 3;
    else if (c >= 0xf0 && c <= 0xf4) n = 4;
    else return false;
    if (i + n > s.size()) return false;
    for (std::size_t k = 1; k < n; ++k) {
      const auto cc = static_cast<unsigned char>(s[i + k]);
      if (cc < 0x80 || cc > 0xbf) return false;
    }
    if (c == 0xc2 && static_cast<unsigned char>(s[i + 1]) <= 0x9f) return false;  // C1
    i += n;
  }
  return true;
}

}  // namespace

TEST_CASE("parse_proc_pid_cmdline: a real shell's arguments", "[collectors][proc_pid_cmdline]") {
  // Captured from `bash -s -- "hello world" --level=2`.
  const auto raw = read_fixture("debian12-6.18-x86_64/proc/4984/cmdline");
  REQUIRE(raw.back() == '\0');
  CHECK(parse_proc_pid_cmdline(raw) == "bash -s -- hello world --level=2");
}

TEST_CASE("parse_proc_pid_cmdline: kernel threads have none", "[collectors][proc_pid_cmdline]") {
  const auto raw = read_fixture("debian12-6.18-x86_64/proc/2/cmdline");
  CHECK(raw.empty());
  CHECK(parse_proc_pid_cmdline(raw).empty());
  CHECK(parse_proc_pid_cmdline(read_fixture("debian12-6.18-x86_64/proc/9/cmdline")).empty());
}

TEST_CASE("parse_proc_pid_cmdline: what processes put there", "[collectors][proc_pid_cmdline]") {
  const auto [name, input, expected] = GENERATE(table<const char*, std::string, std::string>({
      {"no trailing NUL", "sleep\0"s "100"s, "sleep 100"},
      {"empty argument kept", "printf\0\0x\0"s, "printf  x"},
      {"setproctitle: spaces, NUL padding",
       "postgres: checkpointer   \0\0\0\0\0\0"s, "postgres: checkpointer   "},
      {"sshd title", "sshd: alice [priv]\0"s, "sshd: alice [priv]"},
      {"only NULs", "\0\0\0"s, ""},
      {"tab, newline, escape", "echo\0a\tb\nc\x1b[31m\0"s, "echo a?b?c?[31m"},
      {"DEL", "x\x7fy"s, "x?y"},
      {"UTF-8 kept", "cp\0caf\xc3\xa9\0na\xc3\xafve \xe2\x82\xac \xf0\x9f\x98\x80\0"s,
       "cp caf\xc3\xa9 na\xc3\xafve \xe2\x82\xac \xf0\x9f\x98\x80"},
      {"Latin-1 bytes", "ls\0caf\xe9\0"s, "ls caf?"},
      {"overlong '/'", "a\xc0\xaf"s, "a??"},
      {"UTF-16 surrogate", "a\xed\xa0\x80"s, "a???"},
      {"above U+10FFFF", "a\xf4\x90\x80\x80"s, "a????"},
      {"sequence cut at the end", "a\xe2\x82"s, "a??"},
      {"lone continuation", "\x80z"s, "?z"},
      {"C1 control CSI", "a\xc2\x9b" "1m"s, "a?1m"},
      {"U+00A0 is not a control", "a\xc2\xa0z"s, "a\xc2\xa0z"},
  }));
  INFO(name);
  const auto out = parse_proc_pid_cmdline(input);
  CHECK(out == expected);
  CHECK(is_clean_utf8(out));
}

TEST_CASE("parse_proc_pid_cmdline: max_bytes cuts at a character boundary",
          "[collectors][proc_pid_cmdline]") {
  CHECK(parse_proc_pid_cmdline("abcdef", 3) == "abc");
  CHECK(parse_proc_pid_cmdline("abc", 3) == "abc");
  CHECK(parse_proc_pid_cmdline("abc", 0).empty());
  CHECK(parse_proc_pid_cmdline("a\xc3\xa9", 2) == "a");                // é is 2 bytes
  CHECK(parse_proc_pid_cmdline("a\xc3\xa9", 3) == "a\xc3\xa9");
  CHECK(parse_proc_pid_cmdline("\xf0\x9f\x98\x80x", 3).empty());       // 4-byte emoji
  CHECK(parse_proc_pid_cmdline("ab\0cd\0"s, 3) == "ab ");
  // The default limit: 4096 bytes, whatever the kernel returned (no page limit since 4.2).
  const std::string huge(100'000, 'x');
  CHECK(parse_proc_pid_cmdline(huge).size() == 4096);
  CHECK(parse_proc_pid_cmdline(huge, 10'000).size() == 10'000);
}

TEST_CASE("parse_proc_pid_cmdline: garbage gives clean, bounded text",
          "[collectors][proc_pid_cmdline]") {
  std::string all_bytes;
  for (int i = 0; i < 256; ++i) all_bytes.push_back(static_cast<char>(i));
  const auto [name, input, max_bytes] = GENERATE_REF(table<const char*, std::string, std::size_t>({
      {"every byte value", all_bytes, 4096},
      {"every byte value, reversed", std::string(all_bytes.rbegin(), all_bytes.rend()), 4096},
      {"every byte value, cut short", all_bytes, 100},
      {"lead bytes only", std::string(300, '\xf0'), 50},
      {"continuations only", std::string(300, '\xbf'), 4096},
  }));
  INFO(name);
  const auto out = parse_proc_pid_cmdline(input, max_bytes);
  CHECK(is_clean_utf8(out));
  CHECK(out.size() <= max_bytes);
  CHECK_FALSE(out.empty());
}
