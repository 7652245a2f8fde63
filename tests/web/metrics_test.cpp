#include "hyperion/web/metrics.hpp"

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <map>
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include <catch2/catch.hpp>
#include <fmt/format.h>

#include "fixture.hpp"
#include "hyperion/collectors/collector.hpp"
#include "hyperion/collectors/tree_source.hpp"

using namespace hyperion;
using collectors::Snapshot;
using web::render_metrics;

namespace {

// ---- a small parser of the text format, strict enough to catch our own mistakes ----------

struct Sample {
  std::string name;
  std::map<std::string, std::string> labels;  // unescaped values
  std::string labels_text;                    // as written, for finding repeated series
  std::string value;
};

struct ParsedFamily {
  std::string name, type, help;
  std::vector<Sample> samples;
};

struct Exposition {
  std::vector<ParsedFamily> families;
  std::vector<std::string> problems;

  const ParsedFamily* find(std::string_view name) const {
    for (const auto& f : families) {
      if (f.name == name) return &f;
    }
    return nullptr;
  }
  // The value of the one sample of `family` whose labels include all of `labels`.
  std::string value(std::string_view family, const std::map<std::string, std::string>& labels = {}) const {
    const auto* f = find(family);
    if (!f) return "<no family>";
    std::string found = "<no sample>";
    int matches = 0;
    for (const auto& s : f->samples) {
      const bool all = std::all_of(labels.begin(), labels.end(), [&s](const auto& kv) {
        const auto it = s.labels.find(kv.first);
        return it != s.labels.end() && it->second == kv.second;
      });
      if (all && s.name == family) {
        found = s.value;
        ++matches;
      }
    }
    return matches > 1 ? "<several samples>" : found;
  }
};

bool valid_metric_name(std::string_view n) {
  if (n.empty() || (n[0] >= '0' && n[0] <= '9')) return false;
  return std::all_of(n.begin(), n.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == ':';
  });
}

bool valid_value(const std::string& v) {
  if (v == "NaN" || v == "+Inf" || v == "-Inf") return true;
  if (v.empty()) return false;
  char* end = nullptr;
  std::strtod(v.c_str(), &end);
  return end == v.c_str() + v.size() && v.find_first_of("iInN") == std::string::npos;
}

// Which sample names a family of `type` may hold.
bool belongs(const std::string& sample, const ParsedFamily& f) {
  if (sample == f.name) return f.type != "histogram";
  if (f.type == "histogram") {
    return sample == f.name + "_bucket" || sample == f.name + "_sum" || sample == f.name + "_count";
  }
  return false;
}

