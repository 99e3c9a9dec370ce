// Rate-limit models on a hand-moved clock: no sleeping.

#include <gtest/gtest.h>

#include "sw/common/clock.h"
#include "sw/coordinator/channels/rate_limit.h"

namespace sw::coordinator::channels {
namespace {

TEST(CostBucket, UnknownUntilTheChannelSaysThenRefillsAtItsRate) {
  common::ManualClock clock;
  CostBucket b(clock);
  EXPECT_FALSE(b.state().known);
  EXPECT_EQ(b.msUntil(500), 0);
  b.observe(2000, 100, 100);  // as in extensions.cost.throttleStatus
  RateState s = b.state();
  EXPECT_TRUE(s.known);
  EXPECT_EQ(s.capacity, 2000);
  EXPECT_EQ(s.refill_per_sec, 100);
  EXPECT_EQ(b.msUntil(50), 0);
  EXPECT_EQ(b.msUntil(300), 2000);  // 200 points missing at 100/s
  clock.advanceMs(1000);
  EXPECT_EQ(b.msUntil(300), 1000);
  clock.advanceMs(60'000);
  EXPECT_DOUBLE_EQ(b.state().available, 2000);  // never above the bucket size
}

TEST(CostBucket, ThrottledWithoutStatusAssumesItWasShort) {
  common::ManualClock clock;
  CostBucket b(clock);
  b.observe(1000, 1000, 50);
  b.observeThrottled(400);
  EXPECT_GT(b.msUntil(400), 0);
  EXPECT_EQ(b.state().throttled_count, 1);
}

TEST(TokenBucket, BurstThenRateAndTheHeaderReplacesTheRate) {
  common::ManualClock clock;
  TokenBucket b(clock, 5, 5);
  for (int i = 0; i < 5; ++i) EXPECT_TRUE(b.tryTake()) << i;
  EXPECT_FALSE(b.tryTake());
  EXPECT_EQ(b.msUntilToken(), 200);
  clock.advanceMs(200);
  EXPECT_TRUE(b.tryTake());
  EXPECT_EQ(b.state().source, "published usage plan (not yet confirmed by a response)");
  b.learnRate(0.5);  // x-amzn-RateLimit-Limit: 0.5
  EXPECT_EQ(b.msUntilToken(), 2000);
  EXPECT_EQ(b.state().source, "x-amzn-RateLimit-Limit");
  clock.advanceMs(2000);
  EXPECT_TRUE(b.tryTake());
  b.onThrottled();
  EXPECT_FALSE(b.tryTake());
  EXPECT_EQ(b.state().throttled_count, 1);
}

TEST(Backoff, DoublesUntilSuccessAndHonoursRetryAfter) {
  common::ManualClock clock;
  Backoff b(clock, 1000, 8000);
  EXPECT_EQ(b.onRefused(), 1000);
  EXPECT_EQ(b.onRefused(), 2000);
  EXPECT_EQ(b.onRefused(), 4000);
  EXPECT_EQ(b.onRefused(), 8000);
  EXPECT_EQ(b.onRefused(), 8000);
  EXPECT_EQ(b.msUntilAllowed(), 8000);
  clock.advanceMs(8000);
  EXPECT_EQ(b.msUntilAllowed(), 0);
  b.onSuccess();
  EXPECT_EQ(b.onRefused(), 1000);
  clock.advanceMs(1000);
  EXPECT_EQ(b.onRefused(30'000), 30'000);
  EXPECT_EQ(b.refusedCount(), 7);
}

TEST(DailyRevisionBudget, CountsPerListingAndResetsAtUtcMidnight) {
  common::ManualClock clock(86'400'000LL * 20000 + 3'600'000);  // 01:00 UTC
  DailyRevisionBudget b(clock, 3);
  EXPECT_TRUE(b.tryUse("A"));
  EXPECT_TRUE(b.tryUse("A"));
  EXPECT_TRUE(b.tryUse("A"));
  EXPECT_FALSE(b.tryUse("A"));
  EXPECT_TRUE(b.tryUse("B"));
  b.markExhausted("B");
  EXPECT_FALSE(b.tryUse("B"));
  EXPECT_EQ(b.msUntilReset(), 23 * 3'600'000);
  clock.advanceMs(23 * 3'600'000);
  EXPECT_TRUE(b.tryUse("A"));
  EXPECT_EQ(b.used("A"), 1);
}

TEST(RateHeaders, ParseWhatTheChannelsSend) {
  double r = 0;
  EXPECT_TRUE(parseRateHeader("5.0", &r));
  EXPECT_EQ(r, 5.0);
  EXPECT_TRUE(parseRateHeader("0.0167", &r));
  EXPECT_NEAR(r, 0.0167, 1e-12);
  for (const char* bad : {"", "abc", "-1", "0", "5/s", "inf", "nan"}) EXPECT_FALSE(parseRateHeader(bad, &r)) << bad;
  EXPECT_EQ(parseRetryAfterMs("3"), 3000);
  EXPECT_EQ(parseRetryAfterMs(""), 0);
  EXPECT_EQ(parseRetryAfterMs("Wed, 21 Oct 2015 07:28:00 GMT"), 0);
}

}  // namespace
}  // namespace sw::coordinator::channels
