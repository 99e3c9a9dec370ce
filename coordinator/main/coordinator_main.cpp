// stockwire-coordinator: the ledger, ingest, and the HTTP API.

#include <httplib.h>
#include <pthread.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "sw/common/args.h"
#include "sw/common/cli.h"
#include "sw/common/codec.h"
#include "sw/common/crash_point.h"
#include "sw/common/csv.h"
#include "sw/common/files.h"
#include "sw/common/http_socket.h"
#include "sw/common/log.h"
#include "sw/common/paho_transport.h"
#include "sw/common/process.h"
#include "sw/common/sd_notify.h"
#include "sw/common/sqlite.h"
#include "sw/common/topics.h"
#include "sw/common/uuid.h"
#include "sw/coordinator/api/access.h"
#include "sw/coordinator/catalog/catalog.h"
#include "sw/coordinator/channels/dead_letters.h"
#include "sw/coordinator/fleet/alert_notifier.h"
#include "sw/coordinator/fleet/cert_renewal.h"
#include "sw/coordinator/channels/channel_service.h"
#include "sw/coordinator/channels/channel_decode.h"
#include "sw/coordinator/downlink/downlink.h"
#include "sw/coordinator/edi/edi_decode.h"
#include "sw/coordinator/fleet/enrollment.h"
#include "sw/coordinator/api/http_api.h"
#include "sw/coordinator/api/kpi_sampler.h"
#include "sw/coordinator/api/kpi_series.h"
#include "sw/coordinator/api/restore_desk.h"
#include "sw/coordinator/ingest/ingest.h"
#include "sw/coordinator/ledger/sql_ledger.h"
#include "sw/coordinator/orders/order_service.h"
#include "sw/coordinator/orders/pick_tasks.h"
#include "sw/coordinator/fleet/registry.h"
#include "sw/coordinator/orders/order_book.h"
#include "sw/coordinator/orders/revenue.h"
#include "sw/coordinator/downlink/stock_view.h"
#include "restore_files.h"
#include "sw/coordinator/settlements/settlement_scheduler.h"
#include "sw/coordinator/settlements/settlement_service.h"
#include "sw/coordinator/wholesale/wholesale_service.h"

namespace {

using namespace sw;

// serve on a split ledger whose writer lease another coordinator took (EX_TEMPFAIL): its service
// manager starts it again (Restart=on-failure), and it serves as a secondary.
constexpr int kExitWriterLost = 75;

constexpr const char* kAbout = "stockwire-coordinator: keeps the inventory ledger and takes device events in.";

constexpr const char* kNotes = R"(device: the device registry in the ledger file. Ingest takes batches only from registered, unrevoked
devices, for the location registered here (anything else is quarantined with the reason); enrollment
registers devices too. Changes reach a running coordinator within about a second; a revoked device
id cannot be registered again.

token: API bearer tokens, kept hashed in the ledger file. create prints the token once (keep it:
it cannot be shown again); a store_manager token needs --location, its own store. Every API route
needs one except the console page, /healthz, channel webhooks (signed) and device enrollment.

Exit codes: 0 after SIGINT/SIGTERM (serve) or success, 1 when a check found differences or a row
was refused, 2 on bad options, 3 when the ledger cannot be opened.
)";

constexpr const char* kBackupNotes = R"(backup copies the ledger file, then DB.orders, DB.channels and DB.wholesale, each with SQLite's online backup:
the coordinator keeps running and each copy is its file as of one moment. restore puts one back,
with the coordinator running (asked over its API with an admin token) or stopped (restore --help).
A restored ledger knows less than the devices were told: each device is asked to resend from
what the ledger holds, and the devices resend from the events they retain (see the agent's retention).
Wholesale control numbers never go back: those the live DB.wholesale is at are kept.
On PostgreSQL, back up the ledger and the order book (both in that database) with pg_dump or
pg_basebackup, and the --local-db file here.
)";

constexpr const char* kRestoreNotes = R"(With the coordinator stopped, restore puts the backup's files in place itself. While a coordinator
runs on --db (it holds DB.lock), restore asks it over its API (POST /v1/admin/restore, an admin token
from --token-file), which checks the backup and stages a copy of it beside the live files while it
goes on serving, then stops taking batches (what is not committed is not acknowledged; devices send
it again), stops every service and closes every file, puts the staged files in place, and starts
every service again on them, in the same process; restore waits for that outcome. Either way the
backup must pass SQLite's quick_check, be a coordinator's, and hold no schema newer than this
program's; the files are replaced through a journal (DB.restore-journal), so a crash midway is
finished at the next start, never left as a mix of old and new files. A restored ledger knows less
than the devices were told: each device is asked to resend from what the ledger holds, and resends
from the events it retains. The API tokens, device registry and catalog are the backup's too.
Exit codes: 0 restored; 1 refused, nothing changed (a backup that cannot be restored, a token that
is not an admin's); 2 bad options; 3 failed (or no outcome could be read: see the coordinator's log).
)";

// Beside the SQLite files: held by serve and restore, one process at a time.
constexpr const char* kLockSuffix = ".lock";

using Kind = common::OptionSpec::Kind;

