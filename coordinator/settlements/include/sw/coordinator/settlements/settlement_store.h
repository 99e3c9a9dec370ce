#pragma once
// Fetched payouts and what matching found, kept in the channels file ("<ledger path>.channels",
// beside the dead letters) as the component "settlements" with its own schema version:
//   settlement_payouts(channel, payout_id) PK   the payout as the channel gave it, when it was
//                                               fetched and matched, matched or not, how many findings
//   settlement_lines(channel, payout_id, seq) PK every line as given, with its match (matched,
//                                               code, expected amount)
//   settlement_findings(channel, payout_id, seq) PK  what does not match (reconcile.h codes)
// Why there and not in the order book: a payout is the channel's statement, read again whenever
// asked (a fetch replaces what was kept for that payout, in one transaction), like the dead
// letters it is per channel and not part of any order's state, and the order book's own schema
// steps (shared with PostgreSQL) stay untouched. The book is only read to match.
//
// Threads: every method may be called from any thread (one mutex around the connection).

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "sw/common/build_info.h"
#include "sw/common/result.h"
#include "sw/common/sqlite.h"
#include "sw/coordinator/channels/settlement.h"
#include "sw/coordinator/settlements/reconcile.h"

namespace sw::coordinator::settlements {

struct StoredPayout {
  channels::Payout payout;  // lines filled only by get()
  int64_t fetched_at_ms = 0;
  bool matched = false;
  int64_t mismatches = 0;
  std::vector<LineMatch> line_matches;  // by get(): one per line
  std::vector<Finding> findings;        // by get()
};

class SettlementStore {
 public:
  static common::Result<std::unique_ptr<SettlementStore>> open(const std::string& path);
  static common::SchemaVersion schemaVersion();
  // Step i takes version i to i+1 (tests build a file of each earlier version from them).
  static const std::vector<std::string>& schemaSteps();

  // The payout, its lines and its match, replacing what was kept for it, in one transaction.
  common::Status save(const channels::Payout& payout, const PayoutMatch& match, int64_t now_ms);
  // Newest payout date first; channel "" = every channel. Lines not filled.
  common::Result<std::vector<StoredPayout>> list(const std::string& channel, int64_t limit);
  common::Result<std::optional<StoredPayout>> get(const std::string& channel, const std::string& payout_id);
  // True when a payout other than except_payout_id holds a refund line for (order, refund).
  common::Result<bool> refundPaid(const std::string& channel, const std::string& order_id, const std::string& refund_id,
                                  const std::string& except_payout_id);

 private:
  SettlementStore() = default;
  std::mutex mu_;
  common::SqliteDb db_;
};

}  // namespace sw::coordinator::settlements
