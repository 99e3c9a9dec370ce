// Walmart Marketplace: the order decoder on Walmart's own examples (tests/data/channels/walmart) and on
// bad input of every kind; the connector against scripted HTTP on a ManualClock: the token renewed
// before it runs out and after a 401, the WM_* headers, single updates below the feed threshold and a
// feed above it, feed results read per item (a PROCESSED feed with failed items), order paging with
// nextCursor, and the allotment learned from X-Current-Token-Count / X-Next-Replenishment-Time.

#include <gtest/gtest.h>

#include <fstream>
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>

#include "fake_http_client.h"
#include "sw/common/clock.h"
#include "sw/coordinator/channels/channel_decode.h"
#include "sw/coordinator/channels/connector_factory.h"
#include "sw/coordinator/channels/order_decode.h"
#include "sw/coordinator/channels/walmart_connector.h"

namespace sw::coordinator::channels {
namespace {

using nlohmann::json;

std::string readWalmart(const std::string& name) {
  std::ifstream in(std::string(SW_CHANNEL_TEST_DATA) + "/walmart/" + name, std::ios::binary);
  EXPECT_TRUE(in.good()) << name;
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// --- decoder ---

TEST(WalmartDecode, ReleasedOrdersPageFromTheSpec) {
  auto r = decodeOrders(ChannelKind::kWalmart, readWalmart("getAllReleasedOrders.example.json"));
  ASSERT_TRUE(r.ok()) << r.error().toString();
  ASSERT_EQ(r->size(), 10u);
  const NormalizedOrder& o = r->front();
  EXPECT_EQ(o.channel, ChannelKind::kWalmart);
  EXPECT_EQ(o.order_id, "4792982839409");
  EXPECT_EQ(o.order_name, "5681962097195");
  EXPECT_EQ(o.status, OrderStatus::kOpen);
  EXPECT_EQ(o.created_at, "2019-10-24T07:52:30.000Z");
  EXPECT_EQ(o.ship_to_country, "US") << "USA is read as US";
  EXPECT_EQ(o.ship_to.postal_code, "12901");
  EXPECT_EQ(o.ship_to.city, "Jacksonville");
  EXPECT_EQ(o.ship_to.region, "CA");
  ASSERT_EQ(o.lines.size(), 1u);
  EXPECT_EQ(o.lines[0].line_id, "3");
  EXPECT_EQ(o.lines[0].sku, "StressTestHome_29");
  EXPECT_EQ(o.lines[0].quantity, 1) << "the string quantity \"1\"";
  ASSERT_TRUE(o.lines[0].unit_price);
  EXPECT_EQ(o.lines[0].unit_price->amount.toString(), "99.00") << "the PRODUCT charge, not SHIPPING";
  ASSERT_TRUE(o.lines[0].tax);
  EXPECT_EQ(o.lines[0].tax->amount.toString(), "7.92") << "the PRODUCT charge's tax.taxAmount";
  EXPECT_EQ(o.lines[0].tax->currency, "USD");
  EXPECT_EQ(o.currency, "USD");
  EXPECT_TRUE(o.releases.empty());
}

// A PRODUCT charge's tax that cannot be read leaves the line's tax unknown, with a warning; a
// line whose charges carry no tax has none.
TEST(WalmartDecode, AChargesTaxThatCannotBeReadIsNotGuessed) {
  json page = json::parse(readWalmart("getAllReleasedOrders.example.json"));
  json& charges = page["list"]["elements"]["order"][0]["orderLines"]["orderLine"][0]["charges"]["charge"];
  charges[0]["tax"]["taxAmount"]["amount"] = "n/a";
  page["list"]["elements"]["order"][1]["orderLines"]["orderLine"][0]["charges"]["charge"][0].erase("tax");
  auto r = decodeOrders(ChannelKind::kWalmart, page.dump());
  ASSERT_TRUE(r.ok()) << r.error().toString();
  EXPECT_FALSE((*r)[0].lines[0].tax);
  bool warned = false;
  for (const std::string& w : (*r)[0].warnings) warned = warned || w.find("tax cannot be read") != std::string::npos;
  EXPECT_TRUE(warned) << json((*r)[0].warnings).dump();
  ASSERT_TRUE((*r)[1].lines[0].tax);
  EXPECT_EQ((*r)[1].lines[0].tax->amount.toString(), "0.00");
}

TEST(WalmartDecode, ShippedCancelledAndRefundedOrdersFromTheSpec) {
  auto shipped = decodeOrders(ChannelKind::kWalmart, readWalmart("getAnOrder.example.json"));
  ASSERT_TRUE(shipped.ok()) << shipped.error().toString();
  EXPECT_EQ(shipped->front().status, OrderStatus::kFulfilled);

  auto cancelled = decodeOrders(ChannelKind::kWalmart, readWalmart("cancelOrderLines.example.json"));
  ASSERT_TRUE(cancelled.ok()) << cancelled.error().toString();
  const NormalizedOrder& c = cancelled->front();
  EXPECT_EQ(c.status, OrderStatus::kCancelled);
  ASSERT_EQ(c.releases.size(), 1u);
  EXPECT_EQ(c.releases[0].reason, "cancelled");
  EXPECT_EQ(c.releases[0].quantity, 1);
  EXPECT_TRUE(c.releases[0].refund_id.empty());

  // The refund answer shows the refund only as the line's refund object (-19.99 for a 19.99 line).
  auto refunded = decodeOrders(ChannelKind::kWalmart, readWalmart("refundOrderLines.example.json"));
  ASSERT_TRUE(refunded.ok()) << refunded.error().toString();
  const NormalizedOrder& f = refunded->front();
  EXPECT_EQ(f.status, OrderStatus::kRefunded);
  ASSERT_EQ(f.releases.size(), 1u);
  EXPECT_EQ(f.releases[0].reason, "refunded");
  EXPECT_EQ(f.releases[0].quantity, 1);
  EXPECT_FALSE(f.releases[0].restock);
  EXPECT_EQ(f.releases[0].refund_id, f.order_id + "/1/refund");
}

json order(json lines) {
  return {{"purchaseOrderId", "1796000000007"},
          {"customerOrderId", "5681000000013"},
          {"orderDate", 1700000000000},
          {"shippingInfo", {{"postalAddress", {{"postalCode", " 94086 "}, {"city", "Sunnyvale"}, {"state", "CA"}, {"country", "USA"}}}}},
          {"orderLines", {{"orderLine", std::move(lines)}}}};
}
json line(const std::string& n, int qty, json statuses, double amount = 20) {
  return {{"lineNumber", n},
          {"item", {{"sku", "SKU-" + n}, {"productName", "P"}}},
          {"charges", {{"charge", json::array({{{"chargeType", "PRODUCT"}, {"chargeAmount", {{"currency", "USD"}, {"amount", amount}}}}})}}},
          {"orderLineQuantity", {{"unitOfMeasurement", "EACH"}, {"amount", std::to_string(qty)}}},
          {"statusDate", 1700000500000},
          {"orderLineStatuses", {{"orderLineStatus", std::move(statuses)}}}};
}
json st(const std::string& status, int qty) {
  return {{"status", status}, {"statusQuantity", {{"unitOfMeasurement", "EACH"}, {"amount", std::to_string(qty)}}}};
}

TEST(WalmartDecode, PartialCancelAndRefundStatusesAreReleasesEachWithItsOwnId) {
  json o = order(json::array({line("1", 3, json::array({st("Shipped", 2), st("Cancelled", 1)}), 30),
                              line("2", 2, json::array({st("Shipped", 2), st("Refund", 1), st("Refund", 1)}), 40)}));
  auto r = decodeWalmart(json{{"order", o}});
  ASSERT_TRUE(r.ok()) << r.error().toString();
  const NormalizedOrder& d = r->front();
  EXPECT_EQ(d.status, OrderStatus::kFulfilled);
  EXPECT_EQ(d.updated_at, "2023-11-14T22:21:40.000Z") << "the newest statusDate";
  EXPECT_EQ(d.ship_to.postal_code, "94086") << "trimmed";
  ASSERT_EQ(d.lines.size(), 2u);
  EXPECT_EQ(d.lines[0].current_quantity, 2);
  EXPECT_EQ(d.lines[0].unit_price->amount.toString(), "10.00") << "30 for 3 units";
  ASSERT_EQ(d.releases.size(), 3u);
  EXPECT_EQ(d.releases[0].reason, "cancelled");
  EXPECT_EQ(d.releases[1].refund_id, "1796000000007/2/refund/1");
  EXPECT_EQ(d.releases[2].refund_id, "1796000000007/2/refund/2");
}

TEST(WalmartDecode, ArraysOfPagesAndASingleObjectWhereAListIsMeant) {
  json one_line = order(line("1", 1, st("Created", 1)));  // objects, not lists: Walmart's XML-born JSON
  json page = {{"list", {{"meta", {{"totalCount", 1}}}, {"elements", {{"order", json::array({one_line})}}}}}};
  auto r = decodeWalmart(json::array({page, json{{"order", one_line}}}));
  ASSERT_TRUE(r.ok()) << r.error().toString();
  EXPECT_EQ(r->size(), 2u);
  EXPECT_EQ(r->at(0).status, OrderStatus::kOpen);
}

TEST(WalmartDecode, BadInputIsRefusedWithAReason) {
  struct Case {
    std::string payload, code;
  };
  std::string sample = readWalmart("getAllReleasedOrders.example.json");
  std::vector<Case> cases = {
      {"", "empty_payload"},
      {sample.substr(0, sample.size() / 2), "bad_json"},
      {"17", "bad_payload"},
      {R"({"hello":1})", "not_an_order"},
      {R"({"list":{"elements":{"order":"x"}}})", "bad_order"},
      {R"({"list":[]})", "bad_payload"},
      {R"({"order":{"customerOrderId":"1"}})", "missing_order_id"},
      {R"({"purchaseOrderId":"1","orderLines":{"orderLine":[{"orderLineQuantity":{"amount":"1"}}]}})", "bad_line"},
      {R"({"purchaseOrderId":"1","orderLines":{"orderLine":[{"lineNumber":"1","orderLineQuantity":{"amount":"one"}}]}})", "bad_quantity"},
      {R"({"purchaseOrderId":"1","orderLines":{"orderLine":[{"lineNumber":"1","orderLineQuantity":{"amount":"-2"}}]}})", "bad_quantity"},
      {R"({"purchaseOrderId":"1","orderLines":{"orderLine":[{"lineNumber":"1","orderLineQuantity":{"amount":"1"},"orderLineStatuses":{"orderLineStatus":[{"status":"Cancelled","statusQuantity":{"amount":"5"}}]}}]}})",
       "bad_status_quantity"},
      {R"({"purchaseOrderId":"1","orderLines":{"orderLine":[{"lineNumber":"1","orderLineQuantity":{"amount":"1"},"charges":{"charge":[{"chargeType":"PRODUCT","chargeAmount":{"amount":"x"}}]}}]}})",
       "bad_charge"},
      {R"({"purchaseOrderId":"1","orderLines":{"orderLine":[{"lineNumber":"1","orderLineQuantity":{"amount":"1"},"charges":{"charge":[{"chargeType":"PRODUCT","chargeAmount":{"amount":900000000000000}},{"chargeType":"PRODUCT","chargeAmount":{"amount":900000000000000}}]}}]}})",
       "bad_charge"},
      {R"({"purchaseOrderId":"1","orderLines":{"orderLine":[7]}})", "bad_orderLine"},
      {R"({"errors":[{"code":"CONTENT_NOT_FOUND.GMP_ORDER_API","description":"No orders found"}]})", "channel_error"},
      {R"({"list":{"meta":{"totalCount":0},"elements":{}}})", "no_orders"},
      {R"([[[[{"purchaseOrderId":"1"}]]]])", "bad_payload"},
      {std::string(100, '[') + std::string(100, ']'), "too_deep"},
  };
  for (const Case& c : cases) {
    auto r = decodeOrders(ChannelKind::kWalmart, c.payload);
    ASSERT_FALSE(r.ok()) << "accepted " << c.payload.substr(0, 120);
    EXPECT_EQ(r.error().code, c.code) << c.payload.substr(0, 120) << " -> " << r.error().toString();
    EXPECT_EQ(r.error().kind, common::ErrorKind::kReject);
    EXPECT_FALSE(r.error().message.empty());
  }
  // Parts of an address that cannot be used are dropped with a warning; the order still decodes.
  json o = order(line("1", 1, st("Created", 1)));
  o["shippingInfo"]["postalAddress"]["postalCode"] = std::string(40, '9');
  o["shippingInfo"]["postalAddress"]["city"] = "Sunny\nvale";
  auto r = decodeWalmart(o);
  ASSERT_TRUE(r.ok()) << r.error().toString();
  EXPECT_TRUE(r->front().ship_to.postal_code.empty());
  EXPECT_TRUE(r->front().ship_to.city.empty());
  EXPECT_GE(r->front().warnings.size(), 2u);
}

TEST(WalmartDecode, EveryTruncationIsRefusedOrDecoded) {
  std::string text = readWalmart("getAnOrder.example.json");
  size_t refused = 0;
  for (size_t n = 0; n < text.size(); n += 5) {
    if (!decodeOrders(ChannelKind::kWalmart, text.substr(0, n)).ok()) ++refused;
  }
  EXPECT_GE(refused, text.size() / 5);
}

TEST(WalmartDecode, ChannelDecodeCommandPrintsEachPurchaseOrder) {
  std::istringstream in(readWalmart("getAllReleasedOrders.example.json"));
  std::ostringstream out, err;
  ASSERT_EQ(runChannelDecode({"--channel", "walmart"}, in, out, err), 0) << err.str();
  std::istringstream lines(out.str());
  std::string first;
  std::getline(lines, first);
  json j = json::parse(first);
  EXPECT_EQ(j["channel"], "walmart");
  EXPECT_EQ(j["order_id"], "4792982839409");
  EXPECT_EQ(j["ship_to"]["postal_code"], "12901");
  std::istringstream bad(R"({"errors":[{"code":"UNAUTHORIZED.GMP_GATEWAY_API","description":"Unauthorized"}]})");
  std::ostringstream out2, err2;
  EXPECT_EQ(runChannelDecode({"--channel", "walmart"}, bad, out2, err2), 1);
  EXPECT_EQ(json::parse(out2.str())["error"]["code"], "channel_error");
}

// --- feed status ---

TEST(WalmartFeedStatus, SpecExampleAndShapesThatAreNotUsable) {
  auto s = parseWalmartFeedStatus(json::parse(readWalmart("getFeedStatus.example.json")));
  ASSERT_TRUE(s.ok()) << s.error().toString();
  EXPECT_EQ(s->status, "PROCESSED");
  EXPECT_EQ(s->items_received, 1);
  ASSERT_EQ(s->items.size(), 1u);
  EXPECT_EQ(s->items[0].status, "SUCCESS");
  for (const char* bad : {R"([])", R"({"feedId":"x"})", R"({"feedStatus":"PROCESSED","itemDetails":{"itemIngestionStatus":7}})"}) {
    auto r = parseWalmartFeedStatus(json::parse(bad));
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.error().kind, common::ErrorKind::kRetry);
  }
}

// --- connector ---

class WalmartTest : public ::testing::Test {
 protected:
  void SetUp() override { make(); }
  void make(size_t feed_threshold = 3) {
    WalmartConfig c;
    c.client_id = "cid";
    c.client_secret = "csecret";
    c.feed_threshold = feed_threshold;
    c.order_page_size = 2;
    http_ = std::make_shared<FakeHttp>();
    auto conn = WalmartConnector::create(c, std::make_unique<FakeHttpClient>(http_), clock_);
    ASSERT_TRUE(conn.ok()) << conn.error().toString();
    conn_ = std::move(*conn);
  }
  // Answers /v3/token with a fresh token (900 s) and everything else with `api`.
  void answer(std::function<common::Result<HttpResponse>(const HttpRequest&)> api) {
    http_->handler = [this, api](const HttpRequest& r) -> common::Result<HttpResponse> {
      if (r.target == "/v3/token") {
        ++tokens_;
        return jsonResponse(200, json{{"access_token", "tok" + std::to_string(tokens_)}, {"token_type", "Bearer"}, {"expires_in", 900}}.dump());
      }
      return api(r);
    };
  }
  std::vector<HttpRequest> apiRequests() const {
    std::vector<HttpRequest> out;
    for (const HttpRequest& r : http_->requests) {
      if (r.target != "/v3/token") out.push_back(r);
    }
    return out;
  }
  common::ManualClock clock_;
  std::shared_ptr<FakeHttp> http_;
  std::unique_ptr<WalmartConnector> conn_;
  int tokens_ = 0;
};

HttpResponse inventoryOk(const HttpRequest& r) {
  json b = json::parse(r.body);
  return jsonResponse(200, b.dump(), {{"x-current-token-count", "99"}, {"X-Next-Replenishment-Time", "1700000060000"}});
}

TEST_F(WalmartTest, TokenIsAskedForOnceSentWithTheHeadersAndRenewedBeforeItRunsOut) {
  answer([](const HttpRequest& r) { return common::Result<HttpResponse>(inventoryOk(r)); });
  ASSERT_TRUE(conn_->pushQuantities({{"A", 5, std::nullopt, ""}}).ok());
  ASSERT_TRUE(conn_->pushQuantities({{"B", 6, std::nullopt, ""}}).ok());
  EXPECT_EQ(tokens_, 1);
  const HttpRequest& token_req = http_->requests.at(0);
  EXPECT_EQ(token_req.method, "POST");
  EXPECT_EQ(token_req.body, "grant_type=client_credentials");
  EXPECT_EQ(token_req.content_type, "application/x-www-form-urlencoded");
  EXPECT_EQ(requestHeader(token_req, "Authorization"), "Basic Y2lkOmNzZWNyZXQ=");  // base64("cid:csecret")
  std::set<std::string> correlation;
  for (const HttpRequest& r : http_->requests) {
    EXPECT_FALSE(requestHeader(r, "WM_QOS.CORRELATION_ID").empty());
    correlation.insert(requestHeader(r, "WM_QOS.CORRELATION_ID"));
    EXPECT_EQ(requestHeader(r, "WM_SVC.NAME"), "Walmart Marketplace");
  }
  EXPECT_EQ(correlation.size(), http_->requests.size()) << "a fresh correlation id on every request";
  auto api = apiRequests();
  ASSERT_EQ(api.size(), 2u);
  EXPECT_EQ(requestHeader(api[0], "WM_SEC.ACCESS_TOKEN"), "tok1");
  EXPECT_EQ(api[0].method, "PUT");
  EXPECT_EQ(api[0].target, "/v3/inventory?sku=A");
  EXPECT_EQ(json::parse(api[0].body), (json{{"sku", "A"}, {"quantity", {{"unit", "EACH"}, {"amount", 5}}}}));

  // 14 minutes in, the token has more than its margin left: still the first one.
  clock_.advanceMs(14 * 60'000 - 1);
  ASSERT_TRUE(conn_->pushQuantities({{"A", 1, std::nullopt, ""}}).ok());
  EXPECT_EQ(tokens_, 1);
  // Inside the last minute of its 900 s: renewed before the call.
  clock_.advanceMs(2);
  ASSERT_TRUE(conn_->pushQuantities({{"A", 2, std::nullopt, ""}}).ok());
  EXPECT_EQ(tokens_, 2);
  EXPECT_EQ(requestHeader(apiRequests().back(), "WM_SEC.ACCESS_TOKEN"), "tok2");
  EXPECT_EQ(conn_->tokenRenewals(), 2);
}

TEST_F(WalmartTest, A401RenewsTheTokenAndSendsTheCallOnceMore) {
  answer([this](const HttpRequest& r) -> common::Result<HttpResponse> {
    if (requestHeader(r, "WM_SEC.ACCESS_TOKEN") == "tok1") {
      return jsonResponse(401, R"({"errors":[{"code":"UNAUTHORIZED.GMP_GATEWAY_API","description":"expired"}]})");
    }
    (void)this;
    return inventoryOk(r);
  });
  auto r = conn_->pushQuantities({{"A", 5, std::nullopt, ""}});
  ASSERT_TRUE(r.ok()) << r.error().toString();
  EXPECT_EQ(r->items[0].outcome, ItemOutcome::kApplied);
  EXPECT_EQ(tokens_, 2);
  auto api = apiRequests();
  ASSERT_EQ(api.size(), 2u);
  EXPECT_NE(requestHeader(api[0], "WM_QOS.CORRELATION_ID"), requestHeader(api[1], "WM_QOS.CORRELATION_ID"));

  // A token the channel keeps refusing is a credentials problem: fatal, not a loop.
  answer([](const HttpRequest&) { return common::Result<HttpResponse>(jsonResponse(401, R"({"errors":[{"code":"UNAUTHORIZED"}]})")); });
  auto bad = conn_->pushQuantities({{"A", 5, std::nullopt, ""}});
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().kind, common::ErrorKind::kFatal);
}

TEST_F(WalmartTest, RefusedCredentialsAreFatal) {
  http_->handler = [](const HttpRequest&) {
    return common::Result<HttpResponse>(jsonResponse(401, R"({"errors":[{"code":"UNAUTHORIZED.GMP_GATEWAY_API"}]})"));
  };
  auto r = conn_->pushQuantities({{"A", 5, std::nullopt, ""}});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, common::ErrorKind::kFatal);
}

TEST_F(WalmartTest, SingleUpdatesReadEachAnswer) {
  // Four items, below this connector's threshold of 10: one PUT each.
  make(10);
  answer([](const HttpRequest& req) -> common::Result<HttpResponse> {
    if (req.target.find("sku=GONE") != std::string::npos) {
      return jsonResponse(404, R"({"errors":[{"code":"CONTENT_NOT_FOUND.GMP_INVENTORY_API","description":"Item not found"}]})");
    }
    if (req.target.find("sku=BAD") != std::string::npos) {
      return jsonResponse(400, R"({"errors":[{"code":"INVALID_REQUEST_CONTENT.GMP_INVENTORY_API","description":"bad"}]})");
    }
    return inventoryOk(req);
  });
  auto r = conn_->pushQuantities({{"A B/1", 5, std::nullopt, ""}, {"GONE", 1, std::nullopt, ""}, {"BAD", 2, std::nullopt, ""}, {"NEG", -1, std::nullopt, ""}});
  ASSERT_TRUE(r.ok()) << r.error().toString();
  EXPECT_EQ(r->items[0].outcome, ItemOutcome::kApplied);
  EXPECT_EQ(r->items[0].channel_quantity, 5);
  EXPECT_EQ(r->items[1].outcome, ItemOutcome::kNotListed);
  EXPECT_EQ(r->items[2].outcome, ItemOutcome::kRejected);
  EXPECT_EQ(r->items[2].code, "INVALID_REQUEST_CONTENT.GMP_INVENTORY_API");
  EXPECT_EQ(r->items[3].outcome, ItemOutcome::kRejected);
  EXPECT_EQ(apiRequests().at(0).target, "/v3/inventory?sku=A%20B%2F1");
}

json feedStatus(const std::string& status, json items, int received, int offset = 0) {
  json j = {{"feedId", "F1@AQMB"}, {"feedStatus", status}, {"itemsReceived", received}, {"offset", offset}, {"limit", 50}};
  if (!items.is_null()) j["itemDetails"] = {{"itemIngestionStatus", items}};
  return j;
}
json item(const std::string& sku, const std::string& status, const std::string& code = "") {
  json e = {{"sku", sku}, {"ingestionStatus", status}};
  if (!code.empty()) e["ingestionErrors"] = {{"ingestionError", json::array({{{"type", "DATA_ERROR"}, {"code", code}, {"description", "no"}}})}};
  return e;
}

TEST_F(WalmartTest, ManyUpdatesGoAsOneFeedAndAProcessedFeedStillHoldsFailedItems) {
  std::string feed_status = "INPROGRESS";
  std::vector<std::string> posted;
  answer([&](const HttpRequest& r) -> common::Result<HttpResponse> {
    if (r.method == "POST" && r.target == "/v3/feeds?feedType=inventory") {
      posted.push_back(r.body);
      return jsonResponse(200, R"({"feedId":"F1@AQMB"})");
    }
    if (r.target.rfind("/v3/feeds/F1%40AQMB?includeDetails=true", 0) == 0) {
      if (feed_status != "PROCESSED") return jsonResponse(200, feedStatus(feed_status, nullptr, 4).dump());
      return jsonResponse(200, feedStatus("PROCESSED",
                                          json::array({item("A", "SUCCESS"), item("B", "DATA_ERROR", "ERR_X"), item("C", "SYSTEM_ERROR"),
                                                       item("ZZZ", "SUCCESS")}),
                                          4)
                                   .dump());
    }
    return jsonResponse(500, "{}");
  });
  auto r = conn_->pushQuantities({{"A", 1, std::nullopt, ""}, {"B", 2, std::nullopt, ""}, {"C", 3, std::nullopt, ""}, {"D", 4, std::nullopt, ""}});
  ASSERT_TRUE(r.ok()) << r.error().toString();
  ASSERT_EQ(posted.size(), 1u);
  EXPECT_NE(posted[0].find("name=\"file\""), std::string::npos) << "multipart part file";
  auto doc_at = posted[0].find("\r\n\r\n{") + 4;
  ASSERT_NE(doc_at, std::string::npos) << posted[0];
  json doc = json::parse(posted[0].substr(doc_at, posted[0].find("\r\n", doc_at) - doc_at));
  EXPECT_EQ(doc["InventoryHeader"]["version"], "1.4");
  EXPECT_EQ(doc["Inventory"].size(), 4u);
  for (const ItemResult& i : r->items) {
    EXPECT_EQ(i.outcome, ItemOutcome::kAccepted);
    EXPECT_EQ(i.submission_id, "F1@AQMB");
  }
  EXPECT_EQ(conn_->pendingFeeds(), 1u);

  auto none = conn_->collectAccepted();
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty()) << "INPROGRESS: nothing final yet";
  EXPECT_EQ(conn_->pendingFeeds(), 1u);