// serve's options, declared once: parsing, ranges, defaults and the help text all come from here.
std::vector<common::OptionSpec> serveOptions() {
  return {
      {"config", Kind::kText, "FILE", "", 0, 0, "JSON file with any of these options (keys with '_' for '-')"},
      {"broker", Kind::kText, "URL", "", 0, 0, "MQTT broker, e.g. tcp://127.0.0.1:1883", true},
      {"db", Kind::kText, "PATH|URL", "", 0, 0,
       "the ledger: a SQLite file (created if missing), or a PostgreSQL database as\n"
       "postgresql://user@host:port/db (its tables are created if missing)", true},
      {"ledger-lease-ms", Kind::kInt, "MS", "30000", 1000, 3'600'000,
       "with --db postgresql://...: how long this coordinator's writer lease lasts without a\n"
       "commit; another coordinator takes the ledger over once it has run out"},
      {"partitions", Kind::kInt, "N", "0", 0, 4096,
       "with --db postgresql://...: split the fleet between every coordinator started on the\n"
       "ledger with the same N (locations hashed to N partitions, each leased by one of them;\n"
       "the first to hold the writer lease also runs orders, channels and the downlink). 0: one\n"
       "coordinator writes the whole ledger (a standby waits for its writer lease)"},
      {"local-db", Kind::kText, "PATH", "", 0, 0,
       "with --db postgresql://...: the SQLite file for what is not on PostgreSQL yet\n"
       "(catalog, device registry, access tokens, KPI series, dead letters; the order\n"
       "book is in PostgreSQL too); otherwise --db holds them"},
      {"http", Kind::kText, "HOST:PORT", "127.0.0.1:8800", 0, 0, "API and console address (port 0 = any free port)"},
      {"tls-cert", Kind::kText, "FILE", "", 0, 0, "with --tls-key: serve the API and console over HTTPS (PEM chain)"},
      {"tls-key", Kind::kText, "FILE", "", 0, 0, "the key of --tls-cert (PEM)"},
      {"http-workers", Kind::kInt, "N", "256", 1, 100'000,
       "connections the API serves at once (idle ones are dropped after 2 s)"},
      {"client-id", Kind::kText, "ID", "stockwire-coordinator", 0, 0, "MQTT client id"},
      {"share-group", Kind::kText, "NAME", "", 0, 0, "subscribe through $share/NAME/. Not a way to split a fleet between\n"
       "coordinators: the broker would hand one device's batches to several of them; use\n"
       "--partitions for that"},
      {"reorder-timeout-ms", Kind::kInt, "N", "1000", 1, 3'600'000,
       "hold a gap this long before asking the device to resend"},
      {"alert-offline-hours", Kind::kInt, "N", "12", 1, 24 * 365,
       "alert when a device is offline or holds unsynced events this long"},
      {"alert-queue", Kind::kInt, "N", "100000", 1, INT64_MAX, "alert when a device holds this many unsynced events"},
      {"alert-disk-mb", Kind::kInt, "N", "256", 1, 1 << 30, "alert when a device has less free disk than this"},
      {"alert-disk-hours", Kind::kInt, "N", "24", 1, 24 * 365,
       "alert when a device holding unsynced events fills its disk within this many hours at its recent rate"},
      {"alert-webhook", Kind::kText, "URL", "", 0, 0,
       "POST every critical device alert raised or cleared here, retried until\n2xx (fleet/alert_notifier.h)"},
      {"alert-webhook-secret-file", Kind::kText, "FILE", "", 0, 0,
       "sign each notification: X-Stockwire-Signature, HMAC-SHA256 with the\nfile's first line"},
      {"alert-webhook-ca", Kind::kText, "FILE", "", 0, 0, "an https:// webhook's CA certificates (PEM)"},
      {"alert-webhook-interval-ms", Kind::kInt, "N", "5000", 50, 3'600'000, "how often alerts are checked"},
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
      {"wholesale", Kind::kText, "FILE", "", 0, 0,
       "wholesale X12 trading partners: ids, folder pair, 846 rules, items (JSON,\nsee "
       "coordinator/wholesale/README.md); their state in DB.wholesale"},
      {"wholesale-tick-ms", Kind::kInt, "N", "1000", 10, 3'600'000, "how often partners' inbound folders are looked at"},
      {"order-poll-ms", Kind::kInt, "N", "60000", 1, 86'400'000,
       "how often each channel with a connector is polled for orders"},
      {"customer-retention-days", Kind::kInt, "N", "730", 0, 36'500,
       "erase the buyer's personal data of an order (name, email, phone, address,\nshipping place, routing point) "
       "this many days after it is over (shipped,\ncancelled, rejected); a customer left with none is tombstoned; 0: keep it"},
      {"ship-to-retention-days", Kind::kInt, "N", "0", 0, 36'500,
       "the older option: like --customer-retention-days (the shorter applies);\n0: not set"},
      {"reroute-offline-after-s", Kind::kInt, "N", "1800", 0, 30 * 86'400,
       "when every device at a location has been offline this long, withdraw its\nopen pick tasks and re-route "
       "their orders elsewhere (a pick that comes\nback later for a withdrawn task is put back on the shelf); 0: never"},
      {"kpi-sample-ms", Kind::kInt, "N", "60000", 50, 86'400'000,
       "how often the KPI history (GET /v1/kpis/history) takes a sample"},
      {"kpi-retention-h", Kind::kInt, "N", "744", 1, 24 * 3660,
       "KPI history older than this is deleted at each sample (31 days)"},
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
  };
}

int fail(const common::Error& e, int code) {
  std::fprintf(stderr, "stockwire-coordinator: %s\n", e.toString().c_str());
  return code;
}

// A PostgreSQL ledger's order book lived in `<local-db>.orders` before it could be in PostgreSQL.
// Such a file is copied in once and then renamed `<file>.imported-<ms>` (kept, no longer read); a
// crash between the copy and the rename leaves a file whose orders the book holds, renamed at the
// next start. A file beside a book that holds other orders stops serve: nothing is merged.
common::Status importOldOrderBook(coordinator::OrderBook& book, const std::string& old_book) {
  auto imported = book.importSqliteBook(old_book);
  if (!imported) {
    common::Error e = imported.error();
    e.message = "cannot move " + old_book + " into PostgreSQL: " + e.message;
    return e;
  }
  const std::string kept = old_book + ".imported-" + std::to_string(common::SystemClock::instance().nowMs());
  std::error_code ec;
  std::filesystem::rename(old_book, kept, ec);
  if (ec) return common::Error::fatal("io", "rename " + old_book + " to " + kept + ": " + ec.message());
  for (const char* side : {"-wal", "-shm"}) std::filesystem::remove(old_book + side, ec);
  if (imported->already_imported) {
    SW_INFO("coordinator") << "the order book " << old_book << " was moved into PostgreSQL before (every order "
                           << "of it is there); kept as " << kept;
    return {};
  }
  int64_t orders = imported->rows.count("orders") ? imported->rows.at("orders") : 0;
  int64_t rows = 0;
  for (const auto& [table, n] : imported->rows) rows += n;
  SW_INFO("coordinator") << "moved the order book " << old_book << " into PostgreSQL: " << orders << " orders, "
                         << rows << " rows; the file is kept as " << kept;
  return {};
}

// Where a running coordinator's API answers, for the CLI beside it (restore): written at start.
std::string apiFile(const std::string& db) { return db + ".api"; }

// What lasts while serve builds its services again on restored files: the lock on the files,
// the restore desk (POST /v1/admin/restore) and the HTTP port.
struct ServeRun {
  std::optional<common::FileLock> files_lock;
  std::unique_ptr<coordinator::RestoreDesk> desk;
  std::optional<coordinator::RestoreRun> restoring;  // files replaced; `done` once serving again
  bool restore_wanted = false;                       // serveOnce returned to carry a restore out
  int http_port = -1;                                // the port of the first start (--http may say 0)
};

// Takes the lock beside the SQLite files, finishing a restore a crash interrupted. files_open:
// the ledger is open already, so a restore committed meanwhile must not be finished under it.
common::Status lockFiles(const std::string& db, ServeRun& run, bool files_open) {
  auto lock = common::FileLock::tryLock(db + kLockSuffix);
  if (!lock) {
    common::Error e = lock.error();
    if (e.code == "in_use") e.message = "another coordinator is running on " + db + " (" + e.message + ")";
    return e;
  }
  if (files_open && coordinator::restorePending(db)) {
    return common::Error::retry("restore_pending", "a restore of " + db + " was committed while this coordinator "
                                                   "started: start it again to finish it");
  }
  run.files_lock = std::move(*lock);
  auto finished = coordinator::finishInterruptedRestore(db);
  if (!finished) return finished.error();
  if (*finished) SW_WARN("coordinator") << "finished a restore of " << db << " that was interrupted";
  return {};
}

