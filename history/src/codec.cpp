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
// Values: the delta of the scaled integer, zigzagged, in a width that adapts to the series
// (as Gorilla reuses the previous XOR's window): '0' no change; '10' the delta in the current
// width; '110' a new width (6 bits, 1..64) then the delta; '111' a whole IEEE double.
constexpr unsigned kWidthBits = 6;
// A narrower delta keeps the current width unless a new one saves more than its header costs.
constexpr unsigned kNewWidthCost = 3 + kWidthBits - 2;

unsigned bit_length(std::uint64_t v) { return v == 0 ? 1 : static_cast<unsigned>(std::bit_width(v)); }

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

// The scale in one byte: 0..16 for 10^(code - 8), 0x80 | n for 2^-n; 0xFF: a whole double
// follows.
constexpr unsigned char kScaleDouble = 0xFF;

unsigned char scale_code(double scale) {
  double p = 1e-8;
  for (unsigned char c = 0; c <= 16; ++c, p *= 10) {
    if (std::fabs(scale - p) <= p * 1e-12) return c;
  }
  for (unsigned char n = 0; n < 64; ++n) {
    if (scale == std::ldexp(1.0, -n)) return static_cast<unsigned char>(0x80 | n);
  }
  return kScaleDouble;
}

std::size_t varint_size(std::uint64_t v) {
  std::size_t n = 1;
  while (v >= 0x80) {
    v >>= 7;
    ++n;
  }
  return n;
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
    : width_(width == 0 ? 1 : width),
      scale_(scale > 0 && std::isfinite(scale) ? scale : 1.0),
      last_q_(width_, 0),
      width_bits_(width_, 0) {}

void ChunkEncoder::put_value(std::size_t k, double v, double scale) {
  const auto q = quantise(v, scale);
  if (!q) {
    bits_.write(0b111, 3);
    bits_.write(std::bit_cast<std::uint64_t>(v), 64);
    return;
  }
  const auto zz = zigzag(*q - last_q_[k]);
  last_q_[k] = *q;
  if (zz == 0) {
    bits_.bit(false);
    return;
  }
  const unsigned need = bit_length(zz);
  auto& width = width_bits_[k];
  if (need <= width && width - need <= kNewWidthCost) {
    bits_.write(0b10, 2);
  } else {
    width = need;
    bits_.write(0b110, 3);
    bits_.write(width - 1, kWidthBits);
  }
  bits_.write(zz, width);
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

std::size_t ChunkEncoder::byte_size() const noexcept {
  return 3 + (scale_code(scale_) == kScaleDouble ? 8 : 0) + varint_size(count_) + (bits_.bit_size() + 7) / 8;
}

Bytes ChunkEncoder::bytes() const {
  Bytes out;
  out.reserve(byte_size());
  out.push_back(kFormat);
  out.push_back(static_cast<unsigned char>(width_));
  const auto code = scale_code(scale_);
  out.push_back(code);
  if (code == kScaleDouble) {
    const auto s = std::bit_cast<std::uint64_t>(scale_);
    for (int i = 0; i < 8; ++i) out.push_back(static_cast<unsigned char>(s >> (8 * i)));
  }
  put_varint(out, count_);
  out.insert(out.end(), bits_.bytes().begin(), bits_.bytes().end());
  return out;
}

std::optional<DecodedChunk> decode_chunk(std::span<const unsigned char> bytes, std::string* error) {
  const auto fail = [&](const char* why) -> std::optional<DecodedChunk> {
    if (error) *error = why;
    return std::nullopt;
  };
  if (bytes.size() < 4) return fail("chunk shorter than its header");
  if (bytes[0] != kFormat) return fail("unknown chunk format");
  const unsigned width = bytes[1];
  if (width != 1 && width != 4) return fail("chunk width is neither 1 nor 4");
  std::size_t pos = 3;
  double scale = 1;
  const unsigned char code = bytes[2];
  if (code == kScaleDouble) {
    if (bytes.size() < 3 + 8 + 1) return fail("chunk shorter than its header");
    std::uint64_t s = 0;
    for (std::size_t i = 0; i < 8; ++i) s |= std::uint64_t{bytes[3 + i]} << (8 * i);
    scale = std::bit_cast<double>(s);
    pos += 8;
  } else if (code & 0x80U) {
    scale = std::ldexp(1.0, -static_cast<int>(code & 0x7FU));
  } else if (code <= 16) {
    scale = std::pow(10.0, static_cast<int>(code) - 8);
  } else {
    return fail("unknown chunk scale");
  }
  if (!(scale > 0) || !std::isfinite(scale)) return fail("chunk scale is not a positive number");
  std::uint64_t count64 = 0;
  if (!get_varint(bytes, pos, count64) || count64 > 0xFFFFFFFFU) return fail("chunk count unreadable");
  const auto count = static_cast<std::uint32_t>(count64);
  const auto body = bytes.subspan(pos);
  // Every point takes at least one bit per value and one for its time (the first, 64).
  if (count > 0 && (std::uint64_t{count} - 1) * (1 + width) + 64 + width > body.size() * 8) {
    return fail("chunk count larger than its bytes allow");
  }
  DecodedChunk out;
  out.width = width;
  out.scale = scale;
  out.times_ms.reserve(count);
  out.values.reserve(std::size_t{count} * width);
  BitReader r(body);
  std::int64_t last_ms = 0, last_delta = 0;
  std::vector<std::int64_t> last_q(width, 0);
  std::vector<unsigned> widths(width, 0);
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
      if (!read_ones(r, 3, ones)) return fail("chunk truncated");
      if (ones == 0) {
        out.values.push_back(static_cast<double>(last_q[k]) / sc);
        continue;
      }
      if (ones == 3) {
        if (!r.read(64, raw)) return fail("chunk truncated");
        out.values.push_back(std::bit_cast<double>(raw));
        continue;
      }
      if (ones == 2) {
        std::uint64_t w = 0;
        if (!r.read(kWidthBits, w)) return fail("chunk truncated");
        widths[k] = static_cast<unsigned>(w) + 1;
      } else if (widths[k] == 0) {
        return fail("chunk reuses a value width before setting one");
      }
      std::uint64_t zz = 0;
      if (!r.read(widths[k], zz)) return fail("chunk truncated");
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
