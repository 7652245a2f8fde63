#include "hyperion/daemon/config.hpp"

#include <arpa/inet.h>
#include <fmt/format.h>
#include <netinet/in.h>

#include <toml++/toml.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>
#include <system_error>
#include <variant>

#include "config_settings.hpp"
#include "hyperion/collectors/text.hpp"
#include "hyperion/web/http.hpp"

namespace hyperion::daemon {
namespace {

using namespace detail;

// ---------------------------------------------------------------------------------------------
// Typo suggestions: optimal string alignment distance (a transposition counts one).

std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::vector<std::size_t>> d(a.size() + 1, std::vector<std::size_t>(b.size() + 1));
  for (std::size_t i = 0; i <= a.size(); ++i) d[i][0] = i;
  for (std::size_t j = 0; j <= b.size(); ++j) d[0][j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) {
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
      }
    }
  }
  return d[a.size()][b.size()];
}

// " (did you mean 'x'?)" for a near miss, or for a key written outside its section.
std::string suggestion(std::string_view wrong, const std::vector<std::string_view>& candidates) {
  std::string_view best;
  std::size_t best_distance = std::numeric_limits<std::size_t>::max();
  for (const auto c : candidates) {
    const auto d = edit_distance(wrong, c);
    if (d < best_distance) {
      best = c;
      best_distance = d;
    }
  }
  if (best_distance <= 2 && best_distance * 3 <= wrong.size()) return fmt::format(" (did you mean '{}'?)", best);
  for (const auto c : candidates) {
    if (c.size() > wrong.size() + 1 && c.substr(c.size() - wrong.size()) == wrong &&
        c[c.size() - wrong.size() - 1] == '.') {
      return fmt::format(" (did you mean '{}'?)", c);
    }
  }
  return {};
}

std::vector<std::string_view> all_keys() {
  std::vector<std::string_view> keys;
  for (const auto& s : settings()) keys.push_back(s.key);
  return keys;
}

// ---------------------------------------------------------------------------------------------
// Values: integers, durations ("1500ms", "2s", "1m", "1h") and sizes ("8192", "64KiB", "1MiB").
// Overflow saturates, so it is reported as above the maximum.

constexpr std::int64_t kSaturated = std::numeric_limits<std::int64_t>::max();

struct Number {
  bool negative = false;
  bool fraction = false;
  std::int64_t magnitude = 0;  // saturated
  std::string_view unit;       // whatever follows the digits
};

bool is_digit(char ch) { return ch >= '0' && ch <= '9'; }

std::optional<Number> split_number(std::string_view s) {
  Number n;
  std::size_t i = 0;
  if (i < s.size() && (s[i] == '-' || s[i] == '+')) n.negative = s[i++] == '-';
  const std::size_t start = i;
  for (; i < s.size() && is_digit(s[i]); ++i) {
    const auto digit = static_cast<std::int64_t>(s[i] - '0');
    n.magnitude = n.magnitude > (kSaturated - digit) / 10 ? kSaturated : n.magnitude * 10 + digit;
  }
  if (i == start) return std::nullopt;
  if (i < s.size() && s[i] == '.') {
    n.fraction = true;
    for (++i; i < s.size() && is_digit(s[i]); ++i) {
    }
  }
  n.unit = s.substr(i);
  return n;
}

std::int64_t saturating_multiply(std::int64_t value, std::int64_t unit) {
  return value > kSaturated / unit ? kSaturated : value * unit;
}

std::string format_duration(std::int64_t ms) {
  if (ms == 0) return "0ms";
  if (ms % kDay == 0) return fmt::format("{}d", ms / kDay);
  if (ms % kHour == 0) return fmt::format("{}h", ms / kHour);
  if (ms % kMinute == 0) return fmt::format("{}m", ms / kMinute);
  if (ms % kSecond == 0) return fmt::format("{}s", ms / kSecond);
  return fmt::format("{}ms", ms);
}

