// The eBay connector against the real simulator process.

#include <gtest/gtest.h>

#include "sim_fixture.h"
#include "sw/common/clock.h"
#include "sw/common/http_socket.h"
#include "sw/coordinator/channels/ebay_connector.h"

namespace sw::coordinator::channels {
namespace {

using nlohmann::json;
using test::ChannelSim;
using namespace std::chrono_literals;

class EbaySimTest : public ::testing::Test {
 protected:
  void start(std::vector<std::string> extra = {}, EbayConfig c = {}) {
    sim_ = std::make_unique<ChannelSim>("ebay", extra);
    sim_->seed(json::array({{{"sku", "A1"}, {"quantity", 5}}, {{"sku", "B2"}, {"quantity", 3}, {"offer_quantity", 2}}}));
    c.access_token = sim_->token();
    auto conn = EbayConnector::create(c, sim_->client(), common::SystemClock::instance());
    ASSERT_TRUE(conn.ok()) << conn.error().toString();
    conn_ = std::move(*conn);
  }
  std::unique_ptr<ChannelSim> sim_;
  std::unique_ptr<EbayConnector> conn_;
};

TEST_F(EbaySimTest, MultiStatusPerItemAndBothQuantitiesSet) {
  start();
  auto before = conn_->readQuantities({"B2"});
  ASSERT_TRUE(before.ok()) << before.error().toString();
  EXPECT_EQ((*before)[0].quantity, 2);  // min(item 3, offer 2)
  auto r = conn_->pushQuantities({{"A1", 4, std::nullopt, ""}, {"ZZ", 1, std::nullopt, ""}, {"B2", 9, std::nullopt, ""}});
  ASSERT_TRUE(r.ok()) << r.error().toString();
  EXPECT_EQ(r->items[0].outcome, ItemOutcome::kApplied);
  EXPECT_EQ(r->items[1].outcome, ItemOutcome::kNotListed);  // 25702: no such SKU on eBay
  EXPECT_EQ(r->items[1].code, "25702");
  EXPECT_EQ(r->items[2].outcome, ItemOutcome::kApplied);
  EXPECT_EQ(sim_->listing("A1")["quantity"], 4);
  EXPECT_EQ(sim_->listing("B2")["quantity"], 9);  // offer raised too, so the listing shows 9
  auto after = conn_->readQuantities({"B2", "ZZ"});
  ASSERT_TRUE(after.ok());
  EXPECT_EQ((*after)[0].quantity, 9);
  EXPECT_FALSE((*after)[1].found);
}

ChannelPrice ebayPrice(const std::string& sku, const char* regular, const char* sale = nullptr, const char* currency = "USD") {
  ChannelPrice p;
  p.sku = sku;
  p.currency = currency;
  p.regular = *common::Decimal::parse(regular);
  if (sale) {
    p.sale = *common::Decimal::parse(sale);
    p.promotion = "P1";
    p.sale_starts_ms = 1;
    p.sale_ends_ms = 2;
  }
  return p;
}

TEST_F(EbaySimTest, OfferPriceIsThePriceNowAndLeavesQuantitiesAlone) {
  start();
  auto r = conn_->pushPrices({{ebayPrice("A1", "19.99", "14.99")}, {ebayPrice("B2", "5.00")}, {ebayPrice("ZZ", "1.00")}});
  ASSERT_TRUE(r.ok()) << r.error().toString();
  EXPECT_EQ(r->items[0].outcome, ItemOutcome::kApplied) << r->items[0].message;
  EXPECT_EQ(r->items[1].outcome, ItemOutcome::kApplied) << r->items[1].message;
  EXPECT_EQ(r->items[2].outcome, ItemOutcome::kNotListed);  // no offer for it
  json a1 = sim_->listing("A1");
  EXPECT_EQ(a1["offers"][0]["price"]["value"], "14.99");  // the running promotion's price
  EXPECT_EQ(a1["offers"][0]["price"]["currency"], "USD");
  EXPECT_EQ(a1["quantity"], 5);
  EXPECT_EQ(sim_->listing("B2")["offers"][0]["price"]["value"], "5.00");
  EXPECT_EQ(sim_->listing("B2")["quantity"], 2);
  auto end = conn_->pushPrices({{ebayPrice("A1", "19.99")}});  // the promotion ended
  ASSERT_TRUE(end.ok());
  EXPECT_EQ(end->items[0].outcome, ItemOutcome::kApplied);
  EXPECT_EQ(sim_->listing("A1")["offers"][0]["price"]["value"], "19.99");
}

TEST_F(EbaySimTest, BadPricesAreRefusedPerEntryAndChangeNothing) {
  start();
  auto wrong = conn_->pushPrices({{ebayPrice("A1", "9.99", nullptr, "EUR")}});  // not the listing's currency
  ASSERT_TRUE(wrong.ok()) << wrong.error().toString();
  EXPECT_EQ(wrong->items[0].outcome, ItemOutcome::kRejected);
  EXPECT_EQ(wrong->items[0].code, "25003");
  std::string offer = sim_->listing("A1")["offers"][0]["offerId"];
  for (const json& price : {json{{"value", 9.99}, {"currency", "USD"}}, json{{"value", "nine"}}, json("9.99")}) {
    json body = {{"requests", json::array({{{"sku", "A1"}, {"offers", json::array({{{"offerId", offer}, {"price", price}}})}}})}};
    auto r = test::httpPost(sim_->port(), "/sell/inventory/v1/bulk_update_price_quantity", body.dump(),
                            {{"Authorization", "Bearer " + sim_->token()}});
    ASSERT_EQ(r.status, 207) << price.dump() << " " << r.body.dump();
    EXPECT_EQ(r.body["responses"][0]["statusCode"], 400);
    EXPECT_EQ(r.body["responses"][0]["errors"][0]["errorId"], 25003) << r.body.dump();
  }
  json a1 = sim_->listing("A1");
  EXPECT_EQ(a1["offers"][0]["price"]["value"], "10.00");
  EXPECT_EQ(a1["offers"][0]["price_updates"], 0);
}

TEST_F(EbaySimTest, RevisionBudgetPerListingPerDay) {
  start({"--revisions-per-day", "2"});
  for (int i = 0; i < 2; ++i) {
    auto r = conn_->pushQuantities({{"A1", 10 + i, std::nullopt, ""}});
    ASSERT_TRUE(r.ok());
    ASSERT_EQ(r->items[0].outcome, ItemOutcome::kApplied);
  }
  auto third = conn_->pushQuantities({{"A1", 20, std::nullopt, ""}});
  ASSERT_TRUE(third.ok());
  EXPECT_EQ(third->items[0].outcome, ItemOutcome::kRetry);
  EXPECT_EQ(third->items[0].code, "25019");
  EXPECT_GT(third->items[0].retry_after_ms, 0);
  EXPECT_EQ(sim_->listing("A1")["quantity"], 11);
  // Another listing still has its budget.
  EXPECT_EQ(conn_->pushQuantities({{"B2", 1, std::nullopt, ""}})->items[0].outcome, ItemOutcome::kApplied);
}

TEST_F(EbaySimTest, DailyCallLimitIs429AndBacksOff) {
  start({"--inventory-calls-per-day", "2"});
  auto first = conn_->pushQuantities({{"A1", 1, std::nullopt, ""}});  // getOffers + bulk: 2 calls
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(first->items[0].outcome, ItemOutcome::kApplied);
  auto second = conn_->pushQuantities({{"A1", 2, std::nullopt, ""}});
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.error().code, "http_429");
  EXPECT_EQ(second.error().kind, common::ErrorKind::kRetry);
  EXPECT_GT(conn_->msUntilReady(Operation::kPush), 0);
  EXPECT_EQ(conn_->rateState().throttled_count, 1);
}

TEST_F(EbaySimTest, OrdersPagedWithLimitAndOffset) {
  EbayConfig c;
  c.order_page_size = 2;
  start({}, c);
  for (int i = 0; i < 3; ++i) sim_->order({{"lines", json::array({{{"sku", "A1"}, {"quantity", 1}, {"price", "7.25"}}})}});
  OrderCursor cursor;
  std::vector<NormalizedOrder> all;
  int pages = 0;
  while (pages++ < 5) {
    auto page = conn_->pollOrders(cursor);
    ASSERT_TRUE(page.ok()) << page.error().toString();
    all.insert(all.end(), page->orders.begin(), page->orders.end());
    if (page->next_page_token.empty()) break;
    cursor.page_token = page->next_page_token;
  }
  EXPECT_EQ(pages, 2);
  ASSERT_EQ(all.size(), 3u);
  EXPECT_EQ(all[0].lines[0].sku, "A1");
  EXPECT_EQ(all[0].lines[0].unit_price->amount.toString(), "7.25");
  EXPECT_EQ(all[0].ship_to_country, "US");
}

TEST_F(EbaySimTest, SimulatorRefusesUnencodedBrackets) {
  start();
  httplib::Client cli = common::makeHttpClient("127.0.0.1", sim_->port());
  cli.set_url_encode(false);
  httplib::Headers h = {{"Authorization", "Bearer " + sim_->token()}};
  auto raw = cli.Get("/sell/fulfillment/v1/order?filter=lastmodifieddate:[2026-01-01T00:00:00.000Z..]", h);
  ASSERT_TRUE(raw);
  EXPECT_EQ(raw->status, 400);
  EXPECT_NE(raw->body.find("30800"), std::string::npos);
  auto unauth = cli.Get("/sell/inventory/v1/inventory_item/A1");
  ASSERT_TRUE(unauth);
  EXPECT_EQ(unauth->status, 401);
  EXPECT_NE(unauth->body.find("1001"), std::string::npos);
}

TEST_F(EbaySimTest, ServerErrorsAreRetryErrors) {
  start();
  ASSERT_EQ(sim_->faults({{"fail_next", 2}}).status, 200);
  auto r = conn_->pushQuantities({{"A1", 1, std::nullopt, ""}});
  ASSERT_TRUE(r.ok());  // getOffers failed: the item waits, nothing was sent
  EXPECT_EQ(r->items[0].outcome, ItemOutcome::kRetry);
  auto polled = conn_->pollOrders({});
  ASSERT_FALSE(polled.ok());
  EXPECT_EQ(polled.error().kind, common::ErrorKind::kRetry);
  EXPECT_EQ(conn_->pushQuantities({{"A1", 1, std::nullopt, ""}})->items[0].outcome, ItemOutcome::kApplied);
}

// createShippingFulfillment: 201 with the id in Location; an unknown line item (32200) and more
// units than are left (32600) are refused for good.
TEST_F(EbaySimTest, ShippingFulfilmentsAreCheckedPerLineItem) {
  start();
  json o = sim_->order({{"lines", {{{"sku", "A1"}, {"quantity", 2}, {"price", "4.00"}}}}});
  std::string id = o["order_id"];
  std::string line = o["order"]["lineItems"][0]["lineItemId"];
  FulfilmentReport rep;
  rep.order_id = id;
  rep.tracking_number = "SWTRACK2";
  rep.lines = {{"123", "A1", 1}};
  auto bad = conn_->reportFulfilment(rep);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().kind, common::ErrorKind::kReject);
  EXPECT_NE(bad.error().message.find("32200"), std::string::npos) << bad.error().toString();
  rep.lines = {{line, "A1", 3}};
  bad = conn_->reportFulfilment(rep);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message.find("32600"), std::string::npos) << bad.error().toString();
  rep.lines = {{line, "A1", 2}};
  auto ok = conn_->reportFulfilment(rep);
  ASSERT_TRUE(ok.ok()) << ok.error().toString();
  EXPECT_EQ(*ok, "SWTRACK2");
  json view = test::httpGet(sim_->port(), "/_sim/orders/" + id).body;
  EXPECT_EQ(view["status"], "FULFILLED");
  EXPECT_EQ(view["fulfilments"][0]["lines"][0]["quantity"], 2);
  EXPECT_EQ(conn_->cancelOrder({id, "no stock"}).error().code, "not_supported");
}

}  // namespace
}  // namespace sw::coordinator::channels