  feed_status = "PROCESSED";
  auto done = conn_->collectAccepted();
  ASSERT_TRUE(done.ok()) << done.error().toString();
  std::map<std::string, ItemResult> by;
  for (const ItemResult& i : *done) by[i.sku] = i;
  ASSERT_EQ(by.size(), 4u) << "ZZZ was not in the feed; D was not reported on";
  EXPECT_EQ(by["A"].outcome, ItemOutcome::kApplied);
  EXPECT_EQ(by["B"].outcome, ItemOutcome::kRejected) << "PROCESSED, but this item failed";
  EXPECT_EQ(by["B"].code, "ERR_X");
  EXPECT_EQ(by["B"].channel_quantity, 2) << "what was sent, for the dead letter";
  EXPECT_EQ(by["C"].outcome, ItemOutcome::kRetry);
  EXPECT_EQ(by["D"].outcome, ItemOutcome::kRetry);
  EXPECT_EQ(by["D"].code, "no_item_status");
  EXPECT_EQ(conn_->pendingFeeds(), 0u);
}

TEST_F(WalmartTest, FeedItemDetailsArePagedFiftyAtATime) {
  make(1);
  std::vector<QuantityUpdate> updates;
  for (int i = 0; i < 120; ++i) updates.push_back({"S" + std::to_string(i), i, std::nullopt, ""});
  std::vector<std::string> targets;
  answer([&](const HttpRequest& r) -> common::Result<HttpResponse> {
    if (r.method == "POST") return jsonResponse(200, R"({"feedId":"F2"})");
    targets.push_back(r.target);
    auto at = r.target.find("offset=");
    int offset = std::stoi(r.target.substr(at + 7));
    json items = json::array();
    for (int i = offset; i < std::min(120, offset + 50); ++i) items.push_back(item("S" + std::to_string(i), i == 77 ? "DATA_ERROR" : "SUCCESS", i == 77 ? "E77" : ""));
    return jsonResponse(200, feedStatus("PROCESSED", items, 120, offset).dump());
  });
  ASSERT_TRUE(conn_->pushQuantities(updates).ok());
  auto done = conn_->collectAccepted();
  ASSERT_TRUE(done.ok()) << done.error().toString();
  ASSERT_EQ(done->size(), 120u);
  EXPECT_EQ(targets, (std::vector<std::string>{"/v3/feeds/F2?includeDetails=true&offset=0&limit=50",
                                               "/v3/feeds/F2?includeDetails=true&offset=50&limit=50",
                                               "/v3/feeds/F2?includeDetails=true&offset=100&limit=50"}));
  int rejected = 0;
  for (const ItemResult& i : *done) rejected += i.outcome == ItemOutcome::kRejected;
  EXPECT_EQ(rejected, 1);
}

