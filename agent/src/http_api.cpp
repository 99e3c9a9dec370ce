// cpp-httplib adapter for the agent's local API.

#include "sw/agent/http_api.h"

#include <openssl/crypto.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>
#include <cstdio>

#include "devices_http.h"
#include "sw/agent/catalog.h"
#include "sw/agent/requests.h"
#include "sw/agent/tasks.h"
#include "sw/common/codec.h"
#include "sw/common/http_json.h"
#include "sw/common/http_server.h"
#include "sw/common/json_text.h"
#include "sw/common/log.h"
#include "sw/common/metrics.h"

namespace sw::agent {

using common::Error;
using nlohmann::json;
using common::sendJson;

struct AgentHttpApi::Impl {
  Store& store;
  SyncLoop* sync;
  const common::Clock& clock;
  ExposureLimits limits;
  DownlinkClient* downlink = nullptr;
  Devices* devices = nullptr;
  httplib::Server server;
  common::HttpServerRunner runner{server};
  std::string api_token;  // empty: no token needed
  common::LatencyHistogram record_latency;  // store.record: from the parsed request to durable

  std::string statusJson();
  std::string metricsText();

  Impl(Store& s, SyncLoop* y, const common::Clock& c, ExposureLimits l) : store(s), sync(y), clock(c), limits(l) {}


  void record(const httplib::Request& req, httplib::Response& res, common::Result<EventDraft> draft) {
    if (!draft) return common::sendError(res, draft.error());
    if (draft->idempotency_key.empty() && req.has_header("Idempotency-Key")) {
      draft->idempotency_key = req.get_header_value("Idempotency-Key");
    }
    if (auto s = checkNoCardData(*draft); !s) return common::sendError(res, s.error());  // the header too
    if (draft->idempotency_key.size() > 128) {
      return common::sendError(res, Error::reject("bad_idempotency_key", "idempotency key is at most 128 characters"));
    }
    if (draft->type == common::EventType::kSale && draft->price_flags.empty()) {
      // Selling never stops for a price: what the check finds travels with the sale.
      auto flags = checkSalePrices(store, draft->lines, clock.nowMs());
      if (flags) {
        draft->price_flags = std::move(*flags);
      } else {
        SW_WARN("http") << "price check skipped: " << flags.error().toString();
      }
    }
    const int64_t t0 = clock.monoMs();
    auto rec = store.record(*draft);
    record_latency.observeUs(static_cast<uint64_t>(std::max<int64_t>(0, clock.monoMs() - t0)) * 1000);
    if (!rec) {
      SW_WARN("http") << req.path << " refused: " << rec.error().toString();
      return common::sendError(res, rec.error());
    }
    if (sync && !rec->duplicate) sync->notify();
    bool receipted = draft->type == common::EventType::kSale || draft->type == common::EventType::kReturn;
    if (devices && !rec->duplicate && receipted) devices->saleRecorded();  // queued, never waited for
    json out = {{"event_id", rec->event_id}, {"seq", rec->seq}, {"occurred_at_ms", rec->occurred_at_ms},
                {"duplicate", rec->duplicate}};
    if (!rec->duplicate && !draft->price_flags.empty()) {
      json checks = json::array();
      for (const common::PriceFlag& f : draft->price_flags) {
        json c = {{"line", f.line}, {"check", common::priceCheckName(f.check)}};
        if (f.list_price) c["catalog_price"] = f.list_price->toString();
        checks.push_back(std::move(c));
      }
      out["price_checks"] = std::move(checks);
    }
    sendJson(res, out, rec->duplicate ? 200 : 201);
  }

