// libFuzzer target: the JSON request bodies of the account routes (web/src/auth_api.cpp):
// nlohmann's parser as the routes call it (json::parse(body, nullptr, false)), then the strict
// field checks of each route's table (only these keys, each of its type and length, the
// required ones present), then the typed reads the handlers do on a body that passed.
//
// TODO: the checker is read_body() in an anonymous namespace of web/src/auth_api.cpp, so its
// logic is copied below (check_body). Once it is exposed (e.g. as
// `std::optional<HttpResponse> read_body(const HttpRequest&, std::initializer_list<BodyField>,
// json&, bool)` in web/auth_api.hpp), call it from check_route() instead of check_body() and
// take the route tables from there too, so that this target cannot drift from the routes.
#include <nlohmann/json.hpp>

#include <initializer_list>
#include <optional>
#include <string>

#include "hyperion/auth/service.hpp"

#include "fuzz_support.hpp"

using json = nlohmann::json;

namespace {

struct Field {
  std::string_view name;
  json::value_t type;  // string, boolean, number_unsigned
  bool required = false;
  std::size_t max_length = 1024;
};
using Fields = std::initializer_list<Field>;

// The copy of read_body's checks: nullopt when the body is acceptable, else the reason.
std::optional<std::string> check_body(std::string_view text, Fields fields, json& out, bool body_optional) {
  if (text.empty() && body_optional) {
    out = json::object();
    return std::nullopt;
  }
  out = json::parse(text, nullptr, false);
  if (out.is_discarded() || !out.is_object()) return "not an object";
  for (const auto& [key, value] : out.items()) {
    const Field* f = nullptr;
    for (const auto& candidate : fields) {
      if (candidate.name == key) f = &candidate;
    }
    if (!f) return "unknown field";
    const bool ok = f->type == json::value_t::string            ? value.is_string()
                    : f->type == json::value_t::boolean         ? value.is_boolean()
                    : f->type == json::value_t::number_unsigned ? value.is_number_unsigned()
                                                                : false;
    if (!ok) return "wrong type";
    if (value.is_string() && value.get_ref<const std::string&>().size() > f->max_length) return "too long";
  }
  for (const auto& f : fields) {
    if (f.required && !out.contains(f.name)) return "missing";
  }
  return std::nullopt;
}

// What the handlers read from a body that passed: every field by its declared type.
void read_fields(const json& body, Fields fields) {
  for (const auto& f : fields) {
    if (!body.contains(f.name)) {
      HYPERION_FUZZ_CHECK(!f.required);
      continue;
    }
    const auto& value = body[f.name];
    if (f.type == json::value_t::string) {
      const auto s = value.get<std::string>();
      HYPERION_FUZZ_CHECK(s.size() <= f.max_length);
      if (f.name == "role") (void)hyperion::auth::parse_role(s);
    } else if (f.type == json::value_t::boolean) {
      (void)value.get<bool>();
    } else {
      (void)value.get<std::uint64_t>();
    }
  }
}

void check_route(std::string_view text, Fields fields, bool body_optional = false) {
  json body;
  if (check_body(text, fields, body, body_optional)) return;  // 400 bad-body
  HYPERION_FUZZ_CHECK(body.is_object());
  read_fields(body, fields);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto text = hyperion::fuzz::as_text(data, size);
  constexpr auto kString = json::value_t::string;
  constexpr auto kBool = json::value_t::boolean;
  constexpr auto kUnsigned = json::value_t::number_unsigned;
  // The tables of web/src/auth_api.cpp's routes, route by route.
  check_route(text, {{"username", kString, true, 64}, {"password", kString, true, 1024}, {"otp", kString, false, 32}});
  check_route(text, {{"refresh_token", kString, false, 128}}, true);
  check_route(text, {{"current_password", kString, true, 1024}, {"new_password", kString, true, 1024}});
  check_route(text, {{"password", kString, true, 1024}});
  check_route(text, {{"code", kString, true, 16}});
  check_route(text, {{"name", kString, true, 64}, {"role", kString, false, 16}, {"expires_in_days", kUnsigned, false},
                     {"password", kString, true, 1024}});
  check_route(text, {{"name", kString, true, 64}, {"display_name", kString, false, 128}, {"role", kString, true, 16},
                     {"password", kString, true, 1024}, {"must_change_password", kBool, false}});
  check_route(text, {{"display_name", kString, false, 128}, {"role", kString, false, 16}, {"enabled", kBool, false}});
  check_route(text, {{"password", kString, true, 1024}, {"temporary", kBool, false}});
  return 0;
}
