#include "hyperion/collectors/bus.hpp"
#include "hyperion/collectors/hosts.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

using namespace hyperion::collectors;
using namespace std::chrono_literals;

namespace {

SnapshotPtr snapshot(const std::string& host, std::uint64_t sequence) {
  auto s = std::make_shared<Snapshot>();
  s->host = host;
  s->sequence = sequence;
  return s;
}

// Records what it consumed; can be held (a slow sink) until released.
class Recorder : public SnapshotSink {
 public:
  explicit Recorder(std::string name) : name_(std::move(name)) {}
  std::string_view sink_name() const noexcept override { return name_; }
  void consume(const SnapshotPtr& s) override {
    std::unique_lock lock(mutex_);
    ++entered_;
    cv_.notify_all();
    held_cv_.wait(lock, [&] { return !held_; });
    seen_.emplace_back(s->host, s->sequence);
    if (throw_on_ && s->sequence == throw_on_) throw std::runtime_error("sink failure");
    cv_.notify_all();
  }
  void hold(bool on) {
    {
      std::lock_guard lock(mutex_);
      held_ = on;
    }
    held_cv_.notify_all();
  }
  // Waits (bounded) until `n` snapshots were consumed.
  bool wait_for(std::size_t n) {
    std::unique_lock lock(mutex_);
    return cv_.wait_for(lock, 5s, [&] { return seen_.size() >= n; });
  }
  bool wait_until_seen(const std::string& host, std::uint64_t sequence) {
    std::unique_lock lock(mutex_);
    return cv_.wait_for(lock, 5s, [&] {
      return std::find(seen_.begin(), seen_.end(), std::pair<std::string, std::uint64_t>{host, sequence}) != seen_.end();
    });
  }
  bool wait_entered(std::size_t n) {
    std::unique_lock lock(mutex_);
    return cv_.wait_for(lock, 5s, [&] { return entered_ >= n; });
  }
  std::vector<std::pair<std::string, std::uint64_t>> seen() {
    std::lock_guard lock(mutex_);
    return seen_;
  }
  std::uint64_t throw_on_ = 0;

 private:
  std::string name_;
  std::mutex mutex_;
  std::condition_variable cv_, held_cv_;
  bool held_ = false;
  std::size_t entered_ = 0;
  std::vector<std::pair<std::string, std::uint64_t>> seen_;
};

SinkStats stats_of(const Bus& bus, std::string_view name) {
  for (const auto& s : bus.stats()) {
    if (s.sink == name) return s;
  }
  FAIL("no sink " << name);
  return {};
}

}  // namespace

TEST_CASE("Bus: every sink gets every snapshot, in order per host", "[collectors][bus]") {
  Recorder a("a"), b("b");
  Bus bus;
  bus.attach(a);
  bus.attach(b);
  bus.start();
  for (std::uint64_t i = 1; i <= 3; ++i) {
    bus.publish(snapshot("local", i));
    REQUIRE(a.wait_for(i));  // one at a time: nothing is dropped
    REQUIRE(b.wait_for(i));
  }
  bus.publish(nullptr);  // ignored
  bus.stop();
  const std::vector<std::pair<std::string, std::uint64_t>> want{{"local", 1}, {"local", 2}, {"local", 3}};
  CHECK(a.seen() == want);
  CHECK(b.seen() == want);
  CHECK(stats_of(bus, "a").delivered == 3);
  CHECK(stats_of(bus, "a").dropped == 0);
}

