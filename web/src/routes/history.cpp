#include <cmath>

#include <fmt/format.h>

#include "common.hpp"
#include "hyperion/history/time_spec.hpp"
#include "routes.hpp"

namespace hyperion::web::routes {
namespace {

using history::QueryError;

constexpr std::int64_t kDefaultRangeMs = 3'600'000;
constexpr std::uint32_t kDefaultPoints = 500;
constexpr std::int64_t kDefaultFrames = 60;
constexpr std::int64_t kMaxFrames = 1440;
constexpr const char* kHistoryLane = "history";

// NaN and the infinities have no JSON form: written as strings, as Prometheus does.
void number(JsonWriter& w, const std::optional<double>& v) {
  if (!v) return w.null();
  if (std::isnan(*v)) return w.value("NaN");
  if (std::isinf(*v)) return w.value(*v > 0 ? "+Inf" : "-Inf");
  w.value(*v);
}

void labels(JsonWriter& w, const history::Labels& l) {
  w.begin_object();
  for (const auto& [k, v] : l) w.field(k, v);
  w.end_object();
}

// The route's host: configured, or with history (a host since renamed or removed).
std::optional<HttpResponse> check_host(const ApiContext& ctx, std::string_view host) {
  for (const auto& h : ctx.hosts()) {
    if (h == host) return std::nullopt;
  }
  if (ctx.history->store->has_host(host)) return std::nullopt;
  return problem(404, "unknown-host", "Unknown host", fmt::format("no host '{}' is configured or has history", host));
}

// from/to: defaults the last hour; nullopt with `error` set when one is wrong.
bool read_range(const ApiContext& ctx, const QueryParams& q, std::int64_t default_range, std::int64_t& from,
                std::int64_t& to, HttpResponse& error) {
  const auto now = ctx.now_ms();
  std::string why;
  to = now;
  if (has_param(q, "to")) {
    const auto t = history::parse_time(param(q, "to"), now, &why);
    if (!t) return error = bad_parameter("to: " + why), false;
    to = *t;
  }
  from = to - default_range;
  if (has_param(q, "from")) {
    const auto f = history::parse_time(param(q, "from"), now, &why);
    if (!f) return error = bad_parameter("from: " + why), false;
    from = *f;
  }
  if (from >= to) {
    error = bad_parameter(fmt::format("from: {} is not before to ({})", history::format_rfc3339(from),
                                      history::format_rfc3339(to)));
    return false;
  }
  return true;
}

HttpResponse series_query(const ApiContext& ctx, const HttpRequest& req, const RouteParams& params) {
  QueryParams q;
  if (auto e = read_query(req, {"metric", "from", "to", "points"}, q)) return *e;
  const auto host = std::string(params.get("host"));
  if (auto e = check_host(ctx, host)) return *e;
  history::QueryRequest request;
  request.host = host;
  for (const auto& [k, v] : q) {
    if (k != "metric") continue;
    std::string why;
    auto s = history::parse_selector(v, &why);
    if (!s) return bad_parameter(fmt::format("metric: '{}': {}", v.substr(0, 200), why));
    request.selectors.push_back(std::move(*s));
  }
  if (request.selectors.empty()) {
    return bad_parameter("metric: name at least one (metric=cpu.percent{mode=\"busy\"}); the catalog lists them");
  }
  HttpResponse error;
  if (!read_range(ctx, q, kDefaultRangeMs, request.from_ms, request.to_ms, error)) return error;
  request.points = kDefaultPoints;
  if (has_param(q, "points")) {
    const auto n = parse_int(param(q, "points"));
    const auto max = ctx.history->store->settings().max_points;
    if (!n || *n < 1 || *n > max) {
      return bad_parameter(fmt::format("points: '{}' is not a whole number from 1 to {}", param(q, "points"), max));
    }
    request.points = static_cast<std::uint32_t>(*n);
  }
  history::QueryResult result;
  try {
    result = ctx.history->store->query(*ctx.history->reader, request, ctx.now_ms());
  } catch (const QueryError& e) {
    return bad_parameter(fmt::format("{}: {}", e.parameter(), e.what()));
  }
  std::string out;
  out.reserve(256 + result.times_ms.size() * 16 * (1 + 3 * result.series.size()));
  JsonWriter w(out);
  w.begin_object();
  w.field("host", host);
  w.field("from_ms", request.from_ms);
  w.field("to_ms", request.to_ms);
  w.field("tier", history::to_string(result.tier));
  w.field("step_ms", result.step_ms);
  w.key("times_ms");
  w.begin_array();
  for (const auto t : result.times_ms) w.value(t);
  w.end_array();
  w.key("series");
  w.begin_array();
  for (const auto& s : result.series) {
    w.begin_object();
    w.field("key", s.key);
    w.field("metric", s.metric);
    w.key("labels");
    labels(w, s.labels);
    w.field("unit", s.unit);
    for (const auto& [name, values] : {std::pair{"avg", &s.avg}, std::pair{"min", &s.min}, std::pair{"max", &s.max}}) {
      w.key(name);
      w.begin_array();
      for (const auto& v : *values) number(w, v);
      w.end_array();
    }
    w.end_object();
  }
  w.end_array();
  w.end_object();
  return json_response(std::move(out));
}

void process_frame(JsonWriter& w, const history::ProcessFrame& f) {
  w.begin_object();
  w.field("time_ms", f.time_ms);
  w.key("processes");
  w.begin_array();
  for (const auto& p : f.processes) {
    w.begin_object();
    w.field("pid", p.pid);
    w.field("start_time_unix_ms", p.start_time_unix_ms);
    w.field("name", p.name);
    w.field("user", p.user);
    w.field("command", p.command);
    w.field("cpu_percent", p.cpu_percent);
    w.field("rss_bytes", p.rss_bytes);
    w.field("read_bytes_per_second", p.read_bytes_per_second);
    w.field("write_bytes_per_second", p.write_bytes_per_second);
    w.field("top_cpu", p.top_cpu);
    w.field("top_memory", p.top_memory);
    w.end_object();
  }
  w.end_array();
  w.key("containers");
  w.begin_array();
  for (const auto& c : f.containers) {
    w.begin_object();
    w.field("id", c.id);
    w.field("name", c.name);
    w.field("kind", c.kind);
    w.field("cpu_percent", c.cpu_percent);
    w.field("memory_bytes", c.memory_bytes);
    w.field("read_bytes_per_second", c.read_bytes_per_second);
    w.field("write_bytes_per_second", c.write_bytes_per_second);
    w.end_object();
  }
  w.end_array();
  w.end_object();
}

HttpResponse processes_query(const ApiContext& ctx, const HttpRequest& req, const RouteParams& params) {
  QueryParams q;
  if (auto e = read_query(req, {"at", "from", "to", "limit"}, q)) return *e;
  const auto host = std::string(params.get("host"));
  if (auto e = check_host(ctx, host)) return *e;
  const auto& h = *ctx.history;
  std::vector<history::ProcessFrame> frames;
  if (has_param(q, "at")) {
    if (has_param(q, "from") || has_param(q, "to") || has_param(q, "limit")) {
      return bad_parameter("at: give either at, or from/to/limit, not both");
    }
    std::string why;
    const auto at = history::parse_time(param(q, "at"), ctx.now_ms(), &why);
    if (!at) return bad_parameter("at: " + why);
    // The nearest list within two intervals: a minute of history answers "at 03:12:20".
    const auto window = 2 * h.store->settings().processes_interval.count();
    if (auto f = h.processes->at(*h.reader, host, *at, window)) frames.push_back(std::move(*f));
  } else {
    std::int64_t from = 0, to = 0;
    HttpResponse error;
    if (!read_range(ctx, q, kDefaultRangeMs, from, to, error)) return error;
    auto limit = kDefaultFrames;
    if (has_param(q, "limit")) {
      const auto n = parse_int(param(q, "limit"));
      if (!n || *n < 1 || *n > kMaxFrames) {
        return bad_parameter(fmt::format("limit: '{}' is not a whole number from 1 to {}", param(q, "limit"), kMaxFrames));
      }
      limit = *n;
    }
    frames = h.processes->query(*h.reader, host, from, to, static_cast<std::size_t>(limit));
  }
  std::string out;
  JsonWriter w(out);
  w.begin_object();
  w.field("host", host);
  w.field("interval_ms", static_cast<std::int64_t>(h.store->settings().processes_interval.count()));
  w.key("frames");
  w.begin_array();
  for (const auto& f : frames) process_frame(w, f);
  w.end_array();
  w.end_object();
  return json_response(std::move(out));
}

HttpResponse catalog_query(const ApiContext& ctx, const HttpRequest& req, const RouteParams& params) {
  QueryParams q;
  if (auto e = read_query(req, {"metric"}, q)) return *e;
  const auto host = std::string(params.get("host"));
  if (auto e = check_host(ctx, host)) return *e;
  std::optional<history::Selector> filter;
  if (has_param(q, "metric")) {
    std::string why;
    filter = history::parse_selector(param(q, "metric"), &why);
    if (!filter) return bad_parameter(fmt::format("metric: {}", why));
  }
  const auto entries = ctx.history->store->catalog(host);
  std::string out;
  JsonWriter w(out);
  w.begin_object();
  w.field("host", host);
  w.key("metrics");
  w.begin_array();
  for (const auto& m : history::metric_table()) {
    w.begin_object();
    w.field("name", m.name);
    w.field("unit", m.unit);
    w.field("resolution", 1.0 / m.scale);
    w.field("family", collectors::to_string(m.family));
    w.field("help", m.help);
    w.end_object();
  }
  w.end_array();
  w.key("series");
  w.begin_array();
  for (const auto& e : entries) {
    if (filter && !filter->matches(e.metric, e.labels)) continue;
    w.begin_object();
    w.field("key", e.key);
    w.field("metric", e.metric);
    w.key("labels");
    labels(w, e.labels);
    w.field("unit", e.unit);
    w.field("first_ms", e.first_ms);
    w.field("last_ms", e.last_ms);
    w.end_object();
  }
  w.end_array();
  w.end_object();
  return json_response(std::move(out));
}

// OpenAPI: the parameters and the bodies of the history routes.
const std::vector<std::pair<std::string, std::string>> kQueryHelp = {
    {"metric", "a metric, or a metric with label matchers: cpu.percent{cpu=\"all\",mode=\"busy\"}, "
               "fs.used_percent{fstype!=\"tmpfs\"}; repeat for several (history.max_query_series at most)"},
    {"from", "start: RFC 3339 (2026-12-07T03:12:00Z), relative (-6h, -15m, -30d), now, or Unix ms; default to - 1 h"},
    {"to", "end, in the same forms; default now"},
    {"points", "about this many buckets (history.max_points at most; default 500); never finer than the data"},
    {"at", "the process list nearest this time (within two processes_interval)"},
    {"limit", "process lists at most (1 to 1440, default 60), the newest"},
};

constexpr std::string_view kSeriesSchema = R"({"type":"object","required":["host","from_ms","to_ms","tier","step_ms","times_ms","series"],"properties":{"host":{"type":"string"},"from_ms":{"type":"integer"},"to_ms":{"type":"integer"},"tier":{"type":"string","enum":["raw","1m","1h"]},"step_ms":{"type":"integer"},"times_ms":{"type":"array","items":{"type":"integer"},"description":"raw: each bucket's centre (the samples' times); 1m and 1h: each bucket's start"},"series":{"type":"array","items":{"type":"object","properties":{"key":{"type":"string"},"metric":{"type":"string"},"labels":{"type":"object","additionalProperties":{"type":"string"}},"unit":{"type":"string"},"avg":{"$ref":"#/components/schemas/HistoryValues"},"min":{"$ref":"#/components/schemas/HistoryValues"},"max":{"$ref":"#/components/schemas/HistoryValues"}}}}}})";
constexpr std::string_view kProcessesSchema = R"({"type":"object","properties":{"host":{"type":"string"},"interval_ms":{"type":"integer"},"frames":{"type":"array","items":{"type":"object","properties":{"time_ms":{"type":"integer"},"processes":{"type":"array","items":{"type":"object","properties":{"pid":{"type":"integer"},"start_time_unix_ms":{"type":"integer"},"name":{"type":"string"},"user":{"type":"string"},"command":{"type":"string"},"cpu_percent":{"type":"number","description":"average since the previous list"},"rss_bytes":{"type":"integer"},"read_bytes_per_second":{"type":["number","null"]},"write_bytes_per_second":{"type":["number","null"]},"top_cpu":{"type":"boolean"},"top_memory":{"type":"boolean"}}}},"containers":{"type":"array","items":{"type":"object","properties":{"id":{"type":"string"},"name":{"type":"string"},"kind":{"type":"string"},"cpu_percent":{"type":["number","null"]},"memory_bytes":{"type":["integer","null"]},"read_bytes_per_second":{"type":["number","null"]},"write_bytes_per_second":{"type":["number","null"]}}}}}}}}})";
constexpr std::string_view kCatalogSchema = R"({"type":"object","properties":{"host":{"type":"string"},"metrics":{"type":"array","items":{"type":"object","properties":{"name":{"type":"string"},"unit":{"type":"string"},"resolution":{"type":"number"},"family":{"type":"string"},"help":{"type":"string"}}}},"series":{"type":"array","items":{"type":"object","properties":{"key":{"type":"string"},"metric":{"type":"string"},"labels":{"type":"object","additionalProperties":{"type":"string"}},"unit":{"type":"string"},"first_ms":{"type":"integer"},"last_ms":{"type":"integer"}}}}}})";

void add_history_route(Router& router, std::string pattern, std::string summary, Handler handler,
                       std::vector<std::string> query, std::string_view schema, std::vector<std::string> required = {}) {
  Route r{"GET", std::move(pattern), std::move(summary), auth::Role::viewer, std::move(handler), std::move(query),
          std::move(required)};
  r.blocking = true;
  r.lane = kHistoryLane;
  r.query_help = kQueryHelp;
  r.response_schema = std::string(schema);
  router.add(std::move(r));
}

}  // namespace

