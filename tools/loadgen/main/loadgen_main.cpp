// stockwire-loadgen: thousands of simulated devices in one process against a real coordinator
// through a real broker (see tools/loadgen/README.md).

#include <signal.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <string>
#include <thread>

#include "sw/common/cli.h"
#include "sw/common/http_socket.h"
#include "sw/common/log.h"
#include "sw/common/process.h"
#include "sw/loadgen/fleet.h"
#include "sw/loadgen/report.h"

namespace {

using sw::common::OptionSpec;
using Kind = OptionSpec::Kind;
using sw::loadgen::Fleet;
using sw::loadgen::FleetConfig;
using sw::loadgen::FleetStatus;

OptionSpec whole(const char* name, int64_t fallback, int64_t min, int64_t max, const char* help) {
  return {name, Kind::kInt, "N", std::to_string(fallback), min, max, help};
}
OptionSpec number(const char* name, const char* fallback, int64_t min, int64_t max, const char* help) {
  return {name, Kind::kNumber, "X", fallback, min, max, help};
}
OptionSpec text(const char* name, const char* value, const char* help, bool required = false) {
  return {name, Kind::kText, value, "", 0, 0, help, required};
}

std::vector<OptionSpec> fleetOptions() {
  return {
      whole("devices", 100, 1, 1'000'000, "simulated devices, each with its own MQTT connection"),
      whole("devices-per-store", 10, 1, 1'000'000, "devices per store (location)"),
      text("prefix", "P", "device ids P-00000.., stores P-store-0000.. (default lg)"),
  };
}

std::vector<OptionSpec> runOptions() {
  const sw::agent::SyncConfig agent;
  std::vector<OptionSpec> o = fleetOptions();
  std::vector<OptionSpec> more = {
      text("broker", "URL", "the broker, tcp://127.0.0.1:PORT", true),
      whole("threads", 1, 1, 64, "worker threads driving the devices (Paho adds its own two)"),
      number("connect-per-s", "500", 1, 1'000'000, "connection attempts per second, fleet-wide"),
      whole("connect-wait-s", 300, 0, 86'400, "wait this long for every device to connect before selling"),
      whole("seconds", 60, 0, 31 * 86'400, "how long the fleet sells"),
      number("rate", "50", 0, 10'000'000, "sales per second, fleet-wide, outside opening bursts"),
      number("return-share", "0.02", 0, 1, "share of events that are returns"),
      whole("skus", 5000, 1, 100'000'000, "SKUs sold"),
      whole("day-s", 0, 0, 86'400, "a trading day lasts this many seconds (0: a steady rate, no bursts)"),
      whole("opening-s", 0, 0, 86'400, "the first N seconds of each day are the opening-hour burst"),
      number("opening-factor", "1", 0, 1000, "the burst sells this many times the base rate"),
      whole("opening-spread-s", 0, 0, 86'400, "stores open spread over this many seconds (time zones)"),
      number("offline-share", "0", 0, 1, "share of devices that go offline once (the broker sends their will)"),
      whole("offline-at-s", 10, 0, 31 * 86'400, "spells start between this and this + --offline-s into selling"),
      whole("offline-s", 30, 1, 31 * 86'400, "each spell lasts this long; the device keeps selling"),
      number("offline-rate-factor", "1", 0, 1'000'000,
             "while offline a device sells this many times its rate (a spell of\nminutes holding hours of sales)"),
      whole("keepalive-s", 5, 1, 65535, "MQTT keepalive, as stockwire-agent's default"),
      whole("state-interval-ms", agent.state_interval_ms, 100, 3'600'000,
            "each device's retained state at least this often (the agent's default)"),
      whole("drain-timeout-s", 300, 0, 86'400, "after selling, wait this long for every device to be acknowledged"),
      whole("seed", 1, 0, INT64_MAX, "random seed (offline devices, opening times, what is sold)"),
      text("report", "FILE", "write the JSON report here (per device: recorded, sent, acknowledged)"),
      text("check-http", "HOST:PORT", "after the drain compare GET /v1/devices of this coordinator with the report"),
      text("token-file", "FILE", "the bearer token for --check-http (its first line)"),
      text("log-level", "LEVEL", "debug, info, warn or error (default warn)"),
  };
  o.insert(o.end(), more.begin(), more.end());
  return o;
}

std::string prefixOf(const sw::common::ParsedOptions& o) { return o.has("prefix") ? o.text("prefix") : "lg"; }

// SIGINT/SIGTERM (blocked in every thread) arrived: stop early, still report.
bool terminationPending() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  timespec zero{0, 0};
  return sigtimedwait(&set, nullptr, &zero) > 0;
}

void progress(const char* phase, double at_s, const FleetStatus& s) {
  std::printf("%6.1f s %-10s connected %lld/%lld, recorded %llu, acked %llu, rewinds %llu, offline %lld, refused %lld\n",
              at_s, phase, static_cast<long long>(s.connected), static_cast<long long>(s.devices),
              static_cast<unsigned long long>(s.recorded), static_cast<unsigned long long>(s.acked),
              static_cast<unsigned long long>(s.rewinds), static_cast<long long>(s.offline_spell),
              static_cast<long long>(s.refused));
  std::fflush(stdout);
}

sw::loadgen::LagFigures figures(const sw::loadgen::LagHistogram& h) {
  return {h.count(), h.percentileMs(50), h.percentileMs(99), h.maxMs()};
}

int checkLedger(const sw::common::ParsedOptions& o, const sw::loadgen::RunReport& report) {
  auto hp = sw::common::parseHostPort(o.text("check-http"));
  if (!hp) {
    std::fprintf(stderr, "stockwire-loadgen: --check-http: %s\n", hp.error().toString().c_str());
    return 2;
  }
  std::string token;
  if (o.has("token-file")) {
    std::ifstream in(o.text("token-file"));
    std::getline(in, token);
    while (!token.empty() && (token.back() == '\r' || token.back() == ' ')) token.pop_back();
  }
  httplib::Client c = sw::common::makeHttpClient(hp->first, hp->second);
  c.set_read_timeout(60);
  httplib::Headers h;
  if (!token.empty()) h.emplace("Authorization", "Bearer " + token);
  auto r = c.Get("/v1/devices", h);
  if (!r || r->status != 200) {
    std::fprintf(stderr, "stockwire-loadgen: GET /v1/devices failed (%d)\n", r ? r->status : 0);
    return 1;
  }
  auto mismatches = sw::loadgen::compareWithDevices(report, r->body);
  if (!mismatches) {
    std::fprintf(stderr, "stockwire-loadgen: %s\n", mismatches.error().toString().c_str());
    return 1;
  }
  for (const auto& m : *mismatches) {
    std::printf("  MISMATCH %s: acknowledged %llu, ledger %lld: %s\n", m.device_id.c_str(),
                static_cast<unsigned long long>(m.acked), static_cast<long long>(m.ledger), m.why.c_str());
  }
  std::printf("ledger check: %zu of %zu devices differ from what they had acknowledged\n", mismatches->size(),
              report.devices.size());
  return mismatches->empty() ? 0 : 1;
}

int run(const sw::common::ParsedOptions& o) {
  sw::common::LogLevel level = sw::common::LogLevel::kWarn;
  if (o.has("log-level") && !sw::common::parseLogLevel(o.text("log-level"), &level)) {
    std::fprintf(stderr, "stockwire-loadgen: --log-level must be debug, info, warn or error\n");
    return 2;
  }
  sw::common::setLogLevel(level);
  FleetConfig fc;
  fc.broker_url = o.text("broker");
  fc.prefix = prefixOf(o);
  fc.devices = o.integer("devices");
  fc.devices_per_store = o.integer("devices-per-store");
  fc.threads = static_cast<int>(o.integer("threads"));
  fc.connect_per_s = o.number("connect-per-s");
  fc.keepalive_s = static_cast<int>(o.integer("keepalive-s"));
  fc.sync.state_interval_ms = o.integer("state-interval-ms");
  auto& t = fc.traffic;
  t.sales_per_s = o.number("rate");
  t.return_share = o.number("return-share");
  t.skus = o.integer("skus");
  t.day_s = o.integer("day-s");
  t.opening_s = o.integer("opening-s");
  t.opening_factor = o.number("opening-factor");
  t.opening_spread_s = o.integer("opening-spread-s");
  t.offline_share = o.number("offline-share");
  t.offline_at_s = o.integer("offline-at-s");
  t.offline_s = o.integer("offline-s");
  t.offline_rate_factor = o.number("offline-rate-factor");
  t.seed = static_cast<uint64_t>(o.integer("seed"));
  // One socket per device, and some to spare for the process itself.
  const int64_t files = sw::loadgen::raiseFileLimit(fc.devices + 256);
  if (files < fc.devices + 64) {
    std::fprintf(stderr,
                 "stockwire-loadgen: %lld devices need about %lld open files; the limit is %lld "
                 "(raise the hard limit: ulimit -Hn, or LimitNOFILE= under systemd)\n",
                 static_cast<long long>(fc.devices), static_cast<long long>(fc.devices + 256),
                 static_cast<long long>(files));
    return 2;
  }

  const auto t0 = std::chrono::steady_clock::now();
  auto since = [&] { return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(); };
  auto made = Fleet::create(fc, sw::common::SystemClock::instance());
  if (!made) {
    std::fprintf(stderr, "stockwire-loadgen: %s\n", made.error().toString().c_str());
    return 2;
  }
  Fleet& fleet = **made;
  std::printf("stockwire-loadgen: %lld devices (%s-00000..) at %lld per store against %s\n",
              static_cast<long long>(fc.devices), fc.prefix.c_str(), static_cast<long long>(fc.devices_per_store),
              fc.broker_url.c_str());
  fleet.start();
  bool interrupted = false;
  double last = 0;
  auto every = [&](const char* phase, double period) {
    if (since() - last >= period) {
      progress(phase, since(), fleet.status());
      last = since();
    }
  };
  // 1. Connect the fleet.
  const double connect_wait = static_cast<double>(o.integer("connect-wait-s"));
  const double connect_t0 = since();
  while (fleet.status().connected < fc.devices && since() - connect_t0 < connect_wait) {
    if ((interrupted = terminationPending())) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    every("connecting", 5);
  }
  FleetStatus s = fleet.status();
  std::printf("connected %lld of %lld devices in %.1f s\n", static_cast<long long>(s.connected),
              static_cast<long long>(s.devices), since() - connect_t0);
  // 2. Sell.
  const double sell_t0 = since();
  fleet.startSelling();
  while (!interrupted && since() - sell_t0 < static_cast<double>(o.integer("seconds"))) {
    if ((interrupted = terminationPending())) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    every("selling", 5);
  }
  const double selling_s = since() - sell_t0;
  // 3. Drain: nothing new is recorded; offline devices come back and catch up.
  fleet.stopSelling();
  const double drain_t0 = since();
  while (!interrupted && since() - drain_t0 < static_cast<double>(o.integer("drain-timeout-s"))) {
    s = fleet.status();
    if (s.drained + s.refused == s.devices) break;
    if ((interrupted = terminationPending())) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    every("draining", 5);
  }
  const double drain_s = since() - drain_t0;
  fleet.stop();
  s = fleet.status();
  progress("stopped", since(), s);

  sw::loadgen::RunReport report;
  report.broker = fc.broker_url;
  report.prefix = fc.prefix;
  report.selling_s = selling_s;
  report.drain_s = drain_s;
  report.drained = s.drained == s.devices;
  report.live = figures(s.lag.live);
  report.catch_up = figures(s.lag.catch_up);
  report.devices = fleet.devices();
  std::printf("recorded %llu events, %llu acknowledged; %lld of %lld devices drained in %.1f s after selling; "
              "%llu batches, %llu rewinds, %llu bad acks, %llu unexpected connection losses, %lld refused\n",
              static_cast<unsigned long long>(s.recorded), static_cast<unsigned long long>(s.acked),
              static_cast<long long>(s.drained), static_cast<long long>(s.devices), drain_s,
              static_cast<unsigned long long>(s.batches), static_cast<unsigned long long>(s.rewinds),
              static_cast<unsigned long long>(s.bad_acks), static_cast<unsigned long long>(s.unexpected_losses),
              static_cast<long long>(s.refused));
  std::printf("lag occurred -> ack: live p50 %lld ms, p99 %lld ms, max %lld ms (%llu events); "
              "catch-up p50 %lld ms, p99 %lld ms, max %lld ms (%llu events)\n",
              static_cast<long long>(report.live.p50_ms), static_cast<long long>(report.live.p99_ms),
              static_cast<long long>(report.live.max_ms), static_cast<unsigned long long>(report.live.count),
              static_cast<long long>(report.catch_up.p50_ms), static_cast<long long>(report.catch_up.p99_ms),
              static_cast<long long>(report.catch_up.max_ms), static_cast<unsigned long long>(report.catch_up.count));
  if (o.has("report")) {
    std::ofstream out(o.text("report"));
    out << sw::loadgen::reportToJson(report);
    out.close();
    if (!out) {
      std::fprintf(stderr, "stockwire-loadgen: cannot write %s\n", o.text("report").c_str());
      return 1;
    }
  }
  int rc = report.drained ? 0 : 1;
  if (o.has("check-http")) rc = std::max(rc, checkLedger(o, report));
  if (interrupted) std::printf("interrupted\n");
  return rc;
}

int fleetCsv(const sw::common::ParsedOptions& o) {
  const std::string prefix = prefixOf(o);
  const int64_t n = o.integer("devices"), per = o.integer("devices-per-store");
  if (!sw::common::isValidId(sw::loadgen::fleetDeviceId(prefix, n - 1))) {
    std::fprintf(stderr, "stockwire-loadgen: --prefix makes device ids that are not valid ids\n");
    return 2;
  }
  std::printf("store,device_id,role\n");
  for (int64_t i = 0; i < n; ++i) {
    std::printf("%s,%s,pos\n", sw::loadgen::fleetLocation(prefix, sw::loadgen::fleetStoreIndex(i, per)).c_str(),
                sw::loadgen::fleetDeviceId(prefix, i).c_str());
  }
  return 0;
}

sw::common::CliProgram program() {
  return {
      "stockwire-loadgen",
      "stockwire-loadgen: thousands of simulated tills in one process, each with its own MQTT\n"
      "connection, outbox, seq, epoch and hash chain, speaking the agent's sync protocol to a real\n"
      "coordinator through a real broker.",
      {
          {"run", "connect the fleet, sell, drain, report what each device recorded and had acknowledged",
           sw::common::OptionTable(runOptions()), run},
          {"fleet-csv",
           "print the fleet as a registry CSV (store,device_id,role) for `stockwire-coordinator device import`",
           sw::common::OptionTable(fleetOptions()), fleetCsv},
      },
      "Exit codes: 0 every device drained (and --check-http found the ledger equal to what was\n"
      "acknowledged), 1 not drained or a mismatch, 2 bad options.",
  };
}

}  // namespace

int main(int argc, char** argv) {
  sw::common::blockTerminationSignals();
  return sw::common::runCli(program(), argc, argv);
}
