#include "hyperion/web/request_body.hpp"

#include <fmt/format.h>

namespace hyperion::web {
namespace {

using nlohmann::json;

HttpResponse bad_body(const std::string& detail) { return problem(400, "bad-body", "Bad request body", detail); }

}  // namespace

std::optional<HttpResponse> read_json_body(const HttpRequest& req, std::initializer_list<BodyField> fields, json& out,
                                           bool body_optional) {
  if (req.body.empty() && body_optional) {
    out = json::object();
    return std::nullopt;
  }
  const auto type = req.header("content-type");
  if (!type.starts_with("application/json")) {
    return problem(415, "unsupported-media-type", "Unsupported media type",
                   fmt::format("send the body as application/json (got '{}')", type));
  }
  out = json::parse(req.body, nullptr, false);
  if (out.is_discarded() || !out.is_object()) return bad_body("the body is not a JSON object");
  for (const auto& [key, value] : out.items()) {
    const BodyField* f = nullptr;
    for (const auto& candidate : fields) {
      if (candidate.name == key) f = &candidate;
    }
    if (!f) {
      std::string known;
      for (const auto& candidate : fields) known += (known.empty() ? "" : ", ") + std::string(candidate.name);
      return bad_body(fmt::format("unknown field '{}'; fields: {}", key, known));
    }
    const bool ok = f->type == json::value_t::string           ? value.is_string()
                    : f->type == json::value_t::boolean        ? value.is_boolean()
                    : f->type == json::value_t::number_unsigned ? value.is_number_unsigned()
                                                               : false;
    if (!ok) {
      const auto* what = f->type == json::value_t::string    ? "a string"
                         : f->type == json::value_t::boolean ? "true or false"
                                                             : "a whole number";
      return bad_body(fmt::format("'{}' must be {}", key, what));
    }
    if (value.is_string() && value.get_ref<const std::string&>().size() > f->max_length) {
      return bad_body(fmt::format("'{}' is longer than {} bytes", key, f->max_length));
    }
  }
  for (const auto& f : fields) {
    if (f.required && !out.contains(f.name)) return bad_body(fmt::format("'{}' is required", f.name));
  }
  return std::nullopt;
}

}  // namespace hyperion::web
