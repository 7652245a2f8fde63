// Integration: our collectors agree with the system's own tools on the live machine.
//
// Each test reads the live /proc and /sys with a Collector over a LocalSource (reading A), runs the tool,
// then reads again (reading B). A value that moves (memory, disk usage, counters, the process
// list) must lie between A and B, widened by the tolerance stated next to it where the value
// can go both ways. A round with disagreements is retried, up to kRounds rounds: a real
// machine has bursts (a compiler starting, a log rotated) that no fixed tolerance covers,
// while a real disagreement repeats in every round. The last round's disagreements are shown.
//
// Not hidden: CI runs these on a fresh Debian 12 VM (procps-ng 4.0.2, coreutils 9.1,
// iproute2 6.1). The rules below do not assume anything about that machine's processes,
// mounts or interfaces beyond what every Linux system has (a few processes, "/", "lo").

#include <catch2/catch.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

#include "hyperion/collectors/collector.hpp"
#include "hyperion/collectors/local_source.hpp"
#include "hyperion/collectors/proc_pid_stat.hpp"

extern char** environ;

namespace {

namespace hc = hyperion::collectors;
using hc::Family;
using Problems = std::vector<std::string>;

constexpr int kRounds = 3;
constexpr std::uint64_t kKiB = 1024;
constexpr std::uint64_t kMiB = 1024 * kKiB;

// ---------------------------------------------------------------------------------------------
// Helpers

struct Command {
  std::string out;
  int exit_status = -1;
};

// Runs `command` through /bin/sh (popen) in the C locale, so headers and numbers are not
// translated or grouped. stderr is left to the test's stderr.
Command run(const std::string& command) {
  Command r;
  const std::string full = "LC_ALL=C " + command;
  FILE* pipe = ::popen(full.c_str(), "r");
  if (pipe == nullptr) return r;
  std::vector<char> buf(64 * 1024);
  std::size_t n = 0;
  while ((n = std::fread(buf.data(), 1, buf.size(), pipe)) > 0) r.out.append(buf.data(), n);
  const int status = ::pclose(pipe);
  r.exit_status = (status >= 0 && WIFEXITED(status)) ? WEXITSTATUS(status) : -1;
  return r;
}

std::vector<std::string_view> lines_of(std::string_view text) {
  std::vector<std::string_view> out;
  while (!text.empty()) {
    const auto nl = text.find('\n');
    out.push_back(text.substr(0, nl));
    text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
  }
  return out;
}

// Splits off the next whitespace-separated token; false at the end.
bool next_token(std::string_view& rest, std::string_view& token) {
  const auto begin = rest.find_first_not_of(" \t");
  if (begin == std::string_view::npos) {
    rest = {};
    return false;
  }
  rest.remove_prefix(begin);
  const auto end = rest.find_first_of(" \t");
  token = rest.substr(0, end);
  rest = end == std::string_view::npos ? std::string_view{} : rest.substr(end);
  return true;
}

std::string_view trim(std::string_view s) {
  const auto b = s.find_first_not_of(" \t\r\n");
  if (b == std::string_view::npos) return {};
  const auto e = s.find_last_not_of(" \t\r\n");
  return s.substr(b, e - b + 1);
}

template <class T>
std::optional<T> number(std::string_view s) {
  T v{};
  const auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc{} || ptr != s.data() + s.size()) return std::nullopt;
  return v;
}

// x lies in [min(a, b) - tolerance, max(a, b) + tolerance]. Values are below 2^63.
bool between(std::uint64_t a, std::uint64_t b, std::uint64_t x, std::uint64_t tolerance) {
  return x + tolerance >= std::min(a, b) && x <= std::max(a, b) + tolerance;
}

std::string join(const Problems& problems) {
  std::string out;
  for (const auto& p : problems) out += p + "\n";
  return out;
}

// Runs `round` until it finds no disagreement, at most kRounds times, and checks the last one.
void agree(const std::function<Problems()>& round) {
  Problems problems;
  int rounds = 0;
  while (rounds < kRounds) {
    ++rounds;
    problems = round();
    if (problems.empty()) break;
    WARN(fmt::format("round {} disagrees:\n{}", rounds, join(problems)));
  }
  INFO(fmt::format("{} disagreement(s) in round {} of {}:\n{}", problems.size(), rounds, kRounds, join(problems)));
  CHECK(problems.empty());
}

// A Collector over the live /proc and /sys refreshing `families`. Time is injected
// (one second per reading): these tests compare totals, never rates.
class Live {
 public:
  explicit Live(std::initializer_list<Family> families)
      : families_(hc::families_of(families)), collector_(source_, "local") {
    REQUIRE(source_.live());
    read();  // warm up: host info, kept descriptors, passwd
  }

  std::shared_ptr<const hc::Snapshot> read() {
    now_ += 1.0;
    auto s = collector_.collect(families_, now_, static_cast<std::int64_t>(now_ * 1000));
    for (const auto& e : s->errors) {
      if (families_.test(static_cast<std::size_t>(e.family))) {
        FAIL(fmt::format("collecting {} failed: {}", hc::to_string(e.family), e.detail));
      }
    }
    return s;
  }

