#include "sw/coordinator/orders/routing.h"

#include <algorithm>
#include <cmath>
#include <set>

#include <nlohmann/json.hpp>

namespace sw::coordinator {

using common::Error;
using nlohmann::json;

namespace {

constexpr double kEarthRadiusKm = 6371.0;
constexpr double kPi = 3.14159265358979323846;

// Rough centroids, so a config without a "countries" table still prefers the nearer location
// for the usual destinations. A config entry replaces a default.
const std::map<std::string, GeoPoint>& defaultCountries() {
  static const std::map<std::string, GeoPoint> k = {
      {"US", {39.8, -98.6}}, {"CA", {56.1, -106.3}}, {"MX", {23.6, -102.6}}, {"GB", {54.0, -2.0}},
      {"IE", {53.4, -8.2}},  {"FR", {46.2, 2.2}},    {"DE", {51.2, 10.4}},   {"NL", {52.1, 5.3}},
      {"BE", {50.5, 4.5}},   {"ES", {40.5, -3.7}},   {"IT", {41.9, 12.6}},   {"AT", {47.5, 14.6}},
      {"CH", {46.8, 8.2}},   {"PL", {51.9, 19.1}},   {"SE", {60.1, 18.6}},   {"DK", {56.3, 9.5}},
      {"AU", {-25.3, 133.8}}, {"NZ", {-40.9, 174.9}}, {"JP", {36.2, 138.3}}, {"BR", {-14.2, -51.9}},
  };
  return k;
}

std::optional<GeoPoint> pointFrom(const json& v) {
  if (v.is_array() && v.size() == 2 && v[0].is_number() && v[1].is_number()) {
    return GeoPoint{v[0].get<double>(), v[1].get<double>()};
  }
  return std::nullopt;
}

bool validPoint(const GeoPoint& p) { return p.lat >= -90 && p.lat <= 90 && p.lon >= -180 && p.lon <= 180; }

common::Result<std::vector<double>> ascending(const json& v, const std::string& what) {
  if (!v.is_array() || v.empty() || v.size() > 64) return Error::reject("bad_locations_config", what + " must be a list of 1 to 64 numbers");
  std::vector<double> out;
  for (const json& x : v) {
    if (!x.is_number() || x.get<double>() <= 0) return Error::reject("bad_locations_config", what + " must hold numbers > 0");
    if (!out.empty() && x.get<double>() <= out.back()) return Error::reject("bad_locations_config", what + " must be ascending");
    out.push_back(x.get<double>());
  }
  return out;
}

common::Result<RateTable> parseRates(const json& v, const std::string& name) {
  std::string where = "location " + name + ": rates";
  if (!v.is_object()) return Error::reject("bad_locations_config", where + " must be an object");
  RateTable t;
  bool price = false;
  for (const auto& [k, x] : v.items()) {
    if (k == "km" || k == "kg") {
      auto a = ascending(x, where + "." + k);
      if (!a) return a.error();
      (k == "km" ? t.km : t.kg) = *a;
    } else if (k == "price") {
      if (!x.is_array()) return Error::reject("bad_locations_config", where + ".price must be a list of rows");
      for (const json& row : x) {
        if (!row.is_array()) return Error::reject("bad_locations_config", where + ".price must be a list of rows");
        std::vector<double> r;
        for (const json& p : row) {
          if (!p.is_number() || p.get<double>() < 0) return Error::reject("bad_locations_config", where + ".price must hold numbers >= 0");
          r.push_back(p.get<double>());
        }
        t.price.push_back(std::move(r));
      }
      price = true;
    } else if (k == "extra_per_kg") {
      if (!x.is_number() || x.get<double>() < 0) return Error::reject("bad_locations_config", where + ".extra_per_kg must be >= 0");
      t.extra_per_kg = x.get<double>();
    } else {
      return Error::reject("bad_locations_config", where + ": unknown key \"" + k + "\"");
    }
  }
  if (t.km.empty() || t.kg.empty() || !price) return Error::reject("bad_locations_config", where + " needs km, kg and price");
  if (t.price.size() != t.km.size()) return Error::reject("bad_locations_config", where + ".price needs one row per km band");
  for (const auto& row : t.price) {
    if (row.size() != t.kg.size()) return Error::reject("bad_locations_config", where + ".price rows need one price per kg tier");
  }
  return t;
}

}  // namespace

double RateTable::priceFor(double distance_km, double weight_kg) const {
  size_t band = 0;
  while (band + 1 < km.size() && distance_km > km[band]) band++;
  size_t tier = 0;
  while (tier + 1 < kg.size() && weight_kg > kg[tier]) tier++;
  double p = price[band][tier];
  if (weight_kg > kg.back()) p += extra_per_kg * (weight_kg - kg.back());
  return p;
}

double RoutingConfig::weightOf(const std::string& sku) const {
  auto it = weights_kg.find(sku);
  return it == weights_kg.end() ? default_weight_kg : it->second;
}

double distanceKm(const GeoPoint& a, const GeoPoint& b) {
  auto rad = [](double d) { return d * kPi / 180.0; };
  double dlat = rad(b.lat - a.lat), dlon = rad(b.lon - a.lon);
  double h = std::sin(dlat / 2) * std::sin(dlat / 2) +
             std::cos(rad(a.lat)) * std::cos(rad(b.lat)) * std::sin(dlon / 2) * std::sin(dlon / 2);
  return 2 * kEarthRadiusKm * std::asin(std::min(1.0, std::sqrt(h)));
}

common::Result<RoutingConfig> parseRoutingConfig(const json& j) {
  RoutingConfig c;
  c.countries = defaultCountries();
  if (!j.is_object()) return Error::reject("bad_locations_config", "the locations config must be a JSON object");
  for (const auto& [key, v] : j.items()) {
    if (key == "locations") {
      if (!v.is_object()) return Error::reject("bad_locations_config", "\"locations\" must be an object");
      for (const auto& [name, l] : v.items()) {
        if (!l.is_object()) return Error::reject("bad_locations_config", "location " + name + " must be an object");
        RoutingLocation rl;
        rl.name = name;
        std::optional<double> lat, lon;
        for (const auto& item : l.items()) {
          // Not a structured binding: clang before 16 cannot capture one in the lambda below.
          const std::string& k = item.key();
          const json& x = item.value();
          auto num = [&](double* out) -> bool {
            if (!x.is_number()) return false;
            *out = x.get<double>();
            return true;
          };
          double d = 0;
          if (k == "lat" && num(&d)) lat = d;
          else if (k == "lon" && num(&d)) lon = d;
          else if (k == "cost" && num(&rl.cost)) continue;
          else if (k == "cost_per_km" && num(&rl.cost_per_km)) continue;
          else if (k == "ships" && x.is_boolean()) rl.ships = x.get<bool>();
          else if (k == "pickup" && x.is_boolean()) rl.pickup = x.get<bool>();
          else if (k == "pickup_cost" && num(&rl.pickup_cost)) continue;
          else if ((k == "safety_stock" || k == "daily_capacity") && x.is_number_integer() && x.get<int64_t>() >= 0) {
            (k == "safety_stock" ? rl.safety_stock : rl.daily_capacity) = x.get<int64_t>();
          } else if (k == "rates") {
            auto t = parseRates(x, name);
            if (!t) return t.error();
            rl.rates = std::move(*t);
          } else return Error::reject("bad_locations_config", "location " + name + ": unknown or mistyped key \"" + k + "\"");
        }
        if (lat.has_value() != lon.has_value()) {
          return Error::reject("bad_locations_config", "location " + name + " needs both lat and lon");
        }
        if (lat) {
          rl.point = GeoPoint{*lat, *lon};
          if (!validPoint(*rl.point)) return Error::reject("bad_locations_config", "location " + name + ": lat/lon out of range");
        }
        if (rl.cost < 0 || rl.cost_per_km < 0 || rl.pickup_cost < 0) return Error::reject("bad_locations_config", "location " + name + ": negative cost");
        c.locations[name] = rl;
      }
    } else if (key == "countries") {
      if (!v.is_object()) return Error::reject("bad_locations_config", "\"countries\" must be an object");
      for (const auto& [cc, p] : v.items()) {
        auto pt = pointFrom(p);
        if (!pt || !validPoint(*pt)) return Error::reject("bad_locations_config", "country " + cc + " must be [lat, lon]");
        c.countries[cc] = *pt;
      }
    } else if (key == "weights_kg") {
      if (!v.is_object()) return Error::reject("bad_locations_config", "\"weights_kg\" must be an object of SKU -> kg");
      for (const auto& [sku, w] : v.items()) {
        if (!w.is_number() || w.get<double>() < 0) return Error::reject("bad_locations_config", "weights_kg." + sku + " must be >= 0");
        c.weights_kg[sku] = w.get<double>();
      }
    } else if (key == "postal_codes") {
      if (!v.is_string() || v.get<std::string>().empty()) return Error::reject("bad_locations_config", "postal_codes must be a file name");
      c.postal_codes_path = v.get<std::string>();
    } else if (key == "default_weight_kg") {
      if (!v.is_number() || v.get<double>() < 0) return Error::reject("bad_locations_config", "default_weight_kg must be >= 0");
      c.default_weight_kg = v.get<double>();
    } else if (key == "split_penalty") {
      if (!v.is_number() || v.get<double>() < 0) return Error::reject("bad_locations_config", "split_penalty must be >= 0");
      c.split_penalty = v.get<double>();
    } else {
      return Error::reject("bad_locations_config", "unknown key \"" + key + "\"");
    }
  }
  return c;
}

namespace {

// One planning run: the request, what each candidate may ship, and the cost of a shipment.
class Planner {
 public:
  Planner(const RoutingConfig& config, const RouteRequest& req, const FreeStock& free)
      : config_(config), req_(req), free_(free) {
    dest_ = req.ship_to;
    source_ = req.ship_to ? (req.ship_to_source.empty() ? "given" : req.ship_to_source) : "none";
    if (!dest_ && !req.ship_to_country.empty()) {
      auto it = config.countries.find(req.ship_to_country);
      if (it != config.countries.end()) {
        dest_ = it->second;
        source_ = "country";
      }
    }
  }

