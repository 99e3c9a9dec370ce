#include "sw/coordinator/channels/price_rules.h"

#include <algorithm>

namespace sw::coordinator::channels {

using common::Decimal;
using common::Error;
using nlohmann::json;

namespace {

constexpr int64_t kCent = Decimal::kScale / 100;
// A price times (100 + markup) needs more than 64 bits for large prices.
__extension__ typedef __int128 Wide;

Decimal roundToCent(Wide scaled) {
  // Half up, away from zero for negatives (prices here are not negative).
  Wide q = scaled >= 0 ? (scaled + kCent / 2) / kCent : -((-scaled + kCent / 2) / kCent);
  return Decimal::fromUnits(static_cast<int64_t>(q * kCent));
}

common::Result<Decimal> decimalField(const json& v, const std::string& name, bool integer_ok) {
  if (v.is_string()) {
    auto d = Decimal::parse(v.get<std::string>());
    if (!d) return Error::reject("bad_config", "prices." + name + ": " + d.error().message);
    return *d;
  }
  if (integer_ok && v.is_number_integer()) {
    int64_t n = v.get<int64_t>();
    if (n < -1'000'000 || n > 1'000'000) return Error::reject("bad_config", "prices." + name + " is out of range");
    return Decimal::fromUnits(n * Decimal::kScale);
  }
  return Error::reject("bad_config", "prices." + name + " must be a decimal string such as \"4.99\"" +
                                         std::string(integer_ok ? " or an integer" : ""));
}

}  // namespace

common::Result<PriceRules> parsePriceRules(const json& j) {
  PriceRules rules;
  if (j.is_boolean()) {
    rules.enabled = j.get<bool>();
    return rules;
  }
  if (!j.is_object()) return Error::reject("bad_config", "prices must be an object or false");
  for (const auto& [key, v] : j.items()) {
    if (key == "price_location") {
      if (!v.is_string() || v.get<std::string>().empty() || v.get<std::string>().size() > 128) {
        return Error::reject("bad_config", "prices.price_location must be a location name");
      }
      rules.price_location = v.get<std::string>();
    } else if (key == "markup_pct") {
      auto d = decimalField(v, key, true);
      if (!d) return d.error();
      if (*d <= Decimal::fromUnits(-100 * Decimal::kScale) || *d > Decimal::fromUnits(1000 * Decimal::kScale)) {
        return Error::reject("bad_config", "prices.markup_pct must be above -100 and at most 1000");
      }
      rules.markup_pct = *d;
    } else if (key == "round_to_99") {
      if (!v.is_boolean()) return Error::reject("bad_config", "prices.round_to_99 must be true or false");
      rules.round_to_99 = v.get<bool>();
    } else if (key == "floor") {
      auto d = decimalField(v, key, false);
      if (!d) return d.error();
      if (*d < Decimal()) return Error::reject("bad_config", "prices.floor must not be negative");
      rules.floor = *d;
    } else if (key == "enabled") {
      if (!v.is_boolean()) return Error::reject("bad_config", "prices.enabled must be true or false");
      rules.enabled = v.get<bool>();
    } else {
      return Error::reject("bad_config", "prices: unknown key '" + key + "'");
    }
  }
  return rules;
}

Decimal applyPriceRules(const PriceRules& rules, Decimal price) {
  Decimal p = price;
  if (rules.markup_pct != Decimal()) {
    Wide factor = static_cast<Wide>(100) * Decimal::kScale + rules.markup_pct.scaled();  // (100 + pct) scaled
    p = roundToCent(static_cast<Wide>(price.scaled()) * factor / (static_cast<Wide>(100) * Decimal::kScale));
  } else {
    p = roundToCent(price.scaled());
  }
  if (rules.round_to_99) {
    int64_t cents = p.scaled() / kCent;
    int64_t whole = cents / 100;
    int64_t below = whole * 100 - 1;  // (whole - 1).99
    int64_t above = whole * 100 + 99; // whole.99
    int64_t chosen = (cents - below) < (above - cents) ? below : above;
    if (chosen < 99) chosen = 99;
    p = Decimal::fromUnits(chosen * kCent);
  }
  if (rules.floor && p < *rules.floor) p = *rules.floor;
  return p;
}

std::optional<ChannelPrice> channelPrice(const std::string& sku, const std::vector<common::PriceEntry>& entries,
                                         int64_t now_ms, const PriceRules& rules) {
  common::EffectivePrice eff = common::resolvePrice(entries, now_ms);
  if (!eff.current) return std::nullopt;
  ChannelPrice out;
  out.sku = sku;
  const common::PriceEntry& base = eff.base ? *eff.base : *eff.current;
  out.currency = base.currency;
  out.regular = applyPriceRules(rules, base.price);
  if (!eff.current->promotion.empty()) {
    const common::PriceEntry& promo = *eff.current;
    Decimal sale = applyPriceRules(rules, promo.price);
    if (!eff.base || sale >= out.regular) {
      out.regular = sale;  // no base price, or a promotion above it: that is simply the price now
    } else {
      out.sale = sale;
      out.promotion = promo.promotion;
      out.sale_starts_ms = promo.starts_at_ms;
      out.sale_ends_ms = promo.ends_at_ms;
    }
  }
  return out;
}

std::optional<int64_t> nextPriceChangeMs(const std::vector<common::PriceEntry>& entries, int64_t now_ms) {
  std::optional<int64_t> next;
  auto consider = [&](int64_t t) {
    if (t > now_ms && (!next || t < *next)) next = t;
  };
  for (const common::PriceEntry& e : entries) {
    if (e.promotion.empty()) continue;
    consider(e.starts_at_ms);
    consider(e.ends_at_ms);
  }
  return next;
}

}  // namespace sw::coordinator::channels
