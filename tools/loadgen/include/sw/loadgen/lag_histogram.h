#pragma once
// Lags in milliseconds, counted in buckets fine enough for exact-looking percentiles and a fixed
// size whatever the run's length: 1 ms wide up to 10 s, 100 ms wide up to 10 minutes, then
// 10 s wide up to 10 hours (a device back from a long offline spell), then one overflow bucket.
// Not thread-safe: each Fleet worker keeps its own and they are merged for the report.

#include <cstddef>
#include <cstdint>
#include <vector>

namespace sw::loadgen {

class LagHistogram {
 public:
  LagHistogram();
  void add(int64_t ms);
  void merge(const LagHistogram& other);
  void clear();
  uint64_t count() const { return count_; }
  int64_t maxMs() const { return max_ms_; }
  // Nearest-rank percentile (0-100): the upper edge of the bucket that holds it; 0 when empty.
  int64_t percentileMs(double p) const;

 private:
  static size_t bucketOf(int64_t ms);
  static int64_t upperEdgeMs(size_t bucket);
  std::vector<uint64_t> buckets_;
  uint64_t count_ = 0;
  int64_t max_ms_ = 0;
};

}  // namespace sw::loadgen
