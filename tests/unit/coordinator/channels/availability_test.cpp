// Available-to-sell maths on a real ledger (SQLite in a temp file) with a clock moved by hand.

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "sw/common/uuid.h"
#include "sw/coordinator/channels/availability.h"
#include "sw/coordinator/ledger/sql_ledger.h"
#include "test_support.h"

using namespace sw;
using common::EventType;
using coordinator::ApplyGroup;
using coordinator::AvailabilityConfig;
using nlohmann::json;

namespace {

class FakeReservations final : public coordinator::ReservationView {
 public:
  std::map<std::string, int64_t> reservedByLocation(const std::string& sku) override {
    auto it = by_sku.find(sku);
    return it == by_sku.end() ? std::map<std::string, int64_t>{} : it->second;
  }
  std::map<std::string, std::map<std::string, int64_t>> by_sku;
};

constexpr int64_t kHour = 3600 * 1000;

class AvailabilityTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto l = coordinator::SqlLedger::open({.path = dir_.file("ledger.db")});
    ASSERT_TRUE(l.ok()) << l.error().toString();
    ledger_ = std::move(*l);
    auto h = ledger_->openSalesHistory();
    ASSERT_TRUE(h.ok()) << h.error().toString();
    sales_ = std::move(*h);
  }

  void apply(const std::string& device, const std::string& location, EventType type, int64_t at, const std::string& sku,
             int64_t qty) {
    common::Event e;
    e.device_id = device;
    e.seq = ++seq_[device];
    e.event_id = common::newUuid();
    e.type = type;
    e.occurred_at_ms = at;
    e.location = location;
    e.lines = {{sku, qty, type == EventType::kSale ? common::Decimal::parse("1.00").value() : std::optional<common::Decimal>{}}};
    ApplyGroup g;
    g.applied_at_ms = at;
    if (!known_.count(device)) {
      g.new_devices[device] = common::newUuid();
      known_.insert(device);
    }
    g.cursors[device] = e.seq;
    g.events.push_back({e, 0});
    auto s = ledger_->commit(g);
    ASSERT_TRUE(s.ok()) << s.error().toString();
  }

  // The device's presence: online, or offline since at_ms (its last message).
  void presence(const std::string& device, const std::string& location, bool online, int64_t at_ms) {
    ApplyGroup g;
    g.applied_at_ms = at_ms;
    g.states.push_back({device, online, "till", location, R"({"online":true})", at_ms});
    auto s = ledger_->commit(g);
    ASSERT_TRUE(s.ok()) << s.error().toString();
  }

  coordinator::AtsBreakdown explain(const json& config, const std::string& channel, const std::string& sku) {
    auto c = coordinator::parseAvailabilityConfig(config);
    EXPECT_TRUE(c.ok()) << c.error().toString();
    coordinator::Availability a(*ledger_, *sales_, reservations_, *c, clock_);
    auto b = a.explain(channel, sku);
    EXPECT_TRUE(b.ok()) << b.error().toString();
    auto n = a.availableToSell(channel, sku);
    EXPECT_TRUE(n.ok());
    if (b.ok() && n.ok()) {
      EXPECT_EQ(*n, b->available);
    }
    return b.ok() ? *b : coordinator::AtsBreakdown{};
  }

  test::TempDir dir_;
  common::ManualClock clock_{1'800'000'000'000};
  std::unique_ptr<coordinator::SqlLedger> ledger_;
  std::unique_ptr<coordinator::SalesHistory> sales_;
  FakeReservations reservations_;
  std::map<std::string, uint64_t> seq_;
  std::set<std::string> known_;
};

}  // namespace

