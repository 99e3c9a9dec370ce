// Event batches as the coordinator receives them from devices (MessagePack on the wire, also
// JSON and CBOR): the streaming decoder must never crash and must answer exactly as the DOM
// reference decoder does (same events, or the same error code and message). The first byte
// picks the format.

#include <cstdint>
#include <cstdlib>
#include <cstdio>
#include <string_view>

#include "batch_decode_compare.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  static constexpr sw::common::WireFormat kFormats[] = {sw::common::WireFormat::kMsgPack,
                                                        sw::common::WireFormat::kJson, sw::common::WireFormat::kCbor};
  auto format = kFormats[data[0] % 3];
  std::string_view bytes(reinterpret_cast<const char*>(data + 1), size - 1);
  if (auto diff = sw::test::decodersDisagree(bytes, format)) {
    std::fprintf(stderr, "decoders disagree: %s\n", diff->c_str());
    std::abort();
  }
  return 0;
}
