#include "hyperion/collectors/proc_cpuinfo.hpp"

#include <catch2/catch.hpp>

#include "fixture.hpp"

using namespace hyperion::collectors;
using hyperion::test::read_fixture;

TEST_CASE("parse_proc_cpuinfo: reads the real 2-vCPU AMD guest", "[collectors][proc_cpuinfo]") {
  const auto r = parse_proc_cpuinfo(read_fixture("debian12-6.18-x86_64/proc/cpuinfo"));
  CHECK(r.model == "AMD EPYC");
  CHECK(r.vendor == "AuthenticAMD");
  CHECK(r.logical_cpus == 2);
  CHECK(r.physical_cores == 2);  // core id 0 and 1 on physical id 0
  CHECK(r.sockets == 1);
  CHECK(r.hypervisor_flag);      // Firecracker sets CPUID.1:ECX[31]
}

TEST_CASE("parse_proc_cpuinfo: two sockets with hyperthreads", "[collectors][proc_cpuinfo]") {
  // 2 sockets x 2 cores x 2 threads. core id restarts at 0 in each socket, and the
  // siblings (processors 4-7) repeat the (physical id, core id) pairs of 0-3.
  const auto r = parse_proc_cpuinfo(read_fixture("synthetic-2socket-ht/proc/cpuinfo"));
  CHECK(r.logical_cpus == 8);
  CHECK(r.physical_cores == 4);
  CHECK(r.sockets == 2);
  CHECK(r.model == "Intel(R) Xeon(R) Gold 5122 CPU @ 3.60GHz");
  CHECK(r.vendor == "GenuineIntel");
  CHECK_FALSE(r.hypervisor_flag);  // bare metal
}

TEST_CASE("parse_proc_cpuinfo: arm64 has no model name", "[collectors][proc_cpuinfo]") {
  const auto r = parse_proc_cpuinfo(read_fixture("synthetic-arm64/proc/cpuinfo"));
  CHECK(r.logical_cpus == 4);
  CHECK(r.physical_cores == 4);  // no topology keys: one core per processor
  CHECK(r.sockets == 1);
  CHECK(r.model.empty());        // the caller falls back to the device tree
  CHECK(r.vendor == "ARM");      // CPU implementer 0x41
  CHECK_FALSE(r.hypervisor_flag);
}

TEST_CASE("parse_proc_cpuinfo: other architectures' model keys", "[collectors][proc_cpuinfo]") {
  SECTION("arm32 prints Processor above the blocks") {
    const auto r = parse_proc_cpuinfo(
        "Processor\t: ARMv6-compatible processor rev 7 (v6l)\nprocessor\t: 0\n"
        "BogoMIPS\t: 697.95\nCPU implementer\t: 0x41\n\nHardware\t: BCM2835\n");
    CHECK(r.model == "ARMv6-compatible processor rev 7 (v6l)");
    CHECK(r.logical_cpus == 1);
  }
  SECTION("arm32 3.8+ prints model name, preferred over Processor") {
    const auto r = parse_proc_cpuinfo(
        "Processor\t: old\nprocessor\t: 0\nmodel name\t: ARMv7 Processor rev 4 (v7l)\n");
    CHECK(r.model == "ARMv7 Processor rev 4 (v7l)");
  }
  SECTION("PowerPC") {
    const auto r = parse_proc_cpuinfo(
        "processor\t: 0\ncpu\t\t: POWER9 (architected), altivec supported\nclock\t\t: 2200.000000MHz\n"
        "\nprocessor\t: 1\ncpu\t\t: POWER9 (architected), altivec supported\n");
    CHECK(r.model == "POWER9 (architected), altivec supported");
    CHECK(r.logical_cpus == 2);
  }
  SECTION("MIPS") {
    const auto r = parse_proc_cpuinfo("system type\t\t: MT7621\nprocessor\t\t: 0\n"
                                      "cpu model\t\t: MIPS 1004Kc V2.15\n");
    CHECK(r.model == "MIPS 1004Kc V2.15");
  }
  SECTION("RISC-V") {
    const auto r = parse_proc_cpuinfo("processor\t: 0\nhart\t\t: 0\nisa\t\t: rv64imafdc\n"
                                      "mmu\t\t: sv39\nuarch\t\t: sifive,u74-mc\n");
    CHECK(r.model == "sifive,u74-mc");
  }
  SECTION("unknown arm implementer leaves the vendor empty") {
    const auto r = parse_proc_cpuinfo("processor\t: 0\nCPU implementer\t: 0x99\n");
    CHECK(r.vendor.empty());
  }
  SECTION("hypervisor must be a whole flag") {
    const auto r = parse_proc_cpuinfo("processor\t: 0\nflags\t\t: fpu hypervisor_x vmx\n");
    CHECK_FALSE(r.hypervisor_flag);
  }
  SECTION("physical id without core id: sockets known, cores not") {
    const auto r = parse_proc_cpuinfo("processor : 0\nphysical id : 0\n\nprocessor : 1\n"
                                      "physical id : 1\n");
    CHECK(r.sockets == 2);
    CHECK(r.physical_cores == 2);
  }
}

TEST_CASE("parse_proc_cpuinfo: bad input gives a sane result, never a crash",
          "[collectors][proc_cpuinfo]") {
  const auto [name, input, cpus, cores, sockets] =
      GENERATE_REF(table<const char*, std::string, std::uint32_t, std::uint32_t, std::uint32_t>({
          {"empty", "", 0, 0, 0},
          {"whitespace only", "\n\n \t\n", 0, 0, 0},
          {"no colons", "processor 0\nmodel name AMD\n", 0, 0, 0},
          {"topology before any processor", "physical id : 0\ncore id : 0\n", 0, 0, 0},
          {"non-numeric core id", "processor : 0\nphysical id : 0\ncore id : x\n", 1, 1, 1},
          {"overflowing physical id", "processor : 0\nphysical id : 99999999999\ncore id : 0\n",
           1, 1, 1},
          {"truncated mid-key", "processor : 0\nphysical id : 0\ncore i", 1, 1, 1},
          {"extra colons", "processor : 0 : 1\nmodel name : A:B:C\n", 1, 1, 1},
          {"binary garbage", std::string("\x01:\xff\x00processor\x7f", 14), 0, 0, 0},
      }));
  INFO(name);
  const auto r = parse_proc_cpuinfo(input);
  CHECK(r.logical_cpus == cpus);
  CHECK(r.physical_cores == cores);
  CHECK(r.sockets == sockets);
}

TEST_CASE("parse_proc_cpuinfo: a value may itself contain colons", "[collectors][proc_cpuinfo]") {
  const auto r = parse_proc_cpuinfo("processor : 0\nmodel name : A:B:C\n");
  CHECK(r.model == "A:B:C");
}
