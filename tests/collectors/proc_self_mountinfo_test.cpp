#include "hyperion/collectors/proc_self_mountinfo.hpp"

#include <catch2/catch.hpp>

#include "fixture.hpp"

using namespace hyperion::collectors;
using hyperion::test::read_fixture;

namespace {

const MountInfo* find_id(const std::vector<MountInfo>& mounts, std::uint32_t id) {
  for (const auto& m : mounts) {
    if (m.mount_id == id) return &m;
  }
  return nullptr;
}

// The rows the default filesystem view keeps, before the caller's zero-size check.
std::vector<std::string> shown_mount_points(std::vector<MountInfo> mounts) {
  std::vector<std::string> out;
  for (auto& m : drop_hidden_mounts(std::move(mounts))) {
    if (!is_pseudo_filesystem(m.fstype)) out.push_back(m.mount_point);
  }
  return out;
}

MountInfo mount(std::uint32_t id, std::uint32_t parent, std::uint32_t major, std::uint32_t minor,
                std::string root, std::string point, std::string fstype, std::string source,
                std::string super_options = "rw") {
  MountInfo m;
  m.mount_id = id;
  m.parent_id = parent;
  m.major = major;
  m.minor = minor;
  m.root = std::move(root);
  m.mount_point = std::move(point);
  m.mount_options = "rw,relatime";
  m.fstype = std::move(fstype);
  m.source = std::move(source);
  m.super_options = std::move(super_options);
  return m;
}

}  // namespace

TEST_CASE("parse_proc_self_mountinfo: reads every mount of a real machine",
          "[collectors][proc_self_mountinfo]") {
  const auto r =
      parse_proc_self_mountinfo(read_fixture("debian12-6.18-x86_64/proc/self/mountinfo"));
  REQUIRE(r);
  REQUIRE(r->size() == 20);

  const auto* root = find_id(*r, 27);
  REQUIRE(root != nullptr);
  CHECK(root->parent_id == 1);
  CHECK(root->major == 254);
  CHECK(root->minor == 0);
  CHECK(root->root == "/");
  CHECK(root->mount_point == "/");
  CHECK(root->mount_options == "rw,relatime");
  CHECK(root->fstype == "ext4");
  CHECK(root->source == "/dev/vda");
  CHECK(root->super_options == "rw,discard,resv_strict,resuid=65534,resgid=65534");
  CHECK_FALSE(root->read_only());

  const auto* tools = find_id(*r, 28);
  REQUIRE(tools != nullptr);
  CHECK(tools->read_only());
  CHECK(tools->fstype == "tmpfs");
  CHECK(tools->source == "model_tools_unavailable");

  const auto* unified = find_id(*r, 41);
  REQUIRE(unified != nullptr);
  CHECK(unified->fstype == "cgroup2");
  CHECK(unified->mount_point == "/sys/fs/cgroup/unified");
}

TEST_CASE("filesystem rule: matches df on the real machine", "[collectors][proc_self_mountinfo]") {
  // `df -B1 --output=source,fstype,target` on the machine the fixture came from:
  //   devtmpfs /dev, tmpfs /dev/shm, /dev/vda /, model_tools_unavailable /mnt/sandboxing/...,
  //   tmpfs /sys/fs/cgroup. None of these reports zero blocks, so step 3 removes nothing.
  auto r = parse_proc_self_mountinfo(read_fixture("debian12-6.18-x86_64/proc/self/mountinfo"));
  REQUIRE(r);
  const std::vector<std::string> df = {"/dev", "/", "/mnt/sandboxing/model_tools_env/v1/python",
                                       "/dev/shm", "/sys/fs/cgroup"};
  CHECK(shown_mount_points(*r) == df);
  // Of the two tmpfs stacked on /dev/shm only the top one (id 30, child of 25) is reachable.
  const auto visible = drop_hidden_mounts(std::move(r).value());
  CHECK(find_id(visible, 25) == nullptr);
  CHECK(find_id(visible, 30) != nullptr);
  CHECK(find_id(visible, 26) == nullptr);  // devpts under a second devpts
}

