// Order routing: one shipment when possible (the cheapest), fewest splits otherwise, distance by
// ship-to country, pickup in store, unrouted remainder.

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "sw/coordinator/orders/routing.h"

using namespace sw::coordinator;
using nlohmann::json;

namespace {

RoutingConfig config() {
  // Berlin warehouse (cheap handling), London store, New York store.
  auto c = parseRoutingConfig(json::parse(R"({
    "locations": {
      "wh-berlin": {"lat": 52.52, "lon": 13.40, "cost": 1.0, "cost_per_km": 0.01},
      "store-london": {"lat": 51.51, "lon": -0.13, "cost": 3.0, "cost_per_km": 0.01, "pickup": true},
      "store-nyc": {"lat": 40.71, "lon": -74.0, "cost": 3.0, "cost_per_km": 0.01, "pickup": true}
    },
    "split_penalty": 5
  })"));
  EXPECT_TRUE(c.ok());
  return *c;
}

std::map<std::string, int64_t> byLocation(const RoutePlan& p) {
  std::map<std::string, int64_t> out;
  for (const auto& a : p.assignments) out[a.location] += a.quantity;
  return out;
}

}  // namespace

TEST(Routing, OneShipmentFromTheNearestWhenSeveralHaveEverything) {
  FreeStock free = {{"wh-berlin", {{"A", 5}, {"B", 5}}}, {"store-nyc", {{"A", 5}, {"B", 5}}}};
  RouteRequest r;
  r.lines = {{"1", "A", 2}, {"2", "B", 1}};
  r.ship_to_country = "US";
  RoutePlan p = planRoute(config(), r, free);
  EXPECT_EQ(p.shipments, 1);
  EXPECT_EQ(byLocation(p), (std::map<std::string, int64_t>{{"store-nyc", 3}}));
  r.ship_to_country = "DE";
  p = planRoute(config(), r, free);
  EXPECT_EQ(byLocation(p), (std::map<std::string, int64_t>{{"wh-berlin", 3}}));
}

TEST(Routing, OneShipmentBeatsTheNearerLocationThatWouldNeedASplit) {
  // Berlin is nearer for a German buyer but lacks B: New York ships everything in one parcel.
  FreeStock free = {{"wh-berlin", {{"A", 5}}}, {"store-nyc", {{"A", 5}, {"B", 5}}}};
  RouteRequest r;
  r.lines = {{"1", "A", 1}, {"2", "B", 1}};
  r.ship_to_country = "DE";
  RoutePlan p = planRoute(config(), r, free);
  EXPECT_EQ(p.shipments, 1);
  EXPECT_EQ(byLocation(p), (std::map<std::string, int64_t>{{"store-nyc", 2}}));
}

TEST(Routing, SplitsOnlyWhenNobodyHasItAllAndThenAsFewAsPossible) {
  FreeStock free = {{"wh-berlin", {{"A", 3}}}, {"store-london", {{"A", 1}, {"B", 2}}}, {"store-nyc", {{"B", 1}}}};
  RouteRequest r;
  r.lines = {{"1", "A", 3}, {"2", "B", 2}};
  r.ship_to_country = "GB";
  RoutePlan p = planRoute(config(), r, free);
  // Berlin covers 3 units (A), London 3 (1 A + 2 B): London first (cheaper for GB), then Berlin for 2 A.
  EXPECT_EQ(p.shipments, 2);
  EXPECT_EQ(byLocation(p), (std::map<std::string, int64_t>{{"store-london", 3}, {"wh-berlin", 2}}));
}

TEST(Routing, WhatNobodyHasStaysUnrouted) {
  FreeStock free = {{"wh-berlin", {{"A", 1}}}};
  RouteRequest r;
  r.lines = {{"1", "A", 3}};
  RoutePlan p = planRoute(config(), r, free);
  EXPECT_EQ(byLocation(p), (std::map<std::string, int64_t>{{"wh-berlin", 1}, {"", 2}}));
}

