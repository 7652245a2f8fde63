#include "hyperion/daemon/log.hpp"

#include <unistd.h>

#include <string>

namespace hyperion::daemon {

void Logger::write(LogLevel level, std::string_view message) {
  // syslog priorities: 3 err, 4 warning, 6 info, 7 debug
  static constexpr int kPriority[] = {3, 4, 6, 7};
  std::string line;
  if (journald_) {
    line = fmt::format("<{}>{}\n", kPriority[static_cast<int>(level)], message);
  } else {
    line = fmt::format("hyperiond: {}: {}\n", to_string(level), message);
  }
  std::lock_guard lock(mutex_);
  std::size_t done = 0;
  while (done < line.size()) {
    const auto n = ::write(STDERR_FILENO, line.data() + done, line.size() - done);
    if (n <= 0) break;
    done += static_cast<std::size_t>(n);
  }
}

}  // namespace hyperion::daemon
