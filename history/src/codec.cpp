#include "hyperion/history/codec.hpp"

#include <bit>
#include <cmath>
#include <cstring>
#include <limits>

namespace hyperion::history {
namespace {

constexpr unsigned char kFormat = 1;
constexpr double kIntLimit = 4.6e18;  // |q| below 2^62: deltas never overflow

struct Bucket {
  unsigned prefix_bits;   // '0' = 1, '10' = 2, ...
  std::uint64_t prefix;
  unsigned payload_bits;
};
// Timestamps: delta-of-delta, zigzagged.
constexpr Bucket kTimeBuckets[] = {{1, 0b0, 0}, {2, 0b10, 7}, {3, 0b110, 12}, {4, 0b1110, 20}, {4, 0b1111, 64}};
// Values: delta of the scaled integer, zigzagged. The last prefix, '11111', is a whole double.
constexpr Bucket kValueBuckets[] = {{1, 0b0, 0}, {2, 0b10, 6}, {3, 0b110, 13}, {4, 0b1110, 24}, {5, 0b11110, 64}};
constexpr std::uint64_t kRawDoublePrefix = 0b11111;
constexpr unsigned kRawDoublePrefixBits = 5;

template <std::size_t N>
void put_bucketed(BitWriter& w, std::uint64_t zz, const Bucket (&buckets)[N]) {
  for (const auto& b : buckets) {
    if (b.payload_bits == 64 || zz < (std::uint64_t{1} << b.payload_bits)) {
      w.write(b.prefix, b.prefix_bits);
      if (b.payload_bits) w.write(zz, b.payload_bits);
      return;
    }
  }
}

// Reads a prefix of up to `max_ones` ones ended by a zero (or not, at the maximum).
bool read_ones(BitReader& r, unsigned max_ones, unsigned& ones) {
  ones = 0;
  while (ones < max_ones) {
    bool b = false;
    if (!r.bit(b)) return false;
    if (!b) return true;
    ++ones;
  }
  return true;
}

std::optional<std::int64_t> quantise(double v, double scale) {
  if (!std::isfinite(v)) return std::nullopt;
  const double s = v * scale;
  if (!std::isfinite(s) || std::fabs(s) >= kIntLimit) return std::nullopt;
  return std::llround(s);
}

void put_u32(Bytes& out, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<unsigned char>(v >> (8 * i)));
}

}  // namespace

void BitWriter::write(std::uint64_t value, unsigned bits) {
  while (bits > 0) {
    if (bits_ % 8 == 0) bytes_.push_back(0);
    const unsigned room = 8 - static_cast<unsigned>(bits_ % 8);
    const unsigned take = bits < room ? bits : room;
    const auto part = static_cast<unsigned>((value >> (bits - take)) & ((1U << take) - 1U));
    bytes_.back() |= static_cast<unsigned char>(part << (room - take));
    bits_ += take;
    bits -= take;
  }
}

bool BitReader::read(unsigned bits, std::uint64_t& out) {
  if (bits > bytes_.size() * 8 - pos_) return false;
  std::uint64_t v = 0;
  while (bits > 0) {
    const unsigned avail = 8 - static_cast<unsigned>(pos_ % 8);
    const unsigned take = bits < avail ? bits : avail;
    const unsigned byte = bytes_[pos_ / 8];
    v = (v << take) | ((byte >> (avail - take)) & ((1U << take) - 1U));
    pos_ += take;
    bits -= take;
  }
  out = v;
  return true;
}

bool BitReader::bit(bool& out) {
  std::uint64_t v = 0;
  if (!read(1, v)) return false;
  out = v != 0;
  return true;
}

ChunkEncoder::ChunkEncoder(unsigned width, double scale)
    : width_(width == 0 ? 1 : width), scale_(scale > 0 && std::isfinite(scale) ? scale : 1.0), last_q_(width_, 0) {}

void ChunkEncoder::put_value(std::size_t k, double v, double scale) {
  const auto q = quantise(v, scale);
  if (!q) {
    bits_.write(kRawDoublePrefix, kRawDoublePrefixBits);
    bits_.write(std::bit_cast<std::uint64_t>(v), 64);
    return;
  }
  put_bucketed(bits_, zigzag(*q - last_q_[k]), kValueBuckets);
  last_q_[k] = *q;
}

void ChunkEncoder::append(std::int64_t time_ms, std::span<const double> values) {
  if (count_ == 0) {
    bits_.write(static_cast<std::uint64_t>(time_ms), 64);
    first_ms_ = min_ms_ = max_ms_ = time_ms;
  } else {
    // Wrapping arithmetic: a clock that jumps by centuries still round-trips.
    const auto delta = static_cast<std::int64_t>(static_cast<std::uint64_t>(time_ms) - static_cast<std::uint64_t>(last_ms_));
    const auto dod = static_cast<std::int64_t>(static_cast<std::uint64_t>(delta) - static_cast<std::uint64_t>(last_delta_));
    put_bucketed(bits_, zigzag(dod), kTimeBuckets);
    last_delta_ = delta;
    min_ms_ = std::min(min_ms_, time_ms);
    max_ms_ = std::max(max_ms_, time_ms);
  }
  last_ms_ = time_ms;
  for (unsigned k = 0; k < width_; ++k) {
    const double v = k < values.size() ? values[k] : std::numeric_limits<double>::quiet_NaN();
    put_value(k, v, width_ > 1 && k == kRollupCount ? 1.0 : scale_);
  }
  ++count_;
}

