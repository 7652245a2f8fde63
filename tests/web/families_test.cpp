// The family table (web/src/families.cpp) against what the writers produce: each view's
// short-form schema must describe its JSON exactly (a field added to a writer and not to the
// table fails here), and every surface made from the table must show every row.

#include "hyperion/web/families.hpp"

#include <nlohmann/json.hpp>

#include <catch2/catch.hpp>

#include "fixture.hpp"
#include "hyperion/collectors/collector.hpp"
#include "hyperion/collectors/tree_source.hpp"
#include "hyperion/web/api.hpp"
#include "hyperion/web/live.hpp"

using namespace hyperion;
using nlohmann::json;

namespace {

// Two samples of the captured machine (rates need two), plus the sensors and the cgroups of
// other trees.
std::shared_ptr<const collectors::Snapshot> fixture_snapshot() {
  collectors::TreeSource tree(test::machine_dir());
  collectors::Collector c(tree, "local");
  c.collect(collectors::all_families(), 1.0, 1000);
  auto s = std::make_shared<collectors::Snapshot>(*c.collect(collectors::all_families(), 2.0, 2000));
  collectors::TreeSource sensors_tree(test::fixtures_dir() + "/synthetic-sensors");
  collectors::Collector sensors(sensors_tree, "local");
  s->sensors = sensors.collect(collectors::families_of({collectors::Family::sensors}), 1.0, 0)->sensors;
  collectors::TreeSource cgroup_tree(test::fixtures_dir() + "/synthetic-cgroupv2-tree");
  collectors::Collector cgroups(cgroup_tree, "local");
  cgroups.collect(collectors::families_of({collectors::Family::containers}), 1.0, 0);
  s->containers = cgroups.collect(collectors::families_of({collectors::Family::containers}), 2.0, 0)->containers;
  return s;
}

std::string render(const web::FamilyView& view, const collectors::Snapshot& s) {
  std::string out;
  web::JsonWriter w(out);
  view.write(w, s);
  return out;
}

}  // namespace

TEST_CASE("family table: each view's schema describes what its writer writes", "[web][families]") {
  const auto s = fixture_snapshot();
  for (const auto& view : web::family_views()) {
    INFO(view.name);
    REQUIRE(view.identity(*s) != nullptr);
    const auto text = render(view, *s);
    CHECK(web::schema_mismatch(text, view.schema) == "");
    if (view.item_name.empty()) continue;
    // The items: every element of the view's array field.
    const auto body = json::parse(text);
    bool checked = false;
    for (const auto& [key, value] : body.items()) {
      if (!value.is_array() || value.empty() || !value.front().is_object()) continue;
      for (const auto& item : value) CHECK(web::schema_mismatch(item.dump(), view.item_schema) == "");
      checked = true;
    }
    CHECK(checked);
  }
}

TEST_CASE("family table: schema_mismatch names a missing, an extra and a mistyped field", "[web][families]") {
  CHECK(web::schema_mismatch(R"({"a": 1, "b": "x"})", "a:integer b:string") == "");
  CHECK(web::schema_mismatch(R"({"a": 1})", "a:integer b:string") == "'b' is missing");
  CHECK(web::schema_mismatch(R"({"a": 1, "b": "x", "c": 2})", "a:integer b:string") == "'c' is not in the schema");
  CHECK(web::schema_mismatch(R"({"a": "1"})", "a:integer") == "'a' is string, not integer");
  CHECK(web::schema_mismatch(R"({"a": null})", "a:integer") == "'a' is null, not integer");
  CHECK(web::schema_mismatch(R"({"a": null})", "a:integer?") == "");
  CHECK(web::schema_mismatch(R"({})", "a?:integer") == "");
  CHECK(web::schema_mismatch(R"({"a": 1.5})", "a:number") == "");
  CHECK(web::schema_mismatch(R"({"a": 2})", "a:number") == "");  // a whole number is a number
  CHECK(web::schema_mismatch(R"([1])", "a:number") == "not a JSON object");
}

TEST_CASE("family table: every view is a route, a topic and a schema of the OpenAPI document", "[web][families]") {
  web::Router router;
  web::ApiContext ctx;
  ctx.snapshot = [](std::string_view) { return nullptr; };
  ctx.hosts = [] { return std::vector<std::string>{"local"}; };
  ctx.now_ms = [] { return std::int64_t{0}; };
  web::register_api(router, ctx);
  const auto doc = json::parse(web::openapi_document(router));
  for (const auto& view : web::family_views()) {
    INFO(view.name);
    const std::string path = "/api/v1/hosts/{host}/" + std::string(view.name);
    REQUIRE(doc["paths"].contains(path));
    const auto& body = doc["paths"][path]["get"]["responses"]["200"]["content"]["application/json"]["schema"];
    CHECK(body["properties"][std::string(view.key)]["$ref"] == "#/components/schemas/" + std::string(view.name));
    CHECK(doc["components"]["schemas"].contains(std::string(view.name)));
    if (!view.item_name.empty()) CHECK(doc["components"]["schemas"].contains(std::string(view.item_name)));
    CHECK(web::parse_live_topic("hosts/local/" + std::string(view.name)).has_value() == view.live);
    CHECK(web::live_family_names().find(std::string(view.name)) != std::string::npos);
  }
  CHECK_FALSE(web::parse_live_topic("hosts/local/nosuchfamily").has_value());
}
