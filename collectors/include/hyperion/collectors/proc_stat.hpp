#pragma once

// /proc/stat: CPU time per mode (total and per CPU), and kernel activity counters.
// https://docs.kernel.org/filesystems/proc.html#miscellaneous-kernel-statistics-in-proc-stat

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "hyperion/collectors/result.hpp"

namespace hyperion::collectors {

// Time spent in each mode, in USER_HZ ticks (sysconf(_SC_CLK_TCK), 100 on every
// mainstream kernel). guest and guest_nice are already included in user and nice
// by the kernel (see account_guest_time()), so "busy" must not add them again.
// Kernels before 2.6.11 lack steal, before 2.6.24 guest, before 2.6.33 guest_nice:
// missing columns read as 0.
struct CpuTimes {
  std::uint64_t user_ticks = 0;
  std::uint64_t nice_ticks = 0;
  std::uint64_t system_ticks = 0;
  std::uint64_t idle_ticks = 0;
  std::uint64_t iowait_ticks = 0;
  std::uint64_t irq_ticks = 0;
  std::uint64_t softirq_ticks = 0;
  std::uint64_t steal_ticks = 0;
  std::uint64_t guest_ticks = 0;
  std::uint64_t guest_nice_ticks = 0;

  // Sum of all modes without double-counting guest time.
  std::uint64_t total() const noexcept;
  // total() minus idle and iowait.
  std::uint64_t busy() const noexcept;
};

struct CpuLine {
  std::uint32_t cpu = 0;  // the N of "cpuN"; offline CPUs leave gaps
  CpuTimes times;
};

struct ProcStat {
  CpuTimes total;               // the aggregate "cpu" line
  std::vector<CpuLine> cpus;    // "cpuN" lines in file order
  std::uint64_t context_switches = 0;  // ctxt
  std::uint64_t interrupts = 0;        // first number of "intr"
  std::uint64_t forks = 0;             // processes
  std::uint64_t boot_time_seconds = 0; // btime, Unix time
  std::uint32_t procs_running = 0;
  std::uint32_t procs_blocked = 0;
  std::optional<std::uint64_t> softirqs;  // first number of "softirq" (2.6.31+)
};

// Requires the "cpu" line, ctxt, btime and processes; everything else optional.
Result<ProcStat> parse_proc_stat(std::string_view text);

}  // namespace hyperion::collectors
