#include "hyperion/collectors/collector.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>

#include "hyperion/collectors/proc_loadavg.hpp"
#include "hyperion/collectors/proc_pid_cgroup.hpp"
#include "hyperion/collectors/proc_pid_cmdline.hpp"
#include "hyperion/collectors/proc_self_mountinfo.hpp"
#include "hyperion/collectors/proc_uptime.hpp"
#include "hyperion/collectors/sys_class_net.hpp"
#include "hyperion/collectors/sys_hwmon.hpp"
#include "hyperion/collectors/text.hpp"
#include "hyperion/collectors/timed_statvfs.hpp"

namespace hyperion::collectors {

const char* to_string(SensorKind k) noexcept { return k == SensorKind::fan ? "fan" : "temperature"; }

// Parses each process the source hands over and feeds the sampler, without copying
// the raw text. Unparseable processes are counted, not fatal.
class Collector::ProcessFeeder final : public ProcessVisitor {
 public:
  explicit ProcessFeeder(Collector& c) : c_(c) {}
  void on_process(const RawProcess& raw) override {
    if (raw.unchanged && !raw.is_new && c_.sampler_.add_unchanged(raw.pid, c_.user_name(raw.uid))) return;
    const auto stat = parse_proc_pid_stat(raw.stat);
    if (!stat) {
      ++malformed;
      return;
    }
    ProcessInput in;
    in.stat = &*stat;
    const auto statm = raw.statm.empty() ? Result<PidStatm>(Error{Errc::empty, ""}) : parse_proc_pid_statm(raw.statm);
    if (statm) in.statm = &*statm;
    const auto io = raw.io.empty() ? Result<PidIo>(Error{Errc::empty, ""}) : parse_proc_pid_io(raw.io);
    if (io) in.io = &*io;
    in.uid = raw.uid;
    in.user = c_.user_name(raw.uid);
    in.open_fds = raw.open_fds;
    in.is_new = raw.is_new;
    if (raw.has_strings) {
      cmdline_ = parse_proc_pid_cmdline(raw.cmdline);
      in.cmdline = cmdline_;
      const auto cg = parse_proc_pid_cgroup(raw.cgroup);
      cgroup_ = cg ? cg->path : std::string();
      in.cgroup = cgroup_;
    }
    c_.sampler_.add_process(in);
  }
  std::size_t malformed = 0;

