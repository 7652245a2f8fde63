#include "hyperion/daemon/service.hpp"

#include <signal.h>
#include <systemd/sd-daemon.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>

#include "app.hpp"
#include "hyperion/daemon/log.hpp"

namespace hyperion::daemon {

int run_service(const Invocation& invocation, const std::vector<std::string>& args) {
  using namespace std::chrono_literals;
  Logger log(invocation.config.log_level, ::getenv("JOURNAL_STREAM") != nullptr);

  // Signals go to this thread only: block them before any thread starts.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  ::signal(SIGPIPE, SIG_IGN);

  App app(invocation.config, log);
  if (const int code = app.start(); code != 0) return code;
  sd_notifyf(0, "READY=1\nSTATUS=serving on port %u", static_cast<unsigned>(app.port()));

  std::uint64_t watchdog_usec = 0;
  const bool watchdog = sd_watchdog_enabled(0, &watchdog_usec) > 0 && watchdog_usec > 0;
  const auto wait = watchdog ? std::min<std::chrono::microseconds>(std::chrono::microseconds(watchdog_usec / 2), 1s)
                             : std::chrono::microseconds(1s);
  for (;;) {
    timespec timeout{};
    timeout.tv_sec = static_cast<time_t>(wait.count() / 1'000'000);
    timeout.tv_nsec = static_cast<long>((wait.count() % 1'000'000) * 1000);
    siginfo_t info{};
    const int sig = sigtimedwait(&signals, &info, &timeout);
    if (watchdog && app.sampling_alive()) sd_notify(0, "WATCHDOG=1");
    app.upkeep();
    if (sig == SIGHUP) {
      sd_notify(0, "RELOADING=1");
      const auto reloaded = parse_invocation(args, system_getenv);
      if (!reloaded.error.empty()) {
        log.error("reload: {}; keeping the running configuration", reloaded.error);
      } else {
        app.reload(reloaded.invocation.config, reloaded.invocation.config_path);
      }
      sd_notify(0, "READY=1");
    } else if (sig == SIGTERM || sig == SIGINT) {
      log.info("stopping ({})", sig == SIGTERM ? "SIGTERM" : "SIGINT");
      sd_notify(0, "STOPPING=1");
      break;
    }
  }
  app.stop();
  log.info("stopped");
  return 0;
}

}  // namespace hyperion::daemon