 private:
  hc::FamilySet families_;
  hc::LocalSource source_{hc::SourcePaths{}};
  hc::Collector collector_;
  double now_ = 0;
};

// ---------------------------------------------------------------------------------------------
// Processes

std::uint32_t clock_ticks() {
  const long t = ::sysconf(_SC_CLK_TCK);
  return t > 0 ? static_cast<std::uint32_t>(t) : 100;
}

// Time since boot in clock ticks, truncated like the process start times in /proc/PID/stat
// (both are CLOCK_BOOTTIME, both shifted by the time namespace).
std::uint64_t uptime_ticks() {
  std::ifstream in("/proc/uptime");
  std::string first;
  in >> first;
  const auto dot = first.find('.');
  REQUIRE(dot != std::string::npos);
  const auto seconds = number<std::uint64_t>(std::string_view(first).substr(0, dot));
  const auto centis = number<std::uint64_t>(std::string_view(first).substr(dot + 1, 2));
  REQUIRE(seconds);
  REQUIRE(centis);
  return (*seconds * 100 + *centis) * clock_ticks() / 100;
}

// The start time of the process now holding `pid`, or nullopt when there is none.
std::optional<std::uint64_t> start_ticks_now(std::int32_t pid) {
  std::ifstream in(fmt::format("/proc/{}/stat", pid));
  if (!in) return std::nullopt;
  std::ostringstream text;
  text << in.rdbuf();
  const auto st = hc::parse_proc_pid_stat(text.str());
  if (!st) return std::nullopt;
  return st->start_time_ticks;
}

struct Proc {
  std::int32_t ppid = 0;
  std::string comm;
  std::uint64_t rss_bytes = 0;
  std::uint64_t start_ticks = 0;  // ours only
};
using Procs = std::map<std::int32_t, Proc>;

Procs ours(const hc::Snapshot& s) {
  REQUIRE(s.processes);
  Procs out;
  for (const auto& p : s.processes->processes) {
    out[p.pid] = Proc{p.ppid, p.comm ? *p.comm : std::string(), p.rss_bytes, p.start_time_ticks};
  }
  return out;
}

// `ps -e -o pid=,ppid=,rss=,comm=`: rss in KiB (procps reads VmRSS from /proc/PID/status);
// comm last, so it may contain spaces.
Procs parse_ps(const std::string& out) {
  Procs procs;
  for (const auto line : lines_of(out)) {
    if (trim(line).empty()) continue;
    std::string_view rest = line, pid, ppid, rss;
    const bool ok = next_token(rest, pid) && next_token(rest, ppid) && next_token(rest, rss);
    const auto p = number<std::int32_t>(pid);
    const auto pp = number<std::int32_t>(ppid);
    const auto r = number<std::uint64_t>(rss);
    INFO("ps line: " << line);
    REQUIRE((ok && p && pp && r));
    std::string comm(trim(rest));
    // ps marks zombies in the comm column; the kernel's comm has no such suffix.
    if (comm.ends_with(" <defunct>")) comm.resize(comm.size() - 10);
    REQUIRE(procs.emplace(*p, Proc{*pp, comm, *r * kKiB, 0}).second);
  }
  return procs;
}

// Workqueue workers show the work item they are running after a '-' ("kworker/0:1-events");
// it changes from one read to the next, so only the worker's own name is compared.
std::string stable_comm(std::string comm) {
  if (comm.starts_with("kworker/")) comm = comm.substr(0, comm.find('-'));
  return comm;
}

// A name as `LC_ALL=C ps` prints it: procps replaces every byte that is not printable ASCII
// (controls, DEL, and in the C locale every byte from 0x80) with '?'.
std::string ps_rendered(std::string_view s) {
  std::string out(s);
  for (auto& c : out) {
    const auto b = static_cast<unsigned char>(c);
    if (b < 0x20 || b >= 0x7f) c = '?';
  }
  return out;
}

// Known children: `sleep 30`, killed and reaped at the end (the 30 s bound a crash).
class Sleepers {
 public:
  Sleepers() = default;
  Sleepers(const Sleepers&) = delete;
  Sleepers& operator=(const Sleepers&) = delete;
  ~Sleepers() {
    for (const pid_t pid : named_) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, nullptr, 0);
    }
    for (const pid_t pid : pids_) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, nullptr, 0);
    }
  }
  void spawn() {
    std::string arg0 = "sleep", arg1 = "30";
    char* argv[] = {arg0.data(), arg1.data(), nullptr};
    pid_t pid = 0;
    // glibc's posix_spawn returns after the exec: the child's comm is already "sleep".
    const int rc = ::posix_spawnp(&pid, "sleep", nullptr, nullptr, argv, environ);
    REQUIRE(rc == 0);
    pids_.push_back(pid);
  }
  // A child that renames itself (prctl, as kworkers and many daemons do) and waits to be killed.
  pid_t spawn_named(const std::string& name) {
    const pid_t pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
      ::prctl(PR_SET_NAME, name.c_str(), 0, 0, 0);  // only syscalls after fork
      for (;;) ::pause();
    }
    named_.push_back(pid);
    return pid;
  }
  const std::vector<pid_t>& pids() const noexcept { return pids_; }

 private:
  std::vector<pid_t> pids_;
  std::vector<pid_t> named_;
};

