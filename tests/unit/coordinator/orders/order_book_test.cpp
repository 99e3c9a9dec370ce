// The order book and order intake on a real ledger and order book (no network): strict
// check-and-reserve under concurrency, cancellation releases, pick completion with a short
// re-route, and held units surviving a reopen. Every TEST_P runs on both stores the order book
// has: SQLite files, and a private PostgreSQL (sql_stores.h) with ledger and book in one database
// as `serve` puts them.

#include <gtest/gtest.h>

#include <atomic>
#include <fstream>
#include <thread>

#include "sw/common/http_server.h"
#include "sw/common/http_socket.h"
#include "sw/common/postgres.h"
#include "sw/common/uuid.h"
#include "sw/coordinator/channels/channel_registry.h"
#include "sw/coordinator/orders/order_service.h"
#include "sw/coordinator/orders/pick_tasks.h"
#include "sw/coordinator/orders/postal_points.h"
#include "sw/coordinator/orders/routes.h"
#include "sw/coordinator/orders/revenue.h"
#include "sw/coordinator/orders/sales_report.h"
#include "sw/coordinator/ledger/sql_ledger.h"
#include "sql_stores.h"
#include "schema_upgrade.h"
#include "test_support.h"

using namespace sw;
using namespace sw::coordinator;
using channels::ChannelKind;
using channels::NormalizedOrder;
using channels::OrderStatus;

namespace {

class OrderBookTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    auto l = SqlLedger::open({.path = test::ledgerTarget(GetParam(), dir_)});
    ASSERT_TRUE(l.ok()) << l.error().toString();
    ledger_ = std::move(*l);
    reopen();
  }
  void reopen() {
    service_.reset();
    book_.reset();
    auto b = OrderBook::open(test::orderBookTarget(GetParam(), dir_), clock_);
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
  // What Shopify GraphQL polling brings after a refund: the line at a lower current quantity, no refund id.
  NormalizedOrder polled(const std::string& id, const std::string& sku, int64_t qty, int64_t current) {
    NormalizedOrder o = order(id, sku, qty);
    o.lines[0].current_quantity = current;
    return o;
  }
  // A refund webhook of one unit of the order's one line, naming its refund.
  NormalizedOrder refundOf(const std::string& id, const std::string& sku, int64_t ordered, const std::string& refund_id,
                           bool restock = false) {
    NormalizedOrder o = order(id, sku, ordered);
    o.event = "refund";
    o.releases.push_back({"L-" + id, sku, 1, restock ? "returned" : "refunded", restock, refund_id});
    return o;
  }
  // Another connection to the order book's store, as a person with SQL would have.
  std::unique_ptr<common::SqlDb> rawBook() {
    const std::string target = test::orderBookTarget(GetParam(), dir_);
    if (common::isPostgresUrl(target)) {
      auto db = common::PgDb::open({.url = target});
      EXPECT_TRUE(db.ok()) << db.error().toString();
      return db ? std::move(*db) : nullptr;
    }
    auto db = common::SqliteSqlDb::open({.path = target});
    EXPECT_TRUE(db.ok()) << db.error().toString();
    return db ? std::move(*db) : nullptr;
  }
  // A device's presence as its state messages bring it: online (a full state), or offline (the
  // MQTT will, which carries no figures). The device is hh-<loc> unless named.
  void presence(const std::string& loc, bool online, const std::string& device = "") {
    DeviceStateUpdate u;
    u.device_id = device.empty() ? "hh-" + loc : device;
    u.online = online;
    u.kind = "handheld";
    u.location = loc;
    u.state_json = online ? R"({"online":true})" : "";
    u.at_ms = clock_.nowMs();
    ApplyGroup g;
    g.applied_at_ms = clock_.nowMs();
    g.states.push_back(u);
    ASSERT_TRUE(ledger_->commit(g).ok());
  }
  int64_t onHandAt(const std::string& loc, const std::string& sku) {
    auto rows = ledger_->stockForSku(sku);
    EXPECT_TRUE(rows.ok());
    int64_t n = 0;
    for (const StockRow& r : *rows) n += r.location == loc ? r.on_hand : 0;
    return n;
  }
  std::vector<PickTask> openAt(const std::string& loc) {
    auto tasks = book_->tasks().open();
    EXPECT_TRUE(tasks.ok());
    std::vector<PickTask> out;
    for (const PickTask& t : *tasks) {
      if (t.location == loc) out.push_back(t);
    }
    return out;
  }
  static constexpr int64_t kGraceMs = OrdersConfig{}.reroute_offline_after_ms;
  int64_t held(const std::string& sku) {
    int64_t n = 0;
    for (const auto& [loc, q] : book_->holds().reservedByLocation(sku)) n += q;
    return n;
  }

  test::TempDir dir_;
  common::ManualClock clock_;
  std::unique_ptr<SqlLedger> ledger_;
  std::unique_ptr<OrderBook> book_;
  std::unique_ptr<OrderService> service_;
  std::map<std::string, uint64_t> seq_;
};

INSTANTIATE_TEST_SUITE_P(Stores, OrderBookTest, ::testing::Values("sqlite", "postgresql"),
                         [](const ::testing::TestParamInfo<std::string>& p) { return p.param; });

}  // namespace

TEST_P(OrderBookTest, ConcurrentOrdersNeverTakeMoreThanThereIs) {
  receive("wh-1", "A", 3);
  receive("store-1", "A", 2);
  std::atomic<int> accepted{0}, rejected{0}, failed{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 4; ++i) {
        auto r = service_->intake(order("o" + std::to_string(t) + "-" + std::to_string(i), "A", 1));
        if (!r) failed++;
        else if (r->status == toString(OrderState::kAccepted)) accepted++;
        else if (r->status == toString(OrderState::kRejectedNoStock)) rejected++;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(failed.load(), 0);
  EXPECT_EQ(accepted.load(), 5);
  EXPECT_EQ(rejected.load(), 27);
  EXPECT_EQ(held("A"), 5);
  auto by = book_->holds().reservedByLocation("A");
  EXPECT_EQ(by["wh-1"], 3);
  EXPECT_EQ(by["store-1"], 2);
  // Held units are rebuilt from the rows after a restart.
  reopen();
  EXPECT_EQ(held("A"), 5);
}

TEST_P(OrderBookTest, AnOrderIsTakenOnceAndACancellationReleasesIt) {
  receive("wh-1", "A", 5);
  auto r = service_->intake(order("1", "A", 2));
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->is_new);
  EXPECT_EQ(held("A"), 2);
  r = service_->intake(order("1", "A", 2));  // the same order again (poll after webhook)
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->is_new);
  EXPECT_EQ(held("A"), 2);
  auto tasks = book_->tasks().open();
  ASSERT_TRUE(tasks.ok());
  ASSERT_EQ(tasks->size(), 1u);
  std::string loc = tasks->front().location;
  auto before = book_->tasks().version(loc);
  r = service_->intake(order("1", "A", 2, OrderStatus::kCancelled));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, toString(OrderState::kCancelled));
  EXPECT_EQ(held("A"), 0);
  EXPECT_TRUE(book_->tasks().open()->empty());
  // The cancelled task goes down as a change, so the handheld drops it.
  EXPECT_GT(*book_->tasks().version(loc), *before);
  PickTaskProvider provider(book_->tasks());
  auto page = provider.page({"tasks", loc, *before, ""}, "hh", 10);
  ASSERT_TRUE(page.ok());
  ASSERT_EQ(page->items.size(), 1u);
  EXPECT_EQ(page->items[0]["status"], "cancelled");
}

TEST_P(OrderBookTest, ARefundReleasesOnlyWhatIsStillHeld) {
  receive("wh-1", "A", 5);
  ASSERT_TRUE(service_->intake(order("1", "A", 3)).ok());
  NormalizedOrder refund = order("1", "A", 3);
  refund.event = "refund";
  refund.releases.push_back({"L-1", "A", 1, "refunded", true});
  ASSERT_TRUE(service_->intake(refund).ok());
  EXPECT_EQ(held("A"), 2);
}

