// Virtualization detection rules (the same idea as systemd-detect-virt, src/basic/virt.c,
// reduced to evidence readable from files; no CPUID instruction, so it also works on the
// text an SSH source fetches).
//
// VM, first rule that matches wins:
//   1. DMI names a cloud or VM product whose hypervisor would otherwise look like plain KVM
//      or Xen (systemd gives these precedence over CPUID for the same reason):
//        "Amazon EC2" -> amazon, "Google" -> google, "innotek GmbH"/"Oracle Corporation"
//        (VirtualBox) -> oracle, "Xen" -> xen, "Microsoft Corporation" with product
//        "Virtual Machine" (Hyper-V, Azure) -> microsoft. A Surface laptop also says
//        "Microsoft Corporation", hence the product check.
//   2. Firecracker: its ACPI FADT carries OEM ID "FIRECK" (bytes 10..15 of every table
//      header) and hypervisor vendor identity "FIRECKVM" (FADT offset 268), which
//      firecracker's src/vmm/src/acpi/mod.rs sets "to let the guest know that it runs within
//      a Firecracker microVM". Firecracker has no DMI/SMBIOS at all. The table is readable by
//      root only; without it a Firecracker guest is reported as "kvm" by rule 4.
//   3. /sys/hypervisor/type is "xen" -> xen. (A Xen dom0 is reported as xen too; systemd
//      tells it apart with /proc/xen/capabilities, which we do not read.)
//   4. available_clocksource lists "kvm-clock" -> kvm. The kernel registers kvm-clock only
//      after finding KVM's CPUID signature (arch/x86/kernel/kvmclock.c), so this is the file
//      form of systemd's CPUID check; QEMU with KVM acceleration is "kvm" here as in systemd.
//   5. Other DMI vendors: "QEMU" -> qemu (QEMU without KVM), "KVM" -> kvm, "VMware" -> vmware.
//   6. available_clocksource lists "xen" -> xen, "hyperv_clocksource..." -> microsoft.
//   7. The x86 "hypervisor" cpuinfo flag alone -> vm-other.
//   8. Otherwise "" (bare metal, or a VM that hides itself).
//
// Container, first rule that matches wins (independent of the VM; Docker on a VM is both):
//   1. kernel osrelease contains "microsoft"/"Microsoft" -> wsl (WSL1 "4.4.0-19041-Microsoft",
//      WSL2 "5.15.90.1-microsoft-standard-WSL2"), as systemd does.
//   2. container= in PID 1's environment (set by systemd-nspawn, podman, LXC, and OCI
//      runtimes that follow systemd's Container Interface): docker, podman, lxc/lxc-libvirt
//      -> lxc, systemd-nspawn; any other non-empty value -> container-other.
//   3. /run/.containerenv exists -> podman.  4. /.dockerenv exists -> docker.
//   5. PID 1's cgroup path names a runtime (cgroup v1, or v2 without a cgroup namespace):
//      "libpod" -> podman, "docker" -> docker, "/lxc/" or "lxc.payload" -> lxc,
//      "kubepods" -> container-other.
//   6. Otherwise "".
//
// On the dev VM (Firecracker on KVM, debian12-6.18-x86_64 fixture): no DMI, no
// /sys/hypervisor, "hypervisor" flag set, available_clocksource "tsc kvm-clock", FADT OEM
// "FIRECK" -> vm "firecracker" as root, "kvm" otherwise. Its root filesystem was built from a
// Docker image and still holds /.dockerenv, so container is "docker", exactly what
// `systemd-detect-virt --container` prints there; no file-based rule can tell that leftover
// from a real Docker container, whose PID 1 cgroup is "0::/" too under a cgroup namespace.

#include "hyperion/collectors/virtualization.hpp"

#include "hyperion/collectors/text.hpp"

