#include "sw/coordinator/catalog/catalog_search.h"

#include "sw/common/json_text.h"

namespace sw::coordinator {

using common::Error;

namespace {

// The lower-case partner of a code point of the blocks named in catalog_search.h, or cp itself.
// Every letter folded here and its partner take two bytes in UTF-8, except U+017F (long s) -> 's'.
char32_t foldCodePoint(char32_t cp) {
  if (cp >= 0xC0 && cp <= 0xDE && cp != 0xD7) return cp + 0x20;  // À..Þ, not ×
  if (cp >= 0x100 && cp <= 0x17F) {
    // Latin Extended-A pairs capital and small letter side by side; which one comes first
    // changes twice. U+0130 (İ), U+0131 (ı), U+0138 (ĸ) and U+0149 (ŉ) have no simple partner.
    const bool even_capital = (cp <= 0x12F) || (cp >= 0x132 && cp <= 0x137) || (cp >= 0x14A && cp <= 0x177);
    const bool odd_capital = (cp >= 0x139 && cp <= 0x148) || (cp >= 0x179 && cp <= 0x17E);
    if (even_capital && cp % 2 == 0) return cp + 1;
    if (odd_capital && cp % 2 == 1) return cp + 1;
    if (cp == 0x178) return 0xFF;  // Ÿ -> ÿ
    if (cp == 0x17F) return 's';
    return cp;
  }
  if (cp >= 0x391 && cp <= 0x3AB && cp != 0x3A2) return cp + 0x20;  // Greek Α..Ω, Ϊ, Ϋ
  if (cp == 0x386) return 0x3AC;                                    // Greek capitals with tonos
  if (cp >= 0x388 && cp <= 0x38A) return cp + 0x25;
  if (cp == 0x38C) return 0x3CC;
  if (cp == 0x38E || cp == 0x38F) return cp + 0x3F;
  if (cp == 0x3C2) return 0x3C3;                                    // final ς as σ
  if (cp >= 0x400 && cp <= 0x40F) return cp + 0x50;                 // Cyrillic Ѐ..Џ
  if (cp >= 0x410 && cp <= 0x42F) return cp + 0x20;                 // Cyrillic А..Я
  return cp;
}

void appendUtf8(std::string& out, char32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else {  // every folded code point is below U+0800
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

bool startsWith(std::string_view text, std::string_view key) { return text.substr(0, key.size()) == key; }

// The forms a GTIN-14 is printed in: itself, and GTIN-13, UPC-A (12) and EAN-8 where the digits
// left out are zeros.
bool startsAPrintedForm(std::string_view gtin14, std::string_view key) {
  for (size_t drop : {0, 1, 2, 6}) {
    if (drop >= gtin14.size()) break;
    if (gtin14.substr(0, drop).find_first_not_of('0') != std::string_view::npos) break;
    if (startsWith(gtin14.substr(drop), key)) return true;
  }
  return false;
}

}  // namespace

const char* searchMatchName(SearchMatch m) { return m == SearchMatch::kPrefix ? "prefix" : "partial"; }

std::string foldCase(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    const auto b = static_cast<unsigned char>(text[i]);
    if (b < 0x80) {
      out += (b >= 'A' && b <= 'Z') ? static_cast<char>(b + ('a' - 'A')) : static_cast<char>(b);
      continue;
    }
    // Only two-byte sequences hold letters that fold; longer ones, and stray bytes, are copied.
    const unsigned char next = i + 1 < text.size() ? static_cast<unsigned char>(text[i + 1]) : 0;
    if (b >= 0xC2 && b <= 0xDF && (next & 0xC0) == 0x80) {
      appendUtf8(out, foldCodePoint(((char32_t{b} & 0x1F) << 6) | (char32_t{next} & 0x3F)));
      ++i;
      continue;
    }
    out += static_cast<char>(b);
  }
  return out;
}

common::Result<std::string> searchKey(std::string_view query) {
  constexpr std::string_view kSpace = " \t\r\n";
  const size_t first = query.find_first_not_of(kSpace);
  if (first == std::string_view::npos) {
    return Error::reject("missing_param", "give ?q= with 1 to " + std::to_string(kMaxSearchChars) +
                                              " characters of a SKU, a name or a barcode");
  }
  query = query.substr(first, query.find_last_not_of(kSpace) - first + 1);
  if (auto bad = common::firstInvalidUtf8(query)) {
    return Error::reject("bad_param", "q must be UTF-8 text; byte " + std::to_string(*bad + 1) + " is not");
  }
  size_t chars = 0;
  for (char c : query) {
    const auto b = static_cast<unsigned char>(c);
    if (b < 0x20 || b == 0x7F) return Error::reject("bad_param", "q must not hold control characters");
    if ((b & 0xC0) != 0x80) ++chars;
  }
  if (chars > kMaxSearchChars) {
    return Error::reject("bad_param", "q is " + std::to_string(chars) + " characters long; give at most " +
                                          std::to_string(kMaxSearchChars));
  }
  return foldCase(query);
}

std::optional<SearchMatch> matchItem(std::string_view key, std::string_view sku, std::string_view name,
                                     const std::vector<std::string>& gtins) {
  const std::string s = foldCase(sku), n = foldCase(name);
  if (startsWith(s, key) || startsWith(n, key)) return SearchMatch::kPrefix;
  for (const std::string& g : gtins) {
    if (startsAPrintedForm(g, key)) return SearchMatch::kPrefix;
  }
  if (s.find(key) != std::string::npos || n.find(key) != std::string::npos) return SearchMatch::kPartial;
  for (const std::string& g : gtins) {
    if (g.find(key) != std::string::npos) return SearchMatch::kPartial;
  }
  return std::nullopt;
}

}  // namespace sw::coordinator
