#pragma once
// The smoothed ack round trip and the retransmission timeout it gives (RFC 6298's estimator:
// SRTT and RTTVAR, timeout SRTT + max(100 ms, 4 RTTVAR)), shared by the agent's sync loop and
// the load generator's simulated devices. Samples come only from batches sent once (Karn).

#include <algorithm>
#include <cmath>
#include <cstdint>

namespace sw::common {

struct RttEstimator {
  double srtt_ms = 0;  // 0 until the first sample
  double rttvar_ms = 0;

  // Takes one round trip of r_ms and returns the new timeout, clamped to [min_ms, max_ms].
  int64_t observe(double r_ms, int64_t min_ms, int64_t max_ms) {
    if (srtt_ms == 0) {
      srtt_ms = r_ms;
      rttvar_ms = r_ms / 2;
    } else {
      rttvar_ms = 0.75 * rttvar_ms + 0.25 * std::abs(srtt_ms - r_ms);
      srtt_ms = 0.875 * srtt_ms + 0.125 * r_ms;
    }
    return std::clamp(static_cast<int64_t>(srtt_ms + std::max(100.0, 4 * rttvar_ms)), min_ms, max_ms);
  }
};

}  // namespace sw::common
