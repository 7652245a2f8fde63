#pragma once

// Detects a hypervisor or container from evidence the source gathers (a pure function:
// the caller reads the files). Same idea as systemd-detect-virt, smaller.

#include <string>
#include <string_view>

namespace hyperion::collectors {

struct VirtualizationEvidence {
  std::string_view dmi_sys_vendor;      // /sys/class/dmi/id/sys_vendor
  std::string_view dmi_product_name;    // /sys/class/dmi/id/product_name
  std::string_view dmi_bios_vendor;     // /sys/class/dmi/id/bios_vendor
  std::string_view hypervisor_type;     // /sys/hypervisor/type ("xen")
  bool cpuinfo_hypervisor_flag = false;
  std::string_view pid1_environ;        // /proc/1/environ (NUL-separated; "container=...")
  std::string_view pid1_cgroup;         // /proc/1/cgroup
  bool dockerenv_exists = false;        // /.dockerenv
  bool containerenv_exists = false;     // /run/.containerenv (podman)
  std::string_view wsl_osrelease;       // /proc/sys/kernel/osrelease (contains "microsoft" on WSL)
  // /sys/devices/system/clocksource/clocksource0/available_clocksource: "kvm-clock" is
  // registered only on KVM (and KVM-based VMMs such as Firecracker); world-readable.
  std::string_view clocksource_available;
  // The raw bytes of /sys/firmware/acpi/tables/FACP (mode 0400: empty unless run as root).
  // Firecracker writes OEM ID "FIRECK" and hypervisor vendor "FIRECKVM" into it.
  std::string_view acpi_fadt;
};

struct Virtualization {
  std::string vm;         // "kvm", "qemu", "vmware", "microsoft", "xen", "oracle", "amazon",
                          // "google", "firecracker", "vm-other", or "" (bare metal / unknown)
  std::string container;  // "docker", "podman", "lxc", "systemd-nspawn", "wsl", "container-other", or ""
};

Virtualization detect_virtualization(const VirtualizationEvidence& e);

}  // namespace hyperion::collectors
