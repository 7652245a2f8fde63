#include "hyperion/history/catalog.hpp"

#include <algorithm>
#include <array>
#include <map>
#include <optional>

#include <fmt/format.h>

namespace hyperion::history {
namespace {

using collectors::Family;

constexpr double kPercent = 100;          // two decimals
constexpr double kKiB = 1.0 / 1024;
constexpr double kPage = 1.0 / 4096;      // /proc/meminfo's kB are whole 4 KiB pages
constexpr double kWhole = 1;
constexpr double kTenth = 10;
constexpr double kMilli = 1000;

constexpr auto kMetrics = std::to_array<MetricInfo>({
    {"host.boot_time_seconds", "seconds", kWhole, Family::system, "when the host booted (Unix time): a step is a reboot"},
    {"host.logical_cpus", "count", kWhole, Family::host, "logical CPUs"},
    {"system.load1", "count", kPercent, Family::system, "load average over 1 minute"},
    {"system.load5", "count", kPercent, Family::system, "load average over 5 minutes"},
    {"system.load15", "count", kPercent, Family::system, "load average over 15 minutes"},
    {"pressure.some_avg10", "percent", kPercent, Family::system,
     "share of the last 10 s in which some task stalled on the resource"},
    {"pressure.full_avg10", "percent", kPercent, Family::system,
     "share of the last 10 s in which every non-idle task stalled on the resource"},
    {"cpu.percent", "percent", kPercent, Family::cpu,
     "CPU time by mode, percent of all CPUs (cpu=\"all\") or of one"},
    {"cpu.context_switches_per_second", "per_second", kTenth, Family::cpu, "context switches"},
    {"cpu.interrupts_per_second", "per_second", kTenth, Family::cpu, "interrupts"},
    {"cpu.forks_per_second", "per_second", kTenth, Family::cpu, "processes created"},
    {"cpu.procs_running", "count", kWhole, Family::cpu, "tasks runnable"},
    {"cpu.procs_blocked", "count", kWhole, Family::cpu, "tasks blocked on I/O"},
    {"memory.total_bytes", "bytes", kPage, Family::memory, "memory installed"},
    {"memory.used_bytes", "bytes", kPage, Family::memory, "total minus available"},
    {"memory.available_bytes", "bytes", kPage, Family::memory, "available for new work without swapping"},
    {"memory.free_bytes", "bytes", kPage, Family::memory, "unused"},
    {"memory.buffers_bytes", "bytes", kPage, Family::memory, "block device buffers"},
    {"memory.cached_bytes", "bytes", kPage, Family::memory, "page cache"},
    {"memory.dirty_bytes", "bytes", kPage, Family::memory, "waiting to be written back"},
    {"memory.used_percent", "percent", kPercent, Family::memory, "used of total"},
    {"memory.swap_total_bytes", "bytes", kPage, Family::memory, "swap space"},
    {"memory.swap_used_bytes", "bytes", kPage, Family::memory, "swap in use"},
    {"memory.swap_used_percent", "percent", kPercent, Family::memory, "swap used of total"},
    {"processes.count", "count", kWhole, Family::processes, "processes by state (state=\"total\": all)"},
    {"processes.threads", "count", kWhole, Family::processes, "threads"},
    {"net.rx_bytes_per_second", "bytes_per_second", kWhole, Family::network, "bytes received"},
    {"net.tx_bytes_per_second", "bytes_per_second", kWhole, Family::network, "bytes sent"},
    {"net.rx_packets_per_second", "per_second", kTenth, Family::network, "packets received"},
    {"net.tx_packets_per_second", "per_second", kTenth, Family::network, "packets sent"},
    {"net.rx_errors_per_second", "per_second", kTenth, Family::network, "receive errors"},
    {"net.tx_errors_per_second", "per_second", kTenth, Family::network, "transmit errors"},
    {"net.rx_dropped_per_second", "per_second", kTenth, Family::network, "received packets dropped"},
    {"net.tx_dropped_per_second", "per_second", kTenth, Family::network, "sent packets dropped"},
    {"sockets.tcp", "count", kWhole, Family::sockets, "TCP sockets by state"},
    {"sockets.udp", "count", kWhole, Family::sockets, "UDP sockets"},
    {"disk.reads_per_second", "per_second", kTenth, Family::disks, "reads completed"},
    {"disk.writes_per_second", "per_second", kTenth, Family::disks, "writes completed"},
    {"disk.read_bytes_per_second", "bytes_per_second", kWhole, Family::disks, "bytes read"},
    {"disk.write_bytes_per_second", "bytes_per_second", kWhole, Family::disks, "bytes written"},
    {"disk.utilization_percent", "percent", kPercent, Family::disks, "share of the time with I/O in flight"},
    {"disk.await_ms", "milliseconds", kPercent, Family::disks, "average time per completed I/O"},
    {"fs.size_bytes", "bytes", kKiB, Family::filesystems, "filesystem size"},
    {"fs.used_bytes", "bytes", kKiB, Family::filesystems, "space used"},
    {"fs.available_bytes", "bytes", kKiB, Family::filesystems, "space available to unprivileged users"},
    {"fs.used_percent", "percent", kPercent, Family::filesystems, "used of used + available, as df shows"},
    {"fs.inodes_used", "count", kWhole, Family::filesystems, "inodes in use"},
    {"fs.inodes_free", "count", kWhole, Family::filesystems, "inodes free"},
    {"sensor.temperature_celsius", "celsius", kMilli, Family::sensors, "temperature"},
    {"sensor.fan_rpm", "rpm", kWhole, Family::sensors, "fan speed"},
    {"container.cpu_percent", "percent", kPercent, Family::containers, "CPU, percent of one CPU"},
    {"container.memory_bytes", "bytes", kKiB, Family::containers, "memory charged to the group"},
    {"container.io_read_bytes_per_second", "bytes_per_second", kWhole, Family::containers, "bytes read"},
    {"container.io_write_bytes_per_second", "bytes_per_second", kWhole, Family::containers, "bytes written"},
    {"container.pids", "count", kWhole, Family::containers, "tasks in the group"},
});

void append_escaped(std::string& out, std::string_view v) {
  for (const char c : v) {
    if (c == '"' || c == '\\') out.push_back('\\');
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out.push_back(c);
  }
}

bool is_name_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '.';
}

// Parses `{k="v",k!="v"}` from `text` at `pos` (just after the metric name).
bool parse_matchers(std::string_view text, std::size_t pos, std::vector<Matcher>& out, std::string* why) {
  const auto fail = [&](std::string m) {
    if (why) *why = std::move(m);
    return false;
  };
  if (pos == text.size()) return true;
  if (text[pos] != '{') return fail(fmt::format("unexpected '{}' after the metric name", text[pos]));
  ++pos;
  while (pos < text.size() && text[pos] != '}') {
    const auto start = pos;
    while (pos < text.size() && is_name_char(text[pos])) ++pos;
    if (pos == start) return fail("a label name is missing");
    Matcher m;
    m.label = std::string(text.substr(start, pos - start));
    if (text.substr(pos, 2) == "!=") {
      m.equal = false;
      pos += 2;
    } else if (pos < text.size() && text[pos] == '=') {
      ++pos;
    } else {
      return fail(fmt::format("label '{}' needs = or != and a quoted value", m.label));
    }
    if (pos >= text.size() || text[pos] != '"') return fail(fmt::format("the value of label '{}' must be quoted", m.label));
    ++pos;
    bool closed = false;
    while (pos < text.size()) {
      const char c = text[pos++];
      if (c == '\\' && pos < text.size()) {
        const char e = text[pos++];
        m.value.push_back(e == 'n' ? '\n' : e);
      } else if (c == '"') {
        closed = true;
        break;
      } else {
        m.value.push_back(c);
      }
    }
    if (!closed) return fail(fmt::format("the value of label '{}' is not closed", m.label));
    out.push_back(std::move(m));
    if (pos < text.size() && text[pos] == ',') ++pos;
  }
  if (pos >= text.size()) return fail("'{' is not closed by '}'");
  if (pos + 1 != text.size()) return fail("text after '}'");
  return true;
}

}  // namespace

