#include <gtest/gtest.h>

#include "sw/common/rtt.h"

using sw::common::RttEstimator;

// RFC 6298: the first sample sets SRTT and RTTVAR = R/2; later ones move them by 1/8 and 1/4; the
// timeout is SRTT + max(100 ms, 4 RTTVAR), within the bounds given.
TEST(RttEstimator, FollowsRfc6298AndStaysWithinItsBounds) {
  RttEstimator e;
  EXPECT_EQ(e.observe(200, 50, 10'000), 600);  // 200 + 4 * 100
  EXPECT_DOUBLE_EQ(e.srtt_ms, 200);
  EXPECT_DOUBLE_EQ(e.rttvar_ms, 100);
  EXPECT_EQ(e.observe(100, 50, 10'000), 587);  // SRTT 187.5, RTTVAR 100
  EXPECT_DOUBLE_EQ(e.srtt_ms, 187.5);
  EXPECT_DOUBLE_EQ(e.rttvar_ms, 100);
  EXPECT_EQ(e.observe(100, 50, 300), 300) << "never past the upper bound";
  RttEstimator quick;
  EXPECT_EQ(quick.observe(2, 1000, 10'000), 1000) << "never under the lower bound";
  EXPECT_EQ(RttEstimator().observe(4, 1, 10'000), 104) << "at least 100 ms over SRTT";
}
