#pragma once

// The long-running hyperiond: an App (daemon/src/app.hpp) holds the parts (sampling loops,
// the snapshot bus and its sinks, the HTTP server, the database thread); this thread waits for
// signals (SIGTERM/SIGINT stop, SIGHUP reloads the configuration), runs the App's upkeep
// once a second and keeps systemd's watchdog fed.

#include <functional>
#include <string>
#include <vector>

#include "hyperion/daemon/config.hpp"

namespace hyperion::daemon {

// Runs until SIGTERM or SIGINT; returns the exit code. `args` are the original command-line
// arguments, parsed again on SIGHUP together with the environment and the config file.
int run_service(const Invocation& invocation, const std::vector<std::string>& args);

}  // namespace hyperion::daemon