// One build of every service on the files, serving until a signal or a restore that is ready.
int serveOnce(const common::ParsedOptions& opts, ServeRun& run) {
  auto hp = common::parseHostPort(opts.text("http"));
  if (!hp) return fail(hp.error(), 2);
  if (run.http_port >= 0) hp->second = run.http_port;
  coordinator::ExposureLimits limits;
  limits.max_offline_s = opts.integer("alert-offline-hours") * 3600;
  limits.max_queue_depth = static_cast<uint64_t>(opts.integer("alert-queue"));
  limits.min_disk_free_bytes = opts.integer("alert-disk-mb") << 20;
  limits.min_disk_time_left_s = opts.integer("alert-disk-hours") * 3600;

  const std::string ledger_db = opts.text("db");
  // The components still on SQLite only: in --db's file, or beside a PostgreSQL ledger in --local-db.
  const std::string db = common::isPostgresUrl(ledger_db) ? opts.text("local-db") : ledger_db;
  if (db.empty()) {
    return fail(common::Error::reject("bad_option",
                                      "with --db postgresql://..., --local-db PATH must name the SQLite file for the "
                                      "catalog, device registry, access tokens, KPI series and channel dead letters"),
                2);
  }
  if (!common::isPostgresUrl(ledger_db) && opts.has("local-db")) {
    return fail(common::Error::reject("bad_option", "--local-db goes with --db postgresql://... only"), 2);
  }
  // A restore committed and then interrupted is finished before anything opens the files.
  if (!run.files_lock && coordinator::restorePending(db)) {
    if (auto s = lockFiles(db, run, /*files_open=*/false); !s) return fail(s.error(), 3);
  }
  // -1: the value the ledger was created with (a new ledger: its default).
  const int64_t tie = opts.has("count-tie-ms") ? opts.integer("count-tie-ms") : -1;
  // On PostgreSQL the MQTT client id names the writer: a restart retakes its lease at once, a second
  // coordinator (another client id) is refused while this one holds it.
  if (opts.integer("partitions") > 0 && !common::isPostgresUrl(ledger_db)) {
    return fail(common::Error::reject("bad_option", "--partitions goes with --db postgresql://... only"), 2);
  }
  auto ledger = coordinator::SqlLedger::open({.path = ledger_db, .count_tie_ms = tie, .writer_id = opts.text("client-id"),
                                              .lease_ms = opts.integer("ledger-lease-ms"),
                                              .partitions = static_cast<int>(opts.integer("partitions"))});
  if (!ledger) return fail(ledger.error(), ledger.error().code == "bad_option" ? 2 : 3);
  // One coordinator at a time on these SQLite files; restore takes the same lock. Taken after the
  // ledger so that a second coordinator on a PostgreSQL ledger is told ledger_taken first.
  // Held until serve returns, through every rebuild.
  if (!run.files_lock) {
    if (auto s = lockFiles(db, run, /*files_open=*/true); !s) return fail(s.error(), 3);
  }

  const common::Clock& clock = common::SystemClock::instance();
  coordinator::CatalogHttpConfig catalog_http;
  catalog_http.max_body_bytes = static_cast<size_t>(opts.integer("import-max-mb")) << 20;
  catalog_http.limits.max_rows = static_cast<size_t>(opts.integer("import-max-rows"));
  auto catalog = coordinator::SqliteCatalog::open(db, clock);
  if (!catalog) return fail(catalog.error(), 3);
  std::string session = common::newUuid();
  common::MqttConfig mc;
  mc.broker_url = opts.text("broker");
  mc.client_id = opts.text("client-id");
  mc.ca_file = opts.has("mqtt-ca") ? opts.text("mqtt-ca") : opts.text("ca");
  mc.cert_file = opts.has("mqtt-cert") ? opts.text("mqtt-cert") : opts.text("cert");
  mc.key_file = opts.has("mqtt-key") ? opts.text("mqtt-key") : opts.text("key");
  mc.max_inflight = 256;
  mc.will = common::MqttWill{std::string(common::topics::kCoordinatorState),
                             common::encodeCoordinatorState({false, session, clock.nowMs()}), 1, true};
  auto transport = common::makePahoTransport(mc);

  auto registry = coordinator::DeviceRegistry::open(db, clock);
  if (!registry) return fail(registry.error(), 3);
  coordinator::IngestConfig ic;
  ic.registry = registry->get();
  ic.sequencer.reorder_timeout_ms = opts.integer("reorder-timeout-ms");
  ic.share_group = opts.text("share-group");
  ic.partition_check_ms = std::max<int64_t>(200, opts.integer("ledger-lease-ms") / 3);
  // A split ledger (--partitions): a secondary (another coordinator holds the writer lease) applies
  // its partitions and serves the API; orders, channels, wholesale and the downlink run on the
  // primary only, and start here when this one takes the writer lease over (primaryServices).
  const bool split = (*ledger)->partitions() > 0;
  if (!ic.share_group.empty()) {
    SW_WARN("coordinator") << "--share-group " << ic.share_group << ": only one coordinator may take the fleet's "
                           << "batches at a time (to split a fleet, use --partitions)";
  }
  coordinator::IngestService ingest(**ledger, *transport, clock, ic, session);
  coordinator::SqlLedger* ledger_ptr = ledger->get();
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
  // Orders and their reservations (orders/order_book.h): in their own file next to a SQLite
  // ledger; in a PostgreSQL ledger's database, so every coordinator on it shares one order book.
  // A file an earlier release kept beside --local-db is moved in once (importSqliteBook).
  std::string orders_target = db + ".orders";
  if (common::isPostgresUrl(ledger_db)) orders_target = ledger_db;
  auto order_book = coordinator::OrderBook::open(orders_target, clock);
  if (!order_book) return fail(order_book.error(), 3);
  // A secondary's order book writes nothing (-1 is never a lease token) until it is the primary.
  if (orders_target == ledger_db) (*order_book)->fenceWith((*ledger)->isPrimary() ? (*ledger)->leaseToken() : -1);
  if (const std::string old_book = db + ".orders";
      (*ledger)->isPrimary() && orders_target != old_book && std::filesystem::exists(old_book)) {
    if (auto s = importOldOrderBook(**order_book, old_book); !s) return fail(s.error(), 3);
  }
  // Revenue lines and journal exports (orders/revenue.h): beside the order book, in its file or database.
  auto revenue = coordinator::RevenueBook::open(orders_target, clock);
  if (!revenue) return fail(revenue.error(), 3);
  // The channels file is read once; each channel has one connector, shared by pushes and orders.
  auto channel_registry = coordinator::channels::ChannelRegistry::open(opts.text("channels-config"), clock);
  if (!channel_registry) return fail(channel_registry.error(), 2);
  auto channel_service = coordinator::ChannelService::open(**channel_registry, db,
                                                           **ledger, (*order_book)->holds(), clock);
  if (!channel_service) return fail(channel_service.error(), 2);
  coordinator::ChannelService& channels = **channel_service;
  // Channels are priced from the same catalog and price lists as the tills (channel price rules on top).
  channels.setPriceSource([catalog_ptr](const std::string& sku, const std::string& location) {
    return catalog_ptr->priceEntries(sku, location);
  });
  coordinator::OrdersConfig orders_config;
  orders_config.poll_interval_ms = opts.integer("order-poll-ms");
  orders_config.ship_to_retention_ms = opts.integer("ship-to-retention-days") * 86'400'000;
  orders_config.customer_retention_ms = opts.integer("customer-retention-days") * 86'400'000;
  orders_config.reroute_offline_after_ms = opts.integer("reroute-offline-after-s") * 1000;
  auto order_service = coordinator::makeOrderService(**order_book, **ledger, &channels.availability(),
                                                     **channel_registry,
                                                     opts.text("locations-config"), clock, orders_config);
  if (!order_service) return fail(order_service.error(), 2);
  coordinator::OrderService& orders = **order_service;
  orders.setRevenue(revenue->get());  // till sales, picks and refunds become revenue lines
  orders.setSkuChangedHook([&channels](const std::string& sku) { channels.skuChanged(sku); });
  orders.setTasksChangedHook([&downlink](const std::vector<std::string>& locs) { downlink.changed(locs); });
  orders.setWeightSource([catalog_ptr](const std::string& sku) { return catalog_ptr->shipWeightKg(sku); });
  // Wholesale partners over X12 files (--wholesale): their orders through the same intake, their
  // fulfilments through a connector of the order service (856, 810), their state in DB.wholesale.
  std::unique_ptr<coordinator::wholesale::WholesaleStore> wholesale_store;
  std::unique_ptr<coordinator::SalesHistory> wholesale_sales;
  std::unique_ptr<coordinator::wholesale::WholesaleService> wholesale;
  if (opts.has("wholesale")) {
    auto wcfg = coordinator::wholesale::loadWholesaleConfig(opts.text("wholesale"));
    if (!wcfg) return fail(wcfg.error(), 2);
    auto wstore = coordinator::wholesale::WholesaleStore::open(db + ".wholesale");
    if (!wstore) return fail(wstore.error(), 3);
    wholesale_store = std::move(*wstore);
    auto sales = (*ledger)->openSalesHistory();
    if (!sales) return fail(sales.error(), 3);
    wholesale_sales = std::move(*sales);
    wholesale = std::make_unique<coordinator::wholesale::WholesaleService>(
        std::move(*wcfg), *wholesale_store, orders, **ledger, *wholesale_sales, (*order_book)->holds(), clock,
        coordinator::wholesale::WholesaleOptions{.tick_ms = opts.integer("wholesale-tick-ms")});
    wholesale->attach();
  }
  coordinator::PickTaskProvider tasks_down((*order_book)->tasks());
  downlink.addProvider(tasks_down);
  // Refunded units the order service puts back into the ledger change stock like ingest does.
  orders.setLedgerCommitHook([&downlink, &channels](const coordinator::CommitInfo& info) {
    downlink.changed(info.locations);
    channels.stockChanged(info);
  });
  // Orders, channels and the downlink run on the primary only (a split ledger's secondaries apply).
  std::atomic<bool> primary_started{false};
  // Stock this coordinator applied (ingest) or another one did (a split ledger's LISTEN).
  auto followStock = [&downlink, &channels, &orders](const coordinator::CommitInfo& info) {
    downlink.changed(info.locations);
    channels.stockChanged(info);
    orders.ledgerChanged();
  };
  ingest.setStockChangedHook([&followStock, &primary_started](const coordinator::CommitInfo& info) {
    if (primary_started) followStock(info);
  });
  auto access = coordinator::SqliteAccess::open(db, clock);
  if (!access) return fail(access.error(), 3);
  if (run.restoring) {
    // The request was audited in the file that is gone: the restored audit log says it happened.
    coordinator::AuditEntry e;
    e.at_ms = clock.nowMs();
    e.who = run.restoring->requested_by;
    e.role = "admin";
    e.method = "POST";
    e.path = "/v1/admin/restore";
    e.target = "restore " + run.restoring->id + " from " + run.restoring->from;
    e.status = 202;
    e.outcome = "restored";
    if (auto s = (*access)->recordAudit(e); !s) SW_ERROR("audit") << "restore not recorded: " << s.error().toString();
  }
  coordinator::CoordinatorHttpOptions http_options;
  http_options.limits = limits;
  http_options.tls_cert_file = opts.text("tls-cert");
  http_options.tls_key_file = opts.text("tls-key");
  const auto workers = static_cast<size_t>(opts.integer("http-workers"));
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
  api.setCatalog(**catalog, catalog_http, [&downlink, &channels](const std::vector<std::string>& locs) {
    downlink.changed(locs);
    channels.pricesChanged();
  });
  api.setOrders(orders);
  api.setRevenue(**revenue);
  api.setRestoreDesk(*run.desk);
  if (wholesale) api.setWholesale(*wholesale);
  // Payouts the channels made, matched to the order book, kept beside the dead letters (DB.channels).
  auto settlement_store = coordinator::settlements::SettlementStore::open(db + ".channels");
  if (!settlement_store) return fail(settlement_store.error(), 3);
  coordinator::settlements::SettlementService settlements(**channel_registry, **order_book, **settlement_store, clock);
  settlements.setRevenue(revenue->get());  // payouts and fees into the journal (settlement_service.h)
  api.setSettlements(settlements);
  // The periodic fetch (channels.<name>.settlement_fetch_minutes), run by the primary only.
  auto settlement_plans = coordinator::settlements::SettlementScheduler::plansFrom((*channel_registry)->config(),
                                                                                   (*channel_registry)->enabled());
  if (!settlement_plans) return fail(settlement_plans.error(), 2);
  coordinator::settlements::SettlementScheduler settlement_scheduler(
      std::move(*settlement_plans), [&settlements](const std::string& ch) { return settlements.fetch(ch, ""); }, clock);
  // The KPI history, in the ledger file, sampled on a thread of its own (api/kpi_sampler.h).
  auto kpi_store = coordinator::SqliteKpiSeries::open(db);
  if (!kpi_store) return fail(kpi_store.error(), 3);
  const coordinator::KpiSamplerOptions kpi_options{.interval_ms = opts.integer("kpi-sample-ms"),
                                                   .retention_h = opts.integer("kpi-retention-h")};
  api.setKpiHistory(**kpi_store, kpi_options);
  coordinator::KpiSampler kpi_sampler({.ledger = ledger->get(),
                                       .ingest = &ingest,
                                       .push = channels.push(),
                                       .orders = order_book->get(),
                                       .revenue = revenue->get(),
                                       .http = &api.httpCounters()},
                                      **kpi_store, clock, kpi_options);
  // Enrollment and the CRL watch (--fleet-dir) write to the registry ingest reads (one instance).
  std::unique_ptr<coordinator::Enrollment> enrollment;
  std::unique_ptr<coordinator::CrlWatcher> crl_watcher;
  std::unique_ptr<coordinator::CertRenewalService> renewal;
  if (opts.has("fleet-dir")) {
    coordinator::EnrollmentConfig ec;
    ec.fleet_dir = opts.text("fleet-dir");
    ec.validity_ms = opts.integer("enroll-validity-days") * 86'400'000;
    ec.broker_url = opts.has("enroll-broker-url") ? opts.text("enroll-broker-url") : mc.broker_url;
    auto en = coordinator::Enrollment::open(ec, **registry, clock);
    if (!en) return fail(en.error(), 2);
    enrollment = std::move(*en);
    api.setEnrollment(*enrollment);
    crl_watcher = std::make_unique<coordinator::CrlWatcher>(*enrollment, 2000);
    crl_watcher->start();
    renewal = std::make_unique<coordinator::CertRenewalService>(*transport, *enrollment, ic.share_group);
    if (auto s = renewal->start(); !s) return fail(s.error(), 3);
  }
  // Critical alerts leave the console through a webhook, when one is configured.
  std::unique_ptr<coordinator::AlertNotifier> notifier;
  if (opts.has("alert-webhook")) {
    coordinator::AlertWebhookConfig wc;
    wc.url = opts.text("alert-webhook");
    wc.ca_file = opts.text("alert-webhook-ca");
    wc.interval_ms = opts.integer("alert-webhook-interval-ms");
    if (opts.has("alert-webhook-secret-file")) {
      auto secret = common::readFile(opts.text("alert-webhook-secret-file"));
      if (!secret) return fail(common::Error::reject("bad_option", "cannot read --alert-webhook-secret-file"), 2);
      wc.secret = secret->substr(0, secret->find_first_of("\r\n"));
      if (wc.secret.empty()) return fail(common::Error::reject("bad_option", "--alert-webhook-secret-file is empty"), 2);
    }
    coordinator::Ledger& alert_ledger = **ledger;
    auto made = coordinator::AlertNotifier::create(wc, [&alert_ledger] { return alert_ledger.devices(); }, limits, clock);
    if (!made) return fail(made.error(), 2);
    notifier = std::move(*made);
    coordinator::DeviceRegistry& alert_registry = **registry;
    notifier->setExtraAlerts([&alert_registry](const coordinator::DeviceRow& d, int64_t now) {
      auto reg = alert_registry.find(d.device_id);
      return reg ? coordinator::certificateAlerts(*reg, now) : std::vector<coordinator::DeviceAlert>{};
    });
  }
  api.addMetrics([&channels](common::PrometheusText& out) {
    if (coordinator::channels::PushScheduler* push = channels.push()) push->writeMetrics(out);
  });
  api.addMetrics([&orders](common::PrometheusText& out) { orders.writeMetrics(out); });
  api.addLivePart("kpis", [&kpi_sampler] { return kpi_sampler.samples(); });
  if (auto s = api.start(hp->first, hp->second); !s) return fail(s.error(), 2);
  // What the primary runs: started now, or by a secondary once it holds the writer lease.
  coordinator::SqlLedger& sql_ledger = **ledger;
  coordinator::OrderBook& book = **order_book;
  auto primaryServices = [&]() -> common::Status {
    if (primary_started) return {};
    if (orders_target == ledger_db) book.fenceWith(sql_ledger.leaseToken());
    if (auto s = downlink.start(); !s) return s;
    channels.start();
    orders.start();
    if (wholesale) wholesale->start();
    settlement_scheduler.start();
    if (split) {
      // Stock applied by the other coordinators reaches channels, the downlink and orders too.
      if (auto s = sql_ledger.listenToOthers(followStock); !s) return s;
    }
    primary_started = true;
    return {};
  };
  std::atomic<bool> promote{false};
  std::atomic<bool> writer_lost{false};
  if (split) {
    ingest.setPartitionHook([&sql_ledger, &promote, &writer_lost](const coordinator::PartitionChange& ch) {
      if (ch.writer_lost) {
        // Orders, channels and the downlink stop with the process (their writes are fenced by the
        // lease already); it exits 75 so that its service manager starts it again, a secondary.
        SW_ERROR("coordinator") << "stopping: this coordinator no longer holds the ledger's writer lease (exit "
                                << kExitWriterLost << ": started again, it serves as a secondary)";
        writer_lost = true;
        ::kill(::getpid(), SIGTERM);
        return;
      }
      if (sql_ledger.isPrimary() || promote) return;
      if (auto s = sql_ledger.tryBecomePrimary(); s) {
        SW_INFO("coordinator") << "took the writer lease over: starting orders, channels and the downlink here";
        promote = true;
        common::wakeMainThread();
      }
    });
  }
  if (sql_ledger.isPrimary()) {
    if (auto s = primaryServices(); !s) return fail(s.error(), 3);
  } else {
    SW_INFO("coordinator") << "secondary: applying this coordinator's partitions; orders, channels and the downlink "
                           << "run where the writer lease is";
  }
  if (auto s = ingest.start(); !s) return fail(s.error(), 3);
  if (notifier) notifier->start();
  kpi_sampler.start();
  const char* scheme = http_options.tls_cert_file.empty() ? "http" : "https";
  SW_INFO("coordinator") << "ledger " << (*ledger)->describe() << ", broker " << mc.broker_url << ", console " << scheme
                         << "://" << hp->first << ":" << api.port() << "/";
  if (run.http_port < 0) {
    run.http_port = api.port();
    // For restore on this machine (restoreLive): where the API answers.
    std::string host = hp->first;
    if (host.empty() || host == "0.0.0.0") host = "127.0.0.1";
    if (host == "::") host = "::1";
    if (host.find(':') != std::string::npos) host = "[" + host + "]";
    const std::string url = std::string(scheme) + "://" + host + ":" + std::to_string(api.port());
    if (auto s = common::writeFileAtomic(apiFile(db), url + "\n", 0600); !s) {
      SW_WARN("coordinator") << "restore while running will need --api: " << s.error().toString();
    }
    std::printf("listening %s://%s:%d\n", scheme, hp->first.c_str(), api.port());
    std::fflush(stdout);
  }
  if (run.restoring) {
    // Serving from the restored files under a new session: each device sends its last
    // acknowledged event again, finds the ledger behind it and is asked for the rest.
    SW_INFO("coordinator") << "restore " << run.restoring->id << " done: serving from " << run.restoring->from
                           << "'s files, devices are asked to resend what the ledger no longer has";
    run.desk->finish(run.restoring->id, {});
    run.restoring.reset();
  }

  // Under systemd (Type=notify): ready now, the watchdog pinged while this thread waits; woken
  // early by a restore that is ready (RestoreDesk).
  coordinator::RestoreDesk& desk = *run.desk;
  int sig = 0;
  while (true) {
    sig = common::serveUntilTerminated(common::ServiceNotifier::fromEnvironment(),
                                       std::string("serving ") + scheme + "://" + hp->first + ":" +
                                           std::to_string(api.port()) + ", ledger " + db,
                                       [&desk, &promote, &primary_started] {
                                         return desk.ready() || (promote && !primary_started);
                                       });
    if (sig != common::wakeSignal() || desk.ready() || !promote || primary_started) break;
    if (auto s = primaryServices(); !s) {
      SW_ERROR("coordinator") << "cannot start the primary's services: " << s.error().toString();
      sig = SIGTERM;
      break;
    }
  }
  run.restore_wanted = sig == common::wakeSignal();
  if (run.restore_wanted) {
    SW_INFO("coordinator") << "a restore is ready: ingest paused (batches not yet committed are not acknowledged), "
                           << "every service stopping";
  } else {
    SW_INFO("coordinator") << "signal " << sig << ", stopping";
  }
  kpi_sampler.stop();
  settlement_scheduler.stop();
  if (notifier) notifier->stop();
  api.stop();
  if (crl_watcher) crl_watcher->stop();
  if (renewal) renewal->stop();
  sql_ledger.stopListening();
  if (wholesale) wholesale->stop();
  orders.stop();
  channels.stop();
  downlink.stop();
  ingest.stop();
  return writer_lost ? kExitWriterLost : 0;
}

