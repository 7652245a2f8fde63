// libFuzzer target: parse_proc_pid_cmdline (/proc/PID/cmdline), with the default bound and
// with one that cuts the input in the middle (the cut must not split a UTF-8 character).
#include "hyperion/collectors/proc_pid_cmdline.hpp"

#include "fuzz_support.hpp"

using namespace hyperion::collectors;

namespace {

void check(std::string_view text, std::size_t max_bytes) {
  const auto out = parse_proc_pid_cmdline(text, max_bytes);
  HYPERION_FUZZ_CHECK(out.size() <= max_bytes && out.size() <= text.size());
  // It goes into JSON: valid UTF-8, no C0 controls or DEL, no C1 controls (C2 80..C2 9F).
  HYPERION_FUZZ_CHECK(hyperion::fuzz::is_valid_utf8(out));
  for (std::size_t i = 0; i < out.size(); ++i) {
    const auto c = static_cast<unsigned char>(out[i]);
    HYPERION_FUZZ_CHECK(c >= 0x20 && c != 0x7f);
    HYPERION_FUZZ_CHECK(!(c == 0xc2 && i + 1 < out.size() && static_cast<unsigned char>(out[i + 1]) <= 0x9f));
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto text = hyperion::fuzz::as_text(data, size);
  check(text, 4096);
  check(text, size / 2);
  return 0;
}
