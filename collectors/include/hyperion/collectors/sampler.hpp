#pragma once

// The Sampler turns raw counters into rates between two samples of one host.
// It owns the previous readings (per CPU, per process, per interface, per disk) and
// nothing else: no I/O, no clock (the caller passes a monotonic time in seconds).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "hyperion/collectors/proc_diskstats.hpp"
#include "hyperion/collectors/proc_net_dev.hpp"
#include "hyperion/collectors/proc_pid_io.hpp"
#include "hyperion/collectors/proc_pid_stat.hpp"
#include "hyperion/collectors/proc_pid_statm.hpp"
#include "hyperion/collectors/proc_stat.hpp"
#include "hyperion/collectors/snapshot.hpp"

namespace hyperion::collectors {

// Growth of a counter between two readings. A counter that went backwards either
// wrapped at 32 bits (32-bit kernels' net counters; diskstats time fields, printed as
// unsigned int, on every kernel) or was reset (interface re-created, driver reset).
// We call it a 32-bit wrap only when the previous value was in the upper half of the
// 32-bit range; otherwise a reset, and the rate for that interval is unknown (nullopt).
std::optional<std::uint64_t> counter_delta(std::uint64_t previous, std::uint64_t current) noexcept;

// Share of each mode between two readings of one CPU line. user and nice exclude guest
// time here (the kernel counts guest inside them), so the modes sum to 100. A field that
// went backwards (iowait can, on NO_HZ kernels) counts as 0. nullopt when no time passed.
std::optional<CpuUsage> cpu_usage(const CpuTimes& previous, const CpuTimes& current) noexcept;

// What the source read for one process in this tick.
struct ProcessInput {
  const PidStat* stat = nullptr;    // required
  const PidStatm* statm = nullptr;  // nullptr when unreadable
  const PidIo* io = nullptr;        // nullptr when unreadable (other user's process, no CAP)
  std::uint32_t uid = 0;
  SharedString user;
  std::optional<std::uint32_t> open_fds;
  // True when the source has not seen this process before (or the PID was reused).
  // cmdline and cgroup are used when the Sampler starts tracking the process (new, or a
  // start time it has not seen); otherwise they are ignored and may be empty.
  bool is_new = false;
  std::string_view cmdline;  // already formatted (parse_proc_pid_cmdline)
  std::string_view cgroup;   // the cgroup path
};

class Sampler {
 public:
  Sampler(std::uint32_t clock_ticks_per_second, std::uint32_t page_size_bytes);

  CpuSample cpu(const ProcStat& stat, double now_seconds);
  NetworkSample network(std::vector<NetDev> devices, double now_seconds);
  DisksSample disks(std::vector<DiskStat> stats, double now_seconds);

  // Processes are fed one by one so that no per-process copy of the input is made.
  void begin_processes(double now_seconds, std::uint64_t mem_total_bytes, std::uint64_t boot_time_seconds,
                       std::size_t expected_count);
  void add_process(const ProcessInput& in);
  // A process the source says is exactly as at the last tick (it did not run): the last
  // tick's sample again, with zero rates. False when the Sampler did not see it then (the
  // caller parses and calls add_process instead).
  bool add_unchanged(std::int32_t pid, const SharedString& user);
  ProcessesSample end_processes();

  std::size_t tracked_processes() const noexcept { return procs_.size(); }

 private:
  struct CpuPrev {
    CpuTimes total;
    std::unordered_map<std::uint32_t, CpuTimes> cores;
    std::uint64_t context_switches = 0, interrupts = 0, forks = 0;
    double t = 0;
    bool valid = false;
  };
  struct CounterPrev {
    double t = 0;
    NetDevCounters net;
    DiskCounters disk;
  };
  struct ProcPrev {
    std::uint64_t start_time_ticks = 0;
    std::uint64_t cpu_ticks = 0;
    std::optional<std::uint64_t> read_bytes, write_bytes;
    double t = 0;
    std::uint64_t seen = 0;  // tick number it was last seen in
    SharedString comm, cmdline, cgroup;
    ProcessSample last;  // what the last tick published
  };
  void count_and_add(ProcessSample s);

  std::uint32_t ticks_per_second_;
  std::uint32_t page_size_;
  CpuPrev cpu_;
  std::unordered_map<std::string, CounterPrev> net_;
  std::unordered_map<std::string, CounterPrev> disk_;
  std::unordered_map<std::int32_t, ProcPrev> procs_;
  ProcessesSample building_;
  double proc_now_ = 0;
  std::uint64_t proc_tick_ = 0;
  std::uint64_t mem_total_ = 0;
  std::uint64_t boot_time_ = 0;
};

}  // namespace hyperion::collectors
