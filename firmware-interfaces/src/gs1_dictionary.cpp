#include "sw/fw/gs1_dictionary.h"

#include <algorithm>
#include <cstring>

namespace sw::fw {

namespace generated {
extern const AiSpec kAiTable[];
extern const size_t kAiTableSize;
extern const char* const kIso3166Numeric[];
extern const size_t kIso3166NumericSize;
extern const char* const kIso3166Alpha2[];
extern const size_t kIso3166Alpha2Size;
extern const char* const kIso4217Numeric[];
extern const size_t kIso4217NumericSize;
}  // namespace generated

size_t AiSpec::minLength() const {
  size_t n = 0;
  for (uint8_t i = 0; i < component_count; ++i) {
    if (!components[i].optional) n += components[i].min_len;
  }
  return n;
}

size_t AiSpec::maxLength() const {
  size_t n = 0;
  for (uint8_t i = 0; i < component_count; ++i) n += components[i].max_len;
  return n;
}

std::span<const AiSpec> gs1AiTable() { return {generated::kAiTable, generated::kAiTableSize}; }

const AiSpec* findAi(std::string_view ai) {
  auto table = gs1AiTable();
  auto it = std::lower_bound(table.begin(), table.end(), ai,
                             [](const AiSpec& s, std::string_view key) { return std::string_view(s.ai) < key; });
  if (it != table.end() && std::string_view(it->ai) == ai) return &*it;
  return nullptr;
}

const AiSpec* matchAiPrefix(std::string_view data) {
  for (size_t len = 2; len <= 4 && len <= data.size(); ++len) {
    if (const AiSpec* s = findAi(data.substr(0, len))) return s;
  }
  return nullptr;
}

namespace {
bool inSortedList(const char* const* list, size_t n, std::string_view code) {
  auto end = list + n;
  auto it = std::lower_bound(list, end, code, [](const char* a, std::string_view b) { return std::string_view(a) < b; });
  return it != end && std::string_view(*it) == code;
}
}  // namespace

bool isIso3166Numeric(std::string_view code) {
  return inSortedList(generated::kIso3166Numeric, generated::kIso3166NumericSize, code);
}
bool isIso3166Alpha2(std::string_view code) {
  return inSortedList(generated::kIso3166Alpha2, generated::kIso3166Alpha2Size, code);
}
bool isIso4217Numeric(std::string_view code) {
  return inSortedList(generated::kIso4217Numeric, generated::kIso4217NumericSize, code);
}

}  // namespace sw::fw
