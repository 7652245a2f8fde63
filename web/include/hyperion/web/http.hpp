#pragma once

// Our own request/response types, so that handlers, the router and their tests never
// see Beast. The server converts at the edge.

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "hyperion/auth/service.hpp"

namespace hyperion::web {

struct HttpRequest {
  std::string method;  // "GET", "HEAD", ...
  std::string path;    // decoded path, without the query
  std::string query;   // raw query string, without '?'
  std::vector<std::pair<std::string, std::string>> headers;  // names lower-cased
  std::string body;
  std::string remote_address;  // the peer's IP address, as text
  // Who sent it, when the request carried valid credentials (set by the server before the
  // handler runs; always set for routes that need a role).
  std::optional<auth::Principal> principal;
  bool via_cookie = false;     // the credentials came in the session cookie (a browser)

  // The first value of a header (name in lower case), or empty.
  std::string_view header(std::string_view name) const noexcept;
  // A cookie's value from the Cookie header, or empty.
  std::string_view cookie(std::string_view name) const noexcept;
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  // When set, served instead of `body` without a copy (a cached serialisation shared by
  // every client); the server may also cache its gzip form by this pointer.
  std::shared_ptr<const std::string> shared_body;
  // When set, served instead of both: bytes that live as long as the program (the embedded
  // dashboard). A response that sets Content-Encoding itself is sent as it is, never re-encoded.
  std::string_view static_body;
  std::vector<std::pair<std::string, std::string>> headers;  // extra headers

  std::string_view payload() const noexcept {
    if (static_body.data() != nullptr) return static_body;
    return shared_body ? std::string_view(*shared_body) : body;
  }
  bool has_header(std::string_view name) const noexcept;
};

// RFC 9457 problem details: {"type", "title", "status", "detail"} as application/problem+json.
// `type` is a stable identifier (a URI reference relative to the API, e.g. "not-found").
HttpResponse problem(int status, std::string_view type, std::string_view title, std::string_view detail);

using QueryParams = std::vector<std::pair<std::string, std::string>>;
// Query string parameters, percent-decoded ('+' is a space), duplicates kept in order.
// False on a malformed escape ("%zz", a truncated "%4"): the caller answers 400.
bool parse_query(std::string_view query, QueryParams& out);

// A header value without its leading and trailing blanks (spaces, tabs).
inline std::string_view trim_blanks(std::string_view s) noexcept {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// Calls f with each item of a list ("a, b", "k=v; k2=v2"), trimmed, empty items skipped,
// until f returns true; returns whether it did. Allocates nothing (it runs on every request).
template <class F>
bool any_list_item(std::string_view list, char separator, F&& f) {
  while (!list.empty()) {
    const auto at = list.find(separator);
    const auto item = trim_blanks(list.substr(0, at));
    list = at == std::string_view::npos ? std::string_view{} : list.substr(at + 1);
    if (!item.empty() && f(item)) return true;
  }
  return false;
}

// True when an Accept-Encoding value allows gzip (RFC 9110 12.5.3): "gzip" or "*" without q=0.
bool accepts_gzip(std::string_view accept_encoding);

// Percent-decodes a path or query component; false on a bad escape.
bool percent_decode(std::string_view in, std::string& out, bool plus_is_space);

}  // namespace hyperion::web
