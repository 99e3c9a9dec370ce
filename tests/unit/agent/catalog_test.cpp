// The agent's copy of catalog and prices: pages from the downlink written by the handlers, and
// GET /v1/items' lookup (GTIN or SKU, price at a given time, own stock), on a real store.

#include <gtest/gtest.h>

#include "sw/agent/catalog.h"
#include "sw/common/clock.h"
#include "test_support.h"

using namespace sw;
using nlohmann::json;

namespace {

class AgentCatalogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto s = agent::Store::open({.path = dir_.file("agent.db"), .device_id = "till-1", .location = "store-1",
                                 .kind = "till", .min_free_bytes = 0},
                                clock_);
    ASSERT_TRUE(s.ok()) << s.error().toString();
    store_ = std::move(*s);
    ASSERT_TRUE(agent::createCatalogTables(*store_).ok());
    ASSERT_TRUE(agent::createCatalogTables(*store_).ok());  // again: harmless at every start
  }

  void apply(agent::DownlinkHandler& h, json items, bool snapshot, int64_t gen, bool last = true) {
    common::DownPage p;
    p.kind = h.kind();
    p.location = "store-1";
    p.snapshot = snapshot;
    p.items = std::move(items);
    auto s = store_->transaction([&](common::SqliteDb& db) -> common::Status {
      if (auto a = h.apply(db, p, gen); !a) return a;
      if (snapshot && last) return h.finishSnapshot(db, "store-1", gen);
      return {};
    });
    ASSERT_TRUE(s.ok()) << s.error().toString();
  }

  static json item(const std::string& sku, json gtins, const std::string& name, int64_t ver) {
    return {{"sku", sku}, {"gtins", std::move(gtins)}, {"name", name}, {"unit", "each"}, {"weight_priced", false},
            {"tax_class", "std"}, {"active", true}, {"ver", ver}};
  }
  static json price(const std::string& origin, const std::string& sku, const std::string& promo, const std::string& p,
                    int64_t starts = 0, int64_t ends = 0) {
    json j = {{"origin", origin}, {"sku", sku}, {"promotion", promo}, {"price", p}, {"currency", "EUR"}, {"ver", 1}};
    if (!promo.empty()) {
      j["starts_at_ms"] = starts;
      j["ends_at_ms"] = ends;
    }
    return j;
  }

  test::TempDir dir_;
  common::ManualClock clock_;
  std::unique_ptr<agent::Store> store_;
  agent::CatalogHandler catalog_;
  agent::PriceHandler prices_;
};

}  // namespace

TEST_F(AgentCatalogTest, LooksUpByAnyGtinFormAndBySkuWithPriceAndStock) {
  apply(catalog_, {item("SKU-1", {"04006381333931"}, "Pen", 1), item("0123", json::array(), "Numeric sku", 1)}, true, 1);
  apply(prices_, {price("price_list", "SKU-1", "", "1.20"), price("location", "SKU-1", "", "0.99")}, true, 1);
  agent::EventDraft d;
  d.type = common::EventType::kReceive;
  d.lines = {{"SKU-1", 4, std::nullopt}};
  ASSERT_TRUE(store_->record(d).ok());

  for (const char* code : {"SKU-1", "4006381333931", "04006381333931"}) {
    auto r = agent::lookupItem(*store_, code, clock_.nowMs());
    ASSERT_TRUE(r.ok()) << r.error().toString();
    ASSERT_TRUE(r->has_value()) << code;
    const json& j = **r;
    EXPECT_EQ(j["sku"], "SKU-1");
    EXPECT_EQ(j["price"]["price"], "0.99");  // the location's own price beats the list's
    EXPECT_EQ(j["price"]["source"], "base");
    EXPECT_EQ(j["stock"]["estimate"], 4);
  }
  EXPECT_EQ((**agent::lookupItem(*store_, "0123", clock_.nowMs()))["matched"], "sku");
  EXPECT_EQ((**agent::lookupItem(*store_, "0123", clock_.nowMs()))["price"], nullptr);
  EXPECT_FALSE(agent::lookupItem(*store_, "4006381333948", clock_.nowMs())->has_value());
}

