// The Shopify connector against the real simulator process.

#include <gtest/gtest.h>

#include "sim_fixture.h"
#include "sw/common/clock.h"
#include "sw/coordinator/channels/shopify_connector.h"

namespace sw::coordinator::channels {
namespace {

using nlohmann::json;
using test::ChannelSim;
using namespace std::chrono_literals;

class ShopifySimTest : public ::testing::Test {
 protected:
  void start(std::vector<std::string> extra = {}) {
    sim_ = std::make_unique<ChannelSim>("shopify", extra);
    json seeded = sim_->seed(json::array({{{"sku", "A-1"}, {"quantity", 5}}, {{"sku", "B-2"}, {"quantity", 3}}}));
    ShopifyConfig c;
    c.access_token = sim_->token();
    c.location_id = seeded["location_id"];
    auto conn = ShopifyConnector::create(c, sim_->client(read_timeout_ms_), common::SystemClock::instance());
    ASSERT_TRUE(conn.ok()) << conn.error().toString();
    conn_ = std::move(*conn);
  }
  int64_t read_timeout_ms_ = 5'000;
  std::unique_ptr<ChannelSim> sim_;
  std::unique_ptr<ShopifyConnector> conn_;
};

TEST_F(ShopifySimTest, PushAppliesAndTheListingShowsIt) {
  start();
  auto r = conn_->pushQuantities({{"A-1", 7, 5, common::newUuid()}, {"B-2", 1, 3, common::newUuid()}});
  ASSERT_TRUE(r.ok()) << r.error().toString();
  EXPECT_EQ(r->items[0].outcome, ItemOutcome::kApplied);
  EXPECT_EQ(r->items[1].outcome, ItemOutcome::kApplied);
  json a = sim_->listing("A-1");
  EXPECT_EQ(a["quantity"], 7);
  EXPECT_EQ(a["update_count"], 1);
  EXPECT_EQ(sim_->listing("B-2")["quantity"], 1);
  // 64-bit ids came through exact.
  EXPECT_EQ(conn_->inventoryItemId("A-1"), a["channel_id"].get<std::string>());
  auto levels = conn_->readQuantities({"A-1", "B-2", "NONE"});
  ASSERT_TRUE(levels.ok()) << levels.error().toString();
  EXPECT_EQ((*levels)[0].quantity, 7);
  EXPECT_EQ((*levels)[1].quantity, 1);
  EXPECT_FALSE((*levels)[2].found);
  RateState s = conn_->rateState();
  EXPECT_TRUE(s.known);
  EXPECT_EQ(s.capacity, 2000);  // the simulator's default bucket, learned from extensions.cost
  EXPECT_EQ(s.refill_per_sec, 100);
}

ChannelPrice shopPrice(const std::string& sku, const char* regular, const char* sale = nullptr) {
  ChannelPrice p;
  p.sku = sku;
  p.currency = "USD";
  p.regular = *common::Decimal::parse(regular);
  if (sale) {
    p.sale = *common::Decimal::parse(sale);
    p.promotion = "P1";
  }
  return p;
}

TEST_F(ShopifySimTest, VariantPriceAndCompareAtPriceAreSetAndASaleEnded) {
  start();
  auto r = conn_->pushPrices({{shopPrice("A-1", "19.99", "14.99")}, {shopPrice("B-2", "5.00")}, {shopPrice("NONE", "1.00")}});
  ASSERT_TRUE(r.ok()) << r.error().toString();
  EXPECT_EQ(r->items[0].outcome, ItemOutcome::kApplied) << r->items[0].message;
  EXPECT_EQ(r->items[1].outcome, ItemOutcome::kApplied) << r->items[1].message;
  EXPECT_EQ(r->items[2].outcome, ItemOutcome::kNotListed);
  json a = sim_->listing("A-1")["variant"];
  EXPECT_EQ(a["price"], "14.99");
  EXPECT_EQ(a["compare_at_price"], "19.99");
  json b = sim_->listing("B-2")["variant"];
  EXPECT_EQ(b["price"], "5.00");
  EXPECT_EQ(b["compare_at_price"], nullptr);
  EXPECT_EQ(sim_->listing("A-1")["quantity"], 5);
  auto end = conn_->pushPrices({{shopPrice("A-1", "19.99")}});
  ASSERT_TRUE(end.ok()) << end.error().toString();
  EXPECT_EQ(end->items[0].outcome, ItemOutcome::kApplied) << end->items[0].message;
  a = sim_->listing("A-1")["variant"];
  EXPECT_EQ(a["price"], "19.99");
  EXPECT_EQ(a["compare_at_price"], nullptr);
}

TEST_F(ShopifySimTest, BadVariantPricesAreRefusedAndChangeNothing) {
  start();
  json a = sim_->listing("A-1")["variant"];
  std::string mutation = "mutation M($p: ID!, $v: [ProductVariantsBulkInput!]!) { productVariantsBulkUpdate(productId: $p, variants: $v) "
                         "{ productVariants { id price } userErrors { code field message } } }";
  auto post = [&](const json& vars) {
    return test::httpPost(sim_->port(), "/admin/api/2026-04/graphql.json", json{{"query", mutation}, {"variables", vars}}.dump(),
                          {{"X-Shopify-Access-Token", sim_->token()}});
  };
  // Shapes GraphQL itself refuses: top-level errors, no data.
  for (const json& v : {json::array({{{"id", a["id"]}, {"price", 9.99}}}), json::array({{{"price", "9.99"}}}),
                        json::array({{{"id", a["id"]}, {"cost", "1.00"}}})}) {
    auto r = post({{"p", a["product_id"]}, {"v", v}});
    ASSERT_EQ(r.status, 200) << r.body.dump();
    ASSERT_TRUE(r.body.contains("errors")) << v.dump() << " " << r.body.dump();
  }
  // What the mutation refuses: userErrors with a code.
  auto lower = post({{"p", a["product_id"]}, {"v", json::array({{{"id", a["id"]}, {"price", "9.99"}, {"compareAtPrice", "5.00"}}})}});
  ASSERT_EQ(lower.status, 200);
  EXPECT_EQ(lower.body["data"]["productVariantsBulkUpdate"]["userErrors"][0]["code"], "COMPARE_AT_PRICE_LOWER_THAN_PRICE") << lower.body.dump();
  auto unknown = post({{"p", a["product_id"]}, {"v", json::array({{{"id", "gid://shopify/ProductVariant/1"}, {"price", "9.99"}}})}});
  EXPECT_EQ(unknown.body["data"]["productVariantsBulkUpdate"]["userErrors"][0]["code"], "PRODUCT_VARIANT_DOES_NOT_EXIST") << unknown.body.dump();
  auto product = post({{"p", "gid://shopify/Product/1"}, {"v", json::array({{{"id", a["id"]}, {"price", "9.99"}}})}});
  EXPECT_EQ(product.body["data"]["productVariantsBulkUpdate"]["userErrors"][0]["code"], "PRODUCT_DOES_NOT_EXIST") << product.body.dump();
  json after = sim_->listing("A-1")["variant"];
  EXPECT_EQ(after["price"], a["price"]);
  EXPECT_EQ(after["price_updates"], 0);
}

TEST_F(ShopifySimTest, StaleCompareAndSetChangesNothing) {
  start();
  auto r = conn_->pushQuantities({{"A-1", 9, 4, common::newUuid()}});
  ASSERT_TRUE(r.ok()) << r.error().toString();
  EXPECT_EQ(r->items[0].outcome, ItemOutcome::kStale);
  EXPECT_EQ(r->items[0].code, "CHANGE_FROM_QUANTITY_STALE");
  EXPECT_EQ(sim_->listing("A-1")["quantity"], 5);
  EXPECT_EQ(sim_->listing("A-1")["update_count"], 0);
}

TEST_F(ShopifySimTest, ARetryWithTheSameKeyIsAppliedOnce) {
  start();
  QuantityUpdate u{"A-1", 7, 5, common::newUuid()};
  ASSERT_EQ(conn_->pushQuantities({u})->items[0].outcome, ItemOutcome::kApplied);
  sim_->order({{"lines", json::array({{{"sku", "A-1"}, {"quantity", 1}}})}});  // a sale: 7 -> 6
  auto again = conn_->pushQuantities({u});  // e.g. the first answer was lost on the way back
  ASSERT_TRUE(again.ok()) << again.error().toString();
  EXPECT_EQ(again->items[0].outcome, ItemOutcome::kApplied);  // the original answer
  EXPECT_EQ(sim_->listing("A-1")["quantity"], 6);  // not set back to 7
  EXPECT_EQ(sim_->listing("A-1")["update_count"], 1);
  // A new change with a new key is compared against what the channel holds now.
  auto next = conn_->pushQuantities({{"A-1", 7, 7, common::newUuid()}});
  EXPECT_EQ(next->items[0].outcome, ItemOutcome::kStale);
}

TEST_F(ShopifySimTest, ThrottlingIsLearnedFromTheAnswers) {
  start({"--bucket-size", "25", "--restore-rate", "10"});
  common::Result<PushResult> r = PushResult{};
  int calls = 0;
  while (r.ok() && calls < 10) {
    r = conn_->pushQuantities({{"A-1", 10 + calls, std::nullopt, common::newUuid()}});
    ++calls;
  }
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, "throttled");
  EXPECT_EQ(calls, 3);  // 25 points, 10 per mutation
  RateState s = conn_->rateState();
  EXPECT_EQ(s.capacity, 25);
  EXPECT_EQ(s.refill_per_sec, 10);
  EXPECT_EQ(s.throttled_count, 1);
  EXPECT_GT(conn_->msUntilReady(Operation::kPush), 0);
  ASSERT_TRUE(test::waitFor([&] { return conn_->msUntilReady(Operation::kPush) == 0; }, 5s));
  auto after = conn_->pushQuantities({{"A-1", 20, std::nullopt, common::newUuid()}});
  EXPECT_TRUE(after.ok()) << after.error().toString();
}

TEST_F(ShopifySimTest, OrdersArriveSignedByWebhookAndByPolling) {
  test::WebhookReceiver hook;
  std::string secret = common::newUuid();
  start({"--webhook-url", hook.url(), "--webhook-secret", secret});
  json created = sim_->order({{"lines", json::array({{{"sku", "A-1"}, {"quantity", 2}, {"price", "12.50"}}})}, {"country", "CA"}});
  std::string id = created["order_id"];
  ASSERT_GT(id.size(), 16u);  // above 2^53
  ASSERT_TRUE(test::waitFor([&] { return hook.count() >= 1; }, 10s));
  auto d = hook.deliveries()[0];
  auto parsed = parseWebhook(ChannelKind::kShopify, d.headers, d.body, secret);
  ASSERT_TRUE(parsed.ok()) << parsed.error().toString();
  EXPECT_EQ(parsed->topic, "orders/create");
  EXPECT_FALSE(parsed->delivery_id.empty());
  ASSERT_EQ(parsed->orders.size(), 1u);
  EXPECT_EQ(parsed->orders[0].order_id, id);
  EXPECT_EQ(parsed->orders[0].ship_to_country, "CA");
  EXPECT_EQ(parsed->orders[0].lines[0].unit_price->amount.toString(), "12.50");
  EXPECT_FALSE(parseWebhook(ChannelKind::kShopify, d.headers, d.body, "another secret").ok());
  EXPECT_EQ(sim_->listing("A-1")["quantity"], 3);  // the sale took 2

  auto page = conn_->pollOrders({"", ""});
  ASSERT_TRUE(page.ok()) << page.error().toString();
  ASSERT_EQ(page->orders.size(), 1u);
  EXPECT_EQ(page->orders[0].order_id, id);
  EXPECT_EQ(page->orders[0].lines[0].sku, "A-1");
  EXPECT_FALSE(page->next_updated_since.empty());
}

TEST_F(ShopifySimTest, PollingPagesThroughManyOrders) {
  start();
  for (int i = 0; i < 11; ++i) sim_->order({{"lines", json::array({{{"sku", "B-2"}, {"quantity", 1}}})}});
  OrderCursor cursor;
  std::set<std::string> seen;
  int pages = 0;
  while (pages < 10) {
    auto page = conn_->pollOrders(cursor);
    ASSERT_TRUE(page.ok()) << page.error().toString();
    ++pages;
    for (const auto& o : page->orders) seen.insert(o.order_id);
    if (page->next_page_token.empty()) break;
    cursor.page_token = page->next_page_token;
  }
  EXPECT_EQ(seen.size(), 11u);
  EXPECT_EQ(pages, 2);  // 8 per page
}

TEST_F(ShopifySimTest, InjectedFaultsAreRetryErrors) {
  read_timeout_ms_ = 500;
  start();
  ASSERT_EQ(sim_->faults({{"fail_next", 1}}).status, 200);
  auto failed = conn_->pushQuantities({{"A-1", 1, std::nullopt, common::newUuid()}});
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.error().kind, common::ErrorKind::kRetry);
  ASSERT_EQ(sim_->faults({{"hang_next", 1}, {"hang_ms", 3000}}).status, 200);
  auto hung = conn_->readQuantities({"A-1"});
  ASSERT_FALSE(hung.ok());
  EXPECT_EQ(hung.error().kind, common::ErrorKind::kRetry) << hung.error().toString();
  ASSERT_EQ(sim_->faults({{"throttle_for_ms", 60000}}).status, 200);
  const int64_t storm_at = common::SystemClock::instance().monoMs();
  auto storm = conn_->pushQuantities({{"A-1", 1, std::nullopt, common::newUuid()}});
  ASSERT_FALSE(storm.ok());
  EXPECT_EQ(storm.error().code, "throttled") << storm.error().toString();
  // The storm drained the bucket: what is there now refilled since, at the restore rate (the
  // estimate follows the real clock, so it is not exactly 0 a few ms later).
  RateState rate = conn_->rateState();
  double since_s = static_cast<double>(common::SystemClock::instance().monoMs() - storm_at) / 1000.0;
  EXPECT_LE(rate.available, rate.refill_per_sec * since_s) << "capacity " << rate.capacity;
  ASSERT_EQ(sim_->faults({{"reset", true}}).status, 200);
  // Once the connector's estimate says ready the push goes through; with answers no longer
  // delayed by Nagle the estimate can run a few points ahead of the bucket, and the throttled
  // answer corrects it: at most one more wait (a retry error, as a scheduler would treat it).
  common::Result<PushResult> ok = common::Error::retry("not_tried", "");
  for (int attempt = 0; attempt < 2; ++attempt) {
    ASSERT_TRUE(test::waitFor([&] { return conn_->msUntilReady(Operation::kPush) == 0; }, 5s));
    ok = conn_->pushQuantities({{"A-1", 1, std::nullopt, common::newUuid()}});
    if (ok.ok() || ok.error().code != "throttled") break;
  }
  EXPECT_TRUE(ok.ok()) << ok.error().toString();
}

