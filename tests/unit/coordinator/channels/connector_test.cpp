// Connector logic against scripted HTTP answers: what each channel's answers mean per item, and
// rate limits learned from the answers. The real simulators are exercised in the integration tests.

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "fake_http_client.h"
#include "json_read.h"
#include "sw/common/clock.h"
#include "sw/coordinator/channels/amazon_connector.h"
#include "sw/coordinator/channels/connector_factory.h"
#include "sw/coordinator/channels/ebay_connector.h"
#include "sw/coordinator/channels/shopify_connector.h"
#include "sw/coordinator/channels/woocommerce_connector.h"

namespace sw::coordinator::channels {
namespace {

using nlohmann::json;

json cost(double available, double maximum = 1000, double restore = 50, int requested = 10) {
  return {{"cost",
           {{"requestedQueryCost", requested},
            {"actualQueryCost", requested},
            {"throttleStatus", {{"maximumAvailable", maximum}, {"currentlyAvailable", available}, {"restoreRate", restore}}}}}};
}

class ShopifyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ShopifyConfig c;
    c.access_token = "tok";
    c.location_id = "gid://shopify/Location/98765432109876543";
    auto conn = ShopifyConnector::create(c, std::make_unique<FakeHttpClient>(http_), clock_);
    ASSERT_TRUE(conn.ok());
    conn_ = std::move(*conn);
  }
  // Answers inventoryItems lookups for the SKUs in the query, and mutations with `mutation`.
  void answer(std::function<json(const json& vars, const std::string& query)> mutation) {
    http_->handler = [mutation](const HttpRequest& r) -> common::Result<HttpResponse> {
      json body = json::parse(r.body);
      std::string q = body["query"];
      if (q.find("inventoryItems") != std::string::npos) {
        json nodes = json::array();
        int n = 0;
        for (const char* sku : {"A", "B", "C"}) {
          if (body["variables"]["query"].get<std::string>().find(std::string("\"") + sku + "\"") == std::string::npos) continue;
          nodes.push_back({{"id", "gid://shopify/InventoryItem/4484603712345678" + std::to_string(++n)},
                           {"sku", sku},
                           {"inventoryLevel", {{"quantities", json::array({{{"name", "available"}, {"quantity", 5}}})}}}});
        }
        return jsonResponse(200, json{{"data", {{"inventoryItems", {{"nodes", nodes}}}}}, {"extensions", cost(990)}}.dump());
      }
      return jsonResponse(200, mutation(body["variables"], q).dump());
    };
  }
  common::ManualClock clock_;
  std::shared_ptr<FakeHttp> http_ = std::make_shared<FakeHttp>();
  std::unique_ptr<ShopifyConnector> conn_;
};

json applied() {
  return {{"data", {{"inventorySetQuantities", {{"inventoryAdjustmentGroup", {{"reason", "correction"}}}, {"userErrors", json::array()}}}}},
          {"extensions", cost(980)}};
}

TEST_F(ShopifyTest, PushSendsCompareAndSetWithAnIdempotencyKeyAndLearnsTheBucket) {
  std::vector<json> inputs;
  std::vector<std::string> queries;
  answer([&](const json& vars, const std::string& q) {
    inputs.push_back(vars["input"]);
    queries.push_back(q);
    return applied();
  });
  EXPECT_FALSE(conn_->rateState().known);
  auto r = conn_->pushQuantities({{"A", 7, 5, "key-a-7"}});
  ASSERT_TRUE(r.ok()) << r.error().toString();
  ASSERT_EQ(r->items.size(), 1u);
  EXPECT_EQ(r->items[0].outcome, ItemOutcome::kApplied);
  ASSERT_EQ(inputs.size(), 1u);
  const json& q = inputs[0]["quantities"][0];
  EXPECT_EQ(q["quantity"], 7);
  EXPECT_EQ(q["changeFromQuantity"], 5);
  EXPECT_EQ(q["inventoryItemId"], "gid://shopify/InventoryItem/44846037123456781");
  EXPECT_NE(queries[0].find("@idempotent(key: \"key-a-7\")"), std::string::npos);
  EXPECT_EQ(http_->requests[0].target, "/admin/api/2026-04/graphql.json");
  EXPECT_EQ(requestHeader(http_->requests[0], "X-Shopify-Access-Token"), "tok");
  RateState s = conn_->rateState();
  EXPECT_TRUE(s.known);
  EXPECT_EQ(s.capacity, 1000);
  EXPECT_EQ(s.refill_per_sec, 50);
  // Without an expectation the field is still sent, as an explicit null (2026-04 requires it).
  ASSERT_TRUE(conn_->pushQuantities({{"A", 3, std::nullopt, "key-a-3"}}).ok());
  EXPECT_TRUE(inputs[1]["quantities"][0].contains("changeFromQuantity"));
  EXPECT_TRUE(inputs[1]["quantities"][0]["changeFromQuantity"].is_null());
}

