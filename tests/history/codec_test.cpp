// The chunk codec: every value and time comes back, at the series' resolution; special
// values whole; damaged bytes are refused, never read past.

#include "hyperion/history/codec.hpp"

#include <cmath>
#include <limits>
#include <random>

#include <catch2/catch.hpp>

using namespace hyperion::history;

namespace {

DecodedChunk round_trip(const ChunkEncoder& e) {
  std::string error;
  auto d = decode_chunk(e.bytes(), &error);
  INFO(error);
  REQUIRE(d);
  return *d;
}

}  // namespace

TEST_CASE("codec: a regular series costs about two bits a sample", "[history][codec]") {
  ChunkEncoder e(1, 100);
  for (int i = 0; i < 1800; ++i) e.append(1'700'000'000'000 + i * 1000LL, 12.5);
  // 64 bits of first time, a few bytes for the first step and value, then 2 bits per sample
  // (time step unchanged, value unchanged).
  CHECK(e.byte_size() <= 5 + 8 + 6 + 1800 / 4);
  CHECK(e.bytes().size() == e.byte_size());
  const auto d = round_trip(e);
  REQUIRE(d.size() == 1800);
  CHECK(d.times_ms.back() == 1'700'000'000'000 + 1799 * 1000LL);
  CHECK(d.value(1799) == 12.5);
}

TEST_CASE("codec: values come back at the series' resolution", "[history][codec]") {
  ChunkEncoder pct(1, 100);
  ChunkEncoder kib(1, 1.0 / 1024);
  const double percents[] = {0, 3.0303030303, 99.999, 100, 42.42, -5.5, 1e9};
  const double bytes[] = {8 * 1024.0 * 1024 * 1024, 1024, 0, 123 * 1024.0, 5e15};
  std::int64_t t = 1000;
  for (const double v : percents) pct.append(t += 1000, v);
  for (const double v : bytes) kib.append(t += 1000, v);
  const auto a = round_trip(pct);
  for (std::size_t i = 0; i < std::size(percents); ++i) CHECK(a.value(i) == Approx(std::round(percents[i] * 100) / 100));
  const auto b = round_trip(kib);
  for (std::size_t i = 0; i < std::size(bytes); ++i) CHECK(b.value(i) == bytes[i]);
}

TEST_CASE("codec: NaN, infinities and huge values are kept whole", "[history][codec]") {
  ChunkEncoder e(1, 100);
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const double inf = std::numeric_limits<double>::infinity();
  const double values[] = {1.0, nan, inf, -inf, 1e300, -1e300, 2.0, std::numeric_limits<double>::denorm_min(), 3.0};
  for (std::size_t i = 0; i < std::size(values); ++i) e.append(static_cast<std::int64_t>(i) * 1000, values[i]);
  const auto d = round_trip(e);
  REQUIRE(d.size() == std::size(values));
  CHECK(d.value(0) == 1.0);
  CHECK(std::isnan(d.value(1)));
  CHECK(d.value(2) == inf);
  CHECK(d.value(3) == -inf);
  CHECK(d.value(4) == 1e300);
  CHECK(d.value(5) == -1e300);
  CHECK(d.value(6) == 2.0);  // the special values did not become the previous value
  CHECK(d.value(7) == 0.0);  // below the resolution
  CHECK(d.value(8) == 3.0);
}

TEST_CASE("codec: times that jitter, jump, step back or wrap come back exactly", "[history][codec]") {
  const std::int64_t times[] = {1'700'000'000'000, 1'700'000'001'003, 1'700'000'001'999, 1'700'000'003'000,
                                1'700'000'000'500,  // the clock stepped back
                                1'700'000'000'501, 1'800'000'000'000,  // and jumped forward
                                std::numeric_limits<std::int64_t>::min(), std::numeric_limits<std::int64_t>::max(), 0, -5};
  ChunkEncoder e(1, 1);
  for (std::size_t i = 0; i < std::size(times); ++i) e.append(times[i], static_cast<double>(i));
  const auto d = round_trip(e);
  REQUIRE(d.size() == std::size(times));
  for (std::size_t i = 0; i < std::size(times); ++i) {
    CHECK(d.times_ms[i] == times[i]);
    CHECK(d.value(i) == static_cast<double>(i));
  }
  CHECK(e.min_ms() == std::numeric_limits<std::int64_t>::min());
  CHECK(e.max_ms() == std::numeric_limits<std::int64_t>::max());
}

