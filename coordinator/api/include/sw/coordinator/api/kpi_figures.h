#pragma once
// The KPI figures, computed one way for GET /v1/kpis (the value now) and for the KPI sampler
// (kpi_sampler.h: the history behind the console's charts). coordinator/README.md "KPIs" defines
// each one.

#include <atomic>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "sw/common/result.h"
#include "sw/coordinator/ledger/ledger.h"
#include "sw/coordinator/orders/order_book.h"
#include "sw/coordinator/orders/revenue.h"

namespace sw::coordinator {

// Counted by the API server's logger: every request, those answered 4xx (rejected) and 5xx (failed).
struct HttpCounters {
  std::atomic<uint64_t> requests{0};
  std::atomic<uint64_t> rejected{0};
  std::atomic<uint64_t> failed{0};
};

// The industry's mark for inventory record accuracy, and the fulfilment accuracy mark.
inline constexpr double kInventoryAccuracyTargetPct = 98.0;
inline constexpr double kFulfilmentAccuracyTargetPct = 99.5;

// The p-th percentile (nearest rank) of ascending values; 0 for none.
double percentile(const std::vector<int64_t>& sorted, double p);

// Share of counted SKU-locations whose record matched the latest count within `tolerance` units.
struct InventoryAccuracy {
  int64_t counted = 0;
  int64_t within = 0;
  std::optional<double> pct() const;
};
common::Result<InventoryAccuracy> inventoryAccuracy(Ledger& ledger, int64_t tolerance);

// Orders shipped complete (every line in full, every fulfilment accepted by the channel) of the
// shipped orders whose fulfilments the channels have all answered (OrderBook::KpiFigures).
struct FulfilmentAccuracy {
  int64_t settled = 0;
  int64_t complete = 0;
  std::optional<double> pct() const;
};

// Units back against units sold, in (after, until]. With a revenue book (revenue.h), the sales
// report's own figures (addLine in sales_report.h over the revenue lines): units of till sales and
// order picks less voided ones, against till returns plus channel refunds of shipped units. Without
// one (an API over a ledger alone): `return` events at the tills and handhelds plus the book's
// refunds of shipped units, over `sale` events.
struct ReturnRate {
  int64_t sold_units = 0;
  int64_t returned_units = 0;  // till and handheld returns (restocks of channel refunds left out: counted below)
  int64_t refunded_units = 0;  // channel refund lines, the units that had shipped
  std::optional<double> pct() const;
};

// Both from one read of the order book; orders and revenue may be null (no order book: zero
// orders). A location narrows both to one store (a store manager's report): the return rate to
// its revenue lines, the fulfilment accuracy to orders with a parcel shipped from it; it needs
// the revenue book (refused without one).
struct OrderKpis {
  FulfilmentAccuracy fulfilment;
  ReturnRate returns;
};
struct KpiScope {
  int64_t after_ms = 0;
  int64_t until_ms = 0;
  std::string location;  // "" = every location
};
common::Result<OrderKpis> orderKpis(Ledger& ledger, OrderBook* orders, RevenueBook* revenue, const KpiScope& scope);

// Offline exposure across the fleet (the coordinator's own workers left out).
struct FleetExposure {
  int64_t devices = 0;
  int64_t offline = 0;
  int64_t unsynced_events = 0;
  int64_t oldest_unsynced_age_s = 0;
};
common::Result<FleetExposure> fleetExposure(Ledger& ledger, int64_t now_ms);

}  // namespace sw::coordinator
