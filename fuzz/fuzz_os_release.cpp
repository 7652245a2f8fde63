// libFuzzer target: parse_os_release (/etc/os-release: shell-style quoting and escapes).
#include "hyperion/collectors/os_release.hpp"

#include "fuzz_support.hpp"

using namespace hyperion::collectors;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto r = parse_os_release(hyperion::fuzz::as_text(data, size));
  // os-release(5) defaults: never empty.
  HYPERION_FUZZ_CHECK(!r.id.empty() && !r.name.empty() && !r.pretty_name.empty());
  return 0;
}
