#include "hyperion/collectors/sampler.hpp"

#include <algorithm>
#include <utility>

namespace hyperion::collectors {
namespace {

constexpr std::uint64_t kU32Range = 0x1'0000'0000ULL;
constexpr std::uint64_t kU32UpperHalf = 0x8000'0000ULL;

double rate(std::uint64_t delta, double dt) { return static_cast<double>(delta) / dt; }

std::uint64_t forward(std::uint64_t previous, std::uint64_t current) {
  return current >= previous ? current - previous : 0;
}

std::optional<double> counter_rate(std::uint64_t previous, std::uint64_t current, double dt) {
  if (dt <= 0) return std::nullopt;
  const auto d = counter_delta(previous, current);
  if (!d) return std::nullopt;
  return rate(*d, dt);
}

SharedString share_if_changed(const SharedString& old, std::string_view now) {
  if (old && *old == now) return old;
  return std::make_shared<const std::string>(now);
}

}  // namespace

std::optional<std::uint64_t> counter_delta(std::uint64_t previous, std::uint64_t current) noexcept {
  if (current >= previous) return current - previous;
  if (previous < kU32Range && previous >= kU32UpperHalf) return (kU32Range - previous) + current;
  return std::nullopt;
}

std::optional<CpuUsage> cpu_usage(const CpuTimes& p, const CpuTimes& c) noexcept {
  const double user = static_cast<double>(forward(p.user_ticks, c.user_ticks));
  const double nice = static_cast<double>(forward(p.nice_ticks, c.nice_ticks));
  const double guest = static_cast<double>(forward(p.guest_ticks, c.guest_ticks));
  const double guest_nice = static_cast<double>(forward(p.guest_nice_ticks, c.guest_nice_ticks));
  CpuUsage u;
  u.user = std::max(0.0, user - guest);
  u.nice = std::max(0.0, nice - guest_nice);
  u.guest = guest;
  u.guest_nice = guest_nice;
  u.system = static_cast<double>(forward(p.system_ticks, c.system_ticks));
  u.idle = static_cast<double>(forward(p.idle_ticks, c.idle_ticks));
  u.iowait = static_cast<double>(forward(p.iowait_ticks, c.iowait_ticks));
  u.irq = static_cast<double>(forward(p.irq_ticks, c.irq_ticks));
  u.softirq = static_cast<double>(forward(p.softirq_ticks, c.softirq_ticks));
  u.steal = static_cast<double>(forward(p.steal_ticks, c.steal_ticks));
  const double total = u.user + u.nice + u.guest + u.guest_nice + u.system + u.idle + u.iowait + u.irq +
                       u.softirq + u.steal;
  if (total <= 0) return std::nullopt;
  const double busy_ticks = total - u.idle - u.iowait;
  const double scale = 100.0 / total;
  for (double* f : {&u.user, &u.nice, &u.guest, &u.guest_nice, &u.system, &u.idle, &u.iowait, &u.irq,
                    &u.softirq, &u.steal}) {
    *f *= scale;
  }
  // From the tick counts, not 100 - idle - iowait, so that an idle CPU is exactly 0.
  u.busy = busy_ticks * scale;
  return u;
}

Sampler::Sampler(std::uint32_t clock_ticks_per_second, std::uint32_t page_size_bytes)
    : ticks_per_second_(clock_ticks_per_second == 0 ? 100 : clock_ticks_per_second),
      page_size_(page_size_bytes == 0 ? 4096 : page_size_bytes) {}

CpuSample Sampler::cpu(const ProcStat& stat, double now) {
  CpuSample out;
  out.times = stat.total;
  out.context_switches = stat.context_switches;
  out.interrupts = stat.interrupts;
  out.forks = stat.forks;
  out.procs_running = stat.procs_running;
  out.procs_blocked = stat.procs_blocked;
  out.cores.reserve(stat.cpus.size());
  const double dt = now - cpu_.t;
  const bool have_prev = cpu_.valid && dt > 0;
  if (have_prev) {
    out.usage = cpu_usage(cpu_.total, stat.total);
    out.context_switches_per_second = counter_rate(cpu_.context_switches, stat.context_switches, dt);
    out.interrupts_per_second = counter_rate(cpu_.interrupts, stat.interrupts, dt);
    out.forks_per_second = counter_rate(cpu_.forks, stat.forks, dt);
  }
  std::unordered_map<std::uint32_t, CpuTimes> cores;
  cores.reserve(stat.cpus.size());
  for (const auto& line : stat.cpus) {
    CpuCoreSample core{line.cpu, line.times, std::nullopt};
    if (have_prev) {
      // A CPU that just came online (hot-plug) has no previous reading: no usage yet.
      if (const auto it = cpu_.cores.find(line.cpu); it != cpu_.cores.end()) {
        core.usage = cpu_usage(it->second, line.times);
      }
    }
    out.cores.push_back(core);
    cores.emplace(line.cpu, line.times);
  }
  cpu_.total = stat.total;
  cpu_.cores = std::move(cores);
  cpu_.context_switches = stat.context_switches;
  cpu_.interrupts = stat.interrupts;
  cpu_.forks = stat.forks;
  cpu_.t = now;
  cpu_.valid = true;
  return out;
}

NetworkSample Sampler::network(std::vector<NetDev> devices, double now) {
  NetworkSample out;
  out.interfaces.reserve(devices.size());
  std::unordered_map<std::string, CounterPrev> next;
  next.reserve(devices.size());
  for (auto& dev : devices) {
    InterfaceSample s;
    s.counters = dev.counters;
    if (const auto it = net_.find(dev.name); it != net_.end()) {
      const double dt = now - it->second.t;
      const auto& p = it->second.net;
      const auto& c = dev.counters;
      const auto rx_b = counter_rate(p.rx_bytes, c.rx_bytes, dt);
      const auto tx_b = counter_rate(p.tx_bytes, c.tx_bytes, dt);
      const auto rx_p = counter_rate(p.rx_packets, c.rx_packets, dt);
      const auto tx_p = counter_rate(p.tx_packets, c.tx_packets, dt);
      if (rx_b && tx_b && rx_p && tx_p) {
        NetRates r;
        r.rx_bytes_per_second = *rx_b;
        r.tx_bytes_per_second = *tx_b;
        r.rx_packets_per_second = *rx_p;
        r.tx_packets_per_second = *tx_p;
        r.rx_errors_per_second = counter_rate(p.rx_errors, c.rx_errors, dt).value_or(0);
        r.tx_errors_per_second = counter_rate(p.tx_errors, c.tx_errors, dt).value_or(0);
        r.rx_dropped_per_second = counter_rate(p.rx_dropped, c.rx_dropped, dt).value_or(0);
        r.tx_dropped_per_second = counter_rate(p.tx_dropped, c.tx_dropped, dt).value_or(0);
        s.rates = r;
      }
    }
    CounterPrev prev;
    prev.t = now;
    prev.net = dev.counters;
    next.emplace(dev.name, prev);
    s.name = std::move(dev.name);
    out.interfaces.push_back(std::move(s));
  }
  net_ = std::move(next);  // interfaces that went away are forgotten
  return out;
}

DisksSample Sampler::disks(std::vector<DiskStat> stats, double now) {
  DisksSample out;
  out.disks.reserve(stats.size());
  std::unordered_map<std::string, CounterPrev> next;
  next.reserve(stats.size());
  for (auto& d : stats) {
    DiskSample s;
    s.major = d.major;
    s.minor = d.minor;
    s.counters = d.counters;
    if (const auto it = disk_.find(d.name); it != disk_.end() && now > it->second.t) {
      const double dt = now - it->second.t;
      const auto& p = it->second.disk;
      const auto& c = d.counters;
      const auto reads = counter_delta(p.reads_completed, c.reads_completed);
      const auto writes = counter_delta(p.writes_completed, c.writes_completed);
      const auto rsec = counter_delta(p.sectors_read, c.sectors_read);
      const auto wsec = counter_delta(p.sectors_written, c.sectors_written);
      const auto busy = counter_delta(p.io_time_ms, c.io_time_ms);
      const auto rtime = counter_delta(p.read_time_ms, c.read_time_ms);
      const auto wtime = counter_delta(p.write_time_ms, c.write_time_ms);
      if (reads && writes && rsec && wsec && busy) {
        DiskRates r;
        r.reads_per_second = rate(*reads, dt);
        r.writes_per_second = rate(*writes, dt);
        r.read_bytes_per_second = rate(*rsec * kDiskstatsSectorBytes, dt);
        r.write_bytes_per_second = rate(*wsec * kDiskstatsSectorBytes, dt);
        r.utilization_percent = std::min(100.0, static_cast<double>(*busy) / (dt * 10.0));
        if (rtime && *reads > 0) r.read_await_ms = static_cast<double>(*rtime) / static_cast<double>(*reads);
        if (wtime && *writes > 0) r.write_await_ms = static_cast<double>(*wtime) / static_cast<double>(*writes);
        if (rtime && wtime && *reads + *writes > 0) {
          r.await_ms = static_cast<double>(*rtime + *wtime) / static_cast<double>(*reads + *writes);
        }
        s.rates = r;
      }
    }
    CounterPrev prev;
    prev.t = now;
    prev.disk = d.counters;
    next.emplace(d.name, prev);
    s.name = std::move(d.name);
    out.disks.push_back(std::move(s));
  }
  disk_ = std::move(next);
  return out;
}

void Sampler::begin_processes(double now, std::uint64_t mem_total_bytes, std::uint64_t boot_time_seconds,
                              std::size_t expected_count) {
  building_ = ProcessesSample{};
  building_.processes.reserve(expected_count);
  proc_now_ = now;
  ++proc_tick_;
  mem_total_ = mem_total_bytes;
  boot_time_ = boot_time_seconds;
}

void Sampler::add_process(const ProcessInput& in) {
  const PidStat& st = *in.stat;
  auto [it, inserted] = procs_.try_emplace(st.pid);
  ProcPrev& prev = it->second;
  // A PID seen before with another start time is a new process that reused the PID.
  const bool reused = !inserted && prev.start_time_ticks != st.start_time_ticks;
  const bool fresh = inserted || reused || in.is_new;
  const std::uint64_t cpu_ticks = st.utime_ticks + st.stime_ticks;

  ProcessSample s;
  s.pid = st.pid;
  s.ppid = st.ppid;
  s.uid = in.uid;
  s.user = in.user;
  s.state = st.state;
  s.threads = static_cast<std::int32_t>(std::clamp<std::int64_t>(st.num_threads, 0, INT32_MAX));
  s.nice = static_cast<std::int32_t>(std::clamp<std::int64_t>(st.nice, -20, 19));
  s.priority = static_cast<std::int32_t>(std::clamp<std::int64_t>(st.priority, INT32_MIN, INT32_MAX));
  s.start_time_ticks = st.start_time_ticks;
  s.start_time_unix_ms = static_cast<std::int64_t>(boot_time_ * 1000 + st.start_time_ticks * 1000 / ticks_per_second_);
  s.cpu_ticks_total = cpu_ticks;
  s.virtual_bytes = st.vsize_bytes;
  s.rss_bytes = st.rss_pages * page_size_;
  if (in.statm) {
    s.rss_bytes = in.statm->resident_pages * page_size_;
    s.shared_bytes = in.statm->shared_pages * page_size_;
  }
  if (mem_total_ > 0) s.memory_percent = 100.0 * static_cast<double>(s.rss_bytes) / static_cast<double>(mem_total_);
  s.open_fds = in.open_fds;
  if (in.io) {
    s.read_bytes_total = in.io->read_bytes;
    s.write_bytes_total = in.io->write_bytes;
  }

  if (fresh) {
    prev = ProcPrev{};
    prev.start_time_ticks = st.start_time_ticks;
    prev.cmdline = std::make_shared<const std::string>(in.cmdline);
    prev.cgroup = std::make_shared<const std::string>(in.cgroup);
  } else {
    const double dt = proc_now_ - prev.t;
    if (dt > 0) {
      const double ticks = static_cast<double>(forward(prev.cpu_ticks, cpu_ticks));
      s.cpu_percent = 100.0 * ticks / (dt * static_cast<double>(ticks_per_second_));
      if (in.io && prev.read_bytes && prev.write_bytes) {
        s.read_bytes_per_second = rate(forward(*prev.read_bytes, in.io->read_bytes), dt);
        s.write_bytes_per_second = rate(forward(*prev.write_bytes, in.io->write_bytes), dt);
      }
    }
  }
  // comm changes (prctl PR_SET_NAME, exec, kworker renames): allocate only then.
  prev.comm = share_if_changed(prev.comm, st.comm);
  prev.cpu_ticks = cpu_ticks;
  prev.read_bytes = s.read_bytes_total;
  prev.write_bytes = s.write_bytes_total;
  prev.t = proc_now_;
  prev.seen = proc_tick_;
  s.comm = prev.comm;
  s.cmdline = prev.cmdline;
  s.cgroup = prev.cgroup;
  prev.last = s;
  count_and_add(std::move(s));
}

bool Sampler::add_unchanged(std::int32_t pid, const SharedString& user) {
  const auto it = procs_.find(pid);
  if (it == procs_.end() || it->second.seen + 1 != proc_tick_) return false;  // not in the last tick
  ProcPrev& prev = it->second;
  ProcessSample s = prev.last;
  s.user = user;
  // No CPU time and no I/O since the last tick: the rates are zero, the totals as they were.
  s.cpu_percent = 0;
  if (s.read_bytes_per_second) s.read_bytes_per_second = 0.0;
  if (s.write_bytes_per_second) s.write_bytes_per_second = 0.0;
  prev.t = proc_now_;
  prev.seen = proc_tick_;
  prev.last.cpu_percent = 0;
  prev.last.read_bytes_per_second = s.read_bytes_per_second;
  prev.last.write_bytes_per_second = s.write_bytes_per_second;
  count_and_add(std::move(s));
  return true;
}

void Sampler::count_and_add(ProcessSample s) {
  auto& c = building_.counts;
  ++c.total;
  c.threads += static_cast<std::uint64_t>(s.threads);
  switch (s.state) {
    case 'R': ++c.running; break;
    case 'S': ++c.sleeping; break;
    case 'D': ++c.disk_sleep; break;
    case 'Z': ++c.zombie; break;
    case 'T': case 't': ++c.stopped; break;
    case 'I': ++c.idle; break;
    default: ++c.other; break;
  }
  building_.processes.push_back(std::move(s));
}

ProcessesSample Sampler::end_processes() {
  // Forget processes that were not seen in this tick (they exited).
  std::erase_if(procs_, [this](const auto& kv) { return kv.second.seen != proc_tick_; });
  std::sort(building_.processes.begin(), building_.processes.end(),
            [](const ProcessSample& a, const ProcessSample& b) { return a.pid < b.pid; });
  return std::move(building_);
}

}  // namespace hyperion::collectors