Exposition parse(const std::string& text) {
  Exposition out;
  std::set<std::string> seen_families, seen_series;
  std::istringstream in(text);
  std::string line;
  int number = 0;
  const auto problem = [&](const std::string& what) { out.problems.push_back(fmt::format("line {}: {}: {}", number, what, line)); };
  if (!text.empty() && text.back() != '\n') out.problems.push_back("the text does not end with a newline");
  std::string pending_help_name, pending_help;
  while (std::getline(in, line)) {
    ++number;
    if (line.empty()) {
      problem("empty line");
      continue;
    }
    if (line.rfind("# HELP ", 0) == 0) {
      const auto rest = line.substr(7);
      const auto sp = rest.find(' ');
      pending_help_name = rest.substr(0, sp);
      pending_help = sp == std::string::npos ? "" : rest.substr(sp + 1);
      if (pending_help.empty()) problem("empty HELP");
      continue;
    }
    if (line.rfind("# TYPE ", 0) == 0) {
      const auto rest = line.substr(7);
      const auto sp = rest.find(' ');
      ParsedFamily f;
      f.name = rest.substr(0, sp);
      f.type = sp == std::string::npos ? "" : rest.substr(sp + 1);
      if (f.name != pending_help_name) problem("TYPE without its HELP just before");
      if (f.type != "counter" && f.type != "gauge" && f.type != "histogram" && f.type != "summary" &&
          f.type != "untyped") {
        problem("bad type");
      }
      if (!valid_metric_name(f.name)) problem("bad family name");
      if (!seen_families.insert(f.name).second) problem("family repeated");
      if (f.type == "counter" && !f.name.ends_with("_total")) problem("counter without _total");
      f.help = pending_help;
      pending_help_name.clear();
      out.families.push_back(std::move(f));
      continue;
    }
    if (line[0] == '#') {
      problem("unexpected comment");
      continue;
    }
    if (!pending_help_name.empty()) problem("HELP not followed by TYPE");
    Sample s;
    std::size_t i = 0;
    while (i < line.size() && line[i] != '{' && line[i] != ' ') ++i;
    s.name = line.substr(0, i);
    if (i < line.size() && line[i] == '{') {
      const std::size_t open = i++;
      while (i < line.size() && line[i] != '}') {
        const auto eq = line.find("=\"", i);
        if (eq == std::string::npos) {
          problem("bad label");
          break;
        }
        const std::string name = line.substr(i, eq - i);
        if (!valid_metric_name(name) || name.find(':') != std::string::npos) problem("bad label name");
        std::string value;
        i = eq + 2;
        for (; i < line.size() && line[i] != '"'; ++i) {
          if (line[i] == '\\' && i + 1 < line.size()) {
            const char e = line[++i];
            if (e == 'n') {
              value += '\n';
            } else if (e == '\\' || e == '"') {
              value += e;
            } else {
              problem("bad escape");
            }
          } else {
            value += line[i];
          }
        }
        ++i;  // the closing quote
        if (!s.labels.emplace(name, value).second) problem("label repeated");
        if (i < line.size() && line[i] == ',') ++i;
      }
      s.labels_text = line.substr(open, i + 1 - open);
      ++i;
    }
    if (i >= line.size() || line[i] != ' ') {
      problem("no value");
      continue;
    }
    s.value = line.substr(i + 1);
    if (!valid_value(s.value)) problem("bad value");
    if (out.families.empty() || !belongs(s.name, out.families.back())) {
      problem("sample outside its family");
      continue;
    }
    if (!seen_series.insert(s.name + s.labels_text).second) problem("series repeated");
    out.families.back().samples.push_back(std::move(s));
  }
  for (const auto& f : out.families) {
    if (f.samples.empty()) out.problems.push_back("family without samples: " + f.name);
  }
  return out;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return {};
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// ---- inputs --------------------------------------------------------------------------------

collectors::SharedString shared(std::string s) { return std::make_shared<const std::string>(std::move(s)); }

web::SelfMetrics fixed_self() {
  web::SelfMetrics self;
  self.version = "0.1.0-golden";
  self.start_time_seconds = 1795260300.25;
  self.collections = {{"cpu", 0.00025, 120, 0}, {"processes", 0.0125, 60, 2}};
  self.requests = {{"/api/v1/hosts/{host}/processes", "GET", 200, 7}, {"/metrics", "GET", 200, 12},
                   {"other", "GET", 404, 1}};
  self.request_latency.count = 20;
  self.request_latency.sum_seconds = 0.0625;
  self.request_latency.buckets = {0, 1, 4, 9, 15, 18, 19, 19, 20, 20, 20, 20};
  self.connections_open = 2;
  self.connections_accepted_total = 31;
  self.connections_rejected_total = 1;
  return self;
}

// The fixture tree's snapshot made independent of the machine the test runs on:
// * filesystems: statvfs() of real paths under the fixture dir, so replaced by fixed ones;
// * process owners: the collector reads the owner of /proc/PID, which in a checked-out tree is
//   whoever checked it out (git keeps no owners), so every process is root;
// * architecture: uname() of this machine;
// * page size: resident sizes are statm pages times this machine's page size.
Snapshot machine_independent(const Snapshot& in) {
  Snapshot s = in;
  auto host = std::make_shared<collectors::HostInfo>(*s.host_info);
  const std::uint64_t page = host->page_size_bytes == 0 ? 4096 : host->page_size_bytes;
  host->architecture = "x86_64";
  host->page_size_bytes = 4096;
  s.host_info = host;

  auto procs = std::make_shared<collectors::ProcessesSample>(*s.processes);
  const auto root = shared("root");
  for (auto& p : procs->processes) {
    p.uid = 0;
    p.user = root;
    p.rss_bytes = p.rss_bytes / page * 4096;
    p.shared_bytes = p.shared_bytes / page * 4096;
  }
  s.processes = procs;

  auto fs = std::make_shared<collectors::FilesystemsSample>();
  collectors::FilesystemSample root_fs;
  root_fs.device = "/dev/vda";
  root_fs.mount_point = "/";
  root_fs.fstype = "ext4";
  root_fs.size_bytes = 270553174016;
  root_fs.used_bytes = 19343097856;
  root_fs.available_bytes = 237462695936;
  root_fs.inodes_total = 16777216;
  root_fs.inodes_free = 16343356;
  root_fs.inodes_used = root_fs.inodes_total - root_fs.inodes_free;
  collectors::FilesystemSample boot_fs;
  boot_fs.device = "/dev/vdb1";
  boot_fs.mount_point = "/mnt/with \"quotes\"";
  boot_fs.fstype = "vfat";
  boot_fs.read_only = true;
  boot_fs.size_bytes = 535805952;
  boot_fs.used_bytes = 6160384;
  boot_fs.available_bytes = 529645568;
  fs->filesystems = {root_fs, boot_fs};
  s.filesystems = fs;
  return s;
}

std::shared_ptr<const Snapshot> collect_fixture() {
  collectors::TreeSource source(test::machine_dir());
  collectors::Collector c(source, "fixture");
  c.collect(collectors::all_families(), 1.0, 1000000);
  return c.collect(collectors::all_families(), 2.0, 2000000);
}

collectors::ProcessSample process(std::int32_t pid, double cpu_percent, std::uint64_t rss) {
  collectors::ProcessSample p;
  p.pid = pid;
  p.comm = shared(fmt::format("proc{}", pid));
  p.user = shared("alice");
  p.state = 'S';
  p.cpu_percent = cpu_percent;
  p.rss_bytes = rss;
  return p;
}

std::size_t count_samples(const Exposition& e, std::string_view family) {
  const auto* f = e.find(family);
  return f ? f->samples.size() : 0;
}

std::string parse_problems(const Exposition& e) {
  std::string all;
  for (const auto& p : e.problems) all += p + "\n";
  return all;
}

}  // namespace

