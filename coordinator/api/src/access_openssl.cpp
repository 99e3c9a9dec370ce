// OpenSSL adapter for API tokens: SHA-256 and random bytes.

#include <openssl/evp.h>
#include <openssl/rand.h>

#include "sw/coordinator/api/access.h"

namespace sw::coordinator {

namespace {

std::string hex(const unsigned char* p, size_t n) {
  static const char* kDigits = "0123456789abcdef";
  std::string out;
  out.reserve(n * 2);
  for (size_t i = 0; i < n; ++i) {
    out.push_back(kDigits[p[i] >> 4]);
    out.push_back(kDigits[p[i] & 0xf]);
  }
  return out;
}

}  // namespace

std::string sha256Hex(std::string_view data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_Digest(data.data(), data.size(), md, &len, EVP_sha256(), nullptr) != 1) return {};
  return hex(md, len);
}

common::Result<std::string> newTokenSecret() {
  unsigned char bytes[32];
  if (RAND_bytes(bytes, sizeof bytes) != 1) {
    return common::Error::fatal("no_randomness", "OpenSSL could not provide random bytes for a token");
  }
  return "swt_" + hex(bytes, sizeof bytes);
}

}  // namespace sw::coordinator
