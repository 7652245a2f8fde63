#include "hyperion/collectors/proc_uptime.hpp"

#include "hyperion/collectors/text.hpp"

namespace hyperion::collectors {

Result<Uptime> parse_proc_uptime(std::string_view text) {
  std::string_view rest = text, up, idle, extra;
  if (!text::next_token(rest, up)) return Error{Errc::empty, "/proc/uptime is empty"};
  if (!text::next_token(rest, idle)) return Error{Errc::truncated, "expected 2 fields"};
  if (text::next_token(rest, extra)) return Error{Errc::malformed, "more than 2 fields"};
  const auto u = text::to_double(up), i = text::to_double(idle);
  if (!u || !i || *u < 0 || *i < 0) return Error{Errc::malformed, "uptime is not a number"};
  return Uptime{*u, *i};
}

}  // namespace hyperion::collectors
