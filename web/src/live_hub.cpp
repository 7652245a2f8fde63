#include "live_hub.hpp"

#include <vector>

#include "hyperion/web/live.hpp"

namespace hyperion::web {

bool LiveHub::knows(std::string_view host) const {
  if (known_host) return known_host(host);
  return latest.empty() || latest.find(host) != latest.end();
}

std::shared_ptr<const std::string> LiveHub::frame(const std::string& topic, std::string_view host,
                                                  std::string_view family) {
  const auto snapshot = latest.find(host);
  if (snapshot == latest.end() || !snapshot->second) return nullptr;
  const void* identity = live_family_identity(*snapshot->second, family);
  if (!identity) return nullptr;
  auto it = cache.find(topic);
  if (it == cache.end()) it = cache.emplace(topic, Cached{}).first;
  if (it->second.identity != identity || !it->second.frame) {
    auto text = render_live_frame(*snapshot->second, topic, family);
    if (!text) return nullptr;
    it->second = {identity, std::make_shared<const std::string>(std::move(*text))};
  }
  return it->second.frame;
}

void LiveHub::publish(std::shared_ptr<const collectors::Snapshot> snapshot) {
  if (!snapshot) return;
  const std::string host = snapshot->host;
  latest[host] = std::move(snapshot);
  if (sessions.empty()) {
    cache.clear();  // nobody listens: keep no frames
    return;
  }
  for (auto* s : std::vector<LiveSessionBase*>(sessions.begin(), sessions.end())) s->offer_host(host);
}

}  // namespace hyperion::web
