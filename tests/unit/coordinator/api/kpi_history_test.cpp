// The KPI history: points kept within the retention and no longer, read back by name and time
// range; the sampler's figures from a real ledger and order book (real SQLite files).

#include <gtest/gtest.h>

#include "sw/common/uuid.h"
#include "sw/coordinator/api/kpi_sampler.h"
#include "sw/coordinator/api/kpi_series.h"
#include "sw/coordinator/ledger/sql_ledger.h"
#include "sw/coordinator/orders/order_book.h"
#include "schema_upgrade.h"
#include "test_support.h"

using namespace sw;
using coordinator::KpiSeries;
using coordinator::KpiValue;
using coordinator::SqliteKpiSeries;

namespace {

constexpr int64_t kHour = 3'600'000;

std::unique_ptr<SqliteKpiSeries> openStore(const std::string& path) {
  auto s = SqliteKpiSeries::open(path);
  EXPECT_TRUE(s.ok()) << s.error().toString();
  return s.ok() ? std::move(*s) : nullptr;
}

const KpiSeries* find(const std::vector<KpiSeries>& all, const std::string& name,
                      const coordinator::KpiLabels& labels = {}) {
  for (const KpiSeries& s : all) {
    if (s.name == name && s.labels == labels) return &s;
  }
  return nullptr;
}

TEST(KpiSeriesStore, PointsAreReadBackByNameAndRangeWithTheirUnitLabelsAndTarget) {
  test::TempDir dir;
  auto store = openStore(dir.file("ledger.db"));
  ASSERT_TRUE(store);
  for (int64_t at : {1'000, 2'000, 3'000}) {
    std::vector<KpiValue> values = {
        {"sync_latency_p99_ms", "ms", {}, std::nullopt, static_cast<double>(at) / 10},
        {"channel_latency_p99_ms", "ms", {{"channel", "shopify"}}, std::nullopt, 7.5},
        {"channel_latency_p99_ms", "ms", {{"channel", "ebay"}}, std::nullopt, 9},
        {"fulfilment_accuracy_pct", "%", {}, 99.5, 100},
    };
    ASSERT_TRUE(store->append(at, values, 0).ok());
  }
  auto all = store->query({}, 0, 10'000);
  ASSERT_TRUE(all.ok()) << all.error().toString();
  EXPECT_EQ(all->size(), 4u);
  const KpiSeries* shopify = find(*all, "channel_latency_p99_ms", {{"channel", "shopify"}});
  ASSERT_NE(shopify, nullptr);
  EXPECT_EQ(shopify->unit, "ms");
  EXPECT_FALSE(shopify->target);
  ASSERT_EQ(shopify->points.size(), 3u);
  EXPECT_EQ(shopify->points[0], (std::pair<int64_t, double>{1'000, 7.5}));
  const KpiSeries* acc = find(*all, "fulfilment_accuracy_pct");
  ASSERT_NE(acc, nullptr);
  ASSERT_TRUE(acc->target);
  EXPECT_DOUBLE_EQ(*acc->target, 99.5);

  // By name and range: only the named series, only points inside [since, until].
  auto some = store->query({"sync_latency_p99_ms"}, 1'500, 3'000);
  ASSERT_TRUE(some.ok());
  ASSERT_EQ(some->size(), 1u);
  EXPECT_EQ((*some)[0].points,
            (std::vector<std::pair<int64_t, double>>{{2'000, 200.0}, {3'000, 300.0}}));
  auto none = store->query({"no_such_series"}, 0, 10'000);
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());
  // A second sample at the same instant replaces the first.
  ASSERT_TRUE(store->append(3'000, {{"sync_latency_p99_ms", "ms", {}, std::nullopt, 1}}, 0).ok());
  some = store->query({"sync_latency_p99_ms"}, 3'000, 3'000);
  ASSERT_TRUE(some.ok());
  ASSERT_EQ(some->size(), 1u);
  EXPECT_EQ((*some)[0].points, (std::vector<std::pair<int64_t, double>>{{3'000, 1.0}}));
}

TEST(KpiSeriesStore, EachAppendDeletesWhatIsOlderThanTheRetentionSoTheTableStaysBounded) {
  test::TempDir dir;
  auto store = openStore(dir.file("ledger.db"));
  ASSERT_TRUE(store);
  // A sample every 10 "minutes" for two "days", keeping 1 "day": never more than a day's points.
  const int64_t step = 10 * 60'000, keep = 24 * kHour;
  int64_t max_points = 0;
  for (int64_t at = step; at <= 48 * kHour; at += step) {
    std::vector<KpiValue> values = {{"devices_offline", "count", {}, std::nullopt, 1}};
    // A series that is sampled only early on goes away with its last point.
    if (at <= 2 * kHour) values.push_back({"sales_units", "units", {{"location", "store-9"}}, std::nullopt, 3});
    ASSERT_TRUE(store->append(at, values, at - keep).ok());
    auto n = store->pointCount();
    ASSERT_TRUE(n.ok());
    max_points = std::max(max_points, *n);
  }
  EXPECT_LE(max_points, 2 * (keep / step + 1));
  auto all = store->query({}, 0, 100 * kHour);
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 1u);
  const auto& points = (*all)[0].points;
  EXPECT_EQ(static_cast<int64_t>(points.size()), keep / step + 1);
  EXPECT_EQ(points.front().first, 48 * kHour - keep);
  EXPECT_EQ(points.back().first, 48 * kHour);
  // Kept across a reopen (it is the ledger file's table, not memory).
  store.reset();
  store = openStore(dir.file("ledger.db"));
  ASSERT_TRUE(store);
  auto last = store->lastSampleAt();
  ASSERT_TRUE(last.ok());
  EXPECT_EQ(*last, 48 * kHour);
}

// The sampler over a real ledger and order book: sales since the last sample by location, the
// sync latency of the events applied since then, the fleet's exposure, and the retention.
class KpiSamplerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto l = coordinator::SqlLedger::open({.path = dir_.file("ledger.db")});
    ASSERT_TRUE(l.ok()) << l.error().toString();
    ledger_ = std::move(*l);
    auto b = coordinator::OrderBook::open(dir_.file("ledger.db.orders"), clock_);
    ASSERT_TRUE(b.ok()) << b.error().toString();
    book_ = std::move(*b);
    store_ = openStore(dir_.file("ledger.db"));
    ASSERT_TRUE(store_);
  }

  // One sale of `qty` at `price` (4-decimal units) that occurred `latency_ms` before it is applied now.
  void sell(const std::string& device, const std::string& location, int64_t qty, int64_t latency_ms,
            common::EventType type = common::EventType::kSale) {
    common::Event e;
    e.device_id = device;
    e.seq = ++seq_[device];
    e.event_id = common::newUuid();
    e.type = type;
    e.occurred_at_ms = clock_.nowMs() - latency_ms;
    e.location = location;
    common::Line line;
    line.sku = "SKU-1";
    line.qty = qty;
    line.unit_price = *common::Decimal::parse("2.50");
    e.lines.push_back(line);
    coordinator::ApplyGroup g;
    g.applied_at_ms = clock_.nowMs();
    if (seq_[device] == 1) g.new_devices[device] = common::newUuid();
    g.cursors[device] = e.seq;
    g.events.push_back({e, 0});
    auto s = ledger_->commit(g);
    ASSERT_TRUE(s.ok()) << s.error().toString();
  }

  static std::optional<double> value(const std::vector<KpiValue>& values, const std::string& name,
                                     const coordinator::KpiLabels& labels = {}) {
    for (const KpiValue& v : values) {
      if (v.name == name && v.labels == labels) return v.value;
    }
    return std::nullopt;
  }

  test::TempDir dir_;
  common::ManualClock clock_;
  std::unique_ptr<coordinator::SqlLedger> ledger_;
  std::unique_ptr<coordinator::OrderBook> book_;
  std::unique_ptr<SqliteKpiSeries> store_;
  std::map<std::string, uint64_t> seq_;
};

TEST_F(KpiSamplerTest, EachSampleCountsWhatWasAppliedSinceTheLastOne) {
  coordinator::KpiSampler sampler({.ledger = ledger_.get(), .orders = book_.get()}, *store_, clock_,
                                  {.interval_ms = 60'000, .retention_h = 1});
  clock_.advanceMs(1'000);
  sell("till-1", "store-1", 2, 100);
  sell("till-1", "store-1", 3, 300);
  sell("till-2", "store-2", 1, 200);
  clock_.advanceMs(59'000);
  ASSERT_TRUE(sampler.sampleOnce().ok());
  auto first = store_->query({}, 0, clock_.nowMs());
  ASSERT_TRUE(first.ok());
  auto last_point = [&](const std::string& name, const coordinator::KpiLabels& labels = {}) -> std::optional<double> {
    auto all = store_->query({name}, 0, clock_.nowMs());
    if (!all.ok()) return std::nullopt;
    const KpiSeries* s = find(*all, name, labels);
    if (!s || s->points.empty()) return std::nullopt;
    return s->points.back().second;
  };
  EXPECT_EQ(last_point("sales_units", {{"location", "store-1"}}), 5);
  EXPECT_EQ(last_point("sales_units", {{"location", "store-2"}}), 1);
  EXPECT_EQ(last_point("sales_amount", {{"location", "store-1"}}), 12.5);
  EXPECT_EQ(last_point("sync_latency_p50_ms"), 200);
  EXPECT_EQ(last_point("sync_latency_p99_ms"), 300);
  // Nothing returned of 6 sold: 0. Nothing shipped or counted yet: no ratio to draw (a gap, not a 0).
  EXPECT_EQ(last_point("return_rate_pct"), 0);
  EXPECT_EQ(last_point("inventory_accuracy_pct"), std::nullopt);
  EXPECT_EQ(last_point("fulfilment_accuracy_pct"), std::nullopt);
  // Neither till has sent a state message: neither is online.
  EXPECT_EQ(last_point("devices_offline"), 2);

  // The next sample counts only what came after: one return of 1 unit at store-2, nothing sold.
  clock_.advanceMs(1'000);
  sell("till-2", "store-2", 1, 50, common::EventType::kReturn);
  clock_.advanceMs(59'000);
  auto values = sampler.collect(clock_.nowMs());
  ASSERT_TRUE(values.ok()) << values.error().toString();
  EXPECT_EQ(value(*values, "sales_units", {{"location", "store-1"}}), 0);
  EXPECT_EQ(value(*values, "sales_units", {{"location", "store-2"}}), 0);
  EXPECT_EQ(value(*values, "sync_latency_p50_ms"), 50);
  // Returned against sold over the trailing day: 1 of 6 units.
  ASSERT_TRUE(value(*values, "return_rate_pct"));
  EXPECT_NEAR(*value(*values, "return_rate_pct"), 100.0 / 6, 1e-9);
}

TEST_F(KpiSamplerTest, PointsOlderThanTheRetentionAreDeletedAtEachSample) {
  coordinator::KpiSampler sampler({.ledger = ledger_.get()}, *store_, clock_, {.interval_ms = 60'000, .retention_h = 1});
  sell("till-1", "store-1", 1, 10);
  const int64_t first_at = clock_.nowMs() + 60'000;
  for (int i = 0; i < 90; ++i) {  // an hour and a half of samples, an hour kept
    clock_.advanceMs(60'000);
    ASSERT_TRUE(sampler.sampleOnce().ok());
  }
  auto all = store_->query({"devices_offline"}, 0, clock_.nowMs());
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 1u);
  EXPECT_EQ((*all)[0].points.size(), 61u);  // [now - 1 h, now], one a minute
  EXPECT_GT((*all)[0].points.front().first, first_at);
  EXPECT_EQ((*all)[0].points.back().first, clock_.nowMs());
}

}  // namespace

// Issue 21: the KPI history's first schema is its only one so far (it was new with
// schema_versions; no earlier release to upgrade from): a file a newer build migrated is refused,
// saying which version it found, which this build supports and what to do, and left as it was.
TEST(KpiSeriesStore, AHistoryOfANewerSchemaIsRefusedAndLeftAsItWas) {
  test::TempDir dir;
  const std::string path = dir.file("ledger.db");
  {
    auto store = openStore(path);
    ASSERT_TRUE(store);
    KpiValue v;
    v.name = "queue_depth";
    v.unit = "count";
    v.value = 3;
    ASSERT_TRUE(store->append(1'000, {v}, 0).ok());
  }
  const auto known = static_cast<int64_t>(SqliteKpiSeries::schemaSteps().size());
  ASSERT_NO_FATAL_FAILURE(test::setSchemaVersion(path, "kpi_history", known + 1));
  const std::string before = test::contentsOf(path);
  ASSERT_NE(before.find("kpi_points 1|1000|3.0"), std::string::npos) << before;
  auto refused = SqliteKpiSeries::open(path);
  ASSERT_FALSE(refused.ok());
  EXPECT_TRUE(test::refusedAsTooNew(refused.error(), "kpi_history", known + 1, known));
  EXPECT_EQ(test::contentsOf(path), before);
}
