// libFuzzer target: the JSON request bodies of the account routes (web/src/auth_api.cpp):
// nlohmann's parser as the routes call it (json::parse(body, nullptr, false)), then the strict
// field checks of each route's table (only these keys, each of its type and length, the
// required ones present), then the typed reads the handlers do on a body that passed.
//
// The checker is the routes' own, web::read_json_body (web/request_body.hpp).
#include <nlohmann/json.hpp>

#include <initializer_list>
#include <optional>
#include <string>

#include "hyperion/auth/service.hpp"
#include "hyperion/web/request_body.hpp"

#include "fuzz_support.hpp"

using json = nlohmann::json;

namespace {

using Field = hyperion::web::BodyField;
using Fields = std::initializer_list<Field>;

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

void check_route(const hyperion::web::HttpRequest& request, Fields fields, bool body_optional = false) {
  json body;
  if (const auto refused = hyperion::web::read_json_body(request, fields, body, body_optional)) {
    HYPERION_FUZZ_CHECK(refused->status == 400 || refused->status == 415);
    return;
  }
  HYPERION_FUZZ_CHECK(body.is_object());
  read_fields(body, fields);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  hyperion::web::HttpRequest request;
  request.method = "POST";
  request.headers.emplace_back("content-type", "application/json");
  request.body = std::string(hyperion::fuzz::as_text(data, size));
  const auto& text = request;  // each route reads the same request
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
