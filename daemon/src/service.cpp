#include "hyperion/daemon/service.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <atomic>
#include <condition_variable>
#include <cstring>
#include <filesystem>
#include <functional>
#include <mutex>
#include <stop_token>
#include <thread>

#include "hyperion/collectors/bus.hpp"
#include "hyperion/collectors/hosts.hpp"
#include "hyperion/collectors/collector.hpp"
#include "hyperion/collectors/local_source.hpp"
#include "hyperion/collectors/tree_source.hpp"
#include "hyperion/daemon/accounts.hpp"
#include "hyperion/daemon/clock.hpp"
#include "hyperion/daemon/log.hpp"
#include "hyperion/storage/executor.hpp"
#include "hyperion/web/api.hpp"
#include "hyperion/web/auth_api.hpp"
#include "hyperion/web/dashboard.hpp"
#include "hyperion/web/http_server.hpp"
#include "hyperion/web/metrics_route.hpp"

namespace hyperion::daemon {
namespace {

using namespace std::chrono_literals;
using collectors::Family;
using collectors::kFamilyCount;
using Clock = std::chrono::steady_clock;

// Samples one host: refreshes each family on its own interval on a thread of its own, so a
// slow read never delays an HTTP response or another host, and publishes each new snapshot.
class SamplingLoop {
 public:
  using Publish = std::function<void(const std::shared_ptr<const collectors::Snapshot>&)>;
  SamplingLoop(std::unique_ptr<collectors::Source> source, const std::string& host, const Config& config,
               Logger& log, Publish publish)
      : publish_(std::move(publish)),
        source_(std::move(source)),
        collector_(*source_, host, collector_options(config)),
        intervals_(config.intervals),
        log_(log),
        local_(host == config.host_id) {}

  void start() {
    thread_ = std::jthread([this](std::stop_token stop) { run(stop); });
  }
  void stop() {
    thread_.request_stop();
    cv_.notify_all();
    if (thread_.joinable()) thread_.join();
  }
  void set_intervals(const Intervals& intervals) {
    {
      std::lock_guard lock(mutex_);
      intervals_ = intervals;
    }
    cv_.notify_all();
  }
  std::vector<web::CollectionStats> stats() const {
    std::lock_guard lock(mutex_);
    return stats_;
  }
  // When the loop last finished a round (for the watchdog).
  Clock::time_point heartbeat() const {
    std::lock_guard lock(mutex_);
    return heartbeat_;
  }

 private:
  void run(std::stop_token stop) {
    std::array<Clock::time_point, kFamilyCount> due;
    due.fill(Clock::now());
    {
      std::lock_guard lock(mutex_);
      stats_.clear();
      for (std::size_t i = 0; i < kFamilyCount; ++i) {
        stats_.push_back({collectors::to_string(static_cast<Family>(i)), 0, 0, 0});
      }
    }
    while (!stop.stop_requested()) {
      const auto now = Clock::now();
      Intervals intervals;
      {
        std::lock_guard lock(mutex_);
        intervals = intervals_;
      }
      collectors::FamilySet families;
      for (std::size_t i = 0; i < kFamilyCount; ++i) {
        if (due[i] > now) continue;
        families.set(i);
        const auto interval = intervals.of(static_cast<Family>(i));
        due[i] += interval;
        if (due[i] <= now) due[i] = now + interval;  // fell behind (suspend, slow tick): do not burst
      }
      if (families.any()) {
        const auto snapshot = collector_.collect(families, monotonic_seconds(), wall_ms());
        publish_(snapshot);
        account(families, *snapshot);
      }
      std::unique_lock lock(mutex_);
      heartbeat_ = Clock::now();
      const auto next = *std::min_element(due.begin(), due.end());
      cv_.wait_until(lock, stop, next, [] { return false; });
    }
  }

  // Counts runs and errors per family; logs an error once when it appears or changes, and
  // once when the family recovers, never every tick.
  void account(const collectors::FamilySet& families, const collectors::Snapshot& s) {
    std::array<std::string, kFamilyCount> errors;
    for (const auto& e : s.errors) {
      auto& slot = errors[static_cast<std::size_t>(e.family)];
      if (slot.empty()) slot = e.detail;
    }
    std::lock_guard lock(mutex_);
    for (std::size_t i = 0; i < kFamilyCount; ++i) {
      if (!families.test(i)) continue;
      auto& st = stats_[i];
      ++st.runs_total;
      st.last_duration_seconds = collector_.last_duration_seconds(static_cast<Family>(i));
      if (!errors[i].empty()) {
        ++st.errors_total;
        if (errors[i] != last_error_[i]) log_.warn("{}{}: {}", prefix(), st.family, errors[i]);
      } else if (!last_error_[i].empty()) {
        log_.info("{}{}: collecting again", prefix(), st.family);
      }
      last_error_[i] = errors[i];
    }
  }

