#include "hyperion/daemon/snapshot_json.hpp"

#include <nlohmann/json.hpp>

namespace hyperion::daemon {
namespace {

using Json = nlohmann::ordered_json;
using namespace hyperion::collectors;

template <class T>
Json opt(const std::optional<T>& v) {
  return v ? Json(*v) : Json(nullptr);
}

Json str(const SharedString& s) { return s ? Json(*s) : Json(nullptr); }

Json cpu_times(const CpuTimes& t) {
  return Json{{"user", t.user_ticks},       {"nice", t.nice_ticks},     {"system", t.system_ticks},
              {"idle", t.idle_ticks},       {"iowait", t.iowait_ticks}, {"irq", t.irq_ticks},
              {"softirq", t.softirq_ticks}, {"steal", t.steal_ticks},   {"guest", t.guest_ticks},
              {"guest_nice", t.guest_nice_ticks}};
}

Json cpu_usage(const std::optional<CpuUsage>& u) {
  if (!u) return nullptr;
  return Json{{"user", u->user},       {"nice", u->nice},     {"system", u->system}, {"idle", u->idle},
              {"iowait", u->iowait},   {"irq", u->irq},       {"softirq", u->softirq}, {"steal", u->steal},
              {"guest", u->guest},     {"guest_nice", u->guest_nice}, {"busy", u->busy}};
}

Json pressure(const std::optional<Pressure>& p) {
  if (!p) return nullptr;
  const auto line = [](const PressureLine& l) {
    return Json{{"avg10_percent", l.avg10}, {"avg60_percent", l.avg60}, {"avg300_percent", l.avg300},
                {"total_microseconds", l.total_microseconds}};
  };
  return Json{{"some", line(p->some)}, {"full", p->full ? line(*p->full) : Json(nullptr)}};
}

Json host(const HostInfo& h) {
  return Json{{"hostname", h.hostname},
              {"kernel_release", h.kernel_release},
              {"kernel_version", h.kernel_version},
              {"architecture", h.architecture},
              {"os", {{"id", h.os.id}, {"name", h.os.name}, {"version_id", h.os.version_id},
                      {"version", h.os.version}, {"pretty_name", h.os.pretty_name}}},
              {"cpu", {{"model", h.cpu.model}, {"vendor", h.cpu.vendor}, {"sockets", h.cpu.sockets},
                       {"cores", h.cpu.physical_cores}, {"threads", h.cpu.logical_cpus}}},
              {"virtualization", h.virtualization.vm.empty() ? Json(nullptr) : Json(h.virtualization.vm)},
              {"container", h.virtualization.container.empty() ? Json(nullptr) : Json(h.virtualization.container)},
              {"boot_time_seconds", h.boot_time_seconds},
              {"clock_ticks_per_second", h.clock_ticks_per_second},
              {"page_size_bytes", h.page_size_bytes}};
}

Json system(const SystemSample& s) {
  return Json{{"load1", s.load.load1},
              {"load5", s.load.load5},
              {"load15", s.load.load15},
              {"runnable_tasks", s.load.runnable},
              {"total_tasks", s.load.total},
              {"uptime_seconds", s.uptime_seconds},
              {"boot_time_seconds", s.boot_time_seconds},
              {"pressure", {{"cpu", pressure(s.cpu_pressure)}, {"memory", pressure(s.memory_pressure)},
                            {"io", pressure(s.io_pressure)}}}};
}

Json cpu(const CpuSample& c) {
  Json cores = Json::array();
  for (const auto& core : c.cores) {
    cores.push_back({{"cpu", core.cpu}, {"usage_percent", cpu_usage(core.usage)}, {"ticks", cpu_times(core.times)}});
  }
  return Json{{"usage_percent", cpu_usage(c.usage)},
              {"ticks", cpu_times(c.times)},
              {"cores", std::move(cores)},
              {"context_switches_total", c.context_switches},
              {"interrupts_total", c.interrupts},
              {"forks_total", c.forks},
              {"context_switches_per_second", opt(c.context_switches_per_second)},
              {"interrupts_per_second", opt(c.interrupts_per_second)},
              {"forks_per_second", opt(c.forks_per_second)},
              {"procs_running", c.procs_running},
              {"procs_blocked", c.procs_blocked}};
}

Json memory(const MemorySample& m) {
  const auto& i = m.info;
  return Json{{"total_bytes", i.total_bytes},
              {"free_bytes", i.free_bytes},
              {"available_bytes", m.available_bytes},
              {"used_bytes", m.used_bytes},
              {"used_percent", m.used_percent},
              {"buffers_bytes", i.buffers_bytes},
              {"cached_bytes", i.cached_bytes},
              {"shared_bytes", opt(i.shared_bytes)},
              {"slab_bytes", i.slab_bytes},
              {"slab_reclaimable_bytes", opt(i.slab_reclaimable_bytes)},
              {"dirty_bytes", i.dirty_bytes},
              {"writeback_bytes", i.writeback_bytes},
              {"swap_total_bytes", i.swap_total_bytes},
              {"swap_free_bytes", i.swap_free_bytes},
              {"swap_cached_bytes", i.swap_cached_bytes},
              {"swap_used_percent", m.swap_used_percent},
              {"hugepages_total", opt(i.hugepages_total)},
              {"hugepages_free", opt(i.hugepages_free)},
              {"hugepages_reserved", opt(i.hugepages_reserved)},
              {"hugepages_surplus", opt(i.hugepages_surplus)},
              {"hugepage_size_bytes", opt(i.hugepage_size_bytes)}};
}

Json processes(const ProcessesSample& ps) {
  Json list = Json::array();
  for (const auto& p : ps.processes) {
    list.push_back({{"pid", p.pid},
                    {"ppid", p.ppid},
                    {"uid", p.uid},
                    {"user", str(p.user)},
                    {"state", std::string(1, p.state)},
                    {"comm", str(p.comm)},
                    {"cmdline", str(p.cmdline)},
                    {"cgroup", str(p.cgroup)},
                    {"threads", p.threads},
                    {"nice", p.nice},
                    {"priority", p.priority},
                    {"start_time_unix_ms", p.start_time_unix_ms},
                    {"cpu_percent", opt(p.cpu_percent)},
                    {"cpu_ticks_total", p.cpu_ticks_total},
                    {"rss_bytes", p.rss_bytes},
                    {"virtual_bytes", p.virtual_bytes},
                    {"shared_bytes", p.shared_bytes},
                    {"memory_percent", p.memory_percent},
                    {"read_bytes_total", opt(p.read_bytes_total)},
                    {"write_bytes_total", opt(p.write_bytes_total)},
                    {"read_bytes_per_second", opt(p.read_bytes_per_second)},
                    {"write_bytes_per_second", opt(p.write_bytes_per_second)},
                    {"open_fds", opt(p.open_fds)}});
  }
  const auto& c = ps.counts;
  return Json{{"counts", {{"total", c.total}, {"running", c.running}, {"sleeping", c.sleeping},
                          {"disk_sleep", c.disk_sleep}, {"zombie", c.zombie}, {"stopped", c.stopped},
                          {"idle", c.idle}, {"other", c.other}, {"threads", c.threads}}},
              {"processes", std::move(list)}};
}

Json network(const NetworkSample& n) {
  Json list = Json::array();
  for (const auto& i : n.interfaces) {
    const auto& c = i.counters;
    Json rates = nullptr;
    if (i.rates) {
      const auto& r = *i.rates;
      rates = {{"rx_bytes_per_second", r.rx_bytes_per_second},   {"tx_bytes_per_second", r.tx_bytes_per_second},
               {"rx_packets_per_second", r.rx_packets_per_second}, {"tx_packets_per_second", r.tx_packets_per_second},
               {"rx_errors_per_second", r.rx_errors_per_second}, {"tx_errors_per_second", r.tx_errors_per_second},
               {"rx_dropped_per_second", r.rx_dropped_per_second}, {"tx_dropped_per_second", r.tx_dropped_per_second}};
    }
    list.push_back({{"name", i.name},
                    {"operstate", i.operstate},
                    {"mtu", opt(i.mtu)},
                    {"speed_mbps", opt(i.speed_mbps)},
                    {"mac_address", i.mac_address},
                    {"addresses", i.addresses},
                    {"rx_bytes_total", c.rx_bytes},
                    {"tx_bytes_total", c.tx_bytes},
                    {"rx_packets_total", c.rx_packets},
                    {"tx_packets_total", c.tx_packets},
                    {"rx_errors_total", c.rx_errors},
                    {"tx_errors_total", c.tx_errors},
                    {"rx_dropped_total", c.rx_dropped},
                    {"tx_dropped_total", c.tx_dropped},
                    {"rates", std::move(rates)}});
  }
  return Json{{"interfaces", std::move(list)}};
}

Json sockets(const SocketsSample& s) {
  Json states = Json::object();
  for (std::size_t i = 1; i < s.tcp_states.size(); ++i) {
    states[to_string(static_cast<TcpState>(i))] = s.tcp_states[i];
  }
  Json list = Json::array();
  for (const auto& e : s.sockets) {
    const auto& k = e.socket;
    list.push_back({{"protocol", to_string(k.protocol)},
                    {"state", to_string(k.state)},
                    {"local_address", format_address(k.local)},
                    {"local_port", k.local.port},
                    {"remote_address", format_address(k.remote)},
                    {"remote_port", k.remote.port},
                    {"tx_queue_bytes", k.tx_queue},
                    {"rx_queue_bytes", k.rx_queue},
                    {"uid", k.uid},
                    {"inode", k.inode},
                    {"pid", opt(e.pid)},
                    {"process", str(e.process)}});
  }
  return Json{{"tcp_states", std::move(states)}, {"udp_sockets", s.udp_sockets}, {"sockets", std::move(list)}};
}

Json disks(const DisksSample& d) {
  Json list = Json::array();
  for (const auto& disk : d.disks) {
    const auto& c = disk.counters;
    Json rates = nullptr;
    if (disk.rates) {
      const auto& r = *disk.rates;
      rates = {{"reads_per_second", r.reads_per_second},
               {"writes_per_second", r.writes_per_second},
               {"read_bytes_per_second", r.read_bytes_per_second},
               {"write_bytes_per_second", r.write_bytes_per_second},
               {"utilization_percent", r.utilization_percent},
               {"read_await_ms", opt(r.read_await_ms)},
               {"write_await_ms", opt(r.write_await_ms)},
               {"await_ms", opt(r.await_ms)}};
    }
    list.push_back({{"name", disk.name},
                    {"major", disk.major},
                    {"minor", disk.minor},
                    {"partition", disk.partition},
                    {"reads_completed_total", c.reads_completed},
                    {"writes_completed_total", c.writes_completed},
                    {"read_bytes_total", c.sectors_read * kDiskstatsSectorBytes},
                    {"written_bytes_total", c.sectors_written * kDiskstatsSectorBytes},
                    {"io_time_ms_total", c.io_time_ms},
                    {"ios_in_progress", c.ios_in_progress},
                    {"rates", std::move(rates)}});
  }
  return Json{{"disks", std::move(list)}};
}

Json filesystems(const FilesystemsSample& f) {
  Json list = Json::array();
  for (const auto& fs : f.filesystems) {
    list.push_back({{"device", fs.device},
                    {"mount_point", fs.mount_point},
                    {"fstype", fs.fstype},
                    {"read_only", fs.read_only},
                    {"size_bytes", fs.size_bytes},
                    {"used_bytes", fs.used_bytes},
                    {"available_bytes", fs.available_bytes},
                    {"used_percent", fs.used_percent},
                    {"inodes_total", fs.inodes_total},
                    {"inodes_used", fs.inodes_used},
                    {"inodes_free", fs.inodes_free}});
  }
  return Json{{"filesystems", std::move(list)}};
}

Json sensors(const SensorsSample& s) {
  Json list = Json::array();
  for (const auto& x : s.sensors) {
    list.push_back({{"chip", x.chip},
                    {"label", x.label},
                    {"source", x.source},
                    {"kind", to_string(x.kind)},
                    {x.kind == SensorKind::fan ? "rpm" : "celsius", x.value},
                    {"max", opt(x.max)},
                    {"critical", opt(x.critical)}});
  }
  return Json{{"sensors", std::move(list)}};
}

template <class T, class F>
Json family(const std::shared_ptr<const T>& p, F render) {
  return p ? render(*p) : Json(nullptr);
}

}  // namespace

std::string snapshot_to_json(const Snapshot& s, int indent) {
  Json errors = Json::array();
  for (const auto& e : s.errors) errors.push_back({{"family", to_string(e.family)}, {"detail", e.detail}});
  const Json j{{"host", s.host},
               {"sequence", s.sequence},
               {"timestamp_ms", s.timestamp_ms},
               {"host_info", family(s.host_info, host)},
               {"system", family(s.system, system)},
               {"cpu", family(s.cpu, cpu)},
               {"memory", family(s.memory, memory)},
               {"processes", family(s.processes, processes)},
               {"network", family(s.network, network)},
               {"sockets", family(s.sockets, sockets)},
               {"disks", family(s.disks, disks)},
               {"filesystems", family(s.filesystems, filesystems)},
               {"sensors", family(s.sensors, sensors)},
               {"errors", std::move(errors)}};
  // Replace invalid UTF-8 (a process may name itself anything) instead of throwing.
  return j.dump(indent, ' ', false, Json::error_handler_t::replace);
}

}  // namespace hyperion::daemon
