#include "sw/coordinator/settlements/reconcile.h"

#include <set>

#include <nlohmann/json.hpp>

namespace sw::coordinator::settlements {

using channels::PayoutLine;
using channels::PayoutLineKind;
using common::Decimal;
using common::Error;
using common::Result;
using nlohmann::json;

namespace {

// Exact sums in Decimal's scaled units; a payout whose figures overflow int64 is refused.
struct Sum {
  int64_t v = 0;
  bool overflow = false;
  void add(Decimal d) {
    if (__builtin_add_overflow(v, d.scaled(), &v)) overflow = true;
  }
  Decimal value() const { return Decimal::fromUnits(v); }
};

std::string text(const std::optional<Decimal>& d) { return d ? d->toString() : "unknown"; }

}  // namespace

Result<PayoutMatch> matchPayout(const channels::Payout& payout, const OrderLookup& orders,
                                const RefundPaidElsewhere& paid_elsewhere) {
  PayoutMatch m;
  Sum charges, refunds, fees, net;
  std::map<std::string, std::optional<ExpectedOrder>> seen;  // order id -> what the book said
  std::set<std::pair<std::string, std::string>> refunds_here;
  std::vector<std::string> charged;  // orders charged in this payout, in line order
  auto lookup = [&](const std::string& id) -> Result<const std::optional<ExpectedOrder>*> {
    auto it = seen.find(id);
    if (it == seen.end()) {
      auto e = orders(id);
      if (!e) return e.error();
      it = seen.emplace(id, std::move(*e)).first;
    }
    return &it->second;
  };
  for (const PayoutLine& l : payout.lines) {
    LineMatch lm;
    auto finding = [&](std::string code, std::string message) {
      lm.code = code;
      m.findings.push_back({std::move(code), l.line_id, l.order_id, l.refund_id, lm.expected, l.amount, std::move(message)});
    };
    fees.add(l.fee);
    if (l.kind != PayoutLineKind::kPayout) net.add(l.net);
    switch (l.kind) {
      case PayoutLineKind::kOrder: {
        charges.add(l.amount);
        auto e = lookup(l.order_id);
        if (!e) return e.error();
        if (!**e) {
          finding("unknown_order", "a charge of " + l.amount.toString() + " " + l.currency + " for order " + l.order_id +
                                       ", which Stockwire never took in");
          break;
        }
        charged.push_back(l.order_id);
        const auto& total = (**e)->total;
        lm.expected = total ? std::optional<Decimal>(total->amount) : std::nullopt;
        if (!total || total->amount != l.amount || (!total->currency.empty() && total->currency != l.currency)) {
          finding("amount_difference", "order " + l.order_id + " was charged " + l.amount.toString() + " " + l.currency +
                                           ", the order came to " + (total ? total->amount.toString() + " " + total->currency : "no known total"));
          break;
        }
        lm.matched = true;
        break;
      }
      case PayoutLineKind::kRefund: {
        refunds.add(l.amount);
        refunds_here.insert({l.order_id, l.refund_id});
        auto e = lookup(l.order_id);
        if (!e) return e.error();
        if (!**e) {
          finding("unknown_order", "a refund of " + l.amount.toString() + " " + l.currency + " for order " + l.order_id +
                                       ", which Stockwire never took in");
          break;
        }
        const auto& known = (**e)->refunds;
        auto r = known.find(l.refund_id);
        if (r == known.end()) {
          finding("unknown_refund", "refund " + l.refund_id + " of order " + l.order_id + " is not in the order book");
          break;
        }
        // Refunds are paid out as negative amounts; the book keeps what was given back.
        if (r->second) lm.expected = Decimal::fromUnits(-r->second->scaled());
        if (!lm.expected || *lm.expected != l.amount) {
          finding("refund_amount_difference", "refund " + l.refund_id + " of order " + l.order_id + " paid out " +
                                                  l.amount.toString() + ", the refunded units come to " + text(lm.expected));
          break;
        }
        lm.matched = true;
        break;
      }
      case PayoutLineKind::kFee:
        fees.add(Decimal::fromUnits(-l.amount.scaled()));
        finding("unexplained_fee", "a fee of " + l.amount.toString() + " " + l.currency + " (" + l.description +
                                       ") tied to no order or refund");
        break;
      case PayoutLineKind::kAdjustment:
        finding("unexplained_adjustment", std::string("a ") + l.type + " of " + l.amount.toString() + " " + l.currency +
                                              (l.order_id.empty() ? "" : " on order " + l.order_id) + " (" + l.description + ")");
        break;
      case PayoutLineKind::kPayout:
        lm.matched = true;
        break;
    }
    m.lines.push_back(std::move(lm));
  }
  // Refunds of the orders charged here that the book applied and no payout paid.
  std::set<std::string> done;
  for (const std::string& id : charged) {
    if (!done.insert(id).second) continue;
    const auto& e = seen.at(id);
    for (const auto& [refund_id, amount] : e->refunds) {
      if (refunds_here.count({id, refund_id})) continue;
      auto paid = paid_elsewhere(id, refund_id);
      if (!paid) return paid.error();
      if (*paid) continue;
      m.findings.push_back({"refund_not_in_payout", "", id, refund_id, amount, std::nullopt,
                            "refund " + refund_id + " of order " + id + " (" + text(amount) +
                                ") is in the order book but in no payout"});
    }
  }
  if (charges.overflow || refunds.overflow || fees.overflow || net.overflow) {
    return Error::reject("bad_payout", "payout " + payout.payout_id + ": its amounts overflow");
  }
  m.charges = charges.value();
  m.refunds = refunds.value();
  m.fees = fees.value();
  if (net.value() != payout.amount) {
    m.findings.push_back({"payout_total_difference", "", "", "", net.value(), payout.amount,
                          "the lines add up to " + net.value().toString() + ", the payout sent " + payout.amount.toString()});
  }
  return m;
}

ExpectedOrder expectedFrom(const std::string& order_id, const json& normalized, const std::vector<BookRefundLine>& refunds) {
  ExpectedOrder e;
  e.order_id = order_id;
  auto textAt = [](const json& j, const char* key) {
    auto it = j.is_object() ? j.find(key) : j.end();
    return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
  };
  if (auto t = Decimal::parse(textAt(normalized, "total"))) e.total = common::Money{*t, textAt(normalized, "currency")};
  std::map<std::string, std::optional<Decimal>> unit;  // line id -> unit price
  if (normalized.is_object() && normalized.contains("lines") && normalized["lines"].is_array()) {
    for (const json& l : normalized["lines"]) {
      auto p = Decimal::parse(textAt(l, "unit_price"));
      unit[textAt(l, "line_id")] = p ? std::optional<Decimal>(*p) : std::nullopt;
    }
  }
  for (const BookRefundLine& r : refunds) {
    auto [it, fresh] = e.refunds.emplace(r.refund_id, Decimal());
    if (!it->second) continue;  // already unknown
    auto u = unit.find(r.line_id);
    int64_t part = 0;
    if (u == unit.end() || !u->second || __builtin_mul_overflow(u->second->scaled(), r.quantity, &part)) {
      it->second = std::nullopt;
      continue;
    }
    int64_t sum = 0;
    if (__builtin_add_overflow(it->second->scaled(), part, &sum)) {
      it->second = std::nullopt;
      continue;
    }
    it->second = Decimal::fromUnits(sum);
    (void)fresh;
  }
  return e;
}

json toJson(const Finding& f) {
  return {{"code", f.code},
          {"line_id", f.line_id},
          {"order_id", f.order_id},
          {"refund_id", f.refund_id},
          {"expected", f.expected ? json(f.expected->toString()) : json(nullptr)},
          {"actual", f.actual ? json(f.actual->toString()) : json(nullptr)},
          {"message", f.message}};
}

}  // namespace sw::coordinator::settlements
