#include "hyperion/collectors/cgroups.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "fixture.hpp"
#include "hyperion/collectors/local_source.hpp"
#include "hyperion/collectors/tree_source.hpp"
#include "temp_dir.hpp"

using namespace hyperion::collectors;
using hyperion::test::fixtures_dir;
using hyperion::test::read_fixture;
using hyperion::test::TempDir;
using namespace std::string_view_literals;
namespace fs = std::filesystem;

namespace {

constexpr std::string_view kDockerId = "f31f384749f9115acf01fcf82f5a966b59dcc0a4cbd7c9740888c0bf32aa2bbb";
constexpr std::string_view kPodmanId = "cc68e1d9877507693f2627038a9947317d784e78728a2cdc290274f23414b7e0";
constexpr std::string_view kV1DockerId = "44b317d826b2d53c344ee49e3fe4686613870c72d811dfd8ec1645d4579f6a47";

const std::string kV2 = fixtures_dir() + "/synthetic-cgroupv2-tree";
const std::string kV1 = fixtures_dir() + "/synthetic-cgroupv1-hybrid";
const std::string kDockerScope = "/system.slice/docker-" + std::string(kDockerId) + ".scope";
const std::string kPodmanScope = "/machine.slice/libpod-" + std::string(kPodmanId) + ".scope";
const std::string kConmonScope = "/machine.slice/libpod-conmon-" + std::string(kPodmanId) + ".scope";
const std::string kV1Docker = "/docker/" + std::string(kV1DockerId);

const ContainerSample* find(const ContainersSample& s, std::string_view id) {
  for (const auto& c : s.containers) {
    if (c.id == id) return &c;
  }
  return nullptr;
}

std::vector<std::string> ids(const ContainersSample& s) {
  std::vector<std::string> out;
  for (const auto& c : s.containers) out.push_back(c.id);
  return out;
}

void write_file(const fs::path& path, std::string_view content) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  REQUIRE(out);
  out << content;
}

// A writable copy of a fixture tree, for tests that change counters or remove groups.
void copy_tree(const std::string& from, const fs::path& to) {
  fs::copy(from, to, fs::copy_options::recursive | fs::copy_options::copy_symlinks);
}

// Forwards every call to another Source; tests override what they observe or fake.
class ForwardingSource : public Source {
 public:
  explicit ForwardingSource(Source& inner) : inner_(inner) {}
  bool read_proc(std::string_view r, std::string& buf) const override { return inner_.read_proc(r, buf); }
  bool read_sys(std::string_view r, std::string& buf) const override { return inner_.read_sys(r, buf); }
  bool read_root(std::string_view r, std::string& buf) const override { return inner_.read_root(r, buf); }
  bool exists_root(std::string_view r) const override { return inner_.exists_root(r); }
  bool exists_sys(std::string_view r) const override { return inner_.exists_sys(r); }
  std::int64_t mtime_root(std::string_view r) const override { return inner_.mtime_root(r); }
  std::vector<std::string> list_sys(std::string_view r) const override { return inner_.list_sys(r); }
  std::vector<std::string> list_sys_dirs(std::string_view r) const override { return inner_.list_sys_dirs(r); }
  std::size_t for_each_process(ProcessVisitor& v) override { return inner_.for_each_process(v); }
  void socket_owners(const std::vector<std::uint64_t>& wanted, SocketOwners& out) override {
    inner_.socket_owners(wanted, out);
  }
  bool filesystem_usage(const std::string& m, FilesystemUsage& out, bool may_hang, bool* hung) override {
    return inner_.filesystem_usage(m, out, may_hang, hung);
  }
  std::vector<InterfaceAddress> interface_addresses() const override { return inner_.interface_addresses(); }
  std::uint32_t clock_ticks_per_second() const noexcept override { return inner_.clock_ticks_per_second(); }
  std::uint32_t page_size_bytes() const noexcept override { return inner_.page_size_bytes(); }
  std::string architecture() const override { return inner_.architecture(); }

 protected:
  Source& inner_;
};

// Counts the reads of the container runtimes' metadata (under the root).
class CountingSource final : public ForwardingSource {
 public:
  using ForwardingSource::ForwardingSource;
  bool read_root(std::string_view r, std::string& buf) const override {
    ++root_reads[std::string(r)];
    return inner_.read_root(r, buf);
  }
  mutable std::map<std::string, int> root_reads;
};

// Lists a group that is gone by the time it is read (removed between listing and reading).
class GhostSource final : public ForwardingSource {
 public:
  using ForwardingSource::ForwardingSource;
  std::vector<std::string> list_sys_dirs(std::string_view r) const override {
    auto names = inner_.list_sys_dirs(r);
    if (r == "fs/cgroup/system.slice") names.emplace_back("ghost.service");
    return names;
  }
};

}  // namespace

// ---- to_string ------------------------------------------------------------------------------

TEST_CASE("to_string(CgroupKind): every kind has its name", "[collectors][cgroups]") {
  CHECK(to_string(CgroupKind::service) == "service"sv);
  CHECK(to_string(CgroupKind::scope) == "scope"sv);
  CHECK(to_string(CgroupKind::slice) == "slice"sv);
  CHECK(to_string(CgroupKind::docker) == "docker"sv);
  CHECK(to_string(CgroupKind::containerd) == "containerd"sv);
  CHECK(to_string(CgroupKind::podman) == "podman"sv);
  CHECK(to_string(CgroupKind::cgroup) == "cgroup"sv);
}

// ---- parse_cgroup_cpu_stat ------------------------------------------------------------------

TEST_CASE("parse_cgroup_cpu_stat: reads usage, user and system of a group with the cpu controller",
          "[collectors][cgroups]") {
  const auto r = parse_cgroup_cpu_stat(
      read_fixture("synthetic-cgroupv2-tree/sys/fs/cgroup/system.slice/nginx.service/cpu.stat"));
  REQUIRE(r);
  CHECK(r->usage_usec == 81234567);
  CHECK(r->user_usec == 54156378u);
  CHECK(r->system_usec == 27078189u);
}

TEST_CASE("parse_cgroup_cpu_stat: the three core keys of a group without the cpu controller",
          "[collectors][cgroups]") {
  const auto r = parse_cgroup_cpu_stat(read_fixture("synthetic-cgroupv2-tree/sys/fs/cgroup/mygroup/worker/cpu.stat"));
  REQUIRE(r);
  CHECK(r->usage_usec == 300000);
}

TEST_CASE("parse_cgroup_cpu_stat: only usage_usec is required; unknown keys are ignored", "[collectors][cgroups]") {
  const auto r = parse_cgroup_cpu_stat("core_sched.force_idle_usec 0\nusage_usec 18446744073709551615\n\nnew_key -3\n");
  REQUIRE(r);
  CHECK(r->usage_usec == 18446744073709551615ull);
  CHECK_FALSE(r->user_usec.has_value());
  CHECK_FALSE(r->system_usec.has_value());
}

TEST_CASE("parse_cgroup_cpu_stat: bad input gives an error, never a crash", "[collectors][cgroups]") {
  const auto [name, input, code] = GENERATE(table<const char*, std::string_view, Errc>({
      {"empty", "", Errc::empty},
      {"whitespace", " \n\n", Errc::empty},
      {"no usage_usec", "user_usec 5\nsystem_usec 6\n", Errc::missing_field},
      {"key without value", "usage_usec\n", Errc::truncated},
      {"extra column", "usage_usec 5 6\n", Errc::malformed},
      {"non-numeric", "usage_usec lots\n", Errc::malformed},
      {"negative", "usage_usec -5\n", Errc::malformed},
      {"plus sign", "usage_usec +5\n", Errc::malformed},
      {"fractional", "usage_usec 1.5\n", Errc::malformed},
      {"overflow", "usage_usec 18446744073709551616\n", Errc::out_of_range},
      {"bad user_usec", "usage_usec 5\nuser_usec x\n", Errc::malformed},
      {"binary garbage", "\x01\xff usage_usec\x80"sv, Errc::missing_field},
  }));
  INFO(name);
  const auto r = parse_cgroup_cpu_stat(input);
  REQUIRE_FALSE(r);
  CHECK(r.error().code == code);
  CHECK_FALSE(r.error().detail.empty());
}

