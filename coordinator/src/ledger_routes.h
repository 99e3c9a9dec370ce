#pragma once
// HTTP routes that explain the ledger (see ledger_reports.cpp):
//   GET /v1/discrepancies[?location=&sku=&all=1&tolerance=N]  latest count vs expected, with the
//                                                            movements between the counts; and
//                                                            transfers received short or over
//   GET /v1/transfers[?location=&sku=&open=1]                shipments, in transit or received
//   GET /v1/kpis[?tolerance=N&window_h=H]                    accuracy, sync latency, error rates
//   GET /v1/events?sku=SKU&location=LOC[&after=N&limit=M]    one figure's movement log, paged
// The HTTP layer counts the 4xx answers it gives (rejected requests) for /v1/kpis.

#include <httplib.h>

#include <atomic>
#include <cstdint>

#include "sw/common/clock.h"
#include "sw/coordinator/ingest.h"
#include "sw/coordinator/ledger.h"

namespace sw::coordinator {

struct HttpCounters {
  std::atomic<uint64_t> requests{0};
  std::atomic<uint64_t> rejected{0};  // answered 4xx
};

void addLedgerRoutes(httplib::Server& server, SqliteLedger& ledger, IngestService* ingest,
                     const common::Clock& clock, HttpCounters& counters);

// GET /v1/events?sku=&location= (the device form stays in http_api.cpp).
void eventsForKey(SqliteLedger& ledger, const httplib::Request& req, httplib::Response& res);

}  // namespace sw::coordinator
