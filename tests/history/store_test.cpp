// The store on real SQLite files: the journal and its replay, seals, roll-ups that keep
// peaks, gaps as nulls, special values, clock steps, renamed hosts, retention, the size
// budget, a full disk, and the query's errors.

#include "hyperion/history/store.hpp"

#include <cmath>
#include <limits>

#include <fmt/format.h>

#include <catch2/catch.hpp>

#include "temp_dir.hpp"

using namespace hyperion::history;
using hyperion::storage::Database;
using hyperion::test::TempDir;

namespace {

constexpr std::int64_t kT0 = 1'760'000'400'000;  // a whole hour (and a 30-minute boundary)
constexpr std::int64_t kMin = 60'000, kHourMs = 3'600'000;

const MetricInfo& cpu() { return *find_metric("cpu.percent"); }
const std::string kBusy = R"(cpu.percent{cpu="all",mode="busy"})";
const std::string kUser = R"(cpu.percent{cpu="all",mode="user"})";

Database open_db(const TempDir& dir) {
  auto db = Database::open(dir / "history.db");
  const hyperion::storage::ModuleSchema schemas[] = {history_schema()};
  hyperion::storage::migrate(db, schemas);
  return db;
}

QueryRequest request(std::string selector, std::int64_t from, std::int64_t to, std::uint32_t points) {
  std::string why;
  auto s = parse_selector(selector, &why);
  REQUIRE(s);
  return QueryRequest{"local", {*s}, from, to, points};
}

std::int64_t count(Database& db, const char* sql) {
  auto st = db.prepare(sql);
  st.step();
  return st.int64(0);
}

}  // namespace

