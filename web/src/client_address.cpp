#include "hyperion/web/client_address.hpp"

#include "hyperion/auth/service.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <charconv>
#include <cstring>

#include "hyperion/web/http.hpp"

namespace hyperion::web {
namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  return out;
}

// One hop of Forwarded's for= (RFC 7239 6): a quoted or bare node, maybe "[v6]:port" or
// "v4:port"; "unknown" and obfuscated identifiers ("_hidden") are not addresses.
std::string_view node_address(std::string_view node) {
  node = trim_blanks(node);
  if (node.size() >= 2 && node.front() == '"' && node.back() == '"') node = node.substr(1, node.size() - 2);
  if (!node.empty() && node.front() == '[') {
    const auto close = node.find(']');
    return close == std::string_view::npos ? std::string_view{} : node.substr(1, close - 1);
  }
  if (std::count(node.begin(), node.end(), ':') == 1) node = node.substr(0, node.find(':'));
  return node;
}

}  // namespace

std::optional<std::array<std::uint8_t, 16>> parse_ip(std::string_view text) {
  if (text.size() >= 2 && text.front() == '[' && text.back() == ']') text = text.substr(1, text.size() - 2);
  if (text.empty() || text.size() > 45) return std::nullopt;
  char buf[46];
  std::memcpy(buf, text.data(), text.size());
  buf[text.size()] = '\0';
  std::array<std::uint8_t, 16> out{};
  in_addr v4{};
  if (::inet_pton(AF_INET, buf, &v4) == 1) {
    out[10] = 0xff;
    out[11] = 0xff;
    std::memcpy(out.data() + 12, &v4, 4);
    return out;
  }
  in6_addr v6{};
  if (::inet_pton(AF_INET6, buf, &v6) == 1) {
    std::memcpy(out.data(), &v6, 16);
    return out;
  }
  return std::nullopt;
}

std::optional<std::vector<Network>> parse_networks(std::string_view list, std::string* why) {
  std::vector<Network> out;
  bool bad = false;
  any_list_item(list, ',', [&](std::string_view item) {
    const auto slash = item.find('/');
    const auto address = parse_ip(item.substr(0, slash));
    if (!address) {
      if (why) *why = "'" + std::string(item) + "' is not an IP address or a CIDR block";
      return bad = true;
    }
    const bool v4 = item.substr(0, slash).find(':') == std::string_view::npos;
    Network n{*address, 128};
    if (slash != std::string_view::npos) {
      const auto bits = item.substr(slash + 1);
      int prefix = -1;
      const auto [p, ec] = std::from_chars(bits.data(), bits.data() + bits.size(), prefix);
      if (ec != std::errc() || p != bits.data() + bits.size() || prefix < 0 || prefix > (v4 ? 32 : 128)) {
        if (why) *why = "'" + std::string(item) + "': the prefix length must be 0 to " + (v4 ? "32" : "128");
        return bad = true;
      }
      n.prefix = v4 ? prefix + 96 : prefix;
    }
    out.push_back(n);
    return false;
  });
  if (bad) return std::nullopt;
  return out;
}

bool in_networks(const std::vector<Network>& networks, std::string_view address) {
  if (networks.empty()) return false;
  const auto ip = parse_ip(address);
  if (!ip) return false;
  for (const auto& n : networks) {
    int bits = n.prefix;
    bool match = true;
    for (std::size_t i = 0; i < 16 && bits > 0; ++i, bits -= 8) {
      const auto mask = static_cast<std::uint8_t>(bits >= 8 ? 0xff : (0xff << (8 - bits)) & 0xff);
      if (((*ip)[i] & mask) != (n.address[i] & mask)) {
        match = false;
        break;
      }
    }
    if (match) return true;
  }
  return false;
}

std::string address_block(std::string_view address) { return auth::address_block(address); }

std::string client_address(std::string_view peer, std::string_view forwarded_for, std::string_view forwarded,
                           const std::vector<Network>& trusted) {
  if (trusted.empty() || !in_networks(trusted, peer)) return std::string(peer);
  // The hops, nearest last.
  std::vector<std::string_view> hops;
  if (!forwarded_for.empty()) {
    any_list_item(forwarded_for, ',', [&](std::string_view item) {
      hops.push_back(item);
      return hops.size() > 64;
    });
  } else if (!forwarded.empty()) {
    any_list_item(forwarded, ',', [&](std::string_view element) {
      std::string_view for_value;
      any_list_item(element, ';', [&](std::string_view pair) {
        const auto eq = pair.find('=');
        if (eq != std::string_view::npos && lower(trim_blanks(pair.substr(0, eq))) == "for") {
          for_value = node_address(pair.substr(eq + 1));
          return true;
        }
        return false;
      });
      hops.push_back(for_value);
      return hops.size() > 64;
    });
  }
  std::string client(peer);
  for (auto it = hops.rbegin(); it != hops.rend(); ++it) {
    const auto ip = parse_ip(trim_blanks(*it));
    if (!ip) break;  // garbage or "unknown": trust no further
    std::string text(trim_blanks(*it));
    if (text.size() >= 2 && text.front() == '[') text = text.substr(1, text.size() - 2);
    client = text;
    if (!in_networks(trusted, client)) break;
  }
  return client;
}

std::optional<std::string> host_of(std::string_view h) {
  h = trim_blanks(h);
  if (h.empty() || h.size() > 255) return std::nullopt;
  std::string_view name;
  std::string_view port;
  if (h.front() == '[') {
    const auto close = h.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    name = h.substr(1, close - 1);
    const auto rest = h.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') return std::nullopt;
      port = rest.substr(1);
    }
  } else {
    const auto colon = h.find(':');
    name = h.substr(0, colon);
    if (colon != std::string_view::npos) port = h.substr(colon + 1);
  }
  if (name.empty()) return std::nullopt;
  for (const char c : port) {
    if (c < '0' || c > '9') return std::nullopt;
  }
  for (const char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '-' ||
                    c == '_' || c == ':' || c == '%';
    if (!ok) return std::nullopt;
  }
  auto out = lower(name);
  if (out.size() > 1 && out.back() == '.') out.pop_back();  // "example.com." is example.com
  return out;
}

bool host_allowed(const AllowedHosts& allowed, std::string_view host_header) {
  if (allowed.any) return true;
  const auto host = host_of(host_header);
  if (!host) return false;
  return std::find(allowed.names.begin(), allowed.names.end(), *host) != allowed.names.end();
}

}  // namespace hyperion::web
