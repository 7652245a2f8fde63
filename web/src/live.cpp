#include "hyperion/web/live.hpp"

#include <algorithm>

#include "hyperion/web/json_writer.hpp"
#include "hyperion/web/snapshot_json.hpp"

namespace hyperion::web {

using namespace hyperion::collectors;

std::optional<LiveTopic> parse_live_topic(std::string_view topic) {
  constexpr std::string_view kPrefix = "hosts/";
  if (!topic.starts_with(kPrefix)) return std::nullopt;
  topic.remove_prefix(kPrefix.size());
  const auto slash = topic.find('/');
  if (slash == std::string_view::npos || slash == 0) return std::nullopt;
  const auto host = topic.substr(0, slash);
  const auto family = topic.substr(slash + 1);
  if (std::find(kLiveFamilies.begin(), kLiveFamilies.end(), family) == kLiveFamilies.end()) return std::nullopt;
  return LiveTopic{std::string(host), std::string(family)};
}

const void* live_family_identity(const Snapshot& s, std::string_view f) {
  if (f == "system") return s.cpu.get();  // the summary moves with the CPU (every tick)
  if (f == "host") return s.host_info.get();
  if (f == "cpu") return s.cpu.get();
  if (f == "memory") return s.memory.get();
  if (f == "load") return s.system.get();
  if (f == "processes") return s.processes.get();
  if (f == "network") return s.network.get();
  if (f == "sockets") return s.sockets.get();
  if (f == "disks") return s.disks.get();
  if (f == "filesystems") return s.filesystems.get();
  if (f == "sensors") return s.sensors.get();
  return nullptr;
}

std::optional<std::string> render_live_frame(const Snapshot& s, std::string_view topic, std::string_view f) {
  if (!live_family_identity(s, f)) return std::nullopt;
  std::string out;
  out.reserve(f == "processes" ? 128 * 1024 : 2048);
  JsonWriter w(out);
  w.begin_object();
  w.field("topic", topic);
  w.field("host", s.host);
  w.field("timestamp_ms", s.timestamp_ms);
  w.key("data");
  if (f == "system") write_summary(w, s);
  else if (f == "host") write_host_info(w, *s.host_info);
  else if (f == "cpu") write_cpu(w, *s.cpu);
  else if (f == "memory") write_memory(w, *s.memory);
  else if (f == "load") write_system(w, *s.system);
  else if (f == "processes") write_processes(w, *s.processes);
  else if (f == "network") write_network(w, *s.network);
  else if (f == "sockets") write_sockets(w, *s.sockets);
  else if (f == "disks") write_disks(w, *s.disks);
  else if (f == "filesystems") write_filesystems(w, *s.filesystems);
  else if (f == "sensors") write_sensors(w, *s.sensors);
  w.end_object();
  return out;
}

}  // namespace hyperion::web
