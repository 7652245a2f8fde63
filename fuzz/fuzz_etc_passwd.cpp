// libFuzzer target: parse_etc_passwd (/etc/passwd).
#include "hyperion/collectors/etc_passwd.hpp"

#include "fuzz_support.hpp"

using namespace hyperion::collectors;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto names = parse_etc_passwd(hyperion::fuzz::as_text(data, size));
  // Each entry needs at least "n::0:" and a line.
  HYPERION_FUZZ_CHECK(names.size() <= size / 5 + 1);
  for (const auto& [uid, name] : names) HYPERION_FUZZ_CHECK(name.size() < size);
  return 0;
}