// Shopify GraphQL polling sees a refund only as a lower current quantity, without the refund's
// id; the refunds/create webhook brings the same units again with the id. Whichever comes first,
// the units are released once.
TEST_P(OrderBookTest, ARefundSeenFirstAsALowerQuantityIsNotReleasedTwice) {
  receive("wh-1", "A", 10);
  ASSERT_TRUE(service_->intake(order("1", "A", 3)).ok());
  ASSERT_TRUE(service_->intake(order("2", "A", 3)).ok());
  // Order 1: the poll first, then the webhook; order 2: the other way round. Each twice.
  for (int i = 0; i < 2; ++i) {
    ASSERT_TRUE(service_->intake(polled("1", "A", 3, 2)).ok());
    ASSERT_TRUE(service_->intake(refundOf("1", "A", 3, "R-1")).ok());
    ASSERT_TRUE(service_->intake(refundOf("2", "A", 3, "R-2")).ok());
    ASSERT_TRUE(service_->intake(polled("2", "A", 3, 2)).ok());
    EXPECT_EQ(held("A"), 4) << "round " << i;
  }
  // A second refund of the same line after the poll has seen both: one more unit, once.
  ASSERT_TRUE(service_->intake(polled("1", "A", 3, 1)).ok());
  EXPECT_EQ(held("A"), 3);
  ASSERT_TRUE(service_->intake(refundOf("1", "A", 3, "R-1b")).ok());
  EXPECT_EQ(held("A"), 3);
}

// Two of three units shipped, the third still held; the buyer returns a shipped unit. Polling sees
// the line at 2 first and releases the held unit (two shipped, nothing more to send); the refund
// webhook then restocks the returned unit rather than counting it as the released one.
TEST_P(OrderBookTest, ARefundOfAShippedUnitSeenFirstByPollingIsStillRestocked) {
  receive("wh-1", "A", 2);
  receive("store-1", "A", 5);
  ASSERT_TRUE(service_->intake(order("1", "A", 3)).ok());
  auto tasks = book_->tasks().open();
  ASSERT_TRUE(tasks.ok());
  ASSERT_EQ(tasks->size(), 1u);
  ASSERT_TRUE(book_->completeTask(tasks->front().task_id, {{"A", 2}}, "SW1").ok());
  ASSERT_EQ(held("A"), 1);
  ASSERT_TRUE(service_->intake(polled("1", "A", 3, 2)).ok());
  EXPECT_EQ(held("A"), 0);
  auto r = service_->intake(refundOf("1", "A", 3, "R-1", true));
  ASSERT_TRUE(r.ok()) << r.error().toString();
  EXPECT_NE(r->reason.find("1 shipped units restocked"), std::string::npos) << r->reason;
  EXPECT_EQ(held("A"), 0);
}

TEST_P(OrderBookTest, AShortPickShipsWhatWasPickedAndReroutesTheRestElsewhere) {
  receive("wh-1", "A", 2);
  receive("store-1", "A", 3);
  ASSERT_TRUE(service_->intake(order("1", "A", 2)).ok());
  auto tasks = book_->tasks().open();
  ASSERT_EQ(tasks->size(), 1u);
  EXPECT_EQ(tasks->front().location, "wh-1");  // cheaper, and has both units
  std::string task = tasks->front().task_id;
  // The handheld's pick: 1 sold (ref = task), and the bin counted empty.
  receive("wh-1", "A", 1, common::EventType::kSale, task);
  receive("wh-1", "A", 0, common::EventType::kCount, task);
  service_->workOnce();
  auto o = book_->order("shopify", "1");
  ASSERT_TRUE(o.ok() && *o);
  EXPECT_EQ((*o)->status, OrderState::kPartiallyShipped);
  ASSERT_EQ((*o)->fulfilments.size(), 1u);
  EXPECT_EQ((*o)->fulfilments[0].lines.at(0).quantity, 1);
  EXPECT_FALSE((*o)->fulfilments[0].tracking_number.empty());
  auto by = book_->holds().reservedByLocation("A");
  EXPECT_EQ(by["store-1"], 1);  // re-routed, never back to wh-1
  EXPECT_EQ(by.count("wh-1"), 0u);
  tasks = book_->tasks().open();
  ASSERT_EQ(tasks->size(), 1u);
  EXPECT_EQ(tasks->front().location, "store-1");
  receive("store-1", "A", 1, common::EventType::kSale, tasks->front().task_id);
  service_->workOnce();
  o = book_->order("shopify", "1");
  EXPECT_EQ((*o)->status, OrderState::kShipped);
  EXPECT_EQ((*o)->fulfilments.size(), 2u);
  EXPECT_EQ(held("A"), 0);
}

// A refund of shipped units that the channel says were restocked puts them back at the location
// they shipped from, as a ledger `return` of the virtual device coordinator-orders, once: the same
// refund delivered again (or after a restart) changes nothing. A refund without restock does not.
TEST_P(OrderBookTest, ARestockRefundGoesIntoTheLedgerOnce) {
  receive("wh-1", "R", 3);
  ASSERT_EQ(service_->intake(order("o1", "R", 2))->status, toString(OrderState::kAccepted));
  auto tasks = book_->tasks().open();
  ASSERT_TRUE(tasks.ok());
  ASSERT_EQ(tasks->size(), 1u);
  ASSERT_TRUE(book_->completeTask(tasks->front().task_id, {{"R", 2}}, "SW1").ok());
  receive("wh-1", "R", 2, common::EventType::kSale, tasks->front().task_id);  // what the handheld records
  auto onHand = [&] {
    auto rows = ledger_->stockForSku("R");
    int64_t n = 0;
    for (const StockRow& r : *rows) n += r.location == "wh-1" ? r.on_hand : 0;
    return n;
  };
  ASSERT_EQ(onHand(), 1);

  NormalizedOrder refund;
  refund.channel = ChannelKind::kShopify;
  refund.order_id = "o1";
  refund.event = "refund";
  refund.lines_complete = false;
  channels::Release back{"L-o1", "R", 1, "returned", true};
  back.refund_id = "RF-1";
  refund.releases.push_back(back);
  auto first = service_->intake(refund);
  ASSERT_TRUE(first.ok()) << first.error().toString();
  EXPECT_NE(first->reason.find("1 shipped units restocked"), std::string::npos) << first->reason;
  auto again = service_->intake(refund);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->reason, "refund seen before");
  service_->workOnce();
  EXPECT_EQ(onHand(), 2);
  service_->workOnce();
  reopen();
  EXPECT_EQ(service_->intake(refund)->reason, "refund seen before");
  service_->workOnce();
  EXPECT_EQ(onHand(), 2) << "restocked once";
  auto o = book_->order("shopify", "o1");
  ASSERT_TRUE(o.ok() && *o);
  ASSERT_EQ((*o)->restocks.size(), 1u);
  EXPECT_EQ((*o)->restocks[0].state, RestockState::kApplied);
  EXPECT_EQ((*o)->restocks[0].location, "wh-1");
  auto events = ledger_->eventsForDevice(kRestockDevice, 1, 10);
  ASSERT_TRUE(events.ok());
  ASSERT_EQ(events->size(), 1u);
  EXPECT_EQ(events->front().type, "return");

  // Another refund of the other shipped unit, not restocked: nothing goes back on the shelf.
  channels::Release kept{"L-o1", "R", 1, "refunded", false};
  kept.refund_id = "RF-2";
  refund.releases = {kept};
  ASSERT_TRUE(service_->intake(refund).ok());
  service_->workOnce();
  EXPECT_EQ(onHand(), 2);
  // More restocked units than were shipped are never put back.
  channels::Release too_many{"L-o1", "R", 5, "returned", true};
  too_many.refund_id = "RF-3";
  refund.releases = {too_many};
  ASSERT_TRUE(service_->intake(refund).ok());
  service_->workOnce();
  EXPECT_EQ(onHand(), 3) << "2 shipped, 1 restocked before: 1 more at most";
}

// A rejected order waits for the channel to be told; with no connector for the channel it is
// marked for a person to cancel by hand, and shows among what needs attention.
TEST_P(OrderBookTest, ARejectedOrderWithoutAConnectorNeedsAManualCancel) {
  auto r = service_->intake(order("x1", "NONE", 1));
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->status, toString(OrderState::kRejectedNoStock));
  EXPECT_EQ((*book_->order("shopify", "x1"))->channel_cancel, ChannelCancel::kPending);
  service_->workOnce();
  auto o = book_->order("shopify", "x1");
  EXPECT_EQ((*o)->channel_cancel, ChannelCancel::kManual);
  EXPECT_NE((*o)->channel_cancel_error.find("no connector"), std::string::npos);
  auto a = book_->attention(10);
  ASSERT_TRUE(a.ok());
  ASSERT_EQ(a->cancels.size(), 1u);
  EXPECT_EQ(a->cancels[0].order_id, "x1");
}

