#pragma once

// Auth's tables (users, second factor, refresh and API tokens, login failures) and, from before
// the audit log was a service of its own, the audit table: auth's migrations, oldest first.

#include "hyperion/storage/database.hpp"

namespace hyperion::auth {

storage::ModuleSchema schema();

}  // namespace hyperion::auth
