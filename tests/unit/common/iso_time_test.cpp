// The one ISO 8601 reader (common/iso_time.h) under both policies.

#include <gtest/gtest.h>

#include "sw/common/iso_time.h"

using namespace sw;
using common::IsoPolicy;

TEST(IsoTime, ChannelTimesWithOffsetsSpacesAndNoZoneAreUtcMilliseconds) {
  const int64_t t = *common::parseIsoMs("2026-03-01T10:00:00Z", IsoPolicy::kChannel);
  EXPECT_EQ(*common::parseIsoMs("2026-03-01T12:00:00+02:00", IsoPolicy::kChannel), t);
  EXPECT_EQ(*common::parseIsoMs("2026-03-01T12:00:00+0200", IsoPolicy::kChannel), t);
  EXPECT_EQ(*common::parseIsoMs("2026-03-01T05:30:00-04:30", IsoPolicy::kChannel), t);
  EXPECT_EQ(*common::parseIsoMs("2026-03-01 10:00:00", IsoPolicy::kChannel), t);  // WooCommerce *_gmt
  EXPECT_EQ(*common::parseIsoMs("2026-03-01T10:00:00.1234567Z", IsoPolicy::kChannel), t + 123);
  EXPECT_EQ(*common::parseIsoMs("2026-02-28T23:59:60Z", IsoPolicy::kChannel),
            *common::parseIsoMs("2026-03-01T00:00:00Z", IsoPolicy::kChannel));  // a leap second
  EXPECT_EQ(common::formatIsoMs(t + 5), "2026-03-01T10:00:00.005Z");
  for (const char* bad : {"2026-02-30T10:00:00Z", "2026-13-01T10:00:00Z", "2026-03-01T10:00:00+2:00",
                          "2026-03-01T10:00:00+02:0", "2026-03-01T10:00:00 UTC", "2026-03-01T10:00", "",
                          "2026-03-01T10:00:00.Z", "2026-03-01T10:00:00+25:00"}) {
    auto r = common::parseIsoMs(bad, IsoPolicy::kChannel);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.error().code, "bad_date");
  }
}

TEST(IsoTime, TheUtcPolicyTakesOnlyUtc) {
  EXPECT_TRUE(common::parseIsoMs("2026-03-01T10:00:00+00:00", IsoPolicy::kUtc).ok());
  for (const char* bad : {"2026-03-01T12:00:00+02:00", "2026-03-01 10:00:00Z", "2026-03-01T10:00:00",
                          "2026-02-28T23:59:60Z"}) {
    EXPECT_FALSE(common::parseIsoMs(bad, IsoPolicy::kUtc).ok()) << bad;
  }
}