std::vector<common::SchemaVersion> knownSchemas();

// serve: builds every service and serves; a restore asked over the API (RestoreDesk) stops them
// all, puts the backup's files in place and builds them again on those files, in this process.
int serve(const common::ParsedOptions& opts) {
  common::LogLevel level;
  if (!common::parseLogLevel(opts.text("log-level"), &level)) {
    return fail(common::Error::reject("bad_option", "--log-level must be debug, info, warn or error"), 2);
  }
  common::setLogLevel(level);
  const std::string ledger_db = opts.text("db");
  const std::string db = common::isPostgresUrl(ledger_db) ? opts.text("local-db") : ledger_db;
  ServeRun run;
  std::string refusal;
  if (common::isPostgresUrl(ledger_db)) {
    refusal = "the ledger and the order book are in PostgreSQL: restore them with PostgreSQL's tools (pg_restore of a "
              "pg_dump, or a base backup with point-in-time recovery); the --local-db file is put back with the "
              "coordinator stopped (restore --db LOCAL_DB --from FILE)";
  }
  const std::vector<common::SchemaVersion> known = knownSchemas();
  run.desk = std::make_unique<coordinator::RestoreDesk>(
      common::SystemClock::instance(),
      [db, known](const std::string& from) -> common::Status {
        if (auto s = coordinator::checkBackup(from, db, known); !s) return s;
        return coordinator::stageBackup(from, db);
      },
      [] { common::wakeMainThread(); }, refusal);
  while (true) {
    run.restore_wanted = false;
    const int rc = serveOnce(opts, run);
    if (run.restoring) {
      // Built on the restored files, it did not come up: the outcome is the error it exited with.
      run.desk->finish(run.restoring->id,
                       common::Error::fatal("start_failed", "the coordinator did not start on the restored files "
                                                            "(see its log); it exits"));
      return rc == 0 ? 3 : rc;
    }
    if (!run.restore_wanted) return rc;
    // Every service is gone, and with it every connection to the files.
    std::optional<coordinator::RestoreRun> taken = run.desk->takeReady();
    if (!taken) continue;
    auto files = coordinator::commitStagedBackup(db);
    if (!files) {
      run.desk->finish(taken->id, files.error());
      if (coordinator::restorePending(db)) {
        // Committed but not all in place: serving now could mix old and new files. The next start
        // finishes it (lockFiles).
        return fail(common::Error::fatal("restore_unfinished", "the restore of " + db + " was committed but not "
                                                               "finished (" + files.error().toString() +
                                                               "); it is finished at the next start"),
                    3);
      }
      coordinator::dropStagedBackup(db);
      SW_ERROR("coordinator") << "restore " << taken->id << " failed before any file was replaced ("
                              << files.error().toString() << "): serving the files as they were";
      continue;
    }
    for (const std::string& f : *files) SW_INFO("coordinator") << "restore " << taken->id << ": " << f;
    run.desk->filesReplaced(taken->id, *files);
    run.restoring = taken;
  }
}

