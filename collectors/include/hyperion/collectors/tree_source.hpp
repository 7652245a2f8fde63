#pragma once

// A Source over a directory laid out like a root file system (<dir>/proc, <dir>/sys,
// <dir>/etc): the fixture trees of the tests, and a second host in the two-host test. Every
// read opens, reads and closes; nothing is kept between ticks but the set of PIDs seen (to
// tell new processes). Interface addresses are not in a tree: the list is empty.

#include <cstdint>
#include <string>
#include <unordered_set>

#include "hyperion/collectors/path_source.hpp"

namespace hyperion::collectors {

class TreeSource final : public PathSource {
 public:
  explicit TreeSource(SourcePaths paths);
  // A fixture tree: <dir>/proc, <dir>/sys, <dir>/etc, ...
  explicit TreeSource(const std::string& dir) : TreeSource(SourcePaths::under(dir)) {}

  std::size_t for_each_process(ProcessVisitor& visitor) override;
  // From the "socket:[INODE]" links under <proc>/PID/fd, when the tree has them.
  void socket_owners(const std::vector<std::uint64_t>& wanted, SocketOwners& out) override;

  std::vector<InterfaceAddress> interface_addresses() const override { return {}; }

  std::uint32_t clock_ticks_per_second() const noexcept override { return 100; }
  std::uint32_t page_size_bytes() const noexcept override { return 4096; }
  // <proc>/sys/kernel/arch when the tree has it, else "unknown".
  std::string architecture() const override;

 private:
  std::unordered_set<std::int32_t> seen_;
  std::string stat_buf_, statm_buf_, io_buf_, cmdline_buf_, cgroup_buf_;
};

}  // namespace hyperion::collectors
