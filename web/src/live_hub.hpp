#pragma once

// The live hub of /api/v1/live: the newest snapshot of each host, and each topic's frame
// ("hosts/HOST/FAMILY"), rendered once per snapshot of that host from the family table and
// shared by every subscriber. Internal to the web module; io thread only.

#include <functional>
#include <list>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_set>

#include "hyperion/collectors/snapshot.hpp"

namespace hyperion::web {

struct LiveSessionBase {
  virtual ~LiveSessionBase() = default;
  // A new snapshot of this host: offer its subscribed topics whose frames changed.
  virtual void offer_host(std::string_view host) = 0;
  virtual void close() = 0;
  // Closes with an error frame and 1008 (policy): to make room for another client.
  virtual void evict() = 0;
  // In HttpServer::Impl::live_pending while it has not sent {"auth": TOKEN}.
  bool pending = false;
  bool counted_authenticated = false;  // in HttpServer::Impl::live_authenticated
  std::list<LiveSessionBase*>::iterator pending_at;
};

struct LiveHub {
  struct Cached {
    const void* identity = nullptr;  // the family object the frame was rendered from
    std::shared_ptr<const std::string> frame;
  };
  std::unordered_set<LiveSessionBase*> sessions;
  std::map<std::string, std::shared_ptr<const collectors::Snapshot>, std::less<>> latest;  // by host
  std::map<std::string, Cached, std::less<>> cache;  // by topic
  // Whether a host is configured (set by the server's owner); unset: any host with a snapshot.
  std::function<bool(std::string_view)> known_host;

  bool knows(std::string_view host) const;
  // The current frame of a topic (rendered on first use after its family changed); null when
  // the host or its family has no data yet.
  std::shared_ptr<const std::string> frame(const std::string& topic, std::string_view host, std::string_view family);
  void publish(std::shared_ptr<const collectors::Snapshot> snapshot);
};

}  // namespace hyperion::web
