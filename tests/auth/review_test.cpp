// Regression tests for the security review's findings on accounts and logins: identities never
// reused, re-enabling revives nothing, throttling that locks out the attacker and not the
// victim, second-factor failures counted, no answer that tells whether a name exists, and an
// audit log that a flood cannot grow without bound.
#include <catch2/catch.hpp>

#include "hyperion/auth/schema.hpp"
#include "hyperion/auth/service.hpp"
#include "hyperion/auth/totp.hpp"
#include "temp_dir.hpp"

using namespace hyperion::auth;
using hyperion::storage::Database;
using hyperion::test::TempDir;

namespace {

constexpr const char* kPassword = "tulip-kettle-orbit-93";

struct Fixture {
  TempDir dir;
  Database db = Database::open(dir / "h.db");
  std::int64_t now = 1'800'000'000'000;
  Bytes secrets = random_bytes(32);
  Bytes signing = random_bytes(32);
  std::unique_ptr<AuthService> auth;
  Actor root{std::nullopt, "cli"};

  explicit Fixture(AuthSettings settings = cheap(), hyperion::storage::AuditSettings audit = {}) {
    init_crypto();
    const std::array modules{hyperion::auth::schema()};
    hyperion::storage::migrate(db, modules);
    restart(settings, audit);
  }
  // A new service over the same file and keys: what a daemon restart sees.
  void restart(AuthSettings settings = cheap(), hyperion::storage::AuditSettings audit = {}) {
    auth.reset();
    auth = std::make_unique<AuthService>(db, SecretKey::from_bytes(secrets), signing, settings, [this] { return now; },
                                         audit);
  }

  static AuthSettings cheap() {
    AuthSettings s;
    s.password_cost = {1, 8u << 20};
    return s;
  }

  void add(const std::string& name, Role role, const Actor* actor = nullptr) {
    const auto r = auth->create_user(actor ? *actor : root, NewUser{name, name, role, kPassword, false});
    REQUIRE(std::holds_alternative<UserInfo>(r));
  }

  Outcome<Tokens> try_login(const std::string& name, const std::string& password, const std::string& source,
                            std::optional<std::string> otp = std::nullopt) {
    return auth->login(name, password, otp ? std::optional<std::string_view>(*otp) : std::nullopt, source);
  }
  Tokens login(const std::string& name, const std::string& source = "10.0.0.1") {
    auto r = try_login(name, kPassword, source);
    if (std::holds_alternative<AuthError>(r)) FAIL(std::get<AuthError>(r).type + ": " + std::get<AuthError>(r).detail);
    return std::get<Tokens>(r);
  }
  AuthError fail(const std::string& name, const std::string& password, const std::string& source,
                 std::optional<std::string> otp = std::nullopt) {
    auto r = try_login(name, password, source, otp);
    REQUIRE(std::holds_alternative<AuthError>(r));
    return std::get<AuthError>(r);
  }
  std::int64_t audit_rows() {
    auto s = db.prepare("SELECT count(*) FROM audit");
    s.step();
    return s.int64(0);
  }
};

template <class T>
const T& ok(const Outcome<T>& r) {
  if (std::holds_alternative<AuthError>(r)) FAIL(std::get<AuthError>(r).type + ": " + std::get<AuthError>(r).detail);
  return std::get<T>(r);
}

}  // namespace

// Finding 1: user ids were reused (INTEGER PRIMARY KEY) and tokens named the user by id alone,
// so a deleted viewer's token became the next user's (an admin's).
TEST_CASE("review 1: a deleted user's access token never authorises the user created next", "[auth][review]") {
  Fixture f;
  f.add("root-admin", Role::admin);
  f.add("viewer", Role::viewer);
  const auto viewer = f.login("viewer");
  REQUIRE(f.auth->authenticate(viewer.access_token));
  REQUIRE(std::holds_alternative<Done>(f.auth->delete_user(f.root, "viewer")));
  CHECK_FALSE(f.auth->authenticate(viewer.access_token));
  f.now += 1;
  f.add("new-admin", Role::admin);  // takes the deleted viewer's row id when ids are reused
  CHECK_FALSE(f.auth->authenticate(viewer.access_token));
  // Nor after a restart, nor through the refresh token.
  f.restart();
  CHECK_FALSE(f.auth->authenticate(viewer.access_token));
  CHECK(std::holds_alternative<AuthError>(f.auth->refresh(viewer.refresh_token, "10.0.0.1")));
  // A user deleted and created again under the same name is a new identity too.
  f.add("viewer", Role::viewer);
  CHECK_FALSE(f.auth->authenticate(viewer.access_token));
}

