#include "hyperion/collectors/proc_pid_cgroup.hpp"

#include <catch2/catch.hpp>

#include <string>

#include "fixture.hpp"

using namespace hyperion::collectors;
using hyperion::test::read_fixture;

namespace {

// Container IDs used by the synthetic-* cgroup fixtures.
const std::string kDockerV1Id = "3f4b9a2c8d1e7f6051a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f7a8";
const std::string kPodmanId = "9c2e1d4b7a6f58039e1d2c3b4a5f6e7d8c9b0a1f2e3d4c5b6a7f8e9d0c1b2a3f";
const std::string kKubeId = "e81f3c5a9b7d2046f1e2d3c4b5a69788a9b0c1d2e3f405162738495a6b7c8d9e";
const std::string kDockerV2Id = "5d9a7e3c1b2f4068a7b6c5d4e3f2a1b0c9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4";

}  // namespace

TEST_CASE("parse_proc_pid_cgroup: hybrid v1 host of a real machine", "[collectors][proc_pid_cgroup]") {
  SECTION("PID 1 sits at the root of every hierarchy") {
    const auto r = parse_proc_pid_cgroup(read_fixture("debian12-6.18-x86_64/proc/1/cgroup"));
    REQUIRE(r);
    CHECK(r->path == "/");
    CHECK(cgroup_unit(r->path).empty());
    CHECK(cgroup_container_id(r->path).empty());
  }
  SECTION("a kernel thread too") {
    const auto r = parse_proc_pid_cgroup(read_fixture("debian12-6.18-x86_64/proc/2/cgroup"));
    REQUIRE(r);
    CHECK(r->path == "/");
  }
  SECTION("a shell placed only in a memory cgroup: the one path below the root wins") {
    const auto r = parse_proc_pid_cgroup(read_fixture("debian12-6.18-x86_64/proc/4984/cgroup"));
    REQUIRE(r);
    CHECK(r->path == "/process_api/23971e3b4f7d1cca279461329e134751");
    CHECK(cgroup_unit(r->path).empty());
    CHECK(cgroup_container_id(r->path).empty());  // 32 hex characters is not a container ID
  }
}

TEST_CASE("parse_proc_pid_cgroup: other hosts and runtimes", "[collectors][proc_pid_cgroup]") {
  SECTION("cgroup v2 only, a systemd service") {
    const auto r = parse_proc_pid_cgroup(read_fixture("synthetic-cgroupv2/proc/812/cgroup"));
    REQUIRE(r);
    CHECK(r->path == "/system.slice/ssh.service");
    CHECK(cgroup_unit(r->path) == "ssh.service");
    CHECK(cgroup_container_id(r->path).empty());
  }
  SECTION("docker cgroupfs driver on a hybrid host: v2 lags at containerd.service") {
    const auto r = parse_proc_pid_cgroup(read_fixture("synthetic-docker-cgroupv1/proc/2345/cgroup"));
    REQUIRE(r);
    CHECK(r->path == "/docker/" + kDockerV1Id);
    CHECK(cgroup_container_id(r->path) == kDockerV1Id);
    CHECK(cgroup_unit(r->path).empty());
  }
  SECTION("docker systemd driver on cgroup v2") {
    const auto r = parse_proc_pid_cgroup(read_fixture("synthetic-docker-cgroupv2/proc/5678/cgroup"));
    REQUIRE(r);
    CHECK(r->path == "/system.slice/docker-" + kDockerV2Id + ".scope");
    CHECK(cgroup_container_id(r->path) == kDockerV2Id);
    CHECK(cgroup_unit(r->path) == "docker-" + kDockerV2Id + ".scope");
  }
  SECTION("rootless podman") {
    const auto r = parse_proc_pid_cgroup(read_fixture("synthetic-podman-rootless/proc/3456/cgroup"));
    REQUIRE(r);
    CHECK(r->path.ends_with("/libpod-" + kPodmanId + ".scope/container"));
    CHECK(cgroup_container_id(r->path) == kPodmanId);
    CHECK(cgroup_unit(r->path) == "libpod-" + kPodmanId + ".scope");
  }
  SECTION("kubernetes pod, containerd with the systemd driver") {
    const auto r = parse_proc_pid_cgroup(read_fixture("synthetic-kubepods/proc/4567/cgroup"));
    REQUIRE(r);
    CHECK(r->path.starts_with("/kubepods.slice/kubepods-burstable.slice/"));
    CHECK(cgroup_container_id(r->path) == kKubeId);
    CHECK(cgroup_unit(r->path) == "cri-containerd-" + kKubeId + ".scope");
  }
}

