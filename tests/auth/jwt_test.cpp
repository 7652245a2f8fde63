#include "hyperion/auth/jwt.hpp"

#include <catch2/catch.hpp>

#include "hyperion/auth/crypto.hpp"

using namespace hyperion::auth;

namespace {

AccessClaims claims() {
  AccessClaims c;
  c.subject = "u0123456789abcdef";
  c.username = "alice";
  c.role = "operator";
  c.session = "fam-1";
  c.token_id = "t1";
  c.issued_ms = 1'700'000'000'000;
  c.expires_ms = c.issued_ms + 15 * 60 * 1000;
  return c;
}

const Bytes kKey(32, 0x42);

std::string reason(const std::variant<AccessClaims, TokenError>& r) {
  return std::holds_alternative<TokenError>(r) ? std::get<TokenError>(r).reason : "valid";
}

}  // namespace

TEST_CASE("access token: signed, verified, claims intact", "[auth][jwt]") {
  const auto token = sign_access_token(claims(), kKey);
  CHECK(looks_like_jwt(token));
  CHECK(token.starts_with("eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9."));  // {"alg":"HS256","typ":"JWT"}
  const auto r = verify_access_token(token, kKey, claims().issued_ms + 1000);
  REQUIRE(std::holds_alternative<AccessClaims>(r));
  const auto& c = std::get<AccessClaims>(r);
  CHECK(c.subject == "u0123456789abcdef");
  CHECK(c.username == "alice");
  CHECK(c.role == "operator");
  CHECK(c.session == "fam-1");
  CHECK(c.expires_ms == claims().expires_ms);
  const auto dot1 = token.find('.');
  const auto payload = base64url_decode(token.substr(dot1 + 1, token.rfind('.') - dot1 - 1));
  CHECK(std::string(payload->begin(), payload->end()).find("\"scope\":\"read act\"") != std::string::npos);
  CHECK(scopes_of_role("admin") == "read act admin");
  CHECK(scopes_of_role("viewer") == "read");
}

TEST_CASE("access token: expired, another key, altered, alg none: all refused", "[auth][jwt]") {
  const auto token = sign_access_token(claims(), kKey);
  CHECK(reason(verify_access_token(token, kKey, claims().expires_ms)) == "expired");
  CHECK(reason(verify_access_token(token, Bytes(32, 0x43), claims().issued_ms)) == "bad signature");
  // a role raised in the payload, signature kept
  const auto dot1 = token.find('.');
  const auto dot2 = token.find('.', dot1 + 1);
  auto payload = std::string(token.substr(dot1 + 1, dot2 - dot1 - 1));
  auto decoded = base64url_decode(payload);
  std::string json(decoded->begin(), decoded->end());
  json.replace(json.find("operator"), 8, "admin\",\"x\":\"");
  const auto forged = token.substr(0, dot1 + 1) + base64url_encode(as_bytes(json)) + token.substr(dot2);
  CHECK(reason(verify_access_token(forged, kKey, claims().issued_ms)) == "bad signature");
  // alg "none" with an empty signature
  const auto none = base64url_encode(as_bytes(R"({"alg":"none","typ":"JWT"})")) + token.substr(dot1, dot2 - dot1) + ".";
  CHECK(reason(verify_access_token(none, kKey, claims().issued_ms)) != "valid");
  for (const std::string& bad : {std::string(), std::string("a.b"), std::string("a.b.c.d"), std::string("..."), std::string("x.y.z"), std::string(5000, 'a') + ".b.c"}) {
    CHECK(reason(verify_access_token(bad, kKey, claims().issued_ms)) != "valid");
  }
}

TEST_CASE("access token: issued far in the future is refused, within a minute of skew accepted", "[auth][jwt]") {
  const auto token = sign_access_token(claims(), kKey);
  CHECK(reason(verify_access_token(token, kKey, claims().issued_ms - 30'000)) == "valid");
  CHECK(reason(verify_access_token(token, kKey, claims().issued_ms - 120'000)) == "issued in the future");
}

// Found by fuzz/fuzz_jwt.cpp (inputs in fuzz/corpus/jwt/regression-*): a token that carries our
// signature but a header or claims we never write must be refused like any other, not throw
// (a non-string "alg") or hit undefined behaviour (exp * 1000 past INT64_MAX, a double outside
// int64). Only a holder of the key can make one, hence the hand-signed tokens.
TEST_CASE("access token: signed, but with a mistyped alg or out-of-range times: refused", "[auth][jwt]") {
  const auto sign = [](std::string_view header, std::string_view payload) {
    auto token = base64url_encode(as_bytes(header)) + "." + base64url_encode(as_bytes(payload));
    return token + "." + base64url_encode(hmac_sha256(kKey, as_bytes(token)));
  };
  const std::string hs256 = R"({"alg":"HS256","typ":"JWT"})";
  const std::string names = R"("sub":"u1","name":"alice","role":"viewer","sid":"f","jti":"t")";
  const auto now = claims().issued_ms;
  CHECK(reason(verify_access_token(sign(hs256, "{" + names + R"(,"iat":1700000000,"exp":1700000900})"), kKey, now)) ==
        "valid");
  CHECK(reason(verify_access_token(sign(R"({"alg":6})", "{" + names + R"(,"iat":1700000000,"exp":1700000900})"), kKey,
                                   now)) == "unsupported algorithm");
  for (const std::string times : {R"("iat":1700000000,"exp":9223372036854775807)", R"("iat":1700000000,"exp":1e300)",
                                  R"("iat":1e300,"exp":1700000900)", R"("iat":1700000000,"exp":-1e300)",
                                  R"("iat":1700000000,"exp":"1700000900")"}) {
    CAPTURE(times);
    CHECK(reason(verify_access_token(sign(hs256, "{" + names + "," + times + "}"), kKey, now)) == "malformed claims");
  }
}
