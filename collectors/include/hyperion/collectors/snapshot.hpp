#pragma once

// The published model: one immutable Snapshot per tick, shared by every consumer.
// Each family is its own shared_ptr so a tick that refreshes only the CPU keeps sharing
// the previous process list instead of copying it.

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "hyperion/collectors/cgroups.hpp"
#include "hyperion/collectors/family.hpp"
#include "hyperion/collectors/os_release.hpp"
#include "hyperion/collectors/proc_cpuinfo.hpp"
#include "hyperion/collectors/proc_diskstats.hpp"
#include "hyperion/collectors/proc_loadavg.hpp"
#include "hyperion/collectors/proc_meminfo.hpp"
#include "hyperion/collectors/proc_net_dev.hpp"
#include "hyperion/collectors/proc_net_sockets.hpp"
#include "hyperion/collectors/proc_pressure.hpp"
#include "hyperion/collectors/proc_stat.hpp"
#include "hyperion/collectors/virtualization.hpp"

namespace hyperion::collectors {

using SharedString = std::shared_ptr<const std::string>;

struct HostInfo {
  std::string hostname;
  std::string kernel_release;  // /proc/sys/kernel/osrelease
  std::string kernel_version;  // /proc/sys/kernel/version
  std::string architecture;    // uname machine: "x86_64", "aarch64"
  OsRelease os;
  CpuInfo cpu;
  Virtualization virtualization;
  std::uint64_t boot_time_seconds = 0;  // Unix time
  std::uint32_t clock_ticks_per_second = 100;
  std::uint32_t page_size_bytes = 4096;
};

struct SystemSample {
  LoadAvg load;
  double uptime_seconds = 0;
  std::uint64_t boot_time_seconds = 0;
  std::optional<Pressure> cpu_pressure;     // nullopt: kernel without PSI
  std::optional<Pressure> memory_pressure;
  std::optional<Pressure> io_pressure;
};

// Percent of the interval spent in each mode (0..100 of one CPU, or of all CPUs for the total).
struct CpuUsage {
  double user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0,
         guest = 0, guest_nice = 0;
  double busy = 0;  // 100 - idle - iowait
};

struct CpuCoreSample {
  std::uint32_t cpu = 0;
  CpuTimes times;
  std::optional<CpuUsage> usage;  // nullopt on the first sample or for a CPU that just came online
};

struct CpuSample {
  CpuTimes times;
  std::optional<CpuUsage> usage;
  std::vector<CpuCoreSample> cores;
  std::uint64_t context_switches = 0;
  std::uint64_t interrupts = 0;
  std::uint64_t forks = 0;
  std::optional<double> context_switches_per_second;
  std::optional<double> interrupts_per_second;
  std::optional<double> forks_per_second;
  std::uint32_t procs_running = 0;
  std::uint32_t procs_blocked = 0;
};

struct MemorySample {
  MemInfo info;
  std::uint64_t used_bytes = 0;       // total - available, as `free` (procps-ng 4) prints it
  std::uint64_t available_bytes = 0;  // MemAvailable or its estimate
  double used_percent = 0;
  double swap_used_percent = 0;
};

struct ProcessSample {
  std::int32_t pid = 0;
  std::int32_t ppid = 0;
  std::uint32_t uid = 0;
  SharedString user;      // name from /etc/passwd, or the numeric uid
  SharedString comm;
  SharedString cmdline;   // empty for kernel threads
  SharedString cgroup;    // the systemd/v2 cgroup path
  char state = '?';
  std::int32_t threads = 0;
  std::int32_t nice = 0;
  std::int32_t priority = 0;
  std::uint64_t start_time_ticks = 0;   // since boot; with boot time, the start instant
  std::int64_t start_time_unix_ms = 0;
  std::uint64_t cpu_ticks_total = 0;    // utime + stime
  std::optional<double> cpu_percent;    // of one CPU (top's convention), nullopt when new
  std::uint64_t rss_bytes = 0;
  std::uint64_t virtual_bytes = 0;
  std::uint64_t shared_bytes = 0;
  double memory_percent = 0;            // rss / MemTotal
  std::optional<std::uint64_t> read_bytes_total;   // /proc/PID/io, when readable
  std::optional<std::uint64_t> write_bytes_total;
  std::optional<double> read_bytes_per_second;
  std::optional<double> write_bytes_per_second;
  std::optional<std::uint32_t> open_fds;  // when /proc/PID/fd is readable
};

struct ProcessCounts {
  std::uint32_t total = 0, running = 0, sleeping = 0, disk_sleep = 0, zombie = 0, stopped = 0,
                idle = 0, other = 0;
  std::uint64_t threads = 0;
};

struct ProcessesSample {
  std::vector<ProcessSample> processes;  // sorted by pid
  ProcessCounts counts;
};

struct NetRates {
  double rx_bytes_per_second = 0, tx_bytes_per_second = 0;
  double rx_packets_per_second = 0, tx_packets_per_second = 0;
  double rx_errors_per_second = 0, tx_errors_per_second = 0;
  double rx_dropped_per_second = 0, tx_dropped_per_second = 0;
};

struct InterfaceSample {
  std::string name;
  NetDevCounters counters;
  std::optional<NetRates> rates;          // nullopt when new or after a counter reset
  std::optional<std::uint64_t> mtu;
  std::string operstate;                  // "up", "down", "unknown", ...
  std::optional<std::uint64_t> speed_mbps;
  std::string mac_address;
  std::vector<std::string> addresses;     // "192.0.2.1/24", "2001:db8::1/64"
};

struct NetworkSample {
  std::vector<InterfaceSample> interfaces;
};

struct SocketSample {
  Socket socket;
  std::optional<std::int32_t> pid;  // owner, when its /proc/PID/fd is visible to us
  SharedString process;             // the owner's comm
};

struct SocketsSample {
  std::vector<SocketSample> sockets;
  std::array<std::uint32_t, kTcpStateCount> tcp_states{};  // indexed by TcpState, tcp + tcp6
  std::uint32_t udp_sockets = 0;
};

struct DiskRates {
  double reads_per_second = 0, writes_per_second = 0;
  double read_bytes_per_second = 0, write_bytes_per_second = 0;
  double utilization_percent = 0;  // share of the interval with I/O in flight
  std::optional<double> read_await_ms;   // average time per completed read; nullopt when none
  std::optional<double> write_await_ms;
  std::optional<double> await_ms;        // over reads and writes, as iostat's "await"
};

struct DiskSample {
  std::string name;
  std::uint32_t major = 0, minor = 0;
  bool partition = false;
  DiskCounters counters;
  std::optional<DiskRates> rates;
};

struct DisksSample {
  std::vector<DiskSample> disks;
};

struct FilesystemSample {
  std::string device;
  std::string mount_point;
  std::string fstype;
  bool read_only = false;
  std::uint64_t size_bytes = 0;
  std::uint64_t used_bytes = 0;
  std::uint64_t available_bytes = 0;  // to unprivileged users (f_bavail), as df shows
  double used_percent = 0;            // used / (used + available), as df rounds up
  std::uint64_t inodes_total = 0;
  std::uint64_t inodes_used = 0;
  std::uint64_t inodes_free = 0;
};

struct FilesystemsSample {
  std::vector<FilesystemSample> filesystems;
};

enum class SensorKind : std::uint8_t { temperature, fan };
const char* to_string(SensorKind k) noexcept;

struct SensorSample {
  std::string chip;     // hwmon "name" or thermal zone "type"
  std::string label;    // tempN_label, or "temp1" when unlabelled
  std::string source;   // "hwmon" or "thermal"
  SensorKind kind = SensorKind::temperature;
  double value = 0;     // Celsius or RPM
  std::optional<double> max;
  std::optional<double> critical;
};

struct SensorsSample {
  std::vector<SensorSample> sensors;
};

struct FamilyError {
  Family family;
  std::string detail;
};

struct Snapshot {
  std::string host;              // "local" or a configured remote id
  std::uint64_t sequence = 0;    // increases by one per published snapshot
  std::int64_t timestamp_ms = 0; // wall clock at the end of collection
  std::shared_ptr<const HostInfo> host_info;
  std::shared_ptr<const SystemSample> system;
  std::shared_ptr<const CpuSample> cpu;
  std::shared_ptr<const MemorySample> memory;
  std::shared_ptr<const ProcessesSample> processes;
  std::shared_ptr<const NetworkSample> network;
  std::shared_ptr<const SocketsSample> sockets;
  std::shared_ptr<const DisksSample> disks;
  std::shared_ptr<const FilesystemsSample> filesystems;
  std::shared_ptr<const SensorsSample> sensors;
  std::shared_ptr<const ContainersSample> containers;  // control groups: services and containers
  std::vector<FamilyError> errors;  // what failed in this collection (the family keeps its last value)
};

}  // namespace hyperion::collectors
