// tools/bench routing: a month of generated orders over real US ZIP codes for a chain of
// warehouses and stores, routed three ways in one run, each against its own copy of the stock:
//   warehouse: every order from the nearest warehouse that has it all (else split nearest-first
//              over the warehouses): what a chain without store fulfilment does;
//   country:   the router before issue 23 (legacyPlan below: its rules as of main fde8ea5, with
//              flat fee + per-km costs, every customer at the US centroid, no capacity or
//              safety stock);
//   new:       planRoute with the customer's ZIP point, the carrier rate tables, weights, the
//              stores' safety stock and daily capacity.
// Every plan is then priced with the same carrier tables (what the carrier would bill) and checked:
// no assignment may exceed what the location held at that moment.
//
// Raw limit beside the decisions/s: the nearest-location scan (one great-circle distance per
// location per order), the least any router that looks at distance must do.

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "bench.h"
#include "sw/coordinator/channels/gzip.h"
#include "sw/coordinator/orders/postal_points.h"
#include "sw/coordinator/orders/routing.h"

namespace sw::bench {

namespace {

using coordinator::FreeStock;
using coordinator::GeoPoint;
using coordinator::RoutePlan;
using coordinator::RouteRequest;
using coordinator::RoutingConfig;
using coordinator::RoutingLocation;
using nlohmann::json;

// Real places: warehouses at common US distribution hubs, stores in the largest metros (ZIP of
// each downtown). The first --warehouses and --stores of each list make the chain.
const char* const kWarehouseZips[] = {"43215" /* Columbus */, "75201" /* Dallas */, "89502" /* Reno */,
                                      "18101" /* Allentown */, "30303" /* Atlanta */, "64105" /* Kansas City */};
const char* const kStoreZips[] = {
    "10001", "90012", "60601", "77002", "85004", "19103", "78205", "92101", "75201", "95113", "78701", "32202",
    "43215", "28202", "46204", "94103", "98101", "80202", "20001", "02108", "37203", "48226", "97204", "89101",
    "38103", "40202", "21202", "53202", "87102", "85701", "30303", "33131", "55401", "64105", "63101", "84101",
    "27601", "23219", "70112", "73102", "14202", "06103", "44113", "15222", "45202", "92612", "95814", "32801"};

// A parcel carrier's published prices: distance bands like its zones 2-8, weight tiers.
coordinator::RateTable carrierRates(double factor) {
  coordinator::RateTable t;
  t.km = {150, 300, 600, 1000, 1400, 1800, 2400, 6000};
  t.kg = {1, 2, 5, 10, 20};
  const double band[] = {7.0, 7.6, 8.4, 9.5, 10.6, 11.4, 12.6, 14.0};
  const double tier[] = {1.0, 1.15, 1.5, 2.1, 3.2};
  for (double b : band) {
    std::vector<double> row;
    for (double m : tier) row.push_back(std::round(b * m * factor * 100) / 100);
    t.price.push_back(row);
  }
  t.extra_per_kg = 0.9 * factor;
  return t;
}

struct Scenario {
  std::vector<std::string> warehouses, stores;
  RoutingConfig fresh;   // the new router's config; also what every plan is priced with
  RoutingConfig legacy;  // the same locations as the old router saw them: flat fee + per km
  FreeStock nightly;     // what each location holds after the nightly replenishment
  struct Order {
    std::vector<coordinator::RouteLine> lines;
    GeoPoint at;            // the ZIP's point
    std::string zip, state;
    int day = 0;
  };
  std::vector<Order> orders;
};

struct Totals {
  std::string name;
  double cost = 0, km = 0, seconds = 0;
  int64_t shipments = 0, split = 0, unfilled = 0, filled = 0, violations = 0, over_capacity = 0, from_stores = 0;
};

int64_t freeAt(const FreeStock& free, const std::string& loc, const std::string& sku);

// The carrier's bill for a plan: per shipment the location's handling + its rate table at the
// true distance and weight, and the split penalty per extra shipment.
void bill(const Scenario& s, const Scenario::Order& o, const RoutePlan& plan, FreeStock& free,
          std::map<std::string, int64_t>& shipped_today, Totals& t) {
  std::map<std::string, double> kg;
  bool unrouted = false;
  for (const auto& a : plan.assignments) {
    if (a.location.empty()) {
      unrouted = true;
      continue;
    }
    int64_t& have = free[a.location][a.sku];
    if (a.quantity > have) t.violations++;
    have -= a.quantity;
    kg[a.location] += static_cast<double>(a.quantity) * s.fresh.weightOf(a.sku);
  }
  if (unrouted) t.unfilled++;
  if (kg.empty()) return;
  if (!unrouted) t.filled++;
  for (const auto& [loc, w] : kg) {
    const RoutingLocation& l = s.fresh.locations.at(loc);
    double km = coordinator::distanceKm(*l.point, o.at);
    t.cost += l.cost + l.rates->priceFor(km, w);
    t.km += km;
    t.shipments++;
    if (l.daily_capacity > 0 && ++shipped_today[loc] > l.daily_capacity) t.over_capacity++;
    if (loc.rfind("store-", 0) == 0) t.from_stores++;
  }
  t.cost += s.fresh.split_penalty * static_cast<double>(kg.size() - 1);
  if (kg.size() > 1) t.split++;
}

// Nearest warehouse holding everything; else each line from the nearest warehouses in turn.
RoutePlan warehouseOnly(const Scenario& s, const Scenario::Order& o, const FreeStock& free) {
  std::vector<std::pair<double, std::string>> byKm;
  for (const std::string& w : s.warehouses) byKm.push_back({coordinator::distanceKm(*s.fresh.locations.at(w).point, o.at), w});
  std::sort(byKm.begin(), byKm.end());
  auto has = [&](const std::string& loc, const std::string& sku) { return freeAt(free, loc, sku); };
  RoutePlan plan;
  for (const auto& [km, w] : byKm) {
    bool all = std::all_of(o.lines.begin(), o.lines.end(), [&](const auto& l) { return has(w, l.sku) >= l.quantity; });
    if (!all) continue;
    for (const auto& l : o.lines) plan.assignments.push_back({l.line_id, l.sku, w, l.quantity});
    return plan;
  }
  for (const auto& l : o.lines) {
    int64_t open = l.quantity;
    for (const auto& [km, w] : byKm) {
      int64_t can = std::min(open, has(w, l.sku));
      if (can <= 0) continue;
      plan.assignments.push_back({l.line_id, l.sku, w, can});
      open -= can;
      if (open == 0) break;
    }
    if (open > 0) plan.assignments.push_back({l.line_id, l.sku, "", open});
  }
  return plan;
}

int64_t freeAt(const FreeStock& free, const std::string& loc, const std::string& sku) {
  auto l = free.find(loc);
  if (l == free.end()) return 0;
  auto k = l->second.find(sku);
  return k == l->second.end() ? 0 : std::max<int64_t>(0, k->second);
}

// The router before issue 23, kept here as the baseline it is measured against (its rules as in
// coordinator/orders/src/routing.cpp at main fde8ea5): the customer at the country's centroid;
// the cheapest single location holding everything (cost + cost_per_km x km); else greedily the
// location covering most of what is open (ties: the cheaper), repeated.
RoutePlan legacyPlan(const RoutingConfig& cfg, const std::vector<coordinator::RouteLine>& lines, const GeoPoint& centroid,
                     const FreeStock& free) {
  auto costOf = [&](const std::string& loc) {
    const RoutingLocation& l = cfg.locations.at(loc);
    return l.cost + l.cost_per_km * coordinator::distanceKm(*l.point, centroid);
  };
  RoutePlan plan;
  std::string best;
  double best_cost = 0;
  for (const auto& [loc, l] : cfg.locations) {
    bool all = std::all_of(lines.begin(), lines.end(), [&](const auto& x) { return freeAt(free, loc, x.sku) >= x.quantity; });
    if (all && (best.empty() || costOf(loc) < best_cost)) {
      best = loc;
      best_cost = costOf(loc);
    }
  }
  if (!best.empty()) {
    for (const auto& x : lines) plan.assignments.push_back({x.line_id, x.sku, best, x.quantity});
    return plan;
  }
  std::vector<coordinator::RouteLine> open = lines;
  std::set<std::string> taken;
  for (;;) {
    std::string pick;
    int64_t pick_units = 0;
    double pick_cost = 0;
    for (const auto& [loc, l] : cfg.locations) {
      if (taken.count(loc)) continue;
      int64_t units = 0;
      for (const auto& x : open) units += std::min(x.quantity, freeAt(free, loc, x.sku));
      double c = costOf(loc);
      if (units > pick_units || (units == pick_units && units > 0 && c < pick_cost)) {
        pick = loc;
        pick_units = units;
        pick_cost = c;
      }
    }
    if (pick.empty()) break;
    taken.insert(pick);
    for (auto& x : open) {
      int64_t can = std::min(x.quantity, freeAt(free, pick, x.sku));
      if (can <= 0) continue;
      plan.assignments.push_back({x.line_id, x.sku, pick, can});
      x.quantity -= can;
    }
  }
  for (const auto& x : open) {
    if (x.quantity > 0) plan.assignments.push_back({x.line_id, x.sku, "", x.quantity});
  }
  return plan;
}

Scenario makeScenario(const coordinator::PostalPoints& zips, const std::vector<std::pair<std::string, GeoPoint>>& all_zips,
                      const std::map<std::string, std::string>& state_of, int warehouses, int stores, int64_t per_day,
                      int days, int skus, uint64_t seed, double store_rate_factor, double store_handling,
                      double store_range, int store_depth) {
  Scenario s;
  std::mt19937_64 rng(seed);
  s.fresh.split_penalty = 2.0;
  s.fresh.default_weight_kg = 1.0;
  s.legacy.split_penalty = 2.0;
  auto add = [&](const std::string& name, const char* zip, bool store) {
    RoutingLocation l;
    l.name = name;
    l.point = zips.postal("US", zip);
    if (!l.point) {
      std::fprintf(stderr, "routing: ZIP %s of %s is not in the postal data: placed at the US centroid\n", zip, name.c_str());
      l.point = GeoPoint{39.8, -98.6};
    }
    l.cost = store ? store_handling : 1.5;  // handling: store staff pick slower than a warehouse line
    l.rates = carrierRates(store ? store_rate_factor : 1.0);  // 1: the chain's one carrier contract everywhere
    l.safety_stock = store ? 1 : 0;              // a store keeps its last unit for walk-in customers
    l.daily_capacity = store ? 40 : 0;
    l.pickup = store;
    s.fresh.locations[name] = l;
    // Today's config for the same place: the same handling, carriage as a flat per-km rate
    // (the contract's 1 kg price from 150 to 2400 km, fitted as a line).
    RoutingLocation flat;
    flat.name = name;
    flat.point = l.point;
    flat.cost = l.cost + l.rates->price[0][0];
    flat.cost_per_km = (l.rates->price[6][0] - l.rates->price[0][0]) / 2250.0;
    flat.pickup = store;
    s.legacy.locations[name] = flat;
    (store ? s.stores : s.warehouses).push_back(name);
  };
  warehouses = std::min<int>(warehouses, static_cast<int>(std::size(kWarehouseZips)));
  stores = std::min<int>(stores, static_cast<int>(std::size(kStoreZips)));
  for (int i = 0; i < warehouses; ++i) add("wh-" + std::string(kWarehouseZips[i]), kWarehouseZips[i], false);
  for (int i = 0; i < stores; ++i) add("store-" + std::string(kStoreZips[i]), kStoreZips[i], true);
  s.legacy.countries = s.fresh.countries = coordinator::parseRoutingConfig(json::object())->countries;

  // SKUs: popularity falls off as 1/rank; weights from 0.2 kg to about 12 kg, mostly light.
  std::vector<double> weight(static_cast<size_t>(skus)), pop(static_cast<size_t>(skus));
  std::lognormal_distribution<double> wdist(0.0, 0.9);
  for (int k = 0; k < skus; ++k) {
    std::string sku = "SKU-" + std::to_string(k);
    weight[static_cast<size_t>(k)] = std::min(12.0, std::max(0.2, std::round(wdist(rng) * 10) / 10));
    s.fresh.weights_kg[sku] = weight[static_cast<size_t>(k)];
    pop[static_cast<size_t>(k)] = 1.0 / (k + 1);
  }
  std::discrete_distribution<int> pick_sku(pop.begin(), pop.end());
  // Stock: each warehouse carries 90% of the range in depth; each store the most popular
  // store_range share of it, 2 to store_depth units each; all replenished every night to these levels.
  std::uniform_real_distribution<double> u(0, 1);
  double total_pop = 0;
  for (double p : pop) total_pop += p;
  for (const std::string& w : s.warehouses) {
    for (int k = 0; k < skus; ++k) {
      if (u(rng) < 0.9) {
        double daily = static_cast<double>(per_day) * 2.0 * 1.5 * pop[static_cast<size_t>(k)] / total_pop;
        s.nightly[w]["SKU-" + std::to_string(k)] = static_cast<int64_t>(std::ceil(daily * 1.2 / warehouses * 2)) + 2;
      }
    }
  }
  for (const std::string& st : s.stores) {
    int range = static_cast<int>(std::round(store_range * skus));
    for (int k = 0; k < range; ++k) {
      s.nightly[st]["SKU-" + std::to_string(k)] = 2 + static_cast<int64_t>(u(rng) * (std::max(2, store_depth) - 1));
    }
  }

  // Customers: 70% live within about 60 km of one of the metros the chain has a store in (a ZIP
  // drawn among those), 30% anywhere (a ZIP drawn uniformly).
  std::vector<std::vector<size_t>> near(s.stores.size());
  for (size_t i = 0; i < all_zips.size(); ++i) {
    for (size_t k = 0; k < s.stores.size(); ++k) {
      if (coordinator::distanceKm(all_zips[i].second, *s.fresh.locations.at(s.stores[k]).point) < 60) near[k].push_back(i);
    }
  }
  std::uniform_int_distribution<size_t> any_zip(0, all_zips.size() - 1);
  std::uniform_int_distribution<int> nlines(1, 3), qty(1, 2);
  for (int d = 0; d < days; ++d) {
    for (int64_t n = 0; n < per_day; ++n) {
      Scenario::Order o;
      o.day = d;
      size_t z = any_zip(rng);
      if (u(rng) < 0.7 && !s.stores.empty()) {
        const auto& metro = near[std::uniform_int_distribution<size_t>(0, s.stores.size() - 1)(rng)];
        if (!metro.empty()) z = metro[std::uniform_int_distribution<size_t>(0, metro.size() - 1)(rng)];
      }
      o.zip = all_zips[z].first;
      o.at = all_zips[z].second;
      auto st = state_of.find(o.zip);
      o.state = st == state_of.end() ? "" : st->second;
      std::set<int> taken;
      int lines = nlines(rng);
      for (int i = 0; i < lines; ++i) {
        int k = pick_sku(rng);
        if (!taken.insert(k).second) continue;
        o.lines.push_back({std::to_string(i + 1), "SKU-" + std::to_string(k), qty(rng)});
      }
      s.orders.push_back(std::move(o));
    }
  }
  return s;
}

}  // namespace

int benchRouting(const common::ParsedOptions& args) {
  const std::string data = args.text("postal-codes");
  auto zips = coordinator::PostalPoints::load(data);
  if (!zips) {
    std::fprintf(stderr, "routing: %s\n", zips.error().toString().c_str());
    return 2;
  }
  // The ZIPs and their states, to draw customers from (the same file, read as text here).
  std::vector<std::pair<std::string, GeoPoint>> all_zips;
  std::map<std::string, std::string> state_of;
  {
    std::ifstream in(data, std::ios::binary);
    std::string gz((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    auto plain = coordinator::channels::gunzip(gz, coordinator::PostalPoints::kMaxFileBytes);
    std::string text = plain ? *plain : gz;
    size_t at = 0;
    while (at < text.size()) {
      size_t nl = text.find('\n', at);
      std::string line = text.substr(at, nl == std::string::npos ? std::string::npos : nl - at);
      at = nl == std::string::npos ? text.size() : nl + 1;
      if (line.size() < 9 || line[0] == '#' || line.compare(0, 3, "US,") != 0) continue;
      std::string zip = line.substr(3, 5);
      auto p = zips->postal("US", zip);
      if (!p) continue;
      all_zips.push_back({zip, *p});
      state_of[zip] = line.substr(line.rfind(',') + 1);
    }
  }
  const int warehouses = static_cast<int>(args.integer("warehouses"));
  const int stores = static_cast<int>(args.integer("stores"));
  const int days = static_cast<int>(args.integer("days"));
  const int64_t per_day = args.integer("orders-per-day");
  const double store_rate_factor = args.number("store-rate-factor"), store_handling = args.number("store-handling");
  Scenario s = makeScenario(*zips, all_zips, state_of, warehouses, stores, per_day, days,
                            static_cast<int>(args.integer("skus")), static_cast<uint64_t>(args.integer("seed")),
                            store_rate_factor, store_handling, args.number("store-range"),
                            static_cast<int>(args.integer("store-depth")));
  auto postal = std::make_shared<const coordinator::PostalPoints>(std::move(*zips));
  s.fresh.postal = postal;
  std::printf("routing: %zu orders over %d days from %zu US ZIP codes; %d warehouses (handling 1.5), %d stores (handling "
              "%.2f, carrier prices x %.2f, capacity 40 parcels/day, safety stock 1, the top %.0f%% of %zu SKUs, 2-%lld "
              "units each); stock replenished nightly\n",
              s.orders.size(), days, all_zips.size(), warehouses, stores, store_handling, store_rate_factor,
              100 * args.number("store-range"), s.fresh.weights_kg.size(), static_cast<long long>(args.integer("store-depth")));

  auto run = [&](const std::string& name, auto&& route) {
    Totals t;
    t.name = name;
    FreeStock free;
    std::map<std::string, int64_t> shipped_today;
    int day = -1;
    for (const Scenario::Order& o : s.orders) {
      if (o.day != day) {
        free = s.nightly;
        shipped_today.clear();
        day = o.day;
      }
      auto t0 = std::chrono::steady_clock::now();
      RoutePlan plan = route(o, free, shipped_today);
      t.seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      bill(s, o, plan, free, shipped_today, t);
    }
    return t;
  };
  std::map<std::string, int64_t> sources;
  Totals wh = run("warehouse", [&](const Scenario::Order& o, const FreeStock& free, const auto&) {
    return warehouseOnly(s, o, free);
  });
  const GeoPoint us_centroid = s.legacy.countries.at("US");
  Totals old = run("country", [&](const Scenario::Order& o, const FreeStock& free, const auto&) {
    return legacyPlan(s.legacy, o.lines, us_centroid, free);
  });
  Totals neu = run("new", [&](const Scenario::Order& o, const FreeStock& free, const auto& today) {
    RouteRequest r;
    r.lines = o.lines;
    r.ship_to_country = "US";
    auto at = coordinator::locateShipTo(postal.get(), s.fresh.countries, "US", o.state, o.zip);
    r.ship_to = at.point;
    r.ship_to_source = coordinator::toString(at.source);
    sources[r.ship_to_source]++;
    r.shipped_today = today;
    return coordinator::planRoute(s.fresh, r, free);
  });

  // Raw limit: the nearest of all locations by great circle, per order.
  double raw_s = 0;
  {
    std::vector<GeoPoint> pts;
    for (const auto& [name, l] : s.fresh.locations) pts.push_back(*l.point);
    double sink = 0;
    auto t0 = std::chrono::steady_clock::now();
    for (const Scenario::Order& o : s.orders) {
      double best = 1e9;
      for (const GeoPoint& p : pts) best = std::min(best, coordinator::distanceKm(p, o.at));
      sink += best;
    }
    raw_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (sink < 0) std::printf("?");
  }
  const double n = static_cast<double>(s.orders.size());
  std::printf("%-10s %14s %10s %8s %9s %10s %12s %10s %14s\n", "router", "shipping cost", "per order", "mean km",
              "split %", "unfilled", "from stores", "over cap", "decisions/s");
  for (const Totals* t : {&wh, &old, &neu}) {
    std::printf("%-10s %14.0f %10.2f %8.0f %8.2f%% %10lld %11.1f%% %10lld %14.0f\n", t->name.c_str(), t->cost,
                t->cost / n, t->shipments ? t->km / static_cast<double>(t->shipments) : 0.0,
                t->filled ? 100.0 * static_cast<double>(t->split) / static_cast<double>(t->filled) : 0.0,
                static_cast<long long>(t->unfilled),
                t->shipments ? 100.0 * static_cast<double>(t->from_stores) / static_cast<double>(t->shipments) : 0.0,
                static_cast<long long>(t->over_capacity), t->seconds > 0 ? n / t->seconds : 0.0);
  }
  const double vs_wh = neu.cost / wh.cost, vs_old = neu.cost / old.cost;
  std::printf("  new router's cost / warehouse-only: %.3f (%.1f%% saved); / country-centroid router: %.3f (%.1f%% saved)\n",
              vs_wh, 100 * (1 - vs_wh), vs_old, 100 * (1 - vs_old));
  std::printf("  customers placed by: postal %lld, region %lld, country %lld\n",
              static_cast<long long>(sources["postal"]), static_cast<long long>(sources["region"]),
              static_cast<long long>(sources["country"]));
  std::printf("  new router: %.0f decisions/s = %.2f%% of the raw nearest-location scan (%.0f orders/s over %zu "
              "locations)\n",
              n / neu.seconds, 100 * (n / neu.seconds) / (n / raw_s), n / raw_s, s.fresh.locations.size());
  const int64_t violations = wh.violations + old.violations + neu.violations;
  const bool target = vs_wh <= 0.90;
  std::printf("  assignments beyond the stock a location held: %lld (warehouse %lld, country %lld, new %lld)\n",
              static_cast<long long>(violations), static_cast<long long>(wh.violations),
              static_cast<long long>(old.violations), static_cast<long long>(neu.violations));
  std::printf("  target: new router at least 10%% below warehouse-only, never beyond the stock: %s\n",
              target && violations == 0 ? "met" : "NOT met");
  if (args.has("json")) {
    json strategies = json::array();
    for (const Totals* t : {&wh, &old, &neu}) {
      strategies.push_back({{"router", t->name}, {"shipping_cost", t->cost}, {"mean_km", t->shipments ? t->km / static_cast<double>(t->shipments) : 0.0},
                            {"shipments", t->shipments}, {"split_orders", t->split}, {"unfilled_orders", t->unfilled},
                            {"from_stores", t->from_stores}, {"over_capacity", t->over_capacity},
                            {"violations", t->violations}, {"decisions_per_s", t->seconds > 0 ? n / t->seconds : 0.0}});
    }
    json j = {{"bench", "routing"},
              {"orders", s.orders.size()},
              {"days", days},
              {"warehouses", warehouses},
              {"stores", stores},
              {"raw", {{"nearest_location_scans_per_s", n / raw_s}}},
              {"strategies", strategies},
              {"cost_ratio_new_to_warehouse", vs_wh},
              {"cost_ratio_new_to_country", vs_old},
              {"ship_to_sources", sources},
              {"targets", {{"ten_percent_below_warehouse", target}, {"no_order_beyond_stock", violations == 0}}}};
    std::ofstream out(args.text("json"));
    out << j.dump(2) << "\n";
    if (!out) {
      std::fprintf(stderr, "routing: cannot write %s\n", args.text("json").c_str());
      return 1;
    }
    std::printf("  JSON report: %s\n", args.text("json").c_str());
  }
  return violations == 0 ? 0 : 1;
}

}  // namespace sw::bench
