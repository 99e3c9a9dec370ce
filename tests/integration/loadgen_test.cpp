// tools/loadgen against the real coordinator through a real Mosquitto: fifty simulated tills,
// a third of them offline for a while (their wills published) and catching up, opening-hour
// bursts; afterwards the ledger holds exactly what each device says was acknowledged: every seq
// once, nothing missing, nothing twice, and the stock moved by exactly the acknowledged units.

#include <gtest/gtest.h>

#include <sys/wait.h>

#include <fstream>
#include <map>

#include "stack.h"
#include "sw/loadgen/report.h"

using namespace sw;
using namespace std::chrono_literals;
using nlohmann::json;

namespace {

struct Ran {
  int exit_code = -1;
  std::string out, err;
};

Ran runToEnd(const std::vector<std::string>& argv, const std::string& log_prefix, std::chrono::seconds timeout) {
  test::Child c = test::Child::spawn(argv, log_prefix);
  auto st = c.wait(timeout);
  Ran r;
  if (!st) c.kill(SIGKILL);
  if (st && WIFEXITED(*st)) r.exit_code = WEXITSTATUS(*st);
  r.out = c.stdoutText();
  r.err = c.stderrText();
  return r;
}

void writeFile(const std::string& path, const std::string& text) {
  std::ofstream out(path);
  out << text;
}

std::string readFile(const std::string& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

}  // namespace

TEST(Loadgen, FiftyTillsSomeOfflineLeaveTheLedgerExactlyAsAcknowledged) {
  test::TempDir dir;
  test::Broker broker;
  test::CoordinatorProc coord(dir, broker.url());
  coord.start();
  const std::string loadgen = test::binaryPath("tools/loadgen", "stockwire-loadgen");
  const std::vector<std::string> fleet = {"--devices", "50", "--devices-per-store", "5", "--prefix", "it"};

  // The devices are registered first, as IT does (ingest takes only registered devices).
  std::vector<std::string> csv_argv = {loadgen, "fleet-csv"};
  csv_argv.insert(csv_argv.end(), fleet.begin(), fleet.end());
  Ran csv = runToEnd(csv_argv, dir.file("fleet-csv"), 30s);
  ASSERT_EQ(csv.exit_code, 0) << csv.err;
  writeFile(dir.file("fleet.csv"), csv.out);
  Ran import = runToEnd({test::coordinatorBinary(), "device", "import", "--db", coord.db(), "--csv", dir.file("fleet.csv")},
                        dir.file("import"), 60s);
  ASSERT_EQ(import.exit_code, 0) << import.err;
  EXPECT_NE(import.out.find("50 devices registered"), std::string::npos) << import.out;

  writeFile(dir.file("token"), coord.adminToken() + "\n");
  std::vector<std::string> run = {loadgen, "run", "--broker", broker.url(), "--seconds", "8", "--rate", "40",
                                  // trading days of 4 s, the first second three times as busy
                                  "--day-s", "4", "--opening-s", "1", "--opening-factor", "3",
                                  // a third offline for 3 s, starting 1-4 s in, selling 5x meanwhile
                                  "--offline-share", "0.34", "--offline-at-s", "1", "--offline-s", "3",
                                  "--offline-rate-factor", "5", "--connect-wait-s", "30", "--drain-timeout-s", "60",
                                  "--report", dir.file("report.json"), "--check-http",
                                  "127.0.0.1:" + std::to_string(coord.port()), "--token-file", dir.file("token")};
  run.insert(run.end(), fleet.begin(), fleet.end());
  Ran lg = runToEnd(run, dir.file("loadgen"), 120s);
  ASSERT_EQ(lg.exit_code, 0) << lg.out << lg.err;
  EXPECT_NE(lg.out.find("ledger check: 0 of 50 devices differ"), std::string::npos) << lg.out;

  auto report = loadgen::parseReport(readFile(dir.file("report.json")));
  ASSERT_TRUE(report.ok()) << report.error().toString();
  ASSERT_EQ(report->devices.size(), 50u);
  EXPECT_TRUE(report->drained);
  int offline = 0;
  uint64_t total = 0;
  for (const auto& d : report->devices) {
    offline += d.offline_spells > 0 ? 1 : 0;
    total += d.acked;
    EXPECT_EQ(d.acked, d.recorded) << d.device_id;
    EXPECT_TRUE(d.refused.empty()) << d.device_id << ": " << d.refused;
    EXPECT_EQ(d.bad_acks, 0u) << d.device_id;
  }
  EXPECT_GT(offline, 0);
  EXPECT_GT(report->catch_up.count, 0u);  // events recorded offline were acknowledged after reconnecting
  EXPECT_GT(total, 100u);

  // The coordinator's own view, device by device: applied up to what was acknowledged, and each
  // seq 1..acked in the ledger exactly once.
  auto devices = test::httpGet(coord.port(), "/v1/devices");
  ASSERT_EQ(devices.status, 200);
  auto mismatches = loadgen::compareWithDevices(*report, devices.body.dump());
  ASSERT_TRUE(mismatches.ok());
  EXPECT_TRUE(mismatches->empty());
  std::map<std::string, int64_t> units_by_location;
  for (const auto& d : report->devices) {
    units_by_location[d.location] += d.acked_units;
    auto ev = test::httpGet(coord.port(), "/v1/events?device=" + d.device_id + "&limit=10000");
    ASSERT_EQ(ev.status, 200);
    const json& events = ev.body["events"];
    ASSERT_EQ(events.size(), d.acked) << d.device_id;
    for (size_t i = 0; i < events.size(); ++i) ASSERT_EQ(events[i]["seq"].get<uint64_t>(), i + 1) << d.device_id;
  }
  // Stock: every location moved by exactly the units its devices had acknowledged.
  for (const auto& [location, units] : units_by_location) {
    auto stock = test::httpGet(coord.port(), "/v1/stock?location=" + location);
    ASSERT_EQ(stock.status, 200);
    int64_t on_hand = 0;
    for (const json& s : stock.body["skus"]) on_hand += s["on_hand"].get<int64_t>();
    EXPECT_EQ(on_hand, units) << location;
  }
  auto anomalies = test::httpGet(coord.port(), "/v1/anomalies");
  ASSERT_EQ(anomalies.status, 200);
  EXPECT_TRUE(anomalies.body["anomalies"].empty()) << anomalies.body.dump();  // no duplicate, no bad void

  coord.stop();
  for (std::vector<std::string> verify : {std::vector<std::string>{"verify", "--db", coord.db()},
                                          std::vector<std::string>{"verify", "--chain", "--db", coord.db()}}) {
    verify.insert(verify.begin(), test::coordinatorBinary());
    Ran v = runToEnd(verify, dir.file("verify"), 60s);
    EXPECT_EQ(v.exit_code, 0) << v.out << v.err;
  }
}
