#include "hyperion/collectors/timed_statvfs.hpp"

#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

using namespace hyperion::collectors;
using namespace std::chrono_literals;

// A hung NFS server cannot be made here, so the blocking call is a stand-in that waits on a
// gate the test opens. What this does not prove: that the kernel's statvfs on a dead hard
// mount behaves like a call that just does not return (it does: D state, no signal ends it).
namespace {
struct Gate {
  std::mutex m;
  std::condition_variable cv;
  bool open = false;
  std::atomic<int> calls{0};
  int wait(const char*, struct statvfs* v) {
    ++calls;
    std::unique_lock lock(m);
    cv.wait(lock, [&] { return open; });
    v->f_blocks = 42;
    v->f_frsize = 4096;
    return 0;
  }
  void release() {
    {
      std::lock_guard lock(m);
      open = true;
    }
    cv.notify_all();
  }
};
}  // namespace

TEST_CASE("TimedStatvfs: a call that does not return times out and is not repeated", "[collectors][timed_statvfs]") {
  auto gate = std::make_shared<Gate>();
  TimedStatvfs t(50ms, [gate](const char* p, struct statvfs* v) { return gate->wait(p, v); });
  struct statvfs v {};
  const auto start = std::chrono::steady_clock::now();
  CHECK(t.call("/mnt/nfs", v) == StatvfsOutcome::timed_out);
  CHECK(std::chrono::steady_clock::now() - start < 2s);
  CHECK(t.hung() == 1);
  // While the first call is stuck, the same path fails at once without a new thread.
  CHECK(t.call("/mnt/nfs", v) == StatvfsOutcome::still_hung);
  CHECK(gate->calls == 1);
  gate->release();  // the server answers again
  for (int i = 0; i < 200 && t.hung() > 0; ++i) std::this_thread::sleep_for(5ms);
  REQUIRE(t.hung() == 0);
  CHECK(t.call("/mnt/nfs", v) == StatvfsOutcome::ok);
  CHECK(v.f_blocks == 42u);
}

TEST_CASE("TimedStatvfs: the real statvfs of / answers, a missing path fails", "[collectors][timed_statvfs]") {
  TimedStatvfs t(2s);
  struct statvfs v {};
  CHECK(t.call("/", v) == StatvfsOutcome::ok);
  CHECK(v.f_blocks > 0u);
  CHECK(t.call("/nonexistent-hyperion-path", v) == StatvfsOutcome::failed);
  CHECK(t.hung() == 0);
}

TEST_CASE("is_network_filesystem: network and FUSE types", "[collectors][timed_statvfs]") {
  for (const char* t : {"nfs", "nfs4", "cifs", "smb3", "ceph", "glusterfs", "fuse.sshfs", "fuse", "9p"}) {
    INFO(t);
    CHECK(is_network_filesystem(t));
  }
  for (const char* t : {"ext4", "xfs", "btrfs", "tmpfs", "overlay", "zfs", "vfat"}) {
    INFO(t);
    CHECK_FALSE(is_network_filesystem(t));
  }
}
