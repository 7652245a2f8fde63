#include "hyperion/collectors/proc_pid_stat.hpp"

#include <catch2/catch.hpp>

#include <string>
#include <type_traits>
#include <vector>

#include "fixture.hpp"

using namespace hyperion::collectors;
using hyperion::test::read_fixture;

namespace {

// The hot-path contract: the result owns no heap memory (comm is a view), so a
// successful parse cannot allocate.
static_assert(std::is_trivially_copyable_v<PidStat>);

// Fields 1..39 of a plausible line, field N at index N-1 (comm is "(bash)").
std::vector<std::string> base_fields() {
  return {"1",     "(bash)", "S",        "0",    "1",  "1",  "0",  "-1",
          "4194560", "31986", "0",      "200",  "0",  "35", "167", "0",
          "0",     "20",     "0",        "13",   "0",  "25", "44318720", "3305",
          "18446744073709551615", "1", "1", "0", "0", "0", "0", "0",
          "4096",  "1256",   "0",        "0",    "0",  "17", "1"};
}

std::string join(const std::vector<std::string>& fields) {
  std::string out;
  for (const auto& f : fields) {
    if (!out.empty()) out += ' ';
    out += f;
  }
  return out + '\n';
}

// The base line with only the first `n` fields.
std::string first_fields(std::size_t n) {
  auto fields = base_fields();
  fields.resize(n);
  return join(fields);
}

// The base line with field `n` (1-based) replaced.
std::string with_field(std::size_t n, const std::string& value) {
  auto fields = base_fields();
  fields[n - 1] = value;
  return join(fields);
}

}  // namespace

TEST_CASE("parse_proc_pid_stat: reads PID 1 of a real machine", "[collectors][proc_pid_stat]") {
  const auto text = read_fixture("debian12-6.18-x86_64/proc/1/stat");
  const auto r = parse_proc_pid_stat(text);
  REQUIRE(r);
  CHECK(r->pid == 1);
  CHECK(r->comm == "process_api");
  CHECK(r->state == 'S');
  CHECK(r->ppid == 0);
  CHECK(r->pgrp == 0);
  CHECK(r->session == 0);
  CHECK(r->minor_faults == 31986);
  CHECK(r->major_faults == 0);  // field 13 (200) is cmajflt, the children's
  CHECK(r->utime_ticks == 35);
  CHECK(r->stime_ticks == 167);
  CHECK(r->priority == 20);
  CHECK(r->nice == 0);
  CHECK(r->num_threads == 13);
  CHECK(r->start_time_ticks == 25);
  CHECK(r->vsize_bytes == 44318720);
  CHECK(r->rss_pages == 3305);
  CHECK(r->processor == 1);
  // comm is a view into the caller's buffer, not a copy.
  CHECK(r->comm.data() >= text.data());
  CHECK(r->comm.data() + r->comm.size() <= text.data() + text.size());
}

TEST_CASE("parse_proc_pid_stat: reads a shell with its session", "[collectors][proc_pid_stat]") {
  const auto text = read_fixture("debian12-6.18-x86_64/proc/4984/stat");
  const auto r = parse_proc_pid_stat(text);
  REQUIRE(r);
  CHECK(r->pid == 4984);
  CHECK(r->comm == "bash");
  CHECK(r->ppid == 4956);
  CHECK(r->pgrp == 4956);
  CHECK(r->session == 3035);
  CHECK(r->minor_faults == 208);
  CHECK(r->major_faults == 2);
  CHECK(r->start_time_ticks == 34424);
  CHECK(r->vsize_bytes == 4464640);
  CHECK(r->rss_pages == 796);
  CHECK(r->processor == 1);
}

TEST_CASE("parse_proc_pid_stat: kernel threads have no memory", "[collectors][proc_pid_stat]") {
  const auto text = read_fixture("debian12-6.18-x86_64/proc/2/stat");
  const auto r = parse_proc_pid_stat(text);
  REQUIRE(r);
  CHECK(r->pid == 2);
  CHECK(r->comm == "kthreadd");
  CHECK(r->ppid == 0);
  CHECK(r->vsize_bytes == 0);
  CHECK(r->rss_pages == 0);
  CHECK(r->num_threads == 1);
  CHECK(r->processor == 0);
}

