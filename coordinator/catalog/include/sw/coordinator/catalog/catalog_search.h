#pragma once
// Finding catalog items by what a person types (GET /v1/catalog?q=, the console's stock search):
// part of a SKU, of a name, or of a barcode as printed. Pure text rules, no storage, so they
// can be read and tested on their own; SqliteCatalog::search applies them to every item.
//
// A query is compared case-insensitively, with simple one-to-one case folding of ASCII, Latin-1,
// Latin Extended-A (Polish, Czech, Hungarian ...), modern Greek and basic Cyrillic (U+0400-U+042F)
// letters; any other character must match as it is (no accent stripping, no "ß" = "ss"). Every character is taken
// literally: '%', '_', '*' and '\' are not wildcards.
//
// An item matches as a prefix when its SKU, its name, or one of its barcodes starts with the
// query, and as partial when the query is found anywhere else in them. A barcode is stored as
// GTIN-14, but printed as GTIN-13, UPC-A (12) or EAN-8 with the leading zeros left out: a query
// that starts one of those printed forms is a prefix match too (e.g. "4006" for 04006381333931).

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sw/common/result.h"

namespace sw::coordinator {

inline constexpr size_t kMaxSearchChars = 64;  // characters (code points) of a query

enum class SearchMatch { kPrefix, kPartial };  // prefix matches rank first
const char* searchMatchName(SearchMatch m);    // "prefix", "partial"

// The query as it is matched: spaces, tabs and line breaks around it dropped, then folded.
// Errors (reject): missing_param (empty or only spaces), bad_param (not UTF-8, or longer than
// kMaxSearchChars characters).
common::Result<std::string> searchKey(std::string_view query);

// text with the letters named above folded to lower case. Bytes that are not valid UTF-8 are kept
// as they are.
std::string foldCase(std::string_view text);

// How an item matches key (from searchKey), or nullopt. gtins are GTIN-14 as stored.
std::optional<SearchMatch> matchItem(std::string_view key, std::string_view sku, std::string_view name,
                                     const std::vector<std::string>& gtins);

}  // namespace sw::coordinator
