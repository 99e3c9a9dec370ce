#pragma once
// The KPI history: a bounded time series in the ledger file (component "kpi_history"), written
// by the KPI sampler (kpi_sampler.h) and read by GET /v1/kpis/history.
//   kpi_series(id) PK, (name, labels) UNIQUE   unit, target (NULL: none); labels as sorted JSON
//   kpi_points(series, at_ms) PK               value
// Bounded: each append deletes every point older than the retention it is given, and the series
// left without points.
//
// Threads: every method may be called from any thread (one mutex around its own connection).

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "sw/common/build_info.h"
#include "sw/common/result.h"
#include "sw/common/sqlite.h"

namespace sw::coordinator {

using KpiLabels = std::map<std::string, std::string>;

// One series' value in one sample.
struct KpiValue {
  std::string name;   // e.g. "sync_latency_p99_ms"
  std::string unit;   // "ms", "%", "count", "units", "s", ...
  KpiLabels labels;   // e.g. {"channel": "shopify"}; empty for fleet-wide figures
  std::optional<double> target;
  double value = 0;
};

struct KpiSeries {
  std::string name;
  std::string unit;
  KpiLabels labels;
  std::optional<double> target;
  std::vector<std::pair<int64_t, double>> points;  // (at_ms, value), oldest first
};

class SqliteKpiSeries {
 public:
  // A query may return at most this many points in all (more: reject "too_many_points").
  static constexpr int64_t kMaxPoints = 200'000;

  static common::Result<std::unique_ptr<SqliteKpiSeries>> open(const std::string& path);
  // The schema version open() brings its tables to (for --version).
  static common::SchemaVersion schemaVersion();
  // The steps of its schema, in order: step i takes version i to i+1 (tests build a file of each
  // earlier version from them).
  static const std::vector<std::string>& schemaSteps();

  // One sample: a point per value at at_ms (a second one at the same at_ms replaces it), then
  // every point before delete_before_ms removed; one transaction.
  common::Status append(int64_t at_ms, const std::vector<KpiValue>& values, int64_t delete_before_ms);
  // Series named in `names` (empty: every series), each with its points in [since_ms, until_ms];
  // series with no point there are left out. Ordered by name, then labels.
  common::Result<std::vector<KpiSeries>> query(const std::vector<std::string>& names, int64_t since_ms,
                                               int64_t until_ms);
  // The time of the newest point (nullopt: none).
  common::Result<std::optional<int64_t>> lastSampleAt();
  common::Result<int64_t> pointCount();

 private:
  explicit SqliteKpiSeries(common::SqliteDb db) : db_(std::move(db)) {}
  std::mutex mu_;
  common::SqliteDb db_;
};

}  // namespace sw::coordinator
