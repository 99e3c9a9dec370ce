#pragma once
// GET /v1/kpis[?tolerance=N&window_h=H]: inventory accuracy, sync latency, error rates, price
// checks, fulfilment accuracy and return rate, from the ledger, the order book, ingest's counters
// and this API's own answers (the figures: api/kpi_figures.h, shared with the KPI sampler).
// GET /v1/kpis/history[?series=a,b&since_ms=&until_ms=]: the sampler's points (api/kpi_series.h).
// Private to sw_api.

#include <httplib.h>

#include <cstdint>

#include <nlohmann/json.hpp>

#include "sw/common/clock.h"
#include "sw/coordinator/api/kpi_figures.h"
#include "sw/coordinator/api/kpi_sampler.h"
#include "sw/coordinator/api/kpi_series.h"
#include "sw/coordinator/ingest/ingest.h"
#include "sw/coordinator/ledger/ledger.h"
#include "sw/coordinator/orders/order_book.h"

namespace sw::coordinator {

// What the routes read besides the ledger, set before the server starts (null: not there).
struct KpiRouteExtras {
  OrderBook* orders = nullptr;
  RevenueBook* revenue = nullptr;  // the return rate from the sales report's figures (kpi_figures.h)
  SqliteKpiSeries* history = nullptr;
  KpiSamplerOptions history_options;
};

// The fulfilment_accuracy and return_rate objects of GET /v1/kpis (also in GET /v1/reports/sales).
nlohmann::json fulfilmentAccuracyJson(const FulfilmentAccuracy& f);
nlohmann::json returnRateJson(const ReturnRate& r, int64_t window_h);

// ingest may be null (an API over a ledger alone). extras is read at each request.
void addKpiRoutes(httplib::Server& server, Ledger& ledger, IngestService* ingest, const common::Clock& clock,
                  const HttpCounters& counters, const KpiRouteExtras& extras);

}  // namespace sw::coordinator
