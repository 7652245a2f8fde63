// libFuzzer target: parse_proc_meminfo (/proc/meminfo) and the derived used/available values.
#include "hyperion/collectors/proc_meminfo.hpp"

#include "fuzz_support.hpp"

using namespace hyperion::collectors;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto r = parse_proc_meminfo(hyperion::fuzz::as_text(data, size));
  if (!r) return 0;
  // Both are documented as clamped to MemTotal (lxc reports host values against it).
  HYPERION_FUZZ_CHECK(r->used_bytes() <= r->total_bytes);
  HYPERION_FUZZ_CHECK(r->available_or_estimate() <= r->total_bytes);
  return 0;
}
