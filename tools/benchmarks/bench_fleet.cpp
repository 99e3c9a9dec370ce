// tools/bench fleet: a large fleet of simulated tills (tools/loadgen's Fleet, in this process,
// each with its own MQTT connection) held by one real stockwire-coordinator on SQLite through a
// real Mosquitto, selling at a steady rate. Figures: devices connected and held, the
// coordinator's memory per device, ingest lag, CPU, events applied per second, each beside the
// raw limit measured in the same run; then the ledger is checked against what every device had
// acknowledged. Targets (issue 19): 10,000 devices held, lag p99 under 1 s.

#include <sys/wait.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <thread>

#include "bench.h"
#include "raw_limits.h"
#include "sw/harness/process.h"
#include "sw/harness/stack.h"
#include "sw/loadgen/fleet.h"
#include "sw/loadgen/metrics_reader.h"
#include "sw/loadgen/mqtt_client.h"
#include "sw/loadgen/report.h"

namespace sw::bench {

namespace {

using nlohmann::json;
using Clock = std::chrono::steady_clock;

double since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }
double mib(long kib) { return static_cast<double>(kib) / 1024.0; }

struct Mark {
  double at_s = 0;
  double cpu_coordinator = 0, cpu_broker = 0, cpu_self = 0;
  double applied = 0;
  loadgen::PromHistogram lag;
  loadgen::FleetStatus fleet;
};

Mark mark(Clock::time_point t0, const test::CoordinatorProc& coord, const test::Broker& broker,
          const loadgen::Fleet& fleet) {
  Mark m;
  m.at_s = since(t0);
  m.cpu_coordinator = cpuSeconds(coord.pid());
  m.cpu_broker = cpuSeconds(broker.pid());
  m.cpu_self = cpuSeconds(getpid());
  const std::string page = test::httpGetText(coord.port(), "/metrics");
  m.applied = loadgen::metricValue(page, "stockwire_ingest_events_applied_total").value_or(0);
  auto h = loadgen::readHistogram(page, "stockwire_sync_latency_seconds");
  if (h) m.lag = *h;
  m.fleet = fleet.status();
  return m;
}

// The coordinator's count of devices whose last state said online (GET /v1/devices summary).
int64_t coordinatorOnline(int port) {
  auto r = test::httpGet(port, "/v1/devices?limit=1");
  if (r.status != 200 || !r.body.contains("summary")) return -1;
  return r.body["summary"].value("online", int64_t{-1});
}

}  // namespace