TEST_CASE("review 1: a principal's name is the user's current one, never the token's", "[auth][review]") {
  Fixture f;
  f.add("root-admin", Role::admin);
  f.add("alice", Role::admin);
  const auto t = f.login("alice");
  const auto p = f.auth->authenticate(t.access_token);
  REQUIRE(p);
  CHECK(p->username == "alice");
  // The same token after the user is gone and another admin took the row: refused, so no
  // audit entry can be written under a stale name.
  REQUIRE(std::holds_alternative<Done>(f.auth->delete_user(f.root, "alice")));
  f.add("bob", Role::admin);
  CHECK_FALSE(f.auth->authenticate(t.access_token));
}

TEST_CASE("review 1: re-enabling a user revives none of the tokens or sessions from before the disable",
          "[auth][review]") {
  Fixture f;
  f.add("root-admin", Role::admin);
  f.add("alice", Role::operator_);
  const auto t = f.login("alice");
  const auto api = ok(f.auth->create_api_token(Actor{t.principal, "10.0.0.1"}, "script", Role::viewer, std::nullopt,
                                               std::string_view(kPassword)));
  REQUIRE(f.auth->authenticate(api.token));
  REQUIRE(std::holds_alternative<UserInfo>(f.auth->change_user(f.root, "alice", UserChange{{}, {}, false})));
  CHECK_FALSE(f.auth->authenticate(api.token));
  CHECK_FALSE(f.auth->authenticate(t.access_token));
  f.now += 1000;
  REQUIRE(std::holds_alternative<UserInfo>(f.auth->change_user(f.root, "alice", UserChange{{}, {}, true})));
  CHECK_FALSE(f.auth->authenticate(api.token));
  CHECK_FALSE(f.auth->authenticate(t.access_token));
  CHECK(std::holds_alternative<AuthError>(f.auth->refresh(t.refresh_token, "10.0.0.1")));
  f.restart();
  CHECK_FALSE(f.auth->authenticate(api.token));
  f.login("alice");  // the user can log in again, with new credentials
}

// Finding 2: five wrong passwords from anywhere locked the account itself.
TEST_CASE("review 2: failures from one address throttle that address, never the account", "[auth][review]") {
  Fixture f;
  f.add("admin", Role::admin);
  for (int round = 0; round < 3; ++round) {  // an attacker who comes back every 15 minutes
    for (int i = 0; i < 12; ++i) {
      f.now += 100;
      const auto e = f.fail("admin", "wrong-password-here", "203.0.113.7");
      CHECK((e.status == 401 || e.status == 429));
    }
    // The right password from an address with no failures gets in at once.
    f.login("admin", "10.0.0.1");
    f.now += 15 * 60 * 1000;
  }
  // The attacker's own address is throttled, even with the right password.
  for (int i = 0; i < 6; ++i) f.fail("admin", "wrong-password-here", "203.0.113.8");
  const auto throttled = f.fail("admin", kPassword, "203.0.113.8");
  CHECK(throttled.status == 429);
  CHECK(throttled.retry_after_seconds >= 1);
}

