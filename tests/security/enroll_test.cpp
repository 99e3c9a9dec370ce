// Enrollment, mTLS, renewal and revocation end to end, through the real binaries: a fleet made
// with stockwire-provision, Mosquitto run from the generated config, a coordinator with its own
// MQTT identity and --fleet-dir, agents that enroll with one-time tokens and run from the config
// they were given. Each attack is refused and the ledger holds exactly what the tills sold.

#include <gtest/gtest.h>

#include <fstream>

#include "mtls_fleet.h"
#include "sw/common/crypto.h"
#include "sw/provision/enroll_token.h"

using namespace sw;
using namespace std::chrono_literals;

namespace {

std::string trimmed(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) s.pop_back();
  return s;
}

size_t lineCount(const std::string& path) {
  std::ifstream in(path);
  size_t n = 0;
  for (std::string line; std::getline(in, line);) ++n;
  return n;
}

class Enrollment : public ::testing::Test {
 protected:
  void SetUp() override {
    fleet.addDevice("store-1", "till-1");
    fleet.addDevice("store-1", "hh-1", "handheld");
    fleet.startBroker();
    const test::DeviceFiles id = fleet.coordinator();
    coord = std::make_unique<test::CoordinatorProc>(
        dir, fleet.url(), std::map<std::string, std::string>{},
        std::vector<std::string>{"--mqtt-ca", fleet.chain(), "--mqtt-cert", id.cert, "--mqtt-key", id.key,
                                 "--fleet-dir", fleet.fleetDir()});
    coord->start();
    ASSERT_EQ(test::httpGet(coord->port(), "/healthz").body.value("mqtt_connected", false), true)
        << coord->logs();
  }
  void TearDown() override {
    for (auto& a : agents) a.kill(SIGTERM);
  }

  std::string token(const std::string& device) {
    test::ToolRun r = fleet.provision({"token", "--dir", fleet.fleetDir(), "--device", device});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return trimmed(r.out);
  }
  test::ToolRun enroll(const std::string& tok, const std::string& name) {
    return test::runTool({test::binaryPath("agent", "stockwire-agent"), "enroll", "--token", tok, "--coordinator",
                          "http://127.0.0.1:" + std::to_string(coord->port()), "--dir", dir.file(name), "--http",
                          "127.0.0.1:0"},
                         dir.file(name + ".enroll"));
  }
  // Runs an enrolled agent from the config enrollment wrote; its API port.
  int run(const std::string& name) {
    agents.push_back(test::Child::spawn(
        {test::binaryPath("agent", "stockwire-agent"), "run", "--config", dir.file(name + "/config.json")},
        dir.file(name + ".run")));
    int port = agents.back().waitForHttpPort(20s);
    EXPECT_GT(port, 0) << agents.back().stderrText();
    return port;
  }
  int enrollAndRun(const std::string& device) {
    test::ToolRun r = enroll(token(device), device);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return run(device);
  }
  void sell(int agent_port, int qty) {
    auto r = test::httpPost(agent_port, "/v1/sales",
                            R"({"lines":[{"sku":"SKU-1","qty":)" + std::to_string(qty) + R"(,"unit_price":"1.00"}]})");
    ASSERT_EQ(r.status, 201) << r.body.dump();
  }
  bool ledgerShows(int64_t on_hand) {
    return test::waitFor([&] { return coord->onHand("SKU-1", "store-1") == on_hand; }, 15s);
  }
  bool agentDrained(int agent_port) {
    return test::waitFor(
        [&] {
          auto st = test::httpGet(agent_port, "/v1/status").body;
          return st.is_object() && st.value("queue_depth", -1) == 0;
        },
        15s);
  }
  int coordinatorTool(const std::vector<std::string>& args) {
    std::vector<std::string> argv = {test::binaryPath("coordinator", "stockwire-coordinator")};
    argv.insert(argv.end(), args.begin(), args.end());
    test::ToolRun r = test::runTool(argv, dir.file("coordinator-tool"));
    last_tool_out = r.out + r.err;
    return r.exit_code;
  }
  // POST /v1/enroll as any client could send it.
  test::HttpReply postEnroll(const std::string& tok, const std::string& csr_cn) {
    std::string csr = common::x509::makeCsr(common::x509::generateKey().value(), csr_cn).value();
    return test::httpPost(coord->port(), "/v1/enroll", nlohmann::json{{"token", tok}, {"csr_pem", csr}}.dump(),
                          {{"Authorization", ""}});
  }
  std::string issuedCsv() const { return fleet.fleetDir() + "/issued.csv"; }
  std::string enrollKey() const { return common::readFile(fleet.fleetDir() + "/enroll.key").value(); }

