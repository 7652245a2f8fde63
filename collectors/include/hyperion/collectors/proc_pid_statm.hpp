#pragma once

// /proc/PID/statm: "size resident shared text lib data dt", all in pages.

#include <cstdint>
#include <string_view>

#include "hyperion/collectors/result.hpp"

namespace hyperion::collectors {

struct PidStatm {
  std::uint64_t size_pages = 0;      // VmSize
  std::uint64_t resident_pages = 0;  // VmRSS
  std::uint64_t shared_pages = 0;    // RssFile + RssShmem
  std::uint64_t text_pages = 0;
  std::uint64_t data_pages = 0;      // data + stack
};

// Requires at least the first three numbers (size, resident, shared).
Result<PidStatm> parse_proc_pid_statm(std::string_view text);

}  // namespace hyperion::collectors
