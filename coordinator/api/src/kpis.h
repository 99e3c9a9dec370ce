#pragma once
// GET /v1/kpis[?tolerance=N&window_h=H]: inventory accuracy, sync latency, error rates and price
// checks, from the ledger, ingest's counters and this API's own answers. Private to sw_api.

#include <httplib.h>

#include <atomic>
#include <cstdint>

#include "sw/common/clock.h"
#include "sw/coordinator/ingest/ingest.h"
#include "sw/coordinator/ledger/ledger.h"

namespace sw::coordinator {

// Counted by the server's logger: every request, and those answered 4xx (rejected).
struct HttpCounters {
  std::atomic<uint64_t> requests{0};
  std::atomic<uint64_t> rejected{0};
};

// ingest may be null (an API over a ledger alone).
void addKpiRoutes(httplib::Server& server, Ledger& ledger, IngestService* ingest, const common::Clock& clock,
                  HttpCounters& counters);

}  // namespace sw::coordinator
