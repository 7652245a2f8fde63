// collect_bench: what one local sample costs, next to what only reading the same files costs.
//
// Variants, timed in two phases (process, then full), interleaved within a phase: each round
// runs every variant once, in an order rotated each round, so machine noise hits them alike.
// The phases run apart because every variant that keeps descriptors holds five per process,
// and the full tick's socket-owner scan reads the fd links of every process, this one too.
//   process tick   Collector::collect({processes}): the hot path, scales with processes
//   floor (kept)   the same per-process reads done the same way (kept-open descriptors,
//                  pread of stat/statm/io, fstat of /proc/PID and /proc/PID/fd, getdents64
//                  of /proc), with no parsing: the floor of the process tick
//   floor (naive)  open+read+close of /proc/PID/{stat,statm,io} each tick, for context
//   full tick      collect(every family but host)
//   floor (full)   the kept floor plus a plain read of every other file a full tick reads
//   full alone     the full tick with only its own descriptors open, as in the daemon
//
// Then it counts heap allocations (every malloc, operator new included) during steady-state
// process and full ticks. With --trace-allocs it prints where each allocation of one steady
// tick comes from.
//
// Run it through bench/run.sh, which sets up ~500 processes. Numbers: docs/BENCHMARKS.md.

#include <cxxabi.h>
#include <dirent.h>
#include <dlfcn.h>
#include <execinfo.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <map>
#include <new>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "hyperion/collectors/collector.hpp"
#include "hyperion/collectors/local_source.hpp"
#include "hyperion/collectors/proc_diskstats.hpp"
#include "hyperion/collectors/proc_net_dev.hpp"
#include "hyperion/collectors/proc_self_mountinfo.hpp"
#include "hyperion/collectors/sys_hwmon.hpp"

// ---------------------------------------------------------------------------------------
// Allocation counting. Replacing the allocator needs process-wide state, so this is the one
// place with globals; it lives in this benchmark binary only. We count at two levels:
// operator new (every form) and malloc itself (glibc supports replacing malloc, free,
// calloc and realloc; we forward to its own __libc_* entry points), so allocations made by
// the C library (opendir, getifaddrs, ...) are counted too. Sanitizers bring their own
// allocator: under them the hooks are left out and the counts are reported as unavailable.

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define HYPERION_BENCH_COUNT_ALLOCS 0
#else
#define HYPERION_BENCH_COUNT_ALLOCS 1
#endif

namespace {

constexpr int kTraceDepth = 24;
constexpr std::size_t kMaxTraces = 8192;

struct AllocTrace {
  void* frames[kTraceDepth];
  int depth;
  std::size_t bytes;
};

struct AllocCounters {
  std::atomic<std::uint64_t> mallocs{0};     // malloc, calloc, realloc, aligned forms
  std::atomic<std::uint64_t> news{0};        // operator new, every form
  bool tracing = false;
  bool in_hook = false;                      // backtrace() may allocate (first use)
  std::size_t traces_taken = 0;
  std::size_t traces_dropped = 0;
  AllocTrace traces[kMaxTraces];
};

AllocCounters g_allocs;  // NOLINT: see above, an allocator hook is process-wide by nature

[[gnu::noinline, maybe_unused]] void note_malloc(std::size_t bytes) noexcept {
  g_allocs.mallocs.fetch_add(1, std::memory_order_relaxed);
  if (!g_allocs.tracing || g_allocs.in_hook) return;
  if (g_allocs.traces_taken >= kMaxTraces) {
    ++g_allocs.traces_dropped;
    return;
  }
  g_allocs.in_hook = true;
  AllocTrace& t = g_allocs.traces[g_allocs.traces_taken++];
  t.depth = ::backtrace(t.frames, kTraceDepth);
  t.bytes = bytes;
  g_allocs.in_hook = false;
}

}  // namespace

#if HYPERION_BENCH_COUNT_ALLOCS

extern "C" {
void* __libc_malloc(std::size_t size);
void* __libc_calloc(std::size_t count, std::size_t size);
void* __libc_realloc(void* p, std::size_t size);
void* __libc_memalign(std::size_t alignment, std::size_t size);
void __libc_free(void* p);

void* malloc(std::size_t size) noexcept {
  note_malloc(size);
  return __libc_malloc(size);
}
void* calloc(std::size_t count, std::size_t size) noexcept {
  note_malloc(count * size);
  return __libc_calloc(count, size);
}
void* realloc(void* p, std::size_t size) noexcept {
  note_malloc(size);  // may move the block: counted as an allocation
  return __libc_realloc(p, size);
}
void* memalign(std::size_t alignment, std::size_t size) noexcept {
  note_malloc(size);
  return __libc_memalign(alignment, size);
}
void* aligned_alloc(std::size_t alignment, std::size_t size) noexcept {
  note_malloc(size);
  return __libc_memalign(alignment, size);
}
int posix_memalign(void** out, std::size_t alignment, std::size_t size) noexcept {
  if (alignment < sizeof(void*) || (alignment & (alignment - 1)) != 0) return EINVAL;
  note_malloc(size);
  void* p = __libc_memalign(alignment, size);
  if (!p) return ENOMEM;
  *out = p;
  return 0;
}
void free(void* p) noexcept { __libc_free(p); }
}  // extern "C"

