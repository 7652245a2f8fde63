// The cost of authentication: one login's password hash (Argon2id at the configured cost) and
// the check every request pays (an access token's HMAC and claims, an API token's keyed hash),
// each against a floor where there is one. Prints a Markdown table; see docs/BENCHMARKS.md.
//
//   auth_bench [--iterations N] [--memory-mib M] [--logins K]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "hyperion/auth/crypto.hpp"
#include "hyperion/auth/jwt.hpp"
#include "hyperion/auth/schema.hpp"
#include "hyperion/auth/service.hpp"

using namespace hyperion::auth;
using Clock = std::chrono::steady_clock;

namespace {

struct Stats {
  double median_us, p95_us, min_us;
};

template <class F>
Stats measure(int runs, F&& f) {
  std::vector<double> t;
  t.reserve(static_cast<std::size_t>(runs));
  for (int i = 0; i < runs; ++i) {
    const auto a = Clock::now();
    f();
    t.push_back(std::chrono::duration<double, std::micro>(Clock::now() - a).count());
  }
  std::sort(t.begin(), t.end());
  return {t[t.size() / 2], t[t.size() * 95 / 100], t.front()};
}

void row(const char* what, const Stats& s, const char* note = "") {
  fmt::print("| {} | {:.2f} | {:.2f} | {:.2f} | {} |\n", what, s.median_us, s.p95_us, s.min_us, note);
}

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

}  // namespace

int main(int argc, char** argv) {
  PasswordCost cost;  // the defaults: auth.password_iterations, auth.password_memory
  int logins = 20;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--iterations")) cost.iterations = static_cast<std::uint32_t>(std::stoul(argv[i + 1]));
    else if (!std::strcmp(argv[i], "--memory-mib")) cost.memory_bytes = std::stoull(argv[i + 1]) << 20;
    else if (!std::strcmp(argv[i], "--logins")) logins = std::stoi(argv[i + 1]);
  }
  init_crypto();
  fmt::print("Argon2id t={} m={} MiB p=1; {} logins; token checks 200,000 each\n\n", cost.iterations,
             cost.memory_bytes >> 20, logins);
  fmt::print("| operation | median µs | p95 µs | min µs | |\n| --- | ---: | ---: | ---: | --- |\n");

  const auto hash = hash_password("correct horse battery staple", cost);
  row("hash a new password (Argon2id)", measure(logins, [&] { (void)hash_password("correct horse battery staple", cost); }),
      "user add, password change");
  row("verify a password (Argon2id): one login",
      measure(logins, [&] { (void)verify_password("correct horse battery staple", hash); }), "login");

  // A whole AuthService login over a real database file: hash check, SQLite writes, tokens.
  char dir[] = "/tmp/hyperion-auth-bench-XXXXXX";
  if (!mkdtemp(dir)) return 1;
  {
    auto db = hyperion::storage::Database::open(std::string(dir) + "/h.db");
    const std::array modules{hyperion::auth::schema()};
    hyperion::storage::migrate(db, modules);
    AuthSettings settings;
    settings.password_cost = cost;
    settings.attempts_per_minute = 1'000'000;
    AuthService service(db, SecretKey::from_bytes(random_bytes(32)), random_bytes(32), settings, now_ms);
    service.create_user(Actor{std::nullopt, "bench"}, NewUser{"bench", "", Role::admin, "correct horse battery staple", false});
    std::string access;
    row("AuthService::login (verify, SQLite writes, tokens)", measure(logins, [&] {
          const auto r = service.login("bench", "correct horse battery staple", std::nullopt, "127.0.0.1");
          access = std::get<Tokens>(r).access_token;
        }), "POST /api/v1/auth/login minus HTTP");
    const auto principal = *service.authenticate(access);
    const auto api = std::get<NewApiToken>(service.create_api_token(Actor{principal, "bench"}, "b", Role::viewer, std::nullopt,
                                                                                "correct horse battery staple")).token;

    const Bytes key(32, 7);
    const AccessClaims claims{"u0123456789abcdef", "bench", "admin", "family", "jti", now_ms(), now_ms() + 900'000};
    const auto token = sign_access_token(claims, key);
    const auto input = token.substr(0, token.rfind('.'));
    row("floor: HMAC-SHA-256 of the token's header and claims",
        measure(200'000, [&] { (void)hmac_sha256(key, as_bytes(input)); }), "the signature alone");
    row("verify_access_token (HMAC, base64url, JSON claims)",
        measure(200'000, [&] { (void)verify_access_token(token, key, now_ms()); }), "");
    row("AuthService::authenticate, access token (+ user, session)",
        measure(200'000, [&] { (void)service.authenticate(access); }), "every request with a JWT");
    row("AuthService::authenticate, API token (keyed BLAKE2b + lookup)",
        measure(200'000, [&] { (void)service.authenticate(api); }), "every request with an API token");
  }
  std::string rm = std::string("rm -rf ") + dir;
  return std::system(rm.c_str()) == 0 ? 0 : 1;
}
