#include "hyperion/collectors/local_source.hpp"

#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <optional>
#include <vector>
#include <string>
#include <utility>

#include <catch2/catch.hpp>

using namespace hyperion::collectors;

namespace {

struct Ignore final : ProcessVisitor {
  void on_process(const RawProcess&) override {}
};

std::uint64_t inode_of(int fd) {
  struct stat st {};
  REQUIRE(::fstat(fd, &st) == 0);
  return st.st_ino;
}

// A child that sleeps until the returned descriptor is closed, then exits.
std::pair<pid_t, int> child_until_released() {
  int go[2];
  REQUIRE(::pipe2(go, O_CLOEXEC) == 0);
  const pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    ::close(go[1]);
    char c = 0;
    (void)::read(go[0], &c, 1);
    ::_exit(0);
  }
  ::close(go[0]);
  return {child, go[1]};
}

int listening_socket() {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  REQUIRE(fd >= 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  REQUIRE(::listen(fd, 1) == 0);
  return fd;
}

}  // namespace

// The live machine: real /proc, real sockets of this process.
TEST_CASE("LocalSource::socket_owners: reads a process's fd links again only when its count changes",
          "[collectors][local_source][live]") {
  LocalSource src(SourcePaths{});
  Ignore ignore;
  SocketOwners owners;
  src.for_each_process(ignore);
  src.socket_owners({}, owners);
  const auto first = src.socket_scans_last_call();
  CHECK(first >= 3);  // every process with a readable fd directory

  src.for_each_process(ignore);
  src.socket_owners({}, owners);
  // Only processes whose descriptor count changed in between (on a busy machine a few).
  CHECK(src.socket_scans_last_call() < first);

  // A new socket changes our count: found within a few calls (at once when our stat line
  // changed; else by the descriptor-count sweep, at most every third call).
  const int fd = listening_socket();
  bool found = false;
  for (int i = 0; i < 3 && !found; ++i) {
    src.for_each_process(ignore);
    src.socket_owners({inode_of(fd)}, owners);
    found = find_socket_owner(owners, inode_of(fd)) == ::getpid();
  }
  CHECK(found);
  ::close(fd);
}

