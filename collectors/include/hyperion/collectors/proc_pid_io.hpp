#pragma once

// /proc/PID/io (readable by the owner and by root; CONFIG_TASK_IO_ACCOUNTING).
//   rchar: 323934931
//   wchar: 323929600
//   syscr: 632687
//   syscw: 632675
//   read_bytes: 0
//   write_bytes: 323932160
//   cancelled_write_bytes: 0

#include <cstdint>
#include <string_view>

#include "hyperion/collectors/result.hpp"

namespace hyperion::collectors {

struct PidIo {
  std::uint64_t rchar = 0;        // bytes passed to read()-like calls (incl. cache, pipes)
  std::uint64_t wchar = 0;
  std::uint64_t syscr = 0;
  std::uint64_t syscw = 0;
  std::uint64_t read_bytes = 0;   // bytes fetched from the storage layer
  std::uint64_t write_bytes = 0;  // bytes sent to the storage layer
  std::uint64_t cancelled_write_bytes = 0;
};

// Requires read_bytes and write_bytes; the others default to 0.
Result<PidIo> parse_proc_pid_io(std::string_view text);

}  // namespace hyperion::collectors
