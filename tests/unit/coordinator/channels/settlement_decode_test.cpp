// Shopify Payments payout payloads (settlement.h): the documented shape read exactly, and bad
// input of every kind refused with a reason, nothing kept.

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "sw/coordinator/channels/settlement.h"

namespace sw::coordinator::channels {
namespace {

using nlohmann::json;

std::string dataFile(const std::string& rel) {
  std::ifstream in(std::string(SW_CHANNEL_TEST_DATA) + "/" + rel, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

json txn(json patch = json::object()) {
  json t = {{"id", 1},         {"type", "charge"},    {"currency", "USD"},        {"amount", "10.00"},
            {"fee", "0.59"},   {"net", "9.41"},       {"source_id", 5},           {"source_type", "charge"},
            {"source_order_id", 7001234567890123457ULL}, {"processed_at", "2026-12-07T16:32:45Z"}};
  t.update(patch);
  return t;
}

std::string one(const json& t) { return json{{"transactions", json::array({t})}}.dump(); }

TEST(ShopifyPayouts, ThePayoutListIsReadExactly) {
  auto p = decodeShopifyPayouts(dataFile("shopify/payouts.settlement.json"));
  ASSERT_TRUE(p.ok()) << p.error().toString();
  ASSERT_EQ(p->size(), 1u);
  EXPECT_EQ((*p)[0].payout_id, "623721858");
  EXPECT_EQ((*p)[0].status, "paid");
  EXPECT_EQ((*p)[0].date, "2026-12-07");
  EXPECT_EQ((*p)[0].currency, "USD");
  EXPECT_EQ((*p)[0].amount.toString(), "2.91");
  EXPECT_TRUE((*p)[0].lines.empty());
}

TEST(ShopifyPayouts, BalanceTransactionsKeepIdsAbove2To53AndEveryAmount) {
  auto l = decodeShopifyBalanceTransactions(dataFile("shopify/balance-transactions.settlement.json"));
  ASSERT_TRUE(l.ok()) << l.error().toString();
  ASSERT_EQ(l->size(), 4u);
  EXPECT_EQ((*l)[0].kind, PayoutLineKind::kOrder);
  EXPECT_EQ((*l)[0].order_id, "7001234567890123457") << "never through a double";
  EXPECT_EQ((*l)[0].amount.toString(), "10.00");
  EXPECT_EQ((*l)[0].fee.toString(), "0.59");
  EXPECT_EQ((*l)[0].net.toString(), "9.41");
  EXPECT_EQ((*l)[1].kind, PayoutLineKind::kRefund);
  EXPECT_EQ((*l)[1].refund_id, "9301234567890120001");
  EXPECT_EQ((*l)[1].amount.toString(), "-4.00");
  EXPECT_EQ((*l)[2].kind, PayoutLineKind::kFee) << "an adjustment tied to no order";
  EXPECT_EQ((*l)[2].description, "chargeback_fee");
  EXPECT_EQ((*l)[3].kind, PayoutLineKind::kPayout);
  EXPECT_EQ(toJson((*l)[1])["kind"], "refund");
}

TEST(ShopifyPayouts, AnAdjustmentOnAnOrderIsAnAdjustmentNotAFee) {
  auto l = decodeShopifyBalanceTransactions(one(txn({{"type", "adjustment"}, {"amount", "-1.00"}, {"fee", "0.00"}, {"net", "-1.00"}})));
  ASSERT_TRUE(l.ok()) << l.error().toString();
  EXPECT_EQ((*l)[0].kind, PayoutLineKind::kAdjustment);
}

TEST(ShopifyPayouts, BadInputIsRefusedWithAReason) {
  struct Case {
    std::string name;
    std::string body;
    std::string says;
  };
  const std::vector<Case> cases = {
      {"not json", "{\"transactions\": [", ""},
      {"empty", "", ""},
      {"not an object", "[1,2]", "object"},
      {"no list", "{\"payouts\":[]}", "transactions"},
      {"list not array", "{\"transactions\":{}}", "transactions"},
      {"entry not object", "{\"transactions\":[1]}", "object"},
      {"amount as a number", one(txn({{"amount", 10.0}})), "decimal string"},
      {"amount not decimal", one(txn({{"amount", "10,00"}})), "not a decimal"},
      {"amount with 5 decimals", one(txn({{"amount", "10.00001"}})), "not a decimal"},
      {"amount missing", one(txn({{"amount", nullptr}})), "amount is missing"},
      {"net that does not add up", one(txn({{"net", "9.40"}})), "less fee"},
      {"no id", one(txn({{"id", nullptr}})), "id is missing"},
      {"id an object", one(txn({{"id", json::object()}})), "must be an id"},
      {"id a float", one(txn({{"id", 1.5}})), "must be an id"},
      {"no type", one(txn({{"type", nullptr}})), "type is missing"},
      {"type a number", one(txn({{"type", 3}})), "string"},
      {"no currency", one(txn({{"currency", nullptr}})), "currency is missing"},
      {"currency too long", one(txn({{"currency", "DOLLARS"}})), "currency"},
      {"charge without order", one(txn({{"source_order_id", nullptr}})), "source_order_id"},
      {"refund without order", one(txn({{"type", "refund"}, {"source_order_id", nullptr}})), "source_order_id"},
      {"huge amounts", one(txn({{"amount", "922337203685477.0000"}, {"fee", "-922337203685477.0000"}, {"net", "0.00"}})), ""},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    auto l = decodeShopifyBalanceTransactions(c.body);
    ASSERT_FALSE(l.ok());
    EXPECT_EQ(l.error().kind, common::ErrorKind::kReject);
    EXPECT_FALSE(l.error().message.empty());
    if (!c.says.empty()) {
      EXPECT_NE(l.error().message.find(c.says), std::string::npos) << l.error().message;
    }
  }
  std::string deep(200, '[');
  EXPECT_FALSE(decodeShopifyBalanceTransactions(deep).ok());
  EXPECT_FALSE(decodeShopifyPayouts("{\"payouts\":[{\"id\":1,\"amount\":2.91,\"currency\":\"USD\"}]}").ok());
  EXPECT_FALSE(decodeShopifyPayouts("{\"payouts\":[{\"id\":1,\"amount\":\"2.91\"}]}").ok()) << "no currency";
  EXPECT_FALSE(decodeShopifyPayouts("{\"payouts\":[{\"amount\":\"2.91\",\"currency\":\"USD\"}]}").ok()) << "no id";
  EXPECT_FALSE(decodeShopifyPayouts("{\"payouts\":[{\"id\":1,\"amount\":\"2.91\",\"currency\":\"USD\",\"status\":7}]}").ok());
}

TEST(ShopifyPayouts, TheNextPageComesFromTheLinkHeader) {
  EXPECT_EQ(shopifyNextPageInfo(""), "");
  EXPECT_EQ(shopifyNextPageInfo("<https://s/admin/api/2026-04/x.json?limit=5&page_info=abc_1>; rel=\"next\""), "abc_1");
  EXPECT_EQ(shopifyNextPageInfo("<https://s/x.json?page_info=prev>; rel=\"previous\", <https://s/x.json?page_info=nxt&limit=5>; rel=\"next\""),
            "nxt");
  EXPECT_EQ(shopifyNextPageInfo("<https://s/x.json?page_info=prev>; rel=\"previous\""), "");
  EXPECT_EQ(shopifyNextPageInfo("<https://s/x.json?limit=5>; rel=\"next\""), "") << "no page_info";
  EXPECT_EQ(shopifyNextPageInfo("<https://s/x.json?page_info=a\"b>; rel=\"next\""), "") << "odd characters refused";
  EXPECT_EQ(shopifyNextPageInfo("<https://s/x.json?page_info=abc; rel=\"next\""), "") << "unclosed";
}

}  // namespace
}  // namespace sw::coordinator::channels
