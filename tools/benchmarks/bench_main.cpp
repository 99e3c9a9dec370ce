// stockwire-bench: performance figures, each beside the raw limit measured in the same run.

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <regex>
#include <string>
#include <thread>
#include <vector>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"
#include "sw/common/cli.h"
#include "sw/common/log.h"
#include "sw/agent/store.h"
#include "sw/agent/sync.h"
#include "sw/common/paho_transport.h"
#include "sw/common/uuid.h"
#include "sw/coordinator/ingest/ingest.h"
#include "sw/coordinator/ledger/sql_ledger.h"
#include "sw/harness/process.h"

namespace sw::bench {

double percentile(std::vector<double>& v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  size_t rank = static_cast<size_t>(std::ceil(p / 100.0 * static_cast<double>(v.size())));
  return v[std::min(v.size() - 1, rank == 0 ? 0 : rank - 1)];
}

// CPU seconds (user + system) a process has used so far, from /proc/PID/stat; -1 if unreadable.
double cpuSeconds(pid_t pid) {
  std::FILE* f = std::fopen(("/proc/" + std::to_string(pid) + "/stat").c_str(), "r");
  if (!f) return -1;
  char buf[1024];
  size_t n = std::fread(buf, 1, sizeof buf - 1, f);
  std::fclose(f);
  buf[n] = 0;
  // Fields after the command name (which may hold spaces) start after the last ')'.
  const char* p = std::strrchr(buf, ')');
  if (!p) return -1;
  unsigned long long utime = 0, stime = 0;
  if (std::sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &utime, &stime) != 2) return -1;
  return static_cast<double>(utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

// Bytes a process has caused to be written to storage so far (/proc/PID/io write_bytes); -1 if unreadable.
double writtenBytes(pid_t pid) {
  std::FILE* f = std::fopen(("/proc/" + std::to_string(pid) + "/io").c_str(), "r");
  if (!f) return -1;
  char line[256];
  double v = -1;
  while (std::fgets(line, sizeof line, f)) {
    unsigned long long n = 0;
    if (std::sscanf(line, "write_bytes: %llu", &n) == 1) v = static_cast<double>(n);
  }
  std::fclose(f);
  return v;
}

// A /proc/PID/status field in KiB (VmRSS, VmHWM), or -1.
long procStatusKib(pid_t pid, const std::string& field) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(field + ":", 0) == 0) return std::stol(line.substr(field.size() + 1));
  }
  return -1;
}

uint64_t metricValue(const std::string& page, const std::string& name) {
  std::regex re("\n" + name + " ([0-9]+)");
  std::smatch m;
  if (std::regex_search(page, m, re)) return std::stoull(m[1].str());
  return 0;
}

bool writeText(const std::string& path, const std::string& text) {
  std::ofstream out(path);
  out << text;
  out.close();
  return static_cast<bool>(out);
}

bool importDevices(const std::string& db, const std::vector<std::pair<std::string, std::string>>& tills,
                   const std::string& csv_path) {
  std::string csv = "store,device_id,role\n";
  for (const auto& [location, device] : tills) csv += location + "," + device + ",pos\n";
  if (!writeText(csv_path, csv)) {
    std::fprintf(stderr, "cannot write %s\n", csv_path.c_str());
    return false;
  }
  auto reg = test::Child::spawn({test::coordinatorBinary(), "device", "import", "--db", db, "--csv", csv_path},
                                csv_path + ".import");
  auto rc = reg.wait(std::chrono::seconds(60));
  if (!rc || *rc != 0) {
    std::fprintf(stderr, "cannot register the devices: %s\n", reg.stderrText().c_str());
    return false;
  }
  return true;
}

void stopSideBySide(std::vector<std::unique_ptr<agent::SyncLoop>>& loops) {
  std::vector<std::thread> stoppers;
  for (auto& l : loops) stoppers.emplace_back([&l] { l->stop(); });
  for (auto& t : stoppers) t.join();
}

