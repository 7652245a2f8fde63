#include "hyperion/collectors/cgroups.hpp"

#include <algorithm>
#include <cctype>
#include <map>
#include <unordered_set>
#include <utility>

#include <fmt/format.h>

#include "hyperion/collectors/source.hpp"
#include "hyperion/collectors/text.hpp"

namespace hyperion::collectors {
namespace {

constexpr std::size_t kContainerIdLength = 64;
constexpr std::size_t kShortIdLength = 12;
// v1 "unlimited" is PAGE_COUNTER_MAX pages (LONG_MAX / PAGE_SIZE) times the page size, which
// depends on the page size; no real limit comes near 2^62 bytes (4 EiB).
constexpr std::uint64_t kV1Unlimited = std::uint64_t{1} << 62;
// Nesting bound of the JSON scanner: docker's config.v2.json nests 4 deep; garbage like
// "[[[[..." must not recurse without end.
constexpr int kMaxJsonDepth = 64;
// How many problems read() spells out in *error before "and N more".
constexpr std::size_t kMaxProblemsShown = 3;

// An unsigned decimal number as the kernel prints it: digits only (no sign), and it fits.
Result<std::uint64_t> unsigned_number(std::string_view token, std::string_view what) {
  if (text::is_digits(token)) {
    if (const auto v = text::to_u64(token)) return *v;
    return Error{Errc::out_of_range, fmt::format("{} '{}' does not fit 64 bits", what, token)};
  }
  return Error{Errc::malformed, fmt::format("{} '{}' is not an unsigned number", what, token)};
}

bool add_checked(std::uint64_t& sum, std::uint64_t value) noexcept {
  if (sum > UINT64_MAX - value) return false;
  sum += value;
  return true;
}

// "8:0", "259:1": the device key of io.stat and blkio lines.
bool is_device(std::string_view token) noexcept {
  std::string_view major, minor;
  return text::split_once(token, ':', major, minor) && text::is_digits(major) && text::is_digits(minor);
}

bool is_lower_hex(std::string_view s) noexcept {
  if (s.empty()) return false;
  for (const char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

bool is_container_id(std::string_view s) noexcept { return s.size() == kContainerIdLength && is_lower_hex(s); }

// "<prefix><64hex>" -> the ID, else empty.
std::string_view id_after(std::string_view component, std::string_view prefix) noexcept {
  if (!component.starts_with(prefix)) return {};
  const auto id = component.substr(prefix.size());
  return is_container_id(id) ? id : std::string_view{};
}

bool has_suffix(std::string_view s, std::string_view suffix) noexcept {
  return s.size() > suffix.size() && s.ends_with(suffix);
}

// ---- A minimal JSON scanner -----------------------------------------------------------------
// Enough of RFC 8259 to walk docker's and podman's metadata: strings (with every escape),
// objects, arrays, and numbers and literals skipped leniently. Bounded in depth; every read
// is bounds-checked. Failing at the end of the input is "truncated", anywhere else
// "malformed".
class JsonScanner {
 public:
  explicit JsonScanner(std::string_view s) noexcept : s_(s) {}

  bool at_end() noexcept {
    skip_ws();
    return i_ >= s_.size();
  }
  bool peek(char c) noexcept {
    skip_ws();
    return i_ < s_.size() && s_[i_] == c;
  }
  bool eat(char c) noexcept {
    if (!peek(c)) return false;
    ++i_;
    return true;
  }

  // A string at the cursor, decoded into *out (or skipped when out is null).
  bool string(std::string* out) {
    if (!eat('"')) return false;
    while (i_ < s_.size()) {
      const char c = s_[i_++];
      if (c == '"') return true;
      if (static_cast<unsigned char>(c) < 0x20) return fail();  // raw control characters are not JSON
      if (c != '\\') {
        if (out) out->push_back(c);
        continue;
      }
      if (i_ >= s_.size()) return false;
      const char e = s_[i_++];
      char plain = 0;
      switch (e) {
        case '"': plain = '"'; break;
        case '\\': plain = '\\'; break;
        case '/': plain = '/'; break;
        case 'b': plain = '\b'; break;
        case 'f': plain = '\f'; break;
        case 'n': plain = '\n'; break;
        case 'r': plain = '\r'; break;
        case 't': plain = '\t'; break;
        case 'u': {
          std::uint32_t cp = 0;
          if (!hex4(cp)) return false;
          if (cp >= 0xDC00 && cp <= 0xDFFF) return fail();  // a lone low surrogate
          if (cp >= 0xD800 && cp <= 0xDBFF) {
            std::uint32_t low = 0;
            if (i_ + 1 >= s_.size()) return false;
            if (s_[i_] != '\\' || s_[i_ + 1] != 'u') return fail();
            i_ += 2;
            if (!hex4(low)) return false;
            if (low < 0xDC00 || low > 0xDFFF) return fail();
            cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
          }
          if (out) append_utf8(*out, cp);
          continue;
        }
        default:
          return fail();
      }
      if (out) out->push_back(plain);
    }
    return false;  // ran out inside the string
  }

  // Any value at the cursor, skipped.
  bool skip_value(int depth) {
    if (depth > kMaxJsonDepth) return fail();
    skip_ws();
    if (i_ >= s_.size()) return false;
    const char c = s_[i_];
    if (c == '"') return string(nullptr);
    if (c == '{') {
      ++i_;
      if (eat('}')) return true;
      for (;;) {
        if (!peek('"')) return fail_here();
        if (!string(nullptr) || !expect(':') || !skip_value(depth + 1)) return false;
        if (eat(',')) continue;
        if (eat('}')) return true;
        return fail_here();
      }
    }
    if (c == '[') {
      ++i_;
      if (eat(']')) return true;
      for (;;) {
        if (!skip_value(depth + 1)) return false;
        if (eat(',')) continue;
        if (eat(']')) return true;
        return fail_here();
      }
    }
    // A number or true/false/null: a run of the characters they are made of. Lenient on
    // purpose (we never use their values), but never empty.
    const auto start = i_;
    while (i_ < s_.size() && is_scalar_char(s_[i_])) ++i_;
    if (i_ == start) return fail();
    const auto token = s_.substr(start, i_ - start);
    if (std::isalpha(static_cast<unsigned char>(token.front())) && token != "true" && token != "false" &&
        token != "null") {
      // "tru" at the very end is a cut literal; "yes" anywhere is not JSON.
      if (i_ >= s_.size()) return false;
      return fail();
    }
    return true;
  }

  bool expect(char c) noexcept { return eat(c) || fail_here(); }

  // Why the last call failed: the input ended (truncated) or a bad byte (malformed).
  bool truncated() const noexcept { return !bad_ && i_ >= s_.size(); }

 private:
  void skip_ws() noexcept {
    while (i_ < s_.size() && (s_[i_] == ' ' || s_[i_] == '\t' || s_[i_] == '\n' || s_[i_] == '\r')) ++i_;
  }
  bool fail() noexcept {
    bad_ = true;
    return false;
  }
  // Fails as malformed unless the input simply ended here.
  bool fail_here() noexcept {
    skip_ws();
    if (i_ < s_.size()) bad_ = true;
    return false;
  }
  static bool is_scalar_char(char c) noexcept {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-' || c == '+' ||
           c == '.';
  }
  bool hex4(std::uint32_t& out) noexcept {
    if (s_.size() - i_ < 4) {
      // Fewer than four characters left: a cut escape unless one of them is already wrong.
      for (std::size_t k = i_; k < s_.size(); ++k) {
        if (!std::isxdigit(static_cast<unsigned char>(s_[k]))) return fail();
      }
      i_ = s_.size();
      return false;
    }
    const auto v = text::hex_to_u64(s_.substr(i_, 4));
    if (!v || s_[i_] == '+') return fail();
    out = static_cast<std::uint32_t>(*v);
    i_ += 4;
    return true;
  }
  static void append_utf8(std::string& out, std::uint32_t cp) {
    if (cp < 0x80) {
      out.push_back(static_cast<char>(cp));
    } else if (cp < 0x800) {
      out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
      out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else if (cp < 0x10000) {
      out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
      out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
      out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else {
      out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
      out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
      out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
      out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    }
  }

  std::string_view s_;
  std::size_t i_ = 0;
  bool bad_ = false;
};

Error json_error(const JsonScanner& json, std::string_view what) {
  if (json.truncated()) return Error{Errc::truncated, fmt::format("{}: input ends early", what)};
  return Error{Errc::malformed, fmt::format("{}: not valid JSON", what)};
}

}  // namespace

const char* to_string(CgroupKind kind) noexcept {
  switch (kind) {
    case CgroupKind::service: return "service";
    case CgroupKind::scope: return "scope";
    case CgroupKind::slice: return "slice";
    case CgroupKind::docker: return "docker";
    case CgroupKind::containerd: return "containerd";
    case CgroupKind::podman: return "podman";
    case CgroupKind::cgroup: return "cgroup";
  }
  return "cgroup";
}

// ---- Parsers ------------------------------------------------------------------------------------

Result<CgroupCpuStat> parse_cgroup_cpu_stat(std::string_view text) {
  if (text::trim(text).empty()) return Error{Errc::empty, "cpu.stat is empty"};
  CgroupCpuStat out;
  bool have_usage = false;
  std::string_view rest = text, line;
  std::size_t line_no = 0;
  while (text::next_line(rest, line)) {
    ++line_no;
    std::string_view fields = line, key, value, extra;
    if (!text::next_token(fields, key)) continue;
    if (!text::next_token(fields, value)) {
      return Error{Errc::truncated, fmt::format("cpu.stat line {}: '{}' has no value", line_no, key)};
    }
    if (text::next_token(fields, extra)) {
      return Error{Errc::malformed, fmt::format("cpu.stat line {}: more than two fields", line_no)};
    }
    std::optional<std::uint64_t>* optional_field = nullptr;
    if (key == "user_usec") optional_field = &out.user_usec;
    else if (key == "system_usec") optional_field = &out.system_usec;
    else if (key != "usage_usec") continue;  // nr_periods, throttled_usec, core_sched.*, ...
    auto v = unsigned_number(value, key);
    if (!v) return v.error();
    if (optional_field) {
      *optional_field = *v;
    } else {
      out.usage_usec = *v;
      have_usage = true;
    }
  }
  if (!have_usage) return Error{Errc::missing_field, "cpu.stat has no usage_usec"};
  return out;
}

Result<std::uint64_t> parse_cgroup_number(std::string_view text) {
  const auto t = text::trim(text);
  if (t.empty()) return Error{Errc::empty, "file is empty"};
  std::string_view rest = t, first, second;
  (void)text::next_token(rest, first);
  if (text::next_token(rest, second)) return Error{Errc::malformed, "more than one field"};
  return unsigned_number(first, "value");
}

Result<std::optional<std::uint64_t>> parse_cgroup_max(std::string_view text) {
  const auto t = text::trim(text);
  if (t == "max") return std::optional<std::uint64_t>{};
  auto v = parse_cgroup_number(t);
  if (!v) return v.error();
  return std::optional<std::uint64_t>{*v};
}

Result<std::optional<std::uint64_t>> parse_cgroup_v1_memory_limit(std::string_view text) {
  auto v = parse_cgroup_number(text);
  if (!v) return v.error();
  if (*v >= kV1Unlimited) return std::optional<std::uint64_t>{};
  return std::optional<std::uint64_t>{*v};
}

Result<std::uint64_t> parse_cgroup_cpuacct_usage(std::string_view text) { return parse_cgroup_number(text); }

Result<CgroupIo> parse_cgroup_io_stat(std::string_view text) {
  // An empty io.stat is what a group that did no IO yet shows: zero, not an error.
  CgroupIo out;
  std::string_view rest = text, line;
  std::size_t line_no = 0;
  while (text::next_line(rest, line)) {
    ++line_no;
    std::string_view fields = line, device, token;
    if (!text::next_token(fields, device)) continue;
    if (!is_device(device)) {
      return Error{Errc::malformed, fmt::format("io.stat line {}: '{}' is not MAJ:MIN", line_no, device)};
    }
    bool have_read = false, have_write = false;
    while (text::next_token(fields, token)) {
      std::string_view key, value;
      if (!text::split_once(token, '=', key, value)) {
        return Error{Errc::malformed, fmt::format("io.stat line {}: '{}' is not key=value", line_no, token)};
      }
      // Other keys (rios, wios, dbytes, dios, cost.*, depth, avg_lat, win) are not ours to judge.
      if (key != "rbytes" && key != "wbytes") continue;
      auto v = unsigned_number(value, key);
      if (!v) return v.error();
      auto& sum = key == "rbytes" ? out.read_bytes : out.write_bytes;
      (key == "rbytes" ? have_read : have_write) = true;
      if (!add_checked(sum, *v)) {
        return Error{Errc::out_of_range, fmt::format("io.stat: {} summed over devices overflows", key)};
      }
    }
    if (!have_read || !have_write) {
      return Error{Errc::missing_field, fmt::format("io.stat line {}: no rbytes or wbytes", line_no)};
    }
  }
  return out;
}

Result<CgroupIo> parse_cgroup_blkio_service_bytes(std::string_view text) {
  // blkg_prfill_rwstat() in block/blk-cgroup.c: "%s %s %llu\n" per device and operation
  // (Read, Write, Sync, Async, Discard since 4.19), "%s Total %llu\n" per device, and a
  // last "Total %llu\n" (only that line for a group without IO).
  if (text::trim(text).empty()) return Error{Errc::empty, "blkio file is empty"};
  CgroupIo out;
  bool have_total = false;
  std::string_view rest = text, line;
  std::size_t line_no = 0;
  while (text::next_line(rest, line)) {
    ++line_no;
    std::string_view fields = line, a, b, c, extra;
    if (!text::next_token(fields, a)) continue;
    if (!text::next_token(fields, b)) {
      return Error{Errc::truncated, fmt::format("blkio line {}: one field", line_no)};
    }
    if (!text::next_token(fields, c)) {
      if (a != "Total") return Error{Errc::malformed, fmt::format("blkio line {}: two fields, not Total", line_no)};
      auto v = unsigned_number(b, "Total");
      if (!v) return v.error();
      have_total = true;
      continue;
    }
    if (text::next_token(fields, extra)) {
      return Error{Errc::malformed, fmt::format("blkio line {}: more than three fields", line_no)};
    }
    if (!is_device(a)) {
      return Error{Errc::malformed, fmt::format("blkio line {}: '{}' is not MAJ:MIN", line_no, a)};
    }
    auto v = unsigned_number(c, b);
    if (!v) return v.error();
    std::uint64_t* sum = b == "Read" ? &out.read_bytes : b == "Write" ? &out.write_bytes : nullptr;
    if (sum && !add_checked(*sum, *v)) {
      return Error{Errc::out_of_range, fmt::format("blkio: {} summed over devices overflows", b)};
    }
  }
  // The last line is always "Total N": without it the file was cut.
  if (!have_total) return Error{Errc::truncated, "blkio file has no final Total line"};
  return out;
}

CgroupClass classify_cgroup(std::string_view path) {
  while (path.size() > 1 && path.back() == '/') path.remove_suffix(1);
  const auto slash = path.rfind('/');
  const auto last = slash == std::string_view::npos ? path : path.substr(slash + 1);
  std::string_view parent;
  if (slash != std::string_view::npos) {
    parent = path.substr(0, slash);
    if (const auto up = parent.rfind('/'); up != std::string_view::npos) parent.remove_prefix(up + 1);
  }
  std::string_view first = path;
  while (first.starts_with('/')) first.remove_prefix(1);
  first = first.substr(0, first.find('/'));

  CgroupClass out;
  const auto container = [&out](CgroupKind kind, std::string_view id) {
    out.kind = kind;
    out.container_id = std::string(id);
    out.name = std::string(id.substr(0, kShortIdLength));
    return out;
  };

  // The cgroupfs drivers name a container's group after its bare ID.
  if (is_container_id(last)) {
    if (parent == "docker") return container(CgroupKind::docker, last);
    if (first == "kubepods" || first == "kubepods.slice") return container(CgroupKind::containerd, last);
  }

  std::string_view stem = last;
  const bool scope = has_suffix(last, ".scope");
  if (scope) stem.remove_suffix(std::string_view(".scope").size());
  if (scope) {
    if (const auto id = id_after(stem, "docker-"); !id.empty()) return container(CgroupKind::docker, id);
  }
  if (const auto id = id_after(stem, "cri-containerd-"); !id.empty()) return container(CgroupKind::containerd, id);
  // "libpod-conmon-<id>.scope" holds podman's monitor process, not the container.
  if (!stem.starts_with("libpod-conmon-")) {
    if (const auto id = id_after(stem, "libpod-"); !id.empty()) return container(CgroupKind::podman, id);
  }

  out.name = std::string(last.empty() ? path : last);
  if (scope) out.kind = CgroupKind::scope;
  else if (has_suffix(last, ".service")) out.kind = CgroupKind::service;
  else if (has_suffix(last, ".slice")) out.kind = CgroupKind::slice;
  else out.kind = CgroupKind::cgroup;
  return out;
}

Result<std::string> parse_docker_config_name(std::string_view text) {
  if (text::trim(text).empty()) return Error{Errc::empty, "config.v2.json is empty"};
  JsonScanner json(text);
  if (!json.eat('{')) return json_error(json, "config.v2.json is not an object");
  if (json.eat('}')) return Error{Errc::missing_field, "config.v2.json has no Name"};
  for (;;) {
    std::string key;
    if (!json.peek('"')) return json_error(json, "config.v2.json: expected a key");
    if (!json.string(&key) || !json.expect(':')) return json_error(json, "config.v2.json");
    if (key == "Name") {
      std::string name;
      if (!json.peek('"')) {
        if (json.at_end()) return Error{Errc::truncated, "config.v2.json: input ends early"};
        return Error{Errc::malformed, "config.v2.json: Name is not a string"};
      }
      if (!json.string(&name)) return json_error(json, "config.v2.json: Name");
      // Docker stores the name with a leading '/' (a relic of container links).
      if (name.starts_with('/')) name.erase(0, 1);
      if (name.empty()) return Error{Errc::missing_field, "config.v2.json: Name is empty"};
      return name;
    }
    if (!json.skip_value(1)) return json_error(json, "config.v2.json");
    if (json.eat(',')) continue;
    if (json.eat('}')) return Error{Errc::missing_field, "config.v2.json has no top-level Name"};
    return json_error(json, "config.v2.json");
  }
}

Result<std::vector<PodmanContainer>> parse_podman_containers(std::string_view text) {
  if (text::trim(text).empty()) return Error{Errc::empty, "containers.json is empty"};
  JsonScanner json(text);
  std::vector<PodmanContainer> out;
  if (!json.eat('[')) return json_error(json, "containers.json is not an array");
  if (json.eat(']')) return out;
  for (;;) {
    if (!json.eat('{')) return json_error(json, "containers.json: expected an object");
    PodmanContainer entry;
    if (!json.eat('}')) {
      for (;;) {
        std::string key;
        if (!json.peek('"')) return json_error(json, "containers.json: expected a key");
        if (!json.string(&key) || !json.expect(':')) return json_error(json, "containers.json");
        if (key == "id" && json.peek('"')) {
          entry.id.clear();
          if (!json.string(&entry.id)) return json_error(json, "containers.json: id");
        } else if (key == "names" && json.peek('[')) {
          (void)json.eat('[');
          bool first = true;
          if (!json.eat(']')) {
            for (;;) {
              if (json.peek('"')) {
                std::string name;
                if (!json.string(&name)) return json_error(json, "containers.json: names");
                if (first) entry.name = std::move(name);
                first = false;
              } else if (!json.skip_value(3)) {
                return json_error(json, "containers.json: names");
              }
              if (json.eat(',')) continue;
              if (json.eat(']')) break;
              return json_error(json, "containers.json: names");
            }
          }
        } else if (!json.skip_value(2)) {
          return json_error(json, "containers.json");
        }
        if (json.eat(',')) continue;
        if (json.eat('}')) break;
        return json_error(json, "containers.json");
      }
    }
    // An entry without an ID cannot be matched to a cgroup; skip it rather than fail the rest.
    if (!entry.id.empty()) out.push_back(std::move(entry));
    if (json.eat(',')) continue;
    if (json.eat(']')) return out;
    return json_error(json, "containers.json");
  }
}

// ---- The reader ---------------------------------------------------------------------------------

namespace {

constexpr std::string_view kCgroupRoot = "fs/cgroup";
constexpr std::string_view kPodmanContainers = "var/lib/containers/storage/overlay-containers/containers.json";

// Reads `dir + id + "/" + file`; false when it cannot be read: absent on this kernel or for
// this group's controllers, or the group was removed since it was listed (kernfs then fails
// the open with ENOENT, or a read on an open file with ENODEV).
bool read_group_file(const Source& source, std::string& path, std::string_view dir, std::string_view id,
                     std::string_view file, std::string& buf) {
  path.assign(dir);
  path.append(id);
  path.push_back('/');
  path.append(file);
  return source.read_sys(path, buf);
}

// The parsed value, or nullopt with the problem noted. An empty file is not worth a warning
// (io.stat of a group without IO is empty and parses; other files are never empty in practice).
template <class T>
std::optional<T> keep(Result<T>&& r, const std::string& path, std::vector<std::string>& problems) {
  if (r) return std::move(r).value();
  if (r.error().code != Errc::empty) problems.push_back(fmt::format("{}: {}", path, r.error().detail));
  return std::nullopt;
}

// Per second between two readings of a counter: nullopt when either is missing, no time
// passed, or the counter went backwards (the group was recreated under the same path).
template <class T>
std::optional<double> rate(const std::optional<T>& now, const std::optional<T>& before, double dt) {
  if (!now || !before || *now < *before || !(dt > 0)) return std::nullopt;
  return static_cast<double>(*now - *before) / dt;
}

}  // namespace

CgroupReader::CgroupReader(CgroupOptions options) : options_(options) {}

bool CgroupReader::detect(const Source& source, std::string& hierarchy) {
  mounts_.clear();
  if (source.exists_sys("fs/cgroup/cgroup.controllers")) {
    mounts_.push_back({std::string(kCgroupRoot), Mount::v2});
    hierarchy = "v2";
    return true;
  }
  // v1 / hybrid: a tmpfs at fs/cgroup with one mount per controller (or co-mounted group of
  // controllers, named after them: "cpu,cpuacct"; the names "cpu" and "cpuacct" are then
  // symlinks to it). A controller counts when its root holds cgroup.procs, as every v1
  // cgroup directory does; the root of pids has no pids.current, so that cannot be the test.
  const struct {
    std::string_view dir;
    Mount::Controller controller;
  } candidates[] = {
      {"fs/cgroup/cpuacct", Mount::cpuacct},    {"fs/cgroup/cpu,cpuacct", Mount::cpuacct},
      {"fs/cgroup/cpuacct,cpu", Mount::cpuacct}, {"fs/cgroup/memory", Mount::memory},
      {"fs/cgroup/blkio", Mount::blkio},        {"fs/cgroup/pids", Mount::pids},
  };
  std::string probe;
  for (const auto& c : candidates) {
    const bool taken = std::any_of(mounts_.begin(), mounts_.end(),
                                   [&](const Mount& m) { return m.controller == c.controller; });
    if (taken) continue;
    probe.assign(c.dir);
    probe.append("/cgroup.procs");
    if (source.exists_sys(probe)) mounts_.push_back({std::string(c.dir), c.controller});
  }
  hierarchy = mounts_.empty() ? "none" : "v1";
  return !mounts_.empty();
}

void CgroupReader::read_group(const Source& source, const std::string& id, std::uint32_t mounts_mask,
                              ContainerSample& row, bool& any, std::vector<std::string>& problems) {
  std::string path;
  const auto read = [&](std::string_view dir, std::string_view file) {
    const bool ok = read_group_file(source, path, dir, id, file, buf_);
    any = any || ok;
    return ok;
  };
  for (std::size_t m = 0; m < mounts_.size(); ++m) {
    if ((mounts_mask & (1u << m)) == 0) continue;
    const std::string_view dir = mounts_[m].dir;
    switch (mounts_[m].controller) {
      case Mount::v2:
        if (read(dir, "cpu.stat")) {
          if (const auto v = keep(parse_cgroup_cpu_stat(buf_), path, problems)) {
            row.cpu_usage_seconds_total = static_cast<double>(v->usage_usec) / 1e6;
          }
        }
        if (read(dir, "memory.current")) row.memory_current_bytes = keep(parse_cgroup_number(buf_), path, problems);
        // memory.peak appeared in 5.19: absent before, and that is no problem.
        if (read(dir, "memory.peak")) row.memory_peak_bytes = keep(parse_cgroup_number(buf_), path, problems);
        if (read(dir, "memory.max")) {
          if (const auto v = keep(parse_cgroup_max(buf_), path, problems)) row.memory_limit_bytes = *v;
        }
        if (read(dir, "io.stat")) {
          if (const auto v = keep(parse_cgroup_io_stat(buf_), path, problems)) {
            row.io_read_bytes_total = v->read_bytes;
            row.io_write_bytes_total = v->write_bytes;
          }
        }
        if (read(dir, "pids.current")) row.pids_current = keep(parse_cgroup_number(buf_), path, problems);
        // Reading a pressure file fails with EOPNOTSUPP when PSI is off (psi=0): nullopt.
        if (read(dir, "cpu.pressure")) row.cpu_pressure = keep(parse_proc_pressure(buf_), path, problems);
        if (read(dir, "memory.pressure")) row.memory_pressure = keep(parse_proc_pressure(buf_), path, problems);
        if (read(dir, "io.pressure")) row.io_pressure = keep(parse_proc_pressure(buf_), path, problems);
        break;
      case Mount::cpuacct:
        if (read(dir, "cpuacct.usage")) {
          if (const auto v = keep(parse_cgroup_cpuacct_usage(buf_), path, problems)) {
            row.cpu_usage_seconds_total = static_cast<double>(*v) / 1e9;
          }
        }
        break;
      case Mount::memory:
        if (read(dir, "memory.usage_in_bytes")) {
          row.memory_current_bytes = keep(parse_cgroup_number(buf_), path, problems);
        }
        if (read(dir, "memory.max_usage_in_bytes")) {
          row.memory_peak_bytes = keep(parse_cgroup_number(buf_), path, problems);
        }
        if (read(dir, "memory.limit_in_bytes")) {
          if (const auto v = keep(parse_cgroup_v1_memory_limit(buf_), path, problems)) row.memory_limit_bytes = *v;
        }
        break;
      case Mount::blkio:
        // cpuacct.usage and memory.usage_in_bytes include the descendants, as v2's io.stat
        // does; blkio.throttle.io_service_bytes does not, its _recursive twin (4.x+) does.
        // CFQ/BFQ-era kernels have only blkio.io_service_bytes_recursive.
        if (read(dir, "blkio.throttle.io_service_bytes_recursive") || read(dir, "blkio.throttle.io_service_bytes") ||
            read(dir, "blkio.io_service_bytes_recursive")) {
          if (const auto v = keep(parse_cgroup_blkio_service_bytes(buf_), path, problems)) {
            row.io_read_bytes_total = v->read_bytes;
            row.io_write_bytes_total = v->write_bytes;
          }
        }
        break;
      case Mount::pids:
        if (read(dir, "pids.current")) row.pids_current = keep(parse_cgroup_number(buf_), path, problems);
        break;
    }
  }
}

void CgroupReader::name_container(const Source& source, ContainerSample& row) {
  const auto found = names_.find(row.container_id);
  if (found != names_.end()) {
    if (!found->second.empty()) row.name = found->second;
    return;
  }
  std::string name;
  if (row.kind == CgroupKind::docker) {
    const auto path = fmt::format("var/lib/docker/containers/{}/config.v2.json", row.container_id);
    if (source.read_root(path, buf_)) {
      if (auto r = parse_docker_config_name(buf_)) name = std::move(r).value();
    }
  } else if (row.kind == CgroupKind::podman) {
    // One file for every container: remember every name in it, so that the other new podman
    // groups of this tick need no second read (read() forgets those without a group).
    if (source.read_root(kPodmanContainers, buf_)) {
      if (auto r = parse_podman_containers(buf_)) {
        for (auto& c : *r) {
          if (c.id == row.container_id) name = c.name;
          else names_.emplace(std::move(c.id), std::move(c.name));
        }
      }
    }
  }
  // containerd keeps its metadata in a bolt database: the short ID it is.
  if (!name.empty()) row.name = name;
  names_.emplace(row.container_id, std::move(name));  // also a failure: read once per container
}

bool CgroupReader::read(const Source& source, double now_seconds, ContainersSample& out, std::string* error) {
  out.containers.clear();
  if (!detect(source, out.hierarchy)) {
    previous_.clear();
    names_.clear();
    if (error) *error = "no cgroup hierarchy under fs/cgroup (neither cgroup.controllers nor a v1 controller)";
    return false;
  }

  // Breadth first over the union of the mounts: a group may exist under one controller only
  // (v1), so each path remembers which mounts have it. Shallow groups (slices, services)
  // come before deep ones when max_groups cuts.
  const std::uint32_t all_mounts = (1u << mounts_.size()) - 1;
  std::map<std::string, std::pair<std::uint32_t, std::uint32_t>> groups;  // id -> (mounts, depth)
  std::vector<std::pair<std::string, std::uint32_t>> level{{std::string(), all_mounts}};
  bool cut = false;
  std::string dir;
  for (std::uint32_t depth = 1; depth <= options_.max_depth && !level.empty() && !cut; ++depth) {
    std::map<std::string, std::uint32_t> next;
    for (const auto& [parent, mask] : level) {
      for (std::size_t m = 0; m < mounts_.size(); ++m) {
        if ((mask & (1u << m)) == 0) continue;
        dir = mounts_[m].dir + parent;
        for (const auto& name : source.list_sys_dirs(dir)) next[parent + "/" + name] |= 1u << m;
      }
    }
    level.clear();
    for (auto& [id, mask] : next) {
      if (groups.size() >= options_.max_groups) {
        cut = true;
        break;
      }
      level.emplace_back(id, mask);
      groups.emplace(id, std::make_pair(mask, depth));
    }
  }

  std::vector<std::string> problems;
  std::unordered_map<std::string, Previous> current;
  current.reserve(groups.size());
  for (const auto& [id, info] : groups) {
    ContainerSample row;
    bool any = false;
    read_group(source, id, info.first, row, any, problems);
    if (!any) continue;  // gone since the listing, or nothing readable: not a row
    row.id = id;
    row.depth = info.second;
    auto cls = classify_cgroup(id);
    row.kind = cls.kind;
    row.name = std::move(cls.name);
    row.container_id = std::move(cls.container_id);
    if (!row.container_id.empty()) name_container(source, row);

    Previous now{now_seconds, row.cpu_usage_seconds_total, row.io_read_bytes_total, row.io_write_bytes_total};
    if (const auto p = previous_.find(id); p != previous_.end()) {
      const auto& before = p->second;
      const double dt = now_seconds - before.now_seconds;
      if (const auto r = rate(row.cpu_usage_seconds_total, before.cpu_seconds, dt)) row.cpu_percent = *r * 100;
      row.io_read_bytes_per_second = rate(row.io_read_bytes_total, before.io_read_bytes, dt);
      row.io_write_bytes_per_second = rate(row.io_write_bytes_total, before.io_write_bytes, dt);
    }
    current.emplace(id, now);
    out.containers.push_back(std::move(row));
  }
  previous_ = std::move(current);  // groups that disappeared are forgotten

  // Forget the names of containers that are gone, so the cache stays as large as the host.
  std::unordered_set<std::string_view> live;
  for (const auto& c : out.containers) {
    if (!c.container_id.empty()) live.insert(c.container_id);
  }
  for (auto it = names_.begin(); it != names_.end();) {
    it = live.count(it->first) ? std::next(it) : names_.erase(it);
  }

  if (error) {
    error->clear();
    if (cut) {
      *error = fmt::format("more than {} cgroups: read the first {}, shallowest first", options_.max_groups,
                           options_.max_groups);
    }
    for (std::size_t i = 0; i < problems.size() && i < kMaxProblemsShown; ++i) {
      if (!error->empty()) error->append("; ");
      error->append(problems[i]);
    }
    if (problems.size() > kMaxProblemsShown) {
      error->append(fmt::format("; and {} more unreadable values", problems.size() - kMaxProblemsShown));
    }
  }
  return true;
}

}  // namespace hyperion::collectors
