#include "hyperion/collectors/path_source.hpp"

#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "file_io.hpp"

namespace hyperion::collectors {

using file_io::join;

bool PathSource::read_kernel_file(const std::string& path, std::string& buf) const {
  return file_io::read_path(path, buf);
}
bool PathSource::read_proc(std::string_view relative, std::string& buf) const {
  return read_kernel_file(join(paths_.proc, relative), buf);
}
bool PathSource::read_sys(std::string_view relative, std::string& buf) const {
  return read_kernel_file(join(paths_.sys, relative), buf);
}
bool PathSource::read_root(std::string_view relative, std::string& buf) const {
  return file_io::read_path(join(paths_.root, relative), buf);
}
bool PathSource::exists_root(std::string_view relative) const {
  return ::access(join(paths_.root, relative).c_str(), F_OK) == 0;
}
bool PathSource::exists_sys(std::string_view relative) const {
  return ::access(join(paths_.sys, relative).c_str(), F_OK) == 0;
}
std::int64_t PathSource::mtime_root(std::string_view relative) const {
  struct stat st {};
  if (::stat(join(paths_.root, relative).c_str(), &st) != 0) return 0;
  return static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec;
}
std::vector<std::string> PathSource::list_sys(std::string_view relative) const {
  return file_io::list_dir(join(paths_.sys, relative), false);
}
std::vector<std::string> PathSource::list_sys_dirs(std::string_view relative) const {
  return file_io::list_dir(join(paths_.sys, relative), true);
}

bool PathSource::filesystem_usage(const std::string& mount_point, FilesystemUsage& out, bool may_hang, bool* hung) {
  struct statvfs v {};
  const std::string path = paths_.root == "/" ? mount_point : join(paths_.root, mount_point);
  if (hung) *hung = false;
  if (may_hang) {
    const auto outcome = timed_statvfs_.call(path, v);
    if (outcome != StatvfsOutcome::ok) {
      if (hung) *hung = outcome == StatvfsOutcome::timed_out || outcome == StatvfsOutcome::still_hung;
      return false;
    }
  } else if (::statvfs(path.c_str(), &v) != 0) {
    return false;
  }
  const std::uint64_t unit = v.f_frsize ? v.f_frsize : v.f_bsize;
  out.size_bytes = static_cast<std::uint64_t>(v.f_blocks) * unit;
  out.free_bytes = static_cast<std::uint64_t>(v.f_bfree) * unit;
  out.available_bytes = static_cast<std::uint64_t>(v.f_bavail) * unit;
  out.inodes_total = v.f_files;
  out.inodes_free = v.f_ffree;
  return true;
}

}  // namespace hyperion::collectors
