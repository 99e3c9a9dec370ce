#pragma once
// What a channel paid out: payouts (settlements) and their lines, the same model for every
// channel, and the readers of each channel's payout payloads. The connectors fetch them
// (ChannelConnector::fetchPayouts); coordinator/settlements matches them to the order book.
//
// Money is common::Decimal (never a double): the channels send amounts as decimal strings (Shopify,
// eBay's Amount.value) or as text in a flat file (Amazon), and they are read exactly.
//
// Every reader takes outside input: wrong types, missing required fields, amounts that are not
// decimals, more than kMaxPayoutLines lines are refused with a reject Error naming what was
// wrong; nothing is read halfway.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "sw/common/decimal.h"
#include "sw/common/result.h"
#include "sw/coordinator/channels/order.h"

namespace sw::coordinator::channels {

inline constexpr size_t kMaxPayoutLines = 100'000;

// What a payout line is about, in the same words for every channel.
enum class PayoutLineKind {
  kOrder,   // money taken for an order (Shopify charge, eBay SALE)
  kRefund,  // money given back for an order (Shopify refund, eBay REFUND)
  kFee,     // a fee not tied to an order or refund (Shopify adjustment with a fee, eBay NON_SALE_CHARGE)
  kAdjustment,  // any other movement (reserve, dispute, credit, debit, transfer)
  kPayout,  // the transfer to the bank itself (Shopify type "payout"): it explains the balance, not money earned
};
const char* payoutLineKindName(PayoutLineKind kind);
common::Result<PayoutLineKind> parsePayoutLineKind(std::string_view name);

struct PayoutLine {
  std::string line_id;      // the channel's id of the line (Shopify balance transaction id)
  PayoutLineKind kind = PayoutLineKind::kAdjustment;
  std::string type;         // the channel's own words ("charge", "refund", "adjustment")
  std::string order_id;     // the order it belongs to, exact string; "" when none
  std::string refund_id;    // the channel's refund id (Shopify source_id of a refund); "" when none
  common::Decimal amount;   // gross, signed as the channel gives it (refunds negative)
  common::Decimal fee;      // fees the channel took from it (positive = taken)
  common::Decimal net;      // what reached the balance (amount - fee)
  std::string currency;
  std::string processed_at;  // as the channel gave it
  std::string description;   // for a person (adjustment reason, fee type)
};

struct Payout {
  ChannelKind channel = ChannelKind::kShopify;
  std::string payout_id;   // exact string
  std::string status;      // the channel's own word ("paid", "scheduled", "in_transit", ...)
  std::string date;        // YYYY-MM-DD (or ISO 8601) as given
  std::string currency;
  common::Decimal amount;  // what was sent to the bank
  std::vector<PayoutLine> lines;
};

// Where payout fetching resumes. date_min: payouts on or after this YYYY-MM-DD day ("" = the
// connector's look-back); page_token: opaque, from the previous page.
struct PayoutCursor {
  std::string date_min;
  std::string page_token;
};

struct PayoutPage {
  std::vector<Payout> payouts;  // each with all its lines
  std::string next_page_token;  // non-empty: call again with it
};

nlohmann::json toJson(const PayoutLine& line);
nlohmann::json toJson(const Payout& payout);

// ---- Shopify Payments (Admin REST, shopify_payments/...) ----
// GET shopify_payments/payouts.json: {"payouts":[{"id","status","date","currency","amount",...}]}.
// Read: id (integer or string), status, date, currency, amount (decimal string). The payouts
// come without lines.
common::Result<std::vector<Payout>> decodeShopifyPayouts(std::string_view body);
// GET shopify_payments/balance/transactions.json?payout_id=N: {"transactions":[{"id","type",
// "payout_id","currency","amount","fee","net","source_id","source_type","source_order_id",
// "processed_at","test",...}]}. Read: id, type, currency, amount, fee, net (decimal strings,
// net = amount - fee checked), source_id, source_type, source_order_id, processed_at; adjustment_reason
// when present. Kind: type charge -> kOrder, refund -> kRefund (refund_id = source_id), payout ->
// kPayout, adjustment with an order -> kAdjustment, adjustment without -> kFee, others kAdjustment.
common::Result<std::vector<PayoutLine>> decodeShopifyBalanceTransactions(std::string_view body);
// The page_info of the rel="next" link in a Shopify REST Link header; "" when there is none.
std::string shopifyNextPageInfo(std::string_view link_header);

// ---- Amazon settlement reports (SP-API Reports API 2021-06-30) ----
// Amazon makes settlement reports on its own schedule (they cannot be requested with
// createReport); they are listed with
//   GET /reports/2021-06-30/reports?reportTypes=GET_V2_SETTLEMENT_REPORT_DATA_FLAT_FILE_V2&createdSince=ISO&pageSize=N
//   -> {"reports":[{"reportId","reportType","dataStartTime","dataEndTime","createdTime",
//       "processingStatus":"IN_QUEUE"|"IN_PROGRESS"|"DONE"|"CANCELLED"|"FATAL","reportDocumentId",...}],
//       "nextToken"?}   (with nextToken, no other parameter may be sent)
// and read with GET /reports/2021-06-30/documents/{reportDocumentId} -> {"reportDocumentId","url",
// "compressionAlgorithm"?: "GZIP"}, the url a pre-signed link (valid 5 minutes) to the flat file.
// Sources: selling-partner-api-models models/reports-api-model/reports_2021-06-30.json (ReportDocument:
// "If compressionAlgorithm is not returned, you can download the report directly"), developer-docs.amazon.com
// "Retrieve automatically generated reports" and "Retrieve a report" (reports-api-v2021-06-30-retrieve-a-report).
inline constexpr std::string_view kAmazonSettlementReportType = "GET_V2_SETTLEMENT_REPORT_DATA_FLAT_FILE_V2";

struct AmazonReportRef {
  std::string report_id;
  std::string report_type;
  std::string processing_status;
  std::string document_id;  // "" until processingStatus is DONE
  std::string data_end_time;
};
struct AmazonReportList {
  std::vector<AmazonReportRef> reports;
  std::string next_token;
};
common::Result<AmazonReportList> decodeAmazonReports(std::string_view body);

struct AmazonReportDocument {
  std::string document_id;
  std::string url;
  bool gzip = false;  // compressionAlgorithm "GZIP"; any other algorithm is refused
};
common::Result<AmazonReportDocument> decodeAmazonReportDocument(std::string_view body);

// The settlement flat file (V2): tab-separated, a header row of column names, then a summary row
// (settlement-id, settlement-start-date, settlement-end-date, deposit-date, total-amount, currency;
// the other columns empty), then one row per amount: transaction-type (Order, Refund,
// other-transaction, ServiceFee, ...), order-id, merchant-order-id, adjustment-id, shipment-id,
// marketplace-name, amount-type (ItemPrice, ItemFees, Promotion, ItemWithheldTax, other-transaction,
// ...), amount-description (Principal, Tax, Shipping, Commission, FBAPerUnitFulfillmentFee, ...),
// amount, fulfillment-id, posted-date, order-item-code, merchant-order-item-id,
// merchant-adjustment-item-id, sku, quantity-purchased, promotion-id. Columns are found by name
// (their order is not relied on); settlement-id, transaction-type, amount-type and amount must be there.
// Column names from the settlement flat-file layouts as read by public SP-API clients (e.g. the
// SettlementRow types of amazon-sp-api clients and haoxins/amazon-mws model_report.go).
// Rows become payout lines, one per (transaction-type, order-id, adjustment-id, shipment-id,
// merchant-adjustment-item-id):
//   ItemPrice and Promotion amounts add up to the line's amount (what the buyer paid, or got back);
//   ItemFees and ItemWithheldTax amounts (negative = taken) to its fee (positive = taken);
//   Order -> kOrder, Refund -> kRefund (refund_id: merchant-adjustment-item-id, else adjustment-id;
//   unverified: whether Amazon fills it with the Finances OrderAdjustmentItemId the order book
//   keeps), any other type -> kFee when it has no order id and takes money, else kAdjustment
//   (a reserve released, a reimbursement).
// The payout: id settlement-id, amount total-amount, date the deposit-date's day, status "deposited".
// Refused: no header or summary row, a row with another column count or settlement-id, an amount
// that is not a decimal, a currency that differs, more than kMaxPayoutLines rows.
common::Result<Payout> decodeAmazonSettlementReport(std::string_view tsv);

// ---- eBay Finances API v1 (https://apiz.ebay.com/sell/finances/v1) ----
// GET /payout?filter=payoutDate:[from..]&limit=&offset=  -> {"href","limit","offset","next"?,"total",
//   "payouts":[{"payoutId","payoutStatus","payoutDate","amount":{"value","currency"},"transactionCount",...}]}
// GET /transaction?filter=payoutId:{ID}&limit=&offset=  -> {"href","limit","offset","next"?,"total",
//   "transactions":[{"transactionId","orderId","transactionType","transactionStatus","transactionDate",
//   "bookingEntry":"CREDIT"|"DEBIT","amount":{"value","currency"},"totalFeeBasisAmount"?,"totalFeeAmount"?,
//   "payoutId","orderLineItems":[{"lineItemId","feeBasisAmount","marketplaceFees":[{"feeType","amount"}]}],
//   "feeType"?, "transactionMemo"?, ...}]}
// Sources: developer.ebay.com/api-docs/sell/finances/overview.html, .../types/pay:Transaction
// (bookingEntry: "SALE and CREDIT ... are credits ... REFUND, DISPUTE, SHIPPING_LABEL, and TRANSFER
// ... are debits"), .../types/pay:TransactionTypeEnum (SALE, REFUND, CREDIT, DISPUTE, SHIPPING_LABEL,
// TRANSFER, NON_SALE_CHARGE, ...). Values are unsigned decimal strings; the sign is bookingEntry's.
// A line: amount (signed) is what reached the balance (net); fee is totalFeeAmount (else the sum of
// the marketplaceFees); the gross is totalFeeBasisAmount when given, else net + fee.
// Kind: SALE -> kOrder, REFUND -> kRefund (refund_id = transactionId), SHIPPING_LABEL and
// NON_SALE_CHARGE -> kFee without an orderId, kAdjustment with one; others kAdjustment.
struct EbayPage {
  int64_t total = 0;
  int64_t offset = 0;
  int64_t limit = 0;
  bool has_next = false;  // "next" is given
};
struct EbayPayoutPage {
  std::vector<Payout> payouts;
  EbayPage page;
};
struct EbayTransactionPage {
  std::vector<PayoutLine> lines;
  EbayPage page;
};
common::Result<EbayPayoutPage> decodeEbayPayouts(std::string_view body);
common::Result<EbayTransactionPage> decodeEbayTransactions(std::string_view body);

// ---- WooCommerce: the order totals (no payouts API) ----
// WooCommerce pays through whatever gateway the shop uses and has no payouts resource, so what is
// reconciled is what the shop says each order came to (issue 20: "WooCommerce: the order totals"):
// GET /wp-json/wc/v3/orders?after=&dates_are_gmt=true&orderby=date&order=asc&per_page=&page= ->
// [{"id","status","currency","total","total_tax","date_created_gmt","refunds":[{"id","reason","total"}],...}]
// (shared/contracts/woocommerce/order.retrieve.response.json). Each paid order (status processing,
// on-hold, completed or refunded) becomes a "payout" of its own, id = the order id, status = the
// order status: a kOrder line for its total (fee 0) and a kRefund line per refund (refund_id = its
// id, the refund's negative total), the amount their sum. Matching it then says whether the book
// knows the order, holds its total, and holds the same refunds at the same amounts.
common::Result<std::vector<Payout>> decodeWooCommerceOrderTotals(std::string_view body);

}  // namespace sw::coordinator::channels
