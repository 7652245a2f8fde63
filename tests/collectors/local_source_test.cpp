#include "hyperion/collectors/local_source.hpp"

#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

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
  LocalSource::SocketOwners owners;
  src.for_each_process(ignore);
  src.socket_owners({}, owners);
  const auto first = src.socket_scans_last_call();
  CHECK(first >= 3);  // every process with a readable fd directory

  src.for_each_process(ignore);
  src.socket_owners({}, owners);
  // Only processes whose descriptor count changed in between (on a busy machine a few).
  CHECK(src.socket_scans_last_call() < first);

  // A new socket changes our count: found on the next call.
  const int fd = listening_socket();
  src.for_each_process(ignore);
  src.socket_owners({inode_of(fd)}, owners);
  CHECK(find_socket_owner(owners, inode_of(fd)) == ::getpid());
  ::close(fd);
}

TEST_CASE("LocalSource::socket_owners: a socket that replaced a descriptor (same count) is found by the "
          "throttled full scan",
          "[collectors][local_source][live]") {
  const int placeholder = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  REQUIRE(placeholder >= 0);
  LocalSource src(SourcePaths{});
  Ignore ignore;
  LocalSource::SocketOwners owners;
  src.for_each_process(ignore);
  src.socket_owners({}, owners);

  // Put a socket where /dev/null was: our descriptor count does not change.
  const int sock = listening_socket();
  REQUIRE(::dup2(sock, placeholder) == placeholder);
  ::close(sock);
  const auto inode = inode_of(placeholder);

  src.for_each_process(ignore);
  src.socket_owners({inode}, owners, 1000);  // full scans throttled away: not found yet
  CHECK_FALSE(find_socket_owner(owners, inode).has_value());
  src.for_each_process(ignore);
  src.socket_owners({inode}, owners, 1);  // the throttle allows a full scan: found
  CHECK(find_socket_owner(owners, inode) == ::getpid());
  ::close(placeholder);
}
