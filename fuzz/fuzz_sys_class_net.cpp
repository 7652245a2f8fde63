// libFuzzer target: the /sys/class/net/IFACE/ attribute parsers (speed, operstate, numbers).
#include "hyperion/collectors/sys_class_net.hpp"

#include "fuzz_support.hpp"

using namespace hyperion::collectors;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto text = hyperion::fuzz::as_text(data, size);
  const auto speed = parse_sysfs_net_speed(text);
  HYPERION_FUZZ_CHECK(!speed || *speed > 0);  // 0 and -1 mean "no speed"
  const auto state = parse_sysfs_net_operstate(text);
  // Documented to point at a string literal, never into the input.
  HYPERION_FUZZ_CHECK(!state.empty());
  HYPERION_FUZZ_CHECK(!hyperion::fuzz::points_into(state, text) || text.empty());
  (void)parse_sysfs_u64(text);
  return 0;
}