  // Log lines of hosts other than this one name the host.
  std::string prefix() const { return local_ ? std::string() : "host " + collector_.host() + ": "; }

  Publish publish_;
  std::unique_ptr<collectors::Source> source_;
  collectors::Collector collector_;
  Intervals intervals_;
  Logger& log_;
  bool local_ = true;
  mutable std::mutex mutex_;
  std::condition_variable_any cv_;
  std::vector<web::CollectionStats> stats_;
  std::array<std::string, kFamilyCount> last_error_;
  Clock::time_point heartbeat_ = Clock::now();
  std::jthread thread_;
};

bool is_loopback(const std::string& host) {
  return host.starts_with("127.") || host == "::1" || host == "localhost" || host == "ip6-localhost";
}

web::ServerLimits server_limits(const HttpLimits& h) {
  web::ServerLimits l;
  l.max_connections = h.max_connections;
  l.max_header_bytes = h.max_header_bytes;
  l.max_body_bytes = h.max_body_bytes;
  l.header_timeout = h.header_timeout;
  l.idle_timeout = h.idle_timeout;
  l.write_timeout = h.write_timeout;
  l.gzip_min_bytes = h.gzip_min_bytes;
  return l;
}

std::vector<std::string> comma_list(std::string_view list) {
  std::vector<std::string> out;
  web::any_list_item(list, ',', [&](std::string_view item) {
    out.emplace_back(item);
    return false;
  });
  return out;
}

// The names a browser may use to reach this server: the listen address, localhost and the
// loopback addresses, this machine's names, and on a wildcard listen address every address of
// its interfaces; plus http.allowed_hosts. "*" turns the check off.
web::AllowedHosts allowed_hosts(const Config& c) {
  web::AllowedHosts a;
  a.any = false;
  const auto add = [&](const std::string& name) {
    const bool bare_v6 = name.find(':') != std::string::npos && name.front() != '[';
    if (const auto h = web::host_of(bare_v6 ? "[" + name + "]" : name)) {
      if (std::find(a.names.begin(), a.names.end(), *h) == a.names.end()) a.names.push_back(*h);
    }
  };
  for (const char* name : {"localhost", "localhost.localdomain", "ip6-localhost", "127.0.0.1", "::1"}) add(name);
  const bool wildcard = c.listen_host == "0.0.0.0" || c.listen_host == "::" || c.listen_host.empty();
  if (!wildcard) add(c.listen_host);
  char hostname[256] = {};
  if (::gethostname(hostname, sizeof hostname - 1) == 0 && hostname[0] != '\0') {
    const std::string name(hostname);
    add(name);
    add(name.substr(0, name.find('.')));  // the short name
  }
  if (wildcard) {
    ifaddrs* list = nullptr;
    if (::getifaddrs(&list) == 0) {
      for (auto* i = list; i; i = i->ifa_next) {
        if (!i->ifa_addr || (i->ifa_addr->sa_family != AF_INET && i->ifa_addr->sa_family != AF_INET6)) continue;
        char text[INET6_ADDRSTRLEN] = {};
        const void* raw = i->ifa_addr->sa_family == AF_INET
                              ? static_cast<const void*>(&reinterpret_cast<const sockaddr_in*>(i->ifa_addr)->sin_addr)
                              : static_cast<const void*>(&reinterpret_cast<const sockaddr_in6*>(i->ifa_addr)->sin6_addr);
        if (::inet_ntop(i->ifa_addr->sa_family, raw, text, sizeof text)) add(text);
      }
      ::freeifaddrs(list);
    }
  }
  web::any_list_item(c.http.allowed_hosts, ',', [&](std::string_view item) {
    if (item == "*") a.any = true;
    else add(std::string(item));
    return false;
  });
  return a;
}

web::ServerLimits server_limits(const Config& c) {
  auto l = server_limits(c.http);
  l.max_connections_per_address = c.http.max_connections_per_address;
  l.max_unauthenticated_connections = c.http.max_unauthenticated_connections;
  l.live_max_unauthenticated_clients = c.live.max_unauthenticated_clients;
  l.trusted_proxies = web::parse_networks(c.http.trusted_proxies).value_or(std::vector<web::Network>{});
  l.allowed_hosts = allowed_hosts(c);
  l.live_max_clients = c.live.max_clients;
  l.live_max_message_bytes = c.live.max_message_bytes;
  l.live_ping_interval = c.live.ping_interval;
  l.live_auth_timeout = c.live.auth_timeout;
  l.live_allowed_origins = comma_list(c.live.allowed_origins);
  l.cors_allowed_origins = comma_list(c.http.cors_allowed_origins);
  return l;
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

// Hands each snapshot to the live WebSocket hub (which renders frames on the HTTP thread).
class LiveSink : public collectors::SnapshotSink {
 public:
  explicit LiveSink(web::HttpServer& server) : server_(server) {}
  std::string_view sink_name() const noexcept override { return "live"; }
  void consume(const collectors::SnapshotPtr& snapshot) override { server_.publish(snapshot); }

 private:
  web::HttpServer& server_;
};

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

}  // namespace

int run_service(const Invocation& invocation, const std::vector<std::string>& args) {
  Config config = invocation.config;
  Logger log(config.log_level, ::getenv("JOURNAL_STREAM") != nullptr);

  if (!is_loopback(config.listen_host) && config.tls.certificate.empty()) {
    log.warn("listen: {} is reachable from the network over plain HTTP: passwords and tokens cross it "
             "unencrypted; set tls.certificate and tls.key, or put a TLS-terminating proxy in front",
             config.listen);
  }
  std::error_code ec;
  std::filesystem::create_directories(config.data_dir, ec);
  if (ec) {
    log.error("data_dir: cannot create {}: {}", config.data_dir, ec.message());
    return 1;
  }
  ::chmod(config.data_dir.c_str(), 0700);
  // One daemon per data directory: two would both write the database and hand out sessions
  // that the other does not know. The lock goes with the process (flock), a crash included.
  const auto lock_path = (std::filesystem::path(config.data_dir) / "hyperiond.lock").string();
  const int lock_fd = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (lock_fd < 0) {
    log.error("data_dir: cannot open {}: {}", lock_path, std::strerror(errno));
    return 1;
  }
  if (::flock(lock_fd, LOCK_EX | LOCK_NB) != 0) {
    char pid[32] = {};
    const auto n = ::pread(lock_fd, pid, sizeof pid - 1, 0);
    std::string holder(pid, n > 0 ? static_cast<std::size_t>(n) : 0);
    while (!holder.empty() && (holder.back() == '\n' || holder.back() == ' ')) holder.pop_back();
    log.error("data_dir: {} is in use by another hyperiond{}; stop it first, or give this one another --data-dir",
              config.data_dir, holder.empty() ? std::string() : " (pid " + holder + ")");
    ::close(lock_fd);
    return 1;
  }
  {
    const auto pid = std::to_string(::getpid()) + "\n";
    if (::ftruncate(lock_fd, 0) != 0 || ::pwrite(lock_fd, pid.data(), pid.size(), 0) < 0) {
      log.warn("data_dir: cannot write the pid into {}", lock_path);
    }
  }

  // Accounts: the database and the keys. Every route but the public ones needs credentials.
  std::unique_ptr<Accounts> accounts;
  try {
    accounts = open_accounts(config);
    if (!accounts->auth.has_users()) {
      const auto password = accounts->auth.create_initial_admin("first start");
      log.warn("created the user 'admin' with the one-time password {} (shown only this once): log in and "
               "change it; `hyperiond user passwd admin` sets another",
               password);
    }
  } catch (const std::exception& e) {
    log.error("data_dir: {}", e.what());
    return 1;
  }
  auto& auth = accounts->auth;
  // The database's one thread: the accounts' blocking routes, the audit log, the periodic
  // upkeep (and next the history writer and the alerts). Stopped after the HTTP server.
  storage::Executor database(accounts->db, [&log](const std::string& e) { log.error("database: {}", e); });

  // Signals go to the main thread only: block them before any thread starts.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  ::signal(SIGPIPE, SIG_IGN);

  const double start_time = static_cast<double>(wall_ms()) / 1000.0;
  // Sampling publishes to the bus; each consumer is a sink on a thread of its own.
  collectors::Bus bus;
  collectors::LatestSnapshots latest;
  bus.attach(latest);
  collectors::HostRegistry hosts;
  const auto stale_after_ms = std::max<std::int64_t>(10'000, 3 * config.intervals.of(Family::system).count());
  const auto publish = [&bus](const std::shared_ptr<const collectors::Snapshot>& s) { bus.publish(s); };
  // One sampling loop per host: this one first, then the directory trees.
  std::vector<std::unique_ptr<SamplingLoop>> loops;
  hosts.add(config.host_id, config.host_id == "local" ? "this host" : config.host_id, collectors::HostKind::local,
            stale_after_ms);
  loops.push_back(std::make_unique<SamplingLoop>(
      std::make_unique<collectors::LocalSource>(config.root == "/" ? collectors::SourcePaths{}
                                                                   : collectors::SourcePaths::under(config.root)),
      config.host_id, config, log, publish));
  for (const auto& tree : parse_tree_hosts(config.collectors.tree_hosts).value_or(std::vector<TreeHost>{})) {
    if (tree.id == config.host_id) {
      log.error("collectors.tree_hosts: '{}' is this host's id (host_id); give the tree another", tree.id);
      return 2;
    }
    std::error_code dir_error;
    if (!std::filesystem::is_directory(tree.dir, dir_error)) {
      log.warn("collectors.tree_hosts: {} is not a directory (yet); host '{}' reports errors until it is", tree.dir,
               tree.id);
    }
    hosts.add(tree.id, tree.id, collectors::HostKind::tree, stale_after_ms);
    loops.push_back(std::make_unique<SamplingLoop>(std::make_unique<collectors::TreeSource>(tree.dir), tree.id, config,
                                                   log, publish));
  }
  bus.attach(hosts);
  SamplingLoop& sampler = *loops.front();  // this host's: the watchdog and the collection metrics

  web::Router router;
  web::HttpServer* server_ptr = nullptr;
  web::ApiContext ctx;
  ctx.snapshot = [&latest](std::string_view host) -> std::shared_ptr<const collectors::Snapshot> {
    return latest.get(host);
  };
  ctx.hosts = [&hosts] { return hosts.ids(); };
  ctx.host_entries = [&hosts](std::int64_t now) { return hosts.list(now); };
  ctx.now_ms = [] { return wall_ms(); };
  ctx.stale_after_ms = stale_after_ms;
  // The database, as the worker that owns it last found it (checked every second).
  struct DatabaseHealth {
    std::atomic<bool> ok{true};
    std::atomic<std::int64_t> checked_ms{wall_ms()};
  };
  auto db_health = std::make_shared<DatabaseHealth>();
  ctx.health_problem = [db_health]() -> std::optional<std::string> {
    if (!db_health->ok) return std::string("the database does not answer queries (see the log)");
    const auto silent = wall_ms() - db_health->checked_ms;
    if (silent > 10'000) return fmt::format("the database worker has not answered for {} s", silent / 1000);
    return std::nullopt;
  };
  web::register_api(router, ctx);
  web::register_dashboard(router);
  web::register_auth_api(router, auth, web::AuthApiOptions{.secure_cookies = !config.tls.certificate.empty()});
  web::MetricsRouteContext metrics;
  metrics.snapshot = [&latest](std::string_view host) { return latest.get(host); };
  metrics.hosts = [&hosts] { return hosts.ids(); };
  metrics.self = [&bus, &sampler, &server_ptr, start_time] {
    web::SelfMetrics self = server_ptr ? server_ptr->stats() : web::SelfMetrics{};
    self.version = HYPERION_VERSION;
    self.start_time_seconds = start_time;
    self.collections = sampler.stats();
    for (const auto& b : bus.stats()) self.sinks.push_back({b.sink, b.delivered, b.dropped, b.failed});
    return self;
  };
  metrics.now_seconds = [] { return static_cast<double>(wall_ms()) / 1000.0; };
  metrics.top_processes = config.metrics.top_processes;
  metrics.self_pid = static_cast<std::int32_t>(::getpid());
  metrics.public_access = config.metrics.public_access;
  web::register_metrics_route(router, std::move(metrics));

  web::HttpServer server(router, server_limits(config));
  server.set_blocking_executor([&database](std::function<void()> job) { database.post(std::move(job)); });
  server.require_auth(auth);
  server.set_error_log([&log](const std::string& message) { log.error("http: {}", message); });
  if (config.tls.certificate.empty() != config.tls.key.empty()) {
    log.error("tls: set both tls.certificate and tls.key, or neither");
    return 2;
  }
  if (!config.tls.certificate.empty()) {
    try {
      server.use_tls(config.tls.certificate, config.tls.key);
    } catch (const std::exception& e) {
      log.error("{}", e.what());
      return 1;
    }
    warn_certificate_expiry(server.tls_not_after(), config.tls.certificate, log);
  }
  server_ptr = &server;
  server.set_known_hosts([&hosts](std::string_view host) { return hosts.contains(host); });
  LiveSink live_sink(server);
  bus.attach(live_sink);
  try {
    server.listen(config.listen_host, config.listen_port);
  } catch (const std::exception& e) {
    log.error("listen: {}", e.what());
    return 1;
  }
  database.start();
  bus.start();
  for (auto& loop : loops) loop->start();
  server.start();
  const bool v6 = config.listen_host.find(':') != std::string::npos;
  log.info("listening on {}://{}{}{}:{}", server.tls() ? "https" : "http", v6 ? "[" : "", config.listen_host, v6 ? "]" : "",
           server.port());
  sd_notifyf(0, "READY=1\nSTATUS=serving on port %u", static_cast<unsigned>(server.port()));

  std::uint64_t watchdog_usec = 0;
  const bool watchdog = sd_watchdog_enabled(0, &watchdog_usec) > 0 && watchdog_usec > 0;
  const auto wait = watchdog ? std::min<std::chrono::microseconds>(std::chrono::microseconds(watchdog_usec / 2), 1s)
                             : std::chrono::microseconds(1s);
  auto next_prune = Clock::now();
  for (;;) {
    timespec timeout{};
    timeout.tv_sec = static_cast<time_t>(wait.count() / 1'000'000);
    timeout.tv_nsec = static_cast<long>((wait.count() % 1'000'000) * 1000);
    siginfo_t info{};
    const int sig = sigtimedwait(&signals, &info, &timeout);
    if (watchdog && Clock::now() - sampler.heartbeat() < 30s) sd_notify(0, "WATCHDOG=1");
    // Accounts changed by `hyperiond user` (another process) take effect within a second; the
    // audit log's aggregated counts are written; every minute its bounds are applied.
    const bool prune = Clock::now() >= next_prune;
    if (prune) next_prune = Clock::now() + 60s;
    database.post([&auth, &log, db_health, prune] {
      try {
        auth.reload_if_changed();
        auth.flush_audit();
        if (prune) auth.prune_audit();
        if (!db_health->ok) log.info("database: answering again");
        db_health->ok = auth.database_ok();
      } catch (const std::exception& e) {
        if (db_health->ok) log.error("database: {}", e.what());
        db_health->ok = false;
      }
      db_health->checked_ms = wall_ms();
    });
    if (sig == SIGHUP) {
      sd_notify(0, "RELOADING=1");
      const auto reloaded = parse_invocation(args, system_getenv);
      if (!reloaded.error.empty()) {
        log.error("reload: {}; keeping the running configuration", reloaded.error);
      } else {
        const auto& fresh = reloaded.invocation.config;
        warn_restart_only(config, fresh, log);
        log.set_level(fresh.log_level);
        for (auto& loop : loops) loop->set_intervals(fresh.intervals);
        // A renewed certificate takes effect for new connections; a bad one is refused and the
        // running one kept. Turning TLS on or off needs a restart.
        if (server.tls() && !fresh.tls.certificate.empty() && !fresh.tls.key.empty()) {
          try {
            server.use_tls(fresh.tls.certificate, fresh.tls.key);
            log.info("reload: TLS certificate {} loaded", fresh.tls.certificate);
            warn_certificate_expiry(server.tls_not_after(), fresh.tls.certificate, log);
          } catch (const std::exception& e) {
            log.error("reload: {}; keeping the running certificate", e.what());
          }
        }
        config.log_level = fresh.log_level;
        config.intervals = fresh.intervals;
        log.info("reloaded the configuration{}", reloaded.invocation.config_path.empty()
                                                      ? std::string()
                                                      : " from " + reloaded.invocation.config_path);
      }
      sd_notify(0, "READY=1");
    } else if (sig == SIGTERM || sig == SIGINT) {
      log.info("stopping ({})", sig == SIGTERM ? "SIGTERM" : "SIGINT");
      sd_notify(0, "STOPPING=1");
      break;
    }
  }
  server.shutdown(config.http.shutdown_grace);
  for (auto& loop : loops) loop->stop();
  bus.stop();
  database.post([&auth] { auth.flush_audit(); });  // failures reach the log through the executor
  database.stop();
  ::close(lock_fd);
  log.info("stopped");
  return 0;
}

}  // namespace hyperion::daemon
