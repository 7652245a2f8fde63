#include "hyperion/collectors/proc_pid_cgroup.hpp"

#include <fmt/format.h>

#include "hyperion/collectors/text.hpp"

namespace hyperion::collectors {
namespace {

constexpr std::size_t kContainerIdLength = 64;
constexpr std::string_view kScope = ".scope";
constexpr std::string_view kUnitSuffixes[] = {".service", ".scope", ".socket", ".mount", ".swap"};

// Printed after the path of a removed cgroup on the v2 hierarchy (proc_cgroup_show() in
// kernel/cgroup/cgroup.c), e.g. a zombie whose service was stopped.
constexpr std::string_view kDeleted = " (deleted)";

bool has_controller(std::string_view list, std::string_view name) noexcept {
  std::string_view item;
  while (!list.empty()) {
    const auto comma = list.find(',');
    item = list.substr(0, comma);
    if (item == name) return true;
    if (comma == std::string_view::npos) break;
    list.remove_prefix(comma + 1);
  }
  return false;
}

// Takes the last '/'-separated component off the end of `path`.
std::string_view pop_component(std::string_view& path) noexcept {
  const auto slash = path.rfind('/');
  if (slash == std::string_view::npos) {
    const auto last = path;
    path = {};
    return last;
  }
  const auto last = path.substr(slash + 1);
  path = path.substr(0, slash);
  return last;
}

// "foo.service" but not ".service" alone.
bool has_unit_suffix(std::string_view component, std::string_view suffix) noexcept {
  return component.size() > suffix.size() && component.ends_with(suffix);
}

bool is_lower_hex(std::string_view s) noexcept {
  for (const char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

}  // namespace

Result<PidCgroup> parse_proc_pid_cgroup(std::string_view text) {
  if (text::trim(text).empty()) return Error{Errc::empty, "cgroup is empty"};
  std::string_view v2, systemd, first, first_below_root;
  bool have_v2 = false, have_systemd = false, have_first = false, saw_pathless = false;
  std::string_view rest = text, line;
  std::size_t line_no = 0;
  while (text::next_line(rest, line)) {
    ++line_no;
    if (text::trim(line).empty()) continue;
    // "ID:CONTROLLERS:PATH"; the path is printed raw and may itself contain ':'.
    std::string_view id, controllers, path, after_id;
    if (!text::split_once(line, ':', id, after_id) ||
        !text::split_once(after_id, ':', controllers, path)) {
      return Error{Errc::malformed, fmt::format("line {}: fewer than three ':' fields", line_no)};
    }
    const auto hierarchy = text::to_u32(id);
    if (!hierarchy || id.front() == '+') {
      return Error{Errc::malformed, fmt::format("line {}: bad hierarchy id", line_no)};
    }
    if (path.ends_with(kDeleted)) {
      path.remove_suffix(kDeleted.size());
      // A kernel patch (rcu-locked proc_cgroup_show) prints "0:: (deleted)" with no path
      // when the task's cgroup is already gone: there is nothing to name, skip the line.
      if (path.empty()) {
        saw_pathless = true;
        continue;
      }
    }
    if (!path.starts_with('/')) {
      return Error{Errc::malformed, fmt::format("line {}: path does not start with '/'", line_no)};
    }
    if (*hierarchy == 0 && controllers.empty()) {
      v2 = path;
      have_v2 = true;
    } else if (has_controller(controllers, "name=systemd")) {
      systemd = path;
      have_systemd = true;
    }
    if (!have_first) {
      first = path;
      have_first = true;
    }
    if (first_below_root.empty() && path != "/") first_below_root = path;
  }
  PidCgroup out;
  if (!have_first) {
    if (!saw_pathless) return Error{Errc::empty, "cgroup has no lines"};
    out.path = "/";  // only cgroups that are gone: the process belongs nowhere any more
    return out;
  }
  // See PidCgroup::path for why name=systemd comes before v2.
  if (have_systemd && systemd != "/") out.path = systemd;
  else if (have_v2 && v2 != "/") out.path = v2;
  else if (!first_below_root.empty()) out.path = first_below_root;
  else out.path = first;  // every path is "/"
  return out;
}

std::string_view cgroup_unit(std::string_view path) noexcept {
  // Innermost first: a service's own sub-cgroups ("foo.service/payload") and the scopes
  // of a user manager (".../user@1000.service/app.slice/app-firefox-42.scope") resolve to
  // the most specific unit.
  std::string_view innermost_slice;
  while (!path.empty()) {
    const auto component = pop_component(path);
    for (const auto suffix : kUnitSuffixes) {
      if (has_unit_suffix(component, suffix)) return component;
    }
    if (innermost_slice.empty() && has_unit_suffix(component, ".slice")) {
      innermost_slice = component;
    }
  }
  return innermost_slice;
}

std::string_view cgroup_container_id(std::string_view path) noexcept {
  // The runtimes name a container's cgroup after its 64-hex ID:
  //   docker (cgroupfs driver)    /docker/<id>
  //   docker (systemd driver)     /system.slice/docker-<id>.scope
  //   podman                      .../libpod-<id>.scope[/container]
  //   containerd (k8s, systemd)   /kubepods.slice/.../cri-containerd-<id>.scope
  //   containerd (k8s, cgroupfs)  /kubepods/burstable/pod<uid>/<id>
  //   cri-o                       .../crio-<id>.scope
  // Innermost first, so docker-in-docker and a container running systemd
  // (".../docker-<id>.scope/init.scope") give the innermost container.
  while (!path.empty()) {
    auto component = pop_component(path);
    if (component.ends_with(kScope)) component.remove_suffix(kScope.size());
    if (component.size() < kContainerIdLength) continue;
    const auto id = component.substr(component.size() - kContainerIdLength);
    const bool whole = component.size() == kContainerIdLength;
    if ((whole || component[component.size() - kContainerIdLength - 1] == '-') &&
        is_lower_hex(id)) {
      return id;
    }
  }
  return {};
}

}  // namespace hyperion::collectors
