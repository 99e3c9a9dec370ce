// Revenue in one place (orders/revenue.h), the sales report (sales_report.h) and the accounting
// export (journal.h) on real SQLite and a private PostgreSQL: a day of till sales and a return at
// two stores, Shopify and Amazon orders picked at a warehouse, a Shopify refund, fee and payout,
// then the report and both journals checked against figures worked out by hand (in the comments).
// And every parser of the routes' query parameters with bad input.

#include <gtest/gtest.h>

#include "sw/common/postgres.h"
#include "sw/coordinator/orders/journal.h"
#include "sw/coordinator/orders/revenue.h"
#include "sw/coordinator/orders/revenue_sources.h"
#include "sw/coordinator/orders/sales_report.h"
#include "schema_upgrade.h"
#include "sql_stores.h"
#include "test_support.h"

namespace sw::coordinator {
namespace {

using common::Decimal;

Decimal dec(const char* text) { return *Decimal::parse(text); }

int64_t dayOf(const char* day) { return *parseReportDay(day, "day"); }
int64_t at(const char* day, int hour) { return dayOf(day) * kDayMs + hour * 3'600'000LL; }

RevenueLine line(std::string source, RevenueKind kind, std::string channel, std::string location, std::string sku,
                 int64_t at_ms, int64_t units, const char* gross, const char* discount, const char* tax,
                 std::string currency = "USD") {
  return {std::move(source), kind, std::move(channel), std::move(location), std::move(sku), "ref", at_ms, units,
          dec(gross), dec(discount), dec(tax), std::move(currency)};
}

// The day, 2026-12-07 (a Monday), and one sale the next day.
std::vector<RevenueLine> aDay() {
  const char* d = "2026-12-07";
  return {
      // store-1's till: SKU-A 2 x 10.00 (tax 8%), SKU-B 1 x 5.50 less 0.50, SKU-A 1 x 10.00; SKU-A 1 back.
      line("till:e1:1", RevenueKind::kSale, "pos", "store-1", "SKU-A", at(d, 9), 2, "20.00", "0", "1.60"),
      line("till:e1:2", RevenueKind::kSale, "pos", "store-1", "SKU-B", at(d, 9), 1, "5.50", "0.50", "0.40"),
      line("till:e2:1", RevenueKind::kSale, "pos", "store-1", "SKU-A", at(d, 11), 1, "10.00", "0", "0.80"),
      line("till:e3:1", RevenueKind::kReturn, "pos", "store-1", "SKU-A", at(d, 15), 1, "10.00", "0", "0.80"),
      // store-2's till: SKU-A 3 x 9.99.
      line("till:e4:1", RevenueKind::kSale, "pos", "store-2", "SKU-A", at(d, 10), 3, "29.97", "0", "2.40"),
      // Shopify order picked at wh-1: SKU-A 2 x 12.00 less 2.00, SKU-B 1 x 6.00; SKU-B refunded.
      line("pick:shopify:1001:t1:1", RevenueKind::kOrder, "shopify", "wh-1", "SKU-A", at(d, 12), 2, "24.00", "2.00",
           "1.76"),
      line("pick:shopify:1001:t1:2", RevenueKind::kOrder, "shopify", "wh-1", "SKU-B", at(d, 12), 1, "6.00", "0",
           "0.48"),
      line("refund:shopify:r1:2", RevenueKind::kRefund, "shopify", "wh-1", "SKU-B", at(d, 16), 1, "6.00", "0", "0.48"),
      line("fee:shopify:1001", RevenueKind::kFee, "shopify", "wh-1", "", at(d, 12), 0, "1.23", "0", "0"),
      line("payout:shopify:p1", RevenueKind::kPayout, "shopify", "wh-1", "", at(d, 18), 0, "20.00", "0", "0"),
      // Amazon order picked at wh-1, in euros: SKU-A 1 x 15.00, tax 19%.
      line("pick:amazon:302-1:t2:1", RevenueKind::kOrder, "amazon", "wh-1", "SKU-A", at(d, 13), 1, "15.00", "0",
           "2.85", "EUR"),
      // The next day, store-1: SKU-A 1 x 10.00.
      line("till:e5:1", RevenueKind::kSale, "pos", "store-1", "SKU-A", at("2026-12-08", 9), 1, "10.00", "0", "0.80"),
  };
}

class RevenueTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    auto b = RevenueBook::open(test::orderBookTarget(GetParam(), dir_), clock_);
    ASSERT_TRUE(b.ok()) << b.error().toString();
    book_ = std::move(*b);
  }
  SalesQuery query(std::map<std::string, std::string> params) {
    auto q = parseSalesQuery(params, dayOf("2026-12-07"));
    EXPECT_TRUE(q.ok()) << q.error().toString();
    return q.ok() ? *q : SalesQuery{};
  }
  SalesReport report(const SalesQuery& q) {
    auto lines = book_->lines(q.fromMs(), q.untilMs());
    EXPECT_TRUE(lines.ok()) << lines.error().toString();
    auto r = buildSalesReport(q, lines.ok() ? *lines : std::vector<RevenueLine>{});
    EXPECT_TRUE(r.ok()) << r.error().toString();
    return r.ok() ? *r : SalesReport{};
  }

