#pragma once
// Wire encoding of batches, acks and state messages.
// The format was chosen by measurement (tools/bench codec, see common/README.md).
// Decoding validates every field; a bad message yields a kReject error and nothing else.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sw/common/event.h"
#include "sw/common/result.h"

namespace sw::common {

enum class WireFormat { kJson, kCbor, kMsgPack };

inline constexpr WireFormat kWireFormat = WireFormat::kMsgPack;
inline constexpr int kWireVersion = 1;

std::string_view wireFormatName(WireFormat format);

std::string encodeBatch(const EventBatch& batch, WireFormat format = kWireFormat);
// Same bytes as encodeBatch(), built from events already encoded with encodeEvent()
// (the agent stores them that way), without decoding them again.
struct BatchHeader {
  std::string device_id;
  std::string epoch;
  int64_t sent_at_ms = 0;
  std::optional<int64_t> clock_offset_ms;
  std::string prev_epoch;  // empty unless the device has renumbered (EventBatch::prev_epoch)
};
std::string encodeBatchFromEncodedEvents(const BatchHeader& header, const std::vector<std::string_view>& events,
                                         WireFormat format = kWireFormat);
Result<EventBatch> decodeBatch(std::string_view bytes, WireFormat format = kWireFormat);

std::string encodeAck(const Ack& ack, WireFormat format = kWireFormat);
Result<Ack> decodeAck(std::string_view bytes, WireFormat format = kWireFormat);

// State messages are JSON always: they are small, retained and read by people with mosquitto_sub.
std::string encodeDeviceState(const DeviceState& state);
Result<DeviceState> decodeDeviceState(std::string_view bytes);
std::string encodeCoordinatorState(const CoordinatorState& state);
Result<CoordinatorState> decodeCoordinatorState(std::string_view bytes);

// One event on its own (the agent stores each event encoded this way). The device id is
// not part of it (the batch carries it); decodeEvent() leaves device_id empty.
std::string encodeEvent(const Event& event, WireFormat format = kWireFormat);
Result<Event> decodeEvent(std::string_view bytes, WireFormat format = kWireFormat);

// JSON text form of an event, for APIs and logs.
std::string eventToJsonText(const Event& event);
// A line's price check as it travels (line keys "pchk" and "list"), for both decoders.
Result<PriceFlag> priceFlagFromWire(uint32_t line, std::string_view check, const std::optional<std::string>& list);

}  // namespace sw::common
