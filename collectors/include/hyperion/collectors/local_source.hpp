#pragma once

// The local Source: hands over the raw text of /proc and /sys files of this machine
// (or of a fixture tree laid out the same way, for tests).
//
// Reading /proc is the dominant cost, not parsing, so for processes it keeps each
// process's descriptors open across ticks and re-reads them with pread():
// /proc/PID (for the owner, via fstat), stat, statm, io, schedstat and fd (whose st_size is
// the number of open descriptors on Linux 6.2+). A descriptor of an exited process fails
// with ESRCH, which is also how a reused PID is noticed. The command line and cgroup
// are read once, when a process is first seen.
//
// Most processes sleep through most ticks, so the rest is read only for processes that ran.
// A single-threaded process whose /proc/PID/schedstat (nanoseconds on a CPU, times put on
// one) is unchanged has not run since the last read; it costs one pread of that short file,
// and its last stat line, statm, io, owner and descriptor count are handed over again. For a
// process with several threads (schedstat covers the main thread only) the stat line, whose
// times are summed over the threads, is the probe: byte-for-byte the same line (compared by
// hash) and the rest is handed over as last read. Every kIdleRefreshTicks-th tick (staggered
// by PID) reads everything anyway: reclaim can shrink a sleeping process's RSS, another
// process can renice it, and a stat line need not show a run shorter than a clock tick.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "hyperion/collectors/sock_diag.hpp"
#include "hyperion/collectors/path_source.hpp"
#include "hyperion/collectors/timed_statvfs.hpp"

namespace hyperion::collectors {

class LocalSource final : public PathSource {
 public:
  explicit LocalSource(SourcePaths paths);
  ~LocalSource();
  LocalSource(const LocalSource&) = delete;
  LocalSource& operator=(const LocalSource&) = delete;

  // True when the proc root is a mounted procfs (not a fixture tree).
  bool live() const noexcept { return live_; }

  std::size_t for_each_process(ProcessVisitor& visitor) override;

  // On a live procfs: netlink sock_diag (one TCP dump for both families, as `ss` can), which
  // walks the kernel's established hash once instead of once per /proc/net file. A fixture
  // tree, or a kernel that refuses netlink, reads the /proc/net files instead.
  bool read_sockets(std::vector<Socket>& out, std::string* error) override;

  // Reading every fd link of every process each time is the cost of `ss -p`. Instead each
  // process's socket inodes are cached, and nothing is read while every wanted socket has an
  // owner in the cache. When one has none, its owner ran since the last tick: the processes
  // this tick's walk read in full (their stat line changed) whose descriptor count changed, or
  // that are new, have their links read again. Still unowned (a run too short for the stat
  // line), every process's count is checked (one fstat each, Linux 6.2+) at most once every
  // kCountSweepEvery calls; still unowned (a descriptor replaced by a socket, count
  // unchanged), every process is read, at most once per `full_scan_every` calls. What that
  // leaves unowned (kernel sockets) triggers nothing until the next full scan.
  // Our own descriptors kept on other processes' files are skipped unread.
  void socket_owners(const std::vector<std::uint64_t>& wanted, SocketOwners& out) override {
    socket_owners(wanted, out, 15);
  }
  void socket_owners(const std::vector<std::uint64_t>& wanted, SocketOwners& out, std::uint32_t full_scan_every);
  // How many process fd directories the last socket_owners call read (tests, benchmarks).
  std::size_t socket_scans_last_call() const noexcept { return socket_scans_; }


  // From getifaddrs(); empty for a fixture tree.
  std::vector<InterfaceAddress> interface_addresses() const override;

  std::uint32_t clock_ticks_per_second() const noexcept override { return clock_ticks_; }
  std::uint32_t page_size_bytes() const noexcept override { return page_size_; }
  std::string architecture() const override;

  // Descriptors kept open for processes and files (for tests and the benchmark).
  std::size_t kept_descriptors() const noexcept;
  // How many /proc and /sys files are kept open for whole-file reads (tests).
  std::size_t kept_files() const noexcept { return kept_files_.size(); }
  // How many descriptors the source may keep (from RLIMIT_NOFILE, less headroom), and how
  // many processes the last walk read the slow way because the budget was spent.
  std::size_t descriptor_budget() const noexcept { return descriptor_budget_; }
  std::size_t transient_processes() const noexcept { return transient_processes_; }
  // How many walks listed /proc only from the previous walk's last PID on (tests, benchmarks).
  std::size_t partial_listings() const noexcept { return partial_listings_; }
  // How many processes the last walk handed over from the idle cache (tests, benchmarks).
  std::size_t idle_processes() const noexcept { return idle_processes_; }

  // A new tick: descriptor counts read by an earlier tick's process walk are stale now.
  void begin_tick(const FamilySet& families) override;

