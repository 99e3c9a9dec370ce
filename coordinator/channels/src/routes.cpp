// cpp-httplib routes for available-to-sell and the push scheduler.

#include "sw/coordinator/channels/routes.h"

#include <nlohmann/json.hpp>

#include "sw/common/event.h"
#include "sw/common/http_json.h"
#include "sw/common/http_server.h"
#include "sw/common/json_text.h"

namespace sw::coordinator {

using common::Error;
using nlohmann::json;
using common::sendJson;

namespace {

Error noChannels() {
  return Error::reject("channels_disabled", "no channel is enabled: start serve with --channels-config PATH");
}

}  // namespace

void addRoutes(httplib::Server& server, Availability& availability, channels::PushScheduler* push) {
  server.Get("/v1/available", [&availability, push](const httplib::Request& req, httplib::Response& res) {
    std::string sku = req.get_param_value("sku");
    if (!req.has_param("sku")) return common::sendError(res, Error::reject("missing_param", "give ?sku=SKU"));
    if (!common::isValidSku(sku)) return common::sendError(res, Error::reject("bad_sku", "sku is not valid"));
    json out = json::array();
    for (const std::string& ch : availability.channels()) {
      if (req.has_param("channel") && req.get_param_value("channel") != ch) continue;
      auto b = availability.explain(ch, sku);
      if (!b) return common::sendError(res, b.error());
      json j = toJson(*b);
      if (auto shown = push ? push->shows(ch, sku) : std::nullopt) {
        j["channel_shows"] = {{"quantity", shown->quantity}, {"at_ms", shown->at_ms}, {"how", shown->how}};
      }
      out.push_back(std::move(j));
    }
    sendJson(res, {{"sku", sku}, {"channels", out}});
  });

  server.Get("/v1/channels", [push](const httplib::Request&, httplib::Response& res) {
    if (!push) return sendJson(res, {{"enabled", false}, {"channels", json::array()}});
    json out = json::array();
    for (const auto& s : push->status()) out.push_back(channels::toJson(s));
    json j = {{"enabled", true}, {"channels", out}};
    if (auto open = push->deadLetters(false, 1'000'000)) j["dead_letters_open"] = open->size();
    sendJson(res, j);
  });

  server.Get("/v1/channels/dead-letters", [push](const httplib::Request& req, httplib::Response& res) {
    if (!push) return common::sendError(res, noChannels());
    auto limit = common::queryInt(req, "limit", 500, 1, 100'000);
    if (!limit) return common::sendError(res, limit.error());
    bool all = req.get_param_value("all") == "1";
    auto rows = push->deadLetters(all, *limit);
    if (!rows) return common::sendError(res, rows.error());
    json out = json::array();
    for (const auto& d : *rows) out.push_back(channels::toJson(d));
    sendJson(res, {{"dead_letters", out}});
  });

  // Both take no body; the id and the channel are matched loosely so that a wrong one gets an
  // error that says so instead of "no endpoint".
  server.Post(R"(/v1/channels/dead-letters/([^/]{1,64})/replay)",
              [push](const httplib::Request& req, httplib::Response& res) {
                if (!push) return common::sendError(res, noChannels());
                const std::string id = req.matches[1].str();
                if (id.size() > 18 || id.find_first_not_of("0123456789") != std::string::npos) {
                  return common::sendError(res, Error::reject("bad_id", "dead letter id must be a whole number, got '" +
                                                                            id + "' (ids: GET /v1/channels/dead-letters)"));
                }
                auto d = push->replay(std::stoll(id));
                if (!d) return common::sendError(res, d.error());
                sendJson(res, {{"replayed", channels::toJson(*d)}});
              });

  server.Post(R"(/v1/channels/([^/]{1,64})/reconcile)", [push](const httplib::Request& req, httplib::Response& res) {
    if (!push) return common::sendError(res, noChannels());
    auto wait = common::queryInt(req, "wait_ms", 30'000, 0, 600'000);
    if (!wait) return common::sendError(res, wait.error());
    auto r = push->reconcile(req.matches[1].str(), std::chrono::milliseconds(*wait));
    if (!r) return common::sendError(res, r.error());
    sendJson(res, {{"reconcile", channels::toJson(*r)}}, r->done ? 200 : 202);
  });
}

}  // namespace sw::coordinator
