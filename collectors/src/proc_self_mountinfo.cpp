// Which filesystems are shown (copy of this block lives in docs/ARCHITECTURE.md,
// "Which disks and filesystems are shown"):
//
// The default filesystem list is meant to match `df` (GNU coreutils 9.1, Debian 12) without
// options. It is built from /proc/self/mountinfo in three steps, in this order:
//
//   1. drop_hidden_mounts(): remove mounts nobody can reach or that repeat another row.
//      a. Over-mounted: a mount M is hidden when another mount N sits on top of it, i.e.
//         N.parent_id == M.mount_id and N.mount_point == M.mount_point (mounting on an
//         existing mount point makes the old mount the new one's parent). df gets the same
//         result by stat()ing the mount point, which reaches only the top mount.
//         Example on the Firecracker dev VM: two tmpfs on /dev/shm (ids 25 and 30), df shows one.
//      b. Bind mounts and other repeats of one filesystem: rows with the same major:minor and
//         the same source (and, for btrfs, the same subvolid=, because every btrfs subvolume
//         has its own st_dev while mountinfo shows the superblock's) are one filesystem. The
//         row kept is the one whose root is shortest (nearest the filesystem's root), then the
//         shortest mount point, then the first in the file. This is df's filter_mount_list()
//         minus the stat() calls. Docker's /etc/hosts, /etc/hostname and /etc/resolv.conf
//         bind mounts collapse into one row, as in df.
//   2. is_pseudo_filesystem(fstype): drop kernel interfaces that hold no user data (the list
//      below). It is a superset of gnulib's ME_DUMMY list (lib/mountlist.c: autofs, proc, subfs,
//      debugfs, devpts, fusectl, fuse.portal, mqueue, rpc_pipefs, sysfs, devfs, kernfs, ignore)
//      plus the Linux interfaces df hides only because they report zero blocks.
//   3. The caller's statvfs(): drop filesystems reporting f_blocks == 0, as df does
//      ("if (fsu.fsu_blocks == 0 && !show_all_fs) return;" in df.c). This also hides ramfs
//      (no size accounting), lxcfs and most FUSE helpers.
//
// Deliberately NOT pseudo, because they hold user data and report a real size:
//   tmpfs, devtmpfs (df shows both), ramfs and rootfs (an initramfs root can be the only
//   filesystem; step 3 hides them when they report no size), overlay, squashfs, fuse.*, nfs*,
//   cifs, 9p, virtiofs, zonefs.
// Deliberate difference from df: efivarfs is pseudo (UEFI variables, not user data) although
// recent kernels report the NVRAM size through statfs and df then shows it.
//
// Checked on the dev VM (debian12-6.18-x86_64 fixture): mountinfo has 20 rows; steps 1-3 leave
// devtmpfs /dev, tmpfs /dev/shm, /dev/vda /, tmpfs /mnt/sandboxing/..., tmpfs /sys/fs/cgroup:
// exactly the rows of `df -B1 --output=source,fstype,target`.

#include "hyperion/collectors/proc_self_mountinfo.hpp"

#include <array>
#include <map>
#include <tuple>

#include <fmt/format.h>

#include "hyperion/collectors/text.hpp"

