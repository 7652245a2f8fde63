#include "hyperion/collectors/proc_meminfo.hpp"

#include <fmt/format.h>

#include <limits>

#include "hyperion/collectors/text.hpp"

namespace hyperion::collectors {
namespace {

// Sums of counters from a distorted file (lxcfs, a wrapped counter) must not wrap around.
std::uint64_t saturating_add(std::uint64_t a, std::uint64_t b) noexcept {
  return b > std::numeric_limits<std::uint64_t>::max() - a ? std::numeric_limits<std::uint64_t>::max()
                                                            : a + b;
}

}  // namespace

std::uint64_t MemInfo::used_bytes() const noexcept {
  const std::uint64_t cache = saturating_add(cached_bytes, slab_reclaimable_bytes.value_or(0));
  const std::uint64_t not_used = saturating_add(saturating_add(free_bytes, buffers_bytes), cache);
  if (not_used <= total_bytes) return total_bytes - not_used;
  // free(1) (procps-ng proc/sysinfo.c, meminfo()) falls back to total - free when the sum goes
  // negative: inside an lxc container lxcfs reports the host's cache against the container's
  // MemTotal (lxc/lxcfs#84). Clamping to 0 instead would show a busy container as empty.
  return free_bytes >= total_bytes ? 0 : total_bytes - free_bytes;
}

std::uint64_t MemInfo::available_or_estimate() const noexcept {
  if (available_bytes) {
    // MemAvailable above MemTotal is the same lxc distortion; free(1) then shows MemFree.
    if (*available_bytes <= total_bytes) return *available_bytes;
    return free_bytes > total_bytes ? total_bytes : free_bytes;
  }
  const std::uint64_t estimate = saturating_add(saturating_add(free_bytes, buffers_bytes), cached_bytes);
  return estimate > total_bytes ? total_bytes : estimate;
}

Result<MemInfo> parse_proc_meminfo(std::string_view text) {
  if (text::trim(text).empty()) return Error{Errc::empty, "/proc/meminfo is empty"};
  MemInfo out;
  bool have_total = false, have_free = false;
  std::string_view rest = text, line;
  std::size_t line_no = 0;
  while (text::next_line(rest, line)) {
    ++line_no;
    if (text::trim(line).empty()) continue;
    std::string_view key, value;
    if (!text::split_once(line, ':', key, value)) {
      return Error{Errc::malformed, fmt::format("line {}: no ':'", line_no)};
    }
    std::string_view number, unit, extra;
    if (!text::next_token(value, number)) {
      return Error{Errc::truncated, fmt::format("line {}: no value", line_no)};
    }
    const bool has_unit = text::next_token(value, unit);
    if (text::next_token(value, extra) || (has_unit && unit != "kB")) {
      return Error{Errc::malformed, fmt::format("line {}: unexpected unit", line_no)};
    }
    const auto v = text::to_u64(number);
    if (!v) return Error{Errc::malformed, fmt::format("line {}: '{}' is not a number", line_no, key)};
    std::uint64_t* u64_field = nullptr;
    std::optional<std::uint64_t>* opt_field = nullptr;
    if (key == "MemTotal") u64_field = &out.total_bytes, have_total = true;
    else if (key == "MemFree") u64_field = &out.free_bytes, have_free = true;
    else if (key == "MemAvailable") opt_field = &out.available_bytes;
    else if (key == "Buffers") u64_field = &out.buffers_bytes;
    else if (key == "Cached") u64_field = &out.cached_bytes;
    else if (key == "Shmem") opt_field = &out.shared_bytes;
    else if (key == "Slab") u64_field = &out.slab_bytes;
    else if (key == "SReclaimable") opt_field = &out.slab_reclaimable_bytes;
    else if (key == "Dirty") u64_field = &out.dirty_bytes;
    else if (key == "Writeback") u64_field = &out.writeback_bytes;
    else if (key == "SwapTotal") u64_field = &out.swap_total_bytes;
    else if (key == "SwapFree") u64_field = &out.swap_free_bytes;
    else if (key == "SwapCached") u64_field = &out.swap_cached_bytes;
    else if (key == "HugePages_Total") opt_field = &out.hugepages_total;
    else if (key == "HugePages_Free") opt_field = &out.hugepages_free;
    else if (key == "HugePages_Rsvd") opt_field = &out.hugepages_reserved;
    else if (key == "HugePages_Surp") opt_field = &out.hugepages_surplus;
    else if (key == "Hugepagesize") opt_field = &out.hugepage_size_bytes;
    // A field we do not read is only checked for shape, not scaled: a counter that went
    // negative is printed as a huge unsigned kB value that overflows bytes (seen in the wild,
    // e.g. TritonDataCenter/smartos-live#623), and one such field must not cost us the file.
    if (u64_field == nullptr && opt_field == nullptr) continue;
    std::uint64_t value_out = *v;
    if (has_unit) {
      if (*v > std::numeric_limits<std::uint64_t>::max() / 1024) {
        return Error{Errc::out_of_range, fmt::format("line {}: {} overflows", line_no, key)};
      }
      value_out = *v * 1024;
    }
    if (u64_field != nullptr) *u64_field = value_out;
    else *opt_field = value_out;
  }
  if (!have_total) return Error{Errc::missing_field, "no MemTotal"};
  if (!have_free) return Error{Errc::missing_field, "no MemFree"};
  return out;
}

}  // namespace hyperion::collectors