std::string format_size(std::uint64_t bytes) {
  constexpr auto kib = static_cast<std::uint64_t>(kKiB);
  if (bytes == 0) return "0";
  if (bytes % (kib * kib * kib) == 0) return fmt::format("{}GiB", bytes / (kib * kib * kib));
  if (bytes % (kib * kib) == 0) return fmt::format("{}MiB", bytes / (kib * kib));
  if (bytes % kib == 0) return fmt::format("{}KiB", bytes / kib);
  return fmt::format("{}", bytes);
}

std::string format_bound(const Setting& s, std::int64_t v) {
  switch (s.kind) {
    case Kind::duration: return format_duration(v);
    case Kind::size: return format_size(static_cast<std::uint64_t>(v));
    default: return fmt::format("{}", v);
  }
}

constexpr std::string_view kDurationUnits = "use ms, s, m, h or d, e.g. \"500ms\", \"2s\", \"1m\", \"7d\"";
constexpr std::string_view kSizeUnits = "use B, KiB, MiB or GiB, e.g. \"8192\", \"64KiB\", \"1MiB\"";

struct Parsed {
  std::int64_t value = 0;
  std::string error;
};

Parsed parse_integer_text(const Setting& s, std::string_view text) {
  const auto n = split_number(text);
  if (!n || n->fraction || !n->unit.empty()) {
    return {0, fmt::format("'{}' is not an integer from {} to {}", text, s.min, s.max)};
  }
  return {n->negative ? -n->magnitude : n->magnitude, {}};
}

Parsed parse_duration_text(std::string_view text) {
  const auto n = split_number(text);
  if (!n) return {0, fmt::format("'{}' is not a duration; {}", text, kDurationUnits)};
  if (n->negative) return {0, fmt::format("'{}' is negative", text)};
  if (n->fraction) {
    return {0, fmt::format("'{}' is not a whole number; use a smaller unit, e.g. \"1500ms\" for 1.5s", text)};
  }
  if (n->unit.empty()) return {0, fmt::format("'{}' has no unit; {}", text, kDurationUnits)};
  constexpr std::array<std::pair<std::string_view, std::int64_t>, 5> kUnits = {
      {{"ms", 1}, {"s", kSecond}, {"m", kMinute}, {"h", kHour}, {"d", kDay}}};
  for (const auto& [unit, factor] : kUnits) {
    if (n->unit == unit) return {saturating_multiply(n->magnitude, factor), {}};
  }
  return {0, fmt::format("'{}' has an unknown unit '{}'; {}", text, n->unit, kDurationUnits)};
}

Parsed parse_size_text(std::string_view text) {
  const auto n = split_number(text);
  if (!n) return {0, fmt::format("'{}' is not a size; {}", text, kSizeUnits)};
  if (n->negative) return {0, fmt::format("'{}' is negative", text)};
  if (n->fraction) {
    return {0, fmt::format("'{}' is not a whole number; use a smaller unit, e.g. \"1536KiB\" for 1.5MiB", text)};
  }
  constexpr std::array<std::pair<std::string_view, std::int64_t>, 5> kUnits = {
      {{"", 1}, {"B", 1}, {"KiB", kKiB}, {"MiB", kMiB}, {"GiB", kGiB}}};
  for (const auto& [unit, factor] : kUnits) {
    if (n->unit == unit) return {saturating_multiply(n->magnitude, factor), {}};
  }
  return {0, fmt::format("'{}' has an unknown unit '{}'; {}", text, n->unit, kSizeUnits)};
}

// ---------------------------------------------------------------------------------------------
// Listen addresses: "127.0.0.1:9800", "[::1]:9800", "localhost:9800"; port 0 is any free port.

bool is_ipv4(std::string_view s) {
  in_addr a{};
  return inet_pton(AF_INET, std::string(s).c_str(), &a) == 1;
}

bool is_ipv6(std::string_view s) {
  in6_addr a{};
  return inet_pton(AF_INET6, std::string(s).c_str(), &a) == 1;
}

// RFC 1123 host name: dot-separated labels of letters, digits and inner hyphens.
bool is_host_name(std::string_view s) {
  if (s.empty() || s.size() > 253) return false;
  std::size_t label = 0;
  for (std::size_t i = 0; i < s.size(); ++i) {
    const char ch = s[i];
    if (ch == '.') {
      if (label == 0 || s[i - 1] == '-') return false;
      label = 0;
      continue;
    }
    const bool alnum = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || is_digit(ch);
    if (!alnum && !(ch == '-' && label > 0)) return false;
    if (++label > 63) return false;
  }
  return label > 0 && s.back() != '-';
}

