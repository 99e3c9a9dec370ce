// The Walmart connector against the real simulator process: the token and the WM_* headers, a token
// that expires and is renewed, single updates and an inventory feed that ends PROCESSED with failed
// items, the allotment learned from the headers and a 429, prices one by one and as a price feed with
// failed items, and orders polled with nextCursor,
// acknowledged, shipped with tracking, cancelled and refunded.

#include <gtest/gtest.h>

#include <functional>
#include <map>

#include "sim_fixture.h"
#include "sw/common/clock.h"
#include "sw/coordinator/channels/walmart_connector.h"

namespace sw::coordinator::channels {
namespace {

using nlohmann::json;
using test::ChannelSim;
using namespace std::chrono_literals;

class WalmartSimTest : public ::testing::Test {
 protected:
  void start(std::vector<std::string> extra = {}, WalmartConfig c = {}) {
    sim_ = std::make_unique<ChannelSim>("walmart", extra);
    json listings = json::array({{{"sku", "A1"}, {"quantity", 5}, {"price", "12.00"}},
                                 {{"sku", "B2"}, {"quantity", 3}},
                                 {{"sku", "C3"}, {"quantity", 7}, {"ingestion_error", "the item is retired"}}});
    for (int i = 0; i < 22; ++i) listings.push_back({{"sku", "S" + std::to_string(i)}, {"quantity", 1}});
    sim_->seed(listings);
    c.client_id = sim_->consumerKey();
    c.client_secret = sim_->consumerSecret();
    auto conn = WalmartConnector::create(c, sim_->client(), common::SystemClock::instance());
    ASSERT_TRUE(conn.ok()) << conn.error().toString();
    conn_ = std::move(*conn);
  }
  // The results of the items accepted into feeds, collected (collectAccepted or
  // collectAcceptedPrices) until there are `expected`; by SKU. Empty if they did not come in 20 s.
  std::map<std::string, ItemResult> collectFeedResults(
      const std::function<common::Result<std::vector<ItemResult>>()>& collect, size_t expected) {
    std::vector<ItemResult> results;
    const bool all = test::waitFor(
        [&] {
          auto c = collect();
          if (!c.ok()) return false;
          results.insert(results.end(), c->begin(), c->end());
          return results.size() == expected;
        },
        20s);
    std::map<std::string, ItemResult> by;
    if (!all) return by;
    for (const ItemResult& i : results) by[i.sku] = i;
    return by;
  }
  json walmart() { return test::httpGet(sim_->port(), "/_sim/walmart").body; }
  json view(const std::string& id) { return test::httpGet(sim_->port(), "/_sim/orders/" + id).body; }
  // One whole sweep of polling (every page), from since; the orders by id (the last copy seen wins).
  std::map<std::string, NormalizedOrder> sweep(const std::string& since, std::string* next_since = nullptr, int* pages = nullptr) {
    std::map<std::string, NormalizedOrder> out;
    OrderCursor c;
    c.updated_since = since;
    for (int i = 0; i < 20; ++i) {
      auto p = conn_->pollOrders(c);
      EXPECT_TRUE(p.ok()) << p.error().toString();
      if (!p.ok()) break;
      for (const std::string& w : p->warnings) ADD_FAILURE() << w;
      for (NormalizedOrder& o : p->orders) {
        for (const std::string& w : o.warnings) ADD_FAILURE() << o.order_id << ": " << w;
        out[o.order_id] = o;
      }
      if (pages) ++*pages;
      if (p->next_page_token.empty()) {
        if (next_since) *next_since = p->next_updated_since;
        break;
      }
      c.page_token = p->next_page_token;
    }
    return out;
  }
  std::unique_ptr<ChannelSim> sim_;
  std::unique_ptr<WalmartConnector> conn_;
};

TEST_F(WalmartSimTest, TokenHeadersAndSingleUpdates) {
  start();
  auto r = conn_->pushQuantities({{"A1", 4, std::nullopt, ""}, {"ZZ", 1, std::nullopt, ""}});
  ASSERT_TRUE(r.ok()) << r.error().toString();
  EXPECT_EQ(r->items[0].outcome, ItemOutcome::kApplied);
  EXPECT_EQ(r->items[0].channel_quantity, 4);
  EXPECT_EQ(r->items[1].outcome, ItemOutcome::kNotListed);
  EXPECT_EQ(r->items[1].code, "CONTENT_NOT_FOUND.GMP_INVENTORY_API");
  EXPECT_EQ(sim_->listing("A1")["quantity"], 4);
  auto levels = conn_->readQuantities({"A1", "ZZ"});
  ASSERT_TRUE(levels.ok()) << levels.error().toString();
  EXPECT_EQ((*levels)[0].quantity, 4);
  EXPECT_FALSE((*levels)[1].found);
  json w = walmart();
  EXPECT_EQ(w["tokens_issued"], 1);
  EXPECT_EQ(w["repeated_correlation_ids"], 0);
  EXPECT_GE(w["correlation_ids"].get<int>(), 5);
  EXPECT_TRUE(conn_->apiState("updateInventory").known) << "learned from X-Current-Token-Count";

  // The simulator refuses what Walmart refuses: no WM_* headers, no token.
  auto bare = test::httpGet(sim_->port(), "/v3/inventory?sku=A1");
  EXPECT_EQ(bare.status, 400);
  EXPECT_EQ(bare.body["errors"][0]["code"], "INVALID_REQUEST_HEADER.GMP_GATEWAY_API");
  auto no_token = test::httpGet(sim_->port(), "/v3/inventory?sku=A1", {{"WM_QOS.CORRELATION_ID", "x"}, {"WM_SVC.NAME", "t"}});
  EXPECT_EQ(no_token.status, 401);
  EXPECT_EQ(no_token.body["errors"][0]["code"], "UNAUTHORIZED.GMP_GATEWAY_API");
}

TEST_F(WalmartSimTest, AnExpiredTokenIsRenewedAndTheCallGoesThrough) {
  start();
  ASSERT_TRUE(conn_->pushQuantities({{"A1", 3, std::nullopt, ""}}).ok());
  ASSERT_EQ(test::httpPost(sim_->port(), "/_sim/walmart/expire-tokens", "{}").status, 200);
  auto r = conn_->pushQuantities({{"A1", 2, std::nullopt, ""}});
  ASSERT_TRUE(r.ok()) << r.error().toString();
  EXPECT_EQ(r->items[0].outcome, ItemOutcome::kApplied);
  EXPECT_EQ(sim_->listing("A1")["quantity"], 2);
  json w = walmart();
  EXPECT_EQ(w["tokens_issued"], 2);
  EXPECT_EQ(w["rejected_401"], 1);
  EXPECT_EQ(conn_->tokenRenewals(), 2);
}

TEST_F(WalmartSimTest, AFeedEndsProcessedWithFailedItemsThatAreNotApplied) {
  start({"--feed-delay-ms", "100"});
  std::vector<QuantityUpdate> updates;
  for (int i = 0; i < 22; ++i) updates.push_back({"S" + std::to_string(i), 10 + i, std::nullopt, ""});
  updates.push_back({"C3", 40, std::nullopt, ""});   // seeded to fail ingestion
  updates.push_back({"NOPE", 1, std::nullopt, ""});  // not on Walmart
  auto r = conn_->pushQuantities(updates);
  ASSERT_TRUE(r.ok()) << r.error().toString();
  for (const ItemResult& i : r->items) EXPECT_EQ(i.outcome, ItemOutcome::kAccepted) << i.sku;
  std::map<std::string, ItemResult> by = collectFeedResults([&] { return conn_->collectAccepted(); }, updates.size());
  ASSERT_FALSE(by.empty()) << "the feed's results did not all come";
  EXPECT_EQ(by["S0"].outcome, ItemOutcome::kApplied);
  EXPECT_EQ(by["S21"].outcome, ItemOutcome::kApplied);
  EXPECT_EQ(by["C3"].outcome, ItemOutcome::kRejected);
  EXPECT_EQ(by["C3"].code, "SIM_INGESTION_ERROR");
  EXPECT_EQ(by["C3"].message, "the item is retired");
  EXPECT_EQ(by["C3"].channel_quantity, 40);
  EXPECT_EQ(by["NOPE"].outcome, ItemOutcome::kRejected);
  EXPECT_EQ(sim_->listing("S5")["quantity"], 15);
  EXPECT_EQ(sim_->listing("C3")["quantity"], 7) << "a failed item changes nothing";
  EXPECT_EQ(conn_->pendingFeeds(), 0u);
}

TEST_F(WalmartSimTest, TheAllotmentIsLearnedAndA429HoldsTheApiBack) {
  start({"--api-calls", "3", "--api-window-ms", "600000"});
  for (int i = 0; i < 3; ++i) {
    auto r = conn_->pushQuantities({{"A1", i, std::nullopt, ""}});
    ASSERT_TRUE(r.ok()) << r.error().toString();
    EXPECT_EQ(r->items[0].outcome, ItemOutcome::kApplied);
  }
  // The third answer said 0 left: the connector does not call until the replenishment time.
  EXPECT_GT(conn_->msUntilReady(Operation::kPush, 1), 0);
  auto held = conn_->pushQuantities({{"A1", 9, std::nullopt, ""}});
  ASSERT_TRUE(held.ok());
  EXPECT_EQ(held->items[0].outcome, ItemOutcome::kRetry);
  EXPECT_EQ(held->items[0].code, "rate_limited");
  EXPECT_GT(held->items[0].retry_after_ms, 0);
  EXPECT_EQ(sim_->listing("A1")["quantity"], 2);
  json stats = test::httpGet(sim_->port(), "/_sim/stats").body;
  EXPECT_FALSE(stats["updateInventory"].contains("429")) << stats.dump();
  // Reads have their own allotment; a 429 the simulator gives holds them back until the time it names.
  ASSERT_EQ(sim_->faults({{"throttle_next", 1}}).status, 200);
  auto read = conn_->readQuantities({"A1"});
  ASSERT_FALSE(read.ok());
  EXPECT_EQ(read.error().code, "http_429");
  EXPECT_EQ(read.error().kind, common::ErrorKind::kRetry);
  EXPECT_GT(conn_->apiState("getInventory").blocked_until_ms, 0);
  EXPECT_EQ(conn_->apiState("getInventory").throttled_count, 1);
}

TEST_F(WalmartSimTest, PricesBaseAndReduced) {
  start();
  ChannelPrice base;
  base.sku = "A1";
  base.currency = "USD";
  base.regular = *common::Decimal::parse("10.99");
  ChannelPrice sale = base;
  sale.sku = "B2";
  sale.sale = *common::Decimal::parse("7.49");
  ChannelPrice missing = base;
  missing.sku = "ZZ";
  auto r = conn_->pushPrices({{base}, {sale}, {missing}});
  ASSERT_TRUE(r.ok()) << r.error().toString();
  EXPECT_EQ(r->items[0].outcome, ItemOutcome::kApplied);
  EXPECT_EQ(r->items[1].outcome, ItemOutcome::kApplied);
  EXPECT_EQ(r->items[2].outcome, ItemOutcome::kNotListed);
  EXPECT_EQ(sim_->listing("A1")["price"]["currentPrice"], "10.99");
  json b2 = sim_->listing("B2")["price"];
  EXPECT_EQ(b2["currentPriceType"], "REDUCED");
  EXPECT_EQ(b2["currentPrice"], "7.49");
  EXPECT_EQ(b2["comparisonPrice"], "10.99");
  // The sale ends: the regular price again, as BASE.
  auto end = conn_->pushPrices({{base}});
  ASSERT_TRUE(end.ok());
  base.sku = "B2";
  ASSERT_TRUE(conn_->pushPrices({{base}}).ok());
  EXPECT_EQ(sim_->listing("B2")["price"]["currentPriceType"], "BASE");
}

// Issue 22: many prices go as one price feed; the simulator processes it per item, and the item it
// refuses (a listing seeded to fail ingestion) and one it does not have come back refused while the
// others are applied, exactly as for inventory feeds.
TEST_F(WalmartSimTest, APriceFeedEndsProcessedWithFailedItemsThatAreNotApplied) {
  start({"--feed-delay-ms", "100"});
  std::vector<PriceUpdate> updates;
  for (int i = 0; i < 22; ++i) {
    ChannelPrice p;
    p.sku = "S" + std::to_string(i);
    p.currency = "USD";
    p.regular = *common::Decimal::parse(std::to_string(20 + i) + ".49");
    if (i == 3) p.sale = *common::Decimal::parse("9.99");
    updates.push_back({p});
  }
  ChannelPrice retired;
  retired.sku = "C3";
  retired.currency = "USD";
  retired.regular = *common::Decimal::parse("55.00");
  ChannelPrice missing = retired;
  missing.sku = "NOPE";
  updates.push_back({retired});
  updates.push_back({missing});
  auto r = conn_->pushPrices(updates);
  ASSERT_TRUE(r.ok()) << r.error().toString();
  for (const ItemResult& i : r->items) {
    EXPECT_EQ(i.outcome, ItemOutcome::kAccepted) << i.sku;
    EXPECT_TRUE(i.reported_later) << i.sku;
  }
  std::map<std::string, ItemResult> by = collectFeedResults([&] { return conn_->collectAcceptedPrices(); }, updates.size());
  ASSERT_FALSE(by.empty()) << "the feed's results did not all come";
  EXPECT_EQ(by["S0"].outcome, ItemOutcome::kApplied);
  EXPECT_EQ(by["S21"].outcome, ItemOutcome::kApplied);
  EXPECT_EQ(by["C3"].outcome, ItemOutcome::kRejected);
  EXPECT_EQ(by["C3"].code, "SIM_INGESTION_ERROR");
  EXPECT_EQ(by["NOPE"].outcome, ItemOutcome::kRejected);
  EXPECT_EQ(by["NOPE"].code, "SIM_SKU_NOT_FOUND");
  EXPECT_EQ(sim_->listing("S5")["price"]["currentPrice"], "25.49");
  json s3 = sim_->listing("S3")["price"];
  EXPECT_EQ(s3["currentPriceType"], "REDUCED");
  EXPECT_EQ(s3["currentPrice"], "9.99");
  EXPECT_EQ(s3["comparisonPrice"], "23.49");
  EXPECT_EQ(sim_->listing("S5")["feed_updates"], 1) << "by feed, not by PUT";
  EXPECT_EQ(sim_->listing("S5")["price_updates"], 1);
  EXPECT_EQ(sim_->listing("C3")["price"]["currentPrice"], "10.00") << "a failed item changes nothing";
  EXPECT_EQ(conn_->pendingFeeds(), 0u);
  auto inventory = conn_->collectAccepted();
  ASSERT_TRUE(inventory.ok());
  EXPECT_TRUE(inventory->empty()) << "price results are not quantities";
}

TEST_F(WalmartSimTest, OrdersArePagedAcknowledgedShippedCancelledAndRefunded) {
  WalmartConfig c;
  c.order_page_size = 2;
  start({}, c);
  std::vector<std::string> ids;
  for (int i = 0; i < 3; ++i) {
    json o = sim_->order({{"lines", {{{"sku", "A1"}, {"quantity", 1}, {"price", "12.00"}}, {{"sku", "B2"}, {"quantity", 2}, {"price", "5.00"}}}},
                          {"ship_to", {{"postal_code", "30301"}, {"city", "Atlanta"}, {"region", "GA"}}}});
    ids.push_back(o["order_id"]);
  }
  std::string since;
  int pages = 0;
  auto first = sweep("", &since, &pages);
  ASSERT_EQ(first.size(), 3u);
  EXPECT_GE(pages, 4) << "2 + 1 released, then the modified ones";
  const NormalizedOrder& o0 = first.at(ids[0]);
  EXPECT_EQ(o0.status, OrderStatus::kOpen);
  EXPECT_EQ(o0.ship_to.postal_code, "30301");
  EXPECT_EQ(o0.ship_to.city, "Atlanta");
  EXPECT_EQ(o0.ship_to.region, "GA");
  EXPECT_EQ(o0.ship_to_country, "US");
  ASSERT_EQ(o0.lines.size(), 2u);
  EXPECT_EQ(o0.lines[1].quantity, 2);
  EXPECT_EQ(o0.lines[1].unit_price->amount.toString(), "5.00");
  for (const std::string& id : ids) {
    EXPECT_EQ(view(id)["lines"][0]["acknowledged"], 1) << "acknowledged when taken in: " << view(id).dump();
  }
  EXPECT_FALSE(since.empty());

  // Shipped with tracking; a line shipped beyond what it holds is refused and changes nothing.
  FulfilmentReport too_many;
  too_many.order_id = ids[0];
  too_many.lines = {{"2", "B2", 3}};
  too_many.tracking_number = "1Z1";
  auto refused = conn_->reportFulfilment(too_many);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().kind, common::ErrorKind::kReject);
  FulfilmentReport rep;
  rep.order_id = ids[0];
  rep.lines = {{"1", "A1", 1}, {"2", "B2", 2}};
  rep.tracking_number = "1Z999AA10123456784";
  rep.carrier = "UPS";
  auto shipped = conn_->reportFulfilment(rep);
  ASSERT_TRUE(shipped.ok()) << shipped.error().toString();
  json v0 = view(ids[0]);
  EXPECT_EQ(v0["lines"][0]["fulfilled"], 1);
  EXPECT_EQ(v0["lines"][1]["fulfilled"], 2);
  EXPECT_EQ(v0["fulfilments"][0]["tracking_number"], "1Z999AA10123456784");

