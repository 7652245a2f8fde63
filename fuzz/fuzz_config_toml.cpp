// libFuzzer target: the configuration file (apply_config_toml over the built-in defaults).
// No file is read: the text comes straight from the input. A document that applies cleanly
// must survive the round trip the header promises: render_config_toml, read back, same Config.
// toml++ is compiled from its headers in the fuzz build (see the top CMakeLists.txt), so the
// fuzzer sees its branches too.
#include "hyperion/daemon/config.hpp"

#include "fuzz_support.hpp"

using hyperion::daemon::Config;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  Config config;
  const auto error = hyperion::daemon::apply_config_toml(hyperion::fuzz::as_text(data, size), "fuzz", config);
  if (!error.empty()) {
    HYPERION_FUZZ_CHECK(error.starts_with("fuzz:"));  // "SOURCE:LINE: key: reason"
    return 0;
  }
  const auto rendered = hyperion::daemon::render_config_toml(config);
  Config again;
  HYPERION_FUZZ_CHECK(hyperion::daemon::apply_config_toml(rendered, "rendered", again).empty());
  HYPERION_FUZZ_CHECK(again == config);
  return 0;
}
