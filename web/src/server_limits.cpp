#include <arpa/inet.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <unistd.h>

#include <algorithm>

#include "hyperion/web/http.hpp"
#include "hyperion/web/http_server.hpp"

namespace hyperion::web {
namespace {

std::vector<std::string> comma_list(std::string_view list) {
  std::vector<std::string> out;
  any_list_item(list, ',', [&](std::string_view item) {
    out.emplace_back(item);
    return false;
  });
  return out;
}

AllowedHosts allowed_hosts(const std::string& listen_host, std::string_view extra) {
  AllowedHosts a;
  a.any = false;
  const auto add = [&](const std::string& name) {
    const bool bare_v6 = name.find(':') != std::string::npos && name.front() != '[';
    if (const auto h = host_of(bare_v6 ? "[" + name + "]" : name)) {
      if (std::find(a.names.begin(), a.names.end(), *h) == a.names.end()) a.names.push_back(*h);
    }
  };
  for (const char* name : {"localhost", "localhost.localdomain", "ip6-localhost", "127.0.0.1", "::1"}) add(name);
  const bool wildcard = listen_host == "0.0.0.0" || listen_host == "::" || listen_host.empty();
  if (!wildcard) add(listen_host);
  char hostname[256] = {};
  if (::gethostname(hostname, sizeof hostname - 1) == 0 && hostname[0] != '\0') {
    const std::string name(hostname);
    add(name);
    add(name.substr(0, name.find('.')));  // the short name
  }
  if (wildcard) {
    ifaddrs* list = nullptr;
    if (::getifaddrs(&list) == 0) {
      for (auto* i = list; i; i = i->ifa_next) {
        if (!i->ifa_addr || (i->ifa_addr->sa_family != AF_INET && i->ifa_addr->sa_family != AF_INET6)) continue;
        char text[INET6_ADDRSTRLEN] = {};
        const void* raw = i->ifa_addr->sa_family == AF_INET
                              ? static_cast<const void*>(&reinterpret_cast<const sockaddr_in*>(i->ifa_addr)->sin_addr)
                              : static_cast<const void*>(&reinterpret_cast<const sockaddr_in6*>(i->ifa_addr)->sin6_addr);
        if (::inet_ntop(i->ifa_addr->sa_family, raw, text, sizeof text)) add(text);
      }
      ::freeifaddrs(list);
    }
  }
  any_list_item(extra, ',', [&](std::string_view item) {
    if (item == "*") {
      a.any = true;
    } else {
      add(std::string(item));
    }
    return false;
  });
  return a;
}

}  // namespace

ServerLimits server_limits(const HttpSettings& http, const LiveSettings& live, const std::string& listen_host) {
  ServerLimits l;
  l.http = http;
  l.live = live;
  l.cors_allowed_origins = comma_list(http.cors_allowed_origins);
  l.live_allowed_origins = comma_list(live.allowed_origins);
  l.trusted_proxies = parse_networks(http.trusted_proxies).value_or(std::vector<Network>{});
  l.allowed_hosts = allowed_hosts(listen_host, http.allowed_hosts);
  return l;
}

}  // namespace hyperion::web
