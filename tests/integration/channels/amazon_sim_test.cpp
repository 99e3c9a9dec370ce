// The Amazon connector against the real simulator process.

#include <gtest/gtest.h>

#include "sim_fixture.h"
#include "sw/common/clock.h"
#include "sw/common/http_socket.h"
#include "sw/coordinator/channels/amazon_connector.h"

namespace sw::coordinator::channels {
namespace {

using nlohmann::json;
using test::ChannelSim;
using namespace std::chrono_literals;

class AmazonSimTest : public ::testing::Test {
 protected:
  void start(std::vector<std::string> extra = {}, AmazonConfig c = {}) {
    sim_ = std::make_unique<ChannelSim>("amazon", extra);
    json seeded = sim_->seed(json::array({{{"sku", "A 1/x"}, {"quantity", 5}}, {{"sku", "B-2"}, {"quantity", 3}}}));
    c.access_token = sim_->token();
    c.seller_id = seeded["seller_id"];
    seller_ = c.seller_id;
    auto conn = AmazonConnector::create(c, sim_->client(), common::SystemClock::instance());
    ASSERT_TRUE(conn.ok()) << conn.error().toString();
    conn_ = std::move(*conn);
  }
  std::unique_ptr<ChannelSim> sim_;
  std::unique_ptr<AmazonConnector> conn_;
  std::string seller_;
};

TEST_F(AmazonSimTest, AcceptedIsNotAppliedUntilLater) {
  start({"--apply-delay-ms", "1500"});
  auto r = conn_->pushQuantities({{"A 1/x", 7, std::nullopt, ""}});  // the SKU is percent-encoded in the path
  ASSERT_TRUE(r.ok()) << r.error().toString();
  ASSERT_EQ(r->items[0].outcome, ItemOutcome::kAccepted) << r->items[0].message;
  EXPECT_FALSE(r->items[0].submission_id.empty());
  EXPECT_EQ(sim_->listing("A%201%2Fx")["quantity"], 5);
  EXPECT_EQ(sim_->listing("A%201%2Fx")["pending_submissions"], 1);
  ASSERT_TRUE(test::waitFor([&] { return sim_->listing("A%201%2Fx")["quantity"] == 7; }, 10s));
  auto levels = conn_->readQuantities({"A 1/x", "NOPE"});
  ASSERT_TRUE(levels.ok()) << levels.error().toString();
  EXPECT_EQ((*levels)[0].quantity, 7);
  EXPECT_FALSE((*levels)[1].found);
  EXPECT_EQ(conn_->rateState().source, "x-amzn-RateLimit-Limit");
}

TEST_F(AmazonSimTest, PurchasableOfferWithAScheduledDiscountIsAcceptedThenApplied) {
  start();
  int64_t now = common::SystemClock::instance().nowMs();
  ChannelPrice p;
  p.sku = "B-2";
  p.currency = "USD";
  p.regular = *common::Decimal::parse("19.99");
  p.sale = *common::Decimal::parse("14.99");
  p.promotion = "P1";
  p.sale_starts_ms = now - 60'000;
  p.sale_ends_ms = now + 3'600'000;
  ChannelPrice none = p;
  none.sku = "NOPE";
  auto r = conn_->pushPrices({{p}, {none}});
  ASSERT_TRUE(r.ok()) << r.error().toString();
  EXPECT_EQ(r->items[0].outcome, ItemOutcome::kAccepted) << r->items[0].message;
  EXPECT_EQ(r->items[1].outcome, ItemOutcome::kNotListed) << r->items[1].code;
  json o;
  ASSERT_TRUE(test::waitFor([&] { return (o = sim_->listing("B-2")).contains("purchasable_offer"); }, 10s)) << o.dump();
  EXPECT_EQ(o["purchasable_offer"]["our_price"], "19.99");
  EXPECT_EQ(o["purchasable_offer"]["discounted_price"], "14.99");
  EXPECT_EQ(o["purchasable_offer"]["price"], "14.99");
  EXPECT_EQ(o["quantity"], 3);
  ChannelPrice ended = p;
  ended.sale.reset();
  auto e = conn_->pushPrices({{ended}});
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->items[0].outcome, ItemOutcome::kAccepted);
  ASSERT_TRUE(test::waitFor([&] { return sim_->listing("B-2")["purchasable_offer"]["discounted_price"].is_null(); }, 10s));
  EXPECT_EQ(sim_->listing("B-2")["purchasable_offer"]["price"], "19.99");
}

TEST_F(AmazonSimTest, BadPurchasableOffersAreInvalidAndChangeNothing) {
  start({"--rate-scale", "100"});  // seven PATCHes at once: more than the published burst of 5
  auto patch = [&](const json& value) {
    json body = {{"productType", "PRODUCT"}, {"patches", json::array({{{"op", "replace"}, {"path", "/attributes/purchasable_offer"}, {"value", value}}})}};
    httplib::Client c = common::makeHttpClient("127.0.0.1", sim_->port());
    httplib::Headers h = {{"x-amz-access-token", sim_->token()}};
    auto res = c.Patch(("/listings/2021-08-01/items/" + seller_ + "/B-2?marketplaceIds=ATVPDKIKX0DER").c_str(), h, body.dump(), "application/json");
    return res ? json::parse(res->body, nullptr, false) : json();
  };
  json ok_offer = {{"marketplace_id", "ATVPDKIKX0DER"}, {"currency", "USD"}, {"our_price", json::array({{{"schedule", json::array({{{"value_with_tax", 9.99}}})}}})}};
  json no_price = ok_offer;
  no_price.erase("our_price");
  json string_price = ok_offer;
  string_price["our_price"][0]["schedule"][0]["value_with_tax"] = "9.99";
  json euros = ok_offer;
  euros["currency"] = "EUR";
  json undated = ok_offer;
  undated["discounted_price"] = json::array({{{"schedule", json::array({{{"value_with_tax", 5.0}}})}}});
  json above = ok_offer;
  above["discounted_price"] = json::array({{{"schedule", json::array({{{"value_with_tax", 12.0}, {"start_at", "2026-01-01T00:00:00Z"}, {"end_at", "2026-01-02T00:00:00Z"}}})}}});
  for (const json& bad : {json::array({no_price}), json::array({string_price}), json::array({euros}), json::array({undated}),
                          json::array({above}), json("9.99")}) {
    json r = patch(bad);
    EXPECT_EQ(r["status"], "INVALID") << bad.dump() << " " << r.dump();
    EXPECT_FALSE(r["issues"].empty()) << r.dump();
  }
  EXPECT_EQ(patch(json::array({no_price}))["issues"][0]["code"], "99022");
  EXPECT_FALSE(sim_->listing("B-2").contains("purchasable_offer"));
  EXPECT_EQ(sim_->listing("B-2")["pending_submissions"], 0);
}

TEST_F(AmazonSimTest, QuotaExceededTeachesTheRate) {
  start({"--rate-scale", "0.2"});  // patchListingsItem: 1 per second, burst 1
  auto r = conn_->pushQuantities({{"A 1/x", 1, std::nullopt, ""}, {"B-2", 2, std::nullopt, ""}, {"A 1/x", 3, std::nullopt, ""}});
  ASSERT_TRUE(r.ok()) << r.error().toString();
  EXPECT_EQ(r->items[0].outcome, ItemOutcome::kAccepted);
  EXPECT_EQ(r->items[1].outcome, ItemOutcome::kRetry);
  EXPECT_EQ(r->items[1].code, "QuotaExceeded");
  EXPECT_EQ(r->items[2].outcome, ItemOutcome::kRetry);
  RateState s = conn_->rateState();
  EXPECT_DOUBLE_EQ(s.refill_per_sec, 1.0);  // from x-amzn-RateLimit-Limit, not the published 5
  EXPECT_EQ(s.throttled_count, 1);
  EXPECT_GT(conn_->msUntilReady(Operation::kPush), 0);
}

TEST_F(AmazonSimTest, FeedLifecycleEndsInAProcessingReport) {
  AmazonConfig c;
  c.feed_threshold = 2;
  start({"--feed-delay-ms", "300", "--gzip-reports"}, c);
  auto r = conn_->pushQuantities({{"A 1/x", 3, std::nullopt, ""}, {"B-2", 4, std::nullopt, ""}, {"NOT-LISTED", 1, std::nullopt, ""}});
  ASSERT_TRUE(r.ok()) << r.error().toString();
  for (const ItemResult& i : r->items) EXPECT_EQ(i.outcome, ItemOutcome::kAccepted) << i.message;
  std::vector<ItemResult> done;
  ASSERT_TRUE(test::waitFor(
      [&] {
        auto more = conn_->collectAccepted();
        if (more.ok()) done.insert(done.end(), more->begin(), more->end());
        return done.size() >= 3;
      },
      15s, 100ms));
  ASSERT_EQ(done.size(), 3u);
  EXPECT_EQ(done[0].outcome, ItemOutcome::kApplied);
  EXPECT_EQ(done[1].outcome, ItemOutcome::kApplied);
  EXPECT_EQ(done[2].outcome, ItemOutcome::kNotListed);  // the SKU does not exist for this seller
  EXPECT_EQ(done[2].code, "4000001");
  EXPECT_EQ(sim_->listing("B-2")["quantity"], 4);
}

TEST_F(AmazonSimTest, OrdersArePagedAndPendingOnesHaveNoPrices) {
  AmazonConfig c;
  c.order_page_size = 2;
  start({}, c);
  for (int i = 0; i < 4; ++i) sim_->order({{"lines", json::array({{{"sku", "B-2"}, {"quantity", 1}, {"price", "4.50"}}})}});
  sim_->order({{"lines", json::array({{{"sku", "A 1/x"}, {"quantity", 2}}})}, {"status", "Pending"}});
  OrderCursor cursor;
  std::vector<NormalizedOrder> all;
  int calls = 0;
  while (calls++ < 10) {
    auto page = conn_->pollOrders(cursor);
    ASSERT_TRUE(page.ok()) << page.error().toString();
    all.insert(all.end(), page->orders.begin(), page->orders.end());
    if (page->next_page_token.empty()) {
      EXPECT_FALSE(page->next_updated_since.empty());
      break;
    }
    cursor.page_token = page->next_page_token;
  }
  ASSERT_EQ(all.size(), 5u);
  EXPECT_GE(calls, 3);  // NextToken paging: 2 + 2 + 1
  int pending = 0;
  for (const NormalizedOrder& o : all) {
    ASSERT_TRUE(o.lines_complete);
    ASSERT_EQ(o.lines.size(), 1u);
    if (o.status == OrderStatus::kPending) {
      ++pending;
      EXPECT_FALSE(o.lines[0].unit_price.has_value());
      EXPECT_TRUE(o.prices_pending);
    } else {
      EXPECT_EQ(o.lines[0].unit_price->amount.toString(), "4.50");
    }
  }
  EXPECT_EQ(pending, 1);
  EXPECT_EQ(sim_->listing("B-2")["quantity"], 0);  // 3 seeded, 4 sold: Amazon stops at 0
}

TEST_F(AmazonSimTest, WrongTokenIsFatal) {
  start();
  AmazonConfig c;
  c.access_token = "wrong";
  c.seller_id = "A2SIMSELLER01";
  auto conn = AmazonConnector::create(c, sim_->client(), common::SystemClock::instance());
  ASSERT_TRUE(conn.ok());
  auto r = (*conn)->pushQuantities({{"B-2", 1, std::nullopt, ""}});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, common::ErrorKind::kFatal);
}

