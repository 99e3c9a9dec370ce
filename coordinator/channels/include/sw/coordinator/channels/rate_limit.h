#pragma once
// Rate-limit models fed by what the channels say in their responses. None of them sleeps:
// they answer "how long until this would be allowed" so the scheduler can pace itself.
// All are thread-safe; time comes from a common::Clock (monotonic ms) so tests move it by hand.

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>

#include "sw/common/clock.h"
#include "sw/coordinator/channels/connector.h"

namespace sw::coordinator::channels {

// Shopify's calculated-cost leaky bucket, as reported in extensions.cost.throttleStatus
// on every GraphQL response. Until the first report the bucket is unknown and nothing waits.
class CostBucket {
 public:
  explicit CostBucket(const common::Clock& clock) : clock_(clock) {}
  void observe(double maximum_available, double currently_available, double restore_rate);
  // A THROTTLED answer for a query of this requested cost.
  void observeThrottled(double requested_cost);
  int64_t msUntil(double cost) const;
  RateState state() const;

 private:
  double availableLocked(int64_t now) const;
  const common::Clock& clock_;
  mutable std::mutex mu_;
  bool known_ = false;
  double maximum_ = 0;
  double available_ = 0;
  double restore_ = 0;
  int64_t at_ms_ = 0;
  int64_t throttled_ = 0;
};

// A token bucket (size = burst, refill = rate per second), as Amazon SP-API applies per
// operation. Starts from the published usage plan; the rate is replaced by the one in each
// response's x-amzn-RateLimit-Limit header; a 429 empties it.
class TokenBucket {
 public:
  TokenBucket(const common::Clock& clock, double rate_per_sec, double burst);
  // Takes one token if the local estimate has one; false means "would be throttled".
  bool tryTake();
  void learnRate(double rate_per_sec);
  void onThrottled();
  int64_t msUntilToken() const;
  RateState state() const;

 private:
  void refillLocked(int64_t now) const;
  const common::Clock& clock_;
  mutable std::mutex mu_;
  double rate_;
  double burst_;
  mutable double tokens_;
  mutable int64_t at_ms_;
  bool learned_ = false;
  int64_t throttled_ = 0;
};

// "Stop until": for 429s with or without Retry-After, and for daily quotas. Backs off
// exponentially while the channel keeps refusing, resets on the first success.
class Backoff {
 public:
  Backoff(const common::Clock& clock, int64_t first_ms, int64_t max_ms)
      : clock_(clock), first_ms_(first_ms), max_ms_(max_ms) {}
  // Blocks for retry_after_ms if > 0, else for the next exponential step. Returns the wait.
  int64_t onRefused(int64_t retry_after_ms = 0);
  void onSuccess();
  int64_t msUntilAllowed() const;
  int64_t blockedUntil() const;
  int64_t refusedCount() const;

 private:
  const common::Clock& clock_;
  const int64_t first_ms_;
  const int64_t max_ms_;
  mutable std::mutex mu_;
  int64_t blocked_until_ = 0;
  int64_t next_ms_ = 0;
  int64_t refused_ = 0;
};

// eBay's 250 revisions per listing per calendar day (UTC), counted locally so a listing that
// has used its day is not sent again, and set to "used up" when the channel says so.
class DailyRevisionBudget {
 public:
  DailyRevisionBudget(const common::Clock& clock, int limit) : clock_(clock), limit_(limit) {}
  bool tryUse(const std::string& key);
  void markExhausted(const std::string& key);
  int used(const std::string& key) const;
  // Wall-clock ms until the next UTC midnight.
  int64_t msUntilReset() const;

 private:
  int64_t dayLocked() const;
  const common::Clock& clock_;
  const int limit_;
  mutable std::mutex mu_;
  mutable int64_t day_ = -1;
  mutable std::map<std::string, int> used_;
};

// Walmart's per-seller, per-API allotment, as each answer announces it: X-Current-Token-Count (calls
// left in this window) and X-Next-Replenishment-Time (when more are given). Nothing is assumed before
// the first answer: until then every call is allowed. A call is counted against the learned count;
// at 0, or after a 429, nothing is allowed until the replenishment time (or, without one, until a
// doubling backoff ends). The biggest count seen is kept as the capacity.
class WalmartQuota {
 public:
  explicit WalmartQuota(const common::Clock& clock) : clock_(clock), backoff_(clock, 1'000, 3'600'000) {}
  // One answer's headers ("" when absent). replenish_at_ms is wall-clock ms (parseReplenishmentTime).
  void observe(const std::string& token_count, const std::string& replenishment_time);
  // A call is about to be made.
  void onCall();
  void onThrottled(const std::string& replenishment_time);
  int64_t msUntilAllowed() const;
  RateState state() const;

 private:
  int64_t replenishMonoLocked(const std::string& text) const;
  const common::Clock& clock_;
  Backoff backoff_;
  mutable std::mutex mu_;
  bool known_ = false;
  int64_t tokens_ = 0;
  int64_t capacity_ = 0;
  int64_t replenish_mono_ = 0;  // monotonic ms of the next replenishment, 0 = not said
  int64_t throttled_ = 0;
};

// X-Next-Replenishment-Time as wall-clock ms: epoch milliseconds (13 digits), epoch seconds
// (10 digits) or ISO 8601; nullopt otherwise.
std::optional<int64_t> parseReplenishmentTime(const std::string& text);

// Seconds as a string ("5.0", "0.0167") from x-amzn-RateLimit-Limit; false if not a positive number.
bool parseRateHeader(const std::string& text, double* out);
// Retry-After in seconds (integer) to ms; 0 if absent or not a number.
int64_t parseRetryAfterMs(const std::string& text);

}  // namespace sw::coordinator::channels