// ---------------------------------------------------------------------------------------------
// Memory

struct FreeOutput {
  std::uint64_t total = 0, used = 0, free = 0, shared = 0, buffers = 0, cache = 0, available = 0;
  std::uint64_t swap_total = 0, swap_used = 0, swap_free = 0;
};

// `free -b -w`: buffers and cache in their own columns.
FreeOutput parse_free(const std::string& out) {
  FreeOutput f;
  const auto lines = lines_of(out);
  REQUIRE(lines.size() >= 3);
  std::vector<std::string_view> header;
  std::string_view rest = lines[0], token;
  while (next_token(rest, token)) header.push_back(token);
  REQUIRE(header == std::vector<std::string_view>{"total", "used", "free", "shared", "buffers", "cache", "available"});
  bool mem = false, swap = false;
  for (const auto line : lines) {
    rest = line;
    if (!next_token(rest, token) || (token != "Mem:" && token != "Swap:")) continue;
    std::vector<std::uint64_t> v;
    std::string_view field;
    while (next_token(rest, field)) {
      const auto n = number<std::uint64_t>(field);
      INFO("free line: " << line);
      REQUIRE(n);
      v.push_back(*n);
    }
    if (token == "Mem:") {
      REQUIRE(v.size() == 7);
      f.total = v[0], f.used = v[1], f.free = v[2], f.shared = v[3], f.buffers = v[4], f.cache = v[5],
      f.available = v[6];
      mem = true;
    } else if (token == "Swap:") {
      REQUIRE(v.size() == 3);
      f.swap_total = v[0], f.swap_used = v[1], f.swap_free = v[2];
      swap = true;
    }
  }
  REQUIRE(mem);
  REQUIRE(swap);
  return f;
}

// Memory moves between two reads of /proc/meminfo (page cache, allocations of every process);
// 16 MiB is far above what a quiet machine moves in the few milliseconds `free` takes and far
// below any unit or field mistake (a missing SReclaimable, kB read as bytes).
constexpr std::uint64_t kMemoryTolerance = 16 * kMiB;

// What free 4.0.2 prints as "used": total - available (procps-ng 3.3 printed
// total - free - buffers - cache). Checked on free's own columns, which come from one read.
bool free_used_is_total_minus_available(const FreeOutput& f) { return f.used == f.total - f.available; }

// ---------------------------------------------------------------------------------------------
// Filesystems

struct DfRow {
  std::string source, fstype;
  std::uint64_t size = 0, used = 0, avail = 0;
};

// `df -B1 --output=source,fstype,size,used,avail,target`: the target is the rest of the line,
// so mount points with spaces survive.
std::map<std::string, DfRow> parse_df(const std::string& out) {
  std::map<std::string, DfRow> rows;
  const auto lines = lines_of(out);
  REQUIRE(!lines.empty());
  REQUIRE(lines[0].starts_with("Filesystem"));
  for (std::size_t i = 1; i < lines.size(); ++i) {
    const auto line = lines[i];
    if (trim(line).empty()) continue;
    INFO("df line: " << line);
    std::string_view rest = line, source, fstype, size, used, avail;
    REQUIRE((next_token(rest, source) && next_token(rest, fstype) && next_token(rest, size) && next_token(rest, used) &&
             next_token(rest, avail)));
    const auto s = number<std::uint64_t>(size), u = number<std::uint64_t>(used), a = number<std::uint64_t>(avail);
    REQUIRE((s && u && a));
    const std::string target(trim(rest));
    REQUIRE(!target.empty());
    REQUIRE(rows.emplace(target, DfRow{std::string(source), std::string(fstype), *s, *u, *a}).second);
  }
  return rows;
}

// Files are written between two statvfs() calls (logs, the build next door); 64 MiB.
constexpr std::uint64_t kDiskTolerance = 64 * kMiB;

// The one documented difference from df (proc_self_mountinfo.cpp, docs/ARCHITECTURE.md):
// efivarfs is pseudo for us although recent kernels give it a size and df then lists it.
bool df_only_by_design(const DfRow& row) { return row.fstype == "efivarfs"; }

// ---------------------------------------------------------------------------------------------
// Network

struct Link {
  std::uint64_t mtu = 0;
  std::string operstate;  // lower case, as in /sys/class/net/*/operstate
  std::uint64_t rx_bytes = 0, rx_packets = 0, rx_errors = 0;
  std::uint64_t tx_bytes = 0, tx_packets = 0, tx_errors = 0;
};
using Links = std::map<std::string, Link>;

