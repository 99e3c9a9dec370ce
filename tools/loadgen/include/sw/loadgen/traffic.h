#pragma once
// The load generator's store traffic: when each simulated device sells, what, and when it is
// offline. Pure functions of the configuration, the device and a random generator, so a test can
// check the shape without a broker.
//
// - A steady fleet-wide rate (sales_per_s), spread evenly over the devices, each a Poisson process.
// - Opening-hour bursts: the run is cut into trading days of day_s seconds; in the first
//   opening_s of each day a store sells at opening_factor times the base rate. Stores' days start
//   spread over opening_spread_s (stores in several time zones open one after another).
// - Offline spells: a share of the devices (chosen by the seed) lose their connection once, at
//   some moment in [offline_at_s, offline_at_s + offline_s), for offline_s seconds, and keep
//   selling meanwhile, at offline_rate_factor times their rate: a spell of minutes can hold the
//   backlog of hours. Then they reconnect and catch up.

#include <cstdint>
#include <optional>
#include <random>
#include <vector>

#include "sw/common/event.h"

namespace sw::loadgen {

struct TrafficConfig {
  double sales_per_s = 50;         // fleet-wide, outside opening bursts
  double return_share = 0.02;      // share of events that are returns (one unit back) instead of sales
  int64_t skus = 5000;
  int64_t day_s = 0;               // 0: no daily profile (a steady rate)
  int64_t opening_s = 0;
  double opening_factor = 1;
  int64_t opening_spread_s = 0;
  double offline_share = 0;
  int64_t offline_at_s = 10;
  int64_t offline_s = 30;
  double offline_rate_factor = 1;
  uint64_t seed = 1;
};

class TrafficModel {
 public:
  TrafficModel(TrafficConfig config, int64_t devices);
  const TrafficConfig& config() const { return config_; }

  struct Spell {
    int64_t from_ms;
    int64_t until_ms;
  };
  // Device d's offline spell (ms into the run), if it has one.
  std::optional<Spell> offlineSpell(int64_t device) const;
  bool inOpening(int64_t store, int64_t t_ms) const;
  // Sales per second of device d (of `store`) t ms into the run.
  double deviceRate(int64_t device, int64_t store, int64_t t_ms) const;
  // The next sale of device d after t_ms (ms into the run), drawn by thinning a Poisson process
  // at the highest rate the device can have; INT64_MAX if it never sells.
  int64_t nextSale(int64_t device, int64_t store, int64_t t_ms, std::mt19937_64& rng) const;

  struct Sale {
    common::EventType type = common::EventType::kSale;
    std::vector<common::Line> lines;
  };
  // A till's sale: one to three lines of SKU-00000.. with their shelf price, one or two units
  // each; or, return_share of the time, one unit of one SKU taken back.
  Sale makeSale(std::mt19937_64& rng) const;

 private:
  TrafficConfig config_;
  double per_device_;  // sales/s of one device outside bursts
};

}  // namespace sw::loadgen
