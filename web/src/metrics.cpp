// The Prometheus text format 0.0.4 for /metrics.
// https://prometheus.io/docs/instrumenting/exposition_formats/#text-based-format
//
// Names, label names and units of node_* and process_* follow prometheus-node-exporter 1.5
// (checked against its real output, on a live machine and over our fixture trees), so that
// dashboards built for it work unchanged. Where we knowingly differ:
//   * node_disk_*: whole disks only, no partitions (node_exporter 1.5's default
//     --collector.diskstats.device-exclude drops sdXN, vdXN, nvmeXnYpZ, ...), so that
//     sum() over devices does not count partition I/O twice.
//   * node_network_speed_bytes: only when the link reports a speed; node_exporter also
//     exports the kernel's -1 (SPEED_UNKNOWN) as -125000.
//   * node_network_info: broadcast, duplex and ifalias are empty (not collected).
//   * node_uname_info: domainname is empty (not collected); sysname is always "Linux".
//   * node_os_info: build_id, id_like, image_id, image_version, variant, variant_id and
//     version_codename are empty (not collected); node_os_version's id_like likewise.
//   * node_tcp_connection_states: every TCP state is listed, zero or not (node_exporter lists
//     the states it saw), and there are no rx_queued_bytes / tx_queued_bytes pseudo-states
//     (node_exporter reads inet_diag, whose LISTEN "write queue" is the backlog limit).
//   * node_processes_*: no threads_state, max_processes or max_threads.
//   * node_hwmon_*: node_exporter names a chip after its device path (platform_coretemp_0)
//     and falls back to the cleaned "name" file; the snapshot only has the name, so chip is
//     always the cleaned name (the same cleaning), with "_1", "_2" ... appended to a second,
//     third ... chip of the same name (two NVMe drives) so no series is ever repeated.
//     sensor is "temp1"/"fan2" as in node_exporter for an unlabelled sensor, but for a
//     labelled one the snapshot lacks the attribute index, so sensor is the cleaned label
//     ("Core 0" -> "core_0", node_exporter 0.x's convention); node_hwmon_sensor_label maps
//     it back to the label either way.
//   * process_*: no process_max_fds / process_virtual_memory_max_bytes.
// Control groups (the containers family) use cAdvisor's names (container_*) with its id (the
// cgroup path) and name labels, so container dashboards work. Where we differ from cAdvisor:
//   * container_fs_{reads,writes}_bytes_total: one series per group, summed over devices
//     (no device label), from io.stat (v2) or blkio (v1).
//   * container_threads: the group's tasks (pids.current), which counts threads as cAdvisor's
//     does; no container_threads_max.
//   * container_spec_memory_limit_bytes: absent when unlimited (cAdvisor writes 0).
//   * no image, container_label_* or namespace labels: nothing is asked of any runtime.
// hyperion_container_info gives the group's kind (service, scope, slice, docker, ...).
// Everything node_exporter lacks is under hyperion_*: ratios are 0..1, not percent.

#include "hyperion/web/metrics.hpp"

#include "metrics_format.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <initializer_list>
#include <iterator>
#include <optional>
#include <type_traits>
#include <vector>

#include <fmt/format.h>

