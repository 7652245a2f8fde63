#pragma once

// /proc/loadavg: "0.20 0.18 0.12 1/80 11206"

#include <cstdint>
#include <string_view>

#include "hyperion/collectors/result.hpp"

namespace hyperion::collectors {

struct LoadAvg {
  double load1 = 0;
  double load5 = 0;
  double load15 = 0;
  std::uint32_t runnable = 0;  // currently runnable scheduling entities
  std::uint32_t total = 0;     // scheduling entities (threads) that exist
  std::uint32_t last_pid = 0;
};

Result<LoadAvg> parse_proc_loadavg(std::string_view text);

}  // namespace hyperion::collectors
