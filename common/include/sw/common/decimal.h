#pragma once
// Money and other exact decimals as a scaled 64-bit integer (4 fraction digits).
// Parsed from and printed to plain strings ("9.99"), never through double.

#include <cstdint>
#include <string>
#include <string_view>

#include "sw/common/result.h"

namespace sw::common {

class Decimal {
 public:
  static constexpr int kScaleDigits = 4;
  static constexpr int64_t kScale = 10'000;

  Decimal() = default;
  static Decimal fromUnits(int64_t scaled) {
    Decimal d;
    d.v_ = scaled;
    return d;
  }
  // Accepts "-12", "12.5", "0.9999"; rejects empty, "1.", ".5", "1e3", more than 4 decimals, overflow.
  static Result<Decimal> parse(std::string_view text);

  int64_t scaled() const { return v_; }
  // Shortest exact form with at least 2 decimals: "9.99", "10.00", "0.125".
  std::string toString() const;
  bool operator==(const Decimal&) const = default;
  auto operator<=>(const Decimal&) const = default;

 private:
  int64_t v_ = 0;
};

// An amount in a currency, as a channel, a till or a price list gave it: the one money type.
struct Money {
  Decimal amount;
  std::string currency;  // ISO 4217; "" when the source did not say
  bool operator==(const Money&) const = default;
};

}  // namespace sw::common
