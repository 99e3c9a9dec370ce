#include <gtest/gtest.h>

#include "sw/common/uuid.h"
#include "sw/coordinator/ledger.h"
#include "test_support.h"

using namespace sw;
using common::EventType;
using coordinator::ApplyEvent;
using coordinator::ApplyGroup;

namespace {

class LedgerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto l = coordinator::SqliteLedger::open({.path = dir_.file("ledger.db")});
    ASSERT_TRUE(l.ok()) << l.error().toString();
    ledger_ = std::move(*l);
  }

  common::Event event(const std::string& device, EventType type, int64_t at, std::vector<common::Line> lines,
                      const std::string& location = "store-1") {
    common::Event e;
    e.device_id = device;
    e.seq = ++seq_[device];
    e.event_id = common::newUuid();
    e.type = type;
    e.occurred_at_ms = at;
    e.location = location;
    e.lines = std::move(lines);
    return e;
  }

  void apply(std::vector<common::Event> events, int64_t offset = 0) {
    ApplyGroup g;
    g.applied_at_ms = 1;
    for (auto& e : events) {
      if (!known_.count(e.device_id)) {
        g.new_devices[e.device_id] = common::newUuid();
        known_.insert(e.device_id);
      }
      g.cursors[e.device_id] = e.seq;
      g.events.push_back({e, offset});
    }
    auto s = ledger_->commit(g);
    ASSERT_TRUE(s.ok()) << s.error().toString();
  }

  int64_t onHand(const std::string& sku, const std::string& loc = "store-1") {
    auto rows = ledger_->stockForSku(sku);
    for (const auto& r : *rows) {
      if (r.location == loc) return r.on_hand;
    }
    return INT64_MIN;
  }

  test::TempDir dir_;
  std::unique_ptr<coordinator::SqliteLedger> ledger_;
  std::map<std::string, uint64_t> seq_;
  std::set<std::string> known_;
};

}  // namespace

TEST_F(LedgerTest, SalesReceiptsAndReturnsMoveOnHand) {
  apply({event("till-1", EventType::kReceive, 100, {{"A", 10, std::nullopt}}),
         event("till-1", EventType::kSale, 200, {{"A", 2, common::Decimal::parse("9.99").value()}}),
         event("till-1", EventType::kReturn, 300, {{"A", 1, std::nullopt}})});
  EXPECT_EQ(onHand("A"), 9);
  EXPECT_EQ(*ledger_->countRows("events"), 3);
  EXPECT_EQ(*ledger_->countRows("movements"), 3);
  auto devs = ledger_->devices();
  ASSERT_EQ(devs->size(), 1u);
  EXPECT_EQ((*devs)[0].last_applied_seq, 3u);
  EXPECT_TRUE(ledger_->verifyOnHand()->empty());
}

TEST_F(LedgerTest, ACountAbsorbsEarlierMovementsThatArriveLate) {
  // Handheld counts 7 at t=1000. The till sold 2 at t=500 (before the count) and 1 at t=1500 (after),
  // but was offline: its events arrive after the count.
  apply({event("hh-1", EventType::kReceive, 10, {{"A", 10, std::nullopt}})});
  apply({event("hh-1", EventType::kCount, 1000, {{"A", 7, std::nullopt}})});
  EXPECT_EQ(onHand("A"), 7);
  apply({event("till-1", EventType::kSale, 500, {{"A", 2, std::nullopt}}),
         event("till-1", EventType::kSale, 1500, {{"A", 1, std::nullopt}})});
  EXPECT_EQ(onHand("A"), 6);  // the first sale is absorbed by the count, the second applies
  EXPECT_TRUE(ledger_->verifyOnHand()->empty());
}

TEST_F(LedgerTest, ALateCountKeepsLaterMovementsOnTop) {
  apply({event("till-1", EventType::kReceive, 10, {{"A", 10, std::nullopt}}),
         event("till-1", EventType::kSale, 2000, {{"A", 3, std::nullopt}})});
  EXPECT_EQ(onHand("A"), 7);
  // A count taken at t=1000 (before that sale) arrives late: 9 counted, the sale after it applies.
  apply({event("hh-1", EventType::kCount, 1000, {{"A", 9, std::nullopt}})});
  EXPECT_EQ(onHand("A"), 6);
  // An even older count changes nothing.
  apply({event("hh-1", EventType::kCount, 500, {{"A", 100, std::nullopt}})});
  EXPECT_EQ(onHand("A"), 6);
  EXPECT_TRUE(ledger_->verifyOnHand()->empty());
}

TEST_F(LedgerTest, ClockOffsetPutsEventsOnTheCoordinatorTimeLine) {
  apply({event("hh-1", EventType::kCount, 10'000, {{"A", 5, std::nullopt}})});
  // The till's clock is 20 s behind: its sale at device time 0 happened at 20'000 coordinator time,
  // after the count, so it applies.
  apply({event("till-1", EventType::kSale, 0 + 1, {{"A", 1, std::nullopt}})}, 20'000);
  EXPECT_EQ(onHand("A"), 4);
}

TEST_F(LedgerTest, VoidReversesTheSaleOnceAndUnknownRefsAreAnomalies) {
  auto s = event("till-1", EventType::kSale, 100, {{"A", 2, std::nullopt}, {"B", 1, std::nullopt}});
  apply({event("till-1", EventType::kReceive, 50, {{"A", 5, std::nullopt}, {"B", 5, std::nullopt}}), s});
  EXPECT_EQ(onHand("A"), 3);
  auto v = event("till-1", EventType::kVoid, 150, {});
  v.ref = s.event_id;
  auto v2 = event("till-1", EventType::kVoid, 160, {});
  v2.ref = s.event_id;
  auto v3 = event("till-1", EventType::kVoid, 170, {});
  v3.ref = common::newUuid();
  apply({v, v2, v3});
  EXPECT_EQ(onHand("A"), 5);
  EXPECT_EQ(onHand("B"), 5);
  EXPECT_EQ(*ledger_->countRows("anomalies"), 2);  // already voided, unknown ref
  EXPECT_TRUE(ledger_->verifyOnHand()->empty());
}

TEST_F(LedgerTest, QuarantineAndStateRowsAreStored) {
  ApplyGroup g;
  g.applied_at_ms = 5;
  g.quarantined.push_back({5, "sw/v1/dev/x/events", "x", "malformed", "cannot parse", "\x01\x02"});
  g.states.push_back({"till-9", true, "till", "store-9", R"({"queue_depth":3})", 5});
  ASSERT_TRUE(ledger_->commit(g).ok());
  auto q = ledger_->quarantine(10);
  ASSERT_EQ(q->size(), 1u);
  EXPECT_EQ((*q)[0].code, "malformed");
  auto d = ledger_->devices();
  ASSERT_EQ(d->size(), 1u);
  EXPECT_TRUE((*d)[0].online);
  EXPECT_EQ((*d)[0].location, "store-9");
}

TEST_F(LedgerTest, SurvivesReopen) {
  apply({event("till-1", EventType::kReceive, 10, {{"A", 4, std::nullopt}})});
  ledger_.reset();
  auto l = coordinator::SqliteLedger::open({.path = dir_.file("ledger.db")});
  ASSERT_TRUE(l.ok());
  ledger_ = std::move(*l);
  EXPECT_EQ(onHand("A"), 4);
  apply({event("till-1", EventType::kSale, 20, {{"A", 1, std::nullopt}})});
  EXPECT_EQ(onHand("A"), 3);
}
