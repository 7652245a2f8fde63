#include "hyperion/auth/crypto.hpp"

#include <fcntl.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <stdexcept>

#include <fmt/format.h>

namespace hyperion::auth {
namespace {

constexpr std::string_view kBase32Alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

// The commonest passwords of the public breach lists that pass the length rule.
constexpr std::array<std::string_view, 16> kCommonPasswords{
    "123456789012", "1234567890123", "12345678910", "qwertyuiopas", "password1234", "passwordpassword",
    "111111111111", "000000000000", "abc123abc123", "iloveyou1234", "qwerty123456", "123123123123",
    "administrator", "letmeinletmein", "changemechangeme", "hyperionhyperion"};

}  // namespace

void init_crypto() {
  if (sodium_init() < 0) throw std::runtime_error("libsodium failed to initialise");
}

Bytes random_bytes(std::size_t n) {
  Bytes out(n);
  randombytes_buf(out.data(), n);
  return out;
}

std::string random_token(std::size_t bytes) { return base64url_encode(random_bytes(bytes)); }

std::string base64url_encode(std::span<const unsigned char> in) {
  const auto variant = sodium_base64_VARIANT_URLSAFE_NO_PADDING;
  std::string out(sodium_base64_ENCODED_LEN(in.size(), variant), '\0');
  sodium_bin2base64(out.data(), out.size(), in.data(), in.size(), variant);
  out.resize(std::strlen(out.c_str()));
  return out;
}

std::optional<Bytes> base64url_decode(std::string_view in) {
  Bytes out(in.size() * 3 / 4 + 3);
  std::size_t len = 0;
  const char* end = nullptr;
  if (sodium_base642bin(out.data(), out.size(), in.data(), in.size(), nullptr, &len, &end,
                        sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0 ||
      end != in.data() + in.size()) {
    return std::nullopt;
  }
  out.resize(len);
  return out;
}

std::string base32_encode(std::span<const unsigned char> in) {
  std::string out;
  std::uint32_t buffer = 0;
  int bits = 0;
  for (const unsigned char c : in) {
    buffer = (buffer << 8) | c;
    bits += 8;
    while (bits >= 5) {
      out.push_back(kBase32Alphabet[(buffer >> (bits - 5)) & 31]);
      bits -= 5;
    }
  }
  if (bits > 0) out.push_back(kBase32Alphabet[(buffer << (5 - bits)) & 31]);
  return out;
}

std::optional<Bytes> base32_decode(std::string_view in) {
  Bytes out;
  std::uint32_t buffer = 0;
  int bits = 0;
  for (const char raw : in) {
    if (raw == ' ' || raw == '=' || raw == '-') continue;
    const char c = static_cast<char>(raw >= 'a' && raw <= 'z' ? raw - 'a' + 'A' : raw);
    const auto pos = kBase32Alphabet.find(c);
    if (pos == std::string_view::npos) return std::nullopt;
    buffer = (buffer << 5) | static_cast<std::uint32_t>(pos);
    bits += 5;
    if (bits >= 8) {
      out.push_back(static_cast<unsigned char>((buffer >> (bits - 8)) & 0xff));
      bits -= 8;
    }
  }
  return out;
}

std::string hex_encode(std::span<const unsigned char> in) {
  std::string out(in.size() * 2 + 1, '\0');
  sodium_bin2hex(out.data(), out.size(), in.data(), in.size());
  out.pop_back();
  return out;
}

Bytes sha256(std::span<const unsigned char> in) {
  Bytes out(crypto_hash_sha256_BYTES);
  crypto_hash_sha256(out.data(), in.data(), in.size());
  return out;
}

Bytes hmac_sha256(std::span<const unsigned char> key, std::span<const unsigned char> message) {
  crypto_auth_hmacsha256_state state;
  crypto_auth_hmacsha256_init(&state, key.data(), key.size());
  crypto_auth_hmacsha256_update(&state, message.data(), message.size());
  Bytes out(crypto_auth_hmacsha256_BYTES);
  crypto_auth_hmacsha256_final(&state, out.data());
  return out;
}

Bytes hmac_sha1(std::span<const unsigned char> key, std::span<const unsigned char> message) {
  Bytes out(EVP_MAX_MD_SIZE);
  unsigned int len = 0;
  if (!HMAC(EVP_sha1(), key.data(), static_cast<int>(key.size()), message.data(), message.size(), out.data(), &len)) {
    throw std::runtime_error("HMAC-SHA-1 failed");
  }
  out.resize(len);
  return out;
}

bool constant_time_equal(std::span<const unsigned char> a, std::span<const unsigned char> b) {
  return a.size() == b.size() && (a.empty() || sodium_memcmp(a.data(), b.data(), a.size()) == 0);
}

std::string hash_password(std::string_view password, const PasswordCost& cost) {
  std::array<char, crypto_pwhash_STRBYTES> out{};
  if (crypto_pwhash_str_alg(out.data(), password.data(), password.size(), cost.iterations, static_cast<std::size_t>(cost.memory_bytes),
                            crypto_pwhash_ALG_ARGON2ID13) != 0) {
    throw std::runtime_error("Argon2id: out of memory");
  }
  return out.data();
}

bool verify_password(std::string_view password, const std::string& hash) {
  return crypto_pwhash_str_verify(hash.c_str(), password.data(), password.size()) == 0;
}

bool password_needs_rehash(const std::string& hash, const PasswordCost& cost) {
  return crypto_pwhash_str_needs_rehash(hash.c_str(), cost.iterations, static_cast<std::size_t>(cost.memory_bytes)) != 0;
}

std::optional<std::string> password_weakness(std::string_view password, std::string_view username) {
  if (password.size() < 12) return "a password needs at least 12 characters";
  if (password.size() > 1024) return "a password has at most 1024 bytes";
  if (std::all_of(password.begin(), password.end(), [&](char c) { return c == password.front(); })) {
    return "a password of one repeated character is too easy to guess";
  }
  const auto lower = [](std::string_view s) {
    std::string out(s);
    for (auto& c : out) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
    return out;
  };
  const auto p = lower(password);
  if (!username.empty() && p.find(lower(username)) != std::string::npos) {
    return "a password must not contain the user name";
  }
  for (const auto common : kCommonPasswords) {
    if (p == common) return "this password is on the lists attackers try first";
  }
  return std::nullopt;
}

SecretKey SecretKey::from_bytes(std::span<const unsigned char> bytes) {
  if (bytes.size() != kSize) throw std::invalid_argument("a secret key has 32 bytes");
  SecretKey k;
  k.key_.assign(bytes.begin(), bytes.end());
  return k;
}

SecretKey SecretKey::load_or_create(const std::filesystem::path& file) {
  int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0 && errno == ENOENT) {
    const auto key = random_bytes(kSize);
    // O_EXCL: two processes starting at once cannot both write a key.
    fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd >= 0) {
      const bool ok = ::write(fd, key.data(), key.size()) == static_cast<ssize_t>(key.size()) && ::fsync(fd) == 0;
      ::close(fd);
      if (!ok) throw std::runtime_error(fmt::format("cannot write key file {}: {}", file.string(), std::strerror(errno)));
      return from_bytes(key);
    }
    if (errno != EEXIST) throw std::runtime_error(fmt::format("cannot create key file {}: {}", file.string(), std::strerror(errno)));
    fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  }
  if (fd < 0) throw std::runtime_error(fmt::format("cannot read key file {}: {}", file.string(), std::strerror(errno)));
  struct stat st {};
  ::fstat(fd, &st);
  Bytes key(kSize + 1);
  const auto n = ::read(fd, key.data(), key.size());
  ::close(fd);
  if ((st.st_mode & 077) != 0) {
    throw std::runtime_error(fmt::format("key file {} is readable by others (mode {:o}): chmod 600 it", file.string(),
                                         st.st_mode & 0777));
  }
  if (n != static_cast<ssize_t>(kSize)) {
    throw std::runtime_error(fmt::format("key file {} is damaged: {} bytes where 32 are expected", file.string(), n));
  }
  key.resize(kSize);
  return from_bytes(key);
}

Bytes SecretKey::seal(std::span<const unsigned char> plaintext) const {
  Bytes box(crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES + plaintext.size());
  randombytes_buf(box.data(), crypto_secretbox_NONCEBYTES);
  crypto_secretbox_easy(box.data() + crypto_secretbox_NONCEBYTES, plaintext.data(), plaintext.size(), box.data(),
                        key_.data());
  return box;
}

std::optional<Bytes> SecretKey::open(std::span<const unsigned char> box) const {
  if (box.size() < crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES) return std::nullopt;
  Bytes plain(box.size() - crypto_secretbox_NONCEBYTES - crypto_secretbox_MACBYTES);
  if (crypto_secretbox_open_easy(plain.data(), box.data() + crypto_secretbox_NONCEBYTES,
                                 box.size() - crypto_secretbox_NONCEBYTES, box.data(), key_.data()) != 0) {
    return std::nullopt;
  }
  return plain;
}

Bytes SecretKey::keyed_hash(std::string_view value) const {
  Bytes out(32);
  const auto in = as_bytes(value);
  crypto_generichash(out.data(), out.size(), in.data(), in.size(), key_.data(), key_.size());
  return out;
}

}  // namespace hyperion::auth
