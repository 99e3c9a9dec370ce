#pragma once
// Which price applies now: the one rule the coordinator (GET /v1/prices) and the agents
// (GET /v1/items, answered offline from their copy) must agree on, so it lives here.
//
// A location sees the entries of its own scope (origin "location") and of its price list
// (origin "price_list"). The base price is the location's own base price if it has one,
// else the price list's. A promotion is active while starts_at_ms <= now < ends_at_ms and
// then overrides the base price (even if it is higher: the import said so). When several
// are active at once the lowest price wins (ties: the location's own, then the smaller
// promotion id), so overlapping promotions never charge more than either would alone.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sw/common/decimal.h"
#include "sw/common/result.h"

namespace sw::common {

struct PriceEntry {
  std::string origin;     // "location" or "price_list"
  std::string promotion;  // empty: the base price
  Decimal price;
  std::string currency;
  int64_t starts_at_ms = 0;  // promotions only
  int64_t ends_at_ms = 0;    // promotions only; exclusive
};

struct EffectivePrice {
  std::optional<PriceEntry> current;     // nullopt: no base price and no active promotion
  std::optional<PriceEntry> base;        // the base price that applies when no promotion does
  std::vector<PriceEntry> active;        // every active promotion, the chosen one first
  std::vector<PriceEntry> scheduled;     // promotions that start later, soonest first
};

EffectivePrice resolvePrice(const std::vector<PriceEntry>& entries, int64_t now_ms);

// ISO 8601 UTC timestamps: "2026-11-27T10:00:00Z", optional fraction (up to 9 digits, kept
// to the millisecond), "+00:00" accepted for "Z". Anything else (local times, other offsets,
// impossible dates) is refused: a promotion window must not depend on the reader's zone.
Result<int64_t> parseIsoUtcMs(std::string_view text);
// "2026-11-27T10:00:00.000Z".
std::string formatIsoUtcMs(int64_t ms);

}  // namespace sw::common
