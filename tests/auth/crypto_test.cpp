#include "hyperion/auth/crypto.hpp"

#include <sys/stat.h>

#include <fstream>

#include <catch2/catch.hpp>

#include "temp_dir.hpp"

using namespace hyperion::auth;
using hyperion::test::TempDir;

namespace {
struct Init {
  Init() { init_crypto(); }
} init;

std::string str(const Bytes& b) { return {b.begin(), b.end()}; }
}  // namespace

TEST_CASE("base32: RFC 4648 section 10 vectors, both ways", "[auth][crypto]") {
  const std::pair<std::string_view, std::string_view> vectors[] = {
      {"", ""}, {"f", "MY"}, {"fo", "MZXQ"}, {"foo", "MZXW6"}, {"foob", "MZXW6YQ"}, {"fooba", "MZXW6YTB"}, {"foobar", "MZXW6YTBOI"}};
  for (const auto& [plain, encoded] : vectors) {
    CHECK(base32_encode(as_bytes(plain)) == encoded);
    const auto back = base32_decode(encoded);
    REQUIRE(back);
    CHECK(str(*back) == plain);
  }
  CHECK(str(*base32_decode("mzxw 6ytb oi======")) == "foobar");  // lower case, spaces, padding
  CHECK_FALSE(base32_decode("MZXW1"));                          // '1' is not in the alphabet
}

TEST_CASE("base64url: round trip, no padding, bad input refused", "[auth][crypto]") {
  const Bytes data{0xfb, 0xff, 0xfe, 0x00, 0x41};
  const auto e = base64url_encode(data);
  CHECK(e == "-__-AEE");
  CHECK(*base64url_decode(e) == data);
  CHECK_FALSE(base64url_decode("ab+/"));
  CHECK_FALSE(base64url_decode("a b"));
  CHECK(random_token(32).size() == 43);
  CHECK(random_token() != random_token());
}

TEST_CASE("hmac_sha256 and hmac_sha1: RFC 4231 and RFC 2202 test case 2", "[auth][crypto]") {
  CHECK(hex_encode(hmac_sha256(as_bytes("Jefe"), as_bytes("what do ya want for nothing?"))) ==
        "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  CHECK(hex_encode(hmac_sha1(as_bytes("Jefe"), as_bytes("what do ya want for nothing?"))) ==
        "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79");
  CHECK(hex_encode(sha256(as_bytes("abc"))) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST_CASE("hash_password: Argon2id, salted, verifies only the right password", "[auth][crypto]") {
  const PasswordCost cheap{1, 8u << 20};
  const auto h = hash_password("correct horse battery", cheap);
  CHECK(h.starts_with("$argon2id$v=19$m=8192,t=1,p=1$"));
  CHECK(verify_password("correct horse battery", h));
  CHECK_FALSE(verify_password("correct horse batterY", h));
  CHECK_FALSE(verify_password("", h));
  CHECK(hash_password("correct horse battery", cheap) != h);  // a new salt each time
  CHECK_FALSE(password_needs_rehash(h, cheap));
  CHECK(password_needs_rehash(h, PasswordCost{2, 8u << 20}));
  CHECK_FALSE(verify_password("x", "not a hash"));
}

TEST_CASE("password_weakness: length, repetition, user name, common passwords", "[auth][crypto]") {
  CHECK(password_weakness("short", "al"));
  CHECK(password_weakness("aaaaaaaaaaaaaaaa", "al"));
  CHECK(password_weakness("my-name-is-Alice!", "alice"));
  CHECK(password_weakness("Password1234", "bob"));
  CHECK(password_weakness(std::string(1025, 'x') + "y", "bob"));
  CHECK_FALSE(password_weakness("tulip-kettle-orbit-93", "alice"));
}

TEST_CASE("SecretKey: created 0600 once, read back the same; a loose or damaged file is refused", "[auth][crypto]") {
  TempDir dir;
  const auto a = SecretKey::load_or_create(dir / "k");
  struct stat st {};
  REQUIRE(::stat((dir / "k").c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
  const auto b = SecretKey::load_or_create(dir / "k");
  CHECK(std::equal(a.bytes().begin(), a.bytes().end(), b.bytes().begin(), b.bytes().end()));
  ::chmod((dir / "k").c_str(), 0644);
  CHECK_THROWS_WITH(SecretKey::load_or_create(dir / "k"), Catch::Contains("readable by others"));
  std::ofstream(dir / "short") << "abc";
  ::chmod((dir / "short").c_str(), 0600);
  CHECK_THROWS_WITH(SecretKey::load_or_create(dir / "short"), Catch::Contains("damaged"));
}

TEST_CASE("SecretKey: seal and open; another key or a flipped bit opens nothing", "[auth][crypto]") {
  const auto k = SecretKey::from_bytes(random_bytes(32));
  const auto box = k.seal(as_bytes("totp secret"));
  CHECK(str(*k.open(box)) == "totp secret");
  CHECK(k.seal(as_bytes("totp secret")) != box);  // a random nonce each time
  auto tampered = box;
  tampered.back() ^= 1;
  CHECK_FALSE(k.open(tampered));
  CHECK_FALSE(SecretKey::from_bytes(random_bytes(32)).open(box));
  CHECK_FALSE(k.open(Bytes(10)));
  CHECK(k.keyed_hash("x") == k.keyed_hash("x"));
  CHECK(k.keyed_hash("x") != SecretKey::from_bytes(random_bytes(32)).keyed_hash("x"));
}
