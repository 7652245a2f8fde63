#include "dispatch.hpp"

#include <fmt/format.h>

#include "hyperion/auth/crypto.hpp"
#include "hyperion/storage/database.hpp"

namespace hyperion::web {
namespace {

// SQLite's primary result codes for a file system that cannot take writes.
constexpr int kSqliteReadOnly = 8, kSqliteIoErr = 10, kSqliteFull = 13;

}  // namespace

HttpResponse no_route(const RouteMatch& match, const HttpRequest& hr) {
  if (match.status == 405) {
    auto r = problem(405, "method-not-allowed", "Method not allowed",
                     fmt::format("{} is not allowed on {}; allowed: {}", hr.method, hr.path, match.allow));
    r.headers.emplace_back("Allow", match.allow);
    return r;
  }
  return problem(404, "not-found", "Not found", fmt::format("no route for {}", hr.path));
}

HttpResponse call_handler(const Route& route, const HttpRequest& hr, const RouteParams& params,
                          const std::function<void(const std::string&)>& error_log) {
  try {
    return route.handler(hr, params);
  } catch (const storage::StorageError& e) {
    // The database cannot write (a full disk, a read-only or failing file system): the
    // request was fine and may succeed later. The log says why, once per incident.
    const int primary = e.code() & 0xff;
    if (primary == kSqliteFull || primary == kSqliteIoErr || primary == kSqliteReadOnly) {
      const auto incident = auth::random_token(6);
      if (error_log) error_log(fmt::format("{} {}: storage unavailable {}: {}", hr.method, hr.path, incident, e.what()));
      auto r = problem(503, "storage-unavailable", "Storage unavailable",
                       fmt::format("the database cannot write now ({}; incident {}): live data is still served; try "
                                   "again later",
                                   primary == kSqliteFull ? "the disk is full" : "the file system fails", incident));
      r.headers.emplace_back("Retry-After", "30");
      return r;
    }
    const auto incident = auth::random_token(6);
    if (error_log) error_log(fmt::format("{} {}: internal error {}: {}", hr.method, hr.path, incident, e.what()));
    return problem(500, "internal-error", "Internal error",
                   fmt::format("the server failed to answer (incident {}); its log has the details", incident));
  } catch (const std::exception& e) {
    const auto incident = auth::random_token(6);
    if (error_log) error_log(fmt::format("{} {}: internal error {}: {}", hr.method, hr.path, incident, e.what()));
    return problem(500, "internal-error", "Internal error",
                   fmt::format("the server failed to answer (incident {}); its log has the details", incident));
  }
}

}  // namespace hyperion::web
