// Settlements of Amazon and eBay (issue 20) against the real simulators over HTTP: orders placed
// and refunded at the simulator, read back through the connector's own order polling (what the
// order book would hold), a payout made by the simulator (clean, then with discrepancies), fetched
// through the connector (Amazon: getReports, getReportDocument, the gzip flat file; eBay: Finances
// getPayouts and getTransactions, paged) and matched by the same rules as Shopify's (reconcile.h).

#include <gtest/gtest.h>

#include <map>
#include <set>
#include <tuple>

#include "sim_fixture.h"
#include "sw/common/clock.h"
#include "sw/coordinator/channels/amazon_connector.h"
#include "sw/coordinator/channels/ebay_connector.h"
#include "sw/coordinator/channels/woocommerce_connector.h"
#include "sw/coordinator/settlements/reconcile.h"

namespace sw::coordinator::channels {
namespace {

using nlohmann::json;
using settlements::BookRefundLine;
using settlements::ExpectedOrder;
using test::ChannelSim;
using namespace std::chrono_literals;

// What polling told about each order: its normalized form and every refund line released.
struct Book {
  std::map<std::string, json> orders;
  std::map<std::string, std::vector<BookRefundLine>> refunds;
  std::set<std::tuple<std::string, std::string, std::string>> seen;  // (order, refund, line)

