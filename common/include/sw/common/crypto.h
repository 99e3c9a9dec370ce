#pragma once
// Small cryptographic helpers on OpenSSL (library sw_common_x509): random bytes, HMAC-SHA256,
// constant-time comparison and unpadded base64url (RFC 4648 section 5).

#include <string>
#include <string_view>

#include "sw/common/result.h"

namespace sw::common::crypto {

// n bytes from the OS-seeded CSPRNG; kFatal `openssl_error` if it cannot deliver.
Result<std::string> randomBytes(size_t n);
// 32 raw bytes.
std::string hmacSha256(std::string_view key, std::string_view data);
// Same length and same bytes, in time independent of where they differ.
bool constantTimeEqual(std::string_view a, std::string_view b);

std::string base64UrlEncode(std::string_view bytes);  // no padding
// nullopt-like: kReject `bad_base64` on any character outside the alphabet, padding, or a bad length.
Result<std::string> base64UrlDecode(std::string_view text);

std::string hex(std::string_view bytes);  // lower case

}  // namespace sw::common::crypto