constexpr std::string_view kListenForms = "use HOST:PORT, e.g. 127.0.0.1:9800 or [::1]:9800";

std::string parse_listen(std::string_view text, std::string& host, std::uint16_t& port) {
  if (text.empty()) return fmt::format("empty address; {}", kListenForms);
  std::string_view h;
  std::string_view p;
  if (text.front() == '[') {
    const auto close = text.find(']');
    if (close == std::string_view::npos) return fmt::format("'{}' has no closing ']'; {}", text, kListenForms);
    h = text.substr(1, close - 1);
    const auto rest = text.substr(close + 1);
    if (rest.empty()) return fmt::format("'{}' has no port; {}", text, kListenForms);
    if (rest.front() != ':') return fmt::format("'{}': expected ':' and a port after ']'", text);
    p = rest.substr(1);
    if (!is_ipv6(h)) return fmt::format("'{}': '{}' is not an IPv6 address", text, h);
  } else {
    const auto colon = text.rfind(':');
    if (colon == std::string_view::npos) return fmt::format("'{}' has no port; {}", text, kListenForms);
    h = text.substr(0, colon);
    p = text.substr(colon + 1);
    if (h.find(':') != std::string_view::npos) {
      return fmt::format("'{}': an IPv6 address needs brackets, e.g. [::1]:9800", text);
    }
    if (h.empty()) {
      return fmt::format("'{}' has no host; use 0.0.0.0:PORT or [::]:PORT to listen on every address", text);
    }
    const bool numeric = std::all_of(h.begin(), h.end(), [](char ch) { return is_digit(ch) || ch == '.'; });
    if (numeric && !is_ipv4(h)) return fmt::format("'{}': '{}' is not an IPv4 address", text, h);
    if (!numeric && !is_host_name(h)) return fmt::format("'{}': '{}' is not a host name or IP address", text, h);
  }
  if (p.empty()) return fmt::format("'{}' has no port; {}", text, kListenForms);
  const auto n = collectors::text::to_u32(p);
  if (!n || !collectors::text::is_digits(p) || *n > std::numeric_limits<std::uint16_t>::max()) {
    return fmt::format("'{}': port '{}' is not a number from 0 to 65535", text, p);
  }
  host = std::string(h);
  port = static_cast<std::uint16_t>(*n);
  return {};
}

// ---------------------------------------------------------------------------------------------
// Storing a value into the Config. Each function returns the reason a value is refused (without
// its origin, which the caller adds), or an empty string when it was stored.

std::string store_number(const Setting& s, std::int64_t value, std::string_view shown, Config& c) {
  if (value < s.min) return fmt::format("{} is below the minimum {}", shown, format_bound(s, s.min));
  if (value > s.max) return fmt::format("{} is above the maximum {}", shown, format_bound(s, s.max));
  switch (s.kind) {
    case Kind::integer: std::get<U32Field>(s.field)(c) = static_cast<std::uint32_t>(value); break;
    case Kind::size: std::get<U64Field>(s.field)(c) = static_cast<std::uint64_t>(value); break;
    case Kind::duration: std::get<MsField>(s.field)(c) = milliseconds{value}; break;
    default: break;
  }
  return {};
}

