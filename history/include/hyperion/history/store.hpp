#pragma once

// The time-series store. Each series (host, metric, labels) has three tiers:
//
//   raw      every sample, in chunks sealed at chunk_span boundaries of the wall clock;
//   minute   one point per minute (count, min, max, mean), chunks of 6 hours;
//   hour     one point per hour, from the minutes, chunks of 7 days.
//
// Between two seals the samples live in memory (the open chunks) and in the journal: every
// batch_interval the frames added since the last write are appended to history_journal as
// one row, and a restart replays them. A seal writes the raw chunks, rewrites the open
// minute and hour chunks, and empties the journal, in one transaction. So a kill loses at
// most the last batch, and never leaves half a chunk.
//
// Threads: add() on the writer's (the bus sink's); write_journal(), seal(), maintain() on
// the database's; query() and catalog() on the history reader's, with its own connection.
// The in-memory part is under one mutex, held briefly.

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "hyperion/collectors/snapshot.hpp"
#include "hyperion/history/catalog.hpp"
#include "hyperion/history/codec.hpp"
#include "hyperion/history/settings.hpp"
#include "hyperion/storage/database.hpp"

namespace hyperion::history {

enum class Tier : std::uint8_t { raw = 0, minute = 1, hour = 2 };

// A family's times put on its grid: a time within a tenth of the interval of the expected one
// (the previous plus the previous step) becomes the expected one, so that a regular series
// costs one bit per timestamp; a jump (a late tick, a clock step) is kept as it is.
struct TimeGrid {
  std::int64_t last = 0, delta = 0;
  std::int64_t put(std::int64_t t) noexcept {
    if (last != 0) {
      const auto expected = last + delta;
      if (delta > 0 && (t > expected ? t - expected : expected - t) <= delta / 10) t = expected;
      delta = t - last;
    }
    last = t;
    return t;
  }
};
const char* to_string(Tier t) noexcept;

// The history module's migrations (module "history").
storage::ModuleSchema history_schema();

struct CatalogEntry {
  std::string key;
  std::string metric;
  Labels labels;
  std::string unit;
  std::int64_t first_ms = 0;
  std::int64_t last_ms = 0;
};

struct QueryRequest {
  std::string host;
  std::vector<Selector> selectors;
  std::int64_t from_ms = 0;
  std::int64_t to_ms = 0;
  std::uint32_t points = 500;
};

struct SeriesResult {
  std::string key;
  std::string metric;
  Labels labels;
  std::string unit;
  std::vector<std::optional<double>> avg, min, max;
};

struct QueryResult {
  Tier tier = Tier::raw;
  std::int64_t step_ms = 0;
  std::vector<std::int64_t> times_ms;  // raw: the samples' times; roll-ups: each interval's start
  std::vector<SeriesResult> series;
};

class QueryError : public std::runtime_error {
 public:
  QueryError(std::string parameter, const std::string& what) : std::runtime_error(what), parameter_(std::move(parameter)) {}
  const std::string& parameter() const noexcept { return parameter_; }

 private:
  std::string parameter_;
};

struct StoreStats {
  std::uint64_t samples_added = 0;
  std::uint64_t series = 0;
  std::uint64_t series_refused = 0;   // over max_series
  std::uint64_t journal_writes = 0;
  std::uint64_t seals = 0;
  std::uint64_t write_failures = 0;
  std::uint64_t chunks_pruned = 0;
  std::uint64_t open_bytes = 0;        // the open chunks' bytes in memory
};

class HistoryStore {
 public:
  using Log = std::function<void(int level, const std::string&)>;  // 0 error, 1 warn, 2 info

  explicit HistoryStore(HistorySettings settings, Log log = {});
  ~HistoryStore();
  HistoryStore(const HistoryStore&) = delete;
  HistoryStore& operator=(const HistoryStore&) = delete;

  // Database thread, before anything else: loads the series and the open roll-up chunks and
  // replays the journal. The schema must be migrated.
  void open(storage::Database& db);

  // Writer thread: the values of the families the snapshot refreshed.
  void add(const collectors::Snapshot& snapshot, collectors::FamilySet families);
  // One value (tests, replays): host, metric key, time, value.
  void add_value(std::string_view host, const MetricInfo& metric, const std::string& key, std::int64_t time_ms,
                 double value);

  // Database thread. Each catches its own failures: the first is logged, the rest counted,
  // and the next success logs the recovery. False when it failed.
  bool write_journal(storage::Database& db);
  // Seals every open raw chunk, then closes the minutes before `now_ms` (a minute boundary).
  bool seal(storage::Database& db, std::int64_t now_ms);
  // One small step of retention and of the size budget; true when there is more to do.
  bool maintain(storage::Database& db, std::int64_t now_ms);
  // The next chunk_span boundary after `now_ms`.
  std::int64_t next_seal_ms(std::int64_t now_ms) const;

  // Reader thread (any connection to the same file).
  QueryResult query(storage::Database& reader, const QueryRequest& request, std::int64_t now_ms) const;
  std::vector<CatalogEntry> catalog(std::string_view host) const;
  std::vector<std::string> hosts() const;
  bool has_host(std::string_view host) const;

  // The outcome of a database write made for the history outside the store (the process
  // lists): failures are logged once, like the store's own.
  void record_outcome(bool ok, const std::string& what, const std::exception* e);

  StoreStats stats() const;
  const HistorySettings& settings() const noexcept { return settings_; }

 private:
  struct Series;
  struct Frame;
  struct Sealing;
  Series* find_or_create(std::string_view host, const MetricInfo& metric, const std::string& key);
  void append(Series& s, std::int64_t t, double v, bool journal);
  void close_minute(Series& s);
  void close_hour(Series& s);
  void report(bool ok, const std::string& what, const std::exception* e);
  void insert_new_series(storage::Database& db);

  HistorySettings settings_;
  Log log_;
  mutable std::mutex mutex_;
  std::map<std::string, std::unique_ptr<Series>, std::less<>> series_;  // host '\0' key
  std::unordered_map<std::int64_t, Series*> by_id_;
  std::int64_t next_id_ = 1;
  std::vector<std::int64_t> unsaved_series_;
  std::vector<Frame> frames_;  // not yet in the journal
  std::vector<Sealing> sealing_;  // taken from the open chunks, not yet committed
  std::map<std::pair<std::string, int>, TimeGrid> grids_;  // per host and family
  StoreStats stats_;
  bool failing_ = false;
  std::size_t max_row_bytes_ = 960;  // from the file's page size, at open()
};

}  // namespace hyperion::history
