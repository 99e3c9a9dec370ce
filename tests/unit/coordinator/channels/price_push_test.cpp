// Prices through the push scheduler against a scripted connector (no network), on a clock moved
// by hand: a promotion's start and end push again on their own, unchanged prices are not sent,
// an import reprices, refusals are dead-lettered, retries back off, and a connector without
// prices turns them off without touching quantities. Waits on conditions, never on time.

#include <gtest/gtest.h>

#include <mutex>

#include "sw/coordinator/channels/push_scheduler.h"
#include "test_support.h"

using namespace sw;
using namespace sw::coordinator::channels;
using namespace std::chrono_literals;
using common::Decimal;
using common::PriceEntry;

namespace {

constexpr int64_t kHour = 3'600'000;

class PricedConnector final : public ChannelConnector {
 public:
  struct Shared {
    std::mutex mu;
    bool prices = true;                                 // false: pushPrices is not overridden in effect
    std::vector<std::vector<PriceUpdate>> price_calls;  // every pushPrices, as sent
    std::map<std::string, std::vector<ItemOutcome>> script;
    size_t quantity_calls = 0;
    // kAccepted prices go into feed "F<n>" (n = the price call) and are reported later: what
    // collectAcceptedPrices() hands out next (and then forgets).
    std::vector<ItemResult> feed_results;
    size_t collects = 0;
  };
  explicit PricedConnector(std::shared_ptr<Shared> s) : s_(std::move(s)) {}
  ChannelKind kind() const override { return ChannelKind::kWooCommerce; }
  size_t maxBatch() const override { return 100; }
  bool supportsCompareAndSet() const override { return false; }
  common::Result<PushResult> pushQuantities(const std::vector<QuantityUpdate>& updates) override {
    std::lock_guard lock(s_->mu);
    s_->quantity_calls++;
    PushResult out;
    for (const auto& u : updates) out.items.push_back({u.sku, ItemOutcome::kApplied, "", "", u.quantity, 0, ""});
    return out;
  }
  common::Result<PushResult> pushPrices(const std::vector<PriceUpdate>& updates) override {
    std::lock_guard lock(s_->mu);
    if (!s_->prices) return common::Error::reject("not_supported", "no prices here");
    s_->price_calls.push_back(updates);
    PushResult out;
    for (const auto& u : updates) {
      ItemResult r;
      r.sku = u.price.sku;
      r.outcome = ItemOutcome::kApplied;
      auto& script = s_->script[u.price.sku];
      if (!script.empty()) {
        r.outcome = script.front();
        script.erase(script.begin());
      }
      if (r.outcome == ItemOutcome::kRejected) {
        r.code = "rest_invalid_param";
        r.message = "Invalid parameter(s): regular_price";
      }
      if (r.outcome == ItemOutcome::kRetry) r.retry_after_ms = 5;
      if (r.outcome == ItemOutcome::kAccepted) {
        r.submission_id = "F" + std::to_string(s_->price_calls.size());
        r.reported_later = true;
      }
      out.items.push_back(r);
    }
    return out;
  }
  common::Result<std::vector<ItemResult>> collectAcceptedPrices() override {
    std::lock_guard lock(s_->mu);
    s_->collects++;
    return std::move(s_->feed_results);
  }
  common::Result<std::vector<ChannelLevel>> readQuantities(const std::vector<std::string>& skus) override {
    std::vector<ChannelLevel> out;
    for (const auto& sku : skus) out.push_back({sku, true, 0, "1"});
    return out;
  }
  common::Result<OrderPage> pollOrders(const OrderCursor&) override { return OrderPage{}; }
  RateState rateState() const override { return {}; }
  int64_t msUntilReady(Operation, size_t) const override { return 0; }