// A refund delivery alone (Amazon's Finances events carry no order lines) for an order never taken
// in is not an order: nothing is booked and nothing held. (From the refunds2 branch.)
TEST_P(OrderBookTest, ARefundOfAnOrderNeverTakenInBooksNothing) {
  receive("wh-1", "A", 5);
  NormalizedOrder refund;
  refund.channel = ChannelKind::kAmazon;
  refund.order_id = "113-0000000-0000000";
  refund.event = "refund";
  refund.releases.push_back({"I1", "A", 1, "refunded", false, "ADJ1"});
  auto r = service_->intake(refund);
  ASSERT_TRUE(r.ok()) << r.error().toString();
  EXPECT_FALSE(r->is_new);
  EXPECT_EQ(r->status, "unknown_order");
  auto o = book_->order("amazon", refund.order_id);
  ASSERT_TRUE(o.ok());
  EXPECT_FALSE(o->has_value());
  EXPECT_EQ(held("A"), 0);
}

namespace {

// States are enums in code and words in the tables; every value goes to its word and back.
TEST(OrderStates, EveryValueHasOneWordAndComesBack) {
  for (auto s : {OrderState::kAccepted, OrderState::kRejectedNoStock, OrderState::kPartiallyShipped,
                 OrderState::kShipped, OrderState::kCancelled}) {
    EXPECT_EQ(parseOrderState(toString(s)), s);
    EXPECT_EQ(nlohmann::json(s), toString(s));  // JSON gets the word, never a number
  }
  for (auto s : {AllocationState::kReserved, AllocationState::kTasked, AllocationState::kShipped,
                 AllocationState::kReleased, AllocationState::kShort}) {
    EXPECT_EQ(parseAllocationState(toString(s)), s);
  }
  for (auto s : {TaskStatus::kOpen, TaskStatus::kDone, TaskStatus::kCancelled}) EXPECT_EQ(parseTaskStatus(toString(s)), s);
  for (auto s : {FulfilmentStatus::kPending, FulfilmentStatus::kReported, FulfilmentStatus::kFailed}) {
    EXPECT_EQ(parseFulfilmentStatus(toString(s)), s);
  }
  for (auto s : {RestockState::kPending, RestockState::kApplied}) EXPECT_EQ(parseRestockState(toString(s)), s);
  for (auto s : {ChannelCancel::kNone, ChannelCancel::kPending, ChannelCancel::kDone, ChannelCancel::kManual,
                 ChannelCancel::kFailed}) {
    EXPECT_EQ(parseChannelCancel(toString(s)), s);
  }
  EXPECT_STREQ(toString(ChannelCancel::kNone), "");
  EXPECT_STREQ(toString(OrderState::kRejectedNoStock), "rejected_no_stock");
  EXPECT_FALSE(parseOrderState("Accepted"));
  EXPECT_FALSE(parseAllocationState(""));
  EXPECT_FALSE(parseTaskStatus("open "));
}

}  // namespace

// A state word no version writes (the file edited by hand) is an error naming it, never read as
// some other state.
TEST_P(OrderBookTest, AnUnknownStateInTheFileIsAnErrorNotAGuess) {
  receive("wh-1", "A", 5);
  auto r = service_->intake(order("o1", "A", 2));
  ASSERT_TRUE(r.ok()) << r.error().toString();
  {
    auto db = rawBook();
    ASSERT_TRUE(db);
    ASSERT_TRUE(db->exec("UPDATE allocations SET state = 'lost'").ok());
  }
  auto o = book_->order("shopify", "o1");
  ASSERT_FALSE(o.ok());
  EXPECT_EQ(o.error().code, "bad_state");
  EXPECT_NE(o.error().message.find("allocations.state 'lost'"), std::string::npos) << o.error().message;
}

// The KPI figures (coordinator/README.md "KPI history"): an order counts for fulfilment accuracy
// once it shipped and every report has an answer; it is complete when every unit shipped and the
// channel accepted every report. A partly shipped order is not counted yet.
TEST_P(OrderBookTest, FulfilmentAccuracyCountsSettledShippedOrdersAndRefundsCountShippedUnits) {
  receive("wh-1", "A", 3);
  const int64_t start = clock_.nowMs();
  clock_.advanceMs(1);
  auto ship = [&](const std::string& id, int64_t qty, int64_t picked) {
    ASSERT_EQ(service_->intake(order(id, "A", qty))->status, toString(OrderState::kAccepted));
    auto tasks = book_->tasks().open();
    ASSERT_TRUE(tasks.ok());
    ASSERT_EQ(tasks->size(), 1u);
    ASSERT_TRUE(book_->completeTask(tasks->front().task_id, {{"A", picked}}, "SW-" + id).ok());
  };
  auto figures = [&] {
    auto f = book_->kpiFigures(start, clock_.nowMs());
    EXPECT_TRUE(f.ok()) << f.error().toString();
    return f.ok() ? *f : OrderBook::KpiFigures{};
  };
  auto pendingFulfilment = [&](const std::string& id) -> int64_t {
    auto p = book_->fulfilments().pending(100);
    for (const Fulfilment& f : *p) {
      if (f.order_id == id) return f.id;
    }
    return 0;
  };
  ship("1", 2, 2);
  // Shipped, but Shopify has not answered the report yet: not settled.
  EXPECT_EQ(figures().shipped_settled, 0);
  ASSERT_TRUE(book_->fulfilments().reported(pendingFulfilment("1"), "gid://1").ok());
  EXPECT_EQ(figures().shipped_settled, 1);
  EXPECT_EQ(figures().shipped_complete, 1);
  // Shipped, and the channel refused the report: settled, not complete.
  ship("2", 1, 1);
  ASSERT_TRUE(book_->fulfilments().gaveUp(pendingFulfilment("2"), "unknown line").ok());
  // Taken in and held, not shipped yet: not counted.
  receive("wh-1", "A", 1);
  ASSERT_EQ(service_->intake(order("3", "A", 1))->status, toString(OrderState::kAccepted));
  auto f = figures();
  EXPECT_EQ(f.shipped_settled, 2);
  EXPECT_EQ(f.shipped_complete, 1);
  EXPECT_EQ(f.ordered_units_by_channel, (std::map<std::string, int64_t>{{"shopify", 4}}));
  EXPECT_EQ(f.refunded_shipped_units, 0);
  // One shipped unit of order 1 refunded: sold, then back.
  clock_.advanceMs(1);
  ASSERT_TRUE(service_->intake(refundOf("1", "A", 2, "R-1")).ok());
  EXPECT_EQ(figures().refunded_shipped_units, 1);
  // A window that ends before all this holds none of it: the orders count in the window where
  // their last parcel was picked, so a report's days show the orders they shipped.
  auto before = book_->kpiFigures(0, start);
  ASSERT_TRUE(before.ok());
  EXPECT_TRUE(before->ordered_units_by_channel.empty());
  EXPECT_EQ(before->refunded_shipped_units, 0);
  EXPECT_EQ(before->shipped_settled, 0);
  EXPECT_EQ(before->shipped_complete, 0);
  // One store's figures: the orders with a parcel picked there (a store manager's report).
  auto here = book_->kpiFigures(start, clock_.nowMs(), "wh-1");
  ASSERT_TRUE(here.ok()) << here.error().toString();
  EXPECT_EQ(here->shipped_settled, 2);
  EXPECT_EQ(here->shipped_complete, 1);
  auto elsewhere = book_->kpiFigures(start, clock_.nowMs(), "store-9");
  ASSERT_TRUE(elsewhere.ok()) << elsewhere.error().toString();
  EXPECT_EQ(elsewhere->shipped_settled, 0);
  // Shipped in full and accepted, but picked more than two days after it was taken in: settled,
  // not on time, so not counted as complete; one picked just in time is.
  receive("wh-1", "A", 2);
  ASSERT_EQ(service_->intake(order("4", "A", 1))->status, toString(OrderState::kAccepted));
  ASSERT_EQ(service_->intake(order("5", "A", 1))->status, toString(OrderState::kAccepted));
  auto open = book_->tasks().open();
  ASSERT_TRUE(open.ok());
  std::map<std::string, std::string> task_of;  // order -> its open task (order 3's is held open)
  for (const PickTask& t : *open) task_of[t.order_id] = t.task_id;
  ASSERT_TRUE(task_of.count("4") && task_of.count("5"));
  clock_.advanceMs(OrderBook::kShipOnTimeMs);
  ASSERT_TRUE(book_->completeTask(task_of["5"], {{"A", 1}}, "SW-5").ok());
  clock_.advanceMs(1);
  ASSERT_TRUE(book_->completeTask(task_of["4"], {{"A", 1}}, "SW-4").ok());
  ASSERT_TRUE(book_->fulfilments().reported(pendingFulfilment("4"), "gid://4").ok());
  ASSERT_TRUE(book_->fulfilments().reported(pendingFulfilment("5"), "gid://5").ok());
  EXPECT_EQ(figures().shipped_settled, 4);
  EXPECT_EQ(figures().shipped_complete, 2);  // orders 1 and 5
}