TEST_CASE("LocalSource::socket_owners: a socket that replaced a descriptor (same count) is found by the "
          "throttled full scan",
          "[collectors][local_source][live]") {
  // The socket is swapped in by a child: this process's own descriptor count moves whenever
  // the source opens descriptors for a process that appeared elsewhere on the machine (which
  // would make a rescan of our fd directory legitimate and the test flaky).
  int go[2], done[2];
  REQUIRE(::pipe2(go, O_CLOEXEC) == 0);
  REQUIRE(::pipe2(done, O_CLOEXEC) == 0);
  const pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    ::close(go[1]);
    ::close(done[0]);
    const int placeholder = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    char c = 0;
    if (placeholder < 0 || ::read(go[0], &c, 1) != 1) ::_exit(1);
    // Put a socket where /dev/null was: the descriptor count does not change.
    const int sock = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (sock < 0 || ::dup2(sock, placeholder) != placeholder) ::_exit(2);
    ::close(sock);
    struct stat st {};
    if (::fstat(placeholder, &st) != 0) ::_exit(3);
    const std::uint64_t inode = st.st_ino;
    if (::write(done[1], &inode, sizeof inode) != sizeof inode) ::_exit(4);
    if (::read(go[0], &c, 1) < 0) ::_exit(5);  // until the parent is done (EOF)
    ::_exit(0);
  }
  ::close(go[0]);
  ::close(done[1]);
  // Let the child open its placeholder, then see it once (fd count recorded, no socket).
  LocalSource src(SourcePaths{});
  Ignore ignore;
  SocketOwners owners;
  std::uint64_t inode = 0;
  for (int i = 0; i < 100; ++i) {
    src.for_each_process(ignore);
    src.socket_owners({}, owners);
    if (::access(("/proc/" + std::to_string(child) + "/fd/3").c_str(), F_OK) == 0) break;
    ::usleep(10'000);
  }
  src.for_each_process(ignore);
  src.socket_owners({1}, owners, 1);  // a full scan now, with the placeholder in place
  REQUIRE(::write(go[1], "x", 1) == 1);
  REQUIRE(::read(done[0], &inode, sizeof inode) == sizeof inode);

  src.for_each_process(ignore);
  src.socket_owners({inode}, owners, 1000);  // full scans throttled away: not found yet
  CHECK_FALSE(find_socket_owner(owners, inode).has_value());
  src.for_each_process(ignore);
  src.socket_owners({inode}, owners, 1);  // the throttle allows a full scan: found
  CHECK(find_socket_owner(owners, inode) == child);
  ::close(go[1]);
  ::close(done[0]);
  int status = 0;
  ::waitpid(child, &status, 0);
  CHECK(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
}

namespace {

// Records what the source handed over for one PID.
struct Watch final : ProcessVisitor {
  explicit Watch(std::int32_t p) : pid(p) {}
  void on_process(const RawProcess& raw) override {
    if (raw.pid != pid) return;
    seen = true;
    open_fds = raw.open_fds;
    statm = std::string(raw.statm);
  }
  std::int32_t pid;
  bool seen = false;
  std::optional<std::uint32_t> open_fds;
  std::string statm;
};

}  // namespace

TEST_CASE("LocalSource: an idle process is handed over from the cache, and read again within ten ticks",
          "[collectors][local_source][live]") {
  // A child that blocks on a pipe: its stat line does not change while it waits.
  int go[2], done[2];
  REQUIRE(::pipe2(go, O_CLOEXEC) == 0);
  REQUIRE(::pipe2(done, O_CLOEXEC) == 0);
  const pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    ::close(go[1]);
    ::close(done[0]);
    char c = 0;
    if (::read(go[0], &c, 1) != 1) ::_exit(1);
    // Woken once: open three descriptors, then wait again (a run too short to need to
    // change the stat line: the periodic refresh is what is sure to see it).
    for (int i = 0; i < 3; ++i) {
      if (::open("/dev/null", O_RDONLY) < 0) ::_exit(2);
    }
    if (::write(done[1], "y", 1) != 1) ::_exit(4);
    if (::read(go[0], &c, 1) < 0) ::_exit(3);  // until EOF
    ::_exit(0);
  }
  ::close(go[0]);
  ::close(done[1]);
  ::usleep(50'000);  // let the child reach its read

  LocalSource src(SourcePaths{});
  Watch watch(child);
  src.for_each_process(watch);
  REQUIRE(watch.seen);
  REQUIRE(watch.open_fds.has_value());
  const auto before = *watch.open_fds;
  CHECK_FALSE(watch.statm.empty());

  std::size_t idle_ticks = 0;
  for (int i = 0; i < 10; ++i) {
    watch.seen = false;
    src.for_each_process(watch);
    REQUIRE(watch.seen);
    CHECK(watch.open_fds == before);  // cached or read again, the same values
    CHECK_FALSE(watch.statm.empty());
    if (src.idle_processes() > 0) ++idle_ticks;
  }
  CHECK(idle_ticks >= 8);  // the machine's sleeping processes, the child among them

  REQUIRE(::write(go[1], "x", 1) == 1);
  char c = 0;
  REQUIRE(::read(done[0], &c, 1) == 1);
  bool refreshed = false;
  for (int i = 0; i < 11 && !refreshed; ++i) {
    src.for_each_process(watch);
    refreshed = watch.open_fds == before + 3;
  }
  CHECK(refreshed);
  ::close(go[1]);
  ::close(done[0]);
  int status = 0;
  ::waitpid(child, &status, 0);
  CHECK(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
}

TEST_CASE("LocalSource::socket_owners: reads nothing while every socket has a known owner",
          "[collectors][local_source][live]") {
  LocalSource src(SourcePaths{});
  Ignore ignore;
  SocketOwners owners;
  const int fd = listening_socket();
  src.for_each_process(ignore);
  src.socket_owners({inode_of(fd)}, owners);
  REQUIRE(find_socket_owner(owners, inode_of(fd)) == ::getpid());
  // Descriptors come and go (this one and the machine's), but the wanted socket is known.
  const int other = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  src.for_each_process(ignore);
  src.socket_owners({inode_of(fd)}, owners);
  CHECK(src.socket_scans_last_call() == 0);
  CHECK(find_socket_owner(owners, inode_of(fd)) == ::getpid());
  ::close(other);
  ::close(fd);
}

TEST_CASE("LocalSource: kernel files are kept open and read afresh; a kept file of an exited process fails",
          "[collectors][local_source][live]") {
  LocalSource src(SourcePaths{});
  REQUIRE(src.live());
  std::string buf;
  REQUIRE(src.read_proc("uptime", buf));
  const auto kept = src.kept_files();
  CHECK(kept >= 1);
  const double first = std::stod(buf);
  ::usleep(20'000);
  REQUIRE(src.read_proc("uptime", buf));  // the kept descriptor, read again at offset 0
  CHECK(src.kept_files() == kept);
  CHECK(std::stod(buf) > first);  // fresh, not the first read's text

  // Files under the root are never kept (a rename replaces /etc/passwd).
  REQUIRE(src.read_root("etc/passwd", buf));
  CHECK(src.kept_files() == kept);

  const auto [child, release] = child_until_released();
  const auto stat_path = std::to_string(child) + "/stat";
  REQUIRE(src.read_proc(stat_path, buf));
  CHECK(src.kept_files() == kept + 1);
  ::close(release);  // the child exits
  int status = 0;
  REQUIRE(::waitpid(child, &status, 0) == child);
  CHECK_FALSE(src.read_proc(stat_path, buf));  // ESRCH from the kept descriptor, then ENOENT
  CHECK(src.kept_files() == kept);
}

namespace {

struct Pids final : ProcessVisitor {
  void on_process(const RawProcess& raw) override { pids.push_back(raw.pid); }
  bool has(std::int32_t pid) const { return std::find(pids.begin(), pids.end(), pid) != pids.end(); }
  std::vector<std::int32_t> pids;
};

}  // namespace

TEST_CASE("LocalSource: between full listings /proc is listed from the last PID on; new and exited "
          "processes are seen at once",
          "[collectors][local_source][live]") {
  LocalSource src(SourcePaths{});
  Pids first;
  src.for_each_process(first);  // a full listing (measures the directory positions)
  Pids second;
  src.for_each_process(second);
  CHECK(src.partial_listings() == 1);
  // The same processes, give or take the machine's own comings and goings.
  CHECK(second.has(::getpid()));
  CHECK(second.has(1));

  const auto [child, release] = child_until_released();
  Pids with_child;
  src.for_each_process(with_child);
  CHECK(with_child.has(child));
  ::close(release);
  REQUIRE(::waitpid(child, nullptr, 0) == child);
  Pids without;
  src.for_each_process(without);
  CHECK_FALSE(without.has(child));
  CHECK(without.has(::getpid()));
  CHECK(src.partial_listings() == 3);
  // Each walk sees each process once.
  auto sorted = without.pids;
  std::sort(sorted.begin(), sorted.end());
  CHECK(std::adjacent_find(sorted.begin(), sorted.end()) == sorted.end());
}