namespace {

void* counted_new(std::size_t size) {
  g_allocs.news.fetch_add(1, std::memory_order_relaxed);
  for (;;) {
    if (void* p = std::malloc(size ? size : 1)) return p;  // counted again as a malloc
    const std::new_handler handler = std::get_new_handler();
    if (!handler) throw std::bad_alloc();
    handler();
  }
}

void* counted_new_aligned(std::size_t size, std::align_val_t al) {
  g_allocs.news.fetch_add(1, std::memory_order_relaxed);
  const auto alignment = std::max(static_cast<std::size_t>(al), sizeof(void*));
  for (;;) {
    void* p = nullptr;
    if (::posix_memalign(&p, alignment, size ? size : 1) == 0) return p;
    const std::new_handler handler = std::get_new_handler();
    if (!handler) throw std::bad_alloc();
    handler();
  }
}

template <class F>
void* no_throw(F&& f) noexcept {
  try {
    return f();
  } catch (...) {
    return nullptr;
  }
}

}  // namespace

void* operator new(std::size_t size) { return counted_new(size); }
void* operator new[](std::size_t size) { return counted_new(size); }
void* operator new(std::size_t size, const std::nothrow_t&) noexcept {
  return no_throw([&] { return counted_new(size); });
}
void* operator new[](std::size_t size, const std::nothrow_t&) noexcept {
  return no_throw([&] { return counted_new(size); });
}
void* operator new(std::size_t size, std::align_val_t al) { return counted_new_aligned(size, al); }
void* operator new[](std::size_t size, std::align_val_t al) { return counted_new_aligned(size, al); }
void* operator new(std::size_t size, std::align_val_t al, const std::nothrow_t&) noexcept {
  return no_throw([&] { return counted_new_aligned(size, al); });
}
void* operator new[](std::size_t size, std::align_val_t al, const std::nothrow_t&) noexcept {
  return no_throw([&] { return counted_new_aligned(size, al); });
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }
void operator delete(void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete(void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }
void operator delete(void* p, std::align_val_t, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete[](void* p, std::align_val_t, const std::nothrow_t&) noexcept { std::free(p); }

#endif  // HYPERION_BENCH_COUNT_ALLOCS

namespace hyperion::bench {
namespace {

using collectors::all_families;
using collectors::CollectorSettings;
using collectors::Family;
using collectors::FamilySet;
using collectors::families_of;
using collectors::Collector;
using collectors::LocalSource;
using collectors::SourcePaths;
using Clock = std::chrono::steady_clock;
using LinuxDirent64 = struct dirent64;

constexpr std::size_t kDirentBufferBytes = 64 * 1024;
constexpr std::size_t kSmallReadBytes = 4096;      // the source's minimum read buffer
constexpr std::size_t kWholeFileBytes = 64 * 1024;  // grows when a file is larger

// ------------------------------------------------------------------ plain I/O helpers

// pread from offset 0 until a short read, the way the source's pread_all reads a kept
// descriptor; the buffer only grows. No parsing: the bytes are not looked at.
bool pread_whole(int fd, std::vector<char>& buf) {
  std::size_t len = 0;
  for (;;) {
    const std::size_t want = buf.size() - len;
    const ssize_t n = ::pread(fd, buf.data() + len, want, static_cast<off_t>(len));
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    len += static_cast<std::size_t>(n);
    if (static_cast<std::size_t>(n) < want) return true;
    buf.resize(buf.size() * 2);
  }
}

bool read_file_at(int dir_fd, const char* path, std::vector<char>& buf) {
  const int fd = ::openat(dir_fd, path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  const bool ok = pread_whole(fd, buf);
  ::close(fd);
  return ok;
}

bool read_file(const std::string& path, std::vector<char>& buf) { return read_file_at(AT_FDCWD, path.c_str(), buf); }

// Calls f(name) for each entry of an open directory, from its start.
template <class F>
void for_each_dirent(int dir_fd, std::vector<char>& buf, F&& f) {
  if (::lseek(dir_fd, 0, SEEK_SET) < 0) return;
  for (;;) {
    const long n = ::syscall(SYS_getdents64, dir_fd, buf.data(), buf.size());
    if (n <= 0) return;
    for (long off = 0; off < n;) {
      const auto* d = reinterpret_cast<const LinuxDirent64*>(buf.data() + off);
      off += d->d_reclen;
      f(static_cast<const char*>(d->d_name));
    }
  }
}

// Entry names of a directory, as LocalSource::list_sys lists them (opendir/readdir).
std::size_t list_dir(const std::string& path) {
  DIR* dir = ::opendir(path.c_str());
  if (!dir) return 0;
  std::size_t n = 0;
  while (::readdir(dir)) ++n;
  ::closedir(dir);
  return n;
}

std::vector<std::string> dir_names(const std::string& path) {
  std::vector<std::string> names;
  DIR* dir = ::opendir(path.c_str());
  if (!dir) return names;
  while (const dirent* d = ::readdir(dir)) {
    if (d->d_name[0] != '.') names.emplace_back(d->d_name);
  }
  ::closedir(dir);
  std::sort(names.begin(), names.end());
  return names;
}

std::int32_t pid_of(const char* name) {
  std::int32_t pid = 0;
  const auto len = std::strlen(name);
  const auto [ptr, ec] = std::from_chars(name, name + len, pid);
  return ec == std::errc{} && ptr == name + len ? pid : 0;
}

std::string file_text(const std::string& path) {
  std::vector<char> buf(kWholeFileBytes);
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return {};
  std::string out;
  for (;;) {
    const ssize_t n = ::read(fd, buf.data(), buf.size());
    if (n <= 0) break;
    out.append(buf.data(), static_cast<std::size_t>(n));
  }
  ::close(fd);
  return out;
}

bool kernel_at_least(int major, int minor) {
  utsname u{};
  if (::uname(&u) != 0) return false;
  int ma = 0, mi = 0;
  const char* end = u.release + std::strlen(u.release);
  const auto r1 = std::from_chars(u.release, end, ma);
  if (r1.ec != std::errc{} || r1.ptr == end || *r1.ptr != '.') return false;
  if (std::from_chars(r1.ptr + 1, end, mi).ec != std::errc{}) return false;
  return ma > major || (ma == major && mi >= minor);
}

// ------------------------------------------------------------------ the floors

// Floor of the process tick: the reads LocalSource::for_each_process makes, made the same
// way (kept-open descriptors, pread, fstat, getdents64), without parsing anything.
class KeptFloor {
 public:
  KeptFloor()
      : proc_fd_(::open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC)),
        fd_count_from_size_(kernel_at_least(6, 2)),
        dirents_(kDirentBufferBytes),
        scratch_(kDirentBufferBytes),
        small_(kSmallReadBytes),
        first_read_(kSmallReadBytes) {
    procs_.reserve(1024);
  }
  ~KeptFloor() {
    for (auto& [pid, e] : procs_) close_entry(e);
    if (proc_fd_ >= 0) ::close(proc_fd_);
  }
  KeptFloor(const KeptFloor&) = delete;
  KeptFloor& operator=(const KeptFloor&) = delete;

  // One tick; returns the number of processes read.
  std::size_t tick() {
    ++tick_;
    struct stat st {};
    ::stat("/etc/passwd", &st);  // the collector checks /etc/passwd for changes every tick
    std::size_t read = 0;
    for_each_dirent(proc_fd_, dirents_, [&](const char* name) {
      const auto pid = pid_of(name);
      if (pid <= 0) return;
      auto [it, inserted] = procs_.try_emplace(pid);
      Entry& e = it->second;
      bool fresh = inserted;
      if (inserted && !open_entry(name, e)) {
        procs_.erase(it);
        return;
      }
      if (!pread_whole(e.stat_fd, small_)) {  // exited (ESRCH); a listed PID was reused
        close_entry(e);
        if (!open_entry(name, e) || !pread_whole(e.stat_fd, small_)) {
          close_entry(e);
          procs_.erase(it);
          return;
        }
        fresh = true;
      }
      e.seen = tick_;
      if (e.statm_fd >= 0) pread_whole(e.statm_fd, small_);
      if (e.io_fd >= 0) pread_whole(e.io_fd, small_);
      ::fstat(e.dir_fd, &st);
      if (e.fd_dir_fd >= 0) {
        if (fd_count_from_size_) {
          ::fstat(e.fd_dir_fd, &st);
        } else {
          for_each_dirent(e.fd_dir_fd, scratch_, [](const char*) {});
        }
      }
      if (fresh) {  // the source reads these once per new process
        read_file_at(e.dir_fd, "cmdline", first_read_);
        read_file_at(e.dir_fd, "cgroup", first_read_);
      }
      ++read;
    });
    for (auto it = procs_.begin(); it != procs_.end();) {
      if (it->second.seen != tick_) {
        close_entry(it->second);
        it = procs_.erase(it);
      } else {
        ++it;
      }
    }
    return read;
  }

  // The socket-owner scan of LocalSource::socket_owners: readlink of every /proc/PID/fd entry,
  // except, in our own /proc/self/fd, the descriptors this floor keeps open (as the source
  // skips its own).
  void socket_scan() {
    char link[64];
    const auto self = static_cast<std::int32_t>(::getpid());
    for (auto& [pid, e] : procs_) {
      if (e.fd_dir_fd < 0) continue;
      const int dir_fd = e.fd_dir_fd;
      const bool is_self = pid == self;
      for_each_dirent(dir_fd, scratch_, [&](const char* name) {
        if (name[0] == '.') return;
        if (is_self) {
          const auto fd = static_cast<std::size_t>(std::strtoul(name, nullptr, 10));
          if (fd < kept_.size() && kept_[fd]) return;
        }
        if (::readlinkat(dir_fd, name, link, sizeof link) > 0) ++links_;
      });
    }
  }

 private:
  struct Entry {
    int dir_fd = -1, stat_fd = -1, statm_fd = -1, io_fd = -1, fd_dir_fd = -1;
    std::uint64_t seen = 0;
  };
  static void close_fd(int& fd) {
    if (fd >= 0) ::close(fd);
    fd = -1;
  }
  int keep(int fd) {
    if (fd >= 0) {
      const auto i = static_cast<std::size_t>(fd);
      if (i >= kept_.size()) kept_.resize(std::max<std::size_t>(i + 1, kept_.size() * 2));
      kept_[i] = true;
    }
    return fd;
  }
  void close_entry(Entry& e) {
    for (int* fd : {&e.dir_fd, &e.stat_fd, &e.statm_fd, &e.io_fd, &e.fd_dir_fd}) {
      if (*fd >= 0) kept_[static_cast<std::size_t>(*fd)] = false;
      close_fd(*fd);
    }
  }
  bool open_entry(const char* name, Entry& e) {
    e.dir_fd = keep(::openat(proc_fd_, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (e.dir_fd < 0) return false;
    e.stat_fd = keep(::openat(e.dir_fd, "stat", O_RDONLY | O_CLOEXEC));
    if (e.stat_fd < 0) {
      close_entry(e);
      return false;
    }
    e.statm_fd = keep(::openat(e.dir_fd, "statm", O_RDONLY | O_CLOEXEC));
    e.io_fd = keep(::openat(e.dir_fd, "io", O_RDONLY | O_CLOEXEC));
    e.fd_dir_fd = keep(::openat(e.dir_fd, "fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    return true;
  }

  int proc_fd_;
  bool fd_count_from_size_;
  std::unordered_map<std::int32_t, Entry> procs_;
  std::vector<bool> kept_;  // descriptors this floor keeps, by number
  std::uint64_t tick_ = 0;
  std::uint64_t links_ = 0;
  std::vector<char> dirents_, scratch_, small_, first_read_;
};

// For context: what a collector that opens each file every tick would pay.
class NaiveFloor {
 public:
  NaiveFloor() : proc_fd_(::open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC)), dirents_(kDirentBufferBytes), buf_(kSmallReadBytes) {}
  ~NaiveFloor() {
    if (proc_fd_ >= 0) ::close(proc_fd_);
  }
  NaiveFloor(const NaiveFloor&) = delete;
  NaiveFloor& operator=(const NaiveFloor&) = delete;

  std::size_t tick() {
    std::size_t read = 0;
    char path[64];
    for_each_dirent(proc_fd_, dirents_, [&](const char* name) {
      if (pid_of(name) <= 0) return;
      bool ok = false;
      for (const char* file : {"stat", "statm", "io"}) {
        *fmt::format_to_n(path, sizeof path - 1, "/proc/{}/{}", name, file).out = '\0';
        const int fd = ::open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0) continue;
        ok = ::read(fd, buf_.data(), buf_.size()) > 0 || ok;
        ::close(fd);
      }
      read += ok ? 1 : 0;
    });
    return read;
  }

 private:
  int proc_fd_;
  std::vector<char> dirents_, buf_;
};

// Floor of the full tick: the kept floor plus a plain read of everything else the full tick
// reads (collectors/src/collector.cpp, in its order). Which interfaces, disks, mounts
// and sensors there are is worked out once here, outside the timed loop.
class FullFloor {
 public:
  FullFloor() : buf_(kWholeFileBytes) {
    for (const char* f : {"loadavg", "uptime", "pressure/cpu", "pressure/memory", "pressure/io", "stat", "meminfo"}) {
      system_cpu_memory_.push_back(std::string("/proc/") + f);
    }
    // network: /proc/net/dev, getifaddrs(), four sysfs attributes per interface
    if (auto devs = collectors::parse_proc_net_dev(file_text("/proc/net/dev"))) {
      for (const auto& d : *devs) {
        for (const char* a : {"mtu", "operstate", "speed", "address"}) {
          net_attributes_.push_back(fmt::format("/sys/class/net/{}/{}", d.name, a));
        }
      }
    }
    // sockets: the four tables, then the socket-owner fd link scan
    for (const char* f : {"net/tcp", "net/tcp6", "net/udp", "net/udp6"}) socket_tables_.push_back(std::string("/proc/") + f);
    // disks: diskstats, then access() of class/block/NAME/partition for the disks shown
    if (auto disks = collectors::parse_proc_diskstats(file_text("/proc/diskstats"))) {
      for (const auto& d : *disks) {
        if (!collectors::is_idle_virtual_disk(d)) partition_probes_.push_back(fmt::format("/sys/class/block/{}/partition", d.name));
      }
    }
    // filesystems: mountinfo, then statvfs() of every mount that is not a pseudo filesystem
    if (auto mounts = collectors::parse_proc_self_mountinfo(file_text("/proc/self/mountinfo"))) {
      for (const auto& m : *mounts) {
        if (!collectors::is_pseudo_filesystem(m.fstype)) mount_points_.push_back(m.mount_point);
      }
    }
    // sensors: the hwmon and thermal listings and the attribute files collect_sensors reads
    sensor_dirs_ = {"/sys/class/hwmon", "/sys/class/thermal"};
    for (const auto& hw : dir_names("/sys/class/hwmon")) {
      std::string dir = "/sys/class/hwmon/" + hw + "/";
      sensor_files_.push_back(dir + "name");
      sensor_dirs_.push_back(dir);
      auto files = dir_names(dir);
      if (std::none_of(files.begin(), files.end(), [](const std::string& f) { return f.ends_with("_input"); })) {
        dir += "device/";
        sensor_dirs_.push_back(dir);
        files = dir_names(dir);
      }
      for (const auto& f : files) {
        const auto attr = collectors::parse_hwmon_attribute_name(f);
        if (!attr || attr->item != "input" || (attr->kind != "temp" && attr->kind != "fan")) continue;
        const std::string prefix = fmt::format("{}{}{}_", dir, attr->kind, attr->index);
        sensor_files_.push_back(dir + f);
        if (attr->kind == "temp") {
          sensor_files_.push_back(prefix + "max");
          sensor_files_.push_back(prefix + "crit");
        }
        sensor_files_.push_back(prefix + "label");
      }
    }
    for (const auto& zone : dir_names("/sys/class/thermal")) {
      if (!zone.starts_with("thermal_zone")) continue;
      sensor_files_.push_back("/sys/class/thermal/" + zone + "/temp");
      sensor_files_.push_back("/sys/class/thermal/" + zone + "/type");
    }
  }

  std::size_t tick() {
    for (const auto& p : system_cpu_memory_) read_file(p, buf_);
    const std::size_t read = procs_.tick();
    read_file("/proc/net/dev", buf_);
    ifaddrs* list = nullptr;
    if (::getifaddrs(&list) == 0) ::freeifaddrs(list);
    for (const auto& p : net_attributes_) read_file(p, buf_);
    for (const auto& p : socket_tables_) read_file(p, buf_);
    procs_.socket_scan();
    read_file("/proc/diskstats", buf_);
    for (const auto& p : partition_probes_) ::access(p.c_str(), F_OK);
    read_file("/proc/self/mountinfo", buf_);
    struct statvfs v {};
    for (const auto& m : mount_points_) ::statvfs(m.c_str(), &v);
    for (const auto& d : sensor_dirs_) list_dir(d);
    for (const auto& p : sensor_files_) read_file(p, buf_);
    return read;
  }

  std::string describe() const {
    return fmt::format("{} interface attributes, {} disk probes, {} statvfs, {} sensor files", net_attributes_.size(),
                       partition_probes_.size(), mount_points_.size(), sensor_files_.size());
  }

 private:
  KeptFloor procs_;
  std::vector<char> buf_;
  std::vector<std::string> system_cpu_memory_, net_attributes_, socket_tables_, partition_probes_, mount_points_,
      sensor_dirs_, sensor_files_;
};

// ------------------------------------------------------------------ the collector

class CollectorTick {
 public:
  explicit CollectorTick(FamilySet families) : collector_(source_, "local"), families_(families) {}

  std::size_t tick() {
    const double now = std::chrono::duration<double>(Clock::now().time_since_epoch()).count();
    const auto wall_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                             std::chrono::system_clock::now().time_since_epoch())
                             .count();
    const auto snap = collector_.collect(families_, now, wall_ms);
    if (!snap->errors.empty() && !warned_) {
      warned_ = true;
      for (const auto& e : snap->errors) {
        fmt::print(stderr, "collector: {}: {}\n", collectors::to_string(e.family), e.detail);
      }
    }
    threads_ = snap->processes ? snap->processes->counts.threads : 0;
    return snap->processes ? snap->processes->counts.total : 0;
  }
  std::uint64_t threads() const noexcept { return threads_; }

 private:
  LocalSource source_{SourcePaths{}};
  Collector collector_;
  FamilySet families_;
  std::uint64_t threads_ = 0;
  bool warned_ = false;
};

// ------------------------------------------------------------------ timing

struct Variant {
  std::string name;
  std::function<std::size_t()> tick;
  int floor = -1;              // index of the variant it is compared with
  std::vector<double> micros;      // wall time of each recorded tick, one per round
  std::vector<double> cpu_micros;  // on-CPU time of the same ticks (user + kernel)
  std::size_t processes_min = SIZE_MAX, processes_max = 0;
};

// CPU time of this thread, exact (the scheduler's runtime): unlike the wall time it leaves
// out the time other programs on the machine held the CPU.
double thread_cpu_micros() {
  timespec ts{};
  ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) * 1e6 + static_cast<double>(ts.tv_nsec) / 1e3;
}

Variant make_variant(std::string name, std::function<std::size_t()> tick, int floor) {
  Variant v;
  v.name = std::move(name);
  v.tick = std::move(tick);
  v.floor = floor;
  return v;
}

double percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const auto idx = static_cast<std::size_t>(p * static_cast<double>(v.size() - 1) + 0.5);
  return v[std::min(idx, v.size() - 1)];
}

// Runs `rounds` recorded rounds after `warmup` ones, or fewer when the recorded rounds take
// longer than `max_seconds` (but at least 30). Returns the number of recorded rounds.
int run_interleaved(std::vector<Variant>& variants, int warmup, int rounds, double max_seconds) {
  const std::size_t n = variants.size();
  Clock::time_point start;
  int recorded = 0;
  for (int r = 0; r < warmup + rounds; ++r) {
    if (r == warmup) start = Clock::now();
    if (r > warmup && recorded >= 30 &&
        std::chrono::duration<double>(Clock::now() - start).count() > max_seconds) {
      break;
    }
    for (std::size_t k = 0; k < n; ++k) {
      Variant& v = variants[(static_cast<std::size_t>(r) + k) % n];  // rotate the order each round
      const double cpu0 = thread_cpu_micros();
      const auto t0 = Clock::now();
      const std::size_t processes = v.tick();
      const auto t1 = Clock::now();
      const double cpu1 = thread_cpu_micros();
      if (r < warmup) continue;
      v.micros.push_back(std::chrono::duration<double, std::micro>(t1 - t0).count());
      v.cpu_micros.push_back(cpu1 - cpu0);
      v.processes_min = std::min(v.processes_min, processes);
      v.processes_max = std::max(v.processes_max, processes);
    }
    if (r >= warmup) ++recorded;
  }
  return recorded;
}

std::string processes_text(const Variant& v) {
  if (v.processes_min == v.processes_max) return std::to_string(v.processes_min);
  return fmt::format("{}–{}", v.processes_min, v.processes_max);
}

// Ratios to the floor: of the medians, of the p90s, and the median of the per-round ratios
// (each tick against the floor tick of the same round, which cancels slow phases of the
// machine).
void print_timing(const std::vector<Variant>& variants) {
  fmt::print("| variant | median µs/tick | p90 µs/tick | ÷ floor: median | ÷ floor: p90 | ÷ floor: per round | "
             "median on-CPU µs/tick (÷ floor) | processes |\n");
  fmt::print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n");
  for (std::size_t i = 0; i < variants.size(); ++i) {
    const auto& v = variants[i];
    const double med = percentile(v.micros, 0.5), p90 = percentile(v.micros, 0.9);
    const double cpu = percentile(v.cpu_micros, 0.5);
    const bool is_floor = std::any_of(variants.begin(), variants.end(),
                                      [&](const Variant& x) { return x.floor == static_cast<int>(i); });
    const std::string none = is_floor ? "floor" : "—";
    std::string r_med = none, r_p90 = none, r_round = none, r_cpu;
    if (v.floor >= 0) {
      const auto& f = variants[static_cast<std::size_t>(v.floor)];
      std::vector<double> per_round;
      for (std::size_t r = 0; r < std::min(v.micros.size(), f.micros.size()); ++r) {
        per_round.push_back(v.micros[r] / f.micros[r]);
      }
      r_med = fmt::format("**{:.2f}×**", med / percentile(f.micros, 0.5));
      r_p90 = fmt::format("{:.2f}×", p90 / percentile(f.micros, 0.9));
      r_round = fmt::format("{:.2f}×", percentile(per_round, 0.5));
      r_cpu = fmt::format(" ({:.2f}×)", cpu / percentile(f.cpu_micros, 0.5));
    }
    fmt::print("| {} | {:.0f} | {:.0f} | {} | {} | {} | {:.0f}{} | {} |\n", v.name, med, p90, r_med, r_p90, r_round, cpu,
               r_cpu, processes_text(v));
  }
}

// ------------------------------------------------------------------ allocations

// A tick in which a process appeared also allocates for it (its command line, cgroup and
// name are read and shared once, and its map entries are made): that is per new process,
// not per process per tick. Other programs on the machine start processes at any time, so
// the median tick is the steady-state figure and the mean shows the churn.
struct AllocCount {
  std::size_t processes = 0;
  std::vector<std::uint64_t> mallocs, news;  // per tick
};

AllocCount count_allocations(CollectorTick& c, int ticks) {
  AllocCount out;
  out.mallocs.reserve(static_cast<std::size_t>(ticks));
  out.news.reserve(static_cast<std::size_t>(ticks));
  for (int i = 0; i < ticks; ++i) {
    const auto m0 = g_allocs.mallocs.load(std::memory_order_relaxed);
    const auto n0 = g_allocs.news.load(std::memory_order_relaxed);
    out.processes = c.tick();
    const auto m1 = g_allocs.mallocs.load(std::memory_order_relaxed);
    const auto n1 = g_allocs.news.load(std::memory_order_relaxed);
    out.mallocs.push_back(m1 - m0);
    out.news.push_back(n1 - n0);
  }
  return out;
}

std::uint64_t median_of(std::vector<std::uint64_t> v) {
  if (v.empty()) return 0;
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(v.size() / 2), v.end());
  return v[v.size() / 2];
}

double mean_of(const std::vector<std::uint64_t>& v) {
  double sum = 0;
  for (const auto x : v) sum += static_cast<double>(x);
  return v.empty() ? 0 : sum / static_cast<double>(v.size());
}

void print_allocations(const std::vector<std::pair<std::string, AllocCount>>& rows) {
  fmt::print("| tick | processes | allocations per tick: median | min–max | mean | of which operator new (median) | "
             "median per process per tick |\n");
  fmt::print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |\n");
  for (const auto& [name, a] : rows) {
    const auto med = median_of(a.mallocs);
    const auto [lo, hi] = std::minmax_element(a.mallocs.begin(), a.mallocs.end());
    fmt::print("| {} ({} ticks) | {} | {} | {}–{} | {:.1f} | {} | {:.4f} |\n", name, a.mallocs.size(), a.processes, med, *lo,
               *hi, mean_of(a.mallocs), median_of(a.news),
               a.processes ? static_cast<double>(med) / static_cast<double>(a.processes) : 0.0);
  }
}

std::string symbol_of(void* addr) {
  Dl_info info{};
  // A return address points after the call: look up the byte before it.
  void* const at = static_cast<char*>(addr) - 1;
  if (::dladdr(at, &info) == 0) return fmt::format("{}", addr);
  std::string name = "?";
  if (info.dli_sname) {
    int status = 0;
    char* demangled = abi::__cxa_demangle(info.dli_sname, nullptr, nullptr, &status);
    name = status == 0 && demangled ? demangled : info.dli_sname;
    std::free(demangled);
    if (name.size() > 140) name = name.substr(0, 137) + "...";
  }
  const char* file = info.dli_fname ? std::strrchr(info.dli_fname, '/') : nullptr;
  file = file ? file + 1 : (info.dli_fname ? info.dli_fname : "?");
  const auto offset = static_cast<std::size_t>(static_cast<char*>(at) - static_cast<char*>(info.dli_fbase));
  return fmt::format("{}  [{}+{:#x}]", name, file, offset);
}

// Records a backtrace of every allocation during one tick and prints them grouped by stack.
// Traces ticks until one allocates no more than `steady` times (the median of the count, so
// no process appeared in it), at most 50 ticks; prints the last one traced.
void trace_allocations(const std::string& name, CollectorTick& c, std::uint64_t steady) {
  void* warm[4];
  ::backtrace(warm, 4);  // loads the unwinder before tracing starts
  std::size_t processes = 0;
  for (int attempt = 0; attempt < 50; ++attempt) {
    g_allocs.traces_taken = 0;
    g_allocs.traces_dropped = 0;
    g_allocs.tracing = true;
    processes = c.tick();
    g_allocs.tracing = false;
    if (g_allocs.traces_taken + g_allocs.traces_dropped <= steady) break;
  }
  std::map<std::vector<void*>, std::pair<std::size_t, std::size_t>> stacks;  // frames -> (count, bytes)
  for (std::size_t i = 0; i < g_allocs.traces_taken; ++i) {
    const auto& t = g_allocs.traces[i];
    // Frame 0 is note_malloc; keep the rest.
    std::vector<void*> frames(t.frames + std::min(1, t.depth), t.frames + t.depth);
    auto& s = stacks[frames];
    ++s.first;
    s.second += t.bytes;
  }
  std::vector<std::pair<std::vector<void*>, std::pair<std::size_t, std::size_t>>> sorted(stacks.begin(), stacks.end());
  std::stable_sort(sorted.begin(), sorted.end(), [](const auto& a, const auto& b) { return a.second.first > b.second.first; });
  fmt::print("\n### Allocations in one steady {} ({} processes): {} in {} distinct stacks{}\n", name, processes,
             g_allocs.traces_taken, sorted.size(),
             g_allocs.traces_dropped ? fmt::format(" ({} more not traced)", g_allocs.traces_dropped) : std::string());
  fmt::print("(resolve [binary+offset] with: addr2line -Cfie <binary> <offset>; a -g build gives lines)\n");
  for (const auto& [frames, count] : sorted) {
    fmt::print("\n× {} ({} bytes in all)\n", count.first, count.second);
    for (void* f : frames) {
      const auto s = symbol_of(f);
      fmt::print("    {}\n", s);
      // Past Collector::collect is the benchmark's own harness.
      if (s.find("Collector::collect(") != std::string::npos || s.starts_with("main ")) break;
    }
  }
}

// ------------------------------------------------------------------ main

struct Options {
  int rounds = 300;
  int warmup = 20;
  int alloc_ticks = 200;
  double max_seconds = 40;  // for all the timed phases
  int only = -1;  // run one variant alone (for perf or strace)
  bool alloc_only = false;
  bool trace_allocs = false;
};

void raise_descriptor_limit() {
  rlimit lim{};
  if (::getrlimit(RLIMIT_NOFILE, &lim) != 0) return;
  lim.rlim_cur = lim.rlim_max;
  ::setrlimit(RLIMIT_NOFILE, &lim);
}

std::string machine_line() {
  utsname u{};
  ::uname(&u);
  return fmt::format("Linux {} {}, {} online CPUs", u.release, u.machine, ::sysconf(_SC_NPROCESSORS_ONLN));
}

// Keeps only variant `only` (by its index in the printed table) of a phase whose first variant
// has index `first`; returns false when it is not in this phase.
bool keep_only(std::vector<Variant>& variants, int first, int only) {
  if (only < 0) return true;
  const int i = only - first;
  if (i < 0 || i >= static_cast<int>(variants.size())) return false;
  auto chosen = std::move(variants[static_cast<std::size_t>(i)]);
  chosen.floor = -1;
  variants.clear();
  variants.push_back(std::move(chosen));
  return true;
}

int run(const Options& o) {
  raise_descriptor_limit();
  auto full_families = all_families();
  full_families.reset(static_cast<std::size_t>(Family::host));  // host info is read once, at start

  fmt::print("## collect_bench\n\n");
  fmt::print("- machine: {}\n", machine_line());

  // Every variant that keeps descriptors holds five per process, and the socket-owner scan
  // of a full tick reads the fd links of every process, this one included: so the phases
  // run apart, and each object is destroyed (its descriptors closed) when its phase ends.
  std::optional<CollectorTick> process_tick, full_tick;
  if (!o.alloc_only) {
    std::vector<Variant> rows;
    const auto phase = [&](std::vector<Variant> variants, int first, int rounds, double max_seconds) {
      if (!keep_only(variants, first, o.only)) return;
      const auto t0 = Clock::now();
      const int done = run_interleaved(variants, o.warmup, rounds, max_seconds);
      fmt::print("- {}: {} rounds after {} warm-up rounds, {:.1f} s\n", variants.front().name, done, o.warmup,
                 std::chrono::duration<double>(Clock::now() - t0).count());
      const int base = static_cast<int>(rows.size());
      for (auto& v : variants) {
        if (v.floor >= 0) v.floor += base;
        rows.push_back(std::move(v));
      }
    };
    {  // Phase 1: the process tick against its floors.
      process_tick.emplace(families_of({Family::processes}));
      KeptFloor kept;
      NaiveFloor naive;
      std::vector<Variant> v;
      v.push_back(make_variant("process tick: collect({processes})", [&] { return process_tick->tick(); }, 1));
      v.push_back(make_variant("floor: kept-open pread, no parsing", [&] { return kept.tick(); }, -1));
      v.push_back(make_variant("floor: naive open+read+close", [&] { return naive.tick(); }, 1));
      phase(std::move(v), 0, o.rounds, o.max_seconds * 0.35);
      fmt::print("- threads in those processes: {}\n", process_tick->threads());
      process_tick.reset();
    }
    {  // Phase 2: the full tick against its floor (two sets of kept descriptors alive).
      full_tick.emplace(full_families);
      FullFloor full_floor;
      fmt::print("- the full floor reads, besides the process files: {}\n", full_floor.describe());
      std::vector<Variant> v;
      v.push_back(make_variant("full tick: collect(all but host)", [&] { return full_tick->tick(); }, 1));
      v.push_back(make_variant("floor: full, no parsing", [&] { return full_floor.tick(); }, -1));
      phase(std::move(v), 3, o.rounds, o.max_seconds * 0.45);
    }
    {  // Phase 3: the full tick alone, with one set of kept descriptors, as in the daemon.
      std::vector<Variant> v;
      v.push_back(make_variant("full tick, alone (one set of kept descriptors, as in the daemon)",
                               [&] { return full_tick->tick(); }, -1));
      phase(std::move(v), 5, std::min(o.rounds, 100), o.max_seconds * 0.2);
    }
    fmt::print("\n");
    print_timing(rows);
  }
  if (!process_tick) process_tick.emplace(families_of({Family::processes}));
  if (!full_tick) full_tick.emplace(full_families);
  for (int i = 0; i < o.warmup; ++i) {
    process_tick->tick();
    full_tick->tick();
  }

  if (!HYPERION_BENCH_COUNT_ALLOCS) {
    fmt::print("\nallocation counts unavailable: built with a sanitizer, which replaces the allocator\n");
    return 0;
  }
  std::vector<std::pair<std::string, AllocCount>> rows;
  rows.emplace_back("process tick", count_allocations(*process_tick, o.alloc_ticks));
  rows.emplace_back("full tick", count_allocations(*full_tick, std::max(1, o.alloc_ticks / 4)));
  fmt::print("\n");
  print_allocations(rows);
  if (o.trace_allocs) {
    trace_allocations("process tick", *process_tick, median_of(rows[0].second.mallocs));
    trace_allocations("full tick", *full_tick, median_of(rows[1].second.mallocs));
  }
  return 0;
}

}  // namespace
}  // namespace hyperion::bench

