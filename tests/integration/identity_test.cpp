// Issue 16: the coordinator trusts no payload's claim about who sent it. A batch is applied only
// from a registered, unrevoked device, for the store the registry gives it, and never with card
// data in it; what is refused is quarantined with the reason (card digits masked), and the ledger
// is unchanged. Real coordinator binary, real Mosquitto, batches published as an attacker would.

#include <gtest/gtest.h>

#include <sys/wait.h>

#include <atomic>
#include <set>

#include "stack.h"
#include "sw/common/codec.h"
#include "sw/common/paho_transport.h"
#include "sw/common/topics.h"
#include "sw/common/uuid.h"

using namespace sw;
using namespace std::chrono_literals;
using nlohmann::json;

namespace {

common::EventBatch oneSale(const std::string& device, const std::string& location, const std::string& sku,
                           uint64_t seq = 1, const std::string& epoch = common::newUuid()) {
  common::EventBatch b;
  b.device_id = device;
  b.epoch = epoch;
  b.sent_at_ms = 1'700'000'000'000;
  common::Event e;
  e.device_id = device;
  e.seq = seq;
  e.event_id = common::newUuid();
  e.type = common::EventType::kSale;
  e.occurred_at_ms = 1'700'000'000'000 + static_cast<int64_t>(seq);
  e.location = location;
  e.lines = {{sku, 1, std::nullopt}};
  b.events = {e};
  return b;
}

std::string base64Decode(const std::string& in) {
  static const std::string kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  uint32_t acc = 0;
  int bits = 0;
  for (char c : in) {
    const size_t v = kAlphabet.find(c);
    if (v == std::string::npos) continue;  // '=' padding
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((acc >> bits) & 0xff));
    }
  }
  return out;
}

class Identity : public ::testing::Test {
 protected:
  void SetUp() override {
    coord_.start();
    common::MqttConfig mc;
    mc.broker_url = broker_.url();
    mc.client_id = "intruder";
    t_ = common::makePahoTransport(mc);
    t_->start();
    ASSERT_TRUE(test::waitFor([&] { return t_->isConnected(); }, 10s));
  }
  void TearDown() override { t_->stop(); }

  void publish(const std::string& topic_device, const common::EventBatch& b) {
    ASSERT_TRUE(t_->publish(common::topics::events(topic_device), common::encodeBatch(b), 1, false).ok());
  }
  // Waits for n quarantine rows and returns them by code.
  std::map<std::string, json> quarantined(size_t n) {
    EXPECT_TRUE(test::waitFor(
        [&] {
          auto r = test::httpGet(coord_.port(), "/v1/quarantine");
          return r.status == 200 && r.body["quarantined"].size() >= n;
        },
        10s))
        << test::httpGetText(coord_.port(), "/v1/quarantine");
    std::map<std::string, json> out;
    const json rows = test::httpGet(coord_.port(), "/v1/quarantine").body["quarantined"];
    for (const auto& row : rows) out[row["code"].get<std::string>()] = row;
    return out;
  }

  test::TempDir dir_;
  test::Broker broker_;
  test::CoordinatorProc coord_{dir_, broker_.url()};
  std::unique_ptr<common::MqttTransport> t_;
};

}  // namespace

// A made-up device id was registered automatically and could book receipts.
TEST_F(Identity, AnUnknownDeviceIsRefusedNotRegistered) {
  publish("till-ghost", oneSale("till-ghost", "store-1", "SKU-G"));
  auto q = quarantined(1);
  ASSERT_EQ(q.count("unknown_device"), 1u) << json(q).dump();
  EXPECT_NE(q["unknown_device"]["reason"].get<std::string>().find("not registered"), std::string::npos);
  EXPECT_FALSE(coord_.onHand("SKU-G", "store-1").has_value());
  EXPECT_TRUE(coord_.device("till-ghost").is_null());
}

// An event's location was not checked against the device's store.
TEST_F(Identity, AnEventForAnotherStoreIsRefused) {
  test::registerDevice(coord_.db(), "till-1", "store-1");
  publish("till-1", oneSale("till-1", "store-2", "SKU-L"));
  auto q = quarantined(1);
  ASSERT_EQ(q.count("wrong_location"), 1u) << test::httpGetText(coord_.port(), "/v1/quarantine");
  EXPECT_NE(q["wrong_location"]["reason"].get<std::string>().find("registered at 'store-1'"), std::string::npos);
  EXPECT_FALSE(coord_.onHand("SKU-L", "store-2").has_value());
  // The same device's own store is fine: the refusal was about the claim, not the device.
  publish("till-1", oneSale("till-1", "store-1", "SKU-L"));
  ASSERT_TRUE(test::waitFor([&] { return coord_.onHand("SKU-L", "store-1") == -1; }, 10s));
}

