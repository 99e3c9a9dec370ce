#include "sw/coordinator/channels/availability.h"

#include <algorithm>
#include <cmath>
#include <set>

#include <nlohmann/json.hpp>

#include "sw/coordinator/fleet/exposure.h"

namespace sw::coordinator {

using common::Error;
using common::Result;
using nlohmann::json;

// ---- config ------------------------------------------------------------------------------

namespace {

Error bad(const std::string& what) { return Error::fatal("bad_config", "channels config: " + what); }

common::Status checkKeys(const json& obj, const std::set<std::string>& allowed, const std::string& where) {
  for (const auto& [k, v] : obj.items()) {
    if (!allowed.count(k)) return bad("unknown key '" + k + "' in " + where);
  }
  return {};
}

common::Status readRule(const json& obj, AtsRule& rule, const std::string& where) {
  if (auto it = obj.find("safety_stock"); it != obj.end()) {
    if (!it->is_number_integer() || it->get<int64_t>() < 0) return bad(where + ".safety_stock must be a whole number >= 0");
    rule.safety_stock = it->get<int64_t>();
  }
  if (auto it = obj.find("percent"); it != obj.end()) {
    if (!it->is_number() || it->get<double>() < 0 || it->get<double>() > 100) {
      return bad(where + ".percent must be a number from 0 to 100");
    }
    rule.percent = it->get<double>();
  }
  if (auto it = obj.find("cap"); it != obj.end() && !it->is_null()) {
    if (!it->is_number_integer() || it->get<int64_t>() < 0) return bad(where + ".cap must be a whole number >= 0 or null");
    rule.cap = it->get<int64_t>();
  }
  return {};
}

Result<int64_t> readSeconds(const json& obj, const char* key, int64_t fallback, const std::string& where) {
  auto it = obj.find(key);
  if (it == obj.end()) return fallback;
  if (!it->is_number_integer() || it->get<int64_t>() <= 0) return bad(where + "." + key + " must be a whole number > 0");
  return it->get<int64_t>();
}

}  // namespace

Result<AvailabilityConfig> parseAvailabilityConfig(const json& config) {
  AvailabilityConfig out;
  if (!config.is_object()) return bad("the file must hold a JSON object");
  if (auto s = checkKeys(config, {"defaults", "exposure", "channels", "push"}, "the top level"); !s) return s.error();
  if (auto it = config.find("defaults"); it != config.end()) {
    if (!it->is_object()) return bad("defaults must be an object");
    if (auto s = checkKeys(*it, {"safety_stock", "percent", "cap"}, "defaults"); !s) return s.error();
    if (auto s = readRule(*it, out.defaults, "defaults"); !s) return s.error();
  }
  if (auto it = config.find("exposure"); it != config.end()) {
    if (!it->is_object()) return bad("exposure must be an object");
    if (auto s = checkKeys(*it, {"sales_window_s", "max_exposure_s"}, "exposure"); !s) return s.error();
    auto w = readSeconds(*it, "sales_window_s", out.sales_window_s, "exposure");
    if (!w) return w.error();
    auto m = readSeconds(*it, "max_exposure_s", out.max_exposure_s, "exposure");
    if (!m) return m.error();
    out.sales_window_s = *w;
    out.max_exposure_s = *m;
  }
  auto chs = config.find("channels");
  if (chs == config.end()) return out;
  if (!chs->is_object()) return bad("channels must be an object keyed by channel name");
  for (const auto& [name, c] : chs->items()) {
    const std::string where = "channels." + name;
    if (name != "shopify" && name != "amazon" && name != "ebay" && name != "woocommerce" && name != "walmart") {
      return bad("unknown channel '" + name + "' (shopify, amazon, ebay, woocommerce, walmart)");
    }
    if (!c.is_object()) return bad(where + " must be an object");
    if (auto s = checkKeys(c, {"enabled", "connector", "push", "locations", "safety_stock", "percent", "cap", "skus",
                               "location_rules", "channel_locations", "prices", "settlement_fetch_minutes"},
                           where);
        !s) {
      return s.error();
    }
    ChannelAtsConfig ch;
    ch.channel = name;
    if (auto s = readRule(c, ch.rule, where); !s) return s.error();
    if (auto it = c.find("locations"); it != c.end()) {
      if (!it->is_array()) return bad(where + ".locations must be an array of location names");
      for (const auto& l : *it) {
        if (!l.is_string() || l.get<std::string>().empty()) return bad(where + ".locations must hold location names");
        ch.locations.push_back(l.get<std::string>());
      }
    }
    if (auto it = c.find("skus"); it != c.end()) {
      if (!it->is_object()) return bad(where + ".skus must be an object keyed by SKU");
      for (const auto& [sku, r] : it->items()) {
        if (!r.is_object()) return bad(where + ".skus." + sku + " must be an object");
        if (auto s = checkKeys(r, {"safety_stock", "percent", "cap"}, where + ".skus." + sku); !s) return s.error();
        AtsRule rule;
        if (auto s = readRule(r, rule, where + ".skus." + sku); !s) return s.error();
        ch.sku_rules[sku] = rule;
      }
    }
    if (auto it = c.find("location_rules"); it != c.end()) {
      if (!it->is_object()) return bad(where + ".location_rules must be an object keyed by location");
      for (const auto& [loc, r] : it->items()) {
        const std::string lw = where + ".location_rules." + loc;
        if (!r.is_object()) return bad(lw + " must be an object");
        if (auto s = checkKeys(r, {"serves", "safety_stock", "skus"}, lw); !s) return s.error();
        LocationRule lr;
        if (auto s = r.find("serves"); s != r.end()) {
          if (!s->is_boolean()) return bad(lw + ".serves must be true or false");
          lr.serves = s->get<bool>();
        }
        if (auto s = r.find("safety_stock"); s != r.end()) {
          if (!s->is_number_integer() || s->get<int64_t>() < 0) return bad(lw + ".safety_stock must be a whole number >= 0");
          lr.safety_stock = s->get<int64_t>();
        }
        if (auto s = r.find("skus"); s != r.end()) {
          if (!s->is_object()) return bad(lw + ".skus must map SKU to safety stock");
          for (const auto& [sku, n] : s->items()) {
            if (!n.is_number_integer() || n.get<int64_t>() < 0) return bad(lw + ".skus." + sku + " must be a whole number >= 0");
            lr.sku_safety_stock[sku] = n.get<int64_t>();
          }
        }
        ch.location_rules[loc] = lr;
      }
    }
    out.channels[name] = std::move(ch);
  }
  return out;
}

// ---- computation ---------------------------------------------------------------------------

Availability::Availability(Ledger& ledger, SalesHistory& sales, ReservationView& reservations,
                           AvailabilityConfig config, const common::Clock& clock)
    : ledger_(ledger), sales_(sales), reservations_(reservations), config_(std::move(config)), clock_(clock) {}

std::vector<std::string> Availability::channels() const {
  std::vector<std::string> out;
  for (const auto& [name, c] : config_.channels) out.push_back(name);
  return out;
}

bool Availability::serves(const ChannelAtsConfig& ch, const std::string& location) const {
  if (auto it = ch.location_rules.find(location); it != ch.location_rules.end() && !it->second.serves) return false;
  if (ch.locations.empty()) return true;
  return std::find(ch.locations.begin(), ch.locations.end(), location) != ch.locations.end();
}

Result<int64_t> Availability::availableToSell(const std::string& channel, const std::string& sku) {
  auto b = explain(channel, sku);
  if (!b) return b.error();
  return b->available;
}

Result<AtsBreakdown> Availability::explain(const std::string& channel, const std::string& sku) {
  auto chit = config_.channels.find(channel);
  if (chit == config_.channels.end()) {
    return Error::reject("unknown_channel", "channel '" + channel + "' is not configured (see --channels-config)");
  }
  if (sku.empty()) return Error::reject("bad_sku", "sku is empty");
  const ChannelAtsConfig& ch = chit->second;
  AtsBreakdown b;
  b.channel = channel;
  b.sku = sku;

  auto rows = ledger_.stockForSku(sku);
  if (!rows) return rows.error();
  std::set<std::string> serving;
  for (const auto& r : *rows) {
    if (!serves(ch, r.location)) continue;
    b.on_hand_by_location[r.location] += r.on_hand;
    b.on_hand += r.on_hand;
    serving.insert(r.location);
  }
  for (const auto& l : ch.locations) {
    if (serves(ch, l)) serving.insert(l);
  }

  for (const auto& [loc, units] : reservations_.reservedByLocation(sku)) {
    if (units == 0) continue;
    // Unrouted reservations will be filled from some location, maybe one of ours: count them.
    if (!loc.empty() && !serves(ch, loc)) continue;
    b.reserved_by_location[loc] += units;
    b.reserved += units;
  }

  // Most specific rule wins, field by field.
  AtsRule rule = config_.defaults;
  auto apply = [&rule](const AtsRule& r) {
    if (r.safety_stock) rule.safety_stock = r.safety_stock;
    if (r.percent) rule.percent = r.percent;
    if (r.cap) rule.cap = r.cap;
  };
  apply(ch.rule);
  if (auto it = ch.sku_rules.find(sku); it != ch.sku_rules.end()) apply(it->second);
  b.safety_stock = rule.safety_stock.value_or(0);
  for (const auto& loc : serving) {
    auto it = ch.location_rules.find(loc);
    if (it == ch.location_rules.end()) continue;
    auto s = it->second.sku_safety_stock.find(sku);
    b.safety_stock += s != it->second.sku_safety_stock.end() ? s->second : it->second.safety_stock;
  }

  // Offline exposure: only devices at locations whose stock this channel sells.
  auto devices = ledger_.devices();
  if (!devices) return devices.error();
  const int64_t now = clock_.nowMs();
  const int64_t window_ms = config_.sales_window_s * 1000;
  double exposure = 0;
  for (const auto& d : *devices) {
    if (d.online || d.location.empty() || !serves(ch, d.location)) continue;
    Exposure e = exposureOf(d, now);
    if (e.offline_s <= 0) continue;
    // The ledger is complete for this device up to when it was last heard from: measure the
    // rate in the window before that, not before now (which would miss what it sold offline).
    auto sold = sales_.unitsSold(d.location, sku, d.last_seen_ms, window_ms);
    if (!sold) return sold.error();
    if (*sold <= 0) continue;
    ExposureTerm t;
    t.device_id = d.device_id;
    t.location = d.location;
    t.offline_s = std::min(e.offline_s, config_.max_exposure_s);
    t.units_sold_in_window = *sold;
    double per_s = static_cast<double>(*sold) / static_cast<double>(config_.sales_window_s);
    t.rate_per_hour = per_s * 3600.0;
    t.units = per_s * static_cast<double>(t.offline_s);
    exposure += t.units;
    b.exposure_terms.push_back(std::move(t));
  }
  // Small epsilon so 2.0000000001 from floating error does not become 3.
  b.exposure_buffer = static_cast<int64_t>(std::ceil(exposure - 1e-9));

  b.net = b.on_hand - b.reserved - b.safety_stock - b.exposure_buffer;
  b.percent = rule.percent.value_or(100.0);
  b.cap = rule.cap;
  int64_t offered = b.net <= 0 ? 0 : static_cast<int64_t>(std::floor(static_cast<double>(b.net) * b.percent / 100.0 + 1e-9));
  if (b.cap) offered = std::min(offered, *b.cap);
  b.available = std::max<int64_t>(0, offered);
  return b;
}

json toJson(const AtsBreakdown& b) {
  json terms = json::array();
  for (const auto& t : b.exposure_terms) {
    terms.push_back({{"device_id", t.device_id},
                     {"location", t.location},
                     {"offline_s", t.offline_s},
                     {"units_sold_in_window", t.units_sold_in_window},
                     {"rate_per_hour", t.rate_per_hour},
                     {"units", t.units}});
  }
  json j = {{"channel", b.channel},
            {"sku", b.sku},
            {"available", b.available},
            {"on_hand", b.on_hand},
            {"on_hand_by_location", b.on_hand_by_location},
            {"reserved", b.reserved},
            {"reserved_by_location", b.reserved_by_location},
            {"safety_stock", b.safety_stock},
            {"exposure_buffer", b.exposure_buffer},
            {"exposure_terms", terms},
            {"net", b.net},
            {"percent", b.percent},
            {"cap", b.cap ? json(*b.cap) : json(nullptr)}};
  return j;
}

}  // namespace sw::coordinator
