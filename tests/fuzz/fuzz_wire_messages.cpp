// Every other message a device or the coordinator decodes from MQTT: acks, device and coordinator
// state, single events, downlink requests, pages, notices and the delta cursors in requests. None may crash; what decodes must
// encode and decode again to the same value where the codec offers an encoder.

#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "sw/common/codec.h"
#include "sw/common/downlink.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace sw::common;
  if (size == 0) return 0;
  std::string_view bytes(reinterpret_cast<const char*>(data + 1), size - 1);
  switch (data[0] % 8) {
    case 0:
      if (auto a = decodeAck(bytes)) {
        auto again = decodeAck(encodeAck(*a));
        if (!again) std::abort();
      }
      break;
    case 1:
      (void)decodeDeviceState(bytes);
      break;
    case 2:
      (void)decodeCoordinatorState(bytes);
      break;
    case 3:
      (void)decodeEvent(bytes);
      break;
    case 4:
      (void)decodeDownRequest(bytes);
      break;
    case 5:
      (void)decodeDownPage(bytes);
      break;
    case 6:
      (void)decodeDownNotice(bytes);
      break;
    default: {
      // A cursor that parses is written back as the same text.
      if (auto c = parseDeltaCursor(bytes, true); c && *c) {
        if (deltaCursor((*c)->version, (*c)->key) != bytes) std::abort();
      }
      if (auto c = parseDeltaCursor(bytes, false); c && *c) {
        auto again = parseDeltaCursor(deltaCursor((*c)->version), false);
        if (!again || !*again || (*again)->version != (*c)->version) std::abort();
      }
      break;
    }
  }
  return 0;
}
