// parse_invocation: defaults, the table, each origin, precedence, which file, actions.
#include "config_test_support.hpp"

using namespace config_test;


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
  CHECK(c.intervals.of(Family::host) == 60s);
  for (const auto d : {c.intervals.of(Family::system), c.intervals.of(Family::cpu), c.intervals.of(Family::memory), c.intervals.of(Family::network),
                       c.intervals.of(Family::disks)}) {
    CHECK(d == 1s);
  }
  CHECK(c.intervals.of(Family::processes) == 2s);
  CHECK(c.intervals.of(Family::sockets) == 2s);
  CHECK(c.intervals.of(Family::filesystems) == 5s);
  CHECK(c.intervals.of(Family::sensors) == 5s);
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
  CHECK(c.auth.access_ttl == 15min);
  CHECK(c.auth.refresh_ttl == 7 * 24h);
  CHECK(c.auth.max_failed_logins == 5);
  CHECK(c.auth.password_cost.memory_bytes == 64ull << 20);
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

TEST_CASE("Intervals::of and the collectors' settings: the config is what the collectors get", "[daemon][config]") {
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
  const hyperion::collectors::CollectorSettings& o = c.collectors;
  CHECK(c.host_id == "web-1.example");
  CHECK(o.include_idle_virtual_disks);
  CHECK(o.include_pseudo_filesystems);
  CHECK(o.cgroups.max_depth == 6);
  CHECK(o.cgroups.max_groups == 500);
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
  expected.intervals[Family::processes] = 5s;
  expected.intervals[Family::sensors] = 30s;
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
  CHECK(c.intervals.of(Family::cpu) == 250ms);
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
  if (flag == "--intervals-cpu") CHECK(static_cast<std::uint64_t>(c.intervals.of(Family::cpu).count()) == bytes_or_ms);
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
