// The one reader of downlink delta cursors (stock views, catalog, prices, tasks).
#include <gtest/gtest.h>

#include "sw/common/downlink.h"

using namespace sw::common;

TEST(DeltaCursor, ReadsWhatDeltaCursorWrites) {
  auto c = parseDeltaCursor(deltaCursor(42, "SKU:with:colons"), true);
  ASSERT_TRUE(c.ok());
  ASSERT_TRUE(c->has_value());
  EXPECT_EQ((*c)->version, 42);
  EXPECT_EQ((*c)->key, "SKU:with:colons");
  auto t = parseDeltaCursor(deltaCursor(7), false);
  ASSERT_TRUE(t.ok() && t->has_value());
  EXPECT_EQ((*t)->version, 7);
  EXPECT_EQ((*t)->key, "");
  auto empty_key = parseDeltaCursor("d:3:", true);
  ASSERT_TRUE(empty_key.ok() && empty_key->has_value());
  EXPECT_EQ((*empty_key)->key, "");
}

TEST(DeltaCursor, EmptyMeansFromTheVersionTheDeviceHas) {
  auto c = parseDeltaCursor("", true);
  ASSERT_TRUE(c.ok());
  EXPECT_FALSE(c->has_value());
}

TEST(DeltaCursor, AnythingElseIsABadCursor) {
  for (const char* bad : {"s:SKU", "d:", "d:12", "d:x:SKU", "d:1x:SKU", "d: 1:SKU", "D:1:SKU", "d:99999999999999999999:S"}) {
    auto c = parseDeltaCursor(bad, true);
    ASSERT_FALSE(c.ok()) << bad;
    EXPECT_EQ(c.error().code, "bad_cursor") << bad;
  }
  for (const char* bad : {"d:1:SKU", "d:", "d:+1", "x:1", "d:1 "}) {
    auto c = parseDeltaCursor(bad, false);
    ASSERT_FALSE(c.ok()) << bad;
    EXPECT_EQ(c.error().code, "bad_cursor") << bad;
  }
}
