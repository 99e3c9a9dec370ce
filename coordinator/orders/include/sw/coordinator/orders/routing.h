#pragma once
// Order routing: which store or warehouse ships each line of an online order.
//
// Inputs: per location the free units of each SKU (ledger on-hand minus what orders already
// hold there), the location's coordinates, costs, safety stock and daily capacity from the
// locations config, and where the parcel goes (the customer's point from the order's postal code,
// region or country: postal_points.h locateShipTo; else the centroid of the ship-to country).
//
// What a location may ship: its free units less its safety_stock per SKU, and only while it has
// shipped fewer than daily_capacity parcels today (pick slots; 0 = no limit).
//
// Rules:
//   1. Buy online, pick up in store: every line goes to the chosen store (cost: its pickup_cost);
//      what it lacks stays unrouted (the router does not send a parcel from elsewhere for a pickup).
//   2. Otherwise the cheapest of: every single location that can ship the whole order, and every
//      pair of locations that can ship it between them (split_penalty added). Ties: fewer
//      shipments, then the location names. The plan lists the options it weighed with their costs.
//   3. If no single location or pair can, fewest splits greedily: take the location that covers
//      the most of what is still open (ties: the cheaper), assign, repeat. What nobody has stays
//      unrouted.
// Cost of a shipment from L of w kg over d km (great circle to the ship-to point; 0 km when it is
// unknown) = L.cost + (L has a rate table ? its price for (d, w) : L.cost_per_km × d). A rate table
// is what carriers publish: price per distance band (or zone) and weight tier. A unit's weight is
// the line's (the catalog's weight_kg, filled in by the order service), else "weights_kg" in the
// config, else default_weight_kg.
//
// Pure: no I/O, no clock; unit-tested in tests/unit/coordinator/orders/routing_test.cpp.

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "sw/common/result.h"

namespace sw::coordinator {

class PostalPoints;  // postal_points.h

struct GeoPoint {
  double lat = 0;
  double lon = 0;
};
double distanceKm(const GeoPoint& a, const GeoPoint& b);

// A carrier's price list for one location: price[i][j] for distances up to km[i] and weights up
// to kg[j] (both ascending). Farther than the last band: the last band's price; heavier than the
// last tier: its price plus extra_per_kg for each kg over it.
struct RateTable {
  std::vector<double> km;
  std::vector<double> kg;
  std::vector<std::vector<double>> price;
  double extra_per_kg = 0;
  double priceFor(double distance_km, double weight_kg) const;
};

struct RoutingLocation {
  std::string name;
  std::optional<GeoPoint> point;
  double cost = 0;         // per shipment (handling), in any one unit used consistently
  double cost_per_km = 0;  // carriage, when there is no rate table
  std::optional<RateTable> rates;
  bool ships = true;       // false: pickup only (never ships parcels)
  bool pickup = false;     // customers can collect orders here
  double pickup_cost = 0;  // handling of a pickup order here
  int64_t safety_stock = 0;    // units of each SKU never promised to an order from here
  int64_t daily_capacity = 0;  // parcels it can pick and ship a day; 0 = no limit
};

struct RoutingConfig {
  std::map<std::string, RoutingLocation> locations;
  std::map<std::string, GeoPoint> countries;  // ISO alpha-2 -> centroid (defaults for a few, see .cpp)
  double split_penalty = 5.0;
  std::map<std::string, double> weights_kg;  // SKU -> shipping weight of one unit
  double default_weight_kg = 1.0;
  double weightOf(const std::string& sku) const;
  // "postal_codes": the postal-code data file (postal_points.h), as written in the config;
  // makeOrderService loads it into `postal` (relative paths: from the config file's folder).
  // Without one, customers are placed by their country's centroid.
  std::string postal_codes_path;
  std::shared_ptr<const PostalPoints> postal;
};

// {"locations": {"wh-1": {"lat": 52.5, "lon": 13.4, "cost": 2.0, "cost_per_km": 0.001, "ships": true,
//                         "pickup": false, "pickup_cost": 0.5, "safety_stock": 1, "daily_capacity": 400,
//                         "rates": {"km": [150, 600, 1800], "kg": [1, 5, 20],
//                                   "price": [[4, 5, 8], [6, 7, 11], [8, 10, 16]], "extra_per_kg": 0.6}}, ...},
//  "countries": {"DE": [51.2, 10.4], ...}, "split_penalty": 5,
//  "weights_kg": {"SKU-1": 0.4}, "default_weight_kg": 1,
//  "postal_codes": "us_postal_codes.csv.gz"}
// Every key but lat/lon is optional; a location without "rates" costs cost + cost_per_km × km.
// Unknown keys are errors, so a typo does not pass silently.
common::Result<RoutingConfig> parseRoutingConfig(const nlohmann::json& j);

struct RouteLine {
  std::string line_id;
  std::string sku;
  int64_t quantity = 0;
  double weight_kg = -1;  // of one unit, from the catalog; < 0: the config's weights_kg / default_weight_kg
};

struct RouteRequest {
  std::vector<RouteLine> lines;
  std::optional<GeoPoint> ship_to;
  std::string ship_to_source;   // how ship_to was found ("postal", "region", "country"), for the plan
  std::string ship_to_country;  // used when ship_to is not given
  std::string pickup_location;  // non-empty: buy online, pick up there
  std::map<std::string, int64_t> shipped_today;  // location -> parcels already given to it today
};

// location -> sku -> units free to promise there.
using FreeStock = std::map<std::string, std::map<std::string, int64_t>>;

struct RouteAssignment {
  std::string line_id;
  std::string sku;
  std::string location;  // "" = nobody can take it now
  int64_t quantity = 0;
};

// One way of filling the order the router weighed.
struct RouteOption {
  std::string kind;                    // "single", "split", "pickup"
  std::vector<std::string> locations;  // the shipments, in the order they are assigned
  double cost = 0;                     // total, split penalties included
  bool chosen = false;
};

struct RoutePlan {
  std::vector<RouteAssignment> assignments;
  std::vector<std::string> notes;  // why, for a person
  int shipments = 0;
  double cost = 0;
  std::optional<GeoPoint> ship_to;  // the point distances were measured to
  std::string ship_to_source;       // "postal", "region", "country" or "none"
  std::vector<RouteOption> options;  // cheapest first, at most kMaxOptions; the chosen one among them
  size_t options_weighed = 0;        // how many there were
  static constexpr size_t kMaxOptions = 8;
};

nlohmann::json toJson(const RoutePlan& plan);

// Candidates are the config's locations; with an empty config every location in `free` ships
// at cost 0. Never assigns a location more units of a SKU than `free` less its safety stock.
RoutePlan planRoute(const RoutingConfig& config, const RouteRequest& request, const FreeStock& free);

}  // namespace sw::coordinator
