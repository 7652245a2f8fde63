#pragma once

// Small, allocation-free helpers for reading /proc text. Every parser uses these
// instead of streams or sscanf: they bound-check each token and never throw.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace hyperion::collectors::text {

// Strips spaces, tabs and newlines at both ends.
std::string_view trim(std::string_view s) noexcept;

// Takes the next line (without its '\n') off the front of `rest`.
// Returns false when `rest` is exhausted. A final line without '\n' is returned.
bool next_line(std::string_view& rest, std::string_view& line) noexcept;

// Takes the next whitespace-separated token off the front of `rest`.
bool next_token(std::string_view& rest, std::string_view& token) noexcept;

// True for a non-empty run of ASCII digits: tells an overflowing number (out_of_range)
// from a non-number (malformed).
bool is_digits(std::string_view s) noexcept;

// Whole-token numeric conversions: the entire token must be a number that fits.
std::optional<std::uint64_t> to_u64(std::string_view s) noexcept;
std::optional<std::int64_t> to_i64(std::string_view s) noexcept;
std::optional<std::uint32_t> to_u32(std::string_view s) noexcept;
std::optional<std::int32_t> to_i32(std::string_view s) noexcept;
std::optional<double> to_double(std::string_view s) noexcept;
// Hexadecimal, no "0x" prefix (as in /proc/net/tcp).
std::optional<std::uint64_t> hex_to_u64(std::string_view s) noexcept;

// Splits "key: value" / "key value" / "key=value" at the first `sep`.
// Returns false when there is no separator.
bool split_once(std::string_view s, char sep, std::string_view& key, std::string_view& value) noexcept;

// Undoes the octal escapes the kernel uses in paths (\040 for space, \011, \012, \134):
// see seq_path() / mangle_path() in fs/seq_file.c.
std::string unescape_octal(std::string_view s);

}  // namespace hyperion::collectors::text