// confirmShipment: the simulator takes a whole package once, refuses an unknown order item and
// more units than are left to ship (reject: nothing retried), and an order of the wrong number.
TEST_F(AmazonSimTest, ShipmentConfirmationsAreCheckedAndCountedPerItem) {
  start();
  json o = sim_->order({{"lines", {{{"sku", "B-2"}, {"quantity", 2}, {"price", "4.00"}}}}});
  std::string id = o["order_id"];
  std::string item = o["order_items"][0]["OrderItemId"];
  FulfilmentReport rep;
  rep.order_id = id;
  rep.tracking_number = "SWTRACK1";
  rep.ship_from = "wh-1";
  rep.package_number = 1;
  rep.shipped_at_ms = 1'780'000'000'000;  // fixed, as the coordinator sends it (the fulfilment's time)
  rep.lines = {{"nope", "B-2", 1}};
  auto bad = conn_->reportFulfilment(rep);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().kind, common::ErrorKind::kReject) << bad.error().toString();
  rep.lines = {{item, "B-2", 3}};
  bad = conn_->reportFulfilment(rep);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message.find("exceeds"), std::string::npos) << bad.error().toString();
  rep.lines = {{item, "B-2", 1}};
  ASSERT_TRUE(conn_->reportFulfilment(rep).ok());
  ASSERT_TRUE(conn_->reportFulfilment(rep).ok()) << "the same package again changes nothing";
  json view = test::httpGet(sim_->port(), "/_sim/orders/" + id).body;
  EXPECT_EQ(view["status"], "PartiallyShipped");
  ASSERT_EQ(view["fulfilments"].size(), 1u);
  EXPECT_EQ(view["fulfilments"][0]["tracking_number"], "SWTRACK1");
  EXPECT_EQ(view["fulfilments"][0]["carrier"], "Other");
  rep.package_number = 2;
  rep.lines = {{item, "B-2", 1}};
  ASSERT_TRUE(conn_->reportFulfilment(rep).ok());
  EXPECT_EQ(test::httpGet(sim_->port(), "/_sim/orders/" + id).body["status"], "Shipped");
  rep.order_id = "999-0000000-0000000";
  EXPECT_EQ(conn_->reportFulfilment(rep).error().kind, common::ErrorKind::kReject);
  auto cancel = conn_->cancelOrder({id, "no stock"});
  ASSERT_FALSE(cancel.ok());
  EXPECT_EQ(cancel.error().code, "not_supported");
}

}  // namespace
}  // namespace sw::coordinator::channels
