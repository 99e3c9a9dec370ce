#pragma once
// SHA-256 (OpenSSL adapter: src/sha256_openssl.cpp).

#include <array>
#include <cstdint>
#include <string_view>

namespace sw::common {

std::array<uint8_t, 32> sha256(std::string_view data);
// A SHA-256 as it travels and is stored: 64 lower-case hex characters.
bool isSha256Hex(std::string_view text);

}  // namespace sw::common
