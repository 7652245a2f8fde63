#include "hyperion/collectors/timed_statvfs.hpp"

#include <condition_variable>
#include <thread>

namespace hyperion::collectors {

TimedStatvfs::TimedStatvfs(std::chrono::milliseconds timeout, Function fn)
    : timeout_(timeout), fn_(std::move(fn)) {}

StatvfsOutcome TimedStatvfs::call(const std::string& path, struct statvfs& out) {
  struct Call {
    std::mutex mutex;
    std::condition_variable done_cv;
    bool done = false;
    int rc = -1;
    struct statvfs result {};
  };
  {
    std::lock_guard lock(shared_->mutex);
    if (shared_->pending.count(path) != 0) return StatvfsOutcome::still_hung;
    shared_->pending.insert(path);
  }
  auto call = std::make_shared<Call>();
  // The worker owns what it touches (shared state and the call), so it may outlive us.
  std::thread([shared = shared_, call, path, fn = fn_] {
    struct statvfs v {};
    const int rc = fn(path.c_str(), &v);
    {
      // No longer pending before anyone hears it is done: a caller that retries at once
      // must not be told the path still hangs.
      std::lock_guard lock(shared->mutex);
      shared->pending.erase(path);
    }
    {
      std::lock_guard lock(call->mutex);
      call->rc = rc;
      call->result = v;
      call->done = true;
    }
    call->done_cv.notify_all();
  }).detach();

  std::unique_lock lock(call->mutex);
  if (!call->done_cv.wait_for(lock, timeout_, [&] { return call->done; })) return StatvfsOutcome::timed_out;
  if (call->rc != 0) return StatvfsOutcome::failed;
  out = call->result;
  return StatvfsOutcome::ok;
}

std::size_t TimedStatvfs::hung() const {
  std::lock_guard lock(shared_->mutex);
  return shared_->pending.size();
}

bool is_network_filesystem(std::string_view t) noexcept {
  static constexpr std::string_view kTypes[] = {"nfs",  "nfs4",  "cifs",   "smb3", "smbfs", "ceph", "glusterfs",
                                                "9p",   "afs",   "lustre", "gpfs", "davfs", "ncpfs", "coda",
                                                "ocfs2", "gfs2", "beegfs", "orangefs"};
  if (t.starts_with("fuse.") || t == "fuse" || t == "fuseblk") return true;
  for (const auto k : kTypes) {
    if (t == k) return true;
  }
  return false;
}

}  // namespace hyperion::collectors
