#include "sw/coordinator/api/kpi_figures.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>

#include "sw/coordinator/fleet/exposure.h"
#include "sw/coordinator/orders/sales_report.h"

namespace sw::coordinator {

namespace {

std::optional<double> share(int64_t part, int64_t whole) {
  if (whole <= 0) return std::nullopt;
  return 100.0 * static_cast<double>(part) / static_cast<double>(whole);
}

}  // namespace

double percentile(const std::vector<int64_t>& sorted, double p) {
  if (sorted.empty()) return 0;
  size_t i = static_cast<size_t>(std::ceil(p / 100.0 * static_cast<double>(sorted.size())));
  i = i == 0 ? 0 : i - 1;
  return static_cast<double>(sorted[std::min(i, sorted.size() - 1)]);
}

std::optional<double> InventoryAccuracy::pct() const { return share(within, counted); }
std::optional<double> FulfilmentAccuracy::pct() const { return share(complete, settled); }
std::optional<double> ReturnRate::pct() const { return share(returned_units + refunded_units, sold_units); }

common::Result<InventoryAccuracy> inventoryAccuracy(Ledger& ledger, int64_t tolerance) {
  auto counts = ledger.countDiscrepancies("", "", 0);
  if (!counts) return counts.error();
  InventoryAccuracy out;
  out.counted = static_cast<int64_t>(counts->size());
  for (const CountDiscrepancy& d : *counts) out.within += std::llabs(d.difference()) <= tolerance ? 1 : 0;
  return out;
}

namespace {

// The report's figures over (after, until] (RevenueBook::lines takes [from, until)).
common::Result<ReturnRate> revenueReturnRate(RevenueBook& revenue, const KpiScope& scope) {
  auto lines = revenue.lines(scope.after_ms + 1, scope.until_ms + 1);
  if (!lines) return lines.error();
  SalesFigures all;
  int64_t refunded = 0;
  for (const RevenueLine& l : *lines) {
    if (!scope.location.empty() && l.location != scope.location) continue;
    if (auto s = addLine(all, l); !s) return s.error();
    if (l.kind == RevenueKind::kRefund) refunded += l.units;
  }
  ReturnRate out;
  out.sold_units = all.units_sold;
  out.refunded_units = refunded;
  out.returned_units = all.units_returned - refunded;
  return out;
}

}  // namespace

common::Result<OrderKpis> orderKpis(Ledger& ledger, OrderBook* orders, RevenueBook* revenue, const KpiScope& scope) {
  if (!scope.location.empty() && !revenue) {
    return common::Error::reject("no_revenue", "the KPIs of one location need the revenue book");
  }
  OrderKpis out;
  if (revenue) {
    auto rate = revenueReturnRate(*revenue, scope);
    if (!rate) return rate.error();
    out.returns = *rate;
  } else {
    auto sales = ledger.salesApplied(scope.after_ms, scope.until_ms);
    if (!sales) return sales.error();
    for (const SalesFigure& f : *sales) {
      out.returns.sold_units += f.sold_units;
      // The orders worker's `return` events are restocks of channel refunds, counted from the book.
      if (!f.internal) out.returns.returned_units += f.returned_units;
    }
  }
  if (orders) {
    auto book = orders->kpiFigures(scope.after_ms, scope.until_ms, scope.location);
    if (!book) return book.error();
    out.fulfilment.settled = book->shipped_settled;
    out.fulfilment.complete = book->shipped_complete;
    if (!revenue) out.returns.refunded_units = book->refunded_shipped_units;
  }
  return out;
}

common::Result<FleetExposure> fleetExposure(Ledger& ledger, int64_t now_ms) {
  auto devs = ledger.devices();
  if (!devs) return devs.error();
  FleetExposure out;
  for (const DeviceRow& d : *devs) {
    if (d.internal) continue;
    const Exposure e = exposureOf(d, now_ms);
    ++out.devices;
    out.offline += d.online ? 0 : 1;
    out.unsynced_events += static_cast<int64_t>(e.queue_depth);
    if (e.queue_depth > 0) out.oldest_unsynced_age_s = std::max(out.oldest_unsynced_age_s, e.oldest_unsynced_age_s);
  }
  return out;
}

}  // namespace sw::coordinator
