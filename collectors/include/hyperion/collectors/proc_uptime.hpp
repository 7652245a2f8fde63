#pragma once

// /proc/uptime: "350735.47 234388.90" (seconds since boot, idle seconds summed over CPUs)

#include <string_view>

#include "hyperion/collectors/result.hpp"

namespace hyperion::collectors {

struct Uptime {
  double uptime_seconds = 0;
  double idle_seconds = 0;
};

Result<Uptime> parse_proc_uptime(std::string_view text);

}  // namespace hyperion::collectors
