// The load generator's MQTT 5 packets: what it sends, byte for byte where the spec fixes it, and
// what it takes from a broker (outside input): whole packets only, anything malformed refused.

#include <gtest/gtest.h>

#include <arpa/inet.h>

#include "sw/loadgen/mqtt_client.h"
#include "sw/loadgen/mqtt_wire.h"

using namespace sw::loadgen;

namespace {

std::string bytes(std::initializer_list<int> b) {
  std::string s;
  for (int c : b) s.push_back(static_cast<char>(c));
  return s;
}

std::string rejectOf(const std::string& packet, uint32_t max = mqtt::kMaxRemainingLength) {
  size_t used = 0;
  auto r = mqtt::decodePacket(packet, &used, max);
  EXPECT_FALSE(r.ok());
  return r.ok() ? "" : r.error().message;
}

}  // namespace

TEST(MqttWire, ConnectCarriesCleanStartKeepaliveAndARetainedQos1Will) {
  const std::string c = mqtt::encodeConnect("lg-00001", 5, true, mqtt::Will{"sw/v1/dev/lg-00001/state", "{}", 1, true});
  ASSERT_GE(c.size(), 12u);
  EXPECT_EQ(static_cast<uint8_t>(c[0]), 0x10);
  EXPECT_EQ(static_cast<size_t>(c[1]), c.size() - 2);
  EXPECT_EQ(c.substr(2, 6), bytes({0, 4, 'M', 'Q', 'T', 'T'}));
  EXPECT_EQ(c[8], 5);                               // MQTT 5
  EXPECT_EQ(static_cast<uint8_t>(c[9]), 0x2e);      // will retain, will QoS 1, will, clean start
  EXPECT_EQ(c.substr(10, 2), bytes({0, 5}));        // keepalive
  EXPECT_EQ(c[12], 0);                              // no properties
  EXPECT_EQ(c.substr(13, 10), bytes({0, 8}) + "lg-00001");
  EXPECT_EQ(c.substr(c.size() - 4), bytes({0, 2, '{', '}'}));
  const std::string bare = mqtt::encodeConnect("x", 60, true, std::nullopt);
  EXPECT_EQ(static_cast<uint8_t>(bare[9]), 0x02);
}

TEST(MqttWire, SubscribeDisconnectPingAndPuback) {
  EXPECT_EQ(mqtt::encodeSubscribe(7, {"a/b", "c"}, 1), bytes({0x82, 13, 0, 7, 0, 0, 3, 'a', '/', 'b', 1, 0, 1, 'c', 1}));
  EXPECT_EQ(mqtt::encodeDisconnect(mqtt::kReasonNormal), bytes({0xe0, 0}));
  EXPECT_EQ(mqtt::encodeDisconnect(mqtt::kReasonDisconnectWithWill), bytes({0xe0, 2, 4, 0}));
  EXPECT_EQ(mqtt::encodePingreq(), bytes({0xc0, 0}));
  EXPECT_EQ(mqtt::encodePuback(258), bytes({0x40, 2, 1, 2}));
}

TEST(MqttWire, APublishReadsBackWholeAndLongLengthsSpanSeveralBytes) {
  const std::string payload(300, 'p');
  const std::string p = mqtt::encodePublish("sw/v1/dev/x/ack", payload, 1, true, 42);
  EXPECT_EQ(static_cast<uint8_t>(p[0]), 0x33);
  EXPECT_EQ(static_cast<uint8_t>(p[1]) & 0x80, 0x80);  // 320 bytes: two length bytes
  size_t used = 0;
  auto r = mqtt::decodePacket(p + bytes({0xd0, 0}), &used);
  ASSERT_TRUE(r.ok()) << r.error().toString();
  ASSERT_TRUE(r->has_value());
  EXPECT_EQ(used, p.size());
  EXPECT_EQ((*r)->topic, "sw/v1/dev/x/ack");
  EXPECT_EQ((*r)->payload, payload);
  EXPECT_EQ((*r)->qos, 1);
  EXPECT_TRUE((*r)->retain);
  EXPECT_EQ((*r)->packet_id, 42);
  // Every shorter prefix waits for more.
  for (size_t n = 0; n < p.size(); ++n) {
    auto part = mqtt::decodePacket(p.substr(0, n), &used);
    ASSERT_TRUE(part.ok()) << n;
    EXPECT_FALSE(part->has_value()) << n;
    EXPECT_EQ(used, 0u);
  }
}

