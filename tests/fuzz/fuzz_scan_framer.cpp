// The line-mode scanner framer: arbitrary bytes with arbitrary arrival times.
// First byte of each 8-byte chunk header picks the time step; messages never exceed the limit.

#include <cstdint>
#include <cstdlib>

#include "sw/fw/scan_framer.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  sw::fw::ScanFramer framer(sw::fw::ScanFramerConfig{50, 128, "]"});
  int64_t now = 0;
  size_t i = 0;
  while (i < size) {
    now += data[i] % 120;
    size_t n = std::min<size_t>(size - i - 1, static_cast<size_t>(data[i] % 17));
    for (const auto& m : framer.feed(data + i + 1, n, now)) {
      if (m.empty() || m.size() > 128) std::abort();
      for (char c : m) {
        if (c == '\r' || c == '\n' || c == '\0') std::abort();
      }
    }
    if (auto m = framer.poll(now + 60)) {
      if (m->size() > 128) std::abort();
    }
    i += n + 1;
  }
  return 0;
}
