// The agent's side of enrollment against a scripted coordinator that signs with a real fleet CA:
// what it writes (key 0600, never in the request), the run config, and every refusal leaving
// the directory as it was.

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>

#include "sw/agent/enroll.h"
#include "sw/common/clock.h"
#include "sw/common/files.h"
#include "sw/common/x509.h"
#include "sw/provision/enroll_token.h"
#include "sw/provision/fleet_dir.h"
#include "test_support.h"

using namespace sw;
using nlohmann::json;

namespace {

constexpr int64_t kHour = 3'600'000;

struct FakeCoordinator {
  explicit FakeCoordinator(provision::FleetDir f) : fleet(std::move(f)) {}
  provision::FleetDir fleet;
  std::string sent;
  std::string sign_as;  // when set, the certificate is made for this CN instead (a lying coordinator)
  int status = 200;
  json error;

  common::Result<std::pair<int, std::string>> operator()(const std::string& path, const std::string& body) {
    EXPECT_EQ(path, "/v1/enroll");
    sent = body;
    if (status != 200) return std::make_pair(status, json{{"error", error}}.dump());
    auto req = json::parse(body);
    std::string csr = req["csr_pem"];
    auto ca = fleet.issuingCa().value();
    int64_t now = common::SystemClock().nowMs();
    std::string pem;
    if (sign_as.empty()) {
      pem = common::x509::signClientCsr(ca, csr, {{now - kHour, now + kHour}, ""}).value();
    } else {
      std::string other = common::x509::makeCsr(common::x509::generateKey().value(), sign_as).value();
      pem = common::x509::signClientCsr(ca, other, {{now - kHour, now + kHour}, ""}).value();
    }
    return std::make_pair(200, json{{"certificate_pem", pem},
                                    {"ca_pem", fleet.chainPem().value()},
                                    {"config",
                                     {{"device_id", sign_as.empty() ? "till-7" : sign_as},
                                      {"location", "store-3"},
                                      {"role", "pos"},
                                      {"broker_url", "ssl://127.0.0.1:8883"}}}}
                                   .dump());
  }
};

struct EnrollFixture : ::testing::Test {
  test::TempDir tmp;
  FakeCoordinator coord{provision::FleetDir::init(tmp.file("fleet"), common::SystemClock().nowMs()).value()};
  agent::EnrollOptions opts;
  void SetUp() override {
    ASSERT_TRUE(coord.fleet.addDevice("store-3", "till-7", "pos", 0).ok());
    opts.token = coord.fleet.issueToken("till-7", common::SystemClock().nowMs(), kHour).value();
    opts.coordinator_url = "http://unused";
    opts.dir = tmp.file("agent");
  }
  agent::EnrollPost post() {
    return [this](const std::string& p, const std::string& b) { return coord(p, b); };
  }
};

}  // namespace

TEST_F(EnrollFixture, WritesKeyCertChainAndARunConfig) {
  auto config = agent::enroll(opts, post());
  ASSERT_TRUE(config.ok()) << config.error().toString();
  EXPECT_EQ((*config)["device_id"], "till-7");
  EXPECT_EQ((*config)["location"], "store-3");
  EXPECT_EQ((*config)["kind"], "till");
  EXPECT_EQ((*config)["broker"], "ssl://127.0.0.1:8883");
  struct stat st {};
  ASSERT_EQ(::stat(tmp.file("agent/current/device.key").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  std::string key = common::readFile(tmp.file("agent/current/device.key")).value();
  // The request carried the CSR and the token, never the key.
  EXPECT_EQ(coord.sent.find("PRIVATE KEY"), std::string::npos);
  EXPECT_NE(coord.sent.find("CERTIFICATE REQUEST"), std::string::npos);
  auto saved = json::parse(common::readFile(tmp.file("agent/config.json")).value());
  EXPECT_EQ(saved, *config);
  EXPECT_EQ(common::x509::certInfo(common::readFile(saved["cert"]).value())->common_name, "till-7");
  EXPECT_EQ(saved["key"], tmp.file("agent/current/device.key"));
  // The certificate is for the key the device kept.
  EXPECT_TRUE(common::x509::certMatchesKey(common::readFile(saved["cert"]).value(), key));
  EXPECT_TRUE(common::x509::verify(common::readFile(saved["cert"]).value(), common::readFile(saved["ca"]).value(), {})
                  .ok());
}

TEST_F(EnrollFixture, ARefusalSaysWhyAndWritesNothing) {
  coord.status = 409;
  coord.error = {{"code", "token_used"}, {"kind", "reject"}, {"message", "used"}};
  auto r = agent::enroll(opts, post());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, "token_used");
  EXPECT_NE(r.error().message.find("new one"), std::string::npos);
  EXPECT_FALSE(std::filesystem::exists(tmp.file("agent/current")));
  EXPECT_FALSE(std::filesystem::exists(tmp.file("agent/config.json")));
}

TEST_F(EnrollFixture, ACertificateForAnotherDeviceIsNotSaved) {
  coord.sign_as = "till-8";
  auto r = agent::enroll(opts, post());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, "bad_answer");
  EXPECT_FALSE(std::filesystem::exists(tmp.file("agent/config.json")));
}

TEST_F(EnrollFixture, TheTokenPinsTheFleetRootAgainstAManInTheMiddle) {
  // Something between the device and the coordinator answers with its own CA (and so could send
  // the device to its own broker): the token names the real fleet's root, so nothing is saved.
  test::TempDir other_dir;
  FakeCoordinator rogue{provision::FleetDir::init(other_dir.file("fleet"), common::SystemClock().nowMs()).value()};
  auto r = agent::enroll(opts, [&](const std::string& p, const std::string& b) { return rogue(p, b); });
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, "bad_answer");
  EXPECT_NE(r.error().message.find("pins"), std::string::npos) << r.error().message;
  EXPECT_FALSE(std::filesystem::exists(tmp.file("agent/config.json")));
  EXPECT_FALSE(std::filesystem::exists(tmp.file("agent/current")));
  auto claims = agent::tokenClaims(opts.token);
  ASSERT_TRUE(claims.ok());
  EXPECT_EQ(claims->ca_sha256, common::x509::certInfo(common::readFile(tmp.file("fleet/root.pem")).value())->sha256_hex);
}

TEST_F(EnrollFixture, AGarbledTokenIsRefusedBeforeAnyRequest) {
  opts.token = "not-a-token";
  auto r = agent::enroll(opts, post());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, "token_malformed");
  EXPECT_TRUE(coord.sent.empty());
}
