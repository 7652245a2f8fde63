// The times a history query accepts.

#include "hyperion/history/time_spec.hpp"

#include <catch2/catch.hpp>

using namespace hyperion::history;

TEST_CASE("time: RFC 3339, relative and Unix milliseconds", "[history][time]") {
  const std::int64_t now = 1'765'077'120'000;  // 2025-12-07T03:12:00Z
  std::string why;
  CHECK(parse_time("2025-12-07T03:12:00Z", now, &why) == now);
  CHECK(parse_time("2025-12-07T04:12:00+01:00", now, &why) == now);
  CHECK(parse_time("2025-12-06T22:12:00-05:00", now, &why) == now);
  CHECK(parse_time("2025-12-07t03:12:00.250z", now, &why) == now + 250);
  CHECK(parse_time("2025-12-07 03:12:00.5Z", now, &why) == now + 500);
  CHECK(parse_time("1970-01-01T00:00:00Z", now, &why) == 0);
  CHECK(parse_time("2024-02-29T00:00:00Z", now, &why) == 1'709'164'800'000);
  CHECK(parse_time("now", now, &why) == now);
  CHECK(parse_time("-6h", now, &why) == now - 6 * 3'600'000);
  CHECK(parse_time("-15m", now, &why) == now - 15 * 60'000);
  CHECK(parse_time("-30d", now, &why) == now - 30LL * 86'400'000);
  CHECK(parse_time("-2w", now, &why) == now - 14LL * 86'400'000);
  CHECK(parse_time("-90s", now, &why) == now - 90'000);
  CHECK(parse_time("-250ms", now, &why) == now - 250);
  CHECK(parse_time("1765077120000", now, &why) == now);
  for (const char* bad : {"", "yesterday", "-6", "-6y", "-h", "--6h", "2025-12-07T03:12:00", "2025-13-07T03:12:00Z",
                          "2025-02-29T00:00:00Z", "2025-12-07T24:00:00Z", "2025-12-07T03:12:00+1:00",
                          "2025-12-07T03:12:00Zjunk", "-99999999999999d", "12e5", "2025-12-07T03:12:00.Z"}) {
    INFO(bad);
    why.clear();
    CHECK_FALSE(parse_time(bad, now, &why));
    CHECK(why.find("is not a time") != std::string::npos);
  }
}

TEST_CASE("time: formatted RFC 3339 reads back", "[history][time]") {
  for (std::int64_t t : {0LL, 1'765'077'120'250LL, 951'782'400'000LL, -86'400'001LL, 4'102'444'800'000LL}) {
    std::string why;
    CHECK(parse_time(format_rfc3339(t), 0, &why) == t);
  }
  CHECK(format_rfc3339(1'765'077'120'250) == "2025-12-07T03:12:00.250Z");
}
