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
