#include "hyperion/storage/audit.hpp"

#include <fmt/format.h>

#include <iterator>

namespace hyperion::storage {

namespace {

constexpr std::string_view kAudit1 = R"sql(
CREATE TABLE IF NOT EXISTS audit (
  id INTEGER PRIMARY KEY,
  time_ms INTEGER NOT NULL,
  user TEXT,
  source TEXT NOT NULL DEFAULT '',
  action TEXT NOT NULL,
  target TEXT,
  outcome TEXT NOT NULL,
  detail TEXT,
  count INTEGER NOT NULL DEFAULT 1,
  last_ms INTEGER
) STRICT;
CREATE INDEX IF NOT EXISTS audit_time ON audit(time_ms);
CREATE INDEX IF NOT EXISTS audit_user ON audit(user, time_ms);
CREATE INDEX IF NOT EXISTS audit_action ON audit(action, time_ms);
CREATE INDEX IF NOT EXISTS audit_outcome ON audit(outcome, time_ms);
)sql";

constexpr Migration kAuditMigrations[] = {
    {1, "the audit log's own table (made by auth's migrations 1 and 2 before)", kAudit1},
};

}  // namespace

ModuleSchema audit_schema() { return ModuleSchema{"audit", kAuditMigrations, false}; }

AuditLog::AuditLog(Database& db, AuditSettings settings, Clock now_ms)
    : db_(db), settings_(std::move(settings)), now_(std::move(now_ms)) {}

void AuditLog::record(const std::optional<std::string>& user, const std::string& source, std::string_view action,
                      const std::optional<std::string>& target, std::string_view outcome,
                      const std::optional<std::string>& detail) {
  db_.prepare("INSERT INTO audit (time_ms, user, source, action, target, outcome, detail) VALUES (?, ?, ?, ?, ?, ?, ?)")
      .bind(1, now_())
      .bind(2, user)
      .bind(3, source)
      .bind(4, action)
      .bind(5, target)
      .bind(6, outcome)
      .bind(7, detail)
      .run();
}

void AuditLog::record_repeated(const std::optional<std::string>& user, const std::string& source,
                               std::string_view action, std::string_view outcome, const std::string& detail) {
  const auto now = now_();
  const auto key = fmt::format("{}\x1f{}\x1f{}\x1f{}\x1f{}", user.value_or(""), source, action, outcome, detail);
  auto it = repeated_.find(key);
  if (it != repeated_.end() && now - it->second.window_start_ms < settings_.aggregate_window.count()) {
    auto& r = it->second;
    ++r.count;
    r.last_ms = now;
    return;  // written by flush(), every second
  }
  if (it != repeated_.end()) {
    // The window is over: its row gets its final count; this event starts a new row.
    auto& r = it->second;
    if (r.count != r.written) {
      db_.prepare("UPDATE audit SET count = ?, last_ms = ? WHERE id = ?").bind(1, r.count).bind(2, r.last_ms).bind(3, r.row).run();
    }
    repeated_.erase(it);
  }
  record(user, source, action, std::nullopt, outcome, detail);
  repeated_[key] = Repeated{db_.last_insert_rowid(), now, 1, 1, now};
  // Bounded: windows that ended are flushed and forgotten.
  if (repeated_.size() > 4096) flush();
}

void AuditLog::flush() {
  const auto now = now_();
  for (auto it = repeated_.begin(); it != repeated_.end();) {
    auto& r = it->second;
    if (r.count != r.written) {
      db_.prepare("UPDATE audit SET count = ?, last_ms = ? WHERE id = ?").bind(1, r.count).bind(2, r.last_ms).bind(3, r.row).run();
      r.written = r.count;
    }
    it = now - r.window_start_ms >= settings_.aggregate_window.count() ? repeated_.erase(it) : std::next(it);
  }
}

void AuditLog::prune() {
  flush();
  const auto now = now_();
  db_.prepare("DELETE FROM audit WHERE time_ms < ?").bind(1, now - settings_.retention.count()).run();
  auto c = db_.prepare("SELECT count(*) FROM audit");
  c.step();
  auto excess = c.int64(0) - settings_.max_rows;
  c.reset();
  if (excess > 0) {
    db_.prepare(
           "DELETE FROM audit WHERE id IN (SELECT id FROM audit WHERE action = ? AND outcome != 'success' "
           "ORDER BY time_ms, id LIMIT ?)")
        .bind(1, settings_.expendable_action)
        .bind(2, excess)
        .run();
    excess -= db_.changes();
    if (excess > 0) {
      db_.prepare("DELETE FROM audit WHERE id IN (SELECT id FROM audit ORDER BY time_ms, id LIMIT ?)").bind(1, excess).run();
    }
  }
  // Rows of aggregates that were deleted are no longer updated.
  for (auto it = repeated_.begin(); it != repeated_.end();) {
    auto s = db_.prepare("SELECT 1 FROM audit WHERE id = ?");
    s.bind(1, it->second.row);
    it = s.step() ? std::next(it) : repeated_.erase(it);
  }
}

AuditPage AuditLog::query(const AuditQuery& q) {
  flush();  // the counts as they are now
  std::string where = "WHERE 1";
  std::vector<std::function<void(Statement&, int)>> binds;
  const auto add = [&](std::string clause, auto value) {
    where += " AND " + clause;
    binds.push_back([value](Statement& s, int i) { s.bind(i, value); });
  };
  if (q.user) add("user = ?", *q.user);
  if (q.action) {
    if (q.action->ends_with('.')) add("instr(action, ?) = 1", *q.action);
    else add("action = ?", *q.action);
  }
  if (q.outcome) add("outcome = ?", *q.outcome);
  if (q.since_ms) add("time_ms >= ?", *q.since_ms);
  if (q.until_ms) add("time_ms < ?", *q.until_ms);
  AuditPage page;
  auto count = db_.prepare("SELECT count(*) FROM audit " + where);
  for (std::size_t i = 0; i < binds.size(); ++i) binds[i](count, static_cast<int>(i + 1));
  count.step();
  page.total = count.int64(0);
  auto s = db_.prepare(fmt::format("SELECT id, time_ms, user, source, action, target, outcome, detail, count, last_ms FROM audit {} "
                                   "ORDER BY time_ms DESC, id DESC LIMIT {} OFFSET {}",
                                   where, q.limit, q.offset));
  for (std::size_t i = 0; i < binds.size(); ++i) binds[i](s, static_cast<int>(i + 1));
  while (s.step()) {
    page.entries.push_back(AuditEntry{s.int64(0), s.int64(1), s.optional_text(2), s.text(3), s.text(4),
                                      s.optional_text(5), s.text(6), s.optional_text(7), s.int64(8), s.optional_int64(9)});
  }
  return page;
}

}  // namespace hyperion::storage
