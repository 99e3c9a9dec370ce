#include "sw/coordinator/catalog/catalog.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <charconv>
#include <set>

#include "sw/common/event.h"
#include "sw/common/gtin.h"
#include "sw/common/log.h"

namespace sw::coordinator {

using common::Error;
using common::Result;
using common::SqliteStmt;
using common::Status;
using nlohmann::json;

namespace {

// Steps of the catalog's tables (versioned in schema_versions; releases before that kept '1' in
// catalog_meta, which is read once and then left alone).
const common::SqliteSchema kSchema = {"catalog", {
    "CREATE TABLE IF NOT EXISTS catalog_counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL);"
    "INSERT OR IGNORE INTO catalog_counters (name, value) VALUES ('catalog', 0), ('prices', 0);"
    "CREATE TABLE IF NOT EXISTS catalog_items (sku TEXT PRIMARY KEY, name TEXT NOT NULL, unit TEXT NOT NULL,"
    " weight_priced INTEGER NOT NULL, tax_class TEXT NOT NULL, active INTEGER NOT NULL, gtins TEXT NOT NULL,"
    " ver INTEGER NOT NULL, updated_at_ms INTEGER NOT NULL);"
    "CREATE INDEX IF NOT EXISTS catalog_items_by_ver ON catalog_items (ver, sku);"
    "CREATE TABLE IF NOT EXISTS catalog_gtins (gtin TEXT PRIMARY KEY, sku TEXT NOT NULL);"
    "CREATE INDEX IF NOT EXISTS catalog_gtins_by_sku ON catalog_gtins (sku);"
    "CREATE TABLE IF NOT EXISTS price_entries (scope TEXT NOT NULL, sku TEXT NOT NULL, promotion TEXT NOT NULL,"
    " price_units INTEGER NOT NULL, currency TEXT NOT NULL, starts_at_ms INTEGER NOT NULL DEFAULT 0,"
    " ends_at_ms INTEGER NOT NULL DEFAULT 0, ver INTEGER NOT NULL, updated_at_ms INTEGER NOT NULL,"
    " PRIMARY KEY (scope, sku, promotion));"
    "CREATE INDEX IF NOT EXISTS price_entries_by_ver ON price_entries (scope, ver);"
    "CREATE TABLE IF NOT EXISTS price_list_map (location TEXT PRIMARY KEY, price_list TEXT NOT NULL,"
    " ver INTEGER NOT NULL);",
    // 2: the shipping weight of one unit, in grams (0 = not given), for order routing
    "ALTER TABLE catalog_items ADD COLUMN ship_weight_g INTEGER NOT NULL DEFAULT 0;",
}, "catalog_meta"};

constexpr const char* kDefaultList = "default";

// The columns itemFrom() reads, in its order.
constexpr const char* kItemColumns =
    "sku, name, unit, weight_priced, tax_class, active, gtins, ver, updated_at_ms, ship_weight_g";

// The stored GTIN list (a JSON array of strings); anything unreadable counts as none.
std::vector<std::string> gtinsFrom(const std::string& stored) {
  std::vector<std::string> out;
  json g = json::parse(stored, nullptr, false);
  if (!g.is_array()) return out;
  for (const json& x : g) {
    if (x.is_string()) out.push_back(x.get<std::string>());
  }
  return out;
}

CatalogItem itemFrom(const SqliteStmt& st) {
  CatalogItem it;
  it.sku = st.columnText(0);
  it.name = st.columnText(1);
  it.unit = st.columnText(2);
  it.weight_priced = st.columnInt(3) != 0;
  it.tax_class = st.columnText(4);
  it.active = st.columnInt(5) != 0;
  it.gtins = gtinsFrom(st.columnText(6));
  it.version = st.columnInt(7);
  it.updated_at_ms = st.columnInt(8);
  it.ship_weight_g = st.columnInt(9);
  return it;
}

std::string locScope(const std::string& l) { return "loc:" + l; }
std::string listScope(const std::string& p) { return "list:" + p; }

// Runs fn inside SAVEPOINT row: a row that fails on a constraint is rolled back alone and
// reported; a disk or I/O error ends the whole import.
Status inSavepoint(common::SqliteDb& db, const std::function<Status()>& fn, std::optional<Error>* row_error) {
  auto sp = common::SqliteSavepoint::begin(db, "import_row");
  if (!sp) return sp.error();
  Status s = fn();
  if (s) return sp->release();
  if (s.error().kind != common::ErrorKind::kReject) return s;  // the savepoint is rolled back on the way out
  *row_error = s.error();
  return sp->rollback();
}

// "<o>:<n>:<promotion><sku>" -> parts; see PriceProvider.
bool parsePriceKey(std::string_view k, std::string* o, std::string* sku, std::string* promo) {
  if (k.size() < 4 || (k[0] != 'L' && k[0] != 'P') || k[1] != ':') return false;
  size_t colon = k.find(':', 2);
  if (colon == std::string_view::npos) return false;
  size_t n = 0;
  auto [p, ec] = std::from_chars(k.data() + 2, k.data() + colon, n);
  if (ec != std::errc() || p != k.data() + colon || n > k.size() - colon - 1) return false;
  *o = std::string(1, k[0]);
  *promo = std::string(k.substr(colon + 1, n));
  *sku = std::string(k.substr(colon + 1 + n));
  return !sku->empty();
}

std::string priceKey(const std::string& o, const std::string& sku, const std::string& promo) {
  return o + ":" + std::to_string(promo.size()) + ":" + promo + sku;
}

}  // namespace

common::SchemaVersion SqliteCatalog::schemaVersion() {
  return common::schemaVersionOf(kSchema);
}

const std::vector<std::string>& SqliteCatalog::schemaSteps() { return kSchema.steps; }

Result<std::unique_ptr<SqliteCatalog>> SqliteCatalog::open(const std::string& path, const common::Clock& clock) {
  std::unique_ptr<SqliteCatalog> c(new SqliteCatalog(clock));
  if (auto s = c->init(path); !s) return s.error();
  return c;
}

Status SqliteCatalog::init(const std::string& path) {
  // Imports share the file with the ledger's writer: wait for it rather than fail an upload.
  auto db = common::SqliteDb::open({.path = path, .busy_timeout_ms = 30'000});
  if (!db) return db.error();
  db_ = std::move(*db);
  return db_.migrate(kSchema);
}

Result<int64_t> SqliteCatalog::nextVersion(const char* counter) {
  auto st = db_.prepare("UPDATE catalog_counters SET value = value + 1 WHERE name = ? RETURNING value");
  if (!st) return st.error();
  st->bind(1, std::string_view(counter));
  auto r = st->step();
  if (!r) return r.error();
  if (!*r) return Error::fatal("no_counter", std::string("counter ") + counter + " is missing");
  return st->columnInt(0);
}

Result<ImportOutcome> SqliteCatalog::importCatalog(const ParsedImport<CatalogRow>& parsed) {
  std::lock_guard<std::mutex> lock(mu_);
  ImportOutcome out;
  out.rows = parsed.total_rows;
  out.errors = parsed.errors;
  auto txn = common::SqliteTxn::begin(db_);
  if (!txn) return txn.error();
  auto owner = db_.prepare("SELECT sku FROM catalog_gtins WHERE gtin = ?");
  auto cur = db_.prepare(
      "SELECT name, unit, weight_priced, tax_class, active, gtins, ship_weight_g FROM catalog_items WHERE sku = ?");
  auto up = db_.prepare(
      "INSERT INTO catalog_items (sku, name, unit, weight_priced, tax_class, active, gtins, ver, updated_at_ms,"
      " ship_weight_g) VALUES (?,?,?,?,?,?,?,?,?,?) ON CONFLICT (sku) DO UPDATE SET name = excluded.name,"
      " unit = excluded.unit, weight_priced = excluded.weight_priced, tax_class = excluded.tax_class,"
      " active = excluded.active, gtins = excluded.gtins, ver = excluded.ver, updated_at_ms = excluded.updated_at_ms,"
      " ship_weight_g = excluded.ship_weight_g");
  auto drop = db_.prepare("DELETE FROM catalog_gtins WHERE sku = ?");
  auto add = db_.prepare("INSERT INTO catalog_gtins (gtin, sku) VALUES (?, ?)");
  for (auto* st : {&owner, &cur, &up, &drop, &add}) {
    if (!*st) return st->error();
  }
  int64_t now = clock_.nowMs();
  for (const CatalogRow& row : parsed.rows) {
    std::optional<Error> row_error;
    bool allocated_here = false;
    auto s = inSavepoint(db_, [&]() -> Status {
      for (const std::string& g : row.gtins) {
        owner->reset();
        owner->bind(1, g);
        auto r = owner->step();
        if (!r) return r.error();
        if (*r && owner->columnText(0) != row.sku) {
          return Error::reject("gtin_in_use", "GTIN " + g + " belongs to SKU " + owner->columnText(0) +
                                                  " (remove it there first, in an earlier row or upload)");
        }
      }
      std::string gtins = json(row.gtins).dump();
      cur->reset();
      cur->bind(1, row.sku);
      auto r = cur->step();
      if (!r) return r.error();
      if (*r && cur->columnText(0) == row.name && cur->columnText(1) == row.unit &&
          (cur->columnInt(2) != 0) == row.weight_priced && cur->columnText(3) == row.tax_class &&
          (cur->columnInt(4) != 0) == row.active && cur->columnText(5) == gtins && cur->columnInt(6) == row.ship_weight_g) {
        return {};  // unchanged: no new version, nothing sent down
      }
      cur->reset();
      if (out.version == 0) {
        auto v = nextVersion("catalog");
        if (!v) return v.error();
        out.version = *v;
        allocated_here = true;  // the row's rollback also takes the counter back
      }
      up->reset();
      up->bind(1, row.sku).bind(2, row.name).bind(3, row.unit).bind(4, int64_t{row.weight_priced})
          .bind(5, row.tax_class).bind(6, int64_t{row.active}).bind(7, gtins).bind(8, out.version).bind(9, now)
          .bind(10, row.ship_weight_g);
      if (auto w = up->run(); !w) return w;
      drop->reset();
      drop->bind(1, row.sku);
      if (auto w = drop->run(); !w) return w;
      for (const std::string& g : row.gtins) {
        add->reset();
        add->bind(1, g).bind(2, row.sku);
        if (auto w = add->run(); !w) return w;
      }
      ++out.changed;
      return {};
    }, &row_error);
    if (!s) return s.error();
    if (row_error && allocated_here) out.version = 0;
    if (row_error) out.errors.push_back({row.row, row_error->code, row_error->message});
    else ++out.applied;
  }
  if (auto s = txn->commit(); !s) return s.error();
  std::stable_sort(out.errors.begin(), out.errors.end(), [](const RowError& a, const RowError& b) { return a.row < b.row; });
  out.all_locations = out.changed > 0;  // the catalog is the same everywhere
  return out;
}

Result<ImportOutcome> SqliteCatalog::importPrices(const ParsedImport<PriceRow>& parsed) {
  std::lock_guard<std::mutex> lock(mu_);
  ImportOutcome out;
  out.rows = parsed.total_rows;
  out.errors = parsed.errors;
  auto txn = common::SqliteTxn::begin(db_);
  if (!txn) return txn.error();
  auto known = db_.prepare("SELECT 1 FROM catalog_items WHERE sku = ?");
  auto cur = db_.prepare(
      "SELECT price_units, currency, starts_at_ms, ends_at_ms FROM price_entries WHERE scope = ? AND sku = ? AND promotion = ?");
  auto up = db_.prepare(
      "INSERT INTO price_entries (scope, sku, promotion, price_units, currency, starts_at_ms, ends_at_ms, ver, updated_at_ms)"
      " VALUES (?,?,?,?,?,?,?,?,?) ON CONFLICT (scope, sku, promotion) DO UPDATE SET price_units = excluded.price_units,"
      " currency = excluded.currency, starts_at_ms = excluded.starts_at_ms, ends_at_ms = excluded.ends_at_ms,"
      " ver = excluded.ver, updated_at_ms = excluded.updated_at_ms");
  auto mapped = db_.prepare("SELECT location FROM price_list_map WHERE price_list = ?");
  for (auto* st : {&known, &cur, &up, &mapped}) {
    if (!*st) return st->error();
  }
  std::set<std::string> locations;
  int64_t now = clock_.nowMs();
  for (const PriceRow& row : parsed.rows) {
    std::optional<Error> row_error;
    bool changed = false;
    bool allocated_here = false;
    auto s = inSavepoint(db_, [&]() -> Status {
      known->reset();
      known->bind(1, row.sku);
      auto k = known->step();
      if (!k) return k.error();
      if (!*k) return Error::reject("unknown_sku", "SKU " + row.sku + " is not in the catalog (import it first)");
      cur->reset();
      cur->bind(1, row.scope()).bind(2, row.sku).bind(3, row.promotion);
      auto r = cur->step();
      if (!r) return r.error();
      if (*r && cur->columnInt(0) == row.price.scaled() && cur->columnText(1) == row.currency &&
          cur->columnInt(2) == row.starts_at_ms && cur->columnInt(3) == row.ends_at_ms) {
        return {};
      }
      cur->reset();
      if (out.version == 0) {
        auto v = nextVersion("prices");
        if (!v) return v.error();
        out.version = *v;
        allocated_here = true;  // the row's rollback also takes the counter back
      }
      up->reset();
      up->bind(1, row.scope()).bind(2, row.sku).bind(3, row.promotion).bind(4, row.price.scaled()).bind(5, row.currency)
          .bind(6, row.starts_at_ms).bind(7, row.ends_at_ms).bind(8, out.version).bind(9, now);
      if (auto w = up->run(); !w) return w;
      changed = true;
      return {};
    }, &row_error);
    if (!s) return s.error();
    if (row_error && allocated_here) out.version = 0;
    if (row_error) {
      out.errors.push_back({row.row, row_error->code, row_error->message});
      continue;
    }
    ++out.applied;
    if (!changed) continue;
    ++out.changed;
    if (!row.location.empty()) {
      locations.insert(row.location);
    } else if (row.price_list == kDefaultList) {
      out.all_locations = true;  // every location without a mapping: not a list we can name
    } else {
      mapped->reset();
      mapped->bind(1, row.price_list);
      if (auto each_ok = mapped->eachRow([&](const common::SqliteStmt&) {
        locations.insert(mapped->columnText(0));
      }); !each_ok) {
        return each_ok.error();
      }
    }
  }
  if (auto s = txn->commit(); !s) return s.error();
  std::stable_sort(out.errors.begin(), out.errors.end(), [](const RowError& a, const RowError& b) { return a.row < b.row; });
  out.locations.assign(locations.begin(), locations.end());
  return out;
}

Result<ImportOutcome> SqliteCatalog::setPriceLists(const std::vector<PriceListMapping>& mappings) {
  std::lock_guard<std::mutex> lock(mu_);
  ImportOutcome out;
  out.rows = mappings.size();
  auto txn = common::SqliteTxn::begin(db_);
  if (!txn) return txn.error();
  auto cur = db_.prepare("SELECT price_list FROM price_list_map WHERE location = ?");
  auto up = db_.prepare(
      "INSERT INTO price_list_map (location, price_list, ver) VALUES (?,?,?) ON CONFLICT (location) DO UPDATE SET"
      " price_list = excluded.price_list, ver = excluded.ver");
  if (!cur) return cur.error();
  if (!up) return up.error();
  for (const PriceListMapping& m : mappings) {
    cur->reset();
    cur->bind(1, m.location);
    auto r = cur->step();
    if (!r) return r.error();
    std::string was = *r ? cur->columnText(0) : kDefaultList;
    cur->reset();
    ++out.applied;
    if (was == m.price_list) continue;
    if (out.version == 0) {
      auto v = nextVersion("prices");
      if (!v) return v.error();
      out.version = *v;
    }
    // The row stays even for "default": its version is what makes the devices reload.
    up->reset();
    up->bind(1, m.location).bind(2, m.price_list).bind(3, out.version);
    if (auto s = up->run(); !s) return s.error();
    ++out.changed;
    out.locations.push_back(m.location);
  }
  if (auto s = txn->commit(); !s) return s.error();
  return out;
}

Result<std::vector<PriceListMapping>> SqliteCatalog::priceLists() {
  std::lock_guard<std::mutex> lock(mu_);
  auto st = db_.prepare("SELECT location, price_list FROM price_list_map ORDER BY location");
  if (!st) return st.error();
  std::vector<PriceListMapping> out;
  if (auto each_ok = st->eachRow([&](const common::SqliteStmt&) {
    out.push_back({st->columnText(0), st->columnText(1)});
  }); !each_ok) {
    return each_ok.error();
  }
  return out;
}

Result<std::vector<std::string>> SqliteCatalog::locations() {
  std::lock_guard<std::mutex> lock(mu_);
  auto st = db_.prepare(
      "SELECT location FROM price_list_map UNION SELECT DISTINCT substr(scope, 5) FROM price_entries WHERE scope LIKE 'loc:%'");
  if (!st) return st.error();
  std::vector<std::string> out;
  if (auto each_ok = st->eachRow([&](const common::SqliteStmt&) {
    out.push_back(st->columnText(0));
  }); !each_ok) {
    return each_ok.error();
  }
  return out;
}

Result<std::optional<CatalogItem>> SqliteCatalog::item(const std::string& code) {
  std::lock_guard<std::mutex> lock(mu_);
  // A scanned code that is a valid GTIN is looked up as one first; SKUs may be digits too.
  if (auto g = common::normalizeGtin(code)) {
    auto st = db_.prepare("SELECT sku FROM catalog_gtins WHERE gtin = ?");
    if (!st) return st.error();
    st->bind(1, *g);
    auto r = st->step();
    if (!r) return r.error();
    if (*r) return itemBySku(st->columnText(0));
  }
  return itemBySku(code);
}

std::optional<double> SqliteCatalog::shipWeightKg(const std::string& sku) {
  std::lock_guard<std::mutex> lock(mu_);
  auto st = db_.cached("SELECT ship_weight_g FROM catalog_items WHERE sku = ?");
  if (!st) return std::nullopt;
  st->bind(1, sku);
  auto r = st->step();
  std::optional<double> kg;
  if (r && *r && st->columnInt(0) > 0) kg = static_cast<double>(st->columnInt(0)) / 1000.0;
  st->reset();
  return kg;
}

Result<std::optional<CatalogItem>> SqliteCatalog::itemBySku(const std::string& sku) {
  auto st = db_.prepare(std::string("SELECT ") + kItemColumns + " FROM catalog_items WHERE sku = ?");
  if (!st) return st.error();
  st->bind(1, sku);
  auto r = st->step();
  if (!r) return r.error();
  if (!*r) return std::optional<CatalogItem>();
  return std::optional<CatalogItem>(itemFrom(*st));
}

Result<CatalogSearch> SqliteCatalog::search(std::string_view query, size_t limit) {
  auto key = searchKey(query);
  if (!key) return key.error();
  // Barcodes are digits: a key with anything else cannot match one, and the stored list need
  // not be read for the items it does not match.
  const bool digits = key->find_first_not_of("0123456789") == std::string::npos;
  std::lock_guard<std::mutex> lock(mu_);
  // In SKU order, so each kind of match arrives already sorted and the first limit + 1 of each
  // are all that can be answered (or show that there are more).
  auto st = db_.prepare(std::string("SELECT ") + kItemColumns + " FROM catalog_items ORDER BY sku");
  if (!st) return st.error();
  std::vector<CatalogHit> prefix, partial;
  if (auto each_ok = st->eachRow([&](const SqliteStmt& row) {
    std::vector<std::string> gtins = digits ? gtinsFrom(row.columnText(6)) : std::vector<std::string>();
    auto m = matchItem(*key, row.columnText(0), row.columnText(1), gtins);
    if (!m) return;
    auto& into = *m == SearchMatch::kPrefix ? prefix : partial;
    if (into.size() <= limit) into.push_back({itemFrom(row), *m});
  }); !each_ok) {
    return each_ok.error();
  }
  CatalogSearch out;
  out.truncated = prefix.size() + partial.size() > limit;
  out.hits = std::move(prefix);
  for (CatalogHit& h : partial) out.hits.push_back(std::move(h));
  if (out.hits.size() > limit) out.hits.resize(limit);
  return out;
}

Result<int64_t> SqliteCatalog::mappingVersion(const std::string& location) {
  auto st = db_.prepare("SELECT ver FROM price_list_map WHERE location = ?");
  if (!st) return st.error();
  st->bind(1, location);
  auto r = st->step();
  if (!r) return r.error();
  return *r ? st->columnInt(0) : 0;
}

std::string SqliteCatalog::priceListOf(const std::string& location) {
  std::lock_guard<std::mutex> lock(mu_);
  return listOf(location);
}

std::string SqliteCatalog::listOf(const std::string& location) {
  auto st = db_.prepare("SELECT price_list FROM price_list_map WHERE location = ?");
  if (!st) return kDefaultList;
  st->bind(1, location);
  auto r = st->step();
  return r && *r ? st->columnText(0) : kDefaultList;
}

Result<std::vector<common::PriceEntry>> SqliteCatalog::priceEntries(const std::string& sku, const std::string& location) {
  std::lock_guard<std::mutex> lock(mu_);
  auto st = db_.prepare(
      "SELECT scope, promotion, price_units, currency, starts_at_ms, ends_at_ms FROM price_entries"
      " WHERE sku = ? AND scope IN (?, ?) ORDER BY scope, promotion");
  if (!st) return st.error();
  std::string ls = locScope(location);
  st->bind(1, sku).bind(2, ls).bind(3, listScope(listOf(location)));
  std::vector<common::PriceEntry> out;
  if (auto each_ok = st->eachRow([&](const common::SqliteStmt&) {
    common::PriceEntry e;
    e.origin = st->columnText(0) == ls ? "location" : "price_list";
    e.promotion = st->columnText(1);
    e.price = common::Decimal::fromUnits(st->columnInt(2));
    e.currency = st->columnText(3);
    e.starts_at_ms = st->columnInt(4);
    e.ends_at_ms = st->columnInt(5);
    out.push_back(std::move(e));
  }); !each_ok) {
    return each_ok.error();
  }
  return out;
}

Result<int64_t> SqliteCatalog::catalogVersion() {
  std::lock_guard<std::mutex> lock(mu_);
  return db_.queryInt("SELECT value FROM catalog_counters WHERE name = 'catalog'");
}

Result<int64_t> SqliteCatalog::priceVersion(const std::string& location) {
  std::lock_guard<std::mutex> lock(mu_);
  auto mv = mappingVersion(location);
  if (!mv) return mv.error();
  auto st = db_.prepare("SELECT COALESCE(MAX(ver), 0) FROM price_entries WHERE scope IN (?, ?)");
  if (!st) return st.error();
  st->bind(1, locScope(location)).bind(2, listScope(listOf(location)));
  auto r = st->step();
  if (!r) return r.error();
  return std::max(*mv, st->columnInt(0));
}

Result<common::DownPage> SqliteCatalog::catalogPage(const common::DownRequest& req, size_t max_items) {
  std::lock_guard<std::mutex> lock(mu_);
  common::DownPage out;
  out.kind = "catalog";
  out.location = req.location;
  const std::string& c = req.cursor;
  bool snapshot = req.have == 0 || c.rfind("s:", 0) == 0;
  Result<SqliteStmt> st = Error::reject("bad_cursor", "unreadable cursor");
  const char* cols = "SELECT sku, name, unit, weight_priced, tax_class, active, gtins, ver FROM catalog_items";
  if (snapshot) {
    st = db_.prepare(std::string(cols) + " WHERE sku > ? ORDER BY sku LIMIT ?");
    if (!st) return st.error();
    st->bind(1, c.empty() ? "" : c.substr(2)).bind(2, static_cast<int64_t>(max_items) + 1);
  } else {
    auto cursor = common::parseDeltaCursor(c, true);
    if (!cursor) return cursor.error();
    int64_t after_ver = *cursor ? (*cursor)->version : -1;
    std::string after_sku = *cursor ? (*cursor)->key : "";
    st = db_.prepare(std::string(cols) + " WHERE ver > ? OR (ver = ? AND sku > ?) ORDER BY ver, sku LIMIT ?");
    if (!st) return st.error();
    st->bind(1, after_ver < 0 ? req.have : after_ver).bind(2, after_ver).bind(3, after_sku)
        .bind(4, static_cast<int64_t>(max_items) + 1);
  }
  std::string last_sku;
  int64_t last_ver = 0;
  while (true) {
    auto r = st->step();
    if (!r) return r.error();
    if (!*r) break;
    if (out.items.size() == max_items) {
      out.more = true;
      break;
    }
    json gtins = json::parse(st->columnText(6), nullptr, false);
    last_sku = st->columnText(0);
    last_ver = st->columnInt(7);
    out.items.push_back({{"sku", last_sku}, {"name", st->columnText(1)}, {"unit", st->columnText(2)},
                         {"weight_priced", st->columnInt(3) != 0}, {"tax_class", st->columnText(4)},
                         {"active", st->columnInt(5) != 0}, {"gtins", gtins.is_array() ? gtins : json::array()},
                         {"ver", last_ver}});
  }
  auto current = db_.queryInt("SELECT value FROM catalog_counters WHERE name = 'catalog'");
  if (!current) return current.error();
  out.snapshot = snapshot;
  if (snapshot) {
    // Every page of a snapshot carries the version it started from; later changes follow as deltas.
    out.version = c.empty() ? *current : req.have;
    if (out.more) out.cursor = "s:" + last_sku;
  } else if (out.more) {
    out.version = req.have;
    out.cursor = common::deltaCursor(last_ver, last_sku);
  } else {
    out.version = std::max(req.have, *current);
  }
  return out;
}

Result<common::DownPage> SqliteCatalog::pricePage(const common::DownRequest& req, size_t max_items) {
  std::lock_guard<std::mutex> lock(mu_);
  common::DownPage out;
  out.kind = "prices";
  out.location = req.location;
  if (!common::isValidId(req.location)) return Error::reject("bad_location", "location is not valid");
  const std::string& c = req.cursor;
  auto mv = mappingVersion(req.location);
  if (!mv) return mv.error();
  std::string ls = locScope(req.location);
  std::string ps = listScope(listOf(req.location));
  // A device that holds prices from before its location changed price list must drop the
  // old list's entries: only a snapshot can say what is no longer there.
  bool continuing = c.rfind("s:", 0) == 0;
  bool snapshot = req.have == 0 || continuing || req.have < *mv;
  auto item = [](const SqliteStmt& st, const std::string& o, int first) {
    std::string promo = st.columnText(first + 1);
    json j = {{"origin", o == "L" ? "location" : "price_list"}, {"sku", st.columnText(first)}, {"promotion", promo},
              {"price", common::Decimal::fromUnits(st.columnInt(first + 2)).toString()},
              {"currency", st.columnText(first + 3)}, {"ver", st.columnInt(first + 6)}};
    if (!promo.empty()) {
      j["starts_at_ms"] = st.columnInt(first + 4);
      j["ends_at_ms"] = st.columnInt(first + 5);
    }
    return j;
  };
  std::string last_key;
  int64_t last_ver = 0;
  const char* cols = "sku, promotion, price_units, currency, starts_at_ms, ends_at_ms, ver";
  if (snapshot) {
    std::string o = "L", sku, promo;
    if (continuing && !parsePriceKey(std::string_view(c).substr(2), &o, &sku, &promo)) {
      return Error::reject("bad_cursor", "unreadable cursor");
    }
    // The location's own entries (origin L) in key order, then the price list's (P).
    for (const std::string& phase : {std::string("L"), std::string("P")}) {
      if (phase < o || out.more) continue;
      if (phase != o) {
        sku.clear();
        promo.clear();
      }
      auto st = db_.prepare(std::string("SELECT ") + cols +
                            " FROM price_entries WHERE scope = ? AND (sku, promotion) > (?, ?) ORDER BY sku, promotion LIMIT ?");
      if (!st) return st.error();
      st->bind(1, phase == "L" ? ls : ps).bind(2, sku).bind(3, promo).bind(4, static_cast<int64_t>(max_items) + 1);
      while (true) {
        auto r = st->step();
        if (!r) return r.error();
        if (!*r) break;
        if (out.items.size() == max_items) {
          out.more = true;
          break;
        }
        out.items.push_back(item(*st, phase, 0));
        last_key = priceKey(phase, st->columnText(0), st->columnText(1));
      }
    }
  } else {
    auto cursor = common::parseDeltaCursor(c, true);
    if (!cursor) return cursor.error();
    int64_t after_ver = *cursor ? (*cursor)->version : -1;
    std::string o, sku, promo;
    if (*cursor && !parsePriceKey((*cursor)->key, &o, &sku, &promo)) return Error::reject("bad_cursor", "unreadable cursor");
    auto st = db_.prepare(std::string("SELECT o, ") + cols +
                          " FROM (SELECT CASE WHEN scope = ?1 THEN 'L' ELSE 'P' END AS o, * FROM price_entries"
                          " WHERE scope IN (?1, ?2) AND ver >= ?3)"
                          " WHERE ver > ?3 OR (ver = ?4 AND (o, sku, promotion) > (?5, ?6, ?7))"
                          " ORDER BY ver, o, sku, promotion LIMIT ?8");
    if (!st) return st.error();
    st->bind(1, ls).bind(2, ps).bind(3, after_ver < 0 ? req.have : after_ver).bind(4, after_ver).bind(5, o)
        .bind(6, sku).bind(7, promo).bind(8, static_cast<int64_t>(max_items) + 1);
    while (true) {
      auto r = st->step();
      if (!r) return r.error();
      if (!*r) break;
      if (out.items.size() == max_items) {
        out.more = true;
        break;
      }
      std::string phase = st->columnText(0);
      out.items.push_back(item(*st, phase, 1));
      last_key = priceKey(phase, st->columnText(1), st->columnText(2));
      last_ver = st->columnInt(7);
    }
  }
  auto mx = db_.prepare("SELECT COALESCE(MAX(ver), 0) FROM price_entries WHERE scope IN (?, ?)");
  if (!mx) return mx.error();
  mx->bind(1, ls).bind(2, ps);
  if (auto r = mx->step(); !r) return r.error();
  int64_t current = std::max(*mv, mx->columnInt(0));
  out.snapshot = snapshot;
  if (snapshot) {
    out.version = continuing ? req.have : current;
    if (out.more) out.cursor = "s:" + last_key;
  } else if (out.more) {
    out.version = req.have;
    out.cursor = common::deltaCursor(last_ver, last_key);
  } else {
    out.version = std::max(req.have, current);
  }
  return out;
}

}  // namespace sw::coordinator
