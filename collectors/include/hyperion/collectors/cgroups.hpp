#pragma once

// Control groups: the "containers & services" view. Each cgroup below the root is one row:
// systemd units (services, scopes, slices), containers (docker, containerd, podman) and any
// other group, with its CPU, memory, IO, task count and (v2) pressure.
//
// Both layouts are read, under the sys root's fs/cgroup:
//   v2 (unified)   one tree; fs/cgroup/cgroup.controllers exists at its root. Files:
//                  cpu.stat, memory.current, memory.peak (5.19+), memory.max, io.stat,
//                  pids.current, {cpu,memory,io}.pressure (4.20+, CONFIG_PSI).
//                  https://docs.kernel.org/admin-guide/cgroup-v2.html
//   v1 / hybrid    one tree per controller (fs/cgroup/cpuacct or cpu,cpuacct, memory, blkio,
//                  pids), each with its own set of groups; a hybrid host also mounts an empty
//                  v2 tree at fs/cgroup/unified, which is not read. Files: cpuacct.usage,
//                  memory.{usage,max_usage,limit}_in_bytes, blkio.throttle.io_service_bytes,
//                  pids.current. https://docs.kernel.org/admin-guide/cgroup-v1/
// Every figure is hierarchical, as the kernel keeps it: a slice's numbers include its
// children's, so the rows do not add up.
//
// The parsers are pure (text in, typed value out); CgroupReader walks the tree through a
// Source and keeps the previous counters for the rates.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "hyperion/collectors/proc_pressure.hpp"
#include "hyperion/collectors/result.hpp"

namespace hyperion::collectors {

class Source;

enum class CgroupKind { service, scope, slice, docker, containerd, podman, cgroup };

// "service", "scope", "slice", "docker", "containerd", "podman", "cgroup".
const char* to_string(CgroupKind kind) noexcept;

struct ContainerSample {
  // The cgroup path relative to the hierarchy root, starting with "/":
  // "/system.slice/nginx.service". The root "/" itself is not listed.
  std::string id;
  // The unit name ("nginx.service"); for a container its name from the runtime's metadata
  // when readable, else its short (12 hex) ID; for a plain cgroup the last path component.
  std::string name;
  CgroupKind kind = CgroupKind::cgroup;
  std::string container_id;  // the full ID for docker, containerd, podman; empty otherwise
  std::uint32_t depth = 0;   // 1 for children of the root

  std::optional<double> cpu_usage_seconds_total;
  // Percent of one CPU over the interval since the previous read; nullopt on the first read
  // of a group or when its counter went backwards (a group recreated under the same path).
  std::optional<double> cpu_percent;

  std::optional<std::uint64_t> memory_current_bytes;
  std::optional<std::uint64_t> memory_peak_bytes;   // v2: 5.19+; v1: max_usage_in_bytes
  std::optional<std::uint64_t> memory_limit_bytes;  // nullopt when unlimited

  std::optional<std::uint64_t> io_read_bytes_total;
  std::optional<std::uint64_t> io_write_bytes_total;
  std::optional<double> io_read_bytes_per_second;   // same rules as cpu_percent
  std::optional<double> io_write_bytes_per_second;

  std::optional<std::uint64_t> pids_current;