// ---- single numbers -------------------------------------------------------------------------

TEST_CASE("parse_cgroup_number: one unsigned number with or without a newline", "[collectors][cgroups]") {
  CHECK(*parse_cgroup_number("52428800\n") == 52428800u);
  CHECK(*parse_cgroup_number("0") == 0u);
  CHECK(*parse_cgroup_number("18446744073709551615\n") == 18446744073709551615ull);
  CHECK(*parse_cgroup_number(
            read_fixture("synthetic-cgroupv2-tree/sys/fs/cgroup/system.slice/nginx.service/memory.peak")) ==
        73400320u);
  CHECK(*parse_cgroup_number(
            read_fixture("synthetic-cgroupv1-hybrid/sys/fs/cgroup/memory/system.slice/memory.usage_in_bytes")) ==
        209715200u);
}

TEST_CASE("parse_cgroup_number: bad input gives an error", "[collectors][cgroups]") {
  const auto [name, input, code] = GENERATE(table<const char*, std::string_view, Errc>({
      {"empty", "", Errc::empty},
      {"newline only", "\n", Errc::empty},
      {"max", "max\n", Errc::malformed},
      {"negative", "-1\n", Errc::malformed},
      {"plus sign", "+5\n", Errc::malformed},
      {"two fields", "1 2\n", Errc::malformed},
      {"two lines", "1\n2\n", Errc::malformed},
      {"trailing junk", "12abc\n", Errc::malformed},
      {"fractional", "1.5\n", Errc::malformed},
      {"overflow", "18446744073709551616\n", Errc::out_of_range},
      {"binary", "\x00\x01"sv, Errc::malformed},
  }));
  INFO(name);
  const auto r = parse_cgroup_number(input);
  REQUIRE_FALSE(r);
  CHECK(r.error().code == code);
  CHECK_FALSE(r.error().detail.empty());
}

TEST_CASE("parse_cgroup_max: max is unlimited, a number is a limit", "[collectors][cgroups]") {
  const auto unlimited = parse_cgroup_max("max\n");
  REQUIRE(unlimited);
  CHECK_FALSE(unlimited->has_value());
  const auto limited = parse_cgroup_max(
      read_fixture("synthetic-cgroupv2-tree/sys/fs/cgroup/system.slice/nginx.service/memory.max"));
  REQUIRE(limited);
  CHECK(*limited == std::optional<std::uint64_t>(536870912u));
  const auto zero = parse_cgroup_max("0");
  REQUIRE(zero);
  CHECK(*zero == std::optional<std::uint64_t>(0u));

  for (const auto bad : {""sv, "maximum\n"sv, "max max\n"sv, "MAX\n"sv, "-1\n"sv}) {
    INFO(bad);
    const auto r = parse_cgroup_max(bad);
    REQUIRE_FALSE(r);
    CHECK_FALSE(r.error().detail.empty());
  }
}

TEST_CASE("parse_cgroup_v1_memory_limit: the huge values mean unlimited", "[collectors][cgroups]") {
  // 4 KiB pages, as on x86_64 and on the development VM.
  CHECK_FALSE(parse_cgroup_v1_memory_limit("9223372036854771712\n")->has_value());
  // 64 KiB pages (arm64, ppc64le): LONG_MAX rounded down to 64 KiB.
  CHECK_FALSE(parse_cgroup_v1_memory_limit("9223372036854710272\n")->has_value());
  CHECK_FALSE(parse_cgroup_v1_memory_limit("4611686018427387904")->has_value());  // 2^62
  CHECK(*parse_cgroup_v1_memory_limit("4611686018427387903") == std::optional<std::uint64_t>(4611686018427387903u));
  CHECK(*parse_cgroup_v1_memory_limit(read_fixture(
            "synthetic-cgroupv1-hybrid/sys/fs/cgroup/memory/system.slice/nginx.service/memory.limit_in_bytes")) ==
        std::optional<std::uint64_t>(536870912u));
  for (const auto bad : {""sv, "max\n"sv, "-1\n"sv, "18446744073709551616\n"sv}) {
    INFO(bad);
    CHECK_FALSE(parse_cgroup_v1_memory_limit(bad));
  }
}

TEST_CASE("parse_cgroup_cpuacct_usage: nanoseconds", "[collectors][cgroups]") {
  const auto r = parse_cgroup_cpuacct_usage(
      read_fixture("synthetic-cgroupv1-hybrid/sys/fs/cgroup/cpu,cpuacct/system.slice/nginx.service/cpuacct.usage"));
  REQUIRE(r);
  CHECK(*r == 40123456789u);
  // The development VM's root: 17558356223209 ns = 4.9 hours of CPU.
  CHECK(*parse_cgroup_cpuacct_usage("17558356223209\n") == 17558356223209u);
  for (const auto bad : {""sv, "12 34\n"sv, "abc\n"sv, "99999999999999999999\n"sv}) {
    INFO(bad);
    CHECK_FALSE(parse_cgroup_cpuacct_usage(bad));
  }
}

// ---- io.stat --------------------------------------------------------------------------------

TEST_CASE("parse_cgroup_io_stat: sums rbytes and wbytes over the devices", "[collectors][cgroups]") {
  const auto r =
      parse_cgroup_io_stat(read_fixture("synthetic-cgroupv2-tree/sys/fs/cgroup/system.slice/nginx.service/io.stat"));
  REQUIRE(r);
  CHECK(r->read_bytes == 10485760u + 1048576u);
  CHECK(r->write_bytes == 2097152u + 4096u);

  // The example of Documentation/admin-guide/cgroup-v2.rst.
  const auto doc = parse_cgroup_io_stat(
      "8:16 rbytes=1459200 wbytes=314773504 rios=192 wios=353 dbytes=0 dios=0\n"
      "8:0 rbytes=90430464 wbytes=299008000 rios=8950 wios=1252 dbytes=50331648 dios=3021\n");
  REQUIRE(doc);
  CHECK(doc->read_bytes == 1459200u + 90430464u);
  CHECK(doc->write_bytes == 314773504u + 299008000u);
}

TEST_CASE("parse_cgroup_io_stat: an empty file is a group without IO", "[collectors][cgroups]") {
  const auto r = parse_cgroup_io_stat(read_fixture("synthetic-cgroupv2-tree/sys/fs/cgroup/init.scope/io.stat"));
  REQUIRE(r);
  CHECK(r->read_bytes == 0);
  CHECK(r->write_bytes == 0);
  CHECK(parse_cgroup_io_stat("\n"));
}

TEST_CASE("parse_cgroup_io_stat: keys of iocost and iolatency are ignored, in any order", "[collectors][cgroups]") {
  const auto r = parse_cgroup_io_stat(
      "259:0 wbytes=20 rbytes=10 rios=1 wios=2 dbytes=0 dios=0 cost.vrate=135.04 cost.usage=1234 "
      "cost.wait=0 cost.indebt=0 cost.indelay=0 depth=1 avg_lat=n/a win=0\n");
  REQUIRE(r);
  CHECK(r->read_bytes == 10);
  CHECK(r->write_bytes == 20);
}

TEST_CASE("parse_cgroup_io_stat: bad input gives an error, never a crash", "[collectors][cgroups]") {
  const auto [name, input, code] = GENERATE(table<const char*, std::string_view, Errc>({
      {"device not MAJ:MIN", "sda rbytes=1 wbytes=2\n", Errc::malformed},
      {"device half", "8: rbytes=1 wbytes=2\n", Errc::malformed},
      {"token without =", "8:0 rbytes=1 wbytes=2 7\n", Errc::malformed},
      {"no wbytes", "8:0 rbytes=1 rios=1\n", Errc::missing_field},
      {"device only", "8:0\n", Errc::missing_field},
      {"non-numeric", "8:0 rbytes=x wbytes=2\n", Errc::malformed},
      {"negative", "8:0 rbytes=-1 wbytes=2\n", Errc::malformed},
      {"value overflows", "8:0 rbytes=18446744073709551616 wbytes=2\n", Errc::out_of_range},
      {"sum overflows",
       "8:0 rbytes=18446744073709551615 wbytes=0\n8:16 rbytes=1 wbytes=0\n", Errc::out_of_range},
      {"cut mid-line", "8:0 rbytes=1 wbytes=2\n8:16 rbytes=4", Errc::missing_field},
      {"binary garbage", "\x01\x02\xff"sv, Errc::malformed},
  }));
  INFO(name);
  const auto r = parse_cgroup_io_stat(input);
  REQUIRE_FALSE(r);
  CHECK(r.error().code == code);
  CHECK_FALSE(r.error().detail.empty());
}

