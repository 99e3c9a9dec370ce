// cpp-httplib adapter for the coordinator's API and console.

#include "sw/coordinator/api/http_api.h"

#include <nlohmann/json.hpp>

#include <map>
#include <mutex>
#include <regex>
#include <set>
#include <tuple>

#include "console_html.h"
#include "kpis.h"
#include "sales_routes.h"
#include "sw/coordinator/api/live_stream.h"
#include "sw/common/event.h"
#include "sw/common/http_json.h"
#include "sw/common/http_server.h"
#include "sw/common/json_text.h"
#include "sw/common/log.h"
#include "sw/common/metrics.h"
#include "sw/coordinator/api/access_policy.h"
#include "sw/coordinator/catalog/routes.h"
#include "sw/coordinator/channels/routes.h"
#include "sw/coordinator/fleet/routes.h"
#include "sw/coordinator/ingest/routes.h"
#include "sw/coordinator/ledger/routes.h"
#include "sw/coordinator/orders/routes.h"
#include "sw/coordinator/settlements/routes.h"
#include "sw/coordinator/wholesale/routes.h"

namespace sw::coordinator {

using common::Error;
using nlohmann::json;
using common::sendJson;

std::unique_ptr<httplib::Server> makeServer(const CoordinatorHttpOptions& o) {
  if (o.tls_cert_file.empty()) return std::make_unique<httplib::Server>();
  return std::make_unique<httplib::SSLServer>(o.tls_cert_file.c_str(), o.tls_key_file.c_str());
}

bool isRead(const std::string& method) { return method == "GET" || method == "HEAD"; }

std::string httpRouteLabel(const std::string& path) {
  static const std::set<std::string, std::less<>> kExact = {
      "/", "/healthz", "/metrics", "/v1/admin/restore", "/v1/alerts", "/v1/anomalies", "/v1/audit", "/v1/available",
      "/v1/catalog", "/v1/channels", "/v1/channels/dead-letters", "/v1/devices", "/v1/discrepancies", "/v1/enroll",
      "/v1/exports/journal", "/v1/reports/sales", "/v1/customers",
      "/v1/events", "/v1/kpis", "/v1/kpis/history", "/v1/orders", "/v1/orders/attention", "/v1/price-lists", "/v1/prices",
      "/v1/quarantine", "/v1/settlements", "/v1/stock", "/v1/stream", "/v1/tasks", "/v1/transfers", "/v1/whoami",
      "/v1/wholesale/files", "/v1/wholesale/partners"};
  if (kExact.count(path)) return path;
  // The routes with a value in their path, as they are registered (catalog/, channels/, orders/ routes.cpp).
  static const std::vector<std::pair<std::regex, std::string>> kPatterns = {
      {std::regex(R"(/v1/catalog/[^/]{1,64})"), "/v1/catalog/{code}"},
      {std::regex(R"(/v1/customers/[^/]{1,64})"), "/v1/customers/{id}"},
      {std::regex(R"(/v1/customers/[^/]{1,64}/(export|erase))"), "/v1/customers/{id}/{what}"},
      {std::regex(R"(/v1/orders/[a-z]{1,20}/[^/]{1,128})"), "/v1/orders/{channel}/{id}"},
      {std::regex(R"(/v1/orders/[a-z]{1,20}/[^/]{1,128}/refund)"), "/v1/orders/{channel}/{id}/refund"},
      {std::regex(R"(/v1/channels/dead-letters/[^/]{1,64}/replay)"), "/v1/channels/dead-letters/{id}/replay"},
      {std::regex(R"(/v1/channels/[^/]{1,64}/reconcile)"), "/v1/channels/{channel}/reconcile"},
      {std::regex(R"(/v1/channels/[^/]{1,64}/webhooks)"), "/v1/channels/{channel}/webhooks"},
      {std::regex(R"(/v1/fulfilments/\d{1,18}/retry)"), "/v1/fulfilments/{id}/retry"},
      {std::regex(R"(/v1/settlements/[^/]{1,64}/fetch)"), "/v1/settlements/{channel}/fetch"},
      {std::regex(R"(/v1/settlements/[^/]{1,64}/[^/]{1,64})"), "/v1/settlements/{channel}/{payout_id}"},
      {std::regex(R"(/v1/admin/restore/[0-9a-f-]{36})"), "/v1/admin/restore/{id}"},
      {std::regex(R"(/v1/wholesale/partners/[^/]{1,64}/(unacknowledged|sent|available))"),
       "/v1/wholesale/partners/{id}/{what}"},
  };
  for (const auto& [re, label] : kPatterns) {
    if (std::regex_match(path, re)) return label;
  }
  return "other";
}

// The error code an answer carries, for the audit log.
std::string outcomeOf(const httplib::Response& res) {
  if (res.status < 400) return "ok";
  json j = json::parse(res.body, nullptr, false);
  if (j.is_object() && j.contains("error") && j["error"].is_object() && j["error"].contains("code") &&
      j["error"]["code"].is_string()) {
    return j["error"]["code"].get<std::string>();
  }
  switch (res.status) {  // refusals answered before the body was read carry their text apart
    case 401: return "unauthorized";
    case 403: return "forbidden";
    case 411: return "length_required";
    case 413: return "body_too_large";
    default: return "http_" + std::to_string(res.status);
  }
}

struct CoordinatorHttpApi::Impl {
  std::vector<std::function<void(common::PrometheusText&)>> metric_sources;
  Ledger& ledger;
  IngestService* ingest;
  const common::Clock& clock;
  SqliteAccess& access;
  CoordinatorHttpOptions options;
  ExposureLimits limits;
  DownlinkService* downlink = nullptr;
  HttpCounters counters;
  KpiRouteExtras kpi_extras;
  // Requests by (method, route label, status) for /metrics: bounded by the route table.
  std::mutex requests_mu;
  std::map<std::tuple<std::string, std::string, int>, uint64_t> requests_by_route;
  std::unique_ptr<httplib::Server> server_owner;
  httplib::Server& server;
  common::HttpServerRunner runner{server};
  // Each live stream holds an HTTP worker: a quarter of them at most.
  LiveStream live{clock, {.max_streams = static_cast<int>(std::max<size_t>(1, options.http.max_workers / 4))}};

