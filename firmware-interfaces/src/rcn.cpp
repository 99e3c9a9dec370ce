#include "sw/fw/rcn.h"

#include <algorithm>

#include "sw/fw/gs1.h"

namespace sw::fw {

namespace {

// Weighted products for the price/weight check digit (GS1 GenSpecs 7.9.2).
constexpr const char* kW2Minus = "0246891357";
constexpr const char* kW3 = "0369258147";
constexpr const char* kW5Plus = "0516273849";
constexpr const char* kW5Minus = "0594837261";

int product(const char* table, char digit) { return table[digit - '0'] - '0'; }

bool allDigits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

RcnLayout layout(const char* prefix, const char* pattern, MeasureKind kind, int decimals) {
  return RcnLayout{prefix, pattern, kind, decimals};
}

}  // namespace

const char* measureKindName(MeasureKind kind) {
  switch (kind) {
    case MeasureKind::kPrice: return "price";
    case MeasureKind::kWeightKg: return "weight_kg";
    case MeasureKind::kCount: return "count";
  }
  return "?";
}

std::string VariableMeasure::valueText() const {
  std::string digits = std::to_string(value);
  if (decimals <= 0) return digits;
  size_t d = static_cast<size_t>(decimals);
  std::string padded = digits.size() <= d ? std::string(d + 1 - digits.size(), '0') + digits : digits;
  std::string out = padded.substr(0, padded.size() - d);
  out += '.';
  out += padded.substr(padded.size() - d);
  return out;
}

char valueCheckDigit4(std::string_view d) {
  if (d.size() != 4 || !allDigits(d)) return '\0';
  int sum = product(kW2Minus, d[0]) + product(kW2Minus, d[1]) + product(kW3, d[2]) + product(kW5Minus, d[3]);
  return static_cast<char>('0' + (3 * sum) % 10);
}

char valueCheckDigit5(std::string_view d) {
  if (d.size() != 5 || !allDigits(d)) return '\0';
  int sum = product(kW5Plus, d[0]) + product(kW2Minus, d[1]) + product(kW5Minus, d[2]) + product(kW5Plus, d[3]) +
            product(kW2Minus, d[4]);
  int r = (10 - sum % 10) % 10;
  for (char c = '0'; c <= '9'; ++c) {
    if (product(kW5Minus, c) == r) return c;
  }
  return '\0';
}

std::vector<RcnLayout> rcnLayoutsForCountry(std::string_view c) {
  using K = MeasureKind;
  if (c == "SE" || c == "NO") {
    return {layout("20", "PPPPPPPPVVVV", K::kPrice, 2), layout("21", "PPPPPPPPVVVV", K::kPrice, 1),
            layout("22", "PPPPPPPPVVVV", K::kPrice, 0), layout("23", "PPPPPPPPVVVV", K::kWeightKg, 3),
            layout("24", "PPPPPPPPVVVV", K::kWeightKg, 2), layout("25", "PPPPPPPPVVVV", K::kWeightKg, 1)};
  }
  if (c == "DE") {
    return {layout("22", "PPPPPPCVVVVV", K::kPrice, 2), layout("23", "PPPPPPCVVVVV", K::kPrice, 2),
            layout("25", "PPPPPPCVVVVV", K::kCount, 0), layout("26", "PPPPPPCVVVVV", K::kCount, 0),
            layout("28", "PPPPPPCVVVVV", K::kWeightKg, 3), layout("29", "PPPPPPCVVVVV", K::kWeightKg, 3)};
  }
  if (c == "DK") {
    return {layout("21", "PPPPPPVVVVVV", K::kPrice, 2), layout("22", "PPPPPPVVVVVV", K::kPrice, 2),
            layout("23", "PPPPPPVVVVVV", K::kPrice, 2), layout("24", "PPPPPPVVVVVV", K::kPrice, 2),
            layout("26", "PPPPPPVVVVVV", K::kWeightKg, 3), layout("28", "PPPPPPVVVVVV", K::kWeightKg, 3),
            layout("27", "PPPPPPPVVVVV", K::kWeightKg, 3)};
  }
  if (c == "GB") return {layout("20", "PPPPPPPCVVVV", K::kPrice, 2)};
  if (c == "FI" || c == "EE" || c == "LV" || c == "LT") {
    return {layout("23", "PPPPPPPPVVVV", K::kWeightKg, 3), layout("24", "PPPPPPPPVVVV", K::kWeightKg, 2),
            layout("25", "PPPPPPPPVVVV", K::kWeightKg, 1)};
  }
  return {};
}

common::Result<std::optional<VariableMeasure>> decodeVariableMeasure(std::string_view ean13,
                                                                      const std::vector<RcnLayout>& layouts) {
  if (ean13.size() != 13 || !allDigits(ean13)) {
    return common::Error::reject("bad_length", "a variable-measure number is 13 digits");
  }
  const RcnLayout* l = nullptr;
  for (const RcnLayout& cand : layouts) {
    if (ean13.substr(0, 2) == cand.prefix) l = &cand;
  }
  if (!l) return std::optional<VariableMeasure>();
  if (l->pattern.size() != 12) return common::Error::reject("bad_layout", "a layout pattern has 12 characters");
  std::string value_digits;
  char check = '\0';
  std::string item(ean13.substr(0, 12));
  for (size_t i = 0; i < 12; ++i) {
    if (l->pattern[i] == 'V') {
      value_digits += ean13[i];
      item[i] = '0';
    } else if (l->pattern[i] == 'C') {
      check = ean13[i];
      item[i] = '0';
    }
  }
  if (check != '\0') {
    char want = value_digits.size() == 4 ? valueCheckDigit4(value_digits)
                : value_digits.size() == 5 ? valueCheckDigit5(value_digits)
                                           : '\0';
    if (want == '\0') return common::Error::reject("bad_layout", "a value check digit needs a 4- or 5-digit value");
    if (want != check) {
      return common::Error::reject("bad_check_digit", "the price/weight check digit of the variable-measure number is wrong");
    }
  }
  VariableMeasure vm;
  vm.kind = l->kind;
  vm.decimals = l->decimals;
  vm.value = std::stoll(value_digits);
  vm.item_code = item + gs1CheckDigit(item);
  return std::optional<VariableMeasure>(vm);
}

}  // namespace sw::fw
