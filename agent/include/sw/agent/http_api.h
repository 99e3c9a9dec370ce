#pragma once
// The agent's local HTTP API for POS front-ends (listens on localhost only by default).
//   POST /v1/sales, /v1/returns, /v1/voids, /v1/movements  -> 201 {"event_id","seq",...} once durable
//   GET  /v1/status                                        -> device, sync and offline exposure
//   GET  /v1/events/{seq}                                  -> one stored event
//   GET  /v1/stock/{sku}                                   -> local stock estimate per location
//   GET  /v1/tasks, POST /v1/tasks/{id}/confirm            -> pick tasks sent down, and their picks (tasks.h)
//   GET  /v1/items/{sku-or-gtin}                           -> item, price now, local stock (catalog.h); 404 not_found
//   POST /v1/scale/read, /v1/drawer/open, GET /v1/receipts, POST /v1/receipts/{id}/print,
//   GET  /v1/scans, /v1/devices                            -> the till's serial devices (devices.h)
// Runs cpp-httplib's server on its own bounded pool (start/stop).
//
// Only this machine may use it, and no web page it opens: start() refuses an address that is not
// loopback; every request needs a Host naming the loopback address or localhost with the bound
// port (421 otherwise: DNS rebinding), a browser's Origin must be that same address (403: CSRF),
// a POST must say Content-Type: application/json (415: no form or text/plain POST from a page),
// and with setApiToken() every request needs Authorization: Bearer <token> (401).

#include <memory>
#include <string>

#include "sw/agent/cert_renewal.h"
#include "sw/agent/devices.h"
#include "sw/agent/downlink.h"
#include "sw/agent/store.h"
#include "sw/agent/sync.h"
#include "sw/common/clock.h"
#include "sw/common/result.h"

namespace sw::agent {

// Limits an operator configures; crossing them raises an alert in /v1/status and on the state topic.
struct ExposureLimits {
  int64_t max_offline_s = 24 * 3600;
  uint64_t max_queue_depth = 200'000;
  int64_t min_disk_free_bytes = 256LL * 1024 * 1024;
};

class AgentHttpApi {
 public:
  AgentHttpApi(Store& store, SyncLoop* sync, const common::Clock& clock, ExposureLimits limits = {});
  ~AgentHttpApi();
  AgentHttpApi(const AgentHttpApi&) = delete;
  AgentHttpApi& operator=(const AgentHttpApi&) = delete;

  // Downlink state shown in /v1/status (optional; set before start()).
  void setDownlink(DownlinkClient* downlink);
  // The till's devices: adds their routes, and each recorded sale or return wakes the receipt
  // queue (set before start()).
  void setDevices(Devices* devices);
  // GET /v1/certificate {serial, not_after_ms, renewals, last_error} and
  // POST /v1/certificate/renew (202: asks for a new certificate now); set before start().
  void setCertRenewer(CertRenewer* renewer);

  // Every request must then carry "Authorization: Bearer <token>" (before start()).
  void setApiToken(std::string token);

  // Binds host:port (port 0 = any free port) and serves on a background thread. host must be a
  // loopback address (127.0.0.0/8, ::1) or localhost.
  common::Status start(const std::string& host, int port);
  void stop();
  int port() const;

  // The /v1/status document, also used by the state topic.
  std::string statusJson();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace sw::agent
