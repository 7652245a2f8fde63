#pragma once

// /proc/cpuinfo: the CPU model and topology. x86 has "model name", "physical id",
// "core id", "flags"; arm64 has "CPU implementer"/"CPU part" and no model name
// (then the model is empty and the caller may use /sys/firmware/devicetree/base/model).

#include <cstdint>
#include <string>
#include <string_view>

namespace hyperion::collectors {

struct CpuInfo {
  std::string model;          // "model name" of the first processor, or "Processor"/"cpu model"
  std::string vendor;         // vendor_id; on arm64 the "CPU implementer" name ("ARM",
                              // "Ampere", ... as lscpu prints it); or empty
  std::uint32_t logical_cpus = 0;   // "processor" entries
  std::uint32_t physical_cores = 0; // distinct (physical id, core id); = logical_cpus when absent
  std::uint32_t sockets = 0;        // distinct physical id; 1 when absent and logical_cpus > 0
  bool hypervisor_flag = false;     // "hypervisor" in flags (x86: running under a VM)
};

// Never fails; empty text gives zero counts.
CpuInfo parse_proc_cpuinfo(std::string_view text);

}  // namespace hyperion::collectors