  // v2 only.
  std::optional<Pressure> cpu_pressure;
  std::optional<Pressure> memory_pressure;
  std::optional<Pressure> io_pressure;
};

struct ContainersSample {
  std::vector<ContainerSample> containers;  // sorted by id
  std::string hierarchy;                    // "v2", "v1" or "none"
};

// ---- Pure parsers --------------------------------------------------------------------------

// v2 cpu.stat: "key value" lines. usage_usec is always there (a core file since 4.15, even
// without the cpu controller); user_usec and system_usec are too on every kernel we know,
// but are only reported, not required. Other keys (nr_periods, throttled_usec, ...) are
// ignored.
struct CgroupCpuStat {
  std::uint64_t usage_usec = 0;
  std::optional<std::uint64_t> user_usec;
  std::optional<std::uint64_t> system_usec;
};
Result<CgroupCpuStat> parse_cgroup_cpu_stat(std::string_view text);

// A file holding one unsigned number and a newline: memory.current, memory.peak,
// pids.current (v1 and v2), v1 memory.usage_in_bytes, memory.max_usage_in_bytes.
Result<std::uint64_t> parse_cgroup_number(std::string_view text);

// v2 memory.max (and memory.high, pids.max): "max" (nullopt: unlimited) or a number.
Result<std::optional<std::uint64_t>> parse_cgroup_max(std::string_view text);

// v1 memory.limit_in_bytes: a number; "unlimited" is PAGE_COUNTER_MAX pages, printed as
// 9223372036854771712 on 4 KiB pages (LONG_MAX rounded down to a page), and differently on
// other page sizes, so anything >= 2^62 is taken as unlimited (nullopt).
Result<std::optional<std::uint64_t>> parse_cgroup_v1_memory_limit(std::string_view text);

// v1 cpuacct.usage: CPU time of the group and its descendants, in nanoseconds.
Result<std::uint64_t> parse_cgroup_cpuacct_usage(std::string_view text);

struct CgroupIo {
  std::uint64_t read_bytes = 0;
  std::uint64_t write_bytes = 0;
};

// v2 io.stat: "MAJ:MIN rbytes=N wbytes=N rios=N wios=N dbytes=N dios=N" per device, summed
// over the devices. Empty for a group that did no IO yet (not an error). Other keys
// (cost.*, depth, avg_lat, ...) are ignored; rbytes and wbytes are required on each line.
Result<CgroupIo> parse_cgroup_io_stat(std::string_view text);

// v1 blkio.throttle.io_service_bytes[_recursive] and blkio.io_service_bytes_recursive:
// "MAJ:MIN Read N", "MAJ:MIN Write N" (and Sync, Async, Discard, Total) per device, then a
// last "Total N". The Read and Write lines are summed over the devices.
Result<CgroupIo> parse_cgroup_blkio_service_bytes(std::string_view text);

struct CgroupClass {
  CgroupKind kind = CgroupKind::cgroup;
  std::string container_id;  // full 64-hex ID for containers
  std::string name;          // unit name, short container ID, or the last component
};

// What a cgroup path is, from its last component (and, for the v1 cgroupfs layouts, its
// first):
//   *.service                                   service
//   docker-<64hex>.scope, /docker/<64hex>       docker
//   cri-containerd-<64hex>[.scope],
//   /kubepods[.slice]/.../<64hex>               containerd
//   libpod-<64hex>[.scope]                      podman (libpod-conmon-<id>.scope stays a scope)
//   *.scope                                     scope
//   *.slice                                     slice
//   anything else                               cgroup
// A container's name is its 12-hex short ID here; CgroupReader replaces it with the
// runtime's name when the metadata is readable.
CgroupClass classify_cgroup(std::string_view path);

// Docker's /var/lib/docker/containers/<id>/config.v2.json: the top-level "Name" ("/web")
// without its leading '/' ("web"). Only the top-level key counts (each volume in
// MountPoints has a "Name" too, and so may a label). A small JSON scanner, as the
// collectors module has no JSON library: strings with escapes, nesting bounded; malformed
// or truncated input is an error, never a crash.
Result<std::string> parse_docker_config_name(std::string_view text);

// Podman's (containers/storage) overlay-containers/containers.json: an array of objects
// with "id" and "names":[...]. The first name is the container's name.
struct PodmanContainer {
  std::string id;
  std::string name;  // empty when the "names" array is empty or absent
};
Result<std::vector<PodmanContainer>> parse_podman_containers(std::string_view text);

// ---- The reader ----------------------------------------------------------------------------

struct CgroupOptions {
  std::uint32_t max_depth = 4;     // 1: only the children of the root
  std::uint32_t max_groups = 2000; // a bound on the rows (and on the reads) per tick

  bool operator==(const CgroupOptions&) const = default;
};

class CgroupReader {
 public:
  explicit CgroupReader(CgroupOptions options = {});

  // Reads every cgroup down to max_depth, breadth first, through `source` (read_sys and
  // list_sys_dirs under "fs/cgroup", read_root for container metadata), into `out`.
  // `now_seconds` is a monotonic clock, for the rates. *error is cleared when there is nothing
  // to say.
  //
  // Returns false (and says why in *error, when given) only when no hierarchy is found
  // (out.hierarchy is "none", no rows). Otherwise true, with *error set when something is
  // worth a warning: more than max_groups groups (the first max_groups, shallowest first,
  // are read), or a file that was read but did not parse (that value is left out).
  // A group that vanishes between listing and reading is skipped silently, and so is a
  // listed directory none of whose files can be read. A file a kernel lacks (memory.peak
  // before 5.19, a controller not enabled for a subtree) leaves its value nullopt.
  bool read(const Source& source, double now_seconds, ContainersSample& out, std::string* error);

 private:
  struct Previous {
    double now_seconds = 0;
    std::optional<double> cpu_seconds;
    std::optional<std::uint64_t> io_read_bytes;
    std::optional<std::uint64_t> io_write_bytes;
  };
  struct Mount {
    std::string dir;  // "fs/cgroup" (v2) or "fs/cgroup/memory" ...
    enum Controller { v2, cpuacct, memory, blkio, pids } controller = v2;
  };

  bool detect(const Source& source, std::string& hierarchy);
  void read_group(const Source& source, const std::string& id, std::uint32_t mounts_mask, ContainerSample& row,
                  bool& any, std::vector<std::string>& problems);
  void name_container(const Source& source, ContainerSample& row);

  CgroupOptions options_;
  std::vector<Mount> mounts_;
  std::unordered_map<std::string, Previous> previous_;        // by cgroup id
  std::unordered_map<std::string, std::string> names_;        // by container ID ("" unknown)
  std::string buf_;
};

}  // namespace hyperion::collectors
