// libFuzzer target: access tokens (auth/jwt.hpp) and the decoders they and TOTP secrets use.
//
// The input is tried four ways:
//  1. as it is, against a fixed key at a fixed time (what a request's Bearer token gets);
//  2. re-signed with that key: a fuzzer cannot forge HMAC-SHA-256, so without this the header
//     and claims parsing behind the signature check would never run. A token that verifies is
//     signed again from its claims and must verify to the same claims;
//  3. when it holds a NUL, as "HEADER-JSON\0CLAIMS-JSON": both base64url-encoded and signed,
//     so that the fuzzer mutates the JSON itself rather than its base64;
//  4. through base64url_decode and base32_decode, which must round-trip what they accept.
#include "hyperion/auth/crypto.hpp"
#include "hyperion/auth/jwt.hpp"

#include <string>
#include <variant>

#include "fuzz_support.hpp"

namespace auth = hyperion::auth;

namespace {

// The seeds in corpus/jwt/ were signed with this key (fuzz/make_seeds.py), valid at kNowMs.
constexpr std::string_view kKeyText = "hyperion-fuzz-key-0123456789abcd";
constexpr std::int64_t kNowMs = 1'700'000'000'000;  // 2023-11-14T22:13:20Z

std::span<const unsigned char> key() { return auth::as_bytes(kKeyText); }

bool same(const auth::AccessClaims& a, const auth::AccessClaims& b) {
  return a.subject == b.subject && a.username == b.username && a.role == b.role && a.session == b.session &&
         a.token_id == b.token_id && a.issued_ms == b.issued_ms && a.expires_ms == b.expires_ms;
}

void check_claims(const auth::AccessClaims& c) {
  HYPERION_FUZZ_CHECK(c.expires_ms > kNowMs);
  // Claims that verified, signed again, verify to the same claims. iat travels as seconds with
  // a fraction (a double): exact while the milliseconds fit a double's 53 bits with room.
  if (c.issued_ms > -(std::int64_t{1} << 50) && c.issued_ms < (std::int64_t{1} << 50)) {
    const auto again = auth::verify_access_token(auth::sign_access_token(c, key()), key(), kNowMs);
    const auto* claims = std::get_if<auth::AccessClaims>(&again);
    HYPERION_FUZZ_CHECK(claims != nullptr && same(*claims, c));
  }
}

void check_token(std::string_view token) {
  const auto r = auth::verify_access_token(token, key(), kNowMs);
  if (const auto* c = std::get_if<auth::AccessClaims>(&r)) {
    HYPERION_FUZZ_CHECK(auth::looks_like_jwt(token));
    check_claims(*c);
  } else {
    HYPERION_FUZZ_CHECK(!std::get<auth::TokenError>(r).reason.empty());
  }
}

void check_resigned(std::string_view token) {
  if (!auth::looks_like_jwt(token)) return;
  const auto signing_input = token.substr(0, token.rfind('.'));
  std::string signed_token(signing_input);
  signed_token += '.';
  signed_token += auth::base64url_encode(auth::hmac_sha256(key(), auth::as_bytes(signing_input)));
  check_token(signed_token);
}

void check_structured(std::string_view text) {
  if (text.find('\0') == std::string_view::npos) return;
  const auto [header, claims] = hyperion::fuzz::split_at_nul(text);
  std::string token = auth::base64url_encode(auth::as_bytes(header));
  token += '.';
  token += auth::base64url_encode(auth::as_bytes(claims));
  check_resigned(token + ".");
}

void check_decoders(std::string_view text) {
  if (const auto bytes = auth::base64url_decode(text)) {
    const auto again = auth::base64url_decode(auth::base64url_encode(*bytes));
    HYPERION_FUZZ_CHECK(again && *again == *bytes);
  }
  if (const auto bytes = auth::base32_decode(text)) {
    HYPERION_FUZZ_CHECK(bytes->size() <= text.size());
    const auto again = auth::base32_decode(auth::base32_encode(*bytes));
    HYPERION_FUZZ_CHECK(again && *again == *bytes);
  }
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  auth::init_crypto();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto text = hyperion::fuzz::as_text(data, size);
  check_token(text);
  check_resigned(text);
  check_structured(text);
  check_decoders(text);
  return 0;
}
