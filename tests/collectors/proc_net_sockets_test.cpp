#include "hyperion/collectors/proc_net_sockets.hpp"

#include <catch2/catch.hpp>

#include "fixture.hpp"

using namespace hyperion::collectors;
using hyperion::test::read_fixture;

namespace {

const std::string kTcpHeader =
    "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout "
    "inode\n";
const std::string kTcp6Header =
    "  sl  local_address                         remote_address                        st tx_queue "
    "rx_queue tr tm->when retrnsmt   uid  timeout inode\n";

// A /proc/net/tcp line as tcp4_seq_show() prints it, with the columns to vary.
std::string tcp_line(const std::string& local, const std::string& remote = "00000000:0000",
                     const std::string& st = "0A", const std::string& queues = "00000000:00000000",
                     const std::string& uid = "0", const std::string& inode = "21283") {
  return "   0: " + local + " " + remote + " " + st + " " + queues + " 00:00000000 00000000 " + uid +
         "        0 " + inode + " 1 000000005f88a804 100 0 0 10 0\n";
}

std::vector<Socket> parse_ok(std::string_view text, SocketProtocol p) {
  auto r = parse_proc_net_sockets(text, p);
  if (!r) FAIL("parse failed: " << r.error().detail);
  return std::move(r).value();
}

const Socket* find_local(const std::vector<Socket>& v, std::string_view addr, std::uint16_t port,
                         TcpState state) {
  for (const auto& s : v) {
    if (s.local.port == port && s.state == state && format_address(s.local) == addr) return &s;
  }
  return nullptr;
}

SocketAddress v4(std::uint8_t a, std::uint8_t b, std::uint8_t c, std::uint8_t d) {
  SocketAddress s;
  s.bytes[0] = a;
  s.bytes[1] = b;
  s.bytes[2] = c;
  s.bytes[3] = d;
  return s;
}

SocketAddress v6(std::initializer_list<std::uint16_t> groups) {
  SocketAddress s;
  s.ipv6 = true;
  std::size_t i = 0;
  for (const auto g : groups) {
    s.bytes[i++] = static_cast<std::uint8_t>(g >> 8);
    s.bytes[i++] = static_cast<std::uint8_t>(g & 0xFF);
  }
  return s;
}

}  // namespace

TEST_CASE("parse_proc_net_sockets: decodes the kernel's byte order", "[collectors][proc_net_sockets]") {
  SECTION("IPv4 word is reversed, port is host order") {
    const auto v = parse_ok(kTcpHeader + tcp_line("0100007F:0277"), SocketProtocol::tcp);
    REQUIRE(v.size() == 1);
    CHECK_FALSE(v[0].local.ipv6);
    CHECK(v[0].local.bytes[0] == 127);
    CHECK(v[0].local.bytes[3] == 1);
    CHECK(format_address(v[0].local) == "127.0.0.1");
    CHECK(v[0].local.port == 631);
    CHECK(format_address(v[0].remote) == "0.0.0.0");
    CHECK(v[0].remote.port == 0);
    CHECK(v[0].state == TcpState::listen);
    CHECK(v[0].inode == 21283);
    CHECK(v[0].protocol == SocketProtocol::tcp);
  }
  SECTION("a documentation address with every byte distinct") {
    // 192.0.2.10 = C0 00 02 0A in memory, printed as the little-endian u32 0x0A0200C0.
    const auto v = parse_ok(kTcpHeader + tcp_line("0A0200C0:01BB", "6433C6D5:FFFF", "01"),
                            SocketProtocol::tcp);
    REQUIRE(v.size() == 1);
    CHECK(format_address(v[0].local) == "192.0.2.10");
    CHECK(v[0].local.port == 443);
    CHECK(format_address(v[0].remote) == "213.198.51.100");
    CHECK(v[0].remote.port == 65535);
  }
  SECTION("IPv6 loopback") {
    const auto v = parse_ok(kTcp6Header +
                                "   0: 00000000000000000000000001000000:0277 "
                                "00000000000000000000000000000000:0000 0A 00000000:00000000 "
                                "00:00000000 00000000     0        0 8641 1 00000000a0f03006 100 0 0 10 0\n",
                            SocketProtocol::tcp6);
    REQUIRE(v.size() == 1);
    CHECK(v[0].local.ipv6);
    CHECK(v[0].local.bytes[15] == 1);
    CHECK(format_address(v[0].local) == "::1");
    CHECK(v[0].local.port == 631);
    CHECK(format_address(v[0].remote) == "::");
  }
  SECTION("IPv4-mapped IPv6") {
    const auto v = parse_ok(kTcp6Header +
                                "   0: 0000000000000000FFFF00000100007F:21B9 "
                                "0000000000000000FFFF00000100007F:C3D0 01 00000000:00000000 "
                                "00:00000000 00000000  1000        0 8646 1 00000000f20cc4e7 20 0 0 10 -1\n",
                            SocketProtocol::tcp6);
    REQUIRE(v.size() == 1);
    CHECK(format_address(v[0].local) == "::ffff:127.0.0.1");
    CHECK(v[0].local.port == 8633);
    CHECK(v[0].remote.port == 50128);
    CHECK(v[0].uid == 1000);
    CHECK(v[0].state == TcpState::established);
  }
}

