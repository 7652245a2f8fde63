#include "hyperion/history/store.hpp"

#include <algorithm>
#include <bit>
#include <cmath>
#include <limits>
#include <unordered_set>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace hyperion::history {
namespace {

using collectors::Family;

constexpr std::int64_t kSecond = 1'000, kMinute = 60'000, kHour = 3'600'000;
constexpr std::int64_t kMinutePeriod = 6 * kHour;       // a minute chunk: 360 points
constexpr std::int64_t kHourPeriod = 7 * 24 * kHour;    // an hour chunk: 168 points
constexpr std::size_t kMaxPendingFrames = 4'096;        // journal frames kept while writes fail
constexpr std::size_t kMaxSealingBytes = 64u << 20;     // sealed chunks kept while writes fail
constexpr int kPruneRows = 256;                         // rows deleted per maintenance step
constexpr int kVacuumPages = 512;                       // pages given back per step
constexpr unsigned char kJournalFormat = 1;
// A sealed raw chunk is stored as rows small enough to stay inside a page: SQLite keeps up to
// (page - 35) * 64 / 255 - 23 bytes of a row in its page (~2 KiB of 8 KiB, ~1 KiB of 4 KiB) and
// puts the rest in overflow pages that are mostly left empty (a fifth of the file, measured).
std::size_t max_row_bytes(std::int64_t page_size) {
  return static_cast<std::size_t>((page_size - 35) * 64 / 255 - 23 - 24);  // 24: the row's other columns
}

std::int64_t floor_to(std::int64_t t, std::int64_t m) { return t - (((t % m) + m) % m); }

constexpr std::string_view kSchemaV1 = R"sql(
CREATE TABLE history_series (
  id INTEGER PRIMARY KEY,
  host TEXT NOT NULL,
  key TEXT NOT NULL,
  metric TEXT NOT NULL,
  labels TEXT NOT NULL,
  unit TEXT NOT NULL,
  scale REAL NOT NULL,
  first_ms INTEGER NOT NULL,
  last_ms INTEGER NOT NULL,
  UNIQUE (host, key)
) STRICT;
CREATE TABLE history_chunks (
  series_id INTEGER NOT NULL,
  tier INTEGER NOT NULL,
  start_ms INTEGER NOT NULL,
  end_ms INTEGER NOT NULL,
  count INTEGER NOT NULL,
  data BLOB NOT NULL
) STRICT;
CREATE UNIQUE INDEX history_chunks_key ON history_chunks (series_id, tier, start_ms);
CREATE INDEX history_chunks_age ON history_chunks (tier, end_ms);
CREATE TABLE history_journal (id INTEGER PRIMARY KEY, data BLOB NOT NULL) STRICT;
CREATE TABLE history_open (
  series_id INTEGER NOT NULL,
  tier INTEGER NOT NULL,
  start_ms INTEGER NOT NULL,
  data BLOB NOT NULL,
  PRIMARY KEY (series_id, tier)
) STRICT;
CREATE TABLE history_strings (id INTEGER PRIMARY KEY, text TEXT NOT NULL UNIQUE) STRICT;
CREATE TABLE history_processes (
  host TEXT NOT NULL,
  time_ms INTEGER NOT NULL,
  data BLOB NOT NULL,
  PRIMARY KEY (host, time_ms)
) STRICT;
CREATE INDEX history_processes_age ON history_processes (time_ms);
)sql";

constexpr storage::Migration kMigrations[] = {
    {1, "history: series, chunks, journal, process lists", kSchemaV1},
};

struct Agg {
  std::int64_t start = 0;
  std::int64_t count = 0;
  double min = 0, max = 0, sum = 0;
  void add(double lo, double hi, double sum_of, std::int64_t n) {
    if (count == 0) {
      min = lo;
      max = hi;
    } else {
      min = std::min(min, lo);
      max = std::max(max, hi);
    }
    sum += sum_of;
    count += n;
  }
  void reset(std::int64_t at) { *this = Agg{}, start = at; }
};

// The chunk as rows of at most kMaxRowBytes: each piece a chunk of its own, keyed by its first
// time.
template <class SealList>
void seal_raw(SealList& sealing, std::int64_t id, double scale, const ChunkEncoder& chunk, std::size_t max_bytes) {
  if (chunk.byte_size() <= max_bytes) {
    sealing.push_back({id, Tier::raw, chunk.min_ms(), chunk.max_ms(), chunk.size(), chunk.bytes()});
    return;
  }
  const auto points = decode_chunk(chunk.bytes());
  if (!points) return;
  std::optional<ChunkEncoder> piece;
  const auto flush = [&] {
    if (piece && !piece->empty()) {
      sealing.push_back({id, Tier::raw, piece->first_ms(), piece->max_ms(), piece->size(), piece->bytes()});
    }
    piece.emplace(1, scale);
  };
  flush();
  for (std::size_t i = 0; i < points->size(); ++i) {
    // A point takes at most 64 + 4 bits of time and 3 + 64 of value.
    if (piece->byte_size() + 18 > max_bytes) flush();
    piece->append(points->times_ms[i], points->value(i));
  }
  flush();
}