TEST_CASE("Bus: a slow sink delays neither the publisher nor another sink, and gets the newest per host",
          "[collectors][bus]") {
  Recorder slow("slow"), fast("fast");
  Bus bus;
  bus.attach(slow);
  bus.attach(fast);
  bus.start();
  slow.hold(true);
  struct Release {  // whatever happens, the held sink is let go before the bus joins it
    Recorder& r;
    ~Release() { r.hold(false); }
  } release{slow};
  bus.publish(snapshot("local", 1));  // the slow sink takes this one and blocks in it
  REQUIRE(slow.wait_entered(1));
  REQUIRE(fast.wait_for(1));
  const auto start = std::chrono::steady_clock::now();
  for (std::uint64_t i = 2; i <= 100; ++i) {
    bus.publish(snapshot("local", i));
    bus.publish(snapshot("remote-1", i));
  }
  // Publishing never waited for the held sink (bounded, generously, for a loaded machine).
  CHECK(std::chrono::steady_clock::now() - start < 2s);
  // The fast sink keeps up (it may skip under a loaded scheduler, but ends on the newest).
  REQUIRE(fast.wait_until_seen("local", 100));
  REQUIRE(fast.wait_until_seen("remote-1", 100));
  slow.hold(false);
  REQUIRE(slow.wait_for(3));  // 1, then the newest of each host
  bus.stop();
  const auto seen = slow.seen();
  REQUIRE(seen.size() == 3);
  CHECK(seen[1] == std::pair<std::string, std::uint64_t>{"local", 100});
  CHECK(seen[2] == std::pair<std::string, std::uint64_t>{"remote-1", 100});
  CHECK(stats_of(bus, "slow").dropped == 2 * 99 - 2);
  CHECK(stats_of(bus, "fast").delivered + stats_of(bus, "fast").dropped == 199);
}

TEST_CASE("Bus: a sink that throws is counted and keeps receiving", "[collectors][bus]") {
  Recorder r("r");
  r.throw_on_ = 2;
  Bus bus;
  bus.attach(r);
  bus.start();
  for (std::uint64_t i = 1; i <= 3; ++i) {
    bus.publish(snapshot("local", i));
    REQUIRE(r.wait_for(i));
  }
  bus.stop();
  CHECK(stats_of(bus, "r").failed == 1);
  CHECK(stats_of(bus, "r").delivered == 2);
}

TEST_CASE("Bus: stop delivers what is pending, then joins; stop twice is harmless", "[collectors][bus]") {
  Recorder r("r");
  Bus bus;
  bus.attach(r);
  bus.start();
  bus.publish(snapshot("a", 1));
  bus.publish(snapshot("b", 1));
  bus.stop();
  bus.stop();
  CHECK(r.seen().size() == 2);
}

TEST_CASE("LatestSnapshots: the newest snapshot of each host through the bus", "[collectors][bus]") {
  LatestSnapshots latest;
  Bus bus;
  bus.attach(latest);
  bus.start();
  CHECK(latest.get("local") == nullptr);
  bus.publish(snapshot("local", 1));
  bus.publish(snapshot("fixture", 7));
  bus.publish(snapshot("local", 2));
  bus.stop();
  REQUIRE(latest.get("local"));
  CHECK(latest.get("local")->sequence == 2);
  CHECK(latest.get("fixture")->sequence == 7);
  CHECK(latest.get("nowhere") == nullptr);
}

TEST_CASE("HostRegistry: hosts in order, with their state from the latest snapshot", "[collectors][hosts]") {
  HostRegistry hosts;
  hosts.add("local", "web-1", HostKind::local, 10'000);
  hosts.add("fixture", "a fixture tree", HostKind::tree, 5'000);
  CHECK(hosts.ids() == std::vector<std::string>{"local", "fixture"});
  CHECK(hosts.contains("fixture"));
  CHECK_FALSE(hosts.contains("nowhere"));
  auto list = hosts.list(1'000'000);
  CHECK(list[0].state == HostState::starting);
  CHECK_FALSE(list[0].last_sample_ms);
  auto s = std::make_shared<Snapshot>();
  s->host = "local";
  s->timestamp_ms = 1'000'000;
  hosts.consume(s);
  auto unknown = std::make_shared<Snapshot>(*s);
  unknown->host = "unregistered";
  hosts.consume(unknown);  // ignored
  list = hosts.list(1'005'000);
  CHECK(list.size() == 2);
  CHECK(list[0].state == HostState::up);
  CHECK(list[0].last_sample_ms == 1'000'000);
  CHECK(list[0].samples == 1);
  CHECK(list[1].state == HostState::starting);
  CHECK(hosts.list(1'010'001)[0].state == HostState::stale);
  CHECK(to_string(HostKind::tree) == "tree");
  CHECK(to_string(HostState::stale) == "stale");
}