  const std::optional<GeoPoint>& dest() const { return dest_; }
  const std::string& source() const { return source_; }

  // Units of sku loc may still promise: free less its safety stock.
  int64_t usable(const std::string& loc, const std::string& sku) const {
    auto l = free_.find(loc);
    if (l == free_.end()) return 0;
    auto s = l->second.find(sku);
    if (s == l->second.end()) return 0;
    auto c = config_.locations.find(loc);
    int64_t safety = c == config_.locations.end() ? 0 : c->second.safety_stock;
    return std::max<int64_t>(0, s->second - safety);
  }

  bool hasCapacity(const std::string& loc) const {
    auto c = config_.locations.find(loc);
    if (c == config_.locations.end() || c->second.daily_capacity == 0) return true;
    auto used = req_.shipped_today.find(loc);
    return (used == req_.shipped_today.end() ? 0 : used->second) < c->second.daily_capacity;
  }

  double shipmentCost(const std::string& loc, double kg) const {
    auto it = config_.locations.find(loc);
    if (it == config_.locations.end()) return 0.0;
    const RoutingLocation& l = it->second;
    double km = dest_ && l.point ? distanceKm(*l.point, *dest_) : 0.0;
    return l.cost + (l.rates ? l.rates->priceFor(km, kg) : l.cost_per_km * km);
  }

