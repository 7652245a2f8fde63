// parse_invocation and apply_config_toml: every bad value is refused with its origin.
#include "config_test_support.hpp"

using namespace config_test;

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
      // host lists
      {"collectors.tree_hosts", "web", "'web' is not ID=DIR"},
      {"collectors.tree_hosts", "web=relative/dir", "'web=relative/dir': the directory must be an absolute path"},
      {"collectors.tree_hosts", "a=/x, a=/y", "host id 'a' is given twice"},
      {"collectors.tree_hosts", "b@d=/x", "host id 'b@d' may contain only letters, digits, '.', '_' and '-'"},
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
