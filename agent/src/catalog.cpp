#include "sw/agent/catalog.h"

#include "sw/common/event.h"
#include "sw/common/gtin.h"
#include "sw/common/pricing.h"

namespace sw::agent {

using common::Error;
using common::Result;
using common::Status;
using nlohmann::json;

namespace {

// Step 1 is what releases before schema versions created (IF NOT EXISTS): it leaves their tables as
// they are and records version 1.
constexpr const char* kComponent = "agent_catalog";
const std::vector<std::string> kSchema = {
    "CREATE TABLE IF NOT EXISTS catalog_item (location TEXT NOT NULL, sku TEXT NOT NULL, name TEXT NOT NULL,"
    " unit TEXT NOT NULL, weight_priced INTEGER NOT NULL, tax_class TEXT NOT NULL, active INTEGER NOT NULL,"
    " gtins TEXT NOT NULL, ver INTEGER NOT NULL, gen INTEGER NOT NULL, PRIMARY KEY (location, sku));"
    "CREATE TABLE IF NOT EXISTS catalog_gtin (location TEXT NOT NULL, gtin TEXT NOT NULL, sku TEXT NOT NULL,"
    " PRIMARY KEY (location, gtin));"
    "CREATE INDEX IF NOT EXISTS catalog_gtin_by_sku ON catalog_gtin (location, sku);"
    "CREATE TABLE IF NOT EXISTS price_entry (location TEXT NOT NULL, origin TEXT NOT NULL, sku TEXT NOT NULL,"
    " promotion TEXT NOT NULL, price TEXT NOT NULL, currency TEXT NOT NULL, starts_at_ms INTEGER NOT NULL,"
    " ends_at_ms INTEGER NOT NULL, ver INTEGER NOT NULL, gen INTEGER NOT NULL,"
    " PRIMARY KEY (location, origin, sku, promotion));"
    "CREATE INDEX IF NOT EXISTS price_entry_by_sku ON price_entry (location, sku);",
};

bool isStr(const json& j, const char* k) { return j.contains(k) && j[k].is_string(); }
bool isBool(const json& j, const char* k) { return j.contains(k) && j[k].is_boolean(); }
bool isInt(const json& j, const char* k) { return j.contains(k) && j[k].is_number_integer(); }

json priceJson(const common::PriceEntry& e) {
  json j = {{"price", e.price.toString()}, {"currency", e.currency}, {"origin", e.origin}};
  if (!e.promotion.empty()) {
    j["promotion"] = e.promotion;
    j["starts_at"] = common::formatIsoUtcMs(e.starts_at_ms);
    j["ends_at"] = common::formatIsoUtcMs(e.ends_at_ms);
  }
  return j;
}

}  // namespace

Status createCatalogTables(Store& store) {
  return store.migrate({kComponent, kSchema, ""});
}

common::SchemaVersion catalogSchemaVersion() { return {kComponent, static_cast<int64_t>(kSchema.size())}; }

Status CatalogHandler::apply(common::SqliteDb& db, const common::DownPage& page, int64_t generation) {
  auto up = db.prepare(
      "INSERT INTO catalog_item (location, sku, name, unit, weight_priced, tax_class, active, gtins, ver, gen)"
      " VALUES (?,?,?,?,?,?,?,?,?,?) ON CONFLICT (location, sku) DO UPDATE SET name = excluded.name,"
      " unit = excluded.unit, weight_priced = excluded.weight_priced, tax_class = excluded.tax_class,"
      " active = excluded.active, gtins = excluded.gtins, ver = excluded.ver, gen = excluded.gen");
  auto drop = db.prepare("DELETE FROM catalog_gtin WHERE location = ? AND sku = ?");
  // A GTIN that moved to another SKU in the same version may arrive before the old owner's row.
  auto add = db.prepare("INSERT OR REPLACE INTO catalog_gtin (location, gtin, sku) VALUES (?,?,?)");
  for (auto* st : {&up, &drop, &add}) {
    if (!*st) return st->error();
  }
  for (const json& it : page.items) {
    if (!it.is_object() || !isStr(it, "sku") || !isStr(it, "name") || !isStr(it, "unit") || !isBool(it, "weight_priced") ||
        !isStr(it, "tax_class") || !isBool(it, "active") || !it.contains("gtins") || !it["gtins"].is_array() ||
        !isInt(it, "ver")) {
      return Error::reject("malformed", "catalog item needs sku, name, unit, weight_priced, tax_class, active, gtins, ver");
    }
    std::string sku = it["sku"].get<std::string>();
    std::vector<std::string> gtins;
    for (const json& g : it["gtins"]) {
      if (!g.is_string() || !common::normalizeGtin(g.get<std::string>())) {
        return Error::reject("malformed", "catalog item " + sku + " has a bad GTIN");
      }
      gtins.push_back(*common::normalizeGtin(g.get<std::string>()));
    }
    up->reset();
    up->bind(1, page.location).bind(2, sku).bind(3, it["name"].get<std::string>()).bind(4, it["unit"].get<std::string>())
        .bind(5, int64_t{it["weight_priced"].get<bool>()}).bind(6, it["tax_class"].get<std::string>())
        .bind(7, int64_t{it["active"].get<bool>()}).bind(8, json(gtins).dump()).bind(9, it["ver"].get<int64_t>())
        .bind(10, generation);
    if (auto s = up->run(); !s) return s;
    drop->reset();
    drop->bind(1, page.location).bind(2, sku);
    if (auto s = drop->run(); !s) return s;
    for (const std::string& g : gtins) {
      add->reset();
      add->bind(1, page.location).bind(2, g).bind(3, sku);
      if (auto s = add->run(); !s) return s;
    }
  }
  return {};
}

Status CatalogHandler::finishSnapshot(common::SqliteDb& db, const std::string& location, int64_t generation) {
  auto del = db.prepare("DELETE FROM catalog_item WHERE location = ? AND gen < ?");
  if (!del) return del.error();
  del->bind(1, location).bind(2, generation);
  if (auto s = del->run(); !s) return s;
  auto orphans = db.prepare(
      "DELETE FROM catalog_gtin WHERE location = ?1 AND sku NOT IN (SELECT sku FROM catalog_item WHERE location = ?1)");
  if (!orphans) return orphans.error();
  orphans->bind(1, location);
  return orphans->run();
}

Status PriceHandler::apply(common::SqliteDb& db, const common::DownPage& page, int64_t generation) {
  auto up = db.prepare(
      "INSERT INTO price_entry (location, origin, sku, promotion, price, currency, starts_at_ms, ends_at_ms, ver, gen)"
      " VALUES (?,?,?,?,?,?,?,?,?,?) ON CONFLICT (location, origin, sku, promotion) DO UPDATE SET"
      " price = excluded.price, currency = excluded.currency, starts_at_ms = excluded.starts_at_ms,"
      " ends_at_ms = excluded.ends_at_ms, ver = excluded.ver, gen = excluded.gen");
  if (!up) return up.error();
  for (const json& it : page.items) {
    if (!it.is_object() || !isStr(it, "origin") || !isStr(it, "sku") || !isStr(it, "promotion") || !isStr(it, "price") ||
        !isStr(it, "currency") || !isInt(it, "ver")) {
      return Error::reject("malformed", "price entry needs origin, sku, promotion, price, currency, ver");
    }
    std::string origin = it["origin"].get<std::string>();
    std::string promo = it["promotion"].get<std::string>();
    if ((origin != "location" && origin != "price_list") || !common::Decimal::parse(it["price"].get<std::string>())) {
      return Error::reject("malformed", "price entry has a bad origin or price");
    }
    int64_t starts = 0, ends = 0;
    if (!promo.empty()) {
      if (!isInt(it, "starts_at_ms") || !isInt(it, "ends_at_ms")) {
        return Error::reject("malformed", "a promotion needs starts_at_ms and ends_at_ms");
      }
      starts = it["starts_at_ms"].get<int64_t>();
      ends = it["ends_at_ms"].get<int64_t>();
    }
    up->reset();
    up->bind(1, page.location).bind(2, origin).bind(3, it["sku"].get<std::string>()).bind(4, promo)
        .bind(5, it["price"].get<std::string>()).bind(6, it["currency"].get<std::string>()).bind(7, starts)
        .bind(8, ends).bind(9, it["ver"].get<int64_t>()).bind(10, generation);
    if (auto s = up->run(); !s) return s;
  }
  return {};
}

Status PriceHandler::finishSnapshot(common::SqliteDb& db, const std::string& location, int64_t generation) {
  auto del = db.prepare("DELETE FROM price_entry WHERE location = ? AND gen < ?");
  if (!del) return del.error();
  del->bind(1, location).bind(2, generation);
  return del->run();
}

namespace {

// The price entries of one SKU at a location (rows whose price does not parse are skipped: they
// are checked when applied, and a row is never trusted blindly with money).
Result<std::vector<common::PriceEntry>> priceEntries(common::SqliteDb& db, const std::string& loc,
                                                     const std::string& sku) {
  auto pe = db.prepare(
      "SELECT origin, promotion, price, currency, starts_at_ms, ends_at_ms FROM price_entry WHERE location = ? AND sku = ?");
  if (!pe) return pe.error();
  pe->bind(1, loc).bind(2, sku);
  std::vector<common::PriceEntry> entries;
  while (true) {
    auto p = pe->step();
    if (!p) return p.error();
    if (!*p) break;
    auto d = common::Decimal::parse(pe->columnText(2));
    if (!d) continue;
    entries.push_back({pe->columnText(0), pe->columnText(1), *d, pe->columnText(3), pe->columnInt(4), pe->columnInt(5)});
  }
  return entries;
}

}  // namespace

Result<std::vector<common::PriceFlag>> checkSalePrices(Store& store, const std::vector<common::Line>& lines,
                                                       int64_t now_ms) {
  const std::string& loc = store.location();
  std::vector<common::PriceFlag> out;
  auto s = store.read([&](common::SqliteDb& db) -> Status {
    auto have = db.queryInt("SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name IN ('catalog_item', 'price_entry')");
    if (!have) return have.error();
    if (*have < 2) return {};
    auto any = db.prepare("SELECT 1 FROM catalog_item WHERE location = ? LIMIT 1");
    if (!any) return any.error();
    any->bind(1, loc);
    auto a = any->step();
    if (!a) return a.error();
    if (!*a) return {};  // no catalog here yet
    any->reset();
    auto item = db.prepare("SELECT weight_priced FROM catalog_item WHERE location = ? AND sku = ?");
    if (!item) return item.error();
    for (size_t i = 0; i < lines.size(); ++i) {
      const common::Line& l = lines[i];
      const auto n = static_cast<uint32_t>(i + 1);
      item->bind(1, loc).bind(2, l.sku);
      auto r = item->step();
      if (!r) return r.error();
      bool known = *r, weighed = known && item->columnInt(0) != 0;
      item->reset();
      if (!known) {
        out.push_back({n, common::PriceCheck::kUncatalogued, std::nullopt});
        continue;
      }
      auto entries = priceEntries(db, loc, l.sku);
      if (!entries) return entries.error();
      common::EffectivePrice price = common::resolvePrice(*entries, now_ms);
      std::optional<common::Decimal> list;
      if (price.current) list = price.current->price;
      if (!l.unit_price) {
        out.push_back({n, common::PriceCheck::kNoPrice, list});
      } else if (list && !weighed && l.unit_price->scaled() != list->scaled()) {
        out.push_back({n, common::PriceCheck::kOverride, list});
      }
    }
    return {};
  });
  if (!s) return s.error();
  return out;
}

Result<std::optional<json>> lookupItem(Store& store, const std::string& code, int64_t now_ms) {
  const std::string& loc = store.location();
  std::optional<json> item;
  std::vector<common::PriceEntry> entries;
  auto s = store.read([&](common::SqliteDb& db) -> Status {
    std::string sku = code;
    std::string matched = "sku";
    if (auto g = common::normalizeGtin(code)) {
      auto st = db.prepare("SELECT sku FROM catalog_gtin WHERE location = ? AND gtin = ?");
      if (!st) return st.error();
      st->bind(1, loc).bind(2, *g);
      auto r = st->step();
      if (!r) return r.error();
      if (*r) {
        sku = st->columnText(0);
        matched = "gtin";
      }
    }
    auto st = db.prepare(
        "SELECT sku, name, unit, weight_priced, tax_class, active, gtins, ver FROM catalog_item WHERE location = ? AND sku = ?");
    if (!st) return st.error();
    st->bind(1, loc).bind(2, sku);
    auto r = st->step();
    if (!r) return r.error();
    if (!*r) return {};
    json gtins = json::parse(st->columnText(6), nullptr, false);
    item = json{{"sku", st->columnText(0)},
                {"name", st->columnText(1)},
                {"unit", st->columnText(2)},
                {"weight_priced", st->columnInt(3) != 0},
                {"tax_class", st->columnText(4)},
                {"active", st->columnInt(5) != 0},
                {"gtins", gtins.is_array() ? gtins : json::array()},
                {"catalog_ver", st->columnInt(7)},
                {"code", code},
                {"matched", matched},
                {"location", loc}};
    auto found = priceEntries(db, loc, sku);
    if (!found) return found.error();
    entries = std::move(*found);
    return {};
  });
  if (!s) return s.error();
  if (!item) return std::optional<json>();
  common::EffectivePrice p = common::resolvePrice(entries, now_ms);
  json& j = *item;
  if (p.current) {
    j["price"] = priceJson(*p.current);
    j["price"]["source"] = p.current->promotion.empty() ? "base" : "promotion";
  } else {
    j["price"] = nullptr;
  }
  j["base_price"] = p.base ? priceJson(*p.base) : json(nullptr);
  json scheduled = json::array();
  for (const auto& e : p.scheduled) scheduled.push_back(priceJson(e));
  j["scheduled"] = scheduled;
  j["priced_at"] = common::formatIsoUtcMs(now_ms);
  auto est = store.estimateStock(j["sku"].get<std::string>());
  if (!est) return est.error();
  json stock = {{"location", loc}, {"estimate", 0}, {"in_view", false}, {"view_on_hand", 0}, {"own_unsynced_moves", 0}};
  for (const StockEstimate& e : *est) {
    if (e.location != loc) continue;
    stock = {{"location", loc}, {"estimate", e.estimate}, {"in_view", e.in_view}, {"view_on_hand", e.view_on_hand},
             {"own_unsynced_moves", e.own_unsynced_moves}};
  }
  j["stock"] = stock;
  return item;
}

}  // namespace sw::agent
