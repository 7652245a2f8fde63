#include "hyperion/history/time_spec.hpp"

#include <charconv>

#include <fmt/format.h>

namespace hyperion::history {
namespace {

// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil).
std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

bool digits(std::string_view s, std::size_t pos, std::size_t n, unsigned& out) {
  if (pos + n > s.size()) return false;
  unsigned v = 0;
  for (std::size_t i = pos; i < pos + n; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    v = v * 10 + static_cast<unsigned>(s[i] - '0');
  }
  out = v;
  return true;
}

unsigned days_in_month(unsigned y, unsigned m) {
  static constexpr unsigned kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  return m == 2 && leap ? 29 : kDays[m - 1];
}

std::optional<std::int64_t> rfc3339(std::string_view s) {
  unsigned y = 0, mo = 0, d = 0, h = 0, mi = 0, sec = 0;
  if (!digits(s, 0, 4, y) || s.size() < 19 || s[4] != '-' || !digits(s, 5, 2, mo) || s[7] != '-' ||
      !digits(s, 8, 2, d) || (s[10] != 'T' && s[10] != 't' && s[10] != ' ') || !digits(s, 11, 2, h) || s[13] != ':' ||
      !digits(s, 14, 2, mi) || s[16] != ':' || !digits(s, 17, 2, sec)) {
    return std::nullopt;
  }
  if (mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo) || h > 23 || mi > 59 || sec > 60) return std::nullopt;
  std::size_t pos = 19;
  std::int64_t ms = 0;
  if (pos < s.size() && s[pos] == '.') {
    ++pos;
    std::int64_t scale = 100;
    const auto start = pos;
    while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
      ms += (s[pos] - '0') * scale;
      scale /= 10;
      ++pos;
    }
    if (pos == start) return std::nullopt;
  }
  std::int64_t offset_minutes = 0;
  if (pos < s.size() && (s[pos] == 'Z' || s[pos] == 'z')) {
    ++pos;
  } else if (pos < s.size() && (s[pos] == '+' || s[pos] == '-')) {
    unsigned oh = 0, om = 0;
    if (!digits(s, pos + 1, 2, oh) || pos + 3 >= s.size() || s[pos + 3] != ':' || !digits(s, pos + 4, 2, om) || oh > 23 ||
        om > 59) {
      return std::nullopt;
    }
    offset_minutes = (s[pos] == '+' ? 1 : -1) * static_cast<std::int64_t>(oh * 60 + om);
    pos += 6;
  } else {
    return std::nullopt;  // RFC 3339 needs the offset: a time without one is ambiguous
  }
  if (pos != s.size()) return std::nullopt;
  const auto days = days_from_civil(y, mo, d);
  const auto seconds = days * 86'400 + h * 3600 + mi * 60 + std::min(sec, 59U);
  return (seconds - offset_minutes * 60) * 1000 + ms;
}

}  // namespace

std::optional<std::int64_t> parse_time(std::string_view text, std::int64_t now_ms, std::string* why) {
  const auto fail = [&]() -> std::optional<std::int64_t> {
    if (why) {
      *why = fmt::format("'{}' is not a time: use RFC 3339 (2026-12-07T03:12:00Z), a time relative to now (-6h, "
                         "-15m, -30d, now) or Unix milliseconds",
                         text.substr(0, 64));
    }
    return std::nullopt;
  };
  if (text.empty() || text.size() > 64) return fail();
  if (text == "now") return now_ms;
  if (text[0] == '-' && text.size() >= 3 && !(text[1] >= '0' && text[1] <= '9' && text.back() >= '0' && text.back() <= '9')) {
    std::int64_t n = 0;
    const auto* begin = text.data() + 1;
    const auto* end = text.data() + text.size();
    const auto r = std::from_chars(begin, end, n);
    if (r.ec != std::errc{} || r.ptr == begin || n < 0) return fail();
    const std::string_view unit(r.ptr, static_cast<std::size_t>(end - r.ptr));
    std::int64_t ms = 0;
    if (unit == "ms") ms = 1;
    else if (unit == "s") ms = 1'000;
    else if (unit == "m" || unit == "min") ms = 60'000;
    else if (unit == "h") ms = 3'600'000;
    else if (unit == "d") ms = 86'400'000;
    else if (unit == "w") ms = 7 * 86'400'000LL;
    else return fail();
    if (n > 100LL * 365 * 86'400'000 / ms) return fail();  // a century back at most
    return now_ms - n * ms;
  }
  if (text.find_first_not_of("0123456789") == std::string_view::npos) {
    std::int64_t n = 0;
    const auto r = std::from_chars(text.data(), text.data() + text.size(), n);
    if (r.ec != std::errc{} || r.ptr != text.data() + text.size()) return fail();
    return n;
  }
  if (auto t = rfc3339(text)) return t;
  return fail();
}

std::string format_rfc3339(std::int64_t unix_ms) {
  std::int64_t secs = unix_ms / 1000, ms = unix_ms % 1000;
  if (ms < 0) {
    ms += 1000;
    --secs;
  }
  std::int64_t days = secs / 86'400, rem = secs % 86'400;
  if (rem < 0) {
    rem += 86'400;
    --days;
  }
  // civil_from_days
  days += 719468;
  const std::int64_t era = (days >= 0 ? days : days - 146096) / 146097;
  const auto doe = static_cast<unsigned>(days - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  const unsigned d = doy - (153 * mp + 2) / 5 + 1;
  const unsigned m = mp < 10 ? mp + 3 : mp - 9;
  const std::int64_t y = static_cast<std::int64_t>(yoe) + era * 400 + (m <= 2);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z", y, m, d, rem / 3600, rem % 3600 / 60, rem % 60, ms);
}

}  // namespace hyperion::history
