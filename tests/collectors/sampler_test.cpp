#include "hyperion/collectors/sampler.hpp"

#include <catch2/catch.hpp>

#include "fixture.hpp"
#include "hyperion/collectors/proc_net_dev.hpp"

using namespace hyperion::collectors;

namespace {

NetDev dev(std::string name, std::uint64_t rx_bytes, std::uint64_t tx_bytes, std::uint64_t packets = 0) {
  NetDev d;
  d.name = std::move(name);
  d.counters.rx_bytes = rx_bytes;
  d.counters.tx_bytes = tx_bytes;
  d.counters.rx_packets = packets;
  d.counters.tx_packets = packets;
  return d;
}

ProcStat stat_with(std::initializer_list<std::pair<std::uint32_t, CpuTimes>> cpus, std::uint64_t ctxt = 0) {
  ProcStat s;
  for (const auto& [id, t] : cpus) {
    s.cpus.push_back({id, t});
    s.total.user_ticks += t.user_ticks;
    s.total.system_ticks += t.system_ticks;
    s.total.idle_ticks += t.idle_ticks;
  }
  s.context_switches = ctxt;
  return s;
}

CpuTimes times(std::uint64_t user, std::uint64_t system, std::uint64_t idle) {
  CpuTimes t;
  t.user_ticks = user;
  t.system_ticks = system;
  t.idle_ticks = idle;
  return t;
}

struct Proc {
  PidStat stat;
  PidStatm statm;
  PidIo io;
};

Proc proc(std::int32_t pid, std::uint64_t start, std::uint64_t cpu_ticks, std::uint64_t read_bytes = 0) {
  Proc p;
  p.stat.pid = pid;
  p.stat.comm = "worker";
  p.stat.state = 'S';
  p.stat.ppid = 1;
  p.stat.num_threads = 1;
  p.stat.start_time_ticks = start;
  p.stat.utime_ticks = cpu_ticks;
  p.statm.resident_pages = 256;  // 1 MiB with 4 KiB pages
  p.io.read_bytes = read_bytes;
  return p;
}

void add(Sampler& s, const Proc& p, bool is_new = false, std::string_view cmdline = "worker --flag") {
  ProcessInput in;
  in.stat = &p.stat;
  in.statm = &p.statm;
  in.io = &p.io;
  in.is_new = is_new;
  in.cmdline = cmdline;
  in.cgroup = "/system.slice/worker.service";
  s.add_process(in);
}

const ProcessSample* find(const ProcessesSample& ps, std::int32_t pid) {
  for (const auto& p : ps.processes) {
    if (p.pid == pid) return &p;
  }
  return nullptr;
}

}  // namespace

