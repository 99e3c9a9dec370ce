#include <gtest/gtest.h>

#include "sw/common/mqtt.h"
#include "sw/common/topics.h"

using namespace sw::common;

TEST(Reconnect, DelayGrowsIsCappedAndJittered) {
  EXPECT_EQ(reconnectDelayMs(0, 250, 15000, 1.0), 250);
  EXPECT_EQ(reconnectDelayMs(3, 250, 15000, 1.0), 2000);
  EXPECT_EQ(reconnectDelayMs(20, 250, 15000, 1.0), 15000);
  // Full jitter spreads a fleet across the whole window (but never below min/2).
  EXPECT_EQ(reconnectDelayMs(20, 250, 15000, 0.0), 125);
  EXPECT_EQ(reconnectDelayMs(20, 250, 15000, 0.5), 7500);
}

TEST(Topics, BuildAndParse) {
  EXPECT_EQ(topics::events("till-1"), "sw/v1/dev/till-1/events");
  auto t = topics::parseDeviceTopic("sw/v1/dev/till-1/down/prices");
  ASSERT_TRUE(t.has_value());
  EXPECT_EQ(t->device, "till-1");
  EXPECT_EQ(t->leaf, "down/prices");
  EXPECT_FALSE(topics::parseDeviceTopic("sw/v1/dev/till-1").has_value());
  EXPECT_FALSE(topics::parseDeviceTopic("other/v1/dev/a/events").has_value());
  EXPECT_FALSE(topics::parseDeviceTopic("sw/v1/dev//events").has_value());
}

TEST(Topics, FilterMatching) {
  EXPECT_TRUE(topicMatches("sw/v1/dev/+/events", "sw/v1/dev/till-1/events"));
  EXPECT_FALSE(topicMatches("sw/v1/dev/+/events", "sw/v1/dev/till-1/state"));
  EXPECT_FALSE(topicMatches("sw/v1/dev/+/events", "sw/v1/dev/a/b/events"));
  EXPECT_TRUE(topicMatches("$share/coord/sw/v1/dev/+/events", "sw/v1/dev/x/events"));
  EXPECT_TRUE(topicMatches("sw/v1/dev/till-1/down/#", "sw/v1/dev/till-1/down/catalog"));
  EXPECT_TRUE(topicMatches("sw/v1/dev/till-1/down/#", "sw/v1/dev/till-1/down"));
  EXPECT_FALSE(topicMatches("sw/v1/dev/till-1/down/#", "sw/v1/dev/till-2/down/catalog"));
  EXPECT_TRUE(topicMatches("#", "anything/at/all"));
  EXPECT_TRUE(topicMatches("sw/v1/coord/state", "sw/v1/coord/state"));
  EXPECT_FALSE(topicMatches("sw/v1/coord/state", "sw/v1/coord/state/x"));
  EXPECT_FALSE(topicMatches("sw/v1/coord/state/x", "sw/v1/coord/state"));
  EXPECT_TRUE(topicMatches("+/+", "a/b"));
  EXPECT_FALSE(topicMatches("+", "a/b"));
}
