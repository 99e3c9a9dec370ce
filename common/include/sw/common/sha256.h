#pragma once
// SHA-256 (OpenSSL adapter: src/sha256_openssl.cpp).

#include <array>
#include <cstdint>
#include <string_view>

namespace sw::common {

std::array<uint8_t, 32> sha256(std::string_view data);

}  // namespace sw::common
