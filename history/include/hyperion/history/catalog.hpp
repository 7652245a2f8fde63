#pragma once

// Which numbers of a snapshot become history series, under what names, units and
// resolutions. A series is a host, a metric and its labels; its key is the metric and labels
// written as `net.rx_bytes_per_second{interface="eth0"}` (labels sorted by name, values with
// '"' and '\' escaped), the same syntax a history query's `metric` parameter takes.

#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "hyperion/collectors/family.hpp"
#include "hyperion/collectors/snapshot.hpp"

namespace hyperion::history {

struct MetricInfo {
  std::string_view name;   // "cpu.percent"
  std::string_view unit;   // "percent", "bytes", "bytes_per_second", "per_second", "count", ...
  double scale;            // the resolution kept: value * scale is rounded to an integer
  collectors::Family family;
  std::string_view help;
};

// Every metric the history keeps, grouped by family.
std::span<const MetricInfo> metric_table() noexcept;
const MetricInfo* find_metric(std::string_view name) noexcept;

using Labels = std::vector<std::pair<std::string, std::string>>;  // sorted by name

// `metric{k="v",...}` (just `metric` without labels).
std::string series_key(std::string_view metric, const Labels& labels);
// The reverse; nullopt when the text is not a key.
std::optional<std::pair<std::string, Labels>> parse_series_key(std::string_view key);

// A query's selector: a metric and label matchers (`=` and `!=`), such as
// `fs.used_percent{fstype!="tmpfs"}`.
struct Matcher {
  std::string label;
  std::string value;
  bool equal = true;
};
struct Selector {
  std::string metric;
  std::vector<Matcher> matchers;
  bool matches(std::string_view metric, const Labels& labels) const;
};
// nullopt with `why` set when the text is not a selector.
std::optional<Selector> parse_selector(std::string_view text, std::string* why);

// One value of a snapshot, for the writer. `key` is the series key.
struct FlatValue {
  const MetricInfo* metric;
  std::string key;
  double value;
};

// Calls `out` for every history value of the families in `families` (those the tick
// refreshed). Missing values (a rate on the first sample, an await with no I/O) are skipped:
// a gap in the history, never a zero.
void flatten(const collectors::Snapshot& snapshot, collectors::FamilySet families,
             const std::function<void(const MetricInfo&, std::string key, double value)>& out);

}  // namespace hyperion::history
