// Order decoders on the channels' own example payloads (tests/data/channels), the variety real
// payloads bring (nulls, missing fields, bundles, multi-currency, lines without SKU, Pending
// Amazon orders), and bad input of every kind: nothing crashes, every refusal says why.

#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <functional>
#include <sstream>

#include <nlohmann/json.hpp>

#include "sw/coordinator/channels/channel_decode.h"
#include "sw/coordinator/channels/order_decode.h"

namespace sw::coordinator::channels {
namespace {

using nlohmann::json;

std::string readData(const std::string& rel) {
  std::ifstream in(std::string(SW_CHANNEL_TEST_DATA) + "/" + rel, std::ios::binary);
  EXPECT_TRUE(in.good()) << rel;
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::vector<NormalizedOrder> decodeOk(ChannelKind c, const std::string& payload) {
  auto r = decodeOrders(c, payload);
  EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().toString());
  return r.ok() ? *r : std::vector<NormalizedOrder>{};
}

const OrderLine* lineBySku(const NormalizedOrder& o, const std::string& sku) {
  for (const OrderLine& l : o.lines) {
    if (l.sku == sku) return &l;
  }
  return nullptr;
}

// --- Shopify ---

TEST(ShopifyDecode, PublishedSampleKeepsIdsExactAndReleasesCancelledLines) {
  auto orders = decodeOk(ChannelKind::kShopify, readData("shopify/orders-create-webhook.example.json"));
  ASSERT_EQ(orders.size(), 1u);
  const NormalizedOrder& o = orders[0];
  EXPECT_EQ(o.order_id, "820982911946154508");  // > 2^53: a double would give ...504
  EXPECT_EQ(o.order_name, "#9999");
  EXPECT_EQ(o.currency, "USD");
  EXPECT_EQ(o.total->toString(), "359.97");
  EXPECT_EQ(o.ship_to_country, "US");
  EXPECT_EQ(o.status, OrderStatus::kCancelled);
  ASSERT_EQ(o.lines.size(), 3u);
  EXPECT_EQ(o.lines[0].line_id, "487817672276298554");
  EXPECT_EQ(o.lines[0].sku, "SKU2006-001");
  EXPECT_EQ(o.lines[0].unit_price->amount.toString(), "89.99");
  EXPECT_EQ(o.lines[0].unit_price->currency, "USD");
  EXPECT_EQ(o.lines[0].channel_item_id, "product:788032119674292922");
  EXPECT_TRUE(o.lines[0].group_id.empty());
  EXPECT_EQ(o.lines[1].group_id, "142831562");  // the bundle
  EXPECT_EQ(o.lines[2].group_id, "142831562");
  ASSERT_EQ(o.releases.size(), 3u);
  for (const Release& r : o.releases) {
    EXPECT_EQ(r.reason, "cancelled");
    EXPECT_EQ(r.quantity, 1);
  }
  json j = toJson(o);
  EXPECT_EQ(j["order_id"], "820982911946154508");
  EXPECT_EQ(j["lines"][1]["unit_price"], "159.99");
}

json shopifySample() { return json::parse(readData("shopify/orders-create-webhook.example.json")); }

TEST(ShopifyDecode, OpenOrderWithNullSkuAndMultiCurrency) {
  json j = shopifySample();
  j["cancelled_at"] = nullptr;
  j["financial_status"] = "paid";
  j["line_items"][0]["sku"] = nullptr;
  j["line_items"][0]["variant_id"] = 40001122334455667ULL;
  j["line_items"][1]["price_set"]["presentment_money"] = {{"amount", "147.50"}, {"currency_code", "EUR"}};
  j["line_items"][2]["current_quantity"] = 0;  // removed by an order edit
  auto orders = decodeOk(ChannelKind::kShopify, j.dump());
  ASSERT_EQ(orders.size(), 1u);
  const NormalizedOrder& o = orders[0];
  EXPECT_EQ(o.status, OrderStatus::kOpen);
  EXPECT_TRUE(o.lines[0].sku_missing);
  EXPECT_EQ(o.lines[0].channel_item_id, "variant:40001122334455667");
  ASSERT_FALSE(o.warnings.empty());
  EXPECT_NE(o.warnings[0].find("no SKU"), std::string::npos);
  ASSERT_TRUE(o.lines[1].presentment_unit_price.has_value());
  EXPECT_EQ(o.lines[1].presentment_unit_price->currency, "EUR");
  EXPECT_EQ(o.lines[1].presentment_unit_price->amount.toString(), "147.50");
  ASSERT_EQ(o.releases.size(), 1u);
  EXPECT_EQ(o.releases[0].reason, "removed");
  EXPECT_EQ(o.releases[0].sku, "SKU2006-035");
}

TEST(ShopifyDecode, RefundsReleaseWhatTheyRestock) {
  json j = shopifySample();
  j["cancelled_at"] = nullptr;
  j["financial_status"] = "partially_refunded";
  j["refunds"] = json::array({{{"id", 929361462},
                               {"refund_line_items", json::array({{{"line_item_id", 487817672276298554ULL},
                                                                   {"quantity", 1},
                                                                   {"restock_type", "return"},
                                                                   {"line_item", {{"sku", "SKU2006-001"}}}}})}}});
  auto orders = decodeOk(ChannelKind::kShopify, j.dump());
  ASSERT_EQ(orders[0].releases.size(), 1u);
  EXPECT_EQ(orders[0].releases[0].reason, "returned");
  EXPECT_TRUE(orders[0].releases[0].restock);
  EXPECT_EQ(orders[0].releases[0].line_id, "487817672276298554");
}

TEST(ShopifyDecode, RefundsCreateBody) {
  json r = {{"id", 509562969},
            {"order_id", 820982911946154508ULL},
            {"created_at", "2024-05-15T10:00:00-04:00"},
            {"refund_line_items", json::array({{{"line_item_id", 976318377106520349ULL},
                                                {"quantity", 1},
                                                {"restock_type", "no_restock"},
                                                {"line_item", {{"sku", "SKU2006-020"}}}}})}};
  auto orders = decodeOk(ChannelKind::kShopify, r.dump());
  ASSERT_EQ(orders.size(), 1u);
  EXPECT_EQ(orders[0].event, "refund");
  EXPECT_EQ(orders[0].order_id, "820982911946154508");
  ASSERT_EQ(orders[0].releases.size(), 1u);
  EXPECT_FALSE(orders[0].releases[0].restock);
}

// Issue 15 item 16: every shape Shopify's own API delivers an order or a refund in, built from
// the published sample: the webhook body, the REST resource ({"order"}, {"refund"}) and the REST
// list pages ({"orders"}, {"refunds"}); restock by restock_type (current) or by the refund's one
// `restock` flag (API versions before restock_type).
TEST(ShopifyDecode, EveryRestShapeOfOrdersAndRefunds) {
  json order = shopifySample();
  order["cancelled_at"] = nullptr;
  const std::string id = "820982911946154508";
  const uint64_t line = order["line_items"][0]["id"].get<uint64_t>();
  for (const json& payload : {order, json{{"order", order}}, json{{"orders", json::array({order, order})}}}) {
    auto orders = decodeOk(ChannelKind::kShopify, payload.dump());
    ASSERT_FALSE(orders.empty()) << payload.dump().substr(0, 80);
    for (const NormalizedOrder& o : orders) {
      EXPECT_EQ(o.order_id, id);
      EXPECT_EQ(o.lines.size(), 3u);
      EXPECT_NE(o.event, "refund");
    }
  }
  json current = {{"id", 509562969},
                  {"order_id", order["id"]},
                  {"restock", false},
                  {"refund_line_items", json::array({{{"line_item_id", line}, {"quantity", 1}, {"restock_type", "return"},
                                                      {"location_id", 24826418}, {"line_item", {{"sku", "SKU2006-001"}}}}})}};
  json legacy = {{"id", 509562970},
                 {"order_id", order["id"]},
                 {"restock", true},
                 {"refund_line_items", json::array({{{"line_item_id", line}, {"quantity", 2}, {"line_item", {{"sku", "SKU2006-001"}}}}})}};
  json legacy_no = legacy;
  legacy_no["restock"] = false;
  for (const json& payload : {current, json{{"refund", current}}, json{{"refunds", json::array({current, legacy, legacy_no})}}}) {
    auto orders = decodeOk(ChannelKind::kShopify, payload.dump());
    ASSERT_FALSE(orders.empty()) << payload.dump().substr(0, 80);
    EXPECT_EQ(orders[0].event, "refund");
    EXPECT_EQ(orders[0].order_id, id);
    ASSERT_EQ(orders[0].releases.size(), 1u);
    EXPECT_TRUE(orders[0].releases[0].restock) << "restock_type return wins over restock: false";
    EXPECT_EQ(orders[0].releases[0].refund_id, "509562969");
    EXPECT_EQ(orders[0].releases[0].location_ref, "24826418");
    if (orders.size() == 3) {
      EXPECT_TRUE(orders[1].releases[0].restock) << "legacy restock: true";
      EXPECT_EQ(orders[1].releases[0].quantity, 2);
      EXPECT_EQ(orders[1].releases[0].reason, "returned");
      EXPECT_FALSE(orders[2].releases[0].restock) << "legacy restock: false";
    }
  }
  // A refund inside the order (orders/updated) honours the legacy flag too.
  order["refunds"] = json::array({legacy});
  auto with_refund = decodeOk(ChannelKind::kShopify, order.dump());
  const Release* refunded = nullptr;
  for (const Release& r : with_refund[0].releases) {
    if (r.refund_id == "509562970") refunded = &r;
  }
  ASSERT_NE(refunded, nullptr) << toJson(with_refund[0]).dump();
  EXPECT_TRUE(refunded->restock);
  // channel-decode takes the wrapped shapes as well.
  std::istringstream in(json{{"refunds", json::array({current})}}.dump());
  std::ostringstream out, err;
  EXPECT_EQ(runChannelDecode({"--channel", "shopify"}, in, out, err), 0) << err.str();
  EXPECT_EQ(json::parse(out.str())["releases"][0]["refund_id"], "509562969");
  // Wrappers with nothing usable are refused with a reason.
  EXPECT_EQ(decodeOrders(ChannelKind::kShopify, R"({"orders":[]})").error().code, "no_orders");
  EXPECT_EQ(decodeOrders(ChannelKind::kShopify, R"({"orders":{}})").error().code, "bad_payload");
  EXPECT_EQ(decodeOrders(ChannelKind::kShopify, R"({"refunds":[{"id":1,"refund_line_items":[]}]})").error().code,
            "missing_order_id");
}

TEST(ShopifyDecode, GraphqlPollingPage) {
  json page = {{"data",
                {{"orders",
                  {{"nodes",
                    json::array({{{"id", "gid://shopify/Order/7001234567890123457"},
                                  {"name", "#1001"},
                                  {"updatedAt", "2024-05-15T08:25:43Z"},
                                  {"cancelledAt", nullptr},
                                  {"displayFinancialStatus", "PAID"},
                                  {"currencyCode", "USD"},
                                  {"shippingAddress", {{"countryCodeV2", "CA"}}},
                                  {"lineItems",
                                   {{"nodes", json::array({{{"id", "gid://shopify/LineItem/9123456789012345601"},
                                                            {"sku", "A-1"},
                                                            {"quantity", 2},
                                                            {"currentQuantity", 2},
                                                            {"originalUnitPriceSet",
                                                             {{"shopMoney", {{"amount", "4.5"}, {"currencyCode", "USD"}}}}}}})}}}}})}}}}}};
  auto orders = decodeOk(ChannelKind::kShopify, page.dump());
  ASSERT_EQ(orders.size(), 1u);
  EXPECT_EQ(orders[0].order_id, "7001234567890123457");
  EXPECT_EQ(orders[0].ship_to_country, "CA");
  EXPECT_EQ(orders[0].lines[0].line_id, "9123456789012345601");
  EXPECT_EQ(orders[0].lines[0].unit_price->amount.toString(), "4.50");
}

// Issue 15 item 3: a polled order node carries its refunds (ids, restock type, location) and its
// shipping lines, as the webhooks do, so polling alone can restock and see a pickup method.
TEST(ShopifyDecode, GraphqlOrderNodeReadsRefundsAndShippingLines) {
  json node = {{"id", "gid://shopify/Order/7001234567890123457"},
               {"updatedAt", "2024-05-15T08:25:43Z"},
               {"cancelledAt", nullptr},
               {"displayFinancialStatus", "PARTIALLY_REFUNDED"},
               {"currencyCode", "USD"},
               {"lineItems", {{"nodes", json::array({{{"id", "gid://shopify/LineItem/9123456789012345601"},
                                                      {"sku", "A-1"},
                                                      {"quantity", 3},
                                                      {"currentQuantity", 1}}})}}},
               {"shippingLines", {{"nodes", json::array({{{"code", nullptr}, {"title", "Old"}, {"isRemoved", true}},
                                                         {{"code", "Pickup Main Street"}, {"title", "Pick up"}, {"isRemoved", false}}})}}},
               {"refunds", json::array({{{"id", "gid://shopify/Refund/509562969"},
                                         {"createdAt", "2024-05-16T10:00:00Z"},
                                         {"refundLineItems",
                                          {{"nodes", json::array({{{"quantity", 1},
                                                                   {"restockType", "RETURN"},
                                                                   {"location", {{"id", "gid://shopify/Location/24826418"}}},
                                                                   {"lineItem", {{"id", "gid://shopify/LineItem/9123456789012345601"}, {"sku", "A-1"}}}}})}}}},
                                        {{"id", "gid://shopify/Refund/509562970"},
                                         {"refundLineItems",
                                          {{"edges", json::array({{{"node", {{"quantity", 1},
                                                                            {"restockType", "NO_RESTOCK"},
                                                                            {"location", nullptr},
                                                                            {"lineItem", {{"id", "gid://shopify/LineItem/9123456789012345601"}, {"sku", "A-1"}}}}}}})}}}}})}};
  for (const json& payload : {json{{"data", {{"order", node}}}}, node}) {
    auto orders = decodeOk(ChannelKind::kShopify, payload.dump());
    ASSERT_EQ(orders.size(), 1u);
    const NormalizedOrder& o = orders[0];
    ASSERT_EQ(o.releases.size(), 2u) << toJson(o).dump();  // two refunds; nothing else was removed
    EXPECT_EQ(o.releases[0].refund_id, "509562969");
    EXPECT_EQ(o.releases[0].line_id, "9123456789012345601");
    EXPECT_EQ(o.releases[0].sku, "A-1");
    EXPECT_TRUE(o.releases[0].restock);
    EXPECT_EQ(o.releases[0].reason, "returned");
    EXPECT_EQ(o.releases[0].location_ref, "24826418");
    EXPECT_EQ(o.releases[1].refund_id, "509562970");
    EXPECT_FALSE(o.releases[1].restock);
    EXPECT_EQ(o.pickup.ref, "Pickup Main Street") << "the removed shipping line is skipped";
    EXPECT_EQ(o.pickup.ref_field, "shippingLines.code");
  }
  // Older API versions answer `restocked` without a restockType.
  node["refunds"] = json::array({{{"id", "gid://shopify/Refund/1"},
                                  {"refundLineItems", {{"nodes", json::array({{{"quantity", 2}, {"restocked", true},
                                                                               {"lineItem", {{"id", "gid://shopify/LineItem/9123456789012345601"}}}}})}}}}});
  auto legacy = decodeOk(ChannelKind::kShopify, node.dump());
  ASSERT_EQ(legacy[0].releases.size(), 1u);
  EXPECT_TRUE(legacy[0].releases[0].restock);
  EXPECT_EQ(legacy[0].releases[0].quantity, 2);
  node["refunds"] = json::array({{{"refundLineItems", json::object()}}});
  EXPECT_EQ(decodeOrders(ChannelKind::kShopify, node.dump()).error().code, "bad_refund") << "a refund without an id";
}

// --- Amazon ---

TEST(AmazonDecode, GetOrdersHasNoLinesAndSaysSo) {
  auto orders = decodeOk(ChannelKind::kAmazon, readData("amazon/getOrders.example.json"));
  ASSERT_EQ(orders.size(), 1u);
  EXPECT_EQ(orders[0].order_id, "902-3159896-1390916");
  EXPECT_EQ(orders[0].status, OrderStatus::kPending);
  EXPECT_TRUE(orders[0].prices_pending);
  EXPECT_FALSE(orders[0].lines_complete);
  EXPECT_EQ(orders[0].ship_to_country, "US");
}

TEST(AmazonDecode, OrderItemsPriceIsPerLine) {
  auto orders = decodeOk(ChannelKind::kAmazon, readData("amazon/getOrderItems.example.json"));
  ASSERT_EQ(orders.size(), 1u);
  const OrderLine* two = lineBySku(orders[0], "CBA_OTF_5");
  ASSERT_NE(two, nullptr);
  EXPECT_EQ(two->quantity, 2);
  EXPECT_EQ(two->line_total->amount.toString(), "17.95");
  EXPECT_EQ(two->unit_price->amount.toString(), "8.975");
  EXPECT_EQ(two->unit_price->currency, "JPY");
  EXPECT_TRUE(two->cancel_requested);
}

TEST(AmazonDecode, GetOrderAndItemsMergeByOrderId) {
  json order = json::parse(readData("amazon/getOrder.example.json"));
  json items = json::parse(readData("amazon/getOrderItems.example.json"));
  items["payload"]["AmazonOrderId"] = order["payload"]["AmazonOrderId"];
  items["payload"].erase("NextToken");
  for (json& it : items["payload"]["OrderItems"]) it.erase("ItemPrice");  // Pending: no prices yet
  auto orders = decodeOk(ChannelKind::kAmazon, json::array({order, items}).dump());
  ASSERT_EQ(orders.size(), 1u);
  EXPECT_EQ(orders[0].status, OrderStatus::kPending);
  EXPECT_TRUE(orders[0].lines_complete);
  ASSERT_EQ(orders[0].lines.size(), 2u);
  EXPECT_FALSE(orders[0].lines[0].unit_price.has_value());
  EXPECT_TRUE(orders[0].prices_pending);
  EXPECT_EQ(toJson(orders[0])["lines"][0]["unit_price"], nullptr);
}

TEST(AmazonDecode, ConcatenatedDocumentsReadAsOne) {
  // What a person gets with: cat getOrder.json getOrderItems.json | stockwire-coordinator channel-decode ...
  json order = json::parse(readData("amazon/getOrder.example.json"));
  order["payload"]["OrderStatus"] = "Unshipped";
  json items = json::parse(readData("amazon/getOrderItems.example.json"));
  items["payload"]["AmazonOrderId"] = order["payload"]["AmazonOrderId"];
  auto orders = decodeOk(ChannelKind::kAmazon, order.dump(2) + "\n" + items.dump(2) + "\n");
  ASSERT_EQ(orders.size(), 1u);
  EXPECT_EQ(orders[0].status, OrderStatus::kOpen);
  EXPECT_EQ(orders[0].lines.size(), 2u);
  auto bad = decodeOrders(ChannelKind::kAmazon, order.dump() + " {\"x\":");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code, "bad_json");
}

TEST(AmazonDecode, NotificationInsideAnSnsEnvelope) {
  std::string text = readData("amazon/order-change-notification.example.json");
  json sns = {{"Type", "Notification"}, {"MessageId", "1"}, {"Message", text}};
  auto orders = decodeOk(ChannelKind::kAmazon, sns.dump());
  ASSERT_EQ(orders.size(), 1u);
  EXPECT_EQ(orders[0].order_id, "903-8868176-2219830");
  auto bad = decodeOrders(ChannelKind::kAmazon, json{{"Type", "Notification"}, {"Message", "{oops"}}.dump());
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code, "bad_json");
}