TEST_CASE("codec: roll-up chunks keep count, min, max and mean", "[history][codec]") {
  ChunkEncoder e(4, 100);
  const double a[4] = {60, 0.5, 99.25, 12.34};
  const double b[4] = {59, 1, 2, 1.5};
  e.append(60'000, a);
  e.append(120'000, b);
  const auto d = round_trip(e);
  REQUIRE(d.width == 4);
  REQUIRE(d.size() == 2);
  CHECK(d.value(0, kRollupCount) == 60);
  CHECK(d.value(0, kRollupMin) == 0.5);
  CHECK(d.value(0, kRollupMax) == 99.25);
  CHECK(d.value(0, kRollupMean) == Approx(12.34));
  CHECK(d.value(1, kRollupCount) == 59);
  CHECK(d.value(1, kRollupMean) == 1.5);
}

TEST_CASE("codec: random walks round-trip, and reencode gives the same bytes", "[history][codec]") {
  std::mt19937_64 rng(42);
  std::normal_distribution<double> step(0, 3);
  for (int round = 0; round < 20; ++round) {
    ChunkEncoder e(1, 100);
    double v = 50;
    std::int64_t t = 1'700'000'000'000;
    std::vector<std::pair<std::int64_t, double>> in;
    for (int i = 0; i < 2000; ++i) {
      v += step(rng);
      t += 1000 + static_cast<std::int64_t>(step(rng) * (round % 3));
      in.emplace_back(t, v);
      e.append(t, v);
    }
    const auto d = round_trip(e);
    for (std::size_t i = 0; i < in.size(); ++i) {
      REQUIRE(d.times_ms[i] == in[i].first);
      REQUIRE(std::fabs(d.value(i) - in[i].second) <= 0.005 + 1e-9);
    }
    CHECK(reencode(d, 100).bytes() == e.bytes());
  }
}

TEST_CASE("codec: damaged chunks are refused", "[history][codec]") {
  ChunkEncoder e(1, 100);
  for (int i = 0; i < 100; ++i) e.append(i * 1000, i * 1.5);
  const auto good = e.bytes();
  std::string error;
  CHECK_FALSE(decode_chunk(std::span(good.data(), 3), &error));
  CHECK(error == "chunk shorter than its header");
  auto truncated = good;
  truncated.resize(good.size() - 10);
  CHECK_FALSE(decode_chunk(truncated, &error));
  auto wrong_format = good;
  wrong_format[0] = 9;
  CHECK_FALSE(decode_chunk(wrong_format, &error));
  // The count (a varint at byte 3) made huge.
  Bytes huge_count(good.begin(), good.begin() + 3);
  put_varint(huge_count, 0x7fffffff);
  huge_count.insert(huge_count.end(), good.begin() + 4, good.end());
  CHECK_FALSE(decode_chunk(huge_count, &error));
  CHECK(error == "chunk count larger than its bytes allow");
  auto bad_scale = good;
  bad_scale[2] = 0x40;
  CHECK_FALSE(decode_chunk(bad_scale, &error));
  CHECK(error == "unknown chunk scale");
  // Random bytes: refused or decoded, never a crash (the fuzz target goes further).
  std::mt19937 rng(7);
  for (int i = 0; i < 2000; ++i) {
    auto junk = good;
    junk[4 + rng() % (junk.size() - 4)] ^= static_cast<unsigned char>(1U << (rng() % 8));
    (void)decode_chunk(junk);
  }
}

TEST_CASE("codec: any positive scale round-trips, in one byte when it is 10^n or 2^-n", "[history][codec]") {
  for (const double scale : {100.0, 1.0, 1000.0, 1e-8, 1e8, 1.0 / 1024, 1.0 / 4096, 3.0, 0.25, 7e-3}) {
    ChunkEncoder e(1, scale);
    e.append(1000, 42.0);
    e.append(2000, 43.0);
    const auto d = round_trip(e);
    CHECK(d.scale == scale);
    CHECK(d.value(1) == Approx(std::round(43.0 * scale) / scale));
    const bool compact = scale != 3.0 && scale != 7e-3;
    CHECK(e.bytes().size() == e.byte_size());
    CHECK((e.bytes()[2] != 0xFF) == compact);  // the scale code, or a whole double after it
  }
}

TEST_CASE("codec: varints and zigzag round-trip", "[history][codec]") {
  Bytes b;
  const std::uint64_t values[] = {0, 1, 127, 128, 300, 1ULL << 35, ~0ULL};
  for (auto v : values) put_varint(b, v);
  std::size_t pos = 0;
  for (auto v : values) {
    std::uint64_t out = 0;
    REQUIRE(get_varint(b, pos, out));
    CHECK(out == v);
  }
  std::uint64_t out = 0;
  CHECK_FALSE(get_varint(b, pos, out));
  for (std::int64_t v : {0LL, -1LL, 1LL, -64LL, 1LL << 62, std::numeric_limits<long long>::min()}) CHECK(unzigzag(zigzag(v)) == v);
}
