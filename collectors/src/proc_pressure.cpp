#include "hyperion/collectors/proc_pressure.hpp"

#include <fmt/format.h>

#include "hyperion/collectors/text.hpp"

namespace hyperion::collectors {
namespace {

// "avg10=0.00 avg60=0.00 avg300=0.00 total=0": all four keys are required.
bool read_line(std::string_view rest, PressureLine& out) {
  bool a10 = false, a60 = false, a300 = false, tot = false;
  std::string_view token;
  while (text::next_token(rest, token)) {
    std::string_view key, value;
    if (!text::split_once(token, '=', key, value)) return false;
    if (key == "total") {
      const auto v = text::to_u64(value);
      if (!v) return false;
      out.total_microseconds = *v;
      tot = true;
      continue;
    }
    double* field = nullptr;
    bool* seen = nullptr;
    if (key == "avg10") field = &out.avg10, seen = &a10;
    else if (key == "avg60") field = &out.avg60, seen = &a60;
    else if (key == "avg300") field = &out.avg300, seen = &a300;
    // Unknown keys are ignored whatever their value looks like: a future kernel may add
    // some, and their format is not ours to judge. Only the keys we read are validated.
    if (field == nullptr) continue;
    const auto v = text::to_double(value);
    if (!v || *v < 0) return false;
    *field = *v;
    *seen = true;
  }
  return a10 && a60 && a300 && tot;
}

}  // namespace

Result<Pressure> parse_proc_pressure(std::string_view text) {
  if (text::trim(text).empty()) return Error{Errc::empty, "pressure file is empty"};
  Pressure out;
  bool have_some = false;
  std::string_view rest = text, line;
  while (text::next_line(rest, line)) {
    std::string_view values = line, kind;
    if (!text::next_token(values, kind)) continue;
    PressureLine parsed;
    if (kind != "some" && kind != "full") {
      return Error{Errc::malformed, fmt::format("unknown line kind '{}'", kind)};
    }
    if (!read_line(values, parsed)) {
      return Error{Errc::malformed, fmt::format("bad '{}' line", kind)};
    }
    if (kind == "some") {
      out.some = parsed;
      have_some = true;
    } else {
      out.full = parsed;
    }
  }
  if (!have_some) return Error{Errc::missing_field, "no 'some' line"};
  return out;
}

}  // namespace hyperion::collectors
