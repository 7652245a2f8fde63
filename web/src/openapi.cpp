#include <algorithm>
#include <map>
#include <string>

#include "hyperion/web/api.hpp"
#include "hyperion/web/families.hpp"
#include "hyperion/web/json_writer.hpp"

namespace hyperion::web {
namespace {

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

std::vector<std::string> path_parameters(std::string_view pattern) {
  std::vector<std::string> out;
  std::size_t i = 0;
  while ((i = pattern.find('{', i)) != std::string_view::npos) {
    const auto j = pattern.find('}', i);
    if (j == std::string_view::npos) break;
    out.emplace_back(pattern.substr(i + 1, j - i - 1));
    i = j + 1;
  }
  return out;
}

// {"description": "OK", "content": {"application/json": {"schema": <schema()>}}}
template <class F>
void write_json_response(JsonWriter& w, F schema) {
  w.begin_object();
  w.field("description", "OK");
  w.key("content");
  w.begin_object();
  w.key("application/json");
  w.begin_object();
  w.key("schema");
  schema();
  w.end_object();
  w.end_object();
  w.end_object();
}

void write_response(JsonWriter& w, std::string_view description, std::string_view media, bool problem_schema) {
  w.begin_object();
  w.field("description", description);
  w.key("content");
  w.begin_object();
  w.key(media);
  w.begin_object();
  if (problem_schema) {
    w.key("schema");
    w.begin_object();
    w.field("$ref", "#/components/schemas/Problem");
    w.end_object();
  }
  w.end_object();
  w.end_object();
  w.end_object();
}

}  // namespace

std::string openapi_document(const Router& router) {
  // Group the routes by path; the router's table is the only source, so the document
  // cannot drift from what the server answers.
  std::map<std::string, std::vector<const Route*>> paths;
  for (const auto& r : router.routes()) paths[r.pattern].push_back(&r);

  std::string out;
  JsonWriter w(out);
  w.begin_object();
  w.field("openapi", "3.1.0");
  w.key("info");
  w.begin_object();
  w.field("title", "Hyperion");
  w.field("version", HYPERION_VERSION);
  w.field("description",
          "Host monitoring API. Every error is application/problem+json (RFC 9457). Units are in the field "
          "names (_bytes, _percent, _per_second, _seconds, _ms).");
  w.end_object();
  w.key("paths");
  w.begin_object();
  for (const auto& [pattern, routes] : paths) {
    w.key(pattern);
    w.begin_object();
    for (const auto* r : routes) {
      w.key(lower(r->method));
      w.begin_object();
      w.field("summary", r->summary);
      w.field("x-required-role", to_string(r->role));
      w.key("parameters");
      w.begin_array();
      for (const auto& name : path_parameters(pattern)) {
        w.begin_object();
        w.field("name", name);
        w.field("in", "path");
        w.field("required", true);
        w.key("schema");
        w.begin_object();
        w.field("type", name == "pid" ? "integer" : "string");
        w.end_object();
        w.end_object();
      }
      for (const auto& name : r->query_parameters) {
        w.begin_object();
        w.field("name", name);
        w.field("in", "query");
        w.field("required", std::find(r->required_query.begin(), r->required_query.end(), name) != r->required_query.end());
        for (const auto& [param, help] : r->query_help) {
          if (param == name) w.field("description", help);
        }
        w.key("schema");
        w.begin_object();
        w.field("type", name == "limit" || name == "offset" || name == "pid" || name.ends_with("port") ? "integer"
                                                                                                        : "string");
        w.end_object();
        w.end_object();
      }
      w.end_array();
      w.key("responses");
      w.begin_object();
      w.key("200");
      const std::string_view type = pattern == "/metrics"         ? "text/plain"
                                    : pattern == "/"               ? "text/html"
                                    : pattern.starts_with("/assets/") ? "*/*"
                                                                      : "application/json";
      if (!r->family_view.empty()) {
        // The envelope of a family view: {"host", "timestamp_ms", KEY: the view's object}.
        const auto* view = find_family_view(r->family_view);
        write_json_response(w, [&] {
          w.begin_object();
          w.field("type", "object");
          w.key("properties");
          w.begin_object();
          w.key("host");
          w.begin_object();
          w.field("type", "string");
          w.end_object();
          w.key("timestamp_ms");
          w.begin_object();
          w.field("type", "integer");
          w.end_object();
          if (view) {
            w.key(view->key);
            w.begin_object();
            w.field("$ref", "#/components/schemas/" + std::string(view->name));
            w.end_object();
          }
          w.end_object();
          w.end_object();
        });
      } else if (!r->response_schema.empty()) {
        write_json_response(w, [&] { w.raw(r->response_schema); });
      } else {
        write_response(w, "OK", type, false);
      }
      w.key("default");
      write_response(w, "An error, as problem details", "application/problem+json", true);
      w.end_object();
      w.end_object();
    }
    w.end_object();
  }
  w.end_object();
  w.key("components");
  w.begin_object();
  w.key("schemas");
  w.begin_object();
  // Each family view's body, and the items of its list, from the family table.
  for (const auto& view : family_views()) {
    w.key(view.name);
    write_json_schema(w, view.schema, view.item_name);
    if (!view.item_name.empty()) {
      w.key(view.item_name);
      write_json_schema(w, view.item_schema, {});
    }
  }
  // A history series' values: a number per bucket, null for a gap, and NaN and the infinities
  // as strings (JSON has no form for them).
  w.key("HistoryValues");
  w.raw(R"({"type":"array","items":{"oneOf":[{"type":"number"},{"type":"null"},{"type":"string","enum":["NaN","+Inf","-Inf"]}]}})");
  w.key("Problem");
  w.begin_object();
  w.field("type", "object");
  w.key("properties");
  w.begin_object();
  for (const auto* field : {"type", "title", "detail"}) {
    w.key(field);
    w.begin_object();
    w.field("type", "string");
    w.end_object();
  }
  w.key("status");
  w.begin_object();
  w.field("type", "integer");
  w.end_object();
  w.end_object();
  w.end_object();
  w.end_object();
  w.end_object();
  w.end_object();
  return out;
}

}  // namespace hyperion::web