Links ours(const hc::NetworkSample& n) {
  Links out;
  for (const auto& i : n.interfaces) {
    INFO("interface " << i.name);
    REQUIRE(i.mtu);
    const auto& c = i.counters;
    out[i.name] =
        Link{*i.mtu, i.operstate, c.rx_bytes, c.rx_packets, c.rx_errors, c.tx_bytes, c.tx_packets, c.tx_errors};
  }
  return out;
}

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; });
  return s;
}

// `ip -s -j link`: stats64 (or stats on old kernels) holds the same rtnl_link_stats64 that
// /proc/net/dev prints.
Links parse_ip(const std::string& out) {
  const auto j = nlohmann::json::parse(out, nullptr, false);
  REQUIRE(!j.is_discarded());
  REQUIRE(j.is_array());
  Links links;
  for (const auto& l : j) {
    const auto name = l.at("ifname").get<std::string>();
    INFO("ip link " << name);
    const auto& stats = l.contains("stats64") ? l.at("stats64") : l.at("stats");
    Link k;
    k.mtu = l.at("mtu").get<std::uint64_t>();
    k.operstate = lower(l.at("operstate").get<std::string>());
    k.rx_bytes = stats.at("rx").at("bytes").get<std::uint64_t>();
    k.rx_packets = stats.at("rx").at("packets").get<std::uint64_t>();
    k.rx_errors = stats.at("rx").at("errors").get<std::uint64_t>();
    k.tx_bytes = stats.at("tx").at("bytes").get<std::uint64_t>();
    k.tx_packets = stats.at("tx").at("packets").get<std::uint64_t>();
    k.tx_errors = stats.at("tx").at("errors").get<std::uint64_t>();
    REQUIRE(links.emplace(name, k).second);
  }
  return links;
}

// Sends one UDP datagram over lo to a socket of our own and drains it: lo's rx and tx
// counters grow by one packet before send() returns (loopback_xmit runs in the caller).
class LoopbackTraffic {
 public:
  LoopbackTraffic() {
    rx_ = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    tx_ = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    REQUIRE(rx_ >= 0);
    REQUIRE(tx_ >= 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = 0;
    REQUIRE(::bind(rx_, reinterpret_cast<const sockaddr*>(&a), sizeof a) == 0);
    socklen_t len = sizeof a;
    REQUIRE(::getsockname(rx_, reinterpret_cast<sockaddr*>(&a), &len) == 0);
    REQUIRE(::connect(tx_, reinterpret_cast<const sockaddr*>(&a), sizeof a) == 0);
  }
  LoopbackTraffic(const LoopbackTraffic&) = delete;
  LoopbackTraffic& operator=(const LoopbackTraffic&) = delete;
  ~LoopbackTraffic() {
    if (rx_ >= 0) ::close(rx_);
    if (tx_ >= 0) ::close(tx_);
  }
  void send_one() {
    const char payload[100] = {};
    REQUIRE(::send(tx_, payload, sizeof payload, 0) == static_cast<ssize_t>(sizeof payload));
    char buf[sizeof payload];
    REQUIRE(::recv(rx_, buf, sizeof buf, 0) == static_cast<ssize_t>(sizeof payload));
  }

 private:
  int rx_ = -1, tx_ = -1;
};

// Keys of a map, for set comparisons.
template <class M>
std::set<std::string> keys(const M& m) {
  std::set<std::string> out;
  for (const auto& [k, v] : m) out.insert(fmt::format("{}", k));
  return out;
}

// `seen` (the tool's set) must equal `a` when both of our readings agree, and otherwise lie
// between them: everything in both readings, nothing outside either. Names the differences.
void same_set(const std::set<std::string>& a, const std::set<std::string>& b, const std::set<std::string>& seen,
              const char* what, const char* tool, Problems& problems) {
  for (const auto& k : a) {
    if (b.count(k) && !seen.count(k))
      problems.push_back(fmt::format("{} {} is in both our readings, not in {}", what, k, tool));
  }
  for (const auto& k : seen) {
    if (!a.count(k) && !b.count(k))
      problems.push_back(fmt::format("{} {} is in {}, in neither of our readings", what, k, tool));
  }
}

}  // namespace

// ---------------------------------------------------------------------------------------------