TEST(MqttWire, ConnackPropertiesThatMatterAreKeptAndOthersSkipped) {
  // Reason 0; properties: receive maximum 20, a reason string, a user property, maximum packet size 4096.
  std::string props = bytes({0x21, 0, 20, 0x1f, 0, 2, 'o', 'k', 0x26, 0, 1, 'k', 0, 1, 'v', 0x27, 0, 0, 0x10, 0});
  std::string body = bytes({0, 0}) + std::string(1, static_cast<char>(props.size())) + props;
  std::string packet = bytes({0x20}) + std::string(1, static_cast<char>(body.size())) + body;
  size_t used = 0;
  auto r = mqtt::decodePacket(packet, &used);
  ASSERT_TRUE(r.ok()) << r.error().toString();
  ASSERT_TRUE(r->has_value());
  EXPECT_EQ((*r)->type, mqtt::PacketType::kConnack);
  EXPECT_EQ((*r)->receive_maximum, 20);
  EXPECT_EQ((*r)->maximum_packet_size, 4096u);
  // Without properties: the defaults.
  r = mqtt::decodePacket(bytes({0x20, 2, 0, 0x87}), &used);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ((*r)->reason, 0x87);
  EXPECT_EQ((*r)->receive_maximum, 65535);
  // A SUBACK reports its worst code, a DISCONNECT its reason.
  r = mqtt::decodePacket(bytes({0x90, 5, 0, 9, 0, 1, 0x80}), &used);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ((*r)->reason, 0x80);
  r = mqtt::decodePacket(bytes({0xe0, 1, 0x8e}), &used);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ((*r)->reason, 0x8e);
}

TEST(MqttWire, MalformedPacketsFromTheBrokerAreRefused) {
  EXPECT_EQ(rejectOf(bytes({0x30, 0xff, 0xff, 0xff, 0xff, 0x01})), "remaining length longer than four bytes");
  EXPECT_NE(rejectOf(bytes({0x30, 10}) + std::string(10, 'x'), 8).find("over the limit"), std::string::npos);
  EXPECT_EQ(rejectOf(bytes({0x10, 0})), "packet type 1 is not one a broker sends");
  EXPECT_EQ(rejectOf(bytes({0xf0, 0})), "packet type 15 is not one a broker sends");
  EXPECT_EQ(rejectOf(bytes({0x36, 5, 0, 1, 't', 0, 0})), "publish with QoS 3");
  EXPECT_EQ(rejectOf(bytes({0x38, 4, 0, 1, 't', 0})), "publish at QoS 0 marked duplicate");
  EXPECT_EQ(rejectOf(bytes({0x30, 3, 0, 9, 't'})), "topic runs past the end of the packet");
  EXPECT_EQ(rejectOf(bytes({0x30, 3, 0, 0, 0})), "publish without a topic (topic aliases were not offered)");
  EXPECT_EQ(rejectOf(bytes({0x32, 5, 0, 1, 't', 0, 0})), "publish with packet id 0");
  EXPECT_EQ(rejectOf(bytes({0x30, 5, 0, 1, 't', 9, 0})), "publish properties length runs past the end of the packet");
  EXPECT_EQ(rejectOf(bytes({0x30, 6, 0, 1, 't', 1, 0x7f, 0})), "unknown property 0x7f");
  EXPECT_EQ(rejectOf(bytes({0x30, 6, 0, 1, 't', 2, 0x21, 0})), "receive maximum runs past the end of the packet");
  EXPECT_EQ(rejectOf(bytes({0x20, 2, 2, 0})), "connack flags with reserved bits set");
  EXPECT_EQ(rejectOf(bytes({0x20, 6, 0, 0, 3, 0x21, 0, 0})), "receive maximum 0");
  EXPECT_EQ(rejectOf(bytes({0x20, 1, 0})), "connack reason runs past the end of the packet");
  EXPECT_EQ(rejectOf(bytes({0xd0, 1, 0})), "bytes after the end of the packet");
  EXPECT_EQ(rejectOf(bytes({0x90, 3, 0, 1, 0})), "suback without reason codes");
  EXPECT_EQ(rejectOf(bytes({0x41, 2, 0, 1})), "reserved flags set in the fixed header");
  EXPECT_EQ(rejectOf(bytes({0x40, 1, 0})), "packet id runs past the end of the packet");
}

TEST(MqttWire, BrokerUrls) {
  auto a = parseBrokerUrl("tcp://127.0.0.1:1883");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(ntohs(a->sin_port), 1883);
  EXPECT_EQ(ntohl(a->sin_addr.s_addr), 0x7f000001u);
  ASSERT_TRUE(parseBrokerUrl("mqtt://localhost:18830").ok());
  for (const char* bad : {"", "ssl://127.0.0.1:8883", "127.0.0.1:1883", "tcp://127.0.0.1", "tcp://:1883",
                          "tcp://127.0.0.1:0", "tcp://127.0.0.1:65536", "tcp://127.0.0.1:18a3", "tcp://broker.example:1883",
                          "tcp://127.0.0.1:-1", "tcp://[::1]:1883"}) {
    auto r = parseBrokerUrl(bad);
    EXPECT_FALSE(r.ok()) << bad;
    if (!r.ok()) {
      EXPECT_EQ(r.error().code, "bad_broker_url") << bad;
    }
  }
}
