#include "hyperion/collectors/collector.hpp"
#include "hyperion/collectors/local_source.hpp"
#include "hyperion/collectors/tree_source.hpp"

#include <netinet/in.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <catch2/catch.hpp>

#include "fixture.hpp"

using namespace hyperion::collectors;
using hyperion::test::fixtures_dir;
using hyperion::test::machine_dir;

namespace {

const ProcessSample* find_pid(const Snapshot& s, std::int32_t pid) {
  for (const auto& p : s.processes->processes) {
    if (p.pid == pid) return &p;
  }
  return nullptr;
}

bool has_error(const Snapshot& s, Family f) {
  return std::any_of(s.errors.begin(), s.errors.end(), [f](const FamilyError& e) { return e.family == f; });
}

}  // namespace

TEST_CASE("Collector: a fixture tree gives every family", "[collectors][collector]") {
  TreeSource tree(machine_dir());
  Collector c(tree, "fixture");
  const auto s = c.collect(all_families(), 1.0, 1000);
  REQUIRE(s);
  CHECK(s->host == "fixture");
  CHECK(s->sequence == 1);
  CHECK(s->timestamp_ms == 1000);
  REQUIRE(s->host_info);
  CHECK(s->host_info->hostname == "fixture-host");
  CHECK(s->host_info->os.id == "debian");
  CHECK(s->host_info->cpu.logical_cpus == 2);
  CHECK(s->host_info->boot_time_seconds == 1795260123u);

  REQUIRE(s->system);
  CHECK(s->system->cpu_pressure.has_value());
  CHECK(s->system->uptime_seconds > 0);
  REQUIRE(s->cpu);
  CHECK(s->cpu->cores.size() == 2);
  CHECK_FALSE(s->cpu->usage.has_value());  // first sample
  REQUIRE(s->memory);
  CHECK(s->memory->info.total_bytes > 0);

  REQUIRE(s->processes);
  CHECK(s->processes->processes.size() == 6);
  const auto* shell = find_pid(*s, 4984);
  REQUIRE(shell);
  CHECK(*shell->comm == "bash");
  CHECK(*shell->cmdline == "bash -s -- hello world --level=2");
  CHECK(shell->read_bytes_total.has_value());
  const auto* kworker = find_pid(*s, 9);
  REQUIRE(kworker);
  CHECK(*kworker->comm == "kworker/0:0-cgroup_pidlist_destroy");  // longer than 15 characters
  CHECK(kworker->cmdline->empty());
  CHECK(kworker->ppid == 2);

  REQUIRE(s->network);
  const auto& ifs = s->network->interfaces;
  const auto lo = std::find_if(ifs.begin(), ifs.end(), [](const auto& i) { return i.name == "lo"; });
  REQUIRE(lo != ifs.end());
  CHECK(lo->mtu == 65536u);
  CHECK(lo->addresses.empty());  // a fixture tree has no live addresses
  REQUIRE(s->sockets);
  CHECK_FALSE(s->sockets->sockets.empty());
  REQUIRE(s->disks);
  REQUIRE(s->filesystems);
  REQUIRE(s->sensors);
  CHECK(s->sensors->sensors.empty());  // the VM has no sensors
  CHECK(s->errors.empty());
}

TEST_CASE("Collector: the second sample of a fixture tree has rates of zero", "[collectors][collector]") {
  TreeSource tree(machine_dir());
  Collector c(tree, "local");
  const auto first = c.collect(all_families(), 1.0, 1000);
  const auto second = c.collect(all_families(), 2.0, 2000);
  CHECK(second->sequence == 2);
  REQUIRE(second->network->interfaces.front().rates);
  CHECK(second->network->interfaces.front().rates->rx_bytes_per_second == 0.0);
  const auto* shell = find_pid(*second, 4984);
  REQUIRE(shell);
  REQUIRE(shell->cpu_percent);
  CHECK(*shell->cpu_percent == 0.0);
  // Unchanged strings are shared between snapshots, not copied.
  CHECK(shell->cmdline.get() == find_pid(*first, 4984)->cmdline.get());
}