// Revoking takes effect within seconds at the coordinator; what the device sent before stays.
TEST_F(Identity, ARevokedDeviceIsRefusedWithinSecondsAndKeepsItsHistory) {
  test::registerDevice(coord_.db(), "till-2", "store-1");
  const std::string epoch = common::newUuid();
  publish("till-2", oneSale("till-2", "store-1", "SKU-R", 1, epoch));
  ASSERT_TRUE(test::waitFor([&] { return coord_.onHand("SKU-R", "store-1") == -1; }, 10s));
  auto child = test::Child::spawn({test::coordinatorBinary(), "device", "revoke", "--db", coord_.db(), "--device",
                                   "till-2", "--reason", "stolen"},
                                  dir_.file("revoke"));
  ASSERT_EQ(child.wait(30s), 0) << child.stderrText();
  // The coordinator re-reads the registry within about a second: the device keeps selling until then.
  uint64_t seq = 1;
  ASSERT_TRUE(test::waitFor(
      [&] {
        publish("till-2", oneSale("till-2", "store-1", "SKU-R", ++seq, epoch));
        const json rows = test::httpGet(coord_.port(), "/v1/quarantine").body["quarantined"];
        for (const auto& row : rows) {
          if (row["code"] == "device_revoked") return true;
        }
        return false;
      },
      10s, 300ms));
  EXPECT_LT(seq, 12u);  // refused within ~3 s of the revocation
  // What it sent before stays; nothing after the refusal applies.
  const int64_t applied = coord_.device("till-2")["last_applied_seq"].get<int64_t>();
  EXPECT_GE(applied, 1);
  EXPECT_EQ(coord_.onHand("SKU-R", "store-1"), -applied);
  publish("till-2", oneSale("till-2", "store-1", "SKU-R", ++seq, epoch));
  ASSERT_TRUE(test::waitFor(
      [&] {
        size_t n = 0;
        const json rows = test::httpGet(coord_.port(), "/v1/quarantine").body["quarantined"];
        for (const auto& row : rows) n += row["code"] == "device_revoked" ? 1 : 0;
        return n >= 2;
      },
      10s));
  EXPECT_EQ(coord_.onHand("SKU-R", "store-1"), -applied);
  auto q = quarantined(1);
  EXPECT_NE(q["device_revoked"]["reason"].get<std::string>().find("stolen"), std::string::npos);
  // A revoked id cannot be registered again.
  auto again = test::Child::spawn({test::coordinatorBinary(), "device", "add", "--db", coord_.db(), "--device",
                                   "till-2", "--location", "store-1", "--role", "pos"},
                                  dir_.file("again"));
  auto rc = again.wait(30s);
  ASSERT_TRUE(rc.has_value());
  EXPECT_EQ(WEXITSTATUS(*rc), 1);
  EXPECT_NE(again.stderrText().find("device_revoked"), std::string::npos) << again.stderrText();
}

// A card number typed into an adjust reason with dots was stored and sent; the coordinator ran no
// card-data check at ingest, and quarantine kept raw payloads.
TEST_F(Identity, CardDataIsRefusedAtIngestAndNeverKeptInQuarantine) {
  test::registerDevice(coord_.db(), "till-3", "store-1", "handheld");
  common::EventBatch b = oneSale("till-3", "store-1", "SKU-C");
  b.events[0].type = common::EventType::kAdjust;
  b.events[0].reason = "customer card 4111.1111.1111.1111";
  publish("till-3", b);
  auto q = quarantined(1);
  ASSERT_EQ(q.count("card_data_refused"), 1u) << json(q).dump();
  // The payload (binary MessagePack, so shown as base64) is kept with the digits masked.
  const json& p = q["card_data_refused"]["payload"];
  const std::string kept = p["text"].get<std::string>() + base64Decode(p["base64"].get<std::string>());
  EXPECT_EQ(kept.find("4111.1111.1111"), std::string::npos) << kept;
  EXPECT_NE(kept.find("customer card ****.****.****.1111"), std::string::npos) << kept;
  EXPECT_EQ(q["card_data_refused"]["reason"].get<std::string>().find("4111"), std::string::npos);
  EXPECT_FALSE(coord_.onHand("SKU-C", "store-1").has_value());
}

// A device's status report does not create a device either.
TEST_F(Identity, AStateMessageFromAnUnknownDeviceIsIgnored) {
  ASSERT_TRUE(t_->publish(common::topics::state("till-fake"),
                          R"({"online":true,"kind":"till","location":"store-1"})", 1, false)
                  .ok());
  test::registerDevice(coord_.db(), "till-4", "store-1");
  publish("till-4", oneSale("till-4", "store-1", "SKU-S"));
  ASSERT_TRUE(test::waitFor([&] { return coord_.onHand("SKU-S", "store-1") == -1; }, 10s));
  EXPECT_TRUE(coord_.device("till-fake").is_null());
}
