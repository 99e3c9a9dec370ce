// What a broker sends the load generator's MQTT 5 client (tools/loadgen/mqtt_wire.h), as a
// stream: packets decoded one after another from any bytes. None may crash, and:
//   - a packet takes at least one byte and no more than the buffer holds; "need more" takes none;
//   - a PUBLISH decoded, encoded again and decoded gives the same topic, payload and QoS.

#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "sw/loadgen/mqtt_wire.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace sw::loadgen::mqtt;
  std::string_view rest(reinterpret_cast<const char*>(data), size);
  while (!rest.empty()) {
    size_t used = 0;
    auto p = decodePacket(rest, &used, 1u << 16);
    if (!p) return 0;  // refused: the client drops the connection
    if (!*p) {
      if (used != 0) std::abort();
      return 0;  // needs more bytes
    }
    if (used == 0 || used > rest.size()) std::abort();
    const Packet& pk = **p;
    if (pk.type == PacketType::kPublish && !pk.topic.empty() && pk.qos <= 1) {
      std::string again = encodePublish(pk.topic, pk.payload, pk.qos, pk.retain, pk.qos ? pk.packet_id : 0);
      size_t n = 0;
      auto back = decodePacket(again, &n);
      if (back && *back && ((*back)->topic != pk.topic || (*back)->payload != pk.payload || (*back)->qos != pk.qos)) {
        std::abort();
      }
    }
    rest.remove_prefix(used);
  }
  return 0;
}