namespace hyperion::collectors {
namespace {

bool contains(std::string_view haystack, std::string_view needle) noexcept {
  return haystack.find(needle) != std::string_view::npos;
}

bool has_word(std::string_view list, std::string_view word) noexcept {
  std::string_view token;
  while (text::next_token(list, token)) {
    if (token == word) return true;
  }
  return false;
}

// ACPI table header (ACPI 6.5, 5.2.6): signature[4] length[4] revision[1] checksum[1]
// oem_id[6] oem_table_id[8] ... The FADT's hypervisor vendor identity is at offset 268
// (FADT revision 6+, 276 bytes).
bool is_firecracker_fadt(std::string_view fadt) noexcept {
  constexpr std::size_t kOemIdOffset = 10;
  constexpr std::size_t kHypervisorIdOffset = 268;
  if (fadt.size() < kOemIdOffset + 6 || fadt.substr(0, 4) != "FACP") return false;
  if (fadt.substr(kOemIdOffset, 6) == "FIRECK") return true;
  return fadt.size() >= kHypervisorIdOffset + 8 &&
         fadt.substr(kHypervisorIdOffset, 8) == "FIRECKVM";
}

std::string dmi_cloud(std::string_view vendor, std::string_view product, std::string_view bios) {
  if (vendor == "Amazon EC2" || bios == "Amazon EC2") return "amazon";
  if (vendor == "Google" || product == "Google Compute Engine" || bios == "Google") {
    return "google";
  }
  if (vendor == "innotek GmbH" || vendor == "Oracle Corporation" || bios == "innotek GmbH") {
    return "oracle";
  }
  if (vendor == "Xen" || bios == "Xen") return "xen";
  if (vendor == "Microsoft Corporation" && product == "Virtual Machine") return "microsoft";
  return {};
}

std::string dmi_other(std::string_view vendor, std::string_view product, std::string_view bios) {
  if (vendor == "QEMU") return "qemu";
  if (product == "KVM" || vendor == "KVM") return "kvm";
  if (vendor.starts_with("VMware") || product.starts_with("VMware") || bios.starts_with("VMware")) {
    return "vmware";
  }
  return {};
}

std::string detect_vm(const VirtualizationEvidence& e) {
  const auto vendor = text::trim(e.dmi_sys_vendor);
  const auto product = text::trim(e.dmi_product_name);
  const auto bios = text::trim(e.dmi_bios_vendor);
  if (auto vm = dmi_cloud(vendor, product, bios); !vm.empty()) return vm;
  if (is_firecracker_fadt(e.acpi_fadt)) return "firecracker";
  if (text::trim(e.hypervisor_type) == "xen") return "xen";
  if (has_word(e.clocksource_available, "kvm-clock")) return "kvm";
  if (auto vm = dmi_other(vendor, product, bios); !vm.empty()) return vm;
  std::string_view token, list = e.clocksource_available;
  while (text::next_token(list, token)) {
    if (token == "xen") return "xen";
    if (token.starts_with("hyperv_clocksource")) return "microsoft";
  }
  if (e.cpuinfo_hypervisor_flag) return "vm-other";
  return {};
}

// The value of "container=" in NUL-separated environ text, or empty.
std::string_view environ_container(std::string_view environ) noexcept {
  constexpr std::string_view kKey = "container=";
  while (!environ.empty()) {
    const auto nul = environ.find('\0');
    const auto entry = environ.substr(0, nul);
    if (entry.starts_with(kKey)) return text::trim(entry.substr(kKey.size()));
    if (nul == std::string_view::npos) break;
    environ.remove_prefix(nul + 1);
  }
  return {};
}

std::string detect_container(const VirtualizationEvidence& e) {
  if (contains(e.wsl_osrelease, "microsoft") || contains(e.wsl_osrelease, "Microsoft")) {
    return "wsl";
  }
  if (const auto c = environ_container(e.pid1_environ); !c.empty()) {
    if (c == "docker") return "docker";
    if (c == "podman") return "podman";
    if (c == "lxc" || c == "lxc-libvirt") return "lxc";
    if (c == "systemd-nspawn") return "systemd-nspawn";
    return "container-other";
  }
  if (e.containerenv_exists) return "podman";
  if (e.dockerenv_exists) return "docker";
  const auto cg = e.pid1_cgroup;
  if (contains(cg, "libpod")) return "podman";
  if (contains(cg, "docker")) return "docker";
  if (contains(cg, "/lxc/") || contains(cg, "lxc.payload")) return "lxc";
  if (contains(cg, "kubepods")) return "container-other";
  return {};
}

}  // namespace

Virtualization detect_virtualization(const VirtualizationEvidence& e) {
  return Virtualization{detect_vm(e), detect_container(e)};
}

}  // namespace hyperion::collectors