int backup(const common::ParsedOptions& args) {
  const std::string db = args.text("db"), to = args.text("to");
  if (common::isPostgresUrl(db)) {
    return fail(common::Error::reject("bad_option",
                                      "a PostgreSQL ledger is backed up with PostgreSQL's own tools (pg_dump, or "
                                      "pg_basebackup with WAL archiving), the order book with it; back up the --local-db file with "
                                      "backup --db LOCAL_DB"),
                2);
  }
  if (!std::filesystem::exists(db)) return fail(common::Error::reject("not_found", "no ledger file " + db), 3);
  if (coordinator::restorePending(db)) {
    return fail(common::Error::reject("restore_pending", "a restore of " + db + " was interrupted: start the "
                                                         "coordinator (or run restore again) to finish it first"),
                3);
  }
  for (const char* suffix : coordinator::kCoordinatorFileSuffixes) {
    const std::string from = db + suffix;
    if (!std::filesystem::exists(from)) continue;
    if (auto s = common::sqliteCopy(from, to + suffix); !s) return fail(s.error(), 3);
    std::printf("%s -> %s\n", from.c_str(), (to + suffix).c_str());
  }
  return 0;
}

struct ApiAnswer {
  int status = 0;  // 0: no answer (not listening, connection lost)
  nlohmann::json body;
  std::string transport_error;
};

