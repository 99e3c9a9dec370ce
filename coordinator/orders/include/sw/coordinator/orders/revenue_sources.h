#pragma once
// Where the revenue lines (revenue.h) come from, as pure conversions the orders worker calls
// (order_service.cpp): the ledger's applied till events, a pick task's completed lines, a
// channel's refund line. Each line's `source` names its fact, so a conversion run twice (a
// restart, a redelivery) records nothing twice.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "sw/common/decimal.h"
#include "sw/common/result.h"
#include "sw/coordinator/ledger/ledger.h"
#include "sw/coordinator/orders/revenue.h"
#include "sw/coordinator/orders/tasks.h"

namespace sw::coordinator {

// A till's or handheld's applied event: a sale (one `sale` line per line, "till:<event id>:<n>")
// or a return; a sale naming a pick task is the task's (pickRevenue), and the coordinator's own
// restocks of channel refunds are the refund's (refundRevenue): neither gives lines here. A line
// without a price has amount 0. Tills send no currency and no tax: both are recorded empty/0.
// A void is given in `void_of` (the sale it names), for RevenueBook::recordScanned.
struct TillRevenue {
  std::vector<RevenueLine> lines;
  std::optional<RevenueBook::TillVoid> void_of;
};
common::Result<TillRevenue> tillRevenue(const LedgerEvent& event);

// An order line's tax and discounts in the order as taken in (channels::toJson: "tax" and
// "discount" as {amount, currency}, "quantity"); a charge that is missing, unreadable, negative or
// in a currency other than the line's price is 0.
LineCharges orderLineCharges(const nlohmann::json& line);

// `units` of a line's `of_units`' share of `whole` (its tax, its discount), rounded half up to
// the 4 decimals a Decimal keeps: the whole line's units get it exactly. of_units <= 0: 0.
common::Decimal shareOf(const common::Decimal& whole, int64_t units, int64_t of_units);

// A pick task's pick came back at `at_ms`: picked[sku] units, spread over the task's lines in
// line order as OrderBook::completeTask does; each at the order line's price and currency
// (PickTask::line_prices; none known: amount 0, currency "") with its share of the line's tax and
// discounts (PickTask::line_charges).
common::Result<std::vector<RevenueLine>> pickRevenue(const PickTask& task, const std::map<std::string, int64_t>& picked,
                                                     int64_t at_ms);

// `units` shipped units of an order line refunded, at the line's price.
struct RefundFacts {
  std::string channel, order_id, refund_id, line_id, sku, location;
  int64_t units = 0;
  std::optional<common::Money> unit_price;
  int64_t at_ms = 0;
  LineCharges charges = {};  // the order line's (its share is the refund's)
};
common::Result<RevenueLine> refundRevenue(const RefundFacts& refund);

}  // namespace sw::coordinator
