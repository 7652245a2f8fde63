// libFuzzer target: the containers family's parsers (collectors/src/cgroups.cpp): cgroup v2
// and v1 control files, a cgroup path's classification, Docker's config.v2.json and Podman's
// containers.json. Input: the fields below, separated by 0x1E.
#include "fuzz_support.hpp"
#include "hyperion/collectors/cgroups.hpp"

using namespace hyperion::collectors;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto f = hyperion::fuzz::split_fields(hyperion::fuzz::as_text(data, size), 10);
  (void)parse_cgroup_cpu_stat(f[0]);
  (void)parse_cgroup_number(f[1]);
  if (const auto max = parse_cgroup_max(f[2]); max && !max->has_value()) {
    HYPERION_FUZZ_CHECK(f[2].find("max") != std::string_view::npos);
  }
  (void)parse_cgroup_v1_memory_limit(f[3]);
  (void)parse_cgroup_cpuacct_usage(f[4]);
  (void)parse_cgroup_io_stat(f[5]);
  (void)parse_cgroup_blkio_service_bytes(f[6]);
  const auto c = classify_cgroup(f[7]);
  HYPERION_FUZZ_CHECK(c.name.size() <= f[7].size());
  HYPERION_FUZZ_CHECK(c.container_id.empty() || c.container_id.size() == 64);
  if (c.kind == CgroupKind::docker || c.kind == CgroupKind::containerd || c.kind == CgroupKind::podman) {
    HYPERION_FUZZ_CHECK(c.container_id.size() == 64);
  }
  if (const auto name = parse_docker_config_name(f[8])) HYPERION_FUZZ_CHECK(name->size() <= f[8].size());
  if (const auto list = parse_podman_containers(f[9])) {
    HYPERION_FUZZ_CHECK(list->size() <= f[9].size());
    for (const auto& p : *list) HYPERION_FUZZ_CHECK(p.id.size() + p.name.size() <= f[9].size());
  }
  return 0;
}