// One request to the coordinator's API with an admin token (restore while it runs).
ApiAnswer callApi(const std::string& url, const std::string& ca, const std::string& token, const std::string& method,
                  const std::string& path, const std::string& body) {
  httplib::Client c = common::makeHttpClient(url);
  if (!ca.empty()) c.set_ca_cert_path(ca.c_str());
  // Staging a large backup takes as long as copying it.
  c.set_read_timeout(std::chrono::hours(1));
  c.set_connection_timeout(std::chrono::seconds(5));
  httplib::Headers h = {{"Authorization", "Bearer " + token}};
  httplib::Result r = method == "POST" ? c.Post(path, h, body, "application/json") : c.Get(path, h);
  ApiAnswer a;
  if (!r) {
    a.transport_error = httplib::to_string(r.error());
    return a;
  }
  a.status = r->status;
  a.body = nlohmann::json::parse(r->body, nullptr, false);
  return a;
}

std::string apiErrorText(const ApiAnswer& a) {
  if (a.status == 0) return "no answer (" + a.transport_error + ")";
  if (a.body.is_object() && a.body.contains("error") && a.body["error"].is_object()) {
    const auto& e = a.body["error"];
    return "HTTP " + std::to_string(a.status) + " " + e.value("code", std::string()) + ": " +
           e.value("message", std::string());
  }
  return "HTTP " + std::to_string(a.status);
}

