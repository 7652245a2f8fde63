// libFuzzer target: the hwmon/thermal sysfs parsers (millidegrees, fan RPM, labels) and
// parse_hwmon_attribute_name on the same bytes as a file name.
#include "hyperion/collectors/sys_hwmon.hpp"

#include "fuzz_support.hpp"

using namespace hyperion::collectors;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto text = hyperion::fuzz::as_text(data, size);
  if (const auto c = parse_millidegrees(text)) HYPERION_FUZZ_CHECK(*c >= -273.15 && *c <= 1000.0);
  (void)parse_fan_rpm(text);
  const auto label = parse_sysfs_label(text);
  HYPERION_FUZZ_CHECK(hyperion::fuzz::points_into(label, text));
  if (const auto a = parse_hwmon_attribute_name(text)) {
    HYPERION_FUZZ_CHECK(hyperion::fuzz::points_into(a->kind, text));
    HYPERION_FUZZ_CHECK(hyperion::fuzz::points_into(a->item, text));
  }
  return 0;
}