  void routes() {
    server.Post("/v1/sales", [this](const httplib::Request& req, httplib::Response& res) {
      record(req, res, parseSaleRequest(req.body, common::EventType::kSale));
    });
    server.Post("/v1/returns", [this](const httplib::Request& req, httplib::Response& res) {
      record(req, res, parseSaleRequest(req.body, common::EventType::kReturn));
    });
    server.Post("/v1/voids", [this](const httplib::Request& req, httplib::Response& res) {
      record(req, res, parseVoidRequest(req.body));
    });
    server.Post("/v1/movements", [this](const httplib::Request& req, httplib::Response& res) {
      record(req, res, parseMovementRequest(req.body));
    });
    server.Get("/v1/status", [this](const httplib::Request&, httplib::Response& res) {
      res.set_content(statusJson(), "application/json");
    });
    server.Get("/metrics", [this](const httplib::Request&, httplib::Response& res) {
      res.set_content(metricsText(), common::kPrometheusContentType);
    });
    server.Get(R"(/v1/stock/([^/]{1,64}))", [this](const httplib::Request& req, httplib::Response& res) {
      std::string sku = req.matches[1].str();
      if (!common::isValidSku(sku)) return common::sendError(res, Error::reject("bad_sku", "sku is not valid"));
      auto est = store.estimateStock(sku);
      if (!est) return common::sendError(res, est.error());
      json locs = json::array();
      for (const StockEstimate& e : *est) {
        locs.push_back({{"location", e.location}, {"estimate", e.estimate}, {"in_view", e.in_view},
                        {"view_on_hand", e.view_on_hand}, {"own_unsynced_moves", e.own_unsynced_moves}});
      }
      sendJson(res, json{{"sku", sku}, {"locations", locs}});
    });
    server.Get(R"(/v1/items/([^/]{1,128}))", [this](const httplib::Request& req, httplib::Response& res) {
      auto item = lookupItem(store, req.matches[1].str(), clock.nowMs());
      if (!item) return common::sendError(res, item.error());
      if (!*item) return common::sendError(res, Error::reject("not_found", "no item with this SKU or GTIN in the local catalog"));
      sendJson(res, **item);
    });
    server.Get(R"(/v1/events/(\d{1,19}))", [this](const httplib::Request& req, httplib::Response& res) {
      auto e = store.eventAt(std::stoull(req.matches[1].str()));
      if (!e) return common::sendError(res, e.error());
      res.set_content(common::eventToJsonText(*e), "application/json");
    });
    server.Get("/v1/tasks", [this](const httplib::Request&, httplib::Response& res) {
      auto tasks = listPickTasks(store);
      if (!tasks) return common::sendError(res, tasks.error());
      sendJson(res, *tasks);
    });
    server.Post(R"(/v1/tasks/([0-9a-fA-F-]{36})/confirm)", [this](const httplib::Request& req, httplib::Response& res) {
      auto done = confirmPickTask(store, req.matches[1].str(), req.body);
      if (!done) {
        SW_WARN("http") << req.path << " refused: " << done.error().toString();
        return common::sendError(res, done.error());
      }
      if (sync && !done->value("duplicate", false)) sync->notify();
      sendJson(res, *done, done->value("duplicate", false) ? 200 : 201);
    });
    server.set_logger([this](const httplib::Request&, const httplib::Response& res) {
      if (sync) sync->countRequest(res.status >= 400 && res.status < 500);
    });
    common::HttpServerLimits http_limits;  // 1 MiB bodies, 64 connections at once, idle ones dropped after 2 s
    common::configureHttpServer(server, http_limits,
                                [this](const httplib::Request& req, httplib::Response& res) { return guard(req, res); });
  }

  // "127.0.0.1:PORT", "localhost:PORT", "[::1]:PORT" (the port may be left out for 80 only).
  bool isLocalAuthority(std::string_view a) const {
    const std::string port = std::to_string(runner.port());
    for (std::string_view host : {"127.0.0.1", "localhost", "[::1]"}) {
      if (a.size() > host.size() && a.substr(0, host.size()) == host && a[host.size()] == ':' &&
          a.substr(host.size() + 1) == port) {
        return true;
      }
      if (a == host && port == "80") return true;
    }
    return false;
  }

  static std::string lower(std::string s) {
    std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return s;
  }