// ---- blkio ----------------------------------------------------------------------------------

TEST_CASE("parse_cgroup_blkio_service_bytes: sums Read and Write over the devices", "[collectors][cgroups]") {
  const auto r = parse_cgroup_blkio_service_bytes(read_fixture(
      "synthetic-cgroupv1-hybrid/sys/fs/cgroup/blkio/system.slice/blkio.throttle.io_service_bytes_recursive"));
  REQUIRE(r);
  CHECK(r->read_bytes == 11534336u + 1048576u);
  CHECK(r->write_bytes == 2097152u + 4096u);
}

TEST_CASE("parse_cgroup_blkio_service_bytes: a group without IO prints only Total 0", "[collectors][cgroups]") {
  // As the development VM's /sys/fs/cgroup/blkio/blkio.throttle.io_service_bytes reads.
  const auto r = parse_cgroup_blkio_service_bytes("Total 0\n");
  REQUIRE(r);
  CHECK(r->read_bytes == 0);
  CHECK(r->write_bytes == 0);
}

TEST_CASE("parse_cgroup_blkio_service_bytes: the CFQ-era io_service_bytes_recursive (no Discard)",
          "[collectors][cgroups]") {
  const auto r = parse_cgroup_blkio_service_bytes(
      "8:0 Read 4096\n8:0 Write 8192\n8:0 Sync 12288\n8:0 Async 0\n8:0 Total 12288\n"
      "8:16 Read 1\n8:16 Write 2\n8:16 Sync 3\n8:16 Async 0\n8:16 Total 3\n"
      "Total 12291\n");
  REQUIRE(r);
  CHECK(r->read_bytes == 4097);
  CHECK(r->write_bytes == 8194);
}

TEST_CASE("parse_cgroup_blkio_service_bytes: bad input gives an error", "[collectors][cgroups]") {
  const auto [name, input, code] = GENERATE(table<const char*, std::string_view, Errc>({
      {"empty", "", Errc::empty},
      {"no final Total", "8:0 Read 1\n8:0 Write 2\n", Errc::truncated},
      {"one field", "8:0\nTotal 0\n", Errc::truncated},
      {"two fields, not Total", "8:0 Read\nTotal 0\n", Errc::malformed},
      {"four fields", "8:0 Read 1 2\nTotal 1\n", Errc::malformed},
      {"bad device", "sda Read 1\nTotal 1\n", Errc::malformed},
      {"non-numeric", "8:0 Read x\nTotal 0\n", Errc::malformed},
      {"bad Total", "Total lots\n", Errc::malformed},
      {"value overflows", "8:0 Read 18446744073709551616\nTotal 0\n", Errc::out_of_range},
      {"sum overflows", "8:0 Read 18446744073709551615\n8:16 Read 1\nTotal 0\n", Errc::out_of_range},
  }));
  INFO(name);
  const auto r = parse_cgroup_blkio_service_bytes(input);
  REQUIRE_FALSE(r);
  CHECK(r.error().code == code);
  CHECK_FALSE(r.error().detail.empty());
}

// ---- classify_cgroup ------------------------------------------------------------------------

TEST_CASE("classify_cgroup: units, containers and plain groups", "[collectors][cgroups]") {
  const std::string id(kDockerId);
  const std::string short_id = id.substr(0, 12);
  const auto [path, kind, container_id, name] =
      GENERATE_REF(table<std::string, CgroupKind, std::string, std::string>({
          {"/system.slice/nginx.service", CgroupKind::service, "", "nginx.service"},
          {"/user.slice/user-1000.slice/user@1000.service", CgroupKind::service, "", "user@1000.service"},
          {"/user.slice/user-1000.slice/session-2.scope", CgroupKind::scope, "", "session-2.scope"},
          {"/init.scope", CgroupKind::scope, "", "init.scope"},
          {"/user.slice", CgroupKind::slice, "", "user.slice"},
          {"/user.slice/user-1000.slice", CgroupKind::slice, "", "user-1000.slice"},
          // docker, systemd driver (v2 and v1) and cgroupfs driver (v1).
          {"/system.slice/docker-" + id + ".scope", CgroupKind::docker, id, short_id},
          {"/docker/" + id, CgroupKind::docker, id, short_id},
          {"/docker/" + id + "/", CgroupKind::docker, id, short_id},
          // containerd under Kubernetes, systemd and cgroupfs drivers.
          {"/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod1234.slice/cri-containerd-" + id +
               ".scope",
           CgroupKind::containerd, id, short_id},
          {"/kubepods/burstable/pod0e1f2a3b-4c5d-6e7f-8a9b-0c1d2e3f4a5b/" + id, CgroupKind::containerd, id,
           short_id},
          {"/kubepods/besteffort/cri-containerd-" + id, CgroupKind::containerd, id, short_id},
          // podman, systemd and cgroupfs managers; its conmon monitor is only a scope.
          {"/machine.slice/libpod-" + id + ".scope", CgroupKind::podman, id, short_id},
          {"/libpod_parent/libpod-" + id, CgroupKind::podman, id, short_id},
          {"/machine.slice/libpod-conmon-" + id + ".scope", CgroupKind::scope, "", "libpod-conmon-" + id + ".scope"},
          // Plain groups, and near misses that are not containers.
          {"/mygroup", CgroupKind::cgroup, "", "mygroup"},
          {"/mygroup/worker", CgroupKind::cgroup, "", "worker"},
          {"/" + id, CgroupKind::cgroup, "", id},
          {"/process_api/8ad4dc528d67ee5dd9e68aaeef8400b9", CgroupKind::cgroup, "",
           "8ad4dc528d67ee5dd9e68aaeef8400b9"},
          {"/docker/" + id.substr(1), CgroupKind::cgroup, "", id.substr(1)},
          {"/docker/" + short_id, CgroupKind::cgroup, "", short_id},
          {"/system.slice/docker-" + id.substr(0, 63) + "G.scope", CgroupKind::scope, "",
           "docker-" + id.substr(0, 63) + "G.scope"},
          {"/system.slice/docker-" + id, CgroupKind::cgroup, "", "docker-" + id},
          {"/system.slice/docker.service", CgroupKind::service, "", "docker.service"},
          {"/system.slice/.service", CgroupKind::cgroup, "", ".service"},
          {"/sys-fs-fuse-connections.mount", CgroupKind::cgroup, "", "sys-fs-fuse-connections.mount"},
          {"/docker", CgroupKind::cgroup, "", "docker"},
      }));
  INFO(path);
  const auto c = classify_cgroup(path);
  CHECK(c.kind == kind);
  CHECK(c.container_id == container_id);
  CHECK(c.name == name);
}

TEST_CASE("classify_cgroup: an uppercase ID is not a container ID", "[collectors][cgroups]") {
  std::string upper(kDockerId);
  std::transform(upper.begin(), upper.end(), upper.begin(),
                 [](char c) { return static_cast<char>(c >= 'a' && c <= 'f' ? c - 'a' + 'A' : c); });
  const auto c = classify_cgroup("/docker/" + upper);
  CHECK(c.kind == CgroupKind::cgroup);
  CHECK(c.container_id.empty());
}

// ---- Docker's config.v2.json ----------------------------------------------------------------

TEST_CASE("parse_docker_config_name: the top-level Name without its slash", "[collectors][cgroups]") {
  const auto r = parse_docker_config_name(read_fixture("synthetic-cgroupv2-tree/var/lib/docker/containers/" +
                                                       std::string(kDockerId) + "/config.v2.json"));
  REQUIRE(r);
  CHECK(*r == "web");
}

