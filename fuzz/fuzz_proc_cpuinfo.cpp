// libFuzzer target: parse_proc_cpuinfo (/proc/cpuinfo).
#include "hyperion/collectors/proc_cpuinfo.hpp"

#include "fuzz_support.hpp"

using namespace hyperion::collectors;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto r = parse_proc_cpuinfo(hyperion::fuzz::as_text(data, size));
  // A socket holds at least one core, a core at least one logical CPU.
  HYPERION_FUZZ_CHECK(r.sockets <= r.physical_cores);
  HYPERION_FUZZ_CHECK(r.physical_cores <= r.logical_cpus);
  HYPERION_FUZZ_CHECK(r.model.size() <= size && r.vendor.size() <= size + 16);
  return 0;
}
