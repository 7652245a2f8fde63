// libFuzzer target: parse_proc_pid_io (/proc/PID/io).
#include "hyperion/collectors/proc_pid_io.hpp"

#include "fuzz_support.hpp"

using namespace hyperion::collectors;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto r = parse_proc_pid_io(hyperion::fuzz::as_text(data, size));
  if (!r) return 0;
  (void)(r->read_bytes + r->write_bytes);
  return 0;
}
