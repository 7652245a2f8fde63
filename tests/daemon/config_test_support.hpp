#pragma once

// What the tests of config.cpp share: a fake environment, parse() over real files, and one
// value for every setting (custom_values, custom_config; every_setting.toml holds the same).
// Included by config_test.cpp, config_errors_test.cpp and config_output_test.cpp.

#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "fixture.hpp"
#include "hyperion/daemon/config.hpp"

using namespace std::chrono_literals;
using hyperion::daemon::Action;
using hyperion::daemon::apply_config_toml;
using hyperion::daemon::Config;
using hyperion::daemon::GetEnv;
using hyperion::daemon::InvocationResult;
using hyperion::daemon::kDefaultConfigPath;
using hyperion::daemon::LogLevel;
using hyperion::daemon::parse_invocation;
using hyperion::daemon::render_config_toml;
using hyperion::daemon::setting_infos;

namespace config_test {

using hyperion::collectors::Family;

using Env = std::map<std::string, std::string, std::less<>>;

inline GetEnv env_of(Env env) {
  return [vars = std::move(env)](std::string_view name) -> std::optional<std::string> {
    const auto it = vars.find(name);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

// Real files, except the default path: what is installed on the test machine must not matter.
inline bool explicit_files_only(const std::string& path) {
  return path != kDefaultConfigPath && hyperion::daemon::system_file_exists(path);
}

inline InvocationResult parse(const std::vector<std::string>& args, Env env = {}) {
  return parse_invocation(args, env_of(std::move(env)), explicit_files_only);
}

inline std::string config_fixture(const std::string& name) { return hyperion::test::fixtures_dir() + "/config/" + name; }

// A value for every setting, none of them the default; every_setting.toml holds the same.
inline std::map<std::string, std::string> custom_values() {
  return {
      {"listen", "[::1]:0"},
      {"data_dir", "/var/lib/hyperion dir \"quoted\""},
      {"log_level", "debug"},
      {"host_id", "web-1.example"},
      {"root", "/srv/fixture"},
      {"collectors.include_idle_virtual_disks", "true"},
      {"collectors.include_pseudo_filesystems", "true"},
      {"collectors.cgroup_max_depth", "6"},
      {"collectors.cgroup_max_groups", "500"},
      {"collectors.tree_hosts", "web=/srv/web-root"},
      {"intervals.host", "90s"},
      {"intervals.system", "250ms"},
      {"intervals.cpu", "500ms"},
      {"intervals.memory", "3s"},
      {"intervals.processes", "1m"},
      {"intervals.network", "1500ms"},
      {"intervals.sockets", "10s"},
      {"intervals.disks", "2s"},
      {"intervals.filesystems", "1h"},
      {"intervals.sensors", "100ms"},
      {"intervals.containers", "20s"},
      {"http.max_connections", "1000"},
      {"http.max_header_bytes", "16KiB"},
      {"http.max_body_bytes", "100000"},
      {"http.header_timeout", "5s"},
      {"http.idle_timeout", "2m"},
      {"http.write_timeout", "45s"},
      {"http.gzip_min_bytes", "0"},
      {"http.shutdown_grace", "0ms"},
      {"metrics.top_processes", "0"},
      {"live.max_clients", "5"},
      {"live.max_message_bytes", "1KiB"},
      {"live.ping_interval", "30s"},
      {"live.allowed_origins", "https://grafana.example:3000"},
      {"metrics.public", "true"},
      {"live.auth_timeout", "30s"},
      {"http.cors_allowed_origins", "https://grafana.example:3000"},
      {"tls.certificate", "/etc/hyperion/cert.pem"},
      {"tls.key", "/etc/hyperion/key.pem"},
      {"auth.access_token_ttl", "5m"},
      {"auth.refresh_token_ttl", "30d"},
      {"auth.max_failed_logins", "3"},
      {"auth.lockout", "1h"},
      {"auth.login_attempts_per_minute", "20"},
      {"auth.password_iterations", "4"},
      {"auth.password_memory", "128MiB"},
      {"http.max_connections_per_address", "8"},
      {"http.max_unauthenticated_connections", "16"},
      {"http.trusted_proxies", "10.0.0.1, 192.168.0.0/16, ::1"},
      {"http.allowed_hosts", "monitor.example, 203.0.113.5"},
      {"live.max_unauthenticated_clients", "4"},
      {"audit.retention", "30d"},
      {"audit.max_rows", "5000"},
      {"history.enabled", "false"},
      {"history.batch_interval", "10s"},
      {"history.chunk_span", "1h"},
      {"history.raw_retention", "2d"},
      {"history.minute_retention", "30d"},
      {"history.hour_retention", "365d"},
      {"history.max_bytes", "256MiB"},
      {"history.max_series", "500"},
      {"history.processes_interval", "5m"},
      {"history.processes_top", "5"},
      {"history.processes_cmdline_bytes", "100"},
      {"history.processes_retention", "30d"},
      {"history.max_points", "1000"},
      {"history.max_query_series", "50"},
  };
}

inline Config custom_config() {
  Config c;
  c.listen = "[::1]:0";
  c.listen_host = "::1";
  c.listen_port = 0;
  c.data_dir = "/var/lib/hyperion dir \"quoted\"";
  c.log_level = LogLevel::debug;
  c.host_id = "web-1.example";
  c.root = "/srv/fixture";
  c.collectors.include_idle_virtual_disks = true;
  c.collectors.include_pseudo_filesystems = true;
  c.collectors.cgroups.max_depth = 6;
  c.collectors.cgroups.max_groups = 500;
  c.collectors.tree_hosts = "web=/srv/web-root";
  c.intervals[Family::host] = 90s;
  c.intervals[Family::system] = 250ms;
  c.intervals[Family::cpu] = 500ms;
  c.intervals[Family::memory] = 3s;
  c.intervals[Family::processes] = 1min;
  c.intervals[Family::network] = 1500ms;
  c.intervals[Family::sockets] = 10s;
  c.intervals[Family::disks] = 2s;
  c.intervals[Family::filesystems] = 1h;
  c.intervals[Family::sensors] = 100ms;
  c.intervals[Family::containers] = 20s;
  c.http.max_connections = 1000;
  c.http.max_header_bytes = 16 * 1024;
  c.http.max_body_bytes = 100000;
  c.http.header_timeout = 5s;
  c.http.idle_timeout = 2min;
  c.http.write_timeout = 45s;
  c.http.gzip_min_bytes = 0;
  c.http.shutdown_grace = 0ms;
  c.metrics.top_processes = 0;
  c.live.max_clients = 5;
  c.live.max_message_bytes = 1024;
  c.live.ping_interval = 30s;
  c.live.allowed_origins = "https://grafana.example:3000";
  c.metrics.public_access = true;
  c.live.auth_timeout = 30s;
  c.http.cors_allowed_origins = "https://grafana.example:3000";
  c.tls.certificate = "/etc/hyperion/cert.pem";
  c.tls.key = "/etc/hyperion/key.pem";
  c.auth.access_ttl = 5min;
  c.auth.refresh_ttl = 30 * 24h;
  c.auth.max_failed_logins = 3;
  c.auth.lockout = 1h;
  c.auth.attempts_per_minute = 20;
  c.auth.password_cost.iterations = 4;
  c.auth.password_cost.memory_bytes = 128ull << 20;
  c.http.max_connections_per_address = 8;
  c.http.max_unauthenticated_connections = 16;
  c.http.trusted_proxies = "10.0.0.1, 192.168.0.0/16, ::1";
  c.http.allowed_hosts = "monitor.example, 203.0.113.5";
  c.live.max_unauthenticated_clients = 4;
  c.audit.retention = 30 * 24h;
  c.audit.max_rows = 5000;
  c.history.enabled = false;
  c.history.batch_interval = 10s;
  c.history.chunk_span = 1h;
  c.history.raw_retention = 2 * 24h;
  c.history.minute_retention = 30 * 24h;
  c.history.hour_retention = 365 * 24h;
  c.history.max_bytes = 256ull << 20;
  c.history.max_series = 500;
  c.history.processes_interval = 5min;
  c.history.processes_top = 5;
  c.history.processes_cmdline_bytes = 100;
  c.history.processes_retention = 30 * 24h;
  c.history.max_points = 1000;
  c.history.max_query_series = 50;
  return c;
}

inline std::vector<std::string> custom_flags() {
  std::vector<std::string> args;
  for (const auto& s : setting_infos()) args.push_back(std::string(s.flag) + "=" + custom_values().at(std::string(s.key)));
  return args;
}

inline std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

}  // namespace config_test