TEST_F(ShopifyTest, ThrottledOnHttp200IsARetryAndTheBucketSaysHowLong) {
  answer([](const json&, const std::string&) {
    return json{{"errors", json::array({{{"message", "Throttled"}, {"extensions", {{"code", "THROTTLED"}}}}})},
                {"extensions", cost(4, 1000, 50, 10)}};
  });
  auto r = conn_->pushQuantities({{"A", 7, std::nullopt, "k"}});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, common::ErrorKind::kRetry);
  EXPECT_EQ(r.error().code, "throttled");
  EXPECT_EQ(conn_->msUntilReady(Operation::kPush), 120);  // 6 points at 50/s
  EXPECT_EQ(conn_->rateState().throttled_count, 1);
  clock_.advanceMs(120);
  EXPECT_EQ(conn_->msUntilReady(Operation::kPush), 0);
}

TEST_F(ShopifyTest, StaleItemFailsAloneAndTheOthersAreSentAgainOnTheirOwn) {
  std::vector<json> inputs;
  std::vector<std::string> keys;
  answer([&](const json& vars, const std::string& q) {
    inputs.push_back(vars["input"]);
    auto p = q.find("key: \"");
    keys.push_back(q.substr(p + 6, 36));
    if (inputs.size() == 1) {
      return json{{"data",
                   {{"inventorySetQuantities",
                     {{"inventoryAdjustmentGroup", nullptr},
                      {"userErrors", json::array({{{"code", "CHANGE_FROM_QUANTITY_STALE"},
                                                   {"field", json::array({"input", "quantities", "1", "changeFromQuantity"})},
                                                   {"message", "stale"}}})}}}}},
                  {"extensions", cost(990)}};
    }
    return applied();
  });
  auto r = conn_->pushQuantities({{"A", 1, 5, "ka"}, {"B", 2, 9, "kb"}, {"C", 3, 5, "kc"}});
  ASSERT_TRUE(r.ok()) << r.error().toString();
  EXPECT_EQ(r->items[0].outcome, ItemOutcome::kApplied);
  EXPECT_EQ(r->items[1].outcome, ItemOutcome::kStale);
  EXPECT_EQ(r->items[1].code, "CHANGE_FROM_QUANTITY_STALE");
  EXPECT_EQ(r->items[2].outcome, ItemOutcome::kApplied);
  ASSERT_EQ(inputs.size(), 2u);
  EXPECT_EQ(inputs[1]["quantities"].size(), 2u);
  EXPECT_NE(keys[0], keys[1]);
}

TEST_F(ShopifyTest, SameBatchGetsTheSameKeyOnRetry) {
  std::vector<std::string> queries;
  answer([&](const json&, const std::string& q) {
    queries.push_back(q);
    return applied();
  });
  std::vector<QuantityUpdate> batch = {{"A", 1, 5, "ka"}, {"B", 2, 5, "kb"}};
  ASSERT_TRUE(conn_->pushQuantities(batch).ok());
  ASSERT_TRUE(conn_->pushQuantities(batch).ok());
  ASSERT_EQ(queries.size(), 2u);
  EXPECT_EQ(queries[0], queries[1]);
}