TEST(AmazonDecode, OrderChangeNotificationBareAndInEventBridge) {
  std::string text = readData("amazon/order-change-notification.example.json");
  auto orders = decodeOk(ChannelKind::kAmazon, text);
  ASSERT_EQ(orders.size(), 1u);
  EXPECT_EQ(orders[0].event, "order_change");
  EXPECT_EQ(orders[0].order_id, "903-8868176-2219830");
  EXPECT_EQ(orders[0].delivery_id, "d0e9e693-c3ad-4373-979f-ed4ec98dd746");
  EXPECT_EQ(orders[0].lines[0].sku, "SellerSKUID1");
  EXPECT_EQ(orders[0].lines[0].quantity, 10);
  EXPECT_TRUE(orders[0].lines[0].cancel_requested);
  json wrapped = {{"version", "0"}, {"detail-type", "ORDER_CHANGE"}, {"detail", json::parse(text)}};
  auto again = decodeOk(ChannelKind::kAmazon, wrapped.dump());
  ASSERT_EQ(again.size(), 1u);
  EXPECT_EQ(again[0].order_id, "903-8868176-2219830");
}

TEST(AmazonDecode, CancelledNotificationReleasesUnshipped) {
  json n = json::parse(readData("amazon/order-change-notification.example.json"));
  n["Payload"]["OrderChangeNotification"]["Summary"]["OrderStatus"] = "Canceled";
  n["Payload"]["OrderChangeNotification"]["Summary"]["OrderItems"][0]["QuantityShipped"] = 3;
  auto orders = decodeOk(ChannelKind::kAmazon, n.dump());
  ASSERT_EQ(orders[0].releases.size(), 1u);
  EXPECT_EQ(orders[0].releases[0].quantity, 7);
}