 private:
  Collector& c_;
  std::string cmdline_, cgroup_;
};

Collector::Collector(Source& source, std::string host, CollectorSettings options)
    : source_(source),
      host_(std::move(host)),
      options_(std::move(options)),
      sampler_(source_.clock_ticks_per_second(), source_.page_size_bytes()),
      cgroups_(options_.cgroups) {
  auto first = std::make_shared<Snapshot>();
  first->host = host_;
  latest_ = std::move(first);
}

void Collector::fail(Snapshot& s, Family f, std::string detail) {
  s.errors.push_back({f, std::move(detail)});
}

std::shared_ptr<const Snapshot> Collector::collect(FamilySet families, double now, std::int64_t wall_ms) {
  auto s = std::make_shared<Snapshot>(*latest_);  // shares every family's pointer
  s->errors.clear();
  s->host = host_;
  const auto want = [&](Family f) { return families.test(static_cast<std::size_t>(f)); };
  // Each family is timed for the daemon's own metrics (hyperion_collection_duration_seconds).
  const auto timed = [&](Family f, auto&& step) {
    const auto start = std::chrono::steady_clock::now();
    step();
    durations_[static_cast<std::size_t>(f)] =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  };
  source_.begin_tick(families);
  // Order matters: cpu gives the boot time, memory the total, processes the names sockets use.
  if (want(Family::host) || !s->host_info) timed(Family::host, [&] { collect_host(*s, now); });
  if (want(Family::system)) timed(Family::system, [&] { collect_system(*s); });
  if (want(Family::cpu)) timed(Family::cpu, [&] { collect_cpu(*s, now); });
  if (want(Family::memory)) timed(Family::memory, [&] { collect_memory(*s); });
  if (want(Family::processes)) timed(Family::processes, [&] { collect_processes(*s, now); });
  if (want(Family::network)) timed(Family::network, [&] { collect_network(*s, now); });
  if (want(Family::sockets)) timed(Family::sockets, [&] { collect_sockets(*s); });
  if (want(Family::disks)) timed(Family::disks, [&] { collect_disks(*s, now); });
  if (want(Family::filesystems)) timed(Family::filesystems, [&] { collect_filesystems(*s); });
  if (want(Family::sensors)) timed(Family::sensors, [&] { collect_sensors(*s); });
  if (want(Family::containers)) timed(Family::containers, [&] { collect_containers(*s, now); });
  source_.end_tick();
  s->sequence = ++sequence_;
  s->timestamp_ms = wall_ms;
  latest_ = std::move(s);
  return latest_;
}

void Collector::read_hardware(double now) {
  cpu_info_ = source_.read_proc("cpuinfo", buf_) ? parse_proc_cpuinfo(buf_) : CpuInfo{};
  std::string vendor, product, bios, hv, environ1, cgroup1, clocksource, fadt, release;
  source_.read_sys("class/dmi/id/sys_vendor", vendor);
  source_.read_sys("class/dmi/id/product_name", product);
  source_.read_sys("class/dmi/id/bios_vendor", bios);
  source_.read_sys("hypervisor/type", hv);
  source_.read_proc("1/environ", environ1);
  source_.read_proc("1/cgroup", cgroup1);
  source_.read_sys("devices/system/clocksource/clocksource0/available_clocksource", clocksource);
  source_.read_sys("firmware/acpi/tables/FACP", fadt);  // root only
  if (source_.read_proc("sys/kernel/osrelease", release)) release = text::trim(release);
  VirtualizationEvidence ev;
  ev.dmi_sys_vendor = vendor;
  ev.dmi_product_name = product;
  ev.dmi_bios_vendor = bios;
  ev.hypervisor_type = hv;
  ev.cpuinfo_hypervisor_flag = cpu_info_.hypervisor_flag;
  ev.pid1_environ = environ1;
  ev.pid1_cgroup = cgroup1;
  ev.dockerenv_exists = source_.exists_root(".dockerenv");
  ev.containerenv_exists = source_.exists_root("run/.containerenv");
  ev.wsl_osrelease = release;
  ev.clocksource_available = clocksource;
  ev.acpi_fadt = fadt;
  virtualization_ = detect_virtualization(ev);
  hardware_read_at_ = now;
  have_hardware_ = true;
}

bool Collector::collect_host(Snapshot& s, double now) {
  auto h = std::make_shared<HostInfo>();
  if (source_.read_proc("sys/kernel/hostname", buf_)) h->hostname = text::trim(buf_);
  if (source_.read_proc("sys/kernel/osrelease", buf_)) h->kernel_release = text::trim(buf_);
  if (source_.read_proc("sys/kernel/version", buf_)) h->kernel_version = text::trim(buf_);
  h->architecture = source_.architecture();
  if (source_.read_root("etc/os-release", buf_) || source_.read_root("usr/lib/os-release", buf_)) {
    h->os = parse_os_release(buf_);
  } else {
    h->os = parse_os_release("");
  }
  // CPU hotplug changes the online list: read the hardware again at once.
  if (!source_.read_sys("devices/system/cpu/online", buf_)) buf_.clear();
  if (!have_hardware_ || buf_ != online_cpus_ || now - hardware_read_at_ >= kHardwareRefreshSeconds ||
      now < hardware_read_at_) {
    online_cpus_ = buf_;
    read_hardware(now);
  }
  h->cpu = cpu_info_;
  h->virtualization = virtualization_;

  if (source_.read_proc("stat", buf_)) {
    if (const auto st = parse_proc_stat(buf_)) boot_time_seconds_ = st->boot_time_seconds;
  }
  h->boot_time_seconds = boot_time_seconds_;
  h->clock_ticks_per_second = source_.clock_ticks_per_second();
  h->page_size_bytes = source_.page_size_bytes();
  if (h->hostname.empty()) fail(s, Family::host, "cannot read the host name");
  s.host_info = std::move(h);
  return true;
}

bool Collector::collect_system(Snapshot& s) {
  auto sys = std::make_shared<SystemSample>();
  if (!source_.read_proc("loadavg", buf_)) return fail(s, Family::system, "cannot read loadavg"), false;
  const auto load = parse_proc_loadavg(buf_);
  if (!load) return fail(s, Family::system, "loadavg: " + load.error().detail), false;
  sys->load = *load;
  if (!source_.read_proc("uptime", buf_)) return fail(s, Family::system, "cannot read uptime"), false;
  const auto up = parse_proc_uptime(buf_);
  if (!up) return fail(s, Family::system, "uptime: " + up.error().detail), false;
  sys->uptime_seconds = up->uptime_seconds;
  sys->boot_time_seconds = boot_time_seconds_;
  // No /proc/pressure on kernels before 4.20 or without CONFIG_PSI (or psi=0): leave nullopt.
  const auto pressure = [&](std::string_view file, std::optional<Pressure>& out) {
    if (!source_.read_proc(file, buf_)) return;
    if (auto p = parse_proc_pressure(buf_)) {
      out = *p;
    } else {
      fail(s, Family::system, fmt::format("{}: {}", file, p.error().detail));
    }
  };
  pressure("pressure/cpu", sys->cpu_pressure);
  pressure("pressure/memory", sys->memory_pressure);
  pressure("pressure/io", sys->io_pressure);
  s.system = std::move(sys);
  return true;
}

bool Collector::collect_cpu(Snapshot& s, double now) {
  if (!source_.read_proc("stat", buf_)) return fail(s, Family::cpu, "cannot read stat"), false;
  const auto st = parse_proc_stat(buf_);
  if (!st) return fail(s, Family::cpu, "stat: " + st.error().detail), false;
  boot_time_seconds_ = st->boot_time_seconds;
  s.cpu = std::make_shared<CpuSample>(sampler_.cpu(*st, now));
  return true;
}

bool Collector::collect_memory(Snapshot& s) {
  if (!source_.read_proc("meminfo", buf_)) return fail(s, Family::memory, "cannot read meminfo"), false;
  const auto mi = parse_proc_meminfo(buf_);
  if (!mi) return fail(s, Family::memory, "meminfo: " + mi.error().detail), false;
  auto m = std::make_shared<MemorySample>();
  m->info = *mi;
  m->available_bytes = mi->available_or_estimate();
  m->used_bytes = mi->total_bytes - std::min(mi->total_bytes, m->available_bytes);
  if (mi->total_bytes > 0) {
    m->used_percent = 100.0 * static_cast<double>(m->used_bytes) / static_cast<double>(mi->total_bytes);
  }
  if (mi->swap_total_bytes > 0) {
    m->swap_used_percent = 100.0 * static_cast<double>(mi->swap_total_bytes - std::min(mi->swap_total_bytes, mi->swap_free_bytes)) /
                           static_cast<double>(mi->swap_total_bytes);
  }
  mem_total_bytes_ = mi->total_bytes;
  s.memory = std::move(m);
  return true;
}

void Collector::reload_users_if_changed() {
  const auto mtime = source_.mtime_root("etc/passwd");
  if (mtime == passwd_mtime_) return;
  passwd_mtime_ = mtime;
  users_.clear();
  if (!source_.read_root("etc/passwd", buf_)) return;
  for (auto& [uid, name] : parse_etc_passwd(buf_)) {
    users_.emplace(uid, std::make_shared<const std::string>(std::move(name)));
  }
}

const SharedString& Collector::user_name(std::uint32_t uid) {
  auto it = users_.find(uid);
  if (it == users_.end()) {
    // Not in /etc/passwd (LDAP, SSSD, a container's own users): show the number.
    it = users_.emplace(uid, std::make_shared<const std::string>(std::to_string(uid))).first;
  }
  return it->second;
}

bool Collector::collect_processes(Snapshot& s, double now) {
  if (boot_time_seconds_ == 0 && source_.read_proc("stat", buf_)) {
    if (const auto st = parse_proc_stat(buf_)) boot_time_seconds_ = st->boot_time_seconds;
  }
  if (mem_total_bytes_ == 0 && source_.read_proc("meminfo", buf_)) {
    if (const auto mi = parse_proc_meminfo(buf_)) mem_total_bytes_ = mi->total_bytes;
  }
  reload_users_if_changed();
  sampler_.begin_processes(now, mem_total_bytes_, boot_time_seconds_, sampler_.tracked_processes() + 64);
  ProcessFeeder feeder(*this);
  const auto visited = source_.for_each_process(feeder);
  auto sample = sampler_.end_processes();
  if (visited == 0) return fail(s, Family::processes, "no process could be read"), false;
  if (feeder.malformed > 0) {
    fail(s, Family::processes, fmt::format("{} processes had an unparseable stat line", feeder.malformed));
  }
  s.processes = std::make_shared<ProcessesSample>(std::move(sample));
  return true;
}

bool Collector::collect_network(Snapshot& s, double now) {
  if (!source_.read_proc("net/dev", buf_)) return fail(s, Family::network, "cannot read net/dev"), false;
  auto devs = parse_proc_net_dev(buf_);
  if (!devs) return fail(s, Family::network, "net/dev: " + devs.error().detail), false;
  auto net = std::make_shared<NetworkSample>(sampler_.network(std::move(*devs), now));
  const auto addresses = source_.interface_addresses();
  for (auto& iface : net->interfaces) {
    const std::string dir = "class/net/" + iface.name + "/";
    if (source_.read_sys(dir + "mtu", buf_)) iface.mtu = parse_sysfs_u64(buf_);
    iface.operstate = source_.read_sys(dir + "operstate", buf_) ? std::string(parse_sysfs_net_operstate(buf_))
                                                                  : std::string("unknown");
    // Reading "speed" fails with EINVAL on links that are down or have no speed.
    if (source_.read_sys(dir + "speed", buf_)) iface.speed_mbps = parse_sysfs_net_speed(buf_);
    if (source_.read_sys(dir + "address", buf_)) iface.mac_address = text::trim(buf_);
    for (const auto& a : addresses) {
      if (a.interface == iface.name) iface.addresses.push_back(a.address);
    }
  }
  s.network = std::move(net);
  return true;
}

bool Collector::collect_sockets(Snapshot& s) {
  auto out = std::make_shared<SocketsSample>();
  bool any = false;
  // The kernel's tables over netlink when the source can (much cheaper than /proc/net/tcp,
  // which walks the whole established hash); else the /proc/net files.
  std::string diag_error;
  if (source_.read_sockets(sockets_buf_, &diag_error)) {
    any = true;
    out->sockets.reserve(sockets_buf_.size());
    for (const auto& sock : sockets_buf_) out->sockets.push_back(SocketSample{sock, std::nullopt, nullptr});
  } else {
    struct File {
      const char* path;
      SocketProtocol protocol;
    };
    for (const File f : {File{"net/tcp", SocketProtocol::tcp}, File{"net/tcp6", SocketProtocol::tcp6},
                         File{"net/udp", SocketProtocol::udp}, File{"net/udp6", SocketProtocol::udp6}}) {
      // tcp6/udp6 are absent when IPv6 is disabled (ipv6.disable=1): not an error.
      if (!source_.read_proc(f.path, buf_)) continue;
      auto parsed = parse_proc_net_sockets(buf_, f.protocol);
      if (!parsed) {
        fail(s, Family::sockets, fmt::format("{}: {}", f.path, parsed.error().detail));
        continue;
      }
      any = true;
      for (const auto& sock : *parsed) {
        out->sockets.push_back(SocketSample{sock, std::nullopt, nullptr});
      }
    }
  }
  if (!any) return fail(s, Family::sockets, "no socket table could be read"), false;
  socket_inodes_.clear();
  for (const auto& entry : out->sockets) {
    if (entry.socket.inode != 0) socket_inodes_.push_back(entry.socket.inode);
  }
  std::sort(socket_inodes_.begin(), socket_inodes_.end());
  source_.socket_owners(socket_inodes_, socket_owners_);
  // Owner names come from the latest process list, sorted by pid (no extra /proc reads).
  const auto comm_of = [&](std::int32_t pid) -> SharedString {
    if (!s.processes) return nullptr;
    const auto& list = s.processes->processes;
    const auto it = std::lower_bound(list.begin(), list.end(), pid,
                                     [](const ProcessSample& p, std::int32_t key) { return p.pid < key; });
    return it != list.end() && it->pid == pid ? it->comm : nullptr;
  };
  for (auto& entry : out->sockets) {
    const auto& sock = entry.socket;
    if (sock.protocol == SocketProtocol::tcp || sock.protocol == SocketProtocol::tcp6) {
      const auto idx = static_cast<std::size_t>(sock.state);
      if (idx < out->tcp_states.size()) ++out->tcp_states[idx];
    } else {
      ++out->udp_sockets;
    }
    if (sock.inode == 0) continue;
    entry.pid = find_socket_owner(socket_owners_, sock.inode);
    if (entry.pid) entry.process = comm_of(*entry.pid);
  }
  s.sockets = std::move(out);
  return true;
}

bool Collector::collect_disks(Snapshot& s, double now) {
  if (!source_.read_proc("diskstats", buf_)) return fail(s, Family::disks, "cannot read diskstats"), false;
  auto stats = parse_proc_diskstats(buf_);
  if (!stats) return fail(s, Family::disks, "diskstats: " + stats.error().detail), false;
  if (!options_.include_idle_virtual_disks) {
    std::erase_if(*stats, [](const DiskStat& d) { return is_idle_virtual_disk(d); });
  }
  auto disks = std::make_shared<DisksSample>(sampler_.disks(std::move(*stats), now));
  for (auto& d : disks->disks) {
    // Partitions have a "partition" attribute in sysfs (2.6.28+); whole disks do not.
    d.partition = source_.exists_sys("class/block/" + d.name + "/partition");
  }
  s.disks = std::move(disks);
  return true;
}

bool Collector::collect_filesystems(Snapshot& s) {
  if (!source_.read_proc("self/mountinfo", buf_)) {
    return fail(s, Family::filesystems, "cannot read self/mountinfo"), false;
  }
  auto mounts = parse_proc_self_mountinfo(buf_);
  if (!mounts) return fail(s, Family::filesystems, "mountinfo: " + mounts.error().detail), false;
  auto out = std::make_shared<FilesystemsSample>();
  std::size_t hung = 0;
  std::string hung_example;
  // One row per filesystem, as df shows it (the rule is at the top of proc_self_mountinfo.cpp).
  for (const auto& m : drop_hidden_mounts(std::move(*mounts))) {
    if (!options_.include_pseudo_filesystems && is_pseudo_filesystem(m.fstype)) continue;
    FilesystemUsage u;
    bool timed_out = false;
    if (!source_.filesystem_usage(m.mount_point, u, is_network_filesystem(m.fstype), &timed_out)) {
      // EACCES, a stale NFS handle, or a server that does not answer: skip this mount.
      if (timed_out && hung++ == 0) hung_example = m.mount_point;
      continue;
    }
    if (!options_.include_pseudo_filesystems && u.size_bytes == 0) continue;
    FilesystemSample fs;
    fs.device = m.source;
    fs.mount_point = m.mount_point;
    fs.fstype = m.fstype;
    fs.read_only = m.read_only();
    fs.size_bytes = u.size_bytes;
    fs.used_bytes = u.size_bytes - std::min(u.size_bytes, u.free_bytes);
    fs.available_bytes = u.available_bytes;
    const auto denom = fs.used_bytes + fs.available_bytes;
    fs.used_percent = denom ? 100.0 * static_cast<double>(fs.used_bytes) / static_cast<double>(denom) : 0.0;
    fs.inodes_total = u.inodes_total;
    fs.inodes_free = u.inodes_free;
    fs.inodes_used = u.inodes_total - std::min(u.inodes_total, u.inodes_free);
    out->filesystems.push_back(std::move(fs));
  }
  if (hung > 0) {
    fail(s, Family::filesystems,
         fmt::format("{} network filesystem(s) did not answer statvfs within 1 s (e.g. {}); skipped", hung,
                     hung_example));
  }
  s.filesystems = std::move(out);
  return true;
}

bool Collector::collect_containers(Snapshot& s, double now) {
  auto out = std::make_shared<ContainersSample>();
  std::string error;
  // No hierarchy at all (a tree without sys/fs/cgroup) is an empty list with hierarchy "none",
  // not an error; a cut at max_groups or a file that did not parse is.
  const bool found = cgroups_.read(source_, now, *out, &error);
  if (found && !error.empty()) fail(s, Family::containers, error);
  s.containers = std::move(out);
  return found;
}

bool Collector::collect_sensors(Snapshot& s) {
  auto out = std::make_shared<SensorsSample>();
  for (const auto& hw : source_.list_sys("class/hwmon")) {
    std::string dir = "class/hwmon/" + hw + "/";
    std::string chip = source_.read_sys(dir + "name", buf_) ? std::string(text::trim(buf_)) : hw;
    auto files = source_.list_sys(dir);
    // Drivers before Linux 3.x put the attributes in hwmonN/device/.
    const bool has_inputs = std::any_of(files.begin(), files.end(), [](const std::string& f) {
      return f.ends_with("_input");
    });
    if (!has_inputs) {
      dir += "device/";
      files = source_.list_sys(dir);
    }
    for (const auto& f : files) {
      const auto attr = parse_hwmon_attribute_name(f);
      if (!attr || attr->item != "input" || (attr->kind != "temp" && attr->kind != "fan")) continue;
      const std::string prefix = fmt::format("{}{}_", attr->kind, attr->index);
      if (!source_.read_sys(dir + f, buf_)) continue;
      SensorSample sensor;
      sensor.chip = chip;
      sensor.source = "hwmon";
      if (attr->kind == "temp") {
        const auto v = parse_millidegrees(buf_);
        if (!v) continue;
        sensor.kind = SensorKind::temperature;
        sensor.value = *v;
        if (source_.read_sys(dir + prefix + "max", buf_)) sensor.max = parse_millidegrees(buf_);
        if (source_.read_sys(dir + prefix + "crit", buf_)) sensor.critical = parse_millidegrees(buf_);
      } else {
        const auto v = parse_fan_rpm(buf_);
        if (!v) continue;
        sensor.kind = SensorKind::fan;
        sensor.value = static_cast<double>(*v);
      }
      if (source_.read_sys(dir + prefix + "label", buf_)) sensor.label = parse_sysfs_label(buf_);
      if (sensor.label.empty()) sensor.label = fmt::format("{}{}", attr->kind, attr->index);
      out->sensors.push_back(std::move(sensor));
    }
  }
  for (const auto& zone : source_.list_sys("class/thermal")) {
    if (!zone.starts_with("thermal_zone")) continue;
    const std::string dir = "class/thermal/" + zone + "/";
    if (!source_.read_sys(dir + "temp", buf_)) continue;  // some zones fail with ENODATA
    const auto v = parse_millidegrees(buf_);
    if (!v) continue;
    SensorSample sensor;
    sensor.chip = source_.read_sys(dir + "type", buf_) ? std::string(text::trim(buf_)) : zone;
    sensor.label = zone;
    sensor.source = "thermal";
    sensor.kind = SensorKind::temperature;
    sensor.value = *v;
    out->sensors.push_back(std::move(sensor));
  }
  s.sensors = std::move(out);
  return true;
}

}  // namespace hyperion::collectors