TEST_CASE("parse_docker_config_name: nested Name keys and keys in strings are not the name",
          "[collectors][cgroups]") {
  const auto r = parse_docker_config_name(
      R"({"Config":{"Labels":{"Name":"/decoy"}},"Args":["\"Name\":\"/arg\""],)"
      R"("RestartPolicy":{"Name":"no"},"Name" : "/real" ,"MountPoints":{"/d":{"Name":"vol"}}})");
  REQUIRE(r);
  CHECK(*r == "real");
}

TEST_CASE("parse_docker_config_name: escapes are decoded", "[collectors][cgroups]") {
  CHECK(*parse_docker_config_name(R"({"Name":"/we\u0062"})") == "web");
  CHECK(*parse_docker_config_name(R"({"Name":"\/a\\b\"c"})") == "a\\b\"c");
  CHECK(*parse_docker_config_name(R"({"Name":"/caf\u00e9"})") == "caf\xc3\xa9");
  CHECK(*parse_docker_config_name(R"({"Name":"/\ud83d\ude00x"})") == "\xf0\x9f\x98\x80x");
  CHECK(*parse_docker_config_name("{ \"ID\" : 12.5e3 , \"ok\":true,\"no\":null, \"Name\":\"no-slash\" }\n") ==
        "no-slash");
}

TEST_CASE("parse_docker_config_name: bad input gives an error, never a crash", "[collectors][cgroups]") {
  const auto [name, input, code] = GENERATE(table<const char*, std::string_view, Errc>({
      {"empty", "", Errc::empty},
      {"whitespace", " \n", Errc::empty},
      {"an array", "[]", Errc::malformed},
      {"empty object", "{}", Errc::missing_field},
      {"only nested Name", R"({"Config":{"Name":"/decoy"}})", Errc::missing_field},
      {"Name only a slash", R"({"Name":"/"})", Errc::missing_field},
      {"Name a number", R"({"Name":42})", Errc::malformed},
      {"Name null", R"({"Name":null})", Errc::malformed},
      {"missing comma", R"({"ID":"x" "Name":"/web"})", Errc::malformed},
      {"missing colon", R"({"ID" "x","Name":"/web"})", Errc::malformed},
      {"bare word value", R"({"ID":yes,"Name":"/web"})", Errc::malformed},
      {"unquoted key", R"({Name:"/web"})", Errc::malformed},
      {"bad escape", R"({"Name":"/a\qb"})", Errc::malformed},
      {"bad unicode escape", R"({"Name":"/a\u12G4"})", Errc::malformed},
      {"lone high surrogate", R"({"Name":"/a\ud83dx"})", Errc::malformed},
      {"lone low surrogate", R"({"Name":"/a\ude00"})", Errc::malformed},
      {"raw control character", "{\"Name\":\"/a\x01\"}", Errc::malformed},
      {"cut in the name", R"({"ID":"x","Name":"/w)", Errc::truncated},
      {"cut after a key", R"({"ID":"x","Name")", Errc::truncated},
      {"cut after the colon", R"({"ID":"x","Name":)", Errc::truncated},
      {"cut in an escape", R"({"ID":"x\u00)", Errc::truncated},
      {"cut in a literal", R"({"Running":tru)", Errc::truncated},
      {"object never closed", R"({"ID":"x")", Errc::truncated},
      {"binary garbage", "\xff\xfe{\x00"sv, Errc::malformed},
  }));
  INFO(name);
  const auto r = parse_docker_config_name(input);
  REQUIRE_FALSE(r);
  CHECK(r.error().code == code);
  CHECK_FALSE(r.error().detail.empty());
}

TEST_CASE("parse_docker_config_name: every prefix of the real file is handled", "[collectors][cgroups]") {
  const auto full = read_fixture("synthetic-cgroupv2-tree/var/lib/docker/containers/" + std::string(kDockerId) +
                                 "/config.v2.json");
  const auto name_end = full.find(R"("Name":"/web")") + std::string_view(R"("Name":"/web")").size();
  REQUIRE(name_end > 100);
  for (std::size_t n = 0; n <= full.size(); ++n) {
    INFO("prefix length " << n);
    const auto r = parse_docker_config_name(std::string_view(full).substr(0, n));
    if (n < name_end) {
      // Everything before the name is well-formed: a cut anywhere is "input ends early".
      REQUIRE_FALSE(r);
      CHECK(r.error().code == (n == 0 ? Errc::empty : Errc::truncated));
    } else {
      REQUIRE(r);
      CHECK(*r == "web");
    }
  }
}

TEST_CASE("parse_docker_config_name: deep nesting is refused, not recursed", "[collectors][cgroups]") {
  const std::string deep = "{\"a\":" + std::string(100000, '[');
  const auto r = parse_docker_config_name(deep);
  REQUIRE_FALSE(r);
  CHECK(r.error().code == Errc::malformed);
  // 60 levels are fine.
  const std::string ok = "{\"a\":" + std::string(60, '[') + std::string(60, ']') + ",\"Name\":\"/n\"}";
  CHECK(*parse_docker_config_name(ok) == "n");
}

// ---- Podman's containers.json ---------------------------------------------------------------

TEST_CASE("parse_podman_containers: IDs and first names", "[collectors][cgroups]") {
  const auto r = parse_podman_containers(
      read_fixture("synthetic-cgroupv2-tree/var/lib/containers/storage/overlay-containers/containers.json"));
  REQUIRE(r);
  REQUIRE(r->size() == 2);
  CHECK((*r)[0].id == "24c963a7670b688e63f030b85128e2c2e7eaf36c1d3205f42359bd4d55c85acf");
  CHECK((*r)[0].name == "old-job");
  CHECK((*r)[1].id == kPodmanId);
  CHECK((*r)[1].name == "db");
}

TEST_CASE("parse_podman_containers: odd but valid shapes", "[collectors][cgroups]") {
  CHECK(parse_podman_containers("[]\n")->empty());
  CHECK(parse_podman_containers("[{}]")->empty());  // no id: nothing to match
  CHECK(parse_podman_containers(R"([{"id":1}])")->empty());
  const auto r = parse_podman_containers(
      R"([ {"names":["one","two"],"id":"a"} , {"id":"b","names":[]}, {"id":"c"}, {"id":"d","names":[7,"n"]},)"
      R"( {"id":"e","metadata":"{\"name\":\"decoy\",\"id\":\"x\"}","names":["real"]} ])");
  REQUIRE(r);
  REQUIRE(r->size() == 5);
  CHECK((*r)[0].id == "a");
  CHECK((*r)[0].name == "one");
  CHECK((*r)[1].name.empty());
  CHECK((*r)[2].name.empty());
  CHECK((*r)[3].name == "n");
  CHECK((*r)[4].name == "real");
}

TEST_CASE("parse_podman_containers: bad input gives an error, never a crash", "[collectors][cgroups]") {
  const auto [name, input, code] = GENERATE(table<const char*, std::string_view, Errc>({
      {"empty", "", Errc::empty},
      {"an object", "{}", Errc::malformed},
      {"array of numbers", "[1]", Errc::malformed},
      {"trailing comma", R"([{"id":"a"},])", Errc::malformed},
      {"names not closed", R"([{"id":"a","names":["x" "y"]}])", Errc::malformed},
      {"bad escape in id", R"([{"id":"a\x"}])", Errc::malformed},
      {"not closed", R"([{"id":"a"})", Errc::truncated},
      {"cut in names", R"([{"id":"a","names":["x)", Errc::truncated},
      {"deep nesting", "[{\"x\":[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[",
       Errc::malformed},
      {"binary garbage", "[\x80\x00"sv, Errc::malformed},
  }));
  INFO(name);
  const auto r = parse_podman_containers(input);
  REQUIRE_FALSE(r);
  CHECK(r.error().code == code);
  CHECK_FALSE(r.error().detail.empty());
}

TEST_CASE("parse_podman_containers: every prefix of the real file is truncated", "[collectors][cgroups]") {
  const auto full =
      read_fixture("synthetic-cgroupv2-tree/var/lib/containers/storage/overlay-containers/containers.json");
  for (std::size_t n = 0; n < full.size(); ++n) {
    INFO("prefix length " << n);
    const auto r = parse_podman_containers(std::string_view(full).substr(0, n));
    REQUIRE_FALSE(r);
    CHECK(r.error().code == (n == 0 ? Errc::empty : Errc::truncated));
  }
  CHECK(parse_podman_containers(full));
}

