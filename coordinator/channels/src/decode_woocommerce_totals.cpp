// WooCommerce's order list read as order totals to reconcile (settlement.h). Outside input: every
// field checked, nothing kept from a list that does not fit.

#include <set>

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
using detail::textField;
using nlohmann::json;

Result<std::vector<Payout>> decodeWooCommerceOrderTotals(std::string_view body) {
  static const std::set<std::string> kPaid = {"processing", "on-hold", "completed", "refunded"};
  auto j = parseOutsideJson(body);
  if (!j) return j.error();
  if (!j->is_array()) return bad("answer", "expected a JSON array of orders");
  if (j->size() > kMaxPayoutLines) return Error::reject("too_many_lines", "more than " + std::to_string(kMaxPayoutLines) + " orders");
  std::vector<Payout> out;
  for (const json& o : *j) {
    if (!o.is_object()) return bad("order", "each order must be an object");
    auto id = idField(o, "id", "order", true);
    if (!id) return id.error();
    const std::string what = "order " + *id;
    auto status = textField(o, "status", what, 32);
    if (!status) return status.error();
    if (!kPaid.count(*status)) continue;  // pending, failed, cancelled, drafts: nothing was paid
    auto currency = textField(o, "currency", what, 3);
    auto created = textField(o, "date_created_gmt", what, 40);
    if (!currency) return currency.error();
    if (!created) return created.error();
    if (currency->size() != 3) return bad(what, "currency must be 3 letters");
    auto total = amountField(o, "total", what);
    if (!total) return total.error();
    Payout p;
    p.channel = ChannelKind::kWooCommerce;
    p.payout_id = *id;
    p.status = *status;
    p.date = created->substr(0, 10);
    p.currency = *currency;
    PayoutLine sale;
    sale.line_id = "order-" + *id;
    sale.kind = PayoutLineKind::kOrder;
    sale.type = "order";
    sale.order_id = *id;
    sale.amount = *total;
    sale.net = *total;
    sale.currency = *currency;
    sale.processed_at = *created;
    sale.description = "order total";
    int64_t sum = total->scaled();
    p.lines.push_back(std::move(sale));
    if (const json* refunds = get(o, "refunds")) {
      if (!refunds->is_array() || refunds->size() > detail::kMaxLines) return bad(what, "refunds must be an array");
      for (const json& r : *refunds) {
        if (!r.is_object()) return bad(what, "each refund must be an object");
        auto rid = idField(r, "id", what + " refund", true);
        if (!rid) return rid.error();
        auto amount = amountField(r, "total", what + " refund " + *rid);
        if (!amount) return amount.error();
        if (amount->scaled() > 0) return bad(what + " refund " + *rid, "total must be negative (money given back)");
        auto reason = textField(r, "reason", what, 500);
        if (!reason) return reason.error();
        PayoutLine l;
        l.line_id = "refund-" + *rid;
        l.kind = PayoutLineKind::kRefund;
        l.type = "refund";
        l.order_id = *id;
        l.refund_id = *rid;
        l.amount = *amount;
        l.net = *amount;
        l.currency = *currency;
        l.description = *reason;
        if (__builtin_add_overflow(sum, amount->scaled(), &sum)) return bad(what, "amounts overflow");
        p.lines.push_back(std::move(l));
      }
    }
    p.amount = Decimal::fromUnits(sum);
    out.push_back(std::move(p));
  }
  return out;
}

}  // namespace sw::coordinator::channels
