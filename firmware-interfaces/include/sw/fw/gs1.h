#pragma once
// GS1 data: check digits, element strings ("01...17..." with GS separators),
// GS1 Digital Link URIs, and the dictionary's association rules (req=/ex=).
// Pure functions over the generated AI table; no I/O.
//
// Every rejection is a kReject Error whose code says why:
//   no_data, unknown_ai, bad_length, missing_separator, bad_separator, bad_character,
//   bad_check_digit, bad_date, bad_time, bad_country, bad_currency, bad_value,
//   missing_required_ai, invalid_ai_pair, conflicting_ai, bad_digital_link.

#include <string>
#include <string_view>
#include <vector>

#include "sw/common/gtin.h"
#include "sw/common/result.h"
#include "sw/fw/gs1_dictionary.h"

namespace sw::fw {

inline constexpr char kGs = '\x1d';  // the GS1 field separator (FNC1 after the first position)

struct AiValue {
  std::string ai;
  std::string value;
  bool operator==(const AiValue&) const = default;
};

struct Gs1Options {
  // Four-digit current year for the YYMMDD century rule; 0 = take it from the system clock.
  int current_year = 0;
};

struct Gs1Message {
  std::vector<AiValue> ais;
  // Checks named in the dictionary that this build cannot perform (for example
  // "8110: couponcode"); the data passed every other check. Never silently passed.
  std::vector<std::string> unchecked;
};

// GS1 mod-10 check digits live in common (the coordinator checks catalog GTINs with them).
using common::gs1CheckDigit;
using common::gs1CheckDigitValid;

// Parses and validates an element string as a scanner sends it after a GS1 AIM id:
// no leading FNC1, later FNC1s as GS (0x1D), a trailing GS tolerated.
common::Result<Gs1Message> parseElementString(std::string_view data, const Gs1Options& options = {});

// Parses and validates a GS1 Digital Link URI (http:// or https://, all lower or all upper case).
// Path AIs come first in path order, then query AIs in the order given.
common::Result<Gs1Message> parseDigitalLink(std::string_view uri, const Gs1Options& options = {});

// Checks one AI's value against its dictionary specification and linters.
// Appends any linter this build cannot run to *unchecked.
common::Status validateAiValue(const AiSpec& spec, std::string_view value, const Gs1Options& options,
                               std::vector<std::string>* unchecked);

// Duplicates with different values, ex= exclusions and req= requirements over a whole message.
common::Status validateAssociations(const std::vector<AiValue>& ais);

// Linters named in the dictionary that this build does not implement.
const std::vector<std::string_view>& unimplementedLinters();
// True if the linter name is implemented here.
bool isLinterImplemented(std::string_view name);

}  // namespace sw::fw
