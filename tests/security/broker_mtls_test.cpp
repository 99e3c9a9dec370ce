// Attacks on the broker that `stockwire-provision broker` configures, against a real Mosquitto:
// clients without a certificate, with one from another CA, an expired one or a revoked one are
// refused; a device with its own certificate cannot publish as another device (whatever client
// id it picks), cannot write its own ack topic or any downlink, and reads nothing of other
// devices through '#'. Refusals at connect are observed in the broker's log (one line per
// refused handshake), never by waiting a fixed time.

#include <gtest/gtest.h>

#include "mtls_fleet.h"

using namespace sw;
using namespace std::chrono_literals;

namespace {

constexpr int64_t kDay = 86'400'000;
const std::string kRefused = "disconnected: Protocol error";

class BrokerMtls : public ::testing::Test {
 protected:
  void SetUp() override {
    fleet.addDevice("store-1", "till-1");
    fleet.addDevice("store-1", "till-2");
    fleet.addDevice("store-2", "hh-9", "handheld");
    fleet.startBroker();
  }
  // A client that must be refused at the TLS handshake: the broker logs one more refusal and
  // the client never connects.
  void expectRefused(const test::DeviceFiles& id, const std::string& client_id) {
    size_t before = fleet.countInLog(kRefused);
    test::TlsClient c(fleet.url(), client_id, fleet.chain(), id, {});
    EXPECT_TRUE(test::waitFor([&] { return fleet.countInLog(kRefused) > before; }, 10s)) << fleet.brokerLog();
    EXPECT_FALSE(c.t->isConnected());
  }

  test::MtlsFleet fleet;
};

}  // namespace

