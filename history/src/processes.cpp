#include "hyperion/history/processes.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <unordered_map>

#include "hyperion/history/codec.hpp"

namespace hyperion::history {
namespace {

constexpr unsigned char kFormat = 1;
constexpr std::size_t kMaxCachedStrings = 8'192;

std::string text_of(const collectors::SharedString& s) { return s ? *s : std::string(); }

std::uint64_t opt_rate(const std::optional<double>& v) {
  return v && std::isfinite(*v) && *v >= 0 ? static_cast<std::uint64_t>(std::llround(*v)) + 1 : 0;
}
std::optional<double> rate_of(std::uint64_t v) {
  if (v == 0) return std::nullopt;
  return static_cast<double>(v - 1);
}

// Cuts at `max` bytes without splitting a UTF-8 sequence.
std::string cut(std::string s, std::size_t max) {
  if (s.size() <= max) return s;
  std::size_t n = max;
  while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0U) == 0x80U) --n;
  s.resize(n);
  return s;
}

struct Reader {
  std::span<const unsigned char> in;
  std::size_t pos = 0;
  bool ok = true;
  std::uint64_t next() {
    std::uint64_t v = 0;
    if (ok && !get_varint(in, pos, v)) ok = false;
    return ok ? v : 0;
  }
};

}  // namespace

ProcessFrame top_processes(const collectors::Snapshot& s, std::uint32_t top, std::uint32_t cmdline_bytes,
                           CpuTicks* previous) {
  ProcessFrame f;
  f.host = s.host;
  f.time_ms = s.timestamp_ms;
  if (s.processes) {
    const auto& all = s.processes->processes;
    // CPU since the previous frame where the process was in it; else over the last interval.
    std::unordered_map<std::int32_t, double> average;
    if (previous) {
      const double hz = s.host_info ? s.host_info->clock_ticks_per_second : 100.0;
      const double elapsed = static_cast<double>(s.timestamp_ms - previous->time_ms) / 1000.0;
      CpuTicks now;
      now.time_ms = s.timestamp_ms;
      for (const auto& p : all) {
        const std::pair<std::int32_t, std::int64_t> key{p.pid, p.start_time_unix_ms};
        now.ticks.emplace(key, p.cpu_ticks_total);
        const auto it = previous->ticks.find(key);
        if (it != previous->ticks.end() && elapsed > 0 && p.cpu_ticks_total >= it->second) {
          average[p.pid] = static_cast<double>(p.cpu_ticks_total - it->second) / hz / elapsed * 100.0;
        }
      }
      *previous = std::move(now);
    }
    const auto cpu_of = [&](const collectors::ProcessSample& p) {
      const auto it = average.find(p.pid);
      return it != average.end() ? it->second : p.cpu_percent.value_or(0);
    };
    std::vector<const collectors::ProcessSample*> by_cpu, by_mem;
    for (const auto& p : all) {
      if (cpu_of(p) > 0) by_cpu.push_back(&p);
      if (p.rss_bytes > 0) by_mem.push_back(&p);
    }
    const auto take = [&](std::vector<const collectors::ProcessSample*>& v, auto key) {
      const auto n = std::min<std::size_t>(top, v.size());
      std::partial_sort(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(n), v.end(),
                        [&](const auto* a, const auto* b) { return key(*a) > key(*b) || (key(*a) == key(*b) && a->pid < b->pid); });
      v.resize(n);
    };
    take(by_cpu, cpu_of);
    take(by_mem, [](const collectors::ProcessSample& p) { return static_cast<double>(p.rss_bytes); });
    std::map<std::int32_t, ProcessEntry> entries;
    const auto entry = [&](const collectors::ProcessSample& p) -> ProcessEntry& {
      auto [it, added] = entries.try_emplace(p.pid);
      if (added) {
        auto& e = it->second;
        e.pid = p.pid;
        e.start_time_unix_ms = p.start_time_unix_ms;
        e.name = text_of(p.comm);
        e.user = text_of(p.user);
        e.command = cut(text_of(p.cmdline), cmdline_bytes);
        e.cpu_percent = cpu_of(p);
        e.rss_bytes = p.rss_bytes;
        e.read_bytes_per_second = p.read_bytes_per_second;
        e.write_bytes_per_second = p.write_bytes_per_second;
      }
      return it->second;
    };
    for (const auto* p : by_cpu) entry(*p).top_cpu = true;
    for (const auto* p : by_mem) entry(*p).top_memory = true;
    for (auto& [pid, e] : entries) f.processes.push_back(std::move(e));
    std::sort(f.processes.begin(), f.processes.end(),
              [](const auto& a, const auto& b) { return a.cpu_percent > b.cpu_percent || (a.cpu_percent == b.cpu_percent && a.pid < b.pid); });
  }
  if (s.containers) {
    std::vector<const collectors::ContainerSample*> by_cpu, by_mem;
    for (const auto& c : s.containers->containers) {
      if (c.cpu_percent && *c.cpu_percent > 0) by_cpu.push_back(&c);
      if (c.memory_current_bytes && *c.memory_current_bytes > 0) by_mem.push_back(&c);
    }
    const auto take = [&](std::vector<const collectors::ContainerSample*>& v, auto key) {
      const auto n = std::min<std::size_t>(top, v.size());
      std::partial_sort(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(n), v.end(),
                        [&](const auto* a, const auto* b) { return key(*a) > key(*b) || (key(*a) == key(*b) && a->id < b->id); });
      v.resize(n);
    };
    take(by_cpu, [](const collectors::ContainerSample& c) { return *c.cpu_percent; });
    take(by_mem, [](const collectors::ContainerSample& c) { return static_cast<double>(*c.memory_current_bytes); });
    std::map<std::string, ContainerEntry> entries;
    for (const auto* list : {&by_cpu, &by_mem}) {
      for (const auto* c : *list) {
        auto& e = entries[c->id];
        e.id = c->id;
        e.name = c->name;
        e.kind = collectors::to_string(c->kind);
        e.cpu_percent = c->cpu_percent;
        e.memory_bytes = c->memory_current_bytes;
        e.read_bytes_per_second = c->io_read_bytes_per_second;
        e.write_bytes_per_second = c->io_write_bytes_per_second;
      }
    }
    for (auto& [id, e] : entries) f.containers.push_back(std::move(e));
  }
  return f;
}

