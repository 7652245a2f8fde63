#include "compression.hpp"

#include <zlib.h>

namespace hyperion::web {

bool compressible(std::string_view content_type) {
  return content_type.starts_with("application/json") || content_type.starts_with("application/problem+json") ||
         content_type.starts_with("text/");
}

bool worth_compressing(std::uint64_t gzip_min_bytes, std::size_t size, std::string_view content_type,
                       bool has_content_encoding) {
  return gzip_min_bytes > 0 && size >= gzip_min_bytes && compressible(content_type) && !has_content_encoding;
}

std::string gzip(std::string_view in) {
  z_stream zs{};
  // Level 1: JSON still shrinks ~8x, at a fraction of the CPU of the default level.
  if (deflateInit2(&zs, 1, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) return {};
  std::string out;
  out.resize(deflateBound(&zs, static_cast<uLong>(in.size())));
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  zs.avail_in = static_cast<uInt>(in.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  const int rc = deflate(&zs, Z_FINISH);
  out.resize(zs.total_out);
  deflateEnd(&zs);
  return rc == Z_STREAM_END ? out : std::string();
}

std::shared_ptr<const std::string> GzipCache::get(const std::shared_ptr<const std::string>& body) {
  for (auto it = entries_.begin(); it != entries_.end();) {
    const auto key = it->key.lock();
    if (!key) {
      it = entries_.erase(it);
      continue;
    }
    if (key == body) return it->value;
    ++it;
  }
  auto value = std::make_shared<const std::string>(gzip(*body));
  if (entries_.size() >= capacity_) entries_.erase(entries_.begin());
  entries_.push_back({body, value});
  return value;
}

}  // namespace hyperion::web
