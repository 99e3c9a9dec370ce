#pragma once
// The agent's copy of the catalog and prices (downlink kinds "catalog" and "prices", sent by
// the coordinator's SqliteCatalog), and the item lookup behind GET /v1/items/{code}, which
// answers from this copy whether or not the coordinator can be reached.
//
// Tables (CREATE TABLE IF NOT EXISTS by createCatalogTables, outside the store's numbered
// schema so that other kinds can add theirs without renumbering):
//   catalog_item(location, sku PK, name, unit, weight_priced, tax_class, active, gtins JSON, ver, gen)
//   catalog_gtin(location, gtin PK, sku)          GTIN-14 -> SKU
//   price_entry(location, origin, sku, promotion PK, price, currency, starts_at_ms, ends_at_ms, ver, gen)
// Rows are kept per location the device follows (its own and --nearby ones): the catalog is
// the same everywhere, but a handheld may show a nearby store's prices one day, and one
// generation per (kind, location) keeps snapshots simple. gen is the snapshot a row came
// with (see DownlinkHandler); a finished snapshot drops older generations.

#include <cstdint>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "sw/agent/downlink.h"
#include "sw/agent/store.h"

namespace sw::agent {

common::Status createCatalogTables(Store& store);
// The version createCatalogTables brings them to (component agent_catalog).
common::SchemaVersion catalogSchemaVersion();

// Items: {"sku","gtins","name","unit","weight_priced","tax_class","active","ver"}.
class CatalogHandler final : public DownlinkHandler {
 public:
  std::string kind() const override { return "catalog"; }
  common::Status apply(common::SqliteDb& db, const common::DownPage& page, int64_t generation) override;
  common::Status finishSnapshot(common::SqliteDb& db, const std::string& location, int64_t generation) override;
};

// Items: {"origin","sku","promotion","price","currency","starts_at_ms","ends_at_ms","ver"}.
class PriceHandler final : public DownlinkHandler {
 public:
  std::string kind() const override { return "prices"; }
  common::Status apply(common::SqliteDb& db, const common::DownPage& page, int64_t generation) override;
  common::Status finishSnapshot(common::SqliteDb& db, const std::string& location, int64_t generation) override;
};

// A SKU, or a GTIN-8/12/13/14 as scanned (normalised to GTIN-14; a valid GTIN that is not in
// the catalog is then tried as a SKU, since SKUs may be all digits). The item at the store's
// own location with its effective price at now_ms (common/pricing.h) and the local stock
// estimate; nullopt when the copy has no such item.
common::Result<std::optional<nlohmann::json>> lookupItem(Store& store, const std::string& code, int64_t now_ms);

// A sale's lines checked against this copy's catalog and prices at the store's location at now_ms:
// a line without a price (no_price, with the catalog's price if it has one), a price other than
// the catalog's effective price (override, the catalog's beside it), a SKU the catalog does not
// have (uncatalogued). Nothing when this device has no catalog yet (nothing to check against).
// Weight-priced items are not compared (their catalog price is per unit of weight). Checks never
// refuse a sale: the flags travel with the event to the ledger.
common::Result<std::vector<common::PriceFlag>> checkSalePrices(Store& store, const std::vector<common::Line>& lines,
                                                               int64_t now_ms);

}  // namespace sw::agent
