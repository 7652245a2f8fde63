#include "hyperion/collectors/hosts.hpp"

#include <algorithm>

namespace hyperion::collectors {

std::string_view to_string(HostKind kind) noexcept {
  switch (kind) {
    case HostKind::local: return "local";
    case HostKind::ssh: return "ssh";
    case HostKind::tree: return "tree";
  }
  return "local";
}

std::string_view to_string(HostState state) noexcept {
  switch (state) {
    case HostState::starting: return "starting";
    case HostState::up: return "up";
    case HostState::stale: return "stale";
  }
  return "starting";
}

void HostRegistry::add(std::string id, std::string display_name, HostKind kind, std::int64_t stale_after_ms) {
  std::lock_guard lock(mutex_);
  HostEntry entry{std::move(id), std::move(display_name), kind, stale_after_ms, HostState::starting, std::nullopt, 0};
  const auto it = std::find_if(hosts_.begin(), hosts_.end(), [&](const HostEntry& h) { return h.id == entry.id; });
  if (it != hosts_.end()) {
    *it = std::move(entry);
  } else {
    hosts_.push_back(std::move(entry));
  }
}

std::vector<HostEntry> HostRegistry::list(std::int64_t now_ms) const {
  std::lock_guard lock(mutex_);
  auto out = hosts_;
  for (auto& h : out) {
    if (!h.last_sample_ms) h.state = HostState::starting;
    else h.state = now_ms - *h.last_sample_ms <= h.stale_after_ms ? HostState::up : HostState::stale;
  }
  return out;
}

std::vector<std::string> HostRegistry::ids() const {
  std::lock_guard lock(mutex_);
  std::vector<std::string> out;
  for (const auto& h : hosts_) out.push_back(h.id);
  return out;
}

bool HostRegistry::contains(std::string_view id) const {
  std::lock_guard lock(mutex_);
  return std::any_of(hosts_.begin(), hosts_.end(), [&](const HostEntry& h) { return h.id == id; });
}

void HostRegistry::consume(const SnapshotPtr& snapshot) {
  std::lock_guard lock(mutex_);
  for (auto& h : hosts_) {
    if (h.id != snapshot->host) continue;
    h.last_sample_ms = snapshot->timestamp_ms;
    ++h.samples;
  }
}

}  // namespace hyperion::collectors
