#pragma once
// Catalog and prices on the coordinator: what the imports (POST /v1/catalog, /v1/prices)
// write, what GET /v1/catalog/{code}, GET /v1/catalog?q= (the search) and GET /v1/prices read,
// and the two downlink kinds that send them to the stores ("catalog" and "prices"; protocol in
// common/downlink.h).
//
// Tables (in the ledger's SQLite file, on this class's own connection; WAL, synchronous=FULL;
// created with CREATE TABLE IF NOT EXISTS and recorded as catalog_meta.schema = 1, because the
// file's user_version belongs to the ledger's migrations):
//   catalog_items(sku PK, name, unit, weight_priced, tax_class, active, gtins JSON, ver, updated_at_ms,
//                 ship_weight_g: the shipping weight of one unit, 0 = not given; schema step 2)
//   catalog_gtins(gtin PK, sku)                       GTIN-14 -> SKU, one owner per GTIN
//   price_entries(scope, sku, promotion, price_units, currency, starts_at_ms, ends_at_ms, ver, updated_at_ms)
//       scope "loc:L" (one location) or "list:P" (a price list); promotion '' is the base price
//   price_list_map(location PK, price_list, ver)     a location not listed uses price list "default"
//   catalog_counters(name PK, value)                 last version given out: "catalog", "prices"
//
// Versions: one import is one transaction and one version (the counter + 1), given only to
// the rows it really changed (a re-import of the same file changes nothing and wakes no one).
// The catalog is global, so its version is the same for every location. A location's price
// version is the newest version among the entries of its two scopes and its price-list
// mapping; changing the mapping makes the next request from its devices a snapshot, since
// the old list's entries must go. Nothing is ever deleted (an item is retired with
// active=false, a promotion is ended by importing it again with an earlier ends_at), so the
// changes after any version are always there and a device that was away catches up with
// deltas, however long it was away.
//
// Threads: every public method takes this object's lock; the HTTP threads import and read,
// the downlink worker reads.

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sw/common/build_info.h"
#include "sw/common/pricing.h"
#include "sw/common/sqlite.h"
#include "sw/coordinator/catalog/catalog_import.h"
#include "sw/coordinator/catalog/catalog_search.h"
#include "sw/coordinator/downlink/downlink.h"

namespace sw::coordinator {

struct CatalogItem {
  std::string sku;
  std::vector<std::string> gtins;
  std::string name;
  std::string unit;
  bool weight_priced = false;
  std::string tax_class;
  bool active = true;
  int64_t version = 0;
  int64_t updated_at_ms = 0;
  int64_t ship_weight_g = 0;  // the shipping weight of one unit; 0 = not given (import "weight_kg")
};

// What search() found: prefix matches first, then partial ones, each in SKU order.
struct CatalogHit {
  CatalogItem item;
  SearchMatch match = SearchMatch::kPrefix;
};
struct CatalogSearch {
  std::vector<CatalogHit> hits;  // at most `limit`
  bool truncated = false;        // more items matched than were given
};

struct ImportOutcome {
  size_t rows = 0;      // data rows in the upload
  size_t applied = 0;   // good rows written (changed or not)
  size_t changed = 0;   // of those, rows that differed from what was there
  int64_t version = 0;  // the version the changed rows got (0: nothing changed)
  std::vector<RowError> errors;
  std::vector<std::string> locations;  // locations whose data changed; empty with all_locations
  bool all_locations = false;
};

// Limits for POST /v1/catalog and /v1/prices (routes in catalog/routes.h).
struct CatalogHttpConfig {
  size_t max_body_bytes = 32u << 20;  // larger: 413 body_too_large
  ImportLimits limits;                 // more rows: 413 too_many_rows
};

struct PriceListMapping {
  std::string location;
  std::string price_list;
};

class SqliteCatalog {
 public:
  static common::Result<std::unique_ptr<SqliteCatalog>> open(const std::string& path,
                                                             const common::Clock& clock);
  // The schema version open() brings its tables to (for --version).
  static common::SchemaVersion schemaVersion();
  // The steps of its schema, in order: step i takes version i to i+1 (tests build a file of each
  // earlier version from them).
  static const std::vector<std::string>& schemaSteps();

