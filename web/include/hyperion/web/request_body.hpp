#pragma once

// Strict JSON request bodies: a JSON object with only the listed keys, each of its type and
// length, the required ones present. Every route that takes a body reads it through here (and
// fuzz/fuzz_json_body.cpp fuzzes it).

#include <cstddef>
#include <initializer_list>
#include <optional>
#include <string_view>

#include <nlohmann/json.hpp>

#include "hyperion/web/http.hpp"

namespace hyperion::web {

struct BodyField {
  std::string_view name;
  nlohmann::json::value_t type;  // string, boolean, number_unsigned (a whole number >= 0)
  bool required = false;
  std::size_t max_length = 1024;  // strings, in bytes
};

// Fills `out` and returns nullopt when the body is acceptable; otherwise the response to send
// (415 for another Content-Type, 400 naming what is wrong). An empty body is `{}` when
// `body_optional`.
std::optional<HttpResponse> read_json_body(const HttpRequest& request, std::initializer_list<BodyField> fields,
                                           nlohmann::json& out, bool body_optional = false);

}  // namespace hyperion::web
