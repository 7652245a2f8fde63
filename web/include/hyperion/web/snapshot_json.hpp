#pragma once

// JSON of the snapshot model, one writer function per family, shared by the REST API and
// `hyperiond --once --json`. Field names carry units (_bytes, _percent, _per_second,
// _seconds, _ms); an absent optional value is null; a family never collected is null.

#include <string>

#include "hyperion/collectors/snapshot.hpp"
#include "hyperion/web/json_writer.hpp"

namespace hyperion::web {

void write_host_info(JsonWriter& w, const collectors::HostInfo& h);
void write_system(JsonWriter& w, const collectors::SystemSample& s);
void write_cpu(JsonWriter& w, const collectors::CpuSample& c);
void write_memory(JsonWriter& w, const collectors::MemorySample& m);
void write_process(JsonWriter& w, const collectors::ProcessSample& p);
void write_process_counts(JsonWriter& w, const collectors::ProcessCounts& c);
void write_interface(JsonWriter& w, const collectors::InterfaceSample& i);
void write_socket(JsonWriter& w, const collectors::SocketSample& s);
void write_tcp_states(JsonWriter& w, const collectors::SocketsSample& s);
void write_disk(JsonWriter& w, const collectors::DiskSample& d);
void write_filesystem(JsonWriter& w, const collectors::FilesystemSample& f);
void write_sensor(JsonWriter& w, const collectors::SensorSample& s);
void write_container(JsonWriter& w, const collectors::ContainerSample& c);

// Each family as the object it is in the snapshot: {"interfaces": [...]}, {"disks": [...]}, ...
void write_processes(JsonWriter& w, const collectors::ProcessesSample& p);
void write_network(JsonWriter& w, const collectors::NetworkSample& n);
void write_sockets(JsonWriter& w, const collectors::SocketsSample& s);
void write_disks(JsonWriter& w, const collectors::DisksSample& d);
void write_filesystems(JsonWriter& w, const collectors::FilesystemsSample& f);
void write_sensors(JsonWriter& w, const collectors::SensorsSample& s);
void write_containers(JsonWriter& w, const collectors::ContainersSample& c);

// The summary the /system route and the system topic show: identity, uptime, load, CPU,
// memory, process counts, total network and disk throughput.
void write_summary(JsonWriter& w, const collectors::Snapshot& s);

// The whole snapshot as one object.
std::string snapshot_to_json(const collectors::Snapshot& snapshot, int indent = -1);

}  // namespace hyperion::web
