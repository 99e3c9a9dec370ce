// SqliteCatalog: imports into the ledger file, versions, and the catalog/prices downlink pages.

#include <gtest/gtest.h>

#include <set>

#include "sw/common/clock.h"
#include "sw/coordinator/catalog/catalog.h"
#include "schema_upgrade.h"
#include "test_support.h"

using namespace sw;
using coordinator::ImportFormat;

namespace {

class CatalogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto c = coordinator::SqliteCatalog::open(dir_.file("ledger.db"), clock_);
    ASSERT_TRUE(c.ok()) << c.error().toString();
    cat_ = std::move(*c);
  }

  coordinator::ImportOutcome items(const std::string& csv) {
    auto p = coordinator::parseCatalogImport("sku,gtins,name,unit,weight_priced,tax_class\n" + csv, ImportFormat::kCsv);
    EXPECT_TRUE(p.ok());
    auto o = cat_->importCatalog(*p);
    EXPECT_TRUE(o.ok()) << o.error().toString();
    return *o;
  }
  coordinator::ImportOutcome prices(const std::string& csv) {
    auto p = coordinator::parsePriceImport("sku,price,currency,location,price_list,promotion,starts_at,ends_at\n" + csv,
                                           ImportFormat::kCsv);
    EXPECT_TRUE(p.ok());
    auto o = cat_->importPrices(*p);
    EXPECT_TRUE(o.ok()) << o.error().toString();
    return *o;
  }
  // Follows a kind for a location like a device: every page until nothing more, from `have`.
  std::vector<common::DownPage> follow(const std::string& kind, const std::string& loc, int64_t have, size_t page) {
    std::vector<common::DownPage> out;
    common::DownRequest req{kind, loc, have, ""};
    for (int guard = 0; guard < 100; ++guard) {
      auto p = kind == "catalog" ? cat_->catalogPage(req, page) : cat_->pricePage(req, page);
      EXPECT_TRUE(p.ok()) << p.error().toString();
      out.push_back(*p);
      if (!p->more) break;
      req.cursor = p->cursor;
      req.have = p->snapshot ? p->version : req.have;
    }
    return out;
  }

  test::TempDir dir_;
  common::ManualClock clock_;
  std::unique_ptr<coordinator::SqliteCatalog> cat_;
};

}  // namespace

TEST_F(CatalogTest, ImportVersionsOnlyRealChangesAndLooksUpByGtin) {
  auto o = items("A,4006381333931,Pen,each,false,std\nB,,Ham,kg,true,food\n");
  EXPECT_EQ(o.applied, 2u);
  EXPECT_EQ(o.changed, 2u);
  EXPECT_EQ(o.version, 1);
  EXPECT_TRUE(o.all_locations);
  auto again = items("A,4006381333931,Pen,each,false,std\nB,,Ham,kg,true,food\n");
  EXPECT_EQ(again.applied, 2u);
  EXPECT_EQ(again.changed, 0u);
  EXPECT_EQ(again.version, 0);
  EXPECT_EQ(*cat_->catalogVersion(), 1);

  auto by_gtin = cat_->item("4006381333931");
  ASSERT_TRUE(by_gtin.ok());
  ASSERT_TRUE(by_gtin->has_value());
  EXPECT_EQ((*by_gtin)->sku, "A");
  EXPECT_EQ((*by_gtin)->gtins, std::vector<std::string>{"04006381333931"});
  EXPECT_FALSE(cat_->item("nope")->has_value());

  // A GTIN still held by A cannot go to C; once A lets it go (earlier row), it can.
  auto clash = items("C,4006381333931,Ink,each,false,std\n");
  ASSERT_EQ(clash.errors.size(), 1u);
  EXPECT_EQ(clash.errors[0].code, "gtin_in_use");
  EXPECT_EQ(clash.applied, 0u);
  EXPECT_FALSE(cat_->item("C")->has_value());
  auto moved = items("A,,Pen,each,false,std\nC,4006381333931,Ink,each,false,std\n");
  EXPECT_TRUE(moved.errors.empty());
  EXPECT_EQ((*cat_->item("04006381333931"))->sku, "C");
  EXPECT_EQ(*cat_->catalogVersion(), 2);
}

