#include "hyperion/collectors/proc_pid_statm.hpp"

#include <fmt/format.h>

#include "hyperion/collectors/text.hpp"

namespace hyperion::collectors {
// Hot path like /proc/PID/stat: no allocation on success.
// The format is fixed since 2.6 (fs/proc/task_mmu.c, task_statm()): seven numbers in
// pages. "lib" and "dt" are always 0 since 2.6 (they were real values on 2.4) and are
// checked but not kept.
Result<PidStatm> parse_proc_pid_statm(std::string_view text) {
  if (text::trim(text).empty()) return Error{Errc::empty, "statm is empty"};
  PidStatm out;
  std::uint64_t lib = 0, dt = 0;
  std::uint64_t* const fields[] = {&out.size_pages, &out.resident_pages, &out.shared_pages,
                                   &out.text_pages, &lib,               &out.data_pages,
                                   &dt};
  std::size_t n = 0;
  std::string_view rest = text, token;
  while (text::next_token(rest, token)) {
    if (n == std::size(fields)) {
      return Error{Errc::malformed, fmt::format("more than {} fields", std::size(fields))};
    }
    const auto v = text::to_u64(token);
    if (!v) {
      // All digits but no conversion: too big for 64 bits; otherwise not a number.
      return Error{text::is_digits(token) ? Errc::out_of_range : Errc::malformed,
                   fmt::format("field {}: not a 64-bit page count", n + 1)};
    }
    *fields[n++] = *v;
  }
  if (n < 3) return Error{Errc::truncated, fmt::format("{} fields, need at least 3", n)};
  return out;
}

}  // namespace hyperion::collectors