void register_history_routes(Router& router, std::shared_ptr<const ApiContext> ctx) {
  const std::string base(kHostPath);
  if (!ctx->history) {
    // Turned off: the routes say so rather than a bare 404.
    for (const auto* path : {"/history", "/history/processes", "/history/catalog"}) {
      router.add({"GET", base + path, "History (turned off: history.enabled = false)", auth::Role::viewer,
                  [](const HttpRequest&, const RouteParams&) {
                    return problem(404, "history-disabled", "History is turned off",
                                   "this hyperiond keeps no history (history.enabled = false)");
                  }});
    }
    return;
  }
  add_history_route(
      router, base + "/history",
      "History of one or more metrics (metric=NAME{label=\"value\"} repeated) from..to (RFC 3339, -6h, now), in "
      "about `points` buckets of avg/min/max; gaps are null; the tier (raw, 1m, 1h) follows the range",
      [ctx](const HttpRequest& req, const RouteParams& p) { return series_query(*ctx, req, p); },
      {"metric", "from", "to", "points"}, kSeriesSchema, {"metric"});
  add_history_route(
      router, base + "/history/processes",
      "The top processes and containers by CPU and memory recorded nearest a time (at=...), or from..to",
      [ctx](const HttpRequest& req, const RouteParams& p) { return processes_query(*ctx, req, p); },
      {"at", "from", "to", "limit"}, kProcessesSchema);
  add_history_route(
      router, base + "/history/catalog",
      "The metrics the history keeps and the series recorded for this host, with labels, unit, first and last time",
      [ctx](const HttpRequest& req, const RouteParams& p) { return catalog_query(*ctx, req, p); }, {"metric"},
      kCatalogSchema);
}

}  // namespace hyperion::web::routes
