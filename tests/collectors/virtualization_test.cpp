#include "hyperion/collectors/virtualization.hpp"

#include <catch2/catch.hpp>

#include "fixture.hpp"

using namespace hyperion::collectors;
using hyperion::test::read_fixture;

TEST_CASE("detect_virtualization: the real Firecracker VM", "[collectors][virtualization]") {
  // What the dev VM offers: no /sys/class/dmi, no /sys/hypervisor, /proc/1/environ unreadable,
  // /.dockerenv left over from the image the root filesystem was built from.
  const auto clocksource = read_fixture(
      "debian12-6.18-x86_64/sys/devices/system/clocksource/clocksource0/available_clocksource");
  const auto fadt = read_fixture("debian12-6.18-x86_64/sys/firmware/acpi/tables/FACP");
  REQUIRE(fadt.size() == 276);
  VirtualizationEvidence e;
  e.cpuinfo_hypervisor_flag = true;
  e.pid1_cgroup = "9:name=systemd:/\n0::/\n";
  e.dockerenv_exists = true;
  e.wsl_osrelease = "6.18.44-fc-v595\n";
  e.clocksource_available = clocksource;

  SECTION("as root, the ACPI tables name Firecracker") {
    e.acpi_fadt = fadt;
    const auto v = detect_virtualization(e);
    CHECK(v.vm == "firecracker");
    CHECK(v.container == "docker");  // same answer as systemd-detect-virt --container there
  }
  SECTION("unprivileged, kvm-clock still shows KVM") {
    const auto v = detect_virtualization(e);
    CHECK(v.vm == "kvm");
  }
  SECTION("the FADT's hypervisor vendor alone is enough") {
    std::string patched = fadt;
    patched.replace(10, 6, "XXXXXX");
    e.acpi_fadt = patched;
    CHECK(detect_virtualization(e).vm == "firecracker");
  }
  SECTION("without kvm-clock the hypervisor flag still says VM") {
    e.clocksource_available = "tsc hpet acpi_pm \n";
    CHECK(detect_virtualization(e).vm == "vm-other");
  }
}

TEST_CASE("detect_virtualization: DMI of common hypervisors and clouds",
          "[collectors][virtualization]") {
  const auto [name, vendor, product, bios, clocksource, expected] = GENERATE(
      table<const char*, const char*, const char*, const char*, const char*, const char*>({
          {"QEMU with KVM", "QEMU\n", "Standard PC (Q35 + ICH9, 2009)\n", "SeaBIOS\n",
           "kvm-clock tsc hpet acpi_pm \n", "kvm"},
          {"QEMU without KVM", "QEMU\n", "Standard PC (i440FX + PIIX, 1996)\n", "SeaBIOS\n",
           "tsc hpet acpi_pm \n", "qemu"},
          {"EC2 Nitro (KVM underneath)", "Amazon EC2\n", "m6i.large\n", "Amazon EC2\n",
           "kvm-clock tsc acpi_pm \n", "amazon"},
          {"GCE (KVM underneath)", "Google\n", "Google Compute Engine\n", "Google\n",
           "kvm-clock tsc \n", "google"},
          {"VirtualBox with KVM paravirt", "innotek GmbH\n", "VirtualBox\n", "innotek GmbH\n",
           "kvm-clock tsc \n", "oracle"},
          {"Hyper-V / Azure", "Microsoft Corporation\n", "Virtual Machine\n",
           "Microsoft Corporation\n", "hyperv_clocksource_tsc_page acpi_pm \n", "microsoft"},
          {"Surface laptop is bare metal", "Microsoft Corporation\n", "Surface Laptop 5\n",
           "Microsoft Corporation\n", "tsc hpet \n", ""},
          {"VMware", "VMware, Inc.\n", "VMware Virtual Platform\n", "Phoenix Technologies LTD\n",
           "tsc hpet acpi_pm \n", "vmware"},
          {"Xen HVM", "Xen\n", "HVM domU\n", "Xen\n", "xen tsc hpet \n", "xen"},
          {"bare-metal Dell", "Dell Inc.\n", "PowerEdge R640\n", "Dell Inc.\n", "tsc hpet \n", ""},
      }));
  INFO(name);
  VirtualizationEvidence e;
  e.dmi_sys_vendor = vendor;
  e.dmi_product_name = product;
  e.dmi_bios_vendor = bios;
  e.clocksource_available = clocksource;
  const std::string_view want = expected;
  e.cpuinfo_hypervisor_flag = !want.empty();
  CHECK(detect_virtualization(e).vm == want);
}

