#include "hyperion/collectors/os_release.hpp"

#include <catch2/catch.hpp>

#include "fixture.hpp"

using namespace hyperion::collectors;
using hyperion::test::read_fixture;

TEST_CASE("parse_os_release: reads the real Debian 12 file", "[collectors][os_release]") {
  const auto r = parse_os_release(read_fixture("debian12-6.18-x86_64/etc/os-release"));
  CHECK(r.id == "debian");
  CHECK(r.name == "Debian GNU/Linux");
  CHECK(r.version_id == "12");
  CHECK(r.version == "12 (bookworm)");
  CHECK(r.pretty_name == "Debian GNU/Linux 12 (bookworm)");
}

TEST_CASE("parse_os_release: Alpine, unquoted values and no VERSION", "[collectors][os_release]") {
  const auto r = parse_os_release(read_fixture("synthetic-alpine/etc/os-release"));
  CHECK(r.id == "alpine");
  CHECK(r.name == "Alpine Linux");
  CHECK(r.version_id == "3.19.1");
  CHECK(r.version.empty());
  CHECK(r.pretty_name == "Alpine Linux v3.19");
}

TEST_CASE("parse_os_release: RHEL, everything double-quoted", "[collectors][os_release]") {
  const auto r = parse_os_release(read_fixture("synthetic-rhel/etc/os-release"));
  CHECK(r.id == "rhel");  // not ID_LIKE's "fedora"
  CHECK(r.name == "Red Hat Enterprise Linux");
  CHECK(r.version_id == "9.3");
  CHECK(r.version == "9.3 (Plow)");
  CHECK(r.pretty_name == "Red Hat Enterprise Linux 9.3 (Plow)");
}

TEST_CASE("parse_os_release: single quotes, escapes, comments and bad keys",
          "[collectors][os_release]") {
  const auto r = parse_os_release(read_fixture("synthetic-os-release-quoting/etc/os-release"));
  CHECK(r.name == "Example Linux");  // 'Example '"Linux": adjacent pieces join
  CHECK(r.id == "example os");       // unquoted backslash escapes the space
  CHECK(r.version_id == "1.0");
  // In double quotes \" \$ \\ lose the backslash; \n is not an escape and stays as typed.
  CHECK(r.version == "1.0 (\"Quoted\" $release \\ edition \\n)");
  CHECK(r.pretty_name == "Example Linux 1.0 `beta`");  // the trailing comment is dropped
}

TEST_CASE("parse_os_release: inline cases", "[collectors][os_release]") {
  SECTION("later assignment wins") {
    const auto r = parse_os_release("ID=old\nID=new\n");
    CHECK(r.id == "new");
  }
  SECTION("CRLF line ends") {
    const auto r = parse_os_release("NAME=\"Windows-edited\"\r\nVERSION_ID=7\r\n");
    CHECK(r.name == "Windows-edited");
    CHECK(r.version_id == "7");
  }
  SECTION("single quotes keep backslashes") {
    const auto r = parse_os_release("PRETTY_NAME='C:\\dist \"x\"'\n");
    CHECK(r.pretty_name == "C:\\dist \"x\"");
  }
  SECTION("unterminated quote takes the rest of the line") {
    const auto r = parse_os_release("NAME=\"Broken Linux\nID=b\n");
    CHECK(r.name == "Broken Linux");
    CHECK(r.id == "b");
  }
  SECTION("empty value counts as unset for the defaults") {
    const auto r = parse_os_release("NAME=\nID=\"\"\nPRETTY_NAME=''\n");
    CHECK(r.name == "Linux");
    CHECK(r.id == "linux");
    CHECK(r.pretty_name == "Linux");
  }
  SECTION("PRETTY_NAME falls back to NAME") {
    const auto r = parse_os_release("NAME=Gentoo\nID=gentoo\n");
    CHECK(r.pretty_name == "Gentoo");
  }
  SECTION("keys are case-sensitive and must be whole") {
    const auto r = parse_os_release("id=lower\nIDX=other\n ID = spaced\n");
    CHECK(r.id == "linux");
  }
}

TEST_CASE("parse_os_release: bad input gives the documented defaults", "[collectors][os_release]") {
  const auto [name, input] = GENERATE_REF(table<const char*, std::string>({
      {"empty", ""},
      {"whitespace only", " \n\t\n"},
      {"comments only", "# NAME=\"Not Read\"\n#ID=x\n"},
      {"no equals sign", "NAME Debian\nID debian\n"},
      {"key without name", "=debian\n"},
      {"key starts with a digit", "1NAME=x\n"},
      {"binary garbage", std::string("\x01\x02\xff\x00=\x7f\n", 7)},
      {"lone quote", "\"\n'\n\\"},
  }));
  INFO(name);
  const auto r = parse_os_release(input);
  CHECK(r.id == "linux");
  CHECK(r.name == "Linux");
  CHECK(r.pretty_name == "Linux");
  CHECK(r.version_id.empty());
  CHECK(r.version.empty());
}

TEST_CASE("parse_os_release: truncated and overlong values never crash",
          "[collectors][os_release]") {
  const auto full = read_fixture("debian12-6.18-x86_64/etc/os-release");
  // Cut inside the first value's quotes: the value is taken up to the cut.
  const auto cut = parse_os_release(full.substr(0, 24));
  CHECK(cut.pretty_name == "Debian GNU/");
  const std::string big(100000, 'x');
  const auto r = parse_os_release("NAME=\"" + big + "\"\nID=" + big + "\\");
  CHECK(r.name.size() == big.size());
  CHECK(r.id.size() == big.size() + 1);  // a final lone backslash escapes nothing: kept
  CHECK(r.id.back() == '\\');
}
