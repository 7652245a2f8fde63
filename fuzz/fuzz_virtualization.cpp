// libFuzzer target: detect_virtualization. Its evidence is many files, some binary or
// NUL-separated, so the input is: one byte of flags (bit 0 cpuinfo "hypervisor", bit 1
// /.dockerenv, bit 2 /run/.containerenv), then the text fields in the order of
// VirtualizationEvidence, separated by 0x1E (fuzz_support.hpp). fuzz/make_seeds.py writes seeds.
#include "hyperion/collectors/virtualization.hpp"

#include "fuzz_support.hpp"

using namespace hyperion::collectors;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const auto flags = data[0];
  const auto f = hyperion::fuzz::split_fields(hyperion::fuzz::as_text(data + 1, size - 1), 10);
  VirtualizationEvidence e;
  e.dmi_sys_vendor = f[0];
  e.dmi_product_name = f[1];
  e.dmi_bios_vendor = f[2];
  e.hypervisor_type = f[3];
  e.pid1_environ = f[4];
  e.pid1_cgroup = f[5];
  e.wsl_osrelease = f[6];
  e.clocksource_available = f[7];
  e.acpi_fadt = f[8];
  (void)f[9];  // room for a future field
  e.cpuinfo_hypervisor_flag = (flags & 1) != 0;
  e.dockerenv_exists = (flags & 2) != 0;
  e.containerenv_exists = (flags & 4) != 0;
  const auto v = detect_virtualization(e);
  HYPERION_FUZZ_CHECK(v.vm.size() < 32 && v.container.size() < 32);  // names from a fixed list
  return 0;
}
