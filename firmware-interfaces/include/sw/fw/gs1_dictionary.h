#pragma once
// The GS1 Application Identifier table. It is generated at build time from
// firmware-interfaces/data/gs1-syntax-dictionary.txt (the GS1 Barcode Syntax
// Dictionary, shipped unchanged with its Apache-2.0 licence) by
// tools/gs1_dict_gen.cpp; nothing here is typed by hand.

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

namespace sw::fw {

inline constexpr size_t kMaxAiComponents = 6;

// One component of an AI's value, e.g. "N6,yymmd0" or "[X..17]".
struct AiComponent {
  char cset = 'N';        // N digits, X CSET 82, Y CSET 39, Z base64url (CSET 64)
  uint8_t min_len = 0;    // equal to max_len for fixed-length components
  uint8_t max_len = 0;
  bool optional = false;  // "[...]": may be absent once the data is used up
  const char* linters = "";  // comma-separated linter names, e.g. "csum,gcppos2"
};

struct AiSpec {
  const char* ai = "";              // "01", "3103", "8003"
  bool predefined_length = false;   // flag '*': no FNC1/GS needed after it
  bool dl_attribute = false;        // flag '?': allowed as a Digital Link query parameter
  uint8_t component_count = 0;
  AiComponent components[kMaxAiComponents];
  // Each req= attribute is one requirement; several are separated by ' '.
  // Within one: ',' separates alternatives, '+' joins AIs that must all be present,
  // 'n' in a pattern matches any digit ("31nn").
  const char* req = "";
  const char* ex = "";              // ',' separated AIs or patterns this AI may not appear with
  bool dl_primary_key = false;      // "dlpkey" present
  const char* dl_qualifiers = "";   // "22,10,21|235": ordered qualifier sequences, '|' alternatives
  const char* title = "";

  size_t minLength() const;
  size_t maxLength() const;
};

// Every AI in the dictionary (ranges expanded), sorted by AI.
std::span<const AiSpec> gs1AiTable();
// The entry for exactly this AI, or nullptr.
const AiSpec* findAi(std::string_view ai);
// The AI the element string starts with (AIs are prefix-free), or nullptr.
const AiSpec* matchAiPrefix(std::string_view data);

// Reference lists the linters need, generated from Debian's iso-codes at build time.
bool isIso3166Numeric(std::string_view code);   // "276"
bool isIso3166Alpha2(std::string_view code);    // "DE"
bool isIso4217Numeric(std::string_view code);   // "978"

}  // namespace sw::fw