TEST(AmazonDecode, Orders20260101SearchAndGet) {
  auto found = decodeOk(ChannelKind::kAmazon, readData("amazon/searchOrders-2026-01-01.example.json"));
  ASSERT_FALSE(found.empty());
  EXPECT_EQ(found[0].order_id, "123-4567890-1234567");
  EXPECT_EQ(found[0].lines[0].unit_price->amount.toString(), "49.99");  // unitPrice is per unit here
  auto one = decodeOk(ChannelKind::kAmazon, readData("amazon/getOrder-2026-01-01.example.json"));
  ASSERT_EQ(one.size(), 1u);
  EXPECT_EQ(one[0].ship_to_country, "GB");
  EXPECT_EQ(one[0].lines[0].quantity, 3);
  EXPECT_EQ(one[0].currency, "GBP");
}

// --- eBay ---

TEST(EbayDecode, GetOrdersWithMissingSkuAndCancellation) {
  auto orders = decodeOk(ChannelKind::kEbay, readData("ebay/getOrders.constructed.json"));
  ASSERT_EQ(orders.size(), 2u);
  const NormalizedOrder& a = orders[0];
  EXPECT_EQ(a.order_id, "05-10934-71925");
  EXPECT_EQ(a.ship_to_country, "DE");
  EXPECT_EQ(a.status, OrderStatus::kOpen);
  EXPECT_EQ(a.lines[0].unit_price->amount.toString(), "19.99");  // lineItemCost 39.98 for 2
  EXPECT_EQ(a.lines[0].presentment_unit_price->currency, "EUR");
  EXPECT_EQ(a.lines[0].presentment_unit_price->amount.toString(), "18.50");
  EXPECT_TRUE(a.lines[1].sku_missing);
  EXPECT_EQ(a.lines[1].channel_item_id, "item:203589473977/502113987412");
  const NormalizedOrder& b = orders[1];
  EXPECT_EQ(b.status, OrderStatus::kCancelled);
  EXPECT_EQ(b.customer_country, "US");
  ASSERT_EQ(b.releases.size(), 1u);
  EXPECT_EQ(b.releases[0].sku, "CANDLE-3");
}

TEST(EbayDecode, SingleOrderAndErrorBody) {
  json all = json::parse(readData("ebay/getOrders.constructed.json"));
  auto one = decodeOk(ChannelKind::kEbay, all["orders"][0].dump());
  EXPECT_EQ(one.size(), 1u);
  auto err = decodeOrders(ChannelKind::kEbay, R"({"errors":[{"errorId":1001,"domain":"OAuth","message":"Invalid access token"}]})");
  ASSERT_FALSE(err.ok());
  EXPECT_EQ(err.error().code, "channel_error");
  EXPECT_NE(err.error().message.find("1001"), std::string::npos);
}

// --- WooCommerce ---

TEST(WooDecode, OrderWithEmptySkuIsReportedNotDropped) {
  auto orders = decodeOk(ChannelKind::kWooCommerce, readData("woocommerce/order.retrieve.response.json"));
  ASSERT_EQ(orders.size(), 1u);
  const NormalizedOrder& o = orders[0];
  EXPECT_EQ(o.order_id, "727");
  EXPECT_EQ(o.status, OrderStatus::kOpen);
  EXPECT_EQ(o.updated_at, "2017-03-22T19:28:08Z");
  ASSERT_EQ(o.lines.size(), 2u);
  EXPECT_TRUE(o.lines[0].sku_missing);
  EXPECT_EQ(o.lines[0].quantity, 2);
  EXPECT_EQ(o.lines[0].unit_price->amount.toString(), "3.00");
  EXPECT_EQ(o.lines[0].channel_item_id, "product:93");
  EXPECT_EQ(o.lines[1].sku, "Bar3");
  EXPECT_EQ(o.lines[1].channel_item_id, "variation:23");
  ASSERT_EQ(o.warnings.size(), 1u);
  EXPECT_NE(o.warnings[0].find("empty SKU"), std::string::npos);
}

TEST(WooDecode, BatchResponseAndCancelledOrder) {
  auto orders = decodeOk(ChannelKind::kWooCommerce, readData("woocommerce/orders.batch.response.json"));
  EXPECT_GE(orders.size(), 3u);
  json o = json::parse(readData("woocommerce/order.retrieve.response.json"));
  o["status"] = "cancelled";
  auto cancelled = decodeOk(ChannelKind::kWooCommerce, o.dump());
  ASSERT_EQ(cancelled[0].releases.size(), 2u);
  EXPECT_EQ(cancelled[0].releases[1].sku, "Bar3");
}

TEST(WooDecode, FloatPriceKeepsItsDecimals) {
  json o = json::parse(readData("woocommerce/order.retrieve.response.json"));
  o["line_items"][1]["subtotal"] = "13.00";
  o["line_items"][1]["quantity"] = 3;  // 13.00 / 3 does not divide: the float price is used
  o["line_items"][1]["price"] = 4.333333333333333;
  o["line_items"][0].erase("subtotal");
  o["line_items"][0]["price"] = 12.99;  // no subtotal: the float, read back as written
  auto orders = decodeOk(ChannelKind::kWooCommerce, o.dump());
  EXPECT_EQ(orders[0].lines[1].unit_price->amount.toString(), "4.3333");
  EXPECT_EQ(orders[0].lines[0].unit_price->amount.toString(), "12.99");
}

// --- tax and discounts per line (issue 20, "Revenue in one place") ---

bool hasWarning(const NormalizedOrder& o, const std::string& part) {
  return std::any_of(o.warnings.begin(), o.warnings.end(),
                     [&](const std::string& w) { return w.find(part) != std::string::npos; });
}

// Shopify: tax_lines[] and discount_allocations[] of the whole line, in shop money; empty lists
// are none; an amount that cannot be read leaves the charge unknown, with a warning.
TEST(LineCharges, ShopifyTaxLinesAndDiscountAllocations) {
  json o = json::parse(readData("shopify/orders-create-webhook.example.json"));
  auto plain = decodeOk(ChannelKind::kShopify, o.dump());
  ASSERT_FALSE(plain.empty());
  EXPECT_EQ(plain[0].lines[0].tax->amount.toString(), "0.00");
  EXPECT_EQ(plain[0].lines[0].discount->amount.toString(), "0.00");
  json& li = o["line_items"][0];
  li["tax_lines"] = json::array({{{"price", "5.40"}, {"rate", 0.06}, {"title", "State"},
                                  {"price_set", {{"shop_money", {{"amount", "5.40"}, {"currency_code", "USD"}}}}}},
                                 {{"price", "1.35"}, {"rate", 0.015}, {"title", "County"}}});
  li["discount_allocations"] = json::array(
      {{{"amount", "9.00"}, {"amount_set", {{"shop_money", {{"amount", "9.00"}, {"currency_code", "USD"}}}}}}});
  auto charged = decodeOk(ChannelKind::kShopify, o.dump());
  const OrderLine& l = charged[0].lines[0];
  EXPECT_EQ(l.tax->amount.toString(), "6.75");
  EXPECT_EQ(l.tax->currency, "USD");
  EXPECT_EQ(l.discount->amount.toString(), "9.00");
  json j = toJson(charged[0]);
  EXPECT_EQ(j["lines"][0]["tax"], (json{{"amount", "6.75"}, {"currency", "USD"}})) << j["lines"][0].dump();
  EXPECT_EQ(j["lines"][0]["discount"]["amount"], "9.00");
  li["tax_lines"][1]["price"] = "lots";
  li["discount_allocations"][0]["amount_set"]["shop_money"]["amount"] = "-9.00";
  auto bad = decodeOk(ChannelKind::kShopify, o.dump());
  EXPECT_FALSE(bad[0].lines[0].tax);
  EXPECT_FALSE(bad[0].lines[0].discount);
  EXPECT_TRUE(hasWarning(bad[0], "tax without a readable amount")) << json(bad[0].warnings).dump();
  EXPECT_TRUE(hasWarning(bad[0], "discount without a readable amount")) << json(bad[0].warnings).dump();
  EXPECT_FALSE(toJson(bad[0])["lines"][0].contains("tax"));
}