TEST_CASE("parse_proc_net_sockets: real tcp with LISTEN, ESTABLISHED and TIME_WAIT",
          "[collectors][proc_net_sockets]") {
  // Captured while a script held listeners and connections on 127.0.0.1:8631-8634 and ::1.
  const auto v = parse_ok(read_fixture("debian12-6.18-x86_64/proc/net/tcp"), SocketProtocol::tcp);
  REQUIRE(v.size() == 6);

  const auto* listener = find_local(v, "127.0.0.1", 8631, TcpState::listen);
  REQUIRE(listener);
  CHECK(listener->inode == 8638);
  CHECK(format_address(listener->remote) == "0.0.0.0");

  const auto* wildcard = find_local(v, "0.0.0.0", 2024, TcpState::listen);
  REQUIRE(wildcard);
  CHECK(wildcard->inode == 1066);

  // The accepted side still holds the 5 bytes the client sent ("hello").
  const auto* server = find_local(v, "127.0.0.1", 8631, TcpState::established);
  REQUIRE(server);
  CHECK(server->rx_queue == 5);
  CHECK(server->tx_queue == 0);
  CHECK(server->remote.port == 59672);  // 0xE918
  CHECK(server->inode == 8640);

  // TIME_WAIT sockets are orphaned: no uid, no inode (get_timewait4_sock()).
  const auto* tw = find_local(v, "127.0.0.1", 59684, TcpState::time_wait);
  REQUIRE(tw);
  CHECK(tw->inode == 0);
  CHECK(tw->remote.port == 8631);

  for (const auto& s : v) {
    CHECK(s.protocol == SocketProtocol::tcp);
    CHECK_FALSE(s.local.ipv6);
    CHECK(s.uid == 0);
  }
}

TEST_CASE("parse_proc_net_sockets: real tcp6 holds a v4-mapped connection seen in tcp",
          "[collectors][proc_net_sockets]") {
  const auto v6s = parse_ok(read_fixture("debian12-6.18-x86_64/proc/net/tcp6"), SocketProtocol::tcp6);
  REQUIRE(v6s.size() == 5);
  CHECK(find_local(v6s, "::1", 8632, TcpState::listen));
  CHECK(find_local(v6s, "::", 8633, TcpState::listen));  // dual-stack listener
  const auto* mapped = find_local(v6s, "::ffff:127.0.0.1", 8633, TcpState::established);
  REQUIRE(mapped);
  CHECK(format_address(mapped->remote) == "::ffff:127.0.0.1");
  CHECK(mapped->inode == 8646);

  // Its IPv4 client is in /proc/net/tcp, with the ports swapped.
  const auto v4s = parse_ok(read_fixture("debian12-6.18-x86_64/proc/net/tcp"), SocketProtocol::tcp);
  const auto* client = find_local(v4s, "127.0.0.1", mapped->remote.port, TcpState::established);
  REQUIRE(client);
  CHECK(client->remote.port == 8633);
  CHECK(format_address(client->remote) == "127.0.0.1");

  // Both ends of the ::1 connection.
  std::size_t loopback_established = 0;
  for (const auto& s : v6s) {
    CHECK(s.protocol == SocketProtocol::tcp6);
    CHECK(s.local.ipv6);
    if (s.state == TcpState::established && format_address(s.local) == "::1") ++loopback_established;
  }
  CHECK(loopback_established == 2);
}

