// libFuzzer target: parse_proc_diskstats (/proc/diskstats) and is_idle_virtual_disk.
#include "hyperion/collectors/proc_diskstats.hpp"

#include "fuzz_support.hpp"

using namespace hyperion::collectors;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto r = parse_proc_diskstats(hyperion::fuzz::as_text(data, size));
  if (!r) return 0;
  for (const auto& d : *r) {
    HYPERION_FUZZ_CHECK(!d.name.empty());
    (void)is_idle_virtual_disk(d);
    // Flush counters come only with the discard ones (5.5+ has all 20 columns).
    HYPERION_FUZZ_CHECK(!d.counters.flushes_completed || d.counters.discards_completed);
  }
  return 0;
}
