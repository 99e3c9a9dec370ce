#pragma once
// Shopify's search syntax, the part the simulator needs: terms "field:value",
// "field:>value", "field:>='2024-01-01T00:00:00Z'", values bare or quoted ('…' or "…" with
// backslash escapes), joined by whitespace or AND (both must hold) and OR.

#include <string>
#include <string_view>
#include <vector>

namespace sw::channelsim {

struct SearchTerm {
  std::string field;
  std::string op;  // ":", ">", ">=", "<", "<="
  std::string value;
};

// OR of ANDs. False (with *error) for text it cannot read.
bool parseSearch(std::string_view text, std::vector<std::vector<SearchTerm>>* out, std::string* error);

}  // namespace sw::channelsim
