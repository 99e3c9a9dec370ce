// A SQLite order book moved into a PostgreSQL one (OrderBook::importSqliteBook), as `serve` does
// with the `<local-db>.orders` file an earlier release kept beside a PostgreSQL ledger: every
// order with its lines, holds, tasks, fulfilments, refunds and restocks comes across, new rows
// follow the copied ones, a second import copies nothing, and a book that already holds orders is
// never merged into. Real SQLite and a private PostgreSQL (sql_stores.h).

#include <gtest/gtest.h>

#include <set>

#include "sw/common/postgres.h"
#include "sw/common/uuid.h"
#include "sw/coordinator/ledger/sql_ledger.h"
#include "sw/coordinator/orders/order_service.h"
#include "sql_stores.h"
#include "test_support.h"

using namespace sw;
using namespace sw::coordinator;
using channels::ChannelKind;
using channels::NormalizedOrder;
using nlohmann::json;

namespace {

class OrderBookImport : public ::testing::Test {
 protected:
  void SetUp() override {
    auto l = SqlLedger::open({.path = test::ledgerTarget("postgresql", dir_)});
    ASSERT_TRUE(l.ok()) << l.error().toString();
    ledger_ = std::move(*l);
    auto routing = parseRoutingConfig(json::parse(
        R"({"locations": {"wh-1": {"lat": 52.5, "lon": 13.4, "cost": 1}, "store-1": {"lat": 52.5, "lon": 13.4, "cost": 2}}})"));
    ASSERT_TRUE(routing.ok());
    routing_ = *routing;
  }
  std::string oldBookPath() const { return dir_.file("local.db.orders"); }
  std::unique_ptr<OrderBook> openBook(const std::string& target) {
    auto b = OrderBook::open(target, clock_);
    EXPECT_TRUE(b.ok()) << b.error().toString();
    if (!b) return nullptr;
    if (common::isPostgresUrl(target)) (*b)->fenceWith(ledger_->leaseToken());
    return std::move(*b);
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
  static NormalizedOrder order(const std::string& id, const std::string& sku, int64_t qty) {
    NormalizedOrder o;
    o.channel = ChannelKind::kShopify;
    o.order_id = id;
    channels::OrderLine l;
    l.line_id = "L-" + id;
    l.sku = sku;
    l.quantity = qty;
    o.lines.push_back(l);
    return o;
  }
  // Everything the book says about its orders, as one value to compare.
  static json describe(OrderBook& book) {
    json out = json::array();
    auto orders = book.orders(std::nullopt, 100);
    EXPECT_TRUE(orders.ok());
    for (const BookOrder& o : *orders) {
      json j = {{"id", o.order_id}, {"status", toString(o.status)}, {"reason", o.reason}, {"routing", o.routing}};
      for (const BookLine& l : o.lines) j["lines"].push_back({l.line_id, l.sku, l.quantity, l.released});
      for (const BookAllocation& a : o.allocations) {
        j["allocations"].push_back({a.id, a.location, a.quantity, toString(a.state), a.task_id});
      }
      for (const PickTask& t : o.tasks) j["tasks"].push_back({t.task_id, t.location, toString(t.status)});
      for (const Fulfilment& f : o.fulfilments) j["fulfilments"].push_back({f.id, f.location, f.tracking_number});
      for (const Restock& r : o.restocks) j["restocks"].push_back({r.seq, r.location, r.quantity, toString(r.state)});
      for (const AppliedRefund& r : o.refunds) j["refunds"].push_back({r.refund_id, r.line_id, r.quantity});
      out.push_back(j);
    }
    return out;
  }

  test::TempDir dir_;
  common::ManualClock clock_;
  std::unique_ptr<SqlLedger> ledger_;
  RoutingConfig routing_;
  std::map<std::string, uint64_t> seq_;
};

}  // namespace

// A book as an earlier release kept it in its own SQLite file beside a PostgreSQL ledger: an order
// shipped and refunded with a restock, one held on an open pick task, one cancelled.
TEST_F(OrderBookImport, EveryOrderWithItsHoldsTasksAndRefundsMovesIntoPostgres) {
  json before;
  std::map<std::string, int64_t> held_before;
  {
    auto old_book = openBook(oldBookPath());
    ASSERT_TRUE(old_book);
    OrderService service(*old_book, *ledger_, nullptr, routing_, clock_);
    receive("wh-1", "A", 5);
    receive("store-1", "A", 2);
    ASSERT_TRUE(service.intake(order("1", "A", 2)).ok());
    auto tasks = old_book->tasks().open();
    ASSERT_TRUE(tasks.ok());
    ASSERT_EQ(tasks->size(), 1u);
    receive("wh-1", "A", 2, common::EventType::kSale, tasks->front().task_id);
    service.workOnce();
    NormalizedOrder refund = order("1", "A", 2);
    refund.event = "refund";
    refund.lines_complete = false;
    channels::Release back{"L-1", "A", 1, "returned", true};
    back.refund_id = "RF-1";
    refund.releases.push_back(back);
    ASSERT_TRUE(service.intake(refund).ok());
    service.workOnce();
    clock_.advanceMs(1000);
    ASSERT_TRUE(service.intake(order("2", "A", 1)).ok());  // held on an open task
    clock_.advanceMs(1000);
    ASSERT_TRUE(service.intake(order("3", "A", 1)).ok());
    NormalizedOrder cancel = order("3", "A", 1);
    cancel.status = channels::OrderStatus::kCancelled;
    ASSERT_TRUE(service.intake(cancel).ok());
    before = describe(*old_book);
    held_before = old_book->holds().reservedByLocation("A");
  }
  ASSERT_EQ(before.size(), 3u) << before.dump(1);
  ASSERT_FALSE(before[2]["restocks"].empty()) << before.dump(1);  // the refund's restock is there to move

  auto book = openBook(test::orderBookTarget("postgresql", dir_));
  ASSERT_TRUE(book);
  EXPECT_TRUE(describe(*book).empty());
  auto imported = book->importSqliteBook(oldBookPath());
  ASSERT_TRUE(imported.ok()) << imported.error().toString();
  EXPECT_FALSE(imported->already_imported);
  EXPECT_EQ(imported->rows.at("orders"), 3);
  EXPECT_EQ(imported->rows.size(), OrderBook::tableNames().size());
  EXPECT_EQ(describe(*book), before) << "in PostgreSQL:\n" << describe(*book).dump(1) << "\nin SQLite:\n" << before.dump(1);
  EXPECT_EQ(book->holds().reservedByLocation("A"), held_before) << "the holds in memory were reloaded";

  // The book goes on from where the file was: new ids come after the copied ones, newest first.
  OrderService service(*book, *ledger_, nullptr, routing_, clock_);
  clock_.advanceMs(1000);
  ASSERT_TRUE(service.intake(order("4", "A", 1)).ok());
  json after = describe(*book);
  ASSERT_EQ(after.size(), 4u);
  EXPECT_EQ(after[0]["id"], "4");
  int64_t max_copied = 0;
  for (const json& o : before) {
    for (const json& a : o.value("allocations", json::array())) max_copied = std::max<int64_t>(max_copied, a[0]);
  }
  EXPECT_GT(after[0]["allocations"][0][0].get<int64_t>(), max_copied);

  // Reopened (a restart), the same; a second import of the file copies nothing.
  book.reset();
  book = openBook(test::orderBookTarget("postgresql", dir_));
  EXPECT_EQ(describe(*book), after);
  auto again = book->importSqliteBook(oldBookPath());
  ASSERT_TRUE(again.ok()) << again.error().toString();
  EXPECT_TRUE(again->already_imported);
  EXPECT_EQ(describe(*book), after);

  // Another book's file, once one was taken in: refused, not merged.
  {
    auto other = openBook(dir_.file("other.orders"));
    OrderService other_service(*other, *ledger_, nullptr, routing_, clock_);
    ASSERT_TRUE(other_service.intake(order("elsewhere", "A", 1)).ok());
  }
  auto other = book->importSqliteBook(dir_.file("other.orders"));
  ASSERT_FALSE(other.ok());
  EXPECT_EQ(other.error().code, "book_not_empty");
  EXPECT_EQ(describe(*book), after);
}

// A PostgreSQL book that already holds orders (a new installation that ran, or another book) is
// never merged with a file: refused, nothing written on either side.
TEST_F(OrderBookImport, ABookThatAlreadyHoldsOrdersIsNotMergedInto) {
  receive("wh-1", "B", 3);
  {
    auto old_book = openBook(oldBookPath());
    OrderService service(*old_book, *ledger_, nullptr, routing_, clock_);
    ASSERT_TRUE(service.intake(order("old", "B", 1)).ok());
  }
  auto book = openBook(test::orderBookTarget("postgresql", dir_));
  OrderService service(*book, *ledger_, nullptr, routing_, clock_);
  ASSERT_TRUE(service.intake(order("new", "B", 1)).ok());
  json before = describe(*book);
  auto imported = book->importSqliteBook(oldBookPath());
  ASSERT_FALSE(imported.ok());
  EXPECT_EQ(imported.error().code, "book_not_empty");
  EXPECT_NE(imported.error().message.find("local.db.orders"), std::string::npos) << imported.error().message;
  EXPECT_EQ(describe(*book), before);
  auto old_book = openBook(oldBookPath());
  ASSERT_EQ(describe(*old_book).size(), 1u);
}

// Only a PostgreSQL book takes a file in; a file that is not an order book, or of a newer
// schema, is refused with the reason the book's own open gives.
TEST_F(OrderBookImport, WhatCannotBeImportedIsRefused) {
  auto sqlite_book = openBook(dir_.file("other.orders"));
  auto refused = sqlite_book->importSqliteBook(oldBookPath());
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, "bad_option");

