// Revenue lines from till events, picks and refunds (see revenue_sources.h).

#include "sw/coordinator/orders/revenue_sources.h"

#include <algorithm>
#include <cstdlib>
#include <utility>

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

LineCharges orderLineCharges(const nlohmann::json& line) {
  LineCharges out;
  if (!line.is_object()) return out;
  const nlohmann::json q = line.value("quantity", nlohmann::json());
  if (q.is_number_integer()) out.quantity = q.get<int64_t>();
  const nlohmann::json currency = line.value("currency", nlohmann::json());
  for (auto [key, field] : {std::pair{"tax", &out.tax}, std::pair{"discount", &out.discount}}) {
    const nlohmann::json m = line.value(key, nlohmann::json());
    if (!m.is_object() || !m.contains("amount") || !m["amount"].is_string() || m.value("currency", nlohmann::json()) != currency) {
      continue;
    }
    auto amount = Decimal::parse(m["amount"].get<std::string>());
    if (amount && amount->scaled() >= 0) *field = *amount;
  }
  return out;
}

Decimal shareOf(const Decimal& whole, int64_t units, int64_t of_units) {
  if (of_units <= 0 || units <= 0) return Decimal();
  if (units >= of_units) return whole;
  // whole * units / of_units, half up, in 128 bits (GCC's, hence __extension__; the result fits
  // 64 bits: units < of_units).
  __extension__ using Wide = __int128;
  const Wide twice = static_cast<Wide>(whole.scaled()) * units * 2 / of_units;
  return Decimal::fromUnits(static_cast<int64_t>((twice + 1) / 2));
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
    if (auto c = task.line_charges.find(tl.line_id); c != task.line_charges.end()) {
      l.tax = shareOf(c->second.tax, units, c->second.quantity);
      l.discount = shareOf(c->second.discount, units, c->second.quantity);
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
    l.tax = shareOf(r.charges.tax, r.units, r.charges.quantity);
    l.discount = shareOf(r.charges.discount, r.units, r.charges.quantity);
  }
  return l;
}

}  // namespace sw::coordinator