TEST_F(AgentCatalogTest, PromotionFollowsTheClockAndASnapshotDropsWhatItNoLongerHas) {
  int64_t now = clock_.nowMs();
  apply(catalog_, {item("A", {"04006381333931"}, "Pen", 1), item("B", json::array(), "Ink", 1)}, true, 1);
  apply(prices_, {price("price_list", "A", "", "2.00"), price("price_list", "A", "wk", "1.50", now + 1000, now + 2000)},
        true, 1);
  auto at = [&](int64_t t) { return (**agent::lookupItem(*store_, "A", t))["price"]["price"].get<std::string>(); };
  EXPECT_EQ(at(now), "2.00");
  EXPECT_EQ((**agent::lookupItem(*store_, "A", now))["scheduled"].size(), 1u);
  EXPECT_EQ(at(now + 1000), "1.50");
  EXPECT_EQ(at(now + 1999), "1.50");
  EXPECT_EQ(at(now + 2000), "2.00");

  // A delta moves the GTIN from A to B; then a new snapshot without A removes A and its prices.
  apply(catalog_, {item("A", json::array(), "Pen", 2), item("B", {"4006381333931"}, "Ink", 2)}, false, 1);
  EXPECT_EQ((**agent::lookupItem(*store_, "4006381333931", now))["sku"], "B");
  apply(catalog_, {item("B", {"4006381333931"}, "Ink", 3)}, true, 3);
  apply(prices_, {price("price_list", "B", "", "3.00")}, true, 3);
  EXPECT_FALSE(agent::lookupItem(*store_, "A", now)->has_value());
  EXPECT_EQ((**agent::lookupItem(*store_, "4006381333931", now))["price"]["price"], "3.00");
}

TEST_F(AgentCatalogTest, MalformedPagesAreRefusedWhole) {
  common::DownPage p;
  p.kind = "catalog";
  p.location = "store-1";
  p.items = {item("A", {"4006381333932"}, "Bad GTIN", 1)};
  auto s = store_->transaction([&](common::SqliteDb& db) { return catalog_.apply(db, p, 1); });
  EXPECT_FALSE(s.ok());
  p.kind = "prices";
  p.items = {price("location", "A", "", "abc")};
  EXPECT_FALSE(store_->transaction([&](common::SqliteDb& db) { return prices_.apply(db, p, 1); }).ok());
  EXPECT_FALSE(agent::lookupItem(*store_, "A", clock_.nowMs())->has_value());
}

// Issue 15 item 7: a sale at 0.01 of an item sold at 7.99, a sale without a price and a sale
// of an uncatalogued SKU were all accepted without a word.
TEST_F(AgentCatalogTest, SaleLinesAreCheckedAgainstTheCatalogPrice) {
  std::vector<common::Line> lines = {{"SKU-1", 1, common::Decimal::parse("0.01").value()},
                                     {"SKU-1", 1, common::Decimal::parse("7.99").value()},
                                     {"SKU-1", 1, std::nullopt},
                                     {"NOPE", 1, common::Decimal::parse("2.00").value()}};
  auto none = agent::checkSalePrices(*store_, lines, clock_.nowMs());
  ASSERT_TRUE(none.ok()) << none.error().toString();
  EXPECT_TRUE(none->empty()) << "no catalog yet: nothing to check against";
  apply(catalog_, {item("SKU-1", json::array(), "Pen", 1)}, true, 1);
  apply(prices_, {price("location", "SKU-1", "", "7.99")}, true, 1);
  auto flags = agent::checkSalePrices(*store_, lines, clock_.nowMs());
  ASSERT_TRUE(flags.ok()) << flags.error().toString();
  ASSERT_EQ(flags->size(), 3u);
  EXPECT_EQ((*flags)[0].line, 1u);
  EXPECT_EQ((*flags)[0].check, common::PriceCheck::kOverride);
  EXPECT_EQ((*flags)[0].list_price->toString(), common::Decimal::parse("7.99")->toString());
  EXPECT_EQ((*flags)[1].line, 3u);
  EXPECT_EQ((*flags)[1].check, common::PriceCheck::kNoPrice);
  EXPECT_EQ((*flags)[2].line, 4u);
  EXPECT_EQ((*flags)[2].check, common::PriceCheck::kUncatalogued);
  // The flags travel with the event and survive its encoding.
  agent::EventDraft d;
  d.lines = lines;
  d.price_flags = *flags;
  auto rec = store_->record(d);
  ASSERT_TRUE(rec.ok()) << rec.error().toString();
  auto back = store_->eventAt(rec->seq);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->price_flags, *flags);
}
