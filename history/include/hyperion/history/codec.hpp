#pragma once

// The chunk codec: a series' points packed into one bit stream, in the manner of Facebook's
// Gorilla (VLDB 2015) for the timestamps and with a scaled-integer delta for the values.
//
//   timestamps  delta-of-delta in milliseconds: '0' when the step did not change (one bit for
//               a regular series), then 7, 12 and 20-bit buckets, then 64 bits.
//   values      each value is first put on the series' resolution (q = round(v * scale), so
//               a percentage with scale 100 keeps two decimals and a byte count in KiB has
//               scale 1/1024); the delta of q against the previous q is '0' when unchanged,
//               else written in a width that adapts to the series, as Gorilla reuses the
//               previous XOR's window: '10' and the delta in the current width, or '110', a
//               new width (6 bits) and the delta. A value that has no integer form (NaN, ±Inf,
//               or beyond 2^62 once scaled) is written whole as an IEEE double behind '111',
//               and does not become the previous value.
//
// A raw chunk has one value per point; a roll-up chunk has four: the count of samples, the
// minimum, the maximum and the mean. Measured on recorded host data this takes fewer bits
// than Gorilla's XOR of doubles: the values of a host are mostly quantised already (kB,
// jiffies, pages) and repeat, and XOR of two nearby doubles still leaves ~20 meaningful bits.
//
// Decoding never trusts the bytes: a truncated or malformed stream is an error, not a crash.

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace hyperion::history {

using Bytes = std::vector<unsigned char>;

class BitWriter {
 public:
  void write(std::uint64_t value, unsigned bits);  // the low `bits` bits, most significant first
  void bit(bool b) { write(b ? 1 : 0, 1); }
  const Bytes& bytes() const noexcept { return bytes_; }
  std::size_t bit_size() const noexcept { return bits_; }

 private:
  Bytes bytes_;
  std::size_t bits_ = 0;
};

class BitReader {
 public:
  explicit BitReader(std::span<const unsigned char> bytes) : bytes_(bytes) {}
  // False (and nothing read) when fewer than `bits` bits are left.
  bool read(unsigned bits, std::uint64_t& out);
  bool bit(bool& out);

 private:
  std::span<const unsigned char> bytes_;
  std::size_t pos_ = 0;
};

// The values of one point: raw chunks use v[0]; roll-ups use count, min, max, mean.
inline constexpr std::size_t kRollupCount = 0, kRollupMin = 1, kRollupMax = 2, kRollupMean = 3;

struct DecodedChunk {
  std::vector<std::int64_t> times_ms;
  std::vector<double> values;  // point i's value k at [i * width + k]
  unsigned width = 1;
  double scale = 1;
  std::size_t size() const noexcept { return times_ms.size(); }
  double value(std::size_t i, std::size_t k = 0) const { return values[i * width + k]; }
};

class ChunkEncoder {
 public:
  // width: values per point (1 raw, 4 roll-up). scale: the series' resolution (see above);
  // roll-up counts always use scale 1.
  ChunkEncoder(unsigned width, double scale);

  void append(std::int64_t time_ms, std::span<const double> values);
  void append(std::int64_t time_ms, double value) { append(time_ms, std::span<const double>(&value, 1)); }

  std::size_t size() const noexcept { return count_; }
  bool empty() const noexcept { return count_ == 0; }
  std::int64_t first_ms() const noexcept { return first_ms_; }
  std::int64_t last_ms() const noexcept { return last_ms_; }
  std::int64_t min_ms() const noexcept { return min_ms_; }
  std::int64_t max_ms() const noexcept { return max_ms_; }
  unsigned width() const noexcept { return width_; }
  double scale() const noexcept { return scale_; }
  // The chunk as stored: a header of 4 to 16 bytes (format, width, the scale in one byte when
  // it is a power of ten or a power of two's inverse, the count as a varint) and the bits.
  Bytes bytes() const;
  std::size_t byte_size() const noexcept;

 private:
  void put_value(std::size_t k, double v, double scale);
  unsigned width_;
  double scale_;
  BitWriter bits_;
  std::size_t count_ = 0;
  std::int64_t first_ms_ = 0, last_ms_ = 0, last_delta_ = 0, min_ms_ = 0, max_ms_ = 0;
  std::vector<std::int64_t> last_q_;
  std::vector<unsigned> width_bits_;  // the current width of each value's deltas (0: none yet)
};

// Decodes a chunk made by ChunkEncoder::bytes(); nullopt with `error` set when it is not one.
std::optional<DecodedChunk> decode_chunk(std::span<const unsigned char> bytes, std::string* error = nullptr);
// Re-encodes a decoded chunk (used to go on appending to a chunk read back from the database).
ChunkEncoder reencode(const DecodedChunk& chunk, double scale);

// Little helpers for the journal and the process history: LEB128 varints.
void put_varint(Bytes& out, std::uint64_t v);
bool get_varint(std::span<const unsigned char> in, std::size_t& pos, std::uint64_t& out);
inline std::uint64_t zigzag(std::int64_t v) noexcept {
  return (static_cast<std::uint64_t>(v) << 1) ^ static_cast<std::uint64_t>(v >> 63);
}
inline std::int64_t unzigzag(std::uint64_t v) noexcept {
  return static_cast<std::int64_t>(v >> 1) ^ -static_cast<std::int64_t>(v & 1);
}

}  // namespace hyperion::history
