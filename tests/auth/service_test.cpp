#include "hyperion/auth/schema.hpp"
#include "hyperion/auth/service.hpp"

#include <catch2/catch.hpp>

#include "hyperion/auth/totp.hpp"
#include "temp_dir.hpp"

using namespace hyperion::auth;
using hyperion::storage::Database;
using hyperion::test::TempDir;

namespace {

// A service over a real database file, with a clock the test moves.
struct Fixture {
  TempDir dir;
  Database db = Database::open(dir / "h.db");
  std::int64_t now = 1'800'000'000'000;
  std::unique_ptr<AuthService> auth;
  Actor root{std::nullopt, "cli"};

  explicit Fixture(AuthSettings settings = cheap()) {
    init_crypto();
    const std::array modules{hyperion::auth::schema()};
    hyperion::storage::migrate(db, modules);
    auth = std::make_unique<AuthService>(db, SecretKey::from_bytes(random_bytes(32)), random_bytes(32), settings,
                                         [this] { return now; });
  }

  static AuthSettings cheap() {
    AuthSettings s;
    s.password_cost = {1, 8u << 20};
    return s;
  }

  void add(const std::string& name, Role role, const std::string& password = "tulip-kettle-orbit-93") {
    REQUIRE(std::holds_alternative<UserInfo>(auth->create_user(root, NewUser{name, name, role, password, false})));
  }

  Tokens login(const std::string& name, const std::string& password = "tulip-kettle-orbit-93",
               std::optional<std::string> otp = std::nullopt, const std::string& source = "10.0.0.1") {
    auto r = auth->login(name, password, otp ? std::optional<std::string_view>(*otp) : std::nullopt, source);
    if (std::holds_alternative<AuthError>(r)) FAIL(std::get<AuthError>(r).type + ": " + std::get<AuthError>(r).detail);
    return std::get<Tokens>(r);
  }

  AuthError login_error(const std::string& name, const std::string& password, std::optional<std::string> otp = std::nullopt,
                        const std::string& source = "10.0.0.1") {
    auto r = auth->login(name, password, otp ? std::optional<std::string_view>(*otp) : std::nullopt, source);
    REQUIRE(std::holds_alternative<AuthError>(r));
    return std::get<AuthError>(r);
  }

  Actor as(const Tokens& t) { return Actor{t.principal, "10.0.0.1"}; }

  std::int64_t audit_count(const std::string& action, const std::string& outcome) {
    AuditQuery q;
    q.action = action;
    q.outcome = outcome;
    return auth->query_audit(q).total;
  }
};

template <class T>
const T& ok(const Outcome<T>& r) {
  if (std::holds_alternative<AuthError>(r)) FAIL(std::get<AuthError>(r).type + ": " + std::get<AuthError>(r).detail);
  return std::get<T>(r);
}

template <class T>
std::string err(const Outcome<T>& r) {
  return std::holds_alternative<AuthError>(r) ? std::get<AuthError>(r).type : "ok";
}

}  // namespace

TEST_CASE("AuthService::login: the right password gives tokens that authenticate", "[auth][service]") {
  Fixture f;
  f.add("alice", Role::operator_);
  const auto t = f.login("Alice");  // names are case-insensitive
  CHECK(t.principal.username == "alice");
  CHECK(t.access_expires_ms == f.now + 15 * 60 * 1000);
  const auto p = f.auth->authenticate(t.access_token);
  REQUIRE(p);
  CHECK(p->role == Role::operator_);
  CHECK(p->session == t.principal.session);
  CHECK_FALSE(f.auth->authenticate(t.refresh_token));  // a refresh token is not an access token
  f.now += 15 * 60 * 1000;
  CHECK_FALSE(f.auth->authenticate(t.access_token));  // expired
  CHECK(f.audit_count("login", "success") == 1);
}

TEST_CASE("AuthService::login: wrong password and unknown user give the same answer", "[auth][service]") {
  Fixture f;
  f.add("alice", Role::viewer);
  const auto a = f.login_error("alice", "wrong-password-here");
  const auto b = f.login_error("mallory", "wrong-password-here");
  CHECK(a.status == 401);
  CHECK(a.type == "invalid-credentials");
  CHECK(a.type == b.type);
  CHECK(a.detail == b.detail);
  CHECK(f.audit_count("login", "failure") == 2);
}

