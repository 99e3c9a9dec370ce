#include "ledger_routes.h"

#include <nlohmann/json.hpp>

#include <cmath>
#include <cstdlib>

#include "sw/common/decimal.h"
#include "sw/common/event.h"
#include "sw/common/http_json.h"
#include "sw/common/http_server.h"
#include "sw/common/json_text.h"

namespace sw::coordinator {
namespace {

using common::Error;
using nlohmann::json;
using common::sendJson;

// The industry's mark for inventory record accuracy (share of counted SKU-locations whose
// record matched the count within tolerance).
constexpr double kAccuracyTargetPct = 98.0;

json moveJson(const MovementRow& m) {
  json j = {{"device_id", m.device_id}, {"seq", m.seq},       {"line", m.line},
            {"event_id", m.event_id},   {"type", m.type},     {"qty", m.qty},
            {"delta", m.delta},         {"at_ms", m.at_ms},   {"device_at_ms", m.device_at_ms},
            {"applied_at_ms", m.applied_at_ms}, {"apply_order", m.apply_order}};
  if (m.price_units) j["unit_price"] = common::Decimal::fromUnits(*m.price_units).toString();
  if (m.type == "count") {
    // A count is a checkpoint: show what it counted and what it changed on hand when applied.
    j["counted"] = m.qty;
    j["delta"] = m.correction.value_or(0);
  }
  return j;
}

json transferJson(const TransferRow& t) {
  json j = {{"id", t.id}, {"from_location", t.from_location}, {"to_location", t.to_location}, {"sku", t.sku},
            {"status", t.status()}};
  if (t.sent) {
    j["sent"] = *t.sent;
    j["sent_at_ms"] = t.sent_at_ms;
    j["shipment"] = {{"device_id", t.out_device}, {"seq", t.out_seq}};
  }
  if (t.received) {
    j["received"] = *t.received;
    j["received_at_ms"] = t.received_at_ms;
    j["receipt"] = {{"device_id", t.in_device}, {"seq", t.in_seq}};
  }
  if (t.sent && t.received) j["difference"] = *t.received - *t.sent;
  return j;
}

bool validFilter(const std::string& location, const std::string& sku, httplib::Response& res) {
  if (!location.empty() && !common::isValidId(location)) {
    common::sendError(res, Error::reject("bad_location", "location is not valid"));
    return false;
  }
  if (!sku.empty() && !common::isValidSku(sku)) {
    common::sendError(res, Error::reject("bad_sku", "sku is not valid"));
    return false;
  }
  return true;
}

double percentile(const std::vector<int64_t>& sorted, double p) {
  if (sorted.empty()) return 0;
  size_t i = static_cast<size_t>(std::ceil(p / 100.0 * static_cast<double>(sorted.size()))) - 1;
  return static_cast<double>(sorted[std::min(i, sorted.size() - 1)]);
}

void discrepancies(SqliteLedger& ledger, const httplib::Request& req, httplib::Response& res) {
  const std::string location = req.get_param_value("location"), sku = req.get_param_value("sku");
  if (!validFilter(location, sku, res)) return;
  auto tolerance = common::queryInt(req, "tolerance", 0, 0, 1'000'000);
  auto max_moves = common::queryInt(req, "max_moves", 50, 0, 1000);
  if (!tolerance) return common::sendError(res, tolerance.error());
  if (!max_moves) return common::sendError(res, max_moves.error());
  const bool all = req.get_param_value("all") == "1";
  auto counts = ledger.countDiscrepancies(location, sku, static_cast<size_t>(*max_moves));
  if (!counts) return common::sendError(res, counts.error());
  json out = json::array();
  for (const CountDiscrepancy& d : *counts) {
    if (!all && std::llabs(d.difference()) <= *tolerance) continue;
    json moves = json::array();
    for (const MovementRow& m : d.moves) {
      json jm = moveJson(m);
      jm["late"] = m.late;
      jm["ambiguous"] = m.ambiguous;
      moves.push_back(std::move(jm));
    }
    json j = {{"kind", "count"},
              {"location", d.location},
              {"sku", d.sku},
              {"counted", d.counted},
              {"expected", d.expected},
              {"difference", d.difference()},
              {"count", {{"at_ms", d.count_at_ms}, {"device_id", d.count_device}, {"seq", d.count_seq},
                         {"location_session", d.location_session}}},
              {"explained_by", moves},
              {"explained_by_total", d.moves_total}};
    if (d.previous_count_at_ms) {
      j["previous_count"] = {{"at_ms", *d.previous_count_at_ms}, {"counted", *d.previous_counted}};
    }
    out.push_back(std::move(j));
  }
  auto transfers = ledger.transfers(location, sku, false, 10'000);
  if (!transfers) return common::sendError(res, transfers.error());
  json tr = json::array();
  for (const TransferRow& t : *transfers) {
    const std::string st = t.status();
    if (st == "short" || st == "over" || st == "receipt_without_shipment" || (all && st == "received")) {
      tr.push_back(transferJson(t));
    }
  }
  sendJson(res, {{"counts", out}, {"transfers", tr}, {"tolerance", *tolerance},
                 {"count_tie_ms", ledger.countTieMs()}});
}

void transfers(SqliteLedger& ledger, const httplib::Request& req, httplib::Response& res) {
  const std::string location = req.get_param_value("location"), sku = req.get_param_value("sku");
  if (!validFilter(location, sku, res)) return;
  auto limit = common::queryInt(req, "limit", 1000, 1, 10'000);
  if (!limit) return common::sendError(res, limit.error());
  auto rows = ledger.transfers(location, sku, req.get_param_value("open") == "1", *limit);
  if (!rows) return common::sendError(res, rows.error());
  json out = json::array();
  int64_t in_transit = 0;
  for (const TransferRow& t : *rows) {
    if (t.sent && !t.received) in_transit += *t.sent;
    out.push_back(transferJson(t));
  }
  sendJson(res, {{"transfers", out}, {"in_transit_units", in_transit}});
}

void kpis(SqliteLedger& ledger, IngestService* ingest, const common::Clock& clock, const HttpCounters& counters,
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

// GET /v1/anomalies[?device=D&code=C&before=ID&limit=N]: newest first.
void anomalies(SqliteLedger& ledger, const httplib::Request& req, httplib::Response& res) {
  const std::string device = req.get_param_value("device"), code = req.get_param_value("code");
  if (!device.empty() && !common::isValidId(device)) {
    return common::sendError(res, Error::reject("bad_device", "device must be 1-64 of [A-Za-z0-9._:-]"));
  }
  if (code.size() > 64) return common::sendError(res, Error::reject("bad_code", "code is at most 64 characters"));
  auto before = common::queryInt(req, "before", 0, 0, INT64_MAX);
  if (!before) return common::sendError(res, before.error());
  auto limit = common::queryInt(req, "limit", 100, 1, 10'000);
  if (!limit) return common::sendError(res, limit.error());
  auto rows = ledger.anomalies(device, code, *before, *limit);
  if (!rows) return common::sendError(res, rows.error());
  json out = json::array();
  for (const AnomalyRow& a : *rows) {
    out.push_back({{"id", a.id}, {"device_id", a.device_id}, {"seq", a.seq}, {"code", a.code},
                   {"message", a.message}, {"at_ms", a.at_ms}});
  }
  json page = {{"anomalies", out}};
  if (static_cast<int64_t>(rows->size()) == *limit) page["next_before"] = rows->back().id;
  auto counts = ledger.anomalyCounts();
  if (counts) page["by_code"] = *counts;
  sendJson(res, page);
}

}  // namespace

void eventsForKey(SqliteLedger& ledger, const httplib::Request& req, httplib::Response& res) {
  const std::string location = req.get_param_value("location"), sku = req.get_param_value("sku");
  if (location.empty() || sku.empty()) {
    return common::sendError(res, Error::reject("missing_param", "give ?sku=SKU&location=LOC[&after=N&limit=M]"));
  }
  if (!validFilter(location, sku, res)) return;
  auto after = common::queryInt(req, "after", 0, 0, INT64_MAX);
  auto limit = common::queryInt(req, "limit", 500, 1, 10'000);
  if (!after) return common::sendError(res, after.error());
  if (!limit) return common::sendError(res, limit.error());
  auto rows = ledger.movementsFor(location, sku, *after, *limit);
  if (!rows) return common::sendError(res, rows.error());
  json out = json::array();
  for (const MovementRow& m : *rows) {
    json j = moveJson(m);
    j["in_on_hand"] = m.in_on_hand;
    out.push_back(std::move(j));
  }
  json page = {{"location", location}, {"sku", sku}, {"movements", out}};
  auto stock = ledger.stockForSku(sku);
  if (stock) {
    for (const StockRow& r : *stock) {
      if (r.location != location) continue;
      page["on_hand"] = r.on_hand;
      if (r.last_count_at_ms) page["starts_from_count"] = {{"at_ms", *r.last_count_at_ms}, {"counted", *r.last_counted}};
    }
  }
  if (static_cast<int64_t>(rows->size()) == *limit) page["next_after"] = rows->back().apply_order;
  sendJson(res, page);
}

void addLedgerRoutes(httplib::Server& server, SqliteLedger& ledger, IngestService* ingest,
                     const common::Clock& clock, HttpCounters& counters) {
  server.Get("/v1/anomalies",
             [&ledger](const httplib::Request& req, httplib::Response& res) { anomalies(ledger, req, res); });
  server.Get("/v1/discrepancies",
             [&ledger](const httplib::Request& req, httplib::Response& res) { discrepancies(ledger, req, res); });
  server.Get("/v1/transfers",
             [&ledger](const httplib::Request& req, httplib::Response& res) { transfers(ledger, req, res); });
  server.Get("/v1/kpis", [&ledger, ingest, &clock, &counters](const httplib::Request& req, httplib::Response& res) {
    kpis(ledger, ingest, clock, counters, req, res);
  });
  server.set_logger([&counters](const httplib::Request&, const httplib::Response& res) {
    counters.requests.fetch_add(1, std::memory_order_relaxed);
    if (res.status >= 400 && res.status < 500) counters.rejected.fetch_add(1, std::memory_order_relaxed);
  });
}

}  // namespace sw::coordinator