  test::TempDir dir_;
  common::ManualClock clock_{at("2026-12-07", 20)};
  std::unique_ptr<RevenueBook> book_;
};

INSTANTIATE_TEST_SUITE_P(Stores, RevenueTest, ::testing::Values("sqlite", "postgresql"),
                         [](const ::testing::TestParamInfo<std::string>& p) { return p.param; });

TEST_P(RevenueTest, EachLineIsKeptOnceWithItsAmountCurrencyAndTaxAsGiven) {
  const auto day = aDay();
  EXPECT_EQ(*book_->record(day), static_cast<int64_t>(day.size()));
  EXPECT_EQ(*book_->record(day), 0);  // the same facts again (a redelivery): nothing new
  auto back = book_->lines(at("2026-12-07", 0), at("2026-12-09", 0));
  ASSERT_TRUE(back.ok()) << back.error().toString();
  ASSERT_EQ(back->size(), day.size());
  std::map<std::string, RevenueLine> by_source;
  for (const RevenueLine& l : *back) by_source[l.source] = l;
  for (const RevenueLine& l : day) EXPECT_EQ(by_source.at(l.source), l) << l.source;
  // Half-open days: the next day's sale is not in the first.
  EXPECT_EQ(book_->lines(at("2026-12-07", 0), at("2026-12-08", 0))->size(), day.size() - 1);
}

TEST_P(RevenueTest, ABadLineRefusesTheWholeCallAndWritesNothing) {
  auto good = line("till:g:1", RevenueKind::kSale, "pos", "store-1", "SKU-A", at("2026-12-07", 9), 1, "1.00", "0", "0");
  std::vector<RevenueLine> bad_ones;
  auto b = good;
  b.source = "";
  bad_ones.push_back(b);
  b = good;
  b.units = -1;
  bad_ones.push_back(b);
  b = good;
  b.gross = dec("-1.00");
  bad_ones.push_back(b);
  b = good;
  b.tax = dec("-0.01");
  bad_ones.push_back(b);
  b = good;
  b.currency = "usd";
  bad_ones.push_back(b);
  b = good;
  b.currency = "US";
  bad_ones.push_back(b);
  b = good;
  b.channel = "";
  bad_ones.push_back(b);
  for (const RevenueLine& bad : bad_ones) {
    auto r = book_->record({good, bad});
    ASSERT_FALSE(r.ok()) << bad.source << " " << bad.currency;
    EXPECT_EQ(r.error().code, "bad_revenue_line");
  }
  EXPECT_TRUE(book_->lines(0, at("2030-01-01", 0))->empty());
}

TEST(RevenueAmounts, UnitPriceTimesUnitsIsExactAndOverflowIsRefused) {
  EXPECT_EQ(lineAmount(dec("9.99"), 3)->toString(), "29.97");
  EXPECT_EQ(lineAmount(dec("0.0001"), 7)->toString(), "0.0007");
  EXPECT_FALSE(lineAmount(Decimal::fromUnits(INT64_MAX / 2), 3).ok());
  EXPECT_EQ(toCents(dec("2.3976")).toString(), "2.40");
  EXPECT_EQ(toCents(dec("2.345")).toString(), "2.35");
  EXPECT_EQ(toCents(dec("-2.345")).toString(), "-2.35");
  EXPECT_EQ(toCents(dec("2.3449")).toString(), "2.34");
}

