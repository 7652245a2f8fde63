// libFuzzer target: parse_proc_net_dev (/proc/net/dev).
#include "hyperion/collectors/proc_net_dev.hpp"

#include "fuzz_support.hpp"

using namespace hyperion::collectors;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto r = parse_proc_net_dev(hyperion::fuzz::as_text(data, size));
  if (!r) return 0;
  for (const auto& dev : *r) HYPERION_FUZZ_CHECK(dev.name.size() < size);
  return 0;
}
