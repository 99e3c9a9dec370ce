// The catalog search's text rules (coordinator/catalog/catalog_search.h) on any bytes: a query,
// then, after NUL bytes, an item's SKU, name and barcodes. None may crash, and:
//   - a query searchKey() takes is not empty, is folded already (folding it again changes
//     nothing) and has at most kMaxSearchChars characters;
//   - an item whose SKU is the query as typed matches it as a prefix;
//   - an item matches the query only if its folded SKU, name or a barcode form holds the key.

#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "sw/coordinator/catalog/catalog_search.h"

namespace {

size_t codePoints(std::string_view s) {
  size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80 ? 1 : 0;
  return n;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace sw::coordinator;
  std::string_view all(reinterpret_cast<const char*>(data), size);
  std::vector<std::string_view> parts;
  size_t at = 0;
  while (parts.size() < 5) {
    size_t nul = all.find('\0', at);
    parts.push_back(all.substr(at, nul == std::string_view::npos ? std::string_view::npos : nul - at));
    if (nul == std::string_view::npos) break;
    at = nul + 1;
  }
  const std::string_view query = parts[0];
  (void)foldCase(query);
  auto key = searchKey(query);
  if (!key) return 0;
  if (key->empty() || foldCase(*key) != *key || codePoints(*key) > kMaxSearchChars) std::abort();
  std::vector<std::string> gtins;
  for (size_t i = 3; i < parts.size(); ++i) gtins.emplace_back(parts[i]);
  const std::string_view sku = parts.size() > 1 ? parts[1] : std::string_view();
  const std::string_view name = parts.size() > 2 ? parts[2] : std::string_view();
  auto m = matchItem(*key, sku, name, gtins);
  // The query itself as the SKU: always a prefix match.
  auto self = matchItem(*key, *key, "", {});
  if (!self || *self != SearchMatch::kPrefix) std::abort();
  if (m) {
    bool held = foldCase(sku).find(*key) != std::string::npos || foldCase(name).find(*key) != std::string::npos;
    for (const std::string& g : gtins) held = held || foldCase(g).find(*key) != std::string::npos;
    // A barcode's printed forms drop leading zeros: they are inside the stored GTIN-14 too.
    if (!held) std::abort();
  }
  return 0;
}
