// cpp-httplib adapter: the local API routes for the till's devices (devices.h).
//   GET  /v1/devices                 what is attached and its state
//   POST /v1/scale/read              a stable weight, or why not (409 for the scale's state)
//   POST /v1/drawer/open             pulse the cash drawer
//   GET  /v1/receipts                queued and printed receipts (?state=pending|printed|held, ?limit=N)
//   POST /v1/receipts/{id}/print     print receipt id again (a copy)
//   GET  /v1/scans                   decoded scans (?after=ID, ?wait_ms=N up to 10000)

#include "devices_http.h"

#include <algorithm>
#include <cstdint>

#include <nlohmann/json.hpp>

#include "sw/agent/catalog.h"
#include "sw/common/http_json.h"
#include "sw/common/http_server.h"
#include "sw/common/log.h"

namespace sw::agent {

using common::Error;
using nlohmann::json;

namespace {

void notAttached(httplib::Response& res, const char* device) {
  common::sendError(res, 404, Error::reject("not_configured", std::string("this agent has no ") + device + " configured"));
}

// The scale answered, but with a state that is no weight to sell: 409, so a POS tells it
// apart from a scale that is missing or silent (503).
bool isWeightState(const Error& e) {
  return e.code == "weight_not_stable" || e.code == "over_range" || e.code == "under_zero" || e.code == "no_weight" ||
         e.code == "no_reading";
}


void scaleRead(Devices& d, const httplib::Request& req, httplib::Response& res) {
  if (!d.scale) return notAttached(res, "scale");
  json in = json::object();
  if (!req.body.empty()) {
    in = json::parse(req.body, nullptr, false);
    if (in.is_discarded() || !in.is_object()) {
      return common::sendError(res, Error::reject("bad_json", "the request body must be a JSON object (or empty)"));
    }
  }
  // Price the weight: by the catalog item ("sku"), or by "unit_price" per "price_unit".
  std::optional<common::Decimal> price;
  std::string price_unit, sku;
  json item;
  if (in.contains("sku")) {
    if (!in["sku"].is_string()) return common::sendError(res, Error::reject("bad_sku", "'sku' must be a string"));
    auto found = lookupItem(d.store, in["sku"].get<std::string>(), d.clock.nowMs());
    if (!found) return common::sendError(res, found.error());
    if (!*found) return common::sendError(res, Error::reject("not_found", "no item with this SKU or GTIN in the local catalog"));
    item = **found;
    if (!item.value("weight_priced", false)) {
      return common::sendError(res, Error::reject("not_weight_priced", "item " + item.value("sku", "") + " is not sold by weight"));
    }
    sku = item.value("sku", "");
    price_unit = item.value("unit", "");
    if (item["price"].is_object()) {
      if (auto p = common::Decimal::parse(item["price"].value("price", ""))) price = *p;
    }
    if (!price) return common::sendError(res, Error::reject("no_price", "item " + sku + " has no price at this store"));
  } else if (in.contains("unit_price")) {
    if (!in["unit_price"].is_string()) {
      return common::sendError(res, Error::reject("bad_price", "'unit_price' must be a decimal string such as \"3.49\""));
    }
    auto p = common::Decimal::parse(in["unit_price"].get<std::string>());
    if (!p || p->scaled() < 0) return common::sendError(res, Error::reject("bad_price", "'unit_price' is not a price"));
    price = *p;
    price_unit = in.value("price_unit", "kg");
  }
  if (price && !weighedAmount(0, *price, price_unit)) {
    return common::sendError(res, Error::reject("bad_unit", "'" + price_unit + "' is not a weight unit (kg, g, lb, oz)"));
  }
  auto w = d.scale->readStable();
  if (!w) {
    if (isWeightState(w.error())) {
      return common::sendError(res, 409, Error::retry(w.error().code, w.error().message));
    }
    return common::sendError(res, w.error());
  }
  int64_t grams = weightInGrams(*w);
  json out = {{"status", fw::weightStatusName(w->status)}, {"weight", w->valueText()}, {"unit", w->unit}, {"grams", grams}};
  if (price) {
    out["unit_price"] = price->toString();
    out["price_unit"] = price_unit;
    out["amount"] = weighedAmount(grams, *price, price_unit)->toString();
  }
  if (!sku.empty()) {
    out["item"] = {{"sku", sku}, {"name", item.value("name", "")}};
    // The line to send to POST /v1/sales as it is: weighed goods sell in grams.
    out["line"] = {{"sku", sku}, {"qty", grams}, {"unit_price", price->toString()}};
  }
  common::sendJson(res, out);
}

}  // namespace

void installDeviceRoutes(httplib::Server& server, Devices& d) {
  server.Get("/v1/devices", [&d](const httplib::Request&, httplib::Response& res) { common::sendJson(res, d.statusJson()); });
  server.Post("/v1/scale/read", [&d](const httplib::Request& req, httplib::Response& res) { scaleRead(d, req, res); });
  server.Post("/v1/drawer/open", [&d](const httplib::Request&, httplib::Response& res) {
    if (!d.drawer) return notAttached(res, "cash drawer");
    if (auto s = d.drawer->open(); !s) {
      SW_WARN("devices") << "drawer: " << s.error().toString();
      return common::sendError(res, s.error());
    }
    common::sendJson(res, {{"opened", true}});
  });
  server.Get("/v1/receipts", [&d](const httplib::Request& req, httplib::Response& res) {
    if (!d.receipts) return notAttached(res, "receipt printer");
    std::string state = req.has_param("state") ? req.get_param_value("state") : "";
    if (!state.empty() && state != "pending" && state != "printed" && state != "held") {
      return common::sendError(res, Error::reject("bad_state", "state is pending, printed or held"));
    }
    auto limit = common::queryInt(req, "limit", 50, 1, 500);
    if (!limit) return common::sendError(res, limit.error());
    auto list = d.receipts->list(static_cast<size_t>(*limit), state);
    if (!list) return common::sendError(res, list.error());
    common::sendJson(res, *list);
  });
  server.Post(R"(/v1/receipts/(\d{1,18})/print)", [&d](const httplib::Request& req, httplib::Response& res) {
    if (!d.receipts) return notAttached(res, "receipt printer");
    auto r = d.receipts->reprint(std::stoll(req.matches[1].str()));
    if (!r) return common::sendError(res, r.error());
    common::sendJson(res, *r, 202);
  });
  server.Get("/v1/scans", [&d](const httplib::Request& req, httplib::Response& res) {
    if (!d.scanner) return notAttached(res, "scanner");
    auto after_param = common::queryInt(req, "after", 0, 0, INT64_MAX);
    if (!after_param) return common::sendError(res, after_param.error());
    auto wait_param = common::queryInt(req, "wait_ms", 0, 0, 10'000);
    if (!wait_param) return common::sendError(res, wait_param.error());
    const uint64_t after = static_cast<uint64_t>(*after_param);
    const int wait_ms = static_cast<int>(*wait_param);
    json scans = json::array();
    uint64_t last = after;
    for (const ScanRecord& s : d.scanner->since(after, wait_ms)) {
      json j = s.body;
      j["id"] = s.id;
      j["at_ms"] = s.at_ms;
      scans.push_back(std::move(j));
      last = s.id;
    }
    common::sendJson(res, {{"scans", scans}, {"last_id", last}});
  });
}

}  // namespace sw::agent