// ---- the golden file -------------------------------------------------------------------------

TEST_CASE("render_metrics: the fixture tree matches the golden file", "[web][metrics]") {
  const auto collected = collect_fixture();
  REQUIRE(collected);
  REQUIRE(collected->host_info);
  REQUIRE(collected->processes);
  const Snapshot snapshot = machine_independent(*collected);
  web::MetricsOptions options;
  options.top_processes = 3;
  options.self_pid = 4984;
  options.now_seconds = 1795260400.5;
  const std::string text = render_metrics(snapshot, fixed_self(), options);

  const auto parsed = parse(text);
  INFO(parse_problems(parsed));
  CHECK(parsed.problems.empty());

  const std::string path = std::string(HYPERION_GOLDEN_DIR) + "/metrics_fixture.txt";
  const char* regenerate = std::getenv("HYPERION_REGENERATE_GOLDEN");
  if (regenerate && std::string_view(regenerate) == "1") {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << text;
    out.close();
    REQUIRE(out.good());
    WARN("HYPERION_REGENERATE_GOLDEN=1: rewrote " << path);
    CHECK(read_file(path) == text);
    return;
  }
  const std::string golden = read_file(path);
  INFO("golden file: " << path << " (HYPERION_REGENERATE_GOLDEN=1 rewrites it)");
  REQUIRE_FALSE(golden.empty());
  if (golden != text) {
    // Name the first differing line instead of printing two 20 kB strings.
    std::istringstream a(golden), b(text);
    std::string la, lb;
    int line = 0;
    while (true) {
      ++line;
      const bool ga = static_cast<bool>(std::getline(a, la));
      const bool gb = static_cast<bool>(std::getline(b, lb));
      if (!ga && !gb) break;
      if (!ga || !gb || la != lb) {
        FAIL("first difference at line " << line << "\n golden: " << (ga ? la : "<end>")
                                         << "\n actual: " << (gb ? lb : "<end>"));
      }
    }
  }
  CHECK(golden == text);
}

TEST_CASE("render_metrics: the fixture gives node_exporter's values", "[web][metrics]") {
  // Values node_exporter 1.5 printed over the same fixture tree (--path.procfs/--path.sysfs).
  const auto snapshot = machine_independent(*collect_fixture());
  const auto e = parse(render_metrics(snapshot, fixed_self(), web::MetricsOptions{}));
  INFO(parse_problems(e));
  REQUIRE(e.problems.empty());
  CHECK(e.value("node_boot_time_seconds") == "1795260123");
  CHECK(e.value("node_context_switches_total") == "207754");
  CHECK(e.value("node_cpu_seconds_total", {{"cpu", "1"}, {"mode", "user"}}) == "7.85");
  CHECK(e.value("node_cpu_seconds_total", {{"cpu", "0"}, {"mode", "idle"}}) == "205.44");
  CHECK(e.value("node_cpu_guest_seconds_total", {{"cpu", "0"}, {"mode", "nice"}}) == "0");
  CHECK(e.value("node_disk_read_time_seconds_total", {{"device", "vda"}}) == "7.337");
  CHECK(e.value("node_disk_read_bytes_total", {{"device", "vda"}}) == "1223275520");
  CHECK(e.value("node_disk_discarded_sectors_total", {{"device", "vda"}}) == "248360");
  CHECK(e.value("node_memory_MemAvailable_bytes") == "25030381568");
  CHECK(e.value("node_memory_Hugepagesize_bytes") == "2097152");
  CHECK(e.value("node_memory_HugePages_Total") == "0");
  CHECK(e.value("node_network_mtu_bytes", {{"device", "lo"}}) == "65536");
  CHECK(e.value("node_network_up", {{"device", "lo"}}) == "0");
  CHECK(e.value("node_network_up", {{"device", "eth0"}}) == "1");
  CHECK(e.value("node_network_info", {{"device", "eth0"}, {"address", "02:00:00:00:00:01"}, {"operstate", "up"}}) ==
        "1");
  CHECK(e.value("node_pressure_io_stalled_seconds_total") == "2.193397");
  CHECK(e.value("node_os_version", {{"id", "debian"}, {"name", "Debian GNU/Linux"}}) == "12");
  CHECK(e.value("node_load5") == "0.1");
  CHECK(e.value("node_procs_running") == "1");
  CHECK(e.value("node_processes_threads") == "18");
}