std::span<const MetricInfo> metric_table() noexcept { return kMetrics; }

const MetricInfo* find_metric(std::string_view name) noexcept {
  for (const auto& m : kMetrics) {
    if (m.name == name) return &m;
  }
  return nullptr;
}

std::string series_key(std::string_view metric, const Labels& labels) {
  std::string out(metric);
  if (labels.empty()) return out;
  out.push_back('{');
  bool first = true;
  for (const auto& [k, v] : labels) {
    if (!first) out.push_back(',');
    first = false;
    out += k;
    out += "=\"";
    append_escaped(out, v);
    out.push_back('"');
  }
  out.push_back('}');
  return out;
}

std::optional<std::pair<std::string, Labels>> parse_series_key(std::string_view key) {
  std::string why;
  auto s = parse_selector(key, &why);
  if (!s) return std::nullopt;
  Labels labels;
  for (auto& m : s->matchers) {
    if (!m.equal) return std::nullopt;
    labels.emplace_back(std::move(m.label), std::move(m.value));
  }
  std::sort(labels.begin(), labels.end());
  return std::make_pair(std::move(s->metric), std::move(labels));
}

std::optional<Selector> parse_selector(std::string_view text, std::string* why) {
  std::size_t pos = 0;
  while (pos < text.size() && is_name_char(text[pos])) ++pos;
  if (pos == 0) {
    if (why) *why = "a metric name (letters, digits, '_' and '.') must come first";
    return std::nullopt;
  }
  Selector s;
  s.metric = std::string(text.substr(0, pos));
  if (!parse_matchers(text, pos, s.matchers, why)) return std::nullopt;
  return s;
}

