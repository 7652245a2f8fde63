#pragma once

// Response compression, a step the HTTP session calls before writing: whether a response is
// worth compressing, gzip itself (level 1), and a small cache of the gzip forms of shared
// bodies (the cached JSON every client gets), so that one body is compressed once.

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace hyperion::web {

// JSON, problem+json and text/*; not images or already-compressed bodies.
bool compressible(std::string_view content_type);

// Whether a response of this size and type is compressed, given http.gzip_min_bytes (0: never)
// and whether the handler already set a Content-Encoding.
bool worth_compressing(std::uint64_t gzip_min_bytes, std::size_t size, std::string_view content_type,
                       bool has_content_encoding);

// A gzip stream; empty when zlib fails.
std::string gzip(std::string_view in);

// The gzip forms of shared bodies, keyed by the body they compress (held weakly: a body no
// longer served drops out). One thread only (the server's io thread).
class GzipCache {
 public:
  explicit GzipCache(std::size_t capacity = 8) : capacity_(capacity) {}
  std::shared_ptr<const std::string> get(const std::shared_ptr<const std::string>& body);

 private:
  struct Entry {
    std::weak_ptr<const std::string> key;
    std::shared_ptr<const std::string> value;
  };
  std::size_t capacity_;
  std::vector<Entry> entries_;
};

}  // namespace hyperion::web