TEST_CASE("render_metrics: label values from the snapshot are escaped", "[web][metrics]") {
  Snapshot s;
  auto procs = std::make_shared<collectors::ProcessesSample>();
  auto p = process(42, 50, 1000);
  p.comm = shared("evil\"}\nfake_metric 1\\");
  procs->processes.push_back(p);
  s.processes = procs;
  const std::string text = render_metrics(s, web::SelfMetrics{}, web::MetricsOptions{});
  CHECK(text.find("comm=\"evil\\\"}\\nfake_metric 1\\\\\"") != std::string::npos);
  const auto e = parse(text);
  INFO(parse_problems(e));
  CHECK(e.problems.empty());
  CHECK(e.find("fake_metric") == nullptr);
  CHECK(e.value("hyperion_process_cpu_ratio", {{"comm", "evil\"}\nfake_metric 1\\"}}) == "0.5");
}

TEST_CASE("render_metrics: every family once, with HELP and TYPE, samples in their family", "[web][metrics]") {
  // Everything the fixture has, plus sensors, and a repeated hwmon chip name.
  Snapshot s = machine_independent(*collect_fixture());
  collectors::TreeSource sensors_tree(test::fixtures_dir() + "/synthetic-sensors");
  collectors::Collector sensors(sensors_tree, "local");
  auto with_sensors = std::make_shared<collectors::SensorsSample>(
      *sensors.collect(collectors::families_of({collectors::Family::sensors}), 1.0, 0)->sensors);
  REQUIRE_FALSE(with_sensors->sensors.empty());
  const auto copy = with_sensors->sensors;
  with_sensors->sensors.insert(with_sensors->sensors.end(), copy.begin(), copy.end());  // thermal too
  s.sensors = with_sensors;
  const std::string text = render_metrics(s, fixed_self(), web::MetricsOptions{10, 4984, 1.5});
  const auto e = parse(text);
  INFO(parse_problems(e));
  CHECK(e.problems.empty());
  CHECK(e.families.size() > 100);
  for (const auto& f : e.families) {
    INFO(f.name);
    CHECK((f.name.starts_with("node_") || f.name.starts_with("hyperion_") || f.name.starts_with("process_")));
    CHECK_FALSE(f.help.empty());
  }
}

TEST_CASE("render_metrics: the content type is the text format 0.0.4", "[web][metrics]") {
  CHECK(web::kMetricsContentType == "text/plain; version=0.0.4; charset=utf-8");
}

// ---- absent data -----------------------------------------------------------------------------

TEST_CASE("render_metrics: absent families are left out entirely", "[web][metrics]") {
  const std::string text = render_metrics(Snapshot{}, web::SelfMetrics{}, web::MetricsOptions{});
  const auto e = parse(text);
  INFO(text);
  CHECK(e.problems.empty());
  CHECK(text.find("node_") == std::string::npos);
  CHECK(text.find("process_") == std::string::npos);
  CHECK(text.find("hyperion_process") == std::string::npos);
  // Lists of the daemon's own that are empty are left out too; the scalars are always there.
  CHECK(e.find("hyperion_collections_total") == nullptr);
  CHECK(e.find("hyperion_http_requests_total") == nullptr);
  CHECK(e.value("hyperion_build_info", {{"version", ""}}) == "1");
  CHECK(count_samples(e, "hyperion_http_request_duration_seconds") == 15);
  CHECK(e.value("hyperion_http_connections_open") == "0");
}

TEST_CASE("render_metrics: optional fields leave their families out", "[web][metrics]") {
  Snapshot s;
  auto system = std::make_shared<collectors::SystemSample>();  // no PSI
  system->boot_time_seconds = 1000;
  s.system = system;
  auto memory = std::make_shared<collectors::MemorySample>();  // no MemAvailable, Shmem, HugePages
  memory->info.total_bytes = 4096;
  s.memory = memory;
  auto disks = std::make_shared<collectors::DisksSample>();  // a 4.14 kernel: no discard or flush columns
  disks->disks.push_back(collectors::DiskSample{"sda", 8, 0, false, {}, std::nullopt});
  disks->disks.push_back(collectors::DiskSample{"sda1", 8, 1, true, {}, std::nullopt});
  s.disks = disks;
  auto network = std::make_shared<collectors::NetworkSample>();
  network->interfaces.push_back(collectors::InterfaceSample{"eth0", {}, std::nullopt, std::nullopt, "down", std::nullopt, "", {}});
  s.network = network;
  auto sensors = std::make_shared<collectors::SensorsSample>();
  s.sensors = sensors;

  const std::string text = render_metrics(s, web::SelfMetrics{}, web::MetricsOptions{});
  const auto e = parse(text);
  INFO(text);
  CHECK(e.problems.empty());
  CHECK(text.find("pressure") == std::string::npos);
  CHECK(e.find("node_memory_MemAvailable_bytes") == nullptr);
  CHECK(e.find("node_memory_Shmem_bytes") == nullptr);
  CHECK(e.find("node_memory_HugePages_Total") == nullptr);
  CHECK(e.value("node_memory_MemTotal_bytes") == "4096");
  CHECK(text.find("discard") == std::string::npos);
  CHECK(text.find("flush") == std::string::npos);
  CHECK(e.value("node_disk_reads_completed_total", {{"device", "sda"}}) == "0");
  CHECK(text.find("sda1") == std::string::npos);  // partitions: node_exporter's default excludes them
  CHECK(e.find("node_network_mtu_bytes") == nullptr);
  CHECK(e.find("node_network_speed_bytes") == nullptr);
  CHECK(e.value("node_network_up", {{"device", "eth0"}}) == "0");
  CHECK(text.find("hwmon") == std::string::npos);
  CHECK(text.find("thermal") == std::string::npos);
  CHECK(e.value("node_boot_time_seconds") == "1000");
  CHECK(e.find("node_time_seconds") == nullptr);  // now_seconds 0
}

