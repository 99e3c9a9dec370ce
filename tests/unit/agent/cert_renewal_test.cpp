// The agent's certificate renewal over its MQTT connection, against a scripted coordinator
// (real fleet CA, real files): the CSR goes out on its csr topic, a good answer replaces key and
// certificate together (one symlink rename) and reconnects; answers for another device, another
// key, from another CA or to an older request change nothing; a third of the lifetime left
// triggers renewal on its own.

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include <nlohmann/json.hpp>

#include "fake_transport.h"
#include "sw/agent/cert_renewal.h"
#include "sw/common/clock.h"
#include "sw/common/files.h"
#include "sw/common/x509.h"
#include "sw/provision/fleet_dir.h"
#include "test_support.h"

using namespace sw;
using namespace std::chrono_literals;
using nlohmann::json;

namespace {

constexpr int64_t kHour = 3'600'000;

std::string linkTarget(const std::string& path) {
  char buf[512];
  ssize_t n = ::readlink(path.c_str(), buf, sizeof buf);
  return n > 0 ? std::string(buf, static_cast<size_t>(n)) : "";
}

struct RenewalFixture : ::testing::Test {
  test::TempDir tmp;
  common::ManualClock clock;
  provision::FleetDir fleet = provision::FleetDir::init(tmp.file("fleet"), common::SystemClock().nowMs()).value();
  test::FakeTransport transport;
  std::string dir = tmp.file("id");

  RenewalFixture() : clock(common::SystemClock().nowMs()) {}

  std::string sign(const std::string& csr, int64_t from, int64_t to, const std::string& expect = "till-1") {
    return common::x509::signClientCsr(fleet.issuingCa().value(), csr, {{from, to}, expect}).value();
  }
  void SetUp() override {
    int64_t now = clock.nowMs();
    std::string key = common::x509::generateKey().value();
    std::string cert = sign(common::x509::makeCsr(key, "till-1").value(), now - kHour, now + 30 * 24 * kHour);
    std::filesystem::create_directories(dir);
    ASSERT_TRUE(common::writeFileAtomic(dir + "/ca-chain.pem", fleet.chainPem().value()).ok());
    ASSERT_TRUE(agent::installIdentity(dir, key, cert).ok());
    transport.setConnected(true);
  }
  // The last CSR request the agent published.
  json lastRequest() {
    for (auto& p : transport.published()) {
      if (p.topic == "sw/v1/dev/till-1/csr") return json::parse(p.payload);
    }
    return {};
  }
  json waitRequest() {
    json r;
    EXPECT_TRUE(test::waitFor([&] { return !(r = lastRequest()).is_null(); }, 5s));
    return r;
  }
  void answer(const json& req, const std::string& cert, const std::string& chain = "") {
    transport.deliver("sw/v1/dev/till-1/down/cert",
                      json{{"v", 1}, {"id", req["id"]}, {"certificate_pem", cert},
                           {"ca_pem", chain.empty() ? fleet.chainPem().value() : chain}}
                          .dump());
  }
};

}  // namespace

TEST_F(RenewalFixture, OnDemandRenewalReplacesKeyAndCertificateTogetherAndReconnects) {
  agent::CertRenewer r(transport, clock, {dir, "till-1", 60'000, 60'000});
  r.attach();
  // The certificate in use is known before the worker runs (the API answers from the start).
  EXPECT_EQ("id-" + r.status().serial, linkTarget(dir + "/current"));
  EXPECT_GT(r.status().not_after_ms, clock.nowMs());
  r.start();
  std::string before = linkTarget(dir + "/current");
  std::string old_key = common::readFile(dir + "/current/device.key").value();
  r.renewNow();
  json req = waitRequest();
  auto csr = common::x509::parseCsr(req["csr_pem"].get<std::string>());
  ASSERT_TRUE(csr.ok());
  EXPECT_EQ(csr->common_name, "till-1");
  int64_t now = clock.nowMs();
  answer(req, sign(req["csr_pem"], now - kHour, now + 30 * 24 * kHour));
  ASSERT_TRUE(test::waitFor([&] { return transport.reconnects() == 1; }, 5s));
  EXPECT_NE(linkTarget(dir + "/current"), before);
  std::string cert = common::readFile(dir + "/current/device.pem").value();
  std::string key = common::readFile(dir + "/current/device.key").value();
  EXPECT_NE(key, old_key);
  EXPECT_TRUE(common::x509::certMatchesKey(cert, key));
  EXPECT_EQ(r.status().renewals, 1u);
  EXPECT_EQ("id-" + r.status().serial, linkTarget(dir + "/current"));
  r.stop();
}

TEST_F(RenewalFixture, BadAnswersChangeNothing) {
  agent::CertRenewer r(transport, clock, {dir, "till-1", 60'000, 60'000});
  r.attach();
  r.start();
  std::string before = linkTarget(dir + "/current");
  r.renewNow();
  json req = waitRequest();
  int64_t now = clock.nowMs();
  // For another key (a CSR the agent did not make).
  std::string other_key = common::x509::generateKey().value();
  answer(req, sign(common::x509::makeCsr(other_key, "till-1").value(), now - kHour, now + kHour));
  // For another device.
  answer(req, sign(common::x509::makeCsr(other_key, "till-2").value(), now - kHour, now + kHour, "till-2"));
  // From another CA, for the right key.
  test::TempDir other;
  auto foreign = provision::FleetDir::init(other.file("f"), common::SystemClock().nowMs()).value();
  std::string foreign_cert =
      common::x509::signClientCsr(foreign.issuingCa().value(), req["csr_pem"].get<std::string>(), {{now - kHour, now + kHour}, ""}).value();
  answer(req, foreign_cert, foreign.chainPem().value());
  // To another request id.
  json stale = req;
  stale["id"] = "0000";
  answer(stale, sign(req["csr_pem"], now - kHour, now + kHour));
  EXPECT_EQ(linkTarget(dir + "/current"), before);
  EXPECT_EQ(transport.reconnects(), 0);
  EXPECT_FALSE(r.status().last_error.empty());
  // The real answer still installs.
  answer(req, sign(req["csr_pem"], now - kHour, now + kHour));
  ASSERT_TRUE(test::waitFor([&] { return transport.reconnects() == 1; }, 5s));
  EXPECT_NE(linkTarget(dir + "/current"), before);
  r.stop();
}

TEST_F(RenewalFixture, AThirdOfTheLifetimeLeftTriggersRenewal) {
  agent::CertRenewer r(transport, clock, {dir, "till-1", 20, 60'000});
  r.attach();
  r.start();
  // 30 days of validity: nothing asked at day 1.
  EXPECT_FALSE(test::waitFor([&] { return !lastRequest().is_null(); }, 200ms));
  clock.advanceMs(21 * 24 * kHour);  // 9 days left < 10
  json req = waitRequest();
  EXPECT_FALSE(req.is_null());
  r.stop();
}