TEST_CASE("parse_proc_net_sockets: real udp and udp6", "[collectors][proc_net_sockets]") {
  const auto u4 = parse_ok(read_fixture("debian12-6.18-x86_64/proc/net/udp"), SocketProtocol::udp);
  REQUIRE(u4.size() == 2);
  // Unbound UDP sockets show as CLOSE (07), connected ones as ESTABLISHED (01).
  const auto* bound = find_local(u4, "127.0.0.1", 8634, TcpState::close);
  REQUIRE(bound);
  CHECK(bound->inode == 8649);
  const auto* connected = find_local(u4, "127.0.0.1", 48340, TcpState::established);  // 0xBCD4
  REQUIRE(connected);
  CHECK(connected->remote.port == 8634);
  CHECK(connected->protocol == SocketProtocol::udp);

  const auto u6 = parse_ok(read_fixture("debian12-6.18-x86_64/proc/net/udp6"), SocketProtocol::udp6);
  REQUIRE(u6.size() == 2);
  CHECK(find_local(u6, "::1", 8635, TcpState::close));
  const auto* c6 = find_local(u6, "::1", 44590, TcpState::established);  // 0xAE2E
  REQUIRE(c6);
  CHECK(c6->remote.port == 8635);
  CHECK(c6->inode == 8652);
}

TEST_CASE("parse_proc_net_sockets: an IPv6-only host", "[collectors][proc_net_sockets]") {
  const std::string dir = "synthetic-ipv6only/proc/net/";
  // tcp and udp exist but hold only their header.
  CHECK(parse_ok(read_fixture(dir + "tcp"), SocketProtocol::tcp).empty());
  CHECK(parse_ok(read_fixture(dir + "udp"), SocketProtocol::udp).empty());

  const auto t = parse_ok(read_fixture(dir + "tcp6"), SocketProtocol::tcp6);
  REQUIRE(t.size() == 6);
  CHECK(format_address(t[0].local) == "::");
  CHECK(t[0].local.port == 22);
  CHECK(t[0].state == TcpState::listen);

  // A listener's rx_queue is its accept backlog.
  CHECK(format_address(t[1].local) == "2001:db8::10");
  CHECK(t[1].rx_queue == 3);
  CHECK(t[1].uid == 33);

  CHECK(t[2].state == TcpState::established);
  CHECK(format_address(t[2].remote) == "2001:db8:0:1::25");
  CHECK(t[2].remote.port == 51234);
  CHECK(t[2].tx_queue == 500);
  CHECK(t[2].inode == 15301);

  CHECK(format_address(t[3].local) == "::ffff:192.0.2.7");
  CHECK(t[3].local.port == 8080);
  CHECK(format_address(t[3].remote) == "::ffff:198.51.100.9");
  CHECK(t[3].remote.port == 40000);
  CHECK(t[3].uid == 1000);

  CHECK(format_address(t[4].local) == "fe80::1ff:fe23:4567:890a");
  CHECK(format_address(t[4].remote) == "fe80::2");
  CHECK(t[4].state == TcpState::close_wait);

  // TIME_WAIT lines stop after refcount and pointer.
  CHECK(t[5].state == TcpState::time_wait);
  CHECK(t[5].inode == 0);
  CHECK(t[5].remote.port == 51300);

  const auto u = parse_ok(read_fixture(dir + "udp6"), SocketProtocol::udp6);
  REQUIRE(u.size() == 3);
  CHECK(format_address(u[0].local) == "::");
  CHECK(u[0].local.port == 546);
  CHECK(u[1].uid == 101);
  CHECK(u[1].local.port == 53);
  CHECK(u[2].state == TcpState::established);
  CHECK(format_address(u[2].remote) == "::ffff:198.51.100.53");
  CHECK(u[2].inode == 16003);
}