TEST_F(ShopifyTest, UnknownSkuIsNotListedWithoutAMutationAndAuthFailureIsFatal) {
  int mutations = 0;
  answer([&](const json&, const std::string&) {
    ++mutations;
    return applied();
  });
  auto r = conn_->pushQuantities({{"ZZZ", 1, std::nullopt, "k"}});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->items[0].outcome, ItemOutcome::kNotListed);  // no inventory item: not listed, no dead letter
  EXPECT_EQ(r->items[0].code, "unknown_sku");
  EXPECT_EQ(mutations, 0);
  http_->handler = [](const HttpRequest&) -> common::Result<HttpResponse> {
    return jsonResponse(401, R"j({"errors":"[API] Invalid API key or access token (unrecognized login or wrong password)"})j");
  };
  auto denied = conn_->pushQuantities({{"A", 1, std::nullopt, "k"}});
  ASSERT_FALSE(denied.ok());
  EXPECT_EQ(denied.error().kind, common::ErrorKind::kFatal);
  http_->handler = [](const HttpRequest&) -> common::Result<HttpResponse> { return jsonResponse(200, "<html>oops"); };
  auto garbled = conn_->readQuantities({"A"});
  ASSERT_FALSE(garbled.ok());
  EXPECT_EQ(garbled.error().code, "bad_response");
  EXPECT_EQ(garbled.error().kind, common::ErrorKind::kRetry);
}

TEST_F(ShopifyTest, ReadQuantitiesReportsFoundAndMissing) {
  answer([](const json&, const std::string&) { return applied(); });
  auto r = conn_->readQuantities({"A", "NOPE"});
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->size(), 2u);
  EXPECT_TRUE((*r)[0].found);
  EXPECT_EQ((*r)[0].quantity, 5);
  EXPECT_FALSE((*r)[1].found);
}

// --- Amazon ---

class AmazonTest : public ::testing::Test {
 protected:
  void make(size_t feed_threshold = 50) {
    AmazonConfig c;
    c.access_token = "atok";
    c.seller_id = "SELLER1";
    c.feed_threshold = feed_threshold;
    auto conn = AmazonConnector::create(c, std::make_unique<FakeHttpClient>(http_), clock_);
    ASSERT_TRUE(conn.ok());
    conn_ = std::move(*conn);
  }
  common::ManualClock clock_;
  std::shared_ptr<FakeHttp> http_ = std::make_shared<FakeHttp>();
  std::unique_ptr<AmazonConnector> conn_;
};

TEST_F(AmazonTest, PatchIsAcceptedNotAppliedAndTheBucketGatesTheRest) {
  make();
  http_->handler = [](const HttpRequest& r) -> common::Result<HttpResponse> {
    json body = json::parse(r.body);
    EXPECT_EQ(body["patches"][0]["path"], "/attributes/fulfillment_availability");
    return jsonResponse(200, R"({"sku":"x","status":"ACCEPTED","submissionId":"f1dc2914","issues":[]})",
                        {{"x-amzn-RateLimit-Limit", "10.0"}, {"x-amzn-RequestId", "r1"}});
  };
  std::vector<QuantityUpdate> updates;
  for (int i = 0; i < 7; ++i) updates.push_back({"SKU/" + std::to_string(i), i, std::nullopt, ""});
  auto r = conn_->pushQuantities(updates);
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(http_->requests.size(), 5u);  // burst 5
  EXPECT_EQ(http_->requests[0].method, "PATCH");
  EXPECT_EQ(http_->requests[0].target, "/listings/2021-08-01/items/SELLER1/SKU%2F0?marketplaceIds=ATVPDKIKX0DER&issueLocale=en_US");
  EXPECT_EQ(requestHeader(http_->requests[0], "x-amz-access-token"), "atok");
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(r->items[static_cast<size_t>(i)].outcome, ItemOutcome::kAccepted);
    EXPECT_EQ(r->items[static_cast<size_t>(i)].submission_id, "f1dc2914");
  }
  EXPECT_EQ(r->items[5].outcome, ItemOutcome::kRetry);
  EXPECT_EQ(r->items[5].code, "rate_limited");
  EXPECT_EQ(r->items[5].retry_after_ms, 100);  // the learned 10/s, not the published 5/s
  EXPECT_EQ(conn_->rateState().refill_per_sec, 10);
  EXPECT_EQ(conn_->rateState().source, "x-amzn-RateLimit-Limit");
}

