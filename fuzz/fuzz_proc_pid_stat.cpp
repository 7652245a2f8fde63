// libFuzzer target: parse_proc_pid_stat (/proc/PID/stat; comm may hold spaces and ')').
#include "hyperion/collectors/proc_pid_stat.hpp"

#include "fuzz_support.hpp"

using namespace hyperion::collectors;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto text = hyperion::fuzz::as_text(data, size);
  const auto r = parse_proc_pid_stat(text);
  if (!r) return 0;
  // comm is documented as a view into the parsed text.
  HYPERION_FUZZ_CHECK(hyperion::fuzz::points_into(r->comm, text));
  return 0;
}
