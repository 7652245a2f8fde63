#pragma once

// The two clocks the daemon reads: wall time (timestamps, tokens) and monotonic time (rates).
// Read here only; the collectors and the auth module take times as arguments.

#include <chrono>
#include <cstdint>

namespace hyperion::daemon {

inline std::int64_t wall_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

inline double monotonic_seconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

}  // namespace hyperion::daemon
