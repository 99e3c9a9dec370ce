#pragma once

#include <string>
#include <string_view>

namespace sw::common {

// A random (version 4) UUID in canonical lower-case 8-4-4-4-12 form, from getrandom(2).
std::string newUuid();
// A time-ordered (version 7, RFC 9562) UUID: 48 bits of Unix milliseconds, then randomness.
// Event ids use it so that the ledger's index on them grows at its end, not at random places.
std::string newUuidV7(int64_t unix_ms);
// True for a canonical 36-character UUID (any version, lower or upper case hex).
bool isUuid(std::string_view text);
// The 16 bytes of a canonical UUID (which must be valid), and back to lower-case text.
std::string uuidToBytes(std::string_view text);
std::string uuidFromBytes(std::string_view bytes);

}  // namespace sw::common
