#pragma once
// Reads figures back from a coordinator's GET /metrics (Prometheus text format, as
// common::PrometheusText writes it), for the load generator's and the fleet benchmark's reports.
// Outside input: a line that does not parse is skipped; a histogram whose buckets are missing,
// not ascending or not cumulative is a reject error, never a wrong figure.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sw/common/result.h"

namespace sw::loadgen {

// The value of an unlabelled sample `name` (a counter or gauge), if the page has one.
std::optional<double> metricValue(std::string_view page, std::string_view name);

// A histogram's cumulative buckets (upper bounds in seconds, the last +Inf) and its sum.
struct PromHistogram {
  std::vector<double> le;           // ascending; +Inf last
  std::vector<uint64_t> cumulative;  // same length, not decreasing
  double sum = 0;
  uint64_t count() const { return cumulative.empty() ? 0 : cumulative.back(); }
  // Observations made between `earlier` and this reading of the same histogram.
  common::Result<PromHistogram> since(const PromHistogram& earlier) const;
  // The q-quantile (0..1) in seconds, interpolated linearly inside its bucket as Prometheus's
  // histogram_quantile does; the last finite bound when it falls in +Inf; 0 when empty.
  double quantile(double q) const;
  // Share (0..1) of the observations at or under `le_s`, which must be one of the bounds.
  std::optional<double> shareAtMost(double le_s) const;
};

// The unlabelled histogram `name` (its name_bucket{le="..."} and name_sum samples).
common::Result<PromHistogram> readHistogram(std::string_view page, std::string_view name);

}  // namespace sw::loadgen