TEST_CASE("parse_proc_pid_cgroup: choosing the path", "[collectors][proc_pid_cgroup]") {
  const auto [name, input, expected] = GENERATE(table<const char*, std::string, std::string>({
      {"hybrid systemd: both agree",
       "3:memory:/system.slice/cron.service\n1:name=systemd:/system.slice/cron.service\n"
       "0::/system.slice/cron.service\n",
       "/system.slice/cron.service"},
      {"pure v1, no 0:: line", "2:cpu,cpuacct:/\n1:name=systemd:/system.slice/cron.service\n",
       "/system.slice/cron.service"},
      {"v1 with a bare 0::/ (cgroup2 mounted by something)",
       "1:name=systemd:/user.slice/user-1000.slice/session-2.scope\n0::/\n",
       "/user.slice/user-1000.slice/session-2.scope"},
      {"v2 when name=systemd is at the root", "1:name=systemd:/\n0::/init.scope\n", "/init.scope"},
      {"OpenRC's own hierarchy", "2:cpuset:/\n1:name=openrc:/sshd\n0::/\n", "/sshd"},
      {"removed v2 cgroup of a zombie", "0::/system.slice/foo.service (deleted)\n",
       "/system.slice/foo.service"},
      {"':' inside the path", "0::/system.slice/foo:bar.service\n", "/system.slice/foo:bar.service"},
      {"inside a cgroup namespace", "0::/\n", "/"},
      {"outside the reader's cgroup namespace", "0::/../../system.slice/x.service\n",
       "/../../system.slice/x.service"},
      {"a v1 zombie shows / everywhere", "2:memory:/\n1:name=systemd:/\n", "/"},
      {"no trailing newline", "0::/system.slice/ssh.service", "/system.slice/ssh.service"},
      {"cgroup already gone, no path printed", "0:: (deleted)\n", "/"},
  }));
  INFO(name);
  const auto r = parse_proc_pid_cgroup(input);
  REQUIRE(r);
  CHECK(r->path == expected);
}

TEST_CASE("parse_proc_pid_cgroup: bad input gives an error, never a crash",
          "[collectors][proc_pid_cgroup]") {
  const auto [name, input, code] = GENERATE(table<const char*, std::string, Errc>({
      {"empty", "", Errc::empty},
      {"whitespace only", "\n\n", Errc::empty},
      {"no colon", "systemd\n", Errc::malformed},
      {"one colon", "0:/system.slice\n", Errc::malformed},
      {"non-numeric id", "x::/\n", Errc::malformed},
      {"empty id", "::/\n", Errc::malformed},
      {"negative id", "-1::/\n", Errc::malformed},
      {"'+' id", "+1::/\n", Errc::malformed},
      {"id overflows u32", "99999999999::/\n", Errc::malformed},
      {"relative path", "0::system.slice\n", Errc::malformed},
      {"empty path", "0::\n", Errc::malformed},
      {"good line then a broken one", "0::/\n1:cpu\n", Errc::malformed},
      {"binary garbage", std::string("\x01\x02\xff\x00:\x80", 6), Errc::malformed},
  }));
  INFO(name);
  const auto r = parse_proc_pid_cgroup(input);
  REQUIRE_FALSE(r);
  CHECK(r.error().code == code);
  CHECK_FALSE(r.error().detail.empty());
}

