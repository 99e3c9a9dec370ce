#include "sw/coordinator/fleet/routes.h"

#include <nlohmann/json.hpp>

#include "sw/common/http_json.h"
#include "sw/common/http_errors.h"
#include "sw/common/json_text.h"
#include "sw/common/http_server.h"

namespace sw::coordinator {
namespace {

constexpr size_t kMaxBody = 32 * 1024;

void sendEnrollError(httplib::Response& res, const common::Error& e) {
  res.status = enrollHttpStatus(e);
  res.set_content(common::errorJson(e), "application/json");
}

using common::Error;
using common::sendJson;
using nlohmann::json;

json alertJson(const DeviceAlert& a) {
  return {{"device_id", a.device_id}, {"code", a.code}, {"level", a.level}, {"message", a.message}};
}


void devices(Ledger& ledger, const common::Clock& clock, const ExposureLimits& limits,
             const HeldCount& held, httplib::Response& res) {
  auto rows = ledger.devices();
  if (!rows) return common::sendError(res, rows.error());
  int64_t now = clock.nowMs();
  json out = json::array();
  for (const DeviceRow& d : *rows) {
    if (d.internal) continue;  // the coordinator's own workers (the orders worker) are not devices
    // What the coordinator knows itself comes first: it acknowledges exactly what it applied.
    json j = {{"device_id", d.device_id}, {"epoch", d.epoch}, {"kind", d.kind}, {"location", d.location},
              {"online", d.online}, {"last_applied_seq", d.last_applied_seq},
              {"last_acked_seq", d.last_applied_seq}, {"first_seen_ms", d.first_seen_ms},
              {"last_seen_ms", d.last_seen_ms}, {"last_applied_at_ms", d.last_applied_at_ms}};
    if (held) j["held_events"] = held(d.device_id);
    j["seq_conflicts"] = d.seq_conflicts;
    if (d.seq_conflicts > 0) {
      j["last_seq_conflict"] = {{"at_ms", d.last_conflict_at_ms}, {"message", d.last_conflict},
                                {"pending", d.resequencing != 0}};
    }
    Exposure e = exposureOf(d, now);
    if (e.known) {
      j["queue_depth"] = e.queue_depth;
      j["oldest_unsynced_age_s"] = e.oldest_unsynced_age_s;
      j["disk_free_bytes"] = e.disk_free_bytes;
      j["clock_offset_ms"] = e.clock_offset_ms;
    }
    j["offline_s"] = e.offline_s;
    // What the device last said about itself, labelled with when it said it (device clock)
    // and how long ago the coordinator heard it: these figures can be seconds stale.
    json st = json::parse(d.state_json, nullptr, false);
    if (st.is_object() && st.contains("at") && st["at"].is_number_integer()) {
      json rep = json::object();
      for (const char* k : {"last_seq", "last_acked_seq", "queue_depth", "oldest_unsynced_age_s", "disk_free_bytes",
                            "clock_offset_ms"}) {
        if (st.contains(k)) rep[k] = st[k];
      }
      rep["at_ms"] = st["at"];
      if (d.last_seen_ms > 0) rep["age_s"] = std::max<int64_t>(0, (now - d.last_seen_ms) / 1000);
      j["reported"] = std::move(rep);
    }
    json alerts = json::array();
    for (const DeviceAlert& a : deviceAlerts(d, now, limits)) alerts.push_back(alertJson(a));
    j["alerts"] = alerts;
    out.push_back(std::move(j));
  }
  sendJson(res, {{"devices", out}});
}


void alerts(Ledger& ledger, const common::Clock& clock, const ExposureLimits& limits,
            httplib::Response& res) {
  auto rows = ledger.devices();
  if (!rows) return common::sendError(res, rows.error());
  json out = json::array();
  for (const DeviceRow& d : *rows) {
    if (d.internal) continue;
    for (const DeviceAlert& a : deviceAlerts(d, clock.nowMs(), limits)) out.push_back(alertJson(a));
  }
  sendJson(res, {{"alerts", out}});
}


}  // namespace

void addRoutes(httplib::Server& server, Enrollment& enrollment) {
  server.Post("/v1/enroll", [&enrollment](const httplib::Request& req, httplib::Response& res) {
    if (req.body.size() > kMaxBody) {
      return sendEnrollError(res, common::Error::reject("bad_request", "the enrollment request is larger than 32 KiB"));
    }
    auto body = common::parseJsonObjectBody(req.body, R"({"token":"...","csr_pem":"..."})");
    if (!body) return sendEnrollError(res, common::Error::reject("bad_request", body.error().message));
    const auto token = body->find("token");
    const auto csr = body->find("csr_pem");
    if (token == body->end() || !token->is_string() || csr == body->end() || !csr->is_string()) {
      return sendEnrollError(res, common::Error::reject("bad_request", "token and csr_pem must be strings"));
    }
    auto answer = enrollment.enroll(token->get<std::string>(), csr->get<std::string>());
    if (!answer) return sendEnrollError(res, answer.error());
    nlohmann::json j = {{"certificate_pem", answer->certificate_pem},
                        {"ca_pem", answer->ca_pem},
                        {"serial", answer->serial_hex},
                        {"not_after_ms", answer->not_after_ms},
                        {"config",
                         {{"device_id", answer->device_id},
                          {"location", answer->location},
                          {"role", answer->role},
                          {"broker_url", answer->broker_url}}}};
    common::sendJson(res, j);
  });
}

void addRoutes(httplib::Server& server, Ledger& ledger, const common::Clock& clock, ExposureLimits limits,
               HeldCount held) {
  server.Get("/v1/devices", [&ledger, &clock, limits, held](const httplib::Request&, httplib::Response& res) {
    devices(ledger, clock, limits, held, res);
  });
  server.Get("/v1/alerts", [&ledger, &clock, limits](const httplib::Request&, httplib::Response& res) {
    alerts(ledger, clock, limits, res);
  });
}

}  // namespace sw::coordinator
