#pragma once

// Log lines to stderr, one write per line, fit for journald: under systemd (JOURNAL_STREAM
// set) each line starts with its syslog priority "<N>" and journald files it at that level;
// elsewhere "hyperiond: <level>: message".

#include <fmt/format.h>

#include <mutex>
#include <string_view>

#include "hyperion/daemon/config.hpp"

namespace hyperion::daemon {

class Logger {
 public:
  Logger(LogLevel level, bool journald) : level_(level), journald_(journald) {}
  void set_level(LogLevel level) noexcept { level_ = level; }
  bool enabled(LogLevel level) const noexcept { return level <= level_; }

  void write(LogLevel level, std::string_view message);

  template <class... Args>
  void error(fmt::format_string<Args...> f, Args&&... args) { log(LogLevel::error, f, std::forward<Args>(args)...); }
  template <class... Args>
  void warn(fmt::format_string<Args...> f, Args&&... args) { log(LogLevel::warn, f, std::forward<Args>(args)...); }
  template <class... Args>
  void info(fmt::format_string<Args...> f, Args&&... args) { log(LogLevel::info, f, std::forward<Args>(args)...); }
  template <class... Args>
  void debug(fmt::format_string<Args...> f, Args&&... args) { log(LogLevel::debug, f, std::forward<Args>(args)...); }

 private:
  template <class... Args>
  void log(LogLevel level, fmt::format_string<Args...> f, Args&&... args) {
    if (enabled(level)) write(level, fmt::format(f, std::forward<Args>(args)...));
  }
  LogLevel level_;
  bool journald_;
  std::mutex mutex_;
};

}  // namespace hyperion::daemon