// Amazon getOrderItems: ItemTax and PromotionDiscount are the item's (all its units).
TEST(LineCharges, AmazonItemTaxAndPromotionDiscount) {
  json p = json::parse(readData("amazon/getOrderItems.example.json"));
  json& it = p["payload"]["OrderItems"][1];
  it["ItemTax"] = {{"CurrencyCode", "JPY"}, {"Amount", "1.80"}};
  it["PromotionDiscount"] = {{"CurrencyCode", "JPY"}, {"Amount", "2.00"}};
  p["payload"]["OrderItems"][0]["ItemTax"] = {{"CurrencyCode", "JPY"}, {"Amount", json::array()}};
  auto orders = decodeOk(ChannelKind::kAmazon, p.dump());
  const OrderLine* two = lineBySku(orders[0], "CBA_OTF_5");
  ASSERT_NE(two, nullptr);
  EXPECT_EQ(two->tax->amount.toString(), "1.80");
  EXPECT_EQ(two->tax->currency, "JPY");
  EXPECT_EQ(two->discount->amount.toString(), "2.00");
  const OrderLine* one = lineBySku(orders[0], "CBA_OTF_1");
  ASSERT_NE(one, nullptr);
  EXPECT_FALSE(one->tax);
  EXPECT_FALSE(one->discount);  // not given: not known
  EXPECT_TRUE(hasWarning(orders[0], "ItemTax is not a readable amount")) << json(orders[0].warnings).dump();
}

// eBay: taxes[].amount and appliedPromotions[].discountAmount, always returned (empty: none).
TEST(LineCharges, EbayTaxesAndAppliedPromotions) {
  json p = json::parse(readData("ebay/getOrders.constructed.json"));
  json& li = p["orders"][0]["lineItems"][0];
  li["taxes"] = json::array({{{"amount", {{"value", "3.20"}, {"currency", "USD"}}}, {"taxType", "STATE_SALES_TAX"}}});
  li["appliedPromotions"] = json::array(
      {{{"promotionId", "5000"}, {"description", "10% off"}, {"discountAmount", {{"value", "4.00"}, {"currency", "USD"}}}}});
  auto orders = decodeOk(ChannelKind::kEbay, p.dump());
  EXPECT_EQ(orders[0].lines[0].tax->amount.toString(), "3.20");
  EXPECT_EQ(orders[0].lines[0].discount->amount.toString(), "4.00");
  EXPECT_EQ(orders[0].lines[1].tax->amount.toString(), "0.00");  // []: none
  EXPECT_FALSE(orders[1].lines[0].tax);                          // not returned: not known
  li["taxes"][0]["amount"] = "3.20";  // not an Amount
  auto bad = decodeOk(ChannelKind::kEbay, p.dump());
  EXPECT_FALSE(bad[0].lines[0].tax);
  EXPECT_TRUE(hasWarning(bad[0], "taxes holds an amount that cannot be read")) << json(bad[0].warnings).dump();
}

// WooCommerce: total_tax, and subtotal - total (what coupons took off).
TEST(LineCharges, WooCommerceTotalTaxAndCoupons) {
  json o = json::parse(readData("woocommerce/order.retrieve.response.json"));
  o["line_items"][1]["total"] = "10.80";  // a 10% coupon on 12.00
  auto orders = decodeOk(ChannelKind::kWooCommerce, o.dump());
  EXPECT_EQ(orders[0].lines[0].tax->amount.toString(), "0.45");
  EXPECT_EQ(orders[0].lines[0].discount->amount.toString(), "0.00");
  EXPECT_EQ(orders[0].lines[1].tax->amount.toString(), "0.90");
  EXPECT_EQ(orders[0].lines[1].discount->amount.toString(), "1.20");
  EXPECT_EQ(orders[0].lines[1].unit_price->amount.toString(), "12.00") << "the price before the coupon";
  o["line_items"][1]["total"] = "13.00";  // above subtotal
  o["line_items"][1]["total_tax"] = "-0.90";
  auto bad = decodeOk(ChannelKind::kWooCommerce, o.dump());
  EXPECT_FALSE(bad[0].lines[1].discount);
  EXPECT_FALSE(bad[0].lines[1].tax);
  EXPECT_TRUE(hasWarning(bad[0], "total is above subtotal")) << json(bad[0].warnings).dump();
  EXPECT_TRUE(hasWarning(bad[0], "total_tax is negative")) << json(bad[0].warnings).dump();
}

// --- outside input that is wrong ---

struct BadCase {
  ChannelKind channel;
  std::string payload;
  std::string code;
};

TEST(DecodeBadInput, EveryDecoderRefusesWithAReason) {
  std::string shop = readData("shopify/orders-create-webhook.example.json");
  std::string woo = readData("woocommerce/order.retrieve.response.json");
  std::string ebay = readData("ebay/getOrders.constructed.json");
  std::string amz = readData("amazon/getOrderItems.example.json");
  std::vector<BadCase> cases = {
      {ChannelKind::kShopify, "", "empty_payload"},
      {ChannelKind::kShopify, "   \n", "empty_payload"},
      {ChannelKind::kShopify, shop.substr(0, shop.size() / 2), "bad_json"},
      {ChannelKind::kShopify, "\x01\x02garbage", "bad_json"},
      {ChannelKind::kShopify, "42", "bad_payload"},
      {ChannelKind::kShopify, R"({"hello":"world"})", "not_an_order"},
      {ChannelKind::kShopify, R"({"id":1,"line_items":"three"})", "bad_line_items"},
      {ChannelKind::kShopify, R"({"id":1,"line_items":[{"id":2,"quantity":"two"}]})", "bad_quantity"},
      {ChannelKind::kShopify, R"({"id":1,"line_items":[{"id":2,"quantity":-1}]})", "bad_quantity"},
      {ChannelKind::kShopify, R"({"id":1.5,"line_items":[]})", "missing_order_id"},
      {ChannelKind::kShopify, R"([])", "no_orders"},
      {ChannelKind::kAmazon, amz.substr(0, 100), "bad_json"},
      {ChannelKind::kAmazon, R"({"payload":{"Orders":"x"}})", "bad_payload"},
      {ChannelKind::kAmazon, R"({"payload":{"AmazonOrderId":"1","OrderItems":[{"QuantityOrdered":"x"}]}})", "bad_quantity"},
      {ChannelKind::kAmazon, R"({"payload":{}})", "bad_payload"},
      {ChannelKind::kAmazon, R"({"NotificationType":"ORDER_CHANGE"})", "bad_notification"},
      {ChannelKind::kAmazon, R"({"NotificationType":"FEED_PROCESSING_FINISHED","Payload":{}})", "unsupported_notification"},
      {ChannelKind::kAmazon, R"({"errors":[{"code":"InvalidInput","message":"Invalid Input"}]})", "channel_error"},
      {ChannelKind::kAmazon, R"("order")", "bad_payload"},
      {ChannelKind::kEbay, ebay.substr(0, ebay.size() - 3), "bad_json"},
      {ChannelKind::kEbay, R"({"orders":{}})", "bad_payload"},
      {ChannelKind::kEbay, R"({"orders":[]})", "no_orders"},
      {ChannelKind::kEbay, R"({"orders":[{"lineItems":[]}]})", "missing_order_id"},
      {ChannelKind::kEbay, R"({"orderId":"1","lineItems":[{"quantity":null}]})", "bad_quantity"},
      {ChannelKind::kWooCommerce, woo.substr(0, 10), "bad_json"},
      {ChannelKind::kWooCommerce, R"({"id":727,"line_items":[{"id":1,"quantity":1.5}]})", "bad_quantity"},
      {ChannelKind::kWooCommerce, R"({"id":727,"line_items":[{"id":1,"quantity":-1}]})", "bad_quantity"},
      {ChannelKind::kWooCommerce, R"({"id":{"x":1}})", "missing_order_id"},
      {ChannelKind::kWooCommerce, "webhook_id=142", "bad_json"},
      {ChannelKind::kWooCommerce, R"({"code":"woocommerce_rest_shop_order_invalid_id","message":"Invalid ID.","data":{"status":404}})", "channel_error"},
      {ChannelKind::kWooCommerce, std::string(200, '[') + std::string(200, ']'), "too_deep"},
  };
  for (const BadCase& c : cases) {
    auto r = decodeOrders(c.channel, c.payload);
    ASSERT_FALSE(r.ok()) << channelName(c.channel) << ": accepted " << c.payload.substr(0, 80);
    EXPECT_EQ(r.error().code, c.code) << channelName(c.channel) << ": " << c.payload.substr(0, 80) << " -> " << r.error().toString();
    EXPECT_EQ(r.error().kind, common::ErrorKind::kReject);
    EXPECT_FALSE(r.error().message.empty());
  }
}

TEST(DecodeBadInput, EveryTruncationOfTheSamplesIsRefusedOrDecoded) {
  // Cutting a payload anywhere must never crash; almost every prefix is invalid JSON.
  for (auto [channel, file] : {std::pair{ChannelKind::kShopify, "shopify/orders-create-webhook.example.json"},
                               std::pair{ChannelKind::kWooCommerce, "woocommerce/order.retrieve.response.json"},
                               std::pair{ChannelKind::kAmazon, "amazon/getOrderItems.example.json"},
                               std::pair{ChannelKind::kEbay, "ebay/getOrders.constructed.json"}}) {
    std::string text = readData(file);
    size_t refused = 0;
    for (size_t n = 0; n < text.size(); n += 7) {
      auto r = decodeOrders(channel, text.substr(0, n));
      if (!r.ok()) ++refused;
    }
    EXPECT_GE(refused, text.size() / 7) << file;
  }
}

TEST(DecodeBadInput, TooLargeIsRefusedBeforeParsing) {
  std::string big(kMaxOrderPayloadBytes + 1, ' ');
  auto r = decodeOrders(ChannelKind::kShopify, big);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, "payload_too_large");
}

// --- channel-decode ---

TEST(ChannelDecodeCommand, PrintsOneJsonObjectPerOrder) {
  std::istringstream in(readData("ebay/getOrders.constructed.json"));
  std::ostringstream out, err;
  EXPECT_EQ(runChannelDecode({"--channel", "ebay"}, in, out, err), 0);
  std::istringstream lines(out.str());
  std::string line;
  std::vector<json> printed;
  while (std::getline(lines, line)) printed.push_back(json::parse(line));
  ASSERT_EQ(printed.size(), 2u);
  EXPECT_EQ(printed[0]["channel"], "ebay");
  EXPECT_EQ(printed[0]["order_id"], "05-10934-71925");
  EXPECT_EQ(printed[0]["lines"][0]["unit_price"], "19.99");
  EXPECT_EQ(printed[0]["lines"][0]["currency"], "USD");
  EXPECT_EQ(printed[0]["ship_to_country"], "DE");
}