TEST_CASE("Collector processes: PIDs, parents, names and RSS agree with ps -e", "[integration][agreement]") {
  Live live({Family::processes});
  Sleepers children;
  for (int i = 0; i < 3; ++i) children.spawn();
  // A name with bytes that are not text: ps prints them as '?', and the comparison must too.
  const std::string odd_name("bad\xff\xfename");
  const auto odd = static_cast<std::int32_t>(children.spawn_named(odd_name));
  const auto self = static_cast<std::int32_t>(::getpid());

  agree([&]() -> Problems {
    Problems problems;
    const auto before_a = uptime_ticks();
    const auto a = ours(*live.read());
    const auto cmd = run("LC_ALL=C ps -e -o pid=,ppid=,rss=,comm=");
    const auto before_b = uptime_ticks();
    const auto b = ours(*live.read());
    REQUIRE(cmd.exit_status == 0);
    const auto ps = parse_ps(cmd.out);
    REQUIRE(a.size() >= 10);
    REQUIRE(ps.size() >= 10);

    // The renamed child: its bytes as they are in ours, as '?' in ps.
    for (const auto* set : {&a, &b}) {
      const auto it = set->find(odd);
      if (it == set->end() || it->second.comm != odd_name) problems.push_back(fmt::format("child {} lost its name", odd));
    }
    if (const auto it = ps.find(odd); it == ps.end() || it->second.comm != "bad??name") {
      problems.push_back(fmt::format("ps does not show child {} as bad??name", odd));
    }

    // Our children, in all three readings, with the right parent and name.
    for (const pid_t child : children.pids()) {
      using Reading = std::pair<const Procs*, const char*>;
      for (const auto& [set, name] :
           {Reading{&a, "our first reading"}, Reading{&ps, "ps"}, Reading{&b, "our second reading"}}) {
        const auto it = set->find(static_cast<std::int32_t>(child));
        if (it == set->end()) {
          problems.push_back(fmt::format("child {} (sleep) is missing from {}", child, name));
        } else if (it->second.ppid != self || it->second.comm != "sleep") {
          problems.push_back(fmt::format("child {} is ppid {} comm '{}' in {}, expected ppid {} comm 'sleep'", child,
                                         it->second.ppid, it->second.comm, name, self));
        }
      }
    }

    // A process in both our readings (same start time: not a reused PID) lived through ps's
    // scan, so ps lists it, with a parent and name one of our readings has (a parent can exit,
    // a process can rename itself) and an RSS between ours, give or take
    // max(256 KiB, 2%): a live process maps and unmaps pages between our read of
    // /proc/PID/statm and ps's read of /proc/PID/status (both the kernel's mm RSS counters,
    // which also lag by a few per-CPU batches of pages), and 2% is far below a unit mistake.
    std::size_t compared = 0;
    for (const auto& [pid, pa] : a) {
      const auto ib = b.find(pid);
      if (ib == b.end() || ib->second.start_ticks != pa.start_ticks) continue;
      const auto& pb = ib->second;
      const auto ip = ps.find(pid);
      if (ip == ps.end()) {
        problems.push_back(fmt::format("pid {} ({}) is in both our readings, not in ps", pid, pa.comm));
        continue;
      }
      const auto& pp = ip->second;
      if (pp.ppid != pa.ppid && pp.ppid != pb.ppid) {
        problems.push_back(
            fmt::format("pid {} ({}): ps ppid {}, ours {} then {}", pid, pa.comm, pp.ppid, pa.ppid, pb.ppid));
      }
      if (stable_comm(pp.comm) != stable_comm(ps_rendered(pa.comm)) &&
          stable_comm(pp.comm) != stable_comm(ps_rendered(pb.comm))) {
        problems.push_back(fmt::format("pid {}: ps comm '{}', ours '{}' then '{}'", pid, pp.comm, pa.comm, pb.comm));
      }
      const auto tolerance = std::max(256 * kKiB, std::max(pa.rss_bytes, pb.rss_bytes) / 50);
      if (!between(pa.rss_bytes, pb.rss_bytes, pp.rss_bytes, tolerance)) {
        problems.push_back(fmt::format("pid {} ({}): ps rss {} B, ours {} then {} B (tolerance {} B)", pid, pa.comm,
                                       pp.rss_bytes, pa.rss_bytes, pb.rss_bytes, tolerance));
      }
      ++compared;
    }
    if (compared < 10) problems.push_back(fmt::format("only {} processes compared", compared));

    // A process only ps lists started after our first reading began and has exited, or
    // started after our second reading began. One alive now that started earlier is one we
    // missed. ps itself and popen's shell are such processes: check we saw them that way.
    bool saw_ps_itself = false;
    for (const auto& [pid, pp] : ps) {
      if (a.count(pid) || b.count(pid)) continue;
      const bool child_of_us = pp.ppid == self || (ps.count(pp.ppid) && ps.at(pp.ppid).ppid == self);
      if (pp.comm == "ps" && child_of_us) saw_ps_itself = true;
      const auto start = start_ticks_now(pid);
      if (start && *start < before_b) {
        problems.push_back(
            fmt::format("ps lists pid {} ({}), started at tick {} before our second reading (tick {}), "
                        "still alive, but neither of our readings has it",
                        pid, pp.comm, *start, before_b));
      }
    }
    if (!saw_ps_itself) problems.push_back("ps's own process is not among the processes only ps lists");

    // Our own readings, against the kernel's start times: a process only in our second
    // reading started after the first began; one only in the first has exited (or its PID
    // was reused).
    for (const auto& [pid, pb] : b) {
      const auto ia = a.find(pid);
      if (ia != a.end() && ia->second.start_ticks == pb.start_ticks) continue;
      if (pb.start_ticks < before_a) {
        problems.push_back(
            fmt::format("pid {} ({}) started at tick {}, before our first reading (tick {}), "
                        "which does not have it",
                        pid, pb.comm, pb.start_ticks, before_a));
      }
    }
    for (const auto& [pid, pa] : a) {
      const auto ib = b.find(pid);
      if (ib != b.end() && ib->second.start_ticks == pa.start_ticks) continue;
      if (start_ticks_now(pid) == pa.start_ticks) {
        problems.push_back(
            fmt::format("pid {} ({}) is still running but missing from our second reading", pid, pa.comm));
      }
    }
    return problems;
  });
}

