#pragma once
// What a simulated channel has to pay out: every order charged and every refund given back,
// recorded by the simulator as it makes them, and the payouts made from them on request
// (POST /_sim/payouts). A payout takes every charge and refund not paid out before, with fees
// computed the channel's way (deterministic: a percentage of the charge plus a fixed part, in
// whole cents, rounded half up), and may be told to differ from the truth so reconciliation can be
// tested: charges for orders the channel never sent, a charge at another amount, fees nobody
// explained, refunds left out.
//
// Money is whole cents (sim_core.h). Threads: the owner's lock (the simulator's mu_) is held
// around every call.

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace sw::channelsim {

struct FeeRule {
  int64_t basis_points = 290;  // 2.90%
  int64_t fixed_cents = 30;
};

struct PayoutEntry {
  std::string id;        // the channel's id of this balance transaction
  std::string type;      // "charge", "refund", "adjustment", "payout"
  std::string order_id;  // "" for an adjustment or the payout itself
  std::string source_id; // the charge's or refund's own id
  int64_t amount_cents = 0;  // signed: refunds and fees negative
  int64_t fee_cents = 0;
  int64_t at_ms = 0;
  std::string description;
};

struct SimPayout {
  std::string id;
  std::string date;  // YYYY-MM-DD
  std::string currency;
  int64_t amount_cents = 0;  // the sum of every entry's net
  int64_t at_ms = 0;
  std::vector<PayoutEntry> entries;  // the payout's own "payout" entry last
};

class PayoutBook {
 public:
  PayoutBook(FeeRule rule, uint64_t first_id) : rule_(rule), next_id_(first_id) {}

  // An order charged (amount > 0). A second charge of the same order is ignored.
  void charge(const std::string& order_id, int64_t amount_cents, const std::string& currency, int64_t at_ms);
  // A charge voided before any payout took it (the order was cancelled): not paid out.
  void voidCharge(const std::string& order_id);
  void refund(const std::string& order_id, const std::string& refund_id, int64_t amount_cents, int64_t at_ms);
  int64_t feeOf(int64_t amount_cents) const;

  // POST /_sim/payouts: {"currency"?, "date"?, "unknown_orders":[{"order_id"?,"amount"}],
  // "amount_changes":[{"order_id","amount"}], "fees":[{"amount","description"?}],
  // "leave_out_refunds":["refund id"]}. False + error for a body that does not fit; nothing changes then.
  bool makePayout(const nlohmann::json& body, int64_t now_ms, const std::string& today, SimPayout* out, std::string* error);

  const std::vector<SimPayout>& payouts() const { return payouts_; }
  std::string newId() { return std::to_string(next_id_++); }

 private:
  struct Pending {
    PayoutEntry entry;
    std::string currency;
    bool voided = false;
  };
  FeeRule rule_;
  uint64_t next_id_;
  std::vector<Pending> pending_;  // not paid out yet, in the order they happened
  std::vector<SimPayout> payouts_;
};

}  // namespace sw::channelsim
