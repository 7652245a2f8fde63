#pragma once

// statvfs() with a deadline, for network filesystems. A dead NFS or CIFS server makes
// statvfs() block in the kernel, uninterruptibly, for as long as the mount is hard: on the
// sampling thread that would freeze every family. Here the call runs on a worker thread;
// the caller waits at most `timeout`. A call that does not return in time cannot be
// cancelled, so its thread is left behind, and further calls for the same path fail at once
// (without starting another thread) until it returns.

#include <sys/statvfs.h>

#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_set>

namespace hyperion::collectors {

enum class StatvfsOutcome { ok, failed, timed_out, still_hung };

class TimedStatvfs {
 public:
  using Function = std::function<int(const char*, struct statvfs*)>;

  // `fn` is ::statvfs except in tests.
  explicit TimedStatvfs(std::chrono::milliseconds timeout, Function fn = ::statvfs);

  StatvfsOutcome call(const std::string& path, struct statvfs& out);

  // Paths whose call has not returned yet.
  std::size_t hung() const;

 private:
  struct Shared {
    std::mutex mutex;
    std::unordered_set<std::string> pending;
  };
  std::chrono::milliseconds timeout_;
  Function fn_;
  std::shared_ptr<Shared> shared_ = std::make_shared<Shared>();
};

// Filesystems reached over a network (or a FUSE helper that may be): nfs, nfs4, cifs, smb3,
// smbfs, ceph, glusterfs, 9p, afs, lustre, gpfs, davfs, fuse.*, ...
bool is_network_filesystem(std::string_view fstype) noexcept;

}  // namespace hyperion::collectors
