#include "hyperion/collectors/path_source.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include "file_io.hpp"

namespace hyperion::collectors {

using file_io::join;

bool PathSource::read_proc(std::string_view relative, std::string& buf) const {
  return file_io::read_path(join(paths_.proc, relative), buf);
}
bool PathSource::read_sys(std::string_view relative, std::string& buf) const {
  return file_io::read_path(join(paths_.sys, relative), buf);
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

}  // namespace hyperion::collectors