TEST_F(AmazonTest, QuotaExceededAndInvalidAreReadPerItem) {
  make();
  int n = 0;
  http_->handler = [&](const HttpRequest&) -> common::Result<HttpResponse> {
    if (++n == 1) {
      return jsonResponse(200, R"({"sku":"A","status":"INVALID","submissionId":"s","issues":[{"code":"90000900","message":"The attributes are invalid.","severity":"ERROR","categories":["INVALID_ATTRIBUTE"]}]})");
    }
    return jsonResponse(429, R"({"errors":[{"code":"QuotaExceeded","message":"You exceeded your quota for the requested resource.","details":""}]})");
  };
  auto r = conn_->pushQuantities({{"A", 1, std::nullopt, ""}, {"B", 1, std::nullopt, ""}, {"C", 1, std::nullopt, ""}});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->items[0].outcome, ItemOutcome::kRejected);
  EXPECT_EQ(r->items[0].code, "90000900");
  EXPECT_EQ(r->items[1].outcome, ItemOutcome::kRetry);
  EXPECT_EQ(r->items[1].code, "QuotaExceeded");
  EXPECT_EQ(r->items[2].outcome, ItemOutcome::kRetry);
  EXPECT_EQ(http_->requests.size(), 2u);  // C was not sent after the 429
  EXPECT_EQ(conn_->rateState().throttled_count, 1);
}

TEST_F(AmazonTest, APatchForASkuWithoutAListingIsNotListed) {
  make();
  int n = 0;
  http_->handler = [&](const HttpRequest&) -> common::Result<HttpResponse> {
    if (++n == 1) {
      return jsonResponse(200, R"({"sku":"A","status":"INVALID","submissionId":"s","issues":[{"code":"4000001","message":"The SKU 'A' does not exist for this seller in marketplace ATVPDKIKX0DER.","severity":"ERROR"}]})");
    }
    return jsonResponse(404, R"({"errors":[{"code":"NOT_FOUND","message":"SKU 'B' not found","details":""}]})");
  };
  auto r = conn_->pushQuantities({{"A", 1, std::nullopt, ""}, {"B", 1, std::nullopt, ""}});
  ASSERT_TRUE(r.ok()) << r.error().toString();
  EXPECT_EQ(r->items[0].outcome, ItemOutcome::kNotListed);
  EXPECT_EQ(r->items[0].code, "4000001");
  EXPECT_EQ(r->items[1].outcome, ItemOutcome::kNotListed);
}

