// The push scheduler against a scripted connector (no network): coalescing, order, every item
// outcome, dead letters and replay, reconciliation. Waits on conditions, never on time.

#include <gtest/gtest.h>

#include <atomic>
#include <mutex>

#include "sw/coordinator/channels/push_scheduler.h"
#include "test_support.h"

using namespace sw;
using namespace sw::coordinator::channels;
using namespace std::chrono_literals;

namespace {

// A channel held in memory. Each push call is recorded; outcomes can be scripted per SKU.
class FakeConnector final : public ChannelConnector {
 public:
  struct Shared {
    std::mutex mu;
    std::map<std::string, int64_t> listing;                 // what the channel shows
    std::vector<std::vector<QuantityUpdate>> calls;         // every push, as sent
    std::vector<std::vector<std::string>> reads;            // every read, as asked
    std::map<std::string, std::vector<ItemOutcome>> script;  // next outcomes per SKU (then kApplied)
    size_t max_batch = 100;
    bool cas = false;
    std::atomic<int64_t> blocked_until{0};  // msUntilReady answers from this (monotonic ms)
  };
  explicit FakeConnector(std::shared_ptr<Shared> s) : s_(std::move(s)) {}

  ChannelKind kind() const override { return ChannelKind::kShopify; }
  size_t maxBatch() const override { return s_->max_batch; }
  bool supportsCompareAndSet() const override { return s_->cas; }
  common::Result<PushResult> pushQuantities(const std::vector<QuantityUpdate>& updates) override {
    std::lock_guard lock(s_->mu);
    s_->calls.push_back(updates);
    PushResult out;
    for (const auto& u : updates) {
      ItemResult r;
      r.sku = u.sku;
      r.outcome = ItemOutcome::kApplied;
      auto& script = s_->script[u.sku];
      if (!script.empty()) {
        r.outcome = script.front();
        script.erase(script.begin());
      }
      if (s_->cas && u.expected_previous && s_->listing.count(u.sku) && *u.expected_previous != s_->listing[u.sku]) {
        r.outcome = ItemOutcome::kStale;
      }
      if (!s_->listing.count(u.sku)) r.outcome = ItemOutcome::kNotListed;  // as eBay's 25702
      if (r.outcome == ItemOutcome::kStale) r.channel_quantity = s_->listing[u.sku];
      if (r.outcome == ItemOutcome::kApplied || r.outcome == ItemOutcome::kAccepted) s_->listing[u.sku] = u.quantity;
      if (r.outcome == ItemOutcome::kRejected) r.code = "BAD_LISTING";
      if (r.outcome == ItemOutcome::kNotListed) r.code = "UNKNOWN_SKU";
      if (r.outcome == ItemOutcome::kRetry) r.retry_after_ms = 5;
      out.items.push_back(r);
    }
    return out;
  }
  common::Result<std::vector<ChannelLevel>> readQuantities(const std::vector<std::string>& skus) override {
    std::lock_guard lock(s_->mu);
    s_->reads.push_back(skus);
    std::vector<ChannelLevel> out;
    for (const auto& sku : skus) {
      ChannelLevel l;
      l.sku = sku;
      if (auto it = s_->listing.find(sku); it != s_->listing.end()) {
        l.found = true;
        l.quantity = it->second;
      }
      out.push_back(l);
    }
    return out;
  }
  common::Result<OrderPage> pollOrders(const OrderCursor&) override { return OrderPage{}; }
  RateState rateState() const override { return {}; }
  int64_t msUntilReady(Operation, size_t) const override {
    return std::max<int64_t>(0, s_->blocked_until.load() - common::SystemClock::instance().monoMs());
  }

