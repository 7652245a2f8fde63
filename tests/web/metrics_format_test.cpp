#include <string>
#include <utility>
#include <vector>

#include <catch2/catch.hpp>

#include "hyperion/web/metrics.hpp"

using namespace hyperion;

TEST_CASE("append_label_value: escapes backslash, quote and newline", "[web][metrics_format]") {
  std::string out;
  web::append_label_value(out, "a\\b\"c\nd\te");
  CHECK(out == "a\\\\b\\\"c\\nd\te");
}

TEST_CASE("append_label_value: keeps UTF-8 and replaces invalid bytes", "[web][metrics_format]") {
  std::string out;
  web::append_label_value(out, "caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80");
  CHECK(out == "caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80");
  const std::string replacement = "\xEF\xBF\xBD";
  const std::vector<std::pair<std::string, std::string>> bad = {
      {"a\xFF" "b", "a" + replacement + "b"},                  // never valid
      {"\xC3", replacement},                                   // truncated
      {"\xC0\xAF", replacement + replacement},                 // overlong '/'
      {"\xED\xA0\x80", replacement + replacement + replacement},  // UTF-16 surrogate
      {"\xF4\x90\x80\x80", replacement + replacement + replacement + replacement},  // above U+10FFFF
  };
  for (const auto& [in, expected] : bad) {
    out.clear();
    web::append_label_value(out, in);
    CHECK(out == expected);
  }
}