TEST_F(CatalogTest, PricesNeedAKnownSkuAndVersionPerLocation) {
  items("A,,Pen,each,false,std\nB,,Ink,each,false,std\n");
  auto o = prices("A,1.00,EUR,store-1,,,,\nZ,1.00,EUR,store-1,,,,\nB,2.00,EUR,,north,,,\n");
  ASSERT_EQ(o.errors.size(), 1u);
  EXPECT_EQ(o.errors[0].code, "unknown_sku");
  EXPECT_EQ(o.errors[0].row, 3u);
  EXPECT_EQ(o.applied, 2u);
  EXPECT_EQ(o.locations, std::vector<std::string>{"store-1"});  // nobody uses "north" yet
  EXPECT_EQ(*cat_->priceVersion("store-1"), 1);
  EXPECT_EQ(*cat_->priceVersion("store-2"), 0);
  auto e = cat_->priceEntries("B", "store-1");
  EXPECT_TRUE(e->empty());

  auto m = cat_->setPriceLists({{"store-1", "north"}});
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->version, 2);
  EXPECT_EQ(*cat_->priceVersion("store-1"), 2);
  EXPECT_EQ(cat_->priceEntries("B", "store-1")->size(), 1u);
  auto o2 = prices("B,2.50,EUR,,north,,,\n");
  EXPECT_EQ(o2.locations, std::vector<std::string>{"store-1"});
  EXPECT_EQ(*cat_->priceVersion("store-1"), 3);
  EXPECT_EQ(*cat_->locations(), std::vector<std::string>{"store-1"});
}

TEST_F(CatalogTest, CatalogPagesSnapshotThenDeltas) {
  std::string csv;
  for (int i = 0; i < 7; ++i) csv += "S" + std::to_string(i) + ",,Item,each,false,std\n";
  items(csv);
  auto snap = follow("catalog", "store-1", 0, 3);
  ASSERT_EQ(snap.size(), 3u);
  size_t n = 0;
  for (const auto& p : snap) {
    EXPECT_TRUE(p.snapshot);
    EXPECT_EQ(p.version, 1);
    n += p.items.size();
  }
  EXPECT_EQ(n, 7u);
  EXPECT_EQ(snap[1].items[0]["sku"], "S3");

  items("S2,,Changed,each,false,std\nS5,,Changed,each,false,std\n");
  items("S6,,Changed,each,false,std\n");
  auto d = follow("catalog", "store-1", 1, 2);
  ASSERT_EQ(d.size(), 2u);
  EXPECT_FALSE(d[0].snapshot);
  EXPECT_TRUE(d[0].more);
  EXPECT_EQ(d[0].items.size(), 2u);
  EXPECT_EQ(d[1].items.size(), 1u);
  EXPECT_EQ(d[1].items[0]["sku"], "S6");
  EXPECT_EQ(d[1].version, 3);
  auto none = follow("catalog", "store-1", 3, 2);
  EXPECT_TRUE(none[0].items.empty());
  EXPECT_EQ(none[0].version, 3);
}

