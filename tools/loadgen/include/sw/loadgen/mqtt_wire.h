#pragma once
// The MQTT 5 packets a simulated device sends and the ones a broker sends it, as bytes (OASIS
// MQTT 5.0, section 3). The load generator has its own small client on these (mqtt_client.h)
// because Paho's does not scale to thousands of connections in one process: its receive thread
// polls every socket of the process for every packet (tools/loadgen/README.md has the figures).
//
// Only what a device needs: CONNECT (clean start, keepalive, a retained QoS 1 will), SUBSCRIBE,
// PUBLISH at QoS 0/1 both ways, PUBACK, PINGREQ, DISCONNECT with a reason (0x04: publish the will);
// from the broker CONNACK (with its Receive Maximum and Maximum Packet Size), SUBACK, PUBLISH,
// PUBACK, PINGRESP and DISCONNECT. Properties are sent empty and skipped on reading.
//
// Decoding is of outside input: a malformed packet is a reject error, never a partial read.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sw/common/result.h"

namespace sw::loadgen::mqtt {

enum class PacketType : uint8_t {
  kConnect = 1,
  kConnack = 2,
  kPublish = 3,
  kPuback = 4,
  kSubscribe = 8,
  kSuback = 9,
  kPingreq = 12,
  kPingresp = 13,
  kDisconnect = 14,
};

inline constexpr uint8_t kReasonNormal = 0x00;
inline constexpr uint8_t kReasonDisconnectWithWill = 0x04;
// The largest Remaining Length MQTT can express (four bytes of variable byte integer).
inline constexpr uint32_t kMaxRemainingLength = 268'435'455;

struct Will {
  std::string topic;
  std::string payload;
  int qos = 1;
  bool retain = true;
};

std::string encodeConnect(std::string_view client_id, int keepalive_s, bool clean_start, const std::optional<Will>& will);
std::string encodeSubscribe(uint16_t packet_id, const std::vector<std::string>& filters, int qos);
// packet_id is ignored at QoS 0.
std::string encodePublish(std::string_view topic, std::string_view payload, int qos, bool retain, uint16_t packet_id);
std::string encodePuback(uint16_t packet_id);
std::string encodePingreq();
std::string encodeDisconnect(uint8_t reason);

// A packet from the broker, decoded.
struct Packet {
  PacketType type = PacketType::kPingresp;
  uint8_t reason = 0;             // CONNACK, PUBACK, DISCONNECT; SUBACK: the highest of its codes
  bool session_present = false;   // CONNACK
  uint16_t receive_maximum = 65535;  // CONNACK property 0x21 (65535 when absent)
  uint32_t maximum_packet_size = 0;  // CONNACK property 0x27 (0: none announced)
  uint16_t packet_id = 0;         // PUBLISH at QoS 1, PUBACK, SUBACK
  int qos = 0;                    // PUBLISH
  bool retain = false;            // PUBLISH
  bool dup = false;               // PUBLISH
  std::string topic;              // PUBLISH
  std::string payload;            // PUBLISH
};

// One whole packet from the start of `buffer`: nullopt while more bytes are needed (then
// `*used` is 0), else the packet and, in `*used`, how many bytes it took. A packet a broker may
// not send a client, bad flags, a length that runs past the packet, a bad property or a Remaining
// Length over max_packet (or over MQTT's limit) is a reject error.
common::Result<std::optional<Packet>> decodePacket(std::string_view buffer, size_t* used,
                                                   uint32_t max_packet = kMaxRemainingLength);

}  // namespace sw::loadgen::mqtt