  // Cancelled by us (no stock): every open unit, stock back on the listing.
  int64_t b2_before = sim_->listing("B2")["quantity"];
  auto cancelled = conn_->cancelOrder({ids[1], "no stock"});
  ASSERT_TRUE(cancelled.ok()) << cancelled.error().toString();
  EXPECT_EQ(view(ids[1])["cancelled"], true);
  EXPECT_EQ(sim_->listing("B2")["quantity"].get<int64_t>(), b2_before + 2);
  EXPECT_EQ(conn_->cancelOrder({ids[1], "again"}).error().code, "nothing_to_cancel");

  // A refund of one shipped B2 unit (5.00).
  auto refunded = conn_->refundLines(ids[0], {{"2", {*common::Decimal::parse("5.00"), "USD"}, false, "CustomerChangedMind", ""}});
  ASSERT_TRUE(refunded.ok()) << refunded.error().toString();
  ASSERT_EQ(refunded->releases.size(), 1u);
  EXPECT_EQ(refunded->releases[0].quantity, 1);
  EXPECT_EQ(refunded->releases[0].reason, "refunded");
  EXPECT_EQ(refunded->releases[0].refund_id, ids[0] + "/2/refund/1");
  auto bad_refund = conn_->refundLines(ids[2], {{"1", {*common::Decimal::parse("12.00"), "USD"}, true, "DamagedItem", ""}});
  ASSERT_FALSE(bad_refund.ok()) << "nothing of that order has shipped";
  EXPECT_EQ(bad_refund.error().kind, common::ErrorKind::kReject);