TEST_F(CatalogTest, PricePagesCoverBothScopesAndAMappingChangeForcesASnapshot) {
  items("A,,Pen,each,false,std\nB,,Ink,each,false,std\nC,,Pad,each,false,std\n");
  prices("A,1.00,EUR,store-1,,,,\nA,0.80,EUR,store-1,,wk,2026-01-01T00:00:00Z,2026-01-08T00:00:00Z\n"
         "A,1.10,EUR,,default,,,\nB,2.00,EUR,,default,,,\nC,3.00,EUR,,default,,,\nC,3.00,EUR,,north,,,\n");
  auto snap = follow("prices", "store-1", 0, 2);
  size_t n = 0;
  std::set<std::string> seen;
  for (const auto& p : snap) {
    EXPECT_TRUE(p.snapshot);
    for (const auto& it : p.items) {
      ++n;
      seen.insert(it["origin"].get<std::string>() + "/" + it["sku"].get<std::string>() + "/" + it["promotion"].get<std::string>());
    }
  }
  EXPECT_EQ(n, 5u);  // 2 own + 3 from the default list, not north's
  EXPECT_TRUE(seen.count("location/A/wk"));
  EXPECT_TRUE(seen.count("price_list/C/"));
  int64_t have = snap.back().version;
  EXPECT_EQ(have, 1);

  prices("B,2.20,EUR,,default,,,\n");
  auto d = follow("prices", "store-1", have, 10);
  ASSERT_EQ(d.size(), 1u);
  EXPECT_FALSE(d[0].snapshot);
  ASSERT_EQ(d[0].items.size(), 1u);
  EXPECT_EQ(d[0].items[0]["price"], "2.20");
  have = d[0].version;

  ASSERT_TRUE(cat_->setPriceLists({{"store-1", "north"}}).ok());
  auto again = follow("prices", "store-1", have, 10);
  ASSERT_EQ(again.size(), 1u);
  EXPECT_TRUE(again[0].snapshot);
  EXPECT_EQ(again[0].items.size(), 3u);  // own A base + A promotion + north's C
  EXPECT_GT(again[0].version, have);
  auto bad = cat_->pricePage({"prices", "store-1", 1, "s:garbage"}, 10);
  EXPECT_FALSE(bad.ok());
}

// The SKUs search() answers, in its order, each with "p" (prefix) or "~" (partial) in front.
std::vector<std::string> found(coordinator::SqliteCatalog& cat, std::string_view q, size_t limit = 50,
                               bool* truncated = nullptr) {
  auto r = cat.search(q, limit);
  EXPECT_TRUE(r.ok()) << q << ": " << r.error().toString();
  std::vector<std::string> out;
  if (!r) return out;
  for (const auto& h : r->hits) out.push_back((h.match == coordinator::SearchMatch::kPrefix ? "p " : "~ ") + h.item.sku);
  if (truncated) *truncated = r->truncated;
  return out;
}

using Found = std::vector<std::string>;

TEST_F(CatalogTest, SearchRanksPrefixMatchesFirstThenBySkuAndSaysWhenThereIsMore) {
  items("SKU-3,,Sharpener for pencils,each,false,std\n"
        "SKU-1,4006381333931,Pencil HB,each,false,std\n"
        "PEN-1,036000291452,Ballpoint pen,each,false,std\n"
        "SKU-2,96385074,Pencil case,each,false,std\n"
        "INK-1,,Ink,each,false,std\n");
  EXPECT_EQ(found(*cat_, "Penc"), (Found{"p SKU-1", "p SKU-2", "~ SKU-3"}));
  EXPECT_EQ(found(*cat_, "pen"), (Found{"p PEN-1", "p SKU-1", "p SKU-2", "~ SKU-3"}));
  EXPECT_EQ(found(*cat_, "sku-"), (Found{"p SKU-1", "p SKU-2", "p SKU-3"}));
  EXPECT_EQ(found(*cat_, "KU"), (Found{"~ SKU-1", "~ SKU-2", "~ SKU-3"}));
  EXPECT_EQ(found(*cat_, "  ink "), (Found{"p INK-1"}));
  EXPECT_EQ(found(*cat_, "nothing like it"), Found{});

  // Barcodes as printed: the start of one is a prefix match, a piece of one partial.
  EXPECT_EQ(found(*cat_, "4006"), (Found{"p SKU-1"}));
  EXPECT_EQ(found(*cat_, "8133393"), (Found{"~ SKU-1"}));
  EXPECT_EQ(found(*cat_, "9638507"), (Found{"p SKU-2"}));
  EXPECT_EQ(found(*cat_, "0360002"), (Found{"p PEN-1"}));

  // The limit keeps the best ranked; truncated says more matched.
  bool more = false;
  EXPECT_EQ(found(*cat_, "pen", 2, &more), (Found{"p PEN-1", "p SKU-1"}));
  EXPECT_TRUE(more);
  EXPECT_EQ(found(*cat_, "pen", 4, &more).size(), 4u);
  EXPECT_FALSE(more);
  EXPECT_EQ(found(*cat_, "pen", 3, &more), (Found{"p PEN-1", "p SKU-1", "p SKU-2"}));
  EXPECT_TRUE(more) << "the partial match is left out";

  // The whole item comes back; a retired one is found too.
  auto retire = coordinator::parseCatalogImport(
      "sku,gtins,name,unit,weight_priced,tax_class,active\nSKU-2,96385074,Pencil case,each,false,std,false\n",
      ImportFormat::kCsv);
  ASSERT_TRUE(retire.ok());
  ASSERT_EQ(cat_->importCatalog(*retire)->changed, 1u);
  auto r = cat_->search("pencil c", 10);
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->hits.size(), 1u);
  EXPECT_EQ(r->hits[0].item.sku, "SKU-2");
  EXPECT_EQ(r->hits[0].item.name, "Pencil case");
  EXPECT_EQ(r->hits[0].item.gtins, std::vector<std::string>{"00000096385074"});
  EXPECT_FALSE(r->hits[0].item.active);
}