 private:
  std::shared_ptr<Shared> s_;
};

class PushSchedulerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto d = DeadLetterStore::open(dir_.file("dead.db"));
    ASSERT_TRUE(d.ok()) << d.error().toString();
    dead_ = std::move(*d);
  }
  void TearDown() override {
    if (sched_) sched_->stop();
  }
  void start(PushOptions o = {}) {
    o.reconcile_at_start = false;
    o.backoff_initial_ms = 5;
    o.accepted_readback_ms = 5;
    sched_ = std::make_unique<PushScheduler>(
        [this](const std::string&, const std::string& sku) -> common::Result<int64_t> {
          std::lock_guard lock(ats_mu_);
          return ats_[sku];
        },
        [this]() -> common::Result<std::vector<std::string>> {
          std::lock_guard lock(ats_mu_);
          std::vector<std::string> out;
          for (const auto& [k, v] : ats_) out.push_back(k);
          return out;
        },
        *dead_, common::SystemClock::instance(), o);
    sched_->addChannel("shopify", std::make_unique<FakeConnector>(ch_));
    sched_->start();
  }
  void setAts(const std::string& sku, int64_t v) {
    std::lock_guard lock(ats_mu_);
    ats_[sku] = v;
  }
  void list(const std::string& sku, int64_t q) {
    std::lock_guard lock(ch_->mu);
    ch_->listing[sku] = q;
  }
  int64_t shows(const std::string& sku) {
    std::lock_guard lock(ch_->mu);
    auto it = ch_->listing.find(sku);
    return it == ch_->listing.end() ? -1 : it->second;
  }
  size_t calls() {
    std::lock_guard lock(ch_->mu);
    return ch_->calls.size();
  }
  bool idle() {
    auto s = sched_->status();
    return s[0].queue == 0 && s[0].awaiting_accept == 0;
  }

  test::TempDir dir_;
  std::unique_ptr<DeadLetterStore> dead_;
  std::shared_ptr<FakeConnector::Shared> ch_ = std::make_shared<FakeConnector::Shared>();
  std::mutex ats_mu_;
  std::map<std::string, int64_t> ats_;
  std::unique_ptr<PushScheduler> sched_;
};

}  // namespace

TEST_F(PushSchedulerTest, ManyChangesWhileTheChannelIsBusyGoOutOnceWithTheNewestValue) {
  list("A", 100);
  // The channel is not ready for a while: changes pile up behind it.
  ch_->blocked_until = INT64_MAX;
  start();
  for (int i = 99; i >= 50; --i) {
    setAts("A", i);
    sched_->skuChanged("A");
  }
  ch_->blocked_until = 0;
  ASSERT_TRUE(test::waitFor([&] { return shows("A") == 50 && idle(); }, 5s));
  EXPECT_EQ(calls(), 1u);
  EXPECT_EQ(sched_->status()[0].changes, 50);
  EXPECT_EQ(sched_->status()[0].pushed, 1);
}

TEST_F(PushSchedulerTest, LowestFiguresGoFirstInBatchesOfTheChannelsSize) {
  ch_->max_batch = 2;
  for (auto [sku, v] : std::vector<std::pair<std::string, int64_t>>{{"A", 9}, {"B", 0}, {"C", 5}, {"D", 1}}) {
    list(sku, 50);
    setAts(sku, v);
  }
  ch_->blocked_until = INT64_MAX;  // all four are queued before anything can go
  start();
  sched_->stockChanged({"A", "B", "C", "D"});
  ch_->blocked_until = 0;
  ASSERT_TRUE(test::waitFor([&] { return shows("A") == 9 && idle(); }, 5s));
  std::lock_guard lock(ch_->mu);
  ASSERT_EQ(ch_->calls.size(), 2u);
  EXPECT_EQ(ch_->calls[0][0].sku, "B");
  EXPECT_EQ(ch_->calls[0][1].sku, "D");
  EXPECT_EQ(ch_->calls[1][0].sku, "C");
  EXPECT_EQ(ch_->calls[1][1].sku, "A");
}

TEST_F(PushSchedulerTest, UnchangedFigureIsNotSentAgain) {
  list("A", 10);
  setAts("A", 7);
  start();
  sched_->skuChanged("A");
  ASSERT_TRUE(test::waitFor([&] { return shows("A") == 7 && idle(); }, 5s));
  sched_->skuChanged("A");
  ASSERT_TRUE(test::waitFor([&] { return sched_->status()[0].skipped_unchanged == 1; }, 5s));
  EXPECT_EQ(calls(), 1u);
}

