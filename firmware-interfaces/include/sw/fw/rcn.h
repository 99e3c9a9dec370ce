#pragma once
// Restricted circulation numbers: variable-measure EAN-13 (prefixes 20-29, and UPC-A
// number system 2 as 13 digits "02...") whose layout the national GS1 organisation sets.
// A layout says, for one two-digit prefix, which of the first 12 digits are the item
// (P), the value (V) and an optional value check digit (C), and what the value means.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sw/common/result.h"

namespace sw::fw {

enum class MeasureKind { kPrice, kWeightKg, kCount };

const char* measureKindName(MeasureKind kind);

struct RcnLayout {
  std::string prefix;    // two digits, e.g. "23"
  std::string pattern;   // 12 characters of P, C, V over the first 12 digits, e.g. "PPPPPPCVVVVV"
  MeasureKind kind = MeasureKind::kPrice;
  int decimals = 2;      // implied decimals of the value
};

// Country presets from PROTOCOLS.md (GS1 member organisation layouts):
// "SE", "NO", "DE", "DK", "GB", "FI", "EE", "LV", "LT". Empty for an unknown country.
std::vector<RcnLayout> rcnLayoutsForCountry(std::string_view country);

struct VariableMeasure {
  MeasureKind kind = MeasureKind::kPrice;
  int64_t value = 0;       // scaled: value / 10^decimals
  int decimals = 0;
  std::string item_code;   // the 13 digits with value and value check zeroed, check digit recomputed
  std::string valueText() const;  // "12.95", "0.250"
};

// GS1 General Specifications 7.9: price/weight check digit over 4 or 5 value digits.
char valueCheckDigit4(std::string_view four_digits);
char valueCheckDigit5(std::string_view five_digits);

// Decodes a 13-digit EAN (check digit already valid) against the layouts. nullopt when the
// prefix has no layout; a reject error (bad_check_digit) when the value check digit is wrong.
common::Result<std::optional<VariableMeasure>> decodeVariableMeasure(std::string_view ean13,
                                                                      const std::vector<RcnLayout>& layouts);

}  // namespace sw::fw
