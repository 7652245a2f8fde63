#include "hyperion/collectors/proc_pid_io.hpp"

#include <fmt/format.h>

#include "hyperion/collectors/text.hpp"

namespace hyperion::collectors {
namespace {

struct Key {
  std::string_view name;
  std::uint64_t PidIo::*field;
};

constexpr Key kKeys[] = {
    {"rchar", &PidIo::rchar},
    {"wchar", &PidIo::wchar},
    {"syscr", &PidIo::syscr},
    {"syscw", &PidIo::syscw},
    {"read_bytes", &PidIo::read_bytes},
    {"write_bytes", &PidIo::write_bytes},
    {"cancelled_write_bytes", &PidIo::cancelled_write_bytes},
};

}  // namespace

// Format: proc_pid_io_accounting() in fs/proc/base.c, unchanged since 2.6.20. Keys we do
// not know are skipped so that a later kernel may add some; a repeated key: the last wins.
// Without CONFIG_TASK_XACCT the kernel still prints every line, with rchar..syscw at 0.
Result<PidIo> parse_proc_pid_io(std::string_view text) {
  if (text::trim(text).empty()) return Error{Errc::empty, "io is empty"};
  PidIo out;
  bool have_read = false, have_write = false;
  std::string_view rest = text, line;
  std::size_t line_no = 0;
  while (text::next_line(rest, line)) {
    ++line_no;
    if (text::trim(line).empty()) continue;
    std::string_view key, value;
    if (!text::split_once(line, ':', key, value)) {
      return Error{Errc::malformed, fmt::format("line {}: no ':'", line_no)};
    }
    key = text::trim(key);
    value = text::trim(value);
    for (const auto& k : kKeys) {
      if (k.name != key) continue;
      const auto v = text::to_u64(value);
      if (!v) {
        return Error{text::is_digits(value) ? Errc::out_of_range : Errc::malformed,
                     fmt::format("line {}: bad value for {}", line_no, k.name)};
      }
      out.*k.field = *v;
      have_read = have_read || k.field == &PidIo::read_bytes;
      have_write = have_write || k.field == &PidIo::write_bytes;
      break;
    }
  }
  if (!have_read) return Error{Errc::missing_field, "no read_bytes line"};
  if (!have_write) return Error{Errc::missing_field, "no write_bytes line"};
  return out;
}

}  // namespace hyperion::collectors