TEST_F(AmazonTest, FeedLifecycleUploadsWithoutTheTokenAndReadsTheReport) {
  make(2);
  http_->handler = [](const HttpRequest& r) -> common::Result<HttpResponse> {
    if (r.target == "/feeds/2021-06-30/documents") {
      return jsonResponse(201, R"({"feedDocumentId":"doc-1","url":"http://s3.test/feed-documents/doc-1?X-Amz-Signature=abc"})");
    }
    if (r.method == "PUT") return jsonResponse(200, "");
    if (r.target == "/feeds/2021-06-30/feeds") return jsonResponse(202, R"({"feedId":"50001"})");
    if (r.target == "/feeds/2021-06-30/feeds/50001") {
      return jsonResponse(200, R"({"feedId":"50001","feedType":"JSON_LISTINGS_FEED","createdTime":"2024-01-01T00:00:00Z","processingStatus":"DONE","resultFeedDocumentId":"res-1"})");
    }
    if (r.target == "/feeds/2021-06-30/documents/res-1") return jsonResponse(200, R"({"feedDocumentId":"res-1","url":"http://s3.test/result/res-1"})");
    if (r.target == "http://s3.test/result/res-1") {
      return jsonResponse(200, R"({"header":{"sellerId":"SELLER1","version":"2.0","feedId":"50001"},"issues":[{"messageId":2,"sku":"B","code":"4000001","severity":"ERROR","message":"The SKU does not exist."},{"messageId":1,"sku":"A","code":"18448","severity":"WARNING","message":"fine"}],"summary":{"errors":1,"warnings":1,"messagesProcessed":2,"messagesAccepted":1,"messagesInvalid":1}})");
    }
    return jsonResponse(404, "{}");
  };
  auto r = conn_->pushQuantities({{"A", 4, std::nullopt, ""}, {"B", 6, std::nullopt, ""}});
  ASSERT_TRUE(r.ok()) << r.error().toString();
  EXPECT_EQ(r->items[0].outcome, ItemOutcome::kAccepted);
  EXPECT_EQ(r->items[0].submission_id, "50001");
  ASSERT_EQ(http_->requests.size(), 3u);
  const HttpRequest& put = http_->requests[1];
  EXPECT_EQ(put.target, "http://s3.test/feed-documents/doc-1?X-Amz-Signature=abc");
  EXPECT_EQ(put.content_type, "application/json; charset=UTF-8");
  EXPECT_TRUE(requestHeader(put, "x-amz-access-token").empty());
  json doc = json::parse(put.body);
  EXPECT_EQ(doc["header"]["sellerId"], "SELLER1");
  EXPECT_EQ(doc["messages"][1]["messageId"], 2);
  EXPECT_EQ(doc["messages"][1]["operationType"], "PATCH");
  EXPECT_EQ(doc["messages"][1]["patches"][0]["value"][0]["quantity"], 6);
  EXPECT_EQ(conn_->pendingFeeds(), 1u);
  auto done = conn_->collectAccepted();
  ASSERT_TRUE(done.ok()) << done.error().toString();
  ASSERT_EQ(done->size(), 2u);
  EXPECT_EQ((*done)[0].outcome, ItemOutcome::kApplied);
  EXPECT_EQ((*done)[1].outcome, ItemOutcome::kNotListed);  // "SKU does not exist": not listed
  EXPECT_EQ((*done)[1].code, "4000001");
  EXPECT_EQ(conn_->pendingFeeds(), 0u);
}

// --- eBay ---

class EbayTest : public ::testing::Test {
 protected:
  void SetUp() override {
    EbayConfig c;
    c.access_token = "etok";
    auto conn = EbayConnector::create(c, std::make_unique<FakeHttpClient>(http_), clock_);
    ASSERT_TRUE(conn.ok());
    conn_ = std::move(*conn);
  }
  common::ManualClock clock_{86'400'000LL * 20000 + 3'600'000};
  std::shared_ptr<FakeHttp> http_ = std::make_shared<FakeHttp>();
  std::unique_ptr<EbayConnector> conn_;
};

common::Result<HttpResponse> offersFor(const HttpRequest& r) {
  auto p = r.target.find("sku=");
  std::string sku = r.target.substr(p + 4, r.target.find('&', p) - p - 4);
  return jsonResponse(200, json{{"offers", json::array({{{"offerId", "off-" + sku}, {"availableQuantity", 1}, {"status", "PUBLISHED"}}})}}.dump());
}

TEST_F(EbayTest, MultiStatusIsReadEntryByEntry) {
  json sent;
  http_->handler = [&](const HttpRequest& r) -> common::Result<HttpResponse> {
    if (r.method == "GET") return offersFor(r);
    sent = json::parse(r.body);
    return jsonResponse(207, R"({"responses":[
      {"offerId":"off-A","sku":"A","statusCode":200},
      {"offerId":"off-B","sku":"B","statusCode":400,"errors":[{"errorId":25004,"domain":"API_INVENTORY","category":"REQUEST","message":"Invalid quantity."}]},
      {"offerId":"off-C","sku":"C","statusCode":500,"errors":[{"errorId":25001,"domain":"API_INVENTORY","category":"APPLICATION","message":"A system error has occurred."}]},
      {"sku":"D","statusCode":404,"errors":[{"errorId":25702,"domain":"API_INVENTORY","category":"REQUEST","message":"D could not be found or is not available in the system."}]}]})");
  };
  auto r = conn_->pushQuantities({{"A", 3, std::nullopt, ""}, {"B", 4, std::nullopt, ""}, {"C", 5, std::nullopt, ""},
                                  {"D", 6, std::nullopt, ""}});
  ASSERT_TRUE(r.ok()) << r.error().toString();
  EXPECT_EQ(r->items[0].outcome, ItemOutcome::kApplied);
  EXPECT_EQ(r->items[1].outcome, ItemOutcome::kRejected);
  EXPECT_EQ(r->items[1].code, "25004");
  EXPECT_EQ(r->items[2].outcome, ItemOutcome::kRetry);
  EXPECT_EQ(r->items[3].outcome, ItemOutcome::kNotListed);  // 25702: no such inventory item
  EXPECT_EQ(r->items[3].code, "25702");
  // Both quantities are set: the listing shows the smaller one.
  EXPECT_EQ(sent["requests"][0]["shipToLocationAvailability"]["quantity"], 3);
  EXPECT_EQ(sent["requests"][0]["offers"][0]["availableQuantity"], 3);
  EXPECT_EQ(sent["requests"][0]["offers"][0]["offerId"], "off-A");
}

