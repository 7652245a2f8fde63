#pragma once

// What a Collector reads, wherever it comes from: the raw text of /proc, /sys and /etc files,
// the process enumeration, statvfs and interface addresses. Implementations:
//   LocalSource  this machine's /proc and /sys, with descriptors kept open across ticks;
//   TreeSource   a directory laid out like a root file system (fixture trees, a second host
//                in tests), plain reads and nothing kept;
//   (next) an SSH source, which fetches a tick's files in one remote command.
// Paths are relative to the proc, sys or root directory of the host ("net/dev",
// "class/net", "etc/passwd"). A Source is used by one Collector on one thread.
//
// A tick is bracketed by begin_tick()/end_tick() with the families it refreshes, so that a
// remote reader can fetch what those families read in one batch before the first read.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "hyperion/collectors/family.hpp"
#include "hyperion/collectors/proc_net_sockets.hpp"

namespace hyperion::collectors {

// Where a host's files are: "/", "/proc", "/sys" on this machine; <dir>, <dir>/proc, <dir>/sys
// for a tree (a fixture, or a host's root file system mounted elsewhere).
struct SourcePaths {
  std::string root = "/";       // for /etc/os-release, /etc/passwd, /.dockerenv, mount points
  std::string proc = "/proc";
  std::string sys = "/sys";

  static SourcePaths under(const std::string& dir);
};

struct RawProcess {
  std::int32_t pid = 0;
  std::string_view stat;
  std::string_view statm;  // empty when unreadable
  std::string_view io;     // empty when unreadable (another user's process without privileges)
  std::uint32_t uid = 0;
  std::optional<std::uint32_t> open_fds;
  bool is_new = false;          // first time seen (or PID reused)
  // The process did not run since the last tick: every field is as handed over then, and a
  // consumer that kept what it made of them may reuse it.
  bool unchanged = false;
  bool has_strings = false;     // cmdline and cgroup were read (always when is_new)
  std::string_view cmdline;     // raw NUL-separated text
  std::string_view cgroup;      // raw /proc/PID/cgroup text
};

class ProcessVisitor {
 public:
  virtual void on_process(const RawProcess& process) = 0;

 protected:
  ~ProcessVisitor() = default;
};

struct FilesystemUsage {
  std::uint64_t size_bytes = 0, free_bytes = 0, available_bytes = 0;
  std::uint64_t inodes_total = 0, inodes_free = 0;
};

struct InterfaceAddress {
  std::string interface;
  std::string address;  // "192.0.2.1/24"
};

// (socket inode, owning PID), sorted by inode.
using SocketOwners = std::vector<std::pair<std::uint64_t, std::int32_t>>;

// The owner of a socket inode in a list from Source::socket_owners, or nullopt.
std::optional<std::int32_t> find_socket_owner(const SocketOwners& owners, std::uint64_t inode) noexcept;

class Source {
 public:
  virtual ~Source() = default;

  // A tick that refreshes `families` starts / ends. Reads outside a tick are allowed.
  virtual void begin_tick(const FamilySet& families) { (void)families; }
  virtual void end_tick() {}

  // Whole-file reads into a reused buffer; false when the file cannot be read.
  virtual bool read_proc(std::string_view relative, std::string& buf) const = 0;
  virtual bool read_sys(std::string_view relative, std::string& buf) const = 0;
  virtual bool read_root(std::string_view relative, std::string& buf) const = 0;
  virtual bool exists_root(std::string_view relative) const = 0;
  virtual bool exists_sys(std::string_view relative) const = 0;
  // Modification time of a file under the root (0 when absent), to notice /etc/passwd changes.
  virtual std::int64_t mtime_root(std::string_view relative) const = 0;
  // Sorted entry names of a directory under the sys root ("class/net"); empty when absent.
  virtual std::vector<std::string> list_sys(std::string_view relative) const = 0;
  // Sorted names of the subdirectories only (cgroup hierarchies hold files and child groups).
  virtual std::vector<std::string> list_sys_dirs(std::string_view relative) const = 0;

  // Visits every process; returns how many were visited. Processes that exit while being
  // read are skipped silently.
  virtual std::size_t for_each_process(ProcessVisitor& visitor) = 0;

  // The socket tables straight from the kernel (netlink sock_diag), when this source can;
  // false: read the /proc/net/{tcp,tcp6,udp,udp6} files instead. `error` says why it failed
  // when it was tried.
  virtual bool read_sockets(std::vector<Socket>& out, std::string* error) {
    (void)out, (void)error;
    return false;
  }
  // The owners of the sockets whose inodes are `wanted` (sorted), into `out` (sorted by
  // inode). Call after for_each_process.
  virtual void socket_owners(const std::vector<std::uint64_t>& wanted, SocketOwners& out) = 0;

  // statvfs() of a mount point; false when it fails. With `may_hang` (network filesystems)
  // the call is bounded by a deadline, and `hung` tells whether that is why it failed.
  virtual bool filesystem_usage(const std::string& mount_point, FilesystemUsage& out, bool may_hang = false,
                                bool* hung = nullptr) = 0;

  // Interface addresses ("192.0.2.1/24"); empty when the source cannot tell.
  virtual std::vector<InterfaceAddress> interface_addresses() const = 0;

  virtual std::uint32_t clock_ticks_per_second() const noexcept = 0;
  virtual std::uint32_t page_size_bytes() const noexcept = 0;
  virtual std::string architecture() const = 0;
};

}  // namespace hyperion::collectors