// Every shape each channel's own API delivers orders in, from the contracts' examples, through
// the command as a person would pipe it: webhook bodies, single resources, list pages, batch
// answers, notifications.
TEST(ChannelDecodeCommand, TakesEveryContractShapeOfEveryChannel) {
  json shopify = shopifySample();
  json ebay_page = json::parse(readData("ebay/getOrders.constructed.json"));
  json woo_order = json::parse(readData("woocommerce/order.retrieve.response.json"));
  struct Case {
    std::string channel, shape, payload, first_id;
  };
  std::vector<Case> cases = {
      {"shopify", "webhook body", shopify.dump(), "820982911946154508"},
      {"shopify", "REST resource", json{{"order", shopify}}.dump(), "820982911946154508"},
      {"shopify", "REST list page", json{{"orders", json::array({shopify})}}.dump(), "820982911946154508"},
      {"amazon", "getOrders page", readData("amazon/getOrders.example.json"), ""},
      {"amazon", "getOrder", readData("amazon/getOrder.example.json"), ""},
      {"amazon", "getOrderItems", readData("amazon/getOrderItems.example.json"), ""},
      {"amazon", "searchOrders 2026-01-01", readData("amazon/searchOrders-2026-01-01.example.json"), ""},
      {"amazon", "getOrder 2026-01-01", readData("amazon/getOrder-2026-01-01.example.json"), ""},
      {"amazon", "ORDER_CHANGE", readData("amazon/order-change-notification.example.json"), ""},
      {"ebay", "getOrders page", ebay_page.dump(), ebay_page["orders"][0]["orderId"]},
      {"ebay", "getOrder", ebay_page["orders"][0].dump(), ebay_page["orders"][0]["orderId"]},
      {"woocommerce", "webhook body / GET order", woo_order.dump(), "727"},
      {"woocommerce", "GET orders page", json::array({woo_order}).dump(), "727"},
      {"woocommerce", "batch answer", readData("woocommerce/orders.batch.response.json"), ""},
  };
  for (const Case& c : cases) {
    std::istringstream in(c.payload);
    std::ostringstream out, err;
    ASSERT_EQ(runChannelDecode({"--channel", c.channel}, in, out, err), 0) << c.channel << " " << c.shape << ": " << out.str();
    json first = json::parse(out.str().substr(0, out.str().find('\n')));
    EXPECT_FALSE(first["order_id"].get<std::string>().empty()) << c.channel << " " << c.shape;
    if (!c.first_id.empty()) {
      EXPECT_EQ(first["order_id"], c.first_id) << c.channel << " " << c.shape;
    }
  }
}

TEST(ChannelDecodeCommand, BadPayloadGivesErrorJsonAndExitOne) {
  std::istringstream in("{\"id\": 12, \"line_items\": [");
  std::ostringstream out, err;
  EXPECT_EQ(runChannelDecode({"--channel", "shopify"}, in, out, err), 1);
  json e = json::parse(out.str());
  EXPECT_EQ(e["error"]["code"], "bad_json");
  EXPECT_FALSE(err.str().empty());
}

TEST(ChannelDecodeCommand, BadOptionsExitTwo) {
  std::istringstream in("{}");
  std::ostringstream out, err;
  EXPECT_EQ(runChannelDecode({}, in, out, err), 2);
  EXPECT_EQ(runChannelDecode({"--channel", "etsy"}, in, out, err), 2);
  EXPECT_EQ(runChannelDecode({"--channel", "shopify", "--bogus"}, in, out, err), 2);
}

// --- Refund ids and restock locations ---

TEST(ShopifyDecode, RefundLinesCarryTheirRefundIdAndWhereTheyWereRestocked) {
  json r = {{"id", 509562969},
            {"order_id", 820982911946154508ULL},
            {"refund_line_items", json::array({{{"line_item_id", 976318377106520349ULL},
                                                {"quantity", 2},
                                                {"restock_type", "cancel"},
                                                {"location_id", 24826418ULL},
                                                {"line_item", {{"sku", "SKU2006-020"}}}}})}};
  auto orders = decodeOk(ChannelKind::kShopify, r.dump());
  ASSERT_EQ(orders[0].releases.size(), 1u);
  EXPECT_EQ(orders[0].releases[0].refund_id, "509562969");
  EXPECT_EQ(orders[0].releases[0].location_ref, "24826418");
  EXPECT_TRUE(orders[0].releases[0].restock) << "restock_type cancel puts the units back";
  json out = toJson(orders[0]);
  EXPECT_EQ(out["releases"][0]["refund_id"], "509562969");
}

// --- WooCommerce, eBay and Amazon refunds ---

const Release* releaseOf(const NormalizedOrder& o, const std::string& refund_id, const std::string& line_id) {
  for (const Release& r : o.releases) {
    if (r.refund_id == refund_id && r.line_id == line_id) return &r;
  }
  return nullptr;
}

TEST(WooDecode, RefundListNamesItsOrderAndTheRefundedLines) {
  auto orders = decodeOk(ChannelKind::kWooCommerce, readData("woocommerce/order-refunds.constructed.json"));
  ASSERT_EQ(orders.size(), 1u);
  const NormalizedOrder& o = orders[0];
  EXPECT_EQ(o.order_id, "727") << "from _links.up";
  EXPECT_EQ(o.event, "refund");
  ASSERT_EQ(o.releases.size(), 2u);
  const Release* r = releaseOf(o, "731", "316");
  ASSERT_NE(r, nullptr) << "the refunded line is meta _refunded_item_id, not the refund line's own id";
  EXPECT_EQ(r->quantity, 1) << "refund quantities are negative";
  EXPECT_EQ(r->sku, "Bar3");
  EXPECT_FALSE(r->restock) << "a refund alone does not say it was restocked";
  // One refund alone, as GET /orders/727/refunds/731 answers.
  json one = json::parse(readData("woocommerce/order-refunds.constructed.json"))[0];
  auto single = decodeOk(ChannelKind::kWooCommerce, one.dump());
  ASSERT_EQ(single.size(), 1u);
  EXPECT_EQ(single[0].releases.size(), 1u);
}

TEST(WooDecode, OrderWithItsRefundsRestocksOnlyWhatTheLineSaysWasRestocked) {
  json order = json::parse(readData("woocommerce/order.retrieve.response.json"));
  order["refunds"] = json::parse(readData("woocommerce/order-refunds.constructed.json"));
  // WooCommerce counts restocked refunded units on the order's own line.
  order["line_items"][1]["meta_data"].push_back({{"id", 2121}, {"key", "_restock_refunded_items"}, {"value", "1"}});
  auto orders = decodeOk(ChannelKind::kWooCommerce, order.dump());
  ASSERT_EQ(orders.size(), 1u);
  const NormalizedOrder& o = orders[0];
  EXPECT_EQ(o.event, "order");
  const Release* back = releaseOf(o, "731", "316");
  ASSERT_NE(back, nullptr);
  EXPECT_TRUE(back->restock);
  EXPECT_EQ(back->restock_limit, 1);
  const Release* kept = releaseOf(o, "730", "315");
  ASSERT_NE(kept, nullptr);
  EXPECT_FALSE(kept->restock) << "line 315 has no _restock_refunded_items";
  for (const std::string& w : o.warnings) EXPECT_EQ(w.find("without their lines"), std::string::npos) << w;
  // The order alone lists its refunds as {id, total}: a warning, no release.
  json summary = json::parse(readData("woocommerce/order.retrieve.response.json"));
  summary["refunds"] = json::array({{{"id", 730}, {"reason", ""}, {"total", "-3.00"}}});
  auto s = decodeOk(ChannelKind::kWooCommerce, summary.dump());
  EXPECT_TRUE(s[0].releases.empty());
  ASSERT_FALSE(s[0].warnings.empty());
}

TEST(WooDecode, RefundedOrderReleasesOnlyWhatItsRefundsDidNot) {
  json order = json::parse(readData("woocommerce/order.retrieve.response.json"));
  order["status"] = "refunded";
  order["refunds"] = json::array({json::parse(readData("woocommerce/order-refunds.constructed.json"))[1]});  // 1 of line 315
  auto orders = decodeOk(ChannelKind::kWooCommerce, order.dump());
  int64_t by_refund = 0, rest = 0;
  for (const Release& r : orders[0].releases) {
    if (r.line_id != "315") continue;
    (r.refund_id.empty() ? rest : by_refund) += r.quantity;
  }
  EXPECT_EQ(by_refund, 1);
  EXPECT_EQ(rest, 1) << "2 ordered, 1 refunded with lines: 1 more released by the status";
}

json ebayWithRefund(const std::string& amount, const std::string& refund_status) {
  json d = json::parse(readData("ebay/getOrders.constructed.json"));
  json o = d["orders"][0];
  json& li = o["lineItems"][0];
  li["refunds"] = json::array({{{"amount", {{"value", amount}, {"currency", li["lineItemCost"]["currency"]}}},
                                {"refundDate", "2024-05-16T10:00:00.000Z"},
                                {"refundId", "5000123456"}}});
  o["paymentSummary"]["refunds"] = json::array({{{"refundId", "5000123456"}, {"refundStatus", refund_status},
                                                 {"amount", {{"value", amount}, {"currency", "USD"}}}}});
  return o;
}

