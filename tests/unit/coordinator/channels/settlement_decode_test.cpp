// Shopify Payments payout payloads (settlement.h): the documented shape read exactly, and bad
// input of every kind refused with a reason, nothing kept.

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "sw/coordinator/channels/settlement.h"

namespace sw::coordinator::channels {
namespace {

using common::Decimal;
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

// ---- Amazon settlement reports ----

TEST(AmazonSettlement, TheFlatFileBecomesOnePayoutWithALinePerTransaction) {
  auto p = decodeAmazonSettlementReport(dataFile("amazon/settlement-report.v2.tsv"));
  ASSERT_TRUE(p.ok()) << p.error().toString();
  EXPECT_EQ(p->channel, ChannelKind::kAmazon);
  EXPECT_EQ(p->payout_id, "11783925041");
  EXPECT_EQ(p->date, "2026-12-09");
  EXPECT_EQ(p->currency, "USD");
  EXPECT_EQ(p->amount.toString(), "18.53");
  ASSERT_EQ(p->lines.size(), 4u);
  const PayoutLine& order = p->lines[0];
  EXPECT_EQ(order.kind, PayoutLineKind::kOrder);
  EXPECT_EQ(order.order_id, "113-1000001-4007919");
  EXPECT_EQ(order.amount.toString(), "21.60") << "Principal + Tax";
  EXPECT_EQ(order.fee.toString(), "3.00") << "the Commission, taken";
  EXPECT_EQ(order.net.toString(), "18.60");
  EXPECT_EQ(order.processed_at, "2026-12-01 16:32:45 UTC");
  const PayoutLine& refund = p->lines[1];
  EXPECT_EQ(refund.kind, PayoutLineKind::kRefund);
  EXPECT_EQ(refund.refund_id, "70000000000000");
  EXPECT_EQ(refund.amount.toString(), "-10.00");
  EXPECT_EQ(refund.fee.toString(), "-1.50") << "part of the commission given back";
  EXPECT_EQ(refund.net.toString(), "-8.50");
  EXPECT_EQ(p->lines[2].kind, PayoutLineKind::kFee);
  EXPECT_EQ(p->lines[2].amount.toString(), "-39.99");
  EXPECT_EQ(p->lines[2].description, "Subscription Fee");
  EXPECT_EQ(p->lines[3].kind, PayoutLineKind::kAdjustment) << "a reserve released gives money: not a fee";
  int64_t net = 0;
  for (const PayoutLine& l : p->lines) net += l.net.scaled();
  EXPECT_EQ(net, p->amount.scaled());
}

TEST(AmazonSettlement, ColumnsAreFoundByNameAndLfEndingsRead) {
  std::string tsv = "currency\tamount\tsettlement-id\ttotal-amount\ttransaction-type\tamount-type\torder-id\n"
                    "EUR\t\tS1\t5.00\t\t\t\n"
                    "\t5.00\tS1\t\tOrder\tItemPrice\tO-1\n";
  auto p = decodeAmazonSettlementReport(tsv);
  ASSERT_TRUE(p.ok()) << p.error().toString();
  EXPECT_EQ(p->currency, "EUR");
  ASSERT_EQ(p->lines.size(), 1u);
  EXPECT_EQ(p->lines[0].order_id, "O-1");
}

TEST(AmazonSettlement, BadFilesAreRefusedWhole) {
  const std::string head = "settlement-id\ttotal-amount\tcurrency\ttransaction-type\tamount-type\tamount\torder-id\n";
  const std::string summary = "S1\t1.00\tUSD\t\t\t\t\n";
  struct Case {
    const char* name;
    std::string tsv;
    const char* says;
  } cases[] = {
      {"empty", "", "header row"},
      {"header only", head, "header row"},
      {"no amount column", "settlement-id\ttotal-amount\tcurrency\ttransaction-type\tamount-type\n" + std::string("S1\t1\tUSD\t\t\n"), "no column amount"},
      {"a column twice", "settlement-id\tamount\tamount\nS1\t1.00\t1.00\n", "twice"},
      {"summary without id", head + "\t1.00\tUSD\t\t\t\t\n", "settlement-id"},
      {"total not a decimal", head + "S1\t1,00\tUSD\t\t\t\t\n", "total-amount"},
      {"currency not 3 letters", head + "S1\t1.00\tUS\t\t\t\t\n", "currency"},
      {"short row", head + summary + "S1\t\t\tOrder\tItemPrice\t1.00\n", "columns"},
      {"another settlement", head + summary + "S2\t\t\tOrder\tItemPrice\t1.00\tO-1\n", "another settlement-id"},
      {"another currency", head + summary + "S1\t\tEUR\tOrder\tItemPrice\t1.00\tO-1\n", "currency differs"},
      {"amount not a decimal", head + summary + "S1\t\t\tOrder\tItemPrice\t1e3\tO-1\n", "is not a decimal"},
      {"order without id", head + summary + "S1\t\t\tOrder\tItemPrice\t1.00\t\n", "without order-id"},
      {"no transaction type", head + summary + "S1\t\t\t\tItemPrice\t1.00\tO-1\n", "transaction-type"},
      {"control character", head + summary + "S1\t\t\tOrder\tItemPrice\t1.00\tO\x01" "1\n", "control"},
      {"refund without ids", head + summary + "S1\t\t\tRefund\tItemPrice\t-1.00\tO-1\n", "adjustment-id"},
      {"overflow", head + summary + "S1\t\t\tOrder\tItemPrice\t900000000000000.00\tO-1\nS1\t\t\tOrder\tItemPrice\t900000000000000.00\tO-1\n", "overflow"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    auto p = decodeAmazonSettlementReport(c.tsv);
    ASSERT_FALSE(p.ok());
    EXPECT_EQ(p.error().kind, common::ErrorKind::kReject);
    EXPECT_NE(p.error().message.find(c.says), std::string::npos) << p.error().message;
  }
}

TEST(AmazonSettlement, ReportListAndDocumentAreChecked) {
  auto l = decodeAmazonReports(R"({"reports":[{"reportId":"R1","reportType":"GET_V2_SETTLEMENT_REPORT_DATA_FLAT_FILE_V2",
      "processingStatus":"DONE","reportDocumentId":"amzn1.spdoc.1.4.na.abc","dataEndTime":"2026-12-07T08:00:00Z"},
      {"reportId":"R2","reportType":"GET_V2_SETTLEMENT_REPORT_DATA_FLAT_FILE_V2","processingStatus":"IN_PROGRESS"}],"nextToken":"tok=="})");
  ASSERT_TRUE(l.ok()) << l.error().toString();
  ASSERT_EQ(l->reports.size(), 2u);
  EXPECT_EQ(l->reports[0].document_id, "amzn1.spdoc.1.4.na.abc");
  EXPECT_EQ(l->reports[1].document_id, "");
  EXPECT_EQ(l->next_token, "tok==");
  EXPECT_FALSE(decodeAmazonReports(R"({"reports":[{"reportId":"R1","processingStatus":"DONE"}]})").ok()) << "DONE without document";
  EXPECT_FALSE(decodeAmazonReports(R"({"reports":[{"processingStatus":"DONE"}]})").ok()) << "no id";
  EXPECT_FALSE(decodeAmazonReports(R"({"reports":{}})").ok());
  EXPECT_FALSE(decodeAmazonReports("[").ok());