int benchFleet(const common::ParsedOptions& args) {
  const int64_t devices = args.integer("devices");
  const double rate = args.number("rate");
  const int64_t seconds = args.integer("seconds");
  const int64_t warmup = args.integer("warmup-s");
  const double connect_per_s = args.number("connect-per-s");
  std::printf("fleet: %lld simulated tills (each its own MQTT connection) on one coordinator on SQLite, %.0f sales/s "
              "for %lld s after %lld s of warm-up\n",
              static_cast<long long>(devices), rate, static_cast<long long>(seconds), static_cast<long long>(warmup));
  std::fflush(stdout);

  // Each connection is a file here and in the broker (which inherits this limit).
  const int64_t files = loadgen::raiseFileLimit(devices + 1024);
  if (files < devices + 256) {
    std::printf("  cannot hold %lld connections: RLIMIT_NOFILE is %lld here and in the broker it starts "
                "(raise the hard limit: ulimit -Hn)\n",
                static_cast<long long>(devices), static_cast<long long>(files));
    return 1;
  }
  test::TempDir dir;
  test::Broker broker;

  // 1. Raw limits, same machine, same run.
  std::printf("  raw limits (same run):\n");
  std::fflush(stdout);
  // As many bare connections as the fleet will have (the same client, no Stockwire on top), held at once.
  const long broker_bare0 = procStatusKib(broker.pid(), "VmRSS");
  long broker_bare1 = -1;
  auto bare = loadgen::holdBareConnections(broker.url(), devices, connect_per_s,
                                           [&] { broker_bare1 = procStatusKib(broker.pid(), "VmRSS"); });
  if (!bare) {
    std::fprintf(stderr, "fleet: %s\n", bare.error().toString().c_str());
    return 1;
  }
  const double bare_kib_each =
      bare->held > 0 ? static_cast<double>(broker_bare1 - broker_bare0) / static_cast<double>(bare->held) : 0;
  std::printf("    bare MQTT 5 connections held by this broker: %lld of %lld (%lld failed; opened in %.1f s), broker "
              "%.1f KiB each\n",
              static_cast<long long>(bare->held), static_cast<long long>(bare->asked),
              static_cast<long long>(bare->failed), bare->open_s, bare_kib_each);
  std::fflush(stdout);
  const RawMqtt raw_mqtt = measureRawMqtt(broker.url(), 100'000, 256, 64);
  const RawRoundTrip raw_rtt = measureRawMqttRoundTrip(broker.url(), 2000, 200);
  std::printf("    Mosquitto QoS 1: %.0f msgs/s (256 bytes, 64 in flight); a QoS 1 message and its answer: p50 %.2f ms, "
              "p99 %.2f ms\n",
              raw_mqtt.msgs_per_s, raw_rtt.p50_ms, raw_rtt.p99_ms);
  const RawSqlite raw_sql = measureRawSqliteInsert(dir.path(), 500'000, 10'000, 200);
  const RawCommit raw_commit = measureRawSqliteCommit(dir.path(), 500, 300);
  std::printf("    SQLite (WAL, synchronous=FULL): %.0f rows/s batched (10k rows/txn, 200-byte rows); one commit p50 "
              "%.2f ms, p99 %.2f ms\n",
              raw_sql.rows_per_s, raw_commit.p50_ms, raw_commit.p99_ms);
  std::fflush(stdout);

  // 2. The coordinator, and the fleet registered as IT does before devices go live.
  test::CoordinatorProc coord(dir, broker.url());
  coord.start();
  const std::string prefix = "fleet";
  {
    std::string csv = "store,device_id,role\n";
    for (int64_t i = 0; i < devices; ++i) {
      csv += loadgen::fleetLocation(prefix, loadgen::fleetStoreIndex(i, 10)) + "," + loadgen::fleetDeviceId(prefix, i) +
             ",pos\n";
    }
    if (!writeText(dir.file("fleet.csv"), csv)) {
      std::fprintf(stderr, "fleet: cannot write %s\n", dir.file("fleet.csv").c_str());
      return 1;
    }
    auto t = Clock::now();
    auto reg = test::Child::spawn({test::coordinatorBinary(), "device", "import", "--db", coord.db(), "--csv",
                                   dir.file("fleet.csv")},
                                  dir.file("register"));
    auto rc = reg.wait(std::chrono::seconds(1800));
    if (!rc || *rc != 0) {
      std::fprintf(stderr, "fleet: cannot register the devices: %s\n", reg.stderrText().c_str());
      return 1;
    }
    std::printf("  registered %lld devices (stockwire-coordinator device import) in %.1f s\n",
                static_cast<long long>(devices), since(t));
  }
  const long coord_idle = procStatusKib(coord.pid(), "VmRSS");
  const long broker_idle = procStatusKib(broker.pid(), "VmRSS");
  const long self_idle = procStatusKib(getpid(), "VmRSS");

  // 3. The fleet connects.
  loadgen::FleetConfig fc;
  fc.broker_url = broker.url();
  fc.prefix = prefix;
  fc.devices = devices;
  fc.devices_per_store = 10;
  fc.threads = static_cast<int>(args.integer("threads"));
  fc.connect_per_s = connect_per_s;
  fc.sync.state_interval_ms = args.integer("state-interval-ms");
  fc.traffic.sales_per_s = rate;
  fc.traffic.seed = 19;
  auto made = loadgen::Fleet::create(fc, common::SystemClock::instance());
  if (!made) {
    std::fprintf(stderr, "fleet: %s\n", made.error().toString().c_str());
    return 1;
  }
  loadgen::Fleet& fleet = **made;
  const auto t0 = Clock::now();
  fleet.start();
  const int64_t connect_wait_s = args.integer("connect-wait-s");
  double last_print = 0;
  while (fleet.status().connected < devices && since(t0) < static_cast<double>(connect_wait_s)) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    if (since(t0) - last_print >= 10) {
      last_print = since(t0);
      std::printf("    %5.1f s: %lld connected\n", since(t0), static_cast<long long>(fleet.status().connected));
      std::fflush(stdout);
    }
  }
  const double connect_s = since(t0);
  const loadgen::FleetStatus after_connect = fleet.status();
  // The coordinator has taken every birth state (written at most every 500 ms).
  int64_t seen_online = -1;
  test::waitFor([&] { return (seen_online = coordinatorOnline(coord.port())) >= after_connect.connected; },
                std::chrono::seconds(60), std::chrono::milliseconds(500));
  const long coord_connected = procStatusKib(coord.pid(), "VmRSS");
  const long broker_connected = procStatusKib(broker.pid(), "VmRSS");
  const long self_connected = procStatusKib(getpid(), "VmRSS");
  std::printf("  %lld of %lld devices connected in %.1f s (%llu connect failures); the coordinator lists %lld online\n",
              static_cast<long long>(after_connect.connected), static_cast<long long>(devices), connect_s,
              static_cast<unsigned long long>(after_connect.connect_failures), static_cast<long long>(seen_online));
  std::fflush(stdout);

  // What holding the fleet costs with nothing sold: each device's state every state-interval-ms
  // and the keepalives.
  const int64_t idle_s = args.integer("idle-s");
  const double idle_c0 = cpuSeconds(coord.pid()), idle_b0 = cpuSeconds(broker.pid()), idle_f0 = cpuSeconds(getpid());
  const auto idle_t0 = Clock::now();
  std::this_thread::sleep_for(std::chrono::seconds(idle_s));
  const double idle_window = since(idle_t0);
  const double idle_coord = (cpuSeconds(coord.pid()) - idle_c0) / idle_window;
  const double idle_broker = (cpuSeconds(broker.pid()) - idle_b0) / idle_window;
  const double idle_fleet = (cpuSeconds(getpid()) - idle_f0) / idle_window;

  // 4. Steady selling: a warm-up, then the measured window.
  fleet.startSelling();
  std::this_thread::sleep_for(std::chrono::seconds(warmup));
  fleet.resetLag();
  const Mark m0 = mark(t0, coord, broker, fleet);
  int64_t held_min = m0.fleet.connected;
  last_print = 0;
  const auto w0 = Clock::now();
  while (since(w0) < static_cast<double>(seconds)) {
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    const loadgen::FleetStatus s = fleet.status();
    held_min = std::min(held_min, s.connected);
    if (since(w0) - last_print >= 10) {
      last_print = since(w0);
      std::printf("    %5.1f s into the window: %lld connected, %llu recorded, %llu acknowledged\n", since(w0),
                  static_cast<long long>(s.connected), static_cast<unsigned long long>(s.recorded),
                  static_cast<unsigned long long>(s.acked));
      std::fflush(stdout);
    }
  }
  const Mark m1 = mark(t0, coord, broker, fleet);
  const long coord_end = procStatusKib(coord.pid(), "VmRSS");
  const long broker_end = procStatusKib(broker.pid(), "VmRSS");
  const long coord_peak = procStatusKib(coord.pid(), "VmHWM");

  // 5. Drain, stop, and check the ledger against what every device had acknowledged.
  fleet.stopSelling();
  const auto d0 = Clock::now();
  test::waitFor([&] {
    auto s = fleet.status();
    return s.drained + s.refused == s.devices;
  }, std::chrono::seconds(300), std::chrono::milliseconds(100));
  const double drain_s = since(d0);
  fleet.stop();
  const loadgen::FleetStatus end = fleet.status();
  loadgen::RunReport report;
  report.broker = broker.url();
  report.prefix = prefix;
  report.drained = end.drained == end.devices;
  report.devices = fleet.devices();
  auto listed = test::httpGet(coord.port(), "/v1/devices");
  auto mismatches = loadgen::compareWithDevices(report, listed.body.dump());
  coord.stop();
  auto verify = test::Child::spawn({test::coordinatorBinary(), "verify", "--db", coord.db()}, dir.file("verify"));
  auto verify_st = verify.wait(std::chrono::seconds(600));
  auto chain = test::Child::spawn({test::coordinatorBinary(), "verify", "--chain", "--db", coord.db()},
                                  dir.file("verify-chain"));
  auto chain_st = chain.wait(std::chrono::seconds(600));
  const bool verify_ok = verify_st && WIFEXITED(*verify_st) && WEXITSTATUS(*verify_st) == 0;
  const bool chain_ok = chain_st && WIFEXITED(*chain_st) && WEXITSTATUS(*chain_st) == 0;

  // 6. Figures.
  const double window = m1.at_s - m0.at_s;
  const double applied = m1.applied - m0.applied;
  const double applied_per_s = applied / window;
  const double recorded_per_s = static_cast<double>(m1.fleet.recorded - m0.fleet.recorded) / window;
  const double messages_per_s =
      static_cast<double>((m1.fleet.batches - m0.fleet.batches) + (m1.fleet.states - m0.fleet.states) +
                          (m1.fleet.acks - m0.fleet.acks)) /
      window;
  const double coord_cores = (m1.cpu_coordinator - m0.cpu_coordinator) / window;
  const double broker_cores = (m1.cpu_broker - m0.cpu_broker) / window;
  const double self_cores = (m1.cpu_self - m0.cpu_self) / window;
  auto lag = m1.lag.since(m0.lag);
  const double lag_p50 = lag ? lag->quantile(0.5) * 1000 : -1;
  const double lag_p99 = lag ? lag->quantile(0.99) * 1000 : -1;
  const double under_1s = lag ? lag->shareAtMost(1.0).value_or(0) : 0;
  const loadgen::LagHistogram& acked_lag = m1.fleet.lag.live;
  const int64_t held = std::min(held_min, m1.fleet.connected);
  const uint64_t lost = m1.fleet.unexpected_losses - m0.fleet.unexpected_losses;
  const double per_device_connected = static_cast<double>(coord_connected - coord_idle) / static_cast<double>(devices);
  const double per_device_end = static_cast<double>(coord_end - coord_idle) / static_cast<double>(devices);
  const double broker_per_device = static_cast<double>(broker_connected - broker_idle) / static_cast<double>(devices);
  const bool ledger_equal = mismatches.ok() && mismatches->empty() && report.drained;

  std::printf("\n  devices: %lld connected, held through the %.0f s window: at least %lld connected at every sample "
              "(every 0.5 s), %llu connections lost\n",
              static_cast<long long>(after_connect.connected), window, static_cast<long long>(held),
              static_cast<unsigned long long>(lost));
  std::printf("  coordinator memory (VmRSS): %.1f MiB idle (registry loaded), %.1f MiB with the fleet connected, "
              "%.1f MiB after the window (peak %.1f MiB) -> %.1f KiB per device connected, %.1f KiB after selling\n",
              mib(coord_idle), mib(coord_connected), mib(coord_end), mib(coord_peak), per_device_connected,
              per_device_end);
  std::printf("  broker memory: %.1f MiB -> %.1f MiB (%.1f KiB per device; raw: %.1f KiB per bare connection); this "
              "process (the fleet): %.1f MiB -> %.1f MiB\n",
              mib(broker_idle), mib(broker_end), broker_per_device, bare_kib_each, mib(self_idle),
              mib(self_connected));
  std::printf("  events applied: %.0f/s (devices recorded %.0f/s) = %.2f%% of raw SQLite batched inserts (%.0f rows/s); "
              "%.0f MQTT messages/s to and from the devices = %.1f%% of raw Mosquitto QoS 1 (%.0f msgs/s)\n",
              applied_per_s, recorded_per_s, 100 * applied_per_s / raw_sql.rows_per_s, raw_sql.rows_per_s,
              messages_per_s, 100 * messages_per_s / raw_mqtt.msgs_per_s, raw_mqtt.msgs_per_s);
  std::printf("  ingest lag occurred -> applied (the coordinator's stockwire_sync_latency_seconds over the window, "
              "interpolated in its buckets): p50 %.1f ms, p99 %.1f ms; %.2f%% of %llu events within 1 s\n",
              lag_p50, lag_p99, 100 * under_1s, static_cast<unsigned long long>(lag ? lag->count() : 0));
  std::printf("  occurred -> ack back at the device (exact, events recorded in the window): p50 %lld ms, p99 %lld ms, "
              "max %lld ms; raw floor: a QoS 1 round trip p99 %.2f ms + one SQLite commit p99 %.2f ms\n",
              static_cast<long long>(acked_lag.percentileMs(50)), static_cast<long long>(acked_lag.percentileMs(99)),
              static_cast<long long>(acked_lag.maxMs()), raw_rtt.p99_ms, raw_commit.p99_ms);
  std::printf("  CPU holding the fleet with nothing sold (%.0f s): coordinator %.2f cores, broker %.2f, the fleet %.2f\n",
              idle_window, idle_coord, idle_broker, idle_fleet);
  std::printf("  CPU over the window: coordinator %.2f cores (%.0f us per event applied, %.0f us per MQTT message; raw "
              "SQLite batched insert %.1f us per row), broker %.2f, the fleet (this process) %.2f, of %ld\n",
              coord_cores, applied > 0 ? coord_cores * window * 1e6 / applied : 0.0,
              messages_per_s > 0 ? coord_cores * 1e6 / messages_per_s : 0.0, 1e6 / raw_sql.rows_per_s, broker_cores,
              self_cores, sysconf(_SC_NPROCESSORS_ONLN));
  std::printf("  after selling: drained in %.1f s; %llu batches, %llu rewinds, %llu bad acks, %lld devices refused\n",
              drain_s, static_cast<unsigned long long>(end.batches), static_cast<unsigned long long>(end.rewinds),
              static_cast<unsigned long long>(end.bad_acks), static_cast<long long>(end.refused));
  std::printf("  ledger equals what every device had acknowledged: %s (%s); verify: %s; verify --chain: %s\n",
              ledger_equal ? "yes" : "NO",
              mismatches.ok() ? (std::to_string(mismatches->size()) + " of " + std::to_string(devices) + " differ").c_str()
                              : mismatches.error().toString().c_str(),
              verify_ok ? "ok" : "FAILED", chain_ok ? "ok" : "FAILED");
  const bool held_met = devices >= 10'000 && held >= 10'000 && lost == 0;
  const bool lag_met = lag && lag->count() > 0 && under_1s >= 0.99;
  std::printf("  targets: 10,000 devices held: %s (%lld held); ingest lag p99 under 1 s: %s (coordinator p99 %.0f ms, "
              "ack-measured p99 %lld ms)\n",
              held_met ? "met" : "NOT met", static_cast<long long>(held), lag_met ? "met" : "NOT met", lag_p99,
              static_cast<long long>(acked_lag.percentileMs(99)));
  if (!verify_ok) std::printf("%s", verify.stdoutText().c_str());
  if (!chain_ok) std::printf("%s", chain.stdoutText().c_str());

  if (args.has("json")) {
    json j = {
        {"bench", "fleet"},
        {"devices", devices},
        {"rate_per_s", rate},
        {"window_s", window},
        {"raw",
         {{"connections_held", bare->held},
          {"connections_seconds", bare->open_s},
          {"broker_kib_per_connection", bare_kib_each},
          {"mqtt_qos1_msgs_per_s", raw_mqtt.msgs_per_s},
          {"mqtt_round_trip_p50_ms", raw_rtt.p50_ms},
          {"mqtt_round_trip_p99_ms", raw_rtt.p99_ms},
          {"sqlite_batched_rows_per_s", raw_sql.rows_per_s},
          {"sqlite_commit_p50_ms", raw_commit.p50_ms},
          {"sqlite_commit_p99_ms", raw_commit.p99_ms}}},
        {"connected", after_connect.connected},
        {"connect_s", connect_s},
        {"coordinator_online", seen_online},
        {"held_min", held},
        {"connections_lost", lost},
        {"coordinator_rss_kib", {{"idle", coord_idle}, {"connected", coord_connected}, {"end", coord_end}, {"peak", coord_peak}}},
        {"coordinator_kib_per_device", {{"connected", per_device_connected}, {"end", per_device_end}}},
        {"broker_rss_kib", {{"idle", broker_idle}, {"connected", broker_connected}, {"end", broker_end}}},
        {"broker_kib_per_device", broker_per_device},
        {"fleet_rss_kib", {{"idle", self_idle}, {"connected", self_connected}}},
        {"events_applied_per_s", applied_per_s},
        {"events_recorded_per_s", recorded_per_s},
        {"mqtt_messages_per_s", messages_per_s},
        {"lag_applied_ms", {{"p50", lag_p50}, {"p99", lag_p99}, {"share_within_1s", under_1s}}},
        {"lag_acked_ms",
         {{"p50", acked_lag.percentileMs(50)}, {"p99", acked_lag.percentileMs(99)}, {"max", acked_lag.maxMs()}}},
        {"cpu_cores", {{"coordinator", coord_cores}, {"broker", broker_cores}, {"fleet", self_cores}}},
        {"cpu_cores_idle", {{"coordinator", idle_coord}, {"broker", idle_broker}, {"fleet", idle_fleet}}},
        {"coordinator_us_per_event", applied > 0 ? coord_cores * window * 1e6 / applied : 0.0},
        {"drain_s", drain_s},
        {"ledger_equals_acknowledged", ledger_equal},
        {"verify_ok", verify_ok},
        {"verify_chain_ok", chain_ok},
        {"targets", {{"devices_held_10000", held_met}, {"lag_p99_under_1s", lag_met}}},
    };
    if (!writeText(args.text("json"), j.dump(2) + "\n")) {
      std::fprintf(stderr, "fleet: cannot write %s\n", args.text("json").c_str());
      return 1;
    }
    std::printf("  JSON report: %s\n", args.text("json").c_str());
  }
  return ledger_equal && verify_ok && chain_ok ? 0 : 1;
}

}  // namespace sw::bench
