#include "sw/loadgen/lag_histogram.h"

#include <algorithm>
#include <cmath>

namespace sw::loadgen {

namespace {
constexpr int64_t kFineEndMs = 10'000;      // 1 ms buckets below
constexpr int64_t kMidEndMs = 600'000;      // 100 ms buckets below
constexpr int64_t kCoarseEndMs = 36'000'000;  // 10 s buckets below
constexpr size_t kFine = kFineEndMs;
constexpr size_t kMid = (kMidEndMs - kFineEndMs) / 100;
constexpr size_t kCoarse = (kCoarseEndMs - kMidEndMs) / 10'000;
constexpr size_t kBuckets = kFine + kMid + kCoarse + 1;  // + overflow
}  // namespace

LagHistogram::LagHistogram() : buckets_(kBuckets, 0) {}

size_t LagHistogram::bucketOf(int64_t ms) {
  if (ms < kFineEndMs) return static_cast<size_t>(ms);
  if (ms < kMidEndMs) return kFine + static_cast<size_t>((ms - kFineEndMs) / 100);
  if (ms < kCoarseEndMs) return kFine + kMid + static_cast<size_t>((ms - kMidEndMs) / 10'000);
  return kBuckets - 1;
}

int64_t LagHistogram::upperEdgeMs(size_t b) {
  if (b < kFine) return static_cast<int64_t>(b);  // bucket b holds exactly b ms
  if (b < kFine + kMid) return kFineEndMs + static_cast<int64_t>(b - kFine + 1) * 100;
  if (b < kFine + kMid + kCoarse) return kMidEndMs + static_cast<int64_t>(b - kFine - kMid + 1) * 10'000;
  return -1;  // overflow: the caller answers the maximum
}

void LagHistogram::add(int64_t ms) {
  ms = std::max<int64_t>(0, ms);  // a clock that stepped back
  ++buckets_[bucketOf(ms)];
  ++count_;
  max_ms_ = std::max(max_ms_, ms);
}

void LagHistogram::merge(const LagHistogram& other) {
  for (size_t i = 0; i < kBuckets; ++i) buckets_[i] += other.buckets_[i];
  count_ += other.count_;
  max_ms_ = std::max(max_ms_, other.max_ms_);
}

void LagHistogram::clear() {
  std::fill(buckets_.begin(), buckets_.end(), 0);
  count_ = 0;
  max_ms_ = 0;
}

int64_t LagHistogram::percentileMs(double p) const {
  if (count_ == 0) return 0;
  const auto rank = std::max<uint64_t>(1, static_cast<uint64_t>(std::ceil(p / 100.0 * static_cast<double>(count_))));
  uint64_t seen = 0;
  for (size_t i = 0; i < kBuckets; ++i) {
    seen += buckets_[i];
    if (seen >= rank) {
      const int64_t edge = upperEdgeMs(i);
      return edge < 0 ? max_ms_ : std::min(edge, max_ms_);
    }
  }
  return max_ms_;
}

}  // namespace sw::loadgen
