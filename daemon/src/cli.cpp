#include "hyperion/daemon/cli.hpp"

#include <fmt/format.h>

#include <chrono>
#include <thread>

#include "hyperion/collectors/local_collector.hpp"
#include "hyperion/collectors/text.hpp"
#include "hyperion/web/snapshot_json.hpp"

namespace hyperion::daemon {
namespace {

constexpr int kMinIntervalMs = 10;
constexpr int kMaxIntervalMs = 60'000;

double monotonic_seconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

std::int64_t wall_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

std::string usage() {
  return "usage: hyperiond --once [--json] [--interval-ms N] [--root DIR] [--host ID]\n"
         "\n"
         "  --once            take two samples --interval-ms apart and print the snapshot\n"
         "  --json            print it as JSON (the default and only format for now)\n"
         "  --interval-ms N   time between the two samples, for rates (default 1000, 10..60000)\n"
         "  --root DIR        read DIR/proc, DIR/sys and DIR/etc instead of the live system\n"
         "  --host ID         the host id in the snapshot (default \"local\")\n"
         "  --version         print the version\n"
         "  --help            print this help\n"
         "\n"
         "The HTTP server and long-running service arrive with the daemon; until then\n"
         "hyperiond runs only with --once.\n";
}

CliParse parse_cli(const std::vector<std::string>& args) {
  CliParse r;
  auto& o = r.options;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    const auto value = [&](std::string& out) -> bool {
      if (i + 1 >= args.size()) {
        r.error = fmt::format("{} needs a value", a);
        return false;
      }
      out = args[++i];
      return true;
    };
    if (a == "--once") {
      o.once = true;
    } else if (a == "--json") {
      o.json = true;
    } else if (a == "--help" || a == "-h") {
      o.help = true;
    } else if (a == "--version") {
      o.version = true;
    } else if (a == "--interval-ms") {
      std::string v;
      if (!value(v)) return r;
      const auto n = collectors::text::to_i32(v);
      if (!n || *n < kMinIntervalMs || *n > kMaxIntervalMs) {
        r.error = fmt::format("--interval-ms: '{}' is not a number from {} to {}", v, kMinIntervalMs, kMaxIntervalMs);
        return r;
      }
      o.interval_ms = *n;
    } else if (a == "--root") {
      if (!value(o.root)) return r;
      if (o.root.empty()) {
        r.error = "--root: empty path";
        return r;
      }
    } else if (a == "--host") {
      if (!value(o.host)) return r;
      if (o.host.empty()) {
        r.error = "--host: empty id";
        return r;
      }
    } else {
      r.error = fmt::format("unknown option '{}'", a);
      return r;
    }
  }
  return r;
}

int run(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  const auto parsed = parse_cli(args);
  if (!parsed.error.empty()) {
    err << "hyperiond: " << parsed.error << "\n\n" << usage();
    return 2;
  }
  const auto& o = parsed.options;
  if (o.help) {
    out << usage();
    return 0;
  }
  if (o.version) {
    out << "hyperiond " << HYPERION_VERSION << '\n';
    return 0;
  }
  if (!o.once) {
    err << "hyperiond: the long-running service is not built yet; use --once --json\n\n" << usage();
    return 2;
  }
  collectors::CollectorOptions copts;
  copts.host = o.host;
  const auto paths = o.root == "/" ? collectors::SourcePaths{} : collectors::SourcePaths::under(o.root);
  collectors::LocalCollector collector(paths, copts);
  const auto families = collectors::all_families();
  collector.collect(families, monotonic_seconds(), wall_ms());
  std::this_thread::sleep_for(std::chrono::milliseconds(o.interval_ms));
  const auto snapshot = collector.collect(families, monotonic_seconds(), wall_ms());
  for (const auto& e : snapshot->errors) {
    err << "hyperiond: warning: " << collectors::to_string(e.family) << ": " << e.detail << '\n';
  }
  out << web::snapshot_to_json(*snapshot, 2) << '\n';
  return 0;
}

}  // namespace hyperion::daemon
