#include "sw/coordinator/ledger/routes.h"

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


void discrepancies(Ledger& ledger, const httplib::Request& req, httplib::Response& res) {
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

void transfers(Ledger& ledger, const httplib::Request& req, httplib::Response& res) {
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

// GET /v1/anomalies[?device=D&code=C&before=ID&limit=N]: newest first.
void anomalies(Ledger& ledger, const httplib::Request& req, httplib::Response& res) {
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

void eventsForKey(Ledger& ledger, const httplib::Request& req, httplib::Response& res) {
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

void stock(Ledger& ledger, const httplib::Request& req, httplib::Response& res) {
  if (req.has_param("sku")) {
    std::string sku = req.get_param_value("sku");
    if (!common::isValidSku(sku)) return common::sendError(res, Error::reject("bad_sku", "sku is not valid"));
    auto rows = ledger.stockForSku(sku);
    if (!rows) return common::sendError(res, rows.error());
    json locs = json::array();
    for (const StockRow& r : *rows) {
      json l = {{"location", r.location}, {"on_hand", r.on_hand}, {"updated_at_ms", r.updated_at_ms}};
      if (r.last_count_at_ms) {
        l["last_count_at_ms"] = *r.last_count_at_ms;
        l["last_counted"] = *r.last_counted;
      }
      locs.push_back(std::move(l));
    }
    // Units shipped between locations and not yet received belong to neither end's on-hand.
    json transit = json::array();
    if (auto t = ledger.transfers("", sku, true, 10'000)) {
      for (const TransferRow& tr : *t) {
        if (!tr.sent) continue;
        transit.push_back({{"from_location", tr.from_location}, {"to_location", tr.to_location}, {"qty", *tr.sent},
                           {"sent_at_ms", tr.sent_at_ms}});
      }
    }
    return sendJson(res, {{"sku", sku}, {"locations", locs}, {"in_transit", transit}});
  }
  if (req.has_param("location")) {
    std::string loc = req.get_param_value("location");
    if (!common::isValidId(loc)) return common::sendError(res, Error::reject("bad_location", "location is not valid"));
    auto rows = ledger.stockForLocation(loc);
    if (!rows) return common::sendError(res, rows.error());
    json skus = json::array();
    for (const StockRow& r : *rows) {
      json s = {{"sku", r.sku}, {"on_hand", r.on_hand}, {"updated_at_ms", r.updated_at_ms}};
      if (r.last_count_at_ms) {
        s["last_count_at_ms"] = *r.last_count_at_ms;
        s["last_counted"] = *r.last_counted;
      }
      skus.push_back(std::move(s));
    }
    return sendJson(res, {{"location", loc}, {"skus", skus}});
  }
  common::sendError(res, Error::reject("missing_param", "give ?sku=SKU or ?location=LOC"));
}


void eventsForDevice(Ledger& ledger, const httplib::Request& req, httplib::Response& res) {
  std::string device = req.get_param_value("device");
  if (!common::isValidId(device)) {
    return common::sendError(
        res, Error::reject("missing_param", "give ?device=ID[&from_seq=N&limit=M] or ?sku=SKU&location=LOC"));
  }
  auto from = common::queryInt(req, "from_seq", 1, 0, INT64_MAX);
  if (!from) return common::sendError(res, from.error());
  auto limit = common::queryInt(req, "limit", 500, 1, 10'000);
  if (!limit) return common::sendError(res, limit.error());
  auto rows = ledger.eventsForDevice(device, static_cast<uint64_t>(*from), *limit);
  if (!rows) return common::sendError(res, rows.error());
  json out = json::array();
  for (const LedgerEvent& e : *rows) {
    json moves = json::array();
    for (const auto& m : e.moves) {
      json jm = {{"location", m.location}, {"sku", m.sku}, {"qty", m.qty}, {"delta", m.delta}};
      if (e.type == "count") {
        // A count is a checkpoint: its delta is what it changed on hand when it was applied.
        jm["counted"] = m.qty;
        jm["delta"] = m.correction.value_or(0);
      }
      if (m.price_units) jm["unit_price"] = common::Decimal::fromUnits(*m.price_units).toString();
      if (!m.price_check.empty()) {
        jm["price_check"] = {{"check", m.price_check}};
        if (m.list_price_units) {
          jm["price_check"]["catalog_price"] = common::Decimal::fromUnits(*m.list_price_units).toString();
        }
      }
      moves.push_back(std::move(jm));
    }
    json je = {{"device_id", e.device_id}, {"seq", e.seq}, {"event_id", e.event_id}, {"type", e.type},
               {"location", e.location}, {"device_at_ms", e.device_at_ms}, {"at_ms", e.at_ms},
               {"applied_at_ms", e.applied_at_ms}, {"apply_order", e.apply_order}, {"movements", moves}};
    if (!e.other_location.empty()) je["other_location"] = e.other_location;
    if (!e.reason.empty()) je["reason"] = e.reason;
    if (!e.ref.empty()) je["ref"] = e.ref;
    if (!e.voided_by.empty()) je["voided_by"] = e.voided_by;
    out.push_back(std::move(je));
  }
  json page = {{"events", out}};
  if (!rows->empty() && static_cast<int64_t>(rows->size()) == *limit) page["next_from_seq"] = rows->back().seq + 1;
  sendJson(res, page);
}


}  // namespace

void addRoutes(httplib::Server& server, Ledger& ledger) {
  server.Get("/v1/stock", [&ledger](const httplib::Request& req, httplib::Response& res) { stock(ledger, req, res); });
  server.Get("/v1/events", [&ledger](const httplib::Request& req, httplib::Response& res) {
    if (!req.has_param("device") && (req.has_param("sku") || req.has_param("location"))) {
      return eventsForKey(ledger, req, res);
    }
    eventsForDevice(ledger, req, res);
  });
  server.Get("/v1/anomalies",
             [&ledger](const httplib::Request& req, httplib::Response& res) { anomalies(ledger, req, res); });
  server.Get("/v1/discrepancies",
             [&ledger](const httplib::Request& req, httplib::Response& res) { discrepancies(ledger, req, res); });
  server.Get("/v1/transfers",
             [&ledger](const httplib::Request& req, httplib::Response& res) { transfers(ledger, req, res); });
}

}  // namespace sw::coordinator