std::string store_text(const Setting& s, std::string_view text, Config& c) {
  switch (s.kind) {
    case Kind::string: {
      if (s.check != nullptr) {
        if (auto reason = s.check(text); !reason.empty()) return reason;
      }
      std::get<StringField>(s.field)(c) = std::string(text);
      return {};
    }
    case Kind::address: {
      std::string host;
      std::uint16_t port = 0;
      if (auto reason = parse_listen(text, host, port); !reason.empty()) return reason;
      std::get<StringField>(s.field)(c) = std::string(text);
      c.listen_host = std::move(host);
      c.listen_port = port;
      return {};
    }
    case Kind::boolean: {
      bool value = false;
      if (text == "true" || text == "yes" || text == "on" || text == "1") {
        value = true;
      } else if (text != "false" && text != "no" && text != "off" && text != "0") {
        return fmt::format("'{}' is not a boolean; use true or false", text);
      }
      std::get<BoolField>(s.field)(c) = value;
      return {};
    }
    case Kind::choice: {
      const auto it = std::find(kLogLevels.begin(), kLogLevels.end(), text);
      if (it == kLogLevels.end()) {
        return fmt::format("'{}' is not one of {}", text, fmt::join(kLogLevels, ", "));
      }
      std::get<LevelField>(s.field)(c) = static_cast<LogLevel>(it - kLogLevels.begin());
      return {};
    }
    case Kind::integer: {
      const auto p = parse_integer_text(s, text);
      return p.error.empty() ? store_number(s, p.value, text, c) : p.error;
    }
    case Kind::duration: {
      const auto p = parse_duration_text(text);
      return p.error.empty() ? store_number(s, p.value, text, c) : p.error;
    }
    case Kind::size: {
      const auto p = parse_size_text(text);
      return p.error.empty() ? store_number(s, p.value, text, c) : p.error;
    }
  }
  return {};
}

std::string expected(const Setting& s) {
  switch (s.kind) {
    case Kind::string: return "a string";
    case Kind::address: return "a string HOST:PORT, e.g. \"127.0.0.1:9800\"";
    case Kind::boolean: return "true or false";
    case Kind::choice: return fmt::format("one of \"{}\"", fmt::join(kLogLevels, "\", \""));
    case Kind::integer: return fmt::format("an integer from {} to {}", s.min, s.max);
    case Kind::duration:
      return fmt::format("a duration from {} to {}, e.g. \"500ms\", \"2s\", \"1m\"", format_bound(s, s.min),
                         format_bound(s, s.max));
    case Kind::size:
      return fmt::format("a size from {} to {}, e.g. 8192, \"64KiB\", \"1MiB\"", format_bound(s, s.min),
                         format_bound(s, s.max));
  }
  return {};
}

std::string_view type_name(const toml::node& n) {
  switch (n.type()) {
    case toml::node_type::table: return "a table";
    case toml::node_type::array: return "an array";
    case toml::node_type::string: return "a string";
    case toml::node_type::integer: return "an integer";
    case toml::node_type::floating_point: return "a float";
    case toml::node_type::boolean: return "a boolean";
    case toml::node_type::date: return "a date";
    case toml::node_type::time: return "a time";
    case toml::node_type::date_time: return "a date-time";
    case toml::node_type::none: break;
  }
  return "nothing";
}

std::string store_node(const Setting& s, const toml::node& n, Config& c) {
  switch (s.kind) {
    case Kind::string:
    case Kind::address:
    case Kind::choice:
      if (const auto* v = n.as_string()) return store_text(s, v->get(), c);
      break;
    case Kind::boolean:
      if (const auto* v = n.as_boolean()) {
        std::get<BoolField>(s.field)(c) = v->get();
        return {};
      }
      break;
    case Kind::integer:
      if (const auto* v = n.as_integer()) return store_number(s, v->get(), fmt::format("{}", v->get()), c);
      break;
    case Kind::duration:
      if (const auto* v = n.as_string()) return store_text(s, v->get(), c);
      if (const auto* v = n.as_integer()) {
        return fmt::format("{} has no unit; write a string: {}", v->get(), kDurationUnits);
      }
      break;
    case Kind::size:
      if (const auto* v = n.as_string()) return store_text(s, v->get(), c);
      if (const auto* v = n.as_integer()) {
        if (v->get() < 0) return fmt::format("{} is negative", v->get());
        return store_number(s, v->get(), fmt::format("{}", v->get()), c);
      }
      break;
  }
  return fmt::format("expected {}, got {}", expected(s), type_name(n));
}

// ---------------------------------------------------------------------------------------------
// The config file.

struct Problem {
  std::uint32_t line = 0;
  std::uint32_t column = 0;
  std::string message;
};