TEST_CASE("detect_virtualization: evidence without DMI", "[collectors][virtualization]") {
  VirtualizationEvidence e;
  SECTION("nothing at all is bare metal") {
    const auto v = detect_virtualization(e);
    CHECK(v.vm.empty());
    CHECK(v.container.empty());
  }
  SECTION("/sys/hypervisor/type") {
    e.hypervisor_type = "xen\n";
    CHECK(detect_virtualization(e).vm == "xen");
  }
  SECTION("Xen PV clocksource") {
    e.clocksource_available = "xen tsc \n";
    CHECK(detect_virtualization(e).vm == "xen");
  }
  SECTION("kvm-clock must be a whole word") {
    e.clocksource_available = "tsc not-kvm-clock \n";
    CHECK(detect_virtualization(e).vm.empty());
  }
  SECTION("a FADT from another vendor") {
    std::string fadt(276, '\0');
    fadt.replace(0, 4, "FACP");
    fadt.replace(10, 6, "ALASKA");
    e.acpi_fadt = fadt;
    CHECK(detect_virtualization(e).vm.empty());
  }
}

TEST_CASE("detect_virtualization: containers", "[collectors][virtualization]") {
  VirtualizationEvidence e;
  e.cpuinfo_hypervisor_flag = true;
  e.clocksource_available = "kvm-clock tsc \n";
  SECTION("WSL2") {
    e.wsl_osrelease = "5.15.153.1-microsoft-standard-WSL2\n";
    CHECK(detect_virtualization(e).container == "wsl");
  }
  SECTION("WSL1") {
    e.wsl_osrelease = "4.4.0-19041-Microsoft\n";
    CHECK(detect_virtualization(e).container == "wsl");
  }
  SECTION("container= in PID 1's environment") {
    const std::string nspawn("PATH=/usr/bin\0container=systemd-nspawn\0TERM=xterm\0", 50);
    e.pid1_environ = nspawn;
    CHECK(detect_virtualization(e).container == "systemd-nspawn");
    const std::string lxc("container=lxc\0", 14);
    e.pid1_environ = lxc;
    CHECK(detect_virtualization(e).container == "lxc");
    const std::string podman("HOME=/root\0container=podman", 27);
    e.pid1_environ = podman;
    CHECK(detect_virtualization(e).container == "podman");
    const std::string other("container=oci\0", 14);
    e.pid1_environ = other;
    CHECK(detect_virtualization(e).container == "container-other");
  }
  SECTION("marker files") {
    e.containerenv_exists = true;
    CHECK(detect_virtualization(e).container == "podman");
    e.containerenv_exists = false;
    e.dockerenv_exists = true;
    const auto v = detect_virtualization(e);
    CHECK(v.container == "docker");
    CHECK(v.vm == "kvm");  // Docker on a KVM guest is both
  }
  SECTION("cgroup v1 paths") {
    e.pid1_cgroup = "12:memory:/docker/3f1c2a\n0::/docker/3f1c2a\n";
    CHECK(detect_virtualization(e).container == "docker");
    e.pid1_cgroup = "0::/machine.slice/libpod-3f1c2a.scope\n";
    CHECK(detect_virtualization(e).container == "podman");
    e.pid1_cgroup = "0::/lxc.payload.web\n";
    CHECK(detect_virtualization(e).container == "lxc");
    e.pid1_cgroup = "0::/kubepods/burstable/pod1/3f1c2a\n";
    CHECK(detect_virtualization(e).container == "container-other");
    e.pid1_cgroup = "0::/init.scope\n";
    CHECK(detect_virtualization(e).container.empty());
  }
}

TEST_CASE("detect_virtualization: garbage evidence never crashes",
          "[collectors][virtualization]") {
  const std::string garbage("\x01\x02\xff\x00\x7f FACP", 10);
  const auto [name, fadt] = GENERATE_REF(table<const char*, std::string>({
      {"empty FADT", ""},
      {"short FADT", "FACP"},
      {"FADT cut in the OEM ID", std::string("FACP\x14\x01\0\0\x06\x66" "FIRE", 14)},
      {"FADT with OEM ID but wrong signature",
       std::string("APIC\x14\x01\0\0\x06\x66" "FIRECK", 16)},
      {"binary garbage", garbage},
  }));
  INFO(name);
  VirtualizationEvidence e;
  e.acpi_fadt = fadt;
  e.dmi_sys_vendor = garbage;
  e.dmi_product_name = garbage;
  e.hypervisor_type = garbage;
  e.pid1_environ = garbage;
  e.pid1_cgroup = garbage;
  e.clocksource_available = garbage;
  const auto v = detect_virtualization(e);
  CHECK(v.vm.empty());
  CHECK(v.container.empty());
}
