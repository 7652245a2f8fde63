#pragma once

// Reads test fixtures: real files captured from real machines under
// tests/fixtures/<machine>/..., and hand-made broken inputs under tests/fixtures/malformed/.

#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>

namespace hyperion::test {

inline std::string fixtures_dir() { return HYPERION_FIXTURES_DIR; }

// The machine whose /proc and /sys the fixture tests read by default.
inline std::string machine_dir() { return fixtures_dir() + "/debian12-6.18-x86_64"; }

// Throws (fails the test) when the file is missing: a fixture test must not pass vacuously.
inline std::string read_fixture(const std::string& relative_path) {
  const std::string path = fixtures_dir() + "/" + relative_path;
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("missing fixture: " + path);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

}  // namespace hyperion::test
