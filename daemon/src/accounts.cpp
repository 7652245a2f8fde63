#include "hyperion/daemon/accounts.hpp"
#include "hyperion/daemon/clock.hpp"

#include "hyperion/auth/schema.hpp"
#include "hyperion/history/store.hpp"

#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <iostream>
#include <stdexcept>

#include <fmt/format.h>

namespace hyperion::daemon {
namespace {

constexpr std::string_view kUserUsage =
    "usage: hyperiond user COMMAND [ARGS] [--data-dir DIR | --config FILE ...]\n"
    "  add NAME --role viewer|operator|admin [--display-name TEXT] [--password-stdin] [--temporary]\n"
    "  list\n"
    "  passwd NAME [--password-stdin] [--temporary]\n"
    "  role NAME viewer|operator|admin\n"
    "  disable NAME | enable NAME\n"
    "  reset-2fa NAME\n"
    "  unlock NAME        forget the failed logins of NAME from every address\n"
    "  delete NAME\n"
    "Passwords are read from the terminal (twice, not echoed), or with --password-stdin from the\n"
    "first line of standard input. --temporary: the user must change it at the next login.\n";

// A password: the first line of stdin, or typed twice at the terminal without echo.
std::optional<std::string> read_password(bool from_stdin, std::istream& in, std::ostream& err, std::string& why) {
  std::string line;
  if (from_stdin) {
    if (!std::getline(in, line)) {
      why = "no password on standard input";
      return std::nullopt;
    }
    if (!line.empty() && line.back() == '\r') line.pop_back();
    return line;
  }
  if (!::isatty(STDIN_FILENO)) {
    why = "standard input is not a terminal: give the password with --password-stdin";
    return std::nullopt;
  }
  termios saved{};
  ::tcgetattr(STDIN_FILENO, &saved);
  termios quiet = saved;
  quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
  std::string again;
  err << "Password: " << std::flush;
  ::tcsetattr(STDIN_FILENO, TCSANOW, &quiet);
  std::getline(in, line);
  err << "\nPassword again: " << std::flush;
  std::getline(in, again);
  ::tcsetattr(STDIN_FILENO, TCSANOW, &saved);
  err << '\n';
  if (line != again) {
    why = "the two passwords differ";
    return std::nullopt;
  }
  return line;
}

std::string date(std::optional<std::int64_t> ms) {
  if (!ms) return "never";
  const std::time_t t = *ms / 1000;
  std::tm tm{};
  localtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M", &tm);
  return buf;
}

}  // namespace

auth::AuthSettings auth_settings(const Config& c) {
  auth::AuthSettings s = c.auth;
  s.issuer = c.host_id == "local" ? "Hyperion" : fmt::format("Hyperion {}", c.host_id);
  return s;
}

Accounts::Accounts(storage::Database database, auth::SecretKey secrets, auth::Bytes signing_key,
                   const auth::AuthSettings& settings, const storage::AuditSettings& audit_settings)
    : db(std::move(database)),
      audit(db, audit_settings, wall_ms),
      auth(db, audit, std::move(secrets), std::move(signing_key), settings, wall_ms) {}

std::unique_ptr<Accounts> open_accounts(const Config& config) {
  auth::init_crypto();
  const std::filesystem::path dir = config.data_dir;
  std::error_code ec;
  std::filesystem::create_directories(dir / "keys", ec);
  if (ec) throw std::runtime_error(fmt::format("cannot create {}: {}", (dir / "keys").string(), ec.message()));
  ::chmod(dir.c_str(), 0700);
  ::chmod((dir / "keys").c_str(), 0700);
  const auto db_file = dir / "hyperion.db";
  // A file of 0 bytes is not a fresh install (that has no file): it was truncated, or a disk
  // filled. Starting on it would create a new admin over an empty account table.
  if (std::filesystem::exists(db_file, ec) && std::filesystem::file_size(db_file, ec) == 0 && !ec) {
    throw std::runtime_error(fmt::format("{} is empty (0 bytes), not a database: restore it from a backup, or remove it "
                                         "to start afresh with no accounts",
                                         db_file.string()));
  }
  // A file that is SQLite but not ours (tables, none of which hyperiond makes) is refused, and
  // read without a byte changed: hyperiond would add its tables to another program's database.
  if (std::filesystem::exists(db_file, ec)) {
    const auto tables = storage::Database::tables_of(db_file);
    const auto ours = [](const std::string& t) { return t == "users" || t == "schema_versions"; };
    if (!tables.empty() && std::none_of(tables.begin(), tables.end(), ours)) {
      throw std::runtime_error(fmt::format("{} is an SQLite database of another program (it has none of hyperiond's "
                                           "tables): give hyperiond a data directory of its own; the file is left as "
                                           "it is",
                                           db_file.string()));
    }
  }
  auto db = storage::Database::open(db_file);
  {
    auto s = db.prepare("PRAGMA quick_check(1)");
    s.step();
    if (s.text(0) != "ok") {
      throw std::runtime_error(fmt::format("{} is damaged ({}): restore it from a backup, or move it away to start "
                                           "afresh; hyperiond does not replace it",
                                           db_file.string(), s.text(0)));
    }
  }
  const std::array modules{auth::schema(), storage::audit_schema(), history::history_schema()};
  storage::migrate(db, modules);
  // secrets.key seals TOTP secrets and keys the hashes of API tokens, refresh tokens and
  // recovery codes. A new key would make all of them fail (TOTP users locked out with a 500):
  // when the database holds any, a missing key is an error to fix, not a thing to recreate.
  const auto secrets_file = dir / "keys" / "secrets.key";
  if (!std::filesystem::exists(secrets_file, ec)) {
    auto s = db.prepare(
        "SELECT (SELECT count(*) FROM users WHERE totp_secret IS NOT NULL) + (SELECT count(*) FROM api_tokens) + "
        "(SELECT count(*) FROM recovery_codes) + (SELECT count(*) FROM refresh_tokens WHERE revoked_ms IS NULL)");
    s.step();
    if (s.int64(0) > 0) {
      throw std::runtime_error(fmt::format(
          "{} is missing, but the database holds {} secret(s) sealed or hashed with it (second factors, API tokens, "
          "sessions): restore the key file from a backup. To give them up instead, run `hyperiond user reset-2fa` for "
          "each user with a second factor and delete the API tokens, or move the database away",
          secrets_file.string(), s.int64(0)));
    }
  }
  auto secrets = auth::SecretKey::load_or_create(secrets_file);
  const auto signing = auth::SecretKey::load_or_create(dir / "keys" / "signing.key");
  return std::make_unique<Accounts>(std::move(db), std::move(secrets),
                                    auth::Bytes(signing.bytes().begin(), signing.bytes().end()), auth_settings(config),
                                    config.audit);
}

int run_user_command(const std::vector<std::string>& args, std::istream& in, std::ostream& out, std::ostream& err) {
  if (args.empty() || args[0] == "--help" || args[0] == "-h") {
    (args.empty() ? err : out) << kUserUsage;
    return args.empty() ? 2 : 0;
  }
  const std::string command = args[0];
  std::vector<std::string> positional, rest;
  std::optional<std::string> role, display_name;
  bool password_stdin = false, temporary = false;
  for (std::size_t i = 1; i < args.size(); ++i) {
    const auto& a = args[i];
    const auto value = [&](const char* flag) -> std::optional<std::string> {
      if (i + 1 >= args.size()) {
        err << "hyperiond user: " << flag << " needs a value\n";
        return std::nullopt;
      }
      return args[++i];
    };
    if (a == "--role") {
      role = value("--role");
      if (!role) return 2;
    } else if (a == "--display-name") {
      display_name = value("--display-name");
      if (!display_name) return 2;
    } else if (a == "--password-stdin") {
      password_stdin = true;
    } else if (a == "--temporary") {
      temporary = true;
    } else if (a.starts_with("-")) {
      rest.push_back(a);  // a setting (--data-dir DIR, --config FILE): for parse_invocation
      if (a.find('=') == std::string::npos && i + 1 < args.size() && !args[i + 1].starts_with("-")) rest.push_back(args[++i]);
    } else {
      positional.push_back(a);
    }
  }
  const auto parsed = parse_invocation(rest, system_getenv);
  if (!parsed.error.empty()) {
    err << "hyperiond user: " << parsed.error << '\n';
    return 2;
  }
  const std::size_t wanted = command == "list" ? 0 : command == "role" ? 2 : 1;
  static const std::vector<std::string> kCommands{"add",     "list",   "passwd",    "role",  "disable",
                                                  "enable", "unlock", "reset-2fa", "delete"};
  if (std::find(kCommands.begin(), kCommands.end(), command) == kCommands.end()) {
    err << "hyperiond user: unknown command '" << command << "'\n" << kUserUsage;
    return 2;
  }
  if (positional.size() != wanted) {
    err << "hyperiond user " << command << ": expected " << (wanted == 0 ? "no argument" : wanted == 1 ? "a user name" : "a user name and a role")
        << "\n" << kUserUsage;
    return 2;
  }
  std::unique_ptr<Accounts> accounts;
  try {
    accounts = open_accounts(parsed.invocation.config);
  } catch (const std::exception& e) {
    err << "hyperiond user: " << e.what() << '\n';
    return 1;
  }
  auto& auth = accounts->auth;
  const auth::Actor root{std::nullopt, "cli"};
  const auto report = [&](const auto& outcome, const std::string& done) {
    if (std::holds_alternative<auth::AuthError>(outcome)) {
      err << "hyperiond user " << command << ": " << std::get<auth::AuthError>(outcome).detail << '\n';
      return 1;
    }
    out << done << '\n';
    return 0;
  };
  const auto parse_role = [&](const std::optional<std::string>& name) -> std::optional<auth::Role> {
    if (!name) {
      err << "hyperiond user " << command << ": --role viewer|operator|admin is required\n";
      return std::nullopt;
    }
    const auto r = auth::parse_role(*name);
    if (!r) err << "hyperiond user " << command << ": '" << *name << "' is not a role: viewer, operator or admin\n";
    return r;
  };

  if (command == "list") {
    out << fmt::format("{:<24} {:<9} {:<8} {:<4} {:<16} {}\n", "NAME", "ROLE", "ENABLED", "2FA", "LAST LOGIN", "DISPLAY NAME");
    for (const auto& u : auth.list_users()) {
      out << fmt::format("{:<24} {:<9} {:<8} {:<4} {:<16} {}{}\n", u.name, auth::to_string(u.role), u.enabled ? "yes" : "no",
                         u.totp_enabled ? "yes" : "no", date(u.last_login_ms), u.display_name,
                         u.must_change_password ? " (must change password)" : "");
    }
    return 0;
  }
  const auto& name = positional[0];
  if (command == "add" || command == "passwd") {
    std::optional<auth::Role> r;
    if (command == "add" && !(r = parse_role(role))) return 2;
    std::string why;
    const auto password = read_password(password_stdin, in, err, why);
    if (!password) {
      err << "hyperiond user " << command << ": " << why << '\n';
      return 2;
    }
    if (command == "add") {
      return report(auth.create_user(root, auth::NewUser{name, display_name.value_or(""), *r, *password, temporary}),
                    fmt::format("created {} ({})", name, auth::to_string(*r)));
    }
    return report(auth.set_password(root, name, *password, std::nullopt, temporary),
                  fmt::format("set the password of {}{}", name, temporary ? " (to change at the next login)" : ""));
  }
  if (command == "role") {
    const auto r = parse_role(positional[1]);
    if (!r) return 2;
    return report(auth.change_user(root, name, auth::UserChange{std::nullopt, *r, std::nullopt}),
                  fmt::format("{} is now {}", name, auth::to_string(*r)));
  }
  if (command == "disable" || command == "enable") {
    return report(auth.change_user(root, name, auth::UserChange{std::nullopt, std::nullopt, command == "enable"}),
                  fmt::format("{} {}", command == "enable" ? "enabled" : "disabled", name));
  }
  if (command == "unlock") {
    return report(auth.unlock_user(root, name), fmt::format("unlocked {}: its failed logins are forgotten", name));
  }
  if (command == "reset-2fa") return report(auth.reset_totp(root, name), fmt::format("removed the second factor of {}", name));
  return report(auth.delete_user(root, name), fmt::format("deleted {}", name));
}

}  // namespace hyperion::daemon