TEST_CASE("parse_proc_self_mountinfo: escapes, optional fields and an empty source",
          "[collectors][proc_self_mountinfo]") {
  const auto r = parse_proc_self_mountinfo(read_fixture("synthetic-mountinfo/proc/self/mountinfo"));
  REQUIRE(r);
  REQUIRE(r->size() == 34);

  const auto* usb = find_id(*r, 44);
  REQUIRE(usb != nullptr);
  CHECK(usb->mount_point == "/media/user/My Backup Disk");
  CHECK(usb->fstype == "exfat");
  CHECK(usb->major == 8);
  CHECK(usb->minor == 17);

  const auto* odd = find_id(*r, 52);
  REQUIRE(odd != nullptr);
  CHECK(odd->mount_point == "/media/user/tab\tnew\nback\\slash");
  CHECK(odd->source == "/dev/sdb2");

  // shared:1 master:2 propagate_from:3 between the options and the separator.
  const auto* slave = find_id(*r, 48);
  REQUIRE(slave != nullptr);
  CHECK(slave->mount_options == "rw,relatime");
  CHECK(slave->fstype == "tmpfs");
  CHECK(slave->super_options == "rw,size=65536k,inode64");

  const auto* unbindable = find_id(*r, 49);
  REQUIRE(unbindable != nullptr);
  CHECK(unbindable->fstype == "tmpfs");

  // `mount -t tmpfs "" /mnt`: two spaces after the fstype.
  const auto* empty = find_id(*r, 50);
  REQUIRE(empty != nullptr);
  CHECK(empty->source.empty());
  CHECK(empty->super_options == "rw,size=1024k,inode64");
  CHECK(empty->mount_point == "/mnt/empty source");

  const auto* home = find_id(*r, 27);
  REQUIRE(home != nullptr);
  CHECK(home->root == "/@home");
  CHECK(home->major == 0);
  CHECK(home->minor == 26);

  const auto* ns = find_id(*r, 54);
  REQUIRE(ns != nullptr);
  CHECK(ns->root == "net:[4026532281]");

  const auto* snap = find_id(*r, 45);
  REQUIRE(snap != nullptr);
  CHECK(snap->read_only());
  CHECK(snap->major == 7);

  const auto* nfs = find_id(*r, 53);
  REQUIRE(nfs != nullptr);
  CHECK(nfs->source == "192.0.2.10:/export");
}

TEST_CASE("filesystem rule: a desktop with btrfs, binds, snaps and stacked mounts",
          "[collectors][proc_self_mountinfo]") {
  auto r = parse_proc_self_mountinfo(read_fixture("synthetic-mountinfo/proc/self/mountinfo"));
  REQUIRE(r);
  const std::vector<std::string> expected = {
      "/dev",
      "/run",
      "/",
      "/home",  // another btrfs subvolume of the same device: its own row, as in df
      "/dev/shm",
      "/boot/efi",
      "/run/user/1000",
      "/run/user/1000/gvfs",  // zero blocks: the caller's statvfs step hides it
      "/media/user/My Backup Disk",
      "/snap/core22/1380",
      // "/mnt/data bind" is a bind of / (same device and subvolume): dropped.
      "/var/lib/docker/overlay2/3f1c/merged",
      "/mnt/slave",
      "/mnt/private",
      // the first "/mnt/empty source" is over-mounted by the second: dropped.
      "/mnt/empty source",
      "/media/user/tab\tnew\nback\\slash",
      "/mnt/nfs",
  };
  CHECK(shown_mount_points(std::move(r).value()) == expected);
}

TEST_CASE("drop_hidden_mounts: keeps the bind mount nearest the filesystem root",
          "[collectors][proc_self_mountinfo]") {
  // Docker's per-container files, all on the host's /dev/vda, listed in Docker's order.
  std::vector<MountInfo> mounts = {
      mount(600, 599, 0, 40, "/", "/", "overlay", "overlay"),
      mount(601, 600, 254, 0, "/var/lib/docker/containers/c0ffee/resolv.conf",
            "/etc/resolv.conf", "ext4", "/dev/vda"),
      mount(602, 600, 254, 0, "/var/lib/docker/containers/c0ffee/hostname", "/etc/hostname",
            "ext4", "/dev/vda"),
      mount(603, 600, 254, 0, "/var/lib/docker/containers/c0ffee/hosts", "/etc/hosts", "ext4",
            "/dev/vda"),
  };
  const auto kept = drop_hidden_mounts(mounts);
  REQUIRE(kept.size() == 2);  // as `df` in a container: overlay / and one /etc/hosts row
  CHECK(kept[0].mount_point == "/");
  CHECK(kept[1].mount_point == "/etc/hosts");

  // Same root length: the shorter mount point wins, then the earlier row.
  const auto tie = drop_hidden_mounts({mount(10, 1, 8, 1, "/", "/srv/long/path", "ext4", "/dev/sda1"),
                                       mount(11, 1, 8, 1, "/", "/srv", "ext4", "/dev/sda1"),
                                       mount(12, 1, 8, 1, "/", "/abc", "ext4", "/dev/sda1")});
  REQUIRE(tie.size() == 1);
  CHECK(tie[0].mount_id == 11);
}