TEST_CASE("parse_proc_pid_stat: kernel thread names longer than 15 bytes",
          "[collectors][proc_pid_stat]") {
  // Workqueue workers show the workqueue they last served (4.18+) ...
  const auto worker_text = read_fixture("debian12-6.18-x86_64/proc/9/stat");
  const auto worker = parse_proc_pid_stat(worker_text);
  REQUIRE(worker);
  CHECK(worker->comm == "kworker/0:0-cgroup_pidlist_destroy");
  CHECK(worker->comm.size() > 15);
  CHECK(worker->state == 'I');  // idle kernel thread (4.14+)
  CHECK(worker->ppid == 2);
  // ... and other kernel threads their full name (5.17+).
  const auto rcu_text = read_fixture("debian12-6.18-x86_64/proc/16/stat");
  const auto rcu = parse_proc_pid_stat(rcu_text);
  REQUIRE(rcu);
  CHECK(rcu->comm == "rcu_exp_par_gp_kthread_worker/0");
  CHECK(rcu->state == 'S');
}

TEST_CASE("parse_proc_pid_stat: real-time priority is negative", "[collectors][proc_pid_stat]") {
  // migration/N runs SCHED_FIFO at rt_priority 99: the kernel shows -1 - 99.
  const auto text = read_fixture("debian12-6.18-x86_64/proc/18/stat");
  const auto r = parse_proc_pid_stat(text);
  REQUIRE(r);
  CHECK(r->comm == "migration/0");
  CHECK(r->priority == -100);
  CHECK(r->nice == 0);
  CHECK(r->stime_ticks == 1);
}

TEST_CASE("parse_proc_pid_stat: comm with parentheses and spaces", "[collectors][proc_pid_stat]") {
  SECTION("systemd's (sd-pam) helper") {
    const auto text = read_fixture("synthetic-comm-paren/proc/1234/stat");  // comm views into it
    const auto r = parse_proc_pid_stat(text);
    REQUIRE(r);
    CHECK(r->pid == 1234);
    CHECK(r->comm == "(sd-pam)");
    CHECK(r->state == 'S');
    CHECK(r->ppid == 1233);
    CHECK(r->vsize_bytes == 106315776);
    CHECK(r->rss_pages == 1021);
    CHECK(r->processor == 1);
  }
  SECTION("a ')' followed by a space") {
    const auto text = read_fixture("synthetic-comm-paren/proc/1235/stat");
    const auto r = parse_proc_pid_stat(text);
    REQUIRE(r);
    CHECK(r->pid == 1235);
    CHECK(r->comm == "a) b");
    CHECK(r->state == 'R');
    CHECK(r->ppid == 1);
    CHECK(r->pgrp == 1235);
    CHECK(r->session == 1235);
    CHECK(r->utime_ticks == 3);
    CHECK(r->stime_ticks == 1);
    CHECK(r->start_time_ticks == 90210);
    CHECK(r->rss_pages == 180);
    CHECK(r->processor == 0);
  }
  SECTION("a comm that looks like the fields after it") {
    // A first-')' parser would read state 'Z' and ppid 9.
    const auto r = parse_proc_pid_stat(
        "77 (x) Z 9 9 9) S 1 77 77 0 -1 0 5 0 6 0 7 8 0 0 20 0 1 0 500 4096 3\n");
    REQUIRE(r);
    CHECK(r->comm == "x) Z 9 9 9");
    CHECK(r->state == 'S');
    CHECK(r->ppid == 1);
    CHECK(r->minor_faults == 5);
    CHECK(r->major_faults == 6);
    CHECK(r->utime_ticks == 7);
    CHECK(r->stime_ticks == 8);
    CHECK(r->start_time_ticks == 500);
    CHECK(r->vsize_bytes == 4096);
    CHECK(r->rss_pages == 3);
  }
  SECTION("a newline inside comm (stat does not escape it)") {
    const auto r = parse_proc_pid_stat(
        "78 (a\nb) S 1 78 78 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 9 0 0\n");
    REQUIRE(r);
    CHECK(r->comm == "a\nb");
    CHECK(r->start_time_ticks == 9);
  }
  SECTION("an empty comm (prctl PR_SET_NAME \"\")") {
    const auto r = parse_proc_pid_stat("79 () S 1 79 79 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 9 0 0");
    REQUIRE(r);
    CHECK(r->comm.empty());
    CHECK(r->pid == 79);
  }
}

TEST_CASE("parse_proc_pid_stat: Linux 2.2 line without processor", "[collectors][proc_pid_stat]") {
  const auto text = read_fixture("synthetic-linux2.2/proc/1/stat");
  const auto r = parse_proc_pid_stat(text);
  REQUIRE(r);
  CHECK(r->comm == "init");
  CHECK(r->minor_faults == 160);
  CHECK(r->major_faults == 126);
  CHECK(r->utime_ticks == 12);
  CHECK(r->stime_ticks == 37);
  CHECK(r->priority == 15);
  CHECK(r->start_time_ticks == 7);
  CHECK(r->vsize_bytes == 798720);
  CHECK(r->rss_pages == 107);
  CHECK(r->processor == -1);
}

