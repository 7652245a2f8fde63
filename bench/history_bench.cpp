// history_bench: what the history store costs, on recorded host data (bench/history_bench.sh).
//
//   record --seconds N --out FILE
//       Samples this machine with the real collectors at the daemon's default intervals (the
//       sampling loop's schedule: family_table()'s default_interval_ms) for N seconds, and writes
//       the flattened history values to FILE, each family's time already put on its grid the way
//       HistoryStore::add() does. On the way, each snapshot also goes through a HistoryStore's
//       add() (in memory): the writer's CPU per real snapshot, flatten() included.
//   replay --in FILE --hours H --db PATH
//       Replays the recording tiled to H hours (each repetition shifted by the recording's
//       length) through a HistoryStore as the daemon's HistoryWriter::tick() drives it: the
//       journal every batch_interval, a seal at each chunk_span boundary, a retention step a
//       second while there is work (else once a minute); a final seal. Then: file size per
//       sample, chunk bytes by tier, the writer's thread CPU, query latencies (with
//       --analyze 1, again after ANALYZE: the planner's statistics change the chunk lookup's index).
//   naive --in FILE --hours H --db PATH --kind without_rowid|rowid
//       The same samples, one SQLite row each, a transaction per 5 s of simulated time.
//   openmetrics --in FILE --hours H --out FILE
//       The same samples as OpenMetrics text, for promtool tsdb create-blocks-from openmetrics.
//   query --db PATH [--selector S] [--days D] [--runs N]
//       Only queries, on a database a replay left (to profile them).
//
// Output: "key value" lines (the script makes the table).

#include <time.h>

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <tuple>
#include <unordered_map>
#include <utility>
#include <vector>

#include "hyperion/collectors/collector.hpp"
#include "hyperion/collectors/family.hpp"
#include "hyperion/collectors/local_source.hpp"
#include "hyperion/history/catalog.hpp"
#include "hyperion/history/settings.hpp"
#include "hyperion/history/store.hpp"
#include "hyperion/storage/database.hpp"

