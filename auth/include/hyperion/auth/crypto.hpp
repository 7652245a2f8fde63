#pragma once

// The primitives credentials are built from: randomness, encodings, hashes and MACs,
// Argon2id password hashing, and a secret key kept in its own 0600 file for sealing secrets
// at rest. libsodium for all of it but HMAC-SHA-1 (TOTP's algorithm), which is OpenSSL's.

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "hyperion/auth/settings.hpp"

namespace hyperion::auth {

using Bytes = std::vector<unsigned char>;

// Must be called once before anything else here (sodium_init); throws if it fails.
void init_crypto();

Bytes random_bytes(std::size_t n);
// A random token of `bytes` bytes, base64url without padding (URL- and header-safe).
std::string random_token(std::size_t bytes = 32);

std::string base64url_encode(std::span<const unsigned char> in);
std::optional<Bytes> base64url_decode(std::string_view in);
// RFC 4648 base32 (A-Z2-7), without padding, as authenticator apps expect secrets.
std::string base32_encode(std::span<const unsigned char> in);
// Case-insensitive; spaces and '=' padding ignored.
std::optional<Bytes> base32_decode(std::string_view in);
std::string hex_encode(std::span<const unsigned char> in);

Bytes sha256(std::span<const unsigned char> in);
Bytes hmac_sha256(std::span<const unsigned char> key, std::span<const unsigned char> message);
Bytes hmac_sha1(std::span<const unsigned char> key, std::span<const unsigned char> message);
bool constant_time_equal(std::span<const unsigned char> a, std::span<const unsigned char> b);

inline std::span<const unsigned char> as_bytes(std::string_view s) {
  return {reinterpret_cast<const unsigned char*>(s.data()), s.size()};
}

// --- passwords

// PasswordCost: auth/settings.hpp

// An Argon2id string ($argon2id$v=19$m=...,t=...,p=1$salt$hash): the parameters travel with it,
// so hashes made with other costs still verify.
std::string hash_password(std::string_view password, const PasswordCost& cost);
bool verify_password(std::string_view password, const std::string& hash);
// True when the hash was made with other parameters than `cost` (rehash at the next login).
bool password_needs_rehash(const std::string& hash, const PasswordCost& cost);

// Why a new password is refused, or nothing when it is acceptable: 12 to 1024 bytes, not
// all one character, not the user's name, not in a short list of the commonest passwords.
std::optional<std::string> password_weakness(std::string_view password, std::string_view username);

// --- a key kept in its own file

class SecretKey {
 public:
  static constexpr std::size_t kSize = 32;
  // Reads the key, or creates it (random, mode 0600) when the file does not exist. Refuses a
  // file of the wrong size or readable by group or others.
  static SecretKey load_or_create(const std::filesystem::path& file);
  static SecretKey from_bytes(std::span<const unsigned char> bytes);

  std::span<const unsigned char> bytes() const noexcept { return key_; }

  // XSalsa20-Poly1305 with a random nonce: nonce || ciphertext || tag.
  Bytes seal(std::span<const unsigned char> plaintext) const;
  // Nothing when the box was not made with this key or was altered.
  std::optional<Bytes> open(std::span<const unsigned char> box) const;
  // A keyed hash (BLAKE2b-256) for values that must be found again but never read back:
  // token and recovery-code hashes. Without the key file a copied database cannot test guesses.
  Bytes keyed_hash(std::string_view value) const;

 private:
  Bytes key_;
};

}  // namespace hyperion::auth
