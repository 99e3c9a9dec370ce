// Catalog and price uploads: the first byte picks catalog or prices and CSV or JSON lines,
// the rest is the body. Checks what must hold for any input: every row is either returned
// or reported (never both, never lost), errors come in row order, and returned rows passed
// their checks (GTIN-14 with a valid check digit, non-negative prices, windows that end
// after they start).

#include <cstdint>
#include <cstdlib>
#include <set>
#include <string>

#include "sw/common/gtin.h"
#include "sw/coordinator/catalog/catalog_import.h"

using namespace sw;
using namespace sw::coordinator;

namespace {

void check(bool ok) {
  if (!ok) std::abort();
}

template <typename Parsed>
void checkRows(const Parsed& p) {
  check(p.rows.size() + p.errors.size() >= p.total_rows);  // each row kept or reported
  std::set<size_t> good;
  for (const auto& r : p.rows) good.insert(r.row);
  for (size_t i = 1; i < p.errors.size(); ++i) check(p.errors[i - 1].row <= p.errors[i].row);
  for (const auto& e : p.errors) {
    check(!good.count(e.row));
    check(!e.code.empty());
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  ImportFormat format = data[0] & 1 ? ImportFormat::kCsv : ImportFormat::kJsonLines;
  bool prices = data[0] & 2;
  std::string_view body(reinterpret_cast<const char*>(data + 1), size - 1);
  ImportLimits limits;
  limits.max_rows = 1000;
  limits.max_row_bytes = 2048;
  if (prices) {
    auto p = parsePriceImport(body, format, limits);
    if (!p) return 0;
    checkRows(*p);
    for (const PriceRow& r : p->rows) {
      check(r.price.scaled() >= 0);
      check(r.location.empty() != r.price_list.empty());
      check(r.promotion.empty() || r.ends_at_ms > r.starts_at_ms);
    }
  } else {
    auto p = parseCatalogImport(body, format, limits);
    if (!p) return 0;
    checkRows(*p);
    for (const CatalogRow& r : p->rows) {
      for (const std::string& g : r.gtins) check(g.size() == 14 && common::gs1CheckDigitValid(g));
      check(!r.weight_priced || isWeightUnit(r.unit));
    }
  }
  return 0;
}
