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

// One planning run: the request, what each candidate may ship (precomputed per candidate and
// SKU), and the cost of a shipment. Candidates and SKUs are indices, so weighing every pair of
// locations costs arithmetic, not map lookups and strings.
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
    for (const RouteLine& l : req.lines) {
      auto it = std::find(skus_.begin(), skus_.end(), l.sku);
      line_sku_.push_back(static_cast<size_t>(it - skus_.begin()));
      if (it == skus_.end()) {
        skus_.push_back(l.sku);
        sku_kg_.push_back(l.weight_kg >= 0 ? l.weight_kg : config.weightOf(l.sku));
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

  // Adds a candidate; returns its index.
  size_t addCandidate(const std::string& loc) {
    Candidate c;
    c.name = loc;
    auto it = config_.locations.find(loc);
    c.config = it == config_.locations.end() ? nullptr : &it->second;
    c.km = c.config && dest_ && c.config->point ? distanceKm(*c.config->point, *dest_) : 0.0;
    for (const std::string& sku : skus_) c.usable.push_back(usable(loc, sku));
    c.holds_any = std::any_of(c.usable.begin(), c.usable.end(), [](int64_t u) { return u > 0; });
    candidates_.push_back(std::move(c));
    return candidates_.size() - 1;
  }
  const std::string& name(size_t c) const { return candidates_[c].name; }
  // One unit's weight: the first line's with this SKU, else the config's.
  double weightOf(const std::string& sku) const {
    auto it = std::find(skus_.begin(), skus_.end(), sku);
    return it == skus_.end() ? config_.weightOf(sku) : sku_kg_[static_cast<size_t>(it - skus_.begin())];
  }
  bool holdsAny(size_t c) const { return candidates_[c].holds_any; }
  size_t size() const { return candidates_.size(); }

  double shipmentCost(size_t c, double kg) const {
    const Candidate& x = candidates_[c];
    if (!x.config) return 0.0;
    return x.config->cost + (x.config->rates ? x.config->rates->priceFor(x.km, kg) : x.config->cost_per_km * x.km);
  }

  // Every open line from the candidates in turn, each as much as it can. The total cost of the
  // shipments (split penalty included), or nullopt when they cannot ship everything or one of
  // them would ship nothing. With out: the assignments.
  std::optional<double> fill(const std::vector<size_t>& locs, std::vector<RouteAssignment>* out) const {
    double kg[2] = {0, 0};
    std::vector<double> kg_more(locs.size() > 2 ? locs.size() : 0, 0.0);
    auto kgAt = [&](size_t i) -> double& { return i < 2 ? kg[i] : kg_more[i]; };
    std::vector<int64_t> used(locs.size() * skus_.size(), 0);
    std::vector<bool> ships(locs.size(), false);
    for (size_t li = 0; li < req_.lines.size(); ++li) {
      const RouteLine& l = req_.lines[li];
      size_t sku = line_sku_[li];
      int64_t open = l.quantity;
      for (size_t i = 0; i < locs.size() && open > 0; ++i) {
        int64_t& u = used[i * skus_.size() + sku];
        int64_t can = std::min(open, candidates_[locs[i]].usable[sku] - u);
        if (can <= 0) continue;
        if (out) out->push_back({l.line_id, l.sku, candidates_[locs[i]].name, can});
        u += can;
        open -= can;
        kgAt(i) += static_cast<double>(can) * sku_kg_[sku];
        ships[i] = true;
      }
      if (open > 0) return std::nullopt;
    }
    double cost = 0;
    for (size_t i = 0; i < locs.size(); ++i) {
      if (!ships[i] && locs.size() > 1) return std::nullopt;
      cost += shipmentCost(locs[i], kgAt(i));
    }
    return cost + config_.split_penalty * static_cast<double>(locs.size() - 1);
  }

 private:
  struct Candidate {
    std::string name;
    const RoutingLocation* config = nullptr;
    double km = 0;
    std::vector<int64_t> usable;  // per SKU of the order
    bool holds_any = false;
  };
  const RoutingConfig& config_;
  const RouteRequest& req_;
  const FreeStock& free_;
  std::optional<GeoPoint> dest_;
  std::string source_;
  std::vector<std::string> skus_;  // the order's distinct SKUs
  std::vector<double> sku_kg_;
  std::vector<size_t> line_sku_;   // line -> index in skus_
  std::vector<Candidate> candidates_;
};

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
      auto it = config.locations.find(req.pickup_location);
      plan.cost = it == config.locations.end() ? 0.0 : it->second.pickup_cost;
    }
    plan.options = {RouteOption{"pickup", {req.pickup_location}, plan.cost, true}};
    plan.options_weighed = 1;
    plan.notes.push_back("pickup at " + req.pickup_location);
    leftover(open);
    return plan;
  }

  if (config.locations.empty()) {
    for (const auto& [loc, skus] : free) p.addCandidate(loc);
  } else {
    for (const auto& [name, l] : config.locations) {
      if (!l.ships) continue;
      if (!p.hasCapacity(name)) {
        plan.notes.push_back(name + " has shipped its daily capacity");
        continue;
      }
      p.addCandidate(name);
    }
  }

  // Rule 2: every single location, and every ordered pair of locations holding some of the order
  // (the first ships what it can, the second the rest).
  struct Weighed {
    size_t a, b;  // b == a: a single location
    double cost;
  };
  std::vector<Weighed> weighed;
  std::vector<size_t> one(1), two(2);
  for (size_t a = 0; a < p.size(); ++a) {
    if (!p.holdsAny(a) && !req.lines.empty()) continue;
    one[0] = a;
    if (auto c = p.fill(one, nullptr)) {
      weighed.push_back({a, a, *c});
      continue;  // a ships everything itself: a pair with a first would leave its partner nothing
    }
    for (size_t b = 0; b < p.size(); ++b) {
      if (b == a || !p.holdsAny(b)) continue;
      two[0] = a;
      two[1] = b;
      if (auto c = p.fill(two, nullptr)) weighed.push_back({a, b, *c});
    }
  }
  if (!weighed.empty()) {
    // Cheapest first; ties: fewer shipments, then the names.
    std::sort(weighed.begin(), weighed.end(), [&](const Weighed& x, const Weighed& y) {
      if (x.cost != y.cost) return x.cost < y.cost;
      if ((x.a != x.b) != (y.a != y.b)) return x.a == x.b;
      if (x.a != y.a) return p.name(x.a) < p.name(y.a);
      return p.name(x.b) < p.name(y.b);
    });
    const Weighed& best = weighed.front();
    std::vector<size_t> locs = best.a == best.b ? std::vector<size_t>{best.a} : std::vector<size_t>{best.a, best.b};
    (void)p.fill(locs, &plan.assignments);
    plan.shipments = static_cast<int>(locs.size());
    plan.cost = best.cost;
    plan.options_weighed = weighed.size();
    for (size_t i = 0; i < weighed.size() && i < RoutePlan::kMaxOptions; ++i) {
      const Weighed& w = weighed[i];
      RouteOption o{w.a == w.b ? "single" : "split", {p.name(w.a)}, w.cost, i == 0};
      if (w.a != w.b) o.locations.push_back(p.name(w.b));
      plan.options.push_back(std::move(o));
    }
    if (locs.size() == 1) {
      plan.notes.push_back("one shipment from " + p.name(best.a));
    } else {
      plan.notes.push_back("split: " + p.name(best.a) + " + " + p.name(best.b) + " costs less than any one location");
    }
    return plan;
  }

  // Rule 3: fewest splits, greedily.
  std::vector<RouteLine> open = req.lines;
  std::vector<std::map<std::string, int64_t>> used(p.size());
  std::set<size_t> taken;
  RouteOption greedy{"split", {}, 0, true};
  for (;;) {
    std::optional<size_t> pick;
    int64_t pick_units = 0;
    double pick_cost = 0;
    for (size_t c = 0; c < p.size(); ++c) {
      if (taken.count(c)) continue;
      std::map<std::string, int64_t> need;
      for (const RouteLine& l : open) need[l.sku] += l.quantity;
      int64_t units = 0;
      double kg = 0;
      for (const auto& [sku, n] : need) {
        int64_t u = std::min(n, p.usable(p.name(c), sku));
        units += u;
        kg += static_cast<double>(u) * p.weightOf(sku);
      }
      double cost = p.shipmentCost(c, kg);
      if (units > pick_units || (units == pick_units && units > 0 && cost < pick_cost)) {
        pick = c;
        pick_units = units;
        pick_cost = cost;
      }
    }
    if (!pick) break;
    taken.insert(*pick);
    const std::string& at = p.name(*pick);
    double kg = 0;
    for (RouteLine& l : open) {
      int64_t can = std::min(l.quantity, p.usable(at, l.sku) - used[*pick][l.sku]);
      if (can <= 0) continue;
      plan.assignments.push_back({l.line_id, l.sku, at, can});
      used[*pick][l.sku] += can;
      l.quantity -= can;
      kg += static_cast<double>(can) * p.weightOf(l.sku);
    }
    plan.shipments++;
    plan.cost += p.shipmentCost(*pick, kg) + (plan.shipments > 1 ? config.split_penalty : 0.0);
    greedy.locations.push_back(at);
    plan.notes.push_back("shipment " + std::to_string(plan.shipments) + " from " + at);
  }
  greedy.cost = plan.cost;
  bool rest = std::any_of(open.begin(), open.end(), [](const RouteLine& l) { return l.quantity > 0; });
  if (rest) plan.notes.push_back("not enough free stock anywhere: the rest waits unrouted");
  if (!greedy.locations.empty()) {
    plan.options = {greedy};
    plan.options_weighed = 1;
  }
  leftover(open);
  return plan;
}

}  // namespace sw::coordinator