TEST_CASE("AuthService::login: too many failures from one address in a minute get 429", "[auth][service]") {
  Fixture f;
  for (int i = 0; i < 10; ++i) CHECK(f.login_error("user" + std::to_string(i), "wrong-password-here").status == 401);
  const auto limited = f.login_error("someone", "wrong-password-here");
  CHECK(limited.status == 429);
  CHECK(limited.type == "too-many-attempts");
  CHECK(limited.retry_after_seconds >= 1);
  CHECK(f.login_error("someone", "wrong-password-here", std::nullopt, "10.0.0.2").status == 401);  // another address
  f.now += 61'000;
  CHECK(f.login_error("someone", "wrong-password-here").status == 401);  // the minute has passed
  CHECK(f.audit_count("login", "denied") >= 1);
}

TEST_CASE("AuthService::refresh: rotates; reusing a used token revokes the whole session", "[auth][service]") {
  Fixture f;
  f.add("alice", Role::viewer);
  const auto first = f.login("alice");
  f.now += 1000;
  const auto second = ok(f.auth->refresh(first.refresh_token, "10.0.0.1"));
  CHECK(second.refresh_token != first.refresh_token);
  CHECK(second.principal.session == first.principal.session);
  CHECK(f.auth->authenticate(second.access_token));
  // The old refresh token again: a thief (or the victim) replays it.
  f.now += 1000;
  CHECK(err(f.auth->refresh(first.refresh_token, "10.6.6.6")) == "invalid-refresh-token");
  CHECK(err(f.auth->refresh(second.refresh_token, "10.0.0.1")) == "invalid-refresh-token");  // the family is dead
  CHECK_FALSE(f.auth->authenticate(second.access_token));
  CHECK_FALSE(f.auth->authenticate(first.access_token));
  CHECK(f.audit_count("refresh.reuse", "denied") == 1);
  // Another session of the same user is untouched.
  const auto other = f.login("alice");
  CHECK(f.auth->authenticate(other.access_token));
}

TEST_CASE("AuthService::refresh: expired, unknown and garbage tokens are refused", "[auth][service]") {
  Fixture f;
  f.add("alice", Role::viewer);
  const auto t = f.login("alice");
  CHECK(err(f.auth->refresh("nope", "x")) == "invalid-refresh-token");
  CHECK(err(f.auth->refresh(std::string(1000, 'a'), "x")) == "invalid-refresh-token");
  f.now += 7LL * 24 * 3600 * 1000;
  CHECK(err(f.auth->refresh(t.refresh_token, "x")) == "invalid-refresh-token");
}

TEST_CASE("AuthService: logout, disable, role change and password change end sessions", "[auth][service]") {
  Fixture f;
  f.add("admin1", Role::admin);
  f.add("admin2", Role::admin);
  f.add("bob", Role::operator_);
  const auto admin = f.login("admin1");

  auto t = f.login("bob");
  f.auth->logout(*f.auth->authenticate(t.access_token), "10.0.0.1");
  CHECK_FALSE(f.auth->authenticate(t.access_token));
  CHECK(err(f.auth->refresh(t.refresh_token, "x")) == "invalid-refresh-token");

  t = f.login("bob");
  const auto p = *f.auth->authenticate(t.access_token);
  CHECK(f.auth->still_valid(p));
  f.now += 1;
  ok(f.auth->change_user(f.as(admin), "bob", UserChange{std::nullopt, Role::viewer, std::nullopt}));
  CHECK_FALSE(f.auth->authenticate(t.access_token));
  CHECK_FALSE(f.auth->still_valid(p));
  f.now += 1;
  t = f.login("bob");
  CHECK(f.auth->authenticate(t.access_token)->role == Role::viewer);

  ok(f.auth->change_user(f.as(admin), "bob", UserChange{std::nullopt, std::nullopt, false}));
  CHECK_FALSE(f.auth->authenticate(t.access_token));
  CHECK(f.login_error("bob", "tulip-kettle-orbit-93").type == "account-disabled");
  ok(f.auth->change_user(f.as(admin), "bob", UserChange{std::nullopt, std::nullopt, true}));
  f.now += 1;
  t = f.login("bob");
  f.now += 1;
  ok(f.auth->set_password(f.root, "bob", "another-good-password-7", std::nullopt, true));
  CHECK_FALSE(f.auth->authenticate(t.access_token));
  f.now += 1;
  const auto again = f.login("bob", "another-good-password-7");
  CHECK(again.principal.must_change_password);
}

