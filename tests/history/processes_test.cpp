// Process lists: the top by CPU (averaged since the previous list) and by memory, strings
// stored once, read back at a time.

#include "hyperion/history/processes.hpp"

#include <catch2/catch.hpp>

#include "hyperion/history/store.hpp"
#include "temp_dir.hpp"

using namespace hyperion::history;
using namespace hyperion::collectors;
using hyperion::storage::Database;

namespace {

std::shared_ptr<Snapshot> snapshot(std::int64_t t, std::uint64_t hog_ticks) {
  auto s = std::make_shared<Snapshot>();
  s->host = "local";
  s->timestamp_ms = t;
  auto info = std::make_shared<HostInfo>();
  info->clock_ticks_per_second = 100;
  s->host_info = info;
  auto ps = std::make_shared<ProcessesSample>();
  for (int pid = 1; pid <= 40; ++pid) {
    ProcessSample p;
    p.pid = pid;
    p.start_time_unix_ms = 1000 + pid;
    p.comm = std::make_shared<const std::string>(pid == 7 ? "hog" : "worker");
    p.user = std::make_shared<const std::string>("root");
    p.cmdline = std::make_shared<const std::string>(pid == 7 ? std::string(1000, 'x') : "/usr/bin/worker --flag");
    p.cpu_ticks_total = pid == 7 ? hog_ticks : static_cast<std::uint64_t>(pid);
    p.cpu_percent = pid == 7 ? 0.0 : 0.5;  // the hog is idle right now: its minute is what counts
    p.rss_bytes = static_cast<std::uint64_t>(pid) * 1024 * 1024;
    ps->processes.push_back(p);
  }
  s->processes = ps;
  return s;
}

}  // namespace

TEST_CASE("processes: the CPU of a list is the average since the previous one", "[history][processes]") {
  CpuTicks ticks;
  (void)top_processes(*snapshot(60'000, 0), 10, 256, &ticks);
  // In the next 60 s the hog used 30 s of CPU, though it is idle at the instant of the list.
  const auto f = top_processes(*snapshot(120'000, 3000), 10, 256, &ticks);
  REQUIRE_FALSE(f.processes.empty());
  CHECK(f.processes[0].name == "hog");
  CHECK(f.processes[0].cpu_percent == Approx(50.0));
  CHECK(f.processes[0].top_cpu);
  CHECK(f.processes[0].command.size() == 256);
  std::size_t top_memory = 0;
  for (const auto& p : f.processes) top_memory += p.top_memory;
  CHECK(top_memory == 10);
  CHECK(f.processes.size() <= 20);
}

TEST_CASE("processes: lists round-trip through the database, strings once", "[history][processes]") {
  hyperion::test::TempDir dir;
  auto db = Database::open(dir / "h.db");
  const hyperion::storage::ModuleSchema schemas[] = {history_schema()};
  hyperion::storage::migrate(db, schemas);
  ProcessHistory h;
  CpuTicks ticks;
  (void)top_processes(*snapshot(0, 0), 10, 256, &ticks);
  for (int minute = 1; minute <= 100; ++minute) {
    h.write(db, top_processes(*snapshot(minute * 60'000LL, static_cast<std::uint64_t>(minute) * 3000), 10, 256, &ticks));
  }
  auto st = db.prepare("SELECT count(*) FROM history_strings");
  st.step();
  CHECK(st.int64(0) == 5);  // hog, worker, root, the two command lines
  const auto at = h.at(db, "local", 50 * 60'000 + 20'000, 60'000);
  REQUIRE(at);
  CHECK(at->time_ms == 50 * 60'000);
  CHECK(at->processes[0].name == "hog");
  CHECK(at->processes[0].user == "root");
  CHECK(at->processes[0].pid == 7);
  CHECK(at->processes[0].start_time_unix_ms == 1007);
  CHECK(at->processes[0].cpu_percent == Approx(50.0));
  CHECK(at->processes.back().rss_bytes % 1024 == 0);
  CHECK(h.query(db, "local", 0, 10 * 60'000, 1000).size() == 10);
  CHECK(h.query(db, "local", 0, 1'000'000'000, 5).size() == 5);
  CHECK_FALSE(h.at(db, "local", 500 * 60'000, 60'000));
  CHECK_FALSE(h.at(db, "other", 50 * 60'000, 60'000));
}