TEST_F(ShopifySimTest, WrongTokenIsFatal) {
  start();
  ShopifyConfig c;
  c.access_token = "not-the-token";
  c.location_id = "gid://shopify/Location/98765432109876543";
  auto conn = ShopifyConnector::create(c, sim_->client(), common::SystemClock::instance());
  ASSERT_TRUE(conn.ok());
  auto r = (*conn)->pushQuantities({{"A-1", 1, std::nullopt, "k"}});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, common::ErrorKind::kFatal);
}

// fulfillmentCreate on the order's fulfillment order: more than remains is refused before anything
// is sent; a second report of the same shipment finds the fulfillment by its tracking number;
// orderCancel refuses an order with fulfillments and cancels one without.
TEST_F(ShopifySimTest, FulfilmentsAndCancelsFollowTheFulfillmentOrders) {
  start();
  json o = sim_->order({{"lines", {{{"sku", "A-1"}, {"quantity", 2}, {"price", "4.00"}}}}});
  std::string id = o["order_id"];
  std::string line = std::to_string(o["order"]["line_items"][0]["id"].get<uint64_t>());
  FulfilmentReport rep;
  rep.order_id = id;
  rep.tracking_number = "SWTRACK3";
  rep.ship_from = "wh-1";
  rep.lines = {{line, "A-1", 3}};
  auto bad = conn_->reportFulfilment(rep);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().kind, common::ErrorKind::kReject) << bad.error().toString();
  rep.lines = {{"1", "A-1", 1}};
  EXPECT_FALSE(conn_->reportFulfilment(rep).ok()) << "a line the order does not have";
  rep.lines = {{line, "A-1", 2}};
  auto first = conn_->reportFulfilment(rep);
  ASSERT_TRUE(first.ok()) << first.error().toString();
  auto again = conn_->reportFulfilment(rep);
  ASSERT_TRUE(again.ok()) << again.error().toString();
  EXPECT_EQ(*again, *first) << "the answer to a lost first try";
  json view = test::httpGet(sim_->port(), "/_sim/orders/" + id).body;
  EXPECT_EQ(view["fulfillment_status"], "FULFILLED");
  ASSERT_EQ(view["fulfilments"].size(), 1u);
  EXPECT_EQ(view["fulfilments"][0]["tracking_number"], "SWTRACK3");
  auto refused = conn_->cancelOrder({id, "no stock"});
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().kind, common::ErrorKind::kReject);

  json other = sim_->order({{"lines", {{{"sku", "A-1"}, {"quantity", 1}, {"price", "4.00"}}}}});
  std::string other_id = other["order_id"];
  auto cancelled = conn_->cancelOrder({other_id, "no stock"});
  ASSERT_TRUE(cancelled.ok()) << cancelled.error().toString();
  EXPECT_EQ(test::httpGet(sim_->port(), "/_sim/orders/" + other_id).body["cancelled"], true);
  EXPECT_TRUE(conn_->cancelOrder({other_id, "no stock"}).ok()) << "already cancelled counts as done";
  rep.order_id = other_id;
  rep.lines = {{std::to_string(other["order"]["line_items"][0]["id"].get<uint64_t>()), "A-1", 1}};
  EXPECT_EQ(conn_->reportFulfilment(rep).error().kind, common::ErrorKind::kReject) << "a cancelled order ships nothing";
}

}  // namespace
}  // namespace sw::coordinator::channels
