// stockwire-agent: the device daemon and its tools.

#include <cstdio>
#include <fstream>
#include <cstdlib>
#include <iostream>
#include <string>
#include <vector>

#include "sw/agent/catalog.h"
#include "sw/agent/devices.h"
#include "sw/agent/handheld.h"
#include "sw/agent/downlink.h"
#include "sw/agent/enroll.h"
#include "sw/agent/http_api.h"
#include "sw/agent/scan_decode.h"
#include "sw/agent/store.h"
#include "sw/agent/sync.h"
#include "sw/agent/tasks.h"
#include "sw/common/args.h"
#include "sw/common/cli.h"
#include "sw/common/codec.h"
#include "sw/common/crash_point.h"
#include "sw/common/log.h"
#include "sw/common/paho_transport.h"
#include "sw/common/process.h"
#include "sw/common/sd_notify.h"
#include "sw/common/topics.h"
#include "sw/common/uuid.h"

namespace {

using namespace sw;

constexpr const char* kAbout =
    "stockwire-agent: records sales and stock movements on a device and syncs them.";

constexpr const char* kNotes = R"(Local API (JSON): POST /v1/sales, /v1/returns, /v1/voids, /v1/movements; GET /v1/status;
  devices: POST /v1/scale/read, /v1/drawer/open; GET /v1/receipts, /v1/scans, /v1/devices.
Exit codes: 0 after SIGINT/SIGTERM, 2 on bad options (enroll: or refused), 3 when the store cannot be
opened (enroll: the coordinator cannot be reached).
)";

constexpr const char* kRunNotes = R"(The till's serial devices (--scanner ... --rcn-country above) are each optional; PATH is a tty,
a pty or a udev symlink, reopened after an unplug; S is serial settings such as 9600,8N1 or
115200,8N1,rtscts.
)";

constexpr const char* kEnrollNotes = R"(enroll makes this device's key in DIR (0600; it never leaves the device), sends a CSR with the
one-time token from stockwire-provision token to the coordinator (URL = http://host:port) and writes
DIR/device.pem, DIR/ca-chain.pem and DIR/config.json; then run it with
stockwire-agent run --config DIR/config.json (mTLS to the broker). Exit 2 when refused (the message
says why and what to do), 3 when the coordinator cannot be reached.
)";

using Kind = common::OptionSpec::Kind;

// run's options, declared once: parsing, ranges, defaults and the help text all come from here.
// The serial devices' options (agent::deviceOptions) follow them and are read by
// agent::parseDevicesConfig.
std::vector<common::OptionSpec> runOptions() {
  return {
        {"identity-dir", Kind::kText, "DIR", "", 0, 0,
         "an enrolled device's identity (written by enroll, in its config.json): its\ncertificate is renewed "
         "over MQTT when a third of its validity is left\n(checked every --renew-check-ms), or at POST "
         "/v1/certificate/renew"},
        {"renew-check-ms", Kind::kInt, "N", "60000", 1, 86'400'000, "how often the certificate's age is checked"},
        {"config", Kind::kText, "FILE", "", 0, 0,
         "JSON file with any of these options (keys with '_' for '-');\ncommand-line options override it"},
        {"device-id", Kind::kText, "ID", "", 0, 0,
         "this device's id (1-64 of A-Z a-z 0-9 . _ : -); also the MQTT client id", true},
        {"location", Kind::kText, "LOC", "", 0, 0, "the store or warehouse this device records for", true},
        {"kind", Kind::kText, "KIND", "till", 0, 0, "till or handheld"},
        {"nearby", Kind::kText, "LOC,LOC", "", 0, 0,
         "also keep the stock views of these locations (handhelds answering \"do we have it\")"},
        {"broker", Kind::kText, "URL", "", 0, 0, "MQTT broker, e.g. tcp://127.0.0.1:1883 or ssl://broker:8883", true},
        {"db", Kind::kText, "PATH", "", 0, 0, "the local SQLite store (created if missing; never replaced if damaged)",
         true},
        {"http", Kind::kText, "HOST:PORT", "127.0.0.1:8700", 0, 0,
         "local API address (port 0 = any free port); loopback only"},
        {"api-token-file", Kind::kText, "F", "", 0, 0,
         "every API request must then send Authorization: Bearer <the file's first line>"},
        {"ca", Kind::kText, "FILE", "", 0, 0, "the CA chain of an ssl:// broker"},
        {"cert", Kind::kText, "FILE", "", 0, 0, "this device's client certificate"},
        {"key", Kind::kText, "FILE", "", 0, 0, "its key"},
        {"keepalive-s", Kind::kInt, "N", "5", 1, 65535,
         "MQTT keepalive. A link that goes silent without closing is\nnoticed within about 2.5 N s (Paho pings "
         "after N s without traffic and gives up\n1.5 N s later), and /v1/status then says broker_connected false"},
        {"retention-hours", Kind::kInt, "N", "168", 1, 24 * 3650, "keep acknowledged events this long before pruning"},
        {"reserve-mb", Kind::kInt, "N", "16", 0, 1 << 20,
         "refuse new events when less than N MiB are free on the store's disk"},
        {"ack-timeout-ms", Kind::kInt, "N", "3000", 1, 3'600'000, "resend from the last ack after this much silence"},
        {"max-batch", Kind::kInt, "N", "1000", 1, 1'000'000, "largest batch in events"},
        {"max-offline-hours", Kind::kInt, "N", "24", 1, 24 * 365,
         "alert when offline or holding unsynced events this long"},
        {"max-queue", Kind::kInt, "N", "200000", 1, INT64_MAX, "alert when holding this many unsynced events"},
        {"min-disk-mb", Kind::kInt, "N", "256", 1, 1 << 30, "alert when less disk than this is free"},
        {"log-level", Kind::kText, "LEVEL", "info", 0, 0, "debug, info, warn or error"},
  };
}

