// TreeSource: a host read from a directory laid out like a root file system.

#include "hyperion/collectors/tree_source.hpp"

#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "fixture.hpp"

using namespace hyperion::collectors;

namespace {

struct Collect final : ProcessVisitor {
  std::vector<RawProcess> seen;
  std::vector<std::string> cmdlines;
  void on_process(const RawProcess& p) override {
    seen.push_back(p);
    cmdlines.emplace_back(p.cmdline);
  }
};

// A copy of a fixture tree in a temporary directory, to change between reads.
struct TempTree {
  std::filesystem::path dir = std::filesystem::temp_directory_path() / ("hyperion-tree-" + std::to_string(::getpid()));
  explicit TempTree(const std::string& from) {
    std::filesystem::remove_all(dir);
    std::filesystem::copy(from, dir, std::filesystem::copy_options::recursive);
  }
  ~TempTree() {
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  }
};

}  // namespace

TEST_CASE("TreeSource: files, listings and processes of a fixture tree", "[collectors][tree_source]") {
  TreeSource tree(hyperion::test::machine_dir());
  std::string buf;
  CHECK(tree.read_proc("loadavg", buf));
  CHECK_FALSE(buf.empty());
  CHECK(tree.read_root("etc/os-release", buf));
  CHECK(buf.find("debian") != std::string::npos);
  CHECK_FALSE(tree.read_proc("no/such/file", buf));
  CHECK(buf.empty());
  CHECK(tree.interface_addresses().empty());

  Collect first;
  CHECK(tree.for_each_process(first) == 6);
  for (const auto& p : first.seen) {
    CHECK(p.is_new);
    CHECK(p.has_strings);
    CHECK_FALSE(p.stat.empty());
  }
  Collect second;
  tree.for_each_process(second);
  for (const auto& p : second.seen) CHECK_FALSE(p.is_new);  // seen before: not new
}

TEST_CASE("TreeSource: a process that appears is new, one that goes is forgotten", "[collectors][tree_source]") {
  TempTree t(hyperion::test::machine_dir());
  TreeSource tree(t.dir.string());
  Collect warm;
  tree.for_each_process(warm);
  std::filesystem::copy(t.dir / "proc" / "4984", t.dir / "proc" / "5000", std::filesystem::copy_options::recursive);
  std::filesystem::remove_all(t.dir / "proc" / "9");
  Collect after;
  tree.for_each_process(after);
  bool saw_new = false;
  for (const auto& p : after.seen) {
    CHECK(p.pid != 9);
    if (p.pid == 5000) saw_new = p.is_new;
    else CHECK_FALSE(p.is_new);
  }
  CHECK(saw_new);
}

TEST_CASE("TreeSource: socket owners from the socket:[INODE] links of a process's fd directory",
          "[collectors][tree_source]") {
  TempTree t(hyperion::test::machine_dir());
  const auto fd = t.dir / "proc" / "4984" / "fd";
  std::filesystem::create_directories(fd);
  std::filesystem::create_symlink("socket:[777]", fd / "3");
  std::filesystem::create_symlink("/dev/null", fd / "4");
  std::filesystem::create_symlink("socket:[888]", fd / "5");
  TreeSource tree(t.dir.string());
  Collect c;
  tree.for_each_process(c);
  SocketOwners owners;
  tree.socket_owners({777, 999}, owners);
  CHECK(find_socket_owner(owners, 777) == 4984);
  CHECK_FALSE(find_socket_owner(owners, 888).has_value());  // not asked for
  CHECK_FALSE(find_socket_owner(owners, 999).has_value());  // nobody holds it
  for (const auto& p : c.seen) {
    if (p.pid == 4984) CHECK(p.open_fds == 3u);
  }
}