TEST_CASE("JSON metadata parsers: mutated files give a value or an error, never a crash", "[collectors][cgroups]") {
  // Deterministic fuzzing (xorshift64, fixed seed): flip, drop, duplicate and insert bytes
  // in both real files, and check the results are coherent.
  const std::string inputs[] = {
      read_fixture("synthetic-cgroupv2-tree/var/lib/docker/containers/" + std::string(kDockerId) +
                   "/config.v2.json"),
      read_fixture("synthetic-cgroupv2-tree/var/lib/containers/storage/overlay-containers/containers.json"),
  };
  std::uint64_t state = 0x9E3779B97F4A7C15ull;
  const auto next = [&state](std::uint64_t bound) {
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    return state % bound;
  };
  constexpr char kAlphabet[] = "{}[]\":,\\/u0aZ \n\x01\xff";
  std::size_t values = 0, errors = 0;
  for (int round = 0; round < 3000; ++round) {
    std::string s = inputs[round % 2];
    const auto edits = 1 + next(8);
    for (std::uint64_t e = 0; e < edits && !s.empty(); ++e) {
      const auto at = static_cast<std::size_t>(next(s.size()));
      switch (next(4)) {
        case 0: s[at] = kAlphabet[next(sizeof kAlphabet - 1)]; break;
        case 1: s.erase(at, static_cast<std::size_t>(1 + next(16))); break;
        case 2: s.insert(at, s.substr(at, static_cast<std::size_t>(next(32)))); break;
        default: s.insert(at, 1, kAlphabet[next(sizeof kAlphabet - 1)]); break;
      }
    }
    const auto d = parse_docker_config_name(s);
    const auto p = parse_podman_containers(s);
    if (d) {
      CHECK_FALSE(d->empty());
      ++values;
    } else {
      CHECK_FALSE(d.error().detail.empty());
      ++errors;
    }
    if (p) {
      for (const auto& c : *p) CHECK_FALSE(c.id.empty());
    } else {
      CHECK_FALSE(p.error().detail.empty());
    }
  }
  // Both outcomes happen: the mutations neither always break nor never break the files.
  CHECK(values > 0);
  CHECK(errors > 0);
}

// ---- CgroupReader over the v2 fixture -------------------------------------------------------

TEST_CASE("CgroupReader: a v2 tree gives every group down to max_depth, sorted", "[collectors][cgroups]") {
  TreeSource source(SourcePaths::under(kV2));
  CgroupReader reader(CgroupOptions{3, 2000});  // depth 3: what these trees were written for
  ContainersSample s;
  std::string error = "stale";
  REQUIRE(reader.read(source, 100.0, s, &error));
  CHECK(error.empty());
  CHECK(s.hierarchy == "v2");
  const std::vector<std::string> expected = {
      "/init.scope",
      "/machine.slice",
      kPodmanScope,
      kConmonScope,
      "/mygroup",
      "/mygroup/worker",
      "/system.slice",
      kDockerScope,
      "/system.slice/nginx.service",
      "/user.slice",
      "/user.slice/user-1000.slice",
      "/user.slice/user-1000.slice/session-2.scope",
      "/user.slice/user-1000.slice/user@1000.service",
  };
  CHECK(ids(s) == expected);
  // Below max_depth (3): user@1000.service/app.slice is not read.
  CHECK(find(s, "/user.slice/user-1000.slice/user@1000.service/app.slice") == nullptr);
}

TEST_CASE("CgroupReader: a v2 service has every value", "[collectors][cgroups]") {
  TreeSource source(SourcePaths::under(kV2));
  CgroupReader reader(CgroupOptions{3, 2000});  // depth 3: what these trees were written for
  ContainersSample s;
  REQUIRE(reader.read(source, 100.0, s, nullptr));
  const auto* c = find(s, "/system.slice/nginx.service");
  REQUIRE(c);
  CHECK(c->name == "nginx.service");
  CHECK(c->kind == CgroupKind::service);
  CHECK(c->container_id.empty());
  CHECK(c->depth == 2);
  REQUIRE(c->cpu_usage_seconds_total);
  CHECK(*c->cpu_usage_seconds_total == Approx(81.234567));
  CHECK_FALSE(c->cpu_percent);  // first read
  CHECK(c->memory_current_bytes == 52428800u);
  CHECK(c->memory_peak_bytes == 73400320u);
  CHECK(c->memory_limit_bytes == 536870912u);
  CHECK(c->io_read_bytes_total == 11534336u);
  CHECK(c->io_write_bytes_total == 2101248u);
  CHECK_FALSE(c->io_read_bytes_per_second);
  CHECK_FALSE(c->io_write_bytes_per_second);
  CHECK(c->pids_current == 5u);
  REQUIRE(c->cpu_pressure);
  CHECK(c->cpu_pressure->some.avg10 == Approx(1.53));
  CHECK(c->cpu_pressure->some.total_microseconds == 48151623);
  REQUIRE(c->cpu_pressure->full);
  CHECK(c->cpu_pressure->full->total_microseconds == 203086);
  REQUIRE(c->memory_pressure);
  CHECK(c->memory_pressure->some.total_microseconds == 0);
  REQUIRE(c->io_pressure);
  CHECK(c->io_pressure->some.total_microseconds == 1234);
  REQUIRE(c->io_pressure->full);
  CHECK(c->io_pressure->full->total_microseconds == 987);
}

TEST_CASE("CgroupReader: v2 containers are named from their runtime's metadata", "[collectors][cgroups]") {
  TreeSource source(SourcePaths::under(kV2));
  CgroupReader reader(CgroupOptions{3, 2000});  // depth 3: what these trees were written for
  ContainersSample s;
  REQUIRE(reader.read(source, 100.0, s, nullptr));

  const auto* docker = find(s, kDockerScope);
  REQUIRE(docker);
  CHECK(docker->kind == CgroupKind::docker);
  CHECK(docker->name == "web");
  CHECK(docker->container_id == kDockerId);
  CHECK(docker->depth == 2);
  CHECK(docker->memory_current_bytes == 104857600u);
  CHECK_FALSE(docker->memory_peak_bytes);   // no memory.peak (before 5.19): not an error
  CHECK_FALSE(docker->memory_limit_bytes);  // "max"
  CHECK(docker->io_read_bytes_total == 4096u);
  CHECK(docker->io_write_bytes_total == 8192u);
  CHECK(docker->pids_current == 12u);

  const auto* podman = find(s, kPodmanScope);
  REQUIRE(podman);
  CHECK(podman->kind == CgroupKind::podman);
  CHECK(podman->name == "db");
  CHECK(podman->container_id == kPodmanId);
  CHECK(podman->memory_limit_bytes == 268435456u);

  const auto* conmon = find(s, kConmonScope);
  REQUIRE(conmon);
  CHECK(conmon->kind == CgroupKind::scope);
  CHECK(conmon->container_id.empty());
  CHECK(conmon->name == "libpod-conmon-" + std::string(kPodmanId) + ".scope");
}

TEST_CASE("CgroupReader: v2 scopes, slices and plain groups", "[collectors][cgroups]") {
  TreeSource source(SourcePaths::under(kV2));
  CgroupReader reader(CgroupOptions{3, 2000});  // depth 3: what these trees were written for
  ContainersSample s;
  REQUIRE(reader.read(source, 100.0, s, nullptr));

  const auto* session = find(s, "/user.slice/user-1000.slice/session-2.scope");
  REQUIRE(session);
  CHECK(session->kind == CgroupKind::scope);
  CHECK(session->name == "session-2.scope");
  CHECK(session->depth == 3);
  CHECK(session->io_read_bytes_total == 0u);  // empty io.stat: no IO yet
  CHECK(session->io_write_bytes_total == 0u);

  const auto* user = find(s, "/user.slice/user-1000.slice");
  REQUIRE(user);
  CHECK(user->kind == CgroupKind::slice);
  CHECK(user->name == "user-1000.slice");

  const auto* mygroup = find(s, "/mygroup");
  REQUIRE(mygroup);
  CHECK(mygroup->kind == CgroupKind::cgroup);
  CHECK(mygroup->name == "mygroup");
  CHECK(mygroup->depth == 1);
  CHECK(mygroup->memory_limit_bytes == 1073741824u);

  // No controller enabled for it: only cpu.stat and the pressure files.
  const auto* worker = find(s, "/mygroup/worker");
  REQUIRE(worker);
  CHECK(worker->name == "worker");
  REQUIRE(worker->cpu_usage_seconds_total);
  CHECK(*worker->cpu_usage_seconds_total == Approx(0.3));
  CHECK_FALSE(worker->memory_current_bytes);
  CHECK_FALSE(worker->memory_peak_bytes);
  CHECK_FALSE(worker->memory_limit_bytes);
  CHECK_FALSE(worker->io_read_bytes_total);
  CHECK_FALSE(worker->pids_current);
  CHECK(worker->cpu_pressure);
}

