#include "hyperion/web/families.hpp"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <vector>

#include "hyperion/web/snapshot_json.hpp"

namespace hyperion::web {
namespace {

using collectors::Family;
using collectors::Snapshot;

// identity and write for a view that is one shared part of the snapshot, written by `Write`.
template <auto Member>
const void* part(const Snapshot& s) {
  return (s.*Member).get();
}
template <auto Member, auto Write>
void write_part(JsonWriter& w, const Snapshot& s) {
  Write(w, *(s.*Member));
}

#define HYPERION_PART(member, writer) \
  .identity = &part<&Snapshot::member>, .write = &write_part<&Snapshot::member, &writer>

// The summary changes with the CPU, sampled every tick.
const void* summary_identity(const Snapshot& s) { return s.cpu.get(); }

// Rows name only the fields they need; GCC 12 warns about every field a designated initialiser
// leaves out, which is the point of designating them.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
const FamilyView kViews[] = {
    {.name = "system",
     .key = "system",
     .summary = "Summary: identity, uptime, load, CPU, memory, process counts, total I/O",
     .family = Family::cpu,
     .identity = &summary_identity,
     .write = &write_summary,
     .schema = "hostname?:string os?:string kernel_release?:string architecture?:string cpu_model?:string "
               "cpu_threads?:integer uptime_seconds?:number boot_time_seconds?:integer load1?:number "
               "load5?:number load15?:number cpu_percent?:number? memory?:object processes?:object "
               "network?:object disks?:object"},
    {.name = "host",
     .key = "host_info",
     .summary = "Host identity: hostname, kernel, OS, CPU model, virtualisation",
     .family = Family::host,
     HYPERION_PART(host_info, write_host_info),
     .schema = "hostname:string kernel_release:string kernel_version:string architecture:string os:object "
               "cpu:object virtualization:string container:string? boot_time_seconds:integer "
               "clock_ticks_per_second:integer page_size_bytes:integer"},
    {.name = "cpu",
     .key = "cpu",
     .summary = "CPU usage by mode, total and per core; context switches, interrupts, forks",
     .family = Family::cpu,
     HYPERION_PART(cpu, write_cpu),
     .schema = "usage_percent:object? ticks:object cores:array:CpuCore context_switches_total:integer "
               "interrupts_total:integer forks_total:integer context_switches_per_second:number? "
               "interrupts_per_second:number? forks_per_second:number? procs_running:integer procs_blocked:integer",
     .item_name = "CpuCore",
     .item_schema = "cpu:integer usage_percent:object? ticks:object"},
    {.name = "memory",
     .key = "memory",
     .summary = "Memory and swap",
     .family = Family::memory,
     HYPERION_PART(memory, write_memory),
     .schema = "total_bytes:integer free_bytes:integer available_bytes:integer used_bytes:integer "
               "used_percent:number buffers_bytes:integer cached_bytes:integer shared_bytes:integer "
               "slab_bytes:integer slab_reclaimable_bytes:integer dirty_bytes:integer writeback_bytes:integer "
               "swap_total_bytes:integer swap_free_bytes:integer swap_cached_bytes:integer "
               "swap_used_percent:number hugepages_total:integer hugepages_free:integer "
               "hugepages_reserved:integer hugepages_surplus:integer hugepage_size_bytes:integer"},
    {.name = "load",
     .key = "load",
     .summary = "Load averages, uptime and pressure stall information",
     .family = Family::system,
     HYPERION_PART(system, write_system),
     .schema = "load1:number load5:number load15:number runnable_tasks:integer total_tasks:integer "
               "uptime_seconds:number boot_time_seconds:integer pressure:object"},
    {.name = "processes",
     .key = "processes",
     .summary = "Every process; sort by any column, filter by user, name or state, page with limit and offset",
     .family = Family::processes,
     HYPERION_PART(processes, write_processes),
     .table_route = false,
     .schema = "counts:object processes:array:Process matched?:integer offset?:integer limit?:integer?",
     .item_name = "Process",
     .item_schema = "pid:integer ppid:integer uid:integer user:string state:string comm:string cmdline:string "
                    "cgroup:string threads:integer nice:integer priority:integer start_time_unix_ms:integer "
                    "cpu_percent:number? cpu_ticks_total:integer rss_bytes:integer virtual_bytes:integer "
                    "shared_bytes:integer memory_percent:number read_bytes_total:integer? "
                    "write_bytes_total:integer? read_bytes_per_second:number? write_bytes_per_second:number? "
                    "open_fds:integer?"},
    {.name = "network",
     .key = "network",
     .summary = "Network interfaces: addresses, state, counters and rates",
     .family = Family::network,
     HYPERION_PART(network, write_network),
     .schema = "interfaces:array:Interface",
     .item_name = "Interface",
     .item_schema = "name:string operstate:string mtu:integer? speed_mbps:integer? mac_address:string "
                    "addresses:array rx_bytes_total:integer tx_bytes_total:integer rx_packets_total:integer "
                    "tx_packets_total:integer rx_errors_total:integer tx_errors_total:integer "
                    "rx_dropped_total:integer tx_dropped_total:integer rates:object?"},
    {.name = "sockets",
     .key = "sockets",
     .summary = "TCP and UDP sockets with owner; filter by protocol, state, port, pid",
     .family = Family::sockets,
     HYPERION_PART(sockets, write_sockets),
     .table_route = false,
     .schema = "tcp_states:object udp_sockets:integer sockets:array:Socket matched?:integer",
     .item_name = "Socket",
     .item_schema = "protocol:string state:string local_address:string local_port:integer remote_address:string "
                    "remote_port:integer tx_queue_bytes:integer rx_queue_bytes:integer uid:integer inode:integer "
                    "pid:integer? process:string?"},
    {.name = "disks",
     .key = "disks",
     .summary = "Block devices: throughput, IOPS, utilisation, wait",
     .family = Family::disks,
     HYPERION_PART(disks, write_disks),
     .schema = "disks:array:Disk",
     .item_name = "Disk",
     .item_schema = "name:string major:integer minor:integer partition:boolean reads_completed_total:integer "
                    "writes_completed_total:integer read_bytes_total:integer written_bytes_total:integer "
                    "io_time_ms_total:integer ios_in_progress:integer rates:object?"},
    {.name = "filesystems",
     .key = "filesystems",
     .summary = "Mounted filesystems with size, use and inodes (as df shows them)",
     .family = Family::filesystems,
     HYPERION_PART(filesystems, write_filesystems),
     .schema = "filesystems:array:Filesystem",
     .item_name = "Filesystem",
     .item_schema = "device:string mount_point:string fstype:string read_only:boolean size_bytes:integer "
                    "used_bytes:integer available_bytes:integer used_percent:number inodes_total:integer "
                    "inodes_used:integer inodes_free:integer"},
    {.name = "sensors",
     .key = "sensors",
     .summary = "Temperatures and fans (hwmon, thermal zones)",
     .family = Family::sensors,
     HYPERION_PART(sensors, write_sensors),
     .schema = "sensors:array:Sensor",
     .item_name = "Sensor",
     .item_schema = "chip:string label:string source:string kind:string celsius?:number rpm?:number max:number? "
                    "critical:number?"},
    {.name = "containers",
     .key = "containers",
     .summary = "Services and containers (control groups): CPU, memory, IO, tasks and pressure of each",
     .family = Family::containers,
     HYPERION_PART(containers, write_containers),
     .schema = "hierarchy:string containers:array:Container",
     .item_name = "Container",
     .item_schema = "id:string name:string kind:string container_id:string? depth:integer "
                    "cpu_usage_seconds_total:number? cpu_percent:number? memory_current_bytes:integer? "
                    "memory_peak_bytes:integer? memory_limit_bytes:integer? io_read_bytes_total:integer? "
                    "io_write_bytes_total:integer? io_read_bytes_per_second:number? "
                    "io_write_bytes_per_second:number? pids:integer? pressure:object"},
};

#pragma GCC diagnostic pop
#undef HYPERION_PART

struct Field {
  std::string_view name;
  std::string_view type;
  std::string_view item;  // "array:Item"
  bool optional = false;  // may be absent
  bool nullable = false;
};

std::vector<Field> parse_short_form(std::string_view s) {
  std::vector<Field> out;
  std::size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && s[i] == ' ') ++i;
    if (i >= s.size()) break;
    auto j = s.find(' ', i);
    if (j == std::string_view::npos) j = s.size();
    auto token = s.substr(i, j - i);
    i = j;
    Field f;
    const auto colon = token.find(':');
    f.name = token.substr(0, colon);
    auto type = colon == std::string_view::npos ? std::string_view("object") : token.substr(colon + 1);
    if (f.name.ends_with('?')) {
      f.optional = true;
      f.name.remove_suffix(1);
    }
    if (type.ends_with('?')) {
      f.nullable = true;
      type.remove_suffix(1);
    }
    const auto item = type.find(':');
    if (item != std::string_view::npos) {
      f.item = type.substr(item + 1);
      type = type.substr(0, item);
    }
    f.type = type;
    out.push_back(f);
  }
  return out;
}