// Appends an aggregate as one point of a roll-up tier, in the chunk of its period; a chunk
// whose period ended goes to the chunks to seal.
template <class SealList>
void append_rollup(SealList& sealing, std::int64_t id, double scale, Tier tier, std::optional<ChunkEncoder>& chunk,
                   std::int64_t& chunk_period, std::int64_t period_ms, const Agg& agg) {
  const auto period = floor_to(agg.start, period_ms);
  if (chunk && chunk_period != period) {
    sealing.push_back({id, tier, chunk_period, chunk->max_ms(), chunk->size(), chunk->bytes()});
    chunk.reset();
  }
  if (!chunk) {
    chunk.emplace(4, scale);
    chunk_period = period;
  }
  const double point[4] = {static_cast<double>(agg.count), agg.min, agg.max, agg.sum / static_cast<double>(agg.count)};
  chunk->append(agg.start, point);
}

std::string labels_json(const Labels& labels) {
  nlohmann::json j = nlohmann::json::object();
  for (const auto& [k, v] : labels) j[k] = v;
  return j.dump();
}

// A point gathered for a query: raw samples have count 1 and min = max = sum.
struct Point {
  std::int64_t t;
  double count, min, max, sum;
};

}  // namespace

const char* to_string(Tier t) noexcept {
  switch (t) {
    case Tier::raw: return "raw";
    case Tier::minute: return "1m";
    case Tier::hour: return "1h";
  }
  return "raw";
}

storage::ModuleSchema history_schema() { return {"history", kMigrations, false}; }

struct HistoryStore::Series {
  std::int64_t id = 0;
  std::string host, key, metric, unit;
  Labels labels;
  double scale = 1;
  Family family = Family::host;
  std::int64_t first_ms = std::numeric_limits<std::int64_t>::max();
  std::int64_t last_ms = std::numeric_limits<std::int64_t>::min();
  std::optional<ChunkEncoder> raw;
  Agg minute, hour;
  std::optional<ChunkEncoder> minutes, hours;
  std::int64_t minutes_period = 0, hours_period = 0;
};

struct HistoryStore::Frame {
  std::int64_t t = 0;
  std::vector<std::pair<std::int64_t, double>> values;
};

struct HistoryStore::Sealing {
  std::int64_t series_id = 0;
  Tier tier = Tier::raw;
  std::int64_t start_ms = 0, end_ms = 0;
  std::size_t count = 0;
  Bytes data;
};

HistoryStore::HistoryStore(HistorySettings settings, Log log) : settings_(settings), log_(std::move(log)) {}
HistoryStore::~HistoryStore() = default;

std::int64_t HistoryStore::next_seal_ms(std::int64_t now_ms) const {
  // The same span as HistoryWriter::tick() waits for (a floor of a second, never zero).
  const auto span = std::max<std::int64_t>(kSecond, settings_.chunk_span.count());
  return floor_to(now_ms, span) + span;
}

HistoryStore::Series* HistoryStore::find_or_create(std::string_view host, const MetricInfo& metric,
                                                   const std::string& key) {
  std::string k;
  k.reserve(host.size() + 1 + key.size());
  k.append(host).push_back('\0');
  k.append(key);
  const auto it = series_.find(k);
  if (it != series_.end()) return it->second.get();
  if (series_.size() >= settings_.max_series) {
    if (stats_.series_refused++ == 0 && log_) {
      log_(1, fmt::format("history: {} series reached (history.max_series): new series are not kept", series_.size()));
    }
    return nullptr;
  }
  auto s = std::make_unique<Series>();
  s->id = next_id_++;
  s->host = std::string(host);
  s->key = key;
  s->metric = std::string(metric.name);
  s->unit = std::string(metric.unit);
  s->scale = metric.scale;
  s->family = metric.family;
  if (auto parsed = parse_series_key(key)) s->labels = std::move(parsed->second);
  auto* raw = s.get();
  by_id_[s->id] = raw;
  series_.emplace(std::move(k), std::move(s));
  unsaved_series_.push_back(raw->id);
  return raw;
}

void HistoryStore::close_hour(Series& s) {
  if (s.hour.count == 0) return;
  append_rollup(sealing_, s.id, s.scale, Tier::hour, s.hours, s.hours_period, kHourPeriod, s.hour);
  s.hour = Agg{};
}