namespace hyperion::web {

namespace {

using collectors::ContainerSample;
using collectors::Pressure;
using collectors::DiskCounters;
using collectors::NetDevCounters;
using collectors::ProcessSample;
using collectors::SensorKind;
using collectors::SensorSample;
using collectors::Snapshot;

// Rough output size per series, to reserve the string once per scrape.
constexpr std::size_t kBytesPerSeries = 80;

// Label, NumberText, Family, kCounter, kGauge: the format (metrics_format.hpp).
using namespace exposition;

std::string_view view(const collectors::SharedString& s) noexcept {
  return s ? std::string_view(*s) : std::string_view();
}

double ms_to_seconds(std::uint64_t ms) { return static_cast<double>(ms) / 1000.0; }

// ---- host -------------------------------------------------------------------------------

// node_exporter's os collector: the leading "major.minor" of VERSION_ID
// (regexp ^[0-9]+\.?[0-9]*), and no node_os_version at all when VERSION_ID does not start
// with a digit ("rolling", unset).
std::optional<double> os_version_number(std::string_view version_id) {
  std::size_t end = 0;
  while (end < version_id.size() && version_id[end] >= '0' && version_id[end] <= '9') ++end;
  if (end == 0) return std::nullopt;
  if (end < version_id.size() && version_id[end] == '.') {
    ++end;
    while (end < version_id.size() && version_id[end] >= '0' && version_id[end] <= '9') ++end;
  }
  double v = 0;
  const auto* first = version_id.data();
  const auto r = std::from_chars(first, first + end, v);
  if (r.ec != std::errc()) return std::nullopt;
  return v;
}

void render_host(std::string& out, const Snapshot& s) {
  std::uint64_t boot = s.system ? s.system->boot_time_seconds : 0;
  if (boot == 0 && s.host_info) boot = s.host_info->boot_time_seconds;
  if (boot != 0) {
    Family(out, "node_boot_time_seconds", kGauge, "Node boot time, in unixtime.").add(boot);
  }
  if (!s.host_info) return;
  const auto& h = *s.host_info;
  Family(out, "node_uname_info", kGauge, "Labeled system information as provided by the uname system call.")
      .add({{"domainname", ""},
            {"machine", h.architecture},
            {"nodename", h.hostname},
            {"release", h.kernel_release},
            {"sysname", "Linux"},
            {"version", h.kernel_version}},
           1);
  Family(out, "node_os_info", kGauge,
         "A metric with a constant '1' value labeled by build_id, id, id_like, image_id, image_version, name, "
         "pretty_name, variant, variant_id, version, version_codename, version_id.")
      .add({{"build_id", ""},
            {"id", h.os.id},
            {"id_like", ""},
            {"image_id", ""},
            {"image_version", ""},
            {"name", h.os.name},
            {"pretty_name", h.os.pretty_name},
            {"variant", ""},
            {"variant_id", ""},
            {"version", h.os.version},
            {"version_codename", ""},
            {"version_id", h.os.version_id}},
           1);
  if (const auto v = os_version_number(h.os.version_id)) {
    Family(out, "node_os_version", kGauge, "Metric containing the major.minor part of the OS version.")
        .add({{"id", h.os.id}, {"id_like", ""}, {"name", h.os.name}}, *v);
  }
}

// ---- load and pressure ------------------------------------------------------------------

void render_system(std::string& out, const Snapshot& s) {
  if (!s.system) return;
  const auto& sys = *s.system;
  Family(out, "node_load1", kGauge, "1m load average.").add(sys.load.load1);
  Family(out, "node_load5", kGauge, "5m load average.").add(sys.load.load5);
  Family(out, "node_load15", kGauge, "15m load average.").add(sys.load.load15);

  const auto total_seconds = [](const collectors::PressureLine& l) {
    return static_cast<double>(l.total_microseconds) / 1e6;
  };
  if (sys.cpu_pressure) {
    Family(out, "node_pressure_cpu_waiting_seconds_total", kCounter,
           "Total time in seconds that processes have waited for CPU time")
        .add(total_seconds(sys.cpu_pressure->some));
  }
  if (sys.io_pressure) {
    Family(out, "node_pressure_io_waiting_seconds_total", kCounter,
           "Total time in seconds that processes have waited due to IO congestion")
        .add(total_seconds(sys.io_pressure->some));
    if (sys.io_pressure->full) {
      Family(out, "node_pressure_io_stalled_seconds_total", kCounter,
             "Total time in seconds no process could make progress due to IO congestion")
          .add(total_seconds(*sys.io_pressure->full));
    }
  }
  if (sys.memory_pressure) {
    Family(out, "node_pressure_memory_waiting_seconds_total", kCounter,
           "Total time in seconds that processes have waited for memory")
        .add(total_seconds(sys.memory_pressure->some));
    if (sys.memory_pressure->full) {
      Family(out, "node_pressure_memory_stalled_seconds_total", kCounter,
             "Total time in seconds no process could make progress due to memory congestion")
          .add(total_seconds(*sys.memory_pressure->full));
    }
  }

  struct Resource {
    std::string_view name;
    const std::optional<collectors::Pressure>* pressure;
  };
  const std::array<Resource, 3> resources = {
      Resource{"cpu", &sys.cpu_pressure}, Resource{"io", &sys.io_pressure}, Resource{"memory", &sys.memory_pressure}};
  struct Window {
    std::string_view name, help;
    double collectors::PressureLine::*avg;
  };
  const std::array<Window, 3> windows = {
      Window{"hyperion_pressure_avg10_ratio", "Share of the last 10 s in which tasks stalled on the resource (PSI avg10), 0..1.",
             &collectors::PressureLine::avg10},
      Window{"hyperion_pressure_avg60_ratio", "Share of the last 60 s in which tasks stalled on the resource (PSI avg60), 0..1.",
             &collectors::PressureLine::avg60},
      Window{"hyperion_pressure_avg300_ratio",
             "Share of the last 300 s in which tasks stalled on the resource (PSI avg300), 0..1.",
             &collectors::PressureLine::avg300}};
  // The kernel prints the averages as percent with two decimals, so a ratio has at most four:
  // rounding to 1e-6 loses nothing and keeps 0.17 % from printing as 0.0017000000000000001.
  const auto ratio = [](double percent) { return std::round(percent * 1e4) / 1e6; };
  for (const auto& w : windows) {
    Family f(out, w.name, kGauge, w.help);
    for (const auto& r : resources) {
      if (!*r.pressure) continue;
      const auto& p = **r.pressure;
      f.add({{"kind", "some"}, {"resource", r.name}}, ratio(p.some.*w.avg));
      if (p.full) f.add({{"kind", "full"}, {"resource", r.name}}, ratio((*p.full).*w.avg));
    }
  }
}

// ---- cpu --------------------------------------------------------------------------------

void render_cpu(std::string& out, const Snapshot& s) {
  if (!s.cpu) return;
  const auto& cpu = *s.cpu;
  const std::uint32_t hz =
      s.host_info && s.host_info->clock_ticks_per_second != 0 ? s.host_info->clock_ticks_per_second : 100;
  const auto seconds = [hz](std::uint64_t ticks) { return static_cast<double>(ticks) / static_cast<double>(hz); };

  struct Mode {
    std::string_view name;
    std::uint64_t collectors::CpuTimes::*ticks;
  };
  // node_exporter's modes, in its (alphabetical) order. user and nice include guest time,
  // as the kernel counts them; the guest share is node_cpu_guest_seconds_total.
  constexpr std::array<Mode, 8> modes = {
      Mode{"idle", &collectors::CpuTimes::idle_ticks},       Mode{"iowait", &collectors::CpuTimes::iowait_ticks},
      Mode{"irq", &collectors::CpuTimes::irq_ticks},         Mode{"nice", &collectors::CpuTimes::nice_ticks},
      Mode{"softirq", &collectors::CpuTimes::softirq_ticks}, Mode{"steal", &collectors::CpuTimes::steal_ticks},
      Mode{"system", &collectors::CpuTimes::system_ticks},   Mode{"user", &collectors::CpuTimes::user_ticks}};
  {
    Family f(out, "node_cpu_seconds_total", kCounter, "Seconds the CPUs spent in each mode.");
    for (const auto& core : cpu.cores) {
      const NumberText id(core.cpu);
      for (const auto& m : modes) f.add({{"cpu", id.view()}, {"mode", m.name}}, seconds(core.times.*m.ticks));
    }
  }
  {
    Family f(out, "node_cpu_guest_seconds_total", kCounter, "Seconds the CPUs spent in guests (VMs) for each mode.");
    for (const auto& core : cpu.cores) {
      const NumberText id(core.cpu);
      f.add({{"cpu", id.view()}, {"mode", "nice"}}, seconds(core.times.guest_nice_ticks));
      f.add({{"cpu", id.view()}, {"mode", "user"}}, seconds(core.times.guest_ticks));
    }
  }
  Family(out, "node_context_switches_total", kCounter, "Total number of context switches.").add(cpu.context_switches);
  Family(out, "node_intr_total", kCounter, "Total number of interrupts serviced.").add(cpu.interrupts);
  Family(out, "node_forks_total", kCounter, "Total number of forks.").add(cpu.forks);
  Family(out, "node_procs_running", kGauge, "Number of processes in runnable state.").add(cpu.procs_running);
  Family(out, "node_procs_blocked", kGauge, "Number of processes blocked waiting for I/O to complete.")
      .add(cpu.procs_blocked);
}

// ---- memory -----------------------------------------------------------------------------

void render_memory(std::string& out, const Snapshot& s) {
  if (!s.memory) return;
  const auto& m = s.memory->info;
  struct Field {
    std::string_view name, help;
    std::optional<std::uint64_t> value;
  };
  // node_exporter's meminfo names: the /proc/meminfo key, "_bytes" for kB values, none for
  // the HugePages_* page counts. Alphabetical, as node_exporter lists them.
  const std::array<Field, 18> fields = {
      Field{"node_memory_Buffers_bytes", "Memory information field Buffers_bytes.", m.buffers_bytes},
      Field{"node_memory_Cached_bytes", "Memory information field Cached_bytes.", m.cached_bytes},
      Field{"node_memory_Dirty_bytes", "Memory information field Dirty_bytes.", m.dirty_bytes},
      Field{"node_memory_HugePages_Free", "Memory information field HugePages_Free.", m.hugepages_free},
      Field{"node_memory_HugePages_Rsvd", "Memory information field HugePages_Rsvd.", m.hugepages_reserved},
      Field{"node_memory_HugePages_Surp", "Memory information field HugePages_Surp.", m.hugepages_surplus},
      Field{"node_memory_HugePages_Total", "Memory information field HugePages_Total.", m.hugepages_total},
      Field{"node_memory_Hugepagesize_bytes", "Memory information field Hugepagesize_bytes.", m.hugepage_size_bytes},
      Field{"node_memory_MemAvailable_bytes", "Memory information field MemAvailable_bytes.", m.available_bytes},
      Field{"node_memory_MemFree_bytes", "Memory information field MemFree_bytes.", m.free_bytes},
      Field{"node_memory_MemTotal_bytes", "Memory information field MemTotal_bytes.", m.total_bytes},
      Field{"node_memory_SReclaimable_bytes", "Memory information field SReclaimable_bytes.", m.slab_reclaimable_bytes},
      Field{"node_memory_Shmem_bytes", "Memory information field Shmem_bytes.", m.shared_bytes},
      Field{"node_memory_Slab_bytes", "Memory information field Slab_bytes.", m.slab_bytes},
      Field{"node_memory_SwapCached_bytes", "Memory information field SwapCached_bytes.", m.swap_cached_bytes},
      Field{"node_memory_SwapFree_bytes", "Memory information field SwapFree_bytes.", m.swap_free_bytes},
      Field{"node_memory_SwapTotal_bytes", "Memory information field SwapTotal_bytes.", m.swap_total_bytes},
      Field{"node_memory_Writeback_bytes", "Memory information field Writeback_bytes.", m.writeback_bytes}};
  for (const auto& f : fields) {
    if (f.value) Family(out, f.name, kGauge, f.help).add(*f.value);
  }
}

// ---- processes --------------------------------------------------------------------------

// The best `n` processes by `better` (a strict order), best first, among those `keep`
// accepts: a bounded heap, O(P log n), one allocation.
template <class Keep, class Better>
std::vector<const ProcessSample*> top_processes(const std::vector<ProcessSample>& list, std::size_t n, Keep keep,
                                                Better better) {
  std::vector<const ProcessSample*> top;
  if (n == 0) return top;
  top.reserve(n);
  // The heap's front is the worst kept process.
  const auto cmp = [&better](const ProcessSample* a, const ProcessSample* b) { return better(*a, *b); };
  for (const auto& p : list) {
    if (!keep(p)) continue;
    if (top.size() < n) {
      top.push_back(&p);
      std::push_heap(top.begin(), top.end(), cmp);
    } else if (better(p, *top.front())) {
      std::pop_heap(top.begin(), top.end(), cmp);
      top.back() = &p;
      std::push_heap(top.begin(), top.end(), cmp);
    }
  }
  std::sort_heap(top.begin(), top.end(), cmp);
  return top;
}

void render_processes(std::string& out, const Snapshot& s, const MetricsOptions& options) {
  if (s.processes) {
    const auto& ps = *s.processes;
    Family(out, "node_processes_pids", kGauge, "Number of PIDs").add(ps.processes.size());
    {
      // Per state letter of /proc/PID/stat, as node_exporter counts them (R, S, D, I, Z, T, ...).
      std::array<std::uint32_t, 128> states{};
      for (const auto& p : ps.processes) {
        const auto c = static_cast<unsigned char>(p.state);
        if (c < states.size()) ++states[c];
      }
      Family f(out, "node_processes_state", kGauge, "Number of processes in each state.");
      for (std::size_t c = 0; c < states.size(); ++c) {
        if (states[c] == 0 || c <= ' ') continue;
        const char letter = static_cast<char>(c);
        f.add({{"state", std::string_view(&letter, 1)}}, states[c]);
      }
    }
    Family(out, "node_processes_threads", kGauge, "Allocated threads in system").add(ps.counts.threads);

    const std::size_t n = std::min(options.top_processes, kMaxTopProcesses);
    {
      const auto top = top_processes(
          ps.processes, n,
          // Idle processes are left out: listing them would only add series of zeros.
          [](const ProcessSample& p) { return p.cpu_percent && std::isfinite(*p.cpu_percent) && *p.cpu_percent > 0; },
          [](const ProcessSample& a, const ProcessSample& b) {
            return *a.cpu_percent != *b.cpu_percent ? *a.cpu_percent > *b.cpu_percent : a.pid < b.pid;
          });
      Family f(out, "hyperion_process_cpu_ratio", kGauge,
               "CPU use over the last interval of the top processes by CPU, in CPUs (1 = one CPU busy).");
      for (const auto* p : top) {
        const NumberText pid(p->pid);
        f.add({{"comm", view(p->comm)}, {"pid", pid.view()}, {"user", view(p->user)}}, *p->cpu_percent / 100.0);
      }
    }
    {
      const auto top = top_processes(
          ps.processes, n, [](const ProcessSample&) { return true; },
          [](const ProcessSample& a, const ProcessSample& b) {
            return a.rss_bytes != b.rss_bytes ? a.rss_bytes > b.rss_bytes : a.pid < b.pid;
          });
      Family f(out, "hyperion_process_resident_memory_bytes", kGauge,
               "Resident set size of the top processes by memory.");
      for (const auto* p : top) {
        const NumberText pid(p->pid);
        f.add({{"comm", view(p->comm)}, {"pid", pid.view()}, {"user", view(p->user)}}, p->rss_bytes);
      }
    }

  }
}

// The standard process_* families of client libraries, for the daemon itself (found in the
// process list of its own host by pid).
void render_self_process(std::string& out, const Snapshot& s, const SelfMetrics& self, const MetricsOptions& options) {
  const ProcessSample* me = nullptr;
  if (s.processes && options.self_pid > 0) {
    const auto& ps = *s.processes;
    const auto it = std::lower_bound(ps.processes.begin(), ps.processes.end(), options.self_pid,
                                     [](const ProcessSample& p, std::int32_t pid) { return p.pid < pid; });
    if (it != ps.processes.end() && it->pid == options.self_pid) me = &*it;
  }
  if (me) {
    const std::uint32_t hz =
        s.host_info && s.host_info->clock_ticks_per_second != 0 ? s.host_info->clock_ticks_per_second : 100;
    Family(out, "process_cpu_seconds_total", kCounter, "Total user and system CPU time spent in seconds.")
        .add(static_cast<double>(me->cpu_ticks_total) / static_cast<double>(hz));
    if (me->open_fds) {
      Family(out, "process_open_fds", kGauge, "Number of open file descriptors.").add(*me->open_fds);
    }
    Family(out, "process_resident_memory_bytes", kGauge, "Resident memory size in bytes.").add(me->rss_bytes);
  }
  const double start = me ? static_cast<double>(me->start_time_unix_ms) / 1000.0 : self.start_time_seconds;
  if (start > 0) {
    Family(out, "process_start_time_seconds", kGauge, "Start time of the process since unix epoch in seconds.")
        .add(start);
  }
  if (me) {
    Family(out, "process_virtual_memory_bytes", kGauge, "Virtual memory size in bytes.").add(me->virtual_bytes);
  }
}

// ---- network ----------------------------------------------------------------------------

void render_network(std::string& out, const Snapshot& s) {
  if (!s.network) return;
  const auto& ifaces = s.network->interfaces;
  {
    Family f(out, "node_network_info", kGauge, "Non-numeric data from /sys/class/net/<iface>, value is always 1.");
    for (const auto& i : ifaces) {
      f.add({{"address", i.mac_address},
             {"broadcast", ""},
             {"device", i.name},
             {"duplex", ""},
             {"ifalias", ""},
             {"operstate", i.operstate}},
            1);
    }
  }
  {
    Family f(out, "node_network_mtu_bytes", kGauge, "Network device property: mtu_bytes");
    for (const auto& i : ifaces) {
      if (i.mtu) f.add({{"device", i.name}}, *i.mtu);
    }
  }
  struct Counter {
    std::string_view name, help;
    std::uint64_t NetDevCounters::*value;
  };
  // /proc/net/dev's columns under node_exporter's names (errs, drop, colls: its spelling).
  constexpr std::array<Counter, 16> counters = {
      Counter{"node_network_receive_bytes_total", "Network device statistic receive_bytes.", &NetDevCounters::rx_bytes},
      Counter{"node_network_receive_compressed_total", "Network device statistic receive_compressed.",
              &NetDevCounters::rx_compressed},
      Counter{"node_network_receive_drop_total", "Network device statistic receive_drop.", &NetDevCounters::rx_dropped},
      Counter{"node_network_receive_errs_total", "Network device statistic receive_errs.", &NetDevCounters::rx_errors},
      Counter{"node_network_receive_fifo_total", "Network device statistic receive_fifo.", &NetDevCounters::rx_fifo},
      Counter{"node_network_receive_frame_total", "Network device statistic receive_frame.", &NetDevCounters::rx_frame},
      Counter{"node_network_receive_multicast_total", "Network device statistic receive_multicast.",
              &NetDevCounters::rx_multicast},
      Counter{"node_network_receive_packets_total", "Network device statistic receive_packets.",
              &NetDevCounters::rx_packets},
      Counter{"node_network_transmit_bytes_total", "Network device statistic transmit_bytes.", &NetDevCounters::tx_bytes},
      Counter{"node_network_transmit_carrier_total", "Network device statistic transmit_carrier.",
              &NetDevCounters::tx_carrier},
      Counter{"node_network_transmit_colls_total", "Network device statistic transmit_colls.",
              &NetDevCounters::tx_collisions},
      Counter{"node_network_transmit_compressed_total", "Network device statistic transmit_compressed.",
              &NetDevCounters::tx_compressed},
      Counter{"node_network_transmit_drop_total", "Network device statistic transmit_drop.",
              &NetDevCounters::tx_dropped},
      Counter{"node_network_transmit_errs_total", "Network device statistic transmit_errs.", &NetDevCounters::tx_errors},
      Counter{"node_network_transmit_fifo_total", "Network device statistic transmit_fifo.", &NetDevCounters::tx_fifo},
      Counter{"node_network_transmit_packets_total", "Network device statistic transmit_packets.",
              &NetDevCounters::tx_packets}};
  for (const auto& c : counters) {
    Family f(out, c.name, kCounter, c.help);
    for (const auto& i : ifaces) f.add({{"device", i.name}}, i.counters.*c.value);
  }
  {
    Family f(out, "node_network_speed_bytes", kGauge, "Network device property: speed_bytes");
    for (const auto& i : ifaces) {
      // Mb/s to bytes/s, as node_exporter does (speed * 1000 * 1000 / 8).
      if (i.speed_mbps) f.add({{"device", i.name}}, *i.speed_mbps * 125000);
    }
  }
  {
    Family f(out, "node_network_up", kGauge, "Value is 1 if operstate is 'up', 0 otherwise.");
    for (const auto& i : ifaces) f.add({{"device", i.name}}, i.operstate == "up" ? 1 : 0);
  }
}

// ---- sockets ----------------------------------------------------------------------------

void render_sockets(std::string& out, const Snapshot& s) {
  if (!s.sockets) return;
  const auto& so = *s.sockets;
  {
    // node_exporter's state names (its tcpstat collector), indexed by the kernel's code.
    constexpr std::array<std::string_view, 12> names = {"",           "established", "syn_sent",   "syn_recv",
                                                        "fin_wait1",  "fin_wait2",   "time_wait",  "close",
                                                        "close_wait", "last_ack",    "listen",     "closing"};
    Family f(out, "node_tcp_connection_states", kGauge, "Number of connection states.");
    for (std::size_t i = 1; i < names.size(); ++i) f.add({{"state", names[i]}}, so.tcp_states[i]);
  }
  {
    std::array<std::uint32_t, 4> by_protocol{};
    for (const auto& sock : so.sockets) {
      const auto p = static_cast<std::size_t>(sock.socket.protocol);
      if (p < by_protocol.size()) ++by_protocol[p];
    }
    Family f(out, "hyperion_sockets", kGauge, "Sockets in /proc/net/{tcp,tcp6,udp,udp6}, by protocol.");
    for (std::size_t p = 0; p < by_protocol.size(); ++p) {
      f.add({{"protocol", collectors::to_string(static_cast<collectors::SocketProtocol>(p))}}, by_protocol[p]);
    }
  }
}

// ---- disks ------------------------------------------------------------------------------

void render_disks(std::string& out, const Snapshot& s) {
  if (!s.disks) return;
  const auto& disks = s.disks->disks;
  {
    Family f(out, "node_disk_info", kGauge, "Info of /sys/block/<block_device>.");
    for (const auto& d : disks) {
      if (d.partition) continue;
      const NumberText major(d.major), minor(d.minor);
      f.add({{"device", d.name},
             {"major", major.view()},
             {"minor", minor.view()},
             {"model", ""},
             {"path", ""},
             {"revision", ""},
             {"serial", ""},
             {"wwn", ""}},
            1);
    }
  }
  enum class Unit : std::uint8_t { count, sectors_to_bytes, ms_to_seconds };
  struct Counter {
    std::string_view name, type, help;
    std::optional<std::uint64_t> (*get)(const DiskCounters&);
    Unit unit;
  };
  using C = const DiskCounters&;
  using O = std::optional<std::uint64_t>;
  const std::array<Counter, 17> counters = {
      Counter{"node_disk_discard_time_seconds_total", kCounter,
              "This is the total number of seconds spent by all discards.", [](C c) -> O { return c.discard_time_ms; },
              Unit::ms_to_seconds},
      Counter{"node_disk_discarded_sectors_total", kCounter, "The total number of sectors discarded successfully.",
              [](C c) -> O { return c.sectors_discarded; }, Unit::count},
      Counter{"node_disk_discards_completed_total", kCounter, "The total number of discards completed successfully.",
              [](C c) -> O { return c.discards_completed; }, Unit::count},
      Counter{"node_disk_discards_merged_total", kCounter, "The total number of discards merged.",
              [](C c) -> O { return c.discards_merged; }, Unit::count},
      Counter{"node_disk_flush_requests_time_seconds_total", kCounter,
              "This is the total number of seconds spent by all flush requests.",
              [](C c) -> O { return c.flush_time_ms; }, Unit::ms_to_seconds},
      Counter{"node_disk_flush_requests_total", kCounter, "The total number of flush requests completed successfully",
              [](C c) -> O { return c.flushes_completed; }, Unit::count},
      Counter{"node_disk_io_now", kGauge, "The number of I/Os currently in progress.",
              [](C c) -> O { return c.ios_in_progress; }, Unit::count},
      Counter{"node_disk_io_time_seconds_total", kCounter, "Total seconds spent doing I/Os.",
              [](C c) -> O { return c.io_time_ms; }, Unit::ms_to_seconds},
      Counter{"node_disk_io_time_weighted_seconds_total", kCounter, "The weighted # of seconds spent doing I/Os.",
              [](C c) -> O { return c.weighted_io_time_ms; }, Unit::ms_to_seconds},
      Counter{"node_disk_read_bytes_total", kCounter, "The total number of bytes read successfully.",
              [](C c) -> O { return c.sectors_read; }, Unit::sectors_to_bytes},
      Counter{"node_disk_read_time_seconds_total", kCounter, "The total number of seconds spent by all reads.",
              [](C c) -> O { return c.read_time_ms; }, Unit::ms_to_seconds},
      Counter{"node_disk_reads_completed_total", kCounter, "The total number of reads completed successfully.",
              [](C c) -> O { return c.reads_completed; }, Unit::count},
      Counter{"node_disk_reads_merged_total", kCounter, "The total number of reads merged.",
              [](C c) -> O { return c.reads_merged; }, Unit::count},
      Counter{"node_disk_write_time_seconds_total", kCounter,
              "This is the total number of seconds spent by all writes.", [](C c) -> O { return c.write_time_ms; },
              Unit::ms_to_seconds},
      Counter{"node_disk_writes_completed_total", kCounter, "The total number of writes completed successfully.",
              [](C c) -> O { return c.writes_completed; }, Unit::count},
      Counter{"node_disk_writes_merged_total", kCounter, "The number of writes merged.",
              [](C c) -> O { return c.writes_merged; }, Unit::count},
      Counter{"node_disk_written_bytes_total", kCounter, "The total number of bytes written successfully.",
              [](C c) -> O { return c.sectors_written; }, Unit::sectors_to_bytes}};
  for (const auto& c : counters) {
    Family f(out, c.name, c.type, c.help);
    for (const auto& d : disks) {
      if (d.partition) continue;
      const auto v = c.get(d.counters);
      if (!v) continue;
      const Label device{"device", d.name};
      switch (c.unit) {
        case Unit::count: f.add({device}, *v); break;
        case Unit::sectors_to_bytes: f.add({device}, *v * collectors::kDiskstatsSectorBytes); break;
        case Unit::ms_to_seconds: f.add({device}, ms_to_seconds(*v)); break;
      }
    }
  }
}

// ---- filesystems ------------------------------------------------------------------------

void render_filesystems(std::string& out, const Snapshot& s) {
  if (!s.filesystems) return;
  const auto& list = s.filesystems->filesystems;
  // A repeated (device, fstype, mountpoint) would be a repeated series, which Prometheus
  // rejects; keep the first (mount tables are short, so the quadratic scan is cheap).
  const auto repeated = [&list](std::size_t i) {
    for (std::size_t j = 0; j < i; ++j) {
      if (list[j].device == list[i].device && list[j].fstype == list[i].fstype &&
          list[j].mount_point == list[i].mount_point) {
        return true;
      }
    }
    return false;
  };
  struct Field {
    std::string_view name, help;
    std::uint64_t (*get)(const collectors::FilesystemSample&);
  };
  using F = const collectors::FilesystemSample&;
  const std::array<Field, 6> fields = {
      Field{"node_filesystem_avail_bytes", "Filesystem space available to non-root users in bytes.",
            [](F f) { return f.available_bytes; }},
      Field{"node_filesystem_files", "Filesystem total file nodes.", [](F f) { return f.inodes_total; }},
      Field{"node_filesystem_files_free", "Filesystem total free file nodes.", [](F f) { return f.inodes_free; }},
      Field{"node_filesystem_free_bytes", "Filesystem free space in bytes.",
            [](F f) { return f.size_bytes - std::min(f.size_bytes, f.used_bytes); }},
      Field{"node_filesystem_readonly", "Filesystem read-only status.",
            [](F f) -> std::uint64_t { return f.read_only ? 1 : 0; }},
      Field{"node_filesystem_size_bytes", "Filesystem size in bytes.", [](F f) { return f.size_bytes; }}};
  for (const auto& field : fields) {
    Family f(out, field.name, kGauge, field.help);
    for (std::size_t i = 0; i < list.size(); ++i) {
      if (repeated(i)) continue;
      const auto& fs = list[i];
      f.add({{"device", fs.device}, {"fstype", fs.fstype}, {"mountpoint", fs.mount_point}}, field.get(fs));
    }
  }
}

// ---- sensors ----------------------------------------------------------------------------

// "temp3", "fan1": what the collector puts in `label` when the sensor has no label file.
bool is_attribute_name(std::string_view label, SensorKind kind) {
  const std::string_view prefix = kind == SensorKind::fan ? "fan" : "temp";
  if (!label.starts_with(prefix) || label.size() == prefix.size()) return false;
  return std::all_of(label.begin() + static_cast<std::ptrdiff_t>(prefix.size()), label.end(),
                     [](char c) { return c >= '0' && c <= '9'; });
}

struct HwmonSensor {
  const SensorSample* sample = nullptr;
  std::string chip;    // the chip label
  std::string sensor;  // the sensor label
  bool labelled = false;
  bool first_of_chip = false;
};

// Gives every hwmon sensor its chip and sensor labels (see the top of this file). Sensors of
// one hwmon directory are adjacent in the snapshot; a new chip starts where the name changes
// or where a (kind, sensor) pair repeats within the current one.
std::vector<HwmonSensor> hwmon_sensors(const std::vector<SensorSample>& sensors) {
  std::vector<HwmonSensor> out;
  std::size_t count = 0;
  for (const auto& s : sensors) count += s.source == "hwmon" ? 1U : 0U;
  out.reserve(count);
  std::size_t chip_start = 0;
  for (const auto& s : sensors) {
    if (s.source != "hwmon") continue;
    HwmonSensor h;
    h.sample = &s;
    h.labelled = !is_attribute_name(s.label, s.kind);
    h.sensor = h.labelled ? hwmon_clean_name(s.label) : s.label;
    if (h.sensor.empty()) h.sensor = s.kind == SensorKind::fan ? "fan" : "temp";
    bool new_chip = out.empty() || out.back().sample->chip != s.chip;
    for (std::size_t j = chip_start; !new_chip && j < out.size(); ++j) {
      new_chip = out[j].sample->kind == s.kind && out[j].sensor == h.sensor;
    }
    if (new_chip) {
      chip_start = out.size();
      std::size_t same_name = 0;
      for (const auto& earlier : out) same_name += earlier.first_of_chip && earlier.sample->chip == s.chip ? 1U : 0U;
      h.first_of_chip = true;
      h.chip = hwmon_clean_name(s.chip);
      if (h.chip.empty()) h.chip = "hwmon";
      if (same_name > 0) fmt::format_to(std::back_inserter(h.chip), "_{}", same_name);
    } else {
      h.chip = out.back().chip;
    }
    out.push_back(std::move(h));
  }
  return out;
}

// ---- containers (cAdvisor names) ----------------------------------------------------------

void render_containers(std::string& out, const Snapshot& s) {
  if (!s.containers) return;
  const auto& groups = s.containers->containers;
  {
    Family f(out, "hyperion_container_info", kGauge,
             "A control group: its kind (service, scope, slice, docker, containerd, podman, cgroup) and container id.");
    for (const auto& c : groups) {
      f.add({{"container_id", c.container_id}, {"id", c.id}, {"kind", to_string(c.kind)}, {"name", c.name}}, 1);
    }
  }
  const auto each = [&](std::string_view name, std::string_view type, std::string_view help, auto value) {
    Family f(out, name, type, help);
    for (const auto& c : groups) {
      if (const auto v = value(c)) f.add({{"id", c.id}, {"name", c.name}}, *v);
    }
  };
  each("container_cpu_usage_seconds_total", kCounter, "Cumulative cpu time consumed in seconds.",
       [](const ContainerSample& c) { return c.cpu_usage_seconds_total; });
  each("container_memory_usage_bytes", kGauge, "Current memory usage in bytes, including all memory regardless of when it was accessed",
       [](const ContainerSample& c) { return c.memory_current_bytes; });
  each("container_memory_max_usage_bytes", kGauge, "Maximum memory usage recorded in bytes",
       [](const ContainerSample& c) { return c.memory_peak_bytes; });
  each("container_spec_memory_limit_bytes", kGauge, "Memory limit for the container.",
       [](const ContainerSample& c) { return c.memory_limit_bytes; });
  each("container_fs_reads_bytes_total", kCounter, "Cumulative count of bytes read",
       [](const ContainerSample& c) { return c.io_read_bytes_total; });
  each("container_fs_writes_bytes_total", kCounter, "Cumulative count of bytes written",
       [](const ContainerSample& c) { return c.io_write_bytes_total; });
  each("container_threads", kGauge, "Number of threads running inside the container",
       [](const ContainerSample& c) { return c.pids_current; });
  const auto stall = [](const std::optional<Pressure>& p, bool full) -> std::optional<double> {
    if (!p) return std::nullopt;
    if (!full) return static_cast<double>(p->some.total_microseconds) / 1e6;
    if (!p->full) return std::nullopt;
    return static_cast<double>(p->full->total_microseconds) / 1e6;
  };
  each("container_pressure_cpu_waiting_seconds_total", kCounter, "Total time duration tasks in the container have waited due to CPU congestion.",
       [&](const ContainerSample& c) { return stall(c.cpu_pressure, false); });
  each("container_pressure_cpu_stalled_seconds_total", kCounter, "Total time duration no tasks in the container could make progress due to CPU congestion.",
       [&](const ContainerSample& c) { return stall(c.cpu_pressure, true); });
  each("container_pressure_memory_waiting_seconds_total", kCounter, "Total time duration tasks in the container have waited due to memory congestion.",
       [&](const ContainerSample& c) { return stall(c.memory_pressure, false); });
  each("container_pressure_memory_stalled_seconds_total", kCounter, "Total time duration no tasks in the container could make progress due to memory congestion.",
       [&](const ContainerSample& c) { return stall(c.memory_pressure, true); });
  each("container_pressure_io_waiting_seconds_total", kCounter, "Total time duration tasks in the container have waited due to IO congestion.",
       [&](const ContainerSample& c) { return stall(c.io_pressure, false); });
  each("container_pressure_io_stalled_seconds_total", kCounter, "Total time duration no tasks in the container could make progress due to IO congestion.",
       [&](const ContainerSample& c) { return stall(c.io_pressure, true); });
}

void render_sensors(std::string& out, const Snapshot& s) {
  if (!s.sensors) return;
  const auto& sensors = s.sensors->sensors;
  const auto hw = hwmon_sensors(sensors);
  {
    Family f(out, "node_hwmon_chip_names", kGauge, "Annotation metric for human-readable chip names");
    for (const auto& h : hw) {
      if (h.first_of_chip) f.add({{"chip", h.chip}, {"chip_name", h.sample->chip}}, 1);
    }
  }
  {
    Family f(out, "node_hwmon_fan_rpm", kGauge, "Hardware monitor for fan revolutions per minute (input)");
    for (const auto& h : hw) {
      if (h.sample->kind == SensorKind::fan) f.add({{"chip", h.chip}, {"sensor", h.sensor}}, h.sample->value);
    }
  }
  {
    Family f(out, "node_hwmon_sensor_label", kGauge, "Label for given chip and sensor");
    for (std::size_t i = 0; i < hw.size(); ++i) {
      const auto& h = hw[i];
      if (!h.labelled) continue;
      // A fan and a temperature with the same label on one chip would repeat the series.
      bool repeated = false;
      for (std::size_t j = 0; j < i && !repeated; ++j) {
        repeated = hw[j].labelled && hw[j].chip == h.chip && hw[j].sensor == h.sensor &&
                   hw[j].sample->label == h.sample->label;
      }
      if (!repeated) f.add({{"chip", h.chip}, {"label", h.sample->label}, {"sensor", h.sensor}}, 1);
    }
  }
  {
    Family f(out, "node_hwmon_temp_celsius", kGauge, "Hardware monitor for temperature (input)");
    for (const auto& h : hw) {
      if (h.sample->kind == SensorKind::temperature) f.add({{"chip", h.chip}, {"sensor", h.sensor}}, h.sample->value);
    }
  }
  {
    Family f(out, "node_hwmon_temp_crit_celsius", kGauge, "Hardware monitor for temperature (crit)");
    for (const auto& h : hw) {
      if (h.sample->kind == SensorKind::temperature && h.sample->critical) {
        f.add({{"chip", h.chip}, {"sensor", h.sensor}}, *h.sample->critical);
      }
    }
  }
  {
    Family f(out, "node_hwmon_temp_max_celsius", kGauge, "Hardware monitor for temperature (max)");
    for (const auto& h : hw) {
      if (h.sample->kind == SensorKind::temperature && h.sample->max) {
        f.add({{"chip", h.chip}, {"sensor", h.sensor}}, *h.sample->max);
      }
    }
  }
  {
    Family f(out, "node_thermal_zone_temp", kGauge, "Zone temperature in Celsius");
    // node_exporter's zone label is the N of thermal_zoneN.
    const auto zone_of = [](const SensorSample& t) {
      std::string_view zone = t.label;
      if (zone.starts_with("thermal_zone")) zone.remove_prefix(std::string_view("thermal_zone").size());
      return zone;
    };
    for (std::size_t i = 0; i < sensors.size(); ++i) {
      const auto& t = sensors[i];
      if (t.source != "thermal") continue;
      // Zone names are unique on one machine; a repeat would be a repeated series.
      bool repeated = false;
      for (std::size_t j = 0; j < i && !repeated; ++j) {
        repeated = sensors[j].source == "thermal" && sensors[j].label == t.label && sensors[j].chip == t.chip;
      }
      if (!repeated) f.add({{"type", t.chip}, {"zone", zone_of(t)}}, t.value);
    }
  }
}

// ---- the daemon itself ------------------------------------------------------------------

void render_self(std::string& out, const SelfMetrics& self) {
  Family(out, "hyperion_build_info", kGauge, "A metric with a constant '1' value labeled by the hyperiond version.")
      .add({{"version", self.version}}, 1);
  {
    Family f(out, "hyperion_collection_duration_seconds", kGauge, "How long the last collection of each family took.");
    for (const auto& c : self.collections) f.add({{"family", c.family}}, c.last_duration_seconds);
  }
  {
    Family f(out, "hyperion_collections_total", kCounter, "Collections run, by family.");
    for (const auto& c : self.collections) f.add({{"family", c.family}}, c.runs_total);
  }
  {
    Family f(out, "hyperion_collection_errors_total", kCounter, "Collections that reported an error, by family.");
    for (const auto& c : self.collections) f.add({{"family", c.family}}, c.errors_total);
  }
  {
    Family f(out, "hyperion_http_requests_total", kCounter, "HTTP requests answered, by route, method and status code.");
    for (const auto& r : self.requests) {
      const NumberText code(r.code);
      f.add({{"code", code.view()}, {"handler", r.handler}, {"method", r.method}}, r.count);
    }
  }
  {
    const auto& h = self.request_latency;
    Family f(out, "hyperion_http_request_duration_seconds", "histogram", "Time to answer an HTTP request.");
    for (std::size_t i = 0; i < kLatencyBuckets.size(); ++i) {
      const NumberText le(kLatencyBuckets[i]);
      f.add_suffixed("_bucket", {{"le", le.view()}}, h.buckets[i]);
    }
    f.add_suffixed("_bucket", {{"le", "+Inf"}}, h.count);
    f.add_suffixed("_sum", {}, h.sum_seconds);
    f.add_suffixed("_count", {}, h.count);
  }
  Family(out, "hyperion_http_connections_open", kGauge, "HTTP connections currently open.").add(self.connections_open);
  Family(out, "hyperion_http_connections_accepted_total", kCounter, "HTTP connections accepted.")
      .add(self.connections_accepted_total);
  Family(out, "hyperion_http_connections_rejected_total", kCounter,
         "HTTP connections refused because the connection limit was reached.")
      .add(self.connections_rejected_total);
  Family(out, "hyperion_live_clients", kGauge, "WebSocket clients connected to /api/v1/live.").add(self.live_clients);
  Family(out, "hyperion_live_rejected_total", kCounter,
         "WebSocket upgrades refused because live.max_clients was reached.")
      .add(self.live_rejected_total);
  if (!self.sinks.empty()) {
    const auto per_sink = [&](std::string_view name, std::string_view help, std::uint64_t SinkCount::*field) {
      Family f(out, name, kCounter, help);
      for (const auto& k : self.sinks) f.add({{"sink", k.sink}}, k.*field);
    };
    per_sink("hyperion_bus_delivered_total", "Snapshots each consumer of the bus took.", &SinkCount::delivered);
    per_sink("hyperion_bus_dropped_total",
             "Snapshots a consumer skipped because a newer one of the same host arrived first (it was behind).",
             &SinkCount::dropped);
    per_sink("hyperion_bus_failed_total", "Snapshots a consumer failed on (an exception).", &SinkCount::failed);
  }
  Family(out, "hyperion_http_connections_evicted_total", kCounter,
         "Connections without credentials closed to make room (http.max_unauthenticated_connections).")
      .add(self.connections_evicted_total);
  Family(out, "hyperion_http_connections_per_address_rejected_total", kCounter,
         "Connections refused because their address held http.max_connections_per_address.")
      .add(self.connections_per_address_rejected_total);
  Family(out, "hyperion_live_evicted_total", kCounter,
         "Live clients still to authenticate closed to make room (live.max_unauthenticated_clients).")
      .add(self.live_evicted_total);
  Family(out, "hyperion_http_misdirected_total", kCounter,
         "Requests refused with 421 for a Host header not in http.allowed_hosts.")
      .add(self.misdirected_total);
  if (self.history_enabled) {
    const auto& h = self.history;
    Family(out, "hyperion_history_samples_total", kCounter, "Samples added to the history.").add(h.samples_total);
    Family(out, "hyperion_history_series", kGauge, "Series the history keeps.").add(h.series);
    Family(out, "hyperion_history_series_refused_total", kCounter,
           "Values not recorded because history.max_series was reached.")
        .add(h.series_refused_total);
    Family(out, "hyperion_history_journal_writes_total", kCounter, "Batches of samples committed to the journal.")
        .add(h.journal_writes_total);
    Family(out, "hyperion_history_seals_total", kCounter, "Times the open chunks were sealed into the database.")
        .add(h.seals_total);
    Family(out, "hyperion_history_write_failures_total", kCounter,
           "History writes that failed (a full disk); the samples stay in memory and are written later.")
        .add(h.write_failures_total);
    Family(out, "hyperion_history_chunks_pruned_total", kCounter, "Chunks removed by retention or the size budget.")
        .add(h.chunks_pruned_total);
    Family(out, "hyperion_history_open_bytes", kGauge, "Bytes of the chunks still open in memory.").add(h.open_bytes);
    Family(out, "hyperion_history_database_bytes", kGauge, "Size of the database file (without its WAL).")
        .add(h.database_bytes);
  }
  if (self.tls_certificate_not_after_seconds > 0) {
    Family(out, "hyperion_tls_certificate_not_after_seconds", kGauge,
           "When the served TLS certificate expires (Unix time); alert well before it.")
        .add(self.tls_certificate_not_after_seconds);
  }
}

std::size_t estimate_series(const Snapshot& s, std::size_t top) {
  std::size_t n = 200;  // host, memory, self and the other fixed families
  if (s.cpu) n += s.cpu->cores.size() * 10;
  if (s.network) n += s.network->interfaces.size() * 20;
  if (s.disks) n += s.disks->disks.size() * 18;
  if (s.filesystems) n += s.filesystems->filesystems.size() * 6;
  if (s.sensors) n += s.sensors->sensors.size() * 3;
  return n + 2 * top;
}

}  // namespace

std::string hwmon_clean_name(std::string_view name) {
  std::string out;
  out.reserve(name.size());
  for (const char c : name) {
    // node_exporter replaces per character (rune), so a multi-byte UTF-8 character gives one
    // '_': skip continuation bytes.
    if ((static_cast<unsigned char>(c) & 0xC0U) == 0x80U) continue;
    const char lower = c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
    const bool ok = (lower >= 'a' && lower <= 'z') || (lower >= '0' && lower <= '9') || lower == ':' || lower == '_';
    out += ok ? lower : '_';
  }
  const auto first = out.find_first_not_of('_');
  if (first == std::string::npos) return {};
  const auto last = out.find_last_not_of('_');
  return out.substr(first, last - first + 1);
}

std::string render_host_metrics(const collectors::Snapshot& snapshot, const MetricsOptions& options) {
  std::string out;
  out.reserve(estimate_series(snapshot, std::min(options.top_processes, kMaxTopProcesses)) * kBytesPerSeries);
  render_host(out, snapshot);
  render_system(out, snapshot);
  render_cpu(out, snapshot);
  render_memory(out, snapshot);
  render_processes(out, snapshot, options);
  render_network(out, snapshot);
  render_sockets(out, snapshot);
  render_disks(out, snapshot);
  render_filesystems(out, snapshot);
  render_sensors(out, snapshot);
  render_containers(out, snapshot);
  return out;
}

void render_daemon_metrics(std::string& out, const collectors::Snapshot& snapshot, const SelfMetrics& self,
                           const MetricsOptions& options) {
  if (options.now_seconds > 0) {
    Family(out, "node_time_seconds", kGauge, "System time in seconds since epoch (1970).").add(options.now_seconds);
  }
  render_self_process(out, snapshot, self, options);
  render_self(out, self);
}

std::string render_metrics(const collectors::Snapshot& snapshot, const SelfMetrics& self,
                           const MetricsOptions& options) {
  std::string out = render_host_metrics(snapshot, options);
  render_daemon_metrics(out, snapshot, self, options);
  return out;
}

}  // namespace hyperion::web
