#include "sw/coordinator/channels/rate_limit.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdlib>

#include "sw/common/iso_time.h"

namespace sw::coordinator::channels {

namespace {
int64_t msToRefill(double missing, double per_sec) {
  if (missing <= 0) return 0;
  if (per_sec <= 0) return 60'000;
  return static_cast<int64_t>(std::ceil(missing * 1000.0 / per_sec));
}
}  // namespace

// --- CostBucket ---

void CostBucket::observe(double maximum_available, double currently_available, double restore_rate) {
  std::lock_guard lock(mu_);
  known_ = true;
  maximum_ = std::max(0.0, maximum_available);
  available_ = std::clamp(currently_available, 0.0, maximum_);
  restore_ = std::max(0.0, restore_rate);
  at_ms_ = clock_.monoMs();
}

void CostBucket::observeThrottled(double requested_cost) {
  std::lock_guard lock(mu_);
  ++throttled_;
  // The channel sends throttleStatus with THROTTLED too; if it did, available_ is already
  // below requested_cost. If it did not, assume it was just short.
  if (!known_ || available_ >= requested_cost) {
    available_ = std::max(0.0, requested_cost - 1);
    at_ms_ = clock_.monoMs();
  }
}

double CostBucket::availableLocked(int64_t now) const {
  double v = available_ + restore_ * static_cast<double>(now - at_ms_) / 1000.0;
  return std::min(maximum_, v);
}

int64_t CostBucket::msUntil(double cost) const {
  std::lock_guard lock(mu_);
  if (!known_) return 0;
  double need = std::min(cost, maximum_);
  return msToRefill(need - availableLocked(clock_.monoMs()), restore_);
}

RateState CostBucket::state() const {
  std::lock_guard lock(mu_);
  RateState s;
  s.known = known_;
  s.capacity = maximum_;
  s.available = known_ ? availableLocked(clock_.monoMs()) : 0;
  s.refill_per_sec = restore_;
  s.throttled_count = throttled_;
  s.source = known_ ? "extensions.cost.throttleStatus" : "not yet reported";
  return s;
}

// --- TokenBucket ---

TokenBucket::TokenBucket(const common::Clock& clock, double rate_per_sec, double burst)
    : clock_(clock), rate_(rate_per_sec), burst_(std::max(1.0, burst)), tokens_(burst_), at_ms_(clock.monoMs()) {}

void TokenBucket::refillLocked(int64_t now) const {
  if (now > at_ms_) {
    tokens_ = std::min(burst_, tokens_ + rate_ * static_cast<double>(now - at_ms_) / 1000.0);
    at_ms_ = now;
  }
}

bool TokenBucket::tryTake() {
  std::lock_guard lock(mu_);
  refillLocked(clock_.monoMs());
  if (tokens_ < 1.0) return false;
  tokens_ -= 1.0;
  return true;
}

void TokenBucket::learnRate(double rate_per_sec) {
  std::lock_guard lock(mu_);
  refillLocked(clock_.monoMs());
  if (rate_per_sec > 0) rate_ = rate_per_sec;
  learned_ = true;
}

void TokenBucket::onThrottled() {
  std::lock_guard lock(mu_);
  refillLocked(clock_.monoMs());
  tokens_ = 0;
  ++throttled_;
}

int64_t TokenBucket::msUntilToken() const {
  std::lock_guard lock(mu_);
  refillLocked(clock_.monoMs());
  return msToRefill(1.0 - tokens_, rate_);
}

RateState TokenBucket::state() const {
  std::lock_guard lock(mu_);
  refillLocked(clock_.monoMs());
  RateState s;
  s.known = true;
  s.capacity = burst_;
  s.available = tokens_;
  s.refill_per_sec = rate_;
  s.throttled_count = throttled_;
  s.source = learned_ ? "x-amzn-RateLimit-Limit" : "published usage plan (not yet confirmed by a response)";
  return s;
}

// --- Backoff ---

int64_t Backoff::onRefused(int64_t retry_after_ms) {
  std::lock_guard lock(mu_);
  ++refused_;
  int64_t wait = retry_after_ms;
  if (wait <= 0) {
    next_ms_ = next_ms_ == 0 ? first_ms_ : std::min(max_ms_, next_ms_ * 2);
    wait = next_ms_;
  }
  blocked_until_ = std::max(blocked_until_, clock_.monoMs() + wait);
  return wait;
}

void Backoff::onSuccess() {
  std::lock_guard lock(mu_);
  next_ms_ = 0;
}

int64_t Backoff::msUntilAllowed() const {
  std::lock_guard lock(mu_);
  return std::max<int64_t>(0, blocked_until_ - clock_.monoMs());
}

int64_t Backoff::blockedUntil() const {
  std::lock_guard lock(mu_);
  return blocked_until_;
}

int64_t Backoff::refusedCount() const {
  std::lock_guard lock(mu_);
  return refused_;
}

// --- DailyRevisionBudget ---

int64_t DailyRevisionBudget::dayLocked() const {
  int64_t day = clock_.nowMs() / 86'400'000;
  if (day != day_) {
    day_ = day;
    used_.clear();
  }
  return day;
}

bool DailyRevisionBudget::tryUse(const std::string& key) {
  std::lock_guard lock(mu_);
  dayLocked();
  int& n = used_[key];
  if (n >= limit_) return false;
  ++n;
  return true;
}

void DailyRevisionBudget::markExhausted(const std::string& key) {
  std::lock_guard lock(mu_);
  dayLocked();
  used_[key] = limit_;
}

int DailyRevisionBudget::used(const std::string& key) const {
  std::lock_guard lock(mu_);
  dayLocked();
  auto it = used_.find(key);
  return it == used_.end() ? 0 : it->second;
}

int64_t DailyRevisionBudget::msUntilReset() const {
  int64_t now = clock_.nowMs();
  return 86'400'000 - now % 86'400'000;
}

// --- WalmartQuota ---

std::optional<int64_t> parseReplenishmentTime(const std::string& text) {
  if (text.empty() || text.size() > 40) return std::nullopt;
  bool digits = std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
  if (digits) {
    if (text.size() > 15) return std::nullopt;
    int64_t v = 0;
    auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (ec != std::errc() || p != text.data() + text.size()) return std::nullopt;
    return text.size() <= 11 ? v * 1000 : v;
  }
  auto iso = common::parseIsoMs(text, common::IsoPolicy::kChannel);
  if (!iso) return std::nullopt;
  return *iso;
}

int64_t WalmartQuota::replenishMonoLocked(const std::string& text) const {
  auto at = parseReplenishmentTime(text);
  if (!at) return 0;
  // Wall clock to monotonic: how far ahead it is now. Never more than a day (a wrong clock must not
  // stop a channel for longer).
  int64_t ahead = std::clamp<int64_t>(*at - clock_.nowMs(), 0, 86'400'000);
  return clock_.monoMs() + ahead;
}

void WalmartQuota::observe(const std::string& token_count, const std::string& replenishment_time) {
  int64_t n = 0;
  auto [p, ec] = std::from_chars(token_count.data(), token_count.data() + token_count.size(), n);
  bool have_count = !token_count.empty() && ec == std::errc() && p == token_count.data() + token_count.size() && n >= 0;
  std::lock_guard lock(mu_);
  if (int64_t at = replenishMonoLocked(replenishment_time); at > 0) replenish_mono_ = at;
  if (!have_count) return;
  known_ = true;
  tokens_ = n;
  capacity_ = std::max(capacity_, n);
}

void WalmartQuota::onCall() {
  std::lock_guard lock(mu_);
  if (known_ && tokens_ > 0) --tokens_;
}

void WalmartQuota::onThrottled(const std::string& replenishment_time) {
  int64_t wait = 0;
  {
    std::lock_guard lock(mu_);
    ++throttled_;
    known_ = true;
    tokens_ = 0;
    if (int64_t at = replenishMonoLocked(replenishment_time); at > 0) {
      replenish_mono_ = at;
      wait = std::max<int64_t>(1, at - clock_.monoMs());
    }
  }
  backoff_.onRefused(wait);
}

int64_t WalmartQuota::msUntilAllowed() const {
  int64_t b = backoff_.msUntilAllowed();
  std::lock_guard lock(mu_);
  if (!known_ || tokens_ > 0) return b;
  int64_t now = clock_.monoMs();
  // Out of calls: wait for the replenishment Walmart announced; once it has passed, one call may find out.
  int64_t until = replenish_mono_ > now ? replenish_mono_ - now : 0;
  return std::max(b, until);
}

RateState WalmartQuota::state() const {
  std::lock_guard lock(mu_);
  RateState s;
  s.known = known_;
  s.capacity = static_cast<double>(capacity_);
  s.available = static_cast<double>(tokens_);
  s.blocked_until_ms = std::max(backoff_.blockedUntil(), tokens_ == 0 && known_ ? replenish_mono_ : 0);
  s.throttled_count = throttled_;
  s.source = known_ ? "X-Current-Token-Count / X-Next-Replenishment-Time" : "not yet reported";
  return s;
}

bool parseRateHeader(const std::string& text, double* out) {
  if (text.empty() || text.size() > 32) return false;
  char* end = nullptr;
  std::string t(text);
  double v = std::strtod(t.c_str(), &end);
  while (end && *end == ' ') ++end;
  if (!end || *end != '\0' || !std::isfinite(v) || v <= 0) return false;
  *out = v;
  return true;
}

int64_t parseRetryAfterMs(const std::string& text) {
  int64_t secs = 0;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), secs);
  if (ec != std::errc() || p != text.data() + text.size() || secs < 0 || secs > 86'400) return 0;
  return secs * 1000;
}

}  // namespace sw::coordinator::channels
