#pragma once

// /proc/pressure/{cpu,memory,io}: pressure stall information (Linux 4.20+, CONFIG_PSI).
// https://docs.kernel.org/accounting/psi.html
//   some avg10=0.00 avg60=0.00 avg300=0.00 total=0
//   full avg10=0.00 avg60=0.00 avg300=0.00 total=0
// The "full" line of /proc/pressure/cpu exists from 5.13 on (always zero system-wide).

#include <cstdint>
#include <optional>
#include <string_view>

#include "hyperion/collectors/result.hpp"

namespace hyperion::collectors {

struct PressureLine {
  double avg10 = 0;   // percent of the last 10 s
  double avg60 = 0;
  double avg300 = 0;
  std::uint64_t total_microseconds = 0;  // cumulative stall time
};

struct Pressure {
  PressureLine some;
  std::optional<PressureLine> full;
};

Result<Pressure> parse_proc_pressure(std::string_view text);

}  // namespace hyperion::collectors
