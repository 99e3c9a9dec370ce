#include "sw/common/gtin.h"

#include <algorithm>

namespace sw::common {

namespace {
bool allDigits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}
}  // namespace

bool gs1CheckDigitValid(std::string_view digits) {
  if (digits.size() < 2 || !allDigits(digits)) return false;
  return gs1CheckDigit(digits.substr(0, digits.size() - 1)) == digits.back();
}

char gs1CheckDigit(std::string_view d) {
  if (!allDigits(d)) return '\0';
  int sum = 0;
  int weight = 3;  // the digit next to the check digit weighs 3
  for (size_t i = d.size(); i-- > 0;) {
    sum += (d[i] - '0') * weight;
    weight = 4 - weight;
  }
  return static_cast<char>('0' + (10 - sum % 10) % 10);
}

std::optional<std::string> toGtin14(std::string_view d) {
  if (!allDigits(d) || (d.size() != 8 && d.size() != 12 && d.size() != 13 && d.size() != 14)) return std::nullopt;
  return std::string(14 - d.size(), '0') + std::string(d);
}

Result<std::string> normalizeGtin(std::string_view text) {
  auto g = toGtin14(text);
  if (!g) return Error::reject("bad_gtin", "a GTIN is 8, 12, 13 or 14 digits, got '" + std::string(text.substr(0, 40)) + "'");
  if (!gs1CheckDigitValid(*g)) return Error::reject("bad_check_digit", "the check digit of GTIN " + std::string(text) + " is wrong");
  return *g;
}

}  // namespace sw::common