void apply_table(const toml::table& table, const std::string& prefix, const std::string& source, Config& c,
                 std::vector<Problem>& problems) {
  for (auto&& [k, node] : table) {
    const std::string key = prefix.empty() ? std::string(k.str()) : fmt::format("{}.{}", prefix, k.str());
    const auto& at = node.source().begin;
    if (const Setting* s = find_by_key(key)) {
      if (auto reason = store_node(*s, node, c); !reason.empty()) {
        problems.push_back({at.line, at.column, fmt::format("{}:{}: {}: {}", source, at.line, key, reason)});
      }
    } else if (const auto* sub = node.as_table(); sub != nullptr && (!sub->empty() || is_section(key))) {
      // A known section, or an unknown one whose keys are reported in full: 'htpp.max_connections'.
      apply_table(*sub, key, source, c, problems);
    } else if (is_section(key)) {
      problems.push_back({at.line, at.column,
                          fmt::format("{}:{}: {}: expected a table of settings ([{}]), got {}", source, at.line,
                                      key, key, type_name(node))});
    } else {
      const auto& kat = k.source().begin;
      problems.push_back({kat.line, kat.column,
                          fmt::format("{}:{}: unknown setting '{}'{}", source, kat.line, key,
                                      suggestion(key, all_keys()))});
    }
  }
}

// The file's text, or the reason it cannot be read.
std::optional<std::string> read_text_file(const std::string& path, std::string& error) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) {
    error = "is a directory";
    return std::nullopt;
  }
  errno = 0;
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    const int err = errno;
    error = err != 0 ? std::generic_category().message(err) : "cannot open";
    return std::nullopt;
  }
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) {
    error = "read error";
    return std::nullopt;
  }
  return std::move(text).str();
}

// ---------------------------------------------------------------------------------------------
// Rendering.

std::string toml_quote(std::string_view s) {
  std::string out = "\"";
  for (const char ch : s) {
    const auto u = static_cast<unsigned char>(ch);
    switch (ch) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\t': out += "\\t"; break;
      case '\r': out += "\\r"; break;
      default:
        if (u < 0x20 || u == 0x7f) {
          out += fmt::format("\\u{:04X}", static_cast<unsigned>(u));
        } else {
          out += ch;
        }
    }
  }
  out += '"';
  return out;
}

// The value as TOML (`for_toml`) or as a user types it on the command line.
std::string format_value(const Setting& s, Config& c, bool for_toml) {
  const auto quoted = [&](std::string v) { return for_toml ? toml_quote(v) : v; };
  switch (s.kind) {
    case Kind::string:
    case Kind::address: return quoted(std::get<StringField>(s.field)(c));
    case Kind::boolean: return std::get<BoolField>(s.field)(c) ? "true" : "false";
    case Kind::choice: return quoted(std::string(kLogLevels[static_cast<std::size_t>(std::get<LevelField>(s.field)(c))]));
    case Kind::integer: return fmt::format("{}", std::get<U32Field>(s.field)(c));
    case Kind::duration: return quoted(format_duration(std::get<MsField>(s.field)(c).count()));
    case Kind::size: {
      const auto bytes = std::get<U64Field>(s.field)(c);
      const auto text = format_size(bytes);
      return collectors::text::is_digits(text) ? text : quoted(text);
    }
  }
  return {};
}

std::string_view kind_name(Kind k) {
  switch (k) {
    case Kind::string: return "string";
    case Kind::boolean: return "boolean";
    case Kind::integer: return "integer";
    case Kind::duration: return "duration";
    case Kind::size: return "size";
    case Kind::choice: return "enum";
    case Kind::address: return "address";
  }
  return {};
}

std::string allowed(const Setting& s) {
  switch (s.kind) {
    case Kind::string:
      if (!s.allowed.empty()) return std::string(s.allowed);
      return s.check == check_id ? "letters, digits, '.', '_', '-'; 1 to 64" : "a non-empty path";
    case Kind::address: return "IPV4:PORT, [IPV6]:PORT, NAME:PORT; port 0 to 65535";
    case Kind::boolean: return "true, false";
    case Kind::choice: return fmt::format("{}", fmt::join(kLogLevels, ", "));
    case Kind::integer:
    case Kind::duration:
    case Kind::size: return fmt::format("{}..{}", format_bound(s, s.min), format_bound(s, s.max));
  }
  return {};
}

