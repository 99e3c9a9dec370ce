// The customer book (customers.h) on both stores of the order book (SQLite files and a private
// PostgreSQL, sql_stores.h), through order intake as the channels bring orders: one customer across
// channels, erasure that leaves the ledger and every money figure as they were, and retention on a
// clock moved by hand.

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "sw/common/postgres.h"
#include "sw/common/uuid.h"
#include "sw/coordinator/ledger/sql_ledger.h"
#include "sw/coordinator/orders/order_service.h"
#include "sw/coordinator/orders/revenue.h"
#include "sql_stores.h"
#include "test_support.h"

using namespace sw;
using namespace sw::coordinator;
using channels::ChannelKind;
using channels::NormalizedOrder;
using channels::OrderStatus;

namespace {

class CustomerBookTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    auto l = SqlLedger::open({.path = test::ledgerTarget(GetParam(), dir_)});
    ASSERT_TRUE(l.ok()) << l.error().toString();
    ledger_ = std::move(*l);
    auto b = OrderBook::open(test::orderBookTarget(GetParam(), dir_), clock_);
    ASSERT_TRUE(b.ok()) << b.error().toString();
    book_ = std::move(*b);
    startService(OrdersConfig{});
  }
  void startService(OrdersConfig cfg) {
    auto routing = parseRoutingConfig(nlohmann::json::parse(R"({"locations": {"wh-1": {"lat": 52.5, "lon": 13.4}}})"));
    ASSERT_TRUE(routing.ok());
    service_ = std::make_unique<OrderService>(*book_, *ledger_, nullptr, *routing, clock_, cfg);
  }
  void event(const std::string& device, common::EventType type, const std::string& sku, int64_t qty,
             const std::string& ref = "") {
    common::Event e;
    e.device_id = device;
    e.seq = ++seq_[device];
    e.event_id = common::newUuid();
    e.type = type;
    e.occurred_at_ms = clock_.nowMs();
    e.location = "wh-1";
    e.ref = ref;
    e.lines = {{sku, qty, std::nullopt}};
    ApplyGroup g;
    g.applied_at_ms = clock_.nowMs();
    if (e.seq == 1) g.new_devices[device] = common::newUuid();
    g.cursors[device] = e.seq;
    g.events.push_back({e, 0});
    ASSERT_TRUE(ledger_->commit(g).ok());
  }
  static channels::CustomerContact steve(const std::string& email = "steve@example.com") {
    channels::CustomerContact c;
    c.buyer_id = "115310627314723954";
    c.name = "Steve Shipper";
    c.email = email;
    c.phone = "555-555-0100";
    c.ship_to = {{"123 Shipping Street"}, "Shippington", "KY", "40003", "US"};
    return c;
  }
  NormalizedOrder order(ChannelKind channel, const std::string& id, const channels::CustomerContact& buyer,
                        OrderStatus status = OrderStatus::kOpen) {
    NormalizedOrder o;
    o.channel = channel;
    o.order_id = id;
    o.status = status;
    o.ship_to_country = "US";
    o.ship_to = {buyer.ship_to.postal_code, buyer.ship_to.city, buyer.ship_to.region};
    o.customer = buyer;
    channels::OrderLine l;
    l.line_id = "L-" + id;
    l.sku = "A";
    l.quantity = 1;
    l.unit_price = common::Money{*common::Decimal::parse("12.00"), "USD"};
    o.lines.push_back(l);
    return o;
  }
  Customer customerByEmail(const std::string& email) {
    auto c = book_->customers().byEmail(email);
    EXPECT_TRUE(c.ok()) << c.error().toString();
    EXPECT_TRUE(c.ok() && *c) << email;
    return c.ok() && *c ? **c : Customer{};
  }
  // Another connection, as a person with SQL would have: how many rows of `table` hold `text`
  // in any of `columns`.
  int64_t rowsHolding(const std::string& table, const std::vector<std::string>& columns, const std::string& text) {
    const std::string target = test::orderBookTarget(GetParam(), dir_);
    std::unique_ptr<common::SqlDb> db;
    if (common::isPostgresUrl(target)) {
      auto pg = common::PgDb::open({.url = target});
      EXPECT_TRUE(pg.ok());
      if (pg) db = std::move(*pg);
    } else {
      auto lite = common::SqliteSqlDb::open({.path = target});
      EXPECT_TRUE(lite.ok());
      if (lite) db = std::move(*lite);
    }
    if (!db) return -1;
    std::string where;
    for (const std::string& c : columns) where += (where.empty() ? "" : " OR ") + c + " LIKE ?";
    auto st = db->prepare("SELECT COUNT(*) FROM " + table + " WHERE " + where);
    EXPECT_TRUE(st.ok()) << st.error().toString();
    if (!st) return -1;
    for (size_t i = 0; i < columns.size(); ++i) st->bind(static_cast<int>(i + 1), "%" + text + "%");
    int64_t n = -1;
    EXPECT_TRUE(st->firstRow([&](const common::SqlStmt& r) { n = r.columnInt(0); }).ok());
    return n;
  }

  test::TempDir dir_;
  common::ManualClock clock_;
  std::unique_ptr<SqlLedger> ledger_;
  std::unique_ptr<OrderBook> book_;
  std::unique_ptr<OrderService> service_;
  std::map<std::string, uint64_t> seq_;
};

