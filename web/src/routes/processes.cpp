#include "routes.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "common.hpp"
#include "hyperion/web/json_writer.hpp"
#include "hyperion/web/snapshot_json.hpp"

namespace hyperion::web::routes {
namespace {

using namespace hyperion::collectors;

constexpr std::size_t kMaxLimit = 100'000;

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

bool icontains(std::string_view hay, std::string_view needle) {
  if (needle.empty()) return true;
  return std::search(hay.begin(), hay.end(), needle.begin(), needle.end(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         }) != hay.end();
}

std::string_view str(const SharedString& s) { return s ? std::string_view(*s) : std::string_view(); }

// ---- processes: sortable columns ----

using SortKey = std::variant<std::monostate, double, std::string_view>;

struct Column {
  const char* name;
  SortKey (*key)(const ProcessSample&);
};

template <class T>
SortKey num(const std::optional<T>& v) {
  return v ? SortKey(static_cast<double>(*v)) : SortKey(std::monostate{});
}

const Column kColumns[] = {
    {"pid", [](const ProcessSample& p) { return SortKey(static_cast<double>(p.pid)); }},
    {"ppid", [](const ProcessSample& p) { return SortKey(static_cast<double>(p.ppid)); }},
    {"uid", [](const ProcessSample& p) { return SortKey(static_cast<double>(p.uid)); }},
    {"user", [](const ProcessSample& p) { return SortKey(str(p.user)); }},
    {"state", [](const ProcessSample& p) { return SortKey(std::string_view(&p.state, 1)); }},
    {"comm", [](const ProcessSample& p) { return SortKey(str(p.comm)); }},
    {"cmdline", [](const ProcessSample& p) { return SortKey(str(p.cmdline)); }},
    {"cgroup", [](const ProcessSample& p) { return SortKey(str(p.cgroup)); }},
    {"threads", [](const ProcessSample& p) { return SortKey(static_cast<double>(p.threads)); }},
    {"nice", [](const ProcessSample& p) { return SortKey(static_cast<double>(p.nice)); }},
    {"priority", [](const ProcessSample& p) { return SortKey(static_cast<double>(p.priority)); }},
    {"start_time_unix_ms", [](const ProcessSample& p) { return SortKey(static_cast<double>(p.start_time_unix_ms)); }},
    {"cpu_percent", [](const ProcessSample& p) { return num(p.cpu_percent); }},
    {"cpu_ticks_total", [](const ProcessSample& p) { return SortKey(static_cast<double>(p.cpu_ticks_total)); }},
    {"rss_bytes", [](const ProcessSample& p) { return SortKey(static_cast<double>(p.rss_bytes)); }},
    {"virtual_bytes", [](const ProcessSample& p) { return SortKey(static_cast<double>(p.virtual_bytes)); }},
    {"shared_bytes", [](const ProcessSample& p) { return SortKey(static_cast<double>(p.shared_bytes)); }},
    {"memory_percent", [](const ProcessSample& p) { return SortKey(p.memory_percent); }},
    {"read_bytes_per_second", [](const ProcessSample& p) { return num(p.read_bytes_per_second); }},
    {"write_bytes_per_second", [](const ProcessSample& p) { return num(p.write_bytes_per_second); }},
    {"read_bytes_total", [](const ProcessSample& p) { return num(p.read_bytes_total); }},
    {"write_bytes_total", [](const ProcessSample& p) { return num(p.write_bytes_total); }},
    {"open_fds", [](const ProcessSample& p) { return num(p.open_fds); }},
};

const Column* find_column(std::string_view name) {
  for (const auto& c : kColumns) {
    if (name == c.name) return &c;
  }
  return nullptr;
}

std::string column_list() {
  std::string out;
  for (const auto& c : kColumns) out += (out.empty() ? "" : ", ") + std::string(c.name);
  return out;
}

// Orders two keys; missing values (null) always go last, whatever the direction.
bool key_less(const SortKey& a, const SortKey& b, bool descending) {
  const bool a_null = std::holds_alternative<std::monostate>(a), b_null = std::holds_alternative<std::monostate>(b);
  if (a_null || b_null) return !a_null && b_null;
  if (const auto* x = std::get_if<double>(&a)) {
    const double y = std::get<double>(b);
    return descending ? *x > y : *x < y;
  }
  const auto x = std::get<std::string_view>(a), y = std::get<std::string_view>(b);
  return descending ? x > y : x < y;
}

void write_process_list(JsonWriter& w, const ProcessesSample& ps, const std::vector<const ProcessSample*>& rows,
                        std::size_t total, std::size_t offset, std::optional<std::size_t> limit) {
  w.key("counts");
  write_process_counts(w, ps.counts);
  w.field("matched", total);
  w.field("offset", offset);
  w.key("limit");
  limit ? w.value(*limit) : w.null();
  w.key("processes");
  w.begin_array();
  for (const auto* p : rows) write_process(w, *p);
  w.end_array();
}

bool state_matches(char state, std::string_view filter) {
  // "R", "RS", "R,S" or names: running, sleeping, disk_sleep, zombie, stopped, idle
  static constexpr std::pair<std::string_view, char> kNames[] = {
      {"running", 'R'}, {"sleeping", 'S'}, {"disk_sleep", 'D'}, {"zombie", 'Z'}, {"stopped", 'T'}, {"idle", 'I'}};
  std::size_t i = 0;
  while (i < filter.size()) {
    auto j = filter.find(',', i);
    if (j == std::string_view::npos) j = filter.size();
    const auto item = filter.substr(i, j - i);
    for (const auto& [name, letter] : kNames) {
      if (iequals(item, name) && (state == letter || (letter == 'T' && state == 't'))) return true;
    }
    if (item.size() <= 8 && item.find_first_not_of("RSDZTtIXWPK") == std::string_view::npos &&
        item.find(state) != std::string_view::npos) {
      return true;
    }
    i = j + 1;
  }
  return false;
}

bool valid_state_filter(std::string_view filter) {
  static constexpr std::string_view kNames[] = {"running", "sleeping", "disk_sleep", "zombie", "stopped", "idle"};
  std::size_t i = 0;
  if (filter.empty()) return false;
  while (i <= filter.size()) {
    auto j = filter.find(',', i);
    if (j == std::string_view::npos) j = filter.size();
    const auto item = filter.substr(i, j - i);
    const bool letters = !item.empty() && item.find_first_not_of("RSDZTtIXWPK") == std::string_view::npos;
    const bool name = std::any_of(std::begin(kNames), std::end(kNames), [&](auto n) { return iequals(item, n); });
    if (!letters && !name) return false;
    i = j + 1;
  }
  return true;
}

// Per-snapshot cache of the default process list: serialised once, served to every client.
struct ProcessCache {
  std::mutex mutex;
  std::shared_ptr<const ProcessesSample> key;
  std::string host;
  std::shared_ptr<const std::string> body;
};

HttpResponse list_processes(const ApiContext& ctx, ProcessCache& cache, const HttpRequest& req,
                            const RouteParams& params) {
  QueryParams q;
  if (auto e = read_query(req, {"sort", "order", "user", "name", "state", "limit", "offset"}, q)) return *e;
  HttpResponse error;
  const auto s = find_snapshot(ctx, params, error);
  if (!s) return error;
  if (!s->processes) return not_collected("processes");
  const auto& ps = *s->processes;

  if (q.empty()) {
    // The common case, asked by every dashboard every tick: serialise once per snapshot.
    std::lock_guard lock(cache.mutex);
    if (cache.key != s->processes || cache.host != s->host) {
      cache.key = s->processes;
      cache.host = s->host;
      cache.body = std::make_shared<const std::string>(envelope(*s, "processes", [&](JsonWriter& w) {
        w.begin_object();
        std::vector<const ProcessSample*> rows;
        rows.reserve(ps.processes.size());
        for (const auto& p : ps.processes) rows.push_back(&p);
        write_process_list(w, ps, rows, rows.size(), 0, std::nullopt);
        w.end_object();
      }));
    }
    HttpResponse r;
    r.shared_body = cache.body;
    return r;
  }

  std::string_view sort = param(q, "sort");
  bool descending = false;
  if (!sort.empty() && sort.front() == '-') {
    descending = true;
    sort.remove_prefix(1);
  }
  if (has_param(q, "sort") && sort.empty()) {
    return bad_parameter(fmt::format("sort: no column given; columns: {}", column_list()));
  }
  const Column* column = find_column(sort.empty() ? "pid" : sort);
  if (!column) {
    return bad_parameter(fmt::format("sort: unknown column '{}'; columns: {}", sort, column_list()));
  }
  if (has_param(q, "order")) {
    const auto order = param(q, "order");
    if (order == "desc") descending = true;
    else if (order == "asc") descending = false;
    else return bad_parameter(fmt::format("order: '{}' is neither 'asc' nor 'desc'", order));
  }
  std::optional<std::size_t> limit;
  std::size_t offset = 0;
  if (has_param(q, "limit")) {
    const auto v = parse_int(param(q, "limit"));
    if (!v || *v < 0 || static_cast<std::uint64_t>(*v) > kMaxLimit) {
      return bad_parameter(fmt::format("limit: '{}' is not a whole number from 0 to {}", param(q, "limit"), kMaxLimit));
    }
    limit = static_cast<std::size_t>(*v);
  }
  if (has_param(q, "offset")) {
    const auto v = parse_int(param(q, "offset"));
    if (!v || *v < 0) return bad_parameter(fmt::format("offset: '{}' is not a whole number >= 0", param(q, "offset")));
    offset = static_cast<std::size_t>(*v);
  }
  const auto state = param(q, "state");
  if (has_param(q, "state") && !valid_state_filter(state)) {
    return bad_parameter(fmt::format(
        "state: '{}' is not a list of state letters (R,S,D,Z,T,I) or names (running, sleeping, disk_sleep, "
        "zombie, stopped, idle)",
        state));
  }
  const auto user = param(q, "user");
  const auto name = param(q, "name");

  std::vector<const ProcessSample*> rows;
  rows.reserve(ps.processes.size());
  for (const auto& p : ps.processes) {
    if (!user.empty() && str(p.user) != user && parse_int(user) != static_cast<std::int64_t>(p.uid)) continue;
    if (!name.empty() && !icontains(str(p.comm), name) && !icontains(str(p.cmdline), name)) continue;
    if (has_param(q, "state") && !state_matches(p.state, state)) continue;
    rows.push_back(&p);
  }
  std::stable_sort(rows.begin(), rows.end(), [&](const ProcessSample* a, const ProcessSample* b) {
    return key_less(column->key(*a), column->key(*b), descending);
  });
  const std::size_t total = rows.size();
  const std::size_t begin = std::min(offset, total);
  const std::size_t end = limit ? std::min(total, begin + *limit) : total;
  std::vector<const ProcessSample*> page(rows.begin() + static_cast<std::ptrdiff_t>(begin),
                                         rows.begin() + static_cast<std::ptrdiff_t>(end));
  return json_response(envelope(*s, "processes", [&](JsonWriter& w) {
    w.begin_object();
    write_process_list(w, ps, page, total, offset, limit);
    w.end_object();
  }));
}

HttpResponse one_process(const ApiContext& ctx, const HttpRequest& req, const RouteParams& params) {
  QueryParams q;
  if (auto e = read_query(req, {}, q)) return *e;
  const auto pid = parse_int(params.get("pid"));
  if (!pid || *pid <= 0 || *pid > INT32_MAX) {
    return problem(400, "bad-pid", "Bad process id", fmt::format("'{}' is not a process id", params.get("pid")));
  }
  HttpResponse error;
  const auto s = find_snapshot(ctx, params, error);
  if (!s) return error;
  if (!s->processes) return not_collected("processes");
  const auto& list = s->processes->processes;
  const auto it = std::lower_bound(list.begin(), list.end(), *pid,
                                   [](const ProcessSample& p, std::int64_t key) { return p.pid < key; });
  if (it == list.end() || it->pid != *pid) {
    return problem(404, "no-such-process", "No such process",
                   fmt::format("no process {} in the latest sample of '{}'", *pid, s->host));
  }
  return json_response(envelope(*s, "process", [&](JsonWriter& w) { write_process(w, *it); }));
}

bool protocol_matches(SocketProtocol p, std::string_view filter) {
  if (filter == "tcp") return p == SocketProtocol::tcp || p == SocketProtocol::tcp6;
  if (filter == "udp") return p == SocketProtocol::udp || p == SocketProtocol::udp6;
  if (filter == "tcp4") return p == SocketProtocol::tcp;
  if (filter == "udp4") return p == SocketProtocol::udp;
  if (filter == "tcp6") return p == SocketProtocol::tcp6;
  if (filter == "udp6") return p == SocketProtocol::udp6;
  return false;
}

std::optional<std::uint16_t> port_param(const QueryParams& q, std::string_view name, HttpResponse& error) {
  if (!has_param(q, name)) return std::nullopt;
  const auto v = parse_int(param(q, name));
  if (!v || *v < 0 || *v > 65535) {
    error = bad_parameter(fmt::format("{}: '{}' is not a port from 0 to 65535", name, param(q, name)));
    return std::nullopt;
  }
  return static_cast<std::uint16_t>(*v);
}

HttpResponse list_sockets(const ApiContext& ctx, const HttpRequest& req, const RouteParams& params) {
  QueryParams q;
  if (auto e = read_query(req, {"protocol", "state", "port", "local_port", "remote_port", "pid"}, q)) return *e;
  const auto protocol = param(q, "protocol");
  if (has_param(q, "protocol") && !protocol_matches(SocketProtocol::tcp, protocol) &&
      !protocol_matches(SocketProtocol::udp, protocol) && !protocol_matches(SocketProtocol::tcp6, protocol) &&
      !protocol_matches(SocketProtocol::udp6, protocol)) {
    return bad_parameter(fmt::format("protocol: '{}' is not one of tcp, udp, tcp4, tcp6, udp4, udp6", protocol));
  }
  const auto state = param(q, "state");
  if (has_param(q, "state")) {
    bool known = false;
    for (std::size_t i = 1; i < kTcpStateCount; ++i) {
      const std::string_view n = to_string(static_cast<TcpState>(i));
      if (n != "UNKNOWN" && iequals(n, state)) known = true;
    }
    if (!known) return bad_parameter(fmt::format("state: '{}' is not a socket state such as LISTEN or ESTABLISHED", state));
  }
  HttpResponse error;
  const auto port = port_param(q, "port", error);
  const auto local_port = port_param(q, "local_port", error);
  const auto remote_port = port_param(q, "remote_port", error);
  if (error.status != 200) return error;
  std::optional<std::int64_t> pid;
  if (has_param(q, "pid")) {
    pid = parse_int(param(q, "pid"));
    if (!pid || *pid <= 0) return bad_parameter(fmt::format("pid: '{}' is not a process id", param(q, "pid")));
  }
  const auto s = find_snapshot(ctx, params, error);
  if (!s) return error;
  if (!s->sockets) return not_collected("sockets");
  const auto& ss = *s->sockets;
  return json_response(envelope(*s, "sockets", [&](JsonWriter& w) {
    w.begin_object();
    w.key("tcp_states");
    write_tcp_states(w, ss);
    w.field("udp_sockets", ss.udp_sockets);
    w.key("sockets");
    w.begin_array();
    for (const auto& e : ss.sockets) {
      const auto& k = e.socket;
      if (has_param(q, "protocol") && !protocol_matches(k.protocol, protocol)) continue;
      if (has_param(q, "state") && !iequals(to_string(k.state), state)) continue;
      if (port && k.local.port != *port && k.remote.port != *port) continue;
      if (local_port && k.local.port != *local_port) continue;
      if (remote_port && k.remote.port != *remote_port) continue;
      if (pid && (!e.pid || *e.pid != *pid)) continue;
      write_socket(w, e);
    }
    w.end_array();
    w.end_object();
  }));
}

}  // namespace

void register_process_routes(Router& router, std::shared_ptr<const ApiContext> context, const FamilyView& view) {
  const std::string base(kHostPath);
  if (view.name == "processes") {
    auto cache = std::make_shared<ProcessCache>();
    Route list{"GET", base + "/processes", std::string(view.summary), auth::Role::viewer,
               [context, cache](const HttpRequest& r, const RouteParams& p) {
                 return list_processes(*context, *cache, r, p);
               },
               {"sort", "order", "user", "name", "state", "limit", "offset"}};
    list.family_view = "processes";
    router.add(std::move(list));
    router.add({"GET", base + "/processes/{pid}", "One process in detail", auth::Role::viewer,
                [context](const HttpRequest& r, const RouteParams& p) { return one_process(*context, r, p); }});
  } else if (view.name == "sockets") {
    Route list{"GET", base + "/sockets", std::string(view.summary), auth::Role::viewer,
               [context](const HttpRequest& r, const RouteParams& p) { return list_sockets(*context, r, p); },
               {"protocol", "state", "port", "local_port", "remote_port", "pid"}};
    list.family_view = "sockets";
    router.add(std::move(list));
  }
}

}  // namespace hyperion::web::routes