TEST_CASE("AuthService::set_password: your own needs the current one; strength is checked", "[auth][service]") {
  Fixture f;
  f.add("alice", Role::viewer);
  f.add("bob", Role::viewer);
  const auto t = f.login("alice");
  const auto me = f.as(t);
  CHECK(err(f.auth->set_password(me, "alice", "new-good-password-1", std::nullopt, false)) == "wrong-password");
  CHECK(err(f.auth->set_password(me, "alice", "new-good-password-1", "wrong", false)) == "wrong-password");
  CHECK(err(f.auth->set_password(me, "alice", "short", "tulip-kettle-orbit-93", false)) == "weak-password");
  CHECK(err(f.auth->set_password(me, "bob", "new-good-password-1", std::nullopt, false)) == "forbidden");
  ok(f.auth->set_password(me, "alice", "new-good-password-1", "tulip-kettle-orbit-93", false));
  // The session that made the change goes on through its refresh token; its access token,
  // issued before the change, does not.
  CHECK_FALSE(f.auth->authenticate(t.access_token));
  f.now += 1;
  const auto renewed = ok(f.auth->refresh(t.refresh_token, "x"));
  CHECK(f.auth->authenticate(renewed.access_token));
  f.login("alice", "new-good-password-1");
}

TEST_CASE("AuthService::create_user: names, passwords and duplicates are checked", "[auth][service]") {
  Fixture f;
  const auto create = [&](const std::string& name, const std::string& password) {
    return err(f.auth->create_user(f.root, NewUser{name, "", Role::viewer, password, false}));
  };
  CHECK(create("Alice", "tulip-kettle-orbit-93") == "bad-username");
  CHECK(create("-x", "tulip-kettle-orbit-93") == "bad-username");
  CHECK(create("", "tulip-kettle-orbit-93") == "bad-username");
  CHECK(create("alice", "short") == "weak-password");
  CHECK(create("alice", "tulip-kettle-orbit-93") == "ok");
  CHECK(create("alice", "tulip-kettle-orbit-93") == "user-exists");
  CHECK(f.auth->list_users().size() == 1);
  f.add("carol", Role::viewer);
  const auto t = f.login("carol");
  CHECK(err(f.auth->create_user(f.as(t), NewUser{"dave", "", Role::admin, "tulip-kettle-orbit-93", false})) == "forbidden");
}

TEST_CASE("AuthService: the last enabled admin cannot be demoted, disabled or deleted", "[auth][service]") {
  Fixture f;
  const auto password = f.auth->create_initial_admin("cli");
  CHECK(password.size() == 20);
  const auto t = f.login("admin", password);
  CHECK(t.principal.must_change_password);
  CHECK(f.auth->authenticate(t.access_token)->must_change_password);
  CHECK(err(f.auth->change_user(f.root, "admin", UserChange{std::nullopt, Role::viewer, std::nullopt})) == "last-admin");
  CHECK(err(f.auth->change_user(f.root, "admin", UserChange{std::nullopt, std::nullopt, false})) == "last-admin");
  CHECK(err(f.auth->delete_user(f.root, "admin")) == "last-admin");
  CHECK(err(f.auth->delete_user(f.as(t), "admin")) == "self-delete");
  f.add("second", Role::admin);
  ok(f.auth->delete_user(f.root, "admin"));
  CHECK_FALSE(f.auth->authenticate(t.access_token));
}

