#pragma once

// The table of hyperiond's settings, shared by config.cpp (reading and writing values) and
// config_settings.cpp (the rows). Internal to the daemon module.

#include <array>
#include <chrono>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <variant>

#include "hyperion/daemon/config.hpp"

namespace hyperion::daemon::detail {

using std::chrono::milliseconds;

// ---------------------------------------------------------------------------------------------
// The table of settings. Each row names its TOML key, flag and environment variable (a test
// checks they follow the key), its type and bounds, its default as a user would write it (a
// test checks it matches Config's initialiser), its help, and the Config member it sets.

enum class Kind : std::uint8_t { string, boolean, integer, duration, size, choice, address };

using StringField = std::string& (*)(Config&);
using BoolField = bool& (*)(Config&);
using U32Field = std::uint32_t& (*)(Config&);
using U64Field = std::uint64_t& (*)(Config&);
using MsField = milliseconds& (*)(Config&);
using LevelField = LogLevel& (*)(Config&);
using Field = std::variant<StringField, BoolField, U32Field, U64Field, MsField, LevelField>;

// Checks a string setting: the reason it is refused, or empty.
using StringCheck = std::string (*)(std::string_view);

struct Setting {
  std::string_view key;
  std::string_view flag;
  std::string_view env;
  std::string_view alias;
  Kind kind = Kind::string;
  std::string_view metavar;
  std::string_view default_text;
  std::int64_t min = 0;  // integer: the value; duration: milliseconds; size: bytes
  std::int64_t max = 0;
  std::string_view help;
  Field field;
  StringCheck check = nullptr;
  std::string_view allowed;  // what a string accepts, for --help and the docs; empty: from `check`
};

// The checks of string settings (the rows name them; `allowed` describes them).
std::string check_path(std::string_view value);
std::string check_tree_hosts(std::string_view value);  // "web=/srv/web-root, db=/srv/db-root"
std::string check_id(std::string_view value);
std::string check_networks(std::string_view value);  // "10.0.0.1, 192.168.0.0/16, ::1"

inline constexpr std::int64_t kKiB = 1024;
inline constexpr std::int64_t kMiB = 1024 * kKiB;
inline constexpr std::int64_t kGiB = 1024 * kMiB;
inline constexpr std::int64_t kSecond = 1000;
inline constexpr std::int64_t kMinute = 60 * kSecond;
inline constexpr std::int64_t kHour = 60 * kMinute;
inline constexpr std::int64_t kDay = 24 * kHour;
inline constexpr std::int64_t kMaxHostIdLength = 64;

inline constexpr std::array<std::string_view, 4> kLogLevels = {"error", "warn", "info", "debug"};
inline constexpr std::array<std::string_view, 2> kOnceFormats = {"json", "prometheus"};

inline constexpr int kMinOnceIntervalMs = 10;
inline constexpr int kMaxOnceIntervalMs = 60'000;
inline constexpr std::string_view kConfigEnv = "HYPERION_CONFIG";

// Every row, in the order of docs/CONFIGURATION.md.
std::span<const Setting> settings();
const Setting* find_by_key(std::string_view key);
const Setting* find_by_flag(std::string_view flag);  // or its alias
// "http" is a section when some key starts with "http.".
bool is_section(std::string_view prefix);
std::string_view section_of(std::string_view key);
std::string_view leaf_of(std::string_view key);

}  // namespace hyperion::daemon::detail
