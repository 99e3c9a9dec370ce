// GTIN checks and the effective-price rule shared by the coordinator and the agents.

#include <gtest/gtest.h>

#include "sw/common/gtin.h"
#include "sw/common/pricing.h"

using namespace sw;
using common::Decimal;
using common::PriceEntry;

namespace {
PriceEntry entry(const char* origin, const char* promo, const char* price, int64_t starts = 0, int64_t ends = 0) {
  return {origin, promo, *Decimal::parse(price), "EUR", starts, ends};
}
}  // namespace

TEST(Gtin, NormalisesValidCodesToGtin14) {
  EXPECT_EQ(*common::normalizeGtin("4006381333931"), "04006381333931");
  EXPECT_EQ(*common::normalizeGtin("96385074"), "00000096385074");
  EXPECT_EQ(*common::normalizeGtin("036000291452"), "00036000291452");
  EXPECT_EQ(common::normalizeGtin("4006381333932").error().code, "bad_check_digit");
  EXPECT_EQ(common::normalizeGtin("400638133393").error().code, "bad_check_digit");
  EXPECT_EQ(common::normalizeGtin("12345").error().code, "bad_gtin");
  EXPECT_EQ(common::normalizeGtin("SKU-1").error().code, "bad_gtin");
}

TEST(Pricing, IsoUtcTimes) {
  EXPECT_EQ(*common::parseIsoUtcMs("1970-01-01T00:00:00Z"), 0);
  EXPECT_EQ(*common::parseIsoUtcMs("2024-02-29T12:00:00.250Z"), 1'709'208'000'250);
  EXPECT_EQ(common::formatIsoUtcMs(1'709'208'000'250), "2024-02-29T12:00:00.250Z");
  for (const char* bad : {"2023-02-29T00:00:00Z", "2026-13-01T00:00:00Z", "2026-01-01T24:00:00Z",
                          "2026-01-01 00:00:00Z", "2026-01-01T00:00:00", "2026-01-01T00:00:00+02:00",
                          "2026-01-01T00:00:00.Z", "2026-01-01", "yesterday"}) {
    EXPECT_FALSE(common::parseIsoUtcMs(bad).ok()) << bad;
  }
}

TEST(Pricing, LocationBaseBeatsListBaseAndPromotionsApplyOnlyInTheirWindow) {
  std::vector<PriceEntry> e = {entry("price_list", "", "5.00"), entry("location", "", "4.50"),
                               entry("price_list", "week", "3.00", 1000, 2000)};
  auto before = common::resolvePrice(e, 999);
  ASSERT_TRUE(before.current);
  EXPECT_EQ(before.current->price.toString(), "4.50");
  EXPECT_EQ(before.current->origin, "location");
  ASSERT_EQ(before.scheduled.size(), 1u);
  auto during = common::resolvePrice(e, 1000);
  EXPECT_EQ(during.current->promotion, "week");
  EXPECT_EQ(during.current->price.toString(), "3.00");
  EXPECT_EQ(during.base->price.toString(), "4.50");
  auto after = common::resolvePrice(e, 2000);  // ends_at is exclusive
  EXPECT_EQ(after.current->price.toString(), "4.50");
  EXPECT_TRUE(after.scheduled.empty());
}

TEST(Pricing, OverlappingPromotionsTakeTheLowestAndNoBaseMeansNoPriceOutsideThem) {
  std::vector<PriceEntry> e = {entry("price_list", "a", "3.00", 0, 100), entry("location", "b", "2.00", 50, 150)};
  EXPECT_EQ(common::resolvePrice(e, 10).current->promotion, "a");
  EXPECT_EQ(common::resolvePrice(e, 60).current->promotion, "b");
  EXPECT_EQ(common::resolvePrice(e, 60).active.size(), 2u);
  EXPECT_FALSE(common::resolvePrice(e, 200).current.has_value());
}