TEST_CASE("parse_proc_net_sockets: every state code", "[collectors][proc_net_sockets]") {
  const auto [code, state] = GENERATE(table<const char*, TcpState>({
      {"00", TcpState::unknown},
      {"01", TcpState::established},
      {"02", TcpState::syn_sent},
      {"03", TcpState::syn_recv},
      {"04", TcpState::fin_wait1},
      {"05", TcpState::fin_wait2},
      {"06", TcpState::time_wait},
      {"07", TcpState::close},
      {"08", TcpState::close_wait},
      {"09", TcpState::last_ack},
      {"0A", TcpState::listen},
      {"0b", TcpState::closing},
      {"0C", TcpState::new_syn_recv},
      {"0D", TcpState::unknown},  // TCP_BOUND_INACTIVE (6.8+), an inet_diag-only pseudo-state
      {"FF", TcpState::unknown},
  }));
  INFO(code);
  const auto v = parse_ok(kTcpHeader + tcp_line("0100007F:0277", "00000000:0000", code),
                          SocketProtocol::tcp);
  REQUIRE(v.size() == 1);
  CHECK(v[0].state == state);
}

TEST_CASE("parse_proc_net_sockets: trailing columns vary and are ignored",
          "[collectors][proc_net_sockets]") {
  const std::string head =
      "   7: 0100007F:0277 00000000:0000 0A 0000000A:0000000B 00:00000000 00000000   101        0 42";
  for (const std::string& tail : {std::string(""), std::string(" 1 00000000 100 0 0 10 0"),
                                  std::string(" 3 0000000000000000 extra columns from a future kernel"),
                                  std::string("   \t ")}) {
    INFO("tail: '" << tail << "'");
    const auto v = parse_ok(kTcpHeader + head + tail + "\n", SocketProtocol::tcp);
    REQUIRE(v.size() == 1);
    CHECK(v[0].tx_queue == 10);
    CHECK(v[0].rx_queue == 11);
    CHECK(v[0].uid == 101);
    CHECK(v[0].inode == 42);
  }
}

TEST_CASE("parse_proc_net_sockets: blank lines and a missing final newline",
          "[collectors][proc_net_sockets]") {
  auto text = kTcpHeader + tcp_line("0100007F:0277") + "\n   \n" + tcp_line("0100007F:0278");
  text.pop_back();  // no '\n' at the end
  const auto v = parse_ok(text, SocketProtocol::tcp);
  REQUIRE(v.size() == 2);
  CHECK(v[1].local.port == 632);
}

TEST_CASE("parse_proc_net_sockets: thousands of lines", "[collectors][proc_net_sockets]") {
  std::string text = kTcpHeader;
  constexpr std::size_t kCount = 5000;
  for (std::size_t i = 0; i < kCount; ++i) {
    text += tcp_line("0100007F:0277", "0100007F:1F90", "01", "00000000:00000000", "0",
                     std::to_string(100000 + i));
  }
  const auto v = parse_ok(text, SocketProtocol::tcp);
  REQUIRE(v.size() == kCount);
  CHECK(v.front().inode == 100000);
  CHECK(v.back().inode == 100000 + kCount - 1);
  CHECK(v.back().remote.port == 8080);
}

