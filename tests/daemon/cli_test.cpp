#include "hyperion/daemon/cli.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <sstream>

#include "fixture.hpp"

using hyperion::daemon::parse_cli;
using hyperion::daemon::run;

TEST_CASE("parse_cli: accepts the documented options", "[daemon][cli]") {
  const auto r = parse_cli({"--once", "--json", "--interval-ms", "250", "--root", "/tmp/x", "--host", "web1"});
  REQUIRE(r.error.empty());
  CHECK(r.options.once);
  CHECK(r.options.json);
  CHECK(r.options.interval_ms == 250);
  CHECK(r.options.root == "/tmp/x");
  CHECK(r.options.host == "web1");
}

TEST_CASE("parse_cli: bad command lines get a clear message", "[daemon][cli]") {
  const auto [args, message] = GENERATE(table<std::vector<std::string>, std::string>({
      {{"--bogus"}, "unknown option '--bogus'"},
      {{"--interval-ms"}, "--interval-ms needs a value"},
      {{"--interval-ms", "fast"}, "--interval-ms: 'fast' is not a number from 10 to 60000"},
      {{"--interval-ms", "5"}, "--interval-ms: '5' is not a number from 10 to 60000"},
      {{"--interval-ms", "99999999999"}, "--interval-ms: '99999999999' is not a number from 10 to 60000"},
      {{"--root", ""}, "--root: empty path"},
      {{"--host"}, "--host needs a value"},
  }));
  CHECK(parse_cli(args).error == message);
}

TEST_CASE("run: a bad option exits 2 with the reason and the usage on stderr", "[daemon][cli]") {
  std::ostringstream out, err;
  CHECK(run({"--once", "--frobnicate"}, out, err) == 2);
  CHECK(out.str().empty());
  CHECK(err.str().find("hyperiond: unknown option '--frobnicate'") == 0);
  CHECK(err.str().find("usage: hyperiond") != std::string::npos);
}

TEST_CASE("run: without --once it says the service is not built yet", "[daemon][cli]") {
  std::ostringstream out, err;
  CHECK(run({}, out, err) == 2);
  CHECK(err.str().find("use --once --json") != std::string::npos);
}

TEST_CASE("run: --once --json over a fixture tree prints one snapshot with every family",
          "[daemon][cli]") {
  std::ostringstream out, err;
  const auto root = hyperion::test::machine_dir();
  REQUIRE(run({"--once", "--json", "--interval-ms", "10", "--root", root, "--host", "fixture"}, out, err) == 0);
  const auto j = nlohmann::json::parse(out.str(), nullptr, false);
  REQUIRE_FALSE(j.is_discarded());
  CHECK(j["host"] == "fixture");
  CHECK(j["sequence"] == 2);
  for (const char* family : {"host_info", "system", "cpu", "memory", "processes", "network", "sockets",
                             "disks", "filesystems", "sensors"}) {
    INFO(family);
    CHECK(j[family].is_object());
  }
  CHECK(j["host_info"]["os"]["id"] == "debian");
  CHECK(j["memory"]["total_bytes"].get<std::uint64_t>() > 0);
  CHECK(j["cpu"]["cores"].size() == 2);
  CHECK(j["processes"]["processes"].size() >= 3);
  // The fixture tree does not change between the two samples: rates exist and are zero.
  CHECK(j["cpu"]["usage_percent"].is_null());  // no tick passed in the fixture: no usage
  CHECK(j["network"]["interfaces"].size() >= 2);
  CHECK(j["network"]["interfaces"][0]["rates"]["rx_bytes_per_second"] == 0.0);
}