TEST(Routing, PickupGoesToTheChosenStoreEvenWhenAnotherIsCheaper) {
  FreeStock free = {{"wh-berlin", {{"A", 5}}}, {"store-london", {{"A", 1}}}};
  RouteRequest r;
  r.lines = {{"1", "A", 2}};
  r.ship_to_country = "DE";
  r.pickup_location = "store-london";
  RoutePlan p = planRoute(config(), r, free);
  EXPECT_EQ(byLocation(p), (std::map<std::string, int64_t>{{"store-london", 1}, {"", 1}}));
}

TEST(Routing, WithoutAConfigEveryLocationWithStockShips) {
  auto c = parseRoutingConfig(json::object());
  ASSERT_TRUE(c.ok());
  FreeStock free = {{"x", {{"A", 1}}}, {"y", {{"A", 4}}}};
  RouteRequest r;
  r.lines = {{"1", "A", 3}};
  EXPECT_EQ(byLocation(planRoute(*c, r, free)), (std::map<std::string, int64_t>{{"y", 3}}));
}

TEST(Routing, ConfigTyposAreErrors) {
  EXPECT_FALSE(parseRoutingConfig(json::parse(R"({"locations": {"a": {"lat": 1, "lon": 2, "cots": 1}}})")).ok());
  EXPECT_FALSE(parseRoutingConfig(json::parse(R"({"locations": {"a": {"lat": 1}}})")).ok());
  EXPECT_FALSE(parseRoutingConfig(json::parse(R"({"location": {}})")).ok());
  EXPECT_FALSE(parseRoutingConfig(json::parse(R"({"countries": {"US": [100, 0]}})")).ok());
}

TEST(Routing, DistanceIsGreatCircle) {
  // Berlin - London is about 930 km.
  double km = distanceKm({52.52, 13.40}, {51.51, -0.13});
  EXPECT_GT(km, 900);
  EXPECT_LT(km, 960);
}

// --- Issue 23: the customer's point, carrier rate tables, weights, splits by cost, safety stock,
// daily capacity, and the options the router weighed ---

namespace {

// Three US locations on one line west to east; the customer's point is given.
RoutingConfig usConfig(const std::string& extra = "") {
  auto c = parseRoutingConfig(json::parse(R"({
    "locations": {
      "wh-west": {"lat": 37.77, "lon": -122.42, "cost": 1.0,
                  "rates": {"km": [300, 1500, 5000], "kg": [1, 5], "price": [[5, 8], [9, 14], [14, 22]],
                            "extra_per_kg": 2}},
      "store-mid": {"lat": 39.74, "lon": -104.99, "cost": 2.0, "cost_per_km": 0.01, "pickup": true,
                    "pickup_cost": 0.5)" + extra + R"(},
      "wh-east": {"lat": 40.71, "lon": -74.0, "cost": 1.0,
                  "rates": {"km": [300, 1500, 5000], "kg": [1, 5], "price": [[5, 8], [9, 14], [14, 22]]}}
    },
    "split_penalty": 3, "weights_kg": {"HEAVY": 4}, "default_weight_kg": 0.5
  })"));
  EXPECT_TRUE(c.ok()) << (c.ok() ? "" : c.error().toString());
  return c.ok() ? *c : RoutingConfig{};
}

const GeoPoint kOakland{37.80, -122.27}, kBrooklyn{40.68, -73.94}, kDenver{39.73, -104.98};

}  // namespace

TEST(RoutingCost, RateTablePriceByDistanceBandAndWeightTier) {
  RateTable t{{300, 1500}, {1, 5}, {{5, 8}, {9, 14}}, 2};
  EXPECT_DOUBLE_EQ(t.priceFor(0, 0), 5);
  EXPECT_DOUBLE_EQ(t.priceFor(300, 1), 5);      // bands and tiers include their upper bound
  EXPECT_DOUBLE_EQ(t.priceFor(300.1, 1), 9);
  EXPECT_DOUBLE_EQ(t.priceFor(10, 1.01), 8);
  EXPECT_DOUBLE_EQ(t.priceFor(9000, 5), 14);    // farther than the last band: its price
  EXPECT_DOUBLE_EQ(t.priceFor(9000, 7), 18);    // heavier than the last tier: + 2 per kg over
}

