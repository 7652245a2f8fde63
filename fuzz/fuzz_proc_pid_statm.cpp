// libFuzzer target: parse_proc_pid_statm (/proc/PID/statm).
#include "hyperion/collectors/proc_pid_statm.hpp"

#include "fuzz_support.hpp"

using namespace hyperion::collectors;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto r = parse_proc_pid_statm(hyperion::fuzz::as_text(data, size));
  if (!r) return 0;
  (void)(r->size_pages + r->resident_pages + r->shared_pages);
  return 0;
}