void HistoryStore::close_minute(Series& s) {
  if (s.minute.count == 0) return;
  append_rollup(sealing_, s.id, s.scale, Tier::minute, s.minutes, s.minutes_period, kMinutePeriod, s.minute);
  const auto h = floor_to(s.minute.start, kHour);
  if (s.hour.count > 0 && s.hour.start != h) close_hour(s);
  if (s.hour.count == 0) s.hour.reset(h);
  s.hour.add(s.minute.min, s.minute.max, s.minute.sum, s.minute.count);
  s.minute = Agg{};
}

void HistoryStore::append(Series& s, std::int64_t t, double v, bool journal) {
  if (!s.raw) s.raw.emplace(1, s.scale);
  s.raw->append(t, v);
  s.first_ms = std::min(s.first_ms, t);
  s.last_ms = std::max(s.last_ms, t);
  ++stats_.samples_added;
  if (std::isfinite(v)) {  // roll-ups summarise numbers; NaN and infinities stay in the raw tier
    const auto m = floor_to(t, kMinute);
    if (s.minute.count > 0 && s.minute.start != m) close_minute(s);
    if (s.minute.count == 0) s.minute.reset(m);
    s.minute.add(v, v, v, 1);
  }
  if (!journal) return;
  if (frames_.empty() || frames_.back().t != t) {
    if (frames_.size() >= kMaxPendingFrames) frames_.erase(frames_.begin());  // still in the open chunks
    frames_.push_back(Frame{t, {}});
  }
  frames_.back().values.emplace_back(s.id, v);
}

void HistoryStore::add_value(std::string_view host, const MetricInfo& metric, const std::string& key,
                             std::int64_t time_ms, double value) {
  std::lock_guard lock(mutex_);
  if (auto* s = find_or_create(host, metric, key)) append(*s, time_ms, value, true);
}

void HistoryStore::add(const collectors::Snapshot& snapshot, collectors::FamilySet families) {
  // Each family's samples share one time, put on the family's grid (TimeGrid).
  std::array<std::int64_t, collectors::kFamilyCount> times{};
  std::lock_guard lock(mutex_);
  for (std::size_t f = 0; f < collectors::kFamilyCount; ++f) {
    if (!families.test(f)) continue;
    times[f] = grids_[{snapshot.host, static_cast<int>(f)}].put(snapshot.timestamp_ms);
  }
  flatten(snapshot, families, [&](const MetricInfo& m, std::string key, double v) {
    if (auto* s = find_or_create(snapshot.host, m, key)) {
      append(*s, times[static_cast<std::size_t>(m.family)], v, true);
    }
  });
}

void HistoryStore::report(bool ok, const std::string& what, const std::exception* e) {
  if (ok) {
    if (failing_ && log_) log_(2, "history: writing again");
    failing_ = false;
    return;
  }
  ++stats_.write_failures;
  if (!failing_ && log_) {
    log_(0, fmt::format("history: {} failed: {}; live data goes on, samples are kept in memory and written "
                        "when the database accepts them again",
                        what, e ? e->what() : "unknown error"));
  }
  failing_ = true;
}

void HistoryStore::insert_new_series(storage::Database& db) {
  // Called with the mutex held, inside the caller's transaction.
  if (unsaved_series_.empty()) return;
  auto st = db.prepare(
      "INSERT OR IGNORE INTO history_series (id, host, key, metric, labels, unit, scale, first_ms, last_ms) "
      "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)");
  for (const auto id : unsaved_series_) {
    const auto it = by_id_.find(id);
    if (it == by_id_.end()) continue;
    const auto& s = *it->second;
    st.bind(1, s.id).bind(2, s.host).bind(3, s.key).bind(4, s.metric).bind(5, labels_json(s.labels)).bind(6, s.unit);
    st.bind(7, s.scale).bind(8, s.first_ms).bind(9, s.last_ms).run();
  }
}

