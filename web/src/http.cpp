#include "hyperion/web/http.hpp"

#include <cctype>

#include <nlohmann/json.hpp>

namespace hyperion::web {
namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i]))) return false;
  }
  return true;
}

}  // namespace

bool accepts_gzip(std::string_view header) {
  return any_list_item(header, ',', [](std::string_view item) {
    const auto semi = item.find(';');
    const auto coding = trim_blanks(item.substr(0, semi));
    if (!iequals(coding, "gzip") && coding != "*") return false;
    if (semi == std::string_view::npos) return true;
    const auto params = item.substr(semi + 1);
    std::size_t q = std::string_view::npos;
    for (std::size_t i = 0; i + 1 < params.size(); ++i) {
      if ((params[i] == 'q' || params[i] == 'Q') && params[i + 1] == '=') {
        q = i;
        break;
      }
    }
    if (q == std::string_view::npos) return true;
    const auto value = trim_blanks(params.substr(q + 2));
    // q=0, q=0.0, q=0.000 mean "not acceptable"
    return !value.empty() && value.find_first_not_of("0.") != std::string_view::npos;
  });
}

bool HttpResponse::has_header(std::string_view name) const noexcept {
  for (const auto& [k, v] : headers) {
    if (iequals(k, name)) return true;
  }
  return false;
}

std::string_view HttpRequest::cookie(std::string_view name) const noexcept {
  std::string_view value;
  for (const auto& [k, v] : headers) {
    if (k != "cookie") continue;
    const bool found = any_list_item(v, ';', [&](std::string_view pair) {
      const auto eq = pair.find('=');
      if (eq == std::string_view::npos || pair.substr(0, eq) != name) return false;
      value = pair.substr(eq + 1);
      return true;
    });
    if (found) return value;
  }
  return {};
}

std::string_view HttpRequest::header(std::string_view name) const noexcept {
  for (const auto& [k, v] : headers) {
    if (k == name) return v;
  }
  return {};
}

HttpResponse problem(int status, std::string_view type, std::string_view title, std::string_view detail) {
  nlohmann::ordered_json j{{"type", std::string("https://hyperion.invalid/problems/") + std::string(type)},
                           {"title", title},
                           {"status", status},
                           {"detail", detail}};
  HttpResponse r;
  r.status = status;
  r.content_type = "application/problem+json";
  r.body = j.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
  return r;
}

bool percent_decode(std::string_view in, std::string& out, bool plus_is_space) {
  out.clear();
  out.reserve(in.size());
  for (std::size_t i = 0; i < in.size(); ++i) {
    const char c = in[i];
    if (c == '%') {
      if (i + 2 >= in.size()) return false;
      const int hi = hex_value(in[i + 1]), lo = hex_value(in[i + 2]);
      if (hi < 0 || lo < 0) return false;
      out.push_back(static_cast<char>(hi * 16 + lo));
      i += 2;
    } else if (c == '+' && plus_is_space) {
      out.push_back(' ');
    } else {
      out.push_back(c);
    }
  }
  return true;
}

bool parse_query(std::string_view query, QueryParams& out) {
  out.clear();
  while (!query.empty()) {
    const auto amp = query.find('&');
    const auto part = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
    if (part.empty()) continue;
    const auto eq = part.find('=');
    std::string key, value;
    if (!percent_decode(part.substr(0, eq), key, true)) return false;
    if (eq != std::string_view::npos && !percent_decode(part.substr(eq + 1), value, true)) return false;
    out.emplace_back(std::move(key), std::move(value));
  }
  return true;
}

}  // namespace hyperion::web