  Impl(Ledger& l, IngestService* i, const common::Clock& c, SqliteAccess& a, CoordinatorHttpOptions o)
      : ledger(l), ingest(i), clock(c), access(a), options(std::move(o)), limits(options.limits),
        server_owner(makeServer(options)), server(*server_owner) {}

  // Before any body is read: who is calling (bearer token) and may they call this route.
  bool guard(const httplib::Request& req, httplib::Response& res) {
    auto& headers = const_cast<httplib::Request&>(req).headers;  // httplib's own object, see http_server.cpp
    for (const char* h : {kPrincipalNameHeader, kPrincipalRoleHeader, kPrincipalLocationHeader}) headers.erase(h);
    if (isPublicRoute(req.method, req.path)) return false;
    const std::string auth = req.get_header_value("Authorization");
    if (auth.rfind("Bearer ", 0) != 0) {
      res.set_header("WWW-Authenticate", "Bearer realm=\"stockwire\"");
      common::sendError(res, 401, Error::reject("unauthorized", req.method + " " + req.path +
                                                                 " needs Authorization: Bearer <token> (make one with "
                                                                 "stockwire-coordinator token create)"));
      return true;
    }
    auto who = access.authenticate(std::string_view(auth).substr(7));
    if (!who) {
      common::sendError(res, who.error());
      return true;
    }
    if (!*who) {
      res.set_header("WWW-Authenticate", "Bearer realm=\"stockwire\", error=\"invalid_token\"");
      common::sendError(res, 401, Error::reject("unauthorized", "the bearer token is unknown or revoked"));
      return true;
    }
    headers.emplace(kPrincipalNameHeader, (*who)->name);
    headers.emplace(kPrincipalRoleHeader, roleName((*who)->role));
    headers.emplace(kPrincipalLocationHeader, (*who)->location);
    AccessDecision d = decideAccess(**who, req.method, req.path);
    if (!d.allowed) {
      common::sendError(res, d.status, Error::reject(d.code, d.message));
      return true;
    }
    return false;
  }