TEST_F(BrokerMtls, TheGeneratedConfigIsMutualTlsWithIdentityAclAndNoPatterns) {
  std::string conf = common::readFile(fleet.brokerDir() + "/mosquitto.conf").value();
  for (const char* line : {"require_certificate true\n", "use_identity_as_username true\n",
                           "use_username_as_clientid true\n", "allow_anonymous false\n",
                           "set_tcp_nodelay true\n", "crlfile ", "cafile ", "acl_file "}) {
    EXPECT_NE(conf.find(line), std::string::npos) << line;
  }
  std::string acl = common::readFile(fleet.brokerDir() + "/acl").value();
  EXPECT_EQ(acl.find("\npattern"), std::string::npos);
  EXPECT_EQ(acl.find("%c"), std::string::npos);
  EXPECT_NE(acl.find("user till-1\n"), std::string::npos);
  EXPECT_NE(acl.find("user stockwire-coordinator\n"), std::string::npos);
  struct stat st {};
  ASSERT_EQ(::stat((fleet.brokerDir() + "/server.key").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  ASSERT_EQ(::stat((fleet.fleetDir() + "/issuing.key").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
}

TEST_F(BrokerMtls, NoCertificateIsRefused) { expectRefused({"", "", ""}, "till-1"); }

TEST_F(BrokerMtls, ACertificateFromAnotherCaIsRefused) {
  test::TempDir other;
  ASSERT_TRUE(provision::FleetDir::init(other.file("fleet"), common::SystemClock().nowMs()).ok());
  int64_t now = common::SystemClock().nowMs();
  expectRefused(fleet.issue("till-1", now - 60'000, now + kDay, other.file("fleet")), "till-1");
}

TEST_F(BrokerMtls, AnExpiredCertificateIsRefused) {
  int64_t now = common::SystemClock().nowMs();
  expectRefused(fleet.issue("till-1", now - 10 * kDay, now - kDay), "till-1");
}

TEST_F(BrokerMtls, ADeviceCannotPublishAsAnotherDeviceEvenWithItsClientId) {
  test::TlsClient coord(fleet.url(), "coordinator", fleet.chain(), fleet.coordinator(), {"sw/v1/#"});
  // till-1's certificate, connecting with till-2's client id.
  test::TlsClient liar(fleet.url(), "till-2", fleet.chain(), fleet.issue("till-1"), {});
  ASSERT_TRUE(test::waitFor([&] { return coord.t->isConnected() && liar.t->isConnected(); }, 10s));
  for (const std::string leaf : {"events", "state", "req"}) {
    ASSERT_TRUE(liar.t->publish("sw/v1/dev/till-2/" + leaf, "forged", 1, false).ok());
  }
  ASSERT_TRUE(liar.t->publish("sw/v1/dev/till-1/events", "mine", 1, false).ok());
  ASSERT_TRUE(test::waitFor([&] { return coord.has("sw/v1/dev/till-1/events mine"); }, 10s));
  // Messages on one connection are decided in order: the forged ones were dropped.
  for (const auto& m : coord.all()) EXPECT_EQ(m.find("forged"), std::string::npos) << m;
}

// MQTT hands a client id to its newest connection: a device that picked another's id would
// disconnect it at every try. The broker replaces the client id with the certificate's identity.
TEST_F(BrokerMtls, AnotherDevicesClientIdDoesNotTakeItsConnectionOver) {
  test::TlsClient real(fleet.url(), "till-2", fleet.chain(), fleet.issue("till-2"), {});
  ASSERT_TRUE(test::waitFor([&] { return real.t->isConnected(); }, 10s));
  test::TlsClient liar(fleet.url(), "till-2", fleet.chain(), fleet.issue("till-1"), {});
  ASSERT_TRUE(test::waitFor([&] { return liar.t->isConnected(); }, 10s));
  // A takeover happens before the new connection is acknowledged, so it would be logged by now.
  EXPECT_EQ(fleet.countInLog("already connected, closing old connection"), 0u) << fleet.brokerLog();
  EXPECT_EQ(fleet.countInLog(" as till-2 "), 1u) << fleet.brokerLog();
  EXPECT_GE(fleet.countInLog(" as till-1 "), 1u) << fleet.brokerLog();
  EXPECT_TRUE(real.t->isConnected());
}

TEST_F(BrokerMtls, ADeviceCannotWriteItsAckTopicNorAnyDownlinkNorNotices) {
  test::TlsClient coord(fleet.url(), "coordinator", fleet.chain(), fleet.coordinator(), {"sw/v1/#"});
  test::TlsClient till(fleet.url(), "till-1", fleet.chain(), fleet.issue("till-1"), {});
  ASSERT_TRUE(test::waitFor([&] { return coord.t->isConnected() && till.t->isConnected(); }, 10s));
  for (const std::string topic : {"sw/v1/dev/till-1/ack", "sw/v1/dev/till-2/ack", "sw/v1/dev/till-1/down/prices",
                                  "sw/v1/dev/till-2/down/tasks", "sw/v1/loc/store-1/notice", "sw/v1/coord/state"}) {
    ASSERT_TRUE(till.t->publish(topic, "forged", 1, false).ok());
  }
  ASSERT_TRUE(till.t->publish("sw/v1/dev/till-1/state", "alive", 1, false).ok());
  ASSERT_TRUE(test::waitFor([&] { return coord.has("sw/v1/dev/till-1/state alive"); }, 10s));
  for (const auto& m : coord.all()) EXPECT_EQ(m.find("forged"), std::string::npos) << m;
}

TEST_F(BrokerMtls, SubscribingToEverythingYieldsOnlyTheDevicesOwnTopics) {
  test::TlsClient coord(fleet.url(), "coordinator", fleet.chain(), fleet.coordinator(), {});
  test::TlsClient nosy(fleet.url(), "till-1", fleet.chain(), fleet.issue("till-1"), {"#", "sw/v1/dev/+/ack"});
  test::TlsClient other(fleet.url(), "till-2", fleet.chain(), fleet.issue("till-2"), {});
  ASSERT_TRUE(test::waitFor(
      [&] { return coord.t->isConnected() && nosy.t->isConnected() && other.t->isConnected(); }, 10s));
  ASSERT_TRUE(other.t->publish("sw/v1/dev/till-2/events", "sale-of-2", 1, false).ok());
  ASSERT_TRUE(coord.t->publish("sw/v1/dev/till-2/ack", "ack-for-2", 1, false).ok());
  ASSERT_TRUE(coord.t->publish("sw/v1/dev/till-2/down/tasks", "task-for-2", 1, false).ok());
  ASSERT_TRUE(coord.t->publish("sw/v1/loc/store-2/notice", "store-2-notice", 1, false).ok());
  ASSERT_TRUE(coord.t->publish("sw/v1/dev/till-1/ack", "ack-for-1", 1, false).ok());
  ASSERT_TRUE(test::waitFor([&] { return nosy.has("sw/v1/dev/till-1/ack ack-for-1"); }, 10s));
  // Its own store's notice and the coordinator's presence it may read.
  ASSERT_TRUE(coord.t->publish("sw/v1/loc/store-1/notice", "store-1-notice", 1, false).ok());
  ASSERT_TRUE(test::waitFor([&] { return nosy.has("sw/v1/loc/store-1/notice store-1-notice"); }, 10s));
  ASSERT_TRUE(other.t->publish("sw/v1/dev/till-2/events", "sale-of-2-again", 1, false).ok());
  ASSERT_TRUE(coord.t->publish("sw/v1/dev/till-1/ack", "ack-for-1-again", 1, false).ok());
  ASSERT_TRUE(test::waitFor([&] { return nosy.has("sw/v1/dev/till-1/ack ack-for-1-again"); }, 10s));
  for (const auto& m : nosy.all()) {
    EXPECT_EQ(m.find("till-2"), std::string::npos) << m;
    EXPECT_EQ(m.find("store-2"), std::string::npos) << m;
  }
}

// What revocation does, as measured on Mosquitto 2.0.11: `revoke --broker-pid` regenerates the
// ACL and CRL and sends SIGHUP. The ACL reload takes effect at once for the open connection (it
// stays open but may no longer publish or read anything), and the CRL reload refuses every new
// handshake with the revoked certificate; after a restart too.
TEST_F(BrokerMtls, ARevokedDeviceReachesNothingAtOnceAndCannotReconnect) {
  test::TlsClient coord(fleet.url(), "coordinator", fleet.chain(), fleet.coordinator(), {"sw/v1/#"});
  test::DeviceFiles till1 = fleet.issue("till-1");
  test::TlsClient revoked(fleet.url(), "till-1", fleet.chain(), till1, {"sw/v1/dev/till-1/ack"});
  test::TlsClient witness(fleet.url(), "till-2", fleet.chain(), fleet.issue("till-2"), {"sw/v1/dev/till-2/ack"});
  ASSERT_TRUE(test::waitFor(
      [&] { return coord.t->isConnected() && revoked.t->isConnected() && witness.t->isConnected(); }, 10s));
  ASSERT_TRUE(revoked.t->publish("sw/v1/dev/till-1/events", "before", 1, false).ok());
  ASSERT_TRUE(test::waitFor([&] { return coord.has("sw/v1/dev/till-1/events before"); }, 10s));

  size_t reloads = fleet.countInLog("Reloading config");
  test::ToolRun r = fleet.provision({"revoke", "--dir", fleet.fleetDir(), "--device", "till-1", "--broker-pid", fleet.pidFile()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(common::x509::crlSerials(common::readFile(fleet.brokerDir() + "/crl.pem").value()).value(),
            std::vector<std::string>{till1.serial});
  EXPECT_EQ(common::readFile(fleet.brokerDir() + "/acl")->find("user till-1\n"), std::string::npos);
  ASSERT_TRUE(test::waitFor([&] { return fleet.countInLog("Reloading config") > reloads; }, 10s));

  // The open connection: its publishes and its acks are dropped; till-2's still flow.
  ASSERT_TRUE(revoked.t->publish("sw/v1/dev/till-1/events", "after", 1, false).ok());
  ASSERT_TRUE(coord.t->publish("sw/v1/dev/till-1/ack", "ack-after", 1, false).ok());
  ASSERT_TRUE(witness.t->publish("sw/v1/dev/till-2/events", "marker", 1, false).ok());
  ASSERT_TRUE(coord.t->publish("sw/v1/dev/till-2/ack", "ack-marker", 1, false).ok());
  ASSERT_TRUE(test::waitFor([&] { return coord.has("sw/v1/dev/till-2/events marker") && witness.has("sw/v1/dev/till-2/ack ack-marker"); }, 10s));
  ASSERT_TRUE(revoked.t->publish("sw/v1/dev/till-1/events", "after-marker", 1, false).ok());
  ASSERT_TRUE(witness.t->publish("sw/v1/dev/till-2/events", "marker-2", 1, false).ok());
  ASSERT_TRUE(test::waitFor([&] { return coord.has("sw/v1/dev/till-2/events marker-2"); }, 10s));
  EXPECT_FALSE(coord.has("sw/v1/dev/till-1/events after"));
  EXPECT_FALSE(coord.has("sw/v1/dev/till-1/events after-marker"));
  EXPECT_FALSE(revoked.has("sw/v1/dev/till-1/ack ack-after"));

  // A new connection with the revoked certificate: refused (the CRL was reloaded with SIGHUP).
  expectRefused(till1, "till-1-again");
  // And after a restart.
  fleet.stopBroker();
  fleet.startBroker();
  expectRefused(till1, "till-1-again");
  // A token for it is refused too.
  EXPECT_NE(fleet.provision({"token", "--dir", fleet.fleetDir(), "--device", "till-1"}).exit_code, 0);
}
