#pragma once

// The running daemon's parts and their order. App builds them from a Config, starts them,
// applies a reload, runs the periodic upkeep and stops them in reverse order; run_service
// (service.cpp) only waits for signals and calls it.
//
//   sources -> SamplingLoop (one per host) -> Bus -> sinks: latest cache (REST, /metrics),
//                                                     host registry, history writer, live hub
//   HttpServer (its own thread) -> routes -> the latest cache; blocking routes -> database
//   storage::Executor (the database's one thread): accounts, the audit log, upkeep, history writes
//   storage::Executor "history" (a reader connection): history queries

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "hyperion/daemon/config.hpp"
#include "hyperion/daemon/log.hpp"

namespace hyperion::daemon {

class App {
 public:
  App(Config config, Logger& log);
  ~App();
  App(const App&) = delete;
  App& operator=(const App&) = delete;

  // Builds and starts every part. 0 when serving; otherwise the exit code, with the reason
  // logged (1: the environment, such as a busy port or an unreadable data directory; 2: the
  // configuration).
  int start();
  // Applies what a running process can change (log level, intervals, a renewed certificate)
  // and warns about the settings that need a restart.
  void reload(const Config& fresh, const std::string& source);
  // Once a second from the main thread: accounts changed by `hyperiond user`, the audit log's
  // pending rows, the database's health; every minute the audit log's bounds.
  void upkeep();
  // False when this host's sampling has not finished a round for a while (the watchdog).
  bool sampling_alive() const;
  std::uint16_t port() const;
  // Stops in the reverse order of start(): HTTP (letting requests finish), sampling, the
  // sinks, then the database after its last writes. Idempotent.
  void stop();

 private:
  struct Parts;
  Config config_;
  Logger& log_;
  std::unique_ptr<Parts> parts_;
  bool running_ = false;
};

}  // namespace hyperion::daemon