TEST_F(CatalogTest, SearchTakesWildcardsLiterallyMatchesNonAsciiAndRefusesBadQueries) {
  items("T-1,,100% cotton,each,false,std\n"
        "T-2,,100 cotton,each,false,std\n"
        "A_B,,Underscore,each,false,std\n"
        "AXB,,Other,each,false,std\n"
        "D-1,,Crème brûlée,each,false,std\n"
        "M-1,,МОЛОКО 3.2,l,false,food\n");
  EXPECT_EQ(found(*cat_, "100%"), (Found{"p T-1"}));
  EXPECT_EQ(found(*cat_, "%"), (Found{"~ T-1"}));
  EXPECT_EQ(found(*cat_, "a_b"), (Found{"p A_B"}));
  EXPECT_EQ(found(*cat_, "_"), (Found{"~ A_B"}));
  EXPECT_EQ(found(*cat_, "' OR '1'='1"), Found{});
  EXPECT_EQ(found(*cat_, "CRÈME B"), (Found{"p D-1"}));
  EXPECT_EQ(found(*cat_, "BRÛLÉE"), (Found{"~ D-1"}));
  EXPECT_EQ(found(*cat_, "creme"), Found{});
  EXPECT_EQ(found(*cat_, "молоко"), (Found{"p M-1"}));

  for (const auto& [q, code] : {std::pair<std::string, std::string>{"", "missing_param"}, {"   ", "missing_param"},
                                {std::string(65, 'x'), "bad_param"}, {"caf\xe9", "bad_param"}, {"a\nb", "bad_param"}}) {
    auto r = cat_->search(q, 10);
    ASSERT_FALSE(r.ok()) << q;
    EXPECT_EQ(r.error().code, code) << q;
    EXPECT_EQ(r.error().kind, common::ErrorKind::kReject) << q;
  }
  EXPECT_EQ(found(*cat_, std::string(64, 'x')), Found{});
}

namespace {

// A ledger file from a release before schema_versions keeps the catalog's version in
// catalog_meta: it is adopted (nothing recreated, the items kept) and a newer one is refused.
TEST(CatalogSchema, AnEarlierReleasesFileIsAdoptedAndANewerOneRefused) {
  test::TempDir dir;
  common::ManualClock clock;
  {
    auto c = coordinator::SqliteCatalog::open(dir.file("ledger.db"), clock);
    ASSERT_TRUE(c.ok()) << c.error().toString();
    auto p = coordinator::parseCatalogImport("sku,gtins,name,unit,weight_priced,tax_class\nA,,Apple,each,0,std\n",
                                             ImportFormat::kCsv);
    ASSERT_TRUE(p.ok());
    ASSERT_TRUE((*c)->importCatalog(*p).ok());
  }
  {
    auto db = common::SqliteDb::open({.path = dir.file("ledger.db")});
    ASSERT_TRUE(db.ok());
    // As the release before catalog schema step 2 left it: no ship_weight_g column, '1' in catalog_meta.
    ASSERT_TRUE(db->exec("ALTER TABLE catalog_items DROP COLUMN ship_weight_g;"
                         "DELETE FROM schema_versions WHERE component = 'catalog';"
                         "CREATE TABLE catalog_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);"
                         "INSERT INTO catalog_meta VALUES ('schema', '1');").ok());
  }
  {
    auto c = coordinator::SqliteCatalog::open(dir.file("ledger.db"), clock);
    ASSERT_TRUE(c.ok()) << c.error().toString();
    auto item = (*c)->item("A");
    ASSERT_TRUE(item.ok() && *item) << "the item an earlier release stored is still there";
    EXPECT_EQ((*item)->ship_weight_g, 0);
    auto db = common::SqliteDb::open({.path = dir.file("ledger.db")});
    EXPECT_EQ(*db->schemaVersion("catalog"), 2);  // adopted as 1, then step 2 (the weight column)
    ASSERT_TRUE(db->exec("UPDATE schema_versions SET version = 3 WHERE component = 'catalog'").ok());
  }
  auto c = coordinator::SqliteCatalog::open(dir.file("ledger.db"), clock);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().code, "schema_too_new");
}