TEST_CASE("CgroupReader: max_depth and max_groups bound the walk", "[collectors][cgroups]") {
  TreeSource source(SourcePaths::under(kV2));
  ContainersSample s;
  std::string error;

  CgroupReader deep(CgroupOptions{4, 2000});
  REQUIRE(deep.read(source, 1.0, s, &error));
  CHECK(error.empty());
  CHECK(s.containers.size() == 14);
  const auto* app = find(s, "/user.slice/user-1000.slice/user@1000.service/app.slice");
  REQUIRE(app);
  CHECK(app->depth == 4);

  CgroupReader shallow(CgroupOptions{1, 2000});
  REQUIRE(shallow.read(source, 1.0, s, &error));
  CHECK(error.empty());
  CHECK(ids(s) == std::vector<std::string>{"/init.scope", "/machine.slice", "/mygroup", "/system.slice",
                                           "/user.slice"});

  // Cut at 7 groups: the five of depth 1 first, then the first two of depth 2 in order.
  CgroupReader bounded(CgroupOptions{3, 7});
  REQUIRE(bounded.read(source, 1.0, s, &error));  // still true: what was read is good
  CHECK_THAT(error, Catch::Contains("more than 7 cgroups"));
  CHECK(ids(s) == std::vector<std::string>{"/init.scope", "/machine.slice", kPodmanScope, kConmonScope, "/mygroup",
                                           "/system.slice", "/user.slice"});

  CgroupReader exact(CgroupOptions{3, 13});
  REQUIRE(exact.read(source, 1.0, s, &error));
  CHECK(error.empty());  // exactly max_groups groups: nothing was left out
  CHECK(s.containers.size() == 13);
}

TEST_CASE("CgroupReader: metadata is read once per new container", "[collectors][cgroups]") {
  TreeSource tree(SourcePaths::under(kV2));
  CountingSource source(tree);
  CgroupReader reader(CgroupOptions{3, 2000});  // depth 3: what these trees were written for
  ContainersSample s;
  const std::string config = "var/lib/docker/containers/" + std::string(kDockerId) + "/config.v2.json";
  const std::string podman = "var/lib/containers/storage/overlay-containers/containers.json";
  for (int tick = 0; tick < 3; ++tick) REQUIRE(reader.read(source, tick, s, nullptr));
  CHECK(source.root_reads[config] == 1);
  CHECK(source.root_reads[podman] == 1);
  CHECK(source.root_reads.size() == 2);
  REQUIRE(find(s, kDockerScope));
  CHECK(find(s, kDockerScope)->name == "web");
  CHECK(find(s, kPodmanScope)->name == "db");
}

TEST_CASE("CgroupReader: a container without readable metadata is named by its short ID",
          "[collectors][cgroups]") {
  TempDir tmp;
  copy_tree(kV2, tmp.path());
  fs::remove_all(tmp / "var");
  TreeSource source(SourcePaths::under(tmp.path().string()));
  CgroupReader reader(CgroupOptions{3, 2000});  // depth 3: what these trees were written for
  ContainersSample s;
  std::string error;
  REQUIRE(reader.read(source, 1.0, s, &error));
  CHECK(error.empty());  // missing metadata is not worth a warning
  REQUIRE(find(s, kDockerScope));
  CHECK(find(s, kDockerScope)->name == kDockerId.substr(0, 12));
  CHECK(find(s, kPodmanScope)->name == kPodmanId.substr(0, 12));
}

// ---- CgroupReader over the v1 hybrid fixture ------------------------------------------------

TEST_CASE("CgroupReader: a v1 hybrid tree gives the union of the controllers' groups", "[collectors][cgroups]") {
  TreeSource source(SourcePaths::under(kV1));
  CgroupReader reader(CgroupOptions{3, 2000});  // depth 3: what these trees were written for
  ContainersSample s;
  std::string error = "stale";
  REQUIRE(reader.read(source, 100.0, s, &error));
  CHECK(error.empty());
  CHECK(s.hierarchy == "v1");  // unified/ holds a cgroup.controllers, the root does not
  CHECK(ids(s) == std::vector<std::string>{"/docker", kV1Docker, "/process_api",
                                           "/process_api/8ad4dc528d67ee5dd9e68aaeef8400b9", "/system.slice",
                                           "/system.slice/nginx.service", "/user.slice"});

  const auto* nginx = find(s, "/system.slice/nginx.service");
  REQUIRE(nginx);
  CHECK(nginx->kind == CgroupKind::service);
  CHECK(nginx->depth == 2);
  REQUIRE(nginx->cpu_usage_seconds_total);
  CHECK(*nginx->cpu_usage_seconds_total == Approx(40.123456789));
  CHECK(nginx->memory_current_bytes == 52428800u);
  CHECK(nginx->memory_peak_bytes == 73400320u);
  CHECK(nginx->memory_limit_bytes == 536870912u);
  CHECK(nginx->io_read_bytes_total == 11534336u);
  CHECK(nginx->io_write_bytes_total == 2101248u);
  CHECK(nginx->pids_current == 5u);
  CHECK_FALSE(nginx->cpu_pressure);  // v2 only
  CHECK_FALSE(nginx->memory_pressure);
  CHECK_FALSE(nginx->io_pressure);

  const auto* docker = find(s, kV1Docker);
  REQUIRE(docker);
  CHECK(docker->kind == CgroupKind::docker);
  CHECK(docker->container_id == kV1DockerId);
  CHECK(docker->name == "redis-cache");
  CHECK(*docker->cpu_usage_seconds_total == Approx(11.5));
  CHECK(docker->memory_current_bytes == 104857600u);
  CHECK_FALSE(docker->memory_limit_bytes);  // 9223372036854771712: unlimited
  CHECK(docker->pids_current == 12u);

  // blkio: the _recursive file, which counts the descendants like cpuacct and memory do.
  const auto* system = find(s, "/system.slice");
  REQUIRE(system);
  CHECK(system->io_read_bytes_total == 12582912u);
  CHECK(system->io_write_bytes_total == 2101248u);
  const auto* docker_parent = find(s, "/docker");
  REQUIRE(docker_parent);
  CHECK(docker_parent->kind == CgroupKind::cgroup);
  CHECK(docker_parent->io_read_bytes_total == 4096u);
  const auto* user = find(s, "/user.slice");
  REQUIRE(user);
  CHECK(user->io_read_bytes_total == 0u);  // "Total 0"

  // Only in the memory hierarchy: memory values, nothing else.
  const auto* api = find(s, "/process_api/8ad4dc528d67ee5dd9e68aaeef8400b9");
  REQUIRE(api);
  CHECK(api->kind == CgroupKind::cgroup);
  CHECK(api->depth == 2);
  CHECK(api->memory_current_bytes == 1871872u);
  CHECK(api->memory_peak_bytes == 3682304u);
  CHECK_FALSE(api->memory_limit_bytes);
  CHECK_FALSE(api->cpu_usage_seconds_total);
  CHECK_FALSE(api->io_read_bytes_total);
  CHECK_FALSE(api->pids_current);
}