// ---- units -----------------------------------------------------------------------------------

TEST_CASE("render_metrics: CPU seconds are ticks divided by the clock tick rate", "[web][metrics]") {
  Snapshot s;
  auto host = std::make_shared<collectors::HostInfo>();
  host->clock_ticks_per_second = 250;
  s.host_info = host;
  auto cpu = std::make_shared<collectors::CpuSample>();
  collectors::CpuCoreSample core;
  core.cpu = 3;
  core.times.user_ticks = 1000;
  core.times.idle_ticks = 5;
  core.times.guest_ticks = 250;
  core.times.guest_nice_ticks = 125;
  cpu->cores.push_back(core);
  cpu->context_switches = 18446744073709551615ULL;
  s.cpu = cpu;
  auto procs = std::make_shared<collectors::ProcessesSample>();
  auto me = process(77, 1.0, 8192);
  me.cpu_ticks_total = 375;
  me.virtual_bytes = 65536;
  me.open_fds = 9;
  me.start_time_unix_ms = 1795260123450;
  procs->processes.push_back(me);
  s.processes = procs;

  const auto e = parse(render_metrics(s, web::SelfMetrics{}, web::MetricsOptions{10, 77, 0}));
  INFO(parse_problems(e));
  CHECK(e.problems.empty());
  CHECK(e.value("node_cpu_seconds_total", {{"cpu", "3"}, {"mode", "user"}}) == "4");
  CHECK(e.value("node_cpu_seconds_total", {{"cpu", "3"}, {"mode", "idle"}}) == "0.02");
  CHECK(e.value("node_cpu_guest_seconds_total", {{"cpu", "3"}, {"mode", "user"}}) == "1");
  CHECK(e.value("node_cpu_guest_seconds_total", {{"cpu", "3"}, {"mode", "nice"}}) == "0.5");
  CHECK(count_samples(e, "node_cpu_seconds_total") == 8);
  CHECK(e.value("node_context_switches_total") == "18446744073709551615");  // every digit kept
  CHECK(e.value("process_cpu_seconds_total") == "1.5");
  CHECK(e.value("process_resident_memory_bytes") == "8192");
  CHECK(e.value("process_virtual_memory_bytes") == "65536");
  CHECK(e.value("process_open_fds") == "9");
  CHECK(e.value("process_start_time_seconds") == "1795260123.45");
  CHECK(e.value("hyperion_process_cpu_ratio", {{"pid", "77"}}) == "0.01");
}

TEST_CASE("render_metrics: PSI averages are ratios, totals seconds", "[web][metrics]") {
  Snapshot s;
  auto system = std::make_shared<collectors::SystemSample>();
  collectors::Pressure io;
  io.some = {12.5, 4.0, 1.0, 2500000};
  io.full = collectors::PressureLine{50.0, 0.0, 0.0, 1000};
  system->io_pressure = io;
  s.system = system;
  const auto e = parse(render_metrics(s, web::SelfMetrics{}, web::MetricsOptions{}));
  CHECK(e.problems.empty());
  CHECK(e.value("hyperion_pressure_avg10_ratio", {{"resource", "io"}, {"kind", "some"}}) == "0.125");
  CHECK(e.value("hyperion_pressure_avg60_ratio", {{"resource", "io"}, {"kind", "some"}}) == "0.04");
  CHECK(e.value("hyperion_pressure_avg10_ratio", {{"resource", "io"}, {"kind", "full"}}) == "0.5");
  CHECK(e.value("node_pressure_io_waiting_seconds_total") == "2.5");
  CHECK(e.value("node_pressure_io_stalled_seconds_total") == "0.001");
  CHECK(e.find("node_pressure_cpu_waiting_seconds_total") == nullptr);
  CHECK(count_samples(e, "hyperion_pressure_avg300_ratio") == 2);
}

// ---- bounded cardinality ---------------------------------------------------------------------