TEST_F(CatalogTest, TheShippingWeightIsKeptInGramsAndAChangeOfItIsAChange) {
  auto p = coordinator::parseCatalogImport("sku,gtins,name,unit,weight_priced,tax_class,weight_kg\n"
                                           "A,,Anvil,each,false,std,12.5\nB,,Bolt,each,false,std,\n",
                                           ImportFormat::kCsv);
  ASSERT_TRUE(p.ok());
  ASSERT_TRUE(p->errors.empty());
  auto o = cat_->importCatalog(*p);
  ASSERT_TRUE(o.ok());
  EXPECT_EQ(o->changed, 2u);
  EXPECT_EQ((*cat_->item("A"))->ship_weight_g, 12'500);
  ASSERT_TRUE(cat_->shipWeightKg("A"));
  EXPECT_DOUBLE_EQ(*cat_->shipWeightKg("A"), 12.5);
  EXPECT_FALSE(cat_->shipWeightKg("B"));     // none given
  EXPECT_FALSE(cat_->shipWeightKg("NOPE"));  // no such SKU
  // The same file again changes nothing; another weight is a change.
  EXPECT_EQ(cat_->importCatalog(*p)->changed, 0u);
  auto heavier = coordinator::parseCatalogImport("sku,gtins,name,unit,weight_priced,tax_class,weight_kg\n"
                                                 "A,,Anvil,each,false,std,13\n",
                                                 ImportFormat::kCsv);
  ASSERT_TRUE(heavier.ok());
  EXPECT_EQ(cat_->importCatalog(*heavier)->changed, 1u);
  EXPECT_DOUBLE_EQ(*cat_->shipWeightKg("A"), 13.0);
}

}  // namespace