void startSyncLoops(std::vector<std::unique_ptr<agent::Store>>& stores, const std::string& broker_url,
                    std::vector<std::unique_ptr<common::MqttTransport>>& transports,
                    std::vector<std::unique_ptr<agent::SyncLoop>>& loops) {
  agent::SyncConfig sc;
  sc.state_interval_ms = 5000;
  for (auto& s : stores) {
    common::MqttConfig mc;
    mc.broker_url = broker_url;
    mc.client_id = s->deviceId();
    transports.push_back(common::makePahoTransport(mc));
    loops.push_back(std::make_unique<agent::SyncLoop>(*s, *transports.back(), common::SystemClock::instance(), sc,
                                                      common::newUuid()));
    loops.back()->start();
  }
}

}  // namespace sw::bench

namespace {

using sw::common::OptionSpec;
using sw::common::OptionTable;
using Kind = OptionSpec::Kind;

OptionSpec whole(const char* name, int64_t fallback, int64_t min, int64_t max, const char* help) {
  return {name, Kind::kInt, "N", std::to_string(fallback), min, max, help};
}

// Every benchmark and its options, declared once: --help, the checks and the dispatch come from here.
sw::common::CliProgram program() {
  const OptionSpec devices = whole("devices", 100, 1, 100'000, "devices the backlog is spread over");
  const OptionSpec events = whole("events", 1'000'000, 1, 1'000'000'000, "events in the backlog");
  return {
      "stockwire-bench",
      "stockwire-bench: measures Stockwire against the raw limits of this machine.",
      {
          {"codec", "size and speed of JSON, CBOR and MessagePack batches", OptionTable(std::vector<OptionSpec>{}),
           sw::bench::benchCodec},
          {"drain",
           "a backlog drained into the coordinator's SQLite ledger over MQTT, beside raw SQLite and Mosquitto",
           OptionTable({devices, events}), sw::bench::benchDrain},
          {"ledger", "the drain's workload applied straight to the ledger (no MQTT, one thread, groups as in a catch-up)",
           OptionTable({devices, events,
                        whole("group", static_cast<int64_t>(sw::coordinator::IngestConfig{}.max_group_events), 1,
                              10'000'000, "events per group (the coordinator's largest)"),
                        whole("cache-mib", sw::coordinator::LedgerOptions{}.cache_mib, 1, 1 << 20,
                              "page cache, MiB (as in the coordinator)"),
                        {"store", OptionSpec::Kind::kText, "STORE", "sqlite", 0, 0,
                         "sqlite, postgresql (a private server, durable settings) or both"}}),
           sw::bench::benchLedger},
          {"channels",
           "(a) sale on a till -> quantity visible on each of the four channel simulators, p50/p99; (b) updates/s "
           "achieved under Amazon's binding patch limit beside what it allows",
           OptionTable({whole("sales", 200, 1, 1'000'000, "(a) sales"),
                        whole("pace-ms", 300, 1, 3'600'000, "(a) one sale every this many ms"),
                        whole("seconds", 20, 1, 3'600, "(b) how long"), whole("skus", 100, 1, 100'000, "(b) SKUs changed")}),
           sw::bench::benchChannels},
          {"agent",
           "a durable sale on the real agent over HTTP (kept-alive and fresh connections) and through its Store, "
           "p50/p99/max beside a raw synchronous=FULL SQLite commit; the agent's idle and busy RSS",
           OptionTable({whole("sales", 2000, 1, 10'000'000, "sales per path"),
                        whole("raw-commits", 2000, 1, 10'000'000, "raw SQLite commits measured"),
                        whole("warmup", 3000, 0, 10'000'000, "sales before measuring")}),
           sw::bench::benchAgent},
          {"fleet",
           "simulated tills (tools/loadgen) held by one coordinator on SQLite at a steady sales rate: devices held, "
           "memory per device, ingest lag, CPU, events/s, beside raw limits",
           OptionTable({whole("devices", 10'000, 1, 1'000'000, "simulated devices"),
                        {"rate", Kind::kNumber, "X", "500", 0, 10'000'000, "sales per second, fleet-wide"},
                        whole("seconds", 60, 1, 86'400, "the measured window"),
                        whole("idle-s", 10, 0, 3'600, "the fleet held with nothing sold, before selling"),
                        whole("warmup-s", 10, 0, 3'600, "selling before the window"),
                        whole("threads", 1, 1, 64, "the fleet's worker threads"),
                        {"connect-per-s", Kind::kNumber, "X", "500", 1, 1'000'000, "connections opened per second"},
                        whole("connect-wait-s", 600, 1, 86'400, "give the fleet this long to connect"),
                        whole("state-interval-ms", sw::agent::SyncConfig{}.state_interval_ms, 100, 3'600'000,
                              "each device's retained state at least this often (the agent's default)"),
                        {"json", Kind::kText, "FILE", "", 0, 0, "also write the figures here as JSON"}}),
           sw::bench::benchFleet},
          {"scale",
           "one backlog drained by 1..N coordinators splitting one PostgreSQL ledger (serve --partitions) and by one "
           "on SQLite, beside raw PostgreSQL inserts from one and two connections and raw SQLite inserts; the ledger "
           "checked exact after each",
           OptionTable({whole("devices", 72, 1, 100'000, "devices the backlog is spread over (72 over 24 locations: 3 each)"),
                        whole("events", 200'000, 1, 1'000'000'000, "events in the backlog"),
                        whole("locations", 24, 1, 100'000, "locations, spread evenly over the partitions"),
                        whole("partitions", 12, 1, 4096, "partitions of the ledger (divisible by 1..N keeps shares even)"),
                        whole("coordinators", 3, 1, 8, "the most coordinators run"),
                        whole("lease-ms", 10'000, 300, 3'600'000, "the coordinators' --ledger-lease-ms"),
                        {"json", Kind::kText, "FILE", "", 0, 0, "also write the figures here as JSON"}}),
           sw::bench::benchScale},
          {"routing",
           "a month of generated orders over real US ZIP codes for a chain of warehouses and stores, routed three "
           "ways (nearest warehouse only, the country-centroid router, the new one) and priced with the same carrier "
           "rates: cost, distance, splits, unfilled orders, savings, decisions/s beside a raw nearest-location scan",
           OptionTable({{"postal-codes", Kind::kText, "FILE", "coordinator/orders/data/us_postal_codes.csv.gz", 0, 0,
                         "the postal-code data (run from the source tree)"},
                        whole("warehouses", 2, 1, 6, "warehouses (Columbus, Dallas, Reno, Allentown, Atlanta, Kansas City)"),
                        whole("stores", 20, 0, 48, "stores, in the largest metros first"),
                        whole("days", 30, 1, 366, "days of orders (stock replenished nightly)"),
                        whole("orders-per-day", 1000, 1, 1'000'000, "orders a day"),
                        whole("skus", 200, 4, 100'000, "SKUs"), whole("seed", 1, 0, 1'000'000'000, "random seed"),
                        {"store-rate-factor", Kind::kNumber, "X", "1", 0, 10,
                         "stores' carrier prices as a multiple of the warehouses' (1: one contract for the chain)"},
                        {"store-handling", Kind::kNumber, "X", "2.5", 0, 1000,
                         "handling per parcel at a store (a warehouse's is 1.5)"},
                        {"store-range", Kind::kNumber, "X", "0.4", 0, 1, "share of the SKUs (the most popular) a store carries"},
                        whole("store-depth", 12, 2, 1'000'000, "most units of a SKU a store holds after replenishment"),
                        {"json", Kind::kText, "FILE", "", 0, 0, "also write the figures here as JSON"}}),
           sw::bench::benchRouting},
      },
  };
}

}  // namespace

int main(int argc, char** argv) {
  sw::common::setLogLevel(sw::common::LogLevel::kWarn);
  return sw::common::runCli(program(), argc, argv);
}
