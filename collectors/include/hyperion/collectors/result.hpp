#pragma once

// Result<T>: a value or an Error, shaped like std::expected (C++23) so it can be
// swapped for it later. Parsers never throw on bad input; they return this.

#include <string>
#include <utility>
#include <variant>

namespace hyperion::collectors {

enum class Errc {
  empty,          // no data at all
  truncated,      // fewer fields or lines than the format has
  malformed,      // a field that does not parse (non-numeric, bad syntax)
  out_of_range,   // a number that does not fit its type
  missing_field,  // a required key is absent
  io,             // the source could not read the file
};

const char* to_string(Errc code) noexcept;

struct Error {
  Errc code;
  std::string detail;
};

template <class T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::in_place_index<0>, std::move(value)) {}  // NOLINT: implicit by design
  Result(Error error) : v_(std::in_place_index<1>, std::move(error)) {}  // NOLINT

  bool has_value() const noexcept { return v_.index() == 0; }
  explicit operator bool() const noexcept { return has_value(); }

  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &std::get<0>(v_); }
  const T* operator->() const { return &std::get<0>(v_); }

  const Error& error() const& { return std::get<1>(v_); }

 private:
  std::variant<T, Error> v_;
};

}  // namespace hyperion::collectors
