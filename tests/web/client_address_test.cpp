#include "hyperion/web/client_address.hpp"

#include <catch2/catch.hpp>

using namespace hyperion::web;

namespace {

std::vector<Network> nets(std::string_view list) {
  auto n = parse_networks(list);
  REQUIRE(n);
  return *n;
}

}  // namespace

TEST_CASE("parse_networks: addresses and CIDR blocks, v4 and v6; bad items are named", "[web][client_address]") {
  CHECK(nets("").empty());
  CHECK(nets("10.0.0.1, 192.168.0.0/16,::1, fd00::/8").size() == 4);
  for (const char* bad : {"10.0.0.256", "10.0.0.0/33", "::/129", "host.example", "10.0.0.0/", "10.0.0.0/x", "1.2.3.4/-1"}) {
    std::string why;
    CHECK_FALSE(parse_networks(bad, &why));
    CHECK(why.find(bad) != std::string::npos);
  }
}

TEST_CASE("in_networks: prefixes match bit by bit; v4 matches v4-mapped v6", "[web][client_address]") {
  const auto n = nets("192.168.0.0/16, 10.1.2.3, fd00::/8, 172.16.0.0/12");
  CHECK(in_networks(n, "192.168.255.1"));
  CHECK_FALSE(in_networks(n, "192.169.0.1"));
  CHECK(in_networks(n, "10.1.2.3"));
  CHECK_FALSE(in_networks(n, "10.1.2.4"));
  CHECK(in_networks(n, "::ffff:10.1.2.3"));
  CHECK(in_networks(n, "fd12:3456::1"));
  CHECK_FALSE(in_networks(n, "fe80::1"));
  CHECK(in_networks(n, "172.31.255.255"));
  CHECK_FALSE(in_networks(n, "172.32.0.0"));
  CHECK_FALSE(in_networks(n, "not an address"));
  CHECK(in_networks(nets("0.0.0.0/0"), "8.8.8.8"));
  CHECK_FALSE(in_networks({}, "127.0.0.1"));
}

TEST_CASE("client_address: forwarded headers count only from trusted proxies", "[web][client_address]") {
  const auto trusted = nets("127.0.0.1, 10.0.0.0/8");
  // Not a proxy: its headers are ignored, whatever they say.
  CHECK(client_address("203.0.113.9", "198.51.100.7", "for=198.51.100.8", trusted) == "203.0.113.9");
  // A proxy: the nearest address that is not itself a proxy, from the right.
  CHECK(client_address("127.0.0.1", "198.51.100.7", "", trusted) == "198.51.100.7");
  CHECK(client_address("127.0.0.1", "6.6.6.6, 198.51.100.7, 10.2.3.4", "", trusted) == "198.51.100.7");
  // A spoofed leftmost entry does not win over what the proxies saw.
  CHECK(client_address("127.0.0.1", "1.1.1.1, 198.51.100.7", "", trusted) == "198.51.100.7");
  // Forwarded (RFC 7239), with quotes, ports and IPv6 brackets.
  CHECK(client_address("127.0.0.1", "", "for=192.0.2.60;proto=http;by=203.0.113.43", trusted) == "192.0.2.60");
  CHECK(client_address("127.0.0.1", "", "for=\"[2001:db8:cafe::17]:4711\"", trusted) == "2001:db8:cafe::17");
  CHECK(client_address("127.0.0.1", "", "For=192.0.2.43, for=198.51.100.17:80", trusted) == "198.51.100.17");
  // Garbage stops the walk at the last trusted hop.
  CHECK(client_address("127.0.0.1", "unknown", "", trusted) == "127.0.0.1");
  CHECK(client_address("127.0.0.1", "198.51.100.7, garbage", "", trusted) == "127.0.0.1");
  CHECK(client_address("127.0.0.1", "", "for=unknown", trusted) == "127.0.0.1");
  CHECK(client_address("127.0.0.1", "", "", trusted) == "127.0.0.1");
  // Only proxies all the way: the farthest one.
  CHECK(client_address("127.0.0.1", "10.9.9.9", "", trusted) == "10.9.9.9");
  CHECK(address_block("2001:db8:1:2:aaaa:bbbb:cccc:dddd") == "2001:db8:1:2::/64");
  CHECK(address_block("::ffff:192.0.2.1") == "192.0.2.1");
  CHECK(address_block("192.0.2.1") == "192.0.2.1");
}

TEST_CASE("host_of and host_allowed: names without port, case and trailing dot", "[web][client_address]") {
  CHECK(host_of("Example.COM:9800") == "example.com");
  CHECK(host_of("example.com.") == "example.com");
  CHECK(host_of("[::1]:80") == "::1");
  CHECK(host_of("127.0.0.1") == "127.0.0.1");
  for (const char* bad : {"", ":80", "[::1", "[::1]x", "a b", "host:port", "evil.example/x", "a@b"}) {
    CHECK_FALSE(host_of(bad));
  }
  const AllowedHosts allowed{false, {"localhost", "127.0.0.1", "::1", "monitor.example"}};
  CHECK(host_allowed(allowed, "localhost:9800"));
  CHECK(host_allowed(allowed, "[::1]:9800"));
  CHECK(host_allowed(allowed, "MONITOR.example"));
  CHECK_FALSE(host_allowed(allowed, "evil.example"));
  CHECK_FALSE(host_allowed(allowed, "localhost.evil.example"));
  CHECK_FALSE(host_allowed(allowed, ""));
  CHECK(host_allowed(AllowedHosts{true, {}}, "anything.example"));
}