std::int64_t ProcessHistory::string_id(storage::Database& db, const std::string& text) {
  if (const auto it = ids_.find(text); it != ids_.end()) return it->second;
  db.prepare("INSERT INTO history_strings (text) VALUES (?) ON CONFLICT (text) DO NOTHING").bind(1, text).run();
  auto st = db.prepare("SELECT id FROM history_strings WHERE text = ?");
  st.bind(1, text);
  st.step();
  const auto id = st.int64(0);
  if (ids_.size() >= kMaxCachedStrings) ids_.clear();
  ids_.emplace(text, id);
  return id;
}

void ProcessHistory::write(storage::Database& db, const ProcessFrame& f) {
  try {
    db.transaction([&] {
      Bytes blob;
      blob.push_back(kFormat);
      put_varint(blob, f.processes.size());
      for (const auto& p : f.processes) {
        put_varint(blob, static_cast<std::uint64_t>(p.pid));
        put_varint(blob, zigzag(f.time_ms - p.start_time_unix_ms));
        put_varint(blob, static_cast<std::uint64_t>(string_id(db, p.name)));
        put_varint(blob, static_cast<std::uint64_t>(string_id(db, p.user)));
        put_varint(blob, static_cast<std::uint64_t>(string_id(db, p.command)));
        put_varint(blob, (p.top_cpu ? 1U : 0U) | (p.top_memory ? 2U : 0U));
        put_varint(blob, static_cast<std::uint64_t>(std::llround(std::max(0.0, p.cpu_percent) * 10)));
        put_varint(blob, p.rss_bytes / 1024);
        put_varint(blob, opt_rate(p.read_bytes_per_second));
        put_varint(blob, opt_rate(p.write_bytes_per_second));
      }
      put_varint(blob, f.containers.size());
      for (const auto& c : f.containers) {
        put_varint(blob, static_cast<std::uint64_t>(string_id(db, c.id)));
        put_varint(blob, static_cast<std::uint64_t>(string_id(db, c.name)));
        put_varint(blob, static_cast<std::uint64_t>(string_id(db, c.kind)));
        put_varint(blob, c.cpu_percent ? static_cast<std::uint64_t>(std::llround(std::max(0.0, *c.cpu_percent) * 10)) + 1 : 0);
        put_varint(blob, c.memory_bytes ? *c.memory_bytes / 1024 + 1 : 0);
        put_varint(blob, opt_rate(c.read_bytes_per_second));
        put_varint(blob, opt_rate(c.write_bytes_per_second));
      }
      db.prepare("INSERT OR REPLACE INTO history_processes (host, time_ms, data) VALUES (?, ?, ?)")
          .bind(1, f.host)
          .bind(2, f.time_ms)
          .bind(3, blob)
          .run();
    });
  } catch (...) {
    ids_.clear();  // ids made in the rolled-back transaction do not exist
    throw;
  }
}

