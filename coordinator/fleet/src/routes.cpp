#include "sw/coordinator/fleet/routes.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>
#include <set>
#include <tuple>

#include "sw/common/codec.h"
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


// The registry's record of the device's certificate, and the alerts as its expiry nears.
void certificate(const std::optional<RegisteredDevice>& reg, int64_t now, json* j) {
  if (!reg || reg->cert_not_after_ms <= 0) return;
  (*j)["certificate"] = {{"serial", reg->cert_serial}, {"not_after_ms", reg->cert_not_after_ms},
                         {"expires_in_s", (reg->cert_not_after_ms - now) / 1000}};
}

std::vector<DeviceAlert> alertsOf(const DeviceRow& d, int64_t now, const ExposureLimits& limits,
                                  const std::optional<RegisteredDevice>& reg) {
  std::vector<DeviceAlert> out = deviceAlerts(d, now, limits);
  if (reg) {
    for (DeviceAlert& a : certificateAlerts(*reg, now)) out.push_back(std::move(a));
  }
  return out;
}

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

json deviceJson(const DeviceRow& d, int64_t now, const HeldCount& held, const std::optional<RegisteredDevice>& reg,
                const std::vector<DeviceAlert>& alerts) {
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
    if (e.disk_time_left_s >= 0) j["disk_time_left_s"] = e.disk_time_left_s;
    j["clock_offset_ms"] = e.clock_offset_ms;
  }
  j["offline_s"] = e.offline_s;
  // What the device last said about itself, labelled with when it said it (device clock)
  // and how long ago the coordinator heard it: these figures can be seconds stale.
  json st = json::parse(d.state_json, nullptr, false);
  if (st.is_object() && st.contains("at") && st["at"].is_number_integer()) {
    json rep = json::object();
    for (const char* k : {"last_seq", "last_acked_seq", "queue_depth", "oldest_unsynced_age_s", "disk_free_bytes",
                          "disk_time_left_s", "clock_offset_ms", "version"}) {
      if (st.contains(k)) rep[k] = st[k];
    }
    if (st.contains("last_error")) rep["last_error"] = {{"message", st["last_error"]}, {"at_ms", st.value("last_error_at", 0)}};
    rep["at_ms"] = st["at"];
    if (d.last_seen_ms > 0) rep["age_s"] = std::max<int64_t>(0, (now - d.last_seen_ms) / 1000);
    j["reported"] = std::move(rep);
  }
  certificate(reg, now, &j);
  json aj = json::array();
  for (const DeviceAlert& a : alerts) aj.push_back(alertJson(a));
  j["alerts"] = std::move(aj);
  return j;
}

bool hasLevel(const std::vector<DeviceAlert>& alerts, const char* level) {
  return std::any_of(alerts.begin(), alerts.end(), [level](const DeviceAlert& a) { return a.level == level; });
}

// GET /v1/devices[?device=ID][&location=L][&q=TEXT][&state=online|offline|alerts|critical][&limit=N&offset=K]
void devices(Ledger& ledger, const common::Clock& clock, const ExposureLimits& limits, const HeldCount& held,
             const CertLookup& cert, const httplib::Request& req, httplib::Response& res) {
  auto limit = common::queryInt(req, "limit", 0, 0, 1000);
  if (!limit) return common::sendError(res, limit.error());
  auto offset = common::queryInt(req, "offset", 0, 0, INT32_MAX);
  if (!offset) return common::sendError(res, offset.error());
  const std::string state = req.get_param_value("state");
  if (!state.empty() && state != "online" && state != "offline" && state != "alerts" && state != "critical") {
    return common::sendError(
        res, Error::reject("bad_state", "state must be online, offline, alerts or critical"));
  }
  const std::string q = lower(req.get_param_value("q"));
  if (q.size() > 64) return common::sendError(res, Error::reject("bad_query", "q is longer than 64 characters"));
  const std::string only = req.get_param_value("device"), location = req.get_param_value("location");
  auto rows = ledger.devices();
  if (!rows) return common::sendError(res, rows.error());
  std::vector<const DeviceRow*> sorted;
  for (const DeviceRow& d : *rows) {
    if (!d.internal) sorted.push_back(&d);  // the coordinator's own workers (the orders worker) are not devices
  }
  std::sort(sorted.begin(), sorted.end(), [](const DeviceRow* a, const DeviceRow* b) {
    return std::tie(a->location, a->device_id) < std::tie(b->location, b->device_id);
  });
  const int64_t now = clock.nowMs();
  // The summary covers the whole fleet; the list, what matches, one page of it.
  int64_t online = 0, critical = 0, warning = 0, matched = 0;
  uint64_t unsynced = 0;
  std::set<std::string> stores;
  json out = json::array();
  for (const DeviceRow* d : sorted) {
    // Every device's alerts and queue make the summary; JSON is built for the page only.
    const std::optional<RegisteredDevice> reg = cert ? cert(d->device_id) : std::nullopt;
    const std::vector<DeviceAlert> alerts = alertsOf(*d, now, limits, reg);
    const bool crit = hasLevel(alerts, "critical");
    online += d->online ? 1 : 0;
    critical += crit ? 1 : 0;
    warning += !crit && hasLevel(alerts, "warning") ? 1 : 0;
    unsynced += exposureOf(*d, now).queue_depth;
    stores.insert(d->location);
    if (!only.empty() && d->device_id != only) continue;
    if (!location.empty() && d->location != location) continue;
    if (state == "online" && !d->online) continue;
    if (state == "offline" && d->online) continue;
    if (state == "alerts" && alerts.empty()) continue;
    if (state == "critical" && !crit) continue;
    if (!q.empty()) {
      std::string hay = lower(d->device_id + " " + d->location + " " + d->kind);
      if (auto st = common::decodeDeviceState(d->state_json)) hay += " " + lower(st->version);
      if (hay.find(q) == std::string::npos) continue;
    }
    ++matched;
    if (matched <= *offset || (*limit > 0 && matched > *offset + *limit)) continue;
    out.push_back(deviceJson(*d, now, held, reg, alerts));
  }
  json body = {{"devices", std::move(out)},
               {"total", sorted.size()},
               {"matched", matched},
               {"offset", *offset},
               {"summary",
                {{"devices", sorted.size()},
                 {"online", online},
                 {"offline", static_cast<int64_t>(sorted.size()) - online},
                 {"critical", critical},
                 {"warning", warning},
                 {"unsynced_events", unsynced},
                 {"stores", stores.size()}}}};
  if (*limit > 0) body["limit"] = *limit;
  sendJson(res, body);
}


void alerts(Ledger& ledger, const common::Clock& clock, const ExposureLimits& limits, const CertLookup& cert,
            httplib::Response& res) {
  auto rows = ledger.devices();
  if (!rows) return common::sendError(res, rows.error());
  json out = json::array();
  const int64_t now = clock.nowMs();
  for (const DeviceRow& d : *rows) {
    if (d.internal) continue;
    for (const DeviceAlert& a : alertsOf(d, now, limits, cert ? cert(d.device_id) : std::nullopt)) {
      out.push_back(alertJson(a));
    }
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
               HeldCount held, CertLookup cert) {
  server.Get("/v1/devices", [&ledger, &clock, limits, held, cert](const httplib::Request& req, httplib::Response& res) {
    devices(ledger, clock, limits, held, cert, req, res);
  });
  server.Get("/v1/alerts", [&ledger, &clock, limits, cert](const httplib::Request&, httplib::Response& res) {
    alerts(ledger, clock, limits, cert, res);
  });
}

}  // namespace sw::coordinator