  double pickupCost(const std::string& loc) const {
    auto it = config_.locations.find(loc);
    return it == config_.locations.end() ? 0.0 : it->second.pickup_cost;
  }

  // Assigns each open line from the locations in turn, as much as each can; returns per location
  // the kg it ships, or nullopt when the locations cannot ship everything (or one ships nothing).
  std::optional<std::vector<double>> fill(const std::vector<std::string>& locs,
                                          std::vector<RouteAssignment>* out) const {
    std::vector<double> kg(locs.size(), 0.0);
    std::map<std::pair<size_t, std::string>, int64_t> used;
    for (const RouteLine& l : req_.lines) {
      int64_t open = l.quantity;
      for (size_t i = 0; i < locs.size() && open > 0; ++i) {
        int64_t& u = used[{i, l.sku}];
        int64_t can = std::min(open, usable(locs[i], l.sku) - u);
        if (can <= 0) continue;
        if (out) out->push_back({l.line_id, l.sku, locs[i], can});
        u += can;
        open -= can;
        kg[i] += static_cast<double>(can) * config_.weightOf(l.sku);
      }
      if (open > 0) return std::nullopt;
    }
    return kg;
  }

  double costOf(const std::vector<std::string>& locs, const std::vector<double>& kg) const {
    double c = 0;
    for (size_t i = 0; i < locs.size(); ++i) c += shipmentCost(locs[i], kg[i]);
    return c + config_.split_penalty * static_cast<double>(locs.size() > 0 ? locs.size() - 1 : 0);
  }