  // Rows with errors (also those found here: unknown_sku, gtin_in_use) are left out; the
  // good rows are written in one transaction, all or none (a disk error refuses them all).
  common::Result<ImportOutcome> importCatalog(const ParsedImport<CatalogRow>& parsed);
  common::Result<ImportOutcome> importPrices(const ParsedImport<PriceRow>& parsed);
  // Sets (or, with price_list "default", resets) each location's price list, in one transaction.
  common::Result<ImportOutcome> setPriceLists(const std::vector<PriceListMapping>& mappings);
  common::Result<std::vector<PriceListMapping>> priceLists();

  // By SKU, or by GTIN (any of 8/12/13/14 digits with a valid check digit).
  common::Result<std::optional<CatalogItem>> item(const std::string& sku_or_gtin);
  // The shipping weight of one unit of a SKU in kg, for order routing; nullopt when the catalog
  // has none (or no such SKU, or the read failed).
  std::optional<double> shipWeightKg(const std::string& sku);
  // Items whose SKU, name or barcode starts with or holds `query` (rules in catalog_search.h),
  // retired ones too. Bad queries: the errors of searchKey(). Reads every item (no index helps a
  // match inside a name), keeping at most 2 * (limit + 1) of them.
  common::Result<CatalogSearch> search(std::string_view query, size_t limit);
  std::string priceListOf(const std::string& location);  // "default" when not mapped
  // The entries a location sees for one SKU (origin "location" or "price_list").
  common::Result<std::vector<common::PriceEntry>> priceEntries(const std::string& sku, const std::string& location);
  // Every location that has a location-scoped price or a price-list mapping.
  common::Result<std::vector<std::string>> locations();

  // Downlink: versions and pages (see the providers below).
  common::Result<int64_t> catalogVersion();
  common::Result<int64_t> priceVersion(const std::string& location);
  common::Result<common::DownPage> catalogPage(const common::DownRequest& req, size_t max_items);
  common::Result<common::DownPage> pricePage(const common::DownRequest& req, size_t max_items);

 private:
  SqliteCatalog(const common::Clock& clock) : clock_(clock) {}
  common::Status init(const std::string& path);
  common::Result<int64_t> nextVersion(const char* counter);
  common::Result<int64_t> mappingVersion(const std::string& location);
  std::string listOf(const std::string& location);  // priceListOf without the lock
  common::Result<std::optional<CatalogItem>> itemBySku(const std::string& sku);  // without the lock

  const common::Clock& clock_;
  std::mutex mu_;
  common::SqliteDb db_;
};

// The "catalog" kind. Items: {"sku","gtins","name","unit","weight_priced","tax_class","active","ver"}.
// Cursors: "s:<sku>" (snapshot, key order), "d:<ver>:<sku>" (changes, version order).
class CatalogProvider final : public DownlinkProvider {
 public:
  explicit CatalogProvider(SqliteCatalog& catalog) : catalog_(catalog) {}
  std::string kind() const override { return "catalog"; }
  common::Result<int64_t> version(const std::string&) override { return catalog_.catalogVersion(); }
  common::Result<common::DownPage> page(const common::DownRequest& request, const std::string&,
                                        size_t max_items) override {
    return catalog_.catalogPage(request, max_items);
  }

 private:
  SqliteCatalog& catalog_;
};

// The "prices" kind: the entries of the location's own scope and of its price list.
// Items: {"origin":"location"|"price_list","sku","promotion","price","currency",
// "starts_at_ms","ends_at_ms","ver"}; (origin, sku, promotion) is the key. Cursors:
// "s:<o>:<n>:<promotion><sku>" and "d:<ver>:<o>:<n>:<promotion><sku>" where o is L or P and n
// the promotion's length (SKUs may hold any printable character, so no separator is safe).
class PriceProvider final : public DownlinkProvider {
 public:
  explicit PriceProvider(SqliteCatalog& catalog) : catalog_(catalog) {}
  std::string kind() const override { return "prices"; }
  common::Result<int64_t> version(const std::string& location) override { return catalog_.priceVersion(location); }
  common::Result<common::DownPage> page(const common::DownRequest& request, const std::string&,
                                        size_t max_items) override {
    return catalog_.pricePage(request, max_items);
  }

 private:
  SqliteCatalog& catalog_;
};

}  // namespace sw::coordinator
