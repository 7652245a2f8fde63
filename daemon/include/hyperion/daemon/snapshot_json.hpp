#pragma once

// JSON rendering of a Snapshot: field names carry units (_bytes, _percent, _per_second),
// absent optional values are null, and every family is present (null when never collected).

#include <string>

#include "hyperion/collectors/snapshot.hpp"

namespace hyperion::daemon {

// indent < 0: compact, one line.
std::string snapshot_to_json(const collectors::Snapshot& snapshot, int indent = -1);

}  // namespace hyperion::daemon