  // Every change, and every refused attempt at one, and every read of a customer's personal data
  // (the route names the customer in kAuditSubjectHeader, removed here), before its answer is sent.
  void auditRequest(const httplib::Request& req, httplib::Response& res) {
    std::string subject = res.get_header_value(kAuditSubjectHeader);
    res.headers.erase(kAuditSubjectHeader);
    const bool customer_route = req.path == "/v1/customers" || req.path.rfind("/v1/customers/", 0) == 0;
    if (isRead(req.method) && subject.empty() && !customer_route) return;
    AuditEntry e;
    e.subject = std::move(subject);
    e.at_ms = clock.nowMs();
    e.who = req.get_header_value(kPrincipalNameHeader);
    e.role = req.get_header_value(kPrincipalRoleHeader);
    e.remote = req.remote_addr;
    e.method = req.method;
    e.path = req.path;
    e.target = req.target.size() > 2048 ? req.target.substr(0, 2048) : req.target;
    // A customer lookup's query holds the email looked for: the log keeps the customer id instead.
    if (customer_route) e.target = req.path;
    e.status = res.status;
    e.outcome = outcomeOf(res);
    if (auto s = access.recordAudit(e); !s) {
      SW_ERROR("audit") << "not recorded: " << e.method << ' ' << e.path << " by '" << e.who << "' (" << e.status
                        << "): " << s.error().toString();
    }
  }

  void auditLog(const httplib::Request& req, httplib::Response& res) {
    AuditQuery q;
    q.who = req.get_param_value("who");
    q.method = req.get_param_value("method");
    q.path_prefix = req.get_param_value("path");
    q.refused_only = req.get_param_value("refused") == "1";
    q.subject = req.get_param_value("subject");
    auto status = common::queryInt(req, "status", q.status, 0, 999);
    auto since = common::queryInt(req, "since_ms", q.since_ms, 0, INT64_MAX);
    auto until = common::queryInt(req, "until_ms", q.until_ms, 0, INT64_MAX);
    auto before = common::queryInt(req, "before", q.before_id, 0, INT64_MAX);
    auto limit = common::queryInt(req, "limit", q.limit, 1, 1000);
    for (const auto* r : {&status, &since, &until, &before, &limit}) {
      if (!*r) return common::sendError(res, r->error());
    }
    q.status = static_cast<int>(*status);
    q.since_ms = *since;
    q.until_ms = *until;
    q.before_id = *before;
    q.limit = *limit;
    auto rows = access.audit(q);
    if (!rows) return common::sendError(res, rows.error());
    json out = json::array();
    for (const AuditEntry& e : *rows) {
      out.push_back({{"id", e.id}, {"at_ms", e.at_ms}, {"who", e.who}, {"role", e.role}, {"remote", e.remote},
                     {"method", e.method}, {"path", e.path}, {"target", e.target}, {"status", e.status},
                     {"outcome", e.outcome}, {"subject", e.subject}});
    }
    json page = {{"entries", out}};
    if (static_cast<int64_t>(rows->size()) == q.limit) page["next_before"] = rows->back().id;
    sendJson(res, page);
  }

