// Revenue lines from till events, picks and refunds (see revenue_sources.h).

#include "sw/coordinator/orders/revenue_sources.h"

#include <algorithm>
#include <cstdlib>

#include "sw/coordinator/orders/order_book.h"

namespace sw::coordinator {

using common::Decimal;
using common::Result;

Result<TillRevenue> tillRevenue(const LedgerEvent& e) {
  TillRevenue out;
  if (e.device_id == kRestockDevice) return out;
  if (e.type == "void") {
    if (!e.ref.empty()) out.void_of = RevenueBook::TillVoid{e.event_id, e.ref, e.at_ms};
    return out;
  }
  const bool sale = e.type == "sale";
  if ((!sale && e.type != "return") || (sale && !e.ref.empty())) return out;
  for (size_t i = 0; i < e.moves.size(); ++i) {
    const LedgerEvent::Move& m = e.moves[i];
    RevenueLine l;
    l.source = "till:" + e.event_id + ":" + std::to_string(i + 1);
    l.kind = sale ? RevenueKind::kSale : RevenueKind::kReturn;
    l.channel = kPosChannel;
    l.location = m.location.empty() ? e.location : m.location;
    l.sku = m.sku;
    l.order_ref = e.event_id;
    l.at_ms = e.at_ms;
    l.units = std::llabs(m.qty);
    if (m.price_units) {
      auto amount = lineAmount(Decimal::fromUnits(*m.price_units), l.units);
      if (!amount) return amount.error();
      l.gross = *amount;
    }
    out.lines.push_back(std::move(l));
  }
  return out;
}

Result<std::vector<RevenueLine>> pickRevenue(const PickTask& task, const std::map<std::string, int64_t>& picked,
                                             int64_t at_ms) {
  std::map<std::string, int64_t> left = picked;
  std::vector<RevenueLine> out;
  for (const TaskLine& tl : task.lines) {
    int64_t& have = left[tl.sku];
    const int64_t units = std::min(have, tl.quantity);
    if (units <= 0) continue;
    have -= units;
    RevenueLine l;
    l.source = "pick:" + task.channel + ":" + task.order_id + ":" + task.task_id + ":" + tl.line_id;
    l.kind = RevenueKind::kOrder;
    l.channel = task.channel;
    l.location = task.location;
    l.sku = tl.sku;
    l.order_ref = task.order_id;
    l.at_ms = at_ms;
    l.units = units;
    if (auto p = task.line_prices.find(tl.line_id); p != task.line_prices.end()) {
      auto amount = lineAmount(p->second.amount, units);
      if (!amount) return amount.error();
      l.gross = *amount;
      l.currency = p->second.currency;
    }
    out.push_back(std::move(l));
  }
  return out;
}

Result<RevenueLine> refundRevenue(const RefundFacts& r) {
  RevenueLine l;
  l.source = "refund:" + r.channel + ":" + r.order_id + ":" + r.refund_id + ":" + r.line_id;
  l.kind = RevenueKind::kRefund;
  l.channel = r.channel;
  l.location = r.location;
  l.sku = r.sku;
  l.order_ref = r.order_id;
  l.at_ms = r.at_ms;
  l.units = r.units;
  if (r.unit_price) {
    auto amount = lineAmount(r.unit_price->amount, r.units);
    if (!amount) return amount.error();
    l.gross = *amount;
    l.currency = r.unit_price->currency;
  }
  return l;
}

}  // namespace sw::coordinator