TEST_CASE("counter_delta: forward, 32-bit wrap and reset", "[collectors][sampler]") {
  CHECK(counter_delta(100, 150) == 50u);
  CHECK(counter_delta(7, 7) == 0u);
  // A 32-bit counter that wrapped: previous near the top of the range.
  CHECK(counter_delta(0xFFFF'FF00ULL, 0x10ULL) == 0x110u);
  // Went backwards from low in the 32-bit range: a reset, not a wrap.
  CHECK_FALSE(counter_delta(5000, 10).has_value());
  // A 64-bit counter going backwards is always a reset.
  CHECK_FALSE(counter_delta(0x1'0000'0005ULL, 3).has_value());
}

TEST_CASE("cpu_usage: shares sum to 100 and guest is not counted twice", "[collectors][sampler]") {
  CpuTimes a, b;
  b.user_ticks = 60;   // of which 20 guest
  b.guest_ticks = 20;
  b.system_ticks = 20;
  b.idle_ticks = 110;
  b.iowait_ticks = 10;
  const auto u = cpu_usage(a, b);
  REQUIRE(u);
  CHECK(u->user == Approx(20.0));
  CHECK(u->guest == Approx(10.0));
  CHECK(u->system == Approx(10.0));
  CHECK(u->idle == Approx(55.0));
  CHECK(u->iowait == Approx(5.0));
  CHECK(u->busy == Approx(40.0));
  CHECK(u->user + u->nice + u->guest + u->guest_nice + u->system + u->idle + u->iowait + u->irq + u->softirq +
            u->steal == Approx(100.0));
}

TEST_CASE("cpu_usage: no time passed gives no usage; iowait going backwards counts as zero",
          "[collectors][sampler]") {
  CpuTimes a = times(10, 10, 10);
  CHECK_FALSE(cpu_usage(a, a).has_value());
  a.iowait_ticks = 50;
  CpuTimes b = times(20, 10, 20);
  b.iowait_ticks = 40;  // NO_HZ kernels can report a smaller iowait than before
  const auto u = cpu_usage(a, b);
  REQUIRE(u);
  CHECK(u->iowait == 0.0);
  CHECK(u->user == Approx(50.0));
  CHECK(u->idle == Approx(50.0));
}

TEST_CASE("Sampler::cpu: first sample has no rates, the second does", "[collectors][sampler]") {
  Sampler s(100, 4096);
  const auto first = s.cpu(stat_with({{0, times(0, 0, 0)}, {1, times(0, 0, 0)}}, 1000), 10.0);
  CHECK_FALSE(first.usage.has_value());
  CHECK_FALSE(first.context_switches_per_second.has_value());
  REQUIRE(first.cores.size() == 2);
  CHECK_FALSE(first.cores[0].usage.has_value());

  const auto second = s.cpu(stat_with({{0, times(50, 0, 50)}, {1, times(0, 25, 75)}}, 3000), 12.0);
  REQUIRE(second.usage);
  CHECK(second.usage->user == Approx(25.0));
  CHECK(second.usage->system == Approx(12.5));
  REQUIRE(second.cores[0].usage);
  CHECK(second.cores[0].usage->user == Approx(50.0));
  CHECK(second.cores[1].usage->system == Approx(25.0));
  REQUIRE(second.context_switches_per_second);
  CHECK(*second.context_switches_per_second == Approx(1000.0));
}

TEST_CASE("Sampler::cpu: a CPU that comes online has no usage until its second sample",
          "[collectors][sampler]") {
  Sampler s(100, 4096);
  (void)s.cpu(stat_with({{0, times(0, 0, 0)}}), 1.0);
  const auto second = s.cpu(stat_with({{0, times(10, 0, 90)}, {1, times(5, 0, 5)}}), 2.0);
  REQUIRE(second.cores.size() == 2);
  CHECK(second.cores[0].usage.has_value());
  CHECK_FALSE(second.cores[1].usage.has_value());
  const auto third = s.cpu(stat_with({{0, times(20, 0, 180)}, {1, times(55, 0, 55)}}), 3.0);
  REQUIRE(third.cores[1].usage);
  CHECK(third.cores[1].usage->user == Approx(50.0));
}

TEST_CASE("Sampler::network: rates, a new interface and a counter reset", "[collectors][sampler]") {
  Sampler s(100, 4096);
  auto first = s.network({dev("lo", 1000, 1000, 10), dev("eth0", 5000, 6000, 10)}, 100.0);
  REQUIRE(first.interfaces.size() == 2);
  CHECK_FALSE(first.interfaces[0].rates.has_value());

  // 2 s later: eth0 moved 2000/4000 bytes; wg0 appeared (hot-plug).
  auto second = s.network({dev("lo", 1000, 1000, 10), dev("eth0", 7000, 10000, 30), dev("wg0", 50, 60)}, 102.0);
  REQUIRE(second.interfaces.size() == 3);
  const auto& eth0 = second.interfaces[1];
  CHECK(eth0.name == "eth0");
  REQUIRE(eth0.rates);
  CHECK(eth0.rates->rx_bytes_per_second == Approx(1000.0));
  CHECK(eth0.rates->tx_bytes_per_second == Approx(2000.0));
  CHECK(eth0.rates->rx_packets_per_second == Approx(10.0));
  CHECK(second.interfaces[0].rates->rx_bytes_per_second == 0.0);
  CHECK(second.interfaces[2].name == "wg0");
  CHECK_FALSE(second.interfaces[2].rates.has_value());

  // eth0 re-created: its counters start again from a small number. No bogus spike.
  auto third = s.network({dev("eth0", 100, 100, 1), dev("wg0", 150, 160)}, 103.0);
  REQUIRE(third.interfaces.size() == 2);
  CHECK_FALSE(third.interfaces[0].rates.has_value());
  REQUIRE(third.interfaces[1].rates);
  CHECK(third.interfaces[1].rates->rx_bytes_per_second == Approx(100.0));
}

TEST_CASE("Sampler::network: a 32-bit counter that wraps gives the true rate", "[collectors][sampler]") {
  Sampler s(100, 4096);
  (void)s.network({dev("eth0", 0xFFFF'F000ULL, 0)}, 1.0);
  const auto second = s.network({dev("eth0", 0x1000, 0)}, 2.0);
  REQUIRE(second.interfaces[0].rates);
  CHECK(second.interfaces[0].rates->rx_bytes_per_second == Approx(8192.0));
}

TEST_CASE("Sampler::disks: throughput, utilisation and await; a new device has no rates",
          "[collectors][sampler]") {
  Sampler s(100, 4096);
  DiskStat d;
  d.name = "vda";
  (void)s.disks({d}, 10.0);
  d.counters.reads_completed = 100;
  d.counters.sectors_read = 2048;  // 1 MiB
  d.counters.read_time_ms = 300;
  d.counters.writes_completed = 50;
  d.counters.sectors_written = 1024;
  d.counters.write_time_ms = 200;
  d.counters.io_time_ms = 500;  // busy half of 1 s
  DiskStat nvme;
  nvme.name = "nvme0n1";
  const auto out = s.disks({d, nvme}, 11.0);
  REQUIRE(out.disks.size() == 2);
  const auto& r = out.disks[0].rates;
  REQUIRE(r);
  CHECK(r->reads_per_second == Approx(100.0));
  CHECK(r->read_bytes_per_second == Approx(1048576.0));
  CHECK(r->write_bytes_per_second == Approx(524288.0));
  CHECK(r->utilization_percent == Approx(50.0));
  REQUIRE(r->read_await_ms);
  CHECK(*r->read_await_ms == Approx(3.0));
  CHECK(*r->write_await_ms == Approx(4.0));
  CHECK(*r->await_ms == Approx(500.0 / 150.0));
  CHECK_FALSE(out.disks[1].rates.has_value());
}

TEST_CASE("Sampler::disks: io_time wraps at 32 bits and utilisation stays within 100 %",
          "[collectors][sampler]") {
  Sampler s(100, 4096);
  DiskStat d;
  d.name = "sda";
  d.counters.io_time_ms = 0xFFFF'FF00ULL;
  (void)s.disks({d}, 1.0);
  d.counters.io_time_ms = 0x300;  // wrapped: 0x100 + 0x300 = 1024 ms busy in 1 s
  const auto out = s.disks({d}, 2.0);
  REQUIRE(out.disks[0].rates);
  CHECK(out.disks[0].rates->utilization_percent == Approx(100.0));
}

TEST_CASE("Sampler processes: CPU % and I/O rates between samples", "[collectors][sampler]") {
  Sampler s(100, 4096);
  s.begin_processes(10.0, 1ULL << 30, 1'700'000'000, 4);
  add(s, proc(42, 1000, 0, 0), true);
  auto first = s.end_processes();
  REQUIRE(first.processes.size() == 1);
  const auto& p0 = first.processes[0];
  CHECK_FALSE(p0.cpu_percent.has_value());
  CHECK(*p0.cmdline == "worker --flag");
  CHECK(*p0.cgroup == "/system.slice/worker.service");
  CHECK(p0.rss_bytes == 1048576u);
  CHECK(p0.memory_percent == Approx(100.0 / 1024.0));
  CHECK(p0.start_time_unix_ms == 1'700'000'000'000 + 10'000);

  s.begin_processes(12.0, 1ULL << 30, 1'700'000'000, 4);
  add(s, proc(42, 1000, 100, 4096));  // 100 ticks in 2 s = 50 % of one CPU
  auto second = s.end_processes();
  const auto* p = find(second, 42);
  REQUIRE(p);
  REQUIRE(p->cpu_percent);
  CHECK(*p->cpu_percent == Approx(50.0));
  REQUIRE(p->read_bytes_per_second);
  CHECK(*p->read_bytes_per_second == Approx(2048.0));
  // Strings are shared between snapshots, not copied.
  CHECK(p->cmdline.get() == p0.cmdline.get());
  CHECK(p->comm.get() == p0.comm.get());
}

TEST_CASE("Sampler processes: a vanished PID is forgotten, a reused PID starts afresh",
          "[collectors][sampler]") {
  Sampler s(100, 4096);
  s.begin_processes(1.0, 1ULL << 30, 0, 4);
  add(s, proc(10, 500, 1000), true, "old");
  add(s, proc(11, 600, 1000), true);
  (void)s.end_processes();
  CHECK(s.tracked_processes() == 2);

  // PID 11 exits; PID 10 is reused by a new process (another start time) whose CPU
  // counter is lower: no negative or huge CPU %, and its own command line.
  s.begin_processes(2.0, 1ULL << 30, 0, 4);
  add(s, proc(10, 900, 5), false, "new");
  auto out = s.end_processes();
  CHECK(s.tracked_processes() == 1);
  REQUIRE(out.processes.size() == 1);
  CHECK_FALSE(out.processes[0].cpu_percent.has_value());
  CHECK(*out.processes[0].cmdline == "new");
  CHECK(find(out, 11) == nullptr);
}

TEST_CASE("Sampler processes: counts by state and sorted by pid", "[collectors][sampler]") {
  Sampler s(100, 4096);
  s.begin_processes(1.0, 1ULL << 30, 0, 4);
  auto a = proc(30, 1, 0);
  a.stat.state = 'R';
  a.stat.num_threads = 4;
  auto b = proc(5, 1, 0);
  b.stat.state = 'Z';
  auto c = proc(17, 1, 0);
  c.stat.state = 'D';
  add(s, a, true);
  add(s, b, true);
  add(s, c, true);
  const auto out = s.end_processes();
  REQUIRE(out.processes.size() == 3);
  CHECK(out.processes[0].pid == 5);
  CHECK(out.processes[2].pid == 30);
  CHECK(out.counts.total == 3);
  CHECK(out.counts.running == 1);
  CHECK(out.counts.zombie == 1);
  CHECK(out.counts.disk_sleep == 1);
  CHECK(out.counts.threads == 6);
}

TEST_CASE("Sampler processes: a process without /proc/PID/io has no I/O rates", "[collectors][sampler]") {
  Sampler s(100, 4096);
  auto p = proc(7, 1, 0);
  ProcessInput in;
  in.stat = &p.stat;
  in.is_new = true;
  s.begin_processes(1.0, 0, 0, 1);
  s.add_process(in);
  auto first = s.end_processes();
  in.is_new = false;
  s.begin_processes(2.0, 0, 0, 1);
  s.add_process(in);
  auto second = s.end_processes();
  REQUIRE(second.processes.size() == 1);
  CHECK_FALSE(second.processes[0].read_bytes_total.has_value());
  CHECK_FALSE(second.processes[0].read_bytes_per_second.has_value());
  CHECK(second.processes[0].memory_percent == 0.0);  // no MemTotal known: no division by zero
  CHECK(second.processes[0].cpu_percent == Approx(0.0));
}

TEST_CASE("Sampler::network: an interface added between two real net/dev files", "[collectors][sampler]") {
  auto before = parse_proc_net_dev(hyperion::test::read_fixture("synthetic-hotplug/proc/net/dev.1"));
  auto after = parse_proc_net_dev(hyperion::test::read_fixture("synthetic-hotplug/proc/net/dev.2"));
  REQUIRE(before);
  REQUIRE(after);
  Sampler s(100, 4096);
  (void)s.network(std::move(*before), 0.0);
  const auto out = s.network(std::move(*after), 2.0);
  REQUIRE(out.interfaces.size() == 3);
  const auto& eth0 = out.interfaces[1];
  CHECK(eth0.name == "eth0");
  REQUIRE(eth0.rates);
  CHECK(eth0.rates->rx_bytes_per_second == Approx(125000.0));  // 250,000 bytes in 2 s
  CHECK(eth0.rates->rx_packets_per_second == Approx(100.0));
  const auto& veth = out.interfaces[2];
  CHECK(veth.name == "veth1a2b3c4");
  CHECK(veth.counters.rx_bytes == 656u);
  CHECK_FALSE(veth.rates.has_value());  // new: no rate until its second sample
}

TEST_CASE("Sampler processes: an unchanged process is the last sample with zero rates", "[collectors][sampler]") {
  Sampler s(100, 4096);
  const auto user = std::make_shared<const std::string>("alice");
  s.begin_processes(10.0, 1ULL << 30, 1'700'000'000, 4);
  add(s, proc(42, 1000, 0, 0), true);
  (void)s.end_processes();
  s.begin_processes(11.0, 1ULL << 30, 1'700'000'000, 4);
  add(s, proc(42, 1000, 50, 8192));  // busy: 50 % and 8 KiB/s
  const auto busy = s.end_processes();
  REQUIRE(find(busy, 42)->cpu_percent == Approx(50.0));

  s.begin_processes(12.0, 1ULL << 30, 1'700'000'000, 4);
  CHECK_FALSE(s.add_unchanged(7, user));  // never seen: the caller parses instead
  REQUIRE(s.add_unchanged(42, user));
  const auto idle = s.end_processes();
  const auto* p = find(idle, 42);
  REQUIRE(p);
  CHECK(p->cpu_percent == Approx(0.0));
  REQUIRE(p->read_bytes_per_second);
  CHECK(*p->read_bytes_per_second == Approx(0.0));
  CHECK(p->cpu_ticks_total == 50);
  CHECK(p->read_bytes_total == 8192u);
  CHECK(p->rss_bytes == 1048576u);
  CHECK(*p->user == "alice");
  CHECK(*p->cmdline == "worker --flag");
  CHECK(idle.counts.total == 1);
  CHECK(idle.counts.sleeping == 1);

  // Rates resume from the unchanged tick's time and totals.
  s.begin_processes(14.0, 1ULL << 30, 1'700'000'000, 4);
  add(s, proc(42, 1000, 150, 8192));
  CHECK(find(s.end_processes(), 42)->cpu_percent == Approx(50.0));

  // Not seen in the last tick (a tick without it in between): no shortcut.
  s.begin_processes(15.0, 1ULL << 30, 1'700'000'000, 4);
  (void)s.end_processes();
  s.begin_processes(16.0, 1ULL << 30, 1'700'000'000, 4);
  CHECK_FALSE(s.add_unchanged(42, user));
  (void)s.end_processes();
}
