#include <gtest/gtest.h>

#include "sw/common/decimal.h"

using sw::common::Decimal;

TEST(Decimal, ParsesAndPrintsExactly) {
  EXPECT_EQ(Decimal::parse("9.99")->scaled(), 99'900);
  EXPECT_EQ(Decimal::parse("10")->toString(), "10.00");
  EXPECT_EQ(Decimal::parse("0.125")->toString(), "0.125");
  EXPECT_EQ(Decimal::parse("-3.5")->toString(), "-3.50");
  EXPECT_EQ(Decimal::parse("0.0001")->scaled(), 1);
  EXPECT_EQ(Decimal::parse("123456789.1234")->toString(), "123456789.1234");
}

TEST(Decimal, RejectsWhatIsNotAPlainDecimal) {
  for (const char* bad : {"", "-", ".5", "1.", "1e3", "1,5", " 1", "1 ", "0.12345", "abc", "1.2.3", "+1",
                          "99999999999999999999"}) {
    auto d = Decimal::parse(bad);
    EXPECT_FALSE(d.ok()) << "accepted '" << bad << "'";
    if (!d.ok()) {
      EXPECT_EQ(d.error().code, "bad_decimal");
    }
  }
}
