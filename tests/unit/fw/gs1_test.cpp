// GS1 rules: check digits, element strings, Digital Link, associations, dates, variable measure.

#include <gtest/gtest.h>

#include <set>

#include "sw/fw/gs1.h"
#include "sw/fw/rcn.h"
#include "sw/fw/scan.h"

namespace sw::fw {
namespace {

Gs1Options year2025() {
  Gs1Options o;
  o.current_year = 2025;
  return o;
}

std::string gs() { return std::string(1, kGs); }

TEST(Gs1CheckDigit, KnownKeys) {
  EXPECT_TRUE(gs1CheckDigitValid("1234567890128"));
  EXPECT_TRUE(gs1CheckDigitValid("12345678901231"));
  EXPECT_TRUE(gs1CheckDigitValid("123456789012345675"));
  EXPECT_TRUE(gs1CheckDigitValid("24012345678905"));
  EXPECT_TRUE(gs1CheckDigitValid("2112233789657"));
  EXPECT_TRUE(gs1CheckDigitValid("416000336108"));
  EXPECT_TRUE(gs1CheckDigitValid("02345680"));
  EXPECT_FALSE(gs1CheckDigitValid("24012345678909"));
  EXPECT_FALSE(gs1CheckDigitValid("2112233789658"));
  EXPECT_FALSE(gs1CheckDigitValid("416000336107"));
  EXPECT_FALSE(gs1CheckDigitValid("02345689"));
  EXPECT_FALSE(gs1CheckDigitValid("12345A"));
  EXPECT_EQ(gs1CheckDigit("2401234567890"), '5');
}

TEST(Gs1Dictionary, TableComesFromTheDictionary) {
  auto table = gs1AiTable();
  EXPECT_GT(table.size(), 400u);  // ranges such as 3100-3105 and 91-99 expanded
  const AiSpec* a01 = findAi("01");
  ASSERT_NE(a01, nullptr);
  EXPECT_TRUE(a01->predefined_length);
  EXPECT_EQ(a01->maxLength(), 14u);
  EXPECT_STREQ(a01->components[0].linters, "csum,gcppos2");
  const AiSpec* a3103 = findAi("3103");
  ASSERT_NE(a3103, nullptr);
  EXPECT_STREQ(a3103->req, "01,02");
  EXPECT_STREQ(a3103->ex, "310n");
  EXPECT_EQ(findAi("3106"), nullptr);
  EXPECT_EQ(findAi("23"), nullptr);
  ASSERT_NE(findAi("99"), nullptr);
  EXPECT_FALSE(findAi("8003")->predefined_length);
}

TEST(Gs1Dictionary, EveryLinterIsImplementedOrReported) {
  std::set<std::string> missing;
  for (const AiSpec& s : gs1AiTable()) {
    for (uint8_t i = 0; i < s.component_count; ++i) {
      std::string l = s.components[i].linters;
      size_t start = 0;
      while (start < l.size()) {
        size_t end = l.find(',', start);
        if (end == std::string::npos) end = l.size();
        std::string name = l.substr(start, end - start);
        if (!isLinterImplemented(name)) missing.insert(name);
        start = end + 1;
      }
    }
  }
  std::set<std::string> reported(unimplementedLinters().begin(), unimplementedLinters().end());
  EXPECT_EQ(missing, reported);
}

struct Vector {
  std::string data;
  std::string error;  // empty = valid
};

class ElementStrings : public ::testing::TestWithParam<Vector> {};

TEST_P(ElementStrings, ParseOrReject) {
  const Vector& v = GetParam();
  auto r = parseElementString(v.data, year2025());
  if (v.error.empty()) {
    EXPECT_TRUE(r.ok()) << r.error().toString();
  } else {
    ASSERT_FALSE(r.ok()) << "accepted: " << v.data;
    EXPECT_EQ(r.error().code, v.error) << r.error().message;
    EXPECT_FALSE(r.error().message.empty());
  }
}

INSTANTIATE_TEST_SUITE_P(
    Vectors, ElementStrings,
    ::testing::Values(
        Vector{"010950110153000317250101", ""},
        Vector{"0109501101530003" + gs() + "10ABC" + gs() + "17250100", ""},  // 17 allows DD=00
        Vector{"01095011015300031725010110ABC123", ""},                       // fixed AIs need no GS
        Vector{"0109501101530003" + gs() + "17250101" + gs(), ""},            // GS after predefined, trailing GS
        Vector{"011231231231233310ABC123" + gs() + "99TESTING", ""},
        Vector{"00006141411234567890", ""},
        Vector{"0109501101530003" + gs() + "3922299" + gs() + "3103000195", ""},
        Vector{"01095011015300033103000195" + gs() + "3922299", ""},
        Vector{"0109501101530003" + gs() + "3932978299" + gs() + "3103000195", ""},
        Vector{"4142112345678900", ""},                                   // GLN
        Vector{"0109501101530003" + gs() + "422276", ""},
        Vector{"0109501101530003" + gs() + "7003250131" "2359", ""},
        Vector{"010950110153000421ABC", "bad_check_digit"},
        Vector{"00006141411234567891", "bad_check_digit"},
        Vector{"4142112345678901", "bad_check_digit"},
        Vector{"0109501101530003" + gs() + "2312", "unknown_ai"},
        Vector{"0109501101530003" + gs() + "XY", "unknown_ai"},
        Vector{"01095011015300", "bad_length"},
        Vector{"0109501101530003" + gs() + "10" + std::string(21, 'A'), "bad_length"},
        Vector{"0109501101530003" + gs() + "10ABC1234567890123456789012", "bad_length"},
        Vector{"0109501101530003" "4222762110ABC", "missing_separator"},
        Vector{"0109501101530003" + gs() + "10ABCDEFGHIJKLMNOPQRS17250101", "missing_separator"},
        Vector{"0109501101530003" + gs() + gs() + "10ABC", "bad_separator"},
        Vector{"010950110153000317251301", "bad_date"},                     // month 13
        Vector{"010950110153000317250230", "bad_date"},                     // 30 February
        Vector{"010950110153000317240229", ""},                             // leap year 2024
        Vector{"010950110153000317230229", "bad_date"},
        Vector{"0109501101530003" + gs() + "4326250100", "bad_date"},       // DD=00 not allowed for 4326
        Vector{"0109501101530003" + gs() + "7006250100", "bad_date"},
        Vector{"0109501101530003" + gs() + "10AB C", "bad_character"},
        Vector{"0109501101530003" + gs() + "3922ABC" + gs() + "3103000195", "bad_character"},
        Vector{"0109501101530003" + gs() + "422999", "bad_country"},
        Vector{"0109501101530003" + gs() + "3932000299" + gs() + "3103000195", "bad_currency"},
        Vector{"10ABC", "missing_required_ai"},                              // lot needs a GTIN
        Vector{"0109501101530003" + gs() + "3922299", "missing_required_ai"},  // price needs a measure
        Vector{"01095011015300030209501101530003", "invalid_ai_pair"},
        Vector{"010950110153000331030001953102000020", "invalid_ai_pair"},  // two 310n
        Vector{"0109501101530003" + gs() + "21A" + gs() + "235X", "invalid_ai_pair"},
        Vector{"010950110153000301095011015300040", "bad_check_digit"},
        Vector{"0109501101530003" "0109501101530010", "conflicting_ai"},
        Vector{"", "no_data"}));

TEST(Gs1Dates, CenturyRule) {
  // current year 2025: 75 is 2075 (d=50 <= ... stays this century), 76 is 1976 (d=51)
  auto ok = parseElementString("010950110153000317760229", year2025());  // 1976 is a leap year
  EXPECT_TRUE(ok.ok()) << ok.error().toString();
  auto bad = parseElementString("010950110153000317750229", year2025());  // 2075 is not
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code, "bad_date");
}

TEST(Gs1Unchecked, UnimplementedLinterIsReportedNotSilentlyPassed) {
  auto r = parseElementString("8110ABC", year2025());
  ASSERT_TRUE(r.ok()) << r.error().toString();
  ASSERT_EQ(r->unchecked.size(), 1u);
  EXPECT_EQ(r->unchecked[0], "8110: couponcode");
}

class DigitalLinks : public ::testing::TestWithParam<Vector> {};

TEST_P(DigitalLinks, ParseOrReject) {
  const Vector& v = GetParam();
  auto r = parseDigitalLink(v.data, year2025());
  if (v.error.empty()) {
    EXPECT_TRUE(r.ok()) << r.error().toString();
  } else {
    ASSERT_FALSE(r.ok()) << "accepted: " << v.data;
    EXPECT_EQ(r.error().code, v.error) << r.error().message;
  }
}

INSTANTIATE_TEST_SUITE_P(
    Vectors, DigitalLinks,
    ::testing::Values(Vector{"https://id.gs1.org/01/09501101530003", ""},
                      Vector{"HTTPS://A/00/006141411234567890", ""},
                      Vector{"http://a/stem/more/01/09501101530003/22/ABC/10/LOT/21/SER", ""},
                      Vector{"https://a/00/faux/00/006141411234567890", ""},
                      Vector{"https://a/01/09501101530003/235/TPX1", ""},
                      Vector{"https://a/01/09501101530003?17=250101&3103=000195&foo=bar", ""},
                      Vector{"https://a/01/09501101530003?99=A%2FB", ""},
                      Vector{"https://a/01/09501101530003?99=A%20B+C", "bad_character"},
                      Vector{"https://a/01/09501101530003#frag", ""},
                      Vector{"https://a/414/2112345678900/254/EXT", ""},
                      Vector{"https://a/01/09501101530004", "bad_check_digit"},
                      Vector{"https://a/01/2112345678900", "bad_length"},  // zero-suppressed GTIN in the path
                      Vector{"HtTp://a/01/09501101530003", "bad_digital_link"},
                      Vector{"ftp://a/01/09501101530003", "bad_digital_link"},
                      Vector{"https://a/", "bad_digital_link"},
                      Vector{"https://a/b/c", "bad_digital_link"},
                      Vector{"https://$a/01/09501101530003", "bad_digital_link"},
                      Vector{"https://a/01/09501101530003/21/X/10/L", "bad_digital_link"},  // qualifier order
                      Vector{"https://a/01/09501101530003/22/A/235/B", "bad_digital_link"},  // mixed alternatives
                      Vector{"https://a/01/09501101530003?10=LOT", "bad_digital_link"},      // belongs in the path
                      Vector{"https://a/01/09501101530003?17=250101&17=250101", "conflicting_ai"},
                      Vector{"https://a/01/09501101530003?9876=X", "unknown_ai"},
                      Vector{"https://a/01/09501101530003?17=251301", "bad_date"},
                      Vector{"https://a/01/09501101530003?21=", "bad_digital_link"},
                      Vector{"https://a/01/09501101530003?8111=1234", "missing_required_ai"},
                      Vector{"https://a/01/09501101530003 x", "bad_digital_link"}));

TEST(DigitalLink, AisInPathThenQueryOrder) {
  auto r = parseDigitalLink("https://id.gs1.org/01/09501101530003/10/AB%2FC?3103=000195&17=201225", year2025());
  ASSERT_TRUE(r.ok()) << r.error().toString();
  std::vector<AiValue> want = {{"01", "09501101530003"}, {"10", "AB/C"}, {"3103", "000195"}, {"17", "201225"}};
  EXPECT_EQ(r->ais, want);
  // A GTIN-13 as a query attribute is padded to 14 digits.
  auto padded = parseDigitalLink("https://a/00/006141411234567890?01=9501101530003", year2025());
  ASSERT_TRUE(padded.ok()) << padded.error().toString();
  EXPECT_EQ(padded->ais[1].value, "09501101530003");
}

TEST(VariableMeasure, ValueCheckDigits) {
  EXPECT_EQ(valueCheckDigit4("2875"), '9');
  EXPECT_EQ(valueCheckDigit5("14685"), '6');
  EXPECT_EQ(valueCheckDigit4("12a4"), '\0');
}

TEST(VariableMeasure, CountryLayouts) {
  // Sweden: 23 = weight with 3 decimals, PPPPPPPPVVVV.
  std::string se = "234567801250";
  se += gs1CheckDigit(se);
  auto r = decodeVariableMeasure(se, rcnLayoutsForCountry("SE"));
  ASSERT_TRUE(r.ok());
  ASSERT_TRUE(r->has_value());
  EXPECT_EQ((*r)->kind, MeasureKind::kWeightKg);
  EXPECT_EQ((*r)->valueText(), "1.250");
  EXPECT_EQ((*r)->item_code.substr(0, 12), "234567800000");
  // Germany: 22 = price, PPPPPPCVVVVV with a 5-digit value check digit.
  std::string de = std::string("221234") + valueCheckDigit5("01299") + "01299";
  de += gs1CheckDigit(de);
  auto d = decodeVariableMeasure(de, rcnLayoutsForCountry("DE"));
  ASSERT_TRUE(d.ok()) << d.error().toString();
  EXPECT_EQ((*d)->kind, MeasureKind::kPrice);
  EXPECT_EQ((*d)->valueText(), "12.99");
  // Wrong value check digit.
  std::string bad = std::string("221234") + static_cast<char>('0' + (valueCheckDigit5("01299") - '0' + 1) % 10) + "01299";
  bad += gs1CheckDigit(bad);
  auto b = decodeVariableMeasure(bad, rcnLayoutsForCountry("DE"));
  ASSERT_FALSE(b.ok());
  EXPECT_EQ(b.error().code, "bad_check_digit");
  // UK: 20 = price, PPPPPPPCVVVV with a 4-digit value check digit.
  std::string gb = std::string("2012345") + valueCheckDigit4("0350") + "0350";
  gb += gs1CheckDigit(gb);
  auto g = decodeVariableMeasure(gb, rcnLayoutsForCountry("GB"));
  ASSERT_TRUE(g.ok()) << g.error().toString();
  EXPECT_EQ((*g)->valueText(), "3.50");
  // A prefix without a layout is not variable measure.
  auto none = decodeVariableMeasure("4006381333931", rcnLayoutsForCountry("SE"));
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->has_value());
  EXPECT_TRUE(rcnLayoutsForCountry("XX").empty());
}

}  // namespace
}  // namespace sw::fw