TEST_CASE("CgroupReader: v1 blkio falls back to the non-recursive and CFQ files", "[collectors][cgroups]") {
  TempDir tmp;
  copy_tree(kV1, tmp.path());
  const auto nginx = tmp.path() / "sys/fs/cgroup/blkio/system.slice/nginx.service";
  fs::remove(nginx / "blkio.throttle.io_service_bytes_recursive");
  const auto docker = tmp.path() / "sys/fs/cgroup/blkio/docker" / std::string(kV1DockerId);
  fs::remove(docker / "blkio.throttle.io_service_bytes_recursive");
  fs::remove(docker / "blkio.throttle.io_service_bytes");
  write_file(docker / "blkio.io_service_bytes_recursive", "8:0 Read 100\n8:0 Write 200\n8:0 Total 300\nTotal 300\n");
  TreeSource source(SourcePaths::under(tmp.path().string()));
  CgroupReader reader(CgroupOptions{3, 2000});  // depth 3: what these trees were written for
  ContainersSample s;
  REQUIRE(reader.read(source, 1.0, s, nullptr));
  CHECK(find(s, "/system.slice/nginx.service")->io_read_bytes_total == 11534336u);
  CHECK(find(s, kV1Docker)->io_read_bytes_total == 100u);
  CHECK(find(s, kV1Docker)->io_write_bytes_total == 200u);
}

// ---- Rates ----------------------------------------------------------------------------------

TEST_CASE("CgroupReader: two reads give CPU percent and IO rates; a counter going back gives none",
          "[collectors][cgroups]") {
  TempDir tmp;
  copy_tree(kV2, tmp.path());
  const auto nginx = tmp.path() / "sys/fs/cgroup/system.slice/nginx.service";
  TreeSource source(SourcePaths::under(tmp.path().string()));
  CgroupReader reader(CgroupOptions{3, 2000});  // depth 3: what these trees were written for
  ContainersSample s;
  REQUIRE(reader.read(source, 100.0, s, nullptr));

  // 5 s later: 2.5 s more CPU (50 % of one CPU), 5 MiB more read, 1 MiB more written.
  write_file(nginx / "cpu.stat", "usage_usec 83734567\nuser_usec 56000000\nsystem_usec 27734567\n");
  write_file(nginx / "io.stat",
             "8:0 rbytes=15728640 wbytes=3145728 rios=3840 wios=768 dbytes=0 dios=0\n"
             "259:0 rbytes=1048576 wbytes=4096 rios=256 wios=1 dbytes=0 dios=0\n");
  REQUIRE(reader.read(source, 105.0, s, nullptr));
  const auto* c = find(s, "/system.slice/nginx.service");
  REQUIRE(c);
  REQUIRE(c->cpu_percent);
  CHECK(*c->cpu_percent == Approx(50.0));
  REQUIRE(c->io_read_bytes_per_second);
  CHECK(*c->io_read_bytes_per_second == Approx(5242880.0 / 5));
  REQUIRE(c->io_write_bytes_per_second);
  CHECK(*c->io_write_bytes_per_second == Approx(1048576.0 / 5));
  // Unchanged groups: zero, not nullopt.
  const auto* docker = find(s, kDockerScope);
  REQUIRE(docker);
  REQUIRE(docker->cpu_percent);
  CHECK(*docker->cpu_percent == 0.0);
  REQUIRE(docker->io_read_bytes_per_second);
  CHECK(*docker->io_read_bytes_per_second == 0.0);

  // The service was restarted under the same path: its counters start again.
  write_file(nginx / "cpu.stat", "usage_usec 1000\nuser_usec 600\nsystem_usec 400\n");
  // Reads went back; writes happen to be where they were (3 MiB + 4 KiB), which is no
  // reason to drop their rate.
  write_file(nginx / "io.stat", "8:0 rbytes=4096 wbytes=3149824 rios=1 wios=769 dbytes=0 dios=0\n");
  REQUIRE(reader.read(source, 110.0, s, nullptr));
  c = find(s, "/system.slice/nginx.service");
  REQUIRE(c);
  CHECK_FALSE(c->cpu_percent);
  CHECK_FALSE(c->io_read_bytes_per_second);
  REQUIRE(c->io_write_bytes_per_second);
  CHECK(*c->io_write_bytes_per_second == 0.0);

  // From there on, rates again; and no time passing gives none.
  write_file(nginx / "cpu.stat", "usage_usec 1001000\nuser_usec 600600\nsystem_usec 400400\n");
  REQUIRE(reader.read(source, 112.0, s, nullptr));
  REQUIRE(find(s, "/system.slice/nginx.service")->cpu_percent);
  CHECK(*find(s, "/system.slice/nginx.service")->cpu_percent == Approx(50.0));
  REQUIRE(reader.read(source, 112.0, s, nullptr));
  CHECK_FALSE(find(s, "/system.slice/nginx.service")->cpu_percent);
}

TEST_CASE("CgroupReader: v1 rates come from cpuacct.usage and blkio", "[collectors][cgroups]") {
  TempDir tmp;
  copy_tree(kV1, tmp.path());
  const std::string id(kV1DockerId);
  TreeSource source(SourcePaths::under(tmp.path().string()));
  CgroupReader reader(CgroupOptions{3, 2000});  // depth 3: what these trees were written for
  ContainersSample s;
  REQUIRE(reader.read(source, 10.0, s, nullptr));
  CHECK_FALSE(find(s, kV1Docker)->cpu_percent);

  // 2 s later: 1 s more CPU (50 %), 2 MiB more read.
  write_file(tmp.path() / "sys/fs/cgroup/cpu,cpuacct/docker" / id / "cpuacct.usage", "12500000000\n");
  write_file(tmp.path() / "sys/fs/cgroup/blkio/docker" / id / "blkio.throttle.io_service_bytes_recursive",
             "8:0 Read 2101248\n8:0 Write 8192\n8:0 Sync 2109440\n8:0 Async 0\n8:0 Discard 0\n8:0 Total 2109440\n"
             "Total 2109440\n");
  REQUIRE(reader.read(source, 12.0, s, nullptr));
  const auto* c = find(s, kV1Docker);
  REQUIRE(c);
  REQUIRE(c->cpu_percent);
  CHECK(*c->cpu_percent == Approx(50.0));
  REQUIRE(c->io_read_bytes_per_second);
  CHECK(*c->io_read_bytes_per_second == Approx(1048576.0));
  REQUIRE(c->io_write_bytes_per_second);
  CHECK(*c->io_write_bytes_per_second == 0.0);
  // A group with no CPU accounting has no CPU rate either.
  CHECK_FALSE(find(s, "/process_api")->cpu_percent);
}

// ---- Groups that vanish ---------------------------------------------------------------------

TEST_CASE("CgroupReader: a group removed between reads is dropped and forgotten", "[collectors][cgroups]") {
  TempDir tmp;
  copy_tree(kV2, tmp.path());
  TreeSource tree(SourcePaths::under(tmp.path().string()));
  CountingSource source(tree);
  const auto scope_dir = tmp.path() / ("sys/fs/cgroup" + kDockerScope);
  const auto saved = tmp.path() / "saved-scope";
  fs::copy(scope_dir, saved, fs::copy_options::recursive);
  CgroupReader reader(CgroupOptions{3, 2000});  // depth 3: what these trees were written for
  ContainersSample s;
  std::string error;
  REQUIRE(reader.read(source, 1.0, s, &error));
  REQUIRE(find(s, kDockerScope));

  fs::remove_all(scope_dir);
  REQUIRE(reader.read(source, 2.0, s, &error));
  CHECK(error.empty());
  CHECK(find(s, kDockerScope) == nullptr);
  CHECK(s.containers.size() == 12);

  // Back (a new container with the same ID, say): a first read again, so no rate, and its
  // name is looked up again.
  fs::copy(saved, scope_dir, fs::copy_options::recursive);
  REQUIRE(reader.read(source, 3.0, s, &error));
  CHECK(error.empty());
  const auto* docker = find(s, kDockerScope);
  REQUIRE(docker);
  CHECK_FALSE(docker->cpu_percent);
  CHECK(docker->name == "web");
  CHECK(source.root_reads["var/lib/docker/containers/" + std::string(kDockerId) + "/config.v2.json"] == 2);
  // The others kept their history.
  REQUIRE(find(s, "/system.slice/nginx.service")->cpu_percent);
}