TEST(EbayDecode, LineRefundReleasesTheUnitsItsAmountPaysFor) {
  json o = ebayWithRefund("0", "REFUNDED");
  const json& li = o["lineItems"][0];
  auto line = decodeOk(ChannelKind::kEbay, o.dump())[0].lines[0];
  ASSERT_TRUE(line.unit_price);
  ASSERT_GE(line.quantity, 2) << "the sample's first line has several units";
  std::string one_unit = line.unit_price->amount.toString();
  auto orders = decodeOk(ChannelKind::kEbay, ebayWithRefund(one_unit, "REFUNDED").dump());
  const Release* r = releaseOf(orders[0], "5000123456", li["lineItemId"]);
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->quantity, 1);
  EXPECT_FALSE(r->restock) << "eBay's refund never says the item came back";
  // The whole line cost is every unit.
  auto all = decodeOk(ChannelKind::kEbay, ebayWithRefund(li["lineItemCost"]["value"], "REFUNDED").dump());
  EXPECT_EQ(releaseOf(all[0], "5000123456", li["lineItemId"])->quantity, line.quantity);
  // Less than a unit is money only; a FAILED refund gave nothing back.
  EXPECT_TRUE(decodeOk(ChannelKind::kEbay, ebayWithRefund("1.00", "REFUNDED").dump())[0].releases.empty());
  EXPECT_TRUE(decodeOk(ChannelKind::kEbay, ebayWithRefund(one_unit, "FAILED").dump())[0].releases.empty());
}

TEST(EbayDecode, FullyRefundedOrderDoesNotReleaseRefundedUnitsTwice) {
  json o = ebayWithRefund("0", "REFUNDED");
  auto line = decodeOk(ChannelKind::kEbay, o.dump())[0].lines[0];
  o = ebayWithRefund(line.unit_price->amount.toString(), "REFUNDED");
  o["orderPaymentStatus"] = "FULLY_REFUNDED";
  auto orders = decodeOk(ChannelKind::kEbay, o.dump());
  int64_t total = 0;
  for (const Release& r : orders[0].releases) {
    if (r.line_id == line.line_id) total += r.quantity;
  }
  EXPECT_EQ(total, line.quantity);
}

TEST(AmazonDecode, FinancesRefundEventsAreReleasesUnderTheirAdjustmentIds) {
  auto orders = decodeOk(ChannelKind::kAmazon, readData("amazon/listFinancialEventsByOrderId-refund.constructed.json"));
  ASSERT_EQ(orders.size(), 1u);
  const NormalizedOrder& o = orders[0];
  EXPECT_EQ(o.order_id, "902-1845936-5435065");
  EXPECT_EQ(o.event, "refund");
  ASSERT_EQ(o.releases.size(), 1u);
  EXPECT_EQ(o.releases[0].refund_id, "52986411826454");
  EXPECT_EQ(o.releases[0].line_id, "68828574383266");
  EXPECT_EQ(o.releases[0].sku, "NABetaASINB");
  EXPECT_EQ(o.releases[0].quantity, 1);
  EXPECT_FALSE(o.releases[0].restock) << "a refund event says money went back, not the item";
  // Without OrderAdjustmentItemId the id is PostedDate/OrderItemId: the same on every read.
  json j = json::parse(readData("amazon/listFinancialEventsByOrderId-refund.constructed.json"));
  j["payload"]["FinancialEvents"]["RefundEventList"][0]["ShipmentItemAdjustmentList"][0].erase("OrderAdjustmentItemId");
  auto again = decodeOk(ChannelKind::kAmazon, j.dump());
  EXPECT_EQ(again[0].releases[0].refund_id, "2026-11-30T14:05:12Z/68828574383266");
}

TEST(DecodeBadInput, RefundPayloadsRefusedWithAReason) {
  std::vector<BadCase> cases = {
      {ChannelKind::kWooCommerce, R"({"id":731,"amount":"1.00","refunded_by":1,"line_items":[]})", "missing_order_id"},
      {ChannelKind::kWooCommerce, R"({"amount":"1.00","refunded_by":1,"line_items":[],"_links":{"up":[{"href":"/orders/7"}]}})", "bad_refund"},
      {ChannelKind::kWooCommerce, R"({"id":1,"refunded_by":1,"line_items":"x","_links":{"up":[{"href":"/orders/7"}]}})", "bad_refund"},
      {ChannelKind::kWooCommerce, R"({"id":1,"refunded_by":1,"line_items":[{"quantity":2}],"_links":{"up":[{"href":"/orders/7"}]}})", "bad_refund"},
      {ChannelKind::kWooCommerce, R"({"id":1,"refunded_by":1,"line_items":[{"quantity":"-x"}],"_links":{"up":[{"href":"/orders/7"}]}})", "bad_refund"},
      {ChannelKind::kWooCommerce, R"([{"id":1,"refunded_by":1,"line_items":[],"_links":{"up":[{"href":"/orders/7"}]}},{"id":2,"refunded_by":1,"line_items":[],"_links":{"up":[{"href":"/orders/8"}]}}])", "mixed_orders"},
      {ChannelKind::kWooCommerce, R"([{"id":1,"refunded_by":1,"line_items":[],"_links":{"up":[{"href":"/orders/7"}]}},{"id":2,"status":"processing"}])", "bad_refund"},
      {ChannelKind::kWooCommerce, R"({"id":727,"status":"processing","line_items":[],"refunds":{"id":1}})", "bad_refunds"},
      {ChannelKind::kWooCommerce, R"({"id":727,"status":"processing","line_items":[],"refunds":[{"id":1,"line_items":[{"quantity":1}]}]})", "bad_refund"},
      {ChannelKind::kEbay, R"({"orderId":"1","lineItems":[{"lineItemId":"2","quantity":1,"refunds":{}}]})", "bad_refunds"},
      {ChannelKind::kEbay, R"({"orderId":"1","lineItems":[{"lineItemId":"2","quantity":1,"refunds":[7]}]})", "bad_refund"},
      {ChannelKind::kEbay, R"({"orderId":"1","lineItems":[{"lineItemId":"2","quantity":1,"refunds":[{"refundId":"9","amount":{"value":"-1","currency":"USD"}}]}]})", "bad_refund"},
      {ChannelKind::kAmazon, R"({"payload":{"FinancialEvents":[]}})", "bad_payload"},
      {ChannelKind::kAmazon, R"({"payload":{"FinancialEvents":{"RefundEventList":{}}}})", "bad_payload"},
      {ChannelKind::kAmazon, R"({"payload":{"FinancialEvents":{"RefundEventList":[{"PostedDate":"x"}]}}})", "missing_order_id"},
      {ChannelKind::kAmazon, R"({"payload":{"FinancialEvents":{"RefundEventList":[{"AmazonOrderId":"1","ShipmentItemAdjustmentList":"x"}]}}})", "bad_refund"},
      {ChannelKind::kAmazon, R"({"payload":{"FinancialEvents":{"RefundEventList":[{"AmazonOrderId":"1","ShipmentItemAdjustmentList":[{"OrderItemId":"2","QuantityShipped":-1}]}]}}})", "bad_refund"},
      {ChannelKind::kAmazon, R"({"payload":{"FinancialEvents":{"RefundEventList":[]}}})", "no_orders"},
  };
  for (const BadCase& c : cases) {
    auto r = decodeOrders(c.channel, c.payload);
    ASSERT_FALSE(r.ok()) << channelName(c.channel) << ": accepted " << c.payload.substr(0, 80);
    EXPECT_EQ(r.error().code, c.code) << channelName(c.channel) << ": " << c.payload.substr(0, 80) << " -> " << r.error().toString();
    EXPECT_FALSE(r.error().message.empty());
  }
}

// --- Buy online, pick up in store ---

TEST(PickupDecode, ShopifyShippingCodeBecomesAPickupOnlyWhenMapped) {
  json j = shopifySample();
  j["cancelled_at"] = nullptr;
  j["shipping_lines"][0]["code"] = "Pickup Main Street";
  auto orders = decodeOk(ChannelKind::kShopify, j.dump());
  NormalizedOrder o = orders[0];
  EXPECT_FALSE(o.pickup.requested);
  EXPECT_EQ(o.pickup.ref, "Pickup Main Street");
  EXPECT_EQ(o.pickup.ref_field, "shipping_lines[].code");
  NormalizedOrder unmapped = o;
  resolvePickup(unmapped, {{"Other", "store-9"}});
  EXPECT_FALSE(unmapped.pickup.requested) << "an ordinary shipping rate stays a shipment, silently";
  resolvePickup(o, {{"Pickup Main Street", "store-2"}});
  EXPECT_TRUE(o.pickup.requested);
  EXPECT_EQ(o.pickup.location, "store-2");
  EXPECT_EQ(toJson(o)["pickup"]["location"], "store-2");
  // The published sample (code null, title "Generic Shipping") falls back to the title.
  EXPECT_EQ(decodeOk(ChannelKind::kShopify, shopifySample().dump())[0].pickup.ref, "Generic Shipping");
}

TEST(PickupDecode, WooCommercePickupLocationMetaAndClassicLocalPickup) {
  json j = json::parse(readData("woocommerce/order.retrieve.response.json"));
  j["shipping_lines"] = json::array({{{"id", 1}, {"method_id", "pickup_location"}, {"method_title", "Pickup"},
                                      {"meta_data", json::array({{{"id", 9}, {"key", "pickup_address"}, {"value", "1 Main St"}},
                                                                 {{"id", 10}, {"key", "pickup_location"}, {"value", "Main Street"}}})}}});
  auto o = decodeOk(ChannelKind::kWooCommerce, j.dump())[0];
  EXPECT_TRUE(o.pickup.requested);
  EXPECT_EQ(o.pickup.ref, "Main Street");
  EXPECT_EQ(o.pickup.ref_field, "shipping_lines[].meta_data.pickup_location");
  j["shipping_lines"][0]["method_id"] = "local_pickup";
  j["shipping_lines"][0]["meta_data"] = json::array();
  o = decodeOk(ChannelKind::kWooCommerce, j.dump())[0];
  EXPECT_TRUE(o.pickup.requested);
  EXPECT_EQ(o.pickup.ref, "local_pickup");
  // The published sample ships (flat_rate): no pickup.
  EXPECT_FALSE(decodeOk(ChannelKind::kWooCommerce, readData("woocommerce/order.retrieve.response.json"))[0].pickup.requested);
  // Bad shapes are ignored, never a crash: meta value not a string, shipping_lines not a list.
  j["shipping_lines"][0]["method_id"] = "pickup_location";
  j["shipping_lines"][0]["meta_data"] = json::array({{{"key", "pickup_location"}, {"value", 12}}, 7, nullptr});
  o = decodeOk(ChannelKind::kWooCommerce, j.dump())[0];
  EXPECT_EQ(o.pickup.ref, "pickup_location");
  j["shipping_lines"] = "local_pickup";
  EXPECT_FALSE(decodeOk(ChannelKind::kWooCommerce, j.dump())[0].pickup.requested);
}

