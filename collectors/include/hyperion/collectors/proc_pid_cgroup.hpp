#pragma once

// /proc/PID/cgroup: "hierarchy-ID:controller-list:cgroup-path" per line.
// On cgroup v2 there is one line "0::/system.slice/ssh.service"; on v1 or hybrid
// hosts there are many, and the systemd hierarchy is "N:name=systemd:/...".

#include <string>
#include <string_view>

#include "hyperion/collectors/result.hpp"

namespace hyperion::collectors {

struct PidCgroup {
  // The path that names the process's service or container: the v2 ("0::") path
  // when present, else the name=systemd v1 path, else the first line's path.
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