TEST(RoutingCost, TheCustomersPointDecidesWhichWarehouseShips) {
  FreeStock free = {{"wh-west", {{"A", 5}}}, {"wh-east", {{"A", 5}}}};
  RouteRequest r;
  r.lines = {{"1", "A", 1}};
  r.ship_to_country = "US";
  r.ship_to = kOakland;
  r.ship_to_source = "postal";
  RoutePlan p = planRoute(usConfig(), r, free);
  EXPECT_EQ(byLocation(p), (std::map<std::string, int64_t>{{"wh-west", 1}}));
  EXPECT_DOUBLE_EQ(p.cost, 1 + 5);  // handling + the first band, lightest tier
  EXPECT_EQ(p.ship_to_source, "postal");
  r.ship_to = kBrooklyn;
  p = planRoute(usConfig(), r, free);
  EXPECT_EQ(byLocation(p), (std::map<std::string, int64_t>{{"wh-east", 1}}));
  // Without a point the country centroid stands in, and the plan says so.
  r.ship_to.reset();
  p = planRoute(usConfig(), r, free);
  EXPECT_EQ(p.ship_to_source, "country");
  ASSERT_TRUE(p.ship_to);
  EXPECT_DOUBLE_EQ(p.ship_to->lat, 39.8);
}

TEST(RoutingCost, WeightMovesAShipmentIntoADearerTier) {
  // 3 x HEAVY = 12 kg from wh-west to Oakland: first band, 5 kg tier 8 + 2 x 7 kg over = 22, + 1 handling.
  FreeStock free = {{"wh-west", {{"HEAVY", 5}}}};
  RouteRequest r;
  r.lines = {{"1", "HEAVY", 3}};
  r.ship_to = kOakland;
  RoutePlan p = planRoute(usConfig(), r, free);
  EXPECT_DOUBLE_EQ(p.cost, 23);
}

TEST(RoutingCost, TwoNearParcelsBeatOneFarParcelWhenTheyCostLess) {
  // wh-east has both SKUs; wh-west (near) has A, store-mid has B. An Oakland buyer of 1 A + 1 HEAVY:
  //   wh-east alone: 4.5 kg over ~4100 km = band 3, tier 2 = 22 + 1 = 23
  //   wh-west (A, 0.5 kg, band 1) 6 + store-mid (HEAVY, ~1500 km x 0.01 + 2 = ~17.6) + 3 = ~26.6
  //   wh-west A + wh-east HEAVY: 6 + (band 3, tier 2: 22 + 1) + 3 = 32
  FreeStock free = {{"wh-west", {{"A", 5}}}, {"store-mid", {{"HEAVY", 5}}}, {"wh-east", {{"A", 5}, {"HEAVY", 5}}}};
  RouteRequest r;
  r.lines = {{"1", "A", 1}, {"2", "HEAVY", 1}};
  r.ship_to = kOakland;
  RoutePlan p = planRoute(usConfig(), r, free);
  EXPECT_EQ(p.shipments, 1);
  EXPECT_EQ(byLocation(p), (std::map<std::string, int64_t>{{"wh-east", 2}}));
  // With a cheaper carrier at store-mid the split wins.
  RoutingConfig cheap = usConfig();
  cheap.locations["store-mid"].cost_per_km = 0.001;  // ~1.5 + 2 = 3.5: 6 + 3.5 + 3 = 12.5 < 23
  p = planRoute(cheap, r, free);
  EXPECT_EQ(p.shipments, 2);
  EXPECT_EQ(byLocation(p), (std::map<std::string, int64_t>{{"wh-west", 1}, {"store-mid", 1}}));
  EXPECT_NEAR(p.cost, 1 + 5 + 2 + 0.001 * distanceKm({39.74, -104.99}, kOakland) + 3, 1e-9);
  // The options it weighed, cheapest first, the chosen one marked, each with its cost.
  ASSERT_GE(p.options.size(), 3u);
  EXPECT_TRUE(p.options[0].chosen);
  EXPECT_EQ(p.options[0].kind, "split");
  for (size_t i = 1; i < p.options.size(); ++i) {
    EXPECT_FALSE(p.options[i].chosen);
    EXPECT_LE(p.options[i - 1].cost, p.options[i].cost);
  }
  bool single_east = false;
  for (const RouteOption& o : p.options) single_east |= o.kind == "single" && o.locations == std::vector<std::string>{"wh-east"};
  EXPECT_TRUE(single_east);
  EXPECT_EQ(p.options_weighed, p.options.size());
}

