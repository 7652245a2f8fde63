#pragma once

// Collects one host: reads through a Source, parses, turns counters into rates with a
// Sampler of its own, and publishes an immutable Snapshot stamped with the host's id. It does
// not know which host it serves: the Source decides (this machine, a tree, an SSH session). Each call refreshes the
// families asked for; the others are shared from the previous snapshot, so every
// family can run on its own interval.

#include <array>
#include <bitset>
#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>

#include "hyperion/collectors/etc_passwd.hpp"
#include "hyperion/collectors/source.hpp"
#include "hyperion/collectors/sampler.hpp"
#include "hyperion/collectors/snapshot.hpp"

namespace hyperion::collectors {

// The collectors' settings ([collectors] of the configuration file; the daemon's settings
// table points into this struct, and its member initialisers are the built-in defaults).
struct CollectorSettings {
  // Show loop and ram devices that have never done I/O (hidden by default).
  bool include_idle_virtual_disks = false;
  // Show pseudo filesystems (proc, sysfs, cgroup, ...) and ones of size zero.
  bool include_pseudo_filesystems = false;
  // The containers family: how deep under the cgroup root, and how many groups at most.
  CgroupOptions cgroups{};
  // More hosts, each read from a directory tree: "ID=DIR, ID=DIR" (the daemon builds them).
  std::string tree_hosts;

  bool operator==(const CollectorSettings&) const = default;
};

class Collector {
 public:
  // The source must outlive the collector; `host` is the id its snapshots carry.
  Collector(Source& source, std::string host, CollectorSettings options = {});
  Collector(const Collector&) = delete;
  Collector& operator=(const Collector&) = delete;

  // Refreshes `families` at monotonic time `now_seconds` (for rates) and wall time
  // `wall_ms` (for the snapshot's timestamp), and returns the new snapshot.
  std::shared_ptr<const Snapshot> collect(FamilySet families, double now_seconds, std::int64_t wall_ms);

  std::shared_ptr<const Snapshot> latest() const { return latest_; }
  // How long the last collection of a family took, in seconds (0 before the first).
  double last_duration_seconds(Family f) const noexcept { return durations_[static_cast<std::size_t>(f)]; }
  Source& source() noexcept { return source_; }
  const std::string& host() const noexcept { return host_; }

 private:
  class ProcessFeeder;
  bool collect_host(Snapshot& s, double now);
  void read_hardware(double now);
  bool collect_system(Snapshot& s);
  bool collect_cpu(Snapshot& s, double now);
  bool collect_memory(Snapshot& s);
  bool collect_processes(Snapshot& s, double now);
  bool collect_network(Snapshot& s, double now);
  bool collect_sockets(Snapshot& s);
  bool collect_disks(Snapshot& s, double now);
  bool collect_filesystems(Snapshot& s);
  bool collect_sensors(Snapshot& s);
  bool collect_containers(Snapshot& s, double now);
  void fail(Snapshot& s, Family f, std::string detail);
  const SharedString& user_name(std::uint32_t uid);
  void reload_users_if_changed();

  Source& source_;
  std::string host_;
  CollectorSettings options_;
  Sampler sampler_;
  CgroupReader cgroups_;
  std::shared_ptr<const Snapshot> latest_;
  std::uint64_t sequence_ = 0;
  std::uint64_t boot_time_seconds_ = 0;
  std::uint64_t mem_total_bytes_ = 0;
  std::int64_t passwd_mtime_ = -1;
  std::unordered_map<std::uint32_t, SharedString> users_;
  SocketOwners socket_owners_;
  std::vector<std::uint64_t> socket_inodes_;
  std::vector<Socket> sockets_buf_;
  std::string buf_;
  // The host family's slow-changing part (cpuinfo, DMI, ACPI, PID 1's environment): read at
  // the first tick, then again when the online CPU list changes or kHardwareRefreshSeconds
  // passed. Reading /proc/cpuinfo asks every CPU for its frequency.
  static constexpr double kHardwareRefreshSeconds = 300;
  CpuInfo cpu_info_;
  Virtualization virtualization_;
  std::string online_cpus_;
  double hardware_read_at_ = 0;
  bool have_hardware_ = false;
  std::array<double, kFamilyCount> durations_{};
};

}  // namespace hyperion::collectors
