#include "sw/common/mqtt.h"

#include <algorithm>
#include <cmath>

namespace sw::common {

int64_t reconnectDelayMs(int attempt, int min_ms, int max_ms, double random01) {
  double cap = static_cast<double>(min_ms) * std::pow(2.0, std::min(attempt, 30));
  cap = std::min(cap, static_cast<double>(max_ms));
  double r = std::clamp(random01, 0.0, 1.0);
  // Full jitter, but never below min_ms/2, so a flapping broker is not hammered.
  double d = std::max(static_cast<double>(min_ms) / 2.0, cap * r);
  return static_cast<int64_t>(d);
}

}  // namespace sw::common