TEST_CASE("render_metrics: top-N processes are bounded and the right ones", "[web][metrics]") {
  Snapshot s;
  auto procs = std::make_shared<collectors::ProcessesSample>();
  for (std::int32_t pid = 1; pid <= 500; ++pid) {
    // CPU peaks at pid 250, memory grows with pid; pid 3 is new (no CPU figure yet), pid 4 idle.
    const double cpu = 100.0 - std::abs(250 - pid) * 0.1;
    auto p = process(pid, cpu, static_cast<std::uint64_t>(pid) * 4096);
    if (pid == 3) p.cpu_percent.reset();
    if (pid == 4) p.cpu_percent = 0.0;
    procs->processes.push_back(p);
  }
  procs->counts.total = 500;
  s.processes = procs;

  SECTION("N from the options") {
    const auto e = parse(render_metrics(s, web::SelfMetrics{}, web::MetricsOptions{5, 0, 0}));
    CHECK(e.problems.empty());
    REQUIRE(count_samples(e, "hyperion_process_cpu_ratio") == 5);
    REQUIRE(count_samples(e, "hyperion_process_resident_memory_bytes") == 5);
    const auto& cpu = e.find("hyperion_process_cpu_ratio")->samples;
    CHECK(cpu[0].labels.at("pid") == "250");
    CHECK(cpu[0].value == "1");
    CHECK(cpu[1].labels.at("pid") == "249");  // ties broken by pid
    CHECK(cpu[2].labels.at("pid") == "251");
    CHECK(cpu[0].labels.at("comm") == "proc250");
    CHECK(cpu[0].labels.at("user") == "alice");
    const auto& mem = e.find("hyperion_process_resident_memory_bytes")->samples;
    CHECK(mem[0].labels.at("pid") == "500");
    CHECK(mem[0].value == "2048000");
    CHECK(mem[4].labels.at("pid") == "496");
    CHECK(e.value("node_processes_pids") == "500");
    CHECK(e.value("node_processes_state", {{"state", "S"}}) == "500");
  }
  SECTION("clamped to kMaxTopProcesses") {
    const auto e = parse(render_metrics(s, web::SelfMetrics{}, web::MetricsOptions{100000, 0, 0}));
    CHECK(count_samples(e, "hyperion_process_cpu_ratio") == web::kMaxTopProcesses);
    CHECK(count_samples(e, "hyperion_process_resident_memory_bytes") == web::kMaxTopProcesses);
  }
  SECTION("never a new or idle process by CPU") {
    procs->processes.resize(6);  // pids 1..6; 3 is new, 4 idle
    const auto e = parse(render_metrics(s, web::SelfMetrics{}, web::MetricsOptions{10, 0, 0}));
    CHECK(count_samples(e, "hyperion_process_cpu_ratio") == 4);
    CHECK(e.value("hyperion_process_cpu_ratio", {{"pid", "3"}}) == "<no sample>");
    CHECK(e.value("hyperion_process_cpu_ratio", {{"pid", "4"}}) == "<no sample>");
    CHECK(count_samples(e, "hyperion_process_resident_memory_bytes") == 6);
  }
  SECTION("zero leaves both families out") {
    const auto e = parse(render_metrics(s, web::SelfMetrics{}, web::MetricsOptions{0, 0, 0}));
    CHECK(e.problems.empty());
    CHECK(e.find("hyperion_process_cpu_ratio") == nullptr);
    CHECK(e.find("hyperion_process_resident_memory_bytes") == nullptr);
  }
}

TEST_CASE("render_metrics: process_* need the daemon's own entry", "[web][metrics]") {
  Snapshot s;
  auto procs = std::make_shared<collectors::ProcessesSample>();
  procs->processes.push_back(process(10, 1, 1));
  s.processes = procs;
  web::SelfMetrics self;
  self.start_time_seconds = 1795260000.5;
  const auto e = parse(render_metrics(s, self, web::MetricsOptions{10, 11, 0}));
  CHECK(e.problems.empty());
  CHECK(e.find("process_resident_memory_bytes") == nullptr);
  CHECK(e.find("process_cpu_seconds_total") == nullptr);
  CHECK(e.value("process_start_time_seconds") == "1795260000.5");
}

// ---- node_exporter conventions ---------------------------------------------------------------