TEST_CASE("CgroupReader: a listed group without readable files is skipped silently", "[collectors][cgroups]") {
  TempDir tmp;
  copy_tree(kV2, tmp.path());
  // A directory whose files are all gone: what a group being removed looks like mid-walk.
  fs::create_directory(tmp.path() / "sys/fs/cgroup/system.slice/empty.service");
  TreeSource tree(SourcePaths::under(tmp.path().string()));
  // And one listed that is gone by the time it is read.
  GhostSource source(tree);
  CgroupReader reader(CgroupOptions{3, 2000});  // depth 3: what these trees were written for
  ContainersSample s;
  std::string error = "stale";
  REQUIRE(reader.read(source, 1.0, s, &error));
  CHECK(error.empty());
  CHECK(find(s, "/system.slice/empty.service") == nullptr);
  CHECK(find(s, "/system.slice/ghost.service") == nullptr);
  CHECK(s.containers.size() == 13);
}

TEST_CASE("CgroupReader: a malformed file leaves its value out and says which", "[collectors][cgroups]") {
  TempDir tmp;
  copy_tree(kV2, tmp.path());
  const auto nginx = tmp.path() / "sys/fs/cgroup/system.slice/nginx.service";
  write_file(nginx / "cpu.stat", "usage_usec lots\n");
  write_file(nginx / "memory.max", "unlimited\n");
  TreeSource source(SourcePaths::under(tmp.path().string()));
  CgroupReader reader(CgroupOptions{3, 2000});  // depth 3: what these trees were written for
  ContainersSample s;
  std::string error;
  REQUIRE(reader.read(source, 1.0, s, &error));
  CHECK_THAT(error, Catch::Contains("system.slice/nginx.service/cpu.stat"));
  CHECK_THAT(error, Catch::Contains("system.slice/nginx.service/memory.max"));
  const auto* c = find(s, "/system.slice/nginx.service");
  REQUIRE(c);
  CHECK_FALSE(c->cpu_usage_seconds_total);
  CHECK_FALSE(c->memory_limit_bytes);
  CHECK(c->memory_current_bytes == 52428800u);  // the rest is there

  // Fixed on the next tick: no complaint left over.
  write_file(nginx / "cpu.stat", "usage_usec 1\n");
  write_file(nginx / "memory.max", "max\n");
  REQUIRE(reader.read(source, 2.0, s, &error));
  CHECK(error.empty());
}

TEST_CASE("CgroupReader: no hierarchy at all is an error", "[collectors][cgroups]") {
  TempDir tmp;
  fs::create_directories(tmp.path() / "sys/fs/cgroup");
  TreeSource source(SourcePaths::under(tmp.path().string()));
  CgroupReader reader(CgroupOptions{3, 2000});  // depth 3: what these trees were written for
  ContainersSample s;
  s.containers.resize(3);
  std::string error;
  CHECK_FALSE(reader.read(source, 1.0, s, &error));
  CHECK(s.hierarchy == "none");
  CHECK(s.containers.empty());
  CHECK_FALSE(error.empty());
}

// ---- This machine ---------------------------------------------------------------------------

namespace {

// The cgroup directories under /sys/fs/cgroup read directly: the v2 tree, or the union of
// the v1 controllers the reader reads.
std::set<std::string> walk_cgroups(std::uint32_t max_depth, bool& v2) {
  const fs::path root = "/sys/fs/cgroup";
  std::vector<fs::path> mounts;
  v2 = fs::exists(root / "cgroup.controllers");
  if (v2) {
    mounts.push_back(root);
  } else {
    // "cpuacct" and "cpu,cpuacct" may be the same hierarchy: the set takes each group once.
    for (const char* c : {"cpuacct", "cpu,cpuacct", "memory", "blkio", "pids"}) {
      if (fs::exists(root / c / "cgroup.procs")) mounts.push_back(root / c);
    }
  }
  std::set<std::string> out;
  for (const auto& mount : mounts) {
    std::error_code ec;
    for (auto it = fs::recursive_directory_iterator(mount, ec); !ec && it != fs::recursive_directory_iterator();
         it.increment(ec)) {
      if (it->is_symlink() || !it->is_directory()) continue;
      const auto depth = static_cast<std::uint32_t>(it.depth()) + 1;
      // Sources do not list names starting with '.'.
      if (depth >= max_depth || it->path().filename().string().front() == '.') it.disable_recursion_pending();
      if (depth > max_depth || it->path().filename().string().front() == '.') continue;
      out.insert("/" + fs::relative(it->path(), mount).string());
    }
  }
  return out;
}

std::uint64_t read_number(const fs::path& path) {
  std::ifstream in(path);
  std::uint64_t v = 0;
  in >> v;
  return v;
}

}  // namespace

TEST_CASE("CgroupReader: this machine's cgroups are those of a directory walk", "[collectors][cgroups][live]") {
  if (!fs::exists("/sys/fs/cgroup")) {
    WARN("no /sys/fs/cgroup here");
    return;
  }
  LocalSource source(SourcePaths{});
  CgroupReader reader(CgroupOptions{3, 100000});
  ContainersSample s;
  std::string error;
  bool v2 = false;
  // Groups come and go on a live machine: agree once in three tries.
  std::set<std::string> walked, read;
  for (int attempt = 0; attempt < 3; ++attempt) {
    walked = walk_cgroups(3, v2);
    REQUIRE(reader.read(source, attempt, s, &error));
    read.clear();
    for (const auto& c : s.containers) read.insert(c.id);
    if (read == walked) break;
  }
  INFO("error: " << error);
  CHECK(s.hierarchy == (v2 ? "v2" : "v1"));
  CHECK(read == walked);
  for (const auto& c : s.containers) {
    CHECK(c.depth >= 1);
    CHECK(c.depth <= 3);
    CHECK(c.depth == static_cast<std::uint32_t>(std::count(c.id.begin(), c.id.end(), '/')));
  }

  // One group's CPU counter against the file, read just before and just after.
  fs::path cpu_dir = "/sys/fs/cgroup";
  if (!v2) cpu_dir /= fs::exists("/sys/fs/cgroup/cpuacct/cgroup.procs") ? "cpuacct" : "cpu,cpuacct";
  const char* file = v2 ? "cpu.stat" : "cpuacct.usage";
  const ContainerSample* group = nullptr;
  for (const auto& c : s.containers) {
    if (c.cpu_usage_seconds_total && fs::exists(cpu_dir / c.id.substr(1) / file)) {
      group = &c;
      break;
    }
  }
  if (v2) {
    if (!group) {
      WARN("no cgroup below the v2 root");
      return;
    }
    std::string buf;
    REQUIRE(source.read_sys("fs/cgroup" + group->id + "/cpu.stat", buf));
    const auto direct = parse_cgroup_cpu_stat(buf);
    REQUIRE(direct);
    CHECK(static_cast<double>(direct->usage_usec) / 1e6 >= *group->cpu_usage_seconds_total);
    return;
  }
  // v1: a group in the cpuacct hierarchy, or (on this VM, where cpuacct has no child groups)
  // the hierarchy's root, which the reader does not list but whose file is the same format.
  const auto path = group ? cpu_dir / group->id.substr(1) / file : cpu_dir / file;
  INFO("compared with " << path);
  const auto before = read_number(path);
  double via_reader = 0;
  if (group) {
    REQUIRE(reader.read(source, 10.0, s, nullptr));
    const auto* again = find(s, group->id);
    REQUIRE(again);
    REQUIRE(again->cpu_usage_seconds_total);
    via_reader = *again->cpu_usage_seconds_total;
  } else {
    WARN("no group in the cpuacct hierarchy: comparing its root's cpuacct.usage");
    std::string buf;
    REQUIRE(source.read_sys(fs::relative(path, "/sys").string(), buf));
    const auto ns = parse_cgroup_cpuacct_usage(buf);
    REQUIRE(ns);
    via_reader = static_cast<double>(*ns) / 1e9;
  }
  const auto after = read_number(path);
  REQUIRE(before > 0);
  CHECK(via_reader >= static_cast<double>(before) / 1e9 - 1e-9);
  CHECK(via_reader <= static_cast<double>(after) / 1e9 + 1e-9);
}
