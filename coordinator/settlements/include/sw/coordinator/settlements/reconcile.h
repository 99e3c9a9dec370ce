#pragma once
// Matching one payout to the order book: pure (no network, no database), so every rule is
// tested on its own. What the book says is given by a lookup per order; what other stored
// payouts already paid by a second lookup.
//
// Rules, per payout line (channels::PayoutLine):
//   order  (a charge/sale)   the order must be in the book (else unknown_order) and the amount
//                            charged must be its total in its currency (else amount_difference);
//                            the fee on it is the channel's processing fee, reported, not a finding.
//   refund                   the order must be in the book (else unknown_order), the refund id
//                            among the refunds the book applied to it (else unknown_refund), and
//                            the amount given back the refunded units at their unit prices
//                            (else refund_amount_difference).
//   fee                      a fee tied to no order or refund: unexplained_fee.
//   adjustment               any other movement (reserve, dispute, credit): unexplained_adjustment.
//   payout                   the transfer itself: explains the balance, never a finding.
// Per payout: every refund the book applied to an order charged in this payout must be in this
// payout or in another stored one (else refund_not_in_payout); and the lines' net (the payout line
// left out) must add up to the payout's amount (else payout_total_difference).
// Money is compared exactly (common::Decimal), never through a double.

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "sw/common/decimal.h"
#include "sw/common/result.h"
#include "sw/coordinator/channels/settlement.h"

namespace sw::coordinator::settlements {

// What the order book knows of one order, as far as money goes.
struct ExpectedOrder {
  std::string order_id;
  std::optional<common::Money> total;  // nullopt: the order carried no total (Amazon Pending)
  // Refund id -> the amount given back (refunded units x unit price); nullopt when a refunded
  // line has no unit price.
  std::map<std::string, std::optional<common::Decimal>> refunds;
};

// nullopt: the book has no such order.
using OrderLookup = std::function<common::Result<std::optional<ExpectedOrder>>(const std::string& order_id)>;
// True when another stored payout of the channel has a refund line for (order id, refund id).
using RefundPaidElsewhere = std::function<common::Result<bool>(const std::string& order_id, const std::string& refund_id)>;

struct LineMatch {
  bool matched = false;  // true: nothing to look at on this line
  std::string code;      // "" when matched; else the finding's code
  std::optional<common::Decimal> expected;  // what the book says the amount should be, where it says
};

struct Finding {
  std::string code;  // unknown_order, amount_difference, unknown_refund, refund_amount_difference,
                     // refund_not_in_payout, unexplained_fee, unexplained_adjustment, payout_total_difference
  std::string line_id;  // the payout line, "" for a finding about the payout as a whole
  std::string order_id;
  std::string refund_id;
  std::optional<common::Decimal> expected;
  std::optional<common::Decimal> actual;
  std::string message;  // for a person
};

struct PayoutMatch {
  std::vector<LineMatch> lines;  // one per payout line, in the payout's order
  std::vector<Finding> findings;
  common::Decimal charges;  // sum of order lines' amounts
  common::Decimal refunds;  // sum of refund lines' amounts (negative)
  common::Decimal fees;     // every line's fee plus the amounts of fee lines (positive = taken)
  bool matched() const { return findings.empty(); }
};

common::Result<PayoutMatch> matchPayout(const channels::Payout& payout, const OrderLookup& orders,
                                        const RefundPaidElsewhere& paid_elsewhere);

// The book's view of an order for matching: its total and currency from the normalized order,
// each refund's amount from its lines (quantity x that line's unit price).
struct BookRefundLine {
  std::string refund_id;
  std::string line_id;
  int64_t quantity = 0;
};
ExpectedOrder expectedFrom(const std::string& order_id, const nlohmann::json& normalized,
                           const std::vector<BookRefundLine>& refunds);

nlohmann::json toJson(const Finding& f);

}  // namespace sw::coordinator::settlements
