#include "config_settings.hpp"

#include <algorithm>
#include <cctype>
#include <deque>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "hyperion/web/client_address.hpp"

namespace hyperion::daemon::detail {
namespace {

// Rows name only the fields they need; the rest keep Setting's defaults. GCC 12 warns about
// every field a designated initialiser leaves out, which is the point of designating them.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
constexpr auto kSettingsBeforeIntervals = std::to_array<Setting>({
    {.key = "listen", .flag = "--listen", .env = "HYPERION_LISTEN", .kind = Kind::address,
     .metavar = "ADDR:PORT", .default_text = "127.0.0.1:9800",
     .help = "address and port of the HTTP server: IPV4:PORT, [IPV6]:PORT or NAME:PORT; port 0 picks a free port",
     .field = +[](Config& c) -> auto& { return c.listen; }},
    {.key = "data_dir", .flag = "--data-dir", .env = "HYPERION_DATA_DIR", .kind = Kind::string,
     .metavar = "DIR", .default_text = "./var", .help = "directory of the history database and the keys",
     .field = +[](Config& c) -> auto& { return c.data_dir; }, .check = check_path},
    {.key = "log_level", .flag = "--log-level", .env = "HYPERION_LOG_LEVEL", .kind = Kind::choice,
     .metavar = "LEVEL", .default_text = "info", .help = "least severe messages logged: error, warn, info or debug",
     .field = +[](Config& c) -> auto& { return c.log_level; }},
    {.key = "host_id", .flag = "--host-id", .env = "HYPERION_HOST_ID", .alias = "--host", .kind = Kind::string,
     .metavar = "ID", .default_text = "local", .help = "id of this host in snapshots, the API and metrics",
     .field = +[](Config& c) -> auto& { return c.host_id; }, .check = check_id},
    {.key = "root", .flag = "--root", .env = "HYPERION_ROOT", .kind = Kind::string, .metavar = "DIR",
     .default_text = "/", .help = "read DIR/proc, DIR/sys and DIR/etc instead of the live system (tests)",
     .field = +[](Config& c) -> auto& { return c.root; }, .check = check_path},

    {.key = "collectors.include_idle_virtual_disks", .flag = "--collectors-include-idle-virtual-disks",
     .env = "HYPERION_COLLECTORS_INCLUDE_IDLE_VIRTUAL_DISKS", .kind = Kind::boolean, .default_text = "false",
     .help = "also show loop and ram devices that have never done I/O",
     .field = +[](Config& c) -> auto& { return c.collectors.include_idle_virtual_disks; }},
    {.key = "collectors.include_pseudo_filesystems", .flag = "--collectors-include-pseudo-filesystems",
     .env = "HYPERION_COLLECTORS_INCLUDE_PSEUDO_FILESYSTEMS", .kind = Kind::boolean, .default_text = "false",
     .help = "also show pseudo filesystems (proc, sysfs, cgroup, ...) and ones of size zero",
     .field = +[](Config& c) -> auto& { return c.collectors.include_pseudo_filesystems; }},
    {.key = "collectors.cgroup_max_depth", .flag = "--collectors-cgroup-max-depth",
     .env = "HYPERION_COLLECTORS_CGROUP_MAX_DEPTH", .kind = Kind::integer, .metavar = "N", .default_text = "4",
     .min = 1, .max = 16,
     .help = "how deep under the cgroup root the containers family reads (1: the root's children; Kubernetes pods' "
             "containers are at 4, rootless Podman's at 5)",
     .field = +[](Config& c) -> auto& { return c.collectors.cgroups.max_depth; }},
    {.key = "collectors.cgroup_max_groups", .flag = "--collectors-cgroup-max-groups",
     .env = "HYPERION_COLLECTORS_CGROUP_MAX_GROUPS", .kind = Kind::integer, .metavar = "N", .default_text = "2000",
     .min = 1, .max = 100000,
     .help = "the most control groups the containers family reads per tick (the shallowest first)",
     .field = +[](Config& c) -> auto& { return c.collectors.cgroups.max_groups; }},
    {.key = "collectors.tree_hosts", .flag = "--collectors-tree-hosts", .env = "HYPERION_COLLECTORS_TREE_HOSTS",
     .kind = Kind::string, .metavar = "ID=DIR,...", .default_text = "",
     .help = "more hosts, each read from a directory laid out like a root file system (DIR/proc, DIR/sys, "
             "DIR/etc): a host's root mounted here, or a captured tree",
     .field = +[](Config& c) -> auto& { return c.collectors.tree_hosts; }, .check = check_tree_hosts,
     .allowed = "a comma-separated list of ID=DIR, each ID unique and not host_id"},
});

// The intervals.* rows come from the collectors' family table (intervals_rows below); the
// rows after them:
constexpr auto kSettingsAfterIntervals = std::to_array<Setting>({
    {.key = "http.max_connections", .flag = "--http-max-connections", .env = "HYPERION_HTTP_MAX_CONNECTIONS",
     .kind = Kind::integer, .metavar = "N", .default_text = "256", .min = 1, .max = 100'000,
     .help = "open HTTP and WebSocket connections at most; more are refused",
     .field = +[](Config& c) -> auto& { return c.http.max_connections; }},
    {.key = "http.max_header_bytes", .flag = "--http-max-header-bytes", .env = "HYPERION_HTTP_MAX_HEADER_BYTES",
     .kind = Kind::size, .metavar = "SIZE", .default_text = "8KiB", .min = kKiB, .max = kMiB,
     .help = "largest request line and headers accepted",
     .field = +[](Config& c) -> auto& { return c.http.max_header_bytes; }},
    {.key = "http.max_body_bytes", .flag = "--http-max-body-bytes", .env = "HYPERION_HTTP_MAX_BODY_BYTES",
     .kind = Kind::size, .metavar = "SIZE", .default_text = "64KiB", .min = kKiB, .max = kGiB,
     .help = "largest request body accepted",
     .field = +[](Config& c) -> auto& { return c.http.max_body_bytes; }},
    {.key = "http.max_connections_per_address", .flag = "--http-max-connections-per-address",
     .env = "HYPERION_HTTP_MAX_CONNECTIONS_PER_ADDRESS", .kind = Kind::integer, .metavar = "N", .default_text = "32",
     .min = 1, .max = 1'000'000,
     .help = "open connections (WebSockets included) from one client address; more get a 503. Trusted proxies are exempt",
     .field = +[](Config& c) -> auto& { return c.http.max_connections_per_address; }},
    {.key = "http.max_unauthenticated_connections", .flag = "--http-max-unauthenticated-connections",
     .env = "HYPERION_HTTP_MAX_UNAUTHENTICATED_CONNECTIONS", .kind = Kind::integer, .metavar = "N", .default_text = "64",
     .min = 1, .max = 1'000'000,
     .help = "open connections that have not yet sent valid credentials; beyond it the oldest of them is closed, so "
             "that a flood never takes the slots of signed-in clients",
     .field = +[](Config& c) -> auto& { return c.http.max_unauthenticated_connections; }},
    {.key = "http.header_timeout", .flag = "--http-header-timeout", .env = "HYPERION_HTTP_HEADER_TIMEOUT",
     .kind = Kind::duration, .metavar = "DURATION", .default_text = "10s", .min = 100, .max = 10 * kMinute,
     .help = "a client must send its whole request header within this (against slowloris)",
     .field = +[](Config& c) -> auto& { return c.http.header_timeout; }},
    {.key = "http.idle_timeout", .flag = "--http-idle-timeout", .env = "HYPERION_HTTP_IDLE_TIMEOUT",
     .kind = Kind::duration, .metavar = "DURATION", .default_text = "60s", .min = 100, .max = kHour,
     .help = "a keep-alive connection without a request for this long is closed",
     .field = +[](Config& c) -> auto& { return c.http.idle_timeout; }},
    {.key = "http.write_timeout", .flag = "--http-write-timeout", .env = "HYPERION_HTTP_WRITE_TIMEOUT",
     .kind = Kind::duration, .metavar = "DURATION", .default_text = "30s", .min = 100, .max = kHour,
     .help = "a response not written within this closes the connection",
     .field = +[](Config& c) -> auto& { return c.http.write_timeout; }},
    {.key = "http.gzip_min_bytes", .flag = "--http-gzip-min-bytes", .env = "HYPERION_HTTP_GZIP_MIN_BYTES",
     .kind = Kind::size, .metavar = "SIZE", .default_text = "1KiB", .min = 0, .max = kGiB,
     .help = "responses of at least this size are gzipped for clients that accept it; 0 disables gzip",
     .field = +[](Config& c) -> auto& { return c.http.gzip_min_bytes; }},
    {.key = "http.shutdown_grace", .flag = "--http-shutdown-grace", .env = "HYPERION_HTTP_SHUTDOWN_GRACE",
     .kind = Kind::duration, .metavar = "DURATION", .default_text = "1500ms", .min = 0, .max = kMinute,
     .help = "at shutdown, how long requests in progress may take to finish",
     .field = +[](Config& c) -> auto& { return c.http.shutdown_grace; }},

    {.key = "http.cors_allowed_origins", .flag = "--http-cors-allowed-origins", .env = "HYPERION_HTTP_CORS_ALLOWED_ORIGINS",
     .kind = Kind::string, .metavar = "ORIGINS", .default_text = "",
     .help = "comma-separated origins (https://host:port) whose pages may call the API with a bearer token (CORS); "
             "empty: none",
     .field = +[](Config& c) -> auto& { return c.http.cors_allowed_origins; }, .allowed = "origins, comma-separated; empty: none"},
    {.key = "http.trusted_proxies", .flag = "--http-trusted-proxies", .env = "HYPERION_HTTP_TRUSTED_PROXIES",
     .kind = Kind::string, .metavar = "ADDRESSES", .default_text = "",
     .help = "reverse proxies (addresses or CIDR blocks, comma-separated) whose X-Forwarded-For or Forwarded header "
             "names the client; from anyone else those headers are ignored",
     .field = +[](Config& c) -> auto& { return c.http.trusted_proxies; }, .check = check_networks,
     .allowed = "IP addresses or CIDR blocks, comma-separated; empty: none"},
    {.key = "http.allowed_hosts", .flag = "--http-allowed-hosts", .env = "HYPERION_HTTP_ALLOWED_HOSTS",
     .kind = Kind::string, .metavar = "NAMES", .default_text = "",
     .help = "Host header values served besides the listen address, localhost and this machine's names and addresses "
             "(against DNS rebinding); others get 421. \"*\" serves any",
     .field = +[](Config& c) -> auto& { return c.http.allowed_hosts; },
     .allowed = "host names or addresses, comma-separated; \"*\": any"},

    {.key = "metrics.top_processes", .flag = "--metrics-top-processes", .env = "HYPERION_METRICS_TOP_PROCESSES",
     .kind = Kind::integer, .metavar = "N", .default_text = "10", .min = 0, .max = 100,
     .help = "processes with the most CPU and memory exported in /metrics",
     .field = +[](Config& c) -> auto& { return c.metrics.top_processes; }},
    {.key = "metrics.public", .flag = "--metrics-public", .env = "HYPERION_METRICS_PUBLIC", .kind = Kind::boolean,
     .default_text = "false",
     .help = "serve /metrics without credentials, for scrapers that cannot send a bearer token",
     .field = +[](Config& c) -> auto& { return c.metrics.public_access; }},
    {.key = "live.max_clients", .flag = "--live-max-clients", .env = "HYPERION_LIVE_MAX_CLIENTS",
     .kind = Kind::integer, .metavar = "N", .default_text = "1000", .min = 1, .max = 100000,
     .help = "open /api/v1/live WebSockets at most; more are refused with 503",
     .field = +[](Config& c) -> auto& { return c.live.max_clients; }},
    {.key = "live.max_message_bytes", .flag = "--live-max-message-bytes", .env = "HYPERION_LIVE_MAX_MESSAGE_BYTES",
     .kind = Kind::size, .metavar = "SIZE", .default_text = "4KiB", .min = 256, .max = kMiB,
     .help = "largest message a live client may send (subscribe, unsubscribe)",
     .field = +[](Config& c) -> auto& { return c.live.max_message_bytes; }},
    {.key = "live.ping_interval", .flag = "--live-ping-interval", .env = "HYPERION_LIVE_PING_INTERVAL",
     .kind = Kind::duration, .metavar = "DURATION", .default_text = "15s", .min = kSecond, .max = 10 * kMinute,
     .help = "a silent live client is pinged after this; closed if still silent after twice this",
     .field = +[](Config& c) -> auto& { return c.live.ping_interval; }},
    {.key = "live.allowed_origins", .flag = "--live-allowed-origins", .env = "HYPERION_LIVE_ALLOWED_ORIGINS",
     .kind = Kind::string, .metavar = "ORIGINS", .default_text = "",
     .help = "comma-separated origins (https://host:port) whose pages may open the live socket, besides this server",
     .field = +[](Config& c) -> auto& { return c.live.allowed_origins; }, .allowed = "origins, comma-separated; empty: none"},
    {.key = "live.auth_timeout", .flag = "--live-auth-timeout", .env = "HYPERION_LIVE_AUTH_TIMEOUT",
     .kind = Kind::duration, .metavar = "DURATION", .default_text = "10s", .min = kSecond, .max = 5 * kMinute,
     .help = "a live client that connected without credentials must send {\"auth\": TOKEN} within this",
     .field = +[](Config& c) -> auto& { return c.live.auth_timeout; }},
    {.key = "live.max_unauthenticated_clients", .flag = "--live-max-unauthenticated-clients",
     .env = "HYPERION_LIVE_MAX_UNAUTHENTICATED_CLIENTS", .kind = Kind::integer, .metavar = "N", .default_text = "32",
     .min = 1, .max = 100000,
     .help = "live clients still to send {\"auth\": TOKEN}; beyond it the oldest of them is closed (1008)",
     .field = +[](Config& c) -> auto& { return c.live.max_unauthenticated_clients; }},

    {.key = "auth.access_token_ttl", .flag = "--auth-access-token-ttl", .env = "HYPERION_AUTH_ACCESS_TOKEN_TTL",
     .kind = Kind::duration, .metavar = "DURATION", .default_text = "15m", .min = kMinute, .max = kDay,
     .help = "lifetime of an access token (the dashboard renews it in the background)",
     .field = +[](Config& c) -> auto& { return c.auth.access_ttl; }},
    {.key = "auth.refresh_token_ttl", .flag = "--auth-refresh-token-ttl", .env = "HYPERION_AUTH_REFRESH_TOKEN_TTL",
     .kind = Kind::duration, .metavar = "DURATION", .default_text = "7d", .min = kHour, .max = 365 * kDay,
     .help = "a login session unused for this long ends; each use renews it",
     .field = +[](Config& c) -> auto& { return c.auth.refresh_ttl; }},
    {.key = "auth.max_failed_logins", .flag = "--auth-max-failed-logins", .env = "HYPERION_AUTH_MAX_FAILED_LOGINS",
     .kind = Kind::integer, .metavar = "N", .default_text = "5", .min = 1, .max = 1000,
     .help = "failed logins from one address for one user name before that address must wait (1 s, doubling with "
             "each further failure, at most auth.lockout); the account itself is never locked",
     .field = +[](Config& c) -> auto& { return c.auth.max_failed_logins; }},
    {.key = "auth.lockout", .flag = "--auth-lockout", .env = "HYPERION_AUTH_LOCKOUT", .kind = Kind::duration,
     .metavar = "DURATION", .default_text = "15m", .min = kSecond, .max = kDay,
     .help = "the longest wait of a throttled address; its failures are forgotten this long after the last",
     .field = +[](Config& c) -> auto& { return c.auth.lockout; }},
    {.key = "auth.login_attempts_per_minute", .flag = "--auth-login-attempts-per-minute",
     .env = "HYPERION_AUTH_LOGIN_ATTEMPTS_PER_MINUTE", .kind = Kind::integer, .metavar = "N", .default_text = "10",
     .min = 1, .max = 100000,
     .help = "failed logins per minute from one address, whatever the user names, before 429 Too Many Requests",
     .field = +[](Config& c) -> auto& { return c.auth.attempts_per_minute; }},
    {.key = "auth.password_iterations", .flag = "--auth-password-iterations", .env = "HYPERION_AUTH_PASSWORD_ITERATIONS",
     .kind = Kind::integer, .metavar = "N", .default_text = "3", .min = 1, .max = 20,
     .help = "Argon2id passes over memory for new password hashes (older hashes still verify)",
     .field = +[](Config& c) -> auto& { return c.auth.password_cost.iterations; }},
    {.key = "auth.password_memory", .flag = "--auth-password-memory", .env = "HYPERION_AUTH_PASSWORD_MEMORY",
     .kind = Kind::size, .metavar = "SIZE", .default_text = "64MiB", .min = 8 * kMiB, .max = kGiB,
     .help = "Argon2id memory for new password hashes",
     .field = +[](Config& c) -> auto& { return c.auth.password_cost.memory_bytes; }},

    {.key = "audit.retention", .flag = "--audit-retention", .env = "HYPERION_AUDIT_RETENTION", .kind = Kind::duration,
     .metavar = "DURATION", .default_text = "365d", .min = kHour, .max = 3650 * kDay,
     .help = "audit entries older than this are deleted",
     .field = +[](Config& c) -> auto& { return c.audit.retention; }},
    {.key = "audit.max_rows", .flag = "--audit-max-rows", .env = "HYPERION_AUDIT_MAX_ROWS", .kind = Kind::integer,
     .metavar = "N", .default_text = "1000000", .min = 1000, .max = 1'000'000'000,
     .help = "audit entries kept at most; beyond it the oldest failed logins go first, then the oldest entries",
     .field = +[](Config& c) -> auto& { return c.audit.max_rows; }},

    {.key = "history.enabled", .flag = "--history-enabled", .env = "HYPERION_HISTORY_ENABLED", .kind = Kind::boolean,
     .default_text = "true", .help = "keep the history of every metric and of the top processes in the database",
     .field = +[](Config& c) -> auto& { return c.history.enabled; }},
    {.key = "history.batch_interval", .flag = "--history-batch-interval", .env = "HYPERION_HISTORY_BATCH_INTERVAL",
     .kind = Kind::duration, .metavar = "DURATION", .default_text = "5s", .min = kSecond, .max = 5 * kMinute,
     .help = "how often new samples are committed to the database; a crash loses at most this much",
     .field = +[](Config& c) -> auto& { return c.history.batch_interval; }},
    {.key = "history.chunk_span", .flag = "--history-chunk-span", .env = "HYPERION_HISTORY_CHUNK_SPAN",
     .kind = Kind::duration, .metavar = "DURATION", .default_text = "30m", .min = 10 * kSecond, .max = 6 * kHour,
     .help = "raw samples are sealed into compressed chunks at these boundaries of the clock",
     .field = +[](Config& c) -> auto& { return c.history.chunk_span; }},
    {.key = "history.raw_retention", .flag = "--history-raw-retention", .env = "HYPERION_HISTORY_RAW_RETENTION",
     .kind = Kind::duration, .metavar = "DURATION", .default_text = "7d", .min = kMinute, .max = 3650 * kDay,
     .help = "every sample is kept this long",
     .field = +[](Config& c) -> auto& { return c.history.raw_retention; }},
    {.key = "history.minute_retention", .flag = "--history-minute-retention",
     .env = "HYPERION_HISTORY_MINUTE_RETENTION", .kind = Kind::duration, .metavar = "DURATION", .default_text = "90d",
     .min = kMinute, .max = 3650 * kDay, .help = "per-minute min, max and mean are kept this long",
     .field = +[](Config& c) -> auto& { return c.history.minute_retention; }},
    {.key = "history.hour_retention", .flag = "--history-hour-retention", .env = "HYPERION_HISTORY_HOUR_RETENTION",
     .kind = Kind::duration, .metavar = "DURATION", .default_text = "730d", .min = kMinute, .max = 36500 * kDay,
     .help = "per-hour min, max and mean are kept this long",
     .field = +[](Config& c) -> auto& { return c.history.hour_retention; }},
    {.key = "history.max_bytes", .flag = "--history-max-bytes", .env = "HYPERION_HISTORY_MAX_BYTES", .kind = Kind::size,
     .metavar = "SIZE", .default_text = "1GiB", .min = kMiB, .max = 1024 * 1024 * kGiB,
     .help = "the database file at most; over it the oldest raw chunks go first, then minutes, process lists, hours",
     .field = +[](Config& c) -> auto& { return c.history.max_bytes; }},
    {.key = "history.max_series", .flag = "--history-max-series", .env = "HYPERION_HISTORY_MAX_SERIES",
     .kind = Kind::integer, .metavar = "N", .default_text = "20000", .min = 10, .max = 1'000'000,
     .help = "series kept at most; new ones beyond it are not recorded (logged once)",
     .field = +[](Config& c) -> auto& { return c.history.max_series; }},
    {.key = "history.processes_interval", .flag = "--history-processes-interval",
     .env = "HYPERION_HISTORY_PROCESSES_INTERVAL", .kind = Kind::duration, .metavar = "DURATION", .default_text = "1m",
     .min = 5 * kSecond, .max = kHour, .help = "how often the top processes and containers are recorded",
     .field = +[](Config& c) -> auto& { return c.history.processes_interval; }},
    {.key = "history.processes_top", .flag = "--history-processes-top", .env = "HYPERION_HISTORY_PROCESSES_TOP",
     .kind = Kind::integer, .metavar = "N", .default_text = "10", .min = 1, .max = 100,
     .help = "processes recorded by CPU and, again, by memory (containers likewise)",
     .field = +[](Config& c) -> auto& { return c.history.processes_top; }},
    {.key = "history.processes_cmdline_bytes", .flag = "--history-processes-cmdline-bytes",
     .env = "HYPERION_HISTORY_PROCESSES_CMDLINE_BYTES", .kind = Kind::integer, .metavar = "N", .default_text = "256",
     .min = 16, .max = 4096, .help = "recorded command lines are cut at this many bytes",
     .field = +[](Config& c) -> auto& { return c.history.processes_cmdline_bytes; }},
    {.key = "history.processes_retention", .flag = "--history-processes-retention",
     .env = "HYPERION_HISTORY_PROCESSES_RETENTION", .kind = Kind::duration, .metavar = "DURATION",
     .default_text = "365d", .min = kHour, .max = 3650 * kDay, .help = "recorded process lists are kept this long",
     .field = +[](Config& c) -> auto& { return c.history.processes_retention; }},
    {.key = "history.max_points", .flag = "--history-max-points", .env = "HYPERION_HISTORY_MAX_POINTS",
     .kind = Kind::integer, .metavar = "N", .default_text = "5000", .min = 10, .max = 100'000,
     .help = "points per series a history query may ask for",
     .field = +[](Config& c) -> auto& { return c.history.max_points; }},
    {.key = "history.max_query_series", .flag = "--history-max-query-series",
     .env = "HYPERION_HISTORY_MAX_QUERY_SERIES", .kind = Kind::integer, .metavar = "N", .default_text = "200",
     .min = 1, .max = 10'000, .help = "series one history query may return",
     .field = +[](Config& c) -> auto& { return c.history.max_query_series; }},

    {.key = "tls.certificate", .flag = "--tls-certificate", .env = "HYPERION_TLS_CERTIFICATE", .kind = Kind::string,
     .metavar = "FILE", .default_text = "",
     .help = "serve HTTPS with this PEM certificate chain (with tls.key); read again on SIGHUP",
     .field = +[](Config& c) -> auto& { return c.tls.certificate; }, .allowed = "a path; empty: plain HTTP"},
    {.key = "tls.key", .flag = "--tls-key", .env = "HYPERION_TLS_KEY", .kind = Kind::string, .metavar = "FILE",
     .default_text = "", .help = "the PEM private key of tls.certificate",
     .field = +[](Config& c) -> auto& { return c.tls.key; }, .allowed = "a path; empty: plain HTTP"},
});
#pragma GCC diagnostic pop

}  // namespace

std::string check_path(std::string_view value) { return value.empty() ? "empty path" : ""; }

std::string check_tree_hosts(std::string_view value) {
  std::string why;
  if (!parse_tree_hosts(value, &why)) return why;
  return {};
}

std::string check_networks(std::string_view value) {
  std::string why;
  return web::parse_networks(value, &why) ? std::string() : why;
}

// The id appears in URLs, metric labels and file names: keep it to a safe alphabet.
std::string check_id(std::string_view value) {
  if (value.empty()) return "empty id";
  if (value.size() > static_cast<std::size_t>(kMaxHostIdLength)) {
    return fmt::format("'{}' is longer than {} characters", value, kMaxHostIdLength);
  }
  for (const char ch : value) {
    const bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
                    ch == '.' || ch == '_' || ch == '-';
    if (!ok) return fmt::format("'{}' may contain only letters, digits, '.', '_' and '-'", value);
  }
  return {};
}

namespace {

template <std::size_t I>
milliseconds& interval_field(Config& c) {
  return c.intervals[static_cast<collectors::Family>(I)];
}
template <std::size_t... I>
constexpr std::array<MsField, sizeof...(I)> interval_fields(std::index_sequence<I...>) {
  return {&interval_field<I>...};
}

// "intervals.cpu", "--intervals-cpu", "HYPERION_INTERVALS_CPU", one row per family.
std::vector<Setting> all_settings() {
  static std::deque<std::string> text;  // the rows' strings; a deque never moves them
  constexpr auto fields = interval_fields(std::make_index_sequence<collectors::kFamilyCount>{});
  std::vector<Setting> rows(kSettingsBeforeIntervals.begin(), kSettingsBeforeIntervals.end());
  for (const auto& f : collectors::family_table()) {
    std::string flag(f.name), env(f.name);
    std::replace(flag.begin(), flag.end(), '_', '-');
    std::transform(env.begin(), env.end(), env.begin(), [](unsigned char ch) { return static_cast<char>(std::toupper(ch)); });
    Setting row;
    row.key = text.emplace_back(fmt::format("intervals.{}", f.name));
    row.flag = text.emplace_back("--intervals-" + flag);
    row.env = text.emplace_back("HYPERION_INTERVALS_" + env);
    row.kind = Kind::duration;
    row.metavar = "DURATION";
    row.default_text = text.emplace_back(f.default_interval_ms % kSecond == 0
                                             ? fmt::format("{}s", f.default_interval_ms / kSecond)
                                             : fmt::format("{}ms", f.default_interval_ms));
    row.min = 100;
    row.max = kHour;
    row.help = f.interval_help;
    row.field = fields[static_cast<std::size_t>(f.family)];
    rows.push_back(row);
  }
  rows.insert(rows.end(), kSettingsAfterIntervals.begin(), kSettingsAfterIntervals.end());
  return rows;
}

const std::vector<Setting>& table() {
  static const std::vector<Setting> rows = all_settings();
  return rows;
}

}  // namespace

std::span<const Setting> settings() { return table(); }


const Setting* find_by_key(std::string_view key) {
  for (const auto& s : table()) {
    if (s.key == key) return &s;
  }
  return nullptr;
}

const Setting* find_by_flag(std::string_view flag) {
  for (const auto& s : table()) {
    if (s.flag == flag || (!s.alias.empty() && s.alias == flag)) return &s;
  }
  return nullptr;
}

bool is_section(std::string_view prefix) {
  return std::any_of(table().begin(), table().end(), [&](const Setting& s) {
    return s.key.size() > prefix.size() && s.key.substr(0, prefix.size()) == prefix && s.key[prefix.size()] == '.';
  });
}

std::string_view section_of(std::string_view key) {
  const auto dot = key.rfind('.');
  return dot == std::string_view::npos ? std::string_view{} : key.substr(0, dot);
}

std::string_view leaf_of(std::string_view key) {
  const auto dot = key.rfind('.');
  return dot == std::string_view::npos ? key : key.substr(dot + 1);
}

}  // namespace hyperion::daemon::detail