TEST_CASE("Collector memory: agrees with free -b", "[integration][agreement]") {
  Live live({Family::memory});
  agree([&]() -> Problems {
    Problems problems;
    const auto sa = live.read();
    const auto cmd = run("free -b -w");
    const auto sb = live.read();
    REQUIRE(cmd.exit_status == 0);
    const auto f = parse_free(cmd.out);
    const auto& a = *sa->memory;
    const auto& b = *sb->memory;
    REQUIRE(a.info.total_bytes > 0);
    REQUIRE(f.total > 0);
    REQUIRE(f.available > 0);
    // free 4.0.2 (Debian 12) computes used as total - available; older procps as
    // total - free - buffers - cache. Only the former is the platform we ship for.
    REQUIRE(free_used_is_total_minus_available(f));

    const auto check = [&](const char* column, std::uint64_t theirs, std::uint64_t ours_a, std::uint64_t ours_b,
                           std::uint64_t tolerance) {
      if (!between(ours_a, ours_b, theirs, tolerance)) {
        problems.push_back(fmt::format("{}: free {} B, ours {} then {} B (tolerance {} B)", column, theirs, ours_a,
                                       ours_b, tolerance));
      }
    };
    const auto cache = [](const hc::MemorySample& m) {
      return m.info.cached_bytes + m.info.slab_reclaimable_bytes.value_or(0);  // procps-ng 3.3.10+
    };
    // "used" as free 4.0.2 prints it is total - available: our used_bytes, and used_percent
    // of total. (Not MemInfo::used_bytes(), procps-ng 3.3's total - free - buffers - cache,
    // which is about 1% of RAM lower on this VM.)
    const auto used_from_percent = [](const hc::MemorySample& m) {
      return static_cast<std::uint64_t>(m.used_percent / 100.0 * static_cast<double>(m.info.total_bytes) + 0.5);
    };
    const auto swap_used = [](const hc::MemorySample& m) {
      return m.info.swap_total_bytes - std::min(m.info.swap_total_bytes, m.info.swap_free_bytes);
    };
    const auto swap_used_from_percent = [](const hc::MemorySample& m) {
      return static_cast<std::uint64_t>(m.swap_used_percent / 100.0 * static_cast<double>(m.info.swap_total_bytes) +
                                        0.5);
    };
    check("total (exact)", f.total, a.info.total_bytes, b.info.total_bytes, 0);
    check("free", f.free, a.info.free_bytes, b.info.free_bytes, kMemoryTolerance);
    check("shared", f.shared, a.info.shared_bytes.value_or(0), b.info.shared_bytes.value_or(0), kMemoryTolerance);
    check("buffers", f.buffers, a.info.buffers_bytes, b.info.buffers_bytes, kMemoryTolerance);
    check("cache (Cached + SReclaimable)", f.cache, cache(a), cache(b), kMemoryTolerance);
    check("available", f.available, a.available_bytes, b.available_bytes, kMemoryTolerance);
    check("used (used_bytes)", f.used, a.used_bytes, b.used_bytes, kMemoryTolerance);
    check("used (used_percent of total)", f.used, used_from_percent(a), used_from_percent(b), kMemoryTolerance);
    check("swap total (exact)", f.swap_total, a.info.swap_total_bytes, b.info.swap_total_bytes, 0);
    check("swap free", f.swap_free, a.info.swap_free_bytes, b.info.swap_free_bytes, kMemoryTolerance);
    check("swap used", f.swap_used, swap_used(a), swap_used(b), kMemoryTolerance);
    check("swap used (swap_used_percent of total)", f.swap_used, swap_used_from_percent(a), swap_used_from_percent(b),
          kMemoryTolerance);
    return problems;
  });
}