TEST_F(EbayTest, RevisionLimitWaitsForUtcMidnightWithoutCallingAgain) {
  int posts = 0;
  http_->handler = [&](const HttpRequest& r) -> common::Result<HttpResponse> {
    if (r.method == "GET") return offersFor(r);
    ++posts;
    return jsonResponse(207, R"({"responses":[{"offerId":"off-A","sku":"A","statusCode":400,"errors":[{"errorId":25019,"domain":"API_INVENTORY","category":"REQUEST","message":"Cannot revise listing. This listing has already been revised 250 times today."}]}]})");
  };
  auto r = conn_->pushQuantities({{"A", 3, std::nullopt, ""}});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->items[0].outcome, ItemOutcome::kRetry);
  EXPECT_EQ(r->items[0].retry_after_ms, 23 * 3'600'000);
  auto again = conn_->pushQuantities({{"A", 2, std::nullopt, ""}});
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->items[0].code, "revision_budget");
  EXPECT_EQ(posts, 1);
  clock_.advanceMs(23 * 3'600'000);
  ASSERT_TRUE(conn_->pushQuantities({{"A", 2, std::nullopt, ""}}).ok());
  EXPECT_EQ(posts, 2);
}

TEST_F(EbayTest, CallLimit429BlocksUntilTheBackoffPasses) {
  http_->handler = [](const HttpRequest&) -> common::Result<HttpResponse> {
    return jsonResponse(429, R"({"errors":[{"errorId":2001,"domain":"ACCESS","category":"REQUEST","message":"Too many requests."}]})");
  };
  auto r = conn_->pushQuantities({{"A", 3, std::nullopt, ""}});
  ASSERT_TRUE(r.ok());  // getOffers failed: the item waits
  EXPECT_EQ(r->items[0].outcome, ItemOutcome::kRetry);
  EXPECT_GT(conn_->msUntilReady(Operation::kPush), 0);
  size_t calls = http_->requests.size();
  auto blocked = conn_->readQuantities({"A"});
  ASSERT_FALSE(blocked.ok());
  EXPECT_EQ(blocked.error().code, "quota_backoff");
  EXPECT_EQ(http_->requests.size(), calls);
  EXPECT_EQ(conn_->rateState().throttled_count, 1);
}

