#include "hyperion/web/api.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <set>

#include "fixture.hpp"
#include "hyperion/collectors/collector.hpp"
#include "hyperion/collectors/tree_source.hpp"

using namespace hyperion::web;
using namespace hyperion::collectors;
using nlohmann::json;

namespace {

struct Fixture {
  std::shared_ptr<const Snapshot> snapshot;
  std::int64_t now_ms = 2000;
  Router router;

  Fixture() {
    TreeSource source(hyperion::test::machine_dir());
    Collector c(source, "local");
    c.collect(all_families(), 1.0, 1000);
    snapshot = c.collect(all_families(), 2.0, 2000);
    ApiContext ctx;
    ctx.snapshot = [this](std::string_view host) { return host == "local" ? snapshot : nullptr; };
    ctx.hosts = [] { return std::vector<std::string>{"local", "later"}; };
    ctx.now_ms = [this] { return now_ms; };
    ctx.stale_after_ms = 10'000;
    register_api(router, ctx);
  }

  HttpResponse get(const std::string& target) const {
    HttpRequest req;
    req.method = "GET";
    const auto q = target.find('?');
    req.path = target.substr(0, q);
    if (q != std::string::npos) req.query = target.substr(q + 1);
    const auto m = router.match("GET", req.path);
    REQUIRE(m.route);
    return m.route->handler(req, m.params);
  }
};

json body(const HttpResponse& r) { return json::parse(r.payload()); }

}  // namespace

TEST_CASE("openapi_document: every route of the table, with its methods and parameters", "[web][api]") {
  Fixture f;
  const auto doc = json::parse(openapi_document(f.router));
  CHECK(doc["openapi"] == "3.1.0");
  std::set<std::string> patterns;
  for (const auto& r : f.router.routes()) {
    patterns.insert(r.pattern);
    INFO(r.pattern);
    const auto& op = doc["paths"][r.pattern][r.method == "GET" ? "get" : "post"];
    REQUIRE(op.is_object());
    CHECK(op["summary"] == r.summary);
    CHECK(op["x-required-role"] == std::string(to_string(r.role)));
    std::size_t query = 0;
    for (const auto& p : op["parameters"]) query += p["in"] == "query" ? 1u : 0u;
    CHECK(query == r.query_parameters.size());
  }
  CHECK(doc["paths"].size() == patterns.size());
  CHECK(patterns.size() >= 15);
}

TEST_CASE("api: the default process list is serialised once per snapshot", "[web][api]") {
  Fixture f;
  const auto a = f.get("/api/v1/hosts/local/processes");
  const auto b = f.get("/api/v1/hosts/local/processes");
  REQUIRE(a.shared_body);
  CHECK(a.shared_body.get() == b.shared_body.get());
  const auto j = body(a);
  CHECK(j["host"] == "local");
  CHECK(j["processes"]["matched"] == f.snapshot->processes->processes.size());
  CHECK(j["processes"]["processes"][0]["pid"] == 1);
}

TEST_CASE("api: processes sort, filter and page", "[web][api]") {
  Fixture f;
  auto j = body(f.get("/api/v1/hosts/local/processes?sort=-pid&limit=2"));
  REQUIRE(j["processes"]["processes"].size() == 2);
  CHECK(j["processes"]["processes"][0]["pid"] == 4984);
  CHECK(j["processes"]["limit"] == 2);
  j = body(f.get("/api/v1/hosts/local/processes?name=KWORKER"));
  REQUIRE(j["processes"]["matched"] == 1);
  CHECK(j["processes"]["processes"][0]["pid"] == 9);
  j = body(f.get("/api/v1/hosts/local/processes?state=idle"));
  for (const auto& p : j["processes"]["processes"]) CHECK(p["state"] == "I");
  j = body(f.get("/api/v1/hosts/local/processes?sort=comm&order=asc&offset=1&limit=1"));
  CHECK(j["processes"]["processes"].size() == 1);
  CHECK(j["processes"]["offset"] == 1);
  j = body(f.get("/api/v1/hosts/local/processes?user=root"));
  CHECK(j["processes"]["matched"].get<int>() >= 5);
}

TEST_CASE("api: errors are problems with the right status", "[web][api]") {
  Fixture f;
  const auto [target, status, type] = GENERATE(table<std::string, int, std::string>({
      {"/api/v1/hosts/nowhere/cpu", 404, "unknown-host"},
      {"/api/v1/hosts/later/cpu", 503, "not-ready"},
      {"/api/v1/hosts/local/processes/77777", 404, "no-such-process"},
      {"/api/v1/hosts/local/processes/-3", 400, "bad-pid"},
      {"/api/v1/hosts/local/processes/99999999999", 400, "bad-pid"},
      {"/api/v1/hosts/local/processes?limit=100001", 400, "bad-parameter"},
      {"/api/v1/hosts/local/processes?offset=x", 400, "bad-parameter"},
      {"/api/v1/hosts/local/processes?order=up", 400, "bad-parameter"},
      {"/api/v1/hosts/local/processes?sort=-", 400, "bad-parameter"},
      {"/api/v1/hosts/local/sockets?state=OPEN", 400, "bad-parameter"},
      {"/api/v1/hosts/local/sockets?pid=0", 400, "bad-parameter"},
      {"/api/v1/hosts/local/memory?verbose=1", 400, "unknown-parameter"},
  }));
  INFO(target);
  const auto r = f.get(target);
  CHECK(r.status == status);
  CHECK(r.content_type == "application/problem+json");
  const auto j = body(r);
  CHECK(j["status"] == status);
  CHECK(j["type"].get<std::string>().ends_with("/" + type));
}

TEST_CASE("api: /healthz turns 503 when the latest sample is stale", "[web][api]") {
  Fixture f;
  f.now_ms = 3000;
  CHECK(f.get("/healthz").status == 200);
  f.now_ms = 2000 + 10'001;
  const auto r = f.get("/healthz");
  CHECK(r.status == 503);
  CHECK(body(r)["status"] == "stale");
}

TEST_CASE("api: the summary and family routes carry the host and timestamp", "[web][api]") {
  Fixture f;
  // Each body is {"host": id, "timestamp_ms": ..., "<key>": {...}}; /host's key is host_info
  // so that it does not repeat "host".
  for (const auto& [route, key] : std::vector<std::pair<std::string, std::string>>{
           {"system", "system"}, {"host", "host_info"}, {"cpu", "cpu"}, {"memory", "memory"}, {"load", "load"},
           {"network", "network"}, {"sockets", "sockets"}, {"disks", "disks"}, {"filesystems", "filesystems"},
           {"sensors", "sensors"}}) {
    INFO(route);
    const auto r = f.get("/api/v1/hosts/local/" + route);
    REQUIRE(r.status == 200);
    const auto j = body(r);
    CHECK(j.size() == 3);
    CHECK(j["host"] == "local");
    CHECK(j["timestamp_ms"] == 2000);
    CHECK(j[key].is_object());
  }
  CHECK(body(f.get("/api/v1/hosts/local/system"))["system"]["hostname"] == "fixture-host");
  const auto hosts = body(f.get("/api/v1/hosts"));
  CHECK(hosts["hosts"].size() == 2);
  CHECK(hosts["hosts"][1]["timestamp_ms"].is_null());
}
