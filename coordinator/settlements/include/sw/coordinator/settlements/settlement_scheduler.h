#pragma once
// The periodic settlement fetch (issue 20): on the primary coordinator, each enabled channel's
// payouts are fetched and matched every `settlement_fetch_minutes` (channels config, per channel:
// channels.<name>.settlement_fetch_minutes; default kDefaultMinutes, 0 = never), beside the manual
// POST /v1/settlements/{channel}/fetch. The first fetch of each channel is one interval after
// start() (not at once: a coordinator that restarts often would otherwise call every channel's
// payout API on each start, and tests that count a simulator's calls would see them); a fetch that
// fails is tried again after kRetryMs (or the channel's interval when shorter), not at once; a
// channel whose connector does not read payouts (not_supported: Walmart) is dropped after its first try.
//
// tick() does what is due now and says when the next one is: the logic, driven by hand in tests
// with a ManualClock. start() runs tick() on a thread of its own, waiting between ticks on a
// condition variable; stop() (and the destructor) wakes and joins it.

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "sw/common/clock.h"
#include "sw/common/result.h"
#include "sw/coordinator/settlements/settlement_service.h"

namespace sw::coordinator::settlements {

struct FetchPlan {
  std::string channel;
  int64_t interval_ms = 0;  // > 0
};

class SettlementScheduler {
 public:
  static constexpr int64_t kDefaultMinutes = 240;
  static constexpr int64_t kRetryMs = 5 * 60'000;

  // The plans for the enabled channels from the channels config: a channel whose
  // settlement_fetch_minutes is 0 has none. Fatal for a value that is not a whole number 0..43200.
  static common::Result<std::vector<FetchPlan>> plansFrom(const nlohmann::json& channels_config,
                                                          const std::vector<std::string>& enabled);

  using Fetch = std::function<common::Result<FetchReport>(const std::string& channel)>;
  SettlementScheduler(std::vector<FetchPlan> plans, Fetch fetch, const common::Clock& clock);
  ~SettlementScheduler();
  SettlementScheduler(const SettlementScheduler&) = delete;
  SettlementScheduler& operator=(const SettlementScheduler&) = delete;

  // Fetches every channel that is due; returns the wall-clock ms of the next due fetch (INT64_MAX
  // when there is no plan). The first call (or start()) only sets each channel's first time.
  int64_t tick();
  void start();
  void stop();

  // Per channel: fetches done, of which failed (for tests and the log).
  struct Counts {
    int64_t fetches = 0;
    int64_t failures = 0;
  };
  Counts counts(const std::string& channel) const;

 private:
  struct Due {
    FetchPlan plan;
    int64_t next_ms = 0;  // 0: not started (start() or the first tick sets one interval ahead)
    Counts counts;
  };
  Fetch fetch_;
  const common::Clock& clock_;
  mutable std::mutex mu_;  // dues_ counts, stop_
  std::vector<Due> dues_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace sw::coordinator::settlements
