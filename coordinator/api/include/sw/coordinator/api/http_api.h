#pragma once
// The coordinator's HTTP API (cpp-httplib): one server, each subsystem's routes.h on it.
//   GET /v1/stock, /v1/events, /v1/anomalies, /v1/discrepancies, /v1/transfers   ledger/routes.h
//   GET /v1/devices, /v1/alerts; POST /v1/enroll                                   fleet/routes.h
//   GET /v1/quarantine?limit=N               refused messages and why             ingest/routes.h
//   POST /v1/catalog, /v1/prices, /v1/price-lists; GET /v1/catalog/{code}, /v1/catalog?q=, /v1/prices
//                                                                                  catalog/routes.h
//   POST /v1/channels/{c}/webhooks; GET /v1/orders, /v1/orders/{c}/{id}, /v1/tasks   orders/routes.h
//   GET /v1/available?sku=SKU; GET /v1/channels, /v1/channels/dead-letters; POST .../replay, .../reconcile
//                                                                                  channels/routes.h
//   GET /v1/settlements, /v1/settlements/{channel}/{payout_id}, POST .../{channel}/fetch   settlements/routes.h
//   GET /v1/wholesale/partners, .../{id}/unacknowledged, .../{id}/sent, .../{id}/available; /v1/wholesale/files
//                                                                                  wholesale/routes.h
//   GET /v1/kpis                             accuracy, latency, error rates, fulfilment, returns  src/kpis.h
//   GET /v1/kpis/history?series=&since_ms=&until_ms=   the KPI sampler's points    src/kpis.h
//   GET /v1/audit                            who changed what (admin)
//   POST /v1/admin/restore; GET /v1/admin/restore[/{id}]   restore while it runs (admin)  restore_desk.h
//   GET /v1/whoami                           the calling token's name, role and location
//   GET /metrics                             Prometheus text format
//   GET /healthz                             liveness (no token)
//   GET /                                    the web console (no token; it asks for one)
// Every other route needs "Authorization: Bearer <token>" (access.h, access_policy.h).

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "sw/common/clock.h"
#include "sw/common/http_limits.h"
#include "sw/common/metrics.h"
#include "sw/common/result.h"
#include "sw/coordinator/api/access.h"
#include "sw/coordinator/api/kpi_figures.h"
#include "sw/coordinator/api/kpi_sampler.h"
#include "sw/coordinator/api/kpi_series.h"
#include "sw/coordinator/api/restore_desk.h"
#include "sw/coordinator/catalog/catalog.h"
#include "sw/coordinator/channels/availability.h"
#include "sw/coordinator/channels/push_scheduler.h"
#include "sw/coordinator/downlink/downlink.h"
#include "sw/coordinator/fleet/exposure.h"
#include "sw/coordinator/ingest/ingest.h"
#include "sw/coordinator/ledger/ledger.h"
#include "sw/coordinator/orders/order_service.h"
#include "sw/coordinator/settlements/settlement_service.h"
#include "sw/coordinator/wholesale/wholesale_service.h"

namespace sw::coordinator {

struct CoordinatorHttpOptions {
  ExposureLimits limits;
  // Both set: HTTPS (PEM files); both empty: plain HTTP.
  std::string tls_cert_file;
  std::string tls_key_file;
  common::HttpServerLimits http;  // body limits, timeouts, workers (see common/http_server.h)
};


class Enrollment;

// The label /metrics gives a request's path (stockwire_http_requests_total{route=...}): the
// route's pattern ("/v1/orders/{channel}/{id}"), never the raw path; "other" for a path no route has.
std::string httpRouteLabel(const std::string& path);

class CoordinatorHttpApi {
 public:
  // Fails when the TLS files cannot be loaded.
  static common::Result<std::unique_ptr<CoordinatorHttpApi>> make(Ledger& ledger, IngestService* ingest,
                                                                    const common::Clock& clock, SqliteAccess& access,
                                                                    CoordinatorHttpOptions options = {});
  ~CoordinatorHttpApi();
  CoordinatorHttpApi(const CoordinatorHttpApi&) = delete;
  CoordinatorHttpApi& operator=(const CoordinatorHttpApi&) = delete;

  // Downlink figures in /metrics (optional; set before start()).
  void setDownlink(DownlinkService* downlink);
  // Available-to-sell and channel push routes (channels/routes.h; before start()). push is
  // null when no channel is enabled.
  void setChannels(Availability& availability, channels::PushScheduler* push);
  // Catalog and price routes (catalog/routes.h; optional; before start()). changed(locations)
  // is called after an import changed something (empty: every location).
  void setCatalog(SqliteCatalog& catalog, CatalogHttpConfig config,
                  std::function<void(const std::vector<std::string>&)> changed);

  // Order webhooks, orders and pick tasks (orders/routes.h; optional; before start()).
  void setOrders(OrderService& orders);

  // Wholesale partners, their sent and unacknowledged files and the received-file log
  // (wholesale/routes.h; optional; before start()).
  void setWholesale(wholesale::WholesaleService& wholesale);

  // Payouts fetched from the channels and matched to the order book (settlements/routes.h;
  // optional; before start()).
  void setSettlements(settlements::SettlementService& settlements);

  // More figures for GET /metrics from a subsystem (channels, orders): called on every scrape,
  // from an HTTP worker thread (optional; before start()).
  void addMetrics(std::function<void(common::PrometheusText&)> source);

  // POST /v1/enroll (fleet/routes.h; optional; before start()). It takes no bearer token:
  // the one-time enrollment token is its credential.
  void setEnrollment(Enrollment& enrollment);

  // POST /v1/admin/restore and its GETs (restore_desk.h; optional; before start()). The desk
  // outlives this server: serve builds a new one on the restored files.
  void setRestoreDesk(RestoreDesk& desk);

  // GET /v1/kpis/history from the KPI sampler's store (optional; before start(): without it the
  // route answers 404).
  void setKpiHistory(SqliteKpiSeries& history, KpiSamplerOptions options);
  // This server's request counters (the KPI sampler's HTTP error rates).
  const HttpCounters& httpCounters() const;
  // A part of GET /v1/stream (api/live_stream.h): its fingerprint changes when it does. The
  // ledger, devices, channels and orders parts are added by the setters above; serve adds "kpis".
  void addLivePart(const std::string& name, std::function<uint64_t()> version);

  common::Status start(const std::string& host, int port);
  void stop();
  int port() const;

 private:
  CoordinatorHttpApi() = default;
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace sw::coordinator
