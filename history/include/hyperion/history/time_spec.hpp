#pragma once

// The times a history query takes: RFC 3339 ("2026-12-07T03:12:00Z", "…+01:00", with or
// without fractions of a second), relative to now ("-6h", "-15m", "-30d", "-90s", "-2w",
// "now"), or Unix milliseconds.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace hyperion::history {

// Unix milliseconds; nullopt with `why` set when the text is none of the forms above.
std::optional<std::int64_t> parse_time(std::string_view text, std::int64_t now_ms, std::string* why);

// "2026-12-07T03:12:00.000Z".
std::string format_rfc3339(std::int64_t unix_ms);

}  // namespace hyperion::history