  // The next sweep from where the last ended sees each change once.
  auto second = sweep(since);
  ASSERT_TRUE(second.count(ids[0]));
  ASSERT_TRUE(second.count(ids[1]));
  EXPECT_EQ(second.at(ids[0]).status, OrderStatus::kFulfilled);
  ASSERT_EQ(second.at(ids[0]).releases.size(), 1u);
  EXPECT_EQ(second.at(ids[0]).releases[0].refund_id, ids[0] + "/2/refund/1");
  EXPECT_EQ(second.at(ids[1]).status, OrderStatus::kCancelled);
  EXPECT_EQ(second.at(ids[1]).releases.size(), 2u);

  // refundOrder (what the coordinator's refund calls): units, priced from Walmart's own PRODUCT charge.
  auto whole = conn_->refundOrder({ids[0], {{"1", 1}}, "DefectiveItem", "broken on arrival"});
  ASSERT_TRUE(whole.ok()) << whole.error().toString();
  bool line1 = false;
  for (const Release& r : whole->releases) line1 = line1 || (r.line_id == "1" && r.refund_id == ids[0] + "/1/refund/1" && r.quantity == 1);
  EXPECT_TRUE(line1) << toJson(*whole).dump();
  json shown = view(ids[0])["order"]["orderLines"]["orderLine"][0]["refund"];
  json charge = shown["refundCharges"]["refundCharge"][0];
  EXPECT_DOUBLE_EQ(charge["charge"]["chargeAmount"]["amount"].get<double>(), -12.0) << shown.dump();
  EXPECT_EQ(charge["refundReason"], "DefectiveItem");
  EXPECT_EQ(shown["refundComments"], "broken on arrival");
  EXPECT_EQ(view(ids[0])["lines"][0]["refunded"], 1);
  // Refused before anything is sent: a reason not on Walmart's list, a line the order lacks, more
  // units than it has.
  for (const RefundRequest& bad : {RefundRequest{ids[0], {{"2", 1}}, "Because", ""}, RefundRequest{ids[0], {{"7", 1}}, "", ""},
                                   RefundRequest{ids[0], {{"2", 3}}, "", ""}}) {
    auto r = conn_->refundOrder(bad);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().kind, common::ErrorKind::kReject) << r.error().toString();
  }
  EXPECT_EQ(view(ids[0])["lines"][1]["refunded"], 1) << "only the refund of one B2 unit above";
}

}  // namespace
}  // namespace sw::coordinator::channels
