// The one CSV reader (common/csv.h): RFC 4180 quoting, line numbers, and a bad row that does not
// take the rows after it down.

#include <gtest/gtest.h>

#include "sw/common/csv.h"

using namespace sw;

TEST(Csv, QuotedCommasQuotesAndLineBreaksStayInTheirField) {
  auto rows = common::readCsvRows("a,b,c\r\n\"x,1\",\"say \"\"hi\"\"\",\"two\nlines\"\n\nlast,,\n");
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[0].fields, (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_EQ(rows[1].fields, (std::vector<std::string>{"x,1", "say \"hi\"", "two\nlines"}));
  EXPECT_EQ(rows[1].line, 2u);
  // The quoted line break moved the next row's line on; the blank line is skipped.
  EXPECT_EQ(rows[2].line, 5u);
  EXPECT_EQ(rows[2].fields, (std::vector<std::string>{"last", "", ""}));
}

TEST(Csv, ABadRowIsReportedAndTheNextRowsAreRead) {
  auto rows = common::readCsvRows("ok,1\nst\"ore,2\n\"closed\"junk,3\nfine,4\n\"open,5\n");
  ASSERT_EQ(rows.size(), 5u);
  EXPECT_FALSE(rows[0].error);
  ASSERT_TRUE(rows[1].error);
  EXPECT_EQ(rows[1].error->code, "bad_quote");
  EXPECT_EQ(rows[1].error->line, 2u);
  ASSERT_TRUE(rows[2].error);
  EXPECT_EQ(rows[2].error->code, "bad_quote");
  EXPECT_FALSE(rows[3].error);
  EXPECT_EQ(rows[3].fields, (std::vector<std::string>{"fine", "4"}));
  ASSERT_TRUE(rows[4].error);
  EXPECT_EQ(rows[4].error->code, "unterminated_quote");
}

TEST(Csv, ARowLongerThanTheLimitIsRefusedWithoutBeingKept) {
  std::string text = "a," + std::string(100, 'x') + "\nb,1\n";
  auto rows = common::readCsvRows(text, 50);
  ASSERT_EQ(rows.size(), 2u);
  ASSERT_TRUE(rows[0].error);
  EXPECT_EQ(rows[0].error->code, "row_too_long");
  EXPECT_EQ(rows[1].fields, (std::vector<std::string>{"b", "1"}));
}
