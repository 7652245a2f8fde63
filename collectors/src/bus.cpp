#include "hyperion/collectors/bus.hpp"

#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <thread>
#include <utility>

namespace hyperion::collectors {

// One sink's lane: the newest snapshot per host not yet taken, the hosts in the order their
// snapshots arrived, and the thread that feeds the sink.
struct Bus::Lane {
  explicit Lane(SnapshotSink& s) : sink(s) {}

  void run() {
    std::unique_lock lock(mutex);
    for (;;) {
      cv.wait(lock, [&] { return stopping || !order.empty(); });
      if (order.empty()) return;  // stopping, and everything delivered
      const auto host = std::move(order.front());
      order.pop_front();
      auto node = pending.extract(host);
      lock.unlock();
      bool ok = true;
      try {
        sink.consume(node.mapped());
      } catch (...) {
        ok = false;
      }
      node = {};  // the snapshot is released outside the lock
      lock.lock();
      ++(ok ? stats.delivered : stats.failed);
    }
  }

  void offer(const SnapshotPtr& s) {
    {
      std::lock_guard lock(mutex);
      auto [it, fresh] = pending.try_emplace(s->host, s);
      if (fresh) {
        order.push_back(s->host);
      } else {
        it->second = s;  // the sink is behind: it gets the newest of this host
        ++stats.dropped;
      }
    }
    cv.notify_one();
  }

  SnapshotSink& sink;
  std::mutex mutex;
  std::condition_variable cv;
  std::map<std::string, SnapshotPtr, std::less<>> pending;
  std::deque<std::string> order;
  bool stopping = false;
  SinkStats stats;
  std::thread thread;
};

Bus::Bus() = default;

Bus::~Bus() { stop(); }

void Bus::attach(SnapshotSink& sink) {
  lanes_.push_back(std::make_unique<Lane>(sink));
  lanes_.back()->stats.sink = std::string(sink.sink_name());
}

void Bus::start() {
  if (started_) return;
  started_ = true;
  for (auto& lane : lanes_) lane->thread = std::thread([l = lane.get()] { l->run(); });
}

void Bus::stop() {
  for (auto& lane : lanes_) {
    {
      std::lock_guard lock(lane->mutex);
      lane->stopping = true;
    }
    lane->cv.notify_one();
  }
  for (auto& lane : lanes_) {
    if (lane->thread.joinable()) lane->thread.join();
  }
}

void Bus::publish(SnapshotPtr snapshot) {
  if (!snapshot) return;
  for (auto& lane : lanes_) lane->offer(snapshot);
}

std::vector<SinkStats> Bus::stats() const {
  std::vector<SinkStats> out;
  for (const auto& lane : lanes_) {
    std::lock_guard lock(lane->mutex);
    out.push_back(lane->stats);
  }
  return out;
}

void LatestSnapshots::consume(const SnapshotPtr& snapshot) {
  SnapshotPtr previous;  // released outside the lock
  std::lock_guard lock(mutex_);
  auto& slot = latest_[snapshot->host];
  previous = std::exchange(slot, snapshot);
}

SnapshotPtr LatestSnapshots::get(std::string_view host) const {
  std::lock_guard lock(mutex_);
  const auto it = latest_.find(host);
  return it == latest_.end() ? nullptr : it->second;
}

}  // namespace hyperion::collectors