bool HistoryStore::write_journal(storage::Database& db) {
  std::lock_guard lock(mutex_);
  if (frames_.empty() && unsaved_series_.empty()) return true;
  Bytes blob;
  blob.push_back(kJournalFormat);
  std::unordered_map<std::int64_t, std::int64_t> last_q;
  std::int64_t last_t = 0;
  for (auto& f : frames_) {
    std::sort(f.values.begin(), f.values.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    put_varint(blob, zigzag(f.t - last_t));
    last_t = f.t;
    put_varint(blob, f.values.size());
    std::int64_t last_id = 0;
    for (const auto& [id, v] : f.values) {
      put_varint(blob, static_cast<std::uint64_t>(id - last_id));
      last_id = id;
      const double scale = by_id_.at(id)->scale;
      const double scaled = v * scale;
      if (std::isfinite(scaled) && std::fabs(scaled) < 4.6e18) {
        const auto q = std::llround(scaled);
        auto& prev = last_q[id];
        put_varint(blob, zigzag(q - prev) << 1);
        prev = q;
      } else {
        put_varint(blob, 1);
        const auto raw = std::bit_cast<std::uint64_t>(v);
        for (int i = 0; i < 8; ++i) blob.push_back(static_cast<unsigned char>(raw >> (8 * i)));
      }
    }
  }
  try {
    db.transaction([&] {
      insert_new_series(db);
      if (!frames_.empty()) db.prepare("INSERT INTO history_journal (data) VALUES (?)").bind(1, blob).run();
    });
  } catch (const std::exception& e) {
    report(false, "writing the journal", &e);
    return false;
  }
  frames_.clear();
  unsaved_series_.clear();
  ++stats_.journal_writes;
  report(true, "", nullptr);
  return true;
}

bool HistoryStore::seal(storage::Database& db, std::int64_t now_ms) {
  std::lock_guard lock(mutex_);
  std::vector<std::pair<std::int64_t, Tier>> closed;  // open roll-up chunks made final
  for (auto& [k, sp] : series_) {
    auto& s = *sp;
    if (s.raw && !s.raw->empty()) {
      seal_raw(sealing_, s.id, s.scale, *s.raw, max_row_bytes_);
      s.raw.reset();
    }
    if (s.minute.count > 0 && s.minute.start + kMinute <= now_ms) close_minute(s);
    // A roll-up chunk whose period is over (a series that stopped) is final: to the chunks.
    if (s.minutes && s.minutes_period + kMinutePeriod <= now_ms && s.minute.count == 0) {
      sealing_.push_back({s.id, Tier::minute, s.minutes_period, s.minutes->max_ms(), s.minutes->size(), s.minutes->bytes()});
      s.minutes.reset();
      closed.emplace_back(s.id, Tier::minute);
    }
    if (s.hours && s.hours_period + kHourPeriod <= now_ms && s.hour.count == 0) {
      sealing_.push_back({s.id, Tier::hour, s.hours_period, s.hours->max_ms(), s.hours->size(), s.hours->bytes()});
      s.hours.reset();
      closed.emplace_back(s.id, Tier::hour);
    }
  }
  // Keep what could not be written within bounds: the oldest goes first.
  std::size_t bytes = 0;
  for (const auto& c : sealing_) bytes += c.data.size();
  while (bytes > kMaxSealingBytes && !sealing_.empty()) {
    bytes -= sealing_.front().data.size();
    sealing_.erase(sealing_.begin());
  }
  frames_.clear();  // every frame is in a chunk now
  try {
    db.transaction([&] {
      insert_new_series(db);
      auto put = db.prepare(
          "INSERT OR REPLACE INTO history_chunks (series_id, tier, start_ms, end_ms, count, data) VALUES (?, ?, ?, ?, ?, ?)");
      for (const auto& c : sealing_) {
        put.bind(1, c.series_id).bind(2, static_cast<int>(c.tier)).bind(3, c.start_ms).bind(4, c.end_ms);
        put.bind(5, static_cast<std::int64_t>(c.count)).bind(6, c.data).run();
      }
      // The roll-up chunks still open are rewritten at every seal: in a table of their own, so
      // that the holes the rewrites leave never fragment the pages of the sealed chunks.
      auto open_chunk = db.prepare("INSERT OR REPLACE INTO history_open (series_id, tier, start_ms, data) VALUES (?, ?, ?, ?)");
      auto last = db.prepare("UPDATE history_series SET first_ms = min(first_ms, ?), last_ms = max(last_ms, ?) WHERE id = ?");
      for (auto& [k, sp] : series_) {
        auto& s = *sp;
        if (s.minutes && !s.minutes->empty()) {
          open_chunk.bind(1, s.id).bind(2, static_cast<int>(Tier::minute)).bind(3, s.minutes_period);
          open_chunk.bind(4, s.minutes->bytes()).run();
        }
        if (s.hours && !s.hours->empty()) {
          open_chunk.bind(1, s.id).bind(2, static_cast<int>(Tier::hour)).bind(3, s.hours_period);
          open_chunk.bind(4, s.hours->bytes()).run();
        }
        if (s.last_ms >= s.first_ms) last.bind(1, s.first_ms).bind(2, s.last_ms).bind(3, s.id).run();
      }
      auto drop_open = db.prepare("DELETE FROM history_open WHERE series_id = ? AND tier = ?");
      for (const auto& [id, tier] : closed) drop_open.bind(1, id).bind(2, static_cast<int>(tier)).run();
      db.exec("DELETE FROM history_journal");
    });
  } catch (const std::exception& e) {
    report(false, "sealing chunks", &e);
    return false;
  }
  sealing_.clear();
  unsaved_series_.clear();
  ++stats_.seals;
  report(true, "", nullptr);
  return true;
}

void HistoryStore::open(storage::Database& db) {
  // Deleted chunks must give their pages back to the file system: incremental auto-vacuum.
  // A file made before the history needs one VACUUM to switch.
  const auto auto_vacuum = [&] {
    auto st = db.prepare("PRAGMA auto_vacuum");
    st.step();
    return st.int64(0);
  }();
  if (auto_vacuum != 2) {
    if (log_) log_(2, fmt::format("history: switching {} to incremental auto-vacuum (once; rewrites the file)", db.path().string()));
    db.exec("PRAGMA auto_vacuum = INCREMENTAL");
    db.exec("VACUUM");
  }
  db.exec("PRAGMA journal_size_limit = 16777216");
  {
    auto st = db.prepare("PRAGMA page_size");
    st.step();
    max_row_bytes_ = max_row_bytes(st.int64(0));
  }
  std::lock_guard lock(mutex_);
  {
    auto st = db.prepare("SELECT id, host, key, metric, unit, scale, first_ms, last_ms FROM history_series");
    while (st.step()) {
      auto s = std::make_unique<Series>();
      s->id = st.int64(0);
      s->host = st.text(1);
      s->key = st.text(2);
      s->metric = st.text(3);
      s->unit = st.text(4);
      s->scale = st.real(5);
      s->first_ms = st.int64(6);
      s->last_ms = st.int64(7);
      if (const auto* m = find_metric(s->metric)) s->family = m->family;
      if (auto parsed = parse_series_key(s->key)) s->labels = std::move(parsed->second);
      next_id_ = std::max(next_id_, s->id + 1);
      by_id_[s->id] = s.get();
      std::string k = s->host;
      k.push_back('\0');
      k += s->key;
      series_.emplace(std::move(k), std::move(s));
    }
  }
  // The newest roll-up chunk of each series is still open: go on appending to it.
  {
    auto st = db.prepare(
        "SELECT series_id, tier, start_ms, data FROM history_open");
    while (st.step()) {
      const auto it = by_id_.find(st.int64(0));
      if (it == by_id_.end()) continue;
      auto& s = *it->second;
      const auto data = st.blob(3);
      const auto chunk = decode_chunk(data);
      if (!chunk || chunk->width != 4) continue;
      if (st.int64(1) == static_cast<int>(Tier::minute)) {
        s.minutes = reencode(*chunk, s.scale);
        s.minutes_period = st.int64(2);
      } else {
        s.hours = reencode(*chunk, s.scale);
        s.hours_period = st.int64(2);
      }
    }
  }
  // The hour in progress, from its minutes.
  for (auto& [k, sp] : series_) {
    auto& s = *sp;
    if (!s.minutes || s.minutes->empty()) continue;
    const auto chunk = decode_chunk(s.minutes->bytes());
    if (!chunk) continue;
    const auto h = floor_to(chunk->times_ms.back(), kHour);
    if (s.hours && s.hours->max_ms() >= h) continue;  // already closed
    for (std::size_t i = 0; i < chunk->size(); ++i) {
      if (floor_to(chunk->times_ms[i], kHour) != h) continue;
      if (s.hour.count == 0) s.hour.reset(h);
      const auto n = chunk->value(i, kRollupCount);
      s.hour.add(chunk->value(i, kRollupMin), chunk->value(i, kRollupMax), chunk->value(i, kRollupMean) * n,
                 static_cast<std::int64_t>(n));
    }
  }
  // The journal: what was added since the last seal.
  auto st = db.prepare("SELECT id, data FROM history_journal ORDER BY id");
  std::size_t frames = 0, rows = 0, bad = 0;
  while (st.step()) {
    ++rows;
    const auto blob = st.blob(1);
    std::size_t pos = 1;
    if (blob.empty() || blob[0] != kJournalFormat) {
      ++bad;
      continue;
    }
    std::unordered_map<std::int64_t, std::int64_t> last_q;
    std::int64_t t = 0;
    std::uint64_t v = 0, n = 0;
    while (pos < blob.size()) {
      if (!get_varint(blob, pos, v) || !get_varint(blob, pos, n)) break;
      t += unzigzag(v);
      std::int64_t id = 0;
      bool ok = true;
      for (std::uint64_t i = 0; i < n && ok; ++i) {
        std::uint64_t d = 0, tag = 0;
        if (!get_varint(blob, pos, d) || !get_varint(blob, pos, tag)) {
          ok = false;
          break;
        }
        id += static_cast<std::int64_t>(d);
        double value = 0;
        if (tag & 1U) {
          if (pos + 8 > blob.size()) {
            ok = false;
            break;
          }
          std::uint64_t raw = 0;
          for (int b = 0; b < 8; ++b) raw |= std::uint64_t{blob[pos + static_cast<std::size_t>(b)]} << (8 * b);
          pos += 8;
          value = std::bit_cast<double>(raw);
        } else {
          auto& q = last_q[id];
          q += unzigzag(tag >> 1);
          const auto it = by_id_.find(id);
          if (it == by_id_.end()) continue;
          value = static_cast<double>(q) / it->second->scale;
        }
        const auto it = by_id_.find(id);
        if (it != by_id_.end()) append(*it->second, t, value, false);
      }
      if (!ok) {
        ++bad;
        break;
      }
      ++frames;
    }
  }
  stats_.series = series_.size();
  if (log_ && rows > 0) {
    log_(2, fmt::format("history: replayed {} frame(s) from the journal ({} row(s){})", frames, rows,
                        bad ? fmt::format(", {} damaged and skipped", bad) : std::string()));
  }
}

bool HistoryStore::maintain(storage::Database& db, std::int64_t now_ms) {
  try {
    const std::pair<Tier, std::int64_t> retention[] = {{Tier::raw, settings_.raw_retention.count()},
                                                       {Tier::minute, settings_.minute_retention.count()},
                                                       {Tier::hour, settings_.hour_retention.count()}};
    auto prune = db.prepare(
        "DELETE FROM history_chunks WHERE rowid IN "
        "(SELECT rowid FROM history_chunks WHERE tier = ? AND end_ms < ? LIMIT ?)");
    for (const auto& [tier, keep] : retention) {
      prune.bind(1, static_cast<int>(tier)).bind(2, now_ms - keep).bind(3, kPruneRows).run();
      if (db.changes() > 0) {
        std::lock_guard lock(mutex_);
        stats_.chunks_pruned += static_cast<std::uint64_t>(db.changes());
        return true;
      }
    }
    db.prepare("DELETE FROM history_processes WHERE rowid IN (SELECT rowid FROM history_processes WHERE time_ms < ? LIMIT ?)")
        .bind(1, now_ms - settings_.processes_retention.count())
        .bind(2, kPruneRows)
        .run();
    if (db.changes() > 0) return true;
    // The size budget, on the pages in use.
    const auto pragma = [&](const char* sql) {
      auto st = db.prepare(sql);
      st.step();
      return st.int64(0);
    };
    const auto page_size = pragma("PRAGMA page_size");
    const auto used = (pragma("PRAGMA page_count") - pragma("PRAGMA freelist_count")) * page_size;
    if (used > 0 && static_cast<std::uint64_t>(used) > settings_.max_bytes) {
      // Oldest first: raw, then minutes, then process lists, then hours.
      auto oldest = db.prepare(
          "DELETE FROM history_chunks WHERE rowid IN "
          "(SELECT rowid FROM history_chunks WHERE tier = ? ORDER BY start_ms LIMIT ?)");
      for (const auto tier : {Tier::raw, Tier::minute}) {
        oldest.bind(1, static_cast<int>(tier)).bind(2, kPruneRows / 4).run();
        if (db.changes() > 0) {
          std::lock_guard lock(mutex_);
          stats_.chunks_pruned += static_cast<std::uint64_t>(db.changes());
          return true;
        }
      }
      db.prepare("DELETE FROM history_processes WHERE rowid IN (SELECT rowid FROM history_processes ORDER BY time_ms LIMIT ?)")
          .bind(1, kPruneRows)
          .run();
      if (db.changes() > 0) return true;
      oldest.bind(1, static_cast<int>(Tier::hour)).bind(2, kPruneRows / 4).run();
      if (db.changes() > 0) return true;
    }
    if (pragma("PRAGMA freelist_count") > kVacuumPages) {
      db.exec(fmt::format("PRAGMA incremental_vacuum({})", kVacuumPages));
      return true;
    }
  } catch (const std::exception& e) {
    std::lock_guard lock(mutex_);
    report(false, "pruning", &e);
  }
  return false;
}

std::vector<std::string> HistoryStore::hosts() const {
  std::lock_guard lock(mutex_);
  std::vector<std::string> out;
  for (const auto& [k, s] : series_) {
    if (out.empty() || out.back() != s->host) out.push_back(s->host);
  }
  return out;
}

bool HistoryStore::has_host(std::string_view host) const {
  std::lock_guard lock(mutex_);
  std::string k(host);
  k.push_back('\0');
  const auto it = series_.lower_bound(k);
  return it != series_.end() && it->second->host == host;
}

std::vector<CatalogEntry> HistoryStore::catalog(std::string_view host) const {
  std::lock_guard lock(mutex_);
  std::vector<CatalogEntry> out;
  std::string k(host);
  k.push_back('\0');
  for (auto it = series_.lower_bound(k); it != series_.end() && it->second->host == host; ++it) {
    const auto& s = *it->second;
    if (s.last_ms < s.first_ms) continue;  // never sampled
    out.push_back({s.key, s.metric, s.labels, s.unit, s.first_ms, s.last_ms});
  }
  return out;
}

void HistoryStore::record_outcome(bool ok, const std::string& what, const std::exception* e) {
  std::lock_guard lock(mutex_);
  report(ok, what, e);
}

StoreStats HistoryStore::stats() const {
  std::lock_guard lock(mutex_);
  StoreStats out = stats_;
  out.series = series_.size();
  std::uint64_t bytes = 0;
  for (const auto& [k, s] : series_) {
    if (s->raw) bytes += s->raw->byte_size();
    if (s->minutes) bytes += s->minutes->byte_size();
    if (s->hours) bytes += s->hours->byte_size();
  }
  out.open_bytes = bytes;
  return out;
}

QueryResult HistoryStore::query(storage::Database& reader, const QueryRequest& request, std::int64_t now_ms) const {
  if (request.points < 1 || request.points > settings_.max_points) {
    throw QueryError("points", fmt::format("points must be from 1 to {} (history.max_points)", settings_.max_points));
  }
  if (request.to_ms <= request.from_ms) throw QueryError("from", "from must be before to");
  if (request.selectors.empty()) throw QueryError("metric", "name at least one metric");
  const auto range = request.to_ms - request.from_ms;
  const auto wanted_step = (range + request.points - 1) / request.points;
  // The coarsest tier that still gives at least half the points asked for: a bucket of 43 min
  // (30 days in 1000 points) reads one hour point rather than 43 minute points.
  Tier tier = wanted_step < kMinute / 2 ? Tier::raw : (wanted_step < kHour / 2 ? Tier::minute : Tier::hour);
  if (tier == Tier::raw && request.from_ms < now_ms - settings_.raw_retention.count()) tier = Tier::minute;
  if (tier == Tier::minute && request.from_ms < now_ms - settings_.minute_retention.count()) tier = Tier::hour;

  struct Selected {
    const Series* series;
    std::vector<std::pair<std::int64_t, Bytes>> memory;  // chunks not (or not yet) in the file, by start
    std::optional<Point> partial;                        // the roll-up in progress
  };
  std::vector<Selected> selected;
  {
    std::lock_guard lock(mutex_);
    std::string prefix(request.host);
    prefix.push_back('\0');
    for (const auto& sel : request.selectors) {
      bool known = find_metric(sel.metric) != nullptr;
      for (auto it = series_.lower_bound(prefix); it != series_.end() && it->second->host == request.host; ++it) {
        const auto& s = *it->second;
        if (s.metric == sel.metric) known = true;
        if (!sel.matches(s.metric, s.labels)) continue;
        if (std::any_of(selected.begin(), selected.end(), [&](const auto& x) { return x.series == &s; })) continue;
        if (selected.size() >= settings_.max_query_series) {
          throw QueryError("metric", fmt::format("more than {} series match (history.max_query_series): "
                                                 "narrow the metrics with labels",
                                                 settings_.max_query_series));
        }
        Selected x{&s, {}, std::nullopt};
        for (const auto& c : sealing_) {
          if (c.series_id == s.id && c.tier == tier) x.memory.emplace_back(c.start_ms, c.data);
        }
        if (tier == Tier::raw && s.raw && !s.raw->empty()) x.memory.emplace_back(s.raw->min_ms(), s.raw->bytes());
        if (tier == Tier::minute && s.minutes && !s.minutes->empty()) x.memory.emplace_back(s.minutes_period, s.minutes->bytes());
        if (tier == Tier::hour && s.hours && !s.hours->empty()) x.memory.emplace_back(s.hours_period, s.hours->bytes());
        const Agg& agg = tier == Tier::minute ? s.minute : s.hour;
        if (tier != Tier::raw && agg.count > 0) {
          x.partial = Point{agg.start, static_cast<double>(agg.count), agg.min, agg.max, agg.sum};
        }
        selected.push_back(std::move(x));
      }
      if (!known) throw QueryError("metric", fmt::format("unknown metric '{}': see the history catalog", sel.metric));
    }
  }

  // Read and decode each series' chunks over the range.
  std::vector<std::vector<Point>> points(selected.size());
  // INDEXED BY: without statistics SQLite would take the age index (tier, end_ms) and read
  // every series' chunks of the range.
  auto st = reader.prepare(
      "SELECT start_ms, data FROM history_chunks INDEXED BY history_chunks_key "
      "WHERE series_id = ? AND tier = ? AND start_ms BETWEEN ? AND ? AND end_ms >= ?");
  const auto add_chunk = [&](std::vector<Point>& out, std::span<const unsigned char> bytes) {
    const auto chunk = decode_chunk(bytes);
    if (!chunk) return;  // a damaged chunk reads as a gap
    out.reserve(out.size() + chunk->size());
    for (std::size_t i = 0; i < chunk->size(); ++i) {
      const auto t = chunk->times_ms[i];
      if (t < request.from_ms - kHour || t > request.to_ms) continue;
      if (chunk->width == 1) {
        const double v = chunk->value(i);
        out.push_back({t, 1, v, v, v});
      } else {
        const double n = chunk->value(i, kRollupCount);
        out.push_back({t, n, chunk->value(i, kRollupMin), chunk->value(i, kRollupMax), chunk->value(i, kRollupMean) * n});
      }
    }
  };
  // A roll-up chunk's key is its period's start; its points run to the period's end.
  // How far before `from` a chunk holding points of the range may start: a roll-up chunk's
  // key is its period's start; a raw chunk spans a chunk_span (twice, for a late seal).
  const auto lookback = tier == Tier::raw ? std::max<std::int64_t>(2 * settings_.chunk_span.count(), kHour)
                                          : (tier == Tier::minute ? kMinutePeriod : kHourPeriod);
  for (std::size_t i = 0; i < selected.size(); ++i) {
    auto& x = selected[i];
    std::unordered_set<std::int64_t> in_memory;
    for (const auto& [start, bytes] : x.memory) {
      in_memory.insert(start);
      add_chunk(points[i], bytes);
    }
    st.bind(1, x.series->id).bind(2, static_cast<int>(tier)).bind(3, request.from_ms - lookback).bind(4, request.to_ms);
    st.bind(5, request.from_ms - kHour);  // a point before `from` may still fall in the first bucket
    while (st.step()) {
      if (in_memory.count(st.int64(0))) continue;
      const auto data = st.blob(1);
      add_chunk(points[i], data);
    }
    st.reset();
    if (x.partial) points[i].push_back(*x.partial);
    const auto by_time = [](const Point& a, const Point& b) { return a.t < b.t; };
    if (!std::is_sorted(points[i].begin(), points[i].end(), by_time)) {
      std::sort(points[i].begin(), points[i].end(), by_time);
    }
  }

  // The step: what was asked, but never finer than the data.
  std::int64_t resolution = tier == Tier::raw ? kSecond : (tier == Tier::minute ? kMinute : kHour);
  std::optional<std::int64_t> phase;
  if (tier == Tier::raw) {
    for (const auto& p : points) {
      std::vector<std::int64_t> deltas;
      for (std::size_t j = p.size() > 65 ? p.size() - 65 : 1; j < p.size(); ++j) {
        if (p[j].t > p[j - 1].t) deltas.push_back(p[j].t - p[j - 1].t);
      }
      if (deltas.empty()) continue;
      std::nth_element(deltas.begin(), deltas.begin() + static_cast<std::ptrdiff_t>(deltas.size() / 2), deltas.end());
      // A median of 1001 ms is a 1 s series with jitter.
      auto typical = deltas[deltas.size() / 2];
      if (typical >= kSecond) typical = (typical + 50) / 100 * 100;
      resolution = std::max(resolution, typical);
      if (!phase) phase = p.back().t;
    }
  }
  std::int64_t step = std::max(wanted_step, resolution);
  step = (step + resolution - 1) / resolution * resolution;
  // Raw buckets are centred on the samples (a sample a few milliseconds late stays in its
  // bucket); roll-up buckets start on multiples of the step.
  const std::int64_t offset = phase ? floor_to(*phase - step / 2, step) - (*phase - step / 2) : 0;
  const std::int64_t origin = floor_to(request.from_ms + offset, step) - offset;
  const auto buckets = static_cast<std::size_t>((request.to_ms - origin) / step + 1);

  QueryResult out;
  out.tier = tier;
  out.step_ms = step;
  out.times_ms.reserve(buckets);
  for (std::size_t b = 0; b < buckets; ++b) {
    const auto start = origin + static_cast<std::int64_t>(b) * step;
    out.times_ms.push_back(tier == Tier::raw ? start + step / 2 : start);
  }
  for (std::size_t i = 0; i < selected.size(); ++i) {
    const auto& s = *selected[i].series;
    SeriesResult r{s.key, s.metric, s.labels, s.unit, {}, {}, {}};
    std::vector<Point> acc(buckets, Point{0, 0, 0, 0, 0});
    for (const auto& p : points[i]) {
      if (p.t < origin) continue;
      const auto b = static_cast<std::size_t>((p.t - origin) / step);
      if (b >= buckets) continue;
      auto& a = acc[b];
      if (!std::isfinite(p.sum)) {
        if (a.count == 0) a = p;  // NaN or an infinity shows as it is, unless numbers share its bucket
        continue;
      }
      if (a.count == 0 || !std::isfinite(a.sum)) {
        a = p;
      } else {
        a.count += p.count;
        a.min = std::min(a.min, p.min);
        a.max = std::max(a.max, p.max);
        a.sum += p.sum;
      }
    }
    r.avg.resize(buckets);
    r.min.resize(buckets);
    r.max.resize(buckets);
    for (std::size_t b = 0; b < buckets; ++b) {
      const auto& a = acc[b];
      if (a.count == 0) continue;  // a gap stays a gap
      r.avg[b] = a.sum / a.count;
      r.min[b] = a.min;
      r.max[b] = a.max;
    }
    out.series.push_back(std::move(r));
  }
  return out;
}

}  // namespace hyperion::history
