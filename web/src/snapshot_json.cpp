#include "hyperion/web/snapshot_json.hpp"

#include <algorithm>

namespace hyperion::web {

using namespace hyperion::collectors;

namespace {

void write_shared(JsonWriter& w, std::string_view key, const SharedString& s) {
  w.key(key);
  if (s) {
    w.value(std::string_view(*s));
  } else {
    w.null();
  }
}

void write_times(JsonWriter& w, const CpuTimes& t) {
  w.begin_object();
  w.field("user", t.user_ticks);
  w.field("nice", t.nice_ticks);
  w.field("system", t.system_ticks);
  w.field("idle", t.idle_ticks);
  w.field("iowait", t.iowait_ticks);
  w.field("irq", t.irq_ticks);
  w.field("softirq", t.softirq_ticks);
  w.field("steal", t.steal_ticks);
  w.field("guest", t.guest_ticks);
  w.field("guest_nice", t.guest_nice_ticks);
  w.end_object();
}

void write_usage(JsonWriter& w, const std::optional<CpuUsage>& u) {
  if (!u) {
    w.null();
    return;
  }
  w.begin_object();
  w.field("user", u->user);
  w.field("nice", u->nice);
  w.field("system", u->system);
  w.field("idle", u->idle);
  w.field("iowait", u->iowait);
  w.field("irq", u->irq);
  w.field("softirq", u->softirq);
  w.field("steal", u->steal);
  w.field("guest", u->guest);
  w.field("guest_nice", u->guest_nice);
  w.field("busy", u->busy);
  w.end_object();
}

void write_pressure_line(JsonWriter& w, const PressureLine& l) {
  w.begin_object();
  w.field("avg10_percent", l.avg10);
  w.field("avg60_percent", l.avg60);
  w.field("avg300_percent", l.avg300);
  w.field("total_microseconds", l.total_microseconds);
  w.end_object();
}

void write_pressure(JsonWriter& w, const std::optional<Pressure>& p) {
  if (!p) {
    w.null();
    return;
  }
  w.begin_object();
  w.key("some");
  write_pressure_line(w, p->some);
  w.key("full");
  if (p->full) {
    write_pressure_line(w, *p->full);
  } else {
    w.null();
  }
  w.end_object();
}

template <class T, class F>
void write_family(JsonWriter& w, std::string_view key, const std::shared_ptr<const T>& p, F body) {
  w.key(key);
  if (!p) {
    w.null();
    return;
  }
  body(*p);
}

}  // namespace

void write_host_info(JsonWriter& w, const HostInfo& h) {
  w.begin_object();
  w.field("hostname", h.hostname);
  w.field("kernel_release", h.kernel_release);
  w.field("kernel_version", h.kernel_version);
  w.field("architecture", h.architecture);
  w.key("os");
  w.begin_object();
  w.field("id", h.os.id);
  w.field("name", h.os.name);
  w.field("version_id", h.os.version_id);
  w.field("version", h.os.version);
  w.field("pretty_name", h.os.pretty_name);
  w.end_object();
  w.key("cpu");
  w.begin_object();
  w.field("model", h.cpu.model);
  w.field("vendor", h.cpu.vendor);
  w.field("sockets", h.cpu.sockets);
  w.field("cores", h.cpu.physical_cores);
  w.field("threads", h.cpu.logical_cpus);
  w.end_object();
  w.key("virtualization");
  h.virtualization.vm.empty() ? w.null() : w.value(h.virtualization.vm);
  w.key("container");
  h.virtualization.container.empty() ? w.null() : w.value(h.virtualization.container);
  w.field("boot_time_seconds", h.boot_time_seconds);
  w.field("clock_ticks_per_second", h.clock_ticks_per_second);
  w.field("page_size_bytes", h.page_size_bytes);
  w.end_object();
}

void write_system(JsonWriter& w, const SystemSample& s) {
  w.begin_object();
  w.field("load1", s.load.load1);
  w.field("load5", s.load.load5);
  w.field("load15", s.load.load15);
  w.field("runnable_tasks", s.load.runnable);
  w.field("total_tasks", s.load.total);
  w.field("uptime_seconds", s.uptime_seconds);
  w.field("boot_time_seconds", s.boot_time_seconds);
  w.key("pressure");
  w.begin_object();
  w.key("cpu");
  write_pressure(w, s.cpu_pressure);
  w.key("memory");
  write_pressure(w, s.memory_pressure);
  w.key("io");
  write_pressure(w, s.io_pressure);
  w.end_object();
  w.end_object();
}

void write_cpu(JsonWriter& w, const CpuSample& c) {
  w.begin_object();
  w.key("usage_percent");
  write_usage(w, c.usage);
  w.key("ticks");
  write_times(w, c.times);
  w.key("cores");
  w.begin_array();
  for (const auto& core : c.cores) {
    w.begin_object();
    w.field("cpu", core.cpu);
    w.key("usage_percent");
    write_usage(w, core.usage);
    w.key("ticks");
    write_times(w, core.times);
    w.end_object();
  }
  w.end_array();
  w.field("context_switches_total", c.context_switches);
  w.field("interrupts_total", c.interrupts);
  w.field("forks_total", c.forks);
  w.field("context_switches_per_second", c.context_switches_per_second);
  w.field("interrupts_per_second", c.interrupts_per_second);
  w.field("forks_per_second", c.forks_per_second);
  w.field("procs_running", c.procs_running);
  w.field("procs_blocked", c.procs_blocked);
  w.end_object();
}

void write_memory(JsonWriter& w, const MemorySample& m) {
  const auto& i = m.info;
  w.begin_object();
  w.field("total_bytes", i.total_bytes);
  w.field("free_bytes", i.free_bytes);
  w.field("available_bytes", m.available_bytes);
  w.field("used_bytes", m.used_bytes);
  w.field("used_percent", m.used_percent);
  w.field("buffers_bytes", i.buffers_bytes);
  w.field("cached_bytes", i.cached_bytes);
  w.field("shared_bytes", i.shared_bytes);
  w.field("slab_bytes", i.slab_bytes);
  w.field("slab_reclaimable_bytes", i.slab_reclaimable_bytes);
  w.field("dirty_bytes", i.dirty_bytes);
  w.field("writeback_bytes", i.writeback_bytes);
  w.field("swap_total_bytes", i.swap_total_bytes);
  w.field("swap_free_bytes", i.swap_free_bytes);
  w.field("swap_cached_bytes", i.swap_cached_bytes);
  w.field("swap_used_percent", m.swap_used_percent);
  w.field("hugepages_total", i.hugepages_total);
  w.field("hugepages_free", i.hugepages_free);
  w.field("hugepages_reserved", i.hugepages_reserved);
  w.field("hugepages_surplus", i.hugepages_surplus);
  w.field("hugepage_size_bytes", i.hugepage_size_bytes);
  w.end_object();
}

void write_process(JsonWriter& w, const ProcessSample& p) {
  w.begin_object();
  w.field("pid", p.pid);
  w.field("ppid", p.ppid);
  w.field("uid", p.uid);
  write_shared(w, "user", p.user);
  w.field("state", std::string_view(&p.state, 1));
  write_shared(w, "comm", p.comm);
  write_shared(w, "cmdline", p.cmdline);
  write_shared(w, "cgroup", p.cgroup);
  w.field("threads", p.threads);
  w.field("nice", p.nice);
  w.field("priority", p.priority);
  w.field("start_time_unix_ms", p.start_time_unix_ms);
  w.field("cpu_percent", p.cpu_percent);
  w.field("cpu_ticks_total", p.cpu_ticks_total);
  w.field("rss_bytes", p.rss_bytes);
  w.field("virtual_bytes", p.virtual_bytes);
  w.field("shared_bytes", p.shared_bytes);
  w.field("memory_percent", p.memory_percent);
  w.field("read_bytes_total", p.read_bytes_total);
  w.field("write_bytes_total", p.write_bytes_total);
  w.field("read_bytes_per_second", p.read_bytes_per_second);
  w.field("write_bytes_per_second", p.write_bytes_per_second);
  w.field("open_fds", p.open_fds);
  w.end_object();
}

void write_process_counts(JsonWriter& w, const ProcessCounts& c) {
  w.begin_object();
  w.field("total", c.total);
  w.field("running", c.running);
  w.field("sleeping", c.sleeping);
  w.field("disk_sleep", c.disk_sleep);
  w.field("zombie", c.zombie);
  w.field("stopped", c.stopped);
  w.field("idle", c.idle);
  w.field("other", c.other);
  w.field("threads", c.threads);
  w.end_object();
}

void write_interface(JsonWriter& w, const InterfaceSample& i) {
  const auto& c = i.counters;
  w.begin_object();
  w.field("name", i.name);
  w.field("operstate", i.operstate);
  w.field("mtu", i.mtu);
  w.field("speed_mbps", i.speed_mbps);
  w.field("mac_address", i.mac_address);
  w.key("addresses");
  w.begin_array();
  for (const auto& a : i.addresses) w.value(a);
  w.end_array();
  w.field("rx_bytes_total", c.rx_bytes);
  w.field("tx_bytes_total", c.tx_bytes);
  w.field("rx_packets_total", c.rx_packets);
  w.field("tx_packets_total", c.tx_packets);
  w.field("rx_errors_total", c.rx_errors);
  w.field("tx_errors_total", c.tx_errors);
  w.field("rx_dropped_total", c.rx_dropped);
  w.field("tx_dropped_total", c.tx_dropped);
  w.key("rates");
  if (i.rates) {
    const auto& r = *i.rates;
    w.begin_object();
    w.field("rx_bytes_per_second", r.rx_bytes_per_second);
    w.field("tx_bytes_per_second", r.tx_bytes_per_second);
    w.field("rx_packets_per_second", r.rx_packets_per_second);
    w.field("tx_packets_per_second", r.tx_packets_per_second);
    w.field("rx_errors_per_second", r.rx_errors_per_second);
    w.field("tx_errors_per_second", r.tx_errors_per_second);
    w.field("rx_dropped_per_second", r.rx_dropped_per_second);
    w.field("tx_dropped_per_second", r.tx_dropped_per_second);
    w.end_object();
  } else {
    w.null();
  }
  w.end_object();
}

void write_socket(JsonWriter& w, const SocketSample& e) {
  const auto& k = e.socket;
  w.begin_object();
  w.field("protocol", to_string(k.protocol));
  w.field("state", to_string(k.state));
  w.field("local_address", format_address(k.local));
  w.field("local_port", k.local.port);
  w.field("remote_address", format_address(k.remote));
  w.field("remote_port", k.remote.port);
  w.field("tx_queue_bytes", k.tx_queue);
  w.field("rx_queue_bytes", k.rx_queue);
  w.field("uid", k.uid);
  w.field("inode", k.inode);
  w.field("pid", e.pid);
  write_shared(w, "process", e.process);
  w.end_object();
}

void write_tcp_states(JsonWriter& w, const SocketsSample& s) {
  w.begin_object();
  for (std::size_t i = 1; i < s.tcp_states.size(); ++i) {
    const auto state = static_cast<TcpState>(i);
    if (state == TcpState::unknown) continue;
    const std::string_view name = to_string(state);
    if (name == "UNKNOWN") continue;
    w.field(name, s.tcp_states[i]);
  }
  w.end_object();
}

void write_disk(JsonWriter& w, const DiskSample& d) {
  const auto& c = d.counters;
  w.begin_object();
  w.field("name", d.name);
  w.field("major", d.major);
  w.field("minor", d.minor);
  w.field("partition", d.partition);
  w.field("reads_completed_total", c.reads_completed);
  w.field("writes_completed_total", c.writes_completed);
  w.field("read_bytes_total", c.sectors_read * kDiskstatsSectorBytes);
  w.field("written_bytes_total", c.sectors_written * kDiskstatsSectorBytes);
  w.field("io_time_ms_total", c.io_time_ms);
  w.field("ios_in_progress", c.ios_in_progress);
  w.key("rates");
  if (d.rates) {
    const auto& r = *d.rates;
    w.begin_object();
    w.field("reads_per_second", r.reads_per_second);
    w.field("writes_per_second", r.writes_per_second);
    w.field("read_bytes_per_second", r.read_bytes_per_second);
    w.field("write_bytes_per_second", r.write_bytes_per_second);
    w.field("utilization_percent", r.utilization_percent);
    w.field("read_await_ms", r.read_await_ms);
    w.field("write_await_ms", r.write_await_ms);
    w.field("await_ms", r.await_ms);
    w.end_object();
  } else {
    w.null();
  }
  w.end_object();
}

void write_filesystem(JsonWriter& w, const FilesystemSample& f) {
  w.begin_object();
  w.field("device", f.device);
  w.field("mount_point", f.mount_point);
  w.field("fstype", f.fstype);
  w.field("read_only", f.read_only);
  w.field("size_bytes", f.size_bytes);
  w.field("used_bytes", f.used_bytes);
  w.field("available_bytes", f.available_bytes);
  w.field("used_percent", f.used_percent);
  w.field("inodes_total", f.inodes_total);
  w.field("inodes_used", f.inodes_used);
  w.field("inodes_free", f.inodes_free);
  w.end_object();
}

void write_sensor(JsonWriter& w, const SensorSample& s) {
  w.begin_object();
  w.field("chip", s.chip);
  w.field("label", s.label);
  w.field("source", s.source);
  w.field("kind", to_string(s.kind));
  w.field(s.kind == SensorKind::fan ? "rpm" : "celsius", s.value);
  w.field("max", s.max);
  w.field("critical", s.critical);
  w.end_object();
}

void write_processes(JsonWriter& w, const ProcessesSample& x) {
  w.begin_object();
  w.key("counts");
  write_process_counts(w, x.counts);
  w.key("processes");
  w.begin_array();
  for (const auto& p : x.processes) write_process(w, p);
  w.end_array();
  w.end_object();
}

void write_network(JsonWriter& w, const NetworkSample& x) {
  w.begin_object();
  w.key("interfaces");
  w.begin_array();
  for (const auto& i : x.interfaces) write_interface(w, i);
  w.end_array();
  w.end_object();
}

void write_sockets(JsonWriter& w, const SocketsSample& x) {
  w.begin_object();
  w.key("tcp_states");
  write_tcp_states(w, x);
  w.field("udp_sockets", x.udp_sockets);
  w.key("sockets");
  w.begin_array();
  for (const auto& k : x.sockets) write_socket(w, k);
  w.end_array();
  w.end_object();
}

void write_disks(JsonWriter& w, const DisksSample& x) {
  w.begin_object();
  w.key("disks");
  w.begin_array();
  for (const auto& d : x.disks) write_disk(w, d);
  w.end_array();
  w.end_object();
}

void write_filesystems(JsonWriter& w, const FilesystemsSample& x) {
  w.begin_object();
  w.key("filesystems");
  w.begin_array();
  for (const auto& f : x.filesystems) write_filesystem(w, f);
  w.end_array();
  w.end_object();
}

void write_sensors(JsonWriter& w, const SensorsSample& x) {
  w.begin_object();
  w.key("sensors");
  w.begin_array();
  for (const auto& z : x.sensors) write_sensor(w, z);
  w.end_array();
  w.end_object();
}

void write_container(JsonWriter& w, const ContainerSample& c) {
  w.begin_object();
  w.field("id", c.id);
  w.field("name", c.name);
  w.field("kind", to_string(c.kind));
  w.key("container_id");
  c.container_id.empty() ? w.null() : w.value(c.container_id);
  w.field("depth", c.depth);
  w.field("cpu_usage_seconds_total", c.cpu_usage_seconds_total);
  w.field("cpu_percent", c.cpu_percent);
  w.field("memory_current_bytes", c.memory_current_bytes);
  w.field("memory_peak_bytes", c.memory_peak_bytes);
  w.field("memory_limit_bytes", c.memory_limit_bytes);
  w.field("io_read_bytes_total", c.io_read_bytes_total);
  w.field("io_write_bytes_total", c.io_write_bytes_total);
  w.field("io_read_bytes_per_second", c.io_read_bytes_per_second);
  w.field("io_write_bytes_per_second", c.io_write_bytes_per_second);
  w.field("pids", c.pids_current);
  w.key("pressure");
  w.begin_object();
  w.key("cpu");
  write_pressure(w, c.cpu_pressure);
  w.key("memory");
  write_pressure(w, c.memory_pressure);
  w.key("io");
  write_pressure(w, c.io_pressure);
  w.end_object();
  w.end_object();
}

void write_containers(JsonWriter& w, const ContainersSample& x) {
  w.begin_object();
  w.field("hierarchy", x.hierarchy);
  w.key("containers");
  w.begin_array();
  for (const auto& c : x.containers) write_container(w, c);
  w.end_array();
  w.end_object();
}

void write_summary(JsonWriter& w, const Snapshot& snapshot) {
  const Snapshot* s = &snapshot;
  w.begin_object();
  if (s->host_info) {
    w.field("hostname", s->host_info->hostname);
    w.field("os", s->host_info->os.pretty_name);
    w.field("kernel_release", s->host_info->kernel_release);
    w.field("architecture", s->host_info->architecture);
    w.field("cpu_model", s->host_info->cpu.model);
    w.field("cpu_threads", s->host_info->cpu.logical_cpus);
  }
  if (s->system) {
    w.field("uptime_seconds", s->system->uptime_seconds);
    w.field("boot_time_seconds", s->system->boot_time_seconds);
    w.field("load1", s->system->load.load1);
    w.field("load5", s->system->load.load5);
    w.field("load15", s->system->load.load15);
  }
  if (s->cpu) {
    w.key("cpu_percent");
    s->cpu->usage ? w.value(s->cpu->usage->busy) : w.null();
  }
  if (s->memory) {
    const auto& m = *s->memory;
    w.key("memory");
    w.begin_object();
    w.field("total_bytes", m.info.total_bytes);
    w.field("used_bytes", m.used_bytes);
    w.field("available_bytes", m.available_bytes);
    w.field("used_percent", m.used_percent);
    w.field("swap_total_bytes", m.info.swap_total_bytes);
    w.field("swap_used_bytes", m.info.swap_total_bytes - std::min(m.info.swap_total_bytes, m.info.swap_free_bytes));
    w.field("swap_used_percent", m.swap_used_percent);
    w.end_object();
  }
  if (s->processes) {
    w.key("processes");
    write_process_counts(w, s->processes->counts);
  }
  if (s->network) {
    double rx = 0, tx = 0;
    for (const auto& i : s->network->interfaces) {
      if (i.name == "lo" || !i.rates) continue;
      rx += i.rates->rx_bytes_per_second;
      tx += i.rates->tx_bytes_per_second;
    }
    w.key("network");
    w.begin_object();
    w.field("rx_bytes_per_second", rx);
    w.field("tx_bytes_per_second", tx);
    w.end_object();
  }
  if (s->disks) {
    double r = 0, wr = 0;
    for (const auto& d : s->disks->disks) {
      if (d.partition || !d.rates) continue;
      r += d.rates->read_bytes_per_second;
      wr += d.rates->write_bytes_per_second;
    }
    w.key("disks");
    w.begin_object();
    w.field("read_bytes_per_second", r);
    w.field("write_bytes_per_second", wr);
    w.end_object();
  }
  w.end_object();
}

std::string snapshot_to_json(const Snapshot& s, int indent) {
  std::string out;
  out.reserve(64 * 1024);
  JsonWriter w(out, indent);
  w.begin_object();
  w.field("host", s.host);
  w.field("sequence", s.sequence);
  w.field("timestamp_ms", s.timestamp_ms);
  write_family(w, "host_info", s.host_info, [&](const HostInfo& h) { write_host_info(w, h); });
  write_family(w, "system", s.system, [&](const SystemSample& x) { write_system(w, x); });
  write_family(w, "cpu", s.cpu, [&](const CpuSample& x) { write_cpu(w, x); });
  write_family(w, "memory", s.memory, [&](const MemorySample& x) { write_memory(w, x); });
  write_family(w, "processes", s.processes, [&](const ProcessesSample& x) { write_processes(w, x); });
  write_family(w, "network", s.network, [&](const NetworkSample& x) { write_network(w, x); });
  write_family(w, "sockets", s.sockets, [&](const SocketsSample& x) { write_sockets(w, x); });
  write_family(w, "disks", s.disks, [&](const DisksSample& x) { write_disks(w, x); });
  write_family(w, "filesystems", s.filesystems, [&](const FilesystemsSample& x) { write_filesystems(w, x); });
  write_family(w, "sensors", s.sensors, [&](const SensorsSample& x) { write_sensors(w, x); });
  write_family(w, "containers", s.containers, [&](const ContainersSample& x) { write_containers(w, x); });
  w.key("errors");
  w.begin_array();
  for (const auto& e : s.errors) {
    w.begin_object();
    w.field("family", to_string(e.family));
    w.field("detail", e.detail);
    w.end_object();
  }
  w.end_array();
  w.end_object();
  return out;
}

}  // namespace hyperion::web
