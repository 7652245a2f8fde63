#pragma once

// hyperiond's configuration: one table of settings (config.cpp), each a TOML key
// ("http.max_connections"), a flag (--http-max-connections) and an environment variable
// (HYPERION_HTTP_MAX_CONNECTIONS). Precedence: built-in defaults < config file <
// environment < command line. A bad value is refused with its origin: "FILE:LINE: key: reason",
// "environment NAME: reason" or "--flag: reason". docs/CONFIGURATION.md lists every setting.

#include <array>
#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "hyperion/collectors/collector.hpp"
#include "hyperion/collectors/snapshot.hpp"
#include "hyperion/auth/settings.hpp"
#include "hyperion/history/settings.hpp"
#include "hyperion/storage/audit_settings.hpp"
#include "hyperion/web/settings.hpp"

namespace hyperion::daemon {

// Read when present and no --config or HYPERION_CONFIG names another file.
inline constexpr std::string_view kDefaultConfigPath = "/etc/hyperion/hyperion.toml";

enum class LogLevel : std::uint8_t { error, warn, info, debug };
const char* to_string(LogLevel level) noexcept;

// How often each family is collected ([intervals] in the file), indexed by family; the
// defaults come from the collectors' family table.
struct Intervals {
  Intervals() {
    for (const auto& f : collectors::family_table()) {
      values[static_cast<std::size_t>(f.family)] = std::chrono::milliseconds(f.default_interval_ms);
    }
  }
  std::chrono::milliseconds of(collectors::Family family) const noexcept {
    return values[static_cast<std::size_t>(family)];
  }
  std::chrono::milliseconds& operator[](collectors::Family family) noexcept {
    return values[static_cast<std::size_t>(family)];
  }
  bool operator==(const Intervals&) const = default;

  std::array<std::chrono::milliseconds, collectors::kFamilyCount> values{};
};

// Each section of the file is the settings struct of the module it configures; the table in
// config_settings.cpp points into them.
// The member initialisers are the built-in defaults.
struct Config {
  std::string listen = "127.0.0.1:9800";  // as written; split into the two below
  std::string listen_host = "127.0.0.1";  // IPv6 without brackets: "::1"
  std::uint16_t listen_port = 9800;       // 0: any free port
  std::string data_dir = "./var";         // the database and keys
  LogLevel log_level = LogLevel::info;
  std::string host_id = "local";
  std::string root = "/";                 // read ROOT/proc, ROOT/sys, ROOT/etc (tests)
  collectors::CollectorSettings collectors;
  Intervals intervals;
  web::HttpSettings http;
  web::MetricsSettings metrics;
  web::LiveSettings live;
  auth::AuthSettings auth;
  storage::AuditSettings audit;
  history::HistorySettings history;
  web::TlsSettings tls;

  bool operator==(const Config&) const = default;
};

// A host read from a directory tree (collectors.tree_hosts).
struct TreeHost {
  std::string id;
  std::string dir;
};
// Parses "ID=DIR, ID=DIR"; nullopt with the reason when an item is malformed, an id is not a
// valid host id or is repeated.
std::optional<std::vector<TreeHost>> parse_tree_hosts(std::string_view list, std::string* why = nullptr);

enum class Action { run, once, print_config, help, version };

struct Invocation {
  Action action = Action::run;
  Config config;
  std::string config_path;           // the file that was read; empty if none
  std::string once_format = "json";  // "json" | "prometheus"
  int once_interval_ms = 1000;       // between the two samples of --once
};

struct InvocationResult {
  Invocation invocation;
  std::string error;  // empty when the invocation is valid; one line otherwise
};

using GetEnv = std::function<std::optional<std::string>(std::string_view)>;
using FileExists = std::function<bool(const std::string&)>;

// The real environment and file system, for main().
std::optional<std::string> system_getenv(std::string_view name);
bool system_file_exists(const std::string& path);

// `args` without the program name. --help and --version read neither file nor environment,
// so they work whatever the configuration. An empty environment variable counts as unset.
InvocationResult parse_invocation(const std::vector<std::string>& args, const GetEnv& getenv,
                                  const FileExists& file_exists = system_file_exists);

// Applies the settings of a TOML document on top of `config`. Returns the first error by
// position in the document ("SOURCE:LINE: key: reason"), or an empty string.
std::string apply_config_toml(std::string_view toml, const std::string& source_name, Config& config);

// The effective configuration as TOML, each setting with its help, flag, variable and
// default as comments; apply_config_toml reads it back to the same Config.
std::string render_config_toml(const Config& config);

// The --help text: the commands, then every setting flag with its default, from the table.
std::string command_line_usage();

// One row of the settings table, for documentation and tests.
struct SettingInfo {
  std::string_view key;      // "http.max_connections"
  std::string_view flag;     // "--http-max-connections"
  std::string_view env;      // "HYPERION_HTTP_MAX_CONNECTIONS"
  std::string_view alias;    // another flag ("--host"), or empty
  std::string_view type;     // string, boolean, integer, duration, size, enum, address
  std::string_view metavar;  // "N", "DIR", ...; empty for a boolean
  std::string_view default_value;  // as written in a file or on the command line
  std::string allowed;             // "1..100000", "100ms..1h", "error, warn, info, debug", ...
  std::string_view help;
};
std::vector<SettingInfo> setting_infos();

}  // namespace hyperion::daemon