 protected:
  // On a live procfs, the files a tick reads (/proc/stat, meminfo, net/dev, an interface's
  // attributes, a cgroup's counters, ...) are kept open, up to kMaxKeptFiles, and read again
  // with pread at offset 0: two syscalls and a path walk fewer per file and tick. A kept file
  // whose object went away (a removed interface or cgroup, an exited process) fails with
  // ENODEV or ESRCH: it is closed and the path opened afresh, so nothing stale is ever read.
  bool read_kernel_file(const std::string& path, std::string& buf) const override;

 private:
  static constexpr std::size_t kMaxKeptFiles = 512;
  mutable std::unordered_map<std::string, int> kept_files_;

  struct ProcEntry {
    int dir_fd = -1;
    int stat_fd = -1;
    int statm_fd = -1;
    int io_fd = -1;
    int fd_dir_fd = -1;
    int schedstat_fd = -1;
    std::uint64_t seen = 0;
    // What the last full read found, handed over again while the process is idle; open_fds is
  // this tick's count.
    std::size_t stat_hash = 0;
    bool have_cache = false;
    bool single_threaded = false;  // at the last full read: schedstat is then the probe
    std::string stat, schedstat, statm, io;
    std::uint32_t uid = 0;
    std::optional<std::uint32_t> open_fds;
    std::uint64_t counted_tick = 0;  // the walk that read open_fds
    // Socket-owner cache: the socket inodes found at the last scan of fd/, and the
    // descriptor count then (UINT64_MAX: never scanned).
    std::uint64_t scanned_fd_count = UINT64_MAX;
    bool scanned = false;
    std::vector<std::uint64_t> socket_inodes;
  };
  void scan_sockets(std::int32_t pid, ProcEntry& e);
  // The entry's descriptor count: this tick's walk's, else fstat of fd/ (UINT64_MAX: unknown).
  std::uint64_t fd_count(ProcEntry& e, bool fresh_walk);
  std::vector<std::uint64_t> orphan_inodes_;  // sorted: unowned after the last full scan
  static constexpr std::uint32_t kCountSweepEvery = 3;
  std::uint32_t calls_since_count_sweep_ = 0;
  std::uint32_t calls_since_full_scan_ = UINT32_MAX;
  std::size_t socket_scans_ = 0;
  static constexpr std::size_t kDescriptorsPerProcess = 6;
  static constexpr std::uint64_t kIdleRefreshTicks = 10;
  bool open_entry(std::string_view name, ProcEntry& e);
  bool read_entry(ProcEntry& e, std::int32_t pid, bool with_strings, RawProcess& raw);
  void close_entry(ProcEntry& e);
  int keep(int fd) const;  // records fd as one of ours, returns it
  void release(int fd) const;  // the opposite, before closing it

  bool live_ = false;
  bool fd_count_from_size_ = false;  // Linux 6.2+: st_size of /proc/PID/fd is the count
  int proc_fd_ = -1;
  std::uint32_t clock_ticks_ = 100;
  std::uint32_t page_size_ = 4096;
  std::unordered_map<std::int32_t, ProcEntry> procs_;
  std::uint64_t tick_ = 0;
  mutable std::vector<bool> kept_fds_;    // indexed by descriptor number
  mutable std::size_t kept_count_ = 0;
  std::size_t descriptor_budget_ = 0;
  std::size_t transient_processes_ = 0;
  std::size_t idle_processes_ = 0;
  // True between a process walk and the next socket_owners call or tick: each entry's
  // open_fds is then this tick's count, and socket_owners need not fstat fd/ again.
  bool fresh_fd_counts_ = false;
  // The /proc listing from the last PID on (see for_each_process): the position of PID 0 in
  // /proc's directory stream as a full listing measured it (0: unknown, list everything),
  // the last PID allocated at the previous walk, and a full listing every kFullListingEvery
  // walks all the same.
  std::optional<std::int32_t> read_last_pid();
  static constexpr std::uint64_t kFullListingEvery = 30;
  bool listing_shortcut_ = false;
  std::int64_t listing_offset_ = 0;
  std::int32_t previous_last_pid_ = 0;
  std::size_t transient_processes_last_ = 0;
  std::size_t partial_listings_ = 0;
  std::string loadavg_path_, loadavg_buf_;
  std::int32_t self_pid_ = 0;
  std::vector<char> dirent_buf_;          // for the /proc listing
  std::vector<char> dirent_buf_scratch_;  // for per-process directories
  std::string scratch_, cmdline_buf_, cgroup_buf_;
  SockDiag sock_diag_;
  // Failures in a row; from kSockDiagGiveUp on (a sandbox without netlink), /proc/net only. A
  // single failure (a dump cut by memory pressure) falls back for that tick alone.
  std::uint32_t sock_diag_failures_ = 0;
  static constexpr std::uint32_t kSockDiagGiveUp = 3;
};

}  // namespace hyperion::collectors