namespace {

std::optional<ProcessFrame> decode_frame(storage::Database& reader, const std::string& host, std::int64_t time_ms,
                                         std::span<const unsigned char> blob,
                                         std::unordered_map<std::int64_t, std::string>& strings) {
  if (blob.empty() || blob[0] != kFormat) return std::nullopt;
  Reader r{blob, 1};
  auto lookup = reader.prepare("SELECT text FROM history_strings WHERE id = ?");
  const auto str = [&](std::uint64_t id) -> std::string {
    const auto key = static_cast<std::int64_t>(id);
    if (const auto it = strings.find(key); it != strings.end()) return it->second;
    lookup.bind(1, key);
    std::string text = lookup.step() ? lookup.text(0) : std::string();
    lookup.reset();
    strings.emplace(key, text);
    return text;
  };
  ProcessFrame f;
  f.host = host;
  f.time_ms = time_ms;
  const auto n = r.next();
  for (std::uint64_t i = 0; i < n && r.ok && i < 100'000; ++i) {
    ProcessEntry p;
    p.pid = static_cast<std::int32_t>(r.next());
    p.start_time_unix_ms = time_ms - unzigzag(r.next());
    p.name = str(r.next());
    p.user = str(r.next());
    p.command = str(r.next());
    const auto flags = r.next();
    p.top_cpu = flags & 1U;
    p.top_memory = flags & 2U;
    p.cpu_percent = static_cast<double>(r.next()) / 10;
    p.rss_bytes = r.next() * 1024;
    p.read_bytes_per_second = rate_of(r.next());
    p.write_bytes_per_second = rate_of(r.next());
    if (r.ok) f.processes.push_back(std::move(p));
  }
  const auto m = r.next();
  for (std::uint64_t i = 0; i < m && r.ok && i < 100'000; ++i) {
    ContainerEntry c;
    c.id = str(r.next());
    c.name = str(r.next());
    c.kind = str(r.next());
    const auto cpu = r.next();
    if (cpu) c.cpu_percent = static_cast<double>(cpu - 1) / 10;
    const auto mem = r.next();
    if (mem) c.memory_bytes = (mem - 1) * 1024;
    c.read_bytes_per_second = rate_of(r.next());
    c.write_bytes_per_second = rate_of(r.next());
    if (r.ok) f.containers.push_back(std::move(c));
  }
  if (!r.ok) return std::nullopt;
  return f;
}

}  // namespace

std::vector<ProcessFrame> ProcessHistory::query(storage::Database& reader, const std::string& host, std::int64_t from_ms,
                                                std::int64_t to_ms, std::size_t limit) const {
  std::vector<ProcessFrame> out;
  std::unordered_map<std::int64_t, std::string> strings;
  auto st = reader.prepare(
      "SELECT time_ms, data FROM history_processes WHERE host = ? AND time_ms >= ? AND time_ms <= ? "
      "ORDER BY time_ms DESC LIMIT ?");
  st.bind(1, host).bind(2, from_ms).bind(3, to_ms).bind(4, static_cast<std::int64_t>(limit));
  while (st.step()) {
    const auto blob = st.blob(1);
    if (auto f = decode_frame(reader, host, st.int64(0), blob, strings)) out.push_back(std::move(*f));
  }
  std::reverse(out.begin(), out.end());
  return out;
}

std::optional<ProcessFrame> ProcessHistory::at(storage::Database& reader, const std::string& host, std::int64_t at_ms,
                                               std::int64_t window_ms) const {
  auto st = reader.prepare(
      "SELECT time_ms, data FROM history_processes WHERE host = ? AND time_ms BETWEEN ? AND ? "
      "ORDER BY abs(time_ms - ?) LIMIT 1");
  st.bind(1, host).bind(2, at_ms - window_ms).bind(3, at_ms + window_ms).bind(4, at_ms);
  if (!st.step()) return std::nullopt;
  std::unordered_map<std::int64_t, std::string> strings;
  const auto blob = st.blob(1);
  return decode_frame(reader, host, st.int64(0), blob, strings);
}

}  // namespace hyperion::history
