#include "hyperion/collectors/etc_passwd.hpp"

#include <catch2/catch.hpp>

#include <string>

#include "fixture.hpp"

using namespace hyperion::collectors;
using hyperion::test::read_fixture;

TEST_CASE("parse_etc_passwd: reads every user of a real machine", "[collectors][etc_passwd]") {
  const auto users = parse_etc_passwd(read_fixture("debian12-6.18-x86_64/etc/passwd"));
  CHECK(users.size() == 24);
  CHECK(users.at(0) == "root");
  CHECK(users.at(1) == "daemon");
  CHECK(users.at(33) == "www-data");
  CHECK(users.at(42) == "_apt");
  CHECK(users.at(101) == "postgres");  // gecos "PostgreSQL administrator,,,"
  CHECK(users.at(998) == "systemd-network");
  CHECK(users.at(1000) == "cloudsdk");
  CHECK(users.at(65534) == "nobody");
  CHECK(users.count(1001) == 0);
}

TEST_CASE("parse_etc_passwd: NIS compat entries and duplicate UIDs", "[collectors][etc_passwd]") {
  const auto users = parse_etc_passwd(read_fixture("synthetic-nis/etc/passwd"));
  CHECK(users.size() == 3);
  CHECK(users.at(0) == "root");  // not "toor": the first entry for a UID wins
  CHECK(users.at(1) == "daemon");
  CHECK(users.at(1001) == "alice");
}

TEST_CASE("parse_etc_passwd: line endings and edges", "[collectors][etc_passwd]") {
  SECTION("CRLF line endings") {
    const auto users = parse_etc_passwd("root:x:0:0:root:/root:/bin/sh\r\nbin:x:2:2::/bin:\r\n");
    CHECK(users.size() == 2);
    CHECK(users.at(2) == "bin");
  }
  SECTION("no trailing newline, empty gecos, home and shell") {
    const auto users = parse_etc_passwd("svc:*:4294967294:0:::");
    REQUIRE(users.size() == 1);
    CHECK(users.at(4294967294u) == "svc");
  }
  SECTION("empty text") { CHECK(parse_etc_passwd("").empty()); }
}

TEST_CASE("parse_etc_passwd: a malformed line is skipped, never fatal", "[collectors][etc_passwd]") {
  const std::string good = "root:x:0:0:root:/root:/bin/bash\n";
  const auto [name, line] = GENERATE(table<const char*, std::string>({
      {"too few fields", "short:x:5:5\n"},
      {"one field", "justaname\n"},
      {"too many fields", "extra:x:5:5:g:/h:/bin/sh:more\n"},
      {"empty name", ":x:5:5:g:/h:/bin/sh\n"},
      {"name with a space", "bad name:x:5:5:g:/h:/bin/sh\n"},
      {"name with a control byte", "bad\x01:x:5:5:g:/h:/bin/sh\n"},
      {"non-numeric UID", "x:x:five:5:g:/h:/bin/sh\n"},
      {"empty UID", "x:x::5:g:/h:/bin/sh\n"},
      {"negative UID", "x:x:-5:5:g:/h:/bin/sh\n"},
      {"'+' UID", "x:x:+5:5:g:/h:/bin/sh\n"},
      {"UID overflows u32", "x:x:4294967296:5:g:/h:/bin/sh\n"},
      {"binary garbage", std::string("\xff\x00:\x01:5:\x80:::\n", 12)},
  }));
  INFO(name);
  const auto users = parse_etc_passwd(line + good + line);
  CHECK(users.size() == 1);
  CHECK(users.at(0) == "root");
  CHECK(parse_etc_passwd(line).empty());
}
