#include <iostream>
#include <string>
#include <vector>

#include "hyperion/daemon/cli.hpp"

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  try {
    return hyperion::daemon::run(args, std::cout, std::cerr);
  } catch (const std::exception& e) {
    std::cerr << "hyperiond: " << e.what() << '\n';
    return 1;
  }
}