  auto book = openBook(test::orderBookTarget("postgresql", dir_));
  {
    auto newer = common::SqliteSqlDb::open({.path = oldBookPath()});
    ASSERT_TRUE(newer.ok());
    ASSERT_TRUE((*newer)->migrate({"orders", OrderBook::schemaSteps(), "user_version"}).ok());
    ASSERT_TRUE((*newer)->exec("UPDATE schema_versions SET version = version + 1 WHERE component = 'orders'").ok());
  }
  auto too_new = book->importSqliteBook(oldBookPath());
  ASSERT_FALSE(too_new.ok());
  EXPECT_EQ(too_new.error().code, "schema_too_new") << too_new.error().toString();
  EXPECT_TRUE(describe(*book).empty());
}

// What the import copies is every table of the book's schema, on both stores.
TEST_F(OrderBookImport, TheTablesCopiedAreEveryTableOfTheBook) {
  auto file_book = openBook(oldBookPath());
  auto db = common::SqliteSqlDb::open({.path = oldBookPath()});
  ASSERT_TRUE(db.ok());
  auto st = (*db)->prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name <> 'schema_versions'"
                           " AND name NOT LIKE 'sqlite_%'");
  ASSERT_TRUE(st.ok());
  std::set<std::string> tables;
  ASSERT_TRUE(st->eachRow([&](const common::SqlStmt& row) { tables.insert(row.columnText(0)); }).ok());
  const auto& names = OrderBook::tableNames();
  EXPECT_EQ(tables, std::set<std::string>(names.begin(), names.end()));
}
