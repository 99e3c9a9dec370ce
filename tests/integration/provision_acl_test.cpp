// The broker ACL from stockwire-provision, loaded into a real Mosquitto: a device cannot publish
// as another device nor read another device's acks, while the coordinator's user reaches all.

#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <set>

#include "stack.h"
#include "sw/common/paho_transport.h"
#include "sw/provision/fleet.h"

using namespace sw;
using namespace std::chrono_literals;

namespace {

struct Client {
  std::unique_ptr<common::MqttTransport> t;
  std::mutex mu;
  std::multiset<std::string> got;  // "topic payload"

  Client(const std::string& url, const std::string& client_id, const std::string& user, const std::string& filter) {
    common::MqttConfig c;
    c.broker_url = url;
    c.client_id = client_id;
    c.username = user;
    t = common::makePahoTransport(c);
    t->addMessageHandler(filter, [this](std::string_view topic, std::string_view payload) {
      std::lock_guard<std::mutex> lock(mu);
      got.insert(std::string(topic) + " " + std::string(payload));
    });
    t->addConnectionHandler([this, filter](bool up) {
      if (up) (void)t->subscribe(filter, 1);
    });
    t->start();
  }
  ~Client() { t->stop(); }
  bool has(const std::string& s) {
    std::lock_guard<std::mutex> lock(mu);
    return got.count(s) > 0;
  }
};

}  // namespace

TEST(ProvisionAcl, DevicesReachOnlyTheirOwnTopicsOnARealBroker) {
  test::TempDir dir;
  auto fleet = provision::parseFleetCsv("device_id,location,kind\ntill-1,store-1,till\ntill-2,store-1,till\n");
  ASSERT_TRUE(fleet.ok());
  std::string acl = dir.file("acl");
  std::ofstream(acl) << provision::mosquittoAcl(*fleet, "coord");
  // Mosquitto started as root reads the ACL after dropping to its own user.
  std::filesystem::permissions(dir.path(), std::filesystem::perms::others_read | std::filesystem::perms::others_exec,
                               std::filesystem::perm_options::add);
  std::filesystem::permissions(acl, std::filesystem::perms::others_read, std::filesystem::perm_options::add);
  test::Broker broker(test::Broker::Options{}, "acl_file " + acl + "\n");

  Client coord(broker.url(), "coordinator", "coord", "sw/v1/dev/+/events");
  Client till1(broker.url(), "till-1", "", "sw/v1/dev/+/ack");  // asks for every device's acks
  ASSERT_TRUE(test::waitFor([&] { return coord.t->isConnected() && till1.t->isConnected(); }, 10s));

  // Publishing as itself reaches the coordinator; publishing as till-2 is dropped by the broker.
  ASSERT_TRUE(till1.t->publish("sw/v1/dev/till-2/events", "forged", 1, false).ok());
  ASSERT_TRUE(till1.t->publish("sw/v1/dev/till-1/events", "mine", 1, false).ok());
  ASSERT_TRUE(test::waitFor([&] { return coord.has("sw/v1/dev/till-1/events mine"); }, 10s));
  // The coordinator acks both devices; till-1 may only read its own.
  ASSERT_TRUE(coord.t->publish("sw/v1/dev/till-2/ack", "for-2", 1, false).ok());
  ASSERT_TRUE(coord.t->publish("sw/v1/dev/till-1/ack", "for-1", 1, false).ok());
  ASSERT_TRUE(test::waitFor([&] { return till1.has("sw/v1/dev/till-1/ack for-1"); }, 10s));
  // Messages on one connection arrive in order, so what was sent before has been decided by now.
  EXPECT_FALSE(coord.has("sw/v1/dev/till-2/events forged"));
  EXPECT_FALSE(till1.has("sw/v1/dev/till-2/ack for-2"));
}