TEST(PickupDecode, EbayPrepareForPickupNamesTheMerchantLocation) {
  json j = json::parse(readData("ebay/getOrders.constructed.json"));
  json& order = j["orders"][0];
  order["fulfillmentStartInstructions"] = json::array(
      {{{"fulfillmentInstructionsType", "PREPARE_FOR_PICKUP"}, {"pickupStep", {{"merchantLocationKey", "STORE-7"}}}}});
  auto o = decodeOk(ChannelKind::kEbay, j.dump())[0];
  EXPECT_TRUE(o.pickup.requested);
  EXPECT_EQ(o.pickup.ref, "STORE-7");
  resolvePickup(o, {});
  EXPECT_TRUE(o.pickup.location.empty());
  ASSERT_FALSE(o.warnings.empty());
  EXPECT_NE(o.warnings.back().find("STORE-7"), std::string::npos) << "an unmapped store is said, not guessed";
  order["fulfillmentStartInstructions"][0]["pickupStep"] = "STORE-7";  // wrong shape
  EXPECT_TRUE(decodeOk(ChannelKind::kEbay, j.dump())[0].pickup.ref.empty());
}

TEST(PickupDecode, AmazonIspuWithTheStoreChainStoreOrTheSupplySource) {
  json order = json::parse(readData("amazon/getOrder.example.json"));
  json items = json::parse(readData("amazon/getOrderItems.example.json"));
  order["payload"]["IsISPU"] = true;
  order["payload"]["FulfillmentInstruction"] = {{"FulfillmentSupplySourceId", "supply-9"}};
  auto o = decodeOk(ChannelKind::kAmazon, json::array({order}).dump())[0];
  EXPECT_TRUE(o.pickup.requested);
  EXPECT_EQ(o.pickup.ref, "supply-9");
  items["payload"]["AmazonOrderId"] = order["payload"]["AmazonOrderId"];
  items["payload"].erase("NextToken");
  items["payload"]["OrderItems"][0]["StoreChainStoreId"] = "ISPU_StoreId";
  o = decodeOk(ChannelKind::kAmazon, json::array({order, items}).dump())[0];
  EXPECT_EQ(o.pickup.ref, "ISPU_StoreId");
  EXPECT_EQ(o.pickup.ref_field, "OrderItems[].StoreChainStoreId");
  order["payload"]["IsISPU"] = "yes";  // not a boolean (nor "true"): not a pickup
  order["payload"].erase("FulfillmentInstruction");
  EXPECT_FALSE(decodeOk(ChannelKind::kAmazon, json::array({order}).dump())[0].pickup.requested);
  // Orders API 2026-01-01 says IN_STORE_PICK_UP but names no store.
  json v2026 = json::parse(readData("amazon/getOrder-2026-01-01.example.json"));
  v2026["order"]["programs"] = json::array({"IN_STORE_PICK_UP"});
  o = decodeOk(ChannelKind::kAmazon, v2026.dump())[0];
  EXPECT_TRUE(o.pickup.requested);
  resolvePickup(o, {{"x", "store-1"}});
  EXPECT_NE(o.warnings.back().find("without a store id"), std::string::npos);
}

TEST(PickupDecode, ChannelLocationsConfigIsChecked) {
  json cfg = {{"channels", {{"ebay", {{"channel_locations", {{"STORE-7", "store-7"}}}}}}}};
  auto m = channelLocations(cfg, ChannelKind::kEbay);
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->at("STORE-7"), "store-7");
  EXPECT_TRUE(channelLocations(cfg, ChannelKind::kShopify)->empty());
  cfg["channels"]["ebay"]["channel_locations"] = json::array({"STORE-7"});
  EXPECT_FALSE(channelLocations(cfg, ChannelKind::kEbay).ok());
  cfg["channels"]["ebay"]["channel_locations"] = {{"STORE-7", 7}};
  EXPECT_FALSE(channelLocations(cfg, ChannelKind::kEbay).ok());
  cfg["channels"]["ebay"]["channel_locations"] = {{"STORE-7", ""}};
  EXPECT_FALSE(channelLocations(cfg, ChannelKind::kEbay).ok());
}

// --- Ship-to place (issue 23): the postal code, city and region each channel gives ---

namespace shipto {
ShipToPlace first(ChannelKind c, const std::string& payload) {
  auto orders = decodeOk(c, payload);
  EXPECT_FALSE(orders.empty());
  return orders.empty() ? ShipToPlace{} : orders[0].ship_to;
}
}  // namespace shipto

TEST(ShipToDecode, EveryChannelsSampleGivesPostalCodeCityAndRegion) {
  ShipToPlace s = shipto::first(ChannelKind::kShopify, readData("shopify/orders-create-webhook.example.json"));
  EXPECT_EQ(s.postal_code, "40003");
  EXPECT_EQ(s.city, "Shippington");
  EXPECT_EQ(s.region, "KY");  // province_code, not the billing address's
  s = shipto::first(ChannelKind::kAmazon, readData("amazon/getOrder.example.json"));
  EXPECT_EQ(s.postal_code, "48817");  // ShippingAddress, not DefaultShipFromLocationAddress's 98121-2778
  EXPECT_EQ(s.city, "Canton");
  EXPECT_EQ(s.region, "MI");
  s = shipto::first(ChannelKind::kAmazon, readData("amazon/getOrder-2026-01-01.example.json"));
  EXPECT_EQ(s.postal_code, "M1 2AB");
  EXPECT_EQ(s.city, "Manchester");
  EXPECT_EQ(s.region, "England");
  auto ebay = decodeOk(ChannelKind::kEbay, readData("ebay/getOrders.constructed.json"));
  ASSERT_EQ(ebay.size(), 2u);
  EXPECT_EQ(ebay[0].ship_to.postal_code, "51147");
  EXPECT_EQ(ebay[0].ship_to.city, "Koeln");
  EXPECT_EQ(ebay[0].ship_to.region, "");
  EXPECT_EQ(ebay[1].ship_to.postal_code, "73301");
  EXPECT_EQ(ebay[1].ship_to.region, "TX");
  s = shipto::first(ChannelKind::kWooCommerce, readData("woocommerce/order.retrieve.response.json"));
  EXPECT_EQ(s.postal_code, "94103");
  EXPECT_EQ(s.city, "San Francisco");
  EXPECT_EQ(s.region, "CA");
}

TEST(ShipToDecode, ShopifyGraphqlAndProvinceNameFallback) {
  json page = {{"data",
                {{"orders",
                  {{"nodes", json::array({{{"id", "gid://shopify/Order/1"},
                                           {"shippingAddress",
                                            {{"countryCodeV2", "US"}, {"zip", "10001"}, {"city", "New York"},
                                             {"provinceCode", "NY"}}},
                                           {"lineItems", {{"nodes", json::array()}}}}})}}}}}};
  ShipToPlace s = shipto::first(ChannelKind::kShopify, page.dump());
  EXPECT_EQ(s.postal_code, "10001");
  EXPECT_EQ(s.region, "NY");
  json rest = json::parse(readData("shopify/orders-create-webhook.example.json"));
  rest["shipping_address"]["province_code"] = nullptr;
  EXPECT_EQ(shipto::first(ChannelKind::kShopify, rest.dump()).region, "Kentucky");
}

TEST(ShipToDecode, WooOrderWithoutShippingAddressUsesTheBillingOne) {
  json o = json::parse(readData("woocommerce/order.retrieve.response.json"));
  o["shipping"] = {{"country", ""}, {"postcode", ""}};
  o["billing"]["postcode"] = "10001";
  o["billing"]["city"] = "New York";
  o["billing"]["state"] = "NY";
  auto orders = decodeOk(ChannelKind::kWooCommerce, o.dump());
  ASSERT_EQ(orders.size(), 1u);
  EXPECT_EQ(orders[0].ship_to.postal_code, "10001");
  EXPECT_EQ(orders[0].ship_to_country, "US");
}

TEST(DecodeBadInput, ShipToPartsThatAreNotUsableAreDroppedWithAWarningAndTheOrderStillDecodes) {
  json base = json::parse(readData("woocommerce/order.retrieve.response.json"));
  auto decodeWith = [&](const json& postcode, const json& city) {
    json o = base;
    o["shipping"]["postcode"] = postcode;
    o["shipping"]["city"] = city;
    auto orders = decodeOk(ChannelKind::kWooCommerce, o.dump());
    EXPECT_EQ(orders.size(), 1u);
    return orders.empty() ? NormalizedOrder{} : orders[0];
  };
  // Wrong types read as absent, without a warning (as every other field).
  NormalizedOrder o = decodeWith(94103, json::array({"x"}));
  EXPECT_EQ(o.ship_to.postal_code, "");
  EXPECT_EQ(o.ship_to.city, "");
  EXPECT_EQ(o.ship_to.region, "CA");
  EXPECT_EQ(o.lines.size(), 2u);
  // Spaces around are trimmed; only spaces is absent.
  o = decodeWith("  94103 ", "   ");
  EXPECT_EQ(o.ship_to.postal_code, "94103");
  EXPECT_EQ(o.ship_to.city, "");
  // Too long, or a control character: dropped, and a person is told.
  size_t before = decodeWith("94103", "x").warnings.size();
  o = decodeWith(std::string(17, '9'), std::string("San\nFrancisco"));
  EXPECT_EQ(o.ship_to.postal_code, "");
  EXPECT_EQ(o.ship_to.city, "");
  ASSERT_EQ(o.warnings.size(), before + 2);
  auto warned = [&](const std::string& what) {
    return std::any_of(o.warnings.begin(), o.warnings.end(), [&](const std::string& w) { return w.find(what) != std::string::npos; });
  };
  EXPECT_TRUE(warned("the shipping address's postal code is longer than 16 bytes"));
  EXPECT_TRUE(warned("the shipping address's city holds a control character"));
  EXPECT_EQ(decodeWith(std::string(16, '9'), "x").ship_to.postal_code, std::string(16, '9'));
  // The shipping address not an object: nothing from it, the order still decodes.
  json bad = base;
  bad["shipping"] = "94103";
  auto orders = decodeOk(ChannelKind::kWooCommerce, bad.dump());
  ASSERT_EQ(orders.size(), 1u);
  EXPECT_EQ(orders[0].ship_to_country, "US");  // the billing address stands in, as for a missing one
  EXPECT_EQ(orders[0].ship_to.postal_code, "94103");
}