TEST(RoutingCost, SafetyStockIsNeverPromised) {
  FreeStock free = {{"store-mid", {{"A", 3}}}, {"wh-east", {{"A", 10}}}};
  RouteRequest r;
  r.lines = {{"1", "A", 2}};
  r.ship_to = kDenver;
  EXPECT_EQ(byLocation(planRoute(usConfig(), r, free)), (std::map<std::string, int64_t>{{"store-mid", 2}}));
  RoutingConfig kept = usConfig(R"(, "safety_stock": 2)");
  // 3 on hand less 2 kept back: 1 left, so the far warehouse ships the 2 in one parcel.
  EXPECT_EQ(byLocation(planRoute(kept, r, free)), (std::map<std::string, int64_t>{{"wh-east", 2}}));
  // And nothing anywhere else: only 1 goes, the rest waits.
  free.erase("wh-east");
  EXPECT_EQ(byLocation(planRoute(kept, r, free)), (std::map<std::string, int64_t>{{"store-mid", 1}, {"", 1}}));
}

TEST(RoutingCost, ALocationThatShippedItsDailyCapacityIsPassedOver) {
  FreeStock free = {{"store-mid", {{"A", 3}}}, {"wh-east", {{"A", 10}}}};
  RouteRequest r;
  r.lines = {{"1", "A", 1}};
  r.ship_to = kDenver;
  RoutingConfig cfg = usConfig(R"(, "daily_capacity": 2)");
  r.shipped_today = {{"store-mid", 1}};
  EXPECT_EQ(byLocation(planRoute(cfg, r, free)), (std::map<std::string, int64_t>{{"store-mid", 1}}));
  r.shipped_today = {{"store-mid", 2}};
  RoutePlan p = planRoute(cfg, r, free);
  EXPECT_EQ(byLocation(p), (std::map<std::string, int64_t>{{"wh-east", 1}}));
  EXPECT_NE(std::find(p.notes.begin(), p.notes.end(), "store-mid has shipped its daily capacity"), p.notes.end());
}

TEST(RoutingCost, PickupCostsItsHandlingAndIsTheOnlyOption) {
  FreeStock free = {{"store-mid", {{"A", 3}}}, {"wh-east", {{"A", 10}}}};
  RouteRequest r;
  r.lines = {{"1", "A", 1}};
  r.ship_to = kBrooklyn;
  r.pickup_location = "store-mid";
  RoutePlan p = planRoute(usConfig(), r, free);
  EXPECT_EQ(byLocation(p), (std::map<std::string, int64_t>{{"store-mid", 1}}));
  EXPECT_DOUBLE_EQ(p.cost, 0.5);
  ASSERT_EQ(p.options.size(), 1u);
  EXPECT_EQ(p.options[0].kind, "pickup");
  EXPECT_TRUE(p.options[0].chosen);
}

TEST(RoutingCost, NeverAssignsMoreThanALocationHasWhateverTheMix) {
  // Every mix of stock over three locations and an order of two SKUs: no assignment exceeds what
  // the location has (less safety stock), and assigned + unrouted = ordered.
  RoutingConfig cfg = usConfig(R"(, "safety_stock": 1)");
  for (int a = 0; a < 4; ++a) {
    for (int b = 0; b < 4; ++b) {
      for (int c = 0; c < 4; ++c) {
        FreeStock free = {{"wh-west", {{"A", a}, {"B", c}}}, {"store-mid", {{"A", b}, {"B", a}}}, {"wh-east", {{"A", c}, {"B", b}}}};
        RouteRequest r;
        r.lines = {{"1", "A", 3}, {"2", "B", 2}};
        r.ship_to = kDenver;
        RoutePlan p = planRoute(cfg, r, free);
        std::map<std::pair<std::string, std::string>, int64_t> got;
        std::map<std::string, int64_t> per_sku;
        for (const auto& as : p.assignments) {
          got[{as.location, as.sku}] += as.quantity;
          per_sku[as.sku] += as.quantity;
        }
        for (const auto& [key, n] : got) {
          if (key.first.empty()) continue;
          int64_t have = free[key.first][key.second] - (key.first == "store-mid" ? 1 : 0);
          EXPECT_LE(n, have) << key.first << " " << key.second << " " << a << b << c;
        }
        EXPECT_EQ(per_sku["A"], 3);
        EXPECT_EQ(per_sku["B"], 2);
      }
    }
  }
}