TEST_F(AvailabilityTest, OnHandOverServingLocationsOnly) {
  int64_t t = clock_.nowMs() - 10 * kHour;
  apply("hh-1", "store-1", EventType::kReceive, t, "A", 10);
  apply("hh-2", "wh-1", EventType::kReceive, t, "A", 5);
  apply("hh-3", "store-2", EventType::kReceive, t, "A", 7);
  json cfg = {{"channels", {{"shopify", {{"locations", {"store-1", "wh-1"}}}},
                            {"ebay", json::object()},
                            {"amazon", {{"location_rules", {{"store-2", {{"serves", false}}}}}}}}}};
  auto s = explain(cfg, "shopify", "A");
  EXPECT_EQ(s.on_hand, 15);
  EXPECT_EQ(s.available, 15);
  EXPECT_EQ(s.on_hand_by_location.count("store-2"), 0u);
  EXPECT_EQ(explain(cfg, "ebay", "A").available, 22);  // no list: every location
  EXPECT_EQ(explain(cfg, "amazon", "A").available, 15);
}

TEST_F(AvailabilityTest, SafetyStockMostSpecificRuleWinsAndLocationsAddTheirOwn) {
  apply("hh-1", "store-1", EventType::kReceive, clock_.nowMs() - kHour, "A", 20);
  apply("hh-1", "store-1", EventType::kReceive, clock_.nowMs() - kHour, "B", 20);
  json cfg = {{"defaults", {{"safety_stock", 1}}},
              {"channels",
               {{"shopify",
                 {{"safety_stock", 2},
                  {"skus", {{"B", {{"safety_stock", 5}}}}},
                  {"location_rules", {{"store-1", {{"safety_stock", 3}, {"skus", {{"B", 1}}}}}}}}},
                {"ebay", json::object()}}}};
  auto a = explain(cfg, "shopify", "A");
  EXPECT_EQ(a.safety_stock, 2 + 3);
  EXPECT_EQ(a.available, 15);
  auto b = explain(cfg, "shopify", "B");
  EXPECT_EQ(b.safety_stock, 5 + 1);
  EXPECT_EQ(b.available, 14);
  EXPECT_EQ(explain(cfg, "ebay", "A").safety_stock, 1);  // the file's default
}

TEST_F(AvailabilityTest, ReservationsAtServingLocationsAndUnroutedOnesAreHeldBack) {
  apply("hh-1", "store-1", EventType::kReceive, clock_.nowMs() - kHour, "A", 10);
  apply("hh-2", "store-2", EventType::kReceive, clock_.nowMs() - kHour, "A", 10);
  reservations_.by_sku["A"] = {{"store-1", 3}, {"", 2}, {"store-2", 4}};
  json cfg = {{"channels", {{"woocommerce", {{"locations", {"store-1"}}}}}}};
  auto b = explain(cfg, "woocommerce", "A");
  EXPECT_EQ(b.reserved, 5);  // store-2's 4 are held from stock this channel does not sell
  EXPECT_EQ(b.reserved_by_location.count("store-2"), 0u);
  EXPECT_EQ(b.available, 5);
}

TEST_F(AvailabilityTest, PercentThenCapAndNeverBelowZero) {
  apply("hh-1", "store-1", EventType::kReceive, clock_.nowMs() - kHour, "A", 25);
  json cfg = {{"channels",
               {{"amazon", {{"percent", 50}}},
                {"ebay", {{"percent", 50}, {"cap", 10}}},
                {"shopify", {{"safety_stock", 40}}}}}};
  EXPECT_EQ(explain(cfg, "amazon", "A").available, 12);  // floor(25 × 0.5)
  EXPECT_EQ(explain(cfg, "ebay", "A").available, 10);
  auto s = explain(cfg, "shopify", "A");
  EXPECT_EQ(s.net, -15);
  EXPECT_EQ(s.available, 0);
}

