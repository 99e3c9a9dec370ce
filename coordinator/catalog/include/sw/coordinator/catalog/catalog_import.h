#pragma once
// Reading catalog and price uploads (POST /v1/catalog, POST /v1/prices): JSON lines or CSV
// with a header row, every row checked on its own. Pure functions: no database, no HTTP, so
// they can be unit-tested and fuzzed. What needs the database (is the SKU in the catalog, is
// a GTIN already another SKU's) is checked when the rows are applied (catalog.h).
//
// Row numbers are the 1-based line where the row starts in the body (the CSV header is line
// 1), which is what a person sees in an editor. A row with any error is left out entirely;
// the other rows are returned for applying.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sw/common/decimal.h"
#include "sw/common/result.h"

namespace sw::coordinator {

enum class ImportFormat { kJsonLines, kCsv };

// application/x-ndjson, application/jsonl (and application/json-seq-less variants seen in the
// wild: application/x-jsonlines, application/jsonlines) or text/csv; parameters ignored.
std::optional<ImportFormat> importFormatFor(std::string_view content_type);
// Uploads are read as UTF-8 (a UTF-8 byte-order mark is skipped). A reject bad_encoding, saying
// what the upload is instead, when its Content-Type declares another charset or its bytes are
// UTF-16 or UTF-32 (a byte-order mark, or NUL bytes, which UTF-8 text never holds). Single bad
// bytes in an otherwise UTF-8 file are left to the row they are in (row error bad_utf8).
common::Status checkUploadEncoding(std::string_view body, std::string_view content_type);

struct ImportLimits {
  size_t max_rows = 100'000;       // more rows: the whole upload is refused (too_many_rows)
  size_t max_row_bytes = 16 * 1024;  // a longer row is a row error (row_too_long)
};

struct RowError {
  size_t row = 0;
  std::string code;
  std::string message;
};

struct CatalogRow {
  size_t row = 0;
  std::string sku;
  std::vector<std::string> gtins;  // GTIN-14, checked, no repeats
  std::string name;
  std::string unit;
  bool weight_priced = false;
  std::string tax_class;
  bool active = true;
  int64_t ship_weight_g = 0;  // optional "weight_kg" (the shipping weight of one unit), in grams; 0 = not given
};

struct PriceRow {
  size_t row = 0;
  std::string sku;
  common::Decimal price;
  std::string currency;
  std::string location;    // exactly one of location and price_list
  std::string price_list;
  std::string promotion;   // empty: the base price
  int64_t starts_at_ms = 0;
  int64_t ends_at_ms = 0;
  // "loc:LOCATION" or "list:PRICE_LIST".
  std::string scope() const { return location.empty() ? "list:" + price_list : "loc:" + location; }
};

template <typename Row>
struct ParsedImport {
  std::vector<Row> rows;         // rows without errors, in upload order
  std::vector<RowError> errors;  // in row order
  size_t total_rows = 0;         // data rows seen (good and bad)
};

// Errors for the whole upload (nothing applied): empty_body, too_many_rows, bad_header
// (missing_column / unknown_column / duplicate_column in the message), bad_encoding.
common::Result<ParsedImport<CatalogRow>> parseCatalogImport(std::string_view body, ImportFormat format,
                                                            const ImportLimits& limits = {});
common::Result<ParsedImport<PriceRow>> parsePriceImport(std::string_view body, ImportFormat format,
                                                        const ImportLimits& limits = {});

inline constexpr const char* kUnits[] = {"each", "kg", "g", "lb", "oz", "l", "ml", "m", "cm"};
bool isWeightUnit(std::string_view unit);

}  // namespace sw::coordinator
