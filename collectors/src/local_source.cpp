#include "hyperion/collectors/local_source.hpp"

#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <linux/magic.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>

#include "file_io.hpp"
#include "hyperion/collectors/proc_net_sockets.hpp"
#include "hyperion/collectors/proc_pid_stat.hpp"

namespace hyperion::collectors {
namespace {

using file_io::join;
using file_io::list_dir;
using file_io::pid_of;
using file_io::pread_all;
using file_io::read_at;
using file_io::read_path;

constexpr std::size_t kDirentBufferBytes = 64 * 1024;
// Longer command lines are cut by the parser anyway; reading more only costs.
constexpr std::size_t kMaxCmdlineRead = 64 * 1024;

// getdents64 records have glibc's struct dirent64 layout (d_name is NUL-terminated
// inside the record, which may be shorter than sizeof(dirent64)).
using LinuxDirent64 = struct dirent64;

void close_fd(int& fd) {
  if (fd >= 0) ::close(fd);
  fd = -1;
}

// Counts entries (other than . and ..) of an open directory.
std::optional<std::uint32_t> count_entries(int dir_fd, std::vector<char>& buf) {
  if (::lseek(dir_fd, 0, SEEK_SET) < 0) return std::nullopt;
  std::uint32_t count = 0;
  for (;;) {
    const long n = ::syscall(SYS_getdents64, dir_fd, buf.data(), buf.size());
    if (n < 0) return std::nullopt;
    if (n == 0) break;
    for (long off = 0; off < n;) {
      const auto* d = reinterpret_cast<const LinuxDirent64*>(buf.data() + off);
      if (std::strcmp(d->d_name, ".") != 0 && std::strcmp(d->d_name, "..") != 0) ++count;
      off += d->d_reclen;
    }
  }
  return count;
}

// Linux 6.2 made stat() of /proc/PID/fd report the number of open descriptors.
bool kernel_at_least(int major, int minor) {
  utsname u{};
  if (::uname(&u) != 0) return false;
  int ma = 0, mi = 0;
  const char* p = u.release;
  const char* end = p + std::strlen(p);
  auto r1 = std::from_chars(p, end, ma);
  if (r1.ec != std::errc{} || r1.ptr == end || *r1.ptr != '.') return false;
  auto r2 = std::from_chars(r1.ptr + 1, end, mi);
  if (r2.ec != std::errc{}) return false;
  return ma > major || (ma == major && mi >= minor);
}

// Each process costs up to six kept descriptors; make room for a few thousand, and
// return how many the source may keep: the limit minus headroom for the rest of the
// daemon (listening and client sockets, the database, transient reads).
std::size_t raise_descriptor_limit() {
  rlimit lim{};
  if (::getrlimit(RLIMIT_NOFILE, &lim) != 0) return 512;
  const rlim_t want = std::min<rlim_t>(lim.rlim_max, 65536);
  if (lim.rlim_cur < want) {
    lim.rlim_cur = want;
    if (::setrlimit(RLIMIT_NOFILE, &lim) != 0) ::getrlimit(RLIMIT_NOFILE, &lim);
  }
  const auto limit = static_cast<std::size_t>(lim.rlim_cur);
  const std::size_t headroom = std::max<std::size_t>(limit / 8, std::min<std::size_t>(256, limit / 2));
  return limit > headroom ? limit - headroom : 0;
}

std::string format_ifaddr(const sockaddr* addr, const sockaddr* mask) {
  char text[INET6_ADDRSTRLEN] = {};
  int prefix = 0;
  if (addr->sa_family == AF_INET) {
    const auto* a = reinterpret_cast<const sockaddr_in*>(addr);
    ::inet_ntop(AF_INET, &a->sin_addr, text, sizeof text);
    if (mask) prefix = __builtin_popcount(reinterpret_cast<const sockaddr_in*>(mask)->sin_addr.s_addr);
  } else {
    const auto* a = reinterpret_cast<const sockaddr_in6*>(addr);
    ::inet_ntop(AF_INET6, &a->sin6_addr, text, sizeof text);
    if (mask) {
      const auto* m = reinterpret_cast<const sockaddr_in6*>(mask);
      for (const auto byte : m->sin6_addr.s6_addr) prefix += __builtin_popcount(byte);
    }
  }
  return std::string(text) + "/" + std::to_string(prefix);
}

}  // namespace

LocalSource::LocalSource(SourcePaths paths) : PathSource(std::move(paths)), dirent_buf_(kDirentBufferBytes), dirent_buf_scratch_(kDirentBufferBytes) {
  proc_fd_ = ::open(paths_.proc.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  struct statfs fs {};
  live_ = proc_fd_ >= 0 && ::fstatfs(proc_fd_, &fs) == 0 && fs.f_type == PROC_SUPER_MAGIC;
  fd_count_from_size_ = live_ && kernel_at_least(6, 2);
  descriptor_budget_ = live_ ? raise_descriptor_limit() : 4096;
  const long ticks = ::sysconf(_SC_CLK_TCK);
  const long page = ::sysconf(_SC_PAGESIZE);
  if (ticks > 0) clock_ticks_ = static_cast<std::uint32_t>(ticks);
  if (page > 0) page_size_ = static_cast<std::uint32_t>(page);
  procs_.reserve(1024);
  self_pid_ = static_cast<std::int32_t>(::getpid());
  // /proc/loadavg's last PID is of the reader's PID namespace: usable only when the procfs we
  // list is of the same namespace (its "self" is us).
  if (live_) {
    char link[32] = {};
    const auto n = ::readlinkat(proc_fd_, "self", link, sizeof link - 1);
    listing_shortcut_ = n > 0 && pid_of(std::string_view(link, static_cast<std::size_t>(n))) == self_pid_;
  }
}

LocalSource::~LocalSource() {
  for (auto& [pid, e] : procs_) close_entry(e);
  for (auto& [path, fd] : kept_files_) ::close(fd);
  close_fd(proc_fd_);
}

int LocalSource::keep(int fd) const {
  if (fd >= 0) {
    const auto i = static_cast<std::size_t>(fd);
    if (i >= kept_fds_.size()) kept_fds_.resize(std::max<std::size_t>(i + 1, kept_fds_.size() * 2));
    kept_fds_[i] = true;
    ++kept_count_;
  }
  return fd;
}

void LocalSource::release(int fd) const {
  if (fd >= 0 && static_cast<std::size_t>(fd) < kept_fds_.size() && kept_fds_[static_cast<std::size_t>(fd)]) {
    kept_fds_[static_cast<std::size_t>(fd)] = false;
    --kept_count_;
  }
}

void LocalSource::close_entry(ProcEntry& e) {
  for (int* fd : {&e.dir_fd, &e.stat_fd, &e.statm_fd, &e.io_fd, &e.fd_dir_fd, &e.schedstat_fd}) {
    if (*fd >= 0) {
      kept_fds_[static_cast<std::size_t>(*fd)] = false;
      --kept_count_;
    }
    close_fd(*fd);
  }
}

bool LocalSource::open_entry(std::string_view name, ProcEntry& e) {
  // A reused entry (the PID's previous process exited) starts with empty caches.
  e.have_cache = false;
  e.single_threaded = false;
  e.schedstat.clear();
  e.scanned = false;
  e.scanned_fd_count = UINT64_MAX;
  e.socket_inodes.clear();
  const std::string dir(name);
  e.dir_fd = keep(::openat(proc_fd_, dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (e.dir_fd < 0) return false;
  e.stat_fd = keep(::openat(e.dir_fd, "stat", O_RDONLY | O_CLOEXEC));
  if (e.stat_fd < 0) {
    close_entry(e);
    return false;
  }
  e.statm_fd = keep(::openat(e.dir_fd, "statm", O_RDONLY | O_CLOEXEC));
  e.io_fd = keep(::openat(e.dir_fd, "io", O_RDONLY | O_CLOEXEC));  // EACCES for others' processes
  e.fd_dir_fd = keep(::openat(e.dir_fd, "fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  // Absent without CONFIG_SCHED_INFO: then the stat line is the only probe.
  e.schedstat_fd = keep(::openat(e.dir_fd, "schedstat", O_RDONLY | O_CLOEXEC));
  return true;
}

// Fills `raw` from an open entry. `with_strings` also reads the command line and cgroup.
// False when the stat read fails (the process exited).
bool LocalSource::read_entry(ProcEntry& e, std::int32_t pid, bool with_strings, RawProcess& raw) {
  raw.pid = pid;
  const bool refresh = with_strings || !e.have_cache || (tick_ + static_cast<std::uint64_t>(pid)) % kIdleRefreshTicks == 0;
  // A single-threaded process whose schedstat (time on a CPU in ns, and how many times it was
  // put on one) is unchanged has not run at all since the last read: everything is as read.
  bool ran = true;
  const bool probed = e.schedstat_fd >= 0 && e.single_threaded;
  if (probed) {
    if (!pread_all(e.schedstat_fd, scratch_)) return false;  // ESRCH: exited
    ran = scratch_ != e.schedstat;
    if (ran) e.schedstat.assign(scratch_);
  }
  raw.unchanged = false;
  if (!ran && !refresh) {
    ++idle_processes_;
    raw.unchanged = true;
  } else {
    // Read into a shared buffer and kept at its size: the read buffers start at 4 KiB, and
    // four of them per process would be megabytes for a few hundred bytes of text.
    if (!pread_all(e.stat_fd, scratch_)) return false;
    if (scratch_ != e.stat) e.stat.assign(scratch_);
    const auto hash = std::hash<std::string_view>{}(e.stat);
    // Several threads: the stat line (times summed over the threads) is the probe.
    const bool idle = !refresh && hash == e.stat_hash;
    e.stat_hash = hash;
    if (idle) {
      ++idle_processes_;
      raw.unchanged = true;
    } else {
      e.have_cache = true;
      if (const auto st = parse_proc_pid_stat(e.stat)) {
        e.single_threaded = st->num_threads == 1;
      } else {
        e.single_threaded = false;
      }
      if (e.single_threaded && !probed && e.schedstat_fd >= 0 && pread_all(e.schedstat_fd, scratch_)) {
        e.schedstat.assign(scratch_);
      }
      const auto read_small = [&](int fd, std::string& into) {
        if (fd < 0 || !pread_all(fd, scratch_)) {
          into.clear();
        } else if (scratch_ != into) {
          into.assign(scratch_);
        }
      };
      read_small(e.statm_fd, e.statm);
      read_small(e.io_fd, e.io);
      struct stat st {};
      e.uid = ::fstat(e.dir_fd, &st) == 0 ? st.st_uid : 0;
      e.open_fds.reset();
      if (e.fd_dir_fd >= 0) {
        if (fd_count_from_size_) {
          if (::fstat(e.fd_dir_fd, &st) == 0 && st.st_size >= 0) e.open_fds = static_cast<std::uint32_t>(st.st_size);
        } else {
          e.open_fds = count_entries(e.fd_dir_fd, dirent_buf_scratch_);
        }
      }
      e.counted_tick = tick_;
    }
  }
  raw.stat = e.stat;
  raw.statm = e.statm;
  raw.io = e.io;
  raw.uid = e.uid;
  raw.open_fds = e.open_fds;
  raw.cmdline = {};
  raw.cgroup = {};
  raw.has_strings = with_strings;
  if (with_strings) {
    read_at(e.dir_fd, "cmdline", cmdline_buf_, kMaxCmdlineRead);
    read_at(e.dir_fd, "cgroup", cgroup_buf_);
    raw.cmdline = cmdline_buf_;
    raw.cgroup = cgroup_buf_;
  }
  return true;
}

std::optional<std::int32_t> LocalSource::read_last_pid() {
  if (!listing_shortcut_) return std::nullopt;
  if (loadavg_path_.empty()) loadavg_path_ = join(paths_.proc, "loadavg");
  std::string& buf = loadavg_buf_;  // kept: no allocation per walk
  if (!read_kernel_file(loadavg_path_, buf)) return std::nullopt;
  // "0.00 0.01 0.05 1/123 4567": the last field is the PID allocated last in our namespace.
  const auto space = buf.find_last_of(' ', buf.find_last_not_of(" \n"));
  if (space == std::string::npos) return std::nullopt;
  return pid_of(std::string_view(buf).substr(space + 1, buf.find_first_of(" \n", space + 1) - space - 1));
}

void LocalSource::begin_tick(const FamilySet& families) {
  (void)families;
  fresh_fd_counts_ = false;
}

bool LocalSource::read_kernel_file(const std::string& path, std::string& buf) const {
  if (!live_) return PathSource::read_kernel_file(path, buf);
  if (const auto it = kept_files_.find(path); it != kept_files_.end()) {
    if (pread_all(it->second, buf)) return true;
    // Gone (ENODEV, ESRCH) or refusing this time (EINVAL: the speed of a link that is down):
    // forget it, and read the path as if it were new.
    release(it->second);
    ::close(it->second);
    kept_files_.erase(it);
  }
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    buf.clear();
    return false;
  }
  const bool ok = pread_all(fd, buf);
  if (ok && kept_files_.size() < kMaxKeptFiles && kept_count_ < descriptor_budget_) {
    kept_files_.emplace(path, keep(fd));
  } else {
    ::close(fd);
  }
  return ok;
}

bool LocalSource::read_sockets(std::vector<Socket>& out, std::string* error) {
  if (!live_ || sock_diag_failures_ >= kSockDiagGiveUp) return false;
  out.clear();
  if (sock_diag_.read(out, error)) {
    sock_diag_failures_ = 0;
    return true;
  }
  ++sock_diag_failures_;
  out.clear();
  return false;
}

std::size_t LocalSource::for_each_process(ProcessVisitor& visitor) {
  if (proc_fd_ < 0) return 0;
  ++tick_;
  transient_processes_ = 0;
  idle_processes_ = 0;
  std::size_t visited = 0;
  RawProcess raw;
  // Only PIDs above the last one allocated at the previous walk can be new (PIDs are handed out
  // in increasing order until they wrap): read the processes we know through their kept
  // descriptors (an exited one fails with ESRCH), and list /proc from that PID on.
  const auto last_pid = read_last_pid();
  std::int32_t list_from = 0;
  if (last_pid && listing_offset_ > 0 && previous_last_pid_ > 0 && *last_pid >= previous_last_pid_ &&
      transient_processes_last_ == 0 && tick_ % kFullListingEvery != 0) {
    list_from = previous_last_pid_ + 1;
  }
  previous_last_pid_ = last_pid.value_or(0);
  if (list_from > 0) {
    ++partial_listings_;
    for (auto& [pid, e] : procs_) {
      if (!read_entry(e, pid, false, raw)) continue;  // exited, or its PID reused: see below
      e.seen = tick_;
      raw.is_new = false;
      visitor.on_process(raw);
      ++visited;
    }
  }
  if (::lseek(proc_fd_, list_from > 0 ? listing_offset_ + list_from : 0, SEEK_SET) < 0) return visited;
  std::int64_t previous_d_off = -1;
  bool offsets_agree = true;
  std::int64_t offset = 0;
  for (;;) {
    const long n = ::syscall(SYS_getdents64, proc_fd_, dirent_buf_.data(), dirent_buf_.size());
    if (n <= 0) break;
    for (long off = 0; off < n;) {
      const auto* d = reinterpret_cast<const LinuxDirent64*>(dirent_buf_.data() + off);
      off += d->d_reclen;
      const auto pid = pid_of(d->d_name);
      const auto d_off = static_cast<std::int64_t>(d->d_off);
      if (pid && previous_d_off >= 0 && list_from == 0) {
        // Each record's d_off is the position of the next one; a PID's position is PID + a
        // constant of the kernel's (TGID_OFFSET), which a full listing measures.
        const auto candidate = previous_d_off - *pid;
        if (offset == 0) offset = candidate;
        offsets_agree = offsets_agree && candidate == offset;
      }
      previous_d_off = d_off;
      if (!pid) continue;
      auto it = procs_.find(*pid);
      if (it != procs_.end() && it->second.seen == tick_) continue;  // read above
      if (it == procs_.end() && kept_count_ + kDescriptorsPerProcess > descriptor_budget_) {
        // Over the descriptor budget: read this process the slow way, open-read-close,
        // every tick. Without a kept descriptor we cannot see a PID being reused, so the
        // command line and cgroup come every time and the Sampler decides by start time.
        ProcEntry t;
        if (open_entry(d->d_name, t)) {
          const bool ok = read_entry(t, *pid, true, raw);
          if (ok) {
            raw.is_new = false;
            visitor.on_process(raw);
            ++visited;
            ++transient_processes_;
          }
        }
        close_entry(t);
        continue;
      }
      bool is_new = false;
      if (it == procs_.end()) {
        it = procs_.try_emplace(*pid).first;
        is_new = true;
        if (!open_entry(d->d_name, it->second)) {
          procs_.erase(it);  // gone between the listing and the open
          continue;
        }
      }
      ProcEntry& e = it->second;
      if (!read_entry(e, *pid, is_new, raw)) {
        // ESRCH: the process we had open exited. If the PID is listed again it was
        // reused by a new process: open that one instead.
        close_entry(e);
        if (!open_entry(d->d_name, e) || !read_entry(e, *pid, true, raw)) {
          close_entry(e);
          procs_.erase(it);
          continue;
        }
        is_new = true;
      }
      e.seen = tick_;
      raw.is_new = is_new;
      visitor.on_process(raw);
      ++visited;
    }
  }
  if (list_from == 0) {
    listing_offset_ = offsets_agree && offset > 0 && listing_shortcut_ ? offset : 0;
    transient_processes_last_ = transient_processes_;
  }
  // Close what belonged to processes that exited.
  for (auto it = procs_.begin(); it != procs_.end();) {
    if (it->second.seen != tick_) {
      close_entry(it->second);
      it = procs_.erase(it);
    } else {
      ++it;
    }
  }
  fresh_fd_counts_ = true;
  return visited;
}

// Reads the fd links of one process and records its socket inodes.
void LocalSource::scan_sockets(std::int32_t pid, ProcEntry& e) {
  ++socket_scans_;
  e.scanned = true;
  e.socket_inodes.clear();
  if (e.fd_dir_fd < 0 || ::lseek(e.fd_dir_fd, 0, SEEK_SET) < 0) return;
  const bool self = pid == self_pid_;
  char link[64];
  for (;;) {
    const long n = ::syscall(SYS_getdents64, e.fd_dir_fd, dirent_buf_scratch_.data(), dirent_buf_scratch_.size());
    if (n <= 0) break;
    for (long off = 0; off < n;) {
      const auto* d = reinterpret_cast<const LinuxDirent64*>(dirent_buf_scratch_.data() + off);
      off += d->d_reclen;
      if (d->d_name[0] == '.') continue;
      if (self) {
        // Our own /proc/self/fd holds the thousands of descriptors we keep on other
        // processes' /proc files: skip those without a readlink each.
        const auto fd = pid_of(d->d_name);
        if (fd && static_cast<std::size_t>(*fd) < kept_fds_.size() && kept_fds_[static_cast<std::size_t>(*fd)]) {
          continue;
        }
      }
      const ssize_t len = ::readlinkat(e.fd_dir_fd, d->d_name, link, sizeof link);
      if (len <= 0) continue;
      const auto inode = parse_socket_link(std::string_view(link, static_cast<std::size_t>(len)));
      if (inode != 0) e.socket_inodes.push_back(inode);
    }
  }
}

std::uint64_t LocalSource::fd_count(ProcEntry& e, bool fresh_walk) {
  // Read by this tick's process walk: nothing more to do.
  if (fresh_walk && e.counted_tick == tick_ && e.open_fds) return *e.open_fds;
  if (fd_count_from_size_) {
    struct stat st {};
    if (::fstat(e.fd_dir_fd, &st) == 0 && st.st_size >= 0) return static_cast<std::uint64_t>(st.st_size);
  }
  return UINT64_MAX;  // unknown (before Linux 6.2): read the links again
}

void LocalSource::socket_owners(const std::vector<std::uint64_t>& wanted, SocketOwners& out,
                                std::uint32_t full_scan_every) {
  socket_scans_ = 0;
  const bool fresh_walk = fresh_fd_counts_;
  fresh_fd_counts_ = false;
  const auto gather = [&] {
    out.clear();  // keeps its capacity
    for (auto& [pid, e] : procs_) {
      for (const auto inode : e.socket_inodes) out.emplace_back(inode, pid);
    }
    // A socket shared by several processes (fork, SCM_RIGHTS) keeps the lowest PID, usually the parent.
    std::sort(out.begin(), out.end());
    out.erase(std::unique(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.first == b.first; }),
              out.end());
  };
  const auto unresolved = [&] {
    return std::any_of(wanted.begin(), wanted.end(), [&](std::uint64_t inode) {
      return inode != 0 && !find_socket_owner(out, inode) &&
             !std::binary_search(orphan_inodes_.begin(), orphan_inodes_.end(), inode);
    });
  };
  const bool first = calls_since_full_scan_ == UINT32_MAX;
  gather();
  if (!first && !unresolved()) {
    ++calls_since_full_scan_;
    return;  // every socket has a known owner: no read at all
  }
  // Some socket is new to the cache. Its owner ran since the last tick, which almost always
  // shows in its stat line: first read again the links of the processes this tick's walk read
  // in full (their count is fresh, no syscall to learn it) whose count changed, and of those
  // never read.
  const auto rescan_changed = [&](bool every_process) {
    for (auto& [pid, e] : procs_) {
      if (e.fd_dir_fd < 0) continue;
      const bool walked = fresh_walk && e.counted_tick == tick_;
      if (!first && !every_process && !walked && e.scanned) continue;
      const auto count = fd_count(e, fresh_walk);
      if (first || count == UINT64_MAX || count != e.scanned_fd_count) {
        scan_sockets(pid, e);
        e.scanned_fd_count = count;
      }
    }
    gather();
  };
  rescan_changed(false);
  const auto remember_orphans = [&] {
    // What even a full scan leaves unowned (a kernel socket: NFS, iSCSI; a process we cannot
    // read) triggers nothing more until the next full scan that something else causes.
    orphan_inodes_.clear();
    for (const auto inode : wanted) {
      if (inode != 0 && !find_socket_owner(out, inode)) orphan_inodes_.push_back(inode);
    }
    std::sort(orphan_inodes_.begin(), orphan_inodes_.end());
  };
  if (first) {  // the first call read every process: a full scan
    calls_since_full_scan_ = 0;
    remember_orphans();
    return;
  }
  // A run too short to show in the stat line: every process's count (one fstat each), at most
  // once per kCountSweepEvery calls.
  if (unresolved() && ++calls_since_count_sweep_ >= kCountSweepEvery) {
    calls_since_count_sweep_ = 0;
    rescan_changed(true);
  }
  if (++calls_since_full_scan_ < full_scan_every || !unresolved()) return;
  // Still unowned (a descriptor replaced by a socket, count unchanged): every process, now and then.
  for (auto& [pid, e] : procs_) {
    if (e.fd_dir_fd < 0) continue;
    scan_sockets(pid, e);
    e.scanned_fd_count = fd_count(e, fresh_walk);
  }
  gather();
  calls_since_full_scan_ = 0;
  remember_orphans();
}

std::vector<InterfaceAddress> LocalSource::interface_addresses() const {
  std::vector<InterfaceAddress> out;
  if (!live_) return out;
  ifaddrs* list = nullptr;
  if (::getifaddrs(&list) != 0) return out;
  for (const ifaddrs* a = list; a; a = a->ifa_next) {
    if (!a->ifa_addr || (a->ifa_addr->sa_family != AF_INET && a->ifa_addr->sa_family != AF_INET6)) continue;
    out.push_back({a->ifa_name, format_ifaddr(a->ifa_addr, a->ifa_netmask)});
  }
  ::freeifaddrs(list);
  return out;
}

std::string LocalSource::architecture() const {
  utsname u{};
  if (::uname(&u) != 0) return "unknown";
  return u.machine;
}

std::size_t LocalSource::kept_descriptors() const noexcept { return kept_count_; }

}  // namespace hyperion::collectors