// restore against a running coordinator: asked over its API (admin token), then its outcome
// waited for through the moment its services (the API too) are rebuilt.
int restoreLive(const common::ParsedOptions& args, const std::string& db, const std::string& from) {
  // main() blocks SIGINT and SIGTERM for the daemons; waiting here, Ctrl-C must still end it (the
  // restore goes on in the coordinator, whose GET /v1/admin/restore tells its outcome).
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_UNBLOCK, &stop_signals, nullptr);
  std::string url = args.text("api");
  if (url.empty()) {
    auto text = common::readFile(apiFile(db));
    if (!text) {
      return fail(common::Error::reject("no_api", "a coordinator runs on " + db + " but " + apiFile(db) +
                                                      " does not say where its API is: give --api URL"),
                  2);
    }
    url = text->substr(0, text->find_first_of("\r\n"));
  }
  if (!args.has("token-file")) {
    return fail(common::Error::reject("bad_option", "a coordinator runs on " + db +
                                                        ": it restores while it runs when asked with an admin "
                                                        "token: give --token-file FILE (or stop it first)"),
                2);
  }
  auto token_text = common::readFile(args.text("token-file"));
  if (!token_text) return fail(common::Error::reject("bad_option", "cannot read --token-file " + args.text("token-file")), 2);
  const std::string token = token_text->substr(0, token_text->find_first_of("\r\n"));
  const std::string ca = args.text("api-ca");
  ApiAnswer asked = callApi(url, ca, token, "POST", "/v1/admin/restore", nlohmann::json{{"from", from}}.dump());
  if (asked.status != 202) {
    std::fprintf(stderr, "stockwire-coordinator: the coordinator at %s refused the restore: %s\n", url.c_str(),
                 apiErrorText(asked).c_str());
    return asked.status == 0 || asked.status >= 500 ? 3 : 1;
  }
  const std::string id = asked.body["restore"].value("id", std::string());
  std::printf("restore %s accepted by %s: backup checked and staged; the coordinator stops its services, puts it in "
              "place and starts them again\n",
              id.c_str(), url.c_str());
  std::fflush(stdout);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(args.integer("wait-s"));
  ApiAnswer last;
  while (std::chrono::steady_clock::now() < deadline) {
    last = callApi(url, ca, token, "GET", "/v1/admin/restore/" + id, "");
    if (last.status == 200 && last.body.is_object() && last.body.contains("restore")) {
      const auto& run = last.body["restore"];
      const std::string state = run.value("state", std::string());
      if (state == "done") {
        std::printf("restored from %s:\n", from.c_str());
        for (const auto& f : run["files"]) std::printf("  %s\n", f.get<std::string>().c_str());
        std::printf("the coordinator serves from the backup and asks each device for what it no longer has\n");
        return 0;
      }
      if (state == "failed") {
        const bool changed = run.value("files_changed", false);
        std::fprintf(stderr, "stockwire-coordinator: restore %s failed (%s): %s\n", id.c_str(),
                     changed ? "the files were replaced" : "nothing was replaced",
                     run.contains("error") ? run["error"].dump().c_str() : "");
        return 3;
      }
    } else if (last.status == 401) {
      std::fprintf(stderr,
                   "stockwire-coordinator: restore %s: the coordinator serves again, from the backup, whose tokens "
                   "do not include this one: read the outcome with one of its admin tokens (GET "
                   "/v1/admin/restore/%s) or in its log\n",
                   id.c_str(), id.c_str());
      return 3;
    } else if (last.status == 404) {
      std::fprintf(stderr, "stockwire-coordinator: restore %s: the coordinator restarted and no longer knows it (see "
                   "its log; a committed restore is finished at its start)\n", id.c_str());
      return 3;
    }
    // No answer while the API is rebuilt, or still restoring: ask again.
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  std::fprintf(stderr, "stockwire-coordinator: restore %s: no outcome within --wait-s (last: %s)\n", id.c_str(),
               last.status == 200 ? last.body.dump().c_str() : apiErrorText(last).c_str());
  return 3;
}

int restore(const common::ParsedOptions& args) {
  const std::string db = args.text("db");
  if (common::isPostgresUrl(db)) {
    return fail(common::Error::reject("bad_option",
                                      "a PostgreSQL ledger (and the order book in it) is restored with PostgreSQL's "
                                      "own tools: pg_restore of a pg_dump, or a base backup with point-in-time "
                                      "recovery; restore puts back SQLite files: give --db the --local-db file "
                                      "(with the coordinator stopped)"),
                2);
  }
  std::error_code ec;
  // The coordinator may run elsewhere than here: it is given the backup's full path.
  const std::string from = std::filesystem::absolute(args.text("from"), ec).lexically_normal().string();
  auto lock = common::FileLock::tryLock(db + kLockSuffix);
  if (!lock && lock.error().code == "in_use") return restoreLive(args, db, from);
  if (!lock) return fail(lock.error(), 3);
  // Nobody runs on the files: put the backup in place here, the same steps a running one takes.
  if (auto done = coordinator::finishInterruptedRestore(db); !done) {
    return fail(done.error(), 3);
  } else if (*done) {
    std::printf("finished a restore of %s that was interrupted\n", db.c_str());
  }
  // Refused as a running coordinator refuses it (exit 1); nothing was changed.
  if (auto s = coordinator::checkBackup(from, db, knownSchemas()); !s) return fail(s.error(), 1);
  if (auto s = coordinator::stageBackup(from, db); !s) return fail(s.error(), 3);
  auto files = coordinator::commitStagedBackup(db);
  if (!files) return fail(files.error(), 3);
  std::printf("restored from %s:\n", from.c_str());
  for (const std::string& f : *files) std::printf("  %s\n", f.c_str());
  std::printf("at its next start the coordinator asks each device for what it no longer has\n");
  return 0;
}

