#pragma once

// The database and the accounts over it, opened the same way by the daemon and by the
// `hyperiond user` commands: DATA_DIR/hyperion.db (migrated), DATA_DIR/keys/secrets.key (seals
// TOTP secrets, keys token hashes) and DATA_DIR/keys/signing.key (signs access tokens), each
// created 0600 on first use.

#include <memory>

#include "hyperion/auth/service.hpp"
#include "hyperion/daemon/config.hpp"
#include "hyperion/storage/audit.hpp"
#include "hyperion/storage/database.hpp"

namespace hyperion::daemon {

auth::AuthSettings auth_settings(const Config& config);

struct Accounts {
  Accounts(storage::Database database, auth::SecretKey secrets, auth::Bytes signing_key, const auth::AuthSettings& settings,
           const storage::AuditSettings& audit_settings);
  storage::Database db;
  storage::AuditLog audit;  // shared by every module that writes audit entries
  auth::AuthService auth;
};

// Throws std::runtime_error with one line naming the file and the reason.
std::unique_ptr<Accounts> open_accounts(const Config& config);

// `hyperiond user COMMAND ...` (args after "user"); `in` gives the password with --password-stdin.
int run_user_command(const std::vector<std::string>& args, std::istream& in, std::ostream& out, std::ostream& err);

}  // namespace hyperion::daemon
