#pragma once

// The bus between the sampling loops (one per host) and the consumers of their snapshots: the
// per-host latest cache (REST, /metrics), the live WebSocket hub, and later the history writer
// and the alert evaluator. Each consumer implements SnapshotSink and runs on a thread of its
// own, so a slow sink never delays sampling or another sink. A sink that falls behind gets the
// newest snapshot of each host, never a queue: what it skipped is counted as dropped.

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "hyperion/collectors/snapshot.hpp"

namespace hyperion::collectors {

using SnapshotPtr = std::shared_ptr<const Snapshot>;

class SnapshotSink {
 public:
  virtual ~SnapshotSink() = default;
  // For /metrics and logs: "latest", "live", "history", ...
  virtual std::string_view sink_name() const noexcept = 0;
  // On the sink's own thread, one call at a time; a host's snapshots arrive in order (some
  // skipped when the sink is slow). An exception is counted and logged by the bus's owner, and
  // the sink carries on with the next snapshot.
  virtual void consume(const SnapshotPtr& snapshot) = 0;
};

struct SinkStats {
  std::string sink;
  std::uint64_t delivered = 0;  // snapshots consumed
  std::uint64_t dropped = 0;    // replaced by a newer one of the same host before the sink took it
  std::uint64_t failed = 0;     // consume() threw
};

class Bus {
 public:
  Bus();
  ~Bus();  // stops
  Bus(const Bus&) = delete;
  Bus& operator=(const Bus&) = delete;

  // Before start(). The sink must outlive the bus (or its stop()).
  void attach(SnapshotSink& sink);
  void start();
  // Delivers what is pending, then joins the sinks' threads. Idempotent.
  void stop();

  // Any thread; never waits for a sink. Null snapshots are ignored.
  void publish(SnapshotPtr snapshot);

  std::vector<SinkStats> stats() const;

 private:
  struct Lane;
  std::vector<std::unique_ptr<Lane>> lanes_;
  bool started_ = false;
};

// The newest snapshot of each host, for whoever asks (REST handlers, /metrics): a sink whose
// reads are a map lookup and a shared_ptr copy under a mutex.
class LatestSnapshots : public SnapshotSink {
 public:
  std::string_view sink_name() const noexcept override { return "latest"; }
  void consume(const SnapshotPtr& snapshot) override;
  // Null when the host is unknown or has no snapshot yet.
  SnapshotPtr get(std::string_view host) const;

 private:
  mutable std::mutex mutex_;
  std::map<std::string, SnapshotPtr, std::less<>> latest_;
};

}  // namespace hyperion::collectors