TEST_CASE("Collector filesystems: the same mounts and sizes as df", "[integration][agreement]") {
  Live live({Family::filesystems});
  agree([&]() -> Problems {
    Problems problems;
    const auto sa = live.read();
    const auto cmd = run("df -B1 --output=source,fstype,size,used,avail,target");
    const auto sb = live.read();
    // df exits with 1 when some mount cannot be stat()ed (EACCES, a stale NFS handle) and
    // leaves it out, as we do; it still prints the others.
    if (cmd.exit_status != 0) WARN("df exited with status " << cmd.exit_status);
    REQUIRE((cmd.exit_status == 0 || cmd.exit_status == 1));
    const auto df = parse_df(cmd.out);

    std::map<std::string, hc::FilesystemSample> a, b;
    for (const auto& fs : sa->filesystems->filesystems) REQUIRE(a.emplace(fs.mount_point, fs).second);
    for (const auto& fs : sb->filesystems->filesystems) REQUIRE(b.emplace(fs.mount_point, fs).second);
    REQUIRE(!a.empty());
    REQUIRE(a.count("/"));
    REQUIRE(df.count("/"));

    // The rule: our list is df's list minus the efivarfs row, if any (df_only_by_design).
    std::map<std::string, DfRow> expected;
    for (const auto& [target, row] : df) {
      if (!df_only_by_design(row)) {
        expected.emplace(target, row);
      } else if (a.count(target) || b.count(target)) {
        problems.push_back(fmt::format("{} ({}) is listed by us, but is pseudo by design", target, row.fstype));
      }
    }
    same_set(keys(a), keys(b), keys(expected), "mount point", "df", problems);
    for (const auto& [target, row] : expected) {
      const auto ia = a.find(target);
      const auto ib = b.find(target);
      if (ia == a.end() || ib == b.end()) continue;
      const auto& fa = ia->second;
      const auto& fb = ib->second;
      if (row.source != fa.device || row.fstype != fa.fstype) {
        problems.push_back(
            fmt::format("{}: df {} {}, ours {} {}", target, row.source, row.fstype, fa.device, fa.fstype));
      }
      const auto check = [&](const char* column, std::uint64_t theirs, std::uint64_t ours_a, std::uint64_t ours_b,
                             std::uint64_t tolerance) {
        if (!between(ours_a, ours_b, theirs, tolerance)) {
          problems.push_back(fmt::format("{} {}: df {} B, ours {} then {} B (tolerance {} B)", target, column, theirs,
                                         ours_a, ours_b, tolerance));
        }
      };
      check("size (exact)", row.size, fa.size_bytes, fb.size_bytes, 0);
      check("used", row.used, fa.used_bytes, fb.used_bytes, kDiskTolerance);
      check("avail", row.avail, fa.available_bytes, fb.available_bytes, kDiskTolerance);
    }
    return problems;
  });
}

TEST_CASE("Collector network: the same interfaces and counters as ip -s link", "[integration][agreement]") {
  Live live({Family::network});
  LoopbackTraffic traffic;
  agree([&]() -> Problems {
    Problems problems;
    const auto sa = live.read();
    traffic.send_one();
    const auto cmd = run("ip -s -j link");
    traffic.send_one();
    const auto sb = live.read();
    REQUIRE(cmd.exit_status == 0);
    const auto ip = parse_ip(cmd.out);
    const auto a = ours(*sa->network);
    const auto b = ours(*sb->network);
    REQUIRE(a.count("lo"));
    REQUIRE(ip.count("lo"));

    same_set(keys(a), keys(b), keys(ip), "interface", "ip", problems);
    for (const auto& [name, l] : ip) {
      const auto ia = a.find(name);
      const auto ib = b.find(name);
      if (ia == a.end() || ib == b.end()) continue;
      const auto& la = ia->second;
      const auto& lb = ib->second;
      // Counters only grow: ours before <= ip <= ours after.
      const auto check = [&](const char* counter, std::uint64_t theirs, std::uint64_t before, std::uint64_t after) {
        if (!(before <= theirs && theirs <= after)) {
          problems.push_back(fmt::format("{} {}: ip {}, ours {} then {}", name, counter, theirs, before, after));
        }
      };
      check("rx_bytes", l.rx_bytes, la.rx_bytes, lb.rx_bytes);
      check("rx_packets", l.rx_packets, la.rx_packets, lb.rx_packets);
      check("rx_errors", l.rx_errors, la.rx_errors, lb.rx_errors);
      check("tx_bytes", l.tx_bytes, la.tx_bytes, lb.tx_bytes);
      check("tx_packets", l.tx_packets, la.tx_packets, lb.tx_packets);
      check("tx_errors", l.tx_errors, la.tx_errors, lb.tx_errors);
      if (l.mtu != la.mtu && l.mtu != lb.mtu) {
        problems.push_back(fmt::format("{} mtu: ip {}, ours {} then {}", name, l.mtu, la.mtu, lb.mtu));
      }
      if (l.operstate != la.operstate && l.operstate != lb.operstate) {
        problems.push_back(
            fmt::format("{} operstate: ip {}, ours {} then {}", name, l.operstate, la.operstate, lb.operstate));
      }
    }

    // Our datagrams went over lo after our first reading and after ip's: every lo counter
    // we compare moved strictly, so the readings are live, not cached.
    const auto& la = a.at("lo");
    const auto& li = ip.at("lo");
    const auto& lb = b.at("lo");
    for (const auto& [counter, x, y, z] : {std::tuple{"rx_packets", la.rx_packets, li.rx_packets, lb.rx_packets},
                                           std::tuple{"tx_packets", la.tx_packets, li.tx_packets, lb.tx_packets},
                                           std::tuple{"rx_bytes", la.rx_bytes, li.rx_bytes, lb.rx_bytes},
                                           std::tuple{"tx_bytes", la.tx_bytes, li.tx_bytes, lb.tx_bytes}}) {
      if (!(x < y && y < z)) {
        problems.push_back(fmt::format("lo {}: ours {}, ip {}, ours {}: expected to grow strictly", counter, x, y, z));
      }
    }
    return problems;
  });
}

