#include "hyperion/collectors/result.hpp"

namespace hyperion::collectors {

const char* to_string(Errc code) noexcept {
  switch (code) {
    case Errc::empty: return "empty";
    case Errc::truncated: return "truncated";
    case Errc::malformed: return "malformed";
    case Errc::out_of_range: return "out_of_range";
    case Errc::missing_field: return "missing_field";
    case Errc::io: return "io";
  }
  return "unknown";
}

}  // namespace hyperion::collectors