TEST_CASE("cgroup_unit: the innermost unit of a path", "[collectors][proc_pid_cgroup]") {
  const auto [path, expected] = GENERATE(table<std::string, std::string>({
      {"/system.slice/ssh.service", "ssh.service"},
      {"/user.slice/user-0.slice/session-3.scope", "session-3.scope"},
      {"/init.scope", "init.scope"},
      {"/system.slice/system-getty.slice/getty@tty1.service", "getty@tty1.service"},
      // A delegated service's own sub-cgroups belong to it.
      {"/system.slice/foo.service/payload", "foo.service"},
      {"/system.slice/ssh.service/", "ssh.service"},
      // The user manager's units win over user@1000.service around them.
      {"/user.slice/user-1000.slice/user@1000.service/init.scope", "init.scope"},
      {"/user.slice/user-1000.slice/user@1000.service/app.slice/"
       "app-org.gnome.Terminal.slice/vte-spawn-1f2e3d4c.scope",
       "vte-spawn-1f2e3d4c.scope"},
      {"/user.slice/user-1000.slice/user@1000.service/app.slice/dbus.socket", "dbus.socket"},
      {"/system.slice/dev-hugepages.mount", "dev-hugepages.mount"},
      {"/system.slice/dev-disk-by\\x2duuid-0b1c.swap", "dev-disk-by\\x2duuid-0b1c.swap"},
      // Only slices: the innermost one.
      {"/user.slice/user-1000.slice", "user-1000.slice"},
      {"/system.slice", "system.slice"},
      // No unit at all.
      {"/", ""},
      {"", ""},
      {"/docker/3f4b9a2c8d1e7f6051a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f7a8", ""},
      {"/kubepods/burstable/pod7c3e5a1b-2d4f-4e6a-9b8c-0d1e2f3a4b5c/abc", ""},
      {"/lxc.payload.web", ""},
      {"/.service", ""},      // a suffix alone names nothing
      {"/ssh.services", ""},  // not the suffix
  }));
  INFO(path);
  CHECK(cgroup_unit(path) == expected);
}

TEST_CASE("cgroup_container_id: runtimes' cgroup names", "[collectors][proc_pid_cgroup]") {
  const std::string id = kDockerV1Id;
  const std::string other = kPodmanId;
  const auto [path, expected] = GENERATE_REF(table<std::string, std::string>({
      {"/docker/" + id, id},
      {"/system.slice/docker-" + id + ".scope", id},
      {"/machine.slice/libpod-" + id + ".scope", id},
      {"/user.slice/user-1000.slice/user@1000.service/user.slice/libpod-" + id + ".scope/container",
       id},
      // conmon, podman's monitor of that container, is named after it.
      {"/machine.slice/libpod-conmon-" + id + ".scope", id},
      {"/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod1a2b.slice/"
       "cri-containerd-" + id + ".scope",
       id},
      {"/kubepods.slice/kubepods-pod1a2b.slice/crio-" + id + ".scope", id},
      {"/kubepods/burstable/pod7c3e5a1b-2d4f-4e6a-9b8c-0d1e2f3a4b5c/" + id, id},
      // Innermost wins: docker-in-docker, and systemd running inside a container.
      {"/docker/" + other + "/docker/" + id, id},
      {"/system.slice/docker-" + id + ".scope/init.scope", id},
      // Not container IDs.
      {"/system.slice/ssh.service", ""},
      {"/", ""},
      {"", ""},
      {"/process_api/23971e3b4f7d1cca279461329e134751", ""},
      {"/docker/" + id.substr(1), ""},      // 63 characters
      {"/docker/a" + id, ""},               // 65 characters
      {"/docker/" + id + "-x", ""},         // hex not at the end
      {"/docker/xyz" + id.substr(3), ""},   // not all hex
      {"/docker/3F4B9A2C8D1E7F6051A2B3C4D5E6F708192A3B4C5D6E7F8091A2B3C4D5E6F7A8", ""},
  }));
  INFO(path);
  const auto found = cgroup_container_id(path);
  CHECK(found == expected);
  if (!found.empty()) {
    // A view into the argument, not a copy.
    CHECK(found.data() >= path.data());
    CHECK(found.data() + found.size() <= path.data() + path.size());
  }
}
