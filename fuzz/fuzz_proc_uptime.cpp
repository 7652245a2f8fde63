// libFuzzer target: parse_proc_uptime (/proc/uptime).
#include "hyperion/collectors/proc_uptime.hpp"

#include "fuzz_support.hpp"

using namespace hyperion::collectors;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto r = parse_proc_uptime(hyperion::fuzz::as_text(data, size));
  if (!r) return 0;
  (void)(r->uptime_seconds + r->idle_seconds);
  return 0;
}
