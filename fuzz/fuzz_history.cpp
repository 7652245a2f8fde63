// libFuzzer target: what the history reads back or from a request: a stored chunk
// (history/src/codec.cpp), a query's metric selector (catalog.cpp) and a query's time
// (time_spec.cpp). The first byte picks which; the rest is the input.
#include <cmath>
#include <span>

#include "fuzz_support.hpp"
#include "hyperion/history/catalog.hpp"
#include "hyperion/history/codec.hpp"
#include "hyperion/history/time_spec.hpp"

using namespace hyperion::history;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::span<const unsigned char> rest(data + 1, size - 1);
  const auto text = hyperion::fuzz::as_text(data + 1, size - 1);
  switch (data[0] % 3) {
    case 0: {
      std::string error;
      const auto chunk = decode_chunk(rest, &error);
      if (!chunk) {
        HYPERION_FUZZ_CHECK(!error.empty());
        break;
      }
      HYPERION_FUZZ_CHECK(chunk->values.size() == chunk->times_ms.size() * chunk->width);
      HYPERION_FUZZ_CHECK(chunk->size() <= rest.size() * 8);
      // What decodes re-encodes into a chunk that decodes to the same times.
      const auto again = decode_chunk(reencode(*chunk, chunk->scale).bytes());
      HYPERION_FUZZ_CHECK(again && again->times_ms == chunk->times_ms);
      break;
    }
    case 1: {
      std::string why;
      if (const auto s = parse_selector(text, &why)) {
        HYPERION_FUZZ_CHECK(!s->metric.empty());
        if (const auto key = parse_series_key(text)) {
          const auto back = parse_series_key(series_key(key->first, key->second));
          HYPERION_FUZZ_CHECK(back && back->first == key->first && back->second == key->second);
        }
      } else {
        HYPERION_FUZZ_CHECK(!why.empty());
      }
      break;
    }
    default: {
      std::string why;
      const auto t = parse_time(text, 1'765'077'120'000, &why);
      HYPERION_FUZZ_CHECK(t || !why.empty());
      if (t && *t > -62'000'000'000'000 && *t < 253'000'000'000'000) {
        HYPERION_FUZZ_CHECK(parse_time(format_rfc3339(*t), 0, &why) == t);
      }
      break;
    }
  }
  return 0;
}