TEST(RoutingCost, PlanJsonShowsThePointToAboutAKilometreAndTheOptions) {
  FreeStock free = {{"wh-west", {{"A", 5}}}, {"wh-east", {{"A", 5}}}};
  RouteRequest r;
  r.lines = {{"1", "A", 1}};
  r.ship_to = {37.80432, -122.27111};
  r.ship_to_source = "postal";
  json j = toJson(planRoute(usConfig(), r, free));
  EXPECT_EQ(j["ship_to_source"], "postal");
  EXPECT_DOUBLE_EQ(j["ship_to"][0].get<double>(), 37.8);
  EXPECT_DOUBLE_EQ(j["ship_to"][1].get<double>(), -122.27);
  EXPECT_EQ(j["cost"], 6.0);
  ASSERT_EQ(j["options"].size(), 2u);
  EXPECT_EQ(j["options"][0]["locations"], json::array({"wh-west"}));
  EXPECT_EQ(j["options"][0]["chosen"], true);
  EXPECT_EQ(j["options"][1]["locations"], json::array({"wh-east"}));
}

TEST(RoutingCost, BadRateTablesAndNewKeysAreRefused) {
  auto bad = [](const std::string& location_extra, const std::string& top = "") {
    return !parseRoutingConfig(json::parse(R"({"locations": {"a": {"lat": 1, "lon": 2)" + location_extra + "}}" + top + "}")).ok();
  };
  EXPECT_TRUE(bad(R"(, "rates": {"km": [100], "kg": [1], "price": [[1, 2]]})"));      // row too long
  EXPECT_TRUE(bad(R"(, "rates": {"km": [100, 50], "kg": [1], "price": [[1], [2]]})"));  // not ascending
  EXPECT_TRUE(bad(R"(, "rates": {"km": [100], "kg": [1]})"));                         // no price
  EXPECT_TRUE(bad(R"(, "rates": {"km": [100], "kg": [1], "price": [[-1]]})"));
  EXPECT_TRUE(bad(R"(, "rates": {"km": [0], "kg": [1], "price": [[1]]})"));
  EXPECT_TRUE(bad(R"(, "rates": {"km": [100], "kg": [1], "price": [[1]], "zones": 1})"));
  EXPECT_TRUE(bad(R"(, "rates": [1, 2])"));
  EXPECT_TRUE(bad(R"(, "safety_stock": -1)"));
  EXPECT_TRUE(bad(R"(, "daily_capacity": 1.5)"));
  EXPECT_TRUE(bad(R"(, "pickup_cost": -1)"));
  EXPECT_TRUE(bad("", R"(, "weights_kg": {"A": -1})"));
  EXPECT_TRUE(bad("", R"(, "weights_kg": [1])"));
  EXPECT_TRUE(bad("", R"(, "postal_codes": 5)"));
  EXPECT_FALSE(bad(R"(, "rates": {"km": [100], "kg": [1], "price": [[1]], "extra_per_kg": 0.5}, "safety_stock": 2, "daily_capacity": 10)",
                   R"(, "weights_kg": {"A": 0.2}, "default_weight_kg": 2, "postal_codes": "x.csv.gz")"));
}

TEST(RoutingCost, TheCatalogWeightOnTheLineWinsOverTheConfigs) {
  // The config says HEAVY is 4 kg; the catalog says 0.8: the lightest tier (1 + 5) instead of 1 + 8.
  FreeStock free = {{"wh-west", {{"HEAVY", 5}}}};
  RouteRequest r;
  r.lines = {{"1", "HEAVY", 1, 0.8}};
  r.ship_to = kOakland;
  EXPECT_DOUBLE_EQ(planRoute(usConfig(), r, free).cost, 6);
  r.lines[0].weight_kg = -1;  // none from the catalog: the config's 4 kg
  EXPECT_DOUBLE_EQ(planRoute(usConfig(), r, free).cost, 9);
}