// Issue 23 on real SQLite: intake places the customer by the order's ZIP code, routes to the
// nearer warehouse, keeps the decision (options and costs) in the order across a reopen, passes
// over a warehouse that shipped its daily capacity, and records a short pick's re-route.
TEST_P(OrderBookTest, RoutingByZipIsKeptWithTheOrderAndCapacityAndReroutesFollowTheSameRules) {
  auto routing = parseRoutingConfig(nlohmann::json::parse(R"({"locations": {
      "wh-east": {"lat": 40.71, "lon": -74.0, "cost": 1, "cost_per_km": 0.01},
      "wh-west": {"lat": 37.77, "lon": -122.42, "cost": 1, "cost_per_km": 0.01, "daily_capacity": 1}}})"));
  ASSERT_TRUE(routing.ok());
  auto points = PostalPoints::parse("US,94103,37.773,-122.411,CA\nUS,10001,40.75,-73.997,NY\n");
  ASSERT_TRUE(points.ok());
  routing->postal = std::make_shared<const PostalPoints>(std::move(*points));
  service_ = std::make_unique<OrderService>(*book_, *ledger_, nullptr, *routing, clock_);
  receive("wh-east", "A", 5);
  receive("wh-west", "A", 5);
  auto sf = [&](const std::string& id) {
    NormalizedOrder o = order(id, "A", 1);
    o.ship_to_country = "US";
    o.ship_to = {"94103-1234", "San Francisco", "CA"};
    return o;
  };
  ASSERT_TRUE(service_->intake(sf("1")).ok());
  auto o = book_->order("shopify", "1");
  ASSERT_TRUE(o.ok() && *o);
  ASSERT_EQ((*o)->tasks.size(), 1u);
  EXPECT_EQ((*o)->tasks[0].location, "wh-west");
  const nlohmann::json& r = (*o)->routing;
  EXPECT_EQ(r["ship_to_source"], "postal");
  EXPECT_EQ(r["options"].size(), 2u);
  EXPECT_EQ(r["options"][0]["locations"][0], "wh-west");
  EXPECT_TRUE(r["options"][0]["chosen"].get<bool>());
  EXPECT_GT(r["options"][1]["cost"].get<double>(), 40.0);  // ~4,130 km x 0.01 from New York
  // wh-west has shipped its one parcel today: the next San Francisco order goes east.
  ASSERT_TRUE(service_->intake(sf("2")).ok());
  o = book_->order("shopify", "2");
  EXPECT_EQ((*o)->tasks.at(0).location, "wh-east");
  EXPECT_NE((*o)->reason.find("wh-west has shipped its daily capacity"), std::string::npos) << (*o)->reason;
  // The next day it ships again.
  clock_.advanceMs(86'400'000);
  ASSERT_TRUE(service_->intake(sf("3")).ok());
  o = book_->order("shopify", "3");
  EXPECT_EQ((*o)->tasks.at(0).location, "wh-west");
  // Order 3's pick comes back short at wh-west: the unit is re-routed east, and the order says so.
  std::string task = (*o)->tasks.at(0).task_id;
  receive("wh-west", "A", 0, common::EventType::kCount, task);
  service_->workOnce();
  reopen();  // the decision is in the file, not in memory
  o = book_->order("shopify", "3");
  ASSERT_TRUE(o.ok() && *o);
  EXPECT_EQ((*o)->routing["ship_to_source"], "postal");
  ASSERT_EQ((*o)->routing["reroutes"].size(), 1u) << (*o)->routing.dump();
  const nlohmann::json& again = (*o)->routing["reroutes"][0];
  EXPECT_EQ(again["ship_to_source"], "postal");
  EXPECT_EQ(again["excluded"], nlohmann::json::array({"wh-west"}));
  EXPECT_EQ(again["options"][0]["locations"][0], "wh-east");
  EXPECT_EQ(book_->holds().reservedByLocation("A")["wh-east"], 2);  // order 2's unit and order 3's
}

// The locations config's postal_codes: a path relative to the config file, loaded at start; a
// missing or malformed data file stops makeOrderService with a reason (the coordinator exits).
TEST_P(OrderBookTest, TheLocationsConfigNamesThePostalDataRelativeToItself) {
  common::ManualClock clock;
  auto registry = channels::ChannelRegistry::open("", clock);
  ASSERT_TRUE(registry.ok()) << registry.error().toString();
  auto write = [&](const std::string& name, const std::string& text) {
    std::ofstream out(dir_.file(name));
    out << text;
  };
  write("pc.csv", "US,94103,37.773,-122.411,CA\n");
  write("locations.json", R"({"locations": {"wh-east": {"lat": 40.71, "lon": -74.0, "cost": 1, "cost_per_km": 0.01},
                                          "wh-west": {"lat": 37.77, "lon": -122.42, "cost": 1, "cost_per_km": 0.01}},
                            "postal_codes": "pc.csv"})");
  service_.reset();
  auto made = makeOrderService(*book_, *ledger_, nullptr, **registry, dir_.file("locations.json"), clock_, {});
  ASSERT_TRUE(made.ok()) << made.error().toString();
  service_ = std::move(*made);
  receive("wh-east", "A", 5);
  receive("wh-west", "A", 5);
  NormalizedOrder o = order("sf", "A", 1);
  o.ship_to_country = "US";
  o.ship_to.postal_code = "94103";
  ASSERT_TRUE(service_->intake(o).ok());
  auto got = book_->order("shopify", "sf");
  ASSERT_TRUE(got.ok() && *got);
  EXPECT_EQ((*got)->routing["ship_to_source"], "postal");
  EXPECT_EQ((*got)->tasks.at(0).location, "wh-west");

  write("missing.json", R"({"postal_codes": "none.csv"})");
  auto missing = makeOrderService(*book_, *ledger_, nullptr, **registry, dir_.file("missing.json"), clock_, {});
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().message.find("locations config postal_codes"), std::string::npos) << missing.error().message;
  EXPECT_NE(missing.error().message.find("none.csv"), std::string::npos) << missing.error().message;
  write("bad.csv", "US,94103,37.773,-122.411,CA\nUS,94104,north,1\n");
  write("bad.json", R"({"postal_codes": "bad.csv"})");
  auto bad = makeOrderService(*book_, *ledger_, nullptr, **registry, dir_.file("bad.json"), clock_, {});
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message.find("postal data line 2"), std::string::npos) << bad.error().message;
}

// The catalog's shipping weight (setWeightSource) prices the parcel; without one the config's
// default weight does.
TEST_P(OrderBookTest, TheCatalogsWeightPricesTheParcel) {
  auto routing = parseRoutingConfig(nlohmann::json::parse(R"({"locations": {"wh-1": {"lat": 52.5, "lon": 13.4,
      "cost": 1, "rates": {"km": [1000], "kg": [1, 5], "price": [[5, 8]], "extra_per_kg": 1}}}})"));
  ASSERT_TRUE(routing.ok());
  service_ = std::make_unique<OrderService>(*book_, *ledger_, nullptr, *routing, clock_);
  receive("wh-1", "A", 5);
  receive("wh-1", "B", 5);
  service_->setWeightSource([](const std::string& sku) -> std::optional<double> {
    if (sku == "A") return 10.0;
    return std::nullopt;
  });
  ASSERT_TRUE(service_->intake(order("a", "A", 1)).ok());
  ASSERT_TRUE(service_->intake(order("b", "B", 1)).ok());
  EXPECT_DOUBLE_EQ((*book_->order("shopify", "a"))->routing["cost"].get<double>(), 1 + 8 + 5 * 1);  // 10 kg: 5 over the last tier
  EXPECT_DOUBLE_EQ((*book_->order("shopify", "b"))->routing["cost"].get<double>(), 1 + 5);          // the default 1 kg
}

