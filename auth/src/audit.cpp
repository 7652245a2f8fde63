// AuthService: the audit log.
#include "hyperion/auth/service.hpp"

#include <functional>

#include "service_detail.hpp"

namespace hyperion::auth {

using namespace detail;
using storage::Statement;

// --- audit

void AuthService::audit(const std::optional<std::string>& user, const std::string& source, std::string_view action,
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

AuditPage AuthService::query_audit(const AuditQuery& q) {
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
  auto s = db_.prepare(fmt::format("SELECT id, time_ms, user, source, action, target, outcome, detail FROM audit {} "
                                   "ORDER BY time_ms DESC, id DESC LIMIT {} OFFSET {}",
                                   where, q.limit, q.offset));
  for (std::size_t i = 0; i < binds.size(); ++i) binds[i](s, static_cast<int>(i + 1));
  while (s.step()) {
    page.entries.push_back(AuditEntry{s.int64(0), s.int64(1), s.optional_text(2), s.text(3), s.text(4),
                                      s.optional_text(5), s.text(6), s.optional_text(7)});
  }
  return page;
}

}  // namespace hyperion::auth
