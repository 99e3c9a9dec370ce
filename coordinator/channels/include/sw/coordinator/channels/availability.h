#pragma once
// Available to sell: what each online channel may offer of a SKU now.
//
//   ats = clamp(0, cap, floor(percent/100 × (on_hand − reserved − safety − exposure)))
//
// on_hand   the ledger's on-hand summed over the locations that serve the channel
// reserved  units held by open orders (ReservationView) at those locations, plus the units
//           not yet routed to any location ("" key), because they will be taken from somewhere
// safety    the channel's (or the SKU's) safety stock plus each serving location's own
// exposure  the offline-exposure buffer: sales that offline tills have probably made and not yet
//           sent. For each offline device at a serving location:
//             offline_s × rate(location, sku)
//           where rate = units sold (ledger movements of kind 'sale', by corrected time) at that
//           location in the `sales_window_s` seconds before the device was last heard from,
//           divided by the window. The whole location's rate is charged to each offline device,
//           which over-estimates when a store has several tills: the error is on the side of not
//           overselling. The sum is rounded up. A device offline longer than
//           `max_exposure_s` is charged for max_exposure_s only (it is an alert by then, see
//           /v1/alerts, and a buffer growing without bound would hide the SKU everywhere).
// percent   the share of what is left that the channel is offered (100 = all), then `cap`.
//
// Rules come from the "channels" JSON config (see parseAvailabilityConfig) and are resolved
// most specific first: SKU rule of the channel, then the channel's rule, then the file's defaults.
// Per location: safety stock kept back at that location for walk-in customers, and whether the
// location serves the channel at all.
//
// Threads: availableToSell()/explain() may be called from any thread (ledger reads and the
// sales-rate reader are thread-safe; the config is immutable after construction).

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "sw/common/clock.h"
#include "sw/common/result.h"
#include "sw/common/sqlite.h"
#include "sw/coordinator/ledger/ledger.h"

namespace sw::coordinator {

class ReservationView {  // implemented by the orders code in orders/order_book.h; consumed here
 public:
  virtual ~ReservationView() = default;
  // Units held by open orders (not yet shipped or released) for this SKU, per location ("" = not yet routed).
  virtual std::map<std::string, int64_t> reservedByLocation(const std::string& sku) = 0;
};

// No reservations at all: what the coordinator uses until order intake provides a real view.
class NoReservations final : public ReservationView {
 public:
  std::map<std::string, int64_t> reservedByLocation(const std::string&) override { return {}; }
};

// One level of rules; unset fields fall through to the next, less specific level.
struct AtsRule {
  std::optional<int64_t> safety_stock;
  std::optional<double> percent;  // 0..100
  std::optional<int64_t> cap;     // most units ever offered
};

struct LocationRule {
  bool serves = true;            // false: this location's stock is not offered on the channel
  int64_t safety_stock = 0;      // units kept back at this location, for every SKU
  std::map<std::string, int64_t> sku_safety_stock;  // per SKU at this location, instead of safety_stock
};

struct ChannelAtsConfig {
  std::string channel;
  // Locations whose stock the channel may sell; empty = every location the ledger knows.
  std::vector<std::string> locations;
  AtsRule rule;
  std::map<std::string, AtsRule> sku_rules;
  std::map<std::string, LocationRule> location_rules;
};

struct AvailabilityConfig {
  AtsRule defaults{0, 100.0, std::nullopt};
  int64_t sales_window_s = 3600;
  int64_t max_exposure_s = 24 * 3600;
  std::map<std::string, ChannelAtsConfig> channels;  // by channel name
};

// Reads the rules from the channels config file:
//   {"defaults": {"safety_stock": 0, "percent": 100, "cap": null},
//    "exposure": {"sales_window_s": 3600, "max_exposure_s": 86400},
//    "channels": {"shopify": {"locations": ["store-1", "wh-1"], "safety_stock": 1, "percent": 80, "cap": 50,
//                             "skus": {"SKU-1": {"safety_stock": 3, "cap": 5}},
//                             "location_rules": {"store-1": {"safety_stock": 2, "skus": {"SKU-1": 4}},
//                                                "wh-2": {"serves": false}},
//                             "connector": {...}, "push": {...}}}}
// Keys "connector" and "push" of a channel belong to the connector and the push scheduler and
// are skipped here. Unknown keys are errors.
common::Result<AvailabilityConfig> parseAvailabilityConfig(const nlohmann::json& config);

struct ExposureTerm {
  std::string device_id;
  std::string location;
  int64_t offline_s = 0;          // counted (after max_exposure_s)
  int64_t units_sold_in_window = 0;
  double rate_per_hour = 0;
  double units = 0;               // offline_s × rate, before rounding the total up
};

// ATS with every term, so a person can see why.
struct AtsBreakdown {
  std::string channel;
  std::string sku;
  std::map<std::string, int64_t> on_hand_by_location;  // serving locations that hold a row for the SKU
  int64_t on_hand = 0;
  std::map<std::string, int64_t> reserved_by_location;  // counted reservations ("" = unrouted)
  int64_t reserved = 0;
  int64_t safety_stock = 0;
  std::vector<ExposureTerm> exposure_terms;
  int64_t exposure_buffer = 0;
  int64_t net = 0;  // on_hand − reserved − safety − exposure (may be negative)
  double percent = 100;
  std::optional<int64_t> cap;
  int64_t available = 0;
};
nlohmann::json toJson(const AtsBreakdown& b);

class Availability {
 public:
  Availability(Ledger& ledger, SalesHistory& sales, ReservationView& reservations, AvailabilityConfig config,
               const common::Clock& clock);

  // What channel `channel` ("shopify", "amazon", "ebay", "woocommerce") may offer of sku now.
  common::Result<int64_t> availableToSell(const std::string& channel, const std::string& sku);
  // The same with every term. Reject "unknown_channel" for a channel not in the config.
  common::Result<AtsBreakdown> explain(const std::string& channel, const std::string& sku);

  std::vector<std::string> channels() const;
  const AvailabilityConfig& config() const { return config_; }

 private:
  bool serves(const ChannelAtsConfig& ch, const std::string& location) const;

  Ledger& ledger_;
  SalesHistory& sales_;
  ReservationView& reservations_;
  const AvailabilityConfig config_;
  const common::Clock& clock_;
};

}  // namespace sw::coordinator
