#pragma once

// Live topics for the WebSocket at /api/v1/live: "hosts/{host}/{family}" with family a live
// view of the family table (families.hpp). A frame is {"topic", "host", "timestamp_ms", "data"}, where data is what the
// REST route of the same family returns under its key. Frames are rendered once per topic per
// snapshot and shared by every subscriber (the hub in live_hub.cpp).

#include <array>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "hyperion/collectors/snapshot.hpp"

namespace hyperion::web {

// "system, host, cpu, ...": the families a topic may name, for error messages.
std::string live_family_names();

struct LiveTopic {
  std::string host;
  std::string family;
};

// Parses "hosts/local/cpu"; nullopt when it is not a topic (unknown family, wrong shape).
std::optional<LiveTopic> parse_live_topic(std::string_view topic);

// The family object a topic follows in a snapshot, to tell whether it changed since the last
// frame (families are shared between snapshots until they are collected again). Null when
// the family has not been collected.
const void* live_family_identity(const collectors::Snapshot& s, std::string_view family);

// The frame for a topic of this snapshot; nullopt when its family has not been collected.
std::optional<std::string> render_live_frame(const collectors::Snapshot& s, std::string_view topic,
                                             std::string_view family);

}  // namespace hyperion::web
