#pragma once
// GS1 check digits and GTIN normal form. Kept in common (not firmware-interfaces) because
// both sides need them: scanners on the device, catalog imports on the coordinator, and
// the coordinator must not depend on device I/O code.

#include <optional>
#include <string>
#include <string_view>

#include "sw/common/result.h"

namespace sw::common {

// GS1 mod-10 check digit over all digits but the last (weights 3,1,3,... from the right).
bool gs1CheckDigitValid(std::string_view digits);
// The check digit for digits that do not yet have one; '\0' if not all digits.
char gs1CheckDigit(std::string_view digits_without_check);

// GTIN-14 from a GTIN-8/12/13/14 string (left-padded with zeros), or nullopt if not 8/12/13/14
// digits. Does not look at the check digit.
std::optional<std::string> toGtin14(std::string_view digits);

// A GTIN as given by a person or a file (8, 12, 13 or 14 digits) checked and normalised to
// GTIN-14. Errors (reject): bad_gtin (not 8/12/13/14 digits), bad_check_digit.
Result<std::string> normalizeGtin(std::string_view text);

}  // namespace sw::common