  void metrics(httplib::Response& res) {
    common::PrometheusText o;
    auto counter = [&](const char* name, const char* help, uint64_t v) { o.counter(name, help, v); };
    auto gauge = [&](const char* name, const char* help, int64_t v) { o.gauge(name, help, static_cast<double>(v)); };
    if (ingest) {
      const IngestStats& s = ingest->stats();
      counter("stockwire_ingest_messages_total", "MQTT messages received from devices", s.messages);
      counter("stockwire_ingest_batches_total", "Event batches decoded", s.batches);
      counter("stockwire_ingest_events_applied_total", "Events applied to the ledger", s.events_applied);
      counter("stockwire_ingest_duplicates_total", "Events received again and skipped", s.duplicates);
      counter("stockwire_ingest_held_total", "Events held behind a gap", s.held);
      counter("stockwire_ingest_dropped_total", "Events beyond the hold limit, left for resend", s.dropped);
      counter("stockwire_ingest_quarantined_total", "Messages quarantined as malformed or invalid", s.quarantined);
      counter("stockwire_ingest_acks_total", "Acks published", s.acks);
      counter("stockwire_ingest_resend_requests_total", "Resend requests for gaps", s.resend_requests);
      counter("stockwire_ingest_seq_conflicts_total", "Batches refused: a seq sent again with another event",
              s.seq_conflicts);
      counter("stockwire_ledger_commits_total", "Ledger transactions committed", s.commits);
      counter("stockwire_ledger_commit_failures_total", "Ledger transactions that failed", s.commit_failures);
      o.histogram("stockwire_ledger_commit_seconds", "Ledger transaction (commit) times", s.commit_latency);
      gauge("stockwire_ingest_queue_depth", "Messages waiting for the apply thread", s.queue_depth);
      if (ledger.partitions() > 0) {
        gauge("stockwire_partitions", "Partitions the split ledger's locations are hashed to", ledger.partitions());
        gauge("stockwire_partitions_held", "Partitions this coordinator holds (applies the devices of)",
              s.partitions_held);
        counter("stockwire_partitions_taken_total", "Partitions taken (free, or run out)", s.partitions_taken);
        counter("stockwire_partitions_given_total", "Partitions given up or lost", s.partitions_given);
        counter("stockwire_ingest_not_ours_total", "Messages of devices another coordinator applies", s.not_ours);
      }
      o.histogram("stockwire_sync_latency_seconds",
                  "Occurred (device time corrected by its clock offset) to applied in the ledger, per event",
                  s.sync_latency);
    }
    if (downlink) {
      DownlinkStats d = downlink->stats();
      counter("stockwire_downlink_requests_total", "Downlink requests from devices", d.requests);
      counter("stockwire_downlink_pages_total", "Downlink pages sent to devices", d.pages);
      counter("stockwire_downlink_notices_total", "Downlink notices published", d.notices);
      counter("stockwire_downlink_bad_requests_total", "Downlink requests refused", d.bad_requests);
    }
    if (auto counts = ledger.anomalyCounts()) {
      o.family("stockwire_ledger_anomalies", "Applied events the ledger could not fully honour, by code", "gauge");
      for (const auto& [code, n] : *counts) {
        o.sample("stockwire_ledger_anomalies{code=\"" + code + "\"}", static_cast<double>(n));
      }
    }
    auto devs = ledger.devices();
    if (devs) {
      std::erase_if(*devs, [](const DeviceRow& d) { return d.internal; });
      int64_t online = 0, warning = 0, critical = 0, queued = 0;
      for (const auto& d : *devs) {
        online += d.online ? 1 : 0;
        queued += static_cast<int64_t>(exposureOf(d, clock.nowMs()).queue_depth);
        for (const DeviceAlert& a : deviceAlerts(d, clock.nowMs(), limits)) (a.level == "critical" ? critical : warning)++;
      }
      gauge("stockwire_devices", "Devices known to the ledger", static_cast<int64_t>(devs->size()));
      gauge("stockwire_devices_online", "Devices whose last state is online", online);
      gauge("stockwire_devices_unsynced_events", "Events devices reported as not yet applied", queued);
      o.family("stockwire_device_alerts", "Device exposure alerts by level", "gauge");
      o.sample("stockwire_device_alerts{level=\"warning\"}", static_cast<double>(warning));
      o.sample("stockwire_device_alerts{level=\"critical\"}", static_cast<double>(critical));
    }
    {
      std::lock_guard lock(requests_mu);
      o.family("stockwire_http_requests_total", "API requests answered, by method, route and status", "counter");
      for (const auto& [key, n] : requests_by_route) {
        const auto& [method, route, code] = key;
        o.sample("stockwire_http_requests_total{method=\"" + method + "\",route=\"" + route + "\",code=\"" +
                     std::to_string(code) + "\"}",
                 static_cast<double>(n));
      }
    }
    for (const auto& source : metric_sources) source(o);
    res.set_content(o.str(), common::kPrometheusContentType);
  }

