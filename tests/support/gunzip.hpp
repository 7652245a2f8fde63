#pragma once

// Inflates a gzip stream for the tests that check what the server compressed; the test fails
// when the input is not a complete gzip stream.

#include <zlib.h>

#include <string>
#include <string_view>

#include <catch2/catch.hpp>

namespace hyperion::test {

inline std::string gunzip(std::string_view in) {
  z_stream zs{};
  REQUIRE(inflateInit2(&zs, 15 + 16) == Z_OK);
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  zs.avail_in = static_cast<uInt>(in.size());
  std::string out;
  char chunk[16384];
  int rc = Z_OK;
  while (rc == Z_OK) {
    zs.next_out = reinterpret_cast<Bytef*>(chunk);
    zs.avail_out = sizeof chunk;
    rc = inflate(&zs, Z_NO_FLUSH);
    out.append(chunk, sizeof chunk - zs.avail_out);
    if (rc == Z_BUF_ERROR && zs.avail_in == 0) break;  // the input ended before the stream did
  }
  inflateEnd(&zs);
  REQUIRE(rc == Z_STREAM_END);
  return out;
}

}  // namespace hyperion::test
