#include "sw/loadgen/traffic.h"

#include <algorithm>
#include <cstdio>
#include <limits>

#include "sw/common/decimal.h"

namespace sw::loadgen {

namespace {

uint64_t splitmix64(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

// A number in [0, 1) fixed by (seed, device, salt).
double hash01(uint64_t seed, int64_t device, uint64_t salt) {
  const uint64_t h = splitmix64(splitmix64(seed ^ salt) ^ static_cast<uint64_t>(device));
  return static_cast<double>(h >> 11) * 0x1.0p-53;
}

}  // namespace

TrafficModel::TrafficModel(TrafficConfig config, int64_t devices)
    : config_(config), per_device_(devices > 0 ? config.sales_per_s / static_cast<double>(devices) : 0) {}

std::optional<TrafficModel::Spell> TrafficModel::offlineSpell(int64_t device) const {
  if (config_.offline_share <= 0 || config_.offline_s <= 0) return std::nullopt;
  if (hash01(config_.seed, device, 1) >= config_.offline_share) return std::nullopt;
  const int64_t span_ms = config_.offline_s * 1000;
  const auto from = config_.offline_at_s * 1000 + static_cast<int64_t>(hash01(config_.seed, device, 2) * span_ms);
  return Spell{from, from + span_ms};
}

bool TrafficModel::inOpening(int64_t store, int64_t t_ms) const {
  if (config_.day_s <= 0 || config_.opening_s <= 0) return false;
  const int64_t day_ms = config_.day_s * 1000;
  const int64_t shift = config_.opening_spread_s > 0
                            ? static_cast<int64_t>(hash01(config_.seed, store, 3) * config_.opening_spread_s * 1000)
                            : 0;
  int64_t into = (t_ms - shift) % day_ms;
  if (into < 0) into += day_ms;
  return into < config_.opening_s * 1000;
}

double TrafficModel::deviceRate(int64_t device, int64_t store, int64_t t_ms) const {
  double r = per_device_;
  if (inOpening(store, t_ms)) r *= config_.opening_factor;
  if (auto s = offlineSpell(device); s && t_ms >= s->from_ms && t_ms < s->until_ms) r *= config_.offline_rate_factor;
  return r;
}

int64_t TrafficModel::nextSale(int64_t device, int64_t store, int64_t t_ms, std::mt19937_64& rng) const {
  double factor = 1;
  if (config_.day_s > 0 && config_.opening_s > 0) factor = std::max(factor, config_.opening_factor);
  if (offlineSpell(device)) factor *= std::max(1.0, config_.offline_rate_factor);
  const double max_rate = per_device_ * factor;  // per second
  if (max_rate <= 0) return std::numeric_limits<int64_t>::max();
  std::exponential_distribution<double> gap(max_rate / 1000.0);  // per ms
  std::uniform_real_distribution<double> uni(0.0, 1.0);
  double t = static_cast<double>(t_ms);
  // Thinning: candidates at the highest rate, each kept with probability rate(t) / max_rate.
  // Rates are at least the base rate except inside a burst, so few candidates are refused.
  for (int i = 0; i < 100'000; ++i) {
    t += gap(rng);
    if (t >= 9.0e18) break;
    const auto at = static_cast<int64_t>(t);
    if (uni(rng) * max_rate < deviceRate(device, store, at)) return std::max(at, t_ms + 1);
  }
  return std::numeric_limits<int64_t>::max();
}

TrafficModel::Sale TrafficModel::makeSale(std::mt19937_64& rng) const {
  std::uniform_int_distribution<int64_t> sku(0, std::max<int64_t>(1, config_.skus) - 1);
  std::uniform_real_distribution<double> uni(0.0, 1.0);
  auto line = [&](int64_t qty) {
    const int64_t s = sku(rng);
    char id[24];
    std::snprintf(id, sizeof id, "SKU-%05lld", static_cast<long long>(s));
    // Shelf prices 0.99 .. 49.99, fixed per SKU.
    return common::Line{id, qty, common::Decimal::fromUnits((s % 50 + 1) * common::Decimal::kScale - 100)};
  };
  Sale out;
  if (uni(rng) < config_.return_share) {
    out.type = common::EventType::kReturn;
    out.lines.push_back(line(1));
    return out;
  }
  const double u = uni(rng);
  const int lines = u < 0.6 ? 1 : u < 0.9 ? 2 : 3;
  for (int i = 0; i < lines; ++i) out.lines.push_back(line(uni(rng) < 0.8 ? 1 : 2));
  return out;
}

}  // namespace sw::loadgen
