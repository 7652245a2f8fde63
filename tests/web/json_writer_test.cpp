#include "hyperion/web/json_writer.hpp"

#include <catch2/catch.hpp>
#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>

using hyperion::web::JsonWriter;

TEST_CASE("JsonWriter: objects, arrays, numbers and nulls", "[web][json_writer]") {
  std::string out;
  JsonWriter w(out);
  w.begin_object();
  w.field("a", 1);
  w.field("b", -2.5);
  w.field("c", std::optional<int>{});
  w.field("d", true);
  w.key("e");
  w.begin_array();
  w.value(std::uint64_t{18446744073709551615ULL});
  w.begin_object();
  w.end_object();
  w.begin_array();
  w.end_array();
  w.end_array();
  w.end_object();
  CHECK(out == R"({"a":1,"b":-2.5,"c":null,"d":true,"e":[18446744073709551615,{},[]]})");
}

TEST_CASE("JsonWriter: NaN and infinities become null", "[web][json_writer]") {
  std::string out;
  JsonWriter w(out);
  w.begin_array();
  w.value(std::nan(""));
  w.value(std::numeric_limits<double>::infinity());
  w.value(0.1);
  w.end_array();
  CHECK(out == "[null,null,0.1]");
}

TEST_CASE("JsonWriter: strings are escaped and invalid UTF-8 is replaced", "[web][json_writer]") {
  std::string out;
  JsonWriter w(out);
  w.begin_array();
  w.value(std::string_view("q\"b\\n\n\t\x01\x7f"));
  w.value(std::string_view("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"));  // é € 😀 stay
  w.value(std::string_view("bad \xff \xc3 \xed\xa0\x80 \xc0\xaf end"));     // invalid, lone, surrogate, overlong
  w.end_array();
  const auto j = nlohmann::json::parse(out, nullptr, false);
  REQUIRE_FALSE(j.is_discarded());
  CHECK(j[0] == "q\"b\\n\n\t\x01\x7f");
  CHECK(j[1] == "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80");
  CHECK(j[2].get<std::string>().find("\xef\xbf\xbd") != std::string::npos);
  CHECK(j[2].get<std::string>().find("end") != std::string::npos);
  CHECK(out.find("\\u0001") != std::string::npos);
}

TEST_CASE("JsonWriter: pretty output parses to the same document", "[web][json_writer]") {
  std::string compact, pretty;
  for (auto* s : {&compact, &pretty}) {
    JsonWriter w(*s, s == &pretty ? 2 : -1);
    w.begin_object();
    w.key("list");
    w.begin_array();
    w.value(1);
    w.value("two");
    w.end_array();
    w.key("empty");
    w.begin_object();
    w.end_object();
    w.end_object();
  }
  CHECK(pretty.find("\n  \"list\": [\n    1,") != std::string::npos);
  CHECK(nlohmann::json::parse(pretty) == nlohmann::json::parse(compact));
}