TEST_CASE("store: what the journal holds comes back after a restart", "[history][store]") {
  TempDir dir;
  {
    auto db = open_db(dir);
    HistoryStore store({});
    store.open(db);
    for (int i = 0; i < 30; ++i) store.add_value("local", cpu(), kBusy, kT0 + i * 1000, i);
    REQUIRE(store.write_journal(db));
    store.add_value("local", cpu(), kBusy, kT0 + 30'000, 99);  // never written: lost with the process
  }
  auto db = open_db(dir);
  HistoryStore store({});
  store.open(db);
  const auto r = store.query(db, request(kBusy, kT0, kT0 + 40'000, 40), kT0 + 40'000);
  REQUIRE(r.series.size() == 1);
  CHECK(r.tier == Tier::raw);
  CHECK(r.step_ms == 1000);
  int present = 0;
  for (std::size_t b = 0; b < r.times_ms.size(); ++b) {
    if (!r.series[0].avg[b]) continue;
    ++present;
    CHECK(*r.series[0].avg[b] == static_cast<double>((r.times_ms[b] - kT0) / 1000));
  }
  CHECK(present == 30);
  CHECK(store.catalog("local").size() == 1);
  CHECK(store.catalog("local")[0].first_ms == kT0);
}

TEST_CASE("store: a seal writes chunks and empties the journal; queries read both", "[history][store]") {
  TempDir dir;
  auto db = open_db(dir);
  HistoryStore store({});
  store.open(db);
  for (int i = 0; i < 120; ++i) store.add_value("local", cpu(), kBusy, kT0 + i * 1000, 50);
  REQUIRE(store.write_journal(db));
  CHECK(count(db, "SELECT count(*) FROM history_journal") == 1);
  REQUIRE(store.seal(db, kT0 + 120'000));
  CHECK(count(db, "SELECT count(*) FROM history_journal") == 0);
  CHECK(count(db, "SELECT count(*) FROM history_chunks WHERE tier = 0") == 1);
  CHECK(count(db, "SELECT count(*) FROM history_open WHERE tier = 1") == 1);  // two minutes, an open chunk
  for (int i = 120; i < 180; ++i) store.add_value("local", cpu(), kBusy, kT0 + i * 1000, 60);
  const auto r = store.query(db, request(kBusy, kT0, kT0 + 180'000, 180), kT0 + 180'000);
  std::size_t present = 0;
  for (const auto& v : r.series[0].avg) present += v.has_value();
  CHECK(present == 180);
  // A second store on the same file (a restart) reads the chunks.
  HistoryStore again({});
  auto db2 = open_db(dir);
  again.open(db2);
  const auto r2 = again.query(db2, request(kBusy, kT0, kT0 + 120'000, 120), kT0 + 180'000);
  present = 0;
  for (const auto& v : r2.series[0].avg) present += v.has_value();
  CHECK(present == 120);
}

TEST_CASE("store: roll-ups keep a two-second spike as the max, months later", "[history][store]") {
  TempDir dir;
  auto db = open_db(dir);
  HistoryStore store({});
  store.open(db);
  // Three hours at 1 s, 5 % busy, with a 2 s spike to 100 % at 01:10:30.
  for (std::int64_t t = kT0; t < kT0 + 3 * kHourMs; t += 1000) {
    const bool spike = t >= kT0 + 70 * kMin + 30'000 && t < kT0 + 70 * kMin + 32'000;
    store.add_value("local", cpu(), kBusy, t, spike ? 100 : 5);
  }
  REQUIRE(store.seal(db, kT0 + 3 * kHourMs));
  // Ask as if it were 30 days later: the raw tier is gone, the minute tier answers.
  const auto later = kT0 + 30LL * 24 * kHourMs;
  auto r = store.query(db, request(kBusy, kT0, kT0 + 3 * kHourMs, 180), later);
  CHECK(r.tier == Tier::minute);
  CHECK(r.step_ms == kMin);
  double max = 0, avg_max = 0;
  for (std::size_t b = 0; b < r.times_ms.size(); ++b) {
    if (!r.series[0].max[b]) continue;
    max = std::max(max, *r.series[0].max[b]);
    avg_max = std::max(avg_max, *r.series[0].avg[b]);
    if (*r.series[0].max[b] == 100) CHECK(r.times_ms[b] == kT0 + 70 * kMin);
  }
  CHECK(max == 100);
  CHECK(avg_max == Approx((58 * 5 + 2 * 100) / 60.0).margin(0.005));  // kept to two decimals
  // A year later only hours are left; the spike is still the max of its hour.
  r = store.query(db, request(kBusy, kT0, kT0 + 3 * kHourMs, 3), kT0 + 365LL * 24 * kHourMs);
  CHECK(r.tier == Tier::hour);
  REQUIRE(r.series[0].max.size() >= 2);
  CHECK(r.series[0].max[1] == 100.0);
  CHECK(r.series[0].min[1] == 5.0);
  CHECK(*r.series[0].max[0] == 5.0);
}

TEST_CASE("store: gaps come back as nulls, never filled", "[history][store]") {
  TempDir dir;
  auto db = open_db(dir);
  HistoryStore store({});
  store.open(db);
  for (int i = 0; i < 60; ++i) store.add_value("local", cpu(), kBusy, kT0 + i * 1000 + (i % 3), 10);
  for (int i = 100; i < 160; ++i) store.add_value("local", cpu(), kBusy, kT0 + i * 1000 + (i % 3), 20);
  const auto r = store.query(db, request(kBusy, kT0, kT0 + 160'000, 160), kT0 + 160'000);
  REQUIRE(r.step_ms == 1000);
  std::size_t nulls = 0, values = 0;
  for (std::size_t b = 0; b < r.times_ms.size(); ++b) {
    const auto t = r.times_ms[b];
    const auto& v = r.series[0].avg[b];
    if (t > kT0 + 61'000 && t < kT0 + 99'000) {
      CHECK_FALSE(v);
      ++nulls;
    }
    values += v.has_value();
  }
  CHECK(nulls >= 37);
  CHECK(values == 120);  // jitter of a few ms did not put two samples in one bucket
}

TEST_CASE("store: NaN, infinities, a clock stepping back and a renamed host", "[history][store]") {
  TempDir dir;
  auto db = open_db(dir);
  HistoryStore store({});
  store.open(db);
  const double inf = std::numeric_limits<double>::infinity();
  store.add_value("local", cpu(), kBusy, kT0, 1);
  store.add_value("local", cpu(), kBusy, kT0 + 1000, std::numeric_limits<double>::quiet_NaN());
  store.add_value("local", cpu(), kBusy, kT0 + 2000, inf);
  store.add_value("local", cpu(), kBusy, kT0 + 3000, -inf);
  store.add_value("local", cpu(), kBusy, kT0 + 10'000, 5);
  store.add_value("local", cpu(), kBusy, kT0 + 4000, 4);  // the clock stepped back
  store.add_value("old-name", cpu(), kBusy, kT0, 7);
  REQUIRE(store.write_journal(db));
  HistoryStore again({});
  auto db2 = open_db(dir);
  again.open(db2);
  const auto r = again.query(db2, request(kBusy, kT0, kT0 + 11'000, 11), kT0 + 11'000);
  const auto at = [&](std::int64_t t) {
    for (std::size_t b = 0; b < r.times_ms.size(); ++b) {
      if (r.times_ms[b] == t) return r.series[0].avg[b];
    }
    FAIL("no bucket at " << t);
    return std::optional<double>();
  };
  CHECK(at(kT0) == 1.0);
  CHECK(std::isnan(*at(kT0 + 1000)));
  CHECK(at(kT0 + 2000) == inf);
  CHECK(at(kT0 + 3000) == -inf);
  CHECK(at(kT0 + 4000) == 4.0);
  CHECK(at(kT0 + 10'000) == 5.0);
  CHECK(again.has_host("old-name"));
  CHECK_FALSE(again.has_host("old"));
  auto old = request(kBusy, kT0, kT0 + 1000, 1);
  old.host = "old-name";
  CHECK(again.query(db2, old, kT0 + 1000).series.at(0).avg.at(0) == 7.0);
}

TEST_CASE("store: query errors name the parameter", "[history][store]") {
  TempDir dir;
  auto db = open_db(dir);
  HistoryStore store({});
  store.open(db);
  store.add_value("local", cpu(), kBusy, kT0, 1);
  const auto param = [&](QueryRequest q) -> std::string {
    try {
      (void)store.query(db, q, kT0);
    } catch (const QueryError& e) {
      return e.parameter();
    }
    return "";
  };
  CHECK(param(request(kBusy, kT0, kT0 + 1000, 0)) == "points");
  CHECK(param(request(kBusy, kT0, kT0 + 1000, 1'000'000)) == "points");
  CHECK(param(request(kBusy, kT0, kT0, 10)) == "from");
  CHECK(param(request("no.such.metric", kT0, kT0 + 1000, 10)) == "metric");
  // A known metric with nothing recorded yet is an empty answer, not an error.
  CHECK(param(request("sensor.fan_rpm", kT0, kT0 + 1000, 10)).empty());
  HistoryStore narrow(HistorySettings{.max_query_series = 1});
  narrow.open(db);
  narrow.add_value("local", cpu(), kUser, kT0, 1);
  narrow.add_value("local", cpu(), kBusy, kT0, 1);
  try {
    (void)narrow.query(db, request("cpu.percent", kT0, kT0 + 1000, 10), kT0);
    FAIL("no error");
  } catch (const QueryError& e) {
    CHECK(e.parameter() == "metric");
    CHECK(std::string(e.what()).find("history.max_query_series") != std::string::npos);
  }
}

TEST_CASE("store: series beyond max_series are refused, once logged", "[history][store]") {
  TempDir dir;
  auto db = open_db(dir);
  int warnings = 0;
  HistoryStore store(HistorySettings{.max_series = 2}, [&](int level, const std::string&) { warnings += level == 1; });
  store.open(db);
  for (int i = 0; i < 10; ++i) store.add_value("local", cpu(), fmt::format(R"(cpu.percent{{cpu="{}"}})", i), kT0, 1);
  CHECK(store.stats().series == 2);
  CHECK(store.stats().series_refused == 8);
  CHECK(warnings == 1);
}

TEST_CASE("store: retention removes old chunks in small steps; the budget the oldest raw first", "[history][store]") {
  TempDir dir;
  auto db = open_db(dir);
  HistoryStore store(HistorySettings{.raw_retention = std::chrono::hours(2)});
  store.open(db);
  for (int h = 0; h < 5; ++h) {
    for (int i = 0; i < 600; ++i) store.add_value("local", cpu(), kBusy, kT0 + h * kHourMs + i * 1000, i % 7);
    REQUIRE(store.seal(db, kT0 + h * kHourMs + 600'000));
  }
  CHECK(count(db, "SELECT sum(count) FROM history_chunks WHERE tier = 0") == 5 * 600);
  // Stored as rows that stay inside their page (8 KiB pages: ~2 KiB).
  CHECK(count(db, "PRAGMA page_size") == 8192);
  CHECK(count(db, "SELECT max(length(data)) FROM history_chunks WHERE tier = 0") <= 2000);
  const auto rows = count(db, "SELECT count(*) FROM history_chunks WHERE tier = 0");
  while (store.maintain(db, kT0 + 5 * kHourMs)) {
  }
  // Raw chunks ending more than two hours ago are gone; minutes (a 6-hour chunk closed, one
  // open) stay.
  CHECK(count(db, "SELECT sum(count) FROM history_chunks WHERE tier = 0") == 2 * 600);
  CHECK(count(db, "SELECT min(start_ms) FROM history_chunks WHERE tier = 0") == kT0 + 3 * kHourMs);
  CHECK(count(db, "SELECT count(*) FROM history_chunks WHERE tier = 1") == 1);
  CHECK(count(db, "SELECT count(*) FROM history_open WHERE tier = 1") == 1);
  CHECK(static_cast<std::int64_t>(store.stats().chunks_pruned) == rows - count(db, "SELECT count(*) FROM history_chunks WHERE tier = 0"));

  // A budget smaller than the file: the oldest raw chunk goes before any minute.
  HistoryStore tight(HistorySettings{.max_bytes = 4096});
  tight.open(db);
  while (tight.maintain(db, kT0 + 5 * kHourMs)) {
  }
  CHECK(count(db, "SELECT count(*) FROM history_chunks WHERE tier = 0") == 0);
}

TEST_CASE("store: a full disk fails the writes once in the log, keeps the samples, and resumes", "[history][store]") {
  TempDir dir;
  auto db = open_db(dir);
  std::vector<std::string> errors, infos;
  HistoryStore store({}, [&](int level, const std::string& m) { (level == 0 ? errors : infos).push_back(m); });
  store.open(db);
  store.add_value("local", cpu(), kBusy, kT0, 1);
  REQUIRE(store.write_journal(db));
  // SQLite's own limit on the file's pages stands in for a full file system here; the
  // integration test fills a real tmpfs.
  const auto pages = count(db, "PRAGMA page_count");
  db.exec(fmt::format("PRAGMA max_page_count = {}", pages));
  for (int i = 1; i < 20'000; ++i) store.add_value("local", cpu(), fmt::format(R"(cpu.percent{{cpu="{}"}})", i % 500), kT0 + i * 10, i);
  CHECK_FALSE(store.write_journal(db));
  CHECK_FALSE(store.write_journal(db));
  CHECK_FALSE(store.seal(db, kT0 + 200'000));
  CHECK(errors.size() == 1);
  CHECK(store.stats().write_failures == 3);
  db.exec("PRAGMA max_page_count = 1073741823");
  REQUIRE(store.seal(db, kT0 + 200'000));
  CHECK(infos.back() == "history: writing again");
  CHECK(count(db, "SELECT count(*) FROM history_chunks WHERE tier = 0") == 501);  // 500 cores and "all"
  CHECK(count(db, "SELECT sum(count) FROM history_chunks WHERE tier = 0") == 20'000);
}
