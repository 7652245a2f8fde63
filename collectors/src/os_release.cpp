#include "hyperion/collectors/os_release.hpp"

#include "hyperion/collectors/text.hpp"

namespace hyperion::collectors {
namespace {

// os-release(5): "a newline-separated list of environment-like shell-compatible variable
// assignments". Values may be unquoted, "double quoted" (backslash escapes $ " \ `) or
// 'single quoted' (no escapes); distributions use all three, e.g. Alpine and RHEL-style
// files write NAME="..." but some generators emit NAME='...'. A shell would also join
// adjacent pieces (ID="a"'b'c), so this does too. Parsing stops at unquoted whitespace
// (what follows, e.g. "# comment", is ignored); an unterminated quote takes the rest of
// the line rather than failing.
std::string shell_value(std::string_view v) {
  std::string out;
  std::size_t i = 0;
  while (i < v.size()) {
    const char c = v[i];
    if (c == ' ' || c == '\t') break;
    if (c == '\'') {
      const auto end = v.find('\'', i + 1);
      const auto stop = end == std::string_view::npos ? v.size() : end;
      out.append(v.substr(i + 1, stop - i - 1));
      i = stop == v.size() ? stop : stop + 1;
      continue;
    }
    if (c == '"') {
      ++i;
      while (i < v.size() && v[i] != '"') {
        // Inside double quotes a backslash only escapes these (POSIX 2.2.3); before any
        // other character it stays literal.
        if (v[i] == '\\' && i + 1 < v.size() &&
            (v[i + 1] == '"' || v[i + 1] == '\\' || v[i + 1] == '$' || v[i + 1] == '`')) {
          ++i;
        }
        out.push_back(v[i]);
        ++i;
      }
      if (i < v.size()) ++i;  // the closing quote
      continue;
    }
    if (c == '\\' && i + 1 < v.size()) ++i;  // unquoted: backslash escapes any character
    out.push_back(v[i]);
    ++i;
  }
  return out;
}

bool valid_key(std::string_view key) noexcept {
  if (key.empty()) return false;
  for (const char c : key) {
    const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                    c == '_';
    if (!ok) return false;
  }
  return !(key.front() >= '0' && key.front() <= '9');
}

}  // namespace

// Defaults from os-release(5): ID=linux, NAME=Linux, PRETTY_NAME=Linux when unset. A later
// assignment of the same key wins, as it would in a shell.
OsRelease parse_os_release(std::string_view text) {
  OsRelease out;
  bool have_name = false, have_pretty = false, have_id = false;
  std::string_view rest = text, line;
  while (text::next_line(rest, line)) {
    line = text::trim(line);  // also drops the '\r' of a CRLF file
    if (line.empty() || line.front() == '#') continue;
    std::string_view key, value;
    if (!text::split_once(line, '=', key, value)) continue;
    if (!valid_key(key)) continue;
    if (key == "ID") {
      out.id = shell_value(value);
      have_id = !out.id.empty();
    } else if (key == "NAME") {
      out.name = shell_value(value);
      have_name = !out.name.empty();
    } else if (key == "VERSION_ID") {
      out.version_id = shell_value(value);
    } else if (key == "VERSION") {
      out.version = shell_value(value);
    } else if (key == "PRETTY_NAME") {
      out.pretty_name = shell_value(value);
      have_pretty = !out.pretty_name.empty();
    }
  }
  if (!have_id) out.id = "linux";
  if (!have_name) out.name = "Linux";
  if (!have_pretty) out.pretty_name = out.name;
  return out;
}

}  // namespace hyperion::collectors
