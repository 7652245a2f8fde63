#include "hyperion/collectors/proc_stat.hpp"

#include <fmt/format.h>

#include "hyperion/collectors/text.hpp"

namespace hyperion::collectors {
namespace {

using text::next_line;
using text::next_token;

// Reads "user nice system idle [iowait irq softirq steal guest guest_nice]".
// The first four exist on every 2.6+ kernel; later columns are optional.
bool read_cpu_times(std::string_view rest, CpuTimes& t) {
  std::uint64_t* const fields[] = {&t.user_ticks,   &t.nice_ticks,    &t.system_ticks,
                                   &t.idle_ticks,   &t.iowait_ticks,  &t.irq_ticks,
                                   &t.softirq_ticks, &t.steal_ticks,  &t.guest_ticks,
                                   &t.guest_nice_ticks};
  std::size_t n = 0;
  std::string_view token;
  while (next_token(rest, token)) {
    if (n == std::size(fields)) return false;  // more columns than any kernel prints
    const auto v = text::to_u64(token);
    if (!v) return false;
    *fields[n++] = *v;
  }
  return n >= 4;
}

// "ctxt 123" -> 123; for "intr 123 0 0 ..." the first number (the total).
std::optional<std::uint64_t> first_number(std::string_view rest) {
  std::string_view token;
  if (!next_token(rest, token)) return std::nullopt;
  return text::to_u64(token);
}

}  // namespace

std::uint64_t CpuTimes::total() const noexcept {
  // guest time is already part of user (and guest_nice of nice).
  return user_ticks + nice_ticks + system_ticks + idle_ticks + iowait_ticks + irq_ticks +
         softirq_ticks + steal_ticks;
}

std::uint64_t CpuTimes::busy() const noexcept { return total() - idle_ticks - iowait_ticks; }

Result<ProcStat> parse_proc_stat(std::string_view text) {
  if (text::trim(text).empty()) return Error{Errc::empty, "/proc/stat is empty"};
  ProcStat out;
  bool have_total = false, have_ctxt = false, have_btime = false, have_forks = false;
  std::string_view rest = text, line;
  std::size_t line_no = 0;
  while (next_line(rest, line)) {
    ++line_no;
    std::string_view key;
    std::string_view values = line;
    if (!next_token(values, key)) continue;
    if (key.starts_with("cpu")) {
      CpuTimes times;
      if (!read_cpu_times(values, times)) {
        return Error{Errc::malformed, fmt::format("line {}: bad cpu line", line_no)};
      }
      if (key == "cpu") {
        out.total = times;
        have_total = true;
      } else {
        const auto id = text::to_u32(key.substr(3));
        if (!id) return Error{Errc::malformed, fmt::format("line {}: bad cpu name", line_no)};
        out.cpus.push_back({*id, times});
      }
      continue;
    }
    auto number = [&](auto& field, bool* seen) -> bool {
      const auto v = first_number(values);
      if (!v) return false;
      using Field = std::remove_reference_t<decltype(field)>;
      if (*v > std::numeric_limits<Field>::max()) return false;
      field = static_cast<Field>(*v);
      if (seen) *seen = true;
      return true;
    };
    bool ok = true;
    if (key == "ctxt") ok = number(out.context_switches, &have_ctxt);
    else if (key == "btime") ok = number(out.boot_time_seconds, &have_btime);
    else if (key == "processes") ok = number(out.forks, &have_forks);
    else if (key == "intr") ok = number(out.interrupts, nullptr);
    else if (key == "procs_running") ok = number(out.procs_running, nullptr);
    else if (key == "procs_blocked") ok = number(out.procs_blocked, nullptr);
    else if (key == "softirq") {
      std::uint64_t v = 0;
      ok = number(v, nullptr);
      if (ok) out.softirqs = v;
    }
    if (!ok) return Error{Errc::malformed, fmt::format("line {}: bad value for {}", line_no, key)};
  }
  if (!have_total) return Error{Errc::missing_field, "no aggregate cpu line"};
  if (!have_ctxt) return Error{Errc::missing_field, "no ctxt line"};
  if (!have_btime) return Error{Errc::missing_field, "no btime line"};
  if (!have_forks) return Error{Errc::missing_field, "no processes line"};
  return out;
}

}  // namespace hyperion::collectors