TEST_F(EbayTest, OrdersFilterIsPercentEncoded) {
  http_->handler = [](const HttpRequest&) -> common::Result<HttpResponse> {
    return jsonResponse(200, R"({"total":0,"limit":50,"offset":0,"orders":[]})");
  };
  auto page = conn_->pollOrders({"2024-05-15T08:25:43.511Z", ""});
  ASSERT_TRUE(page.ok()) << page.error().toString();
  const std::string& t = http_->requests[0].target;
  EXPECT_EQ(t.find('['), std::string::npos);
  EXPECT_NE(t.find("filter=lastmodifieddate%3A%5B"), std::string::npos) << t;
}

// --- WooCommerce ---

class WooTest : public ::testing::Test {
 protected:
  void SetUp() override {
    WooCommerceConfig c;
    c.consumer_key = "ck";
    c.consumer_secret = "cs";
    auto conn = WooCommerceConnector::create(c, std::make_unique<FakeHttpClient>(http_), clock_);
    ASSERT_TRUE(conn.ok());
    conn_ = std::move(*conn);
  }
  common::ManualClock clock_;
  std::shared_ptr<FakeHttp> http_ = std::make_shared<FakeHttp>();
  std::unique_ptr<WooCommerceConnector> conn_;
};

common::Result<HttpResponse> products(const HttpRequest&) {
  json list = json::array();
  for (int i = 0; i < 6; ++i) {
    list.push_back({{"id", 790 + i}, {"sku", "S" + std::to_string(i)}, {"manage_stock", true}, {"stock_quantity", 1}});
  }
  return jsonResponse(200, list.dump());
}

TEST_F(WooTest, TooLargeTeachesTheBatchLimit) {
  http_->handler = [](const HttpRequest& r) -> common::Result<HttpResponse> {
    if (r.method == "GET") return products(r);
    return jsonResponse(413, R"({"code":"woocommerce_rest_request_entity_too_large","message":"Unable to accept more than 4 items for this request.","data":{"status":413}})");
  };
  EXPECT_EQ(conn_->maxBatch(), 100u);
  std::vector<QuantityUpdate> six;
  for (int i = 0; i < 6; ++i) six.push_back({"S" + std::to_string(i), 2, std::nullopt, ""});
  auto r = conn_->pushQuantities(six);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, "batch_too_large");
  EXPECT_EQ(r.error().kind, common::ErrorKind::kRetry);
  EXPECT_EQ(conn_->maxBatch(), 4u);
  auto local = conn_->pushQuantities(six);
  ASSERT_FALSE(local.ok());
  EXPECT_EQ(local.error().kind, common::ErrorKind::kReject);
}

TEST_F(WooTest, PerItemErrorsInsideHttp200) {
  json sent;
  http_->handler = [&](const HttpRequest& r) -> common::Result<HttpResponse> {
    if (r.method == "GET") return products(r);
    EXPECT_EQ(requestHeader(r, "Authorization"), "Basic Y2s6Y3M=");
    sent = json::parse(r.body);
    return jsonResponse(200, R"({"update":[
      {"id":790,"sku":"S0","manage_stock":true,"stock_quantity":5},
      {"id":791,"error":{"code":"woocommerce_rest_product_invalid_id","message":"Invalid ID.","data":{"status":400}}},
      {"id":792,"sku":"S2","manage_stock":false,"stock_quantity":null}]})");
  };
  auto r = conn_->pushQuantities({{"S0", 5, std::nullopt, ""}, {"S1", 6, std::nullopt, ""}, {"S2", 7, std::nullopt, ""}, {"NOPE", 1, std::nullopt, ""}});
  ASSERT_TRUE(r.ok()) << r.error().toString();
  EXPECT_EQ(r->items[0].outcome, ItemOutcome::kApplied);
  EXPECT_EQ(r->items[1].outcome, ItemOutcome::kNotListed);  // the product was deleted
  EXPECT_EQ(r->items[1].code, "woocommerce_rest_product_invalid_id");
  EXPECT_EQ(r->items[2].outcome, ItemOutcome::kRejected);
  EXPECT_EQ(r->items[2].code, "stock_not_managed");
  EXPECT_EQ(r->items[3].outcome, ItemOutcome::kNotListed);  // GET products?sku= found none
  EXPECT_EQ(r->items[3].code, "unknown_sku");
  EXPECT_EQ(sent["update"][0]["manage_stock"], true);
  EXPECT_EQ(sent["update"].size(), 3u);
}