TEST_CASE("review 2: the throttle grows with each failure, up to auth.lockout, and forgets after", "[auth][review]") {
  Fixture f;
  f.add("alice", Role::viewer);
  std::int64_t last_retry = 0;
  int throttled = 0;
  for (int i = 0; i < 20; ++i) {
    const auto e = f.fail("alice", "wrong-password-here", "203.0.113.7");
    if (e.status == 429) {
      ++throttled;
      CHECK(e.retry_after_seconds >= last_retry);
      CHECK(e.retry_after_seconds <= 15 * 60);
      last_retry = e.retry_after_seconds;
      f.now += e.retry_after_seconds * 1000;  // wait it out, then fail again
    } else {
      CHECK(e.status == 401);
      f.now += 7'000;  // under the per-address rate
    }
  }
  CHECK(throttled > 3);
  CHECK(last_retry > 8);
  f.now += 16 * 60 * 1000;
  f.login("alice", "203.0.113.7");  // a quiet quarter of an hour: forgiven
}

TEST_CASE("review 2: an admin unlocks a name, and the CLI's change reaches a running service", "[auth][review]") {
  Fixture f;
  f.add("alice", Role::viewer);
  for (int i = 0; i < 8; ++i) f.fail("alice", "wrong-password-here", "203.0.113.7");
  CHECK(f.fail("alice", kPassword, "203.0.113.7").status == 429);
  const auto info = ok(f.auth->get_user("alice"));
  CHECK(info.locked_until_ms.has_value());
  // Another process (hyperiond user unlock) over the same file.
  {
    auto other_db = Database::open(f.dir / "h.db");
    AuthService other(other_db, SecretKey::from_bytes(f.secrets), f.signing, Fixture::cheap(), [&] { return f.now; });
    REQUIRE(std::holds_alternative<Done>(other.unlock_user(f.root, "alice")));
  }
  f.now += 1000;
  f.login("alice", "203.0.113.7");
  CHECK_FALSE(ok(f.auth->get_user("alice")).locked_until_ms.has_value());
}

TEST_CASE("review 2: wrong second-factor codes count as failures", "[auth][review]") {
  Fixture f;
  f.add("alice", Role::viewer);
  const auto t = f.login("alice");
  const Actor me{t.principal, "10.0.0.1"};
  const auto enrol = ok(f.auth->begin_totp(me, kPassword));
  const auto secret = base32_decode(enrol.secret_base32);
  REQUIRE(secret);
  ok(f.auth->confirm_totp(me, totp_code(*secret, f.now / 1000)));
  f.now += 61'000;
  int throttled = 0;
  for (int i = 0; i < 8; ++i) {
    f.now += 100;
    const auto e = f.fail("alice", kPassword, "203.0.113.7", std::string("000000"));
    if (e.status == 429) ++throttled;
  }
  CHECK(throttled > 0);
}

TEST_CASE("review 2: answers never tell whether a name exists", "[auth][review]") {
  Fixture f;
  f.add("alice", Role::viewer);
  for (int i = 0; i < 12; ++i) {
    f.now += 2'000;
    const auto known = f.fail("alice", "wrong-password-here", "203.0.113.7");
    const auto unknown = f.fail("mallory", "wrong-password-here", "203.0.113.9");
    INFO("attempt " << i);
    CHECK(known.status == unknown.status);
    CHECK(known.type == unknown.type);
    CHECK(known.retry_after_seconds == unknown.retry_after_seconds);
  }
}