// ---------------------------------------------------------------------------------------------
// The command line.

struct CommandOption {
  std::string_view name;
  bool takes_value;
};

constexpr std::array<CommandOption, 9> kCommandOptions = {{
    {"--once", false},
    {"--json", false},
    {"--format", true},
    {"--interval-ms", true},
    {"--print-config", false},
    {"--config", true},
    {"--help", false},
    {"-h", false},
    {"--version", false},
}};

const CommandOption* find_command_option(std::string_view name) {
  for (const auto& o : kCommandOptions) {
    if (o.name == name) return &o;
  }
  return nullptr;
}

std::vector<std::string_view> all_flags() {
  std::vector<std::string_view> flags;
  for (const auto& o : kCommandOptions) flags.push_back(o.name);
  for (const auto& s : settings()) {
    flags.push_back(s.flag);
    if (!s.alias.empty()) flags.push_back(s.alias);
  }
  return flags;
}

struct GivenSetting {
  const Setting* setting;
  std::string name;  // as typed: "--host" or "--host-id"
  std::string value;
};

bool starts_with(std::string_view s, std::string_view prefix) { return s.substr(0, prefix.size()) == prefix; }

}  // namespace

// -------------------------------------------------------------------------------------------------

const char* to_string(LogLevel level) noexcept {
  switch (level) {
    case LogLevel::error: return "error";
    case LogLevel::warn: return "warn";
    case LogLevel::info: return "info";
    case LogLevel::debug: return "debug";
  }
  return "?";
}

std::optional<std::vector<TreeHost>> parse_tree_hosts(std::string_view list, std::string* why) {
  std::vector<TreeHost> out;
  std::string problem;
  web::any_list_item(list, ',', [&](std::string_view item) {
    const auto eq = item.find('=');
    if (eq == std::string_view::npos) {
      problem = fmt::format("'{}' is not ID=DIR", item);
      return true;
    }
    TreeHost h{std::string(web::trim_blanks(item.substr(0, eq))), std::string(web::trim_blanks(item.substr(eq + 1)))};
    if (const auto bad = detail::check_id(h.id); !bad.empty()) {
      problem = fmt::format("host id {}", bad);
      return true;
    }
    if (h.dir.empty() || h.dir.front() != '/') {
      problem = fmt::format("'{}': the directory must be an absolute path", item);
      return true;
    }
    if (std::any_of(out.begin(), out.end(), [&](const TreeHost& o) { return o.id == h.id; })) {
      problem = fmt::format("host id '{}' is given twice", h.id);
      return true;
    }
    out.push_back(std::move(h));
    return false;
  });
  if (!problem.empty()) {
    if (why) *why = problem;
    return std::nullopt;
  }
  return out;
}

std::optional<std::string> system_getenv(std::string_view name) {
  const char* v = std::getenv(std::string(name).c_str());  // NOLINT(concurrency-mt-unsafe): start-up only
  if (v == nullptr) return std::nullopt;
  return std::string(v);
}

bool system_file_exists(const std::string& path) {
  std::error_code ec;
  return std::filesystem::exists(path, ec);
}

std::string apply_config_toml(std::string_view toml, const std::string& source_name, Config& config) {
  toml::table root;
  try {
    root = toml::parse(toml, std::string_view{source_name});
  } catch (const toml::parse_error& e) {
    return fmt::format("{}:{}:{}: {}", source_name, e.source().begin.line, e.source().begin.column,
                       e.description());
  }
  std::vector<Problem> problems;
  apply_table(root, {}, source_name, config, problems);
  if (problems.empty()) return {};
  const auto first = std::min_element(problems.begin(), problems.end(), [](const Problem& a, const Problem& b) {
    return a.line != b.line ? a.line < b.line : a.column < b.column;
  });
  return first->message;
}