Bytes ChunkEncoder::bytes() const {
  Bytes out;
  out.reserve(byte_size());
  out.push_back(kFormat);
  out.push_back(static_cast<unsigned char>(width_));
  const auto s = std::bit_cast<std::uint64_t>(scale_);
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<unsigned char>(s >> (8 * i)));
  put_u32(out, static_cast<std::uint32_t>(count_));
  out.insert(out.end(), bits_.bytes().begin(), bits_.bytes().end());
  return out;
}

std::optional<DecodedChunk> decode_chunk(std::span<const unsigned char> bytes, std::string* error) {
  const auto fail = [&](const char* why) -> std::optional<DecodedChunk> {
    if (error) *error = why;
    return std::nullopt;
  };
  if (bytes.size() < ChunkEncoder::kHeaderBytes) return fail("chunk shorter than its header");
  if (bytes[0] != kFormat) return fail("unknown chunk format");
  const unsigned width = bytes[1];
  if (width != 1 && width != 4) return fail("chunk width is neither 1 nor 4");
  std::uint64_t s = 0;
  for (int i = 0; i < 8; ++i) s |= std::uint64_t{bytes[2 + static_cast<std::size_t>(i)]} << (8 * i);
  const double scale = std::bit_cast<double>(s);
  if (!(scale > 0) || !std::isfinite(scale)) return fail("chunk scale is not a positive number");
  std::uint32_t count = 0;
  for (int i = 0; i < 4; ++i) count |= std::uint32_t{bytes[10 + static_cast<std::size_t>(i)]} << (8 * i);
  const auto body = bytes.subspan(ChunkEncoder::kHeaderBytes);
  // Every point takes at least one bit per value and one for its time (the first, 64).
  if (count > 0 && (std::uint64_t{count} - 1) * (1 + width) + 64 + width > body.size() * 8) {
    return fail("chunk count larger than its bytes allow");
  }
  DecodedChunk out;
  out.width = width;
  out.times_ms.reserve(count);
  out.values.reserve(std::size_t{count} * width);
  BitReader r(body);
  std::int64_t last_ms = 0, last_delta = 0;
  std::vector<std::int64_t> last_q(width, 0);
  for (std::uint32_t i = 0; i < count; ++i) {
    std::uint64_t raw = 0;
    if (i == 0) {
      if (!r.read(64, raw)) return fail("chunk truncated");
      last_ms = static_cast<std::int64_t>(raw);
    } else {
      unsigned ones = 0;
      if (!read_ones(r, 4, ones)) return fail("chunk truncated");
      const auto& b = kTimeBuckets[ones];
      std::uint64_t zz = 0;
      if (b.payload_bits && !r.read(b.payload_bits, zz)) return fail("chunk truncated");
      const auto dod = unzigzag(zz);
      last_delta = static_cast<std::int64_t>(static_cast<std::uint64_t>(last_delta) + static_cast<std::uint64_t>(dod));
      last_ms = static_cast<std::int64_t>(static_cast<std::uint64_t>(last_ms) + static_cast<std::uint64_t>(last_delta));
    }
    out.times_ms.push_back(last_ms);
    for (unsigned k = 0; k < width; ++k) {
      const double sc = width > 1 && k == kRollupCount ? 1.0 : scale;
      unsigned ones = 0;
      if (!read_ones(r, 5, ones)) return fail("chunk truncated");
      if (ones == 5) {
        if (!r.read(64, raw)) return fail("chunk truncated");
        out.values.push_back(std::bit_cast<double>(raw));
        continue;
      }
      const auto& b = kValueBuckets[ones];
      std::uint64_t zz = 0;
      if (b.payload_bits && !r.read(b.payload_bits, zz)) return fail("chunk truncated");
      last_q[k] = static_cast<std::int64_t>(static_cast<std::uint64_t>(last_q[k]) + static_cast<std::uint64_t>(unzigzag(zz)));
      out.values.push_back(static_cast<double>(last_q[k]) / sc);
    }
  }
  return out;
}

ChunkEncoder reencode(const DecodedChunk& chunk, double scale) {
  ChunkEncoder e(chunk.width, scale);
  for (std::size_t i = 0; i < chunk.size(); ++i) {
    e.append(chunk.times_ms[i], std::span<const double>(chunk.values.data() + i * chunk.width, chunk.width));
  }
  return e;
}

void put_varint(Bytes& out, std::uint64_t v) {
  while (v >= 0x80) {
    out.push_back(static_cast<unsigned char>(v | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<unsigned char>(v));
}

bool get_varint(std::span<const unsigned char> in, std::size_t& pos, std::uint64_t& out) {
  std::uint64_t v = 0;
  for (unsigned shift = 0; shift < 64; shift += 7) {
    if (pos >= in.size()) return false;
    const auto b = in[pos++];
    v |= std::uint64_t{b & 0x7FU} << shift;
    if (!(b & 0x80U)) {
      out = v;
      return true;
    }
  }
  return false;
}

}  // namespace hyperion::history
