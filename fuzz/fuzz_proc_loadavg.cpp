// libFuzzer target: parse_proc_loadavg (/proc/loadavg).
#include "hyperion/collectors/proc_loadavg.hpp"

#include "fuzz_support.hpp"

using namespace hyperion::collectors;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto r = parse_proc_loadavg(hyperion::fuzz::as_text(data, size));
  if (!r) return 0;
  (void)(r->load1 + r->load5 + r->load15);
  return 0;
}
