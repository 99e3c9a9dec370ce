// The order book and order intake on a real SQLite ledger and order book (no network): strict
// check-and-reserve under concurrency, cancellation releases, pick completion with a short
// re-route, and held units surviving a reopen.

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "sw/common/uuid.h"
#include "sw/coordinator/orders.h"
#include "sw/coordinator/pick_tasks.h"
#include "test_support.h"

using namespace sw;
using namespace sw::coordinator;
using channels::ChannelKind;
using channels::NormalizedOrder;
using channels::OrderStatus;

namespace {

class OrderBookTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto l = SqliteLedger::open({.path = dir_.file("ledger.db")});
    ASSERT_TRUE(l.ok()) << l.error().toString();
    ledger_ = std::move(*l);
    reopen();
  }
  void reopen() {
    service_.reset();
    book_.reset();
    auto b = OrderBook::open(dir_.file("ledger.db.orders"), clock_);
    ASSERT_TRUE(b.ok()) << b.error().toString();
    book_ = std::move(*b);
    auto routing = parseRoutingConfig(nlohmann::json::parse(
        R"({"locations": {"wh-1": {"lat": 52.5, "lon": 13.4, "cost": 1}, "store-1": {"lat": 52.5, "lon": 13.4, "cost": 2}}})"));
    ASSERT_TRUE(routing.ok());
    service_ = std::make_unique<OrderService>(*book_, *ledger_, nullptr, *routing, clock_);
  }
  void receive(const std::string& loc, const std::string& sku, int64_t qty, common::EventType type = common::EventType::kReceive,
               const std::string& ref = "") {
    common::Event e;
    e.device_id = "hh-" + loc;
    e.seq = ++seq_[e.device_id];
    e.event_id = common::newUuid();
    e.type = type;
    e.occurred_at_ms = clock_.nowMs();
    e.location = loc;
    e.ref = ref;
    e.lines = {{sku, qty, std::nullopt}};
    ApplyGroup g;
    g.applied_at_ms = clock_.nowMs();
    if (seq_[e.device_id] == 1) g.new_devices[e.device_id] = common::newUuid();
    g.cursors[e.device_id] = e.seq;
    g.events.push_back({e, 0});
    ASSERT_TRUE(ledger_->commit(g).ok());
  }
  NormalizedOrder order(const std::string& id, const std::string& sku, int64_t qty,
                        OrderStatus status = OrderStatus::kOpen) {
    NormalizedOrder o;
    o.channel = ChannelKind::kShopify;
    o.order_id = id;
    o.status = status;
    channels::OrderLine l;
    l.line_id = "L-" + id;
    l.sku = sku;
    l.quantity = qty;
    o.lines.push_back(l);
    return o;
  }
  int64_t held(const std::string& sku) {
    int64_t n = 0;
    for (const auto& [loc, q] : book_->reservedByLocation(sku)) n += q;
    return n;
  }

  test::TempDir dir_;
  common::ManualClock clock_;
  std::unique_ptr<SqliteLedger> ledger_;
  std::unique_ptr<OrderBook> book_;
  std::unique_ptr<OrderService> service_;
  std::map<std::string, uint64_t> seq_;
};

}  // namespace