TEST_F(WalmartTest, AFeedThatEndsInErrorIsSentAgain) {
  answer([](const HttpRequest& r) -> common::Result<HttpResponse> {
    if (r.method == "POST") return jsonResponse(200, R"({"feedId":"F3"})");
    return jsonResponse(200, feedStatus("ERROR", nullptr, 0).dump());
  });
  ASSERT_TRUE(conn_->pushQuantities({{"A", 1, std::nullopt, ""}, {"B", 2, std::nullopt, ""}, {"C", 3, std::nullopt, ""}}).ok());
  auto done = conn_->collectAccepted();
  ASSERT_TRUE(done.ok());
  ASSERT_EQ(done->size(), 3u);
  for (const ItemResult& i : *done) EXPECT_EQ(i.outcome, ItemOutcome::kRetry);
}

TEST_F(WalmartTest, TheAllotmentIsLearnedFromTheHeadersAndA429WaitsForTheReplenishment) {
  int calls = 0;
  const int64_t t0 = clock_.nowMs();
  answer([&](const HttpRequest& r) -> common::Result<HttpResponse> {
    ++calls;
    // Two calls left, more in 30 s.
    std::string left = std::to_string(std::max(0, 2 - calls));
    return jsonResponse(200, json::parse(r.body).dump(),
                        {{"X-Current-Token-Count", left}, {"X-Next-Replenishment-Time", std::to_string(t0 + 30'000)}});
  });
  EXPECT_FALSE(conn_->apiState("updateInventory").known);
  ASSERT_TRUE(conn_->pushQuantities({{"A", 1, std::nullopt, ""}}).ok());
  EXPECT_TRUE(conn_->apiState("updateInventory").known);
  EXPECT_EQ(conn_->apiState("updateInventory").available, 1);
  EXPECT_EQ(conn_->msUntilReady(Operation::kPush, 1), 0);
  ASSERT_TRUE(conn_->pushQuantities({{"A", 2, std::nullopt, ""}}).ok());
  // Walmart said 0 left: no call until the replenishment time, and the others wait with it.
  EXPECT_EQ(conn_->msUntilReady(Operation::kPush, 1), 30'000);
  auto held = conn_->pushQuantities({{"A", 3, std::nullopt, ""}, {"B", 3, std::nullopt, ""}});
  ASSERT_TRUE(held.ok());
  EXPECT_EQ(held->items[0].outcome, ItemOutcome::kRetry);
  EXPECT_EQ(held->items[1].outcome, ItemOutcome::kRetry);
  EXPECT_EQ(held->items[1].retry_after_ms, 30'000);
  EXPECT_EQ(calls, 2) << "nothing sent while the allotment is used up";
  // Other APIs have their own allotments.
  EXPECT_EQ(conn_->msUntilReady(Operation::kRead, 1), 0);

  clock_.advanceMs(30'000);
  EXPECT_EQ(conn_->msUntilReady(Operation::kPush, 1), 0);
  // A 429: the API waits until the time it names.
  answer([&](const HttpRequest&) -> common::Result<HttpResponse> {
    return jsonResponse(429, R"({"errors":[{"code":"REQUEST_THRESHOLD_VIOLATED.GMP_GATEWAY_API","description":"Too many requests"}]})",
                        {{"X-Current-Token-Count", "0"}, {"X-Next-Replenishment-Time", std::to_string(clock_.nowMs() + 12'000)}});
  });
  auto throttled = conn_->pushQuantities({{"A", 4, std::nullopt, ""}, {"B", 4, std::nullopt, ""}});
  ASSERT_TRUE(throttled.ok());
  EXPECT_EQ(throttled->items[0].outcome, ItemOutcome::kRetry);
  EXPECT_EQ(throttled->items[0].code, "http_429");
  EXPECT_EQ(throttled->items[1].code, "rate_limited") << "the rest not sent after a 429";
  EXPECT_EQ(conn_->msUntilReady(Operation::kPush, 1), 12'000);
  EXPECT_EQ(conn_->apiState("updateInventory").throttled_count, 1);
  EXPECT_EQ(conn_->rateState().source, "X-Current-Token-Count / X-Next-Replenishment-Time");
  // A 429 without the headers backs off on its own (doubling), never "now".
  clock_.advanceMs(12'000);
  answer([](const HttpRequest&) { return common::Result<HttpResponse>(jsonResponse(429, "{}")); });
  ASSERT_TRUE(conn_->pushQuantities({{"A", 5, std::nullopt, ""}}).ok());
  EXPECT_GT(conn_->msUntilReady(Operation::kPush, 1), 0);
}

TEST(WalmartQuotaTest, ReplenishmentTimeIsReadInEveryFormWalmartMightSend) {
  EXPECT_EQ(parseReplenishmentTime("1700000060000"), 1700000060000);
  EXPECT_EQ(parseReplenishmentTime("1700000060"), 1700000060000);
  EXPECT_EQ(parseReplenishmentTime("2023-11-14T22:14:20Z"), 1700000060000);
  EXPECT_FALSE(parseReplenishmentTime(""));
  EXPECT_FALSE(parseReplenishmentTime("soon"));
  EXPECT_FALSE(parseReplenishmentTime("99999999999999999999"));
}

json ordersPage(std::vector<std::string> ids, const std::string& next) {
  json list = json::array();
  for (const std::string& id : ids) {
    json o = order(line("1", 1, st("Created", 1)));
    o["purchaseOrderId"] = id;
    list.push_back(o);
  }
  json meta = {{"totalCount", 3}, {"limit", 2}};
  if (!next.empty()) meta["nextCursor"] = next;
  return {{"list", {{"meta", meta}, {"elements", {{"order", list}}}}}};
}

TEST_F(WalmartTest, ReleasedOrdersArePagedByNextCursorAcknowledgedThenChangesArePolled) {
  std::vector<std::string> gets, acks;
  answer([&](const HttpRequest& r) -> common::Result<HttpResponse> {
    if (r.method == "POST") {
      acks.push_back(r.target);
      return jsonResponse(200, "{}");
    }
    gets.push_back(r.target);
    if (r.target.rfind("/v3/orders/released?createdStartDate=", 0) == 0) {
      return jsonResponse(200, ordersPage({"11", "12"}, "?limit=2&hasMoreElements=true&soIndex=3&poIndex=2&sellerId=8").dump());
    }
    if (r.target == "/v3/orders/released?limit=2&hasMoreElements=true&soIndex=3&poIndex=2&sellerId=8") {
      return jsonResponse(200, ordersPage({"13"}, "").dump());
    }
    if (r.target.rfind("/v3/orders?lastModifiedStartDate=", 0) == 0) {
      return jsonResponse(404, R"({"errors":[{"code":"CONTENT_NOT_FOUND.GMP_ORDER_API","description":"No orders found"}]})");
    }
    return jsonResponse(500, "{}");
  });
  OrderCursor c;
  c.updated_since = "2023-11-14T00:00:00.000Z";
  auto p1 = conn_->pollOrders(c);
  ASSERT_TRUE(p1.ok()) << p1.error().toString();
  ASSERT_EQ(p1->orders.size(), 2u);
  EXPECT_EQ(p1->next_page_token, "R?limit=2&hasMoreElements=true&soIndex=3&poIndex=2&sellerId=8");
  EXPECT_TRUE(acks.empty()) << "not while paging: an acknowledged order leaves the released list and shifts the pages";
  c.page_token = p1->next_page_token;
  auto p2 = conn_->pollOrders(c);
  ASSERT_TRUE(p2.ok()) << p2.error().toString();
  ASSERT_EQ(p2->orders.size(), 1u);
  EXPECT_EQ(p2->next_page_token, "M2023-11-14T00:00:00.000Z") << "released done: now what changed";
  c.page_token = p2->next_page_token;
  auto p3 = conn_->pollOrders(c);
  ASSERT_TRUE(p3.ok()) << p3.error().toString();
  EXPECT_TRUE(p3->orders.empty());
  EXPECT_TRUE(p3->next_page_token.empty());
  EXPECT_EQ(p3->next_updated_since, "2023-11-14T00:00:00.000Z");
  EXPECT_EQ(acks, (std::vector<std::string>{"/v3/orders/11/acknowledge", "/v3/orders/12/acknowledge", "/v3/orders/13/acknowledge"}));
  EXPECT_EQ(gets.at(2), "/v3/orders?lastModifiedStartDate=2023-11-14T00%3A00%3A00.000Z&limit=2");
}

TEST_F(WalmartTest, ShipmentAndCancelBodies) {
  std::vector<HttpRequest> posts;
  answer([&](const HttpRequest& r) -> common::Result<HttpResponse> {
    if (r.method == "GET") {
      json o = order(json::array({line("1", 3, json::array({st("Acknowledged", 2), st("Shipped", 1)})), line("2", 1, json::array({st("Shipped", 1)}))}));
      return jsonResponse(200, json{{"order", o}}.dump());
    }
    posts.push_back(r);
    return jsonResponse(200, json{{"order", order(line("1", 1, st("Shipped", 1)))}}.dump());
  });
  FulfilmentReport rep;
  rep.order_id = "1796000000007";
  rep.lines = {{"1", "SKU-1", 2}};
  rep.tracking_number = "1Z999";
  rep.carrier = "UPS";
  rep.shipped_at_ms = 1700000000000;
  auto shipped = conn_->reportFulfilment(rep);
  ASSERT_TRUE(shipped.ok()) << shipped.error().toString();
  json body = json::parse(posts.at(0).body);
  const json& st0 = body["orderShipment"]["orderLines"]["orderLine"][0]["orderLineStatuses"]["orderLineStatus"][0];
  EXPECT_EQ(st0["status"], "Shipped");
  EXPECT_EQ(st0["statusQuantity"]["amount"], "2") << "quantities are strings";
  EXPECT_EQ(st0["trackingInfo"]["carrierName"]["carrier"], "UPS");
  EXPECT_EQ(st0["trackingInfo"]["shipDateTime"], 1700000000000);
  EXPECT_EQ(st0["trackingInfo"]["trackingNumber"], "1Z999");

  auto cancelled = conn_->cancelOrder({"1796000000007", "no stock"});
  ASSERT_TRUE(cancelled.ok()) << cancelled.error().toString();
  json cb = json::parse(posts.at(1).body);
  const json& lines = cb["orderCancellation"]["orderLines"]["orderLine"];
  ASSERT_EQ(lines.size(), 1u) << "line 2 is all shipped";
  EXPECT_EQ(lines[0]["lineNumber"], "1");
  EXPECT_EQ(lines[0]["orderLineStatuses"]["orderLineStatus"][0]["statusQuantity"]["amount"], "2");
  EXPECT_EQ(lines[0]["orderLineStatuses"]["orderLineStatus"][0]["cancellationReason"], "SELLER_CANCEL_OUT_OF_STOCK");
}

TEST_F(WalmartTest, PricesAreBaseOrReducedWithTheRegularPriceToCompare) {
  make(10);  // three prices, below this connector's feed threshold: one PUT each
  std::vector<json> bodies;
  answer([&](const HttpRequest& r) -> common::Result<HttpResponse> {
    bodies.push_back(json::parse(r.body));
    return jsonResponse(200, R"({"ItemPriceResponse":{"mart":"WALMART_US","sku":"A","message":"Thank you."}})");
  });
  ChannelPrice base{"A", "USD", common::Decimal::parse("9.99").value(), std::nullopt, "", 0, 0};
  ChannelPrice sale{"B", "USD", common::Decimal::parse("20.00").value(), common::Decimal::parse("15.50").value(), "promo", 0, 0};
  ChannelPrice bad{"C", "", common::Decimal::parse("1.00").value(), std::nullopt, "", 0, 0};
  auto r = conn_->pushPrices({{base}, {sale}, {bad}});
  ASSERT_TRUE(r.ok()) << r.error().toString();
  EXPECT_EQ(r->items[0].outcome, ItemOutcome::kApplied);
  EXPECT_EQ(r->items[1].outcome, ItemOutcome::kApplied);
  EXPECT_EQ(r->items[2].outcome, ItemOutcome::kRejected);
  ASSERT_EQ(bodies.size(), 2u);
  EXPECT_EQ(bodies[0]["pricing"][0]["currentPriceType"], "BASE");
  EXPECT_DOUBLE_EQ(bodies[0]["pricing"][0]["currentPrice"]["amount"].get<double>(), 9.99);
  EXPECT_EQ(bodies[1]["pricing"][0]["currentPriceType"], "REDUCED");
  EXPECT_DOUBLE_EQ(bodies[1]["pricing"][0]["currentPrice"]["amount"].get<double>(), 15.5);
  EXPECT_DOUBLE_EQ(bodies[1]["pricing"][0]["comparisonPrice"]["amount"].get<double>(), 20.0);
}

// Issue 22: at or above the feed threshold prices go as one price feed (spec 1.7), followed to each
// item's result exactly as an inventory feed is, and only by collectAcceptedPrices(): a PROCESSED
// feed's failed item is refused (a dead letter), never applied.
TEST_F(WalmartTest, ManyPricesGoAsOnePriceFeedFollowedToEachItem) {
  std::string feed_status = "INPROGRESS";
  std::vector<std::string> posted;
  answer([&](const HttpRequest& r) -> common::Result<HttpResponse> {
    if (r.method == "POST" && r.target == "/v3/feeds?feedType=price") {
      posted.push_back(r.body);
      return jsonResponse(200, R"({"feedId":"P1@AQMB"})");
    }
    if (r.method == "POST" && r.target == "/v3/feeds?feedType=inventory") return jsonResponse(200, R"({"feedId":"F1@AQMB"})");
    if (r.target.rfind("/v3/feeds/P1%40AQMB?includeDetails=true", 0) == 0) {
      if (feed_status != "PROCESSED") return jsonResponse(200, feedStatus(feed_status, nullptr, 4).dump());
      return jsonResponse(200, feedStatus("PROCESSED",
                                          json::array({item("A", "SUCCESS"), item("B", "DATA_ERROR", "ERR_PRICE"), item("C", "TIMEOUT_ERROR")}),
                                          4)
                                   .dump());
    }
    if (r.target.rfind("/v3/feeds/F1%40AQMB", 0) == 0) return jsonResponse(200, feedStatus("INPROGRESS", nullptr, 3).dump());
    return jsonResponse(500, "{}");
  });
  auto price = [](const std::string& sku, const char* regular, std::optional<const char*> sale = std::nullopt) {
    ChannelPrice p{sku, "USD", common::Decimal::parse(regular).value(), std::nullopt, "", 0, 0};
    if (sale) p.sale = common::Decimal::parse(*sale).value();
    return PriceUpdate{p};
  };
  PriceUpdate bad_currency = price("E", "1.00");
  bad_currency.price.currency = "";
  auto r = conn_->pushPrices({price("A", "9.99"), price("B", "20.00", "15.50"), price("C", "3.00"), price("D", "4.00"), price("A", "8.00"),
                              bad_currency});
  ASSERT_TRUE(r.ok()) << r.error().toString();
  ASSERT_EQ(posted.size(), 1u) << "one feed, no PUT /v3/price";
  EXPECT_TRUE(apiRequests().size() == 1u) << "no single-item calls";
  EXPECT_NE(posted[0].find("name=\"file\""), std::string::npos) << "multipart part file";
  auto doc_at = posted[0].find("\r\n\r\n{") + 4;
  json doc = json::parse(posted[0].substr(doc_at, posted[0].find("\r\n", doc_at) - doc_at));
  EXPECT_EQ(doc["PriceHeader"]["version"], "1.7");
  ASSERT_EQ(doc["Price"].size(), 4u) << doc.dump();
  EXPECT_EQ(doc["Price"][0]["sku"], "A");
  EXPECT_EQ(doc["Price"][0]["pricing"][0]["currentPriceType"], "BASE");
  EXPECT_DOUBLE_EQ(doc["Price"][0]["pricing"][0]["currentPrice"]["amount"].get<double>(), 9.99);
  EXPECT_EQ(doc["Price"][1]["pricing"][0]["currentPriceType"], "REDUCED");
  EXPECT_DOUBLE_EQ(doc["Price"][1]["pricing"][0]["currentPrice"]["amount"].get<double>(), 15.5);
  EXPECT_DOUBLE_EQ(doc["Price"][1]["pricing"][0]["comparisonPrice"]["amount"].get<double>(), 20.0);
  EXPECT_EQ(doc["Price"][1]["pricing"][0]["comparisonPriceType"], "BASE");
  for (size_t i = 0; i < 4; ++i) {
    EXPECT_EQ(r->items[i].outcome, ItemOutcome::kAccepted) << i;
    EXPECT_EQ(r->items[i].submission_id, "P1@AQMB");
    EXPECT_TRUE(r->items[i].reported_later);
  }
  EXPECT_EQ(r->items[4].outcome, ItemOutcome::kRejected);
  EXPECT_EQ(r->items[4].code, "duplicate_sku");
  EXPECT_EQ(r->items[5].outcome, ItemOutcome::kRejected);
  EXPECT_EQ(r->items[5].code, "bad_currency");

  // An inventory feed at the same time: each kind is followed only by its own call.
  ASSERT_TRUE(conn_->pushQuantities({{"A", 1, std::nullopt, ""}, {"B", 2, std::nullopt, ""}, {"C", 3, std::nullopt, ""}}).ok());
  EXPECT_EQ(conn_->pendingFeeds(), 2u);
  auto quantities = conn_->collectAccepted();
  ASSERT_TRUE(quantities.ok());
  EXPECT_TRUE(quantities->empty());
  for (const HttpRequest& q : apiRequests()) EXPECT_EQ(q.target.find("/v3/feeds/P1"), std::string::npos) << q.target;
  auto waiting = conn_->collectAcceptedPrices();
  ASSERT_TRUE(waiting.ok());
  EXPECT_TRUE(waiting->empty()) << "INPROGRESS: nothing final yet";

  feed_status = "PROCESSED";
  auto done = conn_->collectAcceptedPrices();
  ASSERT_TRUE(done.ok()) << done.error().toString();
  std::map<std::string, ItemResult> by;
  for (const ItemResult& i : *done) by[i.sku] = i;
  ASSERT_EQ(by.size(), 4u);
  EXPECT_EQ(by["A"].outcome, ItemOutcome::kApplied);
  EXPECT_EQ(by["B"].outcome, ItemOutcome::kRejected) << "PROCESSED, but this item failed";
  EXPECT_EQ(by["B"].code, "ERR_PRICE");
  EXPECT_FALSE(by["B"].channel_quantity) << "a price is not a quantity";
  EXPECT_EQ(by["C"].outcome, ItemOutcome::kRetry);
  EXPECT_EQ(by["D"].outcome, ItemOutcome::kRetry);
  EXPECT_EQ(by["D"].code, "no_item_status");
  for (const auto& [sku, i] : by) EXPECT_EQ(i.submission_id, "P1@AQMB") << sku;
  EXPECT_EQ(conn_->pendingFeeds(), 1u) << "the inventory feed is still followed";
}

TEST_F(WalmartTest, FewPricesStayOnePutEachAndAFailedPriceFeedPostFailsTheCall) {
  int puts = 0;
  answer([&](const HttpRequest& r) -> common::Result<HttpResponse> {
    if (r.method == "PUT" && r.target == "/v3/price") {
      ++puts;
      return jsonResponse(200, R"({"ItemPriceResponse":{"mart":"WALMART_US","message":"Thank you."}})");
    }
    if (r.method == "POST") return jsonResponse(429, R"({"errors":[{"code":"REQUEST_THRESHOLD_VIOLATED.GMP_GATEWAY_API"}]})");
    return jsonResponse(500, "{}");
  });
  ChannelPrice p{"A", "USD", common::Decimal::parse("1.00").value(), std::nullopt, "", 0, 0};
  ChannelPrice q = p;
  q.sku = "B";
  auto few = conn_->pushPrices({{p}, {q}});
  ASSERT_TRUE(few.ok()) << few.error().toString();
  EXPECT_EQ(puts, 2) << "below the threshold of 3";
  EXPECT_EQ(few->items[0].outcome, ItemOutcome::kApplied);
  EXPECT_FALSE(few->items[0].reported_later);
  ChannelPrice c = p;
  c.sku = "C";
  auto many = conn_->pushPrices({{p}, {q}, {c}});
  ASSERT_FALSE(many.ok()) << "the feed as a whole was throttled";
  EXPECT_EQ(many.error().kind, common::ErrorKind::kRetry);
  EXPECT_EQ(conn_->pendingFeeds(), 0u);
  EXPECT_GT(conn_->apiState("priceFeeds").blocked_until_ms, 0) << "its own allotment";
  EXPECT_EQ(conn_->apiState("feeds").blocked_until_ms, 0) << "inventory feeds are not held back";
}

TEST(WalmartFactory, ConfigNeedsBothCredentialsAndRefusesUnknownKeys) {
  common::ManualClock clock;
  auto env = [](const std::string& name) -> std::optional<std::string> {
    if (name == "SW_WALMART_CLIENT_ID") return std::string("id");
    if (name == "SW_WALMART_CLIENT_SECRET") return std::string("secret");
    return std::nullopt;
  };
  auto ok = makeConnector(json{{"channel", "walmart"}, {"base_url", "http://127.0.0.1:1"}, {"feed_threshold", 50}}, clock, env);
  ASSERT_TRUE(ok.ok()) << ok.error().toString();
  EXPECT_EQ((*ok)->kind(), ChannelKind::kWalmart);
  auto none = makeConnector(json{{"channel", "walmart"}, {"base_url", "http://127.0.0.1:1"}}, clock,
                            [](const std::string&) { return std::optional<std::string>(); });
  ASSERT_FALSE(none.ok());
  EXPECT_EQ(none.error().code, "no_credentials");
  auto typo = makeConnector(json{{"channel", "walmart"}, {"base_url", "http://127.0.0.1:1"}, {"feed_treshold", 5}}, clock, env);
  ASSERT_FALSE(typo.ok());
  EXPECT_EQ(typo.error().code, "bad_config");
}

}  // namespace
}  // namespace sw::coordinator::channels