int fail(const common::Error& e, int code) {
  std::fprintf(stderr, "stockwire-agent: %s\n", e.toString().c_str());
  return code;
}

int runAgent(const common::ParsedOptions& opts) {
  common::LogLevel level;
  if (!common::parseLogLevel(opts.text("log-level"), &level)) {
    return fail(common::Error::reject("bad_option", "--log-level must be debug, info, warn or error"), 2);
  }
  common::setLogLevel(level);
  auto hp = common::parseHostPort(opts.text("http"));
  if (!hp) return fail(hp.error(), 2);
  auto devices_config = agent::parseDevicesConfig(opts.args(), opts.text("location"));
  if (!devices_config) return fail(devices_config.error(), 2);

  // SW_TEST_CLOCK_SKEW_MS gives this device a wrong wall clock (the chaos harness jumps it by a day).
  const char* skew_env = std::getenv("SW_TEST_CLOCK_SKEW_MS");
  common::SkewedClock clock(common::SystemClock::instance(), skew_env ? std::strtoll(skew_env, nullptr, 10) : 0);
  agent::StoreConfig sc;
  sc.path = opts.text("db");
  sc.device_id = opts.text("device-id");
  sc.location = opts.text("location");
  sc.kind = opts.text("kind");
  sc.min_free_bytes = opts.integer("reserve-mb") * 1024 * 1024;
  auto store = agent::Store::open(sc, clock);
  if (!store) return fail(store.error(), 3);

  std::string session = common::newUuid();
  common::MqttConfig mc;
  mc.broker_url = opts.text("broker");
  mc.client_id = sc.device_id;
  mc.ca_file = opts.text("ca");
  mc.cert_file = opts.text("cert");
  mc.key_file = opts.text("key");
  mc.keepalive_s = static_cast<int>(opts.integer("keepalive-s"));
  common::DeviceState death;
  death.online = false;
  death.session = session;
  death.at_ms = clock.nowMs();
  mc.will = common::MqttWill{common::topics::state(sc.device_id), common::encodeDeviceState(death), 1, true};
  auto transport = common::makePahoTransport(mc);

  agent::SyncConfig cfg;
  cfg.retention_ms = opts.integer("retention-hours") * 3600 * 1000;
  cfg.ack_timeout_ms = opts.integer("ack-timeout-ms");
  cfg.max_batch_events = static_cast<size_t>(opts.integer("max-batch"));
  cfg.initial_batch_events = std::min<size_t>(cfg.initial_batch_events, cfg.max_batch_events);
  agent::SyncLoop sync(**store, *transport, clock, cfg, session);
  // An enrolled device renews its own certificate (--identity-dir, written by enroll).
  std::unique_ptr<agent::CertRenewer> renewer;
  if (opts.has("identity-dir")) {
    agent::RenewalConfig rc;
    rc.identity_dir = opts.text("identity-dir");
    rc.device_id = sc.device_id;
    rc.check_interval_ms = opts.integer("renew-check-ms");
    renewer = std::make_unique<agent::CertRenewer>(*transport, clock, rc);
    renewer->attach();
  }
  std::vector<std::string> follow = {sc.location};
  if (opts.has("nearby")) {
    const std::string nearby = opts.text("nearby");
    size_t pos = 0;
    while (pos < nearby.size()) {
      size_t comma = nearby.find(',', pos);
      std::string loc = nearby.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos);
      if (!common::isValidId(loc)) return fail(common::Error::reject("bad_option", "--nearby: bad location '" + loc + "'"), 2);
      if (loc != sc.location) follow.push_back(loc);
      if (comma == std::string::npos) break;
      pos = comma + 1;
    }
  }
  agent::DownlinkClient downlink(**store, *transport, clock, follow);
  agent::StockViewHandler stock_view;
  downlink.addHandler(stock_view);
  if (auto s = agent::ensurePickTaskTable(**store); !s) return fail(s.error(), 3);
  agent::PickTaskHandler pick_tasks;
  downlink.addHandler(pick_tasks);
  if (auto s = agent::createCatalogTables(**store); !s) return fail(s.error(), 3);
  agent::CatalogHandler catalog;
  agent::PriceHandler prices;
  downlink.addHandler(catalog);
  downlink.addHandler(prices);
  agent::ExposureLimits limits{opts.integer("max-offline-hours") * 3600,
                              static_cast<uint64_t>(opts.integer("max-queue")),
                              opts.integer("min-disk-mb") * 1024 * 1024};
  agent::AgentHttpApi api(**store, &sync, clock, limits);
  if (opts.has("api-token-file")) {
    const std::string token_file = opts.text("api-token-file");
    std::ifstream in(token_file);
    std::string token;
    std::getline(in, token);
    while (!token.empty() && (token.back() == '\r' || token.back() == ' ')) token.pop_back();
    if (!in && token.empty()) {
      return fail(common::Error::reject("bad_option", "cannot read --api-token-file " + token_file), 2);
    }
    if (token.size() < 16) {
      return fail(common::Error::reject("bad_option", "the --api-token-file token must be at least 16 characters"), 2);
    }
    api.setApiToken(token);
  }
  api.setDownlink(&downlink);
  agent::Devices devices(**store, *devices_config, clock);
  if (auto s = devices.start(); !s) return fail(s.error(), 3);
  api.setDevices(&devices);
  if (renewer) api.setCertRenewer(renewer.get());
  if (auto s = api.start(hp->first, hp->second); !s) return fail(s.error(), 2);
  downlink.start();
  sync.start();
  if (renewer) renewer->start();
  SW_INFO("agent") << "device " << sc.device_id << " at " << sc.location << " (" << sc.kind << "), store "
                   << sc.path << ", API http://" << hp->first << ":" << api.port() << ", broker " << mc.broker_url;
  // Scripts read this line to find the API port when --http asks for port 0.
  std::printf("listening http://%s:%d\n", hp->first.c_str(), api.port());
  std::fflush(stdout);

  // Under systemd (Type=notify): ready now (recording does not wait for the broker), the
  // watchdog pinged while this thread waits.
  int sig = common::serveUntilTerminated(common::ServiceNotifier::fromEnvironment(),
                                         "device " + sc.device_id + " recording, API http://" + hp->first + ":" +
                                             std::to_string(api.port()));
  SW_INFO("agent") << "signal " << sig << ", stopping";
  api.stop();
  if (renewer) renewer->stop();
  devices.stop();
  downlink.stop();
  sync.stop();
  return 0;
}

