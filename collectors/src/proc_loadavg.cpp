#include "hyperion/collectors/proc_loadavg.hpp"

#include "hyperion/collectors/text.hpp"

namespace hyperion::collectors {

Result<LoadAvg> parse_proc_loadavg(std::string_view text) {
  std::string_view rest = text, t1, t5, t15, tasks, last;
  if (!text::next_token(rest, t1)) return Error{Errc::empty, "/proc/loadavg is empty"};
  if (!text::next_token(rest, t5) || !text::next_token(rest, t15) || !text::next_token(rest, tasks) ||
      !text::next_token(rest, last)) {
    return Error{Errc::truncated, "expected 5 fields"};
  }
  std::string_view extra;
  if (text::next_token(rest, extra)) return Error{Errc::malformed, "more than 5 fields"};
  LoadAvg out;
  const auto l1 = text::to_double(t1), l5 = text::to_double(t5), l15 = text::to_double(t15);
  if (!l1 || !l5 || !l15 || *l1 < 0 || *l5 < 0 || *l15 < 0) {
    return Error{Errc::malformed, "load averages are not numbers"};
  }
  std::string_view runnable, total;
  if (!text::split_once(tasks, '/', runnable, total)) {
    return Error{Errc::malformed, "task field is not runnable/total"};
  }
  const auto r = text::to_u32(runnable), n = text::to_u32(total), p = text::to_u32(last);
  if (!r || !n || !p) return Error{Errc::malformed, "task counts are not numbers"};
  out.load1 = *l1;
  out.load5 = *l5;
  out.load15 = *l15;
  out.runnable = *r;
  out.total = *n;
  out.last_pid = *p;
  return out;
}

}  // namespace hyperion::collectors