INSTANTIATE_TEST_SUITE_P(Stores, CustomerBookTest, ::testing::Values("sqlite", "postgresql"),
                         [](const ::testing::TestParamInfo<std::string>& p) { return p.param; });

}  // namespace

// One person ordering on Shopify and on eBay with the same email (in other letter case) is one
// customer with both orders; a buyer who gave no email is found by the channel's buyer id; the
// order book's own row keeps no name, email, phone or street.
TEST_P(CustomerBookTest, OneCustomerAcrossChannelsFoundByEmailOrBuyerId) {
  event("hh-1", common::EventType::kReceive, "A", 10);
  ASSERT_TRUE(service_->intake(order(ChannelKind::kShopify, "1001", steve())).ok());
  clock_.advanceMs(1000);
  channels::CustomerContact on_ebay = steve("steve@example.com");
  on_ebay.buyer_id = "steve_s";
  on_ebay.phone = "";  // not given here: the one known is kept
  ASSERT_TRUE(service_->intake(order(ChannelKind::kEbay, "E-1", on_ebay)).ok());
  ASSERT_TRUE(service_->intake(order(ChannelKind::kEbay, "E-1", on_ebay)).ok());  // delivered again

  Customer c = customerByEmail(" Steve@Example.COM ");
  EXPECT_EQ(c.id.rfind("cus_", 0), 0u);
  EXPECT_EQ(c.id.size(), 36u);
  EXPECT_EQ(c.name, "Steve Shipper");
  EXPECT_EQ(c.phone, "555-555-0100");
  ASSERT_EQ(c.orders.size(), 2u);
  EXPECT_EQ(c.orders[0].channel, "shopify");
  EXPECT_EQ(c.orders[0].contact.ship_to.lines, (std::vector<std::string>{"123 Shipping Street"}));
  EXPECT_EQ(c.orders[1].channel, "ebay");
  EXPECT_EQ(c.orders[1].contact.buyer_id, "steve_s");
  EXPECT_EQ(*book_->customers().customerOfOrder("ebay", "E-1"), c.id);
  auto by_id = book_->customers().byId(c.id);
  ASSERT_TRUE(by_id.ok() && *by_id);
  EXPECT_EQ((*by_id)->orders.size(), 2u);

  channels::CustomerContact guest;
  guest.buyer_id = "walker_99";
  guest.name = "Jo Walker";
  ASSERT_TRUE(service_->intake(order(ChannelKind::kEbay, "E-2", guest)).ok());
  auto jo = book_->customers().byBuyer("ebay", "walker_99");
  ASSERT_TRUE(jo.ok() && *jo);
  EXPECT_EQ((*jo)->name, "Jo Walker");
  EXPECT_NE((*jo)->id, c.id);
  EXPECT_FALSE(*book_->customers().byBuyer("shopify", "walker_99"));  // ids are per channel

  // Nothing personal at all (Amazon without restricted data, and no address): no customer.
  channels::CustomerContact none;
  none.restricted = true;
  ASSERT_TRUE(service_->intake(order(ChannelKind::kAmazon, "A-1", none)).ok());
  EXPECT_FALSE(*book_->customers().customerOfOrder("amazon", "A-1"));

  EXPECT_EQ(rowsHolding("orders", {"normalized", "routing"}, "Steve"), 0);
  EXPECT_EQ(rowsHolding("orders", {"normalized", "routing"}, "Shipping Street"), 0);
  EXPECT_EQ(rowsHolding("orders", {"normalized", "routing"}, "555-555"), 0);
  EXPECT_EQ(rowsHolding("orders", {"normalized", "routing"}, "example.com"), 0);
  EXPECT_FALSE(*book_->customers().byEmail("nobody@example.com"));
  EXPECT_FALSE(*book_->customers().byId("cus_00000000000000000000000000000000"));
}

