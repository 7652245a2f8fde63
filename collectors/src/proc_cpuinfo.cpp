#include "hyperion/collectors/proc_cpuinfo.hpp"

#include <algorithm>
#include <optional>
#include <utility>
#include <vector>

#include "hyperion/collectors/text.hpp"

namespace hyperion::collectors {
namespace {

// One "processor : N" block. x86 prints "physical id" (socket) and "core id" (core within the
// socket) when CONFIG_SMP is set (arch/x86/kernel/cpu/proc.c, show_cpuinfo_core); two
// hyperthreads of one core share both. arm64, riscv and others print neither: their
// topology lives in /sys/devices/system/cpu/cpuN/topology/.
struct Processor {
  std::optional<std::uint32_t> physical_id;
  std::optional<std::uint32_t> core_id;
};

// "CPU implementer" codes on arm64 (the MIDR_EL1 implementer byte), names as lscpu prints
// them (util-linux sys-utils/lscpu-arm.c). Unknown codes leave the vendor empty.
constexpr std::pair<std::uint64_t, std::string_view> kArmImplementers[] = {
    {0x41, "ARM"},      {0x42, "Broadcom"}, {0x43, "Cavium"},   {0x46, "Fujitsu"},
    {0x48, "HiSilicon"}, {0x4e, "NVIDIA"},  {0x50, "APM"},      {0x51, "Qualcomm"},
    {0x53, "Samsung"},  {0x56, "Marvell"},  {0x61, "Apple"},    {0x69, "Intel"},
    {0x6d, "Microsoft"}, {0x70, "Phytium"}, {0xc0, "Ampere"},
};

std::string_view arm_implementer(std::string_view value) noexcept {
  if (!value.starts_with("0x")) return {};
  const auto code = text::hex_to_u64(value.substr(2));
  if (!code) return {};
  for (const auto& [id, name] : kArmImplementers) {
    if (id == *code) return name;
  }
  return {};
}

bool has_word(std::string_view list, std::string_view word) noexcept {
  std::string_view token;
  while (text::next_token(list, token)) {
    if (token == word) return true;
  }
  return false;
}

std::uint32_t count_distinct(std::vector<std::uint64_t> v) {
  std::sort(v.begin(), v.end());
  return static_cast<std::uint32_t>(std::unique(v.begin(), v.end()) - v.begin());
}

}  // namespace

CpuInfo parse_proc_cpuinfo(std::string_view text) {
  CpuInfo out;
  std::vector<Processor> processors;
  // The model comes from the first occurrence of the best key present, by architecture:
  // "model name" (x86, arm32 3.8+), "Processor" (arm32 and early arm64, printed once above
  // the processor blocks), "cpu model" (MIPS), "cpu" (PowerPC, "POWER9 (architected)"),
  // "uarch" (RISC-V, 6.x). arm64 today prints none of these.
  constexpr std::string_view kModelKeys[] = {"model name", "Processor", "cpu model", "cpu",
                                             "uarch"};
  std::string_view models[std::size(kModelKeys)] = {};
  std::string_view vendor, implementer;

  std::string_view rest = text, line;
  while (text::next_line(rest, line)) {
    std::string_view key, value;
    if (!text::split_once(line, ':', key, value)) continue;
    key = text::trim(key);
    value = text::trim(value);
    if (key == "processor") {
      // Every block starts with this key (x86, arm, riscv, ppc, mips). s390 prints
      // "processor 0: version = ..." instead, which does not match and is not counted.
      processors.emplace_back();
      continue;
    }
    if (key == "physical id" || key == "core id") {
      if (processors.empty()) continue;
      auto& p = processors.back();
      (key == "physical id" ? p.physical_id : p.core_id) = text::to_u32(value);
      continue;
    }
    if (key == "flags") {
      // x86 sets X86_FEATURE_HYPERVISOR from CPUID.1:ECX bit 31, which hypervisors set.
      if (has_word(value, "hypervisor")) out.hypervisor_flag = true;
      continue;
    }
    if (key == "vendor_id") {
      if (vendor.empty()) vendor = value;
      continue;
    }
    if (key == "CPU implementer") {
      if (implementer.empty()) implementer = value;
      continue;
    }
    for (std::size_t i = 0; i < std::size(kModelKeys); ++i) {
      if (key == kModelKeys[i] && models[i].empty()) models[i] = value;
    }
  }

  for (const auto m : models) {
    if (!m.empty()) {
      out.model = std::string(m);
      break;
    }
  }
  out.vendor = std::string(vendor.empty() ? arm_implementer(implementer) : vendor);

  out.logical_cpus = static_cast<std::uint32_t>(processors.size());
  const bool all_sockets = !processors.empty() &&
      std::all_of(processors.begin(), processors.end(),
                  [](const Processor& p) { return p.physical_id.has_value(); });
  const bool all_cores = all_sockets &&
      std::all_of(processors.begin(), processors.end(),
                  [](const Processor& p) { return p.core_id.has_value(); });
  if (all_sockets) {
    std::vector<std::uint64_t> sockets;
    for (const auto& p : processors) sockets.push_back(*p.physical_id);
    out.sockets = count_distinct(std::move(sockets));
  } else {
    out.sockets = out.logical_cpus > 0 ? 1 : 0;
  }
  if (all_cores) {
    // core id restarts at 0 in each socket, so a core is the pair (socket, core).
    std::vector<std::uint64_t> cores;
    for (const auto& p : processors) {
      cores.push_back((static_cast<std::uint64_t>(*p.physical_id) << 32) | *p.core_id);
    }
    out.physical_cores = count_distinct(std::move(cores));
  } else {
    out.physical_cores = out.logical_cpus;
  }
  return out;
}

}  // namespace hyperion::collectors
