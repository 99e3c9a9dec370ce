#include "sw/coordinator/wholesale/routes.h"

#include <nlohmann/json.hpp>

#include "sw/common/http_json.h"
#include "sw/common/http_server.h"

namespace sw::coordinator::wholesale {

using common::Error;
using common::sendJson;
using nlohmann::json;

namespace {

const Partner* partnerOr404(WholesaleService& w, const httplib::Request& req, httplib::Response& res) {
  const Partner* p = w.config().find(req.matches[1].str());
  if (!p) common::sendError(res, Error::reject("not_found", "no wholesale partner " + req.matches[1].str()));
  return p;
}

json listJson(const std::vector<SentFile>& files) {
  json out = json::array();
  for (const SentFile& f : files) out.push_back(toJson(f));
  return out;
}

}  // namespace

void addRoutes(httplib::Server& server, WholesaleService& w) {
  server.Get("/v1/wholesale/partners", [&w](const httplib::Request&, httplib::Response& res) {
    json out = json::array();
    for (const Partner& p : w.config().partners) {
      auto unacked = w.store().unacknowledged(p.id);
      if (!unacked) return common::sendError(res, unacked.error());
      auto refused = w.store().refusedInterchanges(p.id);
      if (!refused) return common::sendError(res, refused.error());
      const edi::PartnerConfig& e = p.envelope;
      out.push_back({{"id", p.id},
                     {"us", {{"qualifier", e.sender_qualifier}, {"id", e.sender_id}}},
                     {"them", {{"qualifier", e.receiver_qualifier}, {"id", e.receiver_id}}},
                     {"version", e.version},
                     {"gs_version", e.gs_version},
                     {"folders", {{"inbound", p.inbound_dir}, {"outbound", p.outbound_dir}, {"archive", p.archive_dir}}},
                     {"inventory_interval_s", p.inventory.interval_ms / 1000},
                     {"items", p.items.size()},
                     {"unacknowledged", unacked->size()},
                     {"interchanges_refused", refused->size()}});
    }
    sendJson(res, json{{"partners", out}});
  });
  server.Get(R"(/v1/wholesale/partners/([^/]{1,64})/unacknowledged)", [&w](const httplib::Request& req, httplib::Response& res) {
    const Partner* p = partnerOr404(w, req, res);
    if (!p) return;
    auto list = w.store().unacknowledged(p->id);
    if (!list) return common::sendError(res, list.error());
    // Interchanges the partner's TA1 rejected: nothing in them reached the partner (their groups
    // are in the list above too, as no 997 can come for them).
    auto refused = w.store().refusedInterchanges(p->id);
    if (!refused) return common::sendError(res, refused.error());
    sendJson(res, json{{"partner", p->id}, {"unacknowledged", listJson(*list)}, {"interchanges_refused", listJson(*refused)}});
  });
  server.Get(R"(/v1/wholesale/partners/([^/]{1,64})/sent)", [&w](const httplib::Request& req, httplib::Response& res) {
    const Partner* p = partnerOr404(w, req, res);
    if (!p) return;
    auto limit = common::queryInt(req, "limit", 100, 1, 10'000);
    if (!limit) return common::sendError(res, limit.error());
    auto list = w.store().sentFiles(p->id, *limit);
    if (!list) return common::sendError(res, list.error());
    sendJson(res, json{{"partner", p->id}, {"sent", listJson(*list)}});
  });
  server.Get(R"(/v1/wholesale/partners/([^/]{1,64})/available)", [&w](const httplib::Request& req, httplib::Response& res) {
    const Partner* p = partnerOr404(w, req, res);
    if (!p) return;
    if (!req.has_param("sku")) return common::sendError(res, Error::reject("bad_param", "sku is required"));
    auto b = w.explain(*p, req.get_param_value("sku"));
    if (!b) return common::sendError(res, b.error());
    sendJson(res, toJson(*b));
  });
  server.Get("/v1/wholesale/files", [&w](const httplib::Request& req, httplib::Response& res) {
    auto limit = common::queryInt(req, "limit", 100, 1, 10'000);
    if (!limit) return common::sendError(res, limit.error());
    std::string partner = req.has_param("partner") ? req.get_param_value("partner") : "";
    if (!partner.empty() && !w.config().find(partner)) {
      return common::sendError(res, Error::reject("not_found", "no wholesale partner " + partner));
    }
    auto list = w.store().files(partner, *limit);
    if (!list) return common::sendError(res, list.error());
    json out = json::array();
    for (const ReceivedFile& f : *list) out.push_back(toJson(f));
    sendJson(res, json{{"files", out}});
  });
}

}  // namespace sw::coordinator::wholesale
