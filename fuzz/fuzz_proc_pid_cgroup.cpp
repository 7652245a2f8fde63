// libFuzzer target: parse_proc_pid_cgroup (/proc/PID/cgroup), then cgroup_unit and
// cgroup_container_id on the chosen path and on the raw input.
#include "hyperion/collectors/proc_pid_cgroup.hpp"

#include <cctype>

#include "fuzz_support.hpp"

using namespace hyperion::collectors;

namespace {

void check_path(std::string_view path) {
  const auto unit = cgroup_unit(path);
  HYPERION_FUZZ_CHECK(hyperion::fuzz::points_into(unit, path));
  const auto id = cgroup_container_id(path);
  HYPERION_FUZZ_CHECK(hyperion::fuzz::points_into(id, path));
  HYPERION_FUZZ_CHECK(id.empty() || id.size() == 64);
  for (const char c : id) HYPERION_FUZZ_CHECK(std::isxdigit(static_cast<unsigned char>(c)));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto text = hyperion::fuzz::as_text(data, size);
  check_path(text);
  const auto r = parse_proc_pid_cgroup(text);
  if (!r) return 0;
  HYPERION_FUZZ_CHECK(!r->path.empty());
  check_path(r->path);
  return 0;
}
