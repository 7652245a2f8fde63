#include "hyperion/auth/totp.hpp"

#include <cstdio>
#include <ctime>

#include <catch2/catch.hpp>
#include <fmt/format.h>

#include "hyperion/auth/crypto.hpp"

using namespace hyperion::auth;

namespace {

// RFC 6238 appendix B's SHA-1 key: "12345678901234567890".
const auto kRfcKey = as_bytes("12345678901234567890");

std::string run(const std::string& command) {
  std::string out;
  FILE* p = ::popen(command.c_str(), "r");
  REQUIRE(p != nullptr);
  char buf[256];
  while (std::fgets(buf, sizeof buf, p)) out += buf;
  const int status = ::pclose(p);
  INFO(command);
  REQUIRE(status == 0);
  while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.pop_back();
  return out;
}

std::string utc(std::int64_t t) {
  const std::time_t tt = t;
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S UTC", &tm);
  return buf;
}

}  // namespace

TEST_CASE("totp_code: RFC 6238 appendix B, SHA-1, 8 digits", "[auth][totp]") {
  CHECK(totp_code(kRfcKey, 59, 8) == "94287082");
  CHECK(totp_code(kRfcKey, 1111111109, 8) == "07081804");
  CHECK(totp_code(kRfcKey, 1111111111, 8) == "14050471");
  CHECK(totp_code(kRfcKey, 1234567890, 8) == "89005924");
  CHECK(totp_code(kRfcKey, 2000000000, 8) == "69279037");
  CHECK(totp_code(kRfcKey, 20000000000, 8) == "65353130");
  CHECK(totp_code(kRfcKey, 1234567890) == "005924");  // 6 digits keep the leading zeros
}

TEST_CASE("totp_code: the same codes as oathtool, an independent client", "[auth][totp]") {
  init_crypto();
  for (int i = 0; i < 20; ++i) {
    const auto secret = random_bytes(20);
    const auto b32 = base32_encode(secret);
    const std::int64_t t = 1'500'000'000 + static_cast<std::int64_t>(i) * 7'777'777 + i;
    const auto theirs = run(fmt::format("oathtool --totp -b -N '{}' {}", utc(t), b32));
    INFO("time " << t << " secret " << b32);
    CHECK(totp_code(secret, t) == theirs);
  }
  // -w 1 prints this step's code and the next one: both verify at the current time.
  const auto secret = random_bytes(20);
  const std::int64_t t = 1'700'000'015;
  const auto codes = run(fmt::format("oathtool --totp -b -w 1 -N '{}' {}", utc(t), base32_encode(secret)));
  const auto next = codes.substr(codes.find('\n') + 1);
  CHECK(totp_verify(secret, codes.substr(0, 6), t, std::nullopt) == t / 30);
  CHECK(totp_verify(secret, next, t, std::nullopt) == t / 30 + 1);
}

TEST_CASE("totp_verify: one step of skew either way, not two; a code works once", "[auth][totp]") {
  const std::int64_t t = 1'700'000'000;
  const std::int64_t step = t / 30;
  CHECK(totp_verify(kRfcKey, totp_code(kRfcKey, t), t, std::nullopt) == step);
  CHECK(totp_verify(kRfcKey, totp_code(kRfcKey, t - 30), t, std::nullopt) == step - 1);
  CHECK(totp_verify(kRfcKey, totp_code(kRfcKey, t + 30), t, std::nullopt) == step + 1);
  CHECK_FALSE(totp_verify(kRfcKey, totp_code(kRfcKey, t - 60), t, std::nullopt));
  CHECK_FALSE(totp_verify(kRfcKey, totp_code(kRfcKey, t + 60), t, std::nullopt));
  // replay: the step already used, or an older one, is refused
  CHECK_FALSE(totp_verify(kRfcKey, totp_code(kRfcKey, t), t, step));
  CHECK_FALSE(totp_verify(kRfcKey, totp_code(kRfcKey, t - 30), t, step - 1));
  CHECK(totp_verify(kRfcKey, totp_code(kRfcKey, t + 30), t, step) == step + 1);
}

TEST_CASE("totp_verify: malformed codes are refused", "[auth][totp]") {
  const std::int64_t t = 1'700'000'000;
  const auto code = totp_code(kRfcKey, t);
  CHECK(totp_verify(kRfcKey, code.substr(0, 3) + " " + code.substr(3), t, std::nullopt));  // "123 456"
  for (const std::string& bad : {std::string(), std::string("12345"), std::string("1234567"), std::string("12a456"), std::string("-12345"), std::string(10000, '1')}) {
    INFO(bad.substr(0, 20));
    CHECK_FALSE(totp_verify(kRfcKey, bad, t, std::nullopt));
  }
}

TEST_CASE("otpauth_uri: what authenticator apps read", "[auth][totp]") {
  CHECK(otpauth_uri("Hyperion web1", "alice@corp", "JBSWY3DPEHPK3PXP") ==
        "otpauth://totp/Hyperion%20web1:alice%40corp?secret=JBSWY3DPEHPK3PXP&issuer=Hyperion%20web1&algorithm=SHA1&digits=6&period=30");
}