TEST_CASE("Collector: families not asked for are shared from the previous snapshot",
          "[collectors][collector]") {
  TreeSource tree(machine_dir());
  Collector c(tree, "local");
  const auto first = c.collect(all_families(), 1.0, 1000);
  const auto second = c.collect(families_of({Family::cpu}), 2.0, 2000);
  CHECK(second->processes.get() == first->processes.get());
  CHECK(second->network.get() == first->network.get());
  CHECK(second->cpu.get() != first->cpu.get());
}

TEST_CASE("Collector: hwmon and thermal sensors with labels and limits", "[collectors][collector]") {
  TreeSource tree(fixtures_dir() + "/synthetic-sensors");
  Collector c(tree, "local");
  const auto s = c.collect(families_of({Family::sensors}), 1.0, 0);
  REQUIRE(s->sensors);
  const auto& list = s->sensors->sensors;
  const auto find = [&](std::string_view chip, std::string_view label) -> const SensorSample* {
    for (const auto& x : list) {
      if (x.chip == chip && x.label == label) return &x;
    }
    return nullptr;
  };
  const auto* package = find("coretemp", "Package id 0");
  REQUIRE(package);
  CHECK(package->kind == SensorKind::temperature);
  CHECK(package->source == "hwmon");
  CHECK(package->value > 0);
  CHECK(package->max.has_value());
  CHECK(package->critical.has_value());
  const auto fan = std::find_if(list.begin(), list.end(), [](const auto& x) { return x.kind == SensorKind::fan; });
  REQUIRE(fan != list.end());
  CHECK(fan->value == 1200.0);
  const auto* zone = find("x86_pkg_temp", "thermal_zone0");
  REQUIRE(zone);
  CHECK(zone->value == 45.0);
  CHECK(zone->source == "thermal");
}

TEST_CASE("Collector: a kernel without PSI has no pressure and no error", "[collectors][collector]") {
  TreeSource tree(fixtures_dir() + "/synthetic-nopsi");
  Collector c(tree, "local");
  const auto s = c.collect(families_of({Family::system}), 1.0, 0);
  REQUIRE(s->system);
  CHECK_FALSE(s->system->cpu_pressure.has_value());
  CHECK_FALSE(s->system->memory_pressure.has_value());
  CHECK_FALSE(s->system->io_pressure.has_value());
  CHECK_FALSE(has_error(*s, Family::system));
  CHECK(s->system->load.load1 >= 0);
}

TEST_CASE("Collector: a missing tree reports errors and keeps going", "[collectors][collector]") {
  TreeSource tree("/nonexistent-hyperion-root");
  Collector c(tree, "local");
  const auto s = c.collect(all_families(), 1.0, 0);
  CHECK(has_error(*s, Family::cpu));
  CHECK(has_error(*s, Family::memory));
  CHECK(has_error(*s, Family::processes));
  CHECK_FALSE(s->cpu);
  CHECK(s->sequence == 1);
}

// The live machine: real /proc. CI runs on a real machine too, so these are not hidden.
TEST_CASE("Collector: sees this test process with its command line and descriptors",
          "[collectors][collector][live]") {
  LocalSource source(SourcePaths{});
  Collector c(source, "local");
  REQUIRE(source.live());
  c.collect(families_of({Family::processes}), 1.0, 0);
  const auto s = c.collect(families_of({Family::processes}), 1.1, 0);
  const auto* self = find_pid(*s, ::getpid());
  REQUIRE(self);
  CHECK(self->ppid == ::getppid());
  CHECK(self->cmdline->find("collectors_tests") != std::string::npos);
  CHECK(self->uid == ::getuid());
  REQUIRE(self->open_fds);
  CHECK(*self->open_fds >= 3);
  CHECK(self->rss_bytes > 0);
  CHECK(self->cpu_percent.has_value());
  CHECK(self->read_bytes_total.has_value());  // our own /proc/PID/io is always readable
}

namespace {

// How many of our own descriptors are open on files of /proc/<pid>/ (readlink of /proc/self/fd).
std::size_t descriptors_into(pid_t pid) {
  const std::string prefix = "/proc/" + std::to_string(pid) + "/";
  std::size_t n = 0;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator("/proc/self/fd", ec)) {
    std::error_code link_ec;
    const auto target = std::filesystem::read_symlink(entry.path(), link_ec).string();
    if (!link_ec && (target.starts_with(prefix) || target + "/" == prefix)) ++n;
  }
  return n;
}

}  // namespace