// Issue 21, upgrades: a catalog as each earlier release left it (the one before schema_versions,
// which kept '1' in catalog_meta, and each version before SqliteCatalog::schemaSteps().size() in
// schema_versions) with items, their barcodes, prices by location and by price list, a promotion
// and a location's price list opens on this build with all of it as it was: an item found by its
// barcode, each location's prices, the same downlink versions; a further upload works and the
// catalog is at the current version.
TEST_F(CatalogTest, ACatalogOfEachEarlierSchemaKeepsItsItemsBarcodesAndPrices) {
  items("A,4006381333931,Pen,each,false,std\nB,,Ham,kg,true,food\n");
  prices("A,1.00,EUR,store-1,,,,\nA,0.80,EUR,store-1,,wk,2026-01-01T00:00:00Z,2026-01-08T00:00:00Z\n"
         "B,2.00,EUR,,north,,,\n");
  ASSERT_TRUE(cat_->setPriceLists({{"store-2", "north"}}).ok());
  const int64_t catalog_version = *cat_->catalogVersion();
  const int64_t store1_prices = *cat_->priceVersion("store-1");
  const int64_t store2_prices = *cat_->priceVersion("store-2");
  cat_.reset();
  const std::string scratch = dir_.file("ledger.db");

  const auto& steps = coordinator::SqliteCatalog::schemaSteps();
  const common::SqliteSchema schema{"catalog", steps, "catalog_meta"};
  const auto earlier = test::earlierSchemas(steps.size(), 1);  // catalog_meta only ever said '1'
  ASSERT_FALSE(earlier.empty());
  for (const test::EarlierSchema& e : earlier) {
    SCOPED_TRACE(e.describe());
    const std::string path = dir_.file("v" + std::to_string(e.version) + "-" + std::to_string(int(e.record)) + ".db");
    test::EarlierFile built;
    ASSERT_NO_FATAL_FAILURE(test::buildEarlierSchema(path, schema, e, scratch, &built));
    for (const char* table : {"catalog_items", "catalog_gtins", "price_entries", "price_list_map"}) {
      ASSERT_TRUE(built.tables.count(table)) << table;
    }

    auto opened = coordinator::SqliteCatalog::open(path, clock_);
    ASSERT_TRUE(opened.ok()) << opened.error().toString();
    auto& c = **opened;
    test::expectRowsKept(built, path);
    EXPECT_EQ(test::versionsOf(path, "catalog").first, static_cast<int64_t>(steps.size()));
    auto pen = c.item("4006381333931");
    ASSERT_TRUE(pen.ok() && *pen) << "found by its barcode";
    EXPECT_EQ((*pen)->sku, "A");
    EXPECT_EQ((*pen)->name, "Pen");
    auto ham = c.item("B");
    ASSERT_TRUE(ham.ok() && *ham);
    EXPECT_TRUE((*ham)->weight_priced);
    auto a = c.priceEntries("A", "store-1");
    ASSERT_TRUE(a.ok());
    ASSERT_EQ(a->size(), 2u);  // the base price and the promotion
    std::set<std::string> a_prices;
    for (const auto& p : *a) a_prices.insert(p.price.toString() + " " + p.currency + " " + p.promotion);
    EXPECT_EQ(a_prices, (std::set<std::string>{"1.00 EUR ", "0.80 EUR wk"}));
    EXPECT_EQ(c.priceListOf("store-2"), "north");
    auto b = c.priceEntries("B", "store-2");
    ASSERT_TRUE(b.ok());
    ASSERT_EQ(b->size(), 1u);
    EXPECT_EQ((*b)[0].origin, "price_list");
    EXPECT_EQ(*c.catalogVersion(), catalog_version);
    EXPECT_EQ(*c.priceVersion("store-1"), store1_prices);
    EXPECT_EQ(*c.priceVersion("store-2"), store2_prices);

    // A further upload: a new item takes the next version and keeps its barcode to itself.
    auto p = coordinator::parseCatalogImport("sku,gtins,name,unit,weight_priced,tax_class\n"
                                             "C,4006381333931,Ink,each,false,std\nD,,Pad,each,false,std\n",
                                             ImportFormat::kCsv);
    ASSERT_TRUE(p.ok());
    auto o = c.importCatalog(*p);
    ASSERT_TRUE(o.ok()) << o.error().toString();
    EXPECT_EQ(o->applied, 1u);
    ASSERT_EQ(o->errors.size(), 1u);
    EXPECT_EQ(o->errors[0].code, "gtin_in_use");
    EXPECT_EQ(o->version, catalog_version + 1);
    EXPECT_TRUE(c.item("D")->has_value());
  }
}

// A downgrade: a catalog a newer build has migrated is refused, saying which version it found,
// which this build supports and what to do, and the file is left as it was.
TEST_F(CatalogTest, ACatalogOfANewerSchemaIsRefusedAndLeftAsItWas) {
  items("A,4006381333931,Pen,each,false,std\n");
  cat_.reset();
  const std::string path = dir_.file("ledger.db");
  const auto known = static_cast<int64_t>(coordinator::SqliteCatalog::schemaSteps().size());
  ASSERT_NO_FATAL_FAILURE(test::setSchemaVersion(path, "catalog", known + 1));
  const std::string before = test::contentsOf(path);
  ASSERT_NE(before.find("catalog_gtins '04006381333931'|'A'"), std::string::npos) << before;
  auto refused = coordinator::SqliteCatalog::open(path, clock_);
  ASSERT_FALSE(refused.ok());
  EXPECT_TRUE(test::refusedAsTooNew(refused.error(), "catalog", known + 1, known));
  EXPECT_EQ(test::contentsOf(path), before);
}