TEST_CASE("drop_hidden_mounts: keeps what df keeps", "[collectors][proc_self_mountinfo]") {
  // Two NFS exports sharing one superblock are different sources: both stay.
  const auto nfs = drop_hidden_mounts({mount(20, 1, 0, 50, "/", "/a", "nfs4", "192.0.2.1:/a"),
                                       mount(21, 1, 0, 50, "/", "/b", "nfs4", "192.0.2.1:/b")});
  CHECK(nfs.size() == 2);
  // The root of a mount namespace is its own parent: not "over-mounted" by itself.
  const auto self = drop_hidden_mounts({mount(1, 1, 8, 1, "/", "/", "ext4", "/dev/sda1")});
  CHECK(self.size() == 1);
  // A child at a different mount point does not hide its parent.
  const auto child = drop_hidden_mounts({mount(1, 0, 8, 1, "/", "/", "ext4", "/dev/sda1"),
                                         mount(2, 1, 8, 2, "/", "/home", "ext4", "/dev/sda2")});
  CHECK(child.size() == 2);
  // btrfs subvolumes of one device are separate rows; a bind of the same subvolume is not.
  const auto btrfs = drop_hidden_mounts(
      {mount(30, 1, 0, 26, "/@", "/", "btrfs", "/dev/sda2", "rw,subvolid=256,subvol=/@"),
       mount(31, 30, 0, 26, "/@home", "/home", "btrfs", "/dev/sda2",
             "rw,subvolid=257,subvol=/@home"),
       mount(32, 30, 0, 26, "/@/var", "/var", "btrfs", "/dev/sda2", "rw,subvolid=256,subvol=/@")});
  REQUIRE(btrfs.size() == 2);
  CHECK(btrfs[0].mount_point == "/");
  CHECK(btrfs[1].mount_point == "/home");
  CHECK(drop_hidden_mounts({}).empty());
}

TEST_CASE("is_pseudo_filesystem: kernel interfaces yes, storage no",
          "[collectors][proc_self_mountinfo]") {
  for (const char* t : {"proc", "sysfs", "cgroup", "cgroup2", "devpts", "mqueue", "debugfs",
                        "tracefs", "securityfs", "pstore", "bpf", "configfs", "fusectl",
                        "hugetlbfs", "autofs", "binfmt_misc", "rpc_pipefs", "nsfs", "efivarfs",
                        "selinuxfs", "fuse.portal", "nfsd", "xenfs"}) {
    INFO(t);
    CHECK(is_pseudo_filesystem(t));
  }
  for (const char* t : {"ext4", "xfs", "btrfs", "tmpfs", "devtmpfs", "ramfs", "rootfs", "overlay",
                        "squashfs", "vfat", "nfs4", "cifs", "fuse.sshfs", "9p", "virtiofs", "",
                        "PROC", "proc ", "cgroup3"}) {
    INFO(t);
    CHECK_FALSE(is_pseudo_filesystem(t));
  }
}

TEST_CASE("MountInfo::read_only: matches the whole \"ro\" option only",
          "[collectors][proc_self_mountinfo]") {
  MountInfo m;
  m.mount_options = "ro";
  CHECK(m.read_only());
  m.mount_options = "rw,nosuid,ro";
  CHECK(m.read_only());
  m.mount_options = "rw,errors=ro";
  CHECK_FALSE(m.read_only());
  m.mount_options = "rw,nosuid,rootcontext=x";
  CHECK_FALSE(m.read_only());
  m.mount_options = "";
  CHECK_FALSE(m.read_only());
}

TEST_CASE("parse_proc_self_mountinfo: bad input gives an error, never a crash",
          "[collectors][proc_self_mountinfo]") {
  const std::string good = "27 1 254:0 / / rw,relatime - ext4 /dev/vda rw\n";
  const auto [name, input, code] = GENERATE_REF(table<const char*, std::string, Errc>({
      {"empty", "", Errc::empty},
      {"whitespace only", " \n\n", Errc::empty},
      {"five fields", "36 35 98:0 /mnt1 /mnt2\n", Errc::truncated},
      {"no separator", "36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 ext3 /dev/root rw\n",
       Errc::malformed},
      {"nothing after separator", "36 35 98:0 / /mnt rw -\n", Errc::truncated},
      {"only fstype after separator", "36 35 98:0 / /mnt rw - ext3\n", Errc::truncated},
      {"no super options", "36 35 98:0 / /mnt rw - ext3 /dev/root\n", Errc::truncated},
      {"extra column", "36 35 98:0 / /mnt rw - ext3 /dev/root rw extra\n", Errc::malformed},
      {"truncated after a good line", good + "37 27 98:1 / /mn", Errc::truncated},
      {"non-numeric id", "x 35 98:0 / /mnt rw - ext3 /dev/root rw\n", Errc::malformed},
      {"negative parent", "36 -1 98:0 / /mnt rw - ext3 /dev/root rw\n", Errc::malformed},
      {"id overflows u32", "4294967296 35 98:0 / /mnt rw - ext3 /dev/root rw\n", Errc::malformed},
      {"no colon in major:minor", "36 35 98-0 / /mnt rw - ext3 /dev/root rw\n", Errc::malformed},
      {"bad minor", "36 35 98:x / /mnt rw - ext3 /dev/root rw\n", Errc::malformed},
      {"binary garbage", std::string("\x01\x02\xff\x00-\x7f", 6), Errc::truncated},
  }));
  INFO(name);
  const auto r = parse_proc_self_mountinfo(input);
  REQUIRE_FALSE(r);
  CHECK(r.error().code == code);
  CHECK_FALSE(r.error().detail.empty());
}