TEST_F(PushSchedulerTest, CompareAndSetReadsFirstAndResendsWhenStale) {
  ch_->cas = true;
  list("A", 10);
  setAts("A", 4);
  start();
  sched_->skuChanged("A");
  ASSERT_TRUE(test::waitFor([&] { return shows("A") == 4 && idle(); }, 5s));
  {
    std::lock_guard lock(ch_->mu);
    ASSERT_EQ(ch_->calls.size(), 1u);
    EXPECT_EQ(ch_->calls[0][0].expected_previous, 10);  // read back before the first push
    ch_->listing["A"] = 6;  // someone changed the listing behind our back
  }
  setAts("A", 3);
  sched_->skuChanged("A");
  ASSERT_TRUE(test::waitFor([&] { return shows("A") == 3 && idle(); }, 5s));
  std::lock_guard lock(ch_->mu);
  ASSERT_EQ(ch_->calls.size(), 3u);
  EXPECT_EQ(ch_->calls[1][0].expected_previous, 4);
  EXPECT_EQ(ch_->calls[2][0].expected_previous, 6);  // the channel's figure from the stale answer
  EXPECT_NE(ch_->calls[1][0].idempotency_key, ch_->calls[2][0].idempotency_key);
  EXPECT_EQ(sched_->status()[0].stale, 1);
}

TEST_F(PushSchedulerTest, RetriedItemsKeepTheirIdempotencyKeyAndArrive) {
  list("A", 10);
  setAts("A", 2);
  ch_->script["A"] = {ItemOutcome::kRetry, ItemOutcome::kRetry};
  start();
  sched_->skuChanged("A");
  ASSERT_TRUE(test::waitFor([&] { return shows("A") == 2 && idle(); }, 5s));
  std::lock_guard lock(ch_->mu);
  ASSERT_EQ(ch_->calls.size(), 3u);
  EXPECT_EQ(ch_->calls[0][0].idempotency_key, ch_->calls[2][0].idempotency_key);
  EXPECT_EQ(sched_->status()[0].retried, 2);
}

TEST_F(PushSchedulerTest, AcceptedItemsAreReadBack) {
  list("A", 10);
  setAts("A", 3);
  ch_->script["A"] = {ItemOutcome::kAccepted};
  start();
  sched_->skuChanged("A");
  ASSERT_TRUE(test::waitFor([&] { return shows("A") == 3 && idle(); }, 5s));
  EXPECT_EQ(sched_->status()[0].pushed, 1);
}

TEST_F(PushSchedulerTest, RejectedItemsAreDeadLetteredAndReplayedWithTheCurrentFigure) {
  list("GHOST", 0);
  setAts("GHOST", 5);
  ch_->script["GHOST"] = {ItemOutcome::kRejected};  // the channel refuses the listing's update
  start();
  sched_->skuChanged("GHOST");
  ASSERT_TRUE(test::waitFor([&] { return sched_->status()[0].failed == 1 && idle(); }, 5s));
  auto letters = sched_->deadLetters(false, 10);
  ASSERT_TRUE(letters.ok());
  ASSERT_EQ(letters->size(), 1u);
  EXPECT_EQ((*letters)[0].sku, "GHOST");
  EXPECT_EQ((*letters)[0].quantity, 5);
  EXPECT_EQ((*letters)[0].code, "BAD_LISTING");

  // a person fixes the listing, then replays
  setAts("GHOST", 4);
  auto r = sched_->replay((*letters)[0].id);
  ASSERT_TRUE(r.ok()) << r.error().toString();
  ASSERT_TRUE(test::waitFor([&] { return shows("GHOST") == 4 && idle(); }, 5s));
  EXPECT_TRUE(sched_->deadLetters(false, 10)->empty());
  EXPECT_EQ(sched_->deadLetters(true, 10)->size(), 1u);
  auto again = sched_->replay((*letters)[0].id);
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().code, "already_replayed");
  EXPECT_EQ(sched_->replay(999).error().code, "not_found");
}