// Erasure (GDPR art. 17): every order of the customer loses its buyer record and its shipping
// place, the customer is a tombstone nobody finds by email, and the ledger, the order lines,
// allocations, amounts and every revenue line are exactly as before.
TEST_P(CustomerBookTest, ErasureLeavesTheLedgerAndTheMoneyAsTheyWere) {
  auto revenue = RevenueBook::open(test::orderBookTarget(GetParam(), dir_), clock_);
  ASSERT_TRUE(revenue.ok()) << revenue.error().toString();
  service_->setRevenue(revenue->get());
  event("hh-1", common::EventType::kReceive, "A", 10);
  ASSERT_TRUE(service_->intake(order(ChannelKind::kShopify, "1001", steve())).ok());
  ASSERT_TRUE(service_->intake(order(ChannelKind::kWooCommerce, "77", steve())).ok());
  auto tasks = book_->tasks().open();
  ASSERT_TRUE(tasks.ok());
  ASSERT_EQ(tasks->size(), 2u);
  event("hh-1", common::EventType::kSale, "A", 1, (*tasks)[0].task_id);  // one of them picked
  service_->workOnce();
  NormalizedOrder refund = order(ChannelKind::kShopify, "1001", steve());
  refund.event = "refund";
  refund.releases.push_back({"L-1001", "A", 1, "refunded", false, "r1"});
  ASSERT_TRUE(service_->intake(refund).ok());
  service_->workOnce();

  auto money = [&] {
    auto lines = (*revenue)->lines(0, INT64_MAX);
    EXPECT_TRUE(lines.ok());
    return lines.ok() ? *lines : std::vector<RevenueLine>{};
  };
  auto stock = [&] {
    auto rows = ledger_->stockForSku("A");
    EXPECT_TRUE(rows.ok());
    std::vector<std::tuple<std::string, int64_t>> out;
    for (const StockRow& r : *rows) out.emplace_back(r.location, r.on_hand);
    return out;
  };
  auto orderFigures = [&](const std::string& channel, const std::string& id) {
    auto o = book_->order(channel, id);
    EXPECT_TRUE(o.ok() && *o);
    nlohmann::json j = {{"status", toString((*o)->status)}, {"total", (*o)->normalized["total"]},
                        {"lines", (*o)->normalized["lines"]}, {"refunds", (*o)->refunds.size()},
                        {"fulfilments", (*o)->fulfilments.size()}};
    for (const BookLine& l : (*o)->lines) j["book_lines"].push_back({l.line_id, l.sku, l.quantity, l.released});
    for (const BookAllocation& a : (*o)->allocations) j["allocations"].push_back({a.location, a.quantity, toString(a.state)});
    return j;
  };
  const std::vector<RevenueLine> money_before = money();
  ASSERT_FALSE(money_before.empty());
  const auto stock_before = stock();
  const nlohmann::json shop_before = orderFigures("shopify", "1001"), woo_before = orderFigures("woocommerce", "77");

  Customer c = customerByEmail("steve@example.com");
  auto e = book_->eraseCustomer(c.id);
  ASSERT_TRUE(e.ok()) << e.error().toString();
  EXPECT_EQ(e->orders, 2);
  EXPECT_FALSE(e->already_erased);

  EXPECT_EQ(money(), money_before);
  EXPECT_EQ(stock(), stock_before);
  EXPECT_EQ(orderFigures("shopify", "1001"), shop_before);
  EXPECT_EQ(orderFigures("woocommerce", "77"), woo_before);

  EXPECT_FALSE(*book_->customers().byEmail("steve@example.com"));
  auto tomb = book_->customers().byId(c.id);
  ASSERT_TRUE(tomb.ok() && *tomb);
  EXPECT_NE((*tomb)->erased_at_ms, 0);
  EXPECT_EQ((*tomb)->erased_why, "request");
  EXPECT_EQ((*tomb)->name, "");
  ASSERT_EQ((*tomb)->orders.size(), 2u);  // which orders were theirs stays: the figures need it
  for (const CustomerOrder& o : (*tomb)->orders) {
    EXPECT_NE(o.purged_at_ms, 0);
    EXPECT_TRUE(o.contact.empty());
  }
  EXPECT_FALSE((*book_->order("shopify", "1001"))->normalized.contains("ship_to"));
  for (const char* personal : {"Steve", "steve@", "Shipping Street", "555-555", "40003", "Shippington"}) {
    EXPECT_EQ(rowsHolding("customers", {"name", "email", "phone", "match_key"}, personal), 0) << personal;
    EXPECT_EQ(rowsHolding("customer_orders", {"buyer_id", "name", "email", "phone", "address"}, personal), 0) << personal;
    EXPECT_EQ(rowsHolding("orders", {"normalized", "routing"}, personal), 0) << personal;
  }

  // Again: nothing more to clear, said so. An unknown id: not_found.
  auto again = book_->eraseCustomer(c.id);
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(again->already_erased);
  auto unknown = book_->eraseCustomer("cus_00000000000000000000000000000000");
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.error().code, "not_found");
  // The same person ordering again is a new customer: the tombstone is not found by email.
  ASSERT_TRUE(service_->intake(order(ChannelKind::kShopify, "1002", steve())).ok());
  Customer fresh = customerByEmail("steve@example.com");
  EXPECT_NE(fresh.id, c.id);
  EXPECT_EQ(fresh.orders.size(), 1u);
}