  test::MtlsFleet fleet;
  test::TempDir dir;
  std::unique_ptr<test::CoordinatorProc> coord;
  std::vector<test::Child> agents;
  std::string last_tool_out;
};

}  // namespace

TEST_F(Enrollment, AnEnrolledTillSellsOverMutualTlsAndTheLedgerHoldsExactlyItsSales) {
  const int till = enrollAndRun("till-1");
  // The key was made on the device and is the device's alone.
  struct stat st {};
  ASSERT_EQ(::stat(dir.file("till-1/current/device.key").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  auto config = nlohmann::json::parse(common::readFile(dir.file("till-1/config.json")).value());
  EXPECT_EQ(config["broker"], fleet.url());
  EXPECT_EQ(config["location"], "store-1");
  for (int q : {1, 2, 3}) sell(till, q);
  EXPECT_TRUE(ledgerShows(-6));
  // IT sees the certificate the device enrolled with, from the registry, and no expiry alert.
  auto devices = test::httpGet(coord->port(), "/v1/devices?device=till-1");
  ASSERT_EQ(devices.body["devices"].size(), 1u) << devices.body.dump();
  const auto& cert = devices.body["devices"][0]["certificate"];
  EXPECT_FALSE(cert.value("serial", "").empty()) << devices.body.dump();
  EXPECT_GT(cert.value("expires_in_s", int64_t{0}), 7 * 86400);
  EXPECT_EQ(cert["serial"], test::httpGet(till, "/v1/certificate").body["serial"]);
  EXPECT_EQ(devices.body.dump().find("cert_expir"), std::string::npos);
  EXPECT_TRUE(agentDrained(till));
  EXPECT_EQ(coordinatorTool({"verify", "--db", coord->db()}), 0) << last_tool_out;
  EXPECT_EQ(coordinatorTool({"verify", "--chain", "--db", coord->db()}), 0) << last_tool_out;
  EXPECT_NE(last_tool_out.find("till-1: ok, 3 chained events"), std::string::npos) << last_tool_out;
}

TEST_F(Enrollment, AReusedTokenIsRefusedAndIssuesNothing) {
  const std::string tok = token("till-1");
  ASSERT_EQ(enroll(tok, "till-1").exit_code, 0);
  const size_t issued = lineCount(issuedCsv());
  test::ToolRun again = enroll(tok, "till-1-again");
  EXPECT_EQ(again.exit_code, 2);
  EXPECT_NE(again.err.find("token_used"), std::string::npos) << again.err;
  EXPECT_FALSE(std::filesystem::exists(dir.file("till-1-again/config.json")));
  EXPECT_EQ(lineCount(issuedCsv()), issued);
}

TEST_F(Enrollment, ExpiredForgedAndAlteredTokensAreRefused) {
  const int64_t now = common::SystemClock().nowMs();
  const std::string expired =
      provision::issueEnrollToken(enrollKey(), "till-1", "store-1", "pos", now - 7'200'000, 3'600'000).value();
  const std::string forged =
      provision::issueEnrollToken(std::string(32, 'k'), "till-1", "store-1", "pos", now, 3'600'000).value();
  // A real token with its claims changed to another store: the MAC no longer matches.
  std::string real = token("till-1");
  const size_t a = real.find('.'), b = real.rfind('.');
  auto claims = nlohmann::json::parse(common::crypto::base64UrlDecode(real.substr(a + 1, b - a - 1)).value());
  claims["store"] = "store-9";
  const std::string altered = real.substr(0, a + 1) + common::crypto::base64UrlEncode(claims.dump()) + real.substr(b);
  const size_t issued = lineCount(issuedCsv());
  for (const auto& [tok, code] : std::vector<std::pair<std::string, std::string>>{
           {expired, "token_expired"}, {forged, "token_forged"}, {altered, "token_forged"}}) {
    test::ToolRun r = enroll(tok, "till-x");
    EXPECT_EQ(r.exit_code, 2) << code;
    EXPECT_NE(r.err.find(code), std::string::npos) << r.err;
  }
  EXPECT_EQ(lineCount(issuedCsv()), issued);
  // The unaltered token still works: the refusals did not use it up.
  EXPECT_EQ(enroll(real, "till-1").exit_code, 0);
}

TEST_F(Enrollment, ACsrForAnotherDeviceAndTokensForUnknownOrRevokedDevicesAreRefused) {
  const std::string tok = token("till-1");
  auto other = postEnroll(tok, "hh-1");
  EXPECT_EQ(other.status, 400) << other.body.dump();
  EXPECT_EQ(other.body["error"]["code"], "csr_cn_mismatch");
  // A token for a device the fleet never registered, made with the fleet's own key.
  const int64_t now = common::SystemClock().nowMs();
  auto unknown = postEnroll(
      provision::issueEnrollToken(enrollKey(), "till-9", "store-1", "pos", now, 3'600'000).value(), "till-9");
  EXPECT_EQ(unknown.status, 409) << unknown.body.dump();
  EXPECT_EQ(unknown.body["error"]["code"], "unknown_device");
  // A token made before the device was revoked.
  const std::string hh_token = token("hh-1");
  ASSERT_EQ(fleet.provision({"revoke", "--dir", fleet.fleetDir(), "--device", "hh-1"}).exit_code, 0);
  auto revoked = postEnroll(hh_token, "hh-1");
  EXPECT_EQ(revoked.status, 409) << revoked.body.dump();
  EXPECT_EQ(revoked.body["error"]["code"], "device_revoked");
  // Nothing was registered for them.
  EXPECT_EQ(coordinatorTool({"device", "list", "--db", coord->db()}), 0);
  EXPECT_EQ(last_tool_out.find("till-9"), std::string::npos) << last_tool_out;
  EXPECT_EQ(last_tool_out.find("hh-1 location=store-1 role=handheld state=active"), std::string::npos)
      << last_tool_out;
}

TEST_F(Enrollment, ACertificateRenewedDuringSalesLosesAndDuplicatesNothing) {
  const int till = enrollAndRun("till-1");
  const std::string serial = test::httpGet(till, "/v1/certificate").body.value("serial", "");
  ASSERT_FALSE(serial.empty());
  for (int i = 0; i < 5; ++i) sell(till, 1);
  ASSERT_EQ(test::httpPost(till, "/v1/certificate/renew", "{}").status, 202);
  for (int i = 0; i < 5; ++i) sell(till, 1);  // while the renewal and the reconnect happen
  ASSERT_TRUE(test::waitFor(
      [&] {
        auto c = test::httpGet(till, "/v1/certificate").body;
        return c.is_object() && c.value("renewals", 0) == 1 && c.value("serial", "") != serial;
      },
      20s))
      << test::httpGet(till, "/v1/certificate").body.dump();
  for (int i = 0; i < 5; ++i) sell(till, 1);
  EXPECT_TRUE(ledgerShows(-15));
  EXPECT_TRUE(agentDrained(till));
  EXPECT_EQ(coordinatorTool({"verify", "--chain", "--db", coord->db()}), 0) << last_tool_out;
  EXPECT_NE(last_tool_out.find("till-1: ok, 15 chained events"), std::string::npos) << last_tool_out;
  // The new certificate is the registry's and issued.csv's.
  const std::string renewed = test::httpGet(till, "/v1/certificate").body.value("serial", "");
  EXPECT_NE(common::readFile(issuedCsv()).value().find(renewed), std::string::npos);
  EXPECT_EQ(coordinatorTool({"device", "list", "--db", coord->db()}), 0);
  EXPECT_NE(last_tool_out.find("cert=" + renewed), std::string::npos) << last_tool_out;
}

TEST_F(Enrollment, ARevokedTillIsCutOffWithinSecondsAndWhatItSoldBeforeStays) {
  const int till = enrollAndRun("till-1");
  sell(till, 2);
  ASSERT_TRUE(ledgerShows(-2));
  ASSERT_TRUE(agentDrained(till));
  ASSERT_EQ(fleet.provision({"revoke", "--dir", fleet.fleetDir(), "--device", "till-1", "--broker-pid", fleet.pidFile()})
                .exit_code,
            0);
  // The coordinator's CRL watch marks it revoked within seconds.
  EXPECT_TRUE(test::waitFor(
      [&] {
        coordinatorTool({"device", "list", "--db", coord->db()});
        return last_tool_out.find("till-1 location=store-1 role=pos state=revoked") != std::string::npos;
      },
      10s))
      << last_tool_out;
  // The till keeps selling (selling never waits), but nothing more reaches the ledger.
  sell(till, 1);
  EXPECT_FALSE(test::waitFor([&] { return coord->onHand("SKU-1", "store-1") != -2; }, 3s));
  EXPECT_EQ(coord->onHand("SKU-1", "store-1"), -2);
  // A new connection with its certificate is refused at the handshake.
  const size_t refused = fleet.countInLog("disconnected: Protocol error");
  test::DeviceFiles id{dir.file("till-1/current/device.pem"), dir.file("till-1/current/device.key"), ""};
  test::TlsClient again(fleet.url(), "till-1", fleet.chain(), id, {});
  EXPECT_TRUE(test::waitFor([&] { return fleet.countInLog("disconnected: Protocol error") > refused; }, 10s))
      << fleet.brokerLog();
  EXPECT_FALSE(again.t->isConnected());
  EXPECT_EQ(coordinatorTool({"verify", "--db", coord->db()}), 0) << last_tool_out;
}
