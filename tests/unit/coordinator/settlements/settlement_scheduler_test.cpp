// The periodic settlement fetch (settlement_scheduler.h): the plans read from the channels config,
// and which channel is fetched when, with the clock moved by hand (tick(), no thread, no sleep).

#include <gtest/gtest.h>

#include <map>

#include <nlohmann/json.hpp>

#include "sw/common/clock.h"
#include "sw/coordinator/channels/channel_registry.h"
#include "sw/coordinator/orders/order_book.h"
#include "sw/coordinator/orders/revenue.h"
#include "sw/coordinator/settlements/settlement_scheduler.h"
#include "test_support.h"

namespace sw::coordinator::settlements {
namespace {

using nlohmann::json;

TEST(SettlementScheduler, PlansComeFromEachChannelsMinutesWithADefaultAndZeroForNever) {
  json config = {{"channels", {{"shopify", {{"settlement_fetch_minutes", 60}}},
                               {"amazon", {{"settlement_fetch_minutes", 0}}},
                               {"ebay", json::object()}}}};
  auto plans = SettlementScheduler::plansFrom(config, {"shopify", "amazon", "ebay"});
  ASSERT_TRUE(plans.ok()) << plans.error().toString();
  ASSERT_EQ(plans->size(), 2u) << "amazon is off";
  EXPECT_EQ((*plans)[0].channel, "shopify");
  EXPECT_EQ((*plans)[0].interval_ms, 3'600'000);
  EXPECT_EQ((*plans)[1].channel, "ebay");
  EXPECT_EQ((*plans)[1].interval_ms, SettlementScheduler::kDefaultMinutes * 60'000);
  EXPECT_TRUE(SettlementScheduler::plansFrom(json::object(), {}).value().empty());
  for (json bad : {json(-1), json(1.5), json("60"), json(43'201)}) {
    json c = {{"channels", {{"shopify", {{"settlement_fetch_minutes", bad}}}}}};
    auto p = SettlementScheduler::plansFrom(c, {"shopify"});
    ASSERT_FALSE(p.ok()) << bad.dump();
    EXPECT_EQ(p.error().kind, common::ErrorKind::kFatal);
  }
}

TEST(SettlementScheduler, EachChannelIsFetchedEveryIntervalAfterStartAndAFailureRetriesSooner) {
  common::ManualClock clock(1'000'000);
  const int64_t t0 = 1'000'000;
  std::map<std::string, int> calls;
  bool ebay_fails = true;
  SettlementScheduler s({{"shopify", 60 * 60'000}, {"ebay", 30 * 60'000}, {"walmart", 10 * 60'000}},
                        [&](const std::string& ch) -> common::Result<FetchReport> {
                          calls[ch]++;
                          if (ch == "walmart") return common::Error::reject("not_supported", "payouts not read");
                          if (ch == "ebay" && ebay_fails) return common::Error::retry("http_429", "quota");
                          FetchReport r;
                          r.channel = ch;
                          return r;
                        },
                        clock);
  EXPECT_EQ(s.tick(), t0 + 10 * 60'000) << "the first of each one interval after start";
  EXPECT_TRUE(calls.empty()) << "nothing at start";

  clock.advanceMs(10 * 60'000);
  EXPECT_EQ(s.tick(), t0 + 30 * 60'000);
  EXPECT_EQ(calls["walmart"], 1);
  clock.advanceMs(20 * 60'000);  // t0 + 30 min
  int64_t next = s.tick();
  EXPECT_EQ(calls["ebay"], 1);
  EXPECT_EQ(s.counts("ebay").failures, 1);
  EXPECT_EQ(next, t0 + 30 * 60'000 + SettlementScheduler::kRetryMs) << "the failed one comes back first";

  clock.advanceMs(SettlementScheduler::kRetryMs - 1);
  s.tick();
  EXPECT_EQ(calls["ebay"], 1) << "not before it is due";
  ebay_fails = false;
  clock.advanceMs(1);  // t0 + 35 min
  next = s.tick();
  EXPECT_EQ(calls["ebay"], 2);
  EXPECT_EQ(next, t0 + 60 * 60'000) << "shopify's first hour is next";

  clock.advanceMs(25 * 60'000);  // t0 + 60 min
  s.tick();
  EXPECT_EQ(calls["shopify"], 1);
  EXPECT_EQ(calls["ebay"], 2) << "its half hour runs from its retry";
  clock.advanceMs(10 * 60'000);  // t0 + 70 min
  s.tick();
  EXPECT_EQ(calls["ebay"], 3);
  EXPECT_EQ(s.counts("ebay").fetches, 3);
  EXPECT_EQ(s.counts("ebay").failures, 1);
  EXPECT_EQ(calls["walmart"], 1) << "a channel whose payouts are not read is not asked again";
  EXPECT_EQ(s.counts("walmart").failures, 1);
}

TEST(SettlementScheduler, WithoutPlansNothingRunsAndStartStopsCleanly) {
  common::ManualClock clock(0);
  int calls = 0;
  SettlementScheduler s({}, [&](const std::string&) -> common::Result<FetchReport> {
    ++calls;
    return FetchReport{};
  }, clock);
  EXPECT_EQ(s.tick(), INT64_MAX);
  s.start();
  s.stop();
  EXPECT_EQ(calls, 0);
}

// Payouts and fees go to the revenue book once, for every channel, whatever the match found;
// WooCommerce's order totals and failed payouts do not (no money moved). Real SQLite files.
TEST(SettlementRevenue, PayoutsAndFeesAreRecordedOncePerPayout) {
  test::TempDir dir;
  common::ManualClock clock(1'765'000'000'000);
  auto registry = channels::ChannelRegistry::fromConfig(json::object(), false, clock);
  ASSERT_TRUE(registry.ok()) << registry.error().toString();
  auto book = OrderBook::open(dir.file("ledger.db.orders"), clock);
  ASSERT_TRUE(book.ok()) << book.error().toString();
  auto revenue = RevenueBook::open(dir.file("ledger.db.orders"), clock);
  ASSERT_TRUE(revenue.ok()) << revenue.error().toString();
  auto store = SettlementStore::open(dir.file("ledger.db.channels"));
  ASSERT_TRUE(store.ok()) << store.error().toString();
  SettlementService service(**registry, **book, **store, clock);
  service.setRevenue(revenue->get());

  auto dec = [](const char* t) { return *common::Decimal::parse(t); };
  auto payout = [&](channels::ChannelKind ch, const char* id, const char* status) {
    channels::Payout p;
    p.channel = ch;
    p.payout_id = id;
    p.status = status;
    p.date = "2026-12-07";
    p.currency = "USD";
    channels::PayoutLine sale;
    sale.line_id = "1";
    sale.kind = channels::PayoutLineKind::kOrder;
    sale.order_id = "O-1";
    sale.amount = dec("25.00");
    sale.fee = dec("2.58");
    sale.net = dec("22.42");
    sale.currency = "USD";
    channels::PayoutLine ad;
    ad.line_id = "2";
    ad.kind = channels::PayoutLineKind::kFee;
    ad.amount = dec("-1.25");
    ad.net = dec("-1.25");
    ad.currency = "USD";
    p.lines = {sale, ad};
    p.amount = dec("21.17");
    return p;
  };
  ASSERT_TRUE(service.reconcile(payout(channels::ChannelKind::kEbay, "6000012345", "SUCCEEDED")).ok());
  ASSERT_TRUE(service.reconcile(payout(channels::ChannelKind::kEbay, "6000012345", "SUCCEEDED")).ok()) << "fetched again";
  ASSERT_TRUE(service.reconcile(payout(channels::ChannelKind::kAmazon, "S-9", "failed")).ok());
  ASSERT_TRUE(service.reconcile(payout(channels::ChannelKind::kWooCommerce, "101", "completed")).ok());
  auto lines = (*revenue)->lines(0, INT64_MAX);
  ASSERT_TRUE(lines.ok()) << lines.error().toString();
  ASSERT_EQ(lines->size(), 2u) << "one payout and one fee line, once";
  std::map<std::string, RevenueLine> by_source;
  for (const RevenueLine& l : *lines) by_source[l.source] = l;
  const RevenueLine& paid = by_source.at("payout:ebay:6000012345");
  EXPECT_EQ(paid.kind, RevenueKind::kPayout);
  EXPECT_EQ(paid.gross, dec("21.17"));
  EXPECT_EQ(paid.channel, "ebay");
  EXPECT_EQ(paid.currency, "USD");
  EXPECT_EQ(paid.at_ms, 1'796'601'600'000) << "2026-12-07 00:00 UTC";
  const RevenueLine& fee = by_source.at("fee:ebay:6000012345");
  EXPECT_EQ(fee.kind, RevenueKind::kFee);
  EXPECT_EQ(fee.gross, dec("3.83")) << "the sale's fee and the fee line";
}

}  // namespace
}  // namespace sw::coordinator::settlements