  auto d = decodeAmazonReportDocument(R"({"reportDocumentId":"D","url":"https://s3/x","compressionAlgorithm":"GZIP"})");
  ASSERT_TRUE(d.ok()) << d.error().toString();
  EXPECT_TRUE(d->gzip);
  EXPECT_FALSE(decodeAmazonReportDocument(R"({"reportDocumentId":"D","url":"https://s3/x"})")->gzip);
  EXPECT_FALSE(decodeAmazonReportDocument(R"({"reportDocumentId":"D"})").ok()) << "no url";
  EXPECT_FALSE(decodeAmazonReportDocument(R"({"url":"u","compressionAlgorithm":"ZSTD"})").ok()) << "unknown algorithm";
  EXPECT_FALSE(decodeAmazonReportDocument(R"({"url":5})").ok());
}

// ---- eBay Finances ----

TEST(EbayFinances, PayoutsAndTheirPagingAreRead) {
  auto p = decodeEbayPayouts(dataFile("ebay/payouts.finances.json"));
  ASSERT_TRUE(p.ok()) << p.error().toString();
  ASSERT_EQ(p->payouts.size(), 1u);
  EXPECT_EQ(p->payouts[0].channel, ChannelKind::kEbay);
  EXPECT_EQ(p->payouts[0].payout_id, "6000012345");
  EXPECT_EQ(p->payouts[0].status, "SUCCEEDED");
  EXPECT_EQ(p->payouts[0].amount.toString(), "12.07");
  EXPECT_EQ(p->payouts[0].currency, "USD");
  EXPECT_TRUE(p->page.has_next);
  EXPECT_EQ(p->page.total, 2);
  auto none = decodeEbayPayouts(R"({"href":"h","limit":20,"offset":0,"total":0})");
  ASSERT_TRUE(none.ok()) << "an empty answer may leave the list out";
  EXPECT_TRUE(none->payouts.empty());
  EXPECT_FALSE(none->page.has_next);
}

TEST(EbayFinances, TransactionsCarryGrossFeeAndNetSignedByBookingEntry) {
  auto t = decodeEbayTransactions(dataFile("ebay/transactions.finances.json"));
  ASSERT_TRUE(t.ok()) << t.error().toString();
  ASSERT_EQ(t->lines.size(), 4u);
  const PayoutLine& sale = t->lines[0];
  EXPECT_EQ(sale.kind, PayoutLineKind::kOrder);
  EXPECT_EQ(sale.order_id, "03-10000-00001");
  EXPECT_EQ(sale.amount.toString(), "25.00");
  EXPECT_EQ(sale.fee.toString(), "2.58");
  EXPECT_EQ(sale.net.toString(), "22.42");
  const PayoutLine& refund = t->lines[1];
  EXPECT_EQ(refund.kind, PayoutLineKind::kRefund);
  EXPECT_EQ(refund.refund_id, "5aB9c7Rt01");
  EXPECT_EQ(refund.amount.toString(), "-5.00") << "DEBIT";
  EXPECT_EQ(refund.net.toString(), "-5.00");
  EXPECT_EQ(t->lines[2].kind, PayoutLineKind::kFee);
  EXPECT_EQ(t->lines[2].description, "AD_FEE");
  EXPECT_EQ(t->lines[3].kind, PayoutLineKind::kAdjustment) << "a label bought for an order";
  EXPECT_EQ(t->lines[3].description, "USPS label");
  int64_t net = 0;
  for (const PayoutLine& l : t->lines) net += l.net.scaled();
  EXPECT_EQ(Decimal::fromUnits(net).toString(), "12.07") << "adds up to the payout";
}

TEST(EbayFinances, FeesFallBackToTheMarketplaceFees) {
  auto t = decodeEbayTransactions(R"({"transactions":[{"transactionId":"T","orderId":"O","transactionType":"SALE",
      "bookingEntry":"CREDIT","amount":{"value":"9.00","currency":"USD"},"orderLineItems":[{"lineItemId":"1",
      "marketplaceFees":[{"feeType":"FINAL_VALUE_FEE","amount":{"value":"0.70","currency":"USD"}},
                         {"feeType":"FINAL_VALUE_FEE_FIXED_PER_ORDER","amount":{"value":"0.30","currency":"USD"}}]}]}]})");
  ASSERT_TRUE(t.ok()) << t.error().toString();
  EXPECT_EQ(t->lines[0].fee.toString(), "1.00");
  EXPECT_EQ(t->lines[0].amount.toString(), "10.00");
}