TEST_CASE("ps_rendered: names as procps prints them in the C locale", "[integration][agreement]") {
  CHECK(ps_rendered("bash") == "bash");
  CHECK(ps_rendered(std::string("bad\xff\xfename")) == "bad??name");
  CHECK(ps_rendered(std::string("tab\there\x7f")) == "tab?here?");
  CHECK(ps_rendered(std::string("caf\xc3\xa9")) == "caf??");
}

// ------------------------------------------------------------------ containers

namespace {

std::optional<std::uint64_t> read_number_file(const std::filesystem::path& p) {
  std::ifstream in(p);
  std::string text;
  if (!std::getline(in, text)) return std::nullopt;
  return number<std::uint64_t>(trim(text));
}

// The groups under one hierarchy, walked directly: "/a", "/a/b", ... down to max_depth.
void walk_groups(const std::filesystem::path& root, const std::filesystem::path& dir, std::uint32_t depth,
                 std::uint32_t max_depth, std::set<std::string>& out) {
  if (depth > max_depth) return;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(dir, ec)) {
    if (!e.is_directory(ec) || e.is_symlink(ec)) continue;
    out.insert("/" + std::filesystem::relative(e.path(), root).string());
    walk_groups(root, e.path(), depth + 1, max_depth, out);
  }
}

}  // namespace

// systemd is not PID 1 on these machines, so systemd-cgtop has nothing to show: the kernel's own
// files under /sys/fs/cgroup, read directly, are the reference.
TEST_CASE("Collector containers: the groups and their memory as /sys/fs/cgroup shows them", "[integration][agreement]") {
  const std::filesystem::path base = "/sys/fs/cgroup";
  const bool v2 = std::filesystem::exists(base / "cgroup.controllers");
  std::vector<std::filesystem::path> hierarchies;
  if (v2) {
    hierarchies.push_back(base);
  } else {
    for (const auto* c : {"cpu,cpuacct", "cpuacct", "memory", "blkio", "pids"}) {
      const auto p = base / c;
      if (std::filesystem::exists(p / "cgroup.procs") && !std::filesystem::is_symlink(p)) hierarchies.push_back(p);
    }
  }
  if (hierarchies.empty()) {
    WARN("no cgroup hierarchy under /sys/fs/cgroup: nothing to compare");
    return;
  }
  // A group of our own in every hierarchy (root may make one), so that the comparison is never
  // over nothing; removed at the end.
  const std::string own = fmt::format("hyperion-agreement-{}", ::getpid());
  std::vector<std::filesystem::path> made;
  for (const auto& h : hierarchies) {
    std::error_code ec;
    if (std::filesystem::create_directory(h / own, ec)) made.push_back(h / own);
  }
  struct Cleanup {
    std::vector<std::filesystem::path>& dirs;
    ~Cleanup() {
      for (const auto& d : dirs) ::rmdir(d.c_str());
    }
  } cleanup{made};
  if (made.empty()) WARN("could not make a cgroup of our own (not root?): comparing what exists");
  Live live({Family::containers});
  const std::uint32_t kDepth = hyperion::collectors::CgroupOptions{}.max_depth;  // the default
  agree([&] {
    Problems problems;
    const auto s = live.read();
    REQUIRE(s->containers);
    CHECK(s->containers->hierarchy == (v2 ? "v2" : "v1"));
    std::set<std::string> direct;
    for (const auto& h : hierarchies) walk_groups(h, h, 1, kDepth, direct);
    std::set<std::string> ours;
    for (const auto& c : s->containers->containers) ours.insert(c.id);
    if (!made.empty() && !ours.count("/" + own)) problems.push_back(fmt::format("/{}: our own group is missing", own));
    for (const auto& id : direct) {
      if (!ours.count(id)) problems.push_back(fmt::format("{}: in /sys/fs/cgroup, not collected", id));
    }
    for (const auto& id : ours) {
      if (!direct.count(id)) problems.push_back(fmt::format("{}: collected, not in /sys/fs/cgroup", id));
    }
    // Memory in use moves: within 8 MiB of the kernel's figure read just after.
    for (const auto& c : s->containers->containers) {
      if (!c.memory_current_bytes) continue;
      const auto file = v2 ? base / c.id.substr(1) / "memory.current" : base / "memory" / c.id.substr(1) / "memory.usage_in_bytes";
      const auto kernel = read_number_file(file);
      if (!kernel) continue;  // the group went away
      if (!between(*kernel, *kernel, *c.memory_current_bytes, 8u << 20)) {
        problems.push_back(fmt::format("{}: memory {} here, {} in {}", c.id, *c.memory_current_bytes, *kernel, file.string()));
      }
    }
    return problems;
  });
}