TEST_F(PushSchedulerTest, ReconcileCorrectsDriftAndSkipsUnlistedSkus) {
  list("A", 10);
  list("B", 3);
  setAts("A", 10);
  setAts("B", 7);
  setAts("C", 1);  // known to the ledger, not listed on the channel
  start();
  auto r = sched_->reconcile("shopify", 10s);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->done);
  EXPECT_EQ(r->skus, 3);
  EXPECT_EQ(r->in_step, 1);
  EXPECT_EQ(r->drifted, 1);
  EXPECT_EQ(r->not_listed, 1);
  ASSERT_TRUE(test::waitFor([&] { return shows("B") == 7 && idle(); }, 5s));
  sched_->skuChanged("C");  // not listed: no push, no dead letter
  ASSERT_TRUE(test::waitFor([&] { return sched_->status()[0].skipped_unchanged >= 1 && idle(); }, 5s));
  EXPECT_EQ(sched_->status()[0].failed, 0);
  EXPECT_EQ(sched_->reconcile("etsy", 1s).error().code, "unknown_channel");
}

// Issue 15 item 4: a till sale of a SKU no channel lists must not become a dead letter on the
// channels that have no compare-and-set (Amazon, eBay, WooCommerce): the channel's own read says
// it is not listed, and nothing is pushed until a reconciliation finds a listing.
TEST_F(PushSchedulerTest, AStoreOnlySkuIsReadFirstFoundNotListedAndNeverPushedOrDeadLettered) {
  ASSERT_FALSE(ch_->cas);
  setAts("STORE-ONLY", 5);
  start();
  sched_->skuChanged("STORE-ONLY");
  ASSERT_TRUE(test::waitFor([&] { return sched_->status()[0].not_listed == 1 && idle(); }, 5s));
  EXPECT_EQ(calls(), 0u);
  EXPECT_EQ(sched_->status()[0].failed, 0);
  EXPECT_TRUE(sched_->deadLetters(true, 10)->empty());
  size_t reads = 0;
  {
    std::lock_guard lock(ch_->mu);
    reads = ch_->reads.size();
    ASSERT_EQ(reads, 1u);
    EXPECT_EQ(ch_->reads[0], std::vector<std::string>{"STORE-ONLY"});
  }
  // More sales: not read or pushed again (retried only on a reconcile).
  setAts("STORE-ONLY", 4);
  sched_->skuChanged("STORE-ONLY");
  ASSERT_TRUE(test::waitFor([&] { return sched_->status()[0].skipped_unchanged >= 1 && idle(); }, 5s));
  {
    std::lock_guard lock(ch_->mu);
    EXPECT_EQ(ch_->reads.size(), reads);
    EXPECT_TRUE(ch_->calls.empty());
  }
  // Someone lists it online; the next reconciliation finds it and the figure goes out.
  list("STORE-ONLY", 0);
  auto r = sched_->reconcile("shopify", 10s);
  ASSERT_TRUE(r.ok()) << r.error().toString();
  EXPECT_EQ(r->drifted, 1);
  ASSERT_TRUE(test::waitFor([&] { return shows("STORE-ONLY") == 4 && idle(); }, 5s));
  EXPECT_EQ(sched_->status()[0].not_listed, 0u);
  EXPECT_EQ(sched_->status()[0].failed, 0);
}

TEST_F(PushSchedulerTest, AListingThatGoesAwayIsNotListedFromThePushAnswerNotADeadLetter) {
  list("A", 10);
  setAts("A", 7);
  start();
  sched_->skuChanged("A");
  ASSERT_TRUE(test::waitFor([&] { return shows("A") == 7 && idle(); }, 5s));
  {
    std::lock_guard lock(ch_->mu);
    ch_->listing.erase("A");  // the listing is deleted in the channel's admin
  }
  setAts("A", 6);
  sched_->skuChanged("A");
  ASSERT_TRUE(test::waitFor([&] { return sched_->status()[0].not_listed == 1 && idle(); }, 5s));
  EXPECT_EQ(calls(), 2u);
  EXPECT_EQ(sched_->status()[0].failed, 0);
  EXPECT_TRUE(sched_->deadLetters(true, 10)->empty());
  setAts("A", 5);
  sched_->skuChanged("A");
  ASSERT_TRUE(test::waitFor([&] { return sched_->status()[0].skipped_unchanged >= 1 && idle(); }, 5s));
  EXPECT_EQ(calls(), 2u);  // not sent again
}