// Customer-data retention (--ship-to-retention-days): once an order is over and unchanged for the
// retention, its postal code, city, region and routing point are erased; the source and options of
// the decision stay; an order still open keeps them.
TEST_P(OrderBookTest, TheShippingPlaceIsErasedOnceAnOrderIsOverAndPastItsRetention) {
  auto routing = parseRoutingConfig(nlohmann::json::parse(R"({"locations": {"wh-1": {"lat": 52.5, "lon": 13.4}}})"));
  ASSERT_TRUE(routing.ok());
  auto points = PostalPoints::parse("US,94103,37.773,-122.411,CA\n");
  ASSERT_TRUE(points.ok());
  routing->postal = std::make_shared<const PostalPoints>(std::move(*points));
  OrdersConfig cfg;
  cfg.ship_to_retention_ms = 86'400'000;
  service_ = std::make_unique<OrderService>(*book_, *ledger_, nullptr, *routing, clock_, cfg);
  receive("wh-1", "A", 5);
  auto sf = [&](const std::string& id, OrderStatus status) {
    NormalizedOrder o = order(id, "A", 1, status);
    o.ship_to_country = "US";
    o.ship_to = {"94103", "San Francisco", "CA"};
    return o;
  };
  ASSERT_TRUE(service_->intake(sf("over", OrderStatus::kOpen)).ok());
  ASSERT_TRUE(service_->intake(sf("open", OrderStatus::kOpen)).ok());
  ASSERT_TRUE(service_->intake(sf("over", OrderStatus::kCancelled)).ok());
  ASSERT_EQ((*book_->order("shopify", "over"))->status, OrderState::kCancelled);
  service_->workOnce();  // within the retention: nothing erased
  EXPECT_TRUE((*book_->order("shopify", "over"))->normalized.contains("ship_to"));
  clock_.advanceMs(86'400'000 + 1);
  service_->workOnce();
  auto over = book_->order("shopify", "over");
  ASSERT_TRUE(over.ok() && *over);
  EXPECT_FALSE((*over)->normalized.contains("ship_to")) << (*over)->normalized.dump();
  EXPECT_FALSE((*over)->routing.contains("ship_to")) << (*over)->routing.dump();
  EXPECT_EQ((*over)->routing["ship_to_source"], "postal");
  EXPECT_EQ((*over)->normalized["ship_to_country"], "US");
  auto open = book_->order("shopify", "open");
  EXPECT_EQ((*open)->normalized["ship_to"]["postal_code"], "94103");
  EXPECT_TRUE((*open)->routing.contains("ship_to"));
  EXPECT_EQ(*book_->eraseShipTo(clock_.nowMs(), 100), 0);  // nothing left to erase
}

// On PostgreSQL the book's writes are fenced by the ledger's writer lease (OrderBook::fenceWith):
// once another coordinator has taken the lease over, the old one reserves nothing more, and the
// new one, fenced with its own token, carries on with the same book.
class PgOrderBookTest : public OrderBookTest {};

TEST_P(PgOrderBookTest, AfterATakeoverTheOldCoordinatorCannotReserve) {
  receive("wh-1", "A", 5);
  ASSERT_NE(ledger_->leaseToken(), 0);
  book_->fenceWith(ledger_->leaseToken());
  ASSERT_EQ(service_->intake(order("o1", "A", 2))->status, toString(OrderState::kAccepted));
  // This coordinator stalls past its lease and another takes the ledger over.
  auto db = rawBook();
  ASSERT_TRUE(db);
  ASSERT_TRUE(db->exec("UPDATE writer_lease SET expires_at_ms = 0").ok());
  auto b = SqlLedger::open({.path = test::ledgerTarget(GetParam(), dir_), .writer_id = "coordinator-b"});
  ASSERT_TRUE(b.ok()) << b.error().toString();
  ASSERT_NE((*b)->leaseToken(), ledger_->leaseToken());
  auto refused = service_->intake(order("o2", "A", 1));
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, "lease_lost") << refused.error().toString();
  auto cancel = book_->cancelOrder("shopify", "o1", "cancelled");
  ASSERT_FALSE(cancel.ok());
  EXPECT_EQ(cancel.error().code, "lease_lost");
  EXPECT_FALSE(*book_->order("shopify", "o2"));
  EXPECT_EQ(held("A"), 2);
  // The new coordinator's book, on the same tables, fenced with its token.
  auto book_b = OrderBook::open(test::orderBookTarget(GetParam(), dir_), clock_);
  ASSERT_TRUE(book_b.ok()) << book_b.error().toString();
  (*book_b)->fenceWith((*b)->leaseToken());
  auto cancelled = (*book_b)->cancelOrder("shopify", "o1", "cancelled");
  ASSERT_TRUE(cancelled.ok()) << cancelled.error().toString();
  EXPECT_EQ((*book_b)->order("shopify", "o1")->value().status, OrderState::kCancelled);
}

INSTANTIATE_TEST_SUITE_P(Stores, PgOrderBookTest, ::testing::Values("postgresql"),
                         [](const ::testing::TestParamInfo<std::string>& p) { return p.param; });

// Both stores are at the version --version prints for the order book: the PostgreSQL steps are
// the SQLite ones, step for step.
TEST_P(OrderBookTest, TheBookIsAtTheVersionThisBuildKnows) {
  auto db = rawBook();
  ASSERT_TRUE(db);
  auto v = db->schemaVersion("orders");
  ASSERT_TRUE(v.ok()) << v.error().toString();
  EXPECT_EQ(*v, OrderBook::schemaVersion().version);
}

// The SQLite file's own history (issue 21): the order book on PostgreSQL is new in this release,
// so it has no earlier version of its own to upgrade from yet.
class SqliteOrderBookTest : public OrderBookTest {};
INSTANTIATE_TEST_SUITE_P(Stores, SqliteOrderBookTest, ::testing::Values("sqlite"),
                         [](const ::testing::TestParamInfo<std::string>& p) { return p.param; });

