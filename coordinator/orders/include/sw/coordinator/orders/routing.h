#pragma once
// Order routing: which store or warehouse ships each line of an online order.
//
// Inputs: per location the free units of each SKU (ledger on-hand minus what orders already
// hold there), the location's coordinates and costs from the locations config, and where the
// parcel goes (a ship-to coordinate, or the centroid of the ship-to country).
//
// Rules, in order:
//   1. Buy online, pick up in store: every line goes to the chosen store; what it lacks stays
//      unrouted (the router does not send a parcel from elsewhere for a pickup order).
//   2. One shipment if any location can ship the whole order: the cheapest such location.
//   3. Otherwise fewest splits, greedily: take the location that covers the most of what is
//      still open (ties: the cheaper), assign, repeat. What nobody has stays unrouted.
// Cost of a shipment from L = L.cost + L.cost_per_km × great-circle km to the ship-to point
// (0 km when the ship-to point is unknown). Each extra shipment costs split_penalty more,
// which is why rule 2 comes before rule 3.
//
// Pure: no I/O, no clock; unit-tested in tests/unit/coordinator/routing_test.cpp.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "sw/common/result.h"

namespace sw::coordinator {

struct GeoPoint {
  double lat = 0;
  double lon = 0;
};
double distanceKm(const GeoPoint& a, const GeoPoint& b);

struct RoutingLocation {
  std::string name;
  std::optional<GeoPoint> point;
  double cost = 0;         // per shipment (handling), in any one unit used consistently
  double cost_per_km = 0;  // carriage
  bool ships = true;       // false: pickup only (never ships parcels)
  bool pickup = false;     // customers can collect orders here
};

struct RoutingConfig {
  std::map<std::string, RoutingLocation> locations;
  std::map<std::string, GeoPoint> countries;  // ISO alpha-2 -> centroid (defaults for a few, see .cpp)
  double split_penalty = 5.0;
};

// {"locations": {"wh-1": {"lat": 52.5, "lon": 13.4, "cost": 2.0, "cost_per_km": 0.001, "ships": true,
//                         "pickup": false}, ...},
//  "countries": {"DE": [51.2, 10.4], ...}, "split_penalty": 5}
// Unknown keys are errors, so a typo does not pass silently.
common::Result<RoutingConfig> parseRoutingConfig(const nlohmann::json& j);

struct RouteLine {
  std::string line_id;
  std::string sku;
  int64_t quantity = 0;
};

struct RouteRequest {
  std::vector<RouteLine> lines;
  std::optional<GeoPoint> ship_to;
  std::string ship_to_country;  // used when ship_to is not given
  std::string pickup_location;  // non-empty: buy online, pick up there
};

// location -> sku -> units free to promise there.
using FreeStock = std::map<std::string, std::map<std::string, int64_t>>;

struct RouteAssignment {
  std::string line_id;
  std::string sku;
  std::string location;  // "" = nobody can take it now
  int64_t quantity = 0;
};

struct RoutePlan {
  std::vector<RouteAssignment> assignments;
  std::vector<std::string> notes;  // why, for a person
  int shipments = 0;
  double cost = 0;
};

// Candidates are the config's locations; with an empty config every location in `free` ships
// at cost 0.
RoutePlan planRoute(const RoutingConfig& config, const RouteRequest& request, const FreeStock& free);

}  // namespace sw::coordinator