namespace hyperion::collectors {
namespace {

using text::next_line;
using text::next_token;

// Filesystem types that are kernel interfaces, not storage. Sorted only for reading.
// cpuset and usbfs are legacy mounts, nfsd is /proc/fs/nfsd, xenfs is /proc/xen;
// devfs, kernfs, subfs and ignore come from gnulib's list (other systems or 2.4 kernels).
constexpr std::string_view kPseudoFilesystems[] = {
    "autofs",  "binfmt_misc", "bpf",        "cgroup",     "cgroup2",    "configfs",  "cpuset",
    "debugfs", "devfs",       "devpts",     "efivarfs",   "fuse.portal", "fusectl",  "hugetlbfs",
    "ignore",  "kernfs",      "mqueue",     "nfsd",       "nsfs",       "proc",      "pstore",
    "rpc_pipefs", "securityfs", "selinuxfs", "smackfs",   "subfs",      "sysfs",     "tracefs",
    "usbfs",   "xenfs",
};

// Splits off the next field separated by exactly one space. Unlike next_token it returns
// empty fields: the source after " - " is empty when mounted with an empty device name
// (`mount -t tmpfs "" /mnt` prints "tmpfs  rw,...", two spaces).
std::string_view next_field(std::string_view& rest) noexcept {
  const auto sp = rest.find(' ');
  std::string_view field = rest.substr(0, sp);
  rest = sp == std::string_view::npos ? std::string_view{} : rest.substr(sp + 1);
  return field;
}

Result<MountInfo> parse_line(std::string_view line) {
  MountInfo m;
  // Fields 1-6: mount ID, parent ID, major:minor, root, mount point, mount options.
  std::array<std::string_view, 6> f{};
  std::string_view rest = line, token;
  for (std::size_t i = 0; i < f.size(); ++i) {
    if (!next_token(rest, token)) {
      return Error{Errc::truncated, fmt::format("{} of at least 10 fields", i)};
    }
    f[i] = token;
  }
  // Then zero or more optional fields ("shared:1", "master:2", "propagate_from:3",
  // "unbindable") ended by a lone "-". Paths are escaped (\040), so "-" cannot be a path.
  bool separator = false;
  while (next_token(rest, token)) {
    if (token == "-") {
      separator = true;
      break;
    }
  }
  if (!separator) return Error{Errc::malformed, "no \" - \" separator"};

  const auto id = text::to_u32(f[0]);
  const auto parent = text::to_u32(f[1]);
  if (!id || !parent) return Error{Errc::malformed, "bad mount id"};
  std::string_view major, minor;
  if (!text::split_once(f[2], ':', major, minor)) return Error{Errc::malformed, "bad major:minor"};
  const auto maj = text::to_u32(major);
  const auto min = text::to_u32(minor);
  if (!maj || !min) return Error{Errc::malformed, "bad major:minor"};

  // After the separator: fstype, source, super options, separated by single spaces.
  if (!rest.empty() && rest.front() == ' ') rest.remove_prefix(1);
  const auto fstype = next_field(rest);
  if (fstype.empty() || rest.empty()) {
    return Error{Errc::truncated, "missing fields after \" - \""};
  }
  const auto source = next_field(rest);
  const auto super_options = text::trim(rest);
  if (super_options.empty() || super_options.find(' ') != std::string_view::npos) {
    return Error{super_options.empty() ? Errc::truncated : Errc::malformed,
                 "bad super options after \" - \""};
  }

  m.mount_id = *id;
  m.parent_id = *parent;
  m.major = *maj;
  m.minor = *min;
  m.root = text::unescape_octal(f[3]);
  m.mount_point = text::unescape_octal(f[4]);
  m.mount_options = std::string(f[5]);
  m.fstype = std::string(fstype);
  m.source = text::unescape_octal(source);
  m.super_options = std::string(super_options);
  return m;
}

bool has_option(std::string_view options, std::string_view wanted) noexcept {
  while (!options.empty()) {
    const auto comma = options.find(',');
    if (options.substr(0, comma) == wanted) return true;
    if (comma == std::string_view::npos) break;
    options.remove_prefix(comma + 1);
  }
  return false;
}

// "subvolid=257" from btrfs super options; empty for other filesystems.
std::string_view btrfs_subvolume(const MountInfo& m) noexcept {
  if (m.fstype != "btrfs") return {};
  std::string_view options = m.super_options;
  while (!options.empty()) {
    const auto comma = options.find(',');
    const auto option = options.substr(0, comma);
    if (option.starts_with("subvolid=")) return option;
    if (comma == std::string_view::npos) break;
    options.remove_prefix(comma + 1);
  }
  return {};
}

}  // namespace

bool MountInfo::read_only() const noexcept { return has_option(mount_options, "ro"); }

// Lines end with '\n'; a blank line (or trailing "\n\n") is skipped. Any other bad line
// fails the parse: a half-read mount table would hide filesystems without a trace.
Result<std::vector<MountInfo>> parse_proc_self_mountinfo(std::string_view text) {
  if (text::trim(text).empty()) return Error{Errc::empty, "mountinfo is empty"};
  std::vector<MountInfo> out;
  std::string_view rest = text, line;
  std::size_t line_no = 0;
  while (next_line(rest, line)) {
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (text::trim(line).empty()) continue;
    auto m = parse_line(line);
    if (!m) return Error{m.error().code, fmt::format("line {}: {}", line_no, m.error().detail)};
    out.push_back(std::move(m).value());
  }
  return out;
}

bool is_pseudo_filesystem(std::string_view fstype) noexcept {
  for (const auto name : kPseudoFilesystems) {
    if (name == fstype) return true;
  }
  return false;
}

std::vector<MountInfo> drop_hidden_mounts(std::vector<MountInfo> mounts) {
  const std::size_t n = mounts.size();
  std::vector<bool> keep(n, true);

  // a. Over-mounted rows.
  std::map<std::uint32_t, std::size_t> by_id;
  for (std::size_t i = 0; i < n; ++i) by_id.emplace(mounts[i].mount_id, i);
  for (std::size_t i = 0; i < n; ++i) {
    const auto parent = by_id.find(mounts[i].parent_id);
    if (parent == by_id.end() || parent->second == i) continue;
    if (mounts[parent->second].mount_point == mounts[i].mount_point) keep[parent->second] = false;
  }

  // b. Repeats of one filesystem among the reachable rows.
  using Key = std::tuple<std::uint32_t, std::uint32_t, std::string_view, std::string_view>;
  std::map<Key, std::size_t> best;
  const auto better = [&](std::size_t a, std::size_t b) {
    const auto& x = mounts[a];
    const auto& y = mounts[b];
    if (x.root.size() != y.root.size()) return x.root.size() < y.root.size();
    if (x.mount_point.size() != y.mount_point.size()) {
      return x.mount_point.size() < y.mount_point.size();
    }
    return a < b;
  };
  for (std::size_t i = 0; i < n; ++i) {
    if (!keep[i]) continue;
    const Key key{mounts[i].major, mounts[i].minor, mounts[i].source, btrfs_subvolume(mounts[i])};
    const auto [it, inserted] = best.emplace(key, i);
    if (inserted) continue;
    if (better(i, it->second)) {
      keep[it->second] = false;
      it->second = i;
    } else {
      keep[i] = false;
    }
  }

  std::vector<MountInfo> out;
  out.reserve(n);
  for (std::size_t i = 0; i < n; ++i) {
    if (keep[i]) out.push_back(std::move(mounts[i]));
  }
  return out;
}

}  // namespace hyperion::collectors