// --- factory and helpers ---

TEST(ConnectorFactory, CredentialsComeFromTheEnvironmentAndTyposAreErrors) {
  common::ManualClock clock;
  std::map<std::string, std::string> env = {{"SW_SHOPIFY_ACCESS_TOKEN", "t"}, {"MY_TOKEN", "m"}};
  EnvLookup lookup = [&](const std::string& k) -> std::optional<std::string> {
    auto it = env.find(k);
    return it == env.end() ? std::nullopt : std::optional<std::string>(it->second);
  };
  json shop = {{"channel", "shopify"}, {"base_url", "http://127.0.0.1:1"}, {"location_id", "gid://shopify/Location/1"}};
  auto c = makeConnector(shop, clock, lookup);
  ASSERT_TRUE(c.ok()) << c.error().toString();
  EXPECT_EQ((*c)->kind(), ChannelKind::kShopify);
  shop["access_token_env"] = "MY_TOKEN";
  EXPECT_TRUE(makeConnector(shop, clock, lookup).ok());
  shop["acces_token"] = "typo";
  auto typo = makeConnector(shop, clock, lookup);
  ASSERT_FALSE(typo.ok());
  EXPECT_NE(typo.error().message.find("acces_token"), std::string::npos);
  json amazon = {{"channel", "amazon"}, {"base_url", "http://127.0.0.1:1"}, {"seller_id", "S"}};
  auto missing = makeConnector(amazon, clock, lookup);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, "no_credentials");
  EXPECT_NE(missing.error().message.find("SW_AMAZON_ACCESS_TOKEN"), std::string::npos);
  auto secret = webhookSecret(json{{"channel", "woocommerce"}, {"webhook_secret", "w"}}, lookup);
  ASSERT_TRUE(secret.ok());
  EXPECT_EQ(*secret, "w");
}

TEST(JsonRead, MoneyAndDatesAreExact) {
  using detail::moneyText;
  EXPECT_EQ(moneyText("12.5")->toString(), "12.50");
  EXPECT_EQ(moneyText("0.12345")->toString(), "0.1234");   // half-even: 5 after an even 4
  EXPECT_EQ(moneyText("0.12355")->toString(), "0.1236");
  EXPECT_EQ(moneyText("0.123451")->toString(), "0.1235");
  EXPECT_EQ(moneyText("-10.00")->toString(), "-10.00");
  EXPECT_FALSE(moneyText("1e3").has_value());
  EXPECT_FALSE(moneyText("").has_value());
  bool exact = true;
  EXPECT_EQ(detail::divide(common::Decimal::fromUnits(179500), 2, &exact).toString(), "8.975");
  EXPECT_TRUE(exact);
  EXPECT_EQ(detail::divide(common::Decimal::fromUnits(100000), 3, &exact).toString(), "3.3333");
  EXPECT_FALSE(exact);
  EXPECT_EQ(detail::parseIsoMs("2021-12-31T19:00:00-05:00"), detail::parseIsoMs("2022-01-01T00:00:00Z"));
  EXPECT_EQ(detail::parseIsoMs("2024-05-15T08:25:43.511Z"), 1715761543511);
  EXPECT_EQ(detail::parseIsoMs("2017-03-22T19:28:08"), 1490210888000);
  EXPECT_FALSE(detail::parseIsoMs("2024-13-01T00:00:00Z").has_value());
  EXPECT_FALSE(detail::parseIsoMs("yesterday").has_value());
  EXPECT_EQ(detail::formatIsoMs(1715761543511), "2024-05-15T08:25:43.511Z");
}

}  // namespace
}  // namespace sw::coordinator::channels