InvocationResult parse_invocation(const std::vector<std::string>& args, const GetEnv& getenv,
                                  const FileExists& file_exists) {
  InvocationResult r;
  auto& inv = r.invocation;
  bool once = false, print_config = false, help = false, version = false;
  std::optional<std::string> config_flag;
  std::string config_flag_name;
  std::vector<GivenSetting> given;

  // 1. The command line's shape, and the options that are not settings.
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (!starts_with(arg, "-") || arg == "-") {
      r.error = fmt::format("unexpected argument '{}'", arg);
      return r;
    }
    std::string name = arg;
    std::optional<std::string> value;
    if (const auto eq = arg.find('='); starts_with(arg, "--") && eq != std::string::npos) {
      name = arg.substr(0, eq);
      value = arg.substr(eq + 1);
    }
    const CommandOption* command = find_command_option(name);
    const Setting* setting = command == nullptr ? find_by_flag(name) : nullptr;
    if (command == nullptr && setting == nullptr) {
      r.error = fmt::format("unknown option '{}'{}", name, suggestion(name, all_flags()));
      return r;
    }
    const bool takes_value = command != nullptr ? command->takes_value : setting->kind != Kind::boolean;
    if (!takes_value && value && command != nullptr) {
      r.error = fmt::format("{} takes no value", name);
      return r;
    }
    if (takes_value && !value) {
      if (i + 1 >= args.size() || starts_with(args[i + 1], "--")) {
        r.error = fmt::format("{} needs a value", name);
        return r;
      }
      value = args[++i];
    }
    // A boolean alone means true; there are no positional arguments, so a following word that
    // is not an option is its value: "--flag false" as well as "--flag=false".
    if (setting != nullptr && !takes_value && !value && i + 1 < args.size() && !starts_with(args[i + 1], "-")) {
      value = args[++i];
    }
    if (setting != nullptr) {
      given.push_back({setting, name, value.value_or("true")});
      continue;
    }
    if (name == "--once") {
      once = true;
    } else if (name == "--json") {
      inv.once_format = "json";
    } else if (name == "--format") {
      if (std::find(kOnceFormats.begin(), kOnceFormats.end(), *value) == kOnceFormats.end()) {
        r.error = fmt::format("--format: '{}' is not one of {}", *value, fmt::join(kOnceFormats, ", "));
        return r;
      }
      inv.once_format = *value;
    } else if (name == "--interval-ms") {
      const auto n = collectors::text::to_i32(*value);
      if (!n || *n < kMinOnceIntervalMs || *n > kMaxOnceIntervalMs) {
        r.error = fmt::format("--interval-ms: '{}' is not a number from {} to {}", *value, kMinOnceIntervalMs,
                              kMaxOnceIntervalMs);
        return r;
      }
      inv.once_interval_ms = *n;
    } else if (name == "--print-config") {
      print_config = true;
    } else if (name == "--config") {
      if (value->empty()) {
        r.error = "--config: empty path";
        return r;
      }
      config_flag = *value;
      config_flag_name = name;
    } else if (name == "--help" || name == "-h") {
      help = true;
    } else if (name == "--version") {
      version = true;
    }
  }

  // 2. --help and --version must work whatever the configuration: they read neither.
  if (help || version) {
    inv.action = help ? Action::help : Action::version;
    return r;
  }
  if (once && print_config) {
    r.error = "--once and --print-config cannot be used together";
    return r;
  }
  inv.action = once ? Action::once : print_config ? Action::print_config : Action::run;

  const auto env = [&](std::string_view name) -> std::optional<std::string> {
    auto v = getenv(name);
    if (v && v->empty()) return std::nullopt;  // VAR= in a compose file means unset
    return v;
  };

  // 3. The config file: --config, else $HYPERION_CONFIG, else the default when it exists.
  std::string path;
  if (config_flag) {
    if (!file_exists(*config_flag)) {
      r.error = fmt::format("{}: no such file '{}'", config_flag_name, *config_flag);
      return r;
    }
    path = *config_flag;
  } else if (auto from_env = env(kConfigEnv)) {
    if (!file_exists(*from_env)) {
      r.error = fmt::format("environment {}: no such file '{}'", kConfigEnv, *from_env);
      return r;
    }
    path = *from_env;
  } else if (file_exists(std::string(kDefaultConfigPath))) {
    path = kDefaultConfigPath;
  }
  if (!path.empty()) {
    std::string why;
    const auto text = read_text_file(path, why);
    if (!text) {
      r.error = fmt::format("{}: cannot read: {}", path, why);
      return r;
    }
    if (auto e = apply_config_toml(*text, path, inv.config); !e.empty()) {
      r.error = std::move(e);
      return r;
    }
    inv.config_path = path;
  }

  // 4. The environment, then 5. the command line, in its order (the last one wins).
  for (const auto& s : settings()) {
    if (const auto v = env(s.env)) {
      if (auto reason = store_text(s, *v, inv.config); !reason.empty()) {
        r.error = fmt::format("environment {}: {}", s.env, reason);
        return r;
      }
    }
  }
  for (const auto& g : given) {
    if (auto reason = store_text(*g.setting, g.value, inv.config); !reason.empty()) {
      r.error = fmt::format("{}: {}", g.name, reason);
      return r;
    }
  }
  return r;
}