  void take(const NormalizedOrder& o) {
    if (o.event == "order") orders[o.order_id] = json::parse(toJson(o).dump());
    for (const Release& r : o.releases) {
      if (r.refund_id.empty() || !seen.insert({o.order_id, r.refund_id, r.line_id}).second) continue;
      refunds[o.order_id].push_back({r.refund_id, r.line_id, r.quantity});
    }
  }
  settlements::PayoutMatch match(const Payout& p) const {
    settlements::OrderLookup lookup = [this](const std::string& id) -> common::Result<std::optional<ExpectedOrder>> {
      auto it = orders.find(id);
      if (it == orders.end()) return std::optional<ExpectedOrder>();
      auto r = refunds.find(id);
      return std::optional<ExpectedOrder>(
          settlements::expectedFrom(id, it->second, r == refunds.end() ? std::vector<BookRefundLine>{} : r->second));
    };
    settlements::RefundPaidElsewhere elsewhere = [](const std::string&, const std::string&) { return common::Result<bool>(false); };
    auto m = settlements::matchPayout(p, lookup, elsewhere);
    EXPECT_TRUE(m.ok()) << m.error().toString();
    return m.ok() ? *m : settlements::PayoutMatch{};
  }
};

// Polls until a sweep ends (Amazon reads order items and refunds over several calls).
void pollAll(ChannelConnector& conn, Book* book) {
  OrderCursor cursor;
  for (int n = 0; n < 50; ++n) {
    auto page = conn.pollOrders(cursor);
    ASSERT_TRUE(page.ok()) << page.error().toString();
    for (const NormalizedOrder& o : page->orders) book->take(o);
    if (page->next_page_token.empty()) return;
    cursor.page_token = page->next_page_token;
  }
  FAIL() << "polling did not end";
}

std::vector<Payout> fetchAll(ChannelConnector& conn) {
  std::vector<Payout> out;
  PayoutCursor cursor;
  for (int n = 0; n < 20; ++n) {
    auto page = conn.fetchPayouts(cursor);
    EXPECT_TRUE(page.ok()) << page.error().toString();
    if (!page.ok()) return out;
    for (Payout& p : page->payouts) out.push_back(std::move(p));
    if (page->next_page_token.empty()) return out;
    cursor.page_token = page->next_page_token;
  }
  ADD_FAILURE() << "payout paging did not end";
  return out;
}

const Payout* byId(const std::vector<Payout>& ps, const std::string& id) {
  for (const Payout& p : ps) {
    if (p.payout_id == id) return &p;
  }
  return nullptr;
}

std::multiset<std::string> codes(const settlements::PayoutMatch& m) {
  std::multiset<std::string> out;
  for (const auto& f : m.findings) out.insert(f.code);
  return out;
}

std::string firstLine(const json& order_reply) {
  if (order_reply.contains("order_items")) return order_reply["order_items"][0]["OrderItemId"];  // Amazon
  return order_reply["order"]["lineItems"][0]["lineItemId"];                                     // eBay
}

void refundOne(ChannelSim& sim, const std::string& order_id, const std::string& line_id) {
  auto r = test::httpPost(sim.port(), "/_sim/orders/" + order_id + "/refund",
                          json{{"lines", {{{"line_id", line_id}, {"quantity", 1}}}}}.dump());
  ASSERT_EQ(r.status, 201) << r.body.dump();
}

std::string payout(ChannelSim& sim, const json& discrepancies = json::object()) {
  auto r = test::httpPost(sim.port(), "/_sim/payouts", discrepancies.dump());
  EXPECT_EQ(r.status, 201) << r.body.dump();
  const json& id = r.body["payout"]["id"].is_null() ? r.body["payout"]["payoutId"] : r.body["payout"]["id"];
  return id.is_string() ? id.get<std::string>() : std::to_string(id.get<uint64_t>());
}

// The same story on both channels: a clean payout of two orders and a refund, then one with an
// order the book never saw, a charge at another amount, a fee nobody explained and a refund left out.
void settlementStory(ChannelSim& sim, ChannelConnector& conn) {
  json a = sim.order({{"lines", {{{"sku", "S-1"}, {"quantity", 2}}}}});
  json b = sim.order({{"lines", {{{"sku", "S-2"}, {"quantity", 1}}}}});
  const std::string a_id = a["order_id"], b_id = b["order_id"];
  refundOne(sim, a_id, firstLine(a));
  Book book;
  pollAll(conn, &book);
  ASSERT_TRUE(book.orders.count(a_id) && book.orders.count(b_id));
  ASSERT_EQ(book.refunds[a_id].size(), 1u) << "the refund came in through polling";
  const std::string clean = payout(sim);

  json c = sim.order({{"lines", {{{"sku", "S-1"}, {"quantity", 1}}}}});
  json d = sim.order({{"lines", {{{"sku", "S-2"}, {"quantity", 1}}}}});
  const std::string c_id = c["order_id"], d_id = d["order_id"];
  refundOne(sim, d_id, firstLine(d));
  pollAll(conn, &book);
  const std::string off = payout(sim, {{"unknown_orders", {{{"amount", "7.00"}}}},
                                       {"amount_changes", {{{"order_id", c_id}, {"amount", "3.00"}}}},
                                       {"fees", {{{"amount", "1.25"}, {"description", "Advertising"}}}},
                                       {"leave_out_refunds", json::array({book.refunds[d_id].at(0).refund_id})}});

  std::vector<Payout> got = fetchAll(conn);
  const Payout* p1 = byId(got, clean);
  const Payout* p2 = byId(got, off);
  ASSERT_TRUE(p1 && p2) << got.size() << " payouts fetched";
  settlements::PayoutMatch m1 = book.match(*p1);
  EXPECT_TRUE(m1.matched()) << [&] {
    std::string s;
    for (const auto& f : m1.findings) s += f.code + ": " + f.message + "\n";
    return s;
  }();
  EXPECT_GT(m1.fees.scaled(), 0) << "the channel's fees on the sales are read";
  settlements::PayoutMatch m2 = book.match(*p2);
  EXPECT_EQ(codes(m2), (std::multiset<std::string>{"unknown_order", "amount_difference", "unexplained_fee", "refund_not_in_payout"}));
}

TEST(MarketplaceSettlement, AmazonSettlementReportsMatchTheOrdersAndShowWhatDiffers) {
  ChannelSim sim("amazon", {"--gzip-reports", "--rate-scale", "20"});
  json seeded = sim.seed(json::array({{{"sku", "S-1"}, {"quantity", 100}, {"price", "4.00"}},
                                      {{"sku", "S-2"}, {"quantity", 100}, {"price", "12.50"}}}));
  AmazonConfig c;
  c.access_token = sim.token();
  c.seller_id = seeded["seller_id"];
  c.settlement_page_size = 1;  // one report a page: nextToken paging is used
  auto conn = AmazonConnector::create(c, sim.client(), common::SystemClock::instance());
  ASSERT_TRUE(conn.ok()) << conn.error().toString();
  settlementStory(sim, **conn);
}

TEST(MarketplaceSettlement, EbayFinancesPayoutsMatchTheOrdersAndShowWhatDiffers) {
  ChannelSim sim("ebay");
  sim.seed(json::array({{{"sku", "S-1"}, {"quantity", 100}, {"price", "4.00"}},
                        {{"sku", "S-2"}, {"quantity", 100}, {"price", "12.50"}}}));
  EbayConfig c;
  c.access_token = sim.token();
  c.payout_page_size = 1;  // one payout a page: limit/offset paging is used
  auto conn = EbayConnector::create(c, sim.client(), common::SystemClock::instance());
  ASSERT_TRUE(conn.ok()) << conn.error().toString();
  settlementStory(sim, **conn);
}

// WooCommerce has no payouts: each paid order's totals (total, refunds) are what is matched.
TEST(MarketplaceSettlement, WooCommerceOrderTotalsMatchTheBookAndShowWhatDiffers) {
  ChannelSim sim("woocommerce");
  sim.seed(json::array({{{"sku", "S-1"}, {"quantity", 100}, {"price", "4.00"}},
                        {{"sku", "S-2"}, {"quantity", 100}, {"price", "12.50"}}}));
  WooCommerceConfig c;
  c.consumer_key = sim.consumerKey();
  c.consumer_secret = sim.consumerSecret();
  auto conn = WooCommerceConnector::create(c, sim.client(), common::SystemClock::instance());
  ASSERT_TRUE(conn.ok()) << conn.error().toString();
  json a = sim.order({{"lines", {{{"sku", "S-1"}, {"quantity", 2}}}}});
  json b = sim.order({{"lines", {{{"sku", "S-2"}, {"quantity", 1}}}}});
  json d = sim.order({{"lines", {{{"sku", "S-2"}, {"quantity", 1}}}}});
  const std::string a_id = a["order_id"], b_id = b["order_id"], d_id = d["order_id"];
  const int64_t a_line = a["order"]["line_items"][0]["id"];
  auto r = test::httpPost(sim.port(), "/_sim/orders/" + a_id + "/refund",
                          json{{"amount", "4.00"}, {"line_items", {{{"id", a_line}, {"quantity", 1}, {"refund_total", "4.00"}}}}}.dump());
  ASSERT_EQ(r.status, 201) << r.body.dump();
  Book book;
  pollAll(**conn, &book);
  ASSERT_EQ(book.refunds[a_id].size(), 1u);
  book.orders.erase(d_id);  // an order the book never took in
  ASSERT_EQ(test::httpPost(sim.port(), "/_sim/payouts", json{{"amount_changes", {{{"order_id", b_id}, {"amount", "11.50"}}}}}.dump()).status, 201);

  std::vector<Payout> got = fetchAll(**conn);
  const Payout* pa = byId(got, a_id);
  const Payout* pb = byId(got, b_id);
  const Payout* pd = byId(got, d_id);
  ASSERT_TRUE(pa && pb && pd) << got.size() << " orders read";
  EXPECT_EQ(pa->lines.size(), 2u) << "the order's total and its refund";
  settlements::PayoutMatch ma = book.match(*pa);
  EXPECT_TRUE(ma.matched()) << (ma.findings.empty() ? "" : ma.findings[0].message);
  EXPECT_EQ(codes(book.match(*pb)), (std::multiset<std::string>{"amount_difference"}));
  EXPECT_EQ(codes(book.match(*pd)), (std::multiset<std::string>{"unknown_order"}));
}

TEST(MarketplaceSettlement, AServerErrorIsARetry) {
  ChannelSim sim("ebay");
  EbayConfig c;
  c.access_token = sim.token();
  auto conn = EbayConnector::create(c, sim.client(), common::SystemClock::instance());
  ASSERT_TRUE(conn.ok());
  ASSERT_EQ(sim.faults({{"fail_next", 1}}).status, 200);
  auto page = (*conn)->fetchPayouts({});
  ASSERT_FALSE(page.ok());
  EXPECT_EQ(page.error().kind, common::ErrorKind::kRetry) << page.error().toString();
}

}  // namespace
}  // namespace sw::coordinator::channels
