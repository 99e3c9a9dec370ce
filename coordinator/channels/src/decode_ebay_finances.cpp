// Readers of eBay Finances API answers (settlement.h): payouts and monetary transactions. Outside
// input: parsed with the order payloads' limits (parseOutsideJson), every field checked first.

#include <nlohmann/json.hpp>

#include "json_read.h"
#include "settlement_read.h"
#include "sw/coordinator/channels/order_decode.h"
#include "sw/coordinator/channels/settlement.h"

namespace sw::coordinator::channels {

using common::Decimal;
using common::Error;
using common::Result;
using detail::amountField;
using detail::bad;
using detail::get;
using detail::idField;
using detail::listOf;
using detail::textField;
using nlohmann::json;

namespace {

// eBay's Amount {value: "12.34", currency: "USD"}; *currency is set from it.
Result<Decimal> ebayAmount(const json& j, std::string_view key, const std::string& what, std::string* currency) {
  const json* a = get(j, key);
  if (!a || !a->is_object()) return bad(what, std::string(key) + " must be {\"value\",\"currency\"}");
  auto v = amountField(*a, "value", what + " " + std::string(key));
  if (!v) return v.error();
  auto c = textField(*a, "currency", what, 3);
  if (!c) return c.error();
  if (c->size() != 3) return bad(what, std::string(key) + ".currency must be 3 letters");
  if (v->scaled() < 0) return bad(what, std::string(key) + " is negative; eBay signs with bookingEntry");
  *currency = *c;
  return *v;
}

Result<EbayPage> pageOf(const json& j) {
  EbayPage p;
  auto whole = [&](const char* key, int64_t* out) -> common::Status {
    const json* v = get(j, key);
    if (!v) return {};
    auto n = detail::wholeNumber(v);
    if (!n || *n < 0) return bad("answer", std::string(key) + " must be a whole number");
    *out = *n;
    return {};
  };
  if (auto s = whole("total", &p.total); !s) return s.error();
  if (auto s = whole("offset", &p.offset); !s) return s.error();
  if (auto s = whole("limit", &p.limit); !s) return s.error();
  const json* next = get(j, "next");
  p.has_next = next && next->is_string() && !next->get<std::string>().empty();
  return p;
}

bool add(Decimal* sum, Decimal d) {
  int64_t v = 0;
  if (__builtin_add_overflow(sum->scaled(), d.scaled(), &v)) return false;
  *sum = Decimal::fromUnits(v);
  return true;
}

}  // namespace

Result<EbayPayoutPage> decodeEbayPayouts(std::string_view body) {
  auto j = parseOutsideJson(body);
  if (!j) return j.error();
  EbayPayoutPage out;
  if (j->is_object() && !get(*j, "payouts")) {
    // An empty result may leave the list out.
    auto pg = pageOf(*j);
    if (!pg) return pg.error();
    out.page = *pg;
    return out;
  }
  auto list = listOf(*j, "payouts");
  if (!list) return list.error();
  auto pg = pageOf(*j);
  if (!pg) return pg.error();
  out.page = *pg;
  for (const json& p : **list) {
    if (!p.is_object()) return bad("payout", "each payout must be an object");
    Payout po;
    po.channel = ChannelKind::kEbay;
    auto id = idField(p, "payoutId", "payout", true);
    if (!id) return id.error();
    po.payout_id = *id;
    const std::string what = "payout " + po.payout_id;
    auto amount = ebayAmount(p, "amount", what, &po.currency);
    if (!amount) return amount.error();
    po.amount = *amount;
    auto status = textField(p, "payoutStatus", what, 32);
    auto date = textField(p, "payoutDate", what, 40);
    if (!status) return status.error();
    if (!date) return date.error();
    po.status = *status;
    po.date = *date;
    out.payouts.push_back(std::move(po));
  }
  return out;
}

Result<EbayTransactionPage> decodeEbayTransactions(std::string_view body) {
  auto j = parseOutsideJson(body);
  if (!j) return j.error();
  EbayTransactionPage out;
  if (j->is_object() && !get(*j, "transactions")) {
    auto pg = pageOf(*j);
    if (!pg) return pg.error();
    out.page = *pg;
    return out;
  }
  auto list = listOf(*j, "transactions");
  if (!list) return list.error();
  auto pg = pageOf(*j);
  if (!pg) return pg.error();
  out.page = *pg;
  for (const json& t : **list) {
    if (!t.is_object()) return bad("transaction", "each transaction must be an object");
    PayoutLine l;
    auto id = idField(t, "transactionId", "transaction", true);
    if (!id) return id.error();
    l.line_id = *id;
    const std::string what = "transaction " + l.line_id;
    auto type = textField(t, "transactionType", what, 40);
    if (!type) return type.error();
    if (type->empty()) return bad(what, "transactionType is missing");
    l.type = *type;
    auto booking = textField(t, "bookingEntry", what, 10);
    if (!booking) return booking.error();
    if (*booking != "CREDIT" && *booking != "DEBIT") return bad(what, "bookingEntry must be CREDIT or DEBIT");
    auto net = ebayAmount(t, "amount", what, &l.currency);
    if (!net) return net.error();
    const bool debit = *booking == "DEBIT";
    // Fees: totalFeeAmount, else the sum of every line item's marketplaceFees.
    Decimal fee;
    if (get(t, "totalFeeAmount")) {
      std::string c;
      auto f = ebayAmount(t, "totalFeeAmount", what, &c);
      if (!f) return f.error();
      if (c != l.currency) return bad(what, "totalFeeAmount is in another currency");
      fee = *f;
    } else if (const json* items = get(t, "orderLineItems")) {
      if (!items->is_array() || items->size() > detail::kMaxLines) return bad(what, "orderLineItems must be an array");
      for (const json& li : *items) {
        const json* fees = get(li, "marketplaceFees");
        if (!fees) continue;
        if (!fees->is_array() || fees->size() > 100) return bad(what, "marketplaceFees must be an array");
        for (const json& mf : *fees) {
          std::string c;
          auto f = ebayAmount(mf, "amount", what + " marketplace fee", &c);
          if (!f) return f.error();
          if (c != l.currency) return bad(what, "a marketplace fee is in another currency");
          if (!add(&fee, *f)) return bad(what, "fees overflow");
        }
      }
    }
    l.net = debit ? Decimal::fromUnits(-net->scaled()) : *net;
    // The fee is taken on a sale; on a refund eBay may give part of it back (then the fee is negative).
    l.fee = debit && fee.scaled() != 0 && l.type == "REFUND" ? Decimal::fromUnits(-fee.scaled()) : fee;
    if (get(t, "totalFeeBasisAmount")) {
      std::string c;
      auto gross = ebayAmount(t, "totalFeeBasisAmount", what, &c);
      if (!gross) return gross.error();
      l.amount = debit ? Decimal::fromUnits(-gross->scaled()) : *gross;
      int64_t check = 0;
      if (__builtin_sub_overflow(l.amount.scaled(), l.fee.scaled(), &check) || check != l.net.scaled()) {
        return bad(what, "amount " + l.net.toString() + " is not totalFeeBasisAmount less totalFeeAmount");
      }
    } else {
      int64_t gross = 0;
      if (__builtin_add_overflow(l.net.scaled(), l.fee.scaled(), &gross)) return bad(what, "amounts overflow");
      l.amount = Decimal::fromUnits(gross);
    }
    auto order = idField(t, "orderId", what, false);
    if (!order) return order.error();
    l.order_id = *order;
    auto date = textField(t, "transactionDate", what, 40);
    if (!date) return date.error();
    l.processed_at = *date;
    auto memo = textField(t, "transactionMemo", what, 200);
    auto fee_type = textField(t, "feeType", what, 60);
    if (!memo) return memo.error();
    if (!fee_type) return fee_type.error();
    l.description = !memo->empty() ? *memo : !fee_type->empty() ? *fee_type : l.type;
    if (l.type == "SALE") {
      if (l.order_id.empty()) return bad(what, "a SALE without orderId");
      l.kind = PayoutLineKind::kOrder;
    } else if (l.type == "REFUND") {
      if (l.order_id.empty()) return bad(what, "a REFUND without orderId");
      l.kind = PayoutLineKind::kRefund;
      l.refund_id = l.line_id;
    } else if ((l.type == "SHIPPING_LABEL" || l.type == "NON_SALE_CHARGE") && l.order_id.empty()) {
      l.kind = PayoutLineKind::kFee;
    } else {
      l.kind = PayoutLineKind::kAdjustment;
    }
    out.lines.push_back(std::move(l));
  }
  return out;
}

}  // namespace sw::coordinator::channels
