// Readers of the channels' payout payloads (settlement.h): Shopify Payments payouts and balance
// transactions. Outside input: parsed with the same size and depth limits as order payloads
// (parseOutsideJson), every field checked before anything is kept.

#include "sw/coordinator/channels/settlement.h"

#include <nlohmann/json.hpp>

#include "json_read.h"
#include "settlement_read.h"
#include "sw/coordinator/channels/order_decode.h"

namespace sw::coordinator::channels {

using common::Decimal;
using common::Error;
using common::Result;
using detail::get;
using detail::str;
using nlohmann::json;

const char* payoutLineKindName(PayoutLineKind kind) {
  switch (kind) {
    case PayoutLineKind::kOrder: return "order";
    case PayoutLineKind::kRefund: return "refund";
    case PayoutLineKind::kFee: return "fee";
    case PayoutLineKind::kAdjustment: return "adjustment";
    case PayoutLineKind::kPayout: return "payout";
  }
  return "adjustment";
}

Result<PayoutLineKind> parsePayoutLineKind(std::string_view name) {
  for (PayoutLineKind k : {PayoutLineKind::kOrder, PayoutLineKind::kRefund, PayoutLineKind::kFee,
                           PayoutLineKind::kAdjustment, PayoutLineKind::kPayout}) {
    if (name == payoutLineKindName(k)) return k;
  }
  return Error::reject("bad_kind", "unknown payout line kind '" + std::string(name) + "'");
}

json toJson(const PayoutLine& l) {
  return {{"line_id", l.line_id},
          {"kind", payoutLineKindName(l.kind)},
          {"type", l.type},
          {"order_id", l.order_id},
          {"refund_id", l.refund_id},
          {"amount", l.amount.toString()},
          {"fee", l.fee.toString()},
          {"net", l.net.toString()},
          {"currency", l.currency},
          {"processed_at", l.processed_at},
          {"description", l.description}};
}

json toJson(const Payout& p) {
  json lines = json::array();
  for (const PayoutLine& l : p.lines) lines.push_back(toJson(l));
  return {{"channel", channelName(p.channel)}, {"payout_id", p.payout_id}, {"status", p.status},
          {"date", p.date},                    {"currency", p.currency},   {"amount", p.amount.toString()},
          {"lines", lines}};
}

namespace detail {

Error bad(const std::string& what, const std::string& message) {
  return Error::reject("bad_payout", what + ": " + message);
}

// A required decimal string ("12.50", "-3.00"): numbers are refused (a double may already have
// lost the cents), as are more than 4 decimals.
Result<Decimal> amountField(const json& j, std::string_view key, const std::string& what) {
  const json* v = get(j, key);
  if (!v) return bad(what, std::string(key) + " is missing");
  if (!v->is_string()) return bad(what, std::string(key) + " must be a decimal string, not " + v->dump());
  auto d = Decimal::parse(v->get<std::string>());
  if (!d) return bad(what, std::string(key) + " '" + v->get<std::string>() + "' is not a decimal amount");
  return *d;
}

Result<std::string> idField(const json& j, std::string_view key, const std::string& what, bool required) {
  const json* v = get(j, key);
  if (!v) {
    if (required) return bad(what, std::string(key) + " is missing");
    return std::string();
  }
  auto id = detail::idText(v);
  if (!id || id->size() > 64) return bad(what, std::string(key) + " must be an id, not " + v->dump().substr(0, 40));
  return *id;
}

Result<const json*> listOf(const json& j, std::string_view key) {
  if (!j.is_object()) return bad("answer", "expected a JSON object");
  const json* list = get(j, key);
  if (!list || !list->is_array()) return bad("answer", std::string("expected {\"") + std::string(key) + "\":[...]}");
  if (list->size() > kMaxPayoutLines) {
    return Error::reject("too_many_lines", "more than " + std::to_string(kMaxPayoutLines) + " entries in one answer");
  }
  return list;
}

// A short text field (status, type, currency): a string of at most max bytes, or "".
Result<std::string> textField(const json& j, std::string_view key, const std::string& what, size_t max) {
  const json* v = get(j, key);
  if (!v) return std::string();
  if (!v->is_string() || v->get<std::string>().size() > max) {
    return bad(what, std::string(key) + " must be a string of at most " + std::to_string(max) + " bytes");
  }
  return v->get<std::string>();
}

}  // namespace detail

using detail::amountField;
using detail::bad;
using detail::idField;
using detail::listOf;
using detail::textField;

Result<std::vector<Payout>> decodeShopifyPayouts(std::string_view body) {
  auto j = parseOutsideJson(body);
  if (!j) return j.error();
  auto list = listOf(*j, "payouts");
  if (!list) return list.error();
  std::vector<Payout> out;
  for (const json& p : **list) {
    if (!p.is_object()) return bad("payout", "each payout must be an object");
    Payout po;
    po.channel = ChannelKind::kShopify;
    auto id = idField(p, "id", "payout", true);
    if (!id) return id.error();
    po.payout_id = *id;
    const std::string what = "payout " + po.payout_id;
    auto amount = amountField(p, "amount", what);
    if (!amount) return amount.error();
    po.amount = *amount;
    auto status = textField(p, "status", what, 32);
    auto date = textField(p, "date", what, 40);
    auto currency = textField(p, "currency", what, 3);
    if (!status) return status.error();
    if (!date) return date.error();
    if (!currency) return currency.error();
    if (currency->empty()) return bad(what, "currency is missing");
    po.status = *status;
    po.date = *date;
    po.currency = *currency;
    out.push_back(std::move(po));
  }
  return out;
}

Result<std::vector<PayoutLine>> decodeShopifyBalanceTransactions(std::string_view body) {
  auto j = parseOutsideJson(body);
  if (!j) return j.error();
  auto list = listOf(*j, "transactions");
  if (!list) return list.error();
  std::vector<PayoutLine> out;
  for (const json& t : **list) {
    if (!t.is_object()) return bad("transaction", "each transaction must be an object");
    PayoutLine l;
    auto id = idField(t, "id", "transaction", true);
    if (!id) return id.error();
    l.line_id = *id;
    const std::string what = "transaction " + l.line_id;
    auto type = textField(t, "type", what, 40);
    if (!type) return type.error();
    if (type->empty()) return bad(what, "type is missing");
    l.type = *type;
    auto amount = amountField(t, "amount", what);
    auto fee = amountField(t, "fee", what);
    auto net = amountField(t, "net", what);
    if (!amount) return amount.error();
    if (!fee) return fee.error();
    if (!net) return net.error();
    l.amount = *amount;
    l.fee = *fee;
    l.net = *net;
    // Both are at most 4 decimals within int64: the difference cannot overflow for amounts a
    // payout holds, but a hostile answer could; check before subtracting.
    const int64_t a = amount->scaled(), f = fee->scaled();
    if ((f < 0 && a > INT64_MAX + f) || (f > 0 && a < INT64_MIN + f) || a - f != net->scaled()) {
      return bad(what, "net " + net->toString() + " is not amount " + amount->toString() + " less fee " + fee->toString());
    }
    auto currency = textField(t, "currency", what, 3);
    if (!currency) return currency.error();
    if (currency->empty()) return bad(what, "currency is missing");
    l.currency = *currency;
    auto order = idField(t, "source_order_id", what, false);
    if (!order) return order.error();
    l.order_id = *order;
    auto source = idField(t, "source_id", what, false);
    if (!source) return source.error();
    auto source_type = textField(t, "source_type", what, 40);
    if (!source_type) return source_type.error();
    auto processed = textField(t, "processed_at", what, 40);
    if (!processed) return processed.error();
    l.processed_at = *processed;
    auto reason = textField(t, "adjustment_reason", what, 200);
    if (!reason) return reason.error();
    l.description = reason->empty() ? *source_type : *reason;
    if (l.type == "charge") {
      if (l.order_id.empty()) return bad(what, "a charge without source_order_id");
      l.kind = PayoutLineKind::kOrder;
    } else if (l.type == "refund") {
      if (l.order_id.empty()) return bad(what, "a refund without source_order_id");
      l.kind = PayoutLineKind::kRefund;
      l.refund_id = *source;
    } else if (l.type == "payout") {
      l.kind = PayoutLineKind::kPayout;
    } else if (l.type == "adjustment" && l.order_id.empty()) {
      l.kind = PayoutLineKind::kFee;
    } else {
      l.kind = PayoutLineKind::kAdjustment;
    }
    out.push_back(std::move(l));
  }
  return out;
}

std::string shopifyNextPageInfo(std::string_view link) {
  // <https://shop/admin/api/2026-04/...json?limit=50&page_info=abc>; rel="next", <...>; rel="previous"
  size_t pos = 0;
  while (pos < link.size()) {
    size_t open = link.find('<', pos);
    if (open == std::string_view::npos) return "";
    size_t close = link.find('>', open);
    if (close == std::string_view::npos) return "";
    size_t next = link.find('<', close);
    std::string_view params = link.substr(close + 1, next == std::string_view::npos ? std::string_view::npos : next - close - 1);
    std::string_view url = link.substr(open + 1, close - open - 1);
    if (params.find("rel=\"next\"") != std::string_view::npos) {
      size_t p = url.find("page_info=");
      if (p == std::string_view::npos) return "";
      std::string_view v = url.substr(p + 10);
      v = v.substr(0, v.find('&'));
      for (char c : v) {
        const bool ok = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-' ||
                        c == '_' || c == '.' || c == '~';
        if (!ok) return "";
      }
      return std::string(v.substr(0, 512));
    }
    if (next == std::string_view::npos) return "";
    pos = next;
  }
  return "";
}

}  // namespace sw::coordinator::channels
