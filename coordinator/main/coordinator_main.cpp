// stockwire-coordinator: the ledger, ingest, and the HTTP API.

#include <cstdio>
#include <iostream>
#include <string>
#include <vector>

#include "sw/common/args.h"
#include "sw/common/cli.h"
#include "sw/common/codec.h"
#include "sw/common/crash_point.h"
#include "sw/common/csv.h"
#include "sw/common/files.h"
#include "sw/common/log.h"
#include "sw/common/paho_transport.h"
#include "sw/common/process.h"
#include "sw/common/topics.h"
#include "sw/common/uuid.h"
#include "sw/coordinator/api/access.h"
#include "sw/coordinator/catalog/catalog.h"
#include "sw/coordinator/fleet/cert_renewal.h"
#include "sw/coordinator/channels/channel_service.h"
#include "sw/coordinator/channels/channel_decode.h"
#include "sw/coordinator/downlink/downlink.h"
#include "sw/coordinator/fleet/enrollment.h"
#include "sw/coordinator/api/http_api.h"
#include "sw/coordinator/ingest/ingest.h"
#include "sw/coordinator/ledger/sqlite_ledger.h"
#include "sw/coordinator/orders/order_service.h"
#include "sw/coordinator/orders/pick_tasks.h"
#include "sw/coordinator/fleet/registry.h"
#include "sw/coordinator/orders/order_book.h"
#include "sw/coordinator/downlink/stock_view.h"

namespace {

using namespace sw;

constexpr const char* kUsage = R"(stockwire-coordinator: keeps the inventory ledger and takes device events in.

Usage:
  stockwire-coordinator serve --broker URL --db PATH [--http HOST:PORT] [options]
  stockwire-coordinator verify --db PATH
  stockwire-coordinator verify --chain --db PATH [--device D]
  stockwire-coordinator device add --db PATH --device ID --location LOC --role pos|handheld
  stockwire-coordinator device import --db PATH --csv FILE     (rows: store,device_id,role; header first)
  stockwire-coordinator device list --db PATH
  stockwire-coordinator device revoke --db PATH --device ID [--reason TEXT]
  stockwire-coordinator token create --db PATH --name NAME --role admin|store_manager|viewer [--location LOC]
  stockwire-coordinator token list --db PATH
  stockwire-coordinator token revoke --db PATH --name NAME
  stockwire-coordinator channel-decode --channel shopify|amazon|ebay|woocommerce [--channels-config FILE] [--pretty] < payload.json
  stockwire-coordinator --help

serve options:
@SERVE_OPTIONS@

device: the device registry in the ledger file. Ingest takes batches only from registered, unrevoked
devices, for the location registered here (anything else is quarantined with the reason); enrollment
registers devices too. Changes reach a running coordinator within about a second; a revoked device
id cannot be registered again.

token: API bearer tokens, kept hashed in the ledger file. create prints the token once (keep it:
it cannot be shown again); a store_manager token needs --location, its own store. Every API route
needs one except the console page, /healthz, channel webhooks (signed) and device enrollment.

verify: recomputes every on-hand figure from the movement log and prints any that differ (exit 1 if any).
verify --chain: recomputes every device's (or D's) hash chain from the ledger's tables, end to end, and
  prints one line per device: ok, unchained, or its first break (exit 1 if any device has one).

