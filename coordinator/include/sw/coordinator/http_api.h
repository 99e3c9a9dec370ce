#pragma once
// The coordinator's HTTP API (cpp-httplib):
//   GET /v1/stock?sku=SKU | ?location=LOC   on-hand per location and SKU
//   GET /v1/devices                          each device's sync state, offline exposure and alerts
//   GET /v1/alerts                           devices close to or past an exposure limit
//   GET /v1/events?device=ID&from_seq=N      a device's applied events, paged (next_from_seq)
//   GET /v1/quarantine?limit=N               refused messages and why
//   GET /metrics                             Prometheus text format
//   GET /healthz                             liveness
//   GET /                                    the web console

#include <memory>
#include <string>

#include "sw/common/clock.h"
#include "sw/common/result.h"
#include "sw/coordinator/downlink.h"
#include "sw/coordinator/exposure.h"
#include "sw/coordinator/ingest.h"
#include "sw/coordinator/ledger.h"

namespace sw::coordinator {

class CoordinatorHttpApi {
 public:
  CoordinatorHttpApi(SqliteLedger& ledger, IngestService* ingest, const common::Clock& clock,
                     ExposureLimits limits = {});
  ~CoordinatorHttpApi();
  CoordinatorHttpApi(const CoordinatorHttpApi&) = delete;
  CoordinatorHttpApi& operator=(const CoordinatorHttpApi&) = delete;

  // Downlink figures in /metrics (optional; set before start()).
  void setDownlink(DownlinkService* downlink);

  common::Status start(const std::string& host, int port);
  void stop();
  int port() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace sw::coordinator