int main(int argc, char** argv) {
  hyperion::bench::Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string_view a = argv[i];
    const auto number = [&](int& out) {
      if (i + 1 >= argc) return false;
      const std::string_view v = argv[++i];
      return std::from_chars(v.data(), v.data() + v.size(), out).ec == std::errc{} && out >= 0;
    };
    bool ok = true;
    if (a == "--rounds") {
      ok = number(o.rounds) && o.rounds > 0;
    } else if (a == "--warmup") {
      ok = number(o.warmup);
    } else if (a == "--alloc-ticks") {
      ok = number(o.alloc_ticks) && o.alloc_ticks > 0;
    } else if (a == "--max-seconds") {
      int seconds = 0;
      ok = number(seconds) && seconds > 0;
      o.max_seconds = seconds;
    } else if (a == "--only") {
      ok = number(o.only);
    } else if (a == "--alloc-only") {
      o.alloc_only = true;
    } else if (a == "--trace-allocs") {
      o.trace_allocs = true;
    } else {
      ok = false;
    }
    if (!ok) {
      fmt::print(stderr,
                 "usage: collect_bench [--rounds N (300)] [--max-seconds S (40)] [--warmup N (20)] "
                 "[--alloc-ticks N (200)] [--alloc-only] [--trace-allocs] [--only ROW (0-5: one timed row alone, for profiling)]\n");
      return a == "--help" ? 0 : 2;
    }
  }
  return hyperion::bench::run(o);
}
