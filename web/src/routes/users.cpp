#include "routes.hpp"

#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "common.hpp"
#include "hyperion/web/request_body.hpp"

namespace hyperion::web::routes {

using nlohmann::json;
using namespace hyperion::auth;

void register_user_routes(Router& router, AuthService& auth) {
  add_blocking(router, "GET", "/api/v1/users", "Every user", auth::Role::admin,
      [&auth](const HttpRequest&, const RouteParams&) {
        json list = json::array();
        for (const auto& u : auth.list_users()) list.push_back(user_json(u));
        return json_response(200, json{{"users", list}});
      });

  add_blocking(router, "POST", "/api/v1/users",
      "Create a user: {name, display_name, role, password, must_change_password (default true)}", auth::Role::admin,
      [&auth](const HttpRequest& req, const RouteParams&) {
        json body;
        if (auto e = read_json_body(req,
                                    {{"name", json::value_t::string, true, 64},
                                     {"display_name", json::value_t::string, false, 128},
                                     {"role", json::value_t::string, true, 16},
                                     {"password", json::value_t::string, true, 1024},
                                     {"must_change_password", json::value_t::boolean, false}},
                                    body)) {
          return *e;
        }
        HttpResponse error;
        const auto role = role_field(body, error, Role::viewer);
        if (!role) return error;
        const auto r = auth.create_user(
            actor_of(req), NewUser{body["name"].get<std::string>(), opt_string(body, "display_name").value_or(""), *role,
                                   body["password"].get<std::string>(), body.value("must_change_password", true)});
        if (const auto* e = failed(r)) return from_error(*e);
        return json_response(201, user_json(std::get<UserInfo>(r)));
      });

  add_blocking(router, "GET", "/api/v1/users/{name}", "One user", auth::Role::admin,
      [&auth](const HttpRequest&, const RouteParams& params) {
        const auto r = auth.get_user(params.get("name"));
        if (const auto* e = failed(r)) return from_error(*e);
        return json_response(200, user_json(std::get<UserInfo>(r)));
      });

  add_blocking(router, "PATCH", "/api/v1/users/{name}",
      "Change a user: {display_name, role, enabled}", auth::Role::admin,
      [&auth](const HttpRequest& req, const RouteParams& params) {
        json body;
        if (auto e = read_json_body(req,
                                    {{"display_name", json::value_t::string, false, 128},
                                     {"role", json::value_t::string, false, 16},
                                     {"enabled", json::value_t::boolean, false}},
                                    body)) {
          return *e;
        }
        UserChange change;
        change.display_name = opt_string(body, "display_name");
        if (body.contains("role")) {
          change.role = parse_role(body["role"].get<std::string>());
          if (!change.role) return bad_body("'role' must be viewer, operator or admin");
        }
        if (body.contains("enabled")) change.enabled = body["enabled"].get<bool>();
        const auto r = auth.change_user(actor_of(req), params.get("name"), change);
        if (const auto* e = failed(r)) return from_error(*e);
        return json_response(200, user_json(std::get<UserInfo>(r)));
      });

  add_blocking(router, "DELETE", "/api/v1/users/{name}",
      "Delete a user (and their sessions and tokens)", auth::Role::admin,
      [&auth](const HttpRequest& req, const RouteParams& params) {
        const auto r = auth.delete_user(actor_of(req), params.get("name"));
        if (const auto* e = failed(r)) return from_error(*e);
        return json_response(200, json{{"deleted", true}});
      });

  add_blocking(router, "POST", "/api/v1/users/{name}/password",
      "Set a user's password: {password, temporary (default true: must change it at next login)}", auth::Role::admin,
      [&auth](const HttpRequest& req, const RouteParams& params) {
        json body;
        if (auto e = read_json_body(req,
                                    {{"password", json::value_t::string, true, 1024},
                                     {"temporary", json::value_t::boolean, false}},
                                    body)) {
          return *e;
        }
        const auto r = auth.set_password(actor_of(req), params.get("name"), body["password"].get<std::string>(), std::nullopt,
                                         body.value("temporary", true));
        if (const auto* e = failed(r)) return from_error(*e);
        return json_response(200, json{{"changed", true}});
      });

  add_blocking(router, "POST", "/api/v1/users/{name}/reset-2fa",
      "Remove a user's second factor (a lost phone)", auth::Role::admin,
      [&auth](const HttpRequest& req, const RouteParams& params) {
        const auto r = auth.reset_totp(actor_of(req), params.get("name"));
        if (const auto* e = failed(r)) return from_error(*e);
        return json_response(200, json{{"totp_enabled", false}});
      });

  add_blocking(router, "POST", "/api/v1/users/{name}/unlock",
      "Forget a user's failed logins from every address (lifts the login throttle)", auth::Role::admin,
      [&auth](const HttpRequest& req, const RouteParams& params) {
        const auto r = auth.unlock_user(actor_of(req), params.get("name"));
        if (const auto* e = failed(r)) return from_error(*e);
        return json_response(200, json{{"unlocked", true}});
      });
}

}  // namespace hyperion::web::routes
