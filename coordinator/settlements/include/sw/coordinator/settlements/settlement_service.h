#pragma once
// Settlement reconciliation (issue 20): fetches what a channel paid out through its one connector
// (ChannelRegistry: the same HTTP client, credentials and learned rate limit as pushes and order
// intake, one call at a time per channel), matches each payout to the order book (reconcile.h)
// and keeps payout, lines and findings in the SettlementStore.
//
// A fetch runs on the caller's thread (POST /v1/settlements/{channel}/fetch); one fetch at a time.
// A payout fetched again is matched again and replaces what was kept for it, so a payout read
// before its orders arrived is right after the next fetch.
//
// Revenue (setRevenue): every payout matched also goes into the RevenueBook, for the sales report
// and the journal export, the same way for every channel: one payout line (kind payout, gross =
// what was sent to the bank, source "payout:<channel>:<payout id>") and one fee line (kind fee,
// gross = the fees the channel took in it, net of fees given back, source "fee:<channel>:<payout
// id>"), dated the payout's day. Recorded once per source (RevenueBook::record keeps the first), so
// fetching again adds nothing; a payout that failed or was cancelled, a negative payout (a debit
// to the bank) and WooCommerce's order totals (no money moved) are not recorded.

#include <cstdint>
#include <mutex>
#include <string>
#include <vector>

#include "sw/common/clock.h"
#include "sw/common/result.h"
#include "sw/coordinator/channels/channel_registry.h"
#include "sw/coordinator/orders/order_book.h"
#include "sw/coordinator/orders/revenue.h"
#include "sw/coordinator/settlements/settlement_store.h"

namespace sw::coordinator::settlements {

struct FetchReport {
  std::string channel;
  int64_t pages = 0;
  std::vector<std::string> matched;     // payout ids with no finding
  std::vector<std::string> mismatched;  // payout ids with findings
  int64_t findings = 0;
};

class SettlementService {
 public:
  static constexpr int kMaxPages = 100;  // per fetch; the next fetch goes on from date_min again

  SettlementService(const channels::ChannelRegistry& registry, OrderBook& book, SettlementStore& store,
                    const common::Clock& clock)
      : registry_(registry), book_(book), store_(store), clock_(clock) {}

  // Payouts dated date_min (YYYY-MM-DD) or later ("" = the connector's look-back). Reject
  // "unknown_channel" when the channel has no enabled connector; the connector's errors as they came
  // (not_supported for a channel whose payouts are not read yet).
  common::Result<FetchReport> fetch(const std::string& channel, const std::string& date_min);
  // Matches one payout against the book and keeps it (what fetch does per payout; tests feed it).
  common::Result<PayoutMatch> reconcile(const channels::Payout& payout);

  SettlementStore& store() { return store_; }
  // The book payouts and fees go to (none: not recorded). Set before the first fetch.
  void setRevenue(RevenueBook* revenue) { revenue_ = revenue; }

 private:
  const channels::ChannelRegistry& registry_;
  OrderBook& book_;
  SettlementStore& store_;
  const common::Clock& clock_;
  RevenueBook* revenue_ = nullptr;
  std::mutex fetch_mu_;
};

}  // namespace sw::coordinator::settlements