TEST(ShipToDecode, PrintedOnlyWhenGiven) {
  auto orders = decodeOk(ChannelKind::kWooCommerce, readData("woocommerce/order.retrieve.response.json"));
  ASSERT_EQ(orders.size(), 1u);
  auto j = toJson(orders[0]);
  EXPECT_EQ(j["ship_to"]["postal_code"], "94103");
  EXPECT_EQ(j["ship_to"]["region"], "CA");
  orders[0].ship_to = {};
  EXPECT_FALSE(toJson(orders[0]).contains("ship_to"));
}


// --- The customer (issue 20): name, contact and full shipping address, kept out of toJson ---

namespace buyer {
CustomerContact first(ChannelKind c, const std::string& payload) {
  auto orders = decodeOk(c, payload);
  EXPECT_FALSE(orders.empty());
  return orders.empty() ? CustomerContact{} : orders[0].customer;
}
}  // namespace buyer

TEST(CustomerDecode, EveryChannelsSampleGivesNameContactAndAddress) {
  CustomerContact c = buyer::first(ChannelKind::kShopify, readData("shopify/orders-create-webhook.example.json"));
  EXPECT_EQ(c.buyer_id, "115310627314723954");  // exact: beyond 2^53
  EXPECT_EQ(c.email, "jon@example.com");        // contact_email, before customer.email
  EXPECT_EQ(c.name, "Steve Shipper");           // the shipping address's name
  EXPECT_EQ(c.phone, "555-555-SHIP");
  EXPECT_EQ(c.ship_to.lines, (std::vector<std::string>{"Shipping Company", "123 Shipping Street"}));
  EXPECT_EQ(c.ship_to.city, "Shippington");
  EXPECT_EQ(c.ship_to.region, "KY");
  EXPECT_EQ(c.ship_to.postal_code, "40003");
  EXPECT_EQ(c.ship_to.country, "US");
  EXPECT_FALSE(c.restricted);

  c = buyer::first(ChannelKind::kAmazon, readData("amazon/getOrder.example.json"));
  EXPECT_EQ(c.email, "user@example.com");
  EXPECT_EQ(c.name, "John Doe");  // BuyerInfo.BuyerName before the address's name
  EXPECT_EQ(c.ship_to.lines, (std::vector<std::string>{"1 Cross St."}));
  EXPECT_EQ(c.ship_to.postal_code, "48817");
  EXPECT_FALSE(c.restricted);
  c = buyer::first(ChannelKind::kAmazon, readData("amazon/getOrder-2026-01-01.example.json"));
  EXPECT_EQ(c.email, "buyer-email@marketplace.amazon.co.uk");
  EXPECT_EQ(c.name, "James Wilson");
  EXPECT_EQ(c.phone, "+44 161 123 4567");
  EXPECT_EQ(c.ship_to.lines, (std::vector<std::string>{"Wilson Electronics Ltd", "123 High Street", "Unit 4B"}));
  EXPECT_EQ(c.ship_to.country, "GB");

  auto ebay = decodeOk(ChannelKind::kEbay, readData("ebay/getOrders.constructed.json"));
  ASSERT_EQ(ebay.size(), 2u);
  EXPECT_EQ(ebay[0].customer.buyer_id, "buyer_de_1");
  EXPECT_EQ(ebay[0].customer.name, "Erika Mustermann");
  EXPECT_EQ(ebay[0].customer.phone, "0221 1234567");
  EXPECT_EQ(ebay[0].customer.ship_to.lines, (std::vector<std::string>{"Heidestrasse 17"}));
  EXPECT_EQ(ebay[0].customer.ship_to.country, "DE");  // "country" of the older versions
  EXPECT_EQ(ebay[1].customer.ship_to.region, "TX");

  c = buyer::first(ChannelKind::kWooCommerce, readData("woocommerce/order.retrieve.response.json"));
  EXPECT_EQ(c.buyer_id, "");  // customer_id 0: a guest
  EXPECT_EQ(c.name, "John Doe");
  EXPECT_EQ(c.email, "john.doe@example.com");
  EXPECT_EQ(c.phone, "(555) 555-5555");
  EXPECT_EQ(c.ship_to.lines, (std::vector<std::string>{"969 Market"}));  // empty company and address_2 left out
  EXPECT_EQ(c.ship_to.postal_code, "94103");

  c = buyer::first(ChannelKind::kWalmart, readData("walmart/getAnOrder.example.json"));
  EXPECT_EQ(c.email, "7d9f02968955480499c84c5871ad1401@relay.walmart.com");  // lowercased
  EXPECT_EQ(c.name, "Donald Ashley");
  EXPECT_EQ(c.phone, "3143450432");
  EXPECT_EQ(c.ship_to.lines, (std::vector<std::string>{"6600 gazebo drive"}));
  EXPECT_EQ(c.ship_to.country, "USA");
}

TEST(CustomerDecode, OrderJsonLeavesThePersonalDataOut) {
  auto orders = decodeOk(ChannelKind::kShopify, readData("shopify/orders-create-webhook.example.json"));
  ASSERT_EQ(orders.size(), 1u);
  std::string printed = toJson(orders[0]).dump();
  for (const char* personal : {"Steve Shipper", "555-555-SHIP", "jon@example.com", "123 Shipping Street"}) {
    EXPECT_EQ(printed.find(personal), std::string::npos) << personal;
  }
  json c = customerJson(orders[0].customer);
  EXPECT_EQ(c["name"], "Steve Shipper");
  EXPECT_EQ(c["ship_to"]["lines"].size(), 2u);
}

TEST(CustomerDecode, AmazonWithoutRestrictedDataIsMarkedRestricted) {
  json v0 = json::parse(readData("amazon/getOrder.example.json"));
  json& p = v0.contains("payload") ? v0["payload"] : v0;
  p.erase("BuyerInfo");
  p["ShippingAddress"] = {{"City", "Canton"}, {"StateOrRegion", "MI"}, {"PostalCode", "48817"}, {"CountryCode", "US"}};
  CustomerContact c = buyer::first(ChannelKind::kAmazon, v0.dump());
  EXPECT_TRUE(c.restricted);
  EXPECT_EQ(c.name, "");
  EXPECT_EQ(c.email, "");
  EXPECT_EQ(c.ship_to.postal_code, "48817");
  json nw = json::parse(readData("amazon/getOrder-2026-01-01.example.json"));
  json& o = nw.contains("order") ? nw["order"] : nw;
  o.erase("buyer");
  o.erase("recipient");
  c = buyer::first(ChannelKind::kAmazon, nw.dump());
  EXPECT_TRUE(c.restricted);
  EXPECT_TRUE(c.ship_to.empty());
}

TEST(DecodeBadInput, CustomerFieldsThatAreNotUsableAreDroppedWithAWarning) {
  json base = json::parse(readData("woocommerce/order.retrieve.response.json"));
  auto decodeWith = [&](const std::function<void(json&)>& change) {
    json o = base;
    change(o);
    auto orders = decodeOk(ChannelKind::kWooCommerce, o.dump());
    EXPECT_EQ(orders.size(), 1u);
    return orders.empty() ? NormalizedOrder{} : orders[0];
  };
  auto warned = [](const NormalizedOrder& o, const std::string& what) {
    return std::any_of(o.warnings.begin(), o.warnings.end(), [&](const std::string& w) { return w.find(what) != std::string::npos; });
  };
  // Not an email address: dropped, said, the order still decodes with its lines.
  for (const char* bad : {"no-at-sign", "@example.com", "a@", "a@b@c", "a b@example.com"}) {
    NormalizedOrder o = decodeWith([&](json& j) { j["billing"]["email"] = bad; });
    EXPECT_EQ(o.customer.email, "") << bad;
    EXPECT_TRUE(warned(o, "the customer's email is not an email address")) << bad;
    EXPECT_EQ(o.lines.size(), 2u);
  }
  NormalizedOrder o = decodeWith([](json& j) { j["billing"]["email"] = "  John.Doe@Example.COM "; });
  EXPECT_EQ(o.customer.email, "john.doe@example.com");
  // Too long, control characters, wrong types.
  o = decodeWith([](json& j) {
    j["shipping"]["first_name"] = std::string(101, 'x');
    j["shipping"]["address_1"] = "969\rMarket";
    j["billing"]["phone"] = 5555555;
    j["billing"]["email"] = json::array();
  });
  EXPECT_EQ(o.customer.name, "Doe");
  EXPECT_TRUE(o.customer.ship_to.lines.empty());
  EXPECT_EQ(o.customer.phone, "");
  EXPECT_EQ(o.customer.email, "");
  EXPECT_TRUE(warned(o, "the customer's first name is longer than 100 bytes: not kept"));
  EXPECT_TRUE(warned(o, "the customer's address line holds a control character: not kept"));
  // Addresses that are not objects: nothing from them.
  o = decodeWith([](json& j) {
    j["shipping"] = 7;
    j["billing"] = "x";
  });
  EXPECT_TRUE(o.customer.empty());
  // Shopify: customer not an object, email of the wrong type, a huge buyer id.
  json shop = json::parse(readData("shopify/orders-create-webhook.example.json"));
  shop["customer"] = "x";
  shop["contact_email"] = 12;
  shop["email"] = nullptr;
  CustomerContact c = buyer::first(ChannelKind::kShopify, shop.dump());
  EXPECT_EQ(c.buyer_id, "");
  EXPECT_EQ(c.email, "");
  EXPECT_EQ(c.name, "Steve Shipper");
}
}  // namespace
}  // namespace sw::coordinator::channels
