#include "hyperion/collectors/tree_source.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>

#include "file_io.hpp"
#include "hyperion/collectors/proc_net_sockets.hpp"
#include "hyperion/collectors/text.hpp"

namespace hyperion::collectors {

using file_io::join;

TreeSource::TreeSource(SourcePaths paths) : PathSource(std::move(paths)) {}

std::size_t TreeSource::for_each_process(ProcessVisitor& visitor) {
  std::unordered_set<std::int32_t> seen;
  std::size_t visited = 0;
  RawProcess raw;
  for (const auto& name : file_io::list_dir(paths_.proc, true)) {
    const auto pid = file_io::pid_of(name);
    if (!pid) continue;
    const auto dir = join(paths_.proc, name);
    if (!file_io::read_path(dir + "/stat", stat_buf_)) continue;
    raw = RawProcess{};
    raw.pid = *pid;
    raw.stat = stat_buf_;
    raw.statm = file_io::read_path(dir + "/statm", statm_buf_) ? std::string_view(statm_buf_) : std::string_view();
    raw.io = file_io::read_path(dir + "/io", io_buf_) ? std::string_view(io_buf_) : std::string_view();
    struct stat st {};
    raw.uid = ::stat(dir.c_str(), &st) == 0 ? st.st_uid : 0;
    if (::access((dir + "/fd").c_str(), F_OK) == 0) {
      raw.open_fds = static_cast<std::uint32_t>(file_io::list_dir(dir + "/fd", false).size());
    }
    file_io::read_path(dir + "/cmdline", cmdline_buf_);
    file_io::read_path(dir + "/cgroup", cgroup_buf_);
    raw.cmdline = cmdline_buf_;
    raw.cgroup = cgroup_buf_;
    raw.has_strings = true;
    raw.is_new = !seen_.contains(*pid);
    seen.insert(*pid);
    visitor.on_process(raw);
    ++visited;
  }
  seen_ = std::move(seen);
  return visited;
}

void TreeSource::socket_owners(const std::vector<std::uint64_t>& wanted, SocketOwners& out) {
  out.clear();
  if (wanted.empty()) return;
  char target[256];
  for (const auto pid : seen_) {
    const auto fd_dir = join(paths_.proc, std::to_string(pid)) + "/fd";
    for (const auto& fd : file_io::list_dir(fd_dir, false)) {
      const auto n = ::readlink((fd_dir + "/" + fd).c_str(), target, sizeof target);
      if (n <= 0) continue;
      const auto inode = parse_socket_link(std::string_view(target, static_cast<std::size_t>(n)));
      if (inode != 0 && std::binary_search(wanted.begin(), wanted.end(), inode)) out.emplace_back(inode, pid);
    }
  }
  std::sort(out.begin(), out.end());
}

std::string TreeSource::architecture() const {
  std::string buf;
  if (read_proc("sys/kernel/arch", buf)) {
    const auto arch = text::trim(buf);
    if (!arch.empty()) return std::string(arch);
  }
  return "unknown";
}

}  // namespace hyperion::collectors
