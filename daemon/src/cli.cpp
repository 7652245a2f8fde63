#include "hyperion/daemon/cli.hpp"

#include <unistd.h>

#include <chrono>
#include <iostream>
#include <thread>

#include "hyperion/collectors/collector.hpp"
#include "hyperion/collectors/local_source.hpp"
#include "hyperion/daemon/accounts.hpp"
#include "hyperion/daemon/clock.hpp"
#include "hyperion/daemon/config.hpp"
#include "hyperion/daemon/service.hpp"
#include "hyperion/web/metrics.hpp"
#include "hyperion/web/snapshot_json.hpp"

namespace hyperion::daemon {
namespace {

// --once: two samples (rates need two), printed as JSON or in the Prometheus format.
int run_once(const Invocation& inv, std::ostream& out, std::ostream& err) {
  const auto& config = inv.config;
  const auto paths = config.root == "/" ? collectors::SourcePaths{} : collectors::SourcePaths::under(config.root);
  collectors::LocalSource source(paths);
  collectors::Collector collector(source, config.host_id, config.collectors);
  const auto families = collectors::all_families();
  collector.collect(families, monotonic_seconds(), wall_ms());
  std::this_thread::sleep_for(std::chrono::milliseconds(inv.once_interval_ms));
  const auto snapshot = collector.collect(families, monotonic_seconds(), wall_ms());
  for (const auto& e : snapshot->errors) {
    err << "hyperiond: warning: " << collectors::to_string(e.family) << ": " << e.detail << '\n';
  }
  if (inv.once_format == "prometheus") {
    web::SelfMetrics self;
    self.version = HYPERION_VERSION;
    web::MetricsOptions options;
    options.top_processes = config.metrics.top_processes;
    options.self_pid = static_cast<std::int32_t>(::getpid());
    options.now_seconds = static_cast<double>(wall_ms()) / 1000.0;
    out << web::render_metrics(*snapshot, self, options);
  } else {
    out << web::snapshot_to_json(*snapshot, 2) << '\n';
  }
  return 0;
}

}  // namespace

int run(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  if (!args.empty() && args[0] == "user") {
    return run_user_command(std::vector<std::string>(args.begin() + 1, args.end()), std::cin, out, err);
  }
  const auto parsed = parse_invocation(args, system_getenv);
  if (!parsed.error.empty()) {
    err << "hyperiond: " << parsed.error << "\nTry 'hyperiond --help'.\n";
    return 2;
  }
  const auto& inv = parsed.invocation;
  switch (inv.action) {
    case Action::help:
      out << command_line_usage();
      return 0;
    case Action::version:
      out << "hyperiond " << HYPERION_VERSION << '\n';
      return 0;
    case Action::print_config:
      out << render_config_toml(inv.config);
      return 0;
    case Action::once:
      return run_once(inv, out, err);
    case Action::run:
      out.flush();
      return run_service(inv, args);
  }
  return 2;
}

}  // namespace hyperion::daemon
