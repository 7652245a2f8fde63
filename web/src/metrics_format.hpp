#pragma once

// The Prometheus text exposition format 0.0.4, as render_metrics writes it: families with
// their HELP and TYPE, label values escaped, numbers in Go's spellings. Internal to web/.

#include <array>
#include <cmath>
#include <initializer_list>
#include <iterator>
#include <string>
#include <string_view>
#include <type_traits>

#include <fmt/format.h>

#include "hyperion/web/metrics.hpp"

namespace hyperion::web::exposition {

struct Label {
  std::string_view name;
  std::string_view value;
};

// A number rendered into a stack buffer, for numeric label values ("cpu", "pid", "le").
class NumberText {
 public:
  template <class T>
  explicit NumberText(T value) {
    const auto r = fmt::format_to_n(buf_.data(), buf_.size(), "{}", value);
    size_ = std::min(r.size, buf_.size());
  }
  std::string_view view() const noexcept { return {buf_.data(), size_}; }

 private:
  std::array<char, 32> buf_{};
  std::size_t size_ = 0;
};

inline void append_double(std::string& out, double v) {
  // Go's ParseFloat spellings, which Prometheus' parser expects.
  if (std::isnan(v)) {
    out += "NaN";
  } else if (std::isinf(v)) {
    out += v > 0 ? "+Inf" : "-Inf";
  } else {
    fmt::format_to(std::back_inserter(out), "{}", v);
  }
}

template <class T>
void append_value(std::string& out, T v) {
  if constexpr (std::is_floating_point_v<T>) {
    append_double(out, static_cast<double>(v));
  } else {
    static_assert(std::is_integral_v<T>);
    // Integers print exactly (a counter above 2^53 keeps its digits on the wire).
    const fmt::format_int text(v);
    out.append(text.data(), text.size());
  }
}

inline void append_help_text(std::string& out, std::string_view help) {
  for (const char c : help) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
}

// One metric family: writes "# HELP" and "# TYPE" before its first sample, so a family
// without samples leaves no trace.
class Family {
 public:
  Family(std::string& out, std::string_view name, std::string_view type, std::string_view help)
      : out_(out), name_(name), type_(type), help_(help) {}

  template <class T>
  void add(std::initializer_list<Label> labels, T value) {
    add_suffixed({}, labels, value);
  }
  template <class T>
  void add(T value) {
    add_suffixed({}, {}, value);
  }

  // For a histogram's _bucket, _sum and _count lines.
  template <class T>
  void add_suffixed(std::string_view suffix, std::initializer_list<Label> labels, T value) {
    if (!started_) begin();
    out_ += name_;
    out_ += suffix;
    if (labels.size() != 0) {
      out_ += '{';
      bool first = true;
      for (const auto& l : labels) {
        if (!first) out_ += ',';
        first = false;
        out_ += l.name;
        out_ += "=\"";
        append_label_value(out_, l.value);
        out_ += '"';
      }
      out_ += '}';
    }
    out_ += ' ';
    append_value(out_, value);
    out_ += '\n';
  }

 private:
  void begin() {
    started_ = true;
    out_ += "# HELP ";
    out_ += name_;
    out_ += ' ';
    append_help_text(out_, help_);
    out_ += "\n# TYPE ";
    out_ += name_;
    out_ += ' ';
    out_ += type_;
    out_ += '\n';
  }

  std::string& out_;
  std::string_view name_, type_, help_;
  bool started_ = false;
};

inline constexpr std::string_view kCounter = "counter";
inline constexpr std::string_view kGauge = "gauge";

}  // namespace hyperion::web::exposition