int verify(const common::ParsedOptions& args) {
  // For reading: a running coordinator keeps its writer lease.
  auto ledger = coordinator::SqlLedger::open({.path = args.text("db"), .writer_id = ""});
  if (!ledger) return fail(ledger.error(), 3);
  if (args.flag("chain")) {
    auto checks = (*ledger)->verifyChain(args.text("device"));
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
    if (args.has("device") && checks->empty()) {
      return fail(common::Error::reject("unknown_device", "no device " + args.text("device") + " in the ledger"), 1);
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

common::Result<std::unique_ptr<coordinator::DeviceRegistry>> openRegistry(const common::ParsedOptions& args) {
  return coordinator::DeviceRegistry::open(args.text("db"), common::SystemClock::instance());
}

int deviceAdd(const common::ParsedOptions& args) {
  const std::string id = args.text("device"), loc = args.text("location"), role = args.text("role");
  if (auto s = checkDeviceRow(id, loc, role); !s) return fail(s.error(), 2);
  auto registry = openRegistry(args);
  if (!registry) return fail(registry.error(), 3);
  auto d = (*registry)->upsert(id, loc, *coordinator::parseDeviceRole(role));
  if (!d) return fail(d.error(), d.error().kind == common::ErrorKind::kReject ? 1 : 3);
  std::printf("%s\n", registryRowText(*d).c_str());
  return 0;
}

int deviceImport(const common::ParsedOptions& args) {
  auto registry = openRegistry(args);
  if (!registry) return fail(registry.error(), 3);
  coordinator::DeviceRegistry& reg = **registry;
  auto text = common::readFile(args.text("csv"));
  if (!text) return fail(common::Error::reject("bad_file", "cannot read " + args.text("csv")), 2);
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

int deviceList(const common::ParsedOptions& args) {
  auto registry = openRegistry(args);
  if (!registry) return fail(registry.error(), 3);
  for (const auto& d : (*registry)->list()) std::printf("%s\n", registryRowText(d).c_str());
  return 0;
}

int deviceRevoke(const common::ParsedOptions& args) {
  auto registry = openRegistry(args);
  if (!registry) return fail(registry.error(), 3);
  const std::string id = args.text("device");
  if (auto s = (*registry)->revoke(id, args.text("reason")); !s) {
    return fail(s.error(), s.error().kind == common::ErrorKind::kReject ? 1 : 3);
  }
  std::printf("%s\n", registryRowText(*(*registry)->find(id)).c_str());
  return 0;
}

common::Result<std::unique_ptr<coordinator::SqliteAccess>> openAccess(const common::ParsedOptions& args) {
  return coordinator::SqliteAccess::open(args.text("db"), common::SystemClock::instance());
}

int tokenCreate(const common::ParsedOptions& args) {
  auto role = coordinator::parseRole(args.text("role"));
  if (!role) return fail(common::Error::reject("bad_option", "--role must be admin, store_manager or viewer"), 2);
  auto access = openAccess(args);
  if (!access) return fail(access.error(), 3);
  auto secret = (*access)->createToken(args.text("name"), *role, args.text("location"));
  if (!secret) return fail(secret.error(), 2);
  std::printf("%s\n", secret->c_str());
  return 0;
}

int tokenList(const common::ParsedOptions& args) {
  auto access = openAccess(args);
  if (!access) return fail(access.error(), 3);
  auto all = (*access)->tokens();
  if (!all) return fail(all.error(), 3);
  for (const auto& t : *all) {
    std::printf("%s\t%s\t%s\t%s\n", t.name.c_str(), coordinator::roleName(t.role),
                t.location.empty() ? "-" : t.location.c_str(), t.revoked_at_ms ? "revoked" : "active");
  }
  return 0;
}

int tokenRevoke(const common::ParsedOptions& args) {
  auto access = openAccess(args);
  if (!access) return fail(access.error(), 3);
  auto done = (*access)->revokeToken(args.text("name"));
  if (!done) return fail(done.error(), 3);
  if (!*done) return fail(common::Error::reject("unknown_token", "no token in force named " + args.text("name")), 1);
  return 0;
}

// Every command and its options, declared once: --help, the checks and the dispatch come from here.
common::CliProgram program() {
  const common::OptionSpec db{"db", Kind::kText, "PATH", "", 0, 0, "the ledger's SQLite file", true};
  const common::OptionSpec ledger_db{"db", Kind::kText, "PATH|URL", "", 0, 0,
                                     "the ledger: its SQLite file or postgresql://... URL", true};
  auto text = [](const char* name, const char* value, const char* help, bool required = false, const char* fallback = "") {
    return common::OptionSpec{name, Kind::kText, value, fallback, 0, 0, help, required};
  };
  return {
      "stockwire-coordinator",
      kAbout,
      {
          {"serve", "run the coordinator: ingest, the ledger, channels, orders, the API and console",
           common::OptionTable(serveOptions()), serve},
          {"verify",
           "recompute every on-hand figure from the movement log and print those that differ (exit 1 if any)",
           common::OptionTable({ledger_db,
                                {"chain", Kind::kFlag, "", "", 0, 0,
                                 "instead recompute every device's hash chain end to end: one line per\n"
                                 "device, ok, unchained or its first break (exit 1 if any has one)"},
                                text("device", "D", "with --chain: only this device")}),
           verify},
          {"backup", "copy the coordinator's SQLite files while it runs (one consistent moment per file)",
           common::OptionTable({ledger_db, text("to", "FILE", "where: FILE, FILE.orders, FILE.channels, FILE.wholesale", true)}),
           backup, kBackupNotes},
          {"restore", "put a backup back in place of the coordinator's files, while it runs or with it stopped",
           common::OptionTable(
               {db, text("from", "FILE", "the backup (as written by backup --to FILE)", true),
                text("token-file", "FILE", "while a coordinator runs on --db: an admin API token (first line)"),
                text("api", "URL", "while it runs: its API (default: the URL it wrote to DB.api)"),
                text("api-ca", "FILE", "the CA certificates of an https:// API (PEM)"),
                {"wait-s", Kind::kInt, "SEC", "600", 1, 86'400, "while it runs: how long to wait for the outcome"}}),
           restore, kRestoreNotes},
          {"device add", "register a device for a location (pos or handheld)",
           common::OptionTable({db, text("device", "ID", "the device id", true),
                                text("location", "LOC", "its location", true),
                                text("role", "ROLE", "pos or handheld", true)}),
           deviceAdd},
          {"device import", "register devices from a CSV file (rows: store,device_id,role; header first)",
           common::OptionTable({db, text("csv", "FILE", "the CSV file", true)}), deviceImport},
          {"device list", "list the registered devices", common::OptionTable({db}), deviceList},
          {"device revoke", "revoke a device: its batches are quarantined from then on",
           common::OptionTable({db, text("device", "ID", "the device id", true),
                                text("reason", "TEXT", "why (kept in the registry)", false, "revoked by an administrator")}),
           deviceRevoke},
          {"token create", "create an API token and print it once",
           common::OptionTable({db, text("name", "NAME", "what it is for", true),
                                text("role", "ROLE", "admin, store_manager or viewer", true),
                                text("location", "LOC", "a store_manager's own store (required for that role)")}),
           tokenCreate},
          {"token list", "list the API tokens (name, role, location, state)", common::OptionTable({db}), tokenList},
          {"token revoke", "revoke an API token by name",
           common::OptionTable({db, text("name", "NAME", "the token's name", true)}), tokenRevoke},
          {"channel-decode", "print each order of a channel payload on stdin, normalised, one JSON object per line",
           coordinator::channels::channelDecodeOptions(),
           [](const common::ParsedOptions& o) {
             return coordinator::channels::channelDecode(o, std::cin, std::cout, std::cerr);
           },
           coordinator::channels::kChannelDecodeNotes},
          {"edi-decode", "print each transaction set of an X12 EDI file, normalised, one JSON object per line",
           coordinator::edi::ediDecodeOptions(),
           [](const common::ParsedOptions& o) { return coordinator::edi::ediDecode(o, std::cout, std::cerr); },
           coordinator::edi::kEdiDecodeNotes},
      },
      kNotes,
      knownSchemas(),
  };
}

// The components of its files: the ledger file (--db), DB.orders and DB.channels (dead letters, settlements).
std::vector<common::SchemaVersion> knownSchemas() {
  return {coordinator::SqlLedger::schemaVersion(), coordinator::DeviceRegistry::schemaVersion(),
          coordinator::SqliteCatalog::schemaVersion(), coordinator::SqliteAccess::schemaVersion(),
          coordinator::SqliteKpiSeries::schemaVersion(), coordinator::OrderBook::schemaVersion(),
          coordinator::RevenueBook::schemaVersion(), coordinator::channels::DeadLetterStore::schemaVersion(),
          coordinator::settlements::SettlementStore::schemaVersion(),
          coordinator::wholesale::WholesaleStore::schemaVersion()};
}

}  // namespace

int main(int argc, char** argv) {
  sw::common::blockTerminationSignals();
  sw::common::initCrashPoints();
  return sw::common::runCli(program(), argc, argv);
}
