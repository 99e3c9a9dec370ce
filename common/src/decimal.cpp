#include "sw/common/decimal.h"

#include <cstdlib>
#include <limits>

namespace sw::common {

Result<Decimal> Decimal::parse(std::string_view text) {
  auto bad = [&](const char* why) {
    return Error::reject("bad_decimal", std::string("'") + std::string(text.substr(0, 40)) + "' is not a decimal: " + why);
  };
  if (text.empty()) return bad("empty");
  size_t i = 0;
  bool negative = false;
  if (text[0] == '-') {
    negative = true;
    i = 1;
  }
  if (i >= text.size()) return bad("no digits");
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
  int64_t whole = 0;
  size_t whole_digits = 0;
  for (; i < text.size() && text[i] != '.'; ++i) {
    char c = text[i];
    if (c < '0' || c > '9') return bad("unexpected character");
    if (whole > (kMax / kScale - 9) / 10) return bad("too large");
    whole = whole * 10 + (c - '0');
    ++whole_digits;
  }
  if (whole_digits == 0) return bad("no digits before the point");
  int64_t frac = 0;
  int frac_digits = 0;
  if (i < text.size()) {  // at '.'
    ++i;
    if (i >= text.size()) return bad("no digits after the point");
    for (; i < text.size(); ++i) {
      char c = text[i];
      if (c < '0' || c > '9') return bad("unexpected character");
      if (frac_digits == kScaleDigits) return bad("more than 4 decimals");
      frac = frac * 10 + (c - '0');
      ++frac_digits;
    }
  }
  for (int d = frac_digits; d < kScaleDigits; ++d) frac *= 10;
  int64_t v = whole * kScale + frac;
  return Decimal::fromUnits(negative ? -v : v);
}

std::string Decimal::toString() const {
  // |v_| cannot overflow: parse() and fromUnits() callers stay far from INT64_MIN.
  uint64_t a = v_ < 0 ? static_cast<uint64_t>(-(v_ + 1)) + 1 : static_cast<uint64_t>(v_);
  uint64_t whole = a / kScale;
  uint64_t frac = a % kScale;
  std::string f = std::to_string(frac);
  f.insert(0, static_cast<size_t>(kScaleDigits) - f.size(), '0');
  while (f.size() > 2 && f.back() == '0') f.pop_back();
  std::string out = v_ < 0 ? "-" : "";
  out += std::to_string(whole);
  out += '.';
  out += f;
  return out;
}

}  // namespace sw::common
