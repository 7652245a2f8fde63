// AuthService: its part of the audit log (pruning its own login failures), and the health check.
#include "hyperion/auth/service.hpp"

#include <functional>
#include <iterator>

#include "service_detail.hpp"

namespace hyperion::auth {

using namespace detail;
using storage::Statement;

// --- audit (the log itself is storage::AuditLog)

void AuthService::prune_audit() {
  audit_.prune();
  // Failed logins the throttle has forgotten.
  db_.prepare("DELETE FROM login_failures WHERE max(last_ms, blocked_until_ms) < ?")
      .bind(1, now_() - settings_.lockout.count())
      .run();
}

bool AuthService::database_ok() {
  try {
    auto s = db_.prepare("SELECT count(*) FROM users");
    return s.step();
  } catch (const std::exception&) {
    return false;
  }
}

}  // namespace hyperion::auth
