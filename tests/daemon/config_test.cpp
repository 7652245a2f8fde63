#include "hyperion/daemon/config.hpp"

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

namespace {

using Env = std::map<std::string, std::string, std::less<>>;

GetEnv env_of(Env env) {
  return [vars = std::move(env)](std::string_view name) -> std::optional<std::string> {
    const auto it = vars.find(name);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

// Real files, except the default path: what is installed on the test machine must not matter.
bool explicit_files_only(const std::string& path) {
  return path != kDefaultConfigPath && hyperion::daemon::system_file_exists(path);
}

InvocationResult parse(const std::vector<std::string>& args, Env env = {}) {
  return parse_invocation(args, env_of(std::move(env)), explicit_files_only);
}

std::string config_fixture(const std::string& name) { return hyperion::test::fixtures_dir() + "/config/" + name; }

// A value for every setting, none of them the default; every_setting.toml holds the same.
std::map<std::string, std::string> custom_values() {
  return {
      {"listen", "[::1]:0"},
      {"data_dir", "/var/lib/hyperion dir \"quoted\""},
      {"log_level", "debug"},
      {"host_id", "web-1.example"},
      {"root", "/srv/fixture"},
      {"collectors.include_idle_virtual_disks", "true"},
      {"collectors.include_pseudo_filesystems", "true"},
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
  };
}

Config custom_config() {
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
  c.intervals.host = 90s;
  c.intervals.system = 250ms;
  c.intervals.cpu = 500ms;
  c.intervals.memory = 3s;
  c.intervals.processes = 1min;
  c.intervals.network = 1500ms;
  c.intervals.sockets = 10s;
  c.intervals.disks = 2s;
  c.intervals.filesystems = 1h;
  c.intervals.sensors = 100ms;
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
  c.auth.access_token_ttl = 5min;
  c.auth.refresh_token_ttl = 30 * 24h;
  c.auth.max_failed_logins = 3;
  c.auth.lockout = 1h;
  c.auth.login_attempts_per_minute = 20;
  c.auth.password_iterations = 4;
  c.auth.password_memory = 128ull << 20;
  return c;
}

std::vector<std::string> custom_flags() {
  std::vector<std::string> args;
  for (const auto& s : setting_infos()) args.push_back(std::string(s.flag) + "=" + custom_values().at(std::string(s.key)));
  return args;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Defaults and the table itself.

TEST_CASE("parse_invocation: no arguments, environment or file gives the documented defaults",
          "[daemon][config]") {
  const auto r = parse({});
  REQUIRE(r.error == "");
  const auto& inv = r.invocation;
  CHECK(inv.action == Action::run);
  CHECK(inv.config_path.empty());
  CHECK(inv.once_format == "json");
  CHECK(inv.once_interval_ms == 1000);
  const auto& c = inv.config;
  CHECK(c == Config{});
  CHECK(c.listen == "127.0.0.1:9800");
  CHECK(c.listen_host == "127.0.0.1");
  CHECK(c.listen_port == 9800);
  CHECK(c.data_dir == "./var");
  CHECK(c.log_level == LogLevel::info);
  CHECK(c.host_id == "local");
  CHECK(c.root == "/");
  CHECK_FALSE(c.collectors.include_idle_virtual_disks);
  CHECK_FALSE(c.collectors.include_pseudo_filesystems);
  CHECK(c.intervals.host == 60s);
  for (const auto d : {c.intervals.system, c.intervals.cpu, c.intervals.memory, c.intervals.network,
                       c.intervals.disks}) {
    CHECK(d == 1s);
  }
  CHECK(c.intervals.processes == 2s);
  CHECK(c.intervals.sockets == 2s);
  CHECK(c.intervals.filesystems == 5s);
  CHECK(c.intervals.sensors == 5s);
  CHECK(c.http.max_connections == 256);
  CHECK(c.http.max_header_bytes == 8192);
  CHECK(c.http.max_body_bytes == 65536);
  CHECK(c.http.header_timeout == 10s);
  CHECK(c.http.idle_timeout == 60s);
  CHECK(c.http.write_timeout == 30s);
  CHECK(c.http.gzip_min_bytes == 1024);
  CHECK(c.http.shutdown_grace == 1500ms);
  CHECK(c.metrics.top_processes == 10);
  CHECK_FALSE(c.metrics.public_access);
  CHECK(c.auth.access_token_ttl == 15min);
  CHECK(c.auth.refresh_token_ttl == 7 * 24h);
  CHECK(c.auth.max_failed_logins == 5);
  CHECK(c.auth.password_memory == 64ull << 20);
}

TEST_CASE("setting_infos: flag and environment variable follow from the key", "[daemon][config]") {
  std::set<std::string_view> keys;
  for (const auto& s : setting_infos()) {
    INFO(s.key);
    CHECK(keys.insert(s.key).second);
    std::string flag = "--", env = "HYPERION_";
    for (const char ch : s.key) {
      flag += (ch == '.' || ch == '_') ? '-' : ch;
      env += ch == '.' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
    }
    CHECK(s.flag == flag);
    CHECK(s.env == env);
    CHECK_FALSE(s.help.empty());
    CHECK_FALSE(s.allowed.empty());
    CHECK(s.metavar.empty() == (s.type == "boolean"));
  }
}

TEST_CASE("setting_infos: the test's custom values cover every setting", "[daemon][config]") {
  std::set<std::string> table;
  for (const auto& s : setting_infos()) table.insert(std::string(s.key));
  std::set<std::string> custom;
  for (const auto& [k, v] : custom_values()) custom.insert(k);
  CHECK(table == custom);
}

TEST_CASE("setting_infos: each default as written is the built-in default", "[daemon][config]") {
  // Every setting set to something else first, then to its documented default: the last wins.
  auto args = custom_flags();
  for (const auto& s : setting_infos()) args.push_back(std::string(s.flag) + "=" + std::string(s.default_value));
  const auto r = parse(args);
  REQUIRE(r.error == "");
  CHECK(r.invocation.config == Config{});
  CHECK(render_config_toml(r.invocation.config) == render_config_toml(Config{}));
}

TEST_CASE("Intervals::of and collector_options: map the config onto the collectors", "[daemon][config]") {
  using hyperion::collectors::Family;
  const Config c = custom_config();
  CHECK(c.intervals.of(Family::host) == 90s);
  CHECK(c.intervals.of(Family::system) == 250ms);
  CHECK(c.intervals.of(Family::cpu) == 500ms);
  CHECK(c.intervals.of(Family::memory) == 3s);
  CHECK(c.intervals.of(Family::processes) == 1min);
  CHECK(c.intervals.of(Family::network) == 1500ms);
  CHECK(c.intervals.of(Family::sockets) == 10s);
  CHECK(c.intervals.of(Family::disks) == 2s);
  CHECK(c.intervals.of(Family::filesystems) == 1h);
  CHECK(c.intervals.of(Family::sensors) == 100ms);
  const auto o = hyperion::daemon::collector_options(c);
  CHECK(o.host == "web-1.example");
  CHECK(o.include_idle_virtual_disks);
  CHECK(o.include_pseudo_filesystems);
  CHECK(std::string(hyperion::daemon::to_string(LogLevel::warn)) == "warn");
}

// ---------------------------------------------------------------------------------------------
// Each origin sets every setting.

TEST_CASE("parse_invocation: every setting can be set by a flag", "[daemon][config]") {
  const auto r = parse(custom_flags());
  REQUIRE(r.error == "");
  CHECK(r.invocation.config == custom_config());
  CHECK(render_config_toml(r.invocation.config) == render_config_toml(custom_config()));
}

TEST_CASE("parse_invocation: every setting can be set by an environment variable", "[daemon][config]") {
  Env env;
  for (const auto& s : setting_infos()) env[std::string(s.env)] = custom_values().at(std::string(s.key));
  const auto r = parse({}, env);
  REQUIRE(r.error == "");
  CHECK(r.invocation.config == custom_config());
}

TEST_CASE("parse_invocation: every setting can be set in the config file", "[daemon][config]") {
  const auto path = config_fixture("every_setting.toml");
  const auto r = parse({"--config", path});
  REQUIRE(r.error == "");
  CHECK(r.invocation.config_path == path);
  CHECK(r.invocation.config == custom_config());
  CHECK(render_config_toml(r.invocation.config) == render_config_toml(custom_config()));
}

TEST_CASE("parse_invocation: reads the example config file", "[daemon][config]") {
  const auto r = parse({"--config=" + config_fixture("example.toml")});
  REQUIRE(r.error == "");
  Config expected;
  expected.listen = "0.0.0.0:9800";
  expected.listen_host = "0.0.0.0";
  expected.data_dir = "/var/lib/hyperion";
  expected.log_level = LogLevel::warn;
  expected.host_id = "web-1";
  expected.intervals.processes = 5s;
  expected.intervals.sensors = 30s;
  expected.http.max_connections = 64;
  expected.http.max_body_bytes = 1024 * 1024;
  expected.http.idle_timeout = 2min;
  CHECK(r.invocation.config == expected);
}

TEST_CASE("parse_invocation: flags take a value as the next argument or after '='", "[daemon][config]") {
  const auto r = parse({"--listen", "[::]:80", "--data-dir=/a=b", "--log-level", "error", "--host", "db2",
                        "--intervals-cpu=250ms", "--http-max-body-bytes", "2MiB",
                        "--collectors-include-pseudo-filesystems", "--collectors-include-idle-virtual-disks=false"});
  REQUIRE(r.error == "");
  const auto& c = r.invocation.config;
  CHECK(c.listen == "[::]:80");
  CHECK(c.listen_host == "::");
  CHECK(c.listen_port == 80);
  CHECK(c.data_dir == "/a=b");
  CHECK(c.log_level == LogLevel::error);
  CHECK(c.host_id == "db2");
  CHECK(c.intervals.cpu == 250ms);
  CHECK(c.http.max_body_bytes == 2 * 1024 * 1024);
  CHECK(c.collectors.include_pseudo_filesystems);
  CHECK_FALSE(c.collectors.include_idle_virtual_disks);
}

TEST_CASE("parse_invocation: a boolean flag alone is true, or takes the next word", "[daemon][config]") {
  const auto r = parse({"--collectors-include-pseudo-filesystems", "--once", "--collectors-include-idle-virtual-disks"});
  REQUIRE(r.error == "");
  CHECK(r.invocation.action == Action::once);
  CHECK(r.invocation.config.collectors.include_pseudo_filesystems);
  CHECK(r.invocation.config.collectors.include_idle_virtual_disks);
  const auto off = parse({"--collectors-include-pseudo-filesystems", "false"},
                         {{"HYPERION_COLLECTORS_INCLUDE_PSEUDO_FILESYSTEMS", "true"}});
  REQUIRE(off.error == "");
  CHECK_FALSE(off.invocation.config.collectors.include_pseudo_filesystems);
}

TEST_CASE("parse_invocation: listen addresses split into host and port", "[daemon][config]") {
  const auto [text, host, port] = GENERATE(table<std::string, std::string, std::uint16_t>({
      {"127.0.0.1:9800", "127.0.0.1", 9800},
      {"0.0.0.0:0", "0.0.0.0", 0},
      {"[::1]:9800", "::1", 9800},
      {"[::]:65535", "::", 65535},
      {"[fe80::1:2]:1", "fe80::1:2", 1},
      {"localhost:8080", "localhost", 8080},
      {"monitor-1.example.org:443", "monitor-1.example.org", 443},
  }));
  INFO(text);
  const auto r = parse({"--listen", text});
  REQUIRE(r.error == "");
  CHECK(r.invocation.config.listen == text);
  CHECK(r.invocation.config.listen_host == host);
  CHECK(r.invocation.config.listen_port == port);
}

TEST_CASE("parse_invocation: sizes and durations in every unit", "[daemon][config]") {
  const auto [flag, text, bytes_or_ms] = GENERATE(table<std::string, std::string, std::uint64_t>({
      {"--http-max-body-bytes", "8192", 8192},
      {"--http-max-body-bytes", "8192B", 8192},
      {"--http-max-body-bytes", "64KiB", 65536},
      {"--http-max-body-bytes", "1MiB", 1048576},
      {"--http-max-body-bytes", "1GiB", 1073741824},
      {"--http-gzip-min-bytes", "0", 0},
      {"--intervals-cpu", "100ms", 100},
      {"--intervals-cpu", "1500ms", 1500},
      {"--intervals-cpu", "2s", 2000},
      {"--intervals-cpu", "1m", 60000},
      {"--intervals-cpu", "1h", 3600000},
      {"--intervals-cpu", "+2s", 2000},
      {"--http-shutdown-grace", "0ms", 0},
      {"--http-shutdown-grace", "0s", 0},
  }));
  INFO(flag << " " << text);
  const auto r = parse({flag, text});
  REQUIRE(r.error == "");
  const auto& c = r.invocation.config;
  if (flag == "--http-max-body-bytes") CHECK(c.http.max_body_bytes == bytes_or_ms);
  if (flag == "--http-gzip-min-bytes") CHECK(c.http.gzip_min_bytes == bytes_or_ms);
  if (flag == "--intervals-cpu") CHECK(static_cast<std::uint64_t>(c.intervals.cpu.count()) == bytes_or_ms);
  if (flag == "--http-shutdown-grace") {
    CHECK(static_cast<std::uint64_t>(c.http.shutdown_grace.count()) == bytes_or_ms);
  }
}

TEST_CASE("parse_invocation: booleans accept the usual words", "[daemon][config]") {
  const auto [text, value] = GENERATE(table<std::string, bool>({
      {"true", true}, {"yes", true}, {"on", true}, {"1", true},
      {"false", false}, {"no", false}, {"off", false}, {"0", false},
  }));
  const auto r = parse({}, {{"HYPERION_COLLECTORS_INCLUDE_PSEUDO_FILESYSTEMS", text}});
  REQUIRE(r.error == "");
  CHECK(r.invocation.config.collectors.include_pseudo_filesystems == value);
}

// ---------------------------------------------------------------------------------------------
// Precedence: defaults < file < environment < command line.

TEST_CASE("parse_invocation: the environment beats the file and the command line beats both",
          "[daemon][config]") {
  const auto file = config_fixture("precedence.toml");

  SECTION("file over defaults") {
    const auto r = parse({"--config", file});
    REQUIRE(r.error == "");
    CHECK(r.invocation.config.listen == "0.0.0.0:9901");
    CHECK(r.invocation.config.data_dir == "/from/file");
    CHECK(r.invocation.config.log_level == LogLevel::warn);
    CHECK(r.invocation.config.http.max_connections == 11);
    CHECK(r.invocation.config.host_id == "local");  // not in the file: the default
  }
  SECTION("environment over file") {
    const auto r = parse({"--config", file}, {{"HYPERION_LISTEN", "127.0.0.1:9902"}, {"HYPERION_LOG_LEVEL", "debug"}});
    REQUIRE(r.error == "");
    CHECK(r.invocation.config.listen == "127.0.0.1:9902");
    CHECK(r.invocation.config.listen_port == 9902);
    CHECK(r.invocation.config.log_level == LogLevel::debug);
    CHECK(r.invocation.config.data_dir == "/from/file");
  }
  SECTION("command line over environment and file") {
    const auto r = parse({"--config", file, "--listen", "127.0.0.1:9903", "--data-dir=/from/flag"},
                         {{"HYPERION_LISTEN", "127.0.0.1:9902"}, {"HYPERION_LOG_LEVEL", "debug"}});
    REQUIRE(r.error == "");
    CHECK(r.invocation.config.listen == "127.0.0.1:9903");
    CHECK(r.invocation.config.listen_port == 9903);
    CHECK(r.invocation.config.data_dir == "/from/flag");
    CHECK(r.invocation.config.log_level == LogLevel::debug);
    CHECK(r.invocation.config.http.max_connections == 11);
  }
  SECTION("command line over environment, no file") {
    const auto r = parse({"--http-max-connections", "3"}, {{"HYPERION_HTTP_MAX_CONNECTIONS", "2"}});
    REQUIRE(r.error == "");
    CHECK(r.invocation.config.http.max_connections == 3);
  }
  SECTION("the last of a repeated flag wins") {
    const auto r = parse({"--listen", "127.0.0.1:1", "--listen=127.0.0.1:2", "--host", "a", "--host-id", "b"});
    REQUIRE(r.error == "");
    CHECK(r.invocation.config.listen_port == 2);
    CHECK(r.invocation.config.host_id == "b");
  }
  SECTION("an empty environment variable counts as unset") {
    const auto r = parse({"--config", file}, {{"HYPERION_LISTEN", ""}, {"HYPERION_DATA_DIR", ""}});
    REQUIRE(r.error == "");
    CHECK(r.invocation.config.listen == "0.0.0.0:9901");
    CHECK(r.invocation.config.data_dir == "/from/file");
  }
  SECTION("a bad value is refused even where a later origin overrides it") {
    const auto r = parse({"--config", file, "--intervals-cpu", "1s"}, {{"HYPERION_INTERVALS_CPU", "1w"}});
    CHECK(r.error == "environment HYPERION_INTERVALS_CPU: '1w' has an unknown unit 'w'; use ms, s, m, h or d, "
                     "e.g. \"500ms\", \"2s\", \"1m\", \"7d\"");
  }
}

// ---------------------------------------------------------------------------------------------
// Which file is read.

TEST_CASE("parse_invocation: the default file is looked for and skipped when absent", "[daemon][config]") {
  std::vector<std::string> asked;
  const auto r = parse_invocation({}, env_of({}), [&](const std::string& path) {
    asked.push_back(path);
    return false;
  });
  REQUIRE(r.error == "");
  CHECK(asked == std::vector<std::string>{std::string(kDefaultConfigPath)});
  CHECK(r.invocation.config_path.empty());
}

TEST_CASE("parse_invocation: HYPERION_CONFIG names the file unless --config does", "[daemon][config]") {
  const auto precedence = config_fixture("precedence.toml");
  const auto example = config_fixture("example.toml");
  std::vector<std::string> asked;
  const auto exists = [&](const std::string& path) {
    asked.push_back(path);
    return explicit_files_only(path);
  };

  auto r = parse_invocation({}, env_of({{"HYPERION_CONFIG", precedence}}), exists);
  REQUIRE(r.error == "");
  CHECK(r.invocation.config_path == precedence);
  CHECK(r.invocation.config.data_dir == "/from/file");

  r = parse_invocation({"--config", example}, env_of({{"HYPERION_CONFIG", precedence}}), exists);
  REQUIRE(r.error == "");
  CHECK(r.invocation.config_path == example);
  CHECK(r.invocation.config.data_dir == "/var/lib/hyperion");
  CHECK(std::find(asked.begin(), asked.end(), std::string(kDefaultConfigPath)) == asked.end());
}

TEST_CASE("parse_invocation: a config file that is missing or unreadable is an error", "[daemon][config]") {
  CHECK(parse({"--config", "/nonexistent/hyperion.toml"}).error == "--config: no such file '/nonexistent/hyperion.toml'");
  CHECK(parse({"--config=/nonexistent/h.toml"}).error == "--config: no such file '/nonexistent/h.toml'");
  CHECK(parse({}, {{"HYPERION_CONFIG", "/nonexistent/h.toml"}}).error ==
        "environment HYPERION_CONFIG: no such file '/nonexistent/h.toml'");
  const auto dir = config_fixture("");
  CHECK(parse({"--config", dir}).error == dir + ": cannot read: is a directory");
  // The file system said yes, the read says no (a race, or a stale mount).
  const auto r = parse_invocation({"--config", "/nonexistent/h.toml"}, env_of({}),
                                  [](const std::string&) { return true; });
  CHECK(r.error == "/nonexistent/h.toml: cannot read: No such file or directory");
}

// ---------------------------------------------------------------------------------------------
// Actions and the --once options.

TEST_CASE("parse_invocation: picks the action", "[daemon][config]") {
  const auto [args, action] = GENERATE(table<std::vector<std::string>, Action>({
      {std::vector<std::string>{}, Action::run},
      {{"--once"}, Action::once},
      {{"--print-config"}, Action::print_config},
      {{"--help"}, Action::help},
      {{"-h"}, Action::help},
      {{"--version"}, Action::version},
      {{"--once", "--help"}, Action::help},
      {{"--print-config", "--version"}, Action::version},
  }));
  const auto r = parse(args);
  REQUIRE(r.error == "");
  CHECK(r.invocation.action == action);
}

TEST_CASE("parse_invocation: --help and --version work whatever the configuration", "[daemon][config]") {
  const auto broken = config_fixture("syntax_error.toml");
  auto r = parse({"--config", broken, "--help"}, {{"HYPERION_LISTEN", "nonsense"}});
  CHECK(r.error.empty());
  CHECK(r.invocation.action == Action::help);
  r = parse({"--version", "--listen", "nonsense"});
  CHECK(r.error.empty());
  CHECK(r.invocation.action == Action::version);
  CHECK(r.invocation.config_path.empty());
}

TEST_CASE("parse_invocation: --once takes --format, --json and --interval-ms", "[daemon][config]") {
  auto r = parse({"--once", "--format", "prometheus", "--interval-ms", "250", "--root", "/tmp/x", "--host", "web1"});
  REQUIRE(r.error == "");
  CHECK(r.invocation.action == Action::once);
  CHECK(r.invocation.once_format == "prometheus");
  CHECK(r.invocation.once_interval_ms == 250);
  CHECK(r.invocation.config.root == "/tmp/x");
  CHECK(r.invocation.config.host_id == "web1");
  r = parse({"--once", "--format=prometheus", "--json"});
  REQUIRE(r.error == "");
  CHECK(r.invocation.once_format == "json");
  r = parse({"--once", "--json", "--format=prometheus", "--interval-ms=10"});
  REQUIRE(r.error == "");
  CHECK(r.invocation.once_format == "prometheus");
  CHECK(r.invocation.once_interval_ms == 10);
}

// ---------------------------------------------------------------------------------------------
// Errors, each with its origin.

TEST_CASE("parse_invocation: bad command lines get a precise message", "[daemon][config]") {
  const auto [args, message] = GENERATE(table<std::vector<std::string>, std::string>({
      {{"--bogus"}, "unknown option '--bogus'"},
      {{"--bogus=1"}, "unknown option '--bogus'"},
      {{"--lisen", "127.0.0.1:1"}, "unknown option '--lisen' (did you mean '--listen'?)"},
      {{"--http-max-conections=5"}, "unknown option '--http-max-conections' (did you mean '--http-max-connections'?)"},
      {{"-x"}, "unknown option '-x'"},
      {{"web1"}, "unexpected argument 'web1'"},
      {{"-"}, "unexpected argument '-'"},
      {{"--listen"}, "--listen needs a value"},
      {{"--listen", "--once"}, "--listen needs a value"},
      {{"--once=yes"}, "--once takes no value"},
      {{"--help=1"}, "--help takes no value"},
      {{"--interval-ms"}, "--interval-ms needs a value"},
      {{"--interval-ms", "fast"}, "--interval-ms: 'fast' is not a number from 10 to 60000"},
      {{"--interval-ms", "5"}, "--interval-ms: '5' is not a number from 10 to 60000"},
      {{"--interval-ms", "99999999999"}, "--interval-ms: '99999999999' is not a number from 10 to 60000"},
      {{"--format", "xml"}, "--format: 'xml' is not one of json, prometheus"},
      {{"--once", "--print-config"}, "--once and --print-config cannot be used together"},
      {{"--config", ""}, "--config: empty path"},
      {{"--root", ""}, "--root: empty path"},
      {{"--data-dir="}, "--data-dir: empty path"},
      {{"--host"}, "--host needs a value"},
      {{"--host", ""}, "--host: empty id"},
      {{"--host", "web 1"}, "--host: 'web 1' may contain only letters, digits, '.', '_' and '-'"},
      {{"--listen", "1.2.3.4"}, "--listen: '1.2.3.4' has no port; use HOST:PORT, e.g. 127.0.0.1:9800 or [::1]:9800"},
      {{"--listen="}, "--listen: empty address; use HOST:PORT, e.g. 127.0.0.1:9800 or [::1]:9800"},
      {{"--http-max-connections", "0"}, "--http-max-connections: 0 is below the minimum 1"},
      {{"--collectors-include-pseudo-filesystems=maybe"},
       "--collectors-include-pseudo-filesystems: 'maybe' is not a boolean; use true or false"},
  }));
  INFO(Catch::Detail::stringify(args));
  CHECK(parse(args).error == message);
}

// One bad text per row, given as a flag, an environment variable and (for settings written as
// strings in TOML) in a file: the same reason, behind each origin's prefix.
TEST_CASE("parse_invocation: bad values of every type, from every origin", "[daemon][config]") {
  const auto [key, text, reason] = GENERATE(table<std::string, std::string, std::string>({
      // address
      {"listen", "127.0.0.1", "'127.0.0.1' has no port; use HOST:PORT, e.g. 127.0.0.1:9800 or [::1]:9800"},
      {"listen", "localhost:", "'localhost:' has no port; use HOST:PORT, e.g. 127.0.0.1:9800 or [::1]:9800"},
      {"listen", "::1:9800", "'::1:9800': an IPv6 address needs brackets, e.g. [::1]:9800"},
      {"listen", "[::1:9800", "'[::1:9800' has no closing ']'; use HOST:PORT, e.g. 127.0.0.1:9800 or [::1]:9800"},
      {"listen", "[::1]", "'[::1]' has no port; use HOST:PORT, e.g. 127.0.0.1:9800 or [::1]:9800"},
      {"listen", "[::1]9800", "'[::1]9800': expected ':' and a port after ']'"},
      {"listen", "[fe80::zz]:80", "'[fe80::zz]:80': 'fe80::zz' is not an IPv6 address"},
      {"listen", "[127.0.0.1]:80", "'[127.0.0.1]:80': '127.0.0.1' is not an IPv6 address"},
      {"listen", "300.1.1.1:80", "'300.1.1.1:80': '300.1.1.1' is not an IPv4 address"},
      {"listen", "1.2.3:80", "'1.2.3:80': '1.2.3' is not an IPv4 address"},
      {"listen", "bad_host:80", "'bad_host:80': 'bad_host' is not a host name or IP address"},
      {"listen", "-host:80", "'-host:80': '-host' is not a host name or IP address"},
      {"listen", "a..b:80", "'a..b:80': 'a..b' is not a host name or IP address"},
      {"listen", ":9800", "':9800' has no host; use 0.0.0.0:PORT or [::]:PORT to listen on every address"},
      {"listen", "localhost:65536", "'localhost:65536': port '65536' is not a number from 0 to 65535"},
      {"listen", "localhost:http", "'localhost:http': port 'http' is not a number from 0 to 65535"},
      {"listen", "localhost:-1", "'localhost:-1': port '-1' is not a number from 0 to 65535"},
      {"listen", "localhost:99999999999", "'localhost:99999999999': port '99999999999' is not a number from 0 to 65535"},
      // string
      {"host_id", "a/b", "'a/b' may contain only letters, digits, '.', '_' and '-'"},
      {"host_id", std::string(65, 'x'), "'" + std::string(65, 'x') + "' is longer than 64 characters"},
      // enum
      {"log_level", "verbose", "'verbose' is not one of error, warn, info, debug"},
      {"log_level", "INFO", "'INFO' is not one of error, warn, info, debug"},
      // integer
      {"http.max_connections", "0", "0 is below the minimum 1"},
      {"http.max_connections", "-5", "-5 is below the minimum 1"},
      {"http.max_connections", "100001", "100001 is above the maximum 100000"},
      {"http.max_connections", "99999999999999999999", "99999999999999999999 is above the maximum 100000"},
      {"http.max_connections", "1.5", "'1.5' is not an integer from 1 to 100000"},
      {"http.max_connections", "10k", "'10k' is not an integer from 1 to 100000"},
      {"http.max_connections", "ten", "'ten' is not an integer from 1 to 100000"},
      {"http.max_connections", "0x10", "'0x10' is not an integer from 1 to 100000"},
      {"metrics.top_processes", "101", "101 is above the maximum 100"},
      // duration
      {"intervals.cpu", "50ms", "50ms is below the minimum 100ms"},
      {"intervals.cpu", "0s", "0s is below the minimum 100ms"},
      {"intervals.cpu", "2h", "2h is above the maximum 1h"},
      {"intervals.cpu", "61m", "61m is above the maximum 1h"},
      {"intervals.cpu", "99999999999999999999h", "99999999999999999999h is above the maximum 1h"},
      {"intervals.cpu", "9999999999999999h", "9999999999999999h is above the maximum 1h"},
      {"intervals.cpu", "5", "'5' has no unit; use ms, s, m, h or d, e.g. \"500ms\", \"2s\", \"1m\", \"7d\""},
      {"intervals.cpu", "5w", "'5w' has an unknown unit 'w'; use ms, s, m, h or d, e.g. \"500ms\", \"2s\", \"1m\", \"7d\""},
      {"intervals.cpu", "5S", "'5S' has an unknown unit 'S'; use ms, s, m, h or d, e.g. \"500ms\", \"2s\", \"1m\", \"7d\""},
      {"intervals.cpu", "5 s", "'5 s' has an unknown unit ' s'; use ms, s, m, h or d, e.g. \"500ms\", \"2s\", \"1m\", \"7d\""},
      {"intervals.cpu", "1.5s", "'1.5s' is not a whole number; use a smaller unit, e.g. \"1500ms\" for 1.5s"},
      {"intervals.cpu", "-1s", "'-1s' is negative"},
      {"intervals.cpu", "fast", "'fast' is not a duration; use ms, s, m, h or d, e.g. \"500ms\", \"2s\", \"1m\", \"7d\""},
      {"http.header_timeout", "11m", "11m is above the maximum 10m"},
      {"http.shutdown_grace", "2m", "2m is above the maximum 1m"},
      // size
      {"http.max_body_bytes", "512", "512 is below the minimum 1KiB"},
      {"http.max_body_bytes", "2GiB", "2GiB is above the maximum 1GiB"},
      {"http.max_body_bytes", "99999999999999999999", "99999999999999999999 is above the maximum 1GiB"},
      {"http.max_body_bytes", "99999999999GiB", "99999999999GiB is above the maximum 1GiB"},
      {"http.max_header_bytes", "2MiB", "2MiB is above the maximum 1MiB"},
      {"http.max_body_bytes", "64KB", "'64KB' has an unknown unit 'KB'; use B, KiB, MiB or GiB, e.g. \"8192\", \"64KiB\", \"1MiB\""},
      {"http.max_body_bytes", "64kib", "'64kib' has an unknown unit 'kib'; use B, KiB, MiB or GiB, e.g. \"8192\", \"64KiB\", \"1MiB\""},
      {"http.max_body_bytes", "1.5MiB", "'1.5MiB' is not a whole number; use a smaller unit, e.g. \"1536KiB\" for 1.5MiB"},
      {"http.max_body_bytes", "-1", "'-1' is negative"},
      {"http.max_body_bytes", "big", "'big' is not a size; use B, KiB, MiB or GiB, e.g. \"8192\", \"64KiB\", \"1MiB\""},
      // boolean
      {"collectors.include_idle_virtual_disks", "maybe", "'maybe' is not a boolean; use true or false"},
      {"collectors.include_idle_virtual_disks", "TRUE", "'TRUE' is not a boolean; use true or false"},
  }));
  std::string flag, env;
  bool string_in_toml = true;
  for (const auto& s : setting_infos()) {
    if (s.key == key) {
      flag = s.flag;
      env = s.env;
      string_in_toml = s.type != "integer" && s.type != "boolean";
    }
  }
  REQUIRE(!flag.empty());
  INFO(key << " = " << text);
  CHECK(parse({flag, text}).error == flag + ": " + reason);
  CHECK(parse({flag + "=" + text}).error == flag + ": " + reason);
  CHECK(parse({}, {{env, text}}).error == "environment " + env + ": " + reason);
  if (string_in_toml) {
    Config c;
    CHECK(apply_config_toml("# a comment\n" + key + " = \"" + text + "\"\n", "test.toml", c) ==
          "test.toml:2: " + key + ": " + reason);
  }
}

TEST_CASE("apply_config_toml: values of the wrong TOML type or place", "[daemon][config]") {
  const auto [doc, message] = GENERATE(table<std::string, std::string>({
      {"listen = 9800", "t.toml:1: listen: expected a string HOST:PORT, e.g. \"127.0.0.1:9800\", got an integer"},
      {"http.max_connections = \"256\"", "t.toml:1: http.max_connections: expected an integer from 1 to 100000, got a string"},
      {"http.max_connections = 1.5", "t.toml:1: http.max_connections: expected an integer from 1 to 100000, got a float"},
      {"http.max_connections = 0", "t.toml:1: http.max_connections: 0 is below the minimum 1"},
      {"http.max_connections = 9_223_372_036_854_775_807",
       "t.toml:1: http.max_connections: 9223372036854775807 is above the maximum 100000"},
      {"metrics.top_processes = -1", "t.toml:1: metrics.top_processes: -1 is below the minimum 0"},
      {"intervals.cpu = 5", "t.toml:1: intervals.cpu: 5 has no unit; write a string: use ms, s, m, h or d, e.g. \"500ms\", \"2s\", \"1m\", \"7d\""},
      {"intervals.cpu = 1.5", "t.toml:1: intervals.cpu: expected a duration from 100ms to 1h, e.g. \"500ms\", \"2s\", \"1m\", got a float"},
      {"intervals.cpu = 00:00:01", "t.toml:1: intervals.cpu: expected a duration from 100ms to 1h, e.g. \"500ms\", \"2s\", \"1m\", got a time"},
      {"http.max_body_bytes = -1", "t.toml:1: http.max_body_bytes: -1 is negative"},
      {"http.max_body_bytes = 512", "t.toml:1: http.max_body_bytes: 512 is below the minimum 1KiB"},
      {"http.max_body_bytes = 1.5", "t.toml:1: http.max_body_bytes: expected a size from 1KiB to 1GiB, e.g. 8192, \"64KiB\", \"1MiB\", got a float"},
      {"collectors.include_pseudo_filesystems = \"yes\"",
       "t.toml:1: collectors.include_pseudo_filesystems: expected true or false, got a string"},
      {"log_level = 3", "t.toml:1: log_level: expected one of \"error\", \"warn\", \"info\", \"debug\", got an integer"},
      {"data_dir = [\"a\"]", "t.toml:1: data_dir: expected a string, got an array"},
      {"root = 1979-05-27", "t.toml:1: root: expected a string, got a date"},
      {"host_id = 1979-05-27T07:32:00Z", "t.toml:1: host_id: expected a string, got a date-time"},
      {"http = 5", "t.toml:1: http: expected a table of settings ([http]), got an integer"},
      {"[[http]]\nmax_connections = 5", "t.toml:1: http: expected a table of settings ([http]), got an array"},
      {"[listen]\nport = 1", "t.toml:1: listen: expected a string HOST:PORT, e.g. \"127.0.0.1:9800\", got a table"},
      {"bogus = 1", "t.toml:1: unknown setting 'bogus'"},
      {"[nothing]", "t.toml:1: unknown setting 'nothing'"},
      {"max_connections = 5", "t.toml:1: unknown setting 'max_connections' (did you mean 'http.max_connections'?)"},
      {"[http]\nmax_conections = 5", "t.toml:2: unknown setting 'http.max_conections' (did you mean 'http.max_connections'?)"},
      {"[htpp]\nmax_connections = 5", "t.toml:2: unknown setting 'htpp.max_connections' (did you mean 'http.max_connections'?)"},
      {"[http.limits]\nmax_connections = 5", "t.toml:2: unknown setting 'http.limits.max_connections'"},
      {"listen = \"x:1\"\nlisten = \"y:2\"", "t.toml:2:10: Error while parsing key-value pair: cannot redefine existing string 'listen'"},
  }));
  INFO(doc);
  Config c;
  CHECK(apply_config_toml(doc + "\n", "t.toml", c) == message);
}

TEST_CASE("apply_config_toml: empty documents and sections change nothing", "[daemon][config]") {
  for (const std::string doc : {"", "# nothing\n", "[http]\n[intervals]\n", "http = {}\n"}) {
    INFO(doc);
    Config c = custom_config();
    CHECK(apply_config_toml(doc, "t.toml", c).empty());
    CHECK(c == custom_config());
  }
}

TEST_CASE("parse_invocation: broken config files are refused with file, line and reason", "[daemon][config]") {
  const auto [name, message] = GENERATE(table<std::string, std::string>({
      {"syntax_error.toml", ":4:18: Error while parsing key-value pair: expected value, saw '\\n'"},
      {"bad_value.toml", ":6: http.max_connections: 0 is below the minimum 1"},
      {"unknown_key.toml", ":5: unknown setting 'htpp.max_connections' (did you mean 'http.max_connections'?)"},
      {"wrong_type.toml", ":1: listen: expected a string HOST:PORT, e.g. \"127.0.0.1:9800\", got an integer"},
      {"two_errors.toml", ":2: root: empty path"},
  }));
  const auto path = config_fixture(name);
  CHECK(parse({"--config", path}).error == path + message);
  CHECK(parse({}, {{"HYPERION_CONFIG", path}}).error == path + message);
  // The file is refused even when every bad value in it is overridden.
  CHECK(parse({"--config", path, "--root", "/", "--data-dir", "/d", "--listen", "127.0.0.1:1",
               "--http-max-connections", "5"})
            .error == path + message);
}

// ---------------------------------------------------------------------------------------------
// --print-config and --help.

TEST_CASE("render_config_toml: parse_invocation reads the output back to the same Config", "[daemon][config]") {
  for (const Config& original : {Config{}, custom_config()}) {
    const auto text = render_config_toml(original);
    INFO(text);
    // Through a real file, as hyperiond --print-config > hyperion.toml would be used.
    const auto path = (std::filesystem::temp_directory_path() /
                       ("hyperion_config_test_" + std::to_string(::getpid()) + ".toml"))
                          .string();
    {
      std::ofstream out(path, std::ios::binary);
      out << text;
    }
    const auto r = parse({"--config", path});
    std::filesystem::remove(path);
    REQUIRE(r.error == "");
    CHECK(r.invocation.config == original);
    CHECK(render_config_toml(r.invocation.config) == text);

    // And in memory, on top of a config that differs in every setting.
    Config other = original == Config{} ? custom_config() : Config{};
    CHECK(apply_config_toml(text, "print-config", other).empty());
    CHECK(other == original);
  }
}

TEST_CASE("render_config_toml: each setting with its help, names and default", "[daemon][config]") {
  const auto text = render_config_toml(custom_config());
  for (const auto& s : setting_infos()) {
    INFO(s.key);
    CHECK(text.find("# " + std::string(s.help) + "\n") != std::string::npos);
    CHECK(text.find("# " + std::string(s.flag) + ", " + std::string(s.env) + "; default " +
                    std::string(s.default_value) + "; " + s.allowed + "\n") != std::string::npos);
  }
  CHECK(text.find("\nlisten = \"[::1]:0\"\n") != std::string::npos);
  CHECK(text.find("\ndata_dir = \"/var/lib/hyperion dir \\\"quoted\\\"\"\n") != std::string::npos);
  CHECK(text.find("\n[http]\n") != std::string::npos);
  CHECK(text.find("\nmax_header_bytes = \"16KiB\"\n") != std::string::npos);
  CHECK(text.find("\nmax_body_bytes = 100000\n") != std::string::npos);
  CHECK(text.find("\ngzip_min_bytes = 0\n") != std::string::npos);
  CHECK(text.find("\nshutdown_grace = \"0ms\"\n") != std::string::npos);
  CHECK(text.find("\nprocesses = \"1m\"\n") != std::string::npos);
  CHECK(text.find("\ninclude_pseudo_filesystems = true\n") != std::string::npos);
  CHECK(text.find("\ntop_processes = 0\n") != std::string::npos);
  // Top-level keys come before the first [section], or TOML would put them in it.
  CHECK(text.find("\nroot = ") < text.find("\n["));
}

TEST_CASE("render_config_toml: control characters in strings are escaped", "[daemon][config]") {
  const auto r = parse({"--data-dir", std::string("/tmp/a\tb\\c\x01") + "\x7f" + "d\n"});
  REQUIRE(r.error == "");
  const auto text = render_config_toml(r.invocation.config);
  CHECK(text.find("data_dir = \"/tmp/a\\tb\\\\c\\u0001\\u007Fd\\n\"\n") != std::string::npos);
  Config back;
  REQUIRE(apply_config_toml(text, "x", back).empty());
  CHECK(back.data_dir == r.invocation.config.data_dir);
}

TEST_CASE("command_line_usage: lists every command and every setting flag with its default", "[daemon][config]") {
  const auto text = hyperion::daemon::command_line_usage();
  CHECK(text.rfind("usage: hyperiond", 0) == 0);
  for (const char* option : {"--once", "--format FORMAT", "--json", "--interval-ms N", "--print-config", "--config FILE",
                             "--version", "--help, -h", "HYPERION_CONFIG", "/etc/hyperion/hyperion.toml"}) {
    INFO(option);
    CHECK(text.find(option) != std::string::npos);
  }
  for (const auto& s : setting_infos()) {
    INFO(s.key);
    const auto names = std::string(s.flag) + (s.metavar.empty() ? "" : " " + std::string(s.metavar));
    CHECK(text.find("  " + names) != std::string::npos);
    CHECK(text.find("(default " + std::string(s.default_value) + "; " + s.allowed + ")\n      " +
                    std::string(s.help) + "\n") != std::string::npos);
  }
  CHECK(text.find("--host-id ID, --host ID") != std::string::npos);
}

// ---------------------------------------------------------------------------------------------
// docs/CONFIGURATION.md: its table of settings is generated from the table here. Run with
// HYPERION_UPDATE_DOCS=1 to rewrite it after changing a setting.

namespace {

std::string settings_markdown() {
  const auto cell = [](std::string_view s) {
    std::string out;
    for (const char ch : s) {
      if (ch == '|') out += '\\';
      out += ch;
    }
    return out;
  };
  std::string out =
      "| Key | Flag | Environment | Type | Default | Allowed | Description |\n"
      "|---|---|---|---|---|---|---|\n";
  for (const auto& s : setting_infos()) {
    std::string flag = "`" + std::string(s.flag) + (s.metavar.empty() ? "" : " " + std::string(s.metavar)) + "`";
    if (!s.alias.empty()) flag += ", `" + std::string(s.alias) + (s.metavar.empty() ? "" : " " + std::string(s.metavar)) + "`";
    out += "| `" + std::string(s.key) + "` | " + flag + " | `" + std::string(s.env) + "` | " + std::string(s.type) +
           " | `" + cell(s.default_value) + "` | " + cell(s.allowed) + " | " + cell(s.help) + " |\n";
  }
  return out;
}

constexpr std::string_view kBegin = "<!-- BEGIN SETTINGS: generated by tests/daemon/config_test.cpp -->\n";
constexpr std::string_view kEnd = "<!-- END SETTINGS -->\n";

std::string docs_path() { return hyperion::test::fixtures_dir() + "/../../docs/CONFIGURATION.md"; }

}  // namespace

TEST_CASE("docs/CONFIGURATION.md: the table of settings is up to date", "[daemon][config]") {
  auto doc = read_file(docs_path());
  const auto begin = doc.find(kBegin);
  const auto end = doc.find(kEnd);
  REQUIRE(begin != std::string::npos);
  REQUIRE(end != std::string::npos);
  REQUIRE(begin < end);
  const auto at = begin + kBegin.size();
  const auto generated = settings_markdown();
  auto current = doc.substr(at, end - at);
  if (current != generated && std::getenv("HYPERION_UPDATE_DOCS") != nullptr) {
    doc.replace(at, end - at, generated);
    std::ofstream(docs_path(), std::ios::binary) << doc;
    current = generated;
  }
  INFO("run the test with HYPERION_UPDATE_DOCS=1 to regenerate");
  CHECK(current == generated);
}

TEST_CASE("docs/CONFIGURATION.md: the example file is valid", "[daemon][config]") {
  const auto doc = read_file(docs_path());
  const auto begin = doc.find("```toml\n");
  REQUIRE(begin != std::string::npos);
  const auto end = doc.find("```\n", begin + 8);
  REQUIRE(end != std::string::npos);
  const auto example = doc.substr(begin + 8, end - begin - 8);
  Config c;
  CHECK(apply_config_toml(example, "CONFIGURATION.md", c).empty());
  CHECK_FALSE(c == Config{});
  CHECK(example == read_file(config_fixture("example.toml")));
}