channel-decode: reads one channel payload (Shopify orders/* webhook body; Amazon getOrders/getOrder/
getOrderItems, searchOrders/getOrder 2026-01-01 or ORDER_CHANGE; eBay getOrders/getOrder; WooCommerce
order JSON) on stdin and prints each order, normalised, as one JSON object per line; a payload it cannot
use gives {"error":{...}} and exit code 1. With --channels-config, a pickup order's store reference is
mapped through channels.<channel>.channel_locations and shown as pickup.location.

Exit codes: 0 after SIGINT/SIGTERM, 2 on bad options, 3 when the ledger cannot be opened.
)";

using Kind = common::OptionSpec::Kind;

// serve's options, declared once: parsing, ranges, defaults and the help text all come from here.
const common::OptionTable& serveOptions() {
  static const common::OptionTable table({
      {"config", Kind::kText, "FILE", "", 0, 0, "JSON file with any of these options (keys with '_' for '-')"},
      {"broker", Kind::kText, "URL", "", 0, 0, "MQTT broker, e.g. tcp://127.0.0.1:1883", true},
      {"db", Kind::kText, "PATH", "", 0, 0, "the ledger's SQLite file (created if missing)", true},
      {"http", Kind::kText, "HOST:PORT", "127.0.0.1:8800", 0, 0, "API and console address (port 0 = any free port)"},
      {"tls-cert", Kind::kText, "FILE", "", 0, 0, "with --tls-key: serve the API and console over HTTPS (PEM chain)"},
      {"tls-key", Kind::kText, "FILE", "", 0, 0, "the key of --tls-cert (PEM)"},
      {"http-workers", Kind::kInt, "N", "256", 1, 100'000,
       "connections the API serves at once (idle ones are dropped after 2 s)"},
      {"client-id", Kind::kText, "ID", "stockwire-coordinator", 0, 0, "MQTT client id"},
      {"share-group", Kind::kText, "NAME", "", 0, 0, "subscribe through $share/NAME/ so several coordinators split the devices"},
      {"reorder-timeout-ms", Kind::kInt, "N", "1000", 1, 3'600'000,
       "hold a gap this long before asking the device to resend"},
      {"alert-offline-hours", Kind::kInt, "N", "12", 1, 24 * 365,
       "alert when a device is offline or holds unsynced events this long"},
      {"alert-queue", Kind::kInt, "N", "100000", 1, INT64_MAX, "alert when a device holds this many unsynced events"},
      {"alert-disk-mb", Kind::kInt, "N", "256", 1, 1 << 30, "alert when a device has less free disk than this"},
      {"count-tie-ms", Kind::kInt, "N", "", 0, 86'400'000,
       "movements from other devices this close to a count are taken as seen by it\n(never counted twice); "
       "fixed when the ledger is created (default 2000)"},
      {"import-max-mb", Kind::kInt, "N", "32", 1, 4096, "largest catalog/price upload accepted, in MiB (larger: 413)"},
      {"import-max-rows", Kind::kInt, "N", "100000", 1, 100'000'000, "most rows in one catalog/price upload (more: 413)"},
      {"channels-config", Kind::kText, "FILE", "", 0, 0,
       "available-to-sell rules and channel connectors (JSON, see\ncoordinator/README.md); channels with a "
       "connector get pushed to"},
      {"locations-config", Kind::kText, "FILE", "", 0, 0,
       "order routing: coordinates and costs per location, country centroids\n(JSON, see coordinator/README.md "
       "\"Orders\"); without it every location ships at cost 0"},
      {"order-poll-ms", Kind::kInt, "N", "60000", 1, 86'400'000,
       "how often each channel with a connector is polled for orders"},
      {"mqtt-ca", Kind::kText, "FILE", "", 0, 0, "the CA chain of an ssl:// broker (from stockwire-provision coordinator-cert)"},
      {"mqtt-cert", Kind::kText, "FILE", "", 0, 0, "this coordinator's MQTT client certificate"},
      {"mqtt-key", Kind::kText, "FILE", "", 0, 0, "its key"},
      {"ca", Kind::kText, "FILE", "", 0, 0, "the same as --mqtt-ca"},
      {"cert", Kind::kText, "FILE", "", 0, 0, "the same as --mqtt-cert"},
      {"key", Kind::kText, "FILE", "", 0, 0, "the same as --mqtt-key"},
      {"fleet-dir", Kind::kText, "FLEET", "", 0, 0,
       "enables POST /v1/enroll (devices enroll with a one-time token from\nstockwire-provision token) and watches "
       "FLEET/crl.pem (every 2 s): devices\nwhose certificate it lists are marked revoked"},
      {"enroll-broker-url", Kind::kText, "URL", "", 0, 0, "broker URL handed to enrolled devices (default: --broker)"},
      {"enroll-validity-days", Kind::kInt, "N", "30", 1, 825,
       "validity of device certificates issued at enrollment and renewal"},
      {"log-level", Kind::kText, "LEVEL", "info", 0, 0, "debug, info, warn or error"},
  });
  return table;
}

std::string usage() {
  std::string u = kUsage;
  u.replace(u.find("@SERVE_OPTIONS@\n"), 16, serveOptions().help());
  return u;
}

int fail(const common::Error& e, int code) {
  std::fprintf(stderr, "stockwire-coordinator: %s\n", e.toString().c_str());
  return code;
}

int serve(const std::vector<std::string>& raw) {
  auto opts = serveOptions().parse(raw);
  if (!opts) return fail(opts.error(), 2);
  common::LogLevel level;
  if (!common::parseLogLevel(opts->text("log-level"), &level)) {
    return fail(common::Error::reject("bad_option", "--log-level must be debug, info, warn or error"), 2);
  }
  common::setLogLevel(level);
  auto hp = common::parseHostPort(opts->text("http"));
  if (!hp) return fail(hp.error(), 2);
  coordinator::ExposureLimits limits;
  limits.max_offline_s = opts->integer("alert-offline-hours") * 3600;
  limits.max_queue_depth = static_cast<uint64_t>(opts->integer("alert-queue"));
  limits.min_disk_free_bytes = opts->integer("alert-disk-mb") << 20;

  const std::string db = opts->text("db");
  // -1: the value the ledger was created with (a new ledger: its default).
  const int64_t tie = opts->has("count-tie-ms") ? opts->integer("count-tie-ms") : -1;
  auto ledger = coordinator::SqliteLedger::open({.path = db, .count_tie_ms = tie});
  if (!ledger) return fail(ledger.error(), ledger.error().code == "bad_option" ? 2 : 3);

  const common::Clock& clock = common::SystemClock::instance();
  coordinator::CatalogHttpConfig catalog_http;
  catalog_http.max_body_bytes = static_cast<size_t>(opts->integer("import-max-mb")) << 20;
  catalog_http.limits.max_rows = static_cast<size_t>(opts->integer("import-max-rows"));
  auto catalog = coordinator::SqliteCatalog::open(db, clock);
  if (!catalog) return fail(catalog.error(), 3);
  std::string session = common::newUuid();
  common::MqttConfig mc;
  mc.broker_url = opts->text("broker");
  mc.client_id = opts->text("client-id");
  mc.ca_file = opts->has("mqtt-ca") ? opts->text("mqtt-ca") : opts->text("ca");
  mc.cert_file = opts->has("mqtt-cert") ? opts->text("mqtt-cert") : opts->text("cert");
  mc.key_file = opts->has("mqtt-key") ? opts->text("mqtt-key") : opts->text("key");
  mc.max_inflight = 256;
  mc.will = common::MqttWill{std::string(common::topics::kCoordinatorState),
                             common::encodeCoordinatorState({false, session, clock.nowMs()}), 1, true};
  auto transport = common::makePahoTransport(mc);

  auto registry = coordinator::DeviceRegistry::open(db, clock);
  if (!registry) return fail(registry.error(), 3);
  coordinator::IngestConfig ic;
  ic.registry = registry->get();
  ic.sequencer.reorder_timeout_ms = opts->integer("reorder-timeout-ms");
  ic.share_group = opts->text("share-group");
  coordinator::IngestService ingest(**ledger, *transport, clock, ic, session);
  coordinator::SqliteLedger* ledger_ptr = ledger->get();
  coordinator::SqliteCatalog* catalog_ptr = catalog->get();
  coordinator::DownlinkService downlink(*transport, clock, {}, [ledger_ptr, catalog_ptr] {
    auto names = ledger_ptr->locationNames();
    std::vector<std::string> out = names ? *names : std::vector<std::string>{};
    // Locations with their own prices or price list get notices before any device synced there.
    if (auto priced = catalog_ptr->locations()) out.insert(out.end(), priced->begin(), priced->end());
    return out;
  });
  coordinator::StockViewProvider stock_view(**ledger);
  downlink.addProvider(stock_view);
  coordinator::CatalogProvider catalog_down(**catalog);
  coordinator::PriceProvider prices_down(**catalog);
  downlink.addProvider(catalog_down);
  downlink.addProvider(prices_down);
  // Orders and their reservations live in their own file next to the ledger (orders/order_book.h).
  auto order_book = coordinator::OrderBook::open(db + ".orders", clock);
  if (!order_book) return fail(order_book.error(), 3);
  // The channels file is read once; each channel has one connector, shared by pushes and orders.
  auto channel_registry = coordinator::channels::ChannelRegistry::open(opts->text("channels-config"), clock);
  if (!channel_registry) return fail(channel_registry.error(), 2);
  auto channel_service = coordinator::ChannelService::open(**channel_registry, db,
                                                           **ledger, (*order_book)->holds(), clock);
  if (!channel_service) return fail(channel_service.error(), 2);
  coordinator::ChannelService& channels = **channel_service;
  coordinator::OrdersConfig orders_config;
  orders_config.poll_interval_ms = opts->integer("order-poll-ms");
  auto order_service = coordinator::makeOrderService(**order_book, **ledger, &channels.availability(),
                                                     **channel_registry,
                                                     opts->text("locations-config"), clock, orders_config);
  if (!order_service) return fail(order_service.error(), 2);
  coordinator::OrderService& orders = **order_service;
  orders.setSkuChangedHook([&channels](const std::string& sku) { channels.skuChanged(sku); });
  orders.setTasksChangedHook([&downlink](const std::vector<std::string>& locs) { downlink.changed(locs); });
  coordinator::PickTaskProvider tasks_down((*order_book)->tasks());
  downlink.addProvider(tasks_down);
  // Refunded units the order service puts back into the ledger change stock like ingest does.
  orders.setLedgerCommitHook([&downlink, &channels](const coordinator::CommitInfo& info) {
    downlink.changed(info.locations);
    channels.stockChanged(info);
  });
  ingest.setStockChangedHook([&downlink, &channels, &orders](const coordinator::CommitInfo& info) {
    downlink.changed(info.locations);
    channels.stockChanged(info);
    orders.ledgerChanged();
  });
  if (auto s = downlink.start(); !s) return fail(s.error(), 3);
  auto access = coordinator::SqliteAccess::open(db, clock);
  if (!access) return fail(access.error(), 3);
  coordinator::CoordinatorHttpOptions http_options;
  http_options.limits = limits;
  http_options.tls_cert_file = opts->text("tls-cert");
  http_options.tls_key_file = opts->text("tls-key");
  const auto workers = static_cast<size_t>(opts->integer("http-workers"));
  http_options.http.max_workers = workers;
  http_options.http.max_waiting = 4 * workers;
  // Uploads may be as large as --import-max-mb; webhooks get 2 MiB, checked before the signature.
  http_options.http.body_limits = {{"/v1/catalog", catalog_http.max_body_bytes},
                                   {"/v1/prices", catalog_http.max_body_bytes},
                                   {"/v1/channels/", 2u << 20}};
  auto api_made = coordinator::CoordinatorHttpApi::make(**ledger, &ingest, clock, **access, http_options);
  if (!api_made) return fail(api_made.error(), 2);
  coordinator::CoordinatorHttpApi& api = **api_made;
  api.setDownlink(&downlink);
  api.setChannels(channels.availability(), channels.push());
  api.setCatalog(**catalog, catalog_http, [&downlink](const std::vector<std::string>& locs) { downlink.changed(locs); });
  api.setOrders(orders);
  // Enrollment and the CRL watch (--fleet-dir) write to the registry ingest reads (one instance).
  std::unique_ptr<coordinator::Enrollment> enrollment;
  std::unique_ptr<coordinator::CrlWatcher> crl_watcher;
  std::unique_ptr<coordinator::CertRenewalService> renewal;
  if (opts->has("fleet-dir")) {
    coordinator::EnrollmentConfig ec;
    ec.fleet_dir = opts->text("fleet-dir");
    ec.validity_ms = opts->integer("enroll-validity-days") * 86'400'000;
    ec.broker_url = opts->has("enroll-broker-url") ? opts->text("enroll-broker-url") : mc.broker_url;
    auto en = coordinator::Enrollment::open(ec, **registry, clock);
    if (!en) return fail(en.error(), 2);
    enrollment = std::move(*en);
    api.setEnrollment(*enrollment);
    crl_watcher = std::make_unique<coordinator::CrlWatcher>(*enrollment, 2000);
    crl_watcher->start();
    renewal = std::make_unique<coordinator::CertRenewalService>(*transport, *enrollment, ic.share_group);
    if (auto s = renewal->start(); !s) return fail(s.error(), 3);
  }
  if (auto s = api.start(hp->first, hp->second); !s) return fail(s.error(), 2);
  if (auto s = ingest.start(); !s) return fail(s.error(), 3);
  channels.start();
  orders.start();
  const char* scheme = http_options.tls_cert_file.empty() ? "http" : "https";
  SW_INFO("coordinator") << "ledger " << db << ", broker " << mc.broker_url << ", console " << scheme
                         << "://" << hp->first << ":" << api.port() << "/";
  std::printf("listening %s://%s:%d\n", scheme, hp->first.c_str(), api.port());
  std::fflush(stdout);

  int sig = common::waitForTerminationSignal();
  SW_INFO("coordinator") << "signal " << sig << ", stopping";
  api.stop();
  if (crl_watcher) crl_watcher->stop();
  if (renewal) renewal->stop();
  orders.stop();
  channels.stop();
  downlink.stop();
  ingest.stop();
  return 0;
}

int verify(const std::vector<std::string>& raw) {
  auto args = common::Args::parse(raw, {"db", "device"}, {"chain"});
  if (!args) return fail(args.error(), 2);
  if (!args->has("db")) return fail(common::Error::reject("bad_option", "--db is required"), 2);
  auto ledger = coordinator::SqliteLedger::open({.path = *args->get("db")});
  if (!ledger) return fail(ledger.error(), 3);
  if (args->has("chain")) {
    auto checks = (*ledger)->verifyChain(args->getOr("device", ""));
    if (!checks) return fail(checks.error(), 3);
    size_t breaks = 0;
    for (const auto& c : *checks) {
      if (!c.ok) {
        ++breaks;
        std::printf("%s: BREAK at seq %llu: %s\n", c.device_id.c_str(), static_cast<unsigned long long>(c.break_seq),
                    c.message.c_str());
      } else if (c.chained_from == 0) {
        std::printf("%s: unchained (no chained event yet)\n", c.device_id.c_str());
      } else {
        std::printf("%s: ok, %llu chained events from seq %llu, head %s\n", c.device_id.c_str(),
                    static_cast<unsigned long long>(c.events_checked), static_cast<unsigned long long>(c.chained_from),
                    c.head.c_str());
      }
    }
    if (args->has("device") && checks->empty()) {
      return fail(common::Error::reject("unknown_device", "no device " + args->getOr("device", "") + " in the ledger"), 1);
    }
    std::printf("%zu of %zu devices have a chain break\n", breaks, checks->size());
    return breaks == 0 ? 0 : 1;
  }
  auto diffs = (*ledger)->verifyOnHand();
  if (!diffs) return fail(diffs.error(), 3);
  for (const auto& d : *diffs) std::printf("%s\n", d.c_str());
  auto n = (*ledger)->countRows("on_hand");
  std::printf("%zu of %lld on-hand rows differ from the movement log\n", diffs->size(),
              static_cast<long long>(n ? *n : -1));
  return diffs->empty() ? 0 : 1;
}

std::string registryRowText(const coordinator::RegisteredDevice& d) {
  std::string out = d.device_id + " location=" + d.location + " role=" + coordinator::deviceRoleName(d.role) +
                    " state=" + (d.revoked ? "revoked" : "active");
  if (!d.cert_serial.empty()) out += " cert=" + d.cert_serial;
  if (d.revoked && !d.revoked_reason.empty()) out += " reason=\"" + d.revoked_reason + "\"";
  return out;
}

// Checks one registry row as IT typed it; the error names the field.
common::Status checkDeviceRow(const std::string& device, const std::string& location, const std::string& role) {
  if (!common::isValidId(device)) {
    return common::Error::reject("bad_device", "device id '" + device + "' must be 1-64 of A-Z a-z 0-9 . _ : -");
  }
  if (!common::isValidId(location)) {
    return common::Error::reject("bad_location", "location '" + location + "' must be 1-64 of A-Z a-z 0-9 . _ : -");
  }
  if (!coordinator::parseDeviceRole(role)) {
    return common::Error::reject("bad_role", "role '" + role + "' must be pos or handheld");
  }
  return {};
}

int device(const std::vector<std::string>& raw) {
  if (raw.empty()) {
    return fail(common::Error::reject("bad_option", "device needs add, import, list or revoke (see --help)"), 2);
  }
  const std::string sub = raw[0];
  std::vector<std::string> rest(raw.begin() + 1, raw.end());
  auto args = common::Args::parse(rest, {"db", "device", "location", "role", "csv", "reason"}, {});
  if (!args) return fail(args.error(), 2);
  if (!args->has("db")) return fail(common::Error::reject("bad_option", "--db is required"), 2);
  auto registry = coordinator::DeviceRegistry::open(*args->get("db"), common::SystemClock::instance());
  if (!registry) return fail(registry.error(), 3);
  coordinator::DeviceRegistry& reg = **registry;
  if (sub == "add") {
    for (const char* required : {"device", "location", "role"}) {
      if (!args->has(required)) {
        return fail(common::Error::reject("bad_option", std::string("--") + required + " is required"), 2);
      }
    }
    const std::string id = *args->get("device"), loc = *args->get("location"), role = *args->get("role");
    if (auto s = checkDeviceRow(id, loc, role); !s) return fail(s.error(), 2);
    auto d = reg.upsert(id, loc, *coordinator::parseDeviceRole(role));
    if (!d) return fail(d.error(), d.error().kind == common::ErrorKind::kReject ? 1 : 3);
    std::printf("%s\n", registryRowText(*d).c_str());
    return 0;
  }
  if (sub == "import") {
    if (!args->has("csv")) return fail(common::Error::reject("bad_option", "--csv is required"), 2);
    auto text = common::readFile(*args->get("csv"));
    if (!text) return fail(common::Error::reject("bad_file", "cannot read " + *args->get("csv")), 2);
    int added = 0, bad = 0;
    bool header = true;
    for (const common::CsvRow& r : common::readCsvRows(*text)) {
      const std::vector<std::string>& f = r.fields;
      if (header) {
        header = false;
        if (r.error || f != std::vector<std::string>{"store", "device_id", "role"}) {
          return fail(common::Error::reject("bad_header", "the first row must be: store,device_id,role"), 2);
        }
        continue;
      }
      common::Status s = r.error ? common::Status(common::Error::reject(r.error->code, r.error->message))
                         : f.size() == 3 ? checkDeviceRow(f[1], f[0], f[2])
                                         : common::Status(common::Error::reject("bad_row", "needs 3 fields"));
      if (s) {
        auto d = reg.upsert(f[1], f[0], *coordinator::parseDeviceRole(f[2]));
        if (!d) s = d.error();
      }
      if (!s) {
        std::fprintf(stderr, "line %zu: %s\n", r.line, s.error().toString().c_str());
        ++bad;
        continue;
      }
      ++added;
    }
    std::printf("%d devices registered, %d rows refused\n", added, bad);
    return bad == 0 ? 0 : 1;
  }
  if (sub == "list") {
    for (const auto& d : reg.list()) std::printf("%s\n", registryRowText(d).c_str());
    return 0;
  }
  if (sub == "revoke") {
    if (!args->has("device")) return fail(common::Error::reject("bad_option", "--device is required"), 2);
    if (auto s = reg.revoke(*args->get("device"), args->getOr("reason", "revoked by an administrator")); !s) {
      return fail(s.error(), s.error().kind == common::ErrorKind::kReject ? 1 : 3);
    }
    std::printf("%s\n", registryRowText(*reg.find(*args->get("device"))).c_str());
    return 0;
  }
  return fail(common::Error::reject("bad_option", "unknown device command '" + sub + "' (add, import, list, revoke)"),
              2);
}

int token(const std::vector<std::string>& raw) {
  if (raw.empty()) return fail(common::Error::reject("bad_option", "token create|list|revoke (see --help)"), 2);
  const std::string what = raw[0];
  std::vector<std::string> rest(raw.begin() + 1, raw.end());
  auto args = common::Args::parse(rest, {"db", "name", "role", "location"}, {});
  if (!args) return fail(args.error(), 2);
  if (!args->has("db")) return fail(common::Error::reject("bad_option", "--db is required"), 2);
  auto access = coordinator::SqliteAccess::open(*args->get("db"), common::SystemClock::instance());
  if (!access) return fail(access.error(), 3);
  if (what == "create") {
    if (!args->has("name") || !args->has("role")) {
      return fail(common::Error::reject("bad_option", "token create needs --name and --role"), 2);
    }
    auto role = coordinator::parseRole(*args->get("role"));
    if (!role) return fail(common::Error::reject("bad_option", "--role must be admin, store_manager or viewer"), 2);
    auto secret = (*access)->createToken(*args->get("name"), *role, args->getOr("location", ""));
    if (!secret) return fail(secret.error(), 2);
    std::printf("%s\n", secret->c_str());
    return 0;
  }
  if (what == "list") {
    auto all = (*access)->tokens();
    if (!all) return fail(all.error(), 3);
    for (const auto& t : *all) {
      std::printf("%s\t%s\t%s\t%s\n", t.name.c_str(), coordinator::roleName(t.role),
                  t.location.empty() ? "-" : t.location.c_str(), t.revoked_at_ms ? "revoked" : "active");
    }
    return 0;
  }
  if (what == "revoke") {
    if (!args->has("name")) return fail(common::Error::reject("bad_option", "token revoke needs --name"), 2);
    auto done = (*access)->revokeToken(*args->get("name"));
    if (!done) return fail(done.error(), 3);
    if (!*done) return fail(common::Error::reject("unknown_token", "no token in force named " + *args->get("name")), 1);
    return 0;
  }
  return fail(common::Error::reject("bad_option", "token " + what + ": use create, list or revoke"), 2);
}

}  // namespace

int main(int argc, char** argv) {
  sw::common::blockTerminationSignals();
  sw::common::initCrashPoints();
  return sw::common::runCli("stockwire-coordinator", usage(), argc, argv,
                            {{"serve", serve},
                             {"verify", verify},
                             {"device", device},
                             {"token", token},
                             {"channel-decode", [](const std::vector<std::string>& args) {
                                return sw::coordinator::channels::runChannelDecode(args, std::cin, std::cout, std::cerr);
                              }}});
}