 private:
  std::shared_ptr<Shared> s_;
};

class PricePushTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto d = DeadLetterStore::open(dir_.file("dead.db"));
    ASSERT_TRUE(d.ok()) << d.error().toString();
    dead_ = std::move(*d);
    t0_ = clock_.nowMs();
    base("10.00");
    promo_ = PriceEntry{"price_list", "WINTER", *Decimal::parse("7.00"), "USD", t0_ + kHour, t0_ + 2 * kHour};
  }
  void TearDown() override {
    if (sched_) sched_->stop();
  }
  void base(const char* price) {
    std::lock_guard lock(mu_);
    base_ = PriceEntry{"price_list", "", *Decimal::parse(price), "USD", 0, 0};
  }
  void start() {
    PushOptions o;
    o.reconcile_at_start = false;
    o.backoff_initial_ms = 5;
    o.refresh_interval_s = 0;
    sched_ = std::make_unique<PushScheduler>(
        [](const std::string&, const std::string&) -> common::Result<int64_t> { return 3; },
        []() -> common::Result<std::vector<std::string>> { return std::vector<std::string>{"A"}; }, *dead_, clock_, o);
    PriceRules rules;
    rules.markup_pct = *Decimal::parse("10");
    sched_->setPrices([this, rules](const std::string&, const std::string& sku, int64_t now) -> common::Result<PriceQuote> {
      std::vector<PriceEntry> entries;
      {
        std::lock_guard lock(mu_);
        entries = {base_, promo_};
      }
      return PriceQuote{channelPrice(sku, entries, now, rules), nextPriceChangeMs(entries, now)};
    });
    sched_->addChannel("woocommerce", std::make_unique<PricedConnector>(ch_));
    sched_->start();
  }
  size_t priceCalls() {
    std::lock_guard lock(ch_->mu);
    return ch_->price_calls.size();
  }
  ChannelPrice lastSent() {
    std::lock_guard lock(ch_->mu);
    return ch_->price_calls.back().back().price;
  }
  ChannelStatus status() { return sched_->status()[0]; }

  test::TempDir dir_;
  common::ManualClock clock_;
  int64_t t0_ = 0;
  std::mutex mu_;
  PriceEntry base_;
  PriceEntry promo_;
  std::unique_ptr<DeadLetterStore> dead_;
  std::shared_ptr<PricedConnector::Shared> ch_ = std::make_shared<PricedConnector::Shared>();
  std::unique_ptr<PushScheduler> sched_;
};

TEST_F(PricePushTest, APromotionStartsAndEndsOnTheClockWithoutAnyNotice) {
  start();
  ASSERT_TRUE(test::waitFor([&] { return priceCalls() == 1; }, 10s));
  EXPECT_EQ(lastSent().regular, *Decimal::parse("11.00"));  // 10.00 + 10%
  EXPECT_FALSE(lastSent().sale);
  ASSERT_TRUE(test::waitFor([&] { return status().price_timers == 1; }, 10s));

  clock_.advanceMs(kHour);  // the promotion starts: nothing but the clock moved
  ASSERT_TRUE(test::waitFor([&] { return priceCalls() == 2; }, 10s));
  ChannelPrice on = lastSent();
  EXPECT_EQ(on.regular, *Decimal::parse("11.00"));
  ASSERT_TRUE(on.sale);
  EXPECT_EQ(*on.sale, *Decimal::parse("7.70"));
  EXPECT_EQ(on.sale_starts_ms, t0_ + kHour);
  EXPECT_EQ(on.sale_ends_ms, t0_ + 2 * kHour);

  clock_.advanceMs(kHour);  // and ends (exclusive end)
  ASSERT_TRUE(test::waitFor([&] { return priceCalls() == 3; }, 10s));
  EXPECT_FALSE(lastSent().sale);
  EXPECT_EQ(lastSent().regular, *Decimal::parse("11.00"));
  ASSERT_TRUE(test::waitFor([&] { return status().price_timers == 0 && status().price_queue == 0; }, 10s));
  EXPECT_EQ(status().prices_pushed, 3);
  EXPECT_EQ(status().prices, "on");
}

TEST_F(PricePushTest, AnImportRepricesButUnchangedPricesAreNotSent) {
  start();
  ASSERT_TRUE(test::waitFor([&] { return priceCalls() == 1; }, 10s));
  int64_t skipped = status().skipped_unchanged;
  sched_->pricesChanged();  // nothing changed in the catalog
  ASSERT_TRUE(test::waitFor([&] { return status().skipped_unchanged > skipped; }, 10s));
  EXPECT_EQ(priceCalls(), 1u);
  base("12.00");
  sched_->pricesChanged();
  ASSERT_TRUE(test::waitFor([&] { return priceCalls() == 2; }, 10s));
  EXPECT_EQ(lastSent().regular, *Decimal::parse("13.20"));
}