TEST_CASE("render_metrics: hwmon and thermal series as node_exporter names them", "[web][metrics]") {
  collectors::TreeSource source(test::fixtures_dir() + "/synthetic-sensors");
  collectors::Collector c(source, "local");
  const auto collected = c.collect(collectors::families_of({collectors::Family::sensors}), 1.0, 0);
  REQUIRE(collected->sensors);
  Snapshot s;
  s.sensors = collected->sensors;
  const std::string text = render_metrics(s, web::SelfMetrics{}, web::MetricsOptions{});
  const auto e = parse(text);
  INFO(text);
  CHECK(e.problems.empty());
  // Lines node_exporter 1.5 printed over the same tree (its unlabelled sensors and chip names).
  for (const auto* line : {
           "node_hwmon_chip_names{chip=\"coretemp\",chip_name=\"coretemp\"} 1\n",
           "node_hwmon_chip_names{chip=\"nct6775\",chip_name=\"nct6775\"} 1\n",
           "node_hwmon_temp_celsius{chip=\"nct6775\",sensor=\"temp1\"} 38.5\n",
           "node_thermal_zone_temp{type=\"x86_pkg_temp\",zone=\"0\"} 45\n",
       }) {
    CHECK(text.find(line) != std::string::npos);
  }
  // Labelled sensors: the cleaned label stands for the sensor, and the label family maps it back.
  CHECK(e.value("node_hwmon_temp_celsius", {{"chip", "coretemp"}, {"sensor", "package_id_0"}}) == "52");
  CHECK(e.value("node_hwmon_temp_max_celsius", {{"chip", "coretemp"}, {"sensor", "package_id_0"}}) == "84");
  CHECK(e.value("node_hwmon_temp_crit_celsius", {{"chip", "coretemp"}, {"sensor", "package_id_0"}}) == "100");
  CHECK(e.value("node_hwmon_sensor_label", {{"chip", "coretemp"}, {"sensor", "core_0"}, {"label", "Core 0"}}) == "1");
  CHECK(e.value("node_hwmon_fan_rpm", {{"chip", "nct6775"}, {"sensor", "cpu_fan"}}) == "1200");
  CHECK(count_samples(e, "node_hwmon_sensor_label") == 3);
}

TEST_CASE("render_metrics: hwmon chips of the same name never repeat a series", "[web][metrics]") {
  Snapshot s;
  auto sensors = std::make_shared<collectors::SensorsSample>();
  const auto nvme = [](double v) {
    return collectors::SensorSample{"nvme", "Composite", "hwmon", collectors::SensorKind::temperature, v, 80.0, 85.0};
  };
  sensors->sensors = {nvme(40), nvme(41), nvme(42)};
  sensors->sensors.push_back(
      collectors::SensorSample{"Some Chip!", "CPU", "hwmon", collectors::SensorKind::fan, 900, std::nullopt, std::nullopt});
  sensors->sensors.push_back(
      collectors::SensorSample{"Some Chip!", "CPU", "hwmon", collectors::SensorKind::temperature, 50, std::nullopt, std::nullopt});
  s.sensors = sensors;
  const auto e = parse(render_metrics(s, web::SelfMetrics{}, web::MetricsOptions{}));
  INFO(parse_problems(e));
  CHECK(e.problems.empty());
  CHECK(e.value("node_hwmon_temp_celsius", {{"chip", "nvme"}, {"sensor", "composite"}}) == "40");
  CHECK(e.value("node_hwmon_temp_celsius", {{"chip", "nvme_1"}, {"sensor", "composite"}}) == "41");
  CHECK(e.value("node_hwmon_temp_celsius", {{"chip", "nvme_2"}, {"sensor", "composite"}}) == "42");
  CHECK(e.value("node_hwmon_chip_names", {{"chip", "nvme_2"}, {"chip_name", "nvme"}}) == "1");
  CHECK(e.value("node_hwmon_fan_rpm", {{"chip", "some_chip"}, {"sensor", "cpu"}}) == "900");
  CHECK(e.value("node_hwmon_temp_celsius", {{"chip", "some_chip"}, {"sensor", "cpu"}}) == "50");
  CHECK(count_samples(e, "node_hwmon_sensor_label") == 4);  // 3 nvme + one for the chip's "CPU"
  CHECK(count_samples(e, "node_hwmon_chip_names") == 4);
}

TEST_CASE("hwmon_clean_name: node_exporter's cleaning", "[web][metrics]") {
  CHECK(web::hwmon_clean_name("coretemp") == "coretemp");
  CHECK(web::hwmon_clean_name("Package id 0") == "package_id_0");
  CHECK(web::hwmon_clean_name("__acpi-tz:0__") == "acpi_tz:0");
  CHECK(web::hwmon_clean_name("Temp\xC3\xA9rature") == "temp_rature");
  CHECK(web::hwmon_clean_name("!!!") == "");
}

TEST_CASE("render_metrics: node_os_version as node_exporter derives it", "[web][metrics]") {
  const auto version_of = [](std::string version_id) {
    Snapshot s;
    auto host = std::make_shared<collectors::HostInfo>();
    host->os.id = "x";
    host->os.version_id = std::move(version_id);
    s.host_info = host;
    return parse(render_metrics(s, web::SelfMetrics{}, web::MetricsOptions{})).value("node_os_version");
  };
  CHECK(version_of("12") == "12");
  CHECK(version_of("22.04") == "22.04");
  CHECK(version_of("8.1.1911") == "8.1");
  CHECK(version_of("rolling") == "<no family>");
  CHECK(version_of("") == "<no family>");
}

