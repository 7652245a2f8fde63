// render_config_toml (--print-config), --help, and docs/CONFIGURATION.md generated from the table.
#include "config_test_support.hpp"

using namespace config_test;

// ---------------------------------------------------------------------------------------------
// --print-config and --help.

TEST_CASE("render_config_toml: parse_invocation reads the output back to the same Config", "[daemon][config]") {
  for (const Config& original : {Config{}, custom_config()}) {
    const auto text = render_config_toml(original);
    INFO(text);
    // Through a real file, as hyperiond --print-config > hyperion.toml would be used.
    const auto path = (std::filesystem::temp_directory_path() /
                       ("hyperion_config_test_" + std::to_string(::getpid()) + ".toml"))
                          .string();
    {
      std::ofstream out(path, std::ios::binary);
      out << text;
    }
    const auto r = parse({"--config", path});
    std::filesystem::remove(path);
    REQUIRE(r.error == "");
    CHECK(r.invocation.config == original);
    CHECK(render_config_toml(r.invocation.config) == text);

    // And in memory, on top of a config that differs in every setting.
    Config other = original == Config{} ? custom_config() : Config{};
    CHECK(apply_config_toml(text, "print-config", other).empty());
    CHECK(other == original);
  }
}

TEST_CASE("render_config_toml: each setting with its help, names and default", "[daemon][config]") {
  const auto text = render_config_toml(custom_config());
  for (const auto& s : setting_infos()) {
    INFO(s.key);
    CHECK(text.find("# " + std::string(s.help) + "\n") != std::string::npos);
    CHECK(text.find("# " + std::string(s.flag) + ", " + std::string(s.env) + "; default " +
                    std::string(s.default_value) + "; " + s.allowed + "\n") != std::string::npos);
  }
  CHECK(text.find("\nlisten = \"[::1]:0\"\n") != std::string::npos);
  CHECK(text.find("\ndata_dir = \"/var/lib/hyperion dir \\\"quoted\\\"\"\n") != std::string::npos);
  CHECK(text.find("\n[http]\n") != std::string::npos);
  CHECK(text.find("\nmax_header_bytes = \"16KiB\"\n") != std::string::npos);
  CHECK(text.find("\nmax_body_bytes = 100000\n") != std::string::npos);
  CHECK(text.find("\ngzip_min_bytes = 0\n") != std::string::npos);
  CHECK(text.find("\nshutdown_grace = \"0ms\"\n") != std::string::npos);
  CHECK(text.find("\nprocesses = \"1m\"\n") != std::string::npos);
  CHECK(text.find("\ninclude_pseudo_filesystems = true\n") != std::string::npos);
  CHECK(text.find("\ntop_processes = 0\n") != std::string::npos);
  // Top-level keys come before the first [section], or TOML would put them in it.
  CHECK(text.find("\nroot = ") < text.find("\n["));
}

TEST_CASE("render_config_toml: control characters in strings are escaped", "[daemon][config]") {
  const auto r = parse({"--data-dir", std::string("/tmp/a\tb\\c\x01") + "\x7f" + "d\n"});
  REQUIRE(r.error == "");
  const auto text = render_config_toml(r.invocation.config);
  CHECK(text.find("data_dir = \"/tmp/a\\tb\\\\c\\u0001\\u007Fd\\n\"\n") != std::string::npos);
  Config back;
  REQUIRE(apply_config_toml(text, "x", back).empty());
  CHECK(back.data_dir == r.invocation.config.data_dir);
}

TEST_CASE("command_line_usage: lists every command and every setting flag with its default", "[daemon][config]") {
  const auto text = hyperion::daemon::command_line_usage();
  CHECK(text.rfind("usage: hyperiond", 0) == 0);
  for (const char* option : {"--once", "--format FORMAT", "--json", "--interval-ms N", "--print-config", "--config FILE",
                             "--version", "--help, -h", "HYPERION_CONFIG", "/etc/hyperion/hyperion.toml"}) {
    INFO(option);
    CHECK(text.find(option) != std::string::npos);
  }
  for (const auto& s : setting_infos()) {
    INFO(s.key);
    const auto names = std::string(s.flag) + (s.metavar.empty() ? "" : " " + std::string(s.metavar));
    CHECK(text.find("  " + names) != std::string::npos);
    CHECK(text.find("(default " + std::string(s.default_value) + "; " + s.allowed + ")\n      " +
                    std::string(s.help) + "\n") != std::string::npos);
  }
  CHECK(text.find("--host-id ID, --host ID") != std::string::npos);
}

// ---------------------------------------------------------------------------------------------
// docs/CONFIGURATION.md: its table of settings is generated from the table here. Run with
// HYPERION_UPDATE_DOCS=1 to rewrite it after changing a setting.

namespace {

std::string settings_markdown() {
  const auto cell = [](std::string_view s) {
    std::string out;
    for (const char ch : s) {
      if (ch == '|') out += '\\';
      out += ch;
    }
    return out;
  };
  std::string out =
      "| Key | Flag | Environment | Type | Default | Allowed | Description |\n"
      "|---|---|---|---|---|---|---|\n";
  for (const auto& s : setting_infos()) {
    std::string flag = "`" + std::string(s.flag) + (s.metavar.empty() ? "" : " " + std::string(s.metavar)) + "`";
    if (!s.alias.empty()) flag += ", `" + std::string(s.alias) + (s.metavar.empty() ? "" : " " + std::string(s.metavar)) + "`";
    out += "| `" + std::string(s.key) + "` | " + flag + " | `" + std::string(s.env) + "` | " + std::string(s.type) +
           " | `" + cell(s.default_value) + "` | " + cell(s.allowed) + " | " + cell(s.help) + " |\n";
  }
  return out;
}

constexpr std::string_view kBegin = "<!-- BEGIN SETTINGS: generated by tests/daemon/config_test.cpp -->\n";
constexpr std::string_view kEnd = "<!-- END SETTINGS -->\n";

std::string docs_path() { return hyperion::test::fixtures_dir() + "/../../docs/CONFIGURATION.md"; }

}  // namespace

TEST_CASE("docs/CONFIGURATION.md: the table of settings is up to date", "[daemon][config]") {
  auto doc = read_file(docs_path());
  const auto begin = doc.find(kBegin);
  const auto end = doc.find(kEnd);
  REQUIRE(begin != std::string::npos);
  REQUIRE(end != std::string::npos);
  REQUIRE(begin < end);
  const auto at = begin + kBegin.size();
  const auto generated = settings_markdown();
  auto current = doc.substr(at, end - at);
  if (current != generated && std::getenv("HYPERION_UPDATE_DOCS") != nullptr) {
    doc.replace(at, end - at, generated);
    std::ofstream(docs_path(), std::ios::binary) << doc;
    current = generated;
  }
  INFO("run the test with HYPERION_UPDATE_DOCS=1 to regenerate");
  CHECK(current == generated);
}

TEST_CASE("docs/CONFIGURATION.md: the example file is valid", "[daemon][config]") {
  const auto doc = read_file(docs_path());
  const auto begin = doc.find("```toml\n");
  REQUIRE(begin != std::string::npos);
  const auto end = doc.find("```\n", begin + 8);
  REQUIRE(end != std::string::npos);
  const auto example = doc.substr(begin + 8, end - begin - 8);
  Config c;
  CHECK(apply_config_toml(example, "CONFIGURATION.md", c).empty());
  CHECK_FALSE(c == Config{});
  CHECK(example == read_file(config_fixture("example.toml")));
}
