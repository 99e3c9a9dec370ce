// Zebra SSI: the streaming packet decoder and multi-packet assembler on arbitrary bytes,
// split at arbitrary points; every packet it reports must re-encode to a valid checksum.

#include <cstdint>
#include <cstdlib>

#include "sw/fw/ssi.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  sw::fw::ssi::Decoder dec;
  sw::fw::ssi::DecodeAssembler as;
  size_t split = size ? data[0] % (size + 1) : 0;
  for (auto [p, n] : {std::pair<const uint8_t*, size_t>{data, split}, {data + split, size - split}}) {
    for (const auto& ev : dec.feed(p, n)) {
      if (ev.kind != sw::fw::ssi::Decoder::Event::kPacket) continue;
      auto bytes = sw::fw::ssi::encode(ev.packet);
      if (bytes.empty() || sw::fw::ssi::checksum(bytes.data(), bytes.size() - 2) !=
                               static_cast<uint16_t>((bytes[bytes.size() - 2] << 8) | bytes.back())) {
        std::abort();
      }
      if (auto b = as.add(ev.packet)) (void)sw::fw::ssi::scanText(*b);
    }
  }
  return 0;
}