TEST(EbayFinances, BadAnswersAreRefusedWithAReason) {
  auto tx = [](const std::string& fields) { return R"({"transactions":[{)" + fields + "}]}"; };
  const std::string ok = R"("transactionId":"T","orderId":"O","transactionType":"SALE","bookingEntry":"CREDIT")";
  struct Case {
    const char* name;
    std::string body;
    const char* says;
  } cases[] = {
      {"not json", "{", ""},
      {"list not an array", R"({"transactions":{}})", "transactions"},
      {"no id", tx(R"("transactionType":"SALE","bookingEntry":"CREDIT","amount":{"value":"1.00","currency":"USD"})"), "transactionId"},
      {"no type", tx(R"("transactionId":"T","bookingEntry":"CREDIT","amount":{"value":"1.00","currency":"USD"})"), "transactionType"},
      {"odd booking entry", tx(R"("transactionId":"T","orderId":"O","transactionType":"SALE","bookingEntry":"PLUS","amount":{"value":"1.00","currency":"USD"})"), "bookingEntry"},
      {"amount a number", tx(ok + R"(,"amount":{"value":1.0,"currency":"USD"})"), "decimal string"},
      {"amount negative", tx(ok + R"(,"amount":{"value":"-1.00","currency":"USD"})"), "negative"},
      {"amount flat", tx(ok + R"(,"amount":"1.00")"), "amount"},
      {"bad currency", tx(ok + R"(,"amount":{"value":"1.00","currency":"DOLLARS"})"), "currency"},
      {"fee in another currency", tx(ok + R"(,"amount":{"value":"1.00","currency":"USD"},"totalFeeAmount":{"value":"0.10","currency":"EUR"})"), "another currency"},
      {"gross does not add up", tx(ok + R"(,"amount":{"value":"1.00","currency":"USD"},"totalFeeAmount":{"value":"0.10","currency":"USD"},"totalFeeBasisAmount":{"value":"2.00","currency":"USD"})"), "totalFeeBasisAmount"},
      {"sale without order", tx(R"("transactionId":"T","transactionType":"SALE","bookingEntry":"CREDIT","amount":{"value":"1.00","currency":"USD"})"), "without orderId"},
      {"refund without order", tx(R"("transactionId":"T","transactionType":"REFUND","bookingEntry":"DEBIT","amount":{"value":"1.00","currency":"USD"})"), "without orderId"},
      {"total not a number", R"({"total":"many","transactions":[]})", "total"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    auto t = decodeEbayTransactions(c.body);
    ASSERT_FALSE(t.ok());
    EXPECT_EQ(t.error().kind, common::ErrorKind::kReject);
    EXPECT_NE(t.error().message.find(c.says), std::string::npos) << t.error().message;
  }
  EXPECT_FALSE(decodeEbayPayouts(R"({"payouts":[{"amount":{"value":"1.00","currency":"USD"}}]})").ok()) << "no payoutId";
  EXPECT_FALSE(decodeEbayPayouts(R"({"payouts":[{"payoutId":"P"}]})").ok()) << "no amount";
  EXPECT_FALSE(decodeEbayPayouts(R"({"payouts":[{"payoutId":"P","amount":{"value":"1.00","currency":"USD"},"payoutStatus":3}]})").ok());
}

}  // namespace
}  // namespace sw::coordinator::channels