TEST_CASE("render_metrics: TCP states under node_exporter's names, sockets by protocol", "[web][metrics]") {
  Snapshot s;
  auto sockets = std::make_shared<collectors::SocketsSample>();
  sockets->tcp_states[static_cast<std::size_t>(collectors::TcpState::established)] = 3;
  sockets->tcp_states[static_cast<std::size_t>(collectors::TcpState::listen)] = 2;
  collectors::SocketSample udp;
  udp.socket.protocol = collectors::SocketProtocol::udp6;
  sockets->sockets = {udp, udp};
  s.sockets = sockets;
  const auto e = parse(render_metrics(s, web::SelfMetrics{}, web::MetricsOptions{}));
  CHECK(e.problems.empty());
  CHECK(e.value("node_tcp_connection_states", {{"state", "established"}}) == "3");
  CHECK(e.value("node_tcp_connection_states", {{"state", "listen"}}) == "2");
  CHECK(e.value("node_tcp_connection_states", {{"state", "time_wait"}}) == "0");
  CHECK(count_samples(e, "node_tcp_connection_states") == 11);
  CHECK(e.value("hyperion_sockets", {{"protocol", "udp6"}}) == "2");
  CHECK(e.value("hyperion_sockets", {{"protocol", "tcp"}}) == "0");
}

TEST_CASE("render_metrics: the daemon's own counters and latency histogram", "[web][metrics]") {
  const auto e = parse(render_metrics(Snapshot{}, fixed_self(), web::MetricsOptions{}));
  INFO(parse_problems(e));
  CHECK(e.problems.empty());
  CHECK(e.value("hyperion_build_info", {{"version", "0.1.0-golden"}}) == "1");
  CHECK(e.value("hyperion_collection_duration_seconds", {{"family", "processes"}}) == "0.0125");
  CHECK(e.value("hyperion_collections_total", {{"family", "cpu"}}) == "120");
  CHECK(e.value("hyperion_collection_errors_total", {{"family", "processes"}}) == "2");
  CHECK(e.value("hyperion_http_requests_total",
                {{"handler", "/api/v1/hosts/{host}/processes"}, {"method", "GET"}, {"code", "200"}}) == "7");
  CHECK(e.value("hyperion_http_requests_total", {{"handler", "other"}, {"code", "404"}}) == "1");
  const auto* h = e.find("hyperion_http_request_duration_seconds");
  REQUIRE(h);
  CHECK(h->type == "histogram");
  REQUIRE(h->samples.size() == web::kLatencyBuckets.size() + 3);
  CHECK(h->samples[0].labels.at("le") == "0.0001");
  CHECK(h->samples[11].labels.at("le") == "1");
  CHECK(h->samples[11].value == "20");
  CHECK(h->samples[12].labels.at("le") == "+Inf");
  CHECK(h->samples[12].value == "20");
  CHECK(h->samples[13].name == "hyperion_http_request_duration_seconds_sum");
  CHECK(h->samples[13].value == "0.0625");
  CHECK(h->samples[14].name == "hyperion_http_request_duration_seconds_count");
  CHECK(e.value("hyperion_http_connections_accepted_total") == "31");
  CHECK(e.value("hyperion_http_connections_rejected_total") == "1");
}

TEST_CASE("render_metrics: control groups under cAdvisor's names, with id and name labels", "[web][metrics]") {
  collectors::TreeSource tree(test::fixtures_dir() + "/synthetic-cgroupv2-tree");
  collectors::Collector c(tree, "local");
  const auto families = collectors::families_of({collectors::Family::containers});
  c.collect(families, 1.0, 0);
  const auto collected = c.collect(families, 2.0, 0);
  REQUIRE(collected->containers);
  REQUIRE_FALSE(collected->containers->containers.empty());
  const auto text = web::render_metrics(*collected, web::SelfMetrics{}, web::MetricsOptions{});
  const auto has = [&](std::string_view line) { return text.find(line) != std::string::npos; };
  // 81234567 µs of usage_usec.
  CHECK(has("container_cpu_usage_seconds_total{id=\"/system.slice/nginx.service\",name=\"nginx.service\"} 81.234567\n"));
  CHECK(has("container_memory_usage_bytes{id=\"/system.slice/nginx.service\",name=\"nginx.service\"} 52428800\n"));
  CHECK(has("container_spec_memory_limit_bytes{id=\"/system.slice/nginx.service\",name=\"nginx.service\"} 536870912\n"));
  CHECK(has("# TYPE container_cpu_usage_seconds_total counter\n"));
  CHECK(has("kind=\"docker\",name=\"web\"} 1\n"));  // named from the container's config.v2.json
  // Every container_* line carries id and name, and no HELP/TYPE pair is repeated.
  std::size_t lines = 0;
  for (std::size_t at = 0; (at = text.find("\ncontainer_", at)) != std::string::npos; ++at, ++lines) {
    const auto end = text.find('\n', at + 1);
    const auto line = text.substr(at + 1, end - at - 1);
    CHECK(line.find("{id=\"/") != std::string::npos);
    CHECK(line.find(",name=\"") != std::string::npos);
  }
  CHECK(lines > 10);
  for (const auto* family : {"container_cpu_usage_seconds_total", "container_memory_usage_bytes", "container_threads"}) {
    const auto type = std::string("# TYPE ") + family + " ";
    CHECK(text.find(type) == text.rfind(type));
  }
}
