#pragma once

// Who a request comes from, and whom it is for: the client's address behind trusted reverse
// proxies (X-Forwarded-For, Forwarded), and the Host header checked against the names this
// server answers to (DNS rebinding). Pure functions over text, no sockets: fuzzed and tested
// on their own.

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace hyperion::web {

// An IPv4 or IPv6 block. IPv4 is kept as an IPv4-mapped IPv6 address (::ffff:a.b.c.d), so
// that a v4 peer seen on a v6 socket matches a v4 block.
struct Network {
  std::array<std::uint8_t, 16> address{};
  int prefix = 128;  // bits that must match, of the 128
};

// "10.0.0.1, 192.168.0.0/16, ::1, fd00::/8". Empty: none. Nullopt (with a reason) when an
// item is not an address or a block.
std::optional<std::vector<Network>> parse_networks(std::string_view list, std::string* why = nullptr);

// The address as 16 bytes (IPv4 mapped); nullopt when it is not an IP address. Accepts
// "[v6]" brackets and an IPv4-mapped IPv6 form.
std::optional<std::array<std::uint8_t, 16>> parse_ip(std::string_view text);

bool in_networks(const std::vector<Network>& networks, std::string_view address);

// What per-address limits count by: an IPv4 address as it is, an IPv6 address by its /64 (one
// host or subscriber gets a whole /64 and may use any address in it), "2001:db8:1:2::/64".
std::string address_block(std::string_view address);

// The client's address: the peer's, unless the peer is a trusted proxy; then the nearest
// address in X-Forwarded-For (or, without it, Forwarded's for=) that is not itself a trusted
// proxy, walking from the right (each proxy appends what it saw). Malformed or missing
// entries stop the walk at the last trusted hop, whose address is then the answer.
// `forwarded_for` and `forwarded` are the raw header values, empty when absent (the caller
// joins repeated headers with ",").
std::string client_address(std::string_view peer, std::string_view forwarded_for, std::string_view forwarded,
                           const std::vector<Network>& trusted_proxies);

// The names a server answers to in the Host header.
struct AllowedHosts {
  bool any = false;                 // "*": no check
  std::vector<std::string> names;   // lower case, without port; IPv6 without brackets
};

// The host part of a Host header value ("Example.com:9800" -> "example.com", "[::1]:80" ->
// "::1"), lower case; nullopt when malformed.
std::optional<std::string> host_of(std::string_view host_header);

bool host_allowed(const AllowedHosts& allowed, std::string_view host_header);

}  // namespace hyperion::web