TEST_CASE("Collector: an exited process is dropped and its descriptors closed",
          "[collectors][collector][live]") {
  LocalSource source(SourcePaths{});
  Collector c(source, "local");
  const pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    ::pause();
    ::_exit(0);
  }
  auto s = c.collect(families_of({Family::processes}), 1.0, 0);
  REQUIRE(find_pid(*s, child));
  // dir, stat, statm, io, schedstat and fd of the child are kept open between ticks.
  CHECK(descriptors_into(child) == 6);
  ::kill(child, SIGKILL);
  ::waitpid(child, nullptr, 0);
  s = c.collect(families_of({Family::processes}), 2.0, 0);
  CHECK(find_pid(*s, child) == nullptr);
  CHECK(descriptors_into(child) == 0);
}

TEST_CASE("Collector: a socket this process listens on names this process as its owner",
          "[collectors][collector][live]") {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  REQUIRE(fd >= 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  REQUIRE(::listen(fd, 1) == 0);
  socklen_t len = sizeof addr;
  REQUIRE(::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0);
  const auto port = ntohs(addr.sin_port);

  LocalSource source(SourcePaths{});
  Collector c(source, "local");
  // Processes first: the source keeps descriptors on every process, our own included,
  // and the owner scan must skip those kept descriptors but not our real sockets.
  const auto s = c.collect(families_of({Family::processes, Family::sockets}), 1.0, 0);
  ::close(fd);
  REQUIRE(s->sockets);
  CHECK(source.kept_descriptors() > 0);
  const auto& list = s->sockets->sockets;
  const auto it = std::find_if(list.begin(), list.end(), [&](const SocketSample& x) {
    return x.socket.protocol == SocketProtocol::tcp && x.socket.local.port == port;
  });
  REQUIRE(it != list.end());
  CHECK(it->socket.state == TcpState::listen);
  REQUIRE(it->pid);
  CHECK(*it->pid == ::getpid());
  REQUIRE(it->process);
  const auto* self = find_pid(*s, ::getpid());
  REQUIRE(self);
  REQUIRE(self->comm);
  CHECK(*it->process == *self->comm);
  CHECK(s->sockets->tcp_states[static_cast<std::size_t>(TcpState::listen)] >= 1);
}

namespace {

std::size_t count_proc_pids() {
  std::size_t n = 0;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator("/proc", ec)) {
    const auto name = entry.path().filename().string();
    if (!name.empty() && std::all_of(name.begin(), name.end(), [](char ch) { return ch >= '0' && ch <= '9'; })) ++n;
  }
  return n;
}

}  // namespace

TEST_CASE("Collector: over the descriptor budget processes are still read, the slow way",
          "[collectors][collector][live]") {
  // In a child, so the tiny limit does not touch the test runner. The child reports
  // through its exit status which check failed (0: all passed).
  const pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    rlimit lim{64, 64};
    if (::setrlimit(RLIMIT_NOFILE, &lim) != 0) ::_exit(10);
    LocalSource source(SourcePaths{});
    Collector c(source, "local");
    if (source.descriptor_budget() > 48) ::_exit(11);
    (void)c.collect(families_of({Family::processes}), 1.0, 0);
    const auto s = c.collect(families_of({Family::processes}), 1.5, 0);
    const auto listed = count_proc_pids();
    if (listed == 0) ::_exit(18);
    const auto seen = s->processes->processes.size();
    if (source.kept_descriptors() > source.descriptor_budget()) ::_exit(12);
    if (source.transient_processes() == 0) ::_exit(13);
    // Processes come and go between the two listings; a handful either way.
    if (seen + 5 < listed || seen > listed + 5) ::_exit(14);
    std::size_t with_rate = 0;
    for (const auto& p : s->processes->processes) {
      if (p.cpu_percent) ++with_rate;
    }
    if (with_rate + 5 < seen) ::_exit(15);  // transient processes have rates too
    // /proc lists PIDs in ascending order and the budget is spent on the first few, so
    // this (recent, high) PID is read the slow way: it must still have its command line.
    const auto* self = find_pid(*s, ::getpid());
    if (!self) ::_exit(16);
    if (self->cmdline->find("collectors_tests") == std::string::npos) ::_exit(17);
    ::_exit(0);
  }
  int status = 0;
  REQUIRE(::waitpid(child, &status, 0) == child);
  REQUIRE(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
}
