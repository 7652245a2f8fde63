#include "hyperion/daemon/cli.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <sstream>

#include "fixture.hpp"

using hyperion::daemon::run;

// The command line's own parsing is tested in config_test.cpp; these test what run() does
// with it. The long-running service is tested against the real binary (tests/integration).

TEST_CASE("run: a bad option exits 2 with the reason on stderr", "[daemon][cli]") {
  std::ostringstream out, err;
  CHECK(run({"--once", "--frobnicate"}, out, err) == 2);
  CHECK(out.str().empty());
  CHECK(err.str().find("hyperiond: ") == 0);
  CHECK(err.str().find("--frobnicate") != std::string::npos);
  CHECK(err.str().find("hyperiond --help") != std::string::npos);
}

TEST_CASE("run: --help lists the settings, --version the version", "[daemon][cli]") {
  std::ostringstream out, err;
  CHECK(run({"--help"}, out, err) == 0);
  CHECK(out.str().find("--listen ADDR:PORT") != std::string::npos);
  CHECK(out.str().find("--data-dir") != std::string::npos);
  std::ostringstream vout;
  CHECK(run({"--version"}, vout, err) == 0);
  CHECK(vout.str().find("hyperiond ") == 0);
  CHECK(err.str().empty());
}

TEST_CASE("run: --print-config shows the effective configuration", "[daemon][cli]") {
  std::ostringstream out, err;
  CHECK(run({"--print-config", "--listen", "127.0.0.1:9911", "--intervals-cpu", "250ms"}, out, err) == 0);
  CHECK(out.str().find("listen = \"127.0.0.1:9911\"") != std::string::npos);
  CHECK(out.str().find("cpu = \"250ms\"") != std::string::npos);
}

TEST_CASE("run: --once --json over a fixture tree prints one snapshot with every family", "[daemon][cli]") {
  std::ostringstream out, err;
  const auto root = hyperion::test::machine_dir();
  REQUIRE(run({"--once", "--json", "--interval-ms", "10", "--root", root, "--host", "fixture"}, out, err) == 0);
  const auto j = nlohmann::json::parse(out.str(), nullptr, false);
  REQUIRE_FALSE(j.is_discarded());
  CHECK(j["host"] == "fixture");
  CHECK(j["sequence"] == 2);
  for (const char* family : {"host_info", "system", "cpu", "memory", "processes", "network", "sockets", "disks",
                             "filesystems", "sensors"}) {
    INFO(family);
    CHECK(j[family].is_object());
  }
  CHECK(j["host_info"]["os"]["id"] == "debian");
  CHECK(j["memory"]["total_bytes"].get<std::uint64_t>() > 0);
  CHECK(j["cpu"]["cores"].size() == 2);
  CHECK(j["processes"]["processes"].size() >= 3);
  CHECK(j["cpu"]["usage_percent"].is_null());  // the fixture does not tick: no usage
  CHECK(j["network"]["interfaces"].size() >= 2);
  CHECK(j["network"]["interfaces"][0]["rates"]["rx_bytes_per_second"] == 0.0);
}

TEST_CASE("run: --once --format prometheus prints node_exporter families", "[daemon][cli]") {
  std::ostringstream out, err;
  const auto root = hyperion::test::machine_dir();
  REQUIRE(run({"--once", "--format", "prometheus", "--interval-ms", "10", "--root", root}, out, err) == 0);
  CHECK(out.str().find("# TYPE node_cpu_seconds_total counter") != std::string::npos);
  CHECK(out.str().find("node_memory_MemTotal_bytes ") != std::string::npos);
}
