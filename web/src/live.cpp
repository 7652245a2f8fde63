#include "hyperion/web/live.hpp"

#include <algorithm>

#include "hyperion/web/families.hpp"
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
  const auto* view = find_family_view(family);
  if (!view || !view->live) return std::nullopt;
  return LiveTopic{std::string(host), std::string(family)};
}

std::string live_family_names() {
  std::string out;
  for (const auto& v : family_views()) {
    if (v.live) out += (out.empty() ? "" : ", ") + std::string(v.name);
  }
  return out;
}

const void* live_family_identity(const Snapshot& s, std::string_view f) {
  const auto* view = find_family_view(f);
  return view && view->live ? view->identity(s) : nullptr;
}

std::optional<std::string> render_live_frame(const Snapshot& s, std::string_view topic, std::string_view f) {
  const auto* view = find_family_view(f);
  if (!view || !view->live || !view->identity(s)) return std::nullopt;
  std::string out;
  out.reserve(f == "processes" ? 128 * 1024 : 2048);
  JsonWriter w(out);
  w.begin_object();
  w.field("topic", topic);
  w.field("host", s.host);
  w.field("timestamp_ms", s.timestamp_ms);
  w.key("data");
  view->write(w, s);
  w.end_object();
  return out;
}

}  // namespace hyperion::web
