#pragma once

// The dashboard: files bundled from web/ui at build time and compiled into the binary
// (web/ui/build.mjs generates the table), served at "/" and "/assets/...".

#include <span>
#include <string_view>

#include "hyperion/web/router.hpp"

namespace hyperion::web {

struct EmbeddedAsset {
  std::string_view path;          // "/", "/assets/main-3F2A9C1D.js"
  std::string_view content_type;
  std::string_view etag;          // strong validator: a hash of the content, quoted
  std::string_view body;
  std::string_view gzip_body;     // the same bytes, gzip level 9; empty when it would not be smaller
  bool immutable = false;         // the name carries the content hash: cacheable for a year
};

// Every embedded file; empty when the build was configured with HYPERION_DASHBOARD=OFF.
std::span<const EmbeddedAsset> embedded_assets() noexcept;

// Adds GET "/" (the page) and GET "/assets/{file}" to the router.
void register_dashboard(Router& router);

}  // namespace hyperion::web
