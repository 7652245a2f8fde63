#pragma once

// One daemon per data directory: two would both write the database and hand out sessions the
// other does not know. The lock is a flock on DATA_DIR/hyperiond.lock, which holds the pid of
// its holder; it goes with the process, a crash included.

#include <optional>
#include <string>

#include "hyperion/daemon/log.hpp"

namespace hyperion::daemon {

class DataDirLock {
 public:
  // Creates the directory (0700) and takes its lock; nullopt, with the reason logged, when
  // either fails (another hyperiond holds it: the message names its pid).
  static std::optional<DataDirLock> acquire(const std::string& dir, Logger& log);
  DataDirLock(DataDirLock&& other) noexcept;
  DataDirLock& operator=(DataDirLock&& other) noexcept;
  DataDirLock(const DataDirLock&) = delete;
  ~DataDirLock();

 private:
  explicit DataDirLock(int fd) : fd_(fd) {}
  int fd_ = -1;
};

}  // namespace hyperion::daemon