TEST_CASE("AuthService: TOTP enrolment, login with a code, no replay, recovery codes once", "[auth][service]") {
  Fixture f;
  f.add("alice", Role::viewer);
  const auto t = f.login("alice");
  const auto enrolment = ok(f.auth->begin_totp(f.as(t), "tulip-kettle-orbit-93"));
  CHECK(enrolment.otpauth_uri.starts_with("otpauth://totp/Hyperion:alice?secret=" + enrolment.secret_base32));
  const auto secret = *base32_decode(enrolment.secret_base32);
  CHECK(err(f.auth->confirm_totp(f.as(t), "000000")) == "invalid-otp");
  const auto codes = ok(f.auth->confirm_totp(f.as(t), totp_code(secret, f.now / 1000)));
  CHECK(codes.size() == 10);

  f.now += 30'000;
  CHECK(f.login_error("alice", "tulip-kettle-orbit-93").type == "otp-required");
  CHECK(f.login_error("alice", "tulip-kettle-orbit-93", "123456").type == "invalid-otp");
  const auto code = totp_code(secret, f.now / 1000);
  f.login("alice", "tulip-kettle-orbit-93", code);
  CHECK(f.login_error("alice", "tulip-kettle-orbit-93", code).type == "invalid-otp");  // used once
  // a recovery code, in any case and spacing, works once
  std::string lower = codes[3];
  for (auto& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  f.login("alice", "tulip-kettle-orbit-93", lower);
  CHECK(f.login_error("alice", "tulip-kettle-orbit-93", codes[3]).type == "invalid-otp");
  CHECK(f.audit_count("totp.recovery", "success") == 1);

  CHECK(err(f.auth->disable_totp(f.as(t), "wrong")) == "wrong-password");
  ok(f.auth->disable_totp(f.as(t), "tulip-kettle-orbit-93"));
  f.login("alice");
}

TEST_CASE("AuthService: API tokens authenticate, never above their owner, and can be revoked", "[auth][service]") {
  Fixture f;
  f.add("alice", Role::operator_);
  f.add("root2", Role::admin);
  const auto t = f.login("alice");
  CHECK(err(f.auth->create_api_token(f.as(t), "ci", Role::admin, std::nullopt, "tulip-kettle-orbit-93")) == "forbidden");
  const auto made = ok(f.auth->create_api_token(f.as(t), "ci", Role::viewer, f.now + 3'600'000, "tulip-kettle-orbit-93"));
  CHECK(made.token.starts_with("hyp_"));
  CHECK(err(f.auth->create_api_token(f.as(t), "ci", Role::viewer, std::nullopt, "tulip-kettle-orbit-93")) == "token-exists");
  const auto p = f.auth->authenticate(made.token);
  REQUIRE(p);
  CHECK(p->role == Role::viewer);
  CHECK(p->api_token_id == made.info.id);
  CHECK(err(f.auth->create_api_token(Actor{*p, "x"}, "nested", Role::viewer, std::nullopt, "tulip-kettle-orbit-93")) == "forbidden");
  const auto listed = f.auth->list_api_tokens(t.principal.user_id);
  REQUIRE(listed.size() == 1);
  CHECK(listed[0].last_used_ms == f.now);
  CHECK(listed[0].prefix == made.token.substr(0, 10));

  const auto strong = ok(f.auth->create_api_token(f.as(t), "ops", Role::operator_, std::nullopt, "tulip-kettle-orbit-93"));
  const auto admin = f.login("root2");
  ok(f.auth->change_user(f.as(admin), "alice", UserChange{std::nullopt, Role::viewer, std::nullopt}));
  CHECK(f.auth->authenticate(strong.token)->role == Role::viewer);  // demoted with its owner

  ok(f.auth->revoke_api_token(f.as(admin), made.info.id));
  CHECK_FALSE(f.auth->authenticate(made.token));
  f.now += 3'600'000;
  CHECK(f.auth->authenticate(strong.token));  // no expiry
  CHECK_FALSE(f.auth->authenticate("hyp_not-a-token"));
}

TEST_CASE("AuthService: state survives a restart (a new service over the same file)", "[auth][service]") {
  Fixture f;
  f.add("alice", Role::viewer);
  const auto t = f.login("alice");
  const auto token = ok(f.auth->create_api_token(f.as(t), "ci", Role::viewer, std::nullopt, "tulip-kettle-orbit-93")).token;
  f.auth->logout(t.principal, "x");
  // The same keys, a new process.
  auto again = AuthService(f.db, SecretKey::from_bytes(random_bytes(32)), random_bytes(32), Fixture::cheap(), [&] { return f.now; });
  CHECK_FALSE(again.authenticate(token));  // another secrets key: the token hash differs
  CHECK(again.has_users());
}

TEST_CASE("AuthService::query_audit: filters, prefix, paging, newest first", "[auth][service]") {
  Fixture f;
  for (int i = 0; i < 5; ++i) {
    f.now += 1000;
    f.auth->audit(std::string("u") + std::to_string(i % 2), "s", i % 2 ? "user.create" : "user.delete", "t", "success");
  }
  f.auth->audit(std::nullopt, "s", "login", std::nullopt, "failure");
  AuditQuery q;
  q.action = "user.";
  auto page = f.auth->query_audit(q);
  CHECK(page.total == 5);
  CHECK(page.entries.front().time_ms > page.entries.back().time_ms);
  q.user = "u1";
  CHECK(f.auth->query_audit(q).total == 2);
  q = AuditQuery{};
  q.limit = 2;
  q.offset = 1;
  page = f.auth->query_audit(q);
  CHECK(page.total == 6);
  CHECK(page.entries.size() == 2);
  q = AuditQuery{};
  q.since_ms = f.now - 1500;
  CHECK(f.auth->query_audit(q).total == 3);  // the last two user.* and the login
}

TEST_CASE("AuthService::reload_if_changed: sees what another process changed", "[auth][service]") {
  Fixture f;
  f.add("alice", Role::viewer);
  const auto t = f.login("alice");
  CHECK_FALSE(f.auth->reload_if_changed());  // its own writes are not another's
  {
    // `hyperiond user disable alice`, in another process: another connection to the file.
    auto other = Database::open(f.dir / "h.db");
    other.prepare("UPDATE users SET enabled = 0 WHERE name = 'alice'").run();
  }
  CHECK(f.auth->authenticate(t.access_token));  // not yet seen
  CHECK(f.auth->reload_if_changed());
  CHECK_FALSE(f.auth->authenticate(t.access_token));
  CHECK_FALSE(f.auth->reload_if_changed());
}