// Issue 21, upgrades: an order book of each earlier schema version (OrderBook::schemaSteps(), each
// recorded in schema_versions and, as releases before that table did, in user_version only) with
// an order whose lines hold stock, a pick task for them and a second order partly refunded opens
// on this build with all of it as it was (the units still held, the task still open), and the
// pick completes: the order ships and nothing stays held. The file is at the current version.
TEST_P(SqliteOrderBookTest, AnOrderBookOfEachEarlierSchemaVersionKeepsItsOrdersAndHolds) {
  receive("wh-1", "A", 5);
  receive("wh-1", "B", 5);
  ASSERT_EQ(service_->intake(order("1", "A", 2))->status, toString(OrderState::kAccepted));
  ASSERT_EQ(service_->intake(order("2", "B", 3))->status, toString(OrderState::kAccepted));
  ASSERT_TRUE(service_->intake(refundOf("2", "B", 3, "refund-1")).ok());
  ASSERT_EQ(held("A"), 2);
  ASSERT_EQ(held("B"), 2);
  auto first = book_->order("shopify", "1");
  ASSERT_TRUE(first.ok() && *first);
  ASSERT_EQ((*first)->tasks.size(), 1u);
  const PickTask task = (*first)->tasks[0];
  const std::string scratch = dir_.file("ledger.db.orders");
  service_.reset();
  book_.reset();

  const auto& steps = OrderBook::schemaSteps();
  ASSERT_GE(steps.size(), 2u);
  const common::SqliteSchema schema{"orders", steps, "user_version"};
  for (const test::EarlierSchema& e : test::earlierSchemas(steps.size(), static_cast<int64_t>(steps.size()))) {
    SCOPED_TRACE(e.describe());
    const std::string path =
        dir_.file("v" + std::to_string(e.version) + "-" + std::to_string(int(e.record)) + ".orders");
    test::EarlierFile built;
    ASSERT_NO_FATAL_FAILURE(test::buildEarlierSchema(path, schema, e, scratch, &built));
    ASSERT_TRUE(built.tables.count("orders") && built.tables.count("allocations") && built.tables.count("tasks"));

    auto opened = OrderBook::open(path, clock_);
    ASSERT_TRUE(opened.ok()) << opened.error().toString();
    auto& book = **opened;
    test::expectRowsKept(built, path);
    EXPECT_EQ(test::versionsOf(path, "orders"), std::make_pair(int64_t(steps.size()), int64_t(steps.size())));
    auto o = book.order("shopify", "1");
    ASSERT_TRUE(o.ok() && *o);
    EXPECT_EQ((*o)->status, OrderState::kAccepted);
    ASSERT_EQ((*o)->lines.size(), 1u);
    EXPECT_EQ((*o)->lines[0].sku, "A");
    EXPECT_EQ((*o)->lines[0].quantity, 2);
    ASSERT_EQ((*o)->allocations.size(), 1u);
    EXPECT_EQ((*o)->allocations[0].quantity, 2);
    EXPECT_EQ((*o)->allocations[0].state, AllocationState::kTasked);
    EXPECT_EQ(book.holds().reservedByLocation("A"), (std::map<std::string, int64_t>{{"wh-1", 2}}));
    EXPECT_EQ(book.holds().reservedByLocation("B"), (std::map<std::string, int64_t>{{"wh-1", 2}}));
    auto open_tasks = book.tasks().open();
    ASSERT_TRUE(open_tasks.ok());
    ASSERT_EQ(open_tasks->size(), 2u);
    auto got = book.tasks().get(task.task_id);
    ASSERT_TRUE(got.ok() && *got);
    EXPECT_EQ((*got)->status, TaskStatus::kOpen);
    EXPECT_EQ((*got)->location, "wh-1");
    ASSERT_EQ((*got)->lines.size(), 1u);
    EXPECT_EQ((*got)->lines[0].quantity, 2);
    auto second = book.order("shopify", "2");
    ASSERT_TRUE(second.ok() && *second);
    EXPECT_EQ((*second)->status, OrderState::kAccepted);
    if (e.version >= 2) {  // refunds are kept from v2 on
      EXPECT_EQ(*book.refundedUnits("shopify", "2"), (std::map<std::string, int64_t>{{"L-2", 1}}));
    }

    // The pick comes back: the order ships, its units are no longer held, and its fulfilment waits
    // to be told to the channel.
    auto done = book.completeTask(task.task_id, {{"A", 2}}, "track-1");
    ASSERT_TRUE(done.ok()) << done.error().toString();
    o = book.order("shopify", "1");
    ASSERT_TRUE(o.ok() && *o);
    EXPECT_EQ((*o)->status, OrderState::kShipped);
    ASSERT_EQ((*o)->fulfilments.size(), 1u);
    EXPECT_EQ((*o)->fulfilments[0].status, FulfilmentStatus::kPending);
    EXPECT_TRUE(book.holds().reservedByLocation("A").empty());
    EXPECT_GT(*book.tasks().version("wh-1"), task.ver);
  }
}

// A downgrade: an order book a newer build has migrated is refused, saying which version it found,
// which this build supports and what to do, and is left as it was.
TEST_P(SqliteOrderBookTest, AnOrderBookOfANewerSchemaIsRefusedAndLeftAsItWas) {
  receive("wh-1", "A", 5);
  ASSERT_TRUE(service_->intake(order("1", "A", 2)).ok());
  service_.reset();
  book_.reset();
  const std::string path = dir_.file("ledger.db.orders");
  const auto known = static_cast<int64_t>(OrderBook::schemaSteps().size());
  ASSERT_NO_FATAL_FAILURE(test::setSchemaVersion(path, "orders", known + 1));
  const std::string before = test::contentsOf(path);
  ASSERT_NE(before.find("orders 'shopify'|'1'"), std::string::npos) << before;
  auto refused = OrderBook::open(path, clock_);
  ASSERT_FALSE(refused.ok());
  EXPECT_TRUE(test::refusedAsTooNew(refused.error(), "orders", known + 1, known));
  EXPECT_EQ(test::contentsOf(path), before);
}

// ------------------------------------------------------------ a location goes offline

// Every device at wh-1 offline past the grace: its open task is withdrawn (cancelled, so its
// handhelds drop it from their downlink) and the order re-routed by the same router to store-1,
// which has the stock; the hold moves with it. store-1's own task is left alone, and while wh-1
// stays offline a new order is not routed there. GET /v1/orders/{channel}/{id} shows the re-route
// with its reason and the options weighed.
TEST_P(OrderBookTest, AnOfflineLocationsOpenTasksAreReroutedToALocationWithStock) {
  receive("wh-1", "A", 2);
  receive("store-1", "A", 3);
  receive("store-1", "B", 1);
  presence("wh-1", true);
  presence("store-1", true);
  ASSERT_TRUE(service_->intake(order("1", "A", 2)).ok());
  ASSERT_TRUE(service_->intake(order("2", "B", 1)).ok());
  ASSERT_EQ(openAt("wh-1").size(), 1u);  // cheaper, and has both units
  ASSERT_EQ(openAt("store-1").size(), 1u);
  const std::string withdrawn = openAt("wh-1")[0].task_id;
  const std::string untouched = openAt("store-1")[0].task_id;
  PickTaskProvider downlink(book_->tasks());
  const int64_t device_has = *book_->tasks().version("wh-1");  // what wh-1's handheld took down

  presence("wh-1", false);
  clock_.advanceMs(kGraceMs - 1000);
  service_->workOnce();
  EXPECT_EQ(openAt("wh-1").size(), 1u) << "not yet past the grace";
  clock_.advanceMs(1000);
  service_->workOnce();

  EXPECT_TRUE(openAt("wh-1").empty());
  auto at_store = openAt("store-1");
  ASSERT_EQ(at_store.size(), 2u);
  EXPECT_TRUE(at_store[0].task_id == untouched || at_store[1].task_id == untouched) << "store-1's task kept";
  auto by = book_->holds().reservedByLocation("A");
  EXPECT_EQ(by["store-1"], 2);
  EXPECT_EQ(by.count("wh-1"), 0u);
  auto gone = book_->tasks().get(withdrawn);
  ASSERT_TRUE(gone.ok() && *gone);
  EXPECT_EQ((*gone)->status, TaskStatus::kCancelled);
  EXPECT_EQ((*book_->order("shopify", "2"))->tasks.at(0).task_id, untouched);
  EXPECT_EQ((*book_->order("shopify", "2"))->tasks.at(0).status, TaskStatus::kOpen);

  // The handheld, back: the change it is given drops the task; a fresh snapshot has none.
  auto changes = downlink.page({"tasks", "wh-1", device_has, ""}, "hh-wh-1", 100);
  ASSERT_TRUE(changes.ok()) << changes.error().toString();
  ASSERT_EQ(changes->items.size(), 1u);
  EXPECT_EQ(changes->items[0]["task_id"], withdrawn);
  EXPECT_EQ(changes->items[0]["status"], "cancelled");
  auto snapshot = downlink.page({"tasks", "wh-1", 0, ""}, "hh-wh-1", 100);
  ASSERT_TRUE(snapshot.ok());
  EXPECT_TRUE(snapshot->items.empty());

  // A new order while wh-1 is offline goes to store-1, and says why.
  receive("wh-1", "C", 1);
  receive("store-1", "C", 1);
  auto third = service_->intake(order("3", "C", 1));
  ASSERT_TRUE(third.ok());
  EXPECT_NE(third->reason.find("not routed to wh-1: every device there offline"), std::string::npos) << third->reason;
  EXPECT_EQ((*book_->order("shopify", "3"))->tasks.at(0).location, "store-1");

  // What GET /v1/orders/shopify/1 answers.
  httplib::Server server;
  addRoutes(server, *service_);
  common::HttpServerRunner runner(server);
  ASSERT_TRUE(runner.start("127.0.0.1", 0).ok());
  httplib::Client client = common::makeHttpClient("127.0.0.1", runner.port());
  auto res = client.Get("/v1/orders/shopify/1");
  runner.stop();
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 200) << res->body;
  nlohmann::json body = nlohmann::json::parse(res->body);
  const nlohmann::json& reroutes = body["routing"]["reroutes"];
  ASSERT_EQ(reroutes.size(), 1u) << body["routing"].dump();
  const nlohmann::json& r = reroutes[0];
  EXPECT_EQ(r["reason"], "location_offline");
  EXPECT_EQ(r["outcome"], "rerouted");
  EXPECT_EQ(r["from"], "wh-1");
  EXPECT_EQ(r["task_id"], withdrawn);
  EXPECT_EQ(r["excluded"], nlohmann::json::array({"wh-1"}));
  EXPECT_EQ(r["lines"], nlohmann::json::parse(R"([{"line_id": "L-1", "sku": "A", "quantity": 2}])"));
  EXPECT_GE(r["options_weighed"].get<int64_t>(), 1);
  ASSERT_FALSE(r["options"].empty());
  EXPECT_EQ(r["options"][0]["locations"], nlohmann::json::array({"store-1"}));
  EXPECT_TRUE(r["options"][0]["chosen"].get<bool>());
  ASSERT_EQ(r["new_tasks"].size(), 1u);
  EXPECT_EQ(r["new_tasks"][0]["location"], "store-1");
  EXPECT_EQ(body["lines"][0]["reserved"], 2);
  EXPECT_EQ(service_->stats().tasks_withdrawn.load(), 1u);
}

