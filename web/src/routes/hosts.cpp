#include "routes.hpp"

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "common.hpp"
#include "hyperion/web/families.hpp"
#include "hyperion/web/json_writer.hpp"

namespace hyperion::web::routes {
namespace {

HttpResponse healthz(const ApiContext& ctx) {
  // This host: the first configured.
  const auto ids = ctx.hosts();
  const auto s = ids.empty() ? nullptr : ctx.snapshot(ids.front());
  const auto now = ctx.now_ms();
  std::string out;
  JsonWriter w(out);
  w.begin_object();
  if (!s) {
    w.field("status", "starting");
    w.end_object();
    HttpResponse r = json_response(out);
    r.status = 503;
    return r;
  }
  const auto age = now - s->timestamp_ms;
  const bool fresh = age <= ctx.stale_after_ms;
  const auto storage = ctx.health_problem ? ctx.health_problem() : std::nullopt;
  w.field("status", storage ? "unhealthy" : fresh ? "ok" : "stale");
  w.field("last_sample_age_ms", age);
  w.field("database", storage ? *storage : std::string("ok"));
  w.end_object();
  HttpResponse r = json_response(out);
  r.status = fresh && !storage ? 200 : 503;
  return r;
}

HttpResponse list_hosts(const ApiContext& ctx, const HttpRequest& req) {
  QueryParams q;
  if (auto e = read_query(req, {}, q)) return *e;
  std::string out;
  JsonWriter w(out);
  w.begin_object();
  w.key("hosts");
  w.begin_array();
  std::vector<collectors::HostEntry> entries;
  if (ctx.host_entries) {
    entries = ctx.host_entries(ctx.now_ms());
  } else {
    for (const auto& id : ctx.hosts()) {
      collectors::HostEntry entry;
      entry.id = id;
      entry.display_name = id;
      entries.push_back(std::move(entry));
    }
  }
  for (const auto& entry : entries) {
    const auto& id = entry.id;
    const auto s = ctx.snapshot(id);
    w.begin_object();
    w.field("id", id);
    w.field("display_name", entry.display_name);
    w.field("kind", collectors::to_string(entry.kind));
    w.field("state", ctx.host_entries ? collectors::to_string(entry.state) : std::string_view(s ? "up" : "starting"));
    w.key("hostname");
    s && s->host_info ? w.value(s->host_info->hostname) : w.null();
    w.key("os");
    s && s->host_info ? w.value(s->host_info->os.pretty_name) : w.null();
    w.key("timestamp_ms");
    s ? w.value(s->timestamp_ms) : w.null();
    w.end_object();
  }
  w.end_array();
  w.end_object();
  return json_response(std::move(out));
}

// A handler for a route of the family table: one view of a host's snapshot.
Handler view_handler(std::shared_ptr<const ApiContext> ctx, const FamilyView& view) {
  return [ctx, &view](const HttpRequest& req, const RouteParams& params) {
    QueryParams q;
    if (auto e = read_query(req, {}, q)) return *e;
    HttpResponse error;
    const auto s = find_snapshot(*ctx, params, error);
    if (!s) return error;
    if (!view.identity(*s)) return not_collected(collectors::to_string(view.family));
    return json_response(envelope(*s, view.key, [&](JsonWriter& w) { view.write(w, *s); }));
  };
}

}  // namespace

void register_hosts_routes(Router& router, std::shared_ptr<const ApiContext> context, const ViewRoutes& own_routes) {
  router.add({"GET", "/healthz", "Liveness: 200 while samples are fresh and the database answers, 503 otherwise", kPublic,
              [context](const HttpRequest&, const RouteParams&) { return healthz(*context); }});
  router.add({"GET", "/api/v1/hosts",
              "Every host: id, display name, kind (local, ssh), state (starting, up, stale), identity, latest sample time",
              auth::Role::viewer,
              [context](const HttpRequest& req, const RouteParams&) { return list_hosts(*context, req); }});
  const std::string base(kHostPath);
  // The family table's views; processes and sockets have query filters and routes of their own.
  for (const auto& view : family_views()) {
    if (view.table_route) {
      Route route{"GET", base + "/" + std::string(view.name), std::string(view.summary), auth::Role::viewer,
                  view_handler(context, view)};
      route.family_view = std::string(view.name);
      router.add(std::move(route));
    } else {
      own_routes(router, view);
    }
  }
}

}  // namespace hyperion::web::routes
