#include "app.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <filesystem>

#include <fmt/format.h>

#include "data_dir_lock.hpp"
#include "hyperion/collectors/bus.hpp"
#include "hyperion/collectors/hosts.hpp"
#include "hyperion/collectors/local_source.hpp"
#include "hyperion/collectors/tree_source.hpp"
#include "hyperion/daemon/accounts.hpp"
#include "hyperion/daemon/clock.hpp"
#include "hyperion/history/writer.hpp"
#include "hyperion/storage/executor.hpp"
#include "hyperion/web/api.hpp"
#include "hyperion/web/auth_api.hpp"
#include "hyperion/web/dashboard.hpp"
#include "hyperion/web/http_server.hpp"
#include "hyperion/web/metrics_route.hpp"
#include "sampling_loop.hpp"

namespace hyperion::daemon {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

bool is_loopback(const std::string& host) {
  return host.starts_with("127.") || host == "::1" || host == "localhost" || host == "ip6-localhost";
}

// Settings that a SIGHUP cannot change in a running process.
void warn_restart_only(const Config& running, const Config& loaded, Logger& log) {
  const auto warn = [&](const char* key) { log.warn("reload: {} changes take effect after a restart", key); };
  if (loaded.listen != running.listen) warn("listen");
  if (loaded.data_dir != running.data_dir) warn("data_dir");
  if (loaded.root != running.root) warn("root");
  if (loaded.host_id != running.host_id) warn("host_id");
  if (!(loaded.http == running.http)) warn("http.*");
  if (!(loaded.collectors == running.collectors)) warn("collectors.*");
  if (!(loaded.metrics == running.metrics)) warn("metrics.*");
  if (!(loaded.live == running.live)) warn("live.*");
  if (!(loaded.auth == running.auth)) warn("auth.*");
  if (!(loaded.audit == running.audit)) warn("audit.*");
  if (loaded.tls.certificate.empty() != running.tls.certificate.empty()) warn("turning tls on or off");
}

void warn_certificate_expiry(std::int64_t not_after, const std::string& file, Logger& log) {
  if (not_after <= 0) return;
  const auto left = not_after - wall_ms() / 1000;
  if (left <= 0) {
    log.warn("tls: the certificate {} expired {} day(s) ago: browsers refuse it; renew it and reload", file,
             (-left) / 86'400);
  } else if (left < 14 * 86'400) {
    log.warn("tls: the certificate {} expires in {} day(s); renew it and reload", file, left / 86'400);
  }
}

// Hands each snapshot to the live WebSocket hub (which renders frames on the HTTP thread).
class LiveSink : public collectors::SnapshotSink {
 public:
  explicit LiveSink(web::HttpServer& server) : server_(server) {}
  std::string_view sink_name() const noexcept override { return "live"; }
  void consume(const collectors::SnapshotPtr& snapshot) override { server_.publish(snapshot); }

 private:
  web::HttpServer& server_;
};

// The database as its thread last found it (checked every second by upkeep()).
struct DatabaseHealth {
  std::atomic<bool> ok{true};
  std::atomic<std::int64_t> checked_ms{wall_ms()};
};

}  // namespace

// Declared in the order they are built; stop() takes them down in reverse.
struct App::Parts {
  std::optional<DataDirLock> lock;
  std::unique_ptr<Accounts> accounts;
  std::unique_ptr<storage::Executor> database;
  std::shared_ptr<DatabaseHealth> db_health = std::make_shared<DatabaseHealth>();
  collectors::Bus bus;
  collectors::LatestSnapshots latest;
  collectors::HostRegistry hosts;
  std::vector<std::unique_ptr<SamplingLoop>> loops;  // this host's first
  web::Router router;
  std::unique_ptr<web::HttpServer> server;
  std::unique_ptr<LiveSink> live_sink;
  // The history: the store (its open chunks in memory), the process lists, the writer on the
  // bus, and the reader: a connection of its own on a thread of its own (the "history" lane),
  // so that queries never wait behind the database thread's password hashes.
  std::unique_ptr<history::HistoryStore> history;
  history::ProcessHistory process_history;
  std::unique_ptr<history::HistoryWriter> history_writer;
  std::optional<storage::Database> history_reader;
  std::unique_ptr<storage::Executor> history_lane;
  double start_time = 0;
  Clock::time_point next_prune = Clock::now();
};

App::App(Config config, Logger& log) : config_(std::move(config)), log_(log), parts_(std::make_unique<Parts>()) {}

App::~App() { stop(); }

int App::start() {
  Parts& p = *parts_;
  const Config& config = config_;
  if (!is_loopback(config.listen_host) && config.tls.certificate.empty()) {
    log_.warn("listen: {} is reachable from the network over plain HTTP: passwords and tokens cross it "
              "unencrypted; set tls.certificate and tls.key, or put a TLS-terminating proxy in front",
              config.listen);
  }
  if (config.tls.certificate.empty() != config.tls.key.empty()) {
    log_.error("tls: set both tls.certificate and tls.key, or neither");
    return 2;
  }
  const auto trees = parse_tree_hosts(config.collectors.tree_hosts).value_or(std::vector<TreeHost>{});
  for (const auto& tree : trees) {
    if (tree.id == config.host_id) {
      log_.error("collectors.tree_hosts: '{}' is this host's id (host_id); give the tree another", tree.id);
      return 2;
    }
  }
  p.lock = DataDirLock::acquire(config.data_dir, log_);
  if (!p.lock) return 1;

  // Accounts: the database and the keys. Every route but the public ones needs credentials.
  try {
    p.accounts = open_accounts(config);
    if (!p.accounts->auth.has_users()) {
      const auto password = p.accounts->auth.create_initial_admin("first start");
      log_.warn("created the user 'admin' with the one-time password {} (shown only this once): log in and "
                "change it; `hyperiond user passwd admin` sets another",
                password);
    }
  } catch (const std::exception& e) {
    log_.error("data_dir: {}", e.what());
    return 1;
  }
  auto& auth = p.accounts->auth;
  // The database's one thread: the accounts' blocking routes, the audit log, the periodic
  // upkeep (and next the history writer and the alerts).
  p.database = std::make_unique<storage::Executor>(p.accounts->db,
                                                   [this](const std::string& e) { log_.error("database: {}", e); });

  p.start_time = static_cast<double>(wall_ms()) / 1000.0;
  // Sampling publishes to the bus; each consumer is a sink on a thread of its own.
  p.bus.attach(p.latest);
  const auto stale_after_ms =
      std::max<std::int64_t>(10'000, 3 * config.intervals.of(collectors::Family::system).count());
  const auto publish = [&bus = p.bus](const std::shared_ptr<const collectors::Snapshot>& s) { bus.publish(s); };
  p.hosts.add(config.host_id, config.host_id == "local" ? "this host" : config.host_id,
              collectors::HostKind::local, stale_after_ms);
  p.loops.push_back(std::make_unique<SamplingLoop>(
      std::make_unique<collectors::LocalSource>(config.root == "/" ? collectors::SourcePaths{}
                                                                   : collectors::SourcePaths::under(config.root)),
      config.host_id, true, config.collectors, config.intervals, log_, publish));
  for (const auto& tree : trees) {
    std::error_code dir_error;
    if (!std::filesystem::is_directory(tree.dir, dir_error)) {
      log_.warn("collectors.tree_hosts: {} is not a directory (yet); host '{}' reports errors until it is", tree.dir,
                tree.id);
    }
    p.hosts.add(tree.id, tree.id, collectors::HostKind::tree, stale_after_ms);
    p.loops.push_back(std::make_unique<SamplingLoop>(std::make_unique<collectors::TreeSource>(tree.dir), tree.id,
                                                     false, config.collectors, config.intervals, log_, publish));
  }
  p.bus.attach(p.hosts);

  if (config.history.enabled) {
    try {
      p.history = std::make_unique<history::HistoryStore>(config.history, [this](int level, const std::string& m) {
        if (level == 0) log_.error("{}", m);
        else if (level == 1) log_.warn("{}", m);
        else log_.info("{}", m);
      });
      p.history->open(p.accounts->db);
      p.history_reader.emplace(storage::Database::open(p.accounts->db.path()));
    } catch (const std::exception& e) {
      log_.error("history: {}", e.what());
      return 1;
    }
    p.history_lane = std::make_unique<storage::Executor>(
        *p.history_reader, [this](const std::string& e) { log_.error("history query: {}", e); });
    p.history_writer = std::make_unique<history::HistoryWriter>(*p.history, p.process_history, *p.database,
                                                                p.accounts->db);
    p.bus.attach(*p.history_writer);
  }

  web::ApiContext ctx;
  ctx.snapshot = [&latest = p.latest](std::string_view host) { return latest.get(host); };
  ctx.hosts = [&hosts = p.hosts] { return hosts.ids(); };
  ctx.host_entries = [&hosts = p.hosts](std::int64_t now) { return hosts.list(now); };
  ctx.now_ms = [] { return wall_ms(); };
  ctx.stale_after_ms = stale_after_ms;
  ctx.health_problem = [health = p.db_health]() -> std::optional<std::string> {
    if (!health->ok) return std::string("the database does not answer queries (see the log)");
    const auto silent = wall_ms() - health->checked_ms;
    if (silent > 10'000) return fmt::format("the database worker has not answered for {} s", silent / 1000);
    return std::nullopt;
  };
  if (p.history) {
    auto access = std::make_shared<web::HistoryAccess>();
    access->store = p.history.get();
    access->processes = &p.process_history;
    access->reader = &*p.history_reader;
    ctx.history = std::move(access);
  }
  web::register_api(p.router, ctx);
  web::register_dashboard(p.router);
  web::register_auth_api(p.router, auth, web::AuthApiOptions{.secure_cookies = !config.tls.certificate.empty()});
  web::MetricsRouteContext metrics;
  metrics.snapshot = [&latest = p.latest](std::string_view host) { return latest.get(host); };
  metrics.hosts = [&hosts = p.hosts] { return hosts.ids(); };
  metrics.self = [&p] {
    web::SelfMetrics self = p.server ? p.server->stats() : web::SelfMetrics{};
    self.version = HYPERION_VERSION;
    self.start_time_seconds = p.start_time;
    self.collections = p.loops.front()->stats();  // this host's
    for (const auto& b : p.bus.stats()) self.sinks.push_back({b.sink, b.delivered, b.dropped, b.failed});
    if (p.history) {
      const auto h = p.history->stats();
      self.history_enabled = true;
      self.history = {h.samples_added, h.series,      h.series_refused, h.journal_writes, h.seals,
                      h.write_failures, h.chunks_pruned, h.open_bytes,    0};
      std::error_code ec;
      const auto size = std::filesystem::file_size(p.accounts->db.path(), ec);
      if (!ec) self.history.database_bytes = size;
    }
    return self;
  };
  metrics.now_seconds = [] { return static_cast<double>(wall_ms()) / 1000.0; };
  metrics.settings = config.metrics;
  metrics.self_pid = static_cast<std::int32_t>(::getpid());
  web::register_metrics_route(p.router, std::move(metrics));

  p.server = std::make_unique<web::HttpServer>(p.router,
                                               web::server_limits(config.http, config.live, config.listen_host));
  auto& server = *p.server;
  server.set_blocking_executor([&database = *p.database](std::function<void()> job) { database.post(std::move(job)); });
  if (p.history_lane) {
    server.set_lane_executor("history", [&lane = *p.history_lane](std::function<void()> job) { lane.post(std::move(job)); });
  }
  server.require_auth(auth);
  server.set_error_log([this](const std::string& message) { log_.error("http: {}", message); });
  if (!config.tls.certificate.empty()) {
    try {
      server.use_tls(config.tls.certificate, config.tls.key);
    } catch (const std::exception& e) {
      log_.error("{}", e.what());
      return 1;
    }
    warn_certificate_expiry(server.tls_not_after(), config.tls.certificate, log_);
  }
  server.set_known_hosts([&hosts = p.hosts](std::string_view host) { return hosts.contains(host); });
  p.live_sink = std::make_unique<LiveSink>(server);
  p.bus.attach(*p.live_sink);
  try {
    server.listen(config.listen_host, config.listen_port);
  } catch (const std::exception& e) {
    log_.error("listen: {}", e.what());
    return 1;
  }
  p.database->start();
  if (p.history_lane) p.history_lane->start();
  p.bus.start();
  for (auto& loop : p.loops) loop->start();
  server.start();
  running_ = true;
  const bool v6 = config.listen_host.find(':') != std::string::npos;
  log_.info("listening on {}://{}{}{}:{}", server.tls() ? "https" : "http", v6 ? "[" : "", config.listen_host,
            v6 ? "]" : "", server.port());
  return 0;
}

void App::reload(const Config& fresh, const std::string& source) {
  Parts& p = *parts_;
  warn_restart_only(config_, fresh, log_);
  log_.set_level(fresh.log_level);
  for (auto& loop : p.loops) loop->set_intervals(fresh.intervals);
  // A renewed certificate takes effect for new connections; a bad one is refused and the
  // running one kept. Turning TLS on or off needs a restart.
  if (p.server && p.server->tls() && !fresh.tls.certificate.empty() && !fresh.tls.key.empty()) {
    try {
      p.server->use_tls(fresh.tls.certificate, fresh.tls.key);
      log_.info("reload: TLS certificate {} loaded", fresh.tls.certificate);
      warn_certificate_expiry(p.server->tls_not_after(), fresh.tls.certificate, log_);
    } catch (const std::exception& e) {
      log_.error("reload: {}; keeping the running certificate", e.what());
    }
  }
  config_.log_level = fresh.log_level;
  config_.intervals = fresh.intervals;
  log_.info("reloaded the configuration{}", source.empty() ? std::string() : " from " + source);
}

void App::upkeep() {
  Parts& p = *parts_;
  if (!running_) return;
  if (p.history_writer) p.history_writer->tick(wall_ms());
  const bool prune = Clock::now() >= p.next_prune;
  if (prune) p.next_prune = Clock::now() + 60s;
  p.database->post([&auth = p.accounts->auth, &log = log_, health = p.db_health, prune] {
    try {
      auth.reload_if_changed();
      auth.flush_audit();
      if (prune) auth.prune_audit();
      if (!health->ok) log.info("database: answering again");
      health->ok = auth.database_ok();
    } catch (const std::exception& e) {
      if (health->ok) log.error("database: {}", e.what());
      health->ok = false;
    }
    health->checked_ms = wall_ms();
  });
}

bool App::sampling_alive() const {
  const Parts& p = *parts_;
  return !p.loops.empty() && Clock::now() - p.loops.front()->heartbeat() < 30s;
}

std::uint16_t App::port() const { return parts_->server ? parts_->server->port() : 0; }

void App::stop() {
  Parts& p = *parts_;
  if (p.server && running_) p.server->shutdown(config_.http.shutdown_grace);
  for (auto& loop : p.loops) loop->stop();
  p.bus.stop();
  if (p.history_lane) p.history_lane->stop();
  if (p.database) {
    if (running_ && p.history_writer) p.history_writer->flush();  // what the last batch did not write
    if (running_) {
      // Failures reach the log through the executor.
      p.database->post([&auth = p.accounts->auth] { auth.flush_audit(); });
    }
    p.database->stop();
  }
  running_ = false;
}

}  // namespace hyperion::daemon