  bool guard(const httplib::Request& req, httplib::Response& res) const {
    const std::string host = lower(req.get_header_value("Host"));
    if (!isLocalAuthority(host)) {
      common::sendError(res, 421, Error::reject("foreign_host", "this API answers only requests for 127.0.0.1:" +
                                                                    std::to_string(runner.port()) + " or localhost:" +
                                                                    std::to_string(runner.port()) + " (Host was '" +
                                                                    req.get_header_value("Host") + "')"));
      return true;
    }
    if (req.has_header("Origin")) {
      const std::string origin = lower(req.get_header_value("Origin"));
      const std::string prefix = "http://";
      if (origin.rfind(prefix, 0) != 0 || !isLocalAuthority(std::string_view(origin).substr(prefix.size()))) {
        common::sendError(res, 403, Error::reject("foreign_origin", "requests from web pages of other origins are "
                                                                    "refused (Origin was '" +
                                                                        req.get_header_value("Origin") + "')"));
        return true;
      }
    }
    if (!api_token.empty()) {
      const std::string auth = req.get_header_value("Authorization");
      const std::string want = "Bearer " + api_token;
      if (auth.size() != want.size() || CRYPTO_memcmp(auth.data(), want.data(), want.size()) != 0) {
        res.set_header("WWW-Authenticate", "Bearer realm=\"stockwire-agent\"");
        common::sendError(res, 401, Error::reject("unauthorized", "send Authorization: Bearer <the token in the "
                                                                  "agent's --api-token-file>"));
        return true;
      }
    }
    if (req.method == "POST") {
      std::string type = lower(req.get_header_value("Content-Type"));
      type = type.substr(0, type.find(';'));
      while (!type.empty() && type.back() == ' ') type.pop_back();
      if (type != "application/json") {
        common::sendError(res, 415, Error::reject("unsupported_media_type",
                                                  "POST bodies must be sent as Content-Type: application/json (was '" +
                                                      req.get_header_value("Content-Type") + "')"));
        return true;
      }
    }
    return false;
  }
};

static bool isLoopbackHost(const std::string& host) {
  if (host == "localhost" || host == "::1" || host == "[::1]") return true;
  unsigned a = 0, b = 0, c = 0, d = 0;
  char extra = 0;
  if (std::sscanf(host.c_str(), "%u.%u.%u.%u%c", &a, &b, &c, &d, &extra) != 4) return false;
  return a == 127 && b < 256 && c < 256 && d < 256;
}

AgentHttpApi::AgentHttpApi(Store& store, SyncLoop* sync, const common::Clock& clock, ExposureLimits limits)
    : impl_(std::make_unique<Impl>(store, sync, clock, limits)) {
  impl_->routes();
}

AgentHttpApi::~AgentHttpApi() { stop(); }

void AgentHttpApi::setDownlink(DownlinkClient* downlink) { impl_->downlink = downlink; }

void AgentHttpApi::setDevices(Devices* devices) {
  impl_->devices = devices;
  if (devices) installDeviceRoutes(impl_->server, *devices);
}

common::Status AgentHttpApi::start(const std::string& host, int port) {
  if (!isLoopbackHost(host)) {
    return Error::reject("http_not_local", "the agent's API serves this machine only: --http must be a loopback "
                                           "address (127.0.0.1, ::1 or localhost), not '" + host + "'");
  }
  return impl_->runner.start(host, port);
}

void AgentHttpApi::setApiToken(std::string token) { impl_->api_token = std::move(token); }

void AgentHttpApi::setCertRenewer(CertRenewer* renewer) {
  if (!renewer) return;
  impl_->server.Get("/v1/certificate", [renewer](const httplib::Request&, httplib::Response& res) {
    RenewalStatus st = renewer->status();
    nlohmann::json j = {{"serial", st.serial}, {"not_after_ms", st.not_after_ms}, {"renewals", st.renewals},
                        {"last_error", st.last_error}};
    sendJson(res, j);
  });
  impl_->server.Post("/v1/certificate/renew", [renewer](const httplib::Request&, httplib::Response& res) {
    renewer->renewNow();
    res.status = 202;
    res.set_content(R"({"requested":true})", "application/json");
  });
}

void AgentHttpApi::stop() {
  if (impl_) impl_->runner.stop();
}

int AgentHttpApi::port() const { return impl_->runner.port(); }

std::string AgentHttpApi::statusJson() { return impl_->statusJson(); }

// This device's figures for Prometheus (served on the loopback API like the rest; with
// --api-token-file the scraper sends the token too).
std::string AgentHttpApi::Impl::metricsText() {
  common::PrometheusText p;
  if (auto st = store.stats()) {
    const int64_t now = clock.nowMs();
    const int64_t age_s =
        st->oldest_unsynced_recorded_at_ms ? std::max<int64_t>(0, (now - st->oldest_unsynced_recorded_at_ms) / 1000) : 0;
    p.gauge("stockwire_agent_last_seq", "Seq of the newest event recorded", static_cast<double>(st->last_seq));
    p.gauge("stockwire_agent_last_acked_seq", "Seq up to which the coordinator has applied",
            static_cast<double>(st->last_acked_seq));
    p.gauge("stockwire_agent_queue_depth", "Events recorded and not yet applied by the coordinator",
            static_cast<double>(st->queue_depth));
    p.gauge("stockwire_agent_oldest_unsynced_age_seconds", "Age of the oldest event not yet applied", static_cast<double>(age_s));
    p.gauge("stockwire_agent_disk_free_bytes", "Free bytes on the store's disk", static_cast<double>(st->disk_free_bytes));
    p.gauge("stockwire_agent_stored_events", "Events kept in the local store", static_cast<double>(st->stored_events));
    if (st->disk_time_left_s >= 0) {
      p.gauge("stockwire_agent_disk_time_left_seconds",
              "Until the store refuses writes, at the last hour's recording rate, if nothing is pruned",
              static_cast<double>(st->disk_time_left_s));
    }
    p.gauge("stockwire_agent_store_write_failing", "1 while new events are being refused (disk full, read-only)",
            st->last_write_failure.at_ms != 0 ? 1 : 0);
  }
  p.histogram("stockwire_agent_record_seconds", "Time to record one event durably (store commit)", record_latency);
  if (sync) {
    SyncStatus s = sync->status();
    p.gauge("stockwire_agent_broker_connected", "1 while connected to the MQTT broker", s.broker_connected ? 1 : 0);
    p.gauge("stockwire_agent_coordinator_online", "1 while the coordinator answers", s.coordinator_online ? 1 : 0);
    p.counter("stockwire_agent_batches_sent_total", "Event batches published", s.batches_sent);
    p.counter("stockwire_agent_resends_total", "Resends after a lost connection, a silence or a resend request", s.resends);
    p.counter("stockwire_agent_bad_acks_total", "Acks refused as inconsistent", s.bad_acks);
    p.gauge("stockwire_agent_ack_rtt_seconds", "Smoothed ack round trip", static_cast<double>(s.srtt_ms) / 1000);
    p.gauge("stockwire_agent_clock_offset_seconds", "Coordinator clock minus this device's",
            static_cast<double>(s.clock_offset_ms) / 1000);
    p.counter("stockwire_agent_http_requests_total", "Local API requests answered", sync->requestCount());
    p.counter("stockwire_agent_http_rejected_total", "Local API requests answered with a 4xx", sync->rejectedRequestCount());
  }
  return p.str();
}

std::string AgentHttpApi::Impl::statusJson() {
  json j = {{"device_id", store.deviceId()}, {"location", store.location()}, {"kind", store.kind()},
            {"epoch", store.epoch()}};
  auto st = store.stats();
  int64_t now = clock.nowMs();
  json alerts = json::array();
  if (auto rs = store.resequenceInfo(); rs.count > 0) {
    const Store::Resequenced& r = rs.last;
    j["resequenced"] = {{"count", rs.count}, {"at_ms", r.at_ms}, {"from_seq", r.from_seq}, {"shift", r.shift},
                        {"events", r.events}, {"old_epoch", r.old_epoch}, {"new_epoch", r.new_epoch}};
    if (now - r.at_ms < 24LL * 3600 * 1000) {
      alerts.push_back({{"code", "seq_conflict"},
                        {"message", "the coordinator had other events at seqs this store reused (restored from an older"
                                    " copy?): " + std::to_string(r.events) + " events from seq " +
                                        std::to_string(r.from_seq) + " renumbered by +" + std::to_string(r.shift) +
                                        "; none lost"}});
    }
  }
  if (st) {
    int64_t age_s = st->oldest_unsynced_recorded_at_ms ? std::max<int64_t>(0, (now - st->oldest_unsynced_recorded_at_ms) / 1000) : 0;
    j["last_seq"] = st->last_seq;
    j["last_acked_seq"] = st->last_acked_seq;
    j["queue_depth"] = st->queue_depth;
    j["oldest_unsynced_age_s"] = age_s;
    j["disk_free_bytes"] = st->disk_free_bytes;
    if (st->disk_time_left_s >= 0) j["disk_time_left_s"] = st->disk_time_left_s;
    j["stored_events"] = st->stored_events;
    const ExposureLimits& l = limits;
    if (age_s > l.max_offline_s * 8 / 10) {
      alerts.push_back({{"code", "offline_too_long"}, {"message", "oldest unsynced event is " + std::to_string(age_s) +
                                                                     " s old (limit " + std::to_string(l.max_offline_s) + " s)"}});
    }
    if (st->queue_depth > l.max_queue_depth * 8 / 10) {
      alerts.push_back({{"code", "queue_too_deep"}, {"message", std::to_string(st->queue_depth) + " events unsynced (limit " +
                                                                    std::to_string(l.max_queue_depth) + ")"}});
    }
    if (st->last_write_failure.at_ms != 0) {
      j["last_write_failure"] = {{"at_ms", st->last_write_failure.at_ms}, {"code", st->last_write_failure.code},
                                 {"message", st->last_write_failure.message}};
      alerts.push_back({{"code", "store_write_failing"},
                        {"message", "new events are being refused: " + st->last_write_failure.message}});
    }
    if (st->disk_free_bytes >= 0 && st->disk_free_bytes < l.min_disk_free_bytes) {
      alerts.push_back({{"code", "disk_low"}, {"message", std::to_string(st->disk_free_bytes / (1024 * 1024)) +
                                                              " MiB free (limit " + std::to_string(l.min_disk_free_bytes / (1024 * 1024)) + " MiB)"}});
    }
  } else {
    j["store_error"] = st.error().toString();
  }
  SyncStatus ss;
  if (sync) ss = sync->status();
  j["online"] = ss.broker_connected && ss.coordinator_online;
  if (sync) {
    j["requests"] = sync->requestCount();
    j["rejected_requests"] = sync->rejectedRequestCount();
  }
  j["broker_connected"] = ss.broker_connected;
  j["coordinator_online"] = ss.coordinator_online;
  j["clock_offset_ms"] = ss.clock_offset_ms;
  j["clock_offset_known"] = ss.clock_offset_known;
  j["last_ack_at_ms"] = ss.last_ack_at_ms;
  j["batch_events"] = ss.batch_events;
  j["resends"] = ss.resends;
  j["ack_timeout_ms"] = ss.rto_ms;
  j["ack_rtt_ms"] = ss.srtt_ms;
  if (ss.refused) {
    j["refused"] = ss.refused_reason;
    alerts.push_back({{"code", "refused_by_coordinator"}, {"message", ss.refused_reason}});
  }
  j["bad_acks"] = ss.bad_acks;
  if (ss.bad_acks > 0) {
    j["last_bad_ack"] = {{"at_ms", ss.last_bad_ack_at_ms}, {"reason", ss.last_bad_ack}};
    if (now - ss.last_bad_ack_at_ms < 24LL * 3600 * 1000) {
      alerts.push_back({{"code", "bad_ack"},
                        {"message", std::to_string(ss.bad_acks) + " inconsistent ack(s) ignored (forged?); last: " +
                                        ss.last_bad_ack}});
    }
  }
  j["alerts"] = alerts;
  if (downlink) {
    json down = json::array();
    for (const auto& [key, ds] : downlink->states()) {
      down.push_back({{"kind", key.first}, {"location", key.second}, {"version", ds.version}, {"latest", ds.target},
                      {"catching_up", !ds.cursor.empty() || ds.target > ds.version},
                      {"updated_at_ms", ds.updated_at_ms}, {"snapshot_pages", ds.snapshot_pages},
                      {"delta_pages", ds.delta_pages}});
    }
    j["downlink"] = down;
  }
  return common::toJsonText(j);
}

}  // namespace sw::agent