TEST_F(OrderBookTest, ConcurrentOrdersNeverTakeMoreThanThereIs) {
  receive("wh-1", "A", 3);
  receive("store-1", "A", 2);
  std::atomic<int> accepted{0}, rejected{0}, failed{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 4; ++i) {
        auto r = service_->intake(order("o" + std::to_string(t) + "-" + std::to_string(i), "A", 1));
        if (!r) failed++;
        else if (r->status == kOrderAccepted) accepted++;
        else if (r->status == kOrderRejectedNoStock) rejected++;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(failed.load(), 0);
  EXPECT_EQ(accepted.load(), 5);
  EXPECT_EQ(rejected.load(), 27);
  EXPECT_EQ(held("A"), 5);
  auto by = book_->reservedByLocation("A");
  EXPECT_EQ(by["wh-1"], 3);
  EXPECT_EQ(by["store-1"], 2);
  // Held units are rebuilt from the rows after a restart.
  reopen();
  EXPECT_EQ(held("A"), 5);
}

TEST_F(OrderBookTest, AnOrderIsTakenOnceAndACancellationReleasesIt) {
  receive("wh-1", "A", 5);
  auto r = service_->intake(order("1", "A", 2));
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->is_new);
  EXPECT_EQ(held("A"), 2);
  r = service_->intake(order("1", "A", 2));  // the same order again (poll after webhook)
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->is_new);
  EXPECT_EQ(held("A"), 2);
  auto tasks = book_->openTasks();
  ASSERT_TRUE(tasks.ok());
  ASSERT_EQ(tasks->size(), 1u);
  std::string loc = tasks->front().location;
  auto before = book_->taskVersion(loc);
  r = service_->intake(order("1", "A", 2, OrderStatus::kCancelled));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, kOrderCancelled);
  EXPECT_EQ(held("A"), 0);
  EXPECT_TRUE(book_->openTasks()->empty());
  // The cancelled task goes down as a change, so the handheld drops it.
  EXPECT_GT(*book_->taskVersion(loc), *before);
  PickTaskProvider provider(*book_);
  auto page = provider.page({"tasks", loc, *before, ""}, "hh", 10);
  ASSERT_TRUE(page.ok());
  ASSERT_EQ(page->items.size(), 1u);
  EXPECT_EQ(page->items[0]["status"], "cancelled");
}

TEST_F(OrderBookTest, ARefundReleasesOnlyWhatIsStillHeld) {
  receive("wh-1", "A", 5);
  ASSERT_TRUE(service_->intake(order("1", "A", 3)).ok());
  NormalizedOrder refund = order("1", "A", 3);
  refund.event = "refund";
  refund.releases.push_back({"L-1", "A", 1, "refunded", true});
  ASSERT_TRUE(service_->intake(refund).ok());
  EXPECT_EQ(held("A"), 2);
}

TEST_F(OrderBookTest, AShortPickShipsWhatWasPickedAndReroutesTheRestElsewhere) {
  receive("wh-1", "A", 2);
  receive("store-1", "A", 3);
  ASSERT_TRUE(service_->intake(order("1", "A", 2)).ok());
  auto tasks = book_->openTasks();
  ASSERT_EQ(tasks->size(), 1u);
  EXPECT_EQ(tasks->front().location, "wh-1");  // cheaper, and has both units
  std::string task = tasks->front().task_id;
  // The handheld's pick: 1 sold (ref = task), and the bin counted empty.
  receive("wh-1", "A", 1, common::EventType::kSale, task);
  receive("wh-1", "A", 0, common::EventType::kCount, task);
  service_->workOnce();
  auto o = book_->order("shopify", "1");
  ASSERT_TRUE(o.ok() && *o);
  EXPECT_EQ((*o)->status, kOrderPartiallyShipped);
  ASSERT_EQ((*o)->fulfilments.size(), 1u);
  EXPECT_EQ((*o)->fulfilments[0].lines.at(0).quantity, 1);
  EXPECT_FALSE((*o)->fulfilments[0].tracking_number.empty());
  auto by = book_->reservedByLocation("A");
  EXPECT_EQ(by["store-1"], 1);  // re-routed, never back to wh-1
  EXPECT_EQ(by.count("wh-1"), 0u);
  tasks = book_->openTasks();
  ASSERT_EQ(tasks->size(), 1u);
  EXPECT_EQ(tasks->front().location, "store-1");
  receive("store-1", "A", 1, common::EventType::kSale, tasks->front().task_id);
  service_->workOnce();
  o = book_->order("shopify", "1");
  EXPECT_EQ((*o)->status, kOrderShipped);
  EXPECT_EQ((*o)->fulfilments.size(), 2u);
  EXPECT_EQ(held("A"), 0);
}
