#include "kpis.h"

#include <nlohmann/json.hpp>

#include <cmath>
#include <cstdlib>

#include "sw/common/http_json.h"
#include "sw/common/http_server.h"

namespace sw::coordinator {
namespace {

using nlohmann::json;
using common::sendJson;

// The industry's mark for inventory record accuracy (share of counted SKU-locations whose
// record matched the count within tolerance).
constexpr double kAccuracyTargetPct = 98.0;

double percentile(const std::vector<int64_t>& sorted, double p) {
  if (sorted.empty()) return 0;
  size_t i = static_cast<size_t>(std::ceil(p / 100.0 * static_cast<double>(sorted.size()))) - 1;
  return static_cast<double>(sorted[std::min(i, sorted.size() - 1)]);
}

void kpis(Ledger& ledger, IngestService* ingest, const common::Clock& clock, const HttpCounters& counters,
          const httplib::Request& req, httplib::Response& res) {
  auto tolerance = common::queryInt(req, "tolerance", 0, 0, 1'000'000);
  auto window_h = common::queryInt(req, "window_h", 24, 0, 24 * 366);
  if (!tolerance) return common::sendError(res, tolerance.error());
  if (!window_h) return common::sendError(res, window_h.error());
  auto counts = ledger.countDiscrepancies("", "", 0);
  if (!counts) return common::sendError(res, counts.error());
  int64_t within = 0;
  for (const CountDiscrepancy& d : *counts) within += std::llabs(d.difference()) <= *tolerance ? 1 : 0;
  json accuracy = {{"counted_sku_locations", counts->size()},
                   {"within_tolerance", within},
                   {"tolerance_units", *tolerance},
                   {"target_pct", kAccuracyTargetPct}};
  if (!counts->empty()) {
    double pct = 100.0 * static_cast<double>(within) / static_cast<double>(counts->size());
    accuracy["accuracy_pct"] = pct;
    accuracy["meets_target"] = pct >= kAccuracyTargetPct;
  } else {
    accuracy["accuracy_pct"] = nullptr;
  }
  // Occurred (device time corrected by its reported clock offset) to applied in the ledger.
  const int64_t kMaxSample = 100'000;
  auto lat = ledger.syncLatencies(clock.nowMs() - *window_h * 3'600'000, kMaxSample);
  if (!lat) return common::sendError(res, lat.error());
  json latency = {{"events", lat->size()}, {"window_h", *window_h}, {"sample_limit", kMaxSample}};
  if (!lat->empty()) {
    latency["p50_ms"] = percentile(*lat, 50);
    latency["p99_ms"] = percentile(*lat, 99);
    latency["max_ms"] = lat->back();
  }
  auto quarantined = ledger.countRows("quarantine");
  auto applied = ledger.countRows("events");
  if (!quarantined || !applied) return common::sendError(res, quarantined ? applied.error() : quarantined.error());
  json errors = {{"quarantined_messages", *quarantined}, {"applied_events", *applied}};
  if (ingest) {
    const IngestStats& s = ingest->stats();
    const uint64_t messages = s.messages.load(), quarantined_now = s.quarantined.load();
    errors["messages_received"] = messages;
    errors["quarantined_since_start"] = quarantined_now;
    errors["quarantine_rate"] =
        messages ? static_cast<double>(quarantined_now) / static_cast<double>(messages) : 0.0;
  }
  // Rejected requests: this API's own 4xx answers, and what each device reports of its local API.
  uint64_t reqs = counters.requests.load(), rejected = counters.rejected.load();
  errors["http_requests"] = reqs;
  errors["http_rejected"] = rejected;
  errors["http_rejected_rate"] = reqs ? static_cast<double>(rejected) / static_cast<double>(reqs) : 0.0;
  auto devs = ledger.devices();
  if (devs) {
    int64_t dev_rejected = 0, dev_requests = 0;
    for (const DeviceRow& d : *devs) {
      json st = json::parse(d.state_json, nullptr, false);
      if (!st.is_object()) continue;
      if (st.contains("rejected_requests") && st["rejected_requests"].is_number_integer()) {
        dev_rejected += st["rejected_requests"].get<int64_t>();
      }
      if (st.contains("requests") && st["requests"].is_number_integer()) dev_requests += st["requests"].get<int64_t>();
    }
    errors["device_requests"] = dev_requests;
    errors["device_rejected_requests"] = dev_rejected;
  }
  // Sale lines the tills flagged against their catalogs: overrides (with the catalog price beside
  // them in the ledger), lines without a price, uncatalogued SKUs; by device.
  auto flags = ledger.priceFlagsByDevice();
  if (!flags) return common::sendError(res, flags.error());
  json by_device = json::object();
  json totals = {{"override", 0}, {"no_price", 0}, {"uncatalogued", 0}};
  for (const auto& [device, checks] : *flags) {
    by_device[device] = checks;
    for (const auto& [check, n] : checks) totals[check] = totals.value(check, int64_t{0}) + n;
  }
  json price_checks = {{"totals", totals}, {"by_device", by_device}};
  sendJson(res, {{"inventory_accuracy", accuracy}, {"sync_latency", latency}, {"errors", errors},
                 {"price_checks", price_checks}});
}

}  // namespace

void addKpiRoutes(httplib::Server& server, Ledger& ledger, IngestService* ingest, const common::Clock& clock,
                  HttpCounters& counters) {
  server.Get("/v1/kpis", [&ledger, ingest, &clock, &counters](const httplib::Request& req, httplib::Response& res) {
    kpis(ledger, ingest, clock, counters, req, res);
  });
}

}  // namespace sw::coordinator
