// Series keys and query selectors; which snapshot values become series.

#include "hyperion/history/catalog.hpp"

#include <map>

#include <catch2/catch.hpp>

using namespace hyperion::history;
using namespace hyperion::collectors;

TEST_CASE("catalog: series keys round-trip, quotes and backslashes included", "[history][catalog]") {
  const Labels labels{{"mount", "/mnt/my \"disk\"\\x"}, {"fstype", "ext4"}};
  Labels sorted = labels;
  std::sort(sorted.begin(), sorted.end());
  const auto key = series_key("fs.used_percent", sorted);
  CHECK(key == R"(fs.used_percent{fstype="ext4",mount="/mnt/my \"disk\"\\x"})");
  const auto back = parse_series_key(key);
  REQUIRE(back);
  CHECK(back->first == "fs.used_percent");
  CHECK(back->second == sorted);
  CHECK(series_key("cpu.procs_running", {}) == "cpu.procs_running");
}

TEST_CASE("catalog: selectors match by label, = and !=", "[history][catalog]") {
  std::string why;
  const auto s = parse_selector(R"(fs.used_percent{fstype!="tmpfs",mount="/"})", &why);
  REQUIRE(s);
  CHECK(s->matches("fs.used_percent", {{"fstype", "ext4"}, {"mount", "/"}}));
  CHECK_FALSE(s->matches("fs.used_percent", {{"fstype", "tmpfs"}, {"mount", "/"}}));
  CHECK_FALSE(s->matches("fs.used_percent", {{"fstype", "ext4"}, {"mount", "/home"}}));
  CHECK_FALSE(s->matches("fs.used_bytes", {{"fstype", "ext4"}, {"mount", "/"}}));
  const auto all = parse_selector("cpu.percent", &why);
  REQUIRE(all);
  CHECK(all->matches("cpu.percent", {{"cpu", "0"}, {"mode", "user"}}));
  for (const char* bad : {"", "{a=\"b\"}", "cpu.percent{", "cpu.percent{mode}", "cpu.percent{mode=busy}",
                          "cpu.percent{mode=\"busy}", "cpu.percent{mode=\"busy\"}x", "cpu percent"}) {
    INFO(bad);
    CHECK_FALSE(parse_selector(bad, &why));
    CHECK_FALSE(why.empty());
  }
}

TEST_CASE("catalog: every metric has a unit, a positive scale and a unique name", "[history][catalog]") {
  std::map<std::string_view, int> seen;
  for (const auto& m : metric_table()) {
    CHECK(++seen[m.name] == 1);
    CHECK(m.scale > 0);
    CHECK_FALSE(m.unit.empty());
    CHECK(find_metric(m.name) == &m);
  }
  CHECK(find_metric("no.such") == nullptr);
}

TEST_CASE("catalog: a snapshot's refreshed families become values; missing rates are gaps", "[history][catalog]") {
  Snapshot s;
  s.host = "local";
  auto cpu = std::make_shared<CpuSample>();
  CpuUsage u;
  u.user = 10;
  u.busy = 12.5;
  u.idle = 87.5;
  cpu->usage = u;
  cpu->cores.push_back({0, {}, u});
  cpu->cores.push_back({1, {}, std::nullopt});  // came online: no usage yet
  cpu->procs_running = 3;
  s.cpu = cpu;
  auto net = std::make_shared<NetworkSample>();
  InterfaceSample eth;
  eth.name = "eth0";
  eth.rates = NetRates{};
  eth.rates->rx_bytes_per_second = 1500;
  InterfaceSample fresh;
  fresh.name = "wg0";  // no rates yet
  net->interfaces = {eth, fresh};
  s.network = net;
  std::map<std::string, double> got;
  flatten(s, families_of({Family::cpu, Family::network}), [&](const MetricInfo&, std::string key, double v) { got[key] = v; });
  CHECK(got.at(R"(cpu.percent{cpu="all",mode="busy"})") == 12.5);
  CHECK(got.at(R"(cpu.percent{cpu="0",mode="user"})") == 10);
  CHECK(got.count(R"(cpu.percent{cpu="1",mode="user"})") == 0);
  CHECK(got.at("cpu.procs_running") == 3);
  CHECK(got.at(R"(net.rx_bytes_per_second{interface="eth0"})") == 1500);
  CHECK(got.count(R"(net.rx_bytes_per_second{interface="wg0"})") == 0);
  CHECK(got.count("cpu.context_switches_per_second") == 0);  // nullopt on the first sample
  got.clear();
  flatten(s, families_of({Family::network}), [&](const MetricInfo&, std::string key, double v) { got[key] = v; });
  CHECK(got.count("cpu.procs_running") == 0);  // not refreshed by this tick
}
