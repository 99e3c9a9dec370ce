// Channel price rules (markup, .99 rounding, floor), the channel price from catalog entries at a
// given time (promotion windows, exclusive end) and the next time a price changes.
#include "sw/coordinator/channels/price_rules.h"

#include <gtest/gtest.h>

namespace sw::coordinator::channels {
namespace {

using common::Decimal;
using common::PriceEntry;
using nlohmann::json;

Decimal d(const char* s) { return *Decimal::parse(s); }

PriceRules rules(const json& j) {
  auto r = parsePriceRules(j);
  EXPECT_TRUE(r) << r.error().toString();
  return r ? *r : PriceRules{};
}

TEST(PriceRules, NoRulesKeepsThePriceToTheCent) {
  EXPECT_EQ(applyPriceRules(PriceRules{}, d("12.50")), d("12.50"));
  EXPECT_EQ(applyPriceRules(PriceRules{}, d("12.505")), d("12.51"));
  EXPECT_EQ(applyPriceRules(PriceRules{}, d("12.5049")), d("12.50"));
}

TEST(PriceRules, MarkupRoundsHalfUpToTheCent) {
  EXPECT_EQ(applyPriceRules(rules({{"markup_pct", 15}}), d("10.00")), d("11.50"));
  EXPECT_EQ(applyPriceRules(rules({{"markup_pct", "12.5"}}), d("9.99")), d("11.24"));  // 11.23875
  EXPECT_EQ(applyPriceRules(rules({{"markup_pct", "-10"}}), d("20.00")), d("18.00"));
}

TEST(PriceRules, RoundTo99TakesTheNearest) {
  PriceRules r = rules({{"round_to_99", true}});
  EXPECT_EQ(applyPriceRules(r, d("10.20")), d("9.99"));
  EXPECT_EQ(applyPriceRules(r, d("10.60")), d("10.99"));
  EXPECT_EQ(applyPriceRules(r, d("11.00")), d("10.99"));
  EXPECT_EQ(applyPriceRules(r, d("10.99")), d("10.99"));
  EXPECT_EQ(applyPriceRules(r, d("10.49")), d("10.99"));  // tie (0.50 either way) goes up
  EXPECT_EQ(applyPriceRules(r, d("0.10")), d("0.99"));
}

TEST(PriceRules, OrderIsMarkupThenRoundingThenFloor) {
  PriceRules r = rules({{"markup_pct", 20}, {"round_to_99", true}, {"floor", "5.00"}});
  EXPECT_EQ(applyPriceRules(r, d("10.00")), d("11.99"));  // 12.00 -> 11.99
  EXPECT_EQ(applyPriceRules(r, d("3.00")), d("5.00"));    // 3.60 -> 3.99 -> floor 5.00
}

TEST(PriceRules, ConfigErrorsAreRefused) {
  for (const json& bad : {json{{"markup_pct", 1.5}}, json{{"markup_pct", "-100"}}, json{{"markup_pct", "abc"}},
                          json{{"floor", 4.99}}, json{{"floor", "-1"}}, json{{"round_to_99", "yes"}},
                          json{{"price_location", ""}}, json{{"markup", 5}}, json("on"), json(3)}) {
    auto r = parsePriceRules(bad);
    ASSERT_FALSE(r) << bad.dump();
    EXPECT_EQ(r.error().code, "bad_config") << bad.dump();
  }
  auto off = parsePriceRules(false);
  ASSERT_TRUE(off);
  EXPECT_FALSE(off->enabled);
}

std::vector<PriceEntry> entries() {
  PriceEntry base{"price_list", "", d("10.00"), "USD", 0, 0};
  PriceEntry promo{"price_list", "BF", d("7.00"), "USD", 1'000, 2'000};
  return {base, promo};
}

TEST(ChannelPrice, PromotionIsASaleOnlyInsideItsWindow) {
  PriceRules r = rules({{"markup_pct", 10}});
  auto before = channelPrice("A", entries(), 999, r);
  ASSERT_TRUE(before);
  EXPECT_EQ(before->regular, d("11.00"));
  EXPECT_FALSE(before->sale);

  auto during = channelPrice("A", entries(), 1'000, r);
  ASSERT_TRUE(during);
  EXPECT_EQ(during->regular, d("11.00"));
  ASSERT_TRUE(during->sale);
  EXPECT_EQ(*during->sale, d("7.70"));
  EXPECT_EQ(during->promotion, "BF");
  EXPECT_EQ(during->sale_starts_ms, 1'000);
  EXPECT_EQ(during->sale_ends_ms, 2'000);
  EXPECT_EQ(during->current(), d("7.70"));

  auto after = channelPrice("A", entries(), 2'000, r);  // ends_at is exclusive
  ASSERT_TRUE(after);
  EXPECT_FALSE(after->sale);
  EXPECT_EQ(*before, *after);
}

TEST(ChannelPrice, APromotionTheRulesLiftToTheBaseIsNoSale) {
  PriceRules r = rules({{"floor", "9.00"}});
  auto p = channelPrice("A", entries(), 1'500, r);  // 7.00 -> floor 9.00, below 10.00: still a sale
  ASSERT_TRUE(p);
  ASSERT_TRUE(p->sale);
  EXPECT_EQ(*p->sale, d("9.00"));
  PriceRules high = rules({{"floor", "12.00"}});
  auto q = channelPrice("A", entries(), 1'500, high);  // both come out at 12.00
  ASSERT_TRUE(q);
  EXPECT_FALSE(q->sale);
  EXPECT_EQ(q->regular, d("12.00"));
}

TEST(ChannelPrice, NothingToSendWithoutAPrice) {
  EXPECT_FALSE(channelPrice("A", {}, 0, PriceRules{}));
  std::vector<PriceEntry> only_promo = {entries()[1]};
  EXPECT_FALSE(channelPrice("A", only_promo, 500, PriceRules{}));
  auto p = channelPrice("A", only_promo, 1'500, PriceRules{});
  ASSERT_TRUE(p);
  EXPECT_EQ(p->regular, d("7.00"));
  EXPECT_FALSE(p->sale);
}

TEST(ChannelPrice, NextChangeIsTheNextStartOrEnd) {
  EXPECT_EQ(nextPriceChangeMs(entries(), 0), 1'000);
  EXPECT_EQ(nextPriceChangeMs(entries(), 1'000), 2'000);
  EXPECT_EQ(nextPriceChangeMs(entries(), 1'999), 2'000);
  EXPECT_FALSE(nextPriceChangeMs(entries(), 2'000));
  EXPECT_FALSE(nextPriceChangeMs({entries()[0]}, 0));
}

}  // namespace
}  // namespace sw::coordinator::channels