// Finding 4: every rate-limited login wrote a row; nothing pruned.
TEST_CASE("review 4: a flood of failed logins is aggregated into a few audit rows", "[auth][review]") {
  Fixture f;
  f.add("alice", Role::viewer);
  const auto before = f.audit_rows();
  for (int i = 0; i < 2'000; ++i) {
    f.now += 5;
    (void)f.try_login(i % 2 ? "alice" : "user" + std::to_string(i), "wrong-password-here", "203.0.113.7");
  }
  f.auth->flush_audit();
  const auto rows = f.audit_rows() - before;
  CHECK(rows < 40);
  // The count is kept: the repeated rows say how many attempts they stand for.
  auto s = f.db.prepare("SELECT sum(count) FROM audit WHERE action = 'login'");
  s.step();
  CHECK(s.int64(0) == 2'000);
  // A real event still shows among them.
  f.login("alice", "10.0.0.1");
  AuditQuery q;
  q.action = "login";
  q.outcome = "success";
  CHECK(f.auth->query_audit(q).total == 1);
}

TEST_CASE("review 4: the audit log is bounded by age and rows, failures pruned before real events", "[auth][review]") {
  hyperion::storage::AuditSettings audit;
  audit.max_rows = 50;
  audit.retention = std::chrono::hours(24);
  Fixture f(Fixture::cheap(), audit);
  f.add("alice", Role::viewer);  // a real event (user.create)
  for (int i = 0; i < 200; ++i) {
    f.now += 61'000;  // a new aggregation window each time: one row per failure
    (void)f.try_login("user" + std::to_string(i), "wrong-password-here", "198.51.100." + std::to_string(i % 250));
  }
  f.auth->flush_audit();
  f.auth->prune_audit();
  CHECK(f.audit_rows() <= 50);
  AuditQuery q;
  q.action = "user.create";
  CHECK(f.auth->query_audit(q).total == 1);
  f.now += 25LL * 3600 * 1000;
  f.auth->prune_audit();
  CHECK(f.audit_rows() == 0);
}

// Finding 6: a stolen session could enrol a second factor or mint API tokens without the password.
TEST_CASE("review 6: enrolling a second factor and creating an API token need the password", "[auth][review]") {
  Fixture f;
  f.add("alice", Role::viewer);
  const auto t = f.login("alice");
  const Actor me{t.principal, "10.0.0.1"};
  CHECK(std::get<AuthError>(f.auth->begin_totp(me, "wrong-password-here")).type == "wrong-password");
  CHECK(std::get<AuthError>(f.auth->create_api_token(me, "x", Role::viewer, std::nullopt, "wrong-password-here")).type ==
        "wrong-password");
  ok(f.auth->begin_totp(me, kPassword));
  ok(f.auth->create_api_token(me, "x", Role::viewer, std::nullopt, kPassword));
}

// Finding 8: token names took NUL and control characters.
TEST_CASE("review 8: token names refuse control characters and bad UTF-8", "[auth][review]") {
  Fixture f;
  f.add("alice", Role::viewer);
  const auto t = f.login("alice");
  const Actor me{t.principal, "10.0.0.1"};
  for (const std::string& name : {std::string("a\0b", 3), std::string("line\nbreak"), std::string("tab\there"),
                                 std::string("esc\x1b[31m"), std::string("bad\xff\xfe"), std::string("del\x7f")}) {
    CHECK(std::get<AuthError>(f.auth->create_api_token(me, name, Role::viewer, std::nullopt, kPassword)).type ==
          "bad-token-name");
  }
  ok(f.auth->create_api_token(me, "deploy \xc3\xa9t\xc3\xa9 2026", Role::viewer, std::nullopt, kPassword));
}

TEST_CASE("review 2: an IPv6 attacker cannot escape the limits by rotating through its /64", "[auth][review]") {
  Fixture f;
  f.add("alice", Role::viewer);
  int limited = 0;
  for (int i = 0; i < 14; ++i) {
    f.now += 100;
    const auto e = f.fail("alice", "wrong-password-here", "2001:db8:1:2::" + std::to_string(100 + i));
    if (e.status == 429) ++limited;
  }
  CHECK(limited >= 4);
  // Another /64 is another client.
  f.login("alice", "2001:db8:1:3::1");
}

TEST_CASE("review: per-address limits count an IPv4 client on a dual-stack socket by its own address",
          "[auth][review]") {
  using hyperion::auth::address_block;
  CHECK(address_block("::ffff:192.0.2.1") == "192.0.2.1");
  CHECK(address_block("::ffff:192.0.2.2") != address_block("::ffff:192.0.2.1"));
  CHECK(address_block("192.0.2.1") == "192.0.2.1");
  CHECK(address_block("2001:db8:1:2:aaaa:bbbb:cccc:dddd") == "2001:db8:1:2::/64");
  CHECK(address_block("2001:db8:1:2::1") == address_block("2001:db8:1:2:ffff::9"));
  CHECK(address_block("[2001:db8::1]") == "2001:db8::/64");
  CHECK(address_block("cli") == "cli");
}