  void routes() {
    server.Get("/metrics", [this](const httplib::Request&, httplib::Response& res) { metrics(res); });
    server.Get("/healthz", [this](const httplib::Request&, httplib::Response& res) {
      sendJson(res, {{"ok", true}, {"mqtt_connected", ingest && ingest->connected()}});
    });
    server.Get("/", [](const httplib::Request&, httplib::Response& res) {
      res.set_content(kConsoleHtml, "text/html; charset=utf-8");
    });
    server.Get("/v1/audit", [this](const httplib::Request& req, httplib::Response& res) { auditLog(req, res); });
    // Who the token is (the console shows write actions to the roles that may do them).
    server.Get("/v1/whoami", [](const httplib::Request& req, httplib::Response& res) {
      sendJson(res, {{"name", req.get_header_value(kPrincipalNameHeader)},
                     {"role", req.get_header_value(kPrincipalRoleHeader)},
                     {"location", req.get_header_value(kPrincipalLocationHeader)}});
    });
    addRoutes(server, ledger);
    addRoutes(
        server, ledger, clock, limits,
        [this](const std::string& device) -> uint64_t { return ingest ? ingest->heldCount(device) : 0; },
        [this](const std::string& device) -> std::optional<RegisteredDevice> {
          if (!ingest || !ingest->registry()) return std::nullopt;
          return ingest->registry()->find(device);
        });
    if (ingest) {
      addRoutes(server, *ingest);
      live.addPart("ledger", [this] {
        return ingest->stats().events_applied.load() + ingest->stats().quarantined.load();
      });
      // Every batch and state message (a will included) may change what /v1/devices shows.
      live.addPart("devices", [this] { return ingest->stats().messages.load(); });
    }
    live.addRoute(server);
    addKpiRoutes(server, ledger, ingest, clock, counters, kpi_extras);
    server.set_logger([this](const httplib::Request& req, const httplib::Response& res) {
      counters.requests.fetch_add(1, std::memory_order_relaxed);
      if (res.status >= 400 && res.status < 500) counters.rejected.fetch_add(1, std::memory_order_relaxed);
      if (res.status >= 500) counters.failed.fetch_add(1, std::memory_order_relaxed);
      static const std::set<std::string, std::less<>> kMethods = {"GET", "HEAD", "POST", "PUT", "DELETE", "PATCH",
                                                                  "OPTIONS"};
      std::string method = kMethods.count(req.method) ? req.method : "other";
      const int code = res.status >= 100 && res.status <= 599 ? res.status : 0;
      std::lock_guard lock(requests_mu);
      ++requests_by_route[{std::move(method), httpRouteLabel(req.path), code}];
    });
    common::configureHttpServer(server, options.http,
                                [this](const httplib::Request& req, httplib::Response& res) { return guard(req, res); });
    server.set_post_routing_handler(
        [this](const httplib::Request& req, httplib::Response& res) { auditRequest(req, res); });
  }
};

common::Result<std::unique_ptr<CoordinatorHttpApi>> CoordinatorHttpApi::make(Ledger& ledger,
                                                                           IngestService* ingest,
                                                                           const common::Clock& clock,
                                                                           SqliteAccess& access,
                                                                           CoordinatorHttpOptions options) {
  if (options.tls_cert_file.empty() != options.tls_key_file.empty()) {
    return Error::reject("bad_option", "give both --tls-cert and --tls-key, or neither");
  }
  std::unique_ptr<CoordinatorHttpApi> api(new CoordinatorHttpApi());
  api->impl_ = std::make_unique<Impl>(ledger, ingest, clock, access, std::move(options));
  if (!api->impl_->server.is_valid()) {
    return Error::reject("bad_tls", "cannot load the TLS certificate or key (" + api->impl_->options.tls_cert_file +
                                        ", " + api->impl_->options.tls_key_file + "): PEM files expected");
  }
  api->impl_->routes();
  return api;
}

CoordinatorHttpApi::~CoordinatorHttpApi() { stop(); }

common::Status CoordinatorHttpApi::start(const std::string& host, int port) { return impl_->runner.start(host, port); }

void CoordinatorHttpApi::stop() {
  if (!impl_) return;
  impl_->live.stop();  // open streams end within a poll, so the workers can be joined
  impl_->runner.stop();
}

void CoordinatorHttpApi::setDownlink(DownlinkService* downlink) { impl_->downlink = downlink; }

void CoordinatorHttpApi::setChannels(Availability& availability, channels::PushScheduler* push) {
  addRoutes(impl_->server, availability, push);
  if (!push) return;
  impl_->live.addPart("channels", [push] {
    uint64_t v = 0;
    for (const channels::ChannelStatus& c : push->status()) {
      v += static_cast<uint64_t>(c.pushed + c.failed + c.retried + c.stale + c.calls + c.changes) + c.queue +
           c.awaiting_accept + static_cast<uint64_t>(c.reconcile ? c.reconcile->finished_at_ms : 0);
    }
    return v;
  });
}

void CoordinatorHttpApi::setCatalog(SqliteCatalog& catalog, CatalogHttpConfig config,
                                    std::function<void(const std::vector<std::string>&)> changed) {
  addRoutes(impl_->server, catalog, impl_->clock, config, std::move(changed));
}

void CoordinatorHttpApi::setOrders(OrderService& orders) {
  addRoutes(impl_->server, orders);
  impl_->live.addPart("orders", [&orders] {
    const OrdersStats& st = orders.stats();  // polls that found nothing new are left out
    return st.accepted.load() + st.rejected_no_stock.load() + st.cancelled.load() + st.tasks_completed.load() +
           st.fulfilments_reported.load() + st.fulfilment_errors.load() + st.fulfilments_failed.load() +
           st.channel_cancels.load() + st.manual_cancels.load() + st.refunds_applied.load();
  });
  impl_->kpi_extras.orders = &orders.book();
}

void CoordinatorHttpApi::setSettlements(settlements::SettlementService& settlements) {
  settlements::addRoutes(impl_->server, settlements);
}

void CoordinatorHttpApi::setRevenue(RevenueBook& revenue) {
  impl_->kpi_extras.revenue = &revenue;
  addSalesRoutes(impl_->server, impl_->ledger, impl_->clock, impl_->kpi_extras, revenue);
}

void CoordinatorHttpApi::setWholesale(wholesale::WholesaleService& wholesale) {
  wholesale::addRoutes(impl_->server, wholesale);
  impl_->live.addPart("wholesale", [&wholesale] {
    const wholesale::WholesaleStats& st = wholesale.stats();
    return st.files.load() + st.sent.load();
  });
}

void CoordinatorHttpApi::setKpiHistory(SqliteKpiSeries& history, KpiSamplerOptions options) {
  impl_->kpi_extras.history = &history;
  impl_->kpi_extras.history_options = options;
}

const HttpCounters& CoordinatorHttpApi::httpCounters() const { return impl_->counters; }

void CoordinatorHttpApi::addLivePart(const std::string& name, std::function<uint64_t()> version) {
  impl_->live.addPart(name, std::move(version));
}

void CoordinatorHttpApi::addMetrics(std::function<void(common::PrometheusText&)> source) {
  impl_->metric_sources.push_back(std::move(source));
}

void CoordinatorHttpApi::setEnrollment(Enrollment& enrollment) { addRoutes(impl_->server, enrollment); }

void CoordinatorHttpApi::setRestoreDesk(RestoreDesk& desk) { addRoutes(impl_->server, desk); }

int CoordinatorHttpApi::port() const { return impl_->runner.port(); }

}  // namespace sw::coordinator
