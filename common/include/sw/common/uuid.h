#pragma once

#include <string>
#include <string_view>

namespace sw::common {

// A random (version 4) UUID in canonical lower-case 8-4-4-4-12 form, from getrandom(2).
std::string newUuid();
// True for a canonical 36-character UUID (any version, lower or upper case hex).
bool isUuid(std::string_view text);

}  // namespace sw::common
