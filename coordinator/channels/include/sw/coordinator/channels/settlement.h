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

}  // namespace sw::coordinator::channels
