#include "payouts.h"

#include <set>

#include "sim_core.h"

namespace sw::channelsim {

void PayoutBook::charge(const std::string& order_id, int64_t amount_cents, const std::string& currency, int64_t at_ms) {
  for (const Pending& p : pending_) {
    if (p.entry.type == "charge" && p.entry.order_id == order_id) return;
  }
  Pending p;
  p.entry.id = newId();
  p.entry.type = "charge";
  p.entry.order_id = order_id;
  p.entry.source_id = newId();
  p.entry.amount_cents = amount_cents;
  p.entry.fee_cents = feeOf(amount_cents);
  p.entry.at_ms = at_ms;
  p.entry.description = "charge";
  p.currency = currency;
  pending_.push_back(std::move(p));
}

void PayoutBook::voidCharge(const std::string& order_id) {
  for (Pending& p : pending_) {
    if (p.entry.type == "charge" && p.entry.order_id == order_id) p.voided = true;
  }
}

void PayoutBook::refund(const std::string& order_id, const std::string& refund_id, int64_t amount_cents, int64_t at_ms) {
  Pending p;
  p.entry.id = newId();
  p.entry.type = "refund";
  p.entry.order_id = order_id;
  p.entry.source_id = refund_id;
  p.entry.amount_cents = -amount_cents;
  p.entry.fee_cents = 0;  // the processing fee of the charge is not given back
  p.entry.at_ms = at_ms;
  p.entry.description = "refund";
  for (const Pending& c : pending_) {
    if (c.entry.order_id == order_id) p.currency = c.currency;
  }
  if (p.currency.empty()) p.currency = "USD";
  pending_.push_back(std::move(p));
}

int64_t PayoutBook::feeOf(int64_t amount_cents) const {
  // Half up, in whole cents: 10.00 at 2.90% + 0.30 = 0.59.
  return (amount_cents * rule_.basis_points + 5'000) / 10'000 + rule_.fixed_cents;
}

bool PayoutBook::makePayout(const nlohmann::json& body, int64_t now_ms, const std::string& today, SimPayout* out,
                            std::string* error) {
  using nlohmann::json;
  if (!body.is_object()) {
    *error = "expected a JSON object";
    return false;
  }
  auto listOf = [&](const char* key, const json** list) {
    *list = nullptr;
    if (!body.contains(key)) return true;
    if (!body[key].is_array()) {
      *error = std::string(key) + " must be an array";
      return false;
    }
    *list = &body[key];
    return true;
  };
  const json *unknown, *changes, *fees, *leave_out;
  if (!listOf("unknown_orders", &unknown) || !listOf("amount_changes", &changes) || !listOf("fees", &fees) ||
      !listOf("leave_out_refunds", &leave_out)) {
    return false;
  }
  auto cents = [&](const json& e, const char* what, int64_t* v) {
    auto c = e.is_object() ? parseCents(textField(e, "amount", "")) : std::nullopt;
    if (!c) {
      *error = std::string(what) + " entries need an \"amount\" like \"12.34\"";
      return false;
    }
    *v = *c;
    return true;
  };
  std::set<std::string> left_out;
  if (leave_out) {
    for (const json& r : *leave_out) {
      if (!r.is_string()) {
        *error = "leave_out_refunds holds refund ids as strings";
        return false;
      }
      left_out.insert(r.get<std::string>());
    }
  }
  SimPayout p;
  p.id = newId();
  p.date = textField(body, "date", today);
  p.currency = textField(body, "currency", "USD");
  p.at_ms = now_ms;
  std::vector<Pending> kept;
  for (Pending& e : pending_) {
    if (e.voided) continue;
    if (e.currency != p.currency || (e.entry.type == "refund" && left_out.count(e.entry.source_id))) {
      kept.push_back(e);
      continue;
    }
    p.entries.push_back(e.entry);
  }
  if (changes) {
    for (const json& c : *changes) {
      int64_t v = 0;
      if (!cents(c, "amount_changes", &v)) return false;
      std::string order = textField(c, "order_id", "");
      bool found = false;
      for (PayoutEntry& e : p.entries) {
        if (e.type == "charge" && e.order_id == order) {
          e.amount_cents = v;
          e.fee_cents = feeOf(v);
          found = true;
        }
      }
      if (!found) {
        *error = "amount_changes: no charge of order '" + order + "' in this payout";
        return false;
      }
    }
  }
  if (unknown) {
    for (const json& u : *unknown) {
      int64_t v = 0;
      if (!cents(u, "unknown_orders", &v)) return false;
      PayoutEntry e;
      e.id = newId();
      e.type = "charge";
      e.order_id = textField(u, "order_id", newId());
      e.source_id = newId();
      e.amount_cents = v;
      e.fee_cents = feeOf(v);
      e.at_ms = now_ms;
      e.description = "charge";
      p.entries.push_back(std::move(e));
    }
  }
  if (fees) {
    for (const json& f : *fees) {
      int64_t v = 0;
      if (!cents(f, "fees", &v)) return false;
      PayoutEntry e;
      e.id = newId();
      e.type = "adjustment";
      e.source_id = newId();
      e.amount_cents = -v;
      e.at_ms = now_ms;
      e.description = textField(f, "description", "fee");
      p.entries.push_back(std::move(e));
    }
  }
  for (const PayoutEntry& e : p.entries) p.amount_cents += e.amount_cents - e.fee_cents;
  PayoutEntry self;
  self.id = newId();
  self.type = "payout";
  self.source_id = p.id;
  self.amount_cents = -p.amount_cents;
  self.at_ms = now_ms;
  self.description = "payout";
  p.entries.push_back(std::move(self));
  pending_ = std::move(kept);
  payouts_.push_back(p);
  *out = std::move(p);
  return true;
}

}  // namespace sw::channelsim
