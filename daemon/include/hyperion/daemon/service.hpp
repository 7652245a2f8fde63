#pragma once

// The long-running hyperiond: a sampling thread that refreshes each collector family on
// its own interval and publishes snapshots, the HTTP server on its own thread, and the
// main thread waiting for signals (SIGTERM/SIGINT stop, SIGHUP reloads the configuration)
// and keeping systemd's watchdog fed.

#include <functional>
#include <string>
#include <vector>

#include "hyperion/daemon/config.hpp"

namespace hyperion::daemon {

// Runs until SIGTERM or SIGINT; returns the exit code. `args` are the original command-line
// arguments, parsed again on SIGHUP together with the environment and the config file.
int run_service(const Invocation& invocation, const std::vector<std::string>& args);

}  // namespace hyperion::daemon