bool Selector::matches(std::string_view name, const Labels& labels) const {
  if (name != metric) return false;
  for (const auto& m : matchers) {
    const auto it = std::find_if(labels.begin(), labels.end(), [&](const auto& l) { return l.first == m.label; });
    const bool equal = it != labels.end() ? it->second == m.value : m.value.empty();
    if (equal != m.equal) return false;
  }
  return true;
}

void flatten(const collectors::Snapshot& s, collectors::FamilySet families,
             const std::function<void(const MetricInfo&, std::string key, double value)>& out) {
  const auto emit = [&](std::string_view name, Labels labels, double v) {
    if (const auto* m = find_metric(name)) out(*m, series_key(m->name, labels), v);
  };
  const auto emit_opt = [&](std::string_view name, const Labels& labels, const auto& v) {
    if (v) emit(name, labels, static_cast<double>(*v));
  };
  const auto on = [&](Family f) { return families.test(static_cast<std::size_t>(f)); };

  if (on(Family::host) && s.host_info) {
    emit("host.logical_cpus", {}, s.host_info->cpu.logical_cpus);
  }
  if (on(Family::system) && s.system) {
    const auto& sys = *s.system;
    emit("host.boot_time_seconds", {}, static_cast<double>(sys.boot_time_seconds));
    emit("system.load1", {}, sys.load.load1);
    emit("system.load5", {}, sys.load.load5);
    emit("system.load15", {}, sys.load.load15);
    const std::pair<const char*, const std::optional<collectors::Pressure>*> pressures[] = {
        {"cpu", &sys.cpu_pressure}, {"memory", &sys.memory_pressure}, {"io", &sys.io_pressure}};
    for (const auto& [resource, p] : pressures) {
      if (!*p) continue;
      emit("pressure.some_avg10", {{"resource", resource}}, (*p)->some.avg10);
      if ((*p)->full) emit("pressure.full_avg10", {{"resource", resource}}, (*p)->full->avg10);
    }
  }
  if (on(Family::cpu) && s.cpu) {
    const auto usage = [&](const std::string& cpu, const collectors::CpuUsage& u) {
      const std::pair<const char*, double> modes[] = {
          {"busy", u.busy},       {"user", u.user},   {"nice", u.nice},       {"system", u.system},
          {"idle", u.idle},       {"iowait", u.iowait}, {"irq", u.irq},       {"softirq", u.softirq},
          {"steal", u.steal},     {"guest", u.guest}, {"guest_nice", u.guest_nice}};
      for (const auto& [mode, v] : modes) emit("cpu.percent", {{"cpu", cpu}, {"mode", mode}}, v);
    };
    if (s.cpu->usage) usage("all", *s.cpu->usage);
    for (const auto& core : s.cpu->cores) {
      if (core.usage) usage(std::to_string(core.cpu), *core.usage);
    }
    emit_opt("cpu.context_switches_per_second", {}, s.cpu->context_switches_per_second);
    emit_opt("cpu.interrupts_per_second", {}, s.cpu->interrupts_per_second);
    emit_opt("cpu.forks_per_second", {}, s.cpu->forks_per_second);
    emit("cpu.procs_running", {}, s.cpu->procs_running);
    emit("cpu.procs_blocked", {}, s.cpu->procs_blocked);
  }
  if (on(Family::memory) && s.memory) {
    const auto& m = *s.memory;
    const auto b = [](std::uint64_t v) { return static_cast<double>(v); };
    emit("memory.total_bytes", {}, b(m.info.total_bytes));
    emit("memory.used_bytes", {}, b(m.used_bytes));
    emit("memory.available_bytes", {}, b(m.available_bytes));
    emit("memory.free_bytes", {}, b(m.info.free_bytes));
    emit("memory.buffers_bytes", {}, b(m.info.buffers_bytes));
    emit("memory.cached_bytes", {}, b(m.info.cached_bytes));
    emit("memory.dirty_bytes", {}, b(m.info.dirty_bytes));
    emit("memory.used_percent", {}, m.used_percent);
    emit("memory.swap_total_bytes", {}, b(m.info.swap_total_bytes));
    emit("memory.swap_used_bytes", {}, b(m.info.swap_total_bytes - std::min(m.info.swap_total_bytes, m.info.swap_free_bytes)));
    emit("memory.swap_used_percent", {}, m.swap_used_percent);
  }
  if (on(Family::processes) && s.processes) {
    const auto& c = s.processes->counts;
    const std::pair<const char*, std::uint32_t> states[] = {
        {"total", c.total},         {"running", c.running}, {"sleeping", c.sleeping}, {"disk_sleep", c.disk_sleep},
        {"zombie", c.zombie},       {"stopped", c.stopped}, {"idle", c.idle},         {"other", c.other}};
    for (const auto& [state, n] : states) emit("processes.count", {{"state", state}}, n);
    emit("processes.threads", {}, static_cast<double>(c.threads));
  }
  if (on(Family::network) && s.network) {
    for (const auto& i : s.network->interfaces) {
      if (!i.rates) continue;
      const Labels l{{"interface", i.name}};
      const auto& r = *i.rates;
      emit("net.rx_bytes_per_second", l, r.rx_bytes_per_second);
      emit("net.tx_bytes_per_second", l, r.tx_bytes_per_second);
      emit("net.rx_packets_per_second", l, r.rx_packets_per_second);
      emit("net.tx_packets_per_second", l, r.tx_packets_per_second);
      emit("net.rx_errors_per_second", l, r.rx_errors_per_second);
      emit("net.tx_errors_per_second", l, r.tx_errors_per_second);
      emit("net.rx_dropped_per_second", l, r.rx_dropped_per_second);
      emit("net.tx_dropped_per_second", l, r.tx_dropped_per_second);
    }
  }
  if (on(Family::sockets) && s.sockets) {
    // Two indices name "UNKNOWN" (the unknown state and the unused last slot): one series.
    std::map<std::string_view, std::uint32_t> states;
    for (std::size_t i = 0; i < s.sockets->tcp_states.size(); ++i) {
      states[collectors::to_string(static_cast<collectors::TcpState>(i))] += s.sockets->tcp_states[i];
    }
    for (const auto& [state, n] : states) emit("sockets.tcp", {{"state", std::string(state)}}, n);
    emit("sockets.udp", {}, s.sockets->udp_sockets);
  }
  if (on(Family::disks) && s.disks) {
    for (const auto& d : s.disks->disks) {
      if (!d.rates) continue;
      const Labels l{{"device", d.name}};
      const auto& r = *d.rates;
      emit("disk.reads_per_second", l, r.reads_per_second);
      emit("disk.writes_per_second", l, r.writes_per_second);
      emit("disk.read_bytes_per_second", l, r.read_bytes_per_second);
      emit("disk.write_bytes_per_second", l, r.write_bytes_per_second);
      emit("disk.utilization_percent", l, r.utilization_percent);
      emit_opt("disk.await_ms", l, r.await_ms);
    }
  }
  if (on(Family::filesystems) && s.filesystems) {
    for (const auto& f : s.filesystems->filesystems) {
      const Labels l{{"fstype", f.fstype}, {"mount", f.mount_point}};
      emit("fs.size_bytes", l, static_cast<double>(f.size_bytes));
      emit("fs.used_bytes", l, static_cast<double>(f.used_bytes));
      emit("fs.available_bytes", l, static_cast<double>(f.available_bytes));
      emit("fs.used_percent", l, f.used_percent);
      emit("fs.inodes_used", l, static_cast<double>(f.inodes_used));
      emit("fs.inodes_free", l, static_cast<double>(f.inodes_free));
    }
  }
  if (on(Family::sensors) && s.sensors) {
    for (const auto& x : s.sensors->sensors) {
      const Labels l{{"chip", x.chip}, {"sensor", x.label}};
      emit(x.kind == collectors::SensorKind::fan ? "sensor.fan_rpm" : "sensor.temperature_celsius", l, x.value);
    }
  }
  if (on(Family::containers) && s.containers) {
    for (const auto& c : s.containers->containers) {
      const Labels l{{"id", c.id}, {"kind", collectors::to_string(c.kind)}, {"name", c.name}};
      emit_opt("container.cpu_percent", l, c.cpu_percent);
      emit_opt("container.memory_bytes", l, c.memory_current_bytes);
      emit_opt("container.io_read_bytes_per_second", l, c.io_read_bytes_per_second);
      emit_opt("container.io_write_bytes_per_second", l, c.io_write_bytes_per_second);
      emit_opt("container.pids", l, c.pids_current);
    }
  }
}

}  // namespace hyperion::history