namespace {

using hyperion::collectors::Family;
using hyperion::collectors::FamilySet;
using hyperion::collectors::kFamilyCount;
using hyperion::history::HistorySettings;
using hyperion::history::HistoryStore;
using hyperion::history::MetricInfo;
using hyperion::storage::Database;

constexpr std::string_view kHost = "local";

std::int64_t thread_cpu_ns() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<std::int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

std::int64_t wall_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

double monotonic_seconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

struct Args {
  std::map<std::string, std::string> kv;
  std::string get(const std::string& k, const std::string& def = {}) const {
    const auto it = kv.find(k);
    if (it != kv.end()) return it->second;
    if (def.empty()) throw std::runtime_error("missing --" + k);
    return def;
  }
};

Args parse_args(int argc, char** argv) {
  Args a;
  for (int i = 2; i < argc; ++i) {
    std::string k = argv[i];
    if (k.rfind("--", 0) != 0 || i + 1 >= argc) throw std::runtime_error("bad argument " + k);
    a.kv[k.substr(2)] = argv[++i];
  }
  return a;
}

// ------------------------------------------------------------------ the recording

// The file, text:
//   S <index> <metric> <key>      a series, before its first value
//   T <wall_ms>                   a snapshot (one collect() call)
//   F <family> <time_ms>          a family the snapshot refreshed, its time on the grid
//   <index> <value>               a value of that family
//   # ...                         comments (the live add() timings)

struct FamilyFrame {
  int family = 0;
  std::int64_t t = 0;
  std::vector<std::pair<std::uint32_t, double>> values;
};
struct Tick {
  std::int64_t wall = 0;
  std::vector<FamilyFrame> families;
};
struct SeriesDef {
  const MetricInfo* metric = nullptr;
  std::string key;
};
struct Recording {
  std::vector<SeriesDef> series;
  std::vector<Tick> ticks;
  std::int64_t span_ms = 0;   // the shift between two repetitions
  std::size_t values = 0;     // per repetition
  std::size_t duplicates = 0; // a series twice in one family frame: dropped (see load())
};

int record(const Args& args) {
  const double seconds = std::stod(args.get("seconds"));
  std::ofstream out(args.get("out"));
  if (!out) throw std::runtime_error("cannot write " + args.get("out"));

  hyperion::collectors::LocalSource source{hyperion::collectors::SourcePaths{}};
  hyperion::collectors::Collector collector(source, std::string(kHost));
  HistoryStore live(HistorySettings{});  // add() only, in memory: the writer thread's work
  const auto table = hyperion::collectors::family_table();

  std::map<std::string, std::uint32_t> index;
  std::array<hyperion::history::TimeGrid, kFamilyCount> grids{};

  using Clock = std::chrono::steady_clock;
  const auto start = Clock::now();
  const auto stop = start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
  std::array<Clock::time_point, kFamilyCount> due;
  due.fill(start);
  std::int64_t add_ns = 0, flatten_ns = 0, snapshots = 0, values = 0, max_add_ns = 0;
  std::vector<std::int64_t> add_samples;
  std::string line;
  while (Clock::now() < stop) {
    const auto now = Clock::now();
    FamilySet families;
    for (std::size_t i = 0; i < kFamilyCount; ++i) {
      if (due[i] > now) continue;
      families.set(i);
      const auto interval = std::chrono::milliseconds(table[i].default_interval_ms);
      due[i] += interval;
      if (due[i] <= now) due[i] = now + interval;
    }
    if (families.any()) {
      const auto snapshot = collector.collect(families, monotonic_seconds(), wall_ms());
      // The grid, as HistoryStore::add() puts each family's samples on it.
      std::array<std::int64_t, kFamilyCount> times{};
      for (std::size_t f = 0; f < kFamilyCount; ++f) {
        if (!families.test(f)) continue;
        times[f] = grids[f].put(snapshot->timestamp_ms);
      }
      std::array<std::vector<std::pair<std::uint32_t, double>>, kFamilyCount> per_family;
      std::string defs;
      const auto f0 = thread_cpu_ns();
      hyperion::history::flatten(*snapshot, families, [&](const MetricInfo& m, std::string key, double v) {
        auto [it, inserted] = index.emplace(key, static_cast<std::uint32_t>(index.size()));
        if (inserted) defs += fmt::format("S {} {} {}\n", it->second, m.name, key);
        per_family[static_cast<std::size_t>(m.family)].emplace_back(it->second, v);
      });
      const auto f1 = thread_cpu_ns();
      live.add(*snapshot, families);
      const auto f2 = thread_cpu_ns();
      flatten_ns += f1 - f0;
      add_ns += f2 - f1;
      max_add_ns = std::max(max_add_ns, f2 - f1);
      add_samples.push_back(f2 - f1);
      ++snapshots;
      line = defs;
      line += fmt::format("T {}\n", snapshot->timestamp_ms);
      for (std::size_t f = 0; f < kFamilyCount; ++f) {
        if (per_family[f].empty()) continue;
        line += fmt::format("F {} {}\n", f, times[f]);
        for (const auto& [i, v] : per_family[f]) {
          line += fmt::format("{} {}\n", i, v);
          ++values;
        }
      }
      out << line;
    }
    const auto next = *std::min_element(due.begin(), due.end());
    std::this_thread::sleep_until(next);
  }
  std::sort(add_samples.begin(), add_samples.end());
  const auto us = [](std::int64_t ns) { return static_cast<double>(ns) / 1e3; };
  const auto pct = [&](double p) {
    if (add_samples.empty()) return 0.0;
    const auto i = static_cast<std::size_t>(p * static_cast<double>(add_samples.size()));
    return us(add_samples[std::min(add_samples.size() - 1, i)]);
  };
  out << fmt::format("# live snapshots {} values {} series {} add_ns {} flatten_ns {} max_add_ns {}\n", snapshots,
                     values, index.size(), add_ns, flatten_ns, max_add_ns);
  fmt::print("record_snapshots {}\nrecord_values {}\nrecord_series {}\n", snapshots, values, index.size());
  fmt::print("live_add_us_per_snapshot {:.1f}\nlive_add_p50_us {:.1f}\nlive_add_p99_us {:.1f}\nlive_add_max_us {:.1f}\n",
             snapshots ? us(add_ns) / static_cast<double>(snapshots) : 0.0, pct(0.5), pct(0.99), us(max_add_ns));
  fmt::print("live_flatten_us_per_snapshot {:.1f}\n", snapshots ? us(flatten_ns) / static_cast<double>(snapshots) : 0.0);
  return 0;
}

Recording load(const std::string& file) {
  std::ifstream in(file);
  if (!in) throw std::runtime_error("cannot read " + file);
  Recording r;
  std::string line;
  std::vector<std::size_t> seen;  // the frame each series was last seen in
  std::size_t frame = 0;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    if (line[0] == 'S') {
      std::istringstream is(line.substr(2));
      std::uint32_t i = 0;
      std::string metric;
      is >> i >> metric;
      std::string key;
      std::getline(is, key);
      if (!key.empty() && key[0] == ' ') key.erase(0, 1);
      const auto* m = hyperion::history::find_metric(metric);
      if (!m) throw std::runtime_error("unknown metric " + metric);
      if (r.series.size() <= i) r.series.resize(i + 1);
      r.series[i] = SeriesDef{m, key};
    } else if (line[0] == 'T') {
      r.ticks.push_back(Tick{std::stoll(line.substr(2)), {}});
    } else if (line[0] == 'F') {
      std::istringstream is(line.substr(2));
      FamilyFrame f;
      is >> f.family >> f.t;
      r.ticks.back().families.push_back(std::move(f));
      ++frame;
    } else {
      const auto sp = line.find(' ');
      const auto i = static_cast<std::uint32_t>(std::stoul(line.substr(0, sp)));
      const double v = std::strtod(line.c_str() + sp + 1, nullptr);
      // flatten() emits sockets.tcp{state="UNKNOWN"} twice per snapshot (TcpState 0 and 13 both
      // print as UNKNOWN): the first is kept, so that every store gets one sample per series
      // and time (the naive table's primary key would refuse the second).
      if (seen.size() <= i) seen.resize(i + 1, 0);
      if (seen[i] == frame) {
        ++r.duplicates;
        continue;
      }
      seen[i] = frame;
      r.ticks.back().families.back().values.emplace_back(i, v);
      ++r.values;
    }
  }
  if (r.ticks.size() < 2) throw std::runtime_error("recording too short");
  // A multiple of 10 s, so that every family's grid (1, 2 and 5 s) continues across the seam.
  const auto length = r.ticks.back().wall - r.ticks.front().wall + 1000;
  r.span_ms = (length + 9'999) / 10'000 * 10'000;
  return r;
}

// Calls tick(rep, tick) for every snapshot of the tiled replay, in time order, until `hours`.
template <typename F>
void tiled(const Recording& r, double hours, F&& f) {
  const auto t0 = r.ticks.front().wall;
  const auto end = t0 + static_cast<std::int64_t>(hours * 3600'000.0);
  for (std::int64_t rep = 0;; ++rep) {
    for (const auto& tick : r.ticks) {
      const auto shift = rep * r.span_ms;
      if (tick.wall + shift >= end) return;
      f(shift, tick);
    }
  }
}

Database open_history_db(const std::filesystem::path& file) {
  auto db = Database::open(file);
  const hyperion::storage::ModuleSchema schemas[] = {hyperion::history::history_schema()};
  hyperion::storage::migrate(db, schemas);
  return db;
}

std::int64_t scalar(Database& db, const std::string& sql) {
  auto st = db.prepare(sql);
  if (!st.step() || st.is_null(0)) return 0;
  return st.int64(0);
}

void checkpoint(Database& db) {
  {
    auto st = db.prepare("PRAGMA wal_checkpoint(TRUNCATE)");
    while (st.step()) {
    }
  }
  {
    auto st = db.prepare("PRAGMA incremental_vacuum");
    while (st.step()) {
    }
  }
  {
    auto st = db.prepare("PRAGMA wal_checkpoint(TRUNCATE)");
    while (st.step()) {
    }
  }
}

std::uintmax_t file_bytes(const std::filesystem::path& p) {
  std::error_code ec;
  auto n = std::filesystem::file_size(p, ec);
  return ec ? 0 : n;
}

// ------------------------------------------------------------------ replay through the store

int replay(const Args& args) {
  const auto rec = load(args.get("in"));
  const double hours = std::stod(args.get("hours"));
  const std::filesystem::path path = args.get("db");
  std::filesystem::remove(path);
  std::filesystem::remove(path.string() + "-wal");
  std::filesystem::remove(path.string() + "-shm");
  const int query_runs = std::stoi(args.get("query-runs", "50"));

  HistorySettings settings;
  HistoryStore store(settings, [](int level, const std::string& m) {
    if (level <= 1) fmt::print(stderr, "store: {}\n", m);
  });
  auto db = open_history_db(path);
  store.open(db);

  // HistoryWriter::tick(), run on each snapshot's time (the daemon's upkeep is once a second;
  // with 1 s snapshots that is the same), its posted jobs run at once.
  std::int64_t next_seal = 0, next_batch = 0, next_maintain = 0;
  std::int64_t db_ns = 0, journal_ns = 0, seal_ns = 0, maintain_ns = 0, add_ns = 0, snapshots = 0;
  std::int64_t journals = 0, seals = 0, maintains = 0, max_add_ns = 0, max_seal_ns = 0;
  const auto batch = settings.batch_interval.count(), span = settings.chunk_span.count();
  const auto writer_tick = [&](std::int64_t now) {
    if (next_seal == 0) {
      next_seal = store.next_seal_ms(now);
      next_batch = now + batch;
      next_maintain = now;
    }
    if (now >= next_seal || now < next_seal - 2 * span) {
      next_seal = store.next_seal_ms(now);
      next_batch = now + batch;
      const auto a = thread_cpu_ns();
      store.seal(db, now);
      const auto d = thread_cpu_ns() - a;
      seal_ns += d;
      max_seal_ns = std::max(max_seal_ns, d);
      ++seals;
    } else if (now >= next_batch || now < next_batch - 2 * batch) {
      next_batch = now + batch;
      const auto a = thread_cpu_ns();
      store.write_journal(db);
      journal_ns += thread_cpu_ns() - a;
      ++journals;
    }
    if (now >= next_maintain) {
      const auto a = thread_cpu_ns();
      const bool more = store.maintain(db, now);
      maintain_ns += thread_cpu_ns() - a;
      ++maintains;
      next_maintain = now + (more ? 1'000 : 60'000);
    }
  };

  const auto wall0 = std::chrono::steady_clock::now();
  std::int64_t last_now = 0, last_upkeep = 0;
  tiled(rec, hours, [&](std::int64_t shift, const Tick& tick) {
    const auto now = tick.wall + shift;
    // The upkeep runs once a second, independent of the snapshots.
    if (last_upkeep == 0 || now - last_upkeep >= 1000) {
      writer_tick(now);
      last_upkeep = now;
    }
    const auto a = thread_cpu_ns();
    for (const auto& f : tick.families) {
      for (const auto& [i, v] : f.values) {
        const auto& s = rec.series[i];
        store.add_value(kHost, *s.metric, s.key, f.t + shift, v);
      }
    }
    const auto d = thread_cpu_ns() - a;
    add_ns += d;
    max_add_ns = std::max(max_add_ns, d);
    ++snapshots;
    last_now = now;
  });
  {
    const auto a = thread_cpu_ns();
    store.write_journal(db);
    store.seal(db, last_now + 1000);
    while (store.maintain(db, last_now + 1000)) {
    }
    seal_ns += thread_cpu_ns() - a;
  }
  const double replay_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall0).count();
  db_ns = journal_ns + seal_ns + maintain_ns;
  const auto stats = store.stats();
  checkpoint(db);

  const auto samples = static_cast<double>(stats.samples_added);
  const auto bytes = file_bytes(path) + file_bytes(path.string() + "-wal");
  fmt::print("recording_duplicates_dropped {}\nrecording_values {}\nrecording_span_s {}\n", rec.duplicates, rec.values,
             rec.span_ms / 1000);
  fmt::print("hours {}\nreplay_wall_s {:.1f}\nsnapshots {}\nsamples {}\nseries {}\n", hours, replay_s, snapshots,
             stats.samples_added, stats.series);
  fmt::print("seals {}\njournal_writes {}\nmaintain_steps {}\nchunks_pruned {}\nwrite_failures {}\n", seals, journals,
             maintains, stats.chunks_pruned, stats.write_failures);
  fmt::print("file_bytes {}\nbytes_per_sample {:.3f}\n", bytes, static_cast<double>(bytes) / samples);
  const char* tiers[] = {"raw", "minute", "hour"};
  std::int64_t raw_points = 0;
  for (int t = 0; t < 3; ++t) {
    const auto b = scalar(db, fmt::format("SELECT sum(length(data)) FROM history_chunks WHERE tier = {}", t));
    const auto n = scalar(db, fmt::format("SELECT count(*) FROM history_chunks WHERE tier = {}", t));
    const auto pts = scalar(db, fmt::format("SELECT sum(count) FROM history_chunks WHERE tier = {}", t));
    if (t == 0) raw_points = pts;
    fmt::print("chunks_{} {}\nchunk_bytes_{} {}\npoints_{} {}\n", tiers[t], n, tiers[t], b, tiers[t], pts);
    if (t == 0) fmt::print("raw_chunk_bytes_per_raw_point {:.3f}\n", pts ? static_cast<double>(b) / static_cast<double>(pts) : 0.0);
  }
  fmt::print("raw_points_kept {}\n", raw_points);
  fmt::print("page_count {}\nfreelist_count {}\npage_size {}\n", scalar(db, "PRAGMA page_count"),
             scalar(db, "PRAGMA freelist_count"), scalar(db, "PRAGMA page_size"));
  const auto per = [&](std::int64_t ns) { return static_cast<double>(ns) / 1e3 / static_cast<double>(snapshots); };
  fmt::print("add_us_per_snapshot {:.2f}\nmax_add_us {:.1f}\n", per(add_ns), static_cast<double>(max_add_ns) / 1e3);
  fmt::print("journal_us_per_snapshot {:.2f}\nseal_us_per_snapshot {:.2f}\nmaintain_us_per_snapshot {:.2f}\n",
             per(journal_ns), per(seal_ns), per(maintain_ns));
  fmt::print("db_us_per_snapshot {:.2f}\nwriter_total_us_per_snapshot {:.2f}\nmax_seal_ms {:.1f}\n", per(db_ns),
             per(db_ns + add_ns), static_cast<double>(max_seal_ns) / 1e6);

  // Queries, on a reader connection of their own, as the daemon's history reader.
  auto reader = Database::open(path);
  const auto end = last_now;
  const auto sel = [](const std::string& text) {
    std::string why;
    auto s = hyperion::history::parse_selector(text, &why);
    if (!s) throw std::runtime_error("selector " + text + ": " + why);
    return *s;
  };
  const std::string one = R"(cpu.percent{cpu="all",mode="busy"})";
  const std::vector<std::string> ten = {
      one, "memory.used_bytes", "memory.available_bytes", "memory.cached_bytes", "memory.dirty_bytes",
      "cpu.context_switches_per_second", "cpu.interrupts_per_second", "cpu.procs_running", "system.load1",
      "processes.threads"};
  struct Q {
    std::string name;
    std::vector<std::string> selectors;
    std::int64_t range_ms;
    std::uint32_t points;
  };
  std::vector<Q> queries = {
      {"1_metric_1h_1000pts", {one}, 3600'000, 1000},
      {"1_metric_24h_1000pts", {one}, 24 * 3600'000LL, 1000},
      {"10_metrics_24h_1000pts", ten, 24 * 3600'000LL, 1000},
  };
  if (hours > 24 * 7) {
    queries.push_back({"1_metric_7d_1000pts", {one}, 7 * 24 * 3600'000LL, 1000});
    queries.push_back({"1_metric_30d_1000pts", {one}, 30 * 24 * 3600'000LL, 1000});
    queries.push_back({"10_metrics_30d_1000pts", ten, 30 * 24 * 3600'000LL, 1000});
  }
  const auto run_queries = [&](const std::string& prefix) {
    for (const auto& q : queries) {
      hyperion::history::QueryRequest req;
      req.host = std::string(kHost);
      for (const auto& s : q.selectors) req.selectors.push_back(sel(s));
      req.from_ms = end - q.range_ms;
      req.to_ms = end;
      req.points = q.points;
      std::vector<double> ms;
      hyperion::history::QueryResult r;
      for (int i = 0; i < query_runs + 3; ++i) {
        const auto a = std::chrono::steady_clock::now();
        r = store.query(reader, req, end);
        const auto d = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - a).count();
        if (i >= 3) ms.push_back(d);  // three warm-up runs
      }
      std::sort(ms.begin(), ms.end());
      std::size_t points = 0;
      for (const auto& s : r.series) points += static_cast<std::size_t>(std::count_if(s.avg.begin(), s.avg.end(), [](const auto& v) { return v.has_value(); }));
      fmt::print("{}query_{}_median_ms {:.3f}\n{}query_{}_p99_ms {:.3f}\n{}query_{}_tier {}\n{}query_{}_series {}\n{}query_{}_points {}\n",
                 prefix, q.name, ms[ms.size() / 2], prefix, q.name, ms[std::min(ms.size() - 1, static_cast<std::size_t>(static_cast<double>(ms.size()) * 0.99))],
                 prefix, q.name, hyperion::history::to_string(r.tier), prefix, q.name, r.series.size(), prefix, q.name, points);
    }
  };
  run_queries("");
  // With the planner's statistics (ANALYZE, as PRAGMA optimize would gather them): the chunk
  // lookup then uses history_chunks_key (series, tier, start) instead of history_chunks_age.
  if (args.get("analyze", "0") == "1") {
    db.exec("ANALYZE");
    auto fresh = Database::open(path);  // a connection that reads the new statistics
    reader = std::move(fresh);
    run_queries("analyzed_");
  }
  return 0;
}

// Queries only, on a database a replay left (for a profiler): --db PATH --selector S --days D.
int query_only(const Args& args) {
  auto db = open_history_db(args.get("db"));
  HistoryStore store(HistorySettings{});
  store.open(db);
  auto reader = Database::open(args.get("db"));
  const auto end = scalar(db, "SELECT max(end_ms) FROM history_chunks");
  std::string why;
  auto sel = hyperion::history::parse_selector(args.get("selector", R"(cpu.percent{cpu="all",mode="busy"})"), &why);
  if (!sel) throw std::runtime_error(why);
  hyperion::history::QueryRequest req{std::string(kHost), {*sel}, end - static_cast<std::int64_t>(std::stod(args.get("days", "30")) * 86400'000.0), end, 1000};
  const int runs = std::stoi(args.get("runs", "100"));
  const auto a = std::chrono::steady_clock::now();
  std::size_t n = 0;
  for (int i = 0; i < runs; ++i) n += store.query(reader, req, end).times_ms.size();
  fmt::print("query_only_mean_ms {:.3f} ({} buckets)\n",
             std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - a).count() / runs, n / static_cast<std::size_t>(runs));
  return 0;
}

// ------------------------------------------------------------------ a naive table

int naive(const Args& args) {
  const auto rec = load(args.get("in"));
  const double hours = std::stod(args.get("hours"));
  const std::filesystem::path path = args.get("db");
  const auto kind = args.get("kind", "without_rowid");
  std::filesystem::remove(path);
  std::filesystem::remove(path.string() + "-wal");
  std::filesystem::remove(path.string() + "-shm");
  auto db = Database::open(path);
  if (kind == "without_rowid") {
    db.exec("CREATE TABLE samples (series_id INTEGER, t INTEGER, v REAL, PRIMARY KEY (series_id, t)) WITHOUT ROWID");
  } else if (kind == "rowid") {
    db.exec("CREATE TABLE samples (series_id INTEGER, t INTEGER, v REAL); "
            "CREATE INDEX samples_series_t ON samples (series_id, t)");
  } else {
    throw std::runtime_error("--kind without_rowid|rowid");
  }
  db.exec("CREATE TABLE series (id INTEGER PRIMARY KEY, key TEXT NOT NULL)");
  {
    auto st = db.prepare("INSERT INTO series (id, key) VALUES (?, ?)");
    for (std::size_t i = 0; i < rec.series.size(); ++i) {
      st.bind(1, static_cast<std::int64_t>(i + 1)).bind(2, rec.series[i].key).run();
    }
  }
  std::vector<std::tuple<std::int64_t, std::int64_t, double>> pending;
  std::int64_t rows = 0, next_batch = 0;
  const auto wall0 = std::chrono::steady_clock::now();
  auto insert = db.prepare("INSERT INTO samples (series_id, t, v) VALUES (?, ?, ?)");
  const auto flush = [&] {
    if (pending.empty()) return;
    db.transaction([&] {
      for (const auto& [id, t, v] : pending) {
        insert.bind(1, id).bind(2, t).bind(3, v).run();
      }
    });
    rows += static_cast<std::int64_t>(pending.size());
    pending.clear();
  };
  tiled(rec, hours, [&](std::int64_t shift, const Tick& tick) {
    const auto now = tick.wall + shift;
    if (next_batch == 0) next_batch = now + 5000;
    if (now >= next_batch) {
      flush();
      next_batch = now + 5000;
    }
    for (const auto& f : tick.families) {
      for (const auto& [i, v] : f.values) pending.emplace_back(static_cast<std::int64_t>(i + 1), f.t + shift, v);
    }
  });
  flush();
  checkpoint(db);
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall0).count();
  const auto bytes = file_bytes(path) + file_bytes(path.string() + "-wal");
  fmt::print("naive_{}_samples {}\nnaive_{}_file_bytes {}\nnaive_{}_bytes_per_sample {:.3f}\nnaive_{}_insert_wall_s {:.1f}\n",
             kind, rows, kind, bytes, kind, static_cast<double>(bytes) / static_cast<double>(rows), kind, s);
  return 0;
}

// ------------------------------------------------------------------ OpenMetrics for promtool

std::string om_escape(const std::string& v) {
  std::string out;
  for (char c : v) {
    if (c == '\\' || c == '"') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out;
}

int openmetrics(const Args& args) {
  const auto rec = load(args.get("in"));
  const double hours = std::stod(args.get("hours"));
  std::FILE* out = std::fopen(args.get("out").c_str(), "w");
  if (!out) throw std::runtime_error("cannot write " + args.get("out"));
  // Per series, its samples of one repetition; the file groups a metric family's samples
  // together (OpenMetrics wants a family in one place), each series in time order.
  std::vector<std::vector<std::tuple<std::int64_t, std::int64_t, double>>> by_series(rec.series.size());
  for (const auto& tick : rec.ticks) {
    for (const auto& f : tick.families) {
      for (const auto& [i, v] : f.values) by_series[i].emplace_back(tick.wall, f.t, v);
    }
  }
  const auto t0 = rec.ticks.front().wall;
  const auto end = t0 + static_cast<std::int64_t>(hours * 3600'000.0);
  std::map<std::string, std::vector<std::uint32_t>> families;
  for (std::uint32_t i = 0; i < rec.series.size(); ++i) families[std::string(rec.series[i].metric->name)].push_back(i);
  std::int64_t samples = 0;
  for (const auto& [metric, ids] : families) {
    std::string name = metric;
    std::replace(name.begin(), name.end(), '.', '_');
    fmt::print(out, "# TYPE {} gauge\n", name);
    for (const auto i : ids) {
      const auto parsed = hyperion::history::parse_series_key(rec.series[i].key);
      std::string labels;
      if (parsed && !parsed->second.empty()) {
        labels = "{";
        for (const auto& [k, v] : parsed->second) {
          if (labels.size() > 1) labels += ',';
          labels += fmt::format("{}=\"{}\"", k, om_escape(v));
        }
        labels += '}';
      }
      for (std::int64_t rep = 0;; ++rep) {
        const auto shift = rep * rec.span_ms;
        if (t0 + shift >= end) break;
        for (const auto& [wall, t, v] : by_series[i]) {
          if (wall + shift >= end) break;  // the same cut as tiled(): by the snapshot's time
          const auto ts = t + shift;
          fmt::print(out, "{}{} {} {}.{:03}\n", name, labels, v, ts / 1000, ts % 1000);
          ++samples;
        }
      }
    }
  }
  fmt::print(out, "# EOF\n");
  std::fclose(out);
  fmt::print("openmetrics_samples {}\n", samples);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    if (argc < 2) {
      fmt::print(stderr, "usage: history_bench record|replay|naive|openmetrics --option value ...\n");
      return 2;
    }
    const std::string cmd = argv[1];
    const auto args = parse_args(argc, argv);
    if (cmd == "record") return record(args);
    if (cmd == "replay") return replay(args);
    if (cmd == "naive") return naive(args);
    if (cmd == "openmetrics") return openmetrics(args);
    if (cmd == "query") return query_only(args);
    fmt::print(stderr, "unknown command {}\n", cmd);
    return 2;
  } catch (const std::exception& e) {
    fmt::print(stderr, "history_bench: {}\n", e.what());
    return 1;
  }
}