 private:
  const RoutingConfig& config_;
  const RouteRequest& req_;
  const FreeStock& free_;
  std::optional<GeoPoint> dest_;
  std::string source_;
};

// Each location ships at least one unit in the option (otherwise it is not a split).
bool everyoneShips(const std::vector<std::string>& locs, const std::vector<RouteAssignment>& as) {
  for (const std::string& l : locs) {
    if (std::none_of(as.begin(), as.end(), [&](const RouteAssignment& a) { return a.location == l; })) return false;
  }
  return true;
}

}  // namespace

nlohmann::json toJson(const RoutePlan& plan) {
  auto round2 = [](double v) { return std::round(v * 100.0) / 100.0; };
  json options = json::array();
  for (const RouteOption& o : plan.options) {
    options.push_back({{"kind", o.kind}, {"locations", o.locations}, {"cost", round2(o.cost)}, {"chosen", o.chosen}});
  }
  json j = {{"ship_to_source", plan.ship_to_source},
            {"shipments", plan.shipments},
            {"cost", round2(plan.cost)},
            {"options", options},
            {"options_weighed", plan.options_weighed}};
  // The point at about 1 km (2 decimals), enough to check a decision, no closer to a doorstep.
  if (plan.ship_to) j["ship_to"] = {round2(plan.ship_to->lat), round2(plan.ship_to->lon)};
  return j;
}

RoutePlan planRoute(const RoutingConfig& config, const RouteRequest& req, const FreeStock& free) {
  RoutePlan plan;
  Planner p(config, req, free);
  plan.ship_to = p.dest();
  plan.ship_to_source = p.source();
  if (!p.dest()) plan.notes.push_back("ship-to point unknown: distance not used");

  auto finish = [&](std::vector<RouteOption> options, const RouteOption* chosen) {
    plan.options_weighed = options.size();
    std::stable_sort(options.begin(), options.end(), [](const RouteOption& a, const RouteOption& b) {
      if (a.cost != b.cost) return a.cost < b.cost;
      if (a.locations.size() != b.locations.size()) return a.locations.size() < b.locations.size();
      return a.locations < b.locations;
    });
    if (chosen) {
      for (RouteOption& o : options) o.chosen = o.kind == chosen->kind && o.locations == chosen->locations;
    }
    // Keep the cheapest and always the chosen one.
    std::vector<RouteOption> kept;
    for (const RouteOption& o : options) {
      if (kept.size() < RoutePlan::kMaxOptions || o.chosen) kept.push_back(o);
    }
    plan.options = std::move(kept);
  };
  auto leftover = [&](const std::vector<RouteLine>& open) {
    for (const RouteLine& l : open) {
      if (l.quantity > 0) plan.assignments.push_back({l.line_id, l.sku, "", l.quantity});
    }
  };

  // Rule 1: pickup.
  if (!req.pickup_location.empty()) {
    std::vector<RouteLine> open = req.lines;
    bool any = false;
    for (RouteLine& l : open) {
      int64_t can = std::min(l.quantity, p.usable(req.pickup_location, l.sku));
      if (can <= 0) continue;
      plan.assignments.push_back({l.line_id, l.sku, req.pickup_location, can});
      l.quantity -= can;
      any = true;
    }
    if (any) {
      plan.shipments = 1;
      plan.cost = p.pickupCost(req.pickup_location);
    }
    RouteOption o{"pickup", {req.pickup_location}, plan.cost, true};
    finish({o}, &o);
    plan.notes.push_back("pickup at " + req.pickup_location);
    leftover(open);
    return plan;
  }

  std::vector<std::string> candidates;
  if (config.locations.empty()) {
    for (const auto& [loc, skus] : free) candidates.push_back(loc);
  } else {
    for (const auto& [name, l] : config.locations) {
      if (!l.ships) continue;
      if (!p.hasCapacity(name)) {
        plan.notes.push_back(name + " has shipped its daily capacity");
        continue;
      }
      candidates.push_back(name);
    }
  }

  // Rule 2: every single location, and every pair (both orders: the first ships what it can).
  std::vector<RouteOption> options;
  std::optional<size_t> best;
  auto consider = [&](std::vector<std::string> locs) {
    std::vector<RouteAssignment> as;
    auto kg = p.fill(locs, &as);
    if (!kg || (locs.size() > 1 && !everyoneShips(locs, as))) return;
    RouteOption o{locs.size() == 1 ? "single" : "split", locs, p.costOf(locs, *kg), false};
    options.push_back(o);
    const RouteOption* b = best ? &options[*best] : nullptr;
    if (!b || o.cost < b->cost - 1e-9 || (std::abs(o.cost - b->cost) <= 1e-9 && (o.locations.size() < b->locations.size() ||
                                                                                (o.locations.size() == b->locations.size() && o.locations < b->locations)))) {
      best = options.size() - 1;
    }
  };
  for (const std::string& a : candidates) consider({a});
  // Only locations holding some of the order take part in pairs.
  std::vector<std::string> holders;
  for (const std::string& loc : candidates) {
    if (std::any_of(req.lines.begin(), req.lines.end(), [&](const RouteLine& l) { return p.usable(loc, l.sku) > 0; })) {
      holders.push_back(loc);
    }
  }
  for (size_t i = 0; i < holders.size(); ++i) {
    for (size_t j = 0; j < holders.size(); ++j) {
      if (i != j) consider({holders[i], holders[j]});
    }
  }
  if (best) {
    RouteOption chosen = options[*best];
    (void)p.fill(chosen.locations, &plan.assignments);
    plan.shipments = static_cast<int>(chosen.locations.size());
    plan.cost = chosen.cost;
    if (chosen.locations.size() == 1) {
      plan.notes.push_back("one shipment from " + chosen.locations[0]);
    } else {
      plan.notes.push_back("split: " + chosen.locations[0] + " + " + chosen.locations[1] + " costs less than any one location");
    }
    finish(std::move(options), &chosen);
    return plan;
  }

  // Rule 3: fewest splits, greedily.
  std::vector<RouteLine> open = req.lines;
  std::map<std::string, std::map<std::string, int64_t>> used;
  std::set<std::string> taken;
  RouteOption greedy{"split", {}, 0, true};
  for (;;) {
    std::string pick;
    int64_t pick_units = 0;
    double pick_cost = 0;
    for (const std::string& loc : candidates) {
      if (taken.count(loc)) continue;
      std::map<std::string, int64_t> need;
      for (const RouteLine& l : open) need[l.sku] += l.quantity;
      int64_t units = 0;
      double kg = 0;
      for (const auto& [sku, n] : need) {
        int64_t u = std::min(n, p.usable(loc, sku));
        units += u;
        kg += static_cast<double>(u) * config.weightOf(sku);
      }
      double c = p.shipmentCost(loc, kg);
      if (units > pick_units || (units == pick_units && units > 0 && c < pick_cost)) {
        pick = loc;
        pick_units = units;
        pick_cost = c;
      }
    }
    if (pick.empty()) break;
    taken.insert(pick);
    double kg = 0;
    for (RouteLine& l : open) {
      int64_t can = std::min(l.quantity, p.usable(pick, l.sku) - used[pick][l.sku]);
      if (can <= 0) continue;
      plan.assignments.push_back({l.line_id, l.sku, pick, can});
      used[pick][l.sku] += can;
      l.quantity -= can;
      kg += static_cast<double>(can) * config.weightOf(l.sku);
    }
    plan.shipments++;
    plan.cost += p.shipmentCost(pick, kg) + (plan.shipments > 1 ? config.split_penalty : 0.0);
    greedy.locations.push_back(pick);
    plan.notes.push_back("shipment " + std::to_string(plan.shipments) + " from " + pick);
  }
  greedy.cost = plan.cost;
  bool rest = std::any_of(open.begin(), open.end(), [](const RouteLine& l) { return l.quantity > 0; });
  if (rest) plan.notes.push_back("not enough free stock anywhere: the rest waits unrouted");
  if (!greedy.locations.empty()) finish({greedy}, &greedy);
  leftover(open);
  return plan;
}

}  // namespace sw::coordinator
