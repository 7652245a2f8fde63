#include "hyperion/collectors/source.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>

#include "file_io.hpp"

namespace hyperion::collectors {
namespace file_io {

namespace {
constexpr std::size_t kMinReadBuffer = 4096;
}

std::string join(const std::string& base, std::string_view relative) {
  std::string out = base;
  if (!out.empty() && out.back() != '/') out.push_back('/');
  while (!relative.empty() && relative.front() == '/') relative.remove_prefix(1);
  out.append(relative);
  return out;
}

// One read returns a whole seq_file record when the buffer is large enough, so we grow and
// retry only on a full buffer.
bool pread_all(int fd, std::string& buf, std::size_t limit) {
  if (buf.capacity() < kMinReadBuffer) buf.reserve(kMinReadBuffer);
  std::size_t len = 0;
  for (;;) {
    buf.resize(buf.capacity());
    const std::size_t want = std::min(buf.size(), limit) - len;
    const ssize_t n = ::pread(fd, buf.data() + len, want, static_cast<off_t>(len));
    if (n < 0) {
      if (errno == EINTR) continue;
      buf.clear();
      return false;
    }
    len += static_cast<std::size_t>(n);
    if (static_cast<std::size_t>(n) < want || len >= limit) break;
    buf.reserve(buf.capacity() * 2);
  }
  buf.resize(len);
  return true;
}

bool read_at(int dir_fd, const char* name, std::string& buf, std::size_t limit) {
  const int fd = ::openat(dir_fd, name, O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    buf.clear();
    return false;
  }
  const bool ok = pread_all(fd, buf, limit);
  ::close(fd);
  return ok;
}

bool read_path(const std::string& path, std::string& buf) { return read_at(AT_FDCWD, path.c_str(), buf); }

std::vector<std::string> list_dir(const std::string& path, bool dirs_only) {
  std::vector<std::string> names;
  DIR* dir = ::opendir(path.c_str());
  if (!dir) return names;
  while (const dirent* d = ::readdir(dir)) {
    if (d->d_name[0] == '.') continue;
    if (dirs_only) {
      bool is_dir = d->d_type == DT_DIR;
      if (d->d_type == DT_UNKNOWN) {
        struct stat st {};
        is_dir = ::fstatat(::dirfd(dir), d->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode);
      }
      if (!is_dir) continue;
    }
    names.emplace_back(d->d_name);
  }
  ::closedir(dir);
  std::sort(names.begin(), names.end());
  return names;
}

std::optional<std::int32_t> pid_of(std::string_view name) {
  std::int32_t pid = 0;
  auto [ptr, ec] = std::from_chars(name.data(), name.data() + name.size(), pid);
  if (ec != std::errc{} || ptr != name.data() + name.size() || pid <= 0) return std::nullopt;
  return pid;
}

}  // namespace file_io

SourcePaths SourcePaths::under(const std::string& dir) {
  return SourcePaths{dir, file_io::join(dir, "proc"), file_io::join(dir, "sys")};
}

std::optional<std::int32_t> find_socket_owner(const SocketOwners& owners, std::uint64_t inode) noexcept {
  const auto it = std::lower_bound(owners.begin(), owners.end(), inode,
                                   [](const auto& entry, std::uint64_t key) { return entry.first < key; });
  if (it == owners.end() || it->first != inode) return std::nullopt;
  return it->second;
}

}  // namespace hyperion::collectors