// A location that comes back before the grace keeps its tasks; so does one where any device is
// still online, and one whose devices never said whether they are there.
TEST_P(OrderBookTest, ALocationBackBeforeTheGraceKeepsItsTasks) {
  receive("wh-1", "A", 2);
  receive("store-1", "A", 3);
  presence("wh-1", true);
  ASSERT_TRUE(service_->intake(order("1", "A", 1)).ok());
  ASSERT_EQ(openAt("wh-1").size(), 1u);
  const std::string task = openAt("wh-1")[0].task_id;
  presence("wh-1", false);
  clock_.advanceMs(kGraceMs - 60'000);
  service_->workOnce();
  presence("wh-1", true);  // back, 29 minutes later
  clock_.advanceMs(kGraceMs);
  service_->workOnce();
  ASSERT_EQ(openAt("wh-1").size(), 1u);
  EXPECT_EQ(openAt("wh-1")[0].task_id, task);
  // Offline again, but another device at wh-1 is online the whole time.
  presence("wh-1", true, "hh2-wh-1");
  presence("wh-1", false);
  clock_.advanceMs(2 * kGraceMs);
  service_->workOnce();
  ASSERT_EQ(openAt("wh-1").size(), 1u);
  EXPECT_EQ(openAt("wh-1")[0].task_id, task);
  auto o = book_->order("shopify", "1");
  EXPECT_FALSE((*o)->routing.contains("reroutes")) << (*o)->routing.dump();
  // With the grace at 0 nothing is ever withdrawn.
  presence("wh-1", false, "hh2-wh-1");
  clock_.advanceMs(2 * kGraceMs);
  OrdersConfig never;
  never.reroute_offline_after_ms = 0;
  OrderService off(*book_, *ledger_, nullptr, parseRoutingConfig(nlohmann::json::parse(
      R"({"locations": {"wh-1": {"lat": 52.5, "lon": 13.4, "cost": 1}, "store-1": {"lat": 52.5, "lon": 13.4, "cost": 2}}})")).value(),
      clock_, never);
  off.workOnce();
  ASSERT_EQ(openAt("wh-1").size(), 1u);
  service_->workOnce();
  EXPECT_TRUE(openAt("wh-1").empty()) << "both devices offline past the grace";
}

TEST(OfflineLocations, EveryDeviceThereOfflineForTheGraceAndPresenceKnown) {
  auto dev = [](const std::string& id, const std::string& loc, bool online, int64_t seen, bool told = true) {
    DeviceRow d;
    d.device_id = id;
    d.location = loc;
    d.online = online;
    d.last_seen_ms = seen;
    d.state_json = told ? "{}" : "";
    return d;
  };
  DeviceRow internal = dev(kRestockDevice, "", true, 0);
  internal.internal = true;
  std::vector<DeviceRow> rows = {dev("a1", "a", false, 1000), dev("a2", "a", false, 5000),
                                 dev("b1", "b", false, 1000), dev("b2", "b", true, 1000),
                                 dev("c1", "c", false, 1000, false), dev("d1", "d", false, 9000), internal};
  EXPECT_EQ(offlineLocations(rows, 10'000, 5000), (std::set<std::string>{"a"}));
  EXPECT_EQ(offlineLocations(rows, 14'000, 5000), (std::set<std::string>{"a", "d"}));
  EXPECT_TRUE(offlineLocations(rows, 14'000, 0).empty());
}

// No other location has the stock: the task stays where it is (never cancelled), the order's
// routing says why once, and when stock turns up elsewhere it moves.
TEST_P(OrderBookTest, AnOfflineLocationsTaskStaysWhenNoOtherLocationCanFillIt) {
  receive("wh-1", "A", 2);
  receive("store-1", "A", 1);  // one unit: not the whole task
  presence("wh-1", true);
  ASSERT_TRUE(service_->intake(order("1", "A", 2)).ok());
  const std::string task = openAt("wh-1").at(0).task_id;
  presence("wh-1", false);
  clock_.advanceMs(kGraceMs);
  service_->workOnce();
  clock_.advanceMs(120'000);
  service_->workOnce();
  ASSERT_EQ(openAt("wh-1").size(), 1u);
  EXPECT_EQ(openAt("wh-1")[0].task_id, task);
  EXPECT_EQ(book_->holds().reservedByLocation("A")["wh-1"], 2);
  auto o = book_->order("shopify", "1");
  EXPECT_EQ((*o)->status, OrderState::kAccepted);
  ASSERT_EQ((*o)->routing["reroutes"].size(), 1u) << "said once: " << (*o)->routing.dump();
  const nlohmann::json& r = (*o)->routing["reroutes"][0];
  EXPECT_EQ(r["reason"], "location_offline");
  EXPECT_EQ(r["outcome"], "stayed");
  EXPECT_NE(r["why"].get<std::string>().find("no other location can take every unit of this task now (1 of 2)"),
            std::string::npos) << r.dump();
  EXPECT_TRUE(r.contains("options"));
  // Stock arrives at store-1: at the next try the task moves.
  receive("store-1", "A", 4);
  clock_.advanceMs(60'000);
  service_->workOnce();
  EXPECT_TRUE(openAt("wh-1").empty());
  ASSERT_EQ(openAt("store-1").size(), 1u);
  o = book_->order("shopify", "1");
  ASSERT_EQ((*o)->routing["reroutes"].size(), 2u);
  EXPECT_EQ((*o)->routing["reroutes"][1]["outcome"], "rerouted");
}

// The hard case: wh-1's handheld took the task down, went offline, picked it there, and its pick
// reached the ledger only after the order had been re-routed to store-1 and shipped from there.
// The order ships once (store-1's fulfilment only); the late pick's units go back on wh-1's shelf
// through the restock path, once, with an anomaly saying so; stock ends exact at both.
TEST_P(OrderBookTest, APickOfAWithdrawnTaskThatComesBackLateEndsWithExactStock) {
  receive("wh-1", "A", 2);
  receive("store-1", "A", 3);
  presence("wh-1", true);
  ASSERT_TRUE(service_->intake(order("1", "A", 2)).ok());
  const std::string first = openAt("wh-1").at(0).task_id;
  presence("wh-1", false);
  clock_.advanceMs(kGraceMs);
  service_->workOnce();
  ASSERT_EQ(openAt("store-1").size(), 1u);
  const std::string second = openAt("store-1")[0].task_id;
  receive("store-1", "A", 2, common::EventType::kSale, second);
  service_->workOnce();
  EXPECT_EQ((*book_->order("shopify", "1"))->status, OrderState::kShipped);

  receive("wh-1", "A", 2, common::EventType::kSale, first);  // the offline pick, arriving now
  EXPECT_EQ(onHandAt("wh-1", "A"), 0);
  service_->workOnce();
  clock_.advanceMs(ledger_->countTieMs() + 1);  // put back clear of any count in the pick
  service_->workOnce();
  EXPECT_EQ(onHandAt("wh-1", "A"), 2) << "the picked units are back on wh-1's shelf";
  EXPECT_EQ(onHandAt("store-1", "A"), 1);
  service_->workOnce();
  reopen();
  service_->workOnce();
  EXPECT_EQ(onHandAt("wh-1", "A"), 2) << "put back once";
  EXPECT_EQ(onHandAt("store-1", "A"), 1);

  auto o = book_->order("shopify", "1");
  ASSERT_TRUE(o.ok() && *o);
  EXPECT_EQ((*o)->status, OrderState::kShipped);
  ASSERT_EQ((*o)->fulfilments.size(), 1u) << "shipped once";
  EXPECT_EQ((*o)->fulfilments[0].location, "store-1");
  EXPECT_EQ(held("A"), 0);
  ASSERT_EQ((*o)->restocks.size(), 1u);
  EXPECT_EQ((*o)->restocks[0].refund_id, std::string(kLatePickRef) + first);
  EXPECT_EQ((*o)->restocks[0].location, "wh-1");
  EXPECT_EQ((*o)->restocks[0].quantity, 2);
  EXPECT_EQ((*o)->restocks[0].state, RestockState::kApplied);
  auto anomalies = ledger_->anomalies("", "late_pick", 0, 10);
  ASSERT_TRUE(anomalies.ok());
  ASSERT_EQ(anomalies->size(), 1u);
  EXPECT_NE(anomalies->at(0).message.find(first), std::string::npos) << anomalies->at(0).message;
  auto events = ledger_->eventsForDevice(kRestockDevice, 1, 10);
  ASSERT_TRUE(events.ok());
  ASSERT_EQ(events->size(), 1u);
  EXPECT_EQ(events->front().type, "return");

  // A refund of the shipped units, restocked, is not held back by the late pick's restock of the same line.
  NormalizedOrder refund = order("1", "A", 2);
  refund.event = "refund";
  refund.lines_complete = false;
  channels::Release back{"L-1", "A", 2, "returned", true};
  back.refund_id = "RF-1";
  back.location_ref = "";
  refund.releases = {back};
  auto r = service_->intake(refund);
  ASSERT_TRUE(r.ok()) << r.error().toString();
  service_->workOnce();
  EXPECT_EQ(onHandAt("store-1", "A"), 3) << "both shipped units back where they shipped from";
}

// The same rule for a task cancelled with its order: a handheld that picked it before hearing of
// the cancel has sold units no order ships; they go back on the shelf, once. A pick short of
// some units puts back only what it took (its count of 0 stands before the return).
TEST_P(OrderBookTest, APickOfATaskCancelledWithItsOrderIsPutBack) {
  receive("wh-1", "A", 3);
  ASSERT_TRUE(service_->intake(order("1", "A", 3)).ok());
  const std::string task = openAt("wh-1").at(0).task_id;
  ASSERT_TRUE(service_->intake(order("1", "A", 3, OrderStatus::kCancelled)).ok());
  EXPECT_TRUE(openAt("wh-1").empty());
  receive("wh-1", "A", 2, common::EventType::kSale, task);  // picked 2 of 3 offline...
  receive("wh-1", "A", 0, common::EventType::kCount, task);  // ...and found the bin empty
  EXPECT_EQ(onHandAt("wh-1", "A"), 0);
  service_->workOnce();
  EXPECT_EQ(onHandAt("wh-1", "A"), 0) << "not yet: the count would absorb a return this close to it";
  clock_.advanceMs(ledger_->countTieMs() + 1);
  service_->workOnce();
  EXPECT_EQ(onHandAt("wh-1", "A"), 2) << "the 2 picked units, back, on top of the count";
  auto o = book_->order("shopify", "1");
  EXPECT_EQ((*o)->status, OrderState::kCancelled);
  EXPECT_TRUE((*o)->fulfilments.empty());
  ASSERT_EQ((*o)->restocks.size(), 1u);
  EXPECT_EQ((*o)->restocks[0].quantity, 2);
  EXPECT_EQ(service_->stats().late_pick_units.load(), 2u);
}

// ------------------------------------------------------------ revenue from the worker

// A day as the orders worker sees it: priced till sales, a return and a void at store-1, a Shopify
// order (with its line's tax and discount) picked at wh-1 and one unit of it refunded. Every fact becomes revenue (revenue.h) once,
// however often the worker runs: the till's lines at its prices (no currency or tax: the till
// sends none), the pick at the order's price and currency, the refund of a shipped unit at that
// price; the void takes its sale back; the pick's own `sale` event and the receipts give none.
TEST_P(OrderBookTest, ADayOfTillSalesPicksAndRefundsBecomesRevenueOnce) {
  auto revenue = RevenueBook::open(test::orderBookTarget(GetParam(), dir_), clock_);
  ASSERT_TRUE(revenue.ok()) << revenue.error().toString();
  service_->setRevenue(revenue->get());
  auto till = [&](common::EventType type, std::vector<common::Line> lines, const std::string& ref = "") {
    common::Event e;
    e.device_id = "till-1";
    e.seq = ++seq_[e.device_id];
    e.event_id = common::newUuid();
    e.type = type;
    e.occurred_at_ms = clock_.nowMs();
    e.location = "store-1";
    e.ref = ref;
    e.lines = std::move(lines);
    ApplyGroup g;
    g.applied_at_ms = clock_.nowMs();
    if (e.seq == 1) g.new_devices[e.device_id] = common::newUuid();
    g.cursors[e.device_id] = e.seq;
    g.events.push_back({e, 0});
    EXPECT_TRUE(ledger_->commit(g).ok());
    return e.event_id;
  };
  const auto price = [](const char* p) { return std::optional<common::Decimal>(*common::Decimal::parse(p)); };
  receive("wh-1", "A", 5);
  receive("store-1", "A", 10);
  till(common::EventType::kSale, {{"A", 2, price("10.00")}, {"B", 1, price("5.50")}});
  till(common::EventType::kReturn, {{"A", 1, price("10.00")}});
  const std::string voided = till(common::EventType::kSale, {{"A", 1, price("10.00")}});
  till(common::EventType::kVoid, {}, voided);

  NormalizedOrder o = order("1", "A", 2);
  o.lines[0].unit_price = common::Money{*common::Decimal::parse("12.00"), "USD"};
  // The channel's tax and discount of the whole line (2 units), as the decoders read them.
  o.lines[0].tax = common::Money{*common::Decimal::parse("3.00"), "USD"};
  o.lines[0].discount = common::Money{*common::Decimal::parse("2.00"), "USD"};
  ASSERT_EQ(service_->intake(o)->status, toString(OrderState::kAccepted));
  ASSERT_EQ(openAt("wh-1").size(), 1u);
  receive("wh-1", "A", 2, common::EventType::kSale, openAt("wh-1")[0].task_id);  // the handheld's pick
  service_->workOnce();
  ASSERT_TRUE(service_->intake(refundOf("1", "A", 2, "r1")).ok());  // one shipped unit, no restock
  service_->workOnce();
  service_->workOnce();
  ASSERT_TRUE(service_->intake(refundOf("1", "A", 2, "r1")).ok());  // delivered again

  const int64_t today = clock_.nowMs() / kDayMs;
  auto q = parseSalesQuery({}, today);
  ASSERT_TRUE(q.ok());
  auto lines = (*revenue)->lines(q->fromMs(), q->untilMs());
  ASSERT_TRUE(lines.ok()) << lines.error().toString();
  EXPECT_EQ(lines->size(), 7u);  // 2 + 1 + 1 sold and returned, 1 voided, 1 picked, 1 refunded
  auto report = buildSalesReport(*q, *lines);
  ASSERT_TRUE(report.ok());
  const std::string day = reportDayText(today);
  EXPECT_EQ(salesReportCsv(*report),
            "period,channel,location,sku,currency,units_sold,units_returned,gross,discounts,refunds,net,tax,fees,"
            "return_rate_pct\r\n" +
                // 2 + 1 sold, 1 voided, 1 back: 20.00 + 10.00 - 10.00 sold, 10.00 refunded
                day + ",pos,store-1,A,,2,1,20.00,0.00,10.00,10.00,0.00,0.00,50.00\r\n" + day +
                ",pos,store-1,B,,1,0,5.50,0.00,0.00,5.50,0.00,0.00,0.00\r\n" +
                // 2 x 12.00 picked with the line's 2.00 off and 3.00 tax; one refunded with its
                // half of both: 12.00 - 1.00 back, 1.50 tax given back
                day + ",shopify,wh-1,A,USD,2,1,24.00,2.00,11.00,11.00,1.50,0.00,50.00\r\n");
}