// An order line's tax and discounts are the whole line's: a pick or refund of some of its units
// takes its share, half up; the whole line takes them exactly (revenue_sources.h).
TEST(RevenueCharges, APartOfALineTakesItsShareOfTheLinesTaxAndDiscount) {
  EXPECT_EQ(shareOf(dec("1.00"), 1, 3).toString(), "0.3333");
  EXPECT_EQ(shareOf(dec("1.00"), 2, 3).toString(), "0.6667");
  EXPECT_EQ(shareOf(dec("1.00"), 3, 3).toString(), "1.00");
  EXPECT_EQ(shareOf(dec("0.0001"), 1, 2).toString(), "0.0001");  // half up
  EXPECT_EQ(shareOf(dec("5.00"), 1, 0).toString(), "0.00");       // no quantity known: none
  EXPECT_EQ(shareOf(Decimal::fromUnits(INT64_MAX), 1, 2).scaled(), INT64_MAX / 2 + 1);  // no overflow

  // As channels::toJson writes them; a charge in another currency, negative or unreadable is 0.
  auto charges = orderLineCharges(nlohmann::json::parse(R"({"line_id":"1","quantity":3,"unit_price":"4.00",
      "currency":"USD","tax":{"amount":"0.90","currency":"USD"},"discount":{"amount":"1.50","currency":"USD"}})"));
  EXPECT_EQ(charges, (LineCharges{dec("0.90"), dec("1.50"), 3}));
  for (const char* bad : {R"({"quantity":3,"currency":"USD","tax":{"amount":"0.90","currency":"EUR"}})",
                          R"({"quantity":3,"currency":"USD","tax":{"amount":"-0.90","currency":"USD"}})",
                          R"({"quantity":3,"currency":"USD","tax":{"amount":0.9,"currency":"USD"}})",
                          R"({"quantity":3,"currency":"USD","tax":"0.90"})", R"([])"}) {
    EXPECT_EQ(orderLineCharges(nlohmann::json::parse(bad)).tax.scaled(), 0) << bad;
  }

  PickTask task;
  task.task_id = "t1";
  task.channel = "shopify";
  task.order_id = "o1";
  task.location = "wh-1";
  task.lines = {{"L1", "A", 3, 1}};
  task.line_prices["L1"] = {dec("4.00"), "USD"};
  task.line_charges["L1"] = {dec("0.90"), dec("1.50"), 3};
  auto part = pickRevenue(task, {{"A", 2}}, 1'000);
  ASSERT_TRUE(part.ok()) << part.error().toString();
  ASSERT_EQ(part->size(), 1u);
  EXPECT_EQ((*part)[0].gross.toString(), "8.00");
  EXPECT_EQ((*part)[0].tax.toString(), "0.60");
  EXPECT_EQ((*part)[0].discount.toString(), "1.00");
  auto refund = refundRevenue({"shopify", "o1", "r1", "L1", "A", "wh-1", 1, common::Money{dec("4.00"), "USD"}, 2'000,
                               {dec("0.90"), dec("1.50"), 3}});
  ASSERT_TRUE(refund.ok()) << refund.error().toString();
  EXPECT_EQ(refund->tax.toString(), "0.30");
  EXPECT_EQ(refund->discount.toString(), "0.50");
}

// By day, channel, location and SKU, worked out line by line from aDay() (see its comments).
TEST_P(RevenueTest, TheDaysReportByChannelStoreAndProductIsWhatWasSoldAndGivenBack) {
  ASSERT_TRUE(book_->record(aDay()).ok());
  const SalesQuery q = query({{"from", "2026-12-07"}, {"to", "2026-12-07"}});
  const std::string csv = salesReportCsv(report(q));
  EXPECT_EQ(csv,
            "period,channel,location,sku,currency,units_sold,units_returned,gross,discounts,refunds,net,tax,fees,"
            "return_rate_pct\r\n"
            "2026-12-07,amazon,wh-1,SKU-A,EUR,1,0,15.00,0.00,0.00,15.00,2.85,0.00,0.00\r\n"
            // 2 + 1 sold, 1 back: 30.00 - 10.00; tax 1.60 + 0.80 - 0.80
            "2026-12-07,pos,store-1,SKU-A,USD,3,1,30.00,0.00,10.00,20.00,1.60,0.00,33.33\r\n"
            "2026-12-07,pos,store-1,SKU-B,USD,1,0,5.50,0.50,0.00,5.00,0.40,0.00,0.00\r\n"
            "2026-12-07,pos,store-2,SKU-A,USD,3,0,29.97,0.00,0.00,29.97,2.40,0.00,0.00\r\n"
            // the fee has no SKU; nothing sold there, so no return rate
            "2026-12-07,shopify,wh-1,,USD,0,0,0.00,0.00,0.00,0.00,0.00,1.23,\r\n"
            "2026-12-07,shopify,wh-1,SKU-A,USD,2,0,24.00,2.00,0.00,22.00,1.76,0.00,0.00\r\n"
            "2026-12-07,shopify,wh-1,SKU-B,USD,1,1,6.00,0.00,6.00,0.00,0.00,0.00,100.00\r\n");
  // Totals per currency, never across: USD gross 30 + 5.50 + 29.97 + 24 + 6 = 95.47, discounts
  // 2.50, refunds 16.00, net 76.97, tax 1.60 + 0.40 + 2.40 + 1.76 + 0.48 - 0.48 = 6.16 (the
  // return's 0.80 is in store-1's 1.60); 2 of 10 units back.
  const auto json = salesReportJson(q, report(q));
  ASSERT_EQ(json["totals"].size(), 2u);
  EXPECT_EQ(json["totals"][0].dump(),
            R"({"currency":"EUR","units_sold":1,"units_returned":0,"gross":"15.00","discounts":"0.00","refunds":"0.00",)"
            R"("net":"15.00","tax":"2.85","fees":"0.00","return_rate_pct":"0.00"})");
  EXPECT_EQ(json["totals"][1].dump(),
            R"({"currency":"USD","units_sold":10,"units_returned":2,"gross":"95.47","discounts":"2.50",)"
            R"("refunds":"16.00","net":"76.97","tax":"6.16","fees":"1.23","return_rate_pct":"20.00"})");
  EXPECT_EQ(json["rows"].size(), 7u);
  EXPECT_EQ(json["rows"][1]["sku"], "SKU-A");
  EXPECT_EQ(json["by"].dump(), R"(["channel","location","sku"])");
}

// By week (2026-12-07 is a Monday, so both days are its week) and by channel only.
TEST_P(RevenueTest, AWeekByChannelAddsBothDaysAndKeepsCurrenciesApart) {
  ASSERT_TRUE(book_->record(aDay()).ok());
  const SalesQuery q = query({{"from", "2026-12-07"}, {"to", "2026-12-08"}, {"period", "week"}, {"by", "channel"}});
  EXPECT_EQ(salesReportCsv(report(q)),
            "period,channel,location,sku,currency,units_sold,units_returned,gross,discounts,refunds,net,tax,fees,"
            "return_rate_pct\r\n"
            "2026-12-07,amazon,,,EUR,1,0,15.00,0.00,0.00,15.00,2.85,0.00,0.00\r\n"
            // 2 + 1 + 1 + 3 + 1 sold, 1 back; 20 + 5.50 + 10 + 29.97 + 10 = 75.47; tax 1.60 + 0.40 + 0.80 - 0.80 + 2.40 + 0.80
            "2026-12-07,pos,,,USD,8,1,75.47,0.50,10.00,64.97,5.20,0.00,12.50\r\n"
            "2026-12-07,shopify,,,USD,3,1,30.00,2.00,6.00,22.00,1.76,1.23,33.33\r\n");
  // One store, one day: the filter and by=sku.
  const SalesQuery one = query({{"from", "2026-12-08"}, {"to", "2026-12-08"}, {"location", "store-1"}, {"by", "sku"}});
  EXPECT_EQ(salesReportCsv(report(one)),
            "period,channel,location,sku,currency,units_sold,units_returned,gross,discounts,refunds,net,tax,fees,"
            "return_rate_pct\r\n"
            "2026-12-08,,,SKU-A,USD,1,0,10.00,0.00,0.00,10.00,0.80,0.00,0.00\r\n");
}

const char* kQuickBooks =
    "Journal No,Journal Date,Account Name,Debits,Credits,Description,Location,Class\r\n"
    "SW20261207-1,12/07/2026,Sales,,15.00,sales amazon wh-1 2026-12-07 EUR,wh-1,amazon\r\n"
    "SW20261207-1,12/07/2026,Sales Tax Payable,,2.85,tax amazon wh-1 2026-12-07 EUR,wh-1,amazon\r\n"
    "SW20261207-1,12/07/2026,Clearing:amazon,17.85,,to collect amazon wh-1 2026-12-07 EUR,wh-1,amazon\r\n"
    // store-1: sales 30.00 + 5.50, discount 0.50, return 10.00, tax 1.60 + 0.40 + 0.80 - 0.80;
    // to collect 35.50 + 2.00 - 0.50 - 10.00
    "SW20261207-2,12/07/2026,Sales,,35.50,sales pos store-1 2026-12-07 USD,store-1,pos\r\n"
    "SW20261207-2,12/07/2026,Sales Discounts,0.50,,discounts pos store-1 2026-12-07 USD,store-1,pos\r\n"
    "SW20261207-2,12/07/2026,Sales Returns,10.00,,returns and refunds pos store-1 2026-12-07 USD,store-1,pos\r\n"
    "SW20261207-2,12/07/2026,Sales Tax Payable,,2.00,tax pos store-1 2026-12-07 USD,store-1,pos\r\n"
    "SW20261207-2,12/07/2026,Clearing:pos,27.00,,to collect pos store-1 2026-12-07 USD,store-1,pos\r\n"
    "SW20261207-3,12/07/2026,Sales,,29.97,sales pos store-2 2026-12-07 USD,store-2,pos\r\n"
    "SW20261207-3,12/07/2026,Sales Tax Payable,,2.40,tax pos store-2 2026-12-07 USD,store-2,pos\r\n"
    "SW20261207-3,12/07/2026,Clearing:pos,32.37,,to collect pos store-2 2026-12-07 USD,store-2,pos\r\n"
    // Shopify: sales 30.00, discount 2.00, refund 6.00, tax 1.76 + 0.48 - 0.48, fee 1.23, payout
    // 20.00; left to collect 30.00 + 1.76 - 2.00 - 6.00 - 1.23 - 20.00 = 2.53
    "SW20261207-4,12/07/2026,Sales,,30.00,sales shopify wh-1 2026-12-07 USD,wh-1,shopify\r\n"
    "SW20261207-4,12/07/2026,Sales Discounts,2.00,,discounts shopify wh-1 2026-12-07 USD,wh-1,shopify\r\n"
    "SW20261207-4,12/07/2026,Sales Returns,6.00,,returns and refunds shopify wh-1 2026-12-07 USD,wh-1,shopify\r\n"
    "SW20261207-4,12/07/2026,Sales Tax Payable,,1.76,tax shopify wh-1 2026-12-07 USD,wh-1,shopify\r\n"
    "SW20261207-4,12/07/2026,Merchant Fees,1.23,,fees shopify wh-1 2026-12-07 USD,wh-1,shopify\r\n"
    "SW20261207-4,12/07/2026,Bank,20.00,,payouts shopify wh-1 2026-12-07 USD,wh-1,shopify\r\n"
    "SW20261207-4,12/07/2026,Clearing:shopify,2.53,,to collect shopify wh-1 2026-12-07 USD,wh-1,shopify\r\n";

TEST_P(RevenueTest, TheDaysQuickBooksJournalBalancesPerChannelAndStore) {
  ASSERT_TRUE(book_->record(aDay()).ok());
  auto file = exportJournal(*book_, "2026-12-07", JournalFormat::kQuickBooks);
  ASSERT_TRUE(file.ok()) << file.error().toString();
  EXPECT_EQ(file->csv, kQuickBooks);
  EXPECT_EQ(file->entries, 4u);
  EXPECT_EQ(file->record.revision, 1);
  EXPECT_FALSE(file->record.re_export);
}

TEST_P(RevenueTest, TheDaysNetSuiteJournalNamesItsCurrencyOnEveryLine) {
  ASSERT_TRUE(book_->record(aDay()).ok());
  auto file = exportJournal(*book_, "2026-12-07", JournalFormat::kNetSuite);
  ASSERT_TRUE(file.ok()) << file.error().toString();
  const std::string& csv = file->csv;
  EXPECT_EQ(csv.substr(0, csv.find("\r\n")), "External ID,Date,Currency,Account,Debit,Credit,Memo,Location,Class");
  EXPECT_NE(csv.find("\r\nSW20261207-1,12/07/2026,EUR,Clearing:amazon,17.85,,to collect amazon wh-1 2026-12-07 EUR,"
                     "wh-1,amazon\r\n"),
            std::string::npos)
      << csv;
  EXPECT_NE(csv.find("\r\nSW20261207-4,12/07/2026,USD,Clearing:shopify,2.53,,to collect shopify wh-1 2026-12-07 USD,"
                     "wh-1,shopify\r\n"),
            std::string::npos)
      << csv;
  // 1 header + the 18 lines of the QuickBooks journal.
  EXPECT_EQ(std::count(csv.begin(), csv.end(), '\n'), 19);
}

// Exported twice unchanged: the same bytes and numbers, marked as a re-export. A sale that arrives
// later (from a till that was offline) changes the day: the next export is revision 2 with every number marked -R2, and
// a new store's entry takes the next number; both formats keep their own revisions.
TEST_P(RevenueTest, AReExportIsTheSameFileUntilTheDayChangesThenANewRevision) {
  ASSERT_TRUE(book_->record(aDay()).ok());
  auto first = exportJournal(*book_, "2026-12-07", JournalFormat::kQuickBooks);
  auto again = exportJournal(*book_, "2026-12-07", JournalFormat::kQuickBooks);
  ASSERT_TRUE(first.ok() && again.ok());
  EXPECT_EQ(again->csv, first->csv);
  EXPECT_EQ(again->record.revision, 1);
  EXPECT_TRUE(again->record.re_export);
  EXPECT_EQ(again->record.digest, first->record.digest);

  ASSERT_TRUE(book_->record({line("till:e9:1", RevenueKind::kSale, "pos", "store-3", "SKU-A", at("2026-12-07", 19), 1,
                                  "10.00", "0", "0.80")})
                  .ok());
  auto changed = exportJournal(*book_, "2026-12-07", JournalFormat::kQuickBooks);
  ASSERT_TRUE(changed.ok());
  EXPECT_EQ(changed->record.revision, 2);
  EXPECT_TRUE(changed->record.re_export);
  EXPECT_NE(changed->record.digest, first->record.digest);
  EXPECT_NE(changed->csv.find("\r\nSW20261207-2-R2,12/07/2026,Sales,,35.50,"), std::string::npos) << changed->csv;
  EXPECT_NE(changed->csv.find("\r\nSW20261207-5-R2,12/07/2026,Sales,,10.00,sales pos store-3"), std::string::npos)
      << changed->csv;
  auto ns = exportJournal(*book_, "2026-12-07", JournalFormat::kNetSuite);
  ASSERT_TRUE(ns.ok());
  EXPECT_EQ(ns->record.revision, 1);
  EXPECT_FALSE(ns->record.re_export);

  auto log = book_->exports("2026-12-07");
  ASSERT_TRUE(log.ok());
  ASSERT_EQ(log->size(), 4u);
  EXPECT_EQ((*log)[0].revision, 1);
  EXPECT_FALSE((*log)[0].re_export);
  EXPECT_TRUE((*log)[1].re_export);
  EXPECT_EQ((*log)[2].revision, 2);
  EXPECT_EQ((*log)[3].format, "netsuite");
  EXPECT_TRUE(book_->exports("2026-12-08")->empty());
  // A day with nothing: a file with its header only, still recorded.
  auto empty = exportJournal(*book_, "2026-12-01", JournalFormat::kNetSuite);
  ASSERT_TRUE(empty.ok());
  EXPECT_EQ(empty->csv, "External ID,Date,Currency,Account,Debit,Credit,Memo,Location,Class\r\n");
}

// A downgrade: revenue tables a newer build has migrated are refused, saying which version it
// found, which this build knows and what to do, and are left as they were.
TEST_P(RevenueTest, RevenueTablesOfANewerSchemaAreRefusedAndLeftAsTheyWere) {
  ASSERT_TRUE(book_->record(aDay()).ok());
  book_.reset();
  const std::string target = test::orderBookTarget(GetParam(), dir_);
  const auto known = static_cast<int64_t>(RevenueBook::schemaSteps().size());
  ASSERT_EQ(known, static_cast<int64_t>(RevenueBook::pgSchemaSteps().size()));
  std::string before;
  if (GetParam() == "sqlite") {
    EXPECT_EQ(test::versionsOf(target, "revenue").first, known);
    ASSERT_NO_FATAL_FAILURE(test::setSchemaVersion(target, "revenue", known + 1));
    before = test::contentsOf(target);
    ASSERT_NE(before.find("revenue_lines 'fee:shopify:1001'"), std::string::npos) << before.substr(0, 2000);
  } else {
    auto pg = common::PgDb::open({.url = target, .application_name = "revenue-test"});
    ASSERT_TRUE(pg.ok()) << pg.error().toString();
    ASSERT_TRUE((*pg)->exec("UPDATE schema_versions SET version = " + std::to_string(known + 1) +
                            " WHERE component = 'revenue'").ok());
  }
  auto refused = RevenueBook::open(target, clock_);
  ASSERT_FALSE(refused.ok());
  EXPECT_TRUE(test::refusedAsTooNew(refused.error(), "revenue", known + 1, known));
  if (GetParam() == "sqlite") {
    EXPECT_EQ(test::contentsOf(target), before);
  } else {
    auto pg = common::PgDb::open({.url = target, .application_name = "revenue-test"});
    ASSERT_TRUE(pg.ok());
    EXPECT_EQ(*(*pg)->queryInt("SELECT COUNT(*) FROM revenue_lines"), static_cast<int64_t>(aDay().size()));
    EXPECT_EQ(*(*pg)->queryInt("SELECT version FROM schema_versions WHERE component = 'revenue'"), known + 1);
  }
}

// ------------------------------------------------------------ the routes' parameters

std::string refusal(const std::map<std::string, std::string>& params) {
  auto q = parseSalesQuery(params, 20'000);
  if (q.ok()) return "accepted";
  EXPECT_EQ(q.error().code, "bad_param");
  return q.error().message;
}

TEST(SalesQueryParams, DefaultsAreTodayByDayByChannelStoreAndProductAsJson) {
  auto q = parseSalesQuery({}, dayOf("2026-12-07"));
  ASSERT_TRUE(q.ok());
  EXPECT_EQ(q->from_day, dayOf("2026-12-07"));
  EXPECT_EQ(q->to_day, dayOf("2026-12-07"));
  EXPECT_EQ(q->period, ReportPeriod::kDay);
  EXPECT_TRUE(q->by_channel && q->by_location && q->by_sku);
  EXPECT_FALSE(q->csv);
  EXPECT_EQ(q->untilMs() - q->fromMs(), kDayMs);
  auto csv = parseSalesQuery({{"format", "csv"}, {"by", "sku,channel"}, {"from", "2024-02-29"}, {"to", "2024-03-01"}}, 0);
  ASSERT_TRUE(csv.ok()) << csv.error().toString();
  EXPECT_TRUE(csv->csv);
  EXPECT_TRUE(csv->by_sku && csv->by_channel && !csv->by_location);
}

TEST(SalesQueryParams, BadInputIsRefusedNamingTheParameter) {
  for (const char* day : {"", "2026-12-7", "26-12-07", "2026/12/07", "2026-13-01", "2026-00-10", "2026-02-29",
                          "2026-04-31", "1999-12-31", "2100-01-01", "2026-12-07x", " 2026-12-07", "2026-12-0\xef",
                          "+026-12-07", "2026-1a-07"}) {
    EXPECT_NE(refusal({{"from", day}, {"to", "2026-12-31"}}).find("from must be a day"), std::string::npos) << day;
    EXPECT_NE(refusal({{"to", day}}).find("to must be a day"), std::string::npos) << day;
  }
  EXPECT_NE(refusal({{"from", "2026-12-08"}, {"to", "2026-12-07"}}).find("from is after to"), std::string::npos);
  EXPECT_NE(refusal({{"from", "2025-12-06"}, {"to", "2026-12-07"}}).find("366 days"), std::string::npos);
  EXPECT_EQ(refusal({{"from", "2025-12-07"}, {"to", "2026-12-07"}}), "accepted");  // 366 days
  for (const char* p : {"month", "", "Day", "day "}) {
    EXPECT_NE(refusal({{"period", p}}).find("period"), std::string::npos) << p;
  }
  for (const char* by : {"", "store", "sku,sku", "channel,", ",sku", "SKU", "channel;sku"}) {
    EXPECT_NE(refusal({{"by", by}}).find("by"), std::string::npos) << by;
  }
  for (const char* f : {"xml", "", "CSV", "json,csv"}) {
    EXPECT_NE(refusal({{"format", f}}).find("format must be json or csv"), std::string::npos) << f;
  }
  EXPECT_NE(refusal({{"sku", std::string(65, 'x')}}).find("sku is longer than 64"), std::string::npos);
  EXPECT_NE(refusal({{"location", "store\n1"}}).find("location holds a control character"), std::string::npos);
  EXPECT_NE(refusal({{"channel", std::string("a\0b", 3)}}).find("channel holds a control character"), std::string::npos);
  EXPECT_NE(refusal({{"store", "store-1"}}).find("unknown parameter 'store'"), std::string::npos);
  EXPECT_EQ(refusal({{"sku", std::string(64, 'x')}, {"channel", "pos"}, {"location", "store-1"}}), "accepted");
}

TEST(JournalQueryParams, BadInputIsRefusedNamingTheParameter) {
  auto refused = [](const std::map<std::string, std::string>& params) {
    auto q = parseJournalQuery(params);
    if (q.ok()) return std::string("accepted");
    EXPECT_EQ(q.error().code, "bad_param");
    return q.error().message;
  };
  EXPECT_EQ(refused({{"day", "2026-12-07"}, {"format", "quickbooks"}}), "accepted");
  EXPECT_EQ(refused({{"day", "2026-12-07"}, {"format", "netsuite"}}), "accepted");
  EXPECT_NE(refused({{"format", "quickbooks"}}).find("day=YYYY-MM-DD is required"), std::string::npos);
  EXPECT_NE(refused({{"day", "2026-12-07"}}).find("format=quickbooks|netsuite is required"), std::string::npos);
  for (const char* f : {"QuickBooks", "qbo", "excel", "netsuite "}) {
    EXPECT_NE(refused({{"day", "2026-12-07"}, {"format", f}}).find("format must be quickbooks or netsuite"),
              std::string::npos)
        << f;
  }
  for (const char* d : {"2026-02-30", "today", "20261207", "2026-12-07T00:00"}) {
    EXPECT_NE(refused({{"day", d}, {"format", "netsuite"}}).find("day must be a day"), std::string::npos) << d;
  }
  EXPECT_NE(refused({{"day", "2026-12-07"}, {"format", "netsuite"}, {"revision", "2"}}).find("unknown parameter"),
            std::string::npos);
}

TEST(SalesReportCsv, TextThatASpreadsheetWouldRunIsDefused) {
  EXPECT_EQ(csvField("SKU-1"), "SKU-1");
  EXPECT_EQ(csvField("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
  EXPECT_EQ(csvField("a,b"), "\"a,b\"");
  EXPECT_EQ(csvField("-1"), "'-1");
  EXPECT_EQ(csvField("@x"), "'@x");
}

}  // namespace
}  // namespace sw::coordinator
