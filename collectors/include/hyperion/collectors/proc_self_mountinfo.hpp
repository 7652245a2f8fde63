#pragma once

// /proc/self/mountinfo: one mount per line.
// https://docs.kernel.org/filesystems/proc.html#proc-pid-mountinfo-information-about-mounts
//   36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 - ext3 /dev/root rw,errors=continue
// Optional fields (between the options and "-") vary in number; paths use octal escapes.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "hyperion/collectors/result.hpp"

namespace hyperion::collectors {

struct MountInfo {
  std::uint32_t mount_id = 0;
  std::uint32_t parent_id = 0;
  std::uint32_t major = 0;
  std::uint32_t minor = 0;
  std::string root;         // unescaped
  std::string mount_point;  // unescaped
  std::string mount_options;
  std::string fstype;
  std::string source;       // unescaped; "none", "tmpfs", "/dev/vda1", ...
  std::string super_options;
  bool read_only() const noexcept;  // "ro" in mount_options
};

// A line without the " - " separator or with too few fields fails the parse.
Result<std::vector<MountInfo>> parse_proc_self_mountinfo(std::string_view text);

// True for filesystems that hold no user data of their own: proc, sysfs, cgroup*,
// devpts, mqueue, debugfs, tracefs, securityfs, pstore, bpf, configfs, fusectl,
// hugetlbfs, autofs, binfmt_misc, rpc_pipefs, nsfs, efivarfs, selinuxfs, ramfs?,
// devtmpfs... (the exact list is in the source and in docs/ARCHITECTURE.md).
bool is_pseudo_filesystem(std::string_view fstype) noexcept;

// df's de-duplication done on mountinfo alone (the full rule is at the top of
// proc_self_mountinfo.cpp): drops a mount another mount sits on top of (same mount point,
// its child), and repeats of one filesystem (bind mounts: same major:minor and source, and for
// btrfs the same subvolid=), keeping the row nearest the filesystem's root. Keeps file order.
// Apply it to the whole table before is_pseudo_filesystem().
std::vector<MountInfo> drop_hidden_mounts(std::vector<MountInfo> mounts);

}  // namespace hyperion::collectors
