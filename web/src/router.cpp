#include "hyperion/web/router.hpp"

#include <algorithm>

namespace hyperion::web {

std::string_view to_string(const Access& access) { return access ? auth::to_string(*access) : "public"; }
namespace {

// Splits "/a/b/c" into segments; "" and "/" give none. A trailing slash is not a segment.
std::vector<std::string_view> segments(std::string_view path) {
  std::vector<std::string_view> out;
  std::size_t i = 0;
  while (i < path.size()) {
    while (i < path.size() && path[i] == '/') ++i;
    if (i == path.size()) break;
    const auto j = path.find('/', i);
    const auto end = j == std::string_view::npos ? path.size() : j;
    out.push_back(path.substr(i, end - i));
    i = end;
  }
  return out;
}

bool match_pattern(std::string_view pattern, std::string_view path, RouteParams& params) {
  const auto want = segments(pattern);
  const auto have = segments(path);
  if (want.size() != have.size()) return false;
  params.values.clear();
  for (std::size_t i = 0; i < want.size(); ++i) {
    const auto w = want[i];
    if (w.size() > 2 && w.front() == '{' && w.back() == '}') {
      params.values.emplace_back(std::string(w.substr(1, w.size() - 2)), std::string(have[i]));
    } else if (w != have[i]) {
      return false;
    }
  }
  return true;
}

}  // namespace

std::string_view RouteParams::get(std::string_view name) const noexcept {
  for (const auto& [k, v] : values) {
    if (k == name) return v;
  }
  return {};
}

void Router::add(Route route) { routes_.push_back(std::move(route)); }

RouteMatch Router::match(std::string_view method, std::string_view path) const {
  RouteMatch m;
  std::vector<std::string> allowed;
  RouteParams params;
  for (const auto& r : routes_) {
    if (!match_pattern(r.pattern, path, params)) continue;
    const bool ok = r.method == method || (method == "HEAD" && r.method == "GET");
    if (ok) {
      m.route = &r;
      m.params = std::move(params);
      m.status = 200;
      return m;
    }
    allowed.push_back(r.method);
    if (r.method == "GET") allowed.emplace_back("HEAD");
  }
  if (allowed.empty()) {
    m.status = 404;
    return m;
  }
  std::sort(allowed.begin(), allowed.end());
  allowed.erase(std::unique(allowed.begin(), allowed.end()), allowed.end());
  m.status = 405;
  for (const auto& a : allowed) {
    if (!m.allow.empty()) m.allow += ", ";
    m.allow += a;
  }
  return m;
}

}  // namespace hyperion::web
