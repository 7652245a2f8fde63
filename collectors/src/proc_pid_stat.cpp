#include "hyperion/collectors/proc_pid_stat.hpp"

#include <fmt/format.h>

#include "hyperion/collectors/text.hpp"

namespace hyperion::collectors {
namespace {

// Field numbers are 1-based, as in proc_pid_stat(5) and do_task_stat() in fs/proc/array.c.
constexpr std::size_t kRssField = 24;        // the last field we require
constexpr std::size_t kProcessorField = 39;  // added in Linux 2.2.8; the last one we read

// A token that is all digits (maybe negative) but did not convert is too big for its
// type; anything else is not a number at all.
Error bad_field(std::size_t field, std::string_view token) {
  const std::string_view digits = token.starts_with('-') ? token.substr(1) : token;
  if (text::is_digits(digits)) {
    return Error{Errc::out_of_range, fmt::format("field {}: number out of range", field)};
  }
  return Error{Errc::malformed, fmt::format("field {}: not a number", field)};
}

bool read_number(std::string_view token, std::int32_t& out) noexcept {
  const auto v = text::to_i32(token);
  if (v) out = *v;
  return v.has_value();
}

bool read_number(std::string_view token, std::int64_t& out) noexcept {
  const auto v = text::to_i64(token);
  if (v) out = *v;
  return v.has_value();
}

bool read_number(std::string_view token, std::uint64_t& out) noexcept {
  const auto v = text::to_u64(token);
  if (v) out = *v;
  return v.has_value();
}

bool is_state(std::string_view token) noexcept {
  // One letter: R S D Z T t X I, plus the retired W (paging, < 2.6), x and K (3.9-3.13),
  // and P (parked, 3.9-4.14). We keep whatever letter the kernel printed.
  if (token.size() != 1) return false;
  const char c = token.front();
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

}  // namespace

// Hot path (every process, every tick): no allocation on success. comm is a view into
// `text`, fields are read straight from tokens, and everything after field 39 is skipped.
Result<PidStat> parse_proc_pid_stat(std::string_view text) {
  const std::string_view line = text::trim(text);
  if (line.empty()) return Error{Errc::empty, "stat is empty"};

  // "PID (COMM) STATE ...": comm is printed raw (no escaping, unlike /proc/PID/status), so
  // it may hold spaces, '(' and ')' ("((sd-pam))", "a) b"). It ends at the LAST ')':
  // nothing after it can contain one. It is not limited to 15 bytes either: workqueue
  // workers show "kworker/0:1H-kblockd" (4.18+), other kernel threads their full name
  // (5.17+), up to 63 bytes (proc_task_name() in fs/proc/array.c).
  const auto open = line.find('(');
  if (open == std::string_view::npos) return Error{Errc::malformed, "no '(' before comm"};
  const auto close = line.rfind(')');
  if (close == std::string_view::npos || close < open) {
    return Error{Errc::truncated, "comm has no closing ')'"};
  }
  if (open == 0 || line[open - 1] != ' ') return Error{Errc::malformed, "no pid before comm"};

  PidStat out;
  const std::string_view pid_token = line.substr(0, open - 1);
  if (!read_number(pid_token, out.pid)) return bad_field(1, pid_token);
  if (out.pid <= 0) return Error{Errc::malformed, "field 1: pid is not positive"};
  out.comm = line.substr(open + 1, close - open - 1);

  std::string_view rest = line.substr(close + 1);
  if (!rest.empty() && rest.front() != ' ') return Error{Errc::malformed, "no space after comm"};

  std::size_t field = 2;  // comm
  std::string_view token;
  while (field < kProcessorField && text::next_token(rest, token)) {
    ++field;
    bool ok = true;
    switch (field) {
      case 3:
        if (!is_state(token)) return Error{Errc::malformed, "field 3: bad state"};
        out.state = token.front();
        break;
      case 4: ok = read_number(token, out.ppid); break;
      case 5: ok = read_number(token, out.pgrp); break;
      case 6: ok = read_number(token, out.session); break;
      case 10: ok = read_number(token, out.minor_faults); break;
      case 12: ok = read_number(token, out.major_faults); break;
      case 14: ok = read_number(token, out.utime_ticks); break;
      case 15: ok = read_number(token, out.stime_ticks); break;
      // Negative for real-time tasks: -2 .. -100 (-1 - rt_priority).
      case 18: ok = read_number(token, out.priority); break;
      case 19: ok = read_number(token, out.nice); break;
      case 20: ok = read_number(token, out.num_threads); break;
      case 22: ok = read_number(token, out.start_time_ticks); break;
      case 23: ok = read_number(token, out.vsize_bytes); break;
      case 24: ok = read_number(token, out.rss_pages); break;
      case kProcessorField: ok = read_number(token, out.processor); break;
      default: break;  // fields we do not use are not checked
    }
    if (!ok) return bad_field(field, token);
  }
  if (field < kRssField) {
    return Error{Errc::truncated, fmt::format("{} fields, need at least {}", field, kRssField)};
  }
  return out;
}

}  // namespace hyperion::collectors