bool has_type(const nlohmann::json& v, std::string_view type) {
  if (type == "string") return v.is_string();
  if (type == "integer") return v.is_number_integer();
  if (type == "number") return v.is_number();
  if (type == "boolean") return v.is_boolean();
  if (type == "array") return v.is_array();
  if (type == "object") return v.is_object();
  return false;
}

}  // namespace

std::span<const FamilyView> family_views() noexcept { return kViews; }

const FamilyView* find_family_view(std::string_view name) noexcept {
  for (const auto& v : kViews) {
    if (v.name == name) return &v;
  }
  return nullptr;
}

void write_json_schema(JsonWriter& w, std::string_view short_form, std::string_view item_name) {
  const auto fields = parse_short_form(short_form);
  w.begin_object();
  w.field("type", "object");
  w.key("properties");
  w.begin_object();
  for (const auto& f : fields) {
    w.key(f.name);
    w.begin_object();
    if (f.nullable) {
      w.key("type");
      w.begin_array();
      w.value(f.type);
      w.value("null");
      w.end_array();
    } else {
      w.field("type", f.type);
    }
    if (f.type == "array" && !f.item.empty()) {
      w.key("items");
      w.begin_object();
      w.field("$ref", fmt::format("#/components/schemas/{}", item_name.empty() ? f.item : item_name));
      w.end_object();
    }
    w.end_object();
  }
  w.end_object();
  w.key("required");
  w.begin_array();
  for (const auto& f : fields) {
    if (!f.optional) w.value(f.name);
  }
  w.end_array();
  w.end_object();
}

std::string schema_mismatch(std::string_view json, std::string_view short_form) {
  const auto v = nlohmann::json::parse(json, nullptr, false);
  if (v.is_discarded() || !v.is_object()) return "not a JSON object";
  const auto fields = parse_short_form(short_form);
  std::string problems;
  const auto add = [&](std::string text) { problems += (problems.empty() ? "" : "; ") + text; };
  for (const auto& f : fields) {
    const auto it = v.find(std::string(f.name));
    if (it == v.end()) {
      if (!f.optional) add(fmt::format("'{}' is missing", f.name));
      continue;
    }
    if (it->is_null() ? !f.nullable : !has_type(*it, f.type)) {
      add(fmt::format("'{}' is {}, not {}{}", f.name, it->type_name(), f.type, f.nullable ? " or null" : ""));
    }
  }
  for (auto it = v.begin(); it != v.end(); ++it) {
    const std::string& key = it.key();
    const bool listed = std::any_of(fields.begin(), fields.end(), [&](const Field& f) { return f.name == key; });
    if (!listed) add(fmt::format("'{}' is not in the schema", key));
  }
  return problems;
}

}  // namespace hyperion::web
