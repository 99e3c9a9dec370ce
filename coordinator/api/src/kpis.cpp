#include "kpis.h"

#include <nlohmann/json.hpp>

#include <regex>
#include <string>
#include <vector>

#include "sw/common/http_json.h"
#include "sw/common/http_server.h"

namespace sw::coordinator {

using nlohmann::json;

namespace {
json pctOrNull(const std::optional<double>& pct) { return pct ? json(*pct) : json(nullptr); }
}  // namespace

nlohmann::json fulfilmentAccuracyJson(const FulfilmentAccuracy& f) {
  json out = {{"shipped_settled_orders", f.settled},
              {"shipped_complete_orders", f.complete},
              {"target_pct", kFulfilmentAccuracyTargetPct},
              {"accuracy_pct", pctOrNull(f.pct())}};
  if (auto pct = f.pct()) out["meets_target"] = *pct >= kFulfilmentAccuracyTargetPct;
  return out;
}

nlohmann::json returnRateJson(const ReturnRate& r, int64_t window_h) {
  return {{"window_h", window_h},
          {"units_sold", r.sold_units},
          {"units_returned", r.returned_units},
          {"units_refunded", r.refunded_units},
          {"return_rate_pct", pctOrNull(r.pct())}};
}

namespace {

using nlohmann::json;
using common::Error;
using common::sendJson;

void kpis(Ledger& ledger, IngestService* ingest, const common::Clock& clock, const HttpCounters& counters,
          const KpiRouteExtras& extras, const httplib::Request& req, httplib::Response& res) {
  auto tolerance = common::queryInt(req, "tolerance", 0, 0, 1'000'000);
  auto window_h = common::queryInt(req, "window_h", 24, 0, 24 * 366);
  if (!tolerance) return common::sendError(res, tolerance.error());
  if (!window_h) return common::sendError(res, window_h.error());
  auto inv = inventoryAccuracy(ledger, *tolerance);
  if (!inv) return common::sendError(res, inv.error());
  json accuracy = {{"counted_sku_locations", inv->counted},
                   {"within_tolerance", inv->within},
                   {"tolerance_units", *tolerance},
                   {"target_pct", kInventoryAccuracyTargetPct},
                   {"accuracy_pct", pctOrNull(inv->pct())}};
  if (auto pct = inv->pct()) accuracy["meets_target"] = *pct >= kInventoryAccuracyTargetPct;
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
  uint64_t reqs = counters.requests.load(), rejected = counters.rejected.load(), failed = counters.failed.load();
  errors["http_requests"] = reqs;
  errors["http_rejected"] = rejected;
  errors["http_rejected_rate"] = reqs ? static_cast<double>(rejected) / static_cast<double>(reqs) : 0.0;
  errors["http_failed"] = failed;
  errors["http_failed_rate"] = reqs ? static_cast<double>(failed) / static_cast<double>(reqs) : 0.0;
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
  // Orders shipped complete, and units back against units sold in the window (kpi_figures.h).
  const int64_t now = clock.nowMs();
  auto order_kpis = orderKpis(ledger, extras.orders, extras.revenue, {now - *window_h * 3'600'000, now, ""});
  if (!order_kpis) return common::sendError(res, order_kpis.error());
  json fulfilment = fulfilmentAccuracyJson(order_kpis->fulfilment);
  json returns = returnRateJson(order_kpis->returns, *window_h);
  sendJson(res, {{"inventory_accuracy", accuracy}, {"sync_latency", latency}, {"errors", errors},
                 {"price_checks", price_checks}, {"fulfilment_accuracy", fulfilment}, {"return_rate", returns}});
}

// series=a,b (names of [a-z0-9_], at most 64 of them; empty or absent: every series).
common::Result<std::vector<std::string>> seriesNames(const httplib::Request& req) {
  std::vector<std::string> out;
  const std::string text = req.get_param_value("series");
  if (text.empty()) return out;
  static const std::regex kName("[a-z0-9_]{1,64}");
  size_t start = 0;
  while (start <= text.size()) {
    size_t comma = text.find(',', start);
    if (comma == std::string::npos) comma = text.size();
    std::string name = text.substr(start, comma - start);
    if (!std::regex_match(name, kName)) {
      return Error::reject("bad_param", "series: '" + name.substr(0, 64) +
                                            "' is not a series name (1-64 of a-z 0-9 _, comma-separated)");
    }
    out.push_back(std::move(name));
    if (out.size() > 64) return Error::reject("bad_param", "series: at most 64 names");
    start = comma + 1;
  }
  return out;
}

void history(const common::Clock& clock, const KpiRouteExtras& extras, const httplib::Request& req,
             httplib::Response& res) {
  if (!extras.history) {
    return common::sendError(res, 404, Error::reject("not_found", "this coordinator keeps no KPI history"));
  }
  const int64_t now = clock.nowMs();
  auto names = seriesNames(req);
  auto since = common::queryInt(req, "since_ms", now - 24 * 3'600'000, 0, INT64_MAX);
  auto until = common::queryInt(req, "until_ms", now, 0, INT64_MAX);
  if (!names) return common::sendError(res, names.error());
  if (!since) return common::sendError(res, since.error());
  if (!until) return common::sendError(res, until.error());
  if (*since > *until) {
    return common::sendError(res, Error::reject("bad_param", "since_ms must not be after until_ms"));
  }
  auto rows = extras.history->query(*names, *since, *until);
  if (!rows) return common::sendError(res, rows.error());
  json series = json::array();
  for (const KpiSeries& s : *rows) {
    json points = json::array();
    for (const auto& [at, value] : s.points) points.push_back(json::array({at, value}));
    json one = {{"name", s.name}, {"unit", s.unit}, {"labels", s.labels}};
    if (s.target) one["target"] = *s.target;
    one["points"] = std::move(points);
    series.push_back(std::move(one));
  }
  sendJson(res, {{"interval_ms", extras.history_options.interval_ms},
                 {"retention_h", extras.history_options.retention_h},
                 {"since_ms", *since},
                 {"until_ms", *until},
                 {"series", std::move(series)}});
}

}  // namespace

void addKpiRoutes(httplib::Server& server, Ledger& ledger, IngestService* ingest, const common::Clock& clock,
                  const HttpCounters& counters, const KpiRouteExtras& extras) {
  server.Get("/v1/kpis", [&ledger, ingest, &clock, &counters, &extras](const httplib::Request& req,
                                                                       httplib::Response& res) {
    kpis(ledger, ingest, clock, counters, extras, req, res);
  });
  server.Get("/v1/kpis/history", [&clock, &extras](const httplib::Request& req, httplib::Response& res) {
    history(clock, extras, req, res);
  });
}

}  // namespace sw::coordinator
