#pragma once

// hyperiond's entry point, apart from main.cpp so that it can be tested: parses the command
// line, environment and configuration file (config.hpp) and runs what was asked.

#include <ostream>
#include <string>
#include <vector>

namespace hyperion::daemon {

// Returns the exit code: 0 done, 1 a start-up failure (port in use, ...), 2 a bad command
// line or configuration. Output to `out`; diagnostics to `err`, one line each.
int run(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

}  // namespace hyperion::daemon
