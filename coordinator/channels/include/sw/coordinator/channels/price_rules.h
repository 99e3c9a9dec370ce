#pragma once
// What price a channel shows for a SKU: the catalog's effective price (common/pricing.h, the
// same rule the tills follow) put through the channel's own price rules from the channels
// config. No I/O and no clock of its own: the caller says what time it is.
//
// Rules, in this order:
//   1. markup_pct: price x (1 + markup_pct / 100), rounded half up to the cent;
//   2. round_to_99: the nearest price ending in .99 (ties go up; never below 0.99);
//   3. floor: the price is never below it.
// They apply to the base price and to a promotion's price alike. A promotion that comes out
// at or above the base price after the rules is not shown as a sale: it is the price.
//
// Prices go to channels with two decimals. Currencies without cents (JPY) are not handled
// differently: the catalog's prices are sent as they are, to the cent.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "sw/common/decimal.h"
#include "sw/common/pricing.h"
#include "sw/common/result.h"

namespace sw::coordinator::channels {

struct PriceRules {
  // Where the channel's catalog prices come from: the entries a location of this name sees
  // (its own location-scoped prices, else its price list; an unmapped name uses "default").
  // Empty: the channel's own name.
  std::string price_location;
  common::Decimal markup_pct;  // may be negative (a marketplace discount); > -100
  bool round_to_99 = false;
  std::optional<common::Decimal> floor;
  bool enabled = true;  // "prices": false in the config: this channel's prices are not pushed
};

// The "prices" object of one channel in the channels config:
//   {"price_location":"online","markup_pct":"12.5","round_to_99":true,"floor":"4.99"}
// markup_pct is a decimal string or an integer; floor a decimal string (as in price imports:
// a JSON fraction may not be exact). `false` turns price pushes off. Unknown keys are errors.
common::Result<PriceRules> parsePriceRules(const nlohmann::json& j);

common::Decimal applyPriceRules(const PriceRules& rules, common::Decimal price);

// What one channel is to show for one SKU.
struct ChannelPrice {
  std::string sku;
  std::string currency;
  common::Decimal regular;             // the price when no promotion runs (Shopify price, Woo regular_price, ...)
  std::optional<common::Decimal> sale;  // the running promotion's price, below `regular`
  std::string promotion;                // its id
  int64_t sale_starts_ms = 0;           // its window [starts, ends), for channels that take dates
  int64_t sale_ends_ms = 0;
  // The price a buyer pays now.
  common::Decimal current() const { return sale ? *sale : regular; }
  bool operator==(const ChannelPrice&) const = default;
};

// nullopt when the catalog has no base price and no running promotion for the SKU (nothing to
// send: the channel keeps what it has).
std::optional<ChannelPrice> channelPrice(const std::string& sku, const std::vector<common::PriceEntry>& entries,
                                         int64_t now_ms, const PriceRules& rules);

// The next time after now_ms at which channelPrice() may give another answer (a promotion
// starts or ends); nullopt when nothing is scheduled.
std::optional<int64_t> nextPriceChangeMs(const std::vector<common::PriceEntry>& entries, int64_t now_ms);

}  // namespace sw::coordinator::channels