int runEnroll(const common::ParsedOptions& args) {
  agent::EnrollOptions o;
  o.token = args.text("token");
  o.coordinator_url = args.text("coordinator");
  o.dir = args.text("dir");
  o.db = args.text("db");
  o.http = args.text("http");
  auto config = agent::enroll(o, agent::httpEnrollPost(o.coordinator_url));
  if (!config) {
    std::fprintf(stderr, "stockwire-agent: %s\n", config.error().message.c_str());
    return config.error().kind == common::ErrorKind::kRetry ? 3 : 2;
  }
  std::printf("enrolled %s at %s; run: stockwire-agent run --config %s/config.json\n",
              (*config)["device_id"].get<std::string>().c_str(), (*config)["location"].get<std::string>().c_str(),
              o.dir.c_str());
  return 0;
}

// Every command and its options, declared once: --help, the checks and the dispatch come from here.
common::CliProgram program() {
  return {
      "stockwire-agent",
      kAbout,
      {
          {"run", "the device daemon: record, sync, serve the local API and the till's devices",
           common::OptionTable({runOptions(), agent::deviceOptions()}), runAgent, kRunNotes},
          {"enroll", "enroll this device with a one-time token: key, certificate and config",
           common::OptionTable({
               {"token", Kind::kText, "T", "", 0, 0, "the one-time token from stockwire-provision token", true},
               {"coordinator", Kind::kText, "URL", "", 0, 0, "the coordinator, http://host:port", true},
               {"dir", Kind::kText, "DIR", "", 0, 0, "where the identity and config.json go", true},
               {"db", Kind::kText, "PATH", "", 0, 0, "the store path written into config.json (default DIR/agent.db)"},
               {"http", Kind::kText, "HOST:PORT", "", 0, 0, "the local API address written into config.json"},
           }),
           runEnroll, kEnrollNotes},
          {"handheld", "line-mode receive / count / transfer / pick through the running agent (type help inside)",
           agent::handheldOptions(), agent::runHandheld},
          {"scan-decode", "decode scanner messages (AIM id first, one per line) from stdin, one JSON object per line",
           agent::scanDecodeOptions(),
           [](const common::ParsedOptions& o) { return agent::runScanDecode(o, std::cin, std::cout, std::cerr); }},
      },
      kNotes,
      // The components of the store file (--db), in the order run creates them.
      {agent::Store::schemaVersion(), agent::pickTaskSchemaVersion(), agent::catalogSchemaVersion(),
       agent::ReceiptQueue::schemaVersion()},
  };
}

}  // namespace

int main(int argc, char** argv) {
  sw::common::blockTerminationSignals();
  sw::common::initCrashPoints();
  return sw::common::runCli(program(), argc, argv);
}
