// libFuzzer target: parse_proc_pressure (/proc/pressure/{cpu,memory,io}).
#include "hyperion/collectors/proc_pressure.hpp"

#include "fuzz_support.hpp"

using namespace hyperion::collectors;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto r = parse_proc_pressure(hyperion::fuzz::as_text(data, size));
  if (!r) return 0;
  (void)(r->some.avg10 + r->some.avg60 + r->some.avg300);
  if (r->full) (void)(r->full->avg10 + r->full->avg60 + r->full->avg300);
  return 0;
}
