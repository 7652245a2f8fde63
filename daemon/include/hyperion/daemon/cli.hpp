#pragma once

// The hyperiond command line. Kept apart from main.cpp so it can be tested.

#include <ostream>
#include <string>
#include <vector>

namespace hyperion::daemon {

struct CliOptions {
  bool once = false;
  bool json = false;
  bool help = false;
  bool version = false;
  int interval_ms = 1000;   // between the two samples of --once (rates need two)
  std::string root = "/";   // a fixture tree with proc/, sys/, etc/ (tests)
  std::string host = "local";
};

struct CliParse {
  CliOptions options;
  std::string error;  // empty when the command line is valid
};

CliParse parse_cli(const std::vector<std::string>& args);
std::string usage();

// Runs hyperiond; returns the exit code. Output to `out`, diagnostics to `err`.
int run(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

}  // namespace hyperion::daemon
