#include "hyperion/collectors/sys_class_net.hpp"

#include <catch2/catch.hpp>

#include "fixture.hpp"

using namespace hyperion::collectors;
using hyperion::test::read_fixture;

namespace {

std::string net_file(const std::string& iface, const std::string& attr) {
  return read_fixture("debian12-6.18-x86_64/sys/class/net/" + iface + "/" + attr);
}

}  // namespace

TEST_CASE("sysfs net parsers: attributes of a real machine", "[collectors][sys_class_net]") {
  CHECK(parse_sysfs_u64(net_file("eth0", "mtu")) == 1400u);  // Firecracker virtio-net
  CHECK(parse_sysfs_u64(net_file("lo", "mtu")) == 65536u);
  CHECK(parse_sysfs_u64(net_file("ifb0", "mtu")) == 1500u);

  CHECK(parse_sysfs_u64(net_file("eth0", "type")) == 1u);   // ARPHRD_ETHER
  CHECK(parse_sysfs_u64(net_file("lo", "type")) == 772u);   // ARPHRD_LOOPBACK
  CHECK(parse_sysfs_u64(net_file("ifb1", "type")) == 1u);

  CHECK(parse_sysfs_net_operstate(net_file("eth0", "operstate")) == "up");
  CHECK(parse_sysfs_net_operstate(net_file("ifb0", "operstate")) == "down");
  // Loopback has no carrier to report: RFC 2863 "unknown", not "up".
  CHECK(parse_sysfs_net_operstate(net_file("lo", "operstate")) == "unknown");

  // virtio-net reports SPEED_UNKNOWN, printed as -1.
  CHECK(net_file("eth0", "speed") == "-1\n");
  CHECK_FALSE(parse_sysfs_net_speed(net_file("eth0", "speed")).has_value());
  // lo and ifb fail the read with EINVAL, so no file was captured: the caller sees an I/O
  // error, not text (see the fixture README).
  CHECK_THROWS(net_file("lo", "speed"));
}

TEST_CASE("parse_sysfs_net_speed: link speeds in Mb/s", "[collectors][sys_class_net]") {
  CHECK(parse_sysfs_net_speed("1000\n") == 1000u);
  CHECK(parse_sysfs_net_speed("10") == 10u);
  CHECK(parse_sysfs_net_speed("25000\n") == 25000u);
  CHECK(parse_sysfs_net_speed(" 400000 \n") == 400000u);
  CHECK(parse_sysfs_net_speed("2147483647\n") == 2147483647u);  // largest a %d can show
}

TEST_CASE("parse_sysfs_net_speed: no speed or garbage gives nullopt", "[collectors][sys_class_net]") {
  const auto text = GENERATE(as<std::string>{}, "-1\n", "-1", "0\n", "", "\n", "fast", "1000Mb/s",
                             "1000 Mb/s", "10.5", "99999999999999999999999",
                             "-9223372036854775809", std::string("\x01\xff\x00", 3));
  INFO(text);
  CHECK_FALSE(parse_sysfs_net_speed(text).has_value());
}

TEST_CASE("parse_sysfs_net_operstate: the RFC 2863 states", "[collectors][sys_class_net]") {
  for (const char* s : {"unknown", "notpresent", "down", "lowerlayerdown", "testing", "dormant", "up"}) {
    CHECK(parse_sysfs_net_operstate(std::string(s) + "\n") == s);
  }
  CHECK(parse_sysfs_net_operstate("  up\t\n") == "up");
}

TEST_CASE("parse_sysfs_net_operstate: anything else is unknown", "[collectors][sys_class_net]") {
  const auto text = GENERATE(as<std::string>{}, "", "\n", "UP", "Up\n", "up down", "running",
                             "upx", "u", std::string("up\x00", 3), std::string("\x01\xff", 2));
  INFO(text);
  CHECK(parse_sysfs_net_operstate(text) == "unknown");
}

TEST_CASE("parse_sysfs_net_operstate: the result outlives the input", "[collectors][sys_class_net]") {
  std::string buffer = "dormant\n";
  const auto state = parse_sysfs_net_operstate(buffer);
  const auto* begin = buffer.data();
  const auto* end = begin + buffer.size();
  CHECK_FALSE((state.data() >= begin && state.data() < end));
  buffer.assign(buffer.size(), 'x');
  CHECK(state == "dormant");
}

TEST_CASE("parse_sysfs_u64: one decimal number", "[collectors][sys_class_net]") {
  CHECK(parse_sysfs_u64("1500\n") == 1500u);
  CHECK(parse_sysfs_u64("0\n") == 0u);  // carrier down
  CHECK(parse_sysfs_u64("18446744073709551615") == 18446744073709551615u);
  const auto bad = GENERATE(as<std::string>{}, "", "\n", "-1", "1.5", "0x10", "12 34", "mtu",
                            "18446744073709551616", std::string("\x01\xff\x00", 3));
  INFO(bad);
  CHECK_FALSE(parse_sysfs_u64(bad).has_value());
}