// Retention (OrdersConfig::customer_retention_ms, --customer-retention-days) on a clock moved by
// hand: an order over and unchanged for the retention loses its buyer record and shipping place; a
// customer with no personal data left is tombstoned ("retention"); one with an order still open
// keeps it all.
TEST_P(CustomerBookTest, RetentionPurgesFinishedOrdersAndTombstonesEmptiedCustomers) {
  OrdersConfig cfg;
  cfg.customer_retention_ms = 2 * 86'400'000LL;
  startService(cfg);
  event("hh-1", common::EventType::kReceive, "A", 10);
  ASSERT_TRUE(service_->intake(order(ChannelKind::kShopify, "done", steve())).ok());
  ASSERT_TRUE(service_->intake(order(ChannelKind::kShopify, "done", steve(), OrderStatus::kCancelled)).ok());
  channels::CustomerContact other = steve("other@example.com");
  other.name = "Olive Other";
  ASSERT_TRUE(service_->intake(order(ChannelKind::kWooCommerce, "gone", other)).ok());
  ASSERT_TRUE(service_->intake(order(ChannelKind::kWooCommerce, "gone", other, OrderStatus::kCancelled)).ok());
  ASSERT_TRUE(service_->intake(order(ChannelKind::kWooCommerce, "open", steve())).ok());

  clock_.advanceMs(86'400'000);
  service_->workOnce();  // within the retention: all kept
  EXPECT_EQ(customerByEmail("other@example.com").name, "Olive Other");

  clock_.advanceMs(86'400'000 + 1);
  service_->workOnce();
  EXPECT_FALSE(*book_->customers().byEmail("other@example.com"));
  Customer s = customerByEmail("steve@example.com");
  EXPECT_EQ(s.name, "Steve Shipper");  // an order of theirs is still open
  ASSERT_EQ(s.orders.size(), 2u);
  EXPECT_NE(s.orders[0].purged_at_ms, 0);  // "done", cancelled 2 days ago
  EXPECT_TRUE(s.orders[0].contact.empty());
  EXPECT_EQ(s.orders[1].purged_at_ms, 0);  // "open"
  EXPECT_EQ(s.orders[1].contact.name, "Steve Shipper");
  EXPECT_FALSE((*book_->order("shopify", "done"))->normalized.contains("ship_to"));
  EXPECT_TRUE((*book_->order("woocommerce", "open"))->normalized.contains("ship_to"));
  EXPECT_EQ(rowsHolding("customers", {"name"}, "Olive"), 0);
  EXPECT_EQ(rowsHolding("customers", {"erased_why"}, "retention"), 1);
  EXPECT_EQ(*book_->eraseShipTo(clock_.nowMs() - cfg.customer_retention_ms, 100), 0);  // nothing left
}

// The older --ship-to-retention-days and the customer retention: the shorter applies; 0 for both
// keeps everything.
TEST(CustomerRetention, TheShorterOfTheTwoApplies) {
  OrdersConfig cfg;
  EXPECT_EQ(cfg.personalDataRetentionMs(), 730LL * 86'400'000);
  cfg.ship_to_retention_ms = 86'400'000;
  EXPECT_EQ(cfg.personalDataRetentionMs(), 86'400'000);
  cfg.customer_retention_ms = 0;
  EXPECT_EQ(cfg.personalDataRetentionMs(), 86'400'000);
  cfg.ship_to_retention_ms = 0;
  EXPECT_EQ(cfg.personalDataRetentionMs(), 0);
}
