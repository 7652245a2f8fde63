// libFuzzer target: parse_proc_stat (/proc/stat).
#include "hyperion/collectors/proc_stat.hpp"

#include "fuzz_support.hpp"

using namespace hyperion::collectors;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto r = parse_proc_stat(hyperion::fuzz::as_text(data, size));
  if (!r) {
    HYPERION_FUZZ_CHECK(!r.error().detail.empty() || r.error().code == Errc::empty);
    return 0;
  }
  (void)r->total.total();
  (void)r->total.busy();
  for (const auto& cpu : r->cpus) (void)cpu.times.busy();
  // Each cpuN line is at least "cpuN" and a newline (the last may lack it).
  HYPERION_FUZZ_CHECK(r->cpus.size() <= (size + 1) / 5);
  return 0;
}
