#pragma once

// The hosts this daemon samples: the local one, and later remote hosts polled over SSH. Each has
// an id (in API paths, live topics, metric labels), a display name, a kind, and the time of its
// latest snapshot, from which its state follows. The registry is a bus sink: every snapshot it
// sees marks its host's last sample.

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "hyperion/collectors/bus.hpp"

namespace hyperion::collectors {

// local: this machine; tree: a directory laid out like a root file system; ssh: polled over SSH.
enum class HostKind : std::uint8_t { local, ssh, tree };
std::string_view to_string(HostKind kind) noexcept;

// starting: no snapshot yet; up: the latest is fresh; stale: it is older than the host's
// stale_after (sampling stopped, or the host stopped answering).
enum class HostState : std::uint8_t { starting, up, stale };
std::string_view to_string(HostState state) noexcept;

struct HostEntry {
  std::string id;
  std::string display_name;
  HostKind kind = HostKind::local;
  std::int64_t stale_after_ms = 10'000;
  HostState state = HostState::starting;     // as of the `now` given to list()
  std::optional<std::int64_t> last_sample_ms;  // wall clock of the latest snapshot
  std::uint64_t samples = 0;
};

class HostRegistry : public SnapshotSink {
 public:
  // Registers a host (before sampling starts); a second call with the same id replaces it.
  void add(std::string id, std::string display_name, HostKind kind, std::int64_t stale_after_ms);

  // In registration order ("local" first), states as of `now_ms`.
  std::vector<HostEntry> list(std::int64_t now_ms) const;
  std::vector<std::string> ids() const;
  bool contains(std::string_view id) const;

  std::string_view sink_name() const noexcept override { return "hosts"; }
  void consume(const SnapshotPtr& snapshot) override;

 private:
  mutable std::mutex mutex_;
  std::vector<HostEntry> hosts_;
};

}  // namespace hyperion::collectors
