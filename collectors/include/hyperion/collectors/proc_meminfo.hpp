#pragma once

// /proc/meminfo. Values in kB there are bytes here; HugePages_* are page counts.
// https://docs.kernel.org/filesystems/proc.html#meminfo

#include <cstdint>
#include <optional>
#include <string_view>

#include "hyperion/collectors/result.hpp"

namespace hyperion::collectors {

struct MemInfo {
  std::uint64_t total_bytes = 0;                   // MemTotal
  std::uint64_t free_bytes = 0;                    // MemFree
  std::optional<std::uint64_t> available_bytes;    // MemAvailable (3.14+)
  std::uint64_t buffers_bytes = 0;                 // Buffers
  std::uint64_t cached_bytes = 0;                  // Cached
  std::optional<std::uint64_t> shared_bytes;       // Shmem (2.6.32+)
  std::uint64_t slab_bytes = 0;                    // Slab
  std::optional<std::uint64_t> slab_reclaimable_bytes;  // SReclaimable
  std::uint64_t dirty_bytes = 0;                   // Dirty
  std::uint64_t writeback_bytes = 0;               // Writeback
  std::uint64_t swap_total_bytes = 0;              // SwapTotal
  std::uint64_t swap_free_bytes = 0;               // SwapFree
  std::uint64_t swap_cached_bytes = 0;             // SwapCached
  std::optional<std::uint64_t> hugepages_total;    // HugePages_Total (pages)
  std::optional<std::uint64_t> hugepages_free;     // HugePages_Free (pages)
  std::optional<std::uint64_t> hugepages_reserved; // HugePages_Rsvd
  std::optional<std::uint64_t> hugepages_surplus;  // HugePages_Surp
  std::optional<std::uint64_t> hugepage_size_bytes;  // Hugepagesize

  // The classic "used" of procps-ng 3.3.10..3.4: total - free - buffers - cache, where cache
  // is Cached + SReclaimable. procps-ng 4 (Debian 12) prints total - available instead, which
  // is what the snapshot's MemorySample::used_bytes holds. Never negative.
  std::uint64_t used_bytes() const noexcept;
  // MemAvailable, or an estimate (free + buffers + cached) on kernels without it.
  std::uint64_t available_or_estimate() const noexcept;
};

// Requires MemTotal and MemFree; every other field defaults to 0 or nullopt.
Result<MemInfo> parse_proc_meminfo(std::string_view text);

}  // namespace hyperion::collectors