TEST_CASE("parse_proc_net_sockets: bad input gives an error, never a crash",
          "[collectors][proc_net_sockets]") {
  const std::string loc = "0100007F:0277";
  const auto [name, input, protocol, code] =
      GENERATE_REF(table<const char*, std::string, SocketProtocol, Errc>({
          {"empty", "", SocketProtocol::tcp, Errc::empty},
          {"whitespace only", " \n \n", SocketProtocol::udp, Errc::empty},
          {"no header", tcp_line(loc), SocketProtocol::tcp, Errc::malformed},
          {"bad slot", kTcpHeader + "   x: " + tcp_line(loc).substr(6), SocketProtocol::tcp,
           Errc::malformed},
          {"slot only", kTcpHeader + "   0:\n", SocketProtocol::tcp, Errc::truncated},
          {"cut after remote", kTcpHeader + "   0: " + loc + " 00000000:0000\n", SocketProtocol::tcp,
           Errc::truncated},
          {"cut before inode", kTcpHeader + "   0: " + loc +
                                   " 00000000:0000 0A 00000000:00000000 00:00000000 00000000 0 0\n",
           SocketProtocol::tcp, Errc::truncated},
          {"short address", kTcpHeader + tcp_line("100007F:0277"), SocketProtocol::tcp,
           Errc::malformed},
          {"short port", kTcpHeader + tcp_line("0100007F:277"), SocketProtocol::tcp, Errc::malformed},
          {"no port", kTcpHeader + tcp_line("0100007F00000"), SocketProtocol::tcp, Errc::malformed},
          {"non-hex address", kTcpHeader + tcp_line("0100007G:0277"), SocketProtocol::tcp,
           Errc::malformed},
          {"non-hex port", kTcpHeader + tcp_line("0100007F:02 7"), SocketProtocol::tcp,
           Errc::malformed},
          {"tcp6 text read as tcp", kTcpHeader + tcp_line("00000000000000000000000001000000:0277"),
           SocketProtocol::tcp, Errc::malformed},
          {"tcp text read as tcp6", kTcp6Header + tcp_line(loc), SocketProtocol::tcp6, Errc::malformed},
          {"bad state", kTcpHeader + tcp_line(loc, "00000000:0000", "0Z"), SocketProtocol::tcp,
           Errc::malformed},
          {"one-digit state", kTcpHeader + tcp_line(loc, "00000000:0000", "A"), SocketProtocol::tcp,
           Errc::malformed},
          {"queues without colon", kTcpHeader + tcp_line(loc, "00000000:0000", "0A", "0000000000000000"),
           SocketProtocol::tcp, Errc::malformed},
          {"non-hex queue", kTcpHeader + tcp_line(loc, "00000000:0000", "0A", "0000000X:00000000"),
           SocketProtocol::tcp, Errc::malformed},
          {"queue overflow", kTcpHeader + tcp_line(loc, "00000000:0000", "0A", "10000000000000000:0"),
           SocketProtocol::tcp, Errc::malformed},
          {"non-numeric uid", kTcpHeader + tcp_line(loc, "00000000:0000", "0A", "0:0", "root"),
           SocketProtocol::tcp, Errc::malformed},
          {"uid overflow", kTcpHeader + tcp_line(loc, "00000000:0000", "0A", "0:0", "4294967296"),
           SocketProtocol::tcp, Errc::malformed},
          {"negative inode", kTcpHeader + tcp_line(loc, "00000000:0000", "0A", "0:0", "0", "-1"),
           SocketProtocol::tcp, Errc::malformed},
          {"inode overflow",
           kTcpHeader + tcp_line(loc, "00000000:0000", "0A", "0:0", "0", "18446744073709551616"),
           SocketProtocol::tcp, Errc::malformed},
          {"binary garbage", kTcpHeader + std::string("\x01\xff\x00:\x7f\n", 6), SocketProtocol::tcp,
           Errc::malformed},
          {"binary only", std::string("\x01\x02\xff\x00\x03", 5), SocketProtocol::udp6, Errc::malformed},
      }));
  INFO(name);
  const auto r = parse_proc_net_sockets(input, protocol);
  REQUIRE_FALSE(r);
  CHECK(r.error().code == code);
  CHECK_FALSE(r.error().detail.empty());
}

TEST_CASE("parse_proc_net_sockets: the error names the bad line and file",
          "[collectors][proc_net_sockets]") {
  const auto r = parse_proc_net_sockets(
      kTcp6Header + "\n" + tcp_line("0100007F:0277"), SocketProtocol::tcp6);
  REQUIRE_FALSE(r);
  CHECK_THAT(r.error().detail, Catch::Contains("line 3") && Catch::Contains("tcp6"));
}