TEST_F(PricePushTest, RefusedPricesAreDeadLetteredAndRetriesBackOff) {
  {
    std::lock_guard lock(ch_->mu);
    ch_->script["A"] = {ItemOutcome::kRetry, ItemOutcome::kRejected};
  }
  start();
  ASSERT_TRUE(test::waitFor([&] { return priceCalls() == 1 && status().retried >= 1; }, 10s));
  clock_.advanceMs(10);  // past the channel's retry_after_ms
  ASSERT_TRUE(test::waitFor([&] { return status().failed == 1; }, 10s));
  auto letters = dead_->list(false, 10);
  ASSERT_TRUE(letters.ok());
  ASSERT_EQ(letters->size(), 1u);
  EXPECT_EQ((*letters)[0].sku, "A");
  EXPECT_EQ((*letters)[0].code, "price:rest_invalid_param");
  EXPECT_EQ((*letters)[0].quantity, 1100);  // the refused price, in cents
  EXPECT_EQ(status().prices_pushed, 0);

  auto replayed = sched_->replay((*letters)[0].id);  // sends the price computed now
  ASSERT_TRUE(replayed.ok()) << replayed.error().toString();
  ASSERT_TRUE(test::waitFor([&] { return status().prices_pushed == 1; }, 10s));
  EXPECT_EQ(priceCalls(), 3u);
}

// Issue 22 (Walmart's price feeds): a price accepted into a feed is followed to its result. One not
// applied is priced and sent again; one refused is a dead letter with the price in cents; a result
// from an older feed than the SKU's newest price is ignored.
TEST_F(PricePushTest, APriceAcceptedIntoAFeedIsFollowedToItsResult) {
  {
    std::lock_guard lock(ch_->mu);
    ch_->script["A"] = {ItemOutcome::kAccepted, ItemOutcome::kAccepted};
  }
  auto report = [&](const std::string& feed, ItemOutcome outcome) {
    std::lock_guard lock(ch_->mu);
    ItemResult r;
    r.sku = "A";
    r.outcome = outcome;
    r.submission_id = feed;
    r.reported_later = true;
    if (outcome == ItemOutcome::kRejected) {
      r.code = "ERR_PRICE";
      r.message = "price below the floor";
    }
    ch_->feed_results.push_back(r);
  };
  auto collects = [&] {
    std::lock_guard lock(ch_->mu);
    return ch_->collects;
  };
  start();
  ASSERT_TRUE(test::waitFor([&] { return priceCalls() == 1 && status().prices_awaiting == 1; }, 10s));
  EXPECT_EQ(status().prices_pushed, 1) << "accepted counts as pushed, as for quantities";
  ASSERT_TRUE(test::waitFor([&] { return collects() >= 1; }, 10s));

  report("F1", ItemOutcome::kRetry);  // not applied: send again
  size_t seen = collects();
  clock_.advanceMs(300);  // the next look at the feed
  ASSERT_TRUE(test::waitFor([&] { return collects() > seen; }, 10s));
  clock_.advanceMs(10);  // past the backoff
  ASSERT_TRUE(test::waitFor([&] { return priceCalls() == 2; }, 10s));
  EXPECT_EQ(lastSent().regular, *Decimal::parse("11.00"));
  ASSERT_TRUE(test::waitFor([&] { return status().prices_awaiting == 1; }, 10s));

  report("F1", ItemOutcome::kApplied);   // an older feed's word: ignored
  report("F2", ItemOutcome::kRejected);  // the newest: refused
  seen = collects();
  clock_.advanceMs(300);
  ASSERT_TRUE(test::waitFor([&] { return collects() > seen && status().failed == 1; }, 10s));
  auto letters = dead_->list(false, 10);
  ASSERT_TRUE(letters.ok());
  ASSERT_EQ(letters->size(), 1u);
  EXPECT_EQ((*letters)[0].sku, "A");
  EXPECT_EQ((*letters)[0].code, "price:ERR_PRICE");
  EXPECT_EQ((*letters)[0].quantity, 1100);
  EXPECT_EQ(status().prices_failed, 2);
  EXPECT_EQ(status().prices_awaiting, 0u);
  EXPECT_EQ(priceCalls(), 2u) << "a refused price is not sent again by itself";
}

TEST_F(PricePushTest, AConnectorWithoutPricesTurnsThemOffAndKeepsPushingStock) {
  {
    std::lock_guard lock(ch_->mu);
    ch_->prices = false;
  }
  start();
  ASSERT_TRUE(test::waitFor([&] { return status().prices == "not_supported"; }, 10s));
  sched_->stockChanged({"A"});
  ASSERT_TRUE(test::waitFor([&] {
    std::lock_guard lock(ch_->mu);
    return ch_->quantity_calls >= 1;
  }, 10s));
  EXPECT_EQ(status().failed, 0);
  EXPECT_EQ(status().price_queue, 0u);
}

}  // namespace
