#pragma once

// /proc/PID/cgroup: "hierarchy-ID:controller-list:cgroup-path" per line.
// On cgroup v2 there is one line "0::/system.slice/ssh.service"; on v1 or hybrid
// hosts there are many, and the systemd hierarchy is "N:name=systemd:/...".

#include <string>
#include <string_view>

#include "hyperion/collectors/result.hpp"

namespace hyperion::collectors {

struct PidCgroup {
  // The path that names the process's service or container. Preference:
  //   1. the name=systemd v1 path, if not "/";
  //   2. the v2 ("0::") path, if not "/";
  //   3. the first line whose path is not "/";
  //   4. "/" (kernel threads, a process at the root, or inside a cgroup namespace).
  // A name=systemd line exists only on v1/hybrid hosts, and there it is the one systemd
  // and v1 runtimes keep current: docker's cgroupfs driver moves a container to
  // "/docker/<id>" in every v1 hierarchy but leaves its v2 line at the shim's parent
  // ("0::/system.slice/containerd.service"). The kernel also prints "0::/" on v1 hosts
  // as soon as cgroup2 is mounted anywhere. On v2-only hosts rule 2 decides.
  // A trailing " (deleted)" (printed for a removed v2 cgroup) is dropped.
  std::string path;
};

Result<PidCgroup> parse_proc_pid_cgroup(std::string_view text);

// The systemd unit a cgroup path belongs to: the last component ending in
// .service, .scope, .socket, .mount, .swap, .slice (in that preference:
// the innermost .service/.scope wins over enclosing slices). Empty when none.
// "/system.slice/ssh.service" -> "ssh.service";
// "/user.slice/user-0.slice/session-3.scope" -> "session-3.scope".
std::string_view cgroup_unit(std::string_view path) noexcept;

// A container ID in a cgroup path (docker, containerd, podman/libpod, crio):
// 64 hex characters in a component like "docker-<id>.scope", "<id>", "libpod-<id>.scope".
// Empty when none.
std::string_view cgroup_container_id(std::string_view path) noexcept;

}  // namespace hyperion::collectors
