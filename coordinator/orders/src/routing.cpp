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

}  // namespace

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
        for (const auto& [k, x] : l.items()) {
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
          else return Error::reject("bad_locations_config", "location " + name + ": unknown or mistyped key \"" + k + "\"");
        }
        if (lat.has_value() != lon.has_value()) {
          return Error::reject("bad_locations_config", "location " + name + " needs both lat and lon");
        }
        if (lat) {
          rl.point = GeoPoint{*lat, *lon};
          if (!validPoint(*rl.point)) return Error::reject("bad_locations_config", "location " + name + ": lat/lon out of range");
        }
        if (rl.cost < 0 || rl.cost_per_km < 0) return Error::reject("bad_locations_config", "location " + name + ": negative cost");
        c.locations[name] = rl;
      }
    } else if (key == "countries") {
      if (!v.is_object()) return Error::reject("bad_locations_config", "\"countries\" must be an object");
      for (const auto& [cc, p] : v.items()) {
        auto pt = pointFrom(p);
        if (!pt || !validPoint(*pt)) return Error::reject("bad_locations_config", "country " + cc + " must be [lat, lon]");
        c.countries[cc] = *pt;
      }
    } else if (key == "split_penalty") {
      if (!v.is_number() || v.get<double>() < 0) return Error::reject("bad_locations_config", "split_penalty must be >= 0");
      c.split_penalty = v.get<double>();
    } else {
      return Error::reject("bad_locations_config", "unknown key \"" + key + "\"");
    }
  }
  return c;
}

RoutePlan planRoute(const RoutingConfig& config, const RouteRequest& req, const FreeStock& free) {
  RoutePlan plan;
  std::optional<GeoPoint> dest = req.ship_to;
  if (!dest && !req.ship_to_country.empty()) {
    auto it = config.countries.find(req.ship_to_country);
    if (it != config.countries.end()) dest = it->second;
  }
  if (!dest) plan.notes.push_back("ship-to point unknown: distance not used");

  auto freeAt = [&](const std::string& loc, const std::string& sku) -> int64_t {
    auto l = free.find(loc);
    if (l == free.end()) return 0;
    auto s = l->second.find(sku);
    return s == l->second.end() ? 0 : std::max<int64_t>(0, s->second);
  };
  auto costOf = [&](const std::string& loc) {
    auto it = config.locations.find(loc);
    if (it == config.locations.end()) return 0.0;
    double km = dest && it->second.point ? distanceKm(*it->second.point, *dest) : 0.0;
    return it->second.cost + it->second.cost_per_km * km;
  };

  // Open units per line, in the order given.
  std::vector<RouteLine> open = req.lines;
  auto assign = [&](const std::string& loc, std::map<std::string, int64_t>& used) {
    int64_t units = 0;
    for (RouteLine& l : open) {
      int64_t can = std::min(l.quantity, freeAt(loc, l.sku) - used[l.sku]);
      if (can <= 0) continue;
      plan.assignments.push_back({l.line_id, l.sku, loc, can});
      used[l.sku] += can;
      l.quantity -= can;
      units += can;
    }
    return units;
  };
  auto leftover = [&]() {
    for (const RouteLine& l : open) {
      if (l.quantity > 0) plan.assignments.push_back({l.line_id, l.sku, "", l.quantity});
    }
  };

  if (!req.pickup_location.empty()) {
    std::map<std::string, int64_t> used;
    if (assign(req.pickup_location, used) > 0) {
      plan.shipments = 1;
      plan.cost = costOf(req.pickup_location);
    }
    plan.notes.push_back("pickup at " + req.pickup_location);
    leftover();
    return plan;
  }

  std::vector<std::string> candidates;
  if (config.locations.empty()) {
    for (const auto& [loc, skus] : free) candidates.push_back(loc);
  } else {
    for (const auto& [name, l] : config.locations) {
      if (l.ships) candidates.push_back(name);
    }
  }

  // Rule 2: one location for everything, the cheapest.
  std::string best;
  double best_cost = 0;
  for (const std::string& loc : candidates) {
    std::map<std::string, int64_t> need;
    for (const RouteLine& l : open) need[l.sku] += l.quantity;
    bool all = std::all_of(need.begin(), need.end(), [&](const auto& n) { return freeAt(loc, n.first) >= n.second; });
    if (!all) continue;
    double c = costOf(loc);
    if (best.empty() || c < best_cost) {
      best = loc;
      best_cost = c;
    }
  }
  if (!best.empty()) {
    std::map<std::string, int64_t> used;
    assign(best, used);
    plan.shipments = 1;
    plan.cost = best_cost;
    plan.notes.push_back("one shipment from " + best);
    return plan;
  }

  // Rule 3: fewest splits, greedily.
  std::map<std::string, std::map<std::string, int64_t>> used;
  std::set<std::string> taken;
  for (;;) {
    std::string pick;
    int64_t pick_units = 0;
    double pick_cost = 0;
    for (const std::string& loc : candidates) {
      if (taken.count(loc)) continue;
      std::map<std::string, int64_t> need;
      for (const RouteLine& l : open) need[l.sku] += l.quantity;
      int64_t units = 0;
      for (const auto& [sku, n] : need) units += std::min(n, freeAt(loc, sku));
      double c = costOf(loc);
      if (units > pick_units || (units == pick_units && units > 0 && c < pick_cost)) {
        pick = loc;
        pick_units = units;
        pick_cost = c;
      }
    }
    if (pick.empty()) break;
    taken.insert(pick);
    assign(pick, used[pick]);
    plan.shipments++;
    plan.cost += pick_cost + (plan.shipments > 1 ? config.split_penalty : 0.0);
    plan.notes.push_back("shipment " + std::to_string(plan.shipments) + " from " + pick);
  }
  bool rest = std::any_of(open.begin(), open.end(), [](const RouteLine& l) { return l.quantity > 0; });
  if (rest) plan.notes.push_back("not enough free stock anywhere: the rest waits unrouted");
  leftover();
  return plan;
}

}  // namespace sw::coordinator
