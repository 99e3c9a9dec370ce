// Matching payouts to the order book (reconcile.h) and keeping them (settlement_store.h, real
// SQLite in a temp dir).

#include <gtest/gtest.h>

#include <map>
#include <set>

#include <nlohmann/json.hpp>

#include "schema_upgrade.h"
#include "sw/coordinator/channels/dead_letters.h"
#include "sw/coordinator/settlements/reconcile.h"
#include "sw/coordinator/settlements/settlement_store.h"
#include "test_support.h"

namespace sw::coordinator::settlements {
namespace {

using channels::Payout;
using channels::PayoutLine;
using channels::PayoutLineKind;
using common::Decimal;
using nlohmann::json;

Decimal d(const char* text) { return *Decimal::parse(text); }

PayoutLine line(const std::string& id, PayoutLineKind kind, const char* amount, const char* fee, const std::string& order = "",
                const std::string& refund = "") {
  PayoutLine l;
  l.line_id = id;
  l.kind = kind;
  l.type = channels::payoutLineKindName(kind);
  l.order_id = order;
  l.refund_id = refund;
  l.amount = d(amount);
  l.fee = d(fee);
  l.net = Decimal::fromUnits(l.amount.scaled() - l.fee.scaled());
  l.currency = "USD";
  l.description = "test";
  return l;
}

// The payout line itself, so the lines add up to the payout's amount.
Payout payoutOf(const std::string& id, std::vector<PayoutLine> lines) {
  Payout p;
  p.payout_id = id;
  p.status = "paid";
  p.date = "2026-12-07";
  p.currency = "USD";
  int64_t net = 0;
  for (const PayoutLine& l : lines) net += l.net.scaled();
  p.amount = Decimal::fromUnits(net);
  p.lines = std::move(lines);
  p.lines.push_back(line("po", PayoutLineKind::kPayout, "0.00", "0.00"));
  p.lines.back().amount = Decimal::fromUnits(-net);
  p.lines.back().net = Decimal::fromUnits(-net);
  return p;
}

// A book of two orders: A (10.00, a refund r1 of 4.00) and B (25.50).
struct Book {
  std::map<std::string, ExpectedOrder> orders;
  std::set<std::pair<std::string, std::string>> paid_elsewhere;
  Book() {
    json a = {{"total", "10.00"}, {"currency", "USD"},
              {"lines", {{{"line_id", "a1"}, {"unit_price", "4.00"}}, {{"line_id", "a2"}, {"unit_price", "2.00"}}}}};
    orders["A"] = expectedFrom("A", a, {{"r1", "a1", 1}});
    orders["B"] = expectedFrom("B", json{{"total", "25.50"}, {"currency", "USD"}, {"lines", json::array()}}, {});
  }
  OrderLookup lookup() {
    return [this](const std::string& id) -> common::Result<std::optional<ExpectedOrder>> {
      auto it = orders.find(id);
      if (it == orders.end()) return std::optional<ExpectedOrder>();
      return std::optional<ExpectedOrder>(it->second);
    };
  }
  RefundPaidElsewhere paid() {
    return [this](const std::string& o, const std::string& r) -> common::Result<bool> { return paid_elsewhere.count({o, r}) > 0; };
  }
};

std::vector<std::string> codes(const PayoutMatch& m) {
  std::vector<std::string> out;
  for (const Finding& f : m.findings) out.push_back(f.code);
  return out;
}

TEST(Reconcile, ARefundIsWorthItsUnitsAtTheirPrices) {
  json o = {{"total", "10.00"}, {"currency", "USD"},
            {"lines", {{{"line_id", "a1"}, {"unit_price", "4.00"}}, {{"line_id", "a2"}, {"unit_price", "2.00"}}}}};
  ExpectedOrder e = expectedFrom("A", o, {{"r1", "a1", 1}, {"r1", "a2", 2}, {"r2", "zz", 1}});
  ASSERT_TRUE(e.total);
  EXPECT_EQ(e.total->amount, d("10.00"));
  EXPECT_EQ(e.total->currency, "USD");
  EXPECT_EQ(e.refunds.at("r1"), d("8.00"));
  EXPECT_FALSE(e.refunds.at("r2").has_value()) << "a line the order does not have: unknown, never 0";
  EXPECT_FALSE(expectedFrom("X", json::object(), {}).total.has_value());
}

TEST(Reconcile, ChargesAndRefundsThatAgreeWithTheBookMatchFully) {
  Book book;
  Payout p = payoutOf("P1", {line("1", PayoutLineKind::kOrder, "10.00", "0.59", "A"),
                             line("2", PayoutLineKind::kOrder, "25.50", "1.04", "B"),
                             line("3", PayoutLineKind::kRefund, "-4.00", "0.00", "A", "r1")});
  auto m = matchPayout(p, book.lookup(), book.paid());
  ASSERT_TRUE(m.ok()) << m.error().toString();
  EXPECT_TRUE(m->matched()) << json(codes(*m)).dump();
  ASSERT_EQ(m->lines.size(), 4u);
  for (const LineMatch& l : m->lines) EXPECT_TRUE(l.matched);
  EXPECT_EQ(m->lines[2].expected, d("-4.00"));
  EXPECT_EQ(m->charges, d("35.50"));
  EXPECT_EQ(m->refunds, d("-4.00"));
  EXPECT_EQ(m->fees, d("1.63"));
}

TEST(Reconcile, AMissingOrderAnAmountDifferenceAndAnUnexplainedFeeAreExactlyThree) {
  Book book;
  Payout p = payoutOf("P2", {line("1", PayoutLineKind::kOrder, "10.00", "0.59", "A"),
                             line("2", PayoutLineKind::kOrder, "26.00", "1.05", "B"),
                             line("3", PayoutLineKind::kRefund, "-4.00", "0.00", "A", "r1"),
                             line("4", PayoutLineKind::kOrder, "15.00", "0.74", "NOPE"),
                             line("5", PayoutLineKind::kFee, "-2.50", "0.00")});
  auto m = matchPayout(p, book.lookup(), book.paid());
  ASSERT_TRUE(m.ok()) << m.error().toString();
  EXPECT_EQ(codes(*m), (std::vector<std::string>{"amount_difference", "unknown_order", "unexplained_fee"}));
  EXPECT_EQ(m->findings[0].order_id, "B");
  EXPECT_EQ(m->findings[0].expected, d("25.50"));
  EXPECT_EQ(m->findings[0].actual, d("26.00"));
  EXPECT_EQ(m->findings[1].order_id, "NOPE");
  EXPECT_EQ(m->findings[2].line_id, "5");
  EXPECT_TRUE(m->lines[0].matched);
  EXPECT_FALSE(m->lines[1].matched);
  EXPECT_EQ(m->lines[1].code, "amount_difference");
  EXPECT_EQ(m->fees, d("4.88")) << "0.59 + 1.05 + 0.74 on charges, 2.50 on its own";
}

TEST(Reconcile, RefundsTheBookHasAndNoPayoutPaidAreListed) {
  Book book;
  Payout p = payoutOf("P3", {line("1", PayoutLineKind::kOrder, "10.00", "0.59", "A")});
  auto m = matchPayout(p, book.lookup(), book.paid());
  ASSERT_TRUE(m.ok());
  ASSERT_EQ(codes(*m), (std::vector<std::string>{"refund_not_in_payout"}));
  EXPECT_EQ(m->findings[0].refund_id, "r1");
  EXPECT_EQ(m->findings[0].expected, d("4.00"));
  book.paid_elsewhere.insert({"A", "r1"});
  auto again = matchPayout(p, book.lookup(), book.paid());
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(again->matched()) << "paid in another payout";
}

TEST(Reconcile, RefundsAndAdjustmentsTheBookCannotExplain) {
  Book book;
  Payout p = payoutOf("P4", {line("1", PayoutLineKind::kRefund, "-3.00", "0.00", "A", "r1"),
                             line("2", PayoutLineKind::kRefund, "-1.00", "0.00", "A", "r9"),
                             line("3", PayoutLineKind::kRefund, "-1.00", "0.00", "GONE", "r1"),
                             line("4", PayoutLineKind::kAdjustment, "-7.00", "0.00", "B")});
  auto m = matchPayout(p, book.lookup(), book.paid());
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(codes(*m), (std::vector<std::string>{"refund_amount_difference", "unknown_refund", "unknown_order",
                                                 "unexplained_adjustment"}));
}

TEST(Reconcile, LinesThatDoNotAddUpToThePayoutAreAFinding) {
  Book book;
  Payout p = payoutOf("P5", {line("1", PayoutLineKind::kOrder, "25.50", "1.04", "B")});
  p.amount = d("24.00");
  auto m = matchPayout(p, book.lookup(), book.paid());
  ASSERT_TRUE(m.ok());
  ASSERT_EQ(codes(*m), (std::vector<std::string>{"payout_total_difference"}));
  EXPECT_EQ(m->findings[0].expected, d("24.46"));
  EXPECT_EQ(m->findings[0].actual, d("24.00"));
}

TEST(Reconcile, AnotherCurrencyIsADifferenceEvenAtTheSameFigure) {
  Book book;
  PayoutLine l = line("1", PayoutLineKind::kOrder, "25.50", "1.04", "B");
  l.currency = "CAD";
  auto m = matchPayout(payoutOf("P6", {l}), book.lookup(), book.paid());
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(codes(*m), (std::vector<std::string>{"amount_difference"}));
}

TEST(Reconcile, ABookThatCannotBeReadFailsTheMatch) {
  OrderLookup broken = [](const std::string&) -> common::Result<std::optional<ExpectedOrder>> {
    return common::Error::retry("busy", "database is locked");
  };
  Book book;
  auto m = matchPayout(payoutOf("P7", {line("1", PayoutLineKind::kOrder, "1.00", "0.00", "A")}), broken, book.paid());
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.error().code, "busy");
}

TEST(SettlementStore, APayoutIsKeptWithItsLinesAndFindingsAndReplacedWhenFetchedAgain) {
  test::TempDir dir;
  auto s = SettlementStore::open(dir.file("ledger.db.channels"));
  ASSERT_TRUE(s.ok()) << s.error().toString();
  Book book;
  Payout p = payoutOf("P2", {line("1", PayoutLineKind::kOrder, "10.00", "0.59", "A"),
                             line("2", PayoutLineKind::kRefund, "-4.00", "0.00", "A", "r1"),
                             line("5", PayoutLineKind::kFee, "-2.50", "0.00")});
  auto m = matchPayout(p, book.lookup(), book.paid());
  ASSERT_TRUE(m.ok());
  ASSERT_TRUE((*s)->save(p, *m, 1'000).ok());
  auto got = (*s)->get("shopify", "P2");
  ASSERT_TRUE(got.ok() && got->has_value());
  const StoredPayout& g = **got;
  EXPECT_FALSE(g.matched);
  EXPECT_EQ(g.mismatches, 1);
  EXPECT_EQ(g.payout.amount, p.amount);
  ASSERT_EQ(g.payout.lines.size(), 4u);
  EXPECT_EQ(g.payout.lines[1].refund_id, "r1");
  EXPECT_EQ(g.payout.lines[1].amount, d("-4.00"));
  EXPECT_EQ(g.payout.lines[1].kind, PayoutLineKind::kRefund);
  EXPECT_TRUE(g.line_matches[1].matched);
  EXPECT_EQ(g.line_matches[1].expected, d("-4.00"));
  EXPECT_EQ(g.line_matches[2].code, "unexplained_fee");
  ASSERT_EQ(g.findings.size(), 1u);
  EXPECT_EQ(g.findings[0].actual, d("-2.50"));
  EXPECT_TRUE(*(*s)->refundPaid("shopify", "A", "r1", "OTHER"));
  EXPECT_FALSE(*(*s)->refundPaid("shopify", "A", "r1", "P2")) << "not in a payout other than itself";

  // Fetched again once the fee is explained away: one payout, its new lines only.
  Payout p2 = payoutOf("P2", {line("1", PayoutLineKind::kOrder, "10.00", "0.59", "A"),
                              line("2", PayoutLineKind::kRefund, "-4.00", "0.00", "A", "r1")});
  auto m2 = matchPayout(p2, book.lookup(), book.paid());
  ASSERT_TRUE(m2.ok());
  ASSERT_TRUE((*s)->save(p2, *m2, 2'000).ok());
  auto list = (*s)->list("shopify", 10);
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->size(), 1u);
  EXPECT_TRUE((*list)[0].matched);
  EXPECT_EQ((*list)[0].fetched_at_ms, 2'000);
  EXPECT_EQ((**(*s)->get("shopify", "P2")).payout.lines.size(), 3u);
  EXPECT_TRUE((*s)->list("ebay", 10)->empty());
  EXPECT_EQ((*s)->list("", 10)->size(), 1u);
  EXPECT_FALSE((*s)->get("shopify", "P9")->has_value());
  PayoutMatch short_match = *m2;
  short_match.lines.pop_back();
  EXPECT_FALSE((*s)->save(p2, short_match, 3'000).ok()) << "a match must cover every line";
}

// The channels file of the release before settlements holds only the dead letters: it opens with
// the settlement tables added, the dead letters kept, and its user_version still the dead letters'.
TEST(SettlementSchema, AChannelsFileOfTheReleaseBeforeGainsTheSettlementTablesAndKeepsItsDeadLetters) {
  test::TempDir dir;
  const std::string path = dir.file("ledger.db.channels");
  {
    auto dl = channels::DeadLetterStore::open(path);
    ASSERT_TRUE(dl.ok());
    channels::DeadLetter d;
    d.channel = "amazon";
    d.sku = "A";
    d.quantity = 3;
    d.code = "8541";
    d.message = "refused";
    d.attempts = 1;
    d.created_at_ms = 1;
    ASSERT_TRUE((*dl)->add(d).ok());
  }
  const std::string before = test::contentsOf(path);
  auto s = SettlementStore::open(path);
  ASSERT_TRUE(s.ok()) << s.error().toString();
  EXPECT_EQ(test::versionsOf(path, "settlements").first, static_cast<int64_t>(SettlementStore::schemaSteps().size()));
  auto dl = channels::DeadLetterStore::open(path);
  ASSERT_TRUE(dl.ok()) << dl.error().toString();
  EXPECT_EQ(*(*dl)->openCount(), 1);
  EXPECT_EQ(test::versionsOf(path, "dead_letters"), std::make_pair(int64_t{1}, int64_t{1}));
  Book book;
  Payout p = payoutOf("P1", {line("1", PayoutLineKind::kOrder, "25.50", "1.04", "B")});
  ASSERT_TRUE((*s)->save(p, *matchPayout(p, book.lookup(), book.paid()), 5).ok());
  EXPECT_NE(before.find("dead_letters 1|'amazon'|'A'"), std::string::npos) << before;
}

TEST(SettlementSchema, SettlementsOfANewerSchemaAreRefusedAndLeftAsTheyWere) {
  test::TempDir dir;
  const std::string path = dir.file("ledger.db.channels");
  { ASSERT_TRUE(SettlementStore::open(path).ok()); }
  const auto known = static_cast<int64_t>(SettlementStore::schemaSteps().size());
  ASSERT_NO_FATAL_FAILURE(test::setSchemaVersion(path, "settlements", known + 1));
  const std::string before = test::contentsOf(path);
  auto refusal = SettlementStore::open(path);
  ASSERT_FALSE(refusal.ok());
  EXPECT_TRUE(test::refusedAsTooNew(refusal.error(), "settlements", known + 1, known));
  EXPECT_EQ(test::contentsOf(path), before);
}

}  // namespace
}  // namespace sw::coordinator::settlements
