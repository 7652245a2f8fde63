// libFuzzer target: parse_proc_self_mountinfo (/proc/self/mountinfo), then what the collector
// does with the table: drop_hidden_mounts, is_pseudo_filesystem, read_only.
#include "hyperion/collectors/proc_self_mountinfo.hpp"

#include "fuzz_support.hpp"

using namespace hyperion::collectors;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto r = parse_proc_self_mountinfo(hyperion::fuzz::as_text(data, size));
  if (!r) return 0;
  const auto parsed = r->size();
  for (const auto& m : *r) {
    // Unescaping only shortens ("\040" -> " ").
    HYPERION_FUZZ_CHECK(m.root.size() + m.mount_point.size() + m.source.size() <= size);
    (void)m.read_only();
    (void)is_pseudo_filesystem(m.fstype);
  }
  const auto kept = drop_hidden_mounts(std::move(*r));
  HYPERION_FUZZ_CHECK(kept.size() <= parsed);
  return 0;
}
