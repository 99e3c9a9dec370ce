#pragma once
// The KPI sampler: one thread (started and stopped by `serve`, like every other service) that
// every --kpi-sample-ms writes one point per series into the KPI history (kpi_series.h) and
// deletes what is older than --kpi-retention-h. coordinator/README.md "KPIs" lists the series.
//
// "Since the last sample" figures (latencies, sales, error counts) cover the events applied, the
// answers received and the requests served between two samples: the ledger's by their applied
// time in (previous sample, this sample], the process counters (ingest, channels, HTTP) as the
// difference from the previous sample (the first one after start: from start()).

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "sw/common/clock.h"
#include "sw/common/result.h"
#include "sw/coordinator/api/kpi_figures.h"
#include "sw/coordinator/api/kpi_series.h"
#include "sw/coordinator/channels/push_scheduler.h"
#include "sw/coordinator/ingest/ingest.h"
#include "sw/coordinator/ledger/ledger.h"
#include "sw/coordinator/orders/order_book.h"

namespace sw::coordinator {

struct KpiSamplerOptions {
  int64_t interval_ms = 60'000;
  int64_t retention_h = 744;  // 31 days
};

// Where the figures come from; only the ledger is required.
struct KpiSources {
  Ledger* ledger = nullptr;
  IngestService* ingest = nullptr;
  channels::PushScheduler* push = nullptr;
  OrderBook* orders = nullptr;
  RevenueBook* revenue = nullptr;  // the return rate from the revenue lines (kpi_figures.h)
  const HttpCounters* http = nullptr;
};

// The trailing window of the return rate, in the history as in GET /v1/kpis by default.
inline constexpr int64_t kReturnRateWindowMs = 24 * 3'600'000;

class KpiSampler {
 public:
  KpiSampler(KpiSources sources, SqliteKpiSeries& store, const common::Clock& clock, KpiSamplerOptions options);
  ~KpiSampler();
  KpiSampler(const KpiSampler&) = delete;
  KpiSampler& operator=(const KpiSampler&) = delete;

  // Takes the counters' baseline and starts the thread; stop() joins it.
  void start();
  void stop();
  // One sample now, on the caller's thread (the thread's step; tests call it directly).
  common::Status sampleOnce();
  // The values one sample would write at now_ms (advances the baselines).
  common::Result<std::vector<KpiValue>> collect(int64_t now_ms);

  const KpiSamplerOptions& options() const { return options_; }
  // Samples written since start (the console's live stream re-reads the charts when it moves).
  uint64_t samples() const { return samples_.load(); }

 private:
  struct Counters {
    uint64_t messages = 0, quarantined = 0;
    uint64_t requests = 0, rejected = 0, failed = 0;
    std::map<std::string, int64_t> retried, dead_lettered;  // by channel
  };
  Counters readCounters() const;
  void run();

  KpiSources sources_;
  SqliteKpiSeries& store_;
  const common::Clock& clock_;
  const KpiSamplerOptions options_;
  Counters last_;
  int64_t last_at_ms_ = 0;  // the previous sample (or the newest point in the store at start)
  std::mutex run_mu_;        // one sample at a time
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::thread thread_;
  std::atomic<uint64_t> samples_{0};
};

}  // namespace sw::coordinator