TEST_CASE("parse_proc_pid_stat: field counts", "[collectors][proc_pid_stat]") {
  SECTION("24 fields (through rss) is enough") {
    const auto r = parse_proc_pid_stat(first_fields(24));
    REQUIRE(r);
    CHECK(r->rss_pages == 3305);
    CHECK(r->processor == -1);
  }
  SECTION("39 fields gives processor") {
    const auto r = parse_proc_pid_stat(first_fields(39));
    REQUIRE(r);
    CHECK(r->processor == 1);
  }
  SECTION("columns a later kernel may add are ignored") {
    auto fields = base_fields();
    for (int i = 0; i < 30; ++i) fields.push_back("7");
    const auto r = parse_proc_pid_stat(join(fields));
    REQUIRE(r);
    CHECK(r->processor == 1);
    CHECK(r->rss_pages == 3305);
  }
  SECTION("no trailing newline, nice -20, a zombie") {
    auto fields = base_fields();
    fields[2] = "Z";
    fields[18] = "-20";
    fields[17] = "0";
    std::string line = join(fields);
    line.pop_back();
    const auto r = parse_proc_pid_stat(line);
    REQUIRE(r);
    CHECK(r->state == 'Z');
    CHECK(r->nice == -20);
    CHECK(r->priority == 0);
  }
}

TEST_CASE("parse_proc_pid_stat: bad input gives an error, never a crash",
          "[collectors][proc_pid_stat]") {
  const auto [name, input, code] = GENERATE(table<const char*, std::string, Errc>({
      {"empty", "", Errc::empty},
      {"whitespace only", " \n", Errc::empty},
      {"no parentheses", "1 bash S 0 1 1", Errc::malformed},
      {"cut inside comm", "1 (bas", Errc::truncated},
      {"pid and comm only", "1 (bash)\n", Errc::truncated},
      {"state only", "1 (bash) S\n", Errc::truncated},
      {"23 fields", first_fields(23), Errc::truncated},
      {"')' before '('", "1 )bash( S 0", Errc::truncated},
      {"no pid", "(bash) S 0", Errc::malformed},
      {"no space before comm", "1(bash) S 0", Errc::malformed},
      {"no space after comm", "1 (bash)S 0 1 1", Errc::malformed},
      {"non-numeric pid", with_field(1, "abc"), Errc::malformed},
      {"pid zero", with_field(1, "0"), Errc::malformed},
      {"negative pid", with_field(1, "-5"), Errc::malformed},
      {"pid overflows int32", with_field(1, "99999999999"), Errc::out_of_range},
      {"two-letter state", with_field(3, "SS"), Errc::malformed},
      {"digit state", with_field(3, "1"), Errc::malformed},
      {"non-numeric ppid", with_field(4, "x"), Errc::malformed},
      {"ppid overflows int32", with_field(4, "2147483648"), Errc::out_of_range},
      {"non-numeric utime", with_field(14, "12a"), Errc::malformed},
      {"negative utime", with_field(14, "-1"), Errc::out_of_range},
      {"utime overflows u64", with_field(14, "99999999999999999999999"), Errc::out_of_range},
      {"non-numeric nice", with_field(19, "nice"), Errc::malformed},
      {"rss overflows u64", with_field(24, "18446744073709551616"), Errc::out_of_range},
      {"non-numeric rss", with_field(24, "3k"), Errc::malformed},
      {"non-numeric processor", with_field(39, "cpu1"), Errc::malformed},
      {"binary garbage", std::string("\x00\x01(\xff) \x02\x03", 8), Errc::malformed},
      {"binary without parentheses", std::string("\xff\xfe\xfd\x00\x80", 5), Errc::malformed},
  }));
  INFO(name);
  const auto r = parse_proc_pid_stat(input);
  REQUIRE_FALSE(r);
  CHECK(r.error().code == code);
  CHECK_FALSE(r.error().detail.empty());
}

TEST_CASE("parse_proc_pid_stat: truncated real line", "[collectors][proc_pid_stat]") {
  const auto full = read_fixture("debian12-6.18-x86_64/proc/4984/stat");
  // Every cut before rss (field 24) starts must fail; once all of rss is there it parses.
  const auto rss_start = full.find(" 796 ") + 1;
  REQUIRE(rss_start > 1);
  for (std::size_t cut = 0; cut < full.size(); ++cut) {
    INFO("cut at " << cut);
    const auto r = parse_proc_pid_stat(full.substr(0, cut));
    if (cut <= rss_start) {
      CHECK_FALSE(r);
    } else if (cut >= rss_start + 3) {
      REQUIRE(r);
      CHECK(r->rss_pages == 796);
    }
  }
}