TEST_CASE("parse_proc_net_sockets: truncated real file", "[collectors][proc_net_sockets]") {
  const auto full = read_fixture("debian12-6.18-x86_64/proc/net/tcp6");
  // A short read that ends inside the second socket's remote address.
  const auto second = full.find("   1: ");
  REQUIRE(second != std::string::npos);
  const auto r = parse_proc_net_sockets(full.substr(0, second + 50), SocketProtocol::tcp6);
  REQUIRE_FALSE(r);
  CHECK(r.error().code == Errc::malformed);
  CHECK_THAT(r.error().detail, Catch::Contains("line 3"));
}

TEST_CASE("format_address: the text inet_ntop gives", "[collectors][proc_net_sockets]") {
  CHECK(format_address(v4(10, 0, 0, 1)) == "10.0.0.1");
  CHECK(format_address(v4(255, 255, 255, 255)) == "255.255.255.255");
  CHECK(format_address(SocketAddress{}) == "0.0.0.0");
  CHECK(format_address(v6({})) == "::");
  CHECK(format_address(v6({0, 0, 0, 0, 0, 0, 0, 1})) == "::1");
  CHECK(format_address(v6({0x2001, 0xdb8, 0, 0, 0, 0, 0, 1})) == "2001:db8::1");
  // RFC 5952: lower case, no leading zeros, the first of two equal zero runs is shortened,
  // a single zero group is not.
  CHECK(format_address(v6({0x2001, 0xdb8, 0, 0, 1, 0, 0, 1})) == "2001:db8::1:0:0:1");
  CHECK(format_address(v6({0x2001, 0xdb8, 0, 1, 1, 1, 1, 1})) == "2001:db8:0:1:1:1:1:1");
  CHECK(format_address(v6({0xFE80, 0, 0, 0, 0x1FF, 0xFE23, 0x4567, 0x890A})) ==
        "fe80::1ff:fe23:4567:890a");
  CHECK(format_address(v6({0, 0, 0, 0, 0, 0xFFFF, 0xC000, 0x0207})) == "::ffff:192.0.2.7");
  // The port is not part of the address text.
  auto with_port = v4(127, 0, 0, 1);
  with_port.port = 631;
  CHECK(format_address(with_port) == "127.0.0.1");
}

TEST_CASE("to_string: socket protocols and kernel TCP state names", "[collectors][proc_net_sockets]") {
  CHECK(std::string(to_string(SocketProtocol::tcp)) == "tcp");
  CHECK(std::string(to_string(SocketProtocol::tcp6)) == "tcp6");
  CHECK(std::string(to_string(SocketProtocol::udp)) == "udp");
  CHECK(std::string(to_string(SocketProtocol::udp6)) == "udp6");

  const char* const names[] = {"UNKNOWN",    "ESTABLISHED", "SYN_SENT",  "SYN_RECV", "FIN_WAIT1",
                               "FIN_WAIT2",  "TIME_WAIT",   "CLOSE",     "CLOSE_WAIT", "LAST_ACK",
                               "LISTEN",     "CLOSING",     "NEW_SYN_RECV"};
  for (std::size_t i = 0; i < std::size(names); ++i) {
    INFO(i);
    CHECK(std::string(to_string(static_cast<TcpState>(i))) == names[i]);
  }
  CHECK(std::string(to_string(static_cast<TcpState>(13))) == "UNKNOWN");
  CHECK(std::string(to_string(static_cast<TcpState>(200))) == "UNKNOWN");
}

TEST_CASE("parse_socket_link: the inode of a socket fd, 0 otherwise", "[collectors][proc_net_sockets]") {
  CHECK(parse_socket_link("socket:[12345]") == 12345);
  CHECK(parse_socket_link("socket:[0]") == 0);
  CHECK(parse_socket_link("socket:[18446744073709551615]") == 18446744073709551615u);
  const auto bad = GENERATE(as<std::string>{}, "", "pipe:[12345]", "anon_inode:[eventfd]",
                            "/dev/null", "socket:[]", "socket:[", "socket:[12", "socket:12]",
                            "socket:[abc]", "socket:[-5]", "socket:[+5]", "socket:[1 2]",
                            "socket:[18446744073709551616]", " socket:[5]", "socket:[5]\n",
                            std::string("socket:[\x00]", 10));
  INFO(bad);
  CHECK(parse_socket_link(bad) == 0);
}
