#include "hyperion/collectors/proc_meminfo.hpp"

#include <fmt/format.h>

#include <limits>

#include "hyperion/collectors/text.hpp"

namespace hyperion::collectors {

std::uint64_t MemInfo::used_bytes() const noexcept {
  const std::uint64_t cache = cached_bytes + slab_reclaimable_bytes.value_or(0);
  const std::uint64_t not_used = free_bytes + buffers_bytes + cache;
  return not_used >= total_bytes ? 0 : total_bytes - not_used;
}

std::uint64_t MemInfo::available_or_estimate() const noexcept {
  if (available_bytes) return *available_bytes;
  const std::uint64_t estimate = free_bytes + buffers_bytes + cached_bytes;
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
    std::uint64_t value_out = *v;
    if (has_unit) {
      if (*v > std::numeric_limits<std::uint64_t>::max() / 1024) {
        return Error{Errc::out_of_range, fmt::format("line {}: {} overflows", line_no, key)};
      }
      value_out = *v * 1024;
    }
    if (key == "MemTotal") out.total_bytes = value_out, have_total = true;
    else if (key == "MemFree") out.free_bytes = value_out, have_free = true;
    else if (key == "MemAvailable") out.available_bytes = value_out;
    else if (key == "Buffers") out.buffers_bytes = value_out;
    else if (key == "Cached") out.cached_bytes = value_out;
    else if (key == "Shmem") out.shared_bytes = value_out;
    else if (key == "Slab") out.slab_bytes = value_out;
    else if (key == "SReclaimable") out.slab_reclaimable_bytes = value_out;
    else if (key == "Dirty") out.dirty_bytes = value_out;
    else if (key == "Writeback") out.writeback_bytes = value_out;
    else if (key == "SwapTotal") out.swap_total_bytes = value_out;
    else if (key == "SwapFree") out.swap_free_bytes = value_out;
    else if (key == "SwapCached") out.swap_cached_bytes = value_out;
    else if (key == "HugePages_Total") out.hugepages_total = value_out;
    else if (key == "HugePages_Free") out.hugepages_free = value_out;
    else if (key == "HugePages_Rsvd") out.hugepages_reserved = value_out;
    else if (key == "HugePages_Surp") out.hugepages_surplus = value_out;
    else if (key == "Hugepagesize") out.hugepage_size_bytes = value_out;
  }
  if (!have_total) return Error{Errc::missing_field, "no MemTotal"};
  if (!have_free) return Error{Errc::missing_field, "no MemFree"};
  return out;
}

}  // namespace hyperion::collectors
