// The load generator's traffic: the rates it promises, its opening bursts and offline spells.
// Deterministic (fixed seeds), so the tolerances below are checks of the model, not of luck.

#include <gtest/gtest.h>

#include "sw/loadgen/lag_histogram.h"
#include "sw/loadgen/traffic.h"

using namespace sw;

namespace {

// Sales of `devices` devices (one store each) in [0, until_ms), counted per window of `window_ms`.
std::vector<int64_t> salesPerWindow(const loadgen::TrafficModel& m, int64_t devices, int64_t until_ms,
                                    int64_t window_ms) {
  std::mt19937_64 rng(42);
  std::vector<int64_t> counts(static_cast<size_t>(until_ms / window_ms), 0);
  for (int64_t d = 0; d < devices; ++d) {
    for (int64_t t = m.nextSale(d, d, 0, rng); t < until_ms; t = m.nextSale(d, d, t, rng)) {
      ++counts[static_cast<size_t>(t / window_ms)];
    }
  }
  return counts;
}

}  // namespace

TEST(Traffic, ASteadyRateIsSpreadOverTheFleet) {
  loadgen::TrafficConfig c;
  c.sales_per_s = 20;
  loadgen::TrafficModel m(c, 100);
  auto counts = salesPerWindow(m, 100, 1'000'000, 1'000'000);
  EXPECT_NEAR(static_cast<double>(counts[0]), 20'000, 600);  // 1000 s at 20/s, within 3%
}

TEST(Traffic, StoresSellFasterInTheOpeningHour) {
  loadgen::TrafficConfig c;
  c.sales_per_s = 10;
  c.day_s = 100;
  c.opening_s = 20;
  c.opening_factor = 5;
  loadgen::TrafficModel m(c, 50);
  EXPECT_TRUE(m.inOpening(0, 0));
  EXPECT_TRUE(m.inOpening(0, 119'000));
  EXPECT_FALSE(m.inOpening(0, 20'000));
  // Ten days: windows of 20 s alternate one opening, four ordinary.
  auto counts = salesPerWindow(m, 50, 1'000'000, 20'000);
  int64_t opening = 0, ordinary = 0;
  for (size_t i = 0; i < counts.size(); ++i) (i % 5 == 0 ? opening : ordinary) += counts[i];
  EXPECT_NEAR(static_cast<double>(opening) / 10, 10 * 5 * 20, 100);  // per opening window
  EXPECT_NEAR(static_cast<double>(ordinary) / 40, 10 * 20, 20);        // per ordinary window
}

TEST(Traffic, StaggeredOpeningsShiftEachStoresDay) {
  loadgen::TrafficConfig c;
  c.day_s = 100;
  c.opening_s = 10;
  c.opening_factor = 3;
  c.opening_spread_s = 50;
  loadgen::TrafficModel m(c, 10);
  // Each store's day starts somewhere in the first 50 s: 25 s in, those that started 15-25 s
  // ago are in their opening (a fifth of them), and the others are not.
  int opening = 0;
  for (int64_t store = 0; store < 500; ++store) opening += m.inOpening(store, 25'000) ? 1 : 0;
  EXPECT_NEAR(opening, 100, 30);
}

TEST(Traffic, AShareOfDevicesGoesOfflineOnceAndSellsFasterMeanwhile) {
  loadgen::TrafficConfig c;
  c.sales_per_s = 100;
  c.offline_share = 0.2;
  c.offline_at_s = 10;
  c.offline_s = 30;
  c.offline_rate_factor = 4;
  loadgen::TrafficModel m(c, 1000);
  int offline = 0;
  for (int64_t d = 0; d < 1000; ++d) {
    auto s = m.offlineSpell(d);
    if (!s) continue;
    ++offline;
    EXPECT_GE(s->from_ms, 10'000);
    EXPECT_LT(s->from_ms, 40'000);
    EXPECT_EQ(s->until_ms - s->from_ms, 30'000);
    EXPECT_DOUBLE_EQ(m.deviceRate(d, 0, s->from_ms), 0.4);
    EXPECT_DOUBLE_EQ(m.deviceRate(d, 0, s->until_ms), 0.1);
  }
  EXPECT_NEAR(offline, 200, 40);
  // The same seed picks the same devices.
  loadgen::TrafficModel again(c, 1000);
  for (int64_t d = 0; d < 1000; ++d) EXPECT_EQ(m.offlineSpell(d).has_value(), again.offlineSpell(d).has_value());
}

TEST(Traffic, NoRateMeansNoSales) {
  loadgen::TrafficConfig c;
  c.sales_per_s = 0;
  loadgen::TrafficModel m(c, 10);
  std::mt19937_64 rng(1);
  EXPECT_EQ(m.nextSale(0, 0, 0, rng), INT64_MAX);
}

TEST(Traffic, SalesAndReturnsAreValidEvents) {
  loadgen::TrafficConfig c;
  c.return_share = 0.1;
  c.skus = 100;
  loadgen::TrafficModel m(c, 1);
  std::mt19937_64 rng(7);
  int returns = 0;
  for (int i = 0; i < 2000; ++i) {
    auto sale = m.makeSale(rng);
    common::Event e;
    e.device_id = "lg-00000";
    e.seq = 1;
    e.event_id = "0190a6d2-0000-7000-8000-000000000001";
    e.type = sale.type;
    e.occurred_at_ms = 1'700'000'000'000;
    e.location = "lg-store-0000";
    e.lines = sale.lines;
    ASSERT_TRUE(common::validateEvent(e).ok()) << common::validateEvent(e).error().toString();
    ASSERT_GE(sale.lines.size(), 1u);
    ASSERT_LE(sale.lines.size(), 3u);
    if (sale.type == common::EventType::kReturn) ++returns;
  }
  EXPECT_NEAR(returns, 200, 50);
}

TEST(LagHistogram, PercentilesAreExactToTheMillisecondUnderTenSeconds) {
  loadgen::LagHistogram h;
  for (int i = 1; i <= 100; ++i) h.add(i);
  EXPECT_EQ(h.count(), 100u);
  EXPECT_EQ(h.percentileMs(50), 50);
  EXPECT_EQ(h.percentileMs(99), 99);
  EXPECT_EQ(h.maxMs(), 100);
  h.add(3'600'000);  // an hour: a coarse bucket, never above the maximum
  EXPECT_EQ(h.percentileMs(100), 3'600'000);
  h.add(-5);  // a clock that stepped back counts as 0
  EXPECT_EQ(h.percentileMs(0), 0);
  loadgen::LagHistogram other;
  other.add(7);
  h.merge(other);
  EXPECT_EQ(h.count(), 103u);
  h.clear();
  EXPECT_EQ(h.count(), 0u);
  EXPECT_EQ(h.percentileMs(99), 0);
}
