#include "sw/coordinator/settlements/routes.h"

#include <nlohmann/json.hpp>

#include "sw/common/http_json.h"
#include "sw/common/http_server.h"

namespace sw::coordinator::settlements {

using common::Error;
using common::sendJson;
using nlohmann::json;

namespace {

json summaryJson(const StoredPayout& s) {
  return {{"channel", channels::channelName(s.payout.channel)},
          {"payout_id", s.payout.payout_id},
          {"status", s.payout.status},
          {"date", s.payout.date},
          {"currency", s.payout.currency},
          {"amount", s.payout.amount.toString()},
          {"fetched_at_ms", s.fetched_at_ms},
          {"match_status", s.matched ? "matched" : "mismatched"},
          {"mismatches", s.mismatches}};
}

// A channel name from the path: one the order model knows (reject unknown_channel otherwise).
bool channelOr400(const std::string& name, httplib::Response& res) {
  auto kind = channels::parseChannel(name);
  if (kind) return true;
  common::sendError(res, Error::reject("unknown_channel", kind.error().message));
  return false;
}

}  // namespace

void addRoutes(httplib::Server& server, SettlementService& s) {
  server.Get("/v1/settlements", [&s](const httplib::Request& req, httplib::Response& res) {
    const std::string channel = req.get_param_value("channel");
    if (!channel.empty() && !channelOr400(channel, res)) return;
    auto limit = common::queryInt(req, "limit", 100, 1, 10'000);
    if (!limit) return common::sendError(res, limit.error());
    auto list = s.store().list(channel, *limit);
    if (!list) return common::sendError(res, list.error());
    json out = json::array();
    for (const StoredPayout& p : *list) out.push_back(summaryJson(p));
    sendJson(res, json{{"payouts", out}});
  });
  server.Get(R"(/v1/settlements/([^/]{1,64})/([^/]{1,64}))", [&s](const httplib::Request& req, httplib::Response& res) {
    const std::string channel = req.matches[1].str();
    if (!channelOr400(channel, res)) return;
    auto got = s.store().get(channel, req.matches[2].str());
    if (!got) return common::sendError(res, got.error());
    if (!*got) {
      return common::sendError(res, Error::reject("not_found", "no payout " + req.matches[2].str() + " of " + channel +
                                                                   " fetched (POST /v1/settlements/" + channel + "/fetch)"));
    }
    const StoredPayout& p = **got;
    json lines = json::array(), matched = json::array(), unmatched = json::array();
    for (size_t i = 0; i < p.payout.lines.size(); ++i) {
      json l = channels::toJson(p.payout.lines[i]);
      const LineMatch& m = p.line_matches[i];
      l["matched"] = m.matched;
      l["code"] = m.code;
      l["expected"] = m.expected ? json(m.expected->toString()) : json(nullptr);
      (m.matched ? matched : unmatched).push_back(l["line_id"]);
      lines.push_back(std::move(l));
    }
    json findings = json::array();
    for (const Finding& f : p.findings) findings.push_back(toJson(f));
    json out = summaryJson(p);
    out["lines"] = lines;
    out["matched_lines"] = matched;
    out["unmatched_lines"] = unmatched;
    out["findings"] = findings;
    sendJson(res, out);
  });
  server.Post(R"(/v1/settlements/([^/]{1,64})/fetch)", [&s](const httplib::Request& req, httplib::Response& res) {
    const std::string channel = req.matches[1].str();
    if (!channelOr400(channel, res)) return;
    auto r = s.fetch(channel, req.get_param_value("date_min"));
    if (!r) {
      // What the channel said is not this request's fault: 502 for a channel that failed or refused us.
      const Error& e = r.error();
      if (e.kind == common::ErrorKind::kReject) return common::sendError(res, e);
      return common::sendError(res, 502, e);
    }
    sendJson(res, json{{"channel", r->channel},
                       {"pages", r->pages},
                       {"matched", r->matched},
                       {"mismatched", r->mismatched},
                       {"findings", r->findings}});
  });
}

}  // namespace sw::coordinator::settlements
