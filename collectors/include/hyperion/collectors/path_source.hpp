#pragma once

// The file reads of a Source whose host is a directory tree on this machine: the live root
// ("/", "/proc", "/sys") for LocalSource, a fixture or a mounted root for TreeSource. Whole-file
// reads, existence, modification time and listings, relative to the proc, sys or root directory.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "hyperion/collectors/source.hpp"
#include "hyperion/collectors/timed_statvfs.hpp"

namespace hyperion::collectors {

class PathSource : public Source {
 public:
  explicit PathSource(SourcePaths paths) : paths_(std::move(paths)) {}

  const SourcePaths& paths() const noexcept { return paths_; }

  bool read_proc(std::string_view relative, std::string& buf) const final;
  bool read_sys(std::string_view relative, std::string& buf) const final;
  bool read_root(std::string_view relative, std::string& buf) const final;
  bool exists_root(std::string_view relative) const final;
  bool exists_sys(std::string_view relative) const final;
  std::int64_t mtime_root(std::string_view relative) const final;
  std::vector<std::string> list_sys(std::string_view relative) const final;
  std::vector<std::string> list_sys_dirs(std::string_view relative) const final;

  // statvfs() of a mount point under the root; a network filesystem's (may_hang) is bounded
  // by a deadline, so a hung server never stalls the tick, whichever source reads it.
  bool filesystem_usage(const std::string& mount_point, FilesystemUsage& out, bool may_hang = false,
                        bool* hung = nullptr) final;

 protected:
  // Whole-file reads of the kernel's pseudo files (under the proc and sys directories): a
  // subclass may keep them open between ticks. Files under the root are always read afresh
  // (/etc/passwd is replaced by a rename, and a kept descriptor would read the old file).
  virtual bool read_kernel_file(const std::string& path, std::string& buf) const;

  SourcePaths paths_;
  TimedStatvfs timed_statvfs_{std::chrono::milliseconds(1000)};
};

}  // namespace hyperion::collectors