TEST_F(AvailabilityTest, OfflineTillsHoldBackTheirLikelySales) {
  const int64_t t0 = clock_.nowMs();
  apply("hh-1", "store-1", EventType::kReceive, t0 - 2 * kHour, "A", 100);
  apply("hh-2", "store-2", EventType::kReceive, t0 - 2 * kHour, "A", 100);
  // 6 sold at store-1 in the hour before the till went quiet; one more long before the window.
  apply("till-1", "store-1", EventType::kSale, t0 - 3 * kHour, "A", 1);
  apply("till-1", "store-1", EventType::kSale, t0 - 50 * 60 * 1000, "A", 2);
  apply("till-1", "store-1", EventType::kSale, t0 - 10 * 60 * 1000, "A", 4);
  presence("till-1", "store-1", false, t0);
  // A till at a location the channel does not sell from, also offline, with sales: ignored.
  apply("till-2", "store-2", EventType::kSale, t0 - 60 * 1000, "A", 50);
  presence("till-2", "store-2", false, t0);
  json cfg = {{"exposure", {{"sales_window_s", 3600}, {"max_exposure_s", 7200}}},
              {"channels", {{"shopify", {{"locations", {"store-1"}}}}}}};

  auto b = explain(cfg, "shopify", "A");
  EXPECT_EQ(b.on_hand, 93);
  EXPECT_EQ(b.exposure_buffer, 0);  // offline for 0 s so far

  clock_.advanceMs(30 * 60 * 1000);  // 30 min offline at 6 units/h: 3 units
  b = explain(cfg, "shopify", "A");
  ASSERT_EQ(b.exposure_terms.size(), 1u);
  EXPECT_EQ(b.exposure_terms[0].device_id, "till-1");
  EXPECT_EQ(b.exposure_terms[0].units_sold_in_window, 6);
  EXPECT_DOUBLE_EQ(b.exposure_terms[0].rate_per_hour, 6.0);
  EXPECT_EQ(b.exposure_buffer, 3);
  EXPECT_EQ(b.available, 90);

  clock_.advanceMs(70 * 1000);  // 31 min 10 s: 3.1167 units, rounded up
  EXPECT_EQ(explain(cfg, "shopify", "A").exposure_buffer, 4);

  clock_.advanceMs(10 * kHour);  // capped at max_exposure_s = 2 h: 12 units
  b = explain(cfg, "shopify", "A");
  EXPECT_EQ(b.exposure_terms[0].offline_s, 7200);
  EXPECT_EQ(b.exposure_buffer, 12);

  presence("till-1", "store-1", true, clock_.nowMs());  // back online: its sales will arrive themselves
  EXPECT_EQ(explain(cfg, "shopify", "A").exposure_buffer, 0);
}

TEST_F(AvailabilityTest, BreakdownJsonNamesEveryTerm) {
  apply("hh-1", "store-1", EventType::kReceive, clock_.nowMs() - kHour, "A", 10);
  json cfg = {{"channels", {{"shopify", {{"cap", 4}}}}}};
  json j = coordinator::toJson(explain(cfg, "shopify", "A"));
  for (const char* k : {"available", "on_hand", "on_hand_by_location", "reserved", "reserved_by_location",
                        "safety_stock", "exposure_buffer", "exposure_terms", "net", "percent", "cap"}) {
    EXPECT_TRUE(j.contains(k)) << k;
  }
  EXPECT_EQ(j["available"], 4);
  EXPECT_EQ(j["cap"], 4);
}

TEST_F(AvailabilityTest, UnknownChannelIsRefused) {
  auto c = coordinator::parseAvailabilityConfig({{"channels", {{"shopify", json::object()}}}});
  ASSERT_TRUE(c.ok());
  coordinator::Availability a(*ledger_, *sales_, reservations_, *c, clock_);
  auto r = a.availableToSell("ebay", "A");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, "unknown_channel");
}

TEST_F(AvailabilityTest, BadConfigIsRefusedWithTheReason) {
  for (const json& bad : {json{{"channels", {{"etsy", json::object()}}}},
                          json{{"channels", {{"shopify", {{"percent", 150}}}}}},
                          json{{"channels", {{"shopify", {{"safety_stok", 1}}}}}},
                          json{{"channels", {{"shopify", {{"cap", -1}}}}}},
                          json{{"exposure", {{"sales_window_s", 0}}}},
                          json{{"channels", {{"ebay", {{"location_rules", {{"s1", {{"serves", "no"}}}}}}}}}}}) {
    auto c = coordinator::parseAvailabilityConfig(bad);
    ASSERT_FALSE(c.ok()) << bad.dump();
    EXPECT_EQ(c.error().code, "bad_config");
  }
}