std::string render_config_toml(const Config& config) {
  Config c = config;  // the table's accessors take a mutable Config
  std::string out =
      "# The effective hyperiond configuration.\n"
      "# Precedence: built-in defaults < config file < environment < command line.\n";
  const auto emit = [&](const Setting& s) {
    out += fmt::format("\n# {}\n# {}, {}; default {}; {}\n{} = {}\n", s.help, s.flag, s.env, s.default_text,
                       allowed(s), leaf_of(s.key), format_value(s, c, true));
  };
  for (const auto& s : settings()) {
    if (section_of(s.key).empty()) emit(s);
  }
  std::vector<std::string_view> sections;
  for (const auto& s : settings()) {
    const auto section = section_of(s.key);
    if (section.empty() || std::find(sections.begin(), sections.end(), section) != sections.end()) continue;
    sections.push_back(section);
    out += fmt::format("\n[{}]\n", section);
    for (const auto& t : settings()) {
      if (section_of(t.key) == section) emit(t);
    }
  }
  return out;
}

std::string command_line_usage() {
  std::string out = fmt::format(
      "usage: hyperiond [SETTING]...                         run the daemon\n"
      "       hyperiond --once [--format json|prometheus] [--interval-ms N] [SETTING]...\n"
      "       hyperiond --print-config [SETTING]...\n"
      "       hyperiond user add|list|passwd|role|disable|enable|reset-2fa|delete ...   manage accounts "
      "(hyperiond user --help)\n"
      "\n"
      "  --once               take two samples --interval-ms apart, print the snapshot and exit\n"
      "  --format FORMAT      what --once prints: json (default) or prometheus\n"
      "  --json               the same as --format json\n"
      "  --interval-ms N      time between the two samples of --once (default 1000, 10..60000)\n"
      "  --print-config       print the effective configuration as TOML and exit\n"
      "  --config FILE        read settings from FILE; without it, ${} or else {}\n"
      "                       when present\n"
      "  --version            print the version and exit\n"
      "  --help, -h           print this help and exit\n"
      "\n"
      "Settings: each is also a key in the config file and a HYPERION_* environment variable\n"
      "(--http-max-connections is http.max_connections and HYPERION_HTTP_MAX_CONNECTIONS).\n"
      "The command line beats the environment, which beats the file. Write --FLAG VALUE or\n"
      "--FLAG=VALUE; a boolean alone is true. See docs/CONFIGURATION.md.\n"
      "\n",
      kConfigEnv, kDefaultConfigPath);
  for (const auto& s : settings()) {
    std::string names = std::string(s.flag);
    if (!s.metavar.empty()) names += fmt::format(" {}", s.metavar);
    if (!s.alias.empty()) names += fmt::format(", {}{}{}", s.alias, s.metavar.empty() ? "" : " ", s.metavar);
    out += fmt::format("  {}  (default {}; {})\n      {}\n", names, s.default_text, allowed(s), s.help);
  }
  return out;
}

std::vector<SettingInfo> setting_infos() {
  std::vector<SettingInfo> infos;
  infos.reserve(settings().size());
  for (const auto& s : settings()) {
    infos.push_back({s.key, s.flag, s.env, s.alias, kind_name(s.kind), s.metavar, s.default_text, allowed(s), s.help});
  }
  return infos;
}

}  // namespace hyperion::daemon
