#pragma once

// /proc/PID/stat: one line, the process's scheduler and accounting state.
// https://man7.org/linux/man-pages/man5/proc_pid_stat.5.html
// comm (field 2) is in parentheses and may itself contain spaces and ')', so the
// parser splits at the LAST ')'. For workqueue workers the kernel prints more
// than 15 characters ("kworker/0:1H-kblockd").

#include <cstdint>
#include <string_view>

#include "hyperion/collectors/result.hpp"

namespace hyperion::collectors {

struct PidStat {
  std::int32_t pid = 0;
  std::string_view comm;  // points into the parsed text: copy it before the buffer is reused
  char state = '?';       // R S D Z T t X I ...
  std::int32_t ppid = 0;
  std::int32_t pgrp = 0;
  std::int32_t session = 0;
  std::uint64_t minor_faults = 0;
  std::uint64_t major_faults = 0;
  std::uint64_t utime_ticks = 0;   // user time, USER_HZ ticks
  std::uint64_t stime_ticks = 0;   // system time, USER_HZ ticks
  std::int64_t priority = 0;       // as the kernel shows it (20 + nice for normal tasks)
  std::int64_t nice = 0;           // -20..19
  std::int64_t num_threads = 0;
  std::uint64_t start_time_ticks = 0;  // since boot, USER_HZ ticks
  std::uint64_t vsize_bytes = 0;
  std::uint64_t rss_pages = 0;
  std::int32_t processor = -1;     // CPU last run on (field 39), -1 when absent
};

Result<PidStat> parse_proc_pid_stat(std::string_view text);

}  // namespace hyperion::collectors
