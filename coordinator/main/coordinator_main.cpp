// stockwire-coordinator: the ledger, ingest, and the HTTP API.

#include <cstdio>
#include <iostream>
#include <string>
#include <vector>

#include "sw/common/args.h"
#include "sw/common/codec.h"
#include "sw/common/crash_point.h"
#include "sw/common/log.h"
#include "sw/common/paho_transport.h"
#include "sw/common/process.h"
#include "sw/common/topics.h"
#include "sw/common/uuid.h"
#include "sw/coordinator/channel_service.h"
#include "sw/coordinator/channels/channel_decode.h"
#include "sw/coordinator/catalog.h"
#include "sw/coordinator/downlink.h"
#include "sw/coordinator/http_api.h"
#include "sw/coordinator/stock_view.h"
#include "sw/coordinator/ingest.h"
#include "sw/coordinator/ledger.h"
#include "sw/coordinator/orders.h"
#include "sw/coordinator/pick_tasks.h"
#include "sw/coordinator/reservations.h"

namespace {

using namespace sw;

constexpr const char* kUsage = R"(stockwire-coordinator: keeps the inventory ledger and takes device events in.

Usage:
  stockwire-coordinator serve --broker URL --db PATH [--http HOST:PORT] [options]
  stockwire-coordinator verify --db PATH
  stockwire-coordinator verify --chain --db PATH [--device D]
  stockwire-coordinator channel-decode --channel shopify|amazon|ebay|woocommerce [--channels-config FILE] [--pretty] < payload.json
  stockwire-coordinator --help

serve options:
  --config FILE          JSON file with any of these options (keys with '_' for '-')
  --broker URL           MQTT broker, e.g. tcp://127.0.0.1:1883
  --db PATH              the ledger's SQLite file (created if missing)
  --http HOST:PORT       API and console address (default 127.0.0.1:8800; port 0 = any free port)
  --client-id ID         MQTT client id (default stockwire-coordinator)
  --share-group NAME     subscribe through $share/NAME/ so several coordinators split the devices
  --reorder-timeout-ms N hold a gap this long before asking the device to resend (default 1000)
  --alert-offline-hours N  alert when a device is offline or holds unsynced events this long (default 12)
  --alert-queue N          alert when a device holds this many unsynced events (default 100000)
  --alert-disk-mb N        alert when a device has less free disk than this (default 256)
  --count-tie-ms N       movements from other devices this close to a count are taken as seen by it
                         (never counted twice); fixed when the ledger is created (default 2000)
  --import-max-mb N     largest catalog/price upload accepted, in MiB (default 32; larger: 413)
  --import-max-rows N   most rows in one catalog/price upload (default 100000; more: 413)
  --channels-config FILE  available-to-sell rules and channel connectors (JSON, see
                         coordinator/README.md); channels with a connector get pushed to
  --locations-config FILE  order routing: coordinates and costs per location, country centroids
                         (JSON, see coordinator/README.md "Orders"); without it every location ships at cost 0
  --order-poll-ms N      how often each channel with a connector is polled for orders (default 60000)
  --ca FILE --cert FILE --key FILE   TLS files for ssl:// brokers
  --log-level LEVEL      debug, info (default), warn, error

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

const std::set<std::string> kServeOptions = {"config", "broker", "db", "http", "client-id", "share-group",
                                             "reorder-timeout-ms", "ca", "cert", "key", "log-level",
                                             "alert-offline-hours", "alert-queue", "alert-disk-mb",
                                             "import-max-mb", "import-max-rows",
                                             "count-tie-ms", "channels-config",
                                             "locations-config", "order-poll-ms"};

int fail(const common::Error& e, int code) {
  std::fprintf(stderr, "stockwire-coordinator: %s\n", e.toString().c_str());
  return code;
}

int serve(const std::vector<std::string>& raw) {
  auto argv = common::mergeConfigFile(raw, kServeOptions);
  if (!argv) return fail(argv.error(), 2);
  auto args = common::Args::parse(*argv, kServeOptions, {});
  if (!args) return fail(args.error(), 2);
  for (const char* required : {"broker", "db"}) {
    if (!args->has(required)) return fail(common::Error::reject("bad_option", std::string("--") + required + " is required"), 2);
  }
  common::LogLevel level;
  if (!common::parseLogLevel(args->getOr("log-level", "info"), &level)) {
    return fail(common::Error::reject("bad_option", "--log-level must be debug, info, warn or error"), 2);
  }
  common::setLogLevel(level);
  auto hp = common::parseHostPort(args->getOr("http", "127.0.0.1:8800"));
  if (!hp) return fail(hp.error(), 2);
  auto reorder = args->getInt("reorder-timeout-ms", 1000);
  auto alert_h = args->getInt("alert-offline-hours", 12);
  auto alert_q = args->getInt("alert-queue", 100'000);
  auto alert_d = args->getInt("alert-disk-mb", 256);
  for (auto* r : {&reorder, &alert_h, &alert_q, &alert_d}) {
    if (!*r) return fail(r->error(), 2);
    if (**r <= 0) return fail(common::Error::reject("bad_option", "numeric options must be positive"), 2);
  }
  coordinator::ExposureLimits limits;
  limits.max_offline_s = *alert_h * 3600;
  limits.max_queue_depth = static_cast<uint64_t>(*alert_q);
  limits.min_disk_free_bytes = *alert_d << 20;

  auto tie = args->getInt("count-tie-ms", -1);
  if (!tie) return fail(tie.error(), 2);
  if (args->has("count-tie-ms") && *tie < 0) {
    return fail(common::Error::reject("bad_option", "--count-tie-ms cannot be negative"), 2);
  }
  auto ledger = coordinator::SqliteLedger::open({.path = *args->get("db"), .count_tie_ms = *tie});
  if (!ledger) return fail(ledger.error(), ledger.error().code == "bad_option" ? 2 : 3);

  const common::Clock& clock = common::SystemClock::instance();
  auto import_mb = args->getInt("import-max-mb", 32);
  auto import_rows = args->getInt("import-max-rows", 100'000);
  for (auto* r : {&import_mb, &import_rows}) {
    if (!*r) return fail(r->error(), 2);
    if (**r <= 0) return fail(common::Error::reject("bad_option", "--import-max-* must be positive"), 2);
  }
  coordinator::CatalogHttpConfig catalog_http;
  catalog_http.max_body_bytes = static_cast<size_t>(*import_mb) << 20;
  catalog_http.limits.max_rows = static_cast<size_t>(*import_rows);
  auto catalog = coordinator::SqliteCatalog::open(*args->get("db"), clock);
  if (!catalog) return fail(catalog.error(), 3);
  std::string session = common::newUuid();
  common::MqttConfig mc;
  mc.broker_url = *args->get("broker");
  mc.client_id = args->getOr("client-id", "stockwire-coordinator");
  mc.ca_file = args->getOr("ca", "");
  mc.cert_file = args->getOr("cert", "");
  mc.key_file = args->getOr("key", "");
  mc.max_inflight = 256;
  mc.will = common::MqttWill{std::string(common::topics::kCoordinatorState),
                             common::encodeCoordinatorState({false, session, clock.nowMs()}), 1, true};
  auto transport = common::makePahoTransport(mc);

  coordinator::IngestConfig ic;
  ic.sequencer.reorder_timeout_ms = *reorder;
  ic.share_group = args->getOr("share-group", "");
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
  // Orders and their reservations live in their own file next to the ledger (reservations.h).
  auto order_book = coordinator::OrderBook::open(*args->get("db") + ".orders", clock);
  if (!order_book) return fail(order_book.error(), 3);
  auto channel_service = coordinator::ChannelService::open(args->getOr("channels-config", ""), *args->get("db"),
                                                           **ledger, **order_book, clock);
  if (!channel_service) return fail(channel_service.error(), 2);
  coordinator::ChannelService& channels = **channel_service;
  coordinator::OrdersConfig orders_config;
  auto poll_ms = args->getInt("order-poll-ms", 60'000);
  if (!poll_ms) return fail(poll_ms.error(), 2);
  if (*poll_ms <= 0) return fail(common::Error::reject("bad_option", "--order-poll-ms must be positive"), 2);
  orders_config.poll_interval_ms = *poll_ms;
  auto order_service = coordinator::makeOrderService(**order_book, **ledger, &channels.availability(),
                                                     args->getOr("channels-config", ""),
                                                     args->getOr("locations-config", ""), clock, orders_config);
  if (!order_service) return fail(order_service.error(), 2);
  coordinator::OrderService& orders = **order_service;
  orders.setSkuChangedHook([&channels](const std::string& sku) { channels.skuChanged(sku); });
  orders.setTasksChangedHook([&downlink](const std::vector<std::string>& locs) { downlink.changed(locs); });
  coordinator::PickTaskProvider tasks_down(**order_book);
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
  coordinator::CoordinatorHttpApi api(**ledger, &ingest, clock, limits);
  api.setDownlink(&downlink);
  api.setChannels(channels.availability(), channels.push());
  api.setCatalog(**catalog, catalog_http, [&downlink](const std::vector<std::string>& locs) { downlink.changed(locs); });
  api.setOrders(orders);
  if (auto s = api.start(hp->first, hp->second); !s) return fail(s.error(), 2);
  if (auto s = ingest.start(); !s) return fail(s.error(), 3);
  channels.start();
  orders.start();
  SW_INFO("coordinator") << "ledger " << *args->get("db") << ", broker " << mc.broker_url << ", console http://"
                         << hp->first << ":" << api.port() << "/";
  std::printf("listening http://%s:%d\n", hp->first.c_str(), api.port());
  std::fflush(stdout);

  int sig = common::waitForTerminationSignal();
  SW_INFO("coordinator") << "signal " << sig << ", stopping";
  api.stop();
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

}  // namespace

int main(int argc, char** argv) {
  sw::common::blockTerminationSignals();
  sw::common::initCrashPoints();
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty() || args[0] == "--help" || args[0] == "-h" || args[0] == "help") {
    std::fputs(kUsage, args.empty() ? stderr : stdout);
    return args.empty() ? 2 : 0;
  }
  std::string cmd = args[0];
  args.erase(args.begin());
  for (const auto& a : args) {
    if (a == "--help" || a == "-h") {
      std::fputs(kUsage, stdout);
      return 0;
    }
  }
  if (cmd == "serve") return serve(args);
  if (cmd == "verify") return verify(args);
  if (cmd == "channel-decode") return coordinator::channels::runChannelDecode(args, std::cin, std::cout, std::cerr);
  std::fprintf(stderr, "stockwire-coordinator: unknown command '%s' (see --help)\n", cmd.c_str());
  return 2;
}
