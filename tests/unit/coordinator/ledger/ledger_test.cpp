#include <gtest/gtest.h>

#include <set>

#include "sw/common/postgres.h"
#include "sw/common/uuid.h"
#include "sw/coordinator/ledger/sql_ledger.h"
#include "schema_upgrade.h"
#include "sql_stores.h"
#include "test_support.h"

using namespace sw;
using common::EventType;
using coordinator::ApplyEvent;
using coordinator::ApplyGroup;

namespace {

// The ledger's contract: every TEST_P runs on SQLite and on PostgreSQL (sql_stores.h).
class LedgerFixture : public ::testing::Test {
 protected:
  virtual std::string store() const = 0;
  void SetUp() override {
    target_ = test::ledgerTarget(store(), dir_);
    auto l = coordinator::SqlLedger::open({.path = target_});
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

  void apply(std::vector<common::Event> events, int64_t offset = 0, coordinator::CommitInfo* info = nullptr) {
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
    auto s = ledger_->commit(g, info);
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
  std::string target_;
  std::unique_ptr<coordinator::SqlLedger> ledger_;
  std::map<std::string, uint64_t> seq_;
  std::set<std::string> known_;
};

class LedgerTest : public LedgerFixture, public ::testing::WithParamInterface<std::string> {
 protected:
  std::string store() const override { return GetParam(); }
};

// What only SQLite has (page sizes of its files).
class SqliteLedgerTest : public LedgerFixture {
 protected:
  std::string store() const override { return "sqlite"; }
};

}  // namespace

INSTANTIATE_TEST_SUITE_P(Stores, LedgerTest, ::testing::Values("sqlite", "postgresql"),
                         [](const ::testing::TestParamInfo<std::string>& p) { return p.param; });

TEST_P(LedgerTest, SalesReceiptsAndReturnsMoveOnHand) {
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

TEST_P(LedgerTest, AFailedTransactionLeavesNoTraceAndItsResendAppliesOnce) {
  // The ledger keeps on-hand rows and name ids in memory between transactions; a transaction
  // that rolls back must not leave its changes there.
  apply({event("till-1", EventType::kReceive, 100, {{"A", 10, std::nullopt}}),
         event("till-1", EventType::kSale, 200, {{"A", 2, std::nullopt}})});
  ASSERT_EQ(onHand("A"), 8);
  std::vector<common::Event> resent = {event("till-1", EventType::kSale, 300, {{"A", 3, std::nullopt}}),
                                       event("till-1", EventType::kSale, 400, {{"B", 1, std::nullopt}}, "store-2")};
  ledger_->setBeforeCommitHook([] { return common::Status(common::Error::fatal("io", "disk I/O error (test)")); });
  ApplyGroup g;
  g.applied_at_ms = 1;
  g.cursors["till-1"] = resent.back().seq;
  for (const auto& e : resent) g.events.push_back({e, 0});
  EXPECT_FALSE(ledger_->commit(g).ok());
  EXPECT_EQ(onHand("A"), 8);
  EXPECT_EQ(onHand("B", "store-2"), INT64_MIN);  // no row
  EXPECT_EQ((*ledger_->devices())[0].last_applied_seq, 2u);

  ledger_->setBeforeCommitHook(nullptr);
  ASSERT_TRUE(ledger_->commit(g).ok());
  EXPECT_EQ(onHand("A"), 5);
  EXPECT_EQ(onHand("B", "store-2"), -1);
  apply({event("till-1", EventType::kSale, 500, {{"A", 1, std::nullopt}, {"B", 1, std::nullopt}})});
  EXPECT_EQ(onHand("A"), 4);
  EXPECT_EQ(onHand("B"), -1);  // B at store-1: a row of its own
  EXPECT_EQ(onHand("B", "store-2"), -1);
  EXPECT_TRUE(ledger_->verifyOnHand()->empty());
}

TEST_P(LedgerTest, ACountAbsorbsEarlierMovementsThatArriveLate) {
  // Handheld counts 7 at t=10000. The till sold 2 at t=5000 (before the count) and 1 at t=15000 (after; both further
  // from the count than the tie window), but was offline: its events arrive after the count.
  apply({event("hh-1", EventType::kReceive, 10, {{"A", 10, std::nullopt}})});
  apply({event("hh-1", EventType::kCount, 10000, {{"A", 7, std::nullopt}})});
  EXPECT_EQ(onHand("A"), 7);
  apply({event("till-1", EventType::kSale, 5000, {{"A", 2, std::nullopt}}),
         event("till-1", EventType::kSale, 15000, {{"A", 1, std::nullopt}})});
  EXPECT_EQ(onHand("A"), 6);  // the first sale is absorbed by the count, the second applies
  EXPECT_TRUE(ledger_->verifyOnHand()->empty());
}

TEST_P(LedgerTest, ALateCountKeepsLaterMovementsOnTop) {
  apply({event("till-1", EventType::kReceive, 10, {{"A", 10, std::nullopt}}),
         event("till-1", EventType::kSale, 20000, {{"A", 3, std::nullopt}})});
  EXPECT_EQ(onHand("A"), 7);
  // A count taken at t=10000 (before that sale) arrives late: 9 counted, the sale after it applies.
  apply({event("hh-1", EventType::kCount, 10000, {{"A", 9, std::nullopt}})});
  EXPECT_EQ(onHand("A"), 6);
  // An even older count changes nothing.
  apply({event("hh-1", EventType::kCount, 5000, {{"A", 100, std::nullopt}})});
  EXPECT_EQ(onHand("A"), 6);
  EXPECT_TRUE(ledger_->verifyOnHand()->empty());
}

TEST_P(LedgerTest, ClockOffsetPutsEventsOnTheCoordinatorTimeLine) {
  apply({event("hh-1", EventType::kCount, 10'000, {{"A", 5, std::nullopt}})});
  // The till's clock is 20 s behind: its sale at device time 0 happened at 20'000 coordinator time,
  // after the count, so it applies.
  apply({event("till-1", EventType::kSale, 0 + 1, {{"A", 1, std::nullopt}})}, 20'000);
  EXPECT_EQ(onHand("A"), 4);
}

TEST_P(LedgerTest, VoidReversesTheSaleOnceAndUnknownRefsAreAnomalies) {
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

// Plain events are written 64 to a statement (ledger.h, kInsertRows). A second event with an id
// already applied is skipped and recorded as an anomaly whether it falls in a full statement, in
// the rest of a group, or twice in one statement, and nothing else in its statement is lost.
TEST_P(LedgerTest, AnEventIdSeenTwiceAppliesOnceWhereverItFallsInAGroup) {
  auto early = event("till-1", EventType::kReceive, 10, {{"A", 1000, std::nullopt}});
  apply({early});
  std::vector<common::Event> g;
  for (int i = 0; i < 150; ++i) {
    g.push_back(event(i % 2 ? "till-2" : "till-1", EventType::kSale, 100 + i, {{"A", 1, std::nullopt}}));
  }
  g[40].event_id = g[10].event_id;    // twice in the first statement of 64
  g[70].event_id = early.event_id;    // in the second, already in the ledger from before
  g[140].event_id = early.event_id;   // in the 22 events written one by one
  apply(g);
  EXPECT_EQ(onHand("A"), 1000 - 147);
  EXPECT_EQ(*ledger_->countRows("anomalies"), 3);
  EXPECT_EQ(*ledger_->countRows("events"), 1 + 147);
  EXPECT_EQ(*ledger_->countRows("movements"), 1 + 147);
  auto evs = ledger_->eventsForDevice("till-1", 1, 1000);
  ASSERT_TRUE(evs.ok());
  int64_t last_order = 0;
  for (const auto& e : *evs) {
    EXPECT_GT(e.apply_order, last_order) << "seq " << e.seq;  // the device's seq order
    last_order = e.apply_order;
    if (e.event_id == g[10].event_id) {
      EXPECT_EQ(e.seq, g[10].seq);
    }
    ASSERT_EQ(e.moves.size(), 1u) << "seq " << e.seq;
  }
  EXPECT_TRUE(ledger_->verifyOnHand()->empty());
}

// The same for an event written on its own (a void here): its reused id is an anomaly and it
// changes nothing.
TEST_P(LedgerTest, AVoidWithAnIdAlreadyAppliedIsAnAnomalyAndChangesNothing) {
  auto receipt = event("till-1", EventType::kReceive, 100, {{"A", 5, std::nullopt}});
  auto sale = event("till-1", EventType::kSale, 200, {{"A", 2, std::nullopt}});
  apply({receipt, sale});
  auto v = event("till-2", EventType::kVoid, 300, {});
  v.ref = sale.event_id;
  v.event_id = receipt.event_id;
  apply({v});
  EXPECT_EQ(onHand("A"), 3);
  EXPECT_EQ(*ledger_->countRows("anomalies"), 1);
  EXPECT_EQ(*ledger_->countRows("events"), 2);
  EXPECT_TRUE(ledger_->verifyOnHand()->empty());
}

// An event that looks something up (a void, a count, a transfer) sees every event before it in
// its own group, though those are staged for multi-row inserts.
TEST_P(LedgerTest, AVoidOrCountSeesTheEventsBeforeItInItsOwnGroup) {
  std::vector<common::Line> many;
  for (int i = 0; i < 100; ++i) many.push_back({"S" + std::to_string(i), 10, std::nullopt});
  auto receipt = event("till-1", EventType::kReceive, 100, many);  // 100 lines: 64 + 36 rows
  auto sale = event("till-1", EventType::kSale, 200, {{"S1", 3, std::nullopt}, {"S2", 4, std::nullopt}});
  auto v = event("till-1", EventType::kVoid, 300, {});
  v.ref = sale.event_id;
  auto later = event("till-1", EventType::kSale, 400, {{"S2", 1, std::nullopt}});
  auto count = event("till-1", EventType::kCount, 500, {{"S3", 7, std::nullopt}});
  apply({receipt, sale, v, later, count});
  EXPECT_EQ(onHand("S1"), 10);
  EXPECT_EQ(onHand("S2"), 9);
  EXPECT_EQ(onHand("S3"), 7);
  EXPECT_EQ(onHand("S99"), 10);
  EXPECT_EQ(*ledger_->countRows("anomalies"), 0);
  EXPECT_EQ(*ledger_->countRows("movements"), 100 + 2 + 2 + 1 + 1);
  EXPECT_TRUE(ledger_->verifyOnHand()->empty());
}

TEST_P(LedgerTest, QuarantineAndStateRowsAreStored) {
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

TEST_P(LedgerTest, SurvivesReopen) {
  apply({event("till-1", EventType::kReceive, 10, {{"A", 4, std::nullopt}})});
  ledger_.reset();
  auto l = coordinator::SqlLedger::open({.path = target_});
  ASSERT_TRUE(l.ok());
  ledger_ = std::move(*l);
  EXPECT_EQ(onHand("A"), 4);
  apply({event("till-1", EventType::kSale, 20, {{"A", 1, std::nullopt}})});
  EXPECT_EQ(onHand("A"), 3);
}

TEST_F(SqliteLedgerTest, ANewLedgerHasLargePagesAndAnOlderOneKeepsItsOwn) {
  auto page = [](const std::string& path) {
    auto db = common::SqliteDb::open({.path = path, .create = false, .read_only = true});
    return db.ok() ? *db->queryInt("PRAGMA page_size") : -1;
  };
  EXPECT_EQ(page(target_), coordinator::SqlLedger::kPageSize);
  // A ledger file from before kPageSize, with SQLite's default pages.
  std::string old_path = dir_.file("old.db");
  ASSERT_TRUE(common::SqliteDb::open({.path = old_path}).ok());
  ASSERT_EQ(page(old_path), 4096);
  auto l = coordinator::SqlLedger::open({.path = old_path});
  ASSERT_TRUE(l.ok()) << l.error().toString();
  ledger_ = std::move(*l);
  apply({event("till-1", EventType::kReceive, 10, {{"A", 4, std::nullopt}})});
  apply({event("till-1", EventType::kSale, 20, {{"A", 1, std::nullopt}})});
  EXPECT_EQ(onHand("A"), 3);
  EXPECT_EQ(page(old_path), 4096);
}

TEST_P(LedgerTest, TheCountTieWindowIsFixedWhenTheLedgerIsCreated) {
  ledger_.reset();
  auto same = coordinator::SqlLedger::open({.path = target_, .count_tie_ms = 2000});
  ASSERT_TRUE(same.ok()) << same.error().toString();
  same->reset();
  auto other = coordinator::SqlLedger::open({.path = target_, .count_tie_ms = 500});
  ASSERT_FALSE(other.ok());
  EXPECT_EQ(other.error().code, "bad_option");
  auto kept = coordinator::SqlLedger::open({.path = target_});
  ASSERT_TRUE(kept.ok());
  EXPECT_EQ((*kept)->countTieMs(), 2000);
}

// After a restart the ledger knows names only as events bring them; a whole-location count also
// zeroes SKUs that no event since the restart has named, and says which (location, SKU) changed.
// (Found by tools/chaos: the coordinator stopped on an unknown SKU id.)
TEST_P(LedgerTest, AfterARestartAWholeLocationCountNamesEverySkuItZeroes) {
  apply({event("till-1", EventType::kReceive, 1'000, {{"A", 5, std::nullopt}, {"B", 4, std::nullopt}})});
  ledger_.reset();
  auto l = coordinator::SqlLedger::open({.path = target_});
  ASSERT_TRUE(l.ok()) << l.error().toString();
  ledger_ = std::move(*l);
  common::Event session = event("hh-1", EventType::kCount, 100'000, {{"A", 3, std::nullopt}});
  session.scope = common::kScopeLocation;
  coordinator::CommitInfo info;
  apply({session}, 0, &info);
  EXPECT_EQ(onHand("A"), 3);
  EXPECT_EQ(onHand("B"), 0);
  std::set<std::pair<std::string, std::string>> changed(info.changed.begin(), info.changed.end());
  EXPECT_EQ(changed, (std::set<std::pair<std::string, std::string>>{{"store-1", "A"}, {"store-1", "B"}}));
  EXPECT_EQ(info.locations, std::vector<std::string>{"store-1"});
  EXPECT_TRUE(ledger_->verifyOnHand()->empty());
}

TEST_P(LedgerTest, AWholeLocationCountZeroesWhatItDidNotListEvenWhenMovementsArriveLater) {
  apply({event("till-1", EventType::kReceive, 1'000, {{"A", 5, std::nullopt}, {"B", 4, std::nullopt}})});
  common::Event session = event("hh-1", EventType::kCount, 100'000, {{"A", 3, std::nullopt}});
  session.scope = common::kScopeLocation;
  apply({session});
  EXPECT_EQ(onHand("A"), 3);
  EXPECT_EQ(onHand("B"), 0);  // on the shelf list, not found: counted 0
  // An offline till's receipt of C before the session arrives late: the session saw no C.
  apply({event("till-2", EventType::kReceive, 50'000, {{"C", 6, std::nullopt}}),
         event("till-2", EventType::kSale, 200'000, {{"B", 1, std::nullopt}})});
  EXPECT_EQ(onHand("C"), 0);
  EXPECT_EQ(onHand("B"), -1);  // sold after the count: a negative figure says recount
  auto d = ledger_->countDiscrepancies("store-1", "B", 10);
  ASSERT_TRUE(d.ok());
  ASSERT_EQ(d->size(), 1u);
  EXPECT_TRUE((*d)[0].location_session);
  EXPECT_EQ((*d)[0].expected, 4);
  EXPECT_EQ((*d)[0].difference(), -4);
  EXPECT_TRUE(ledger_->verifyOnHand()->empty());
}

TEST_P(LedgerTest, TransfersStayInTransitUntilReceivedAndShortReceiptsShowBothSides) {
  common::Event out = event("hh-1", EventType::kTransferOut, 1'000, {{"A", 10, std::nullopt}});
  out.other_location = "store-2";
  apply({event("hh-1", EventType::kReceive, 500, {{"A", 20, std::nullopt}}), out});
  auto open = ledger_->transfers("", "A", true, 10);
  ASSERT_TRUE(open.ok());
  ASSERT_EQ(open->size(), 1u);
  EXPECT_EQ((*open)[0].status(), "in_transit");
  common::Event in = event("hh-2", EventType::kTransferIn, 90'000, {{"A", 8, std::nullopt}}, "store-2");
  in.other_location = "store-1";
  in.ref = out.event_id;
  apply({in});
  EXPECT_EQ(onHand("A", "store-1"), 10);
  EXPECT_EQ(onHand("A", "store-2"), 8);
  auto all = ledger_->transfers("", "", false, 10);
  ASSERT_EQ(all->size(), 1u);
  EXPECT_EQ((*all)[0].status(), "short");
  EXPECT_EQ(*(*all)[0].sent, 10);
  EXPECT_EQ(*(*all)[0].received, 8);
  EXPECT_EQ((*all)[0].out_device, "hh-1");
  EXPECT_EQ((*all)[0].in_device, "hh-2");
  EXPECT_TRUE(ledger_->transfers("", "", true, 10)->empty());
}

namespace {

// "SKU@version=on_hand ..." for every row a stock view after `after` would send, in order.
std::string changesAfter(coordinator::SqlLedger& ledger, int64_t after, const std::string& location = "store-1") {
  auto page = ledger.stockChanges(location, "till-1", after, "", 100);
  if (!page.ok()) return page.error().toString();
  std::string out;
  for (const auto& r : page->rows) {
    out += (out.empty() ? "" : " ") + r.sku + "@" + std::to_string(r.version) + "=" + std::to_string(r.on_hand);
  }
  return out;
}

}  // namespace

TEST_P(LedgerTest, StockChangesListEachRowOnceAtItsLatestVersion) {
  apply({event("till-1", EventType::kReceive, 10, {{"A", 5, std::nullopt}, {"B", 7, std::nullopt}})});
  apply({event("till-1", EventType::kSale, 20, {{"A", 1, std::nullopt}})});
  apply({event("till-2", EventType::kReceive, 30, {{"C", 2, std::nullopt}}, "store-2")});
  // A changed at versions 1 and 2: only its latest change is listed.
  EXPECT_EQ(changesAfter(*ledger_, 0), "B@1=7 A@2=4");
  // Without a SKU in the cursor, the rows at the version asked from come again.
  EXPECT_EQ(changesAfter(*ledger_, 1), "B@1=7 A@2=4");
  EXPECT_EQ(changesAfter(*ledger_, 2), "A@2=4");
  EXPECT_EQ(changesAfter(*ledger_, 3), "");
  EXPECT_EQ(changesAfter(*ledger_, 0, "store-2"), "C@3=2");
  EXPECT_EQ(*ledger_->stockVersion("store-1"), 2);
  EXPECT_EQ(*ledger_->stockVersion("store-2"), 3);
  EXPECT_EQ(*ledger_->stockVersion("store-9"), 0);

  // Pages go on from (version, SKU).
  auto first = ledger_->stockChanges("store-1", "till-1", 0, "", 1);
  ASSERT_TRUE(first.ok());
  ASSERT_EQ(first->rows.size(), 1u);
  EXPECT_EQ(first->rows[0].sku, "B");
  EXPECT_TRUE(first->more);
  EXPECT_EQ(first->version, 2);
  auto next = ledger_->stockChanges("store-1", "till-1", 1, "B", 1);
  ASSERT_TRUE(next.ok());
  ASSERT_EQ(next->rows.size(), 1u);
  EXPECT_EQ(next->rows[0].sku, "A");
  EXPECT_FALSE(next->more);
}

// Issue 15 item 1: a pick task confirmed on two devices took the stock twice.
TEST_P(LedgerTest, APickTaskConfirmedOnASecondDeviceMovesNoStockAndIsAnAnomaly) {
  apply({event("hh-1", EventType::kReceive, 100, {{"A", 10, std::nullopt}, {"B", 4, std::nullopt}})});
  const std::string task = common::newUuid();
  auto pick = [&](const std::string& device, EventType type, std::vector<common::Line> lines) {
    common::Event e = event(device, type, 200, std::move(lines));
    e.ref = task;
    return e;
  };
  // hh-1 picks 1 A and finds no B (a count of 0); till-1 confirms the same task afterwards.
  apply({pick("hh-1", EventType::kSale, {{"A", 1, std::nullopt}}), pick("hh-1", EventType::kCount, {{"B", 0, std::nullopt}})});
  EXPECT_EQ(onHand("A"), 9);
  EXPECT_EQ(onHand("B"), 0);
  apply({event("till-1", EventType::kReceive, 5000, {{"B", 3, std::nullopt}}),
         pick("till-1", EventType::kSale, {{"A", 1, std::nullopt}}), pick("till-1", EventType::kCount, {{"A", 0, std::nullopt}})});
  EXPECT_EQ(onHand("A"), 9) << "the second confirmation took stock again";
  EXPECT_EQ(onHand("B"), 3);
  auto anomalies = ledger_->anomalies("", "task_already_confirmed", 0, 10);
  ASSERT_TRUE(anomalies.ok()) << anomalies.error().toString();
  ASSERT_EQ(anomalies->size(), 2u);
  EXPECT_EQ((*anomalies)[0].device_id, "till-1");
  EXPECT_NE((*anomalies)[0].message.find("confirmed first by hh-1"), std::string::npos) << (*anomalies)[0].message;
  EXPECT_EQ(ledger_->anomalyCounts()->at("task_already_confirmed"), 2);
  // The refused events are in the ledger, without movements; the same device may name the task again.
  auto events = ledger_->eventsForDevice("till-1", 1, 10);
  ASSERT_EQ(events->size(), 3u);
  EXPECT_TRUE((*events)[1].moves.empty());
  EXPECT_TRUE(ledger_->verifyOnHand()->empty());
  // A return naming a sale is not a task claim: two devices may each return part of one sale.
  common::Event r1 = event("hh-1", EventType::kReturn, 300, {{"A", 1, std::nullopt}});
  common::Event r2 = event("till-1", EventType::kReturn, 300, {{"A", 1, std::nullopt}});
  r1.ref = r2.ref = task;
  apply({r1, r2});
  EXPECT_EQ(onHand("A"), 11);
}

// Issue 15 item 6: a count showed delta 0 even when it corrected the stock.
TEST_P(LedgerTest, ACountRecordsWhatItChangedOnHand) {
  apply({event("till-1", EventType::kReceive, 100, {{"A", 10, std::nullopt}})});
  apply({event("hh-1", EventType::kCount, 200, {{"A", 7, std::nullopt}})});
  apply({event("hh-1", EventType::kCount, 300, {{"A", 7, std::nullopt}})});
  auto events = ledger_->eventsForDevice("hh-1", 1, 10);
  ASSERT_EQ(events->size(), 2u);
  ASSERT_EQ((*events)[0].moves.size(), 1u);
  EXPECT_EQ((*events)[0].moves[0].delta, 0) << "counts stay checkpoints in the movement log";
  EXPECT_EQ((*events)[0].moves[0].correction, -3);
  EXPECT_EQ((*events)[1].moves[0].correction, 0);
  auto log = ledger_->movementsFor("store-1", "A", 0, 10);
  ASSERT_EQ(log->size(), 3u);
  EXPECT_EQ((*log)[1].correction, -3);
  EXPECT_TRUE(ledger_->verifyOnHand()->empty());
}

// Issue 15 item 11: the orders worker was listed as a device.
TEST_P(LedgerTest, InternalEventSourcesAreMarked) {
  ApplyGroup g;
  g.applied_at_ms = 1;
  common::Event e = event("coordinator-orders", EventType::kReturn, 100, {{"A", 1, std::nullopt}});
  g.new_devices[e.device_id] = "orders";
  g.internal_devices.insert(e.device_id);
  g.cursors[e.device_id] = e.seq;
  g.events.push_back({e, 0});
  ASSERT_TRUE(ledger_->commit(g).ok());
  apply({event("till-1", EventType::kSale, 200, {{"A", 1, std::nullopt}})});
  auto devs = ledger_->devices();
  ASSERT_EQ(devs->size(), 2u);
  for (const auto& d : *devs) EXPECT_EQ(d.internal, d.device_id == "coordinator-orders") << d.device_id;
}

// Issue 15 item 7: price overrides are flagged in the ledger, by device.
TEST_P(LedgerTest, PriceChecksFromTheTillAreKeptBesideTheSale) {
  common::Event e = event("till-1", EventType::kSale, 100,
                          {{"A", 1, common::Decimal::parse("0.01").value()}, {"B", 1, std::nullopt}});
  e.price_flags = {{1, common::PriceCheck::kOverride, common::Decimal::parse("7.99").value()},
                   {2, common::PriceCheck::kNoPrice, std::nullopt}};
  apply({e, event("till-1", EventType::kSale, 200, {{"A", 1, std::nullopt}})});
  EXPECT_EQ(onHand("A"), -2);
  auto flags = ledger_->priceFlagsByDevice();
  ASSERT_TRUE(flags.ok()) << flags.error().toString();
  EXPECT_EQ(flags->at("till-1").at("override"), 1);
  EXPECT_EQ(flags->at("till-1").at("no_price"), 1);
  auto events = ledger_->eventsForDevice("till-1", 1, 10);
  ASSERT_EQ((*events)[0].moves.size(), 2u);
  EXPECT_EQ((*events)[0].moves[0].price_check, "override");
  EXPECT_EQ((*events)[0].moves[0].list_price_units, common::Decimal::parse("7.99")->scaled());
  EXPECT_TRUE((*events)[1].moves[0].price_check.empty());
}

// What only PostgreSQL has: the one writer lease (LedgerOptions::writer_id), several coordinators
// being able to reach one ledger there.
class PgLedgerTest : public LedgerFixture {
 protected:
  std::string store() const override { return "postgresql"; }
  // Opens a second ledger object on the same database.
  common::Result<std::unique_ptr<coordinator::SqlLedger>> openAs(const std::string& writer) {
    return coordinator::SqlLedger::open({.path = target_, .writer_id = writer});
  }
};

TEST_F(PgLedgerTest, OneWriterAtATimeAndTheSameWriterTakesItsLeaseBackAtOnce) {
  apply({event("till-1", EventType::kReceive, 10, {{"A", 5, std::nullopt}})});
  auto other = openAs("coordinator-b");
  ASSERT_FALSE(other.ok());
  EXPECT_EQ(other.error().code, "ledger_taken");
  EXPECT_NE(other.error().message.find("stockwire-ledger"), std::string::npos) << other.error().message;
  // Opened for reading (verify): reads work, commits are refused.
  auto reader = openAs("");
  ASSERT_TRUE(reader.ok()) << reader.error().toString();
  EXPECT_TRUE((*reader)->verifyOnHand()->empty());
  ApplyGroup g;
  g.applied_at_ms = 1;
  auto refused = (*reader)->commit(g);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, "read_only");
  // The same writer (a coordinator restarted after SIGKILL) takes it back without waiting.
  auto again = openAs("stockwire-ledger");
  ASSERT_TRUE(again.ok()) << again.error().toString();
  // Given up on destruction: another writer may then take it.
  again->reset();
  ledger_.reset();
  auto b = openAs("coordinator-b");
  ASSERT_TRUE(b.ok()) << b.error().toString();
}

TEST_F(PgLedgerTest, AWriterWhoseLeaseWasTakenCannotCommit) {
  apply({event("till-1", EventType::kReceive, 10, {{"A", 5, std::nullopt}})});
  // The lease runs out (this writer stalled), and another takes the ledger over.
  auto admin = common::PgDb::open({.url = target_});
  ASSERT_TRUE(admin.ok());
  ASSERT_TRUE((*admin)->exec("UPDATE writer_lease SET expires_at_ms = 0").ok());
  auto b = openAs("coordinator-b");
  ASSERT_TRUE(b.ok()) << b.error().toString();
  // The stalled writer's next group is fenced off whole.
  ApplyGroup g;
  g.applied_at_ms = 2;
  common::Event sale = event("till-1", EventType::kSale, 20, {{"A", 1, std::nullopt}});
  g.cursors["till-1"] = sale.seq;
  g.events.push_back({sale, 0});
  auto lost = ledger_->commit(g);
  ASSERT_FALSE(lost.ok());
  EXPECT_EQ(lost.error().code, "lease_lost");
  EXPECT_EQ(onHand("A"), 5);
  // The new writer applies the same group.
  ASSERT_TRUE((*b)->commit(g).ok());
  EXPECT_EQ(onHand("A"), 4);
}

namespace {

// Issue 21, upgrades: what an earlier release had applied (written by this one, then copied into
// a ledger of an earlier schema in the columns that version has), and what must still hold once
// this build has opened it.
class LedgerUpgradeTest : public LedgerFixture {
 protected:
  // Applied events, two devices' cursors, on-hand figures (one from a count), a transfer in transit.
  void applyHistory() {
    apply({event("hh-1", EventType::kReceive, 100, {{"A", 10, std::nullopt}, {"B", 4, std::nullopt}})});
    apply({event("till-1", EventType::kSale, 200, {{"A", 2, common::Decimal::parse("9.99").value()}}),
           event("till-1", EventType::kReturn, 300, {{"A", 1, std::nullopt}})});
    apply({event("hh-1", EventType::kCount, 10'000, {{"B", 3, std::nullopt}})});
    common::Event shipped = event("hh-1", EventType::kTransferOut, 20'000, {{"A", 2, std::nullopt}});
    shipped.other_location = "store-2";
    apply({shipped});
    ASSERT_EQ(onHand("A"), 7);
    ASSERT_EQ(onHand("B"), 3);
    auto events = ledger_->eventsForDevice("till-1", 1, 10);
    ASSERT_TRUE(events.ok());
    ASSERT_EQ(events->size(), 2u);
    for (const auto& e : *events) event_ids_.push_back(e.event_id);
    auto devices = ledger_->devices();
    ASSERT_TRUE(devices.ok());
    for (const auto& d : *devices) {
      if (d.device_id == "till-1") epoch_ = d.epoch;
    }
    ASSERT_FALSE(epoch_.empty());
  }

  // The upgraded ledger shows that history and carries on: the till's next event applies after its
  // cursor, and the count still absorbs an earlier sale of B that arrives late.
  void expectHistoryKeptAndCarriesOn(coordinator::SqlLedger& l, bool has_transfers) {
    auto devices = l.devices();
    ASSERT_TRUE(devices.ok());
    std::map<std::string, uint64_t> cursors;
    for (const auto& d : *devices) cursors[d.device_id] = d.last_applied_seq;
    EXPECT_EQ(cursors, (std::map<std::string, uint64_t>{{"hh-1", 3}, {"till-1", 2}}));
    auto events = l.eventsForDevice("till-1", 1, 10);
    ASSERT_TRUE(events.ok());
    ASSERT_EQ(events->size(), 2u);
    for (size_t i = 0; i < 2; ++i) {
      EXPECT_EQ((*events)[i].event_id, event_ids_[i]);
      EXPECT_EQ((*events)[i].moves.size(), 1u);
    }
    auto a = l.stockForSku("A");
    auto b = l.stockForSku("B");
    ASSERT_TRUE(a.ok() && b.ok());
    ASSERT_EQ(a->size(), 1u);
    ASSERT_EQ(b->size(), 1u);
    EXPECT_EQ((*a)[0].on_hand, 7);
    EXPECT_EQ((*b)[0].on_hand, 3);
    EXPECT_EQ((*b)[0].last_counted, 3);
    EXPECT_TRUE(l.verifyOnHand()->empty());
    if (has_transfers) {
      auto in_transit = l.transfers("", "A", true, 10);
      ASSERT_TRUE(in_transit.ok());
      ASSERT_EQ(in_transit->size(), 1u);
      EXPECT_EQ((*in_transit)[0].to_location, "store-2");
      EXPECT_EQ((*in_transit)[0].sent, 2);
    }

    common::Event next;
    next.device_id = "till-1";
    next.seq = 3;
    next.event_id = common::newUuid();
    next.type = EventType::kSale;
    next.occurred_at_ms = 30'000;
    next.location = "store-1";
    next.lines = {{"A", 1, std::nullopt}};
    common::Event late = next;
    late.seq = 4;
    late.event_id = common::newUuid();
    late.occurred_at_ms = 5'000;
    late.lines = {{"B", 1, std::nullopt}};
    common::Event elsewhere = next;  // a new device at a new location, selling a new SKU
    elsewhere.device_id = "till-9";
    elsewhere.seq = 1;
    elsewhere.event_id = common::newUuid();
    elsewhere.location = "store-9";
    elsewhere.lines = {{"Z", 1, std::nullopt}};
    ApplyGroup g;
    g.applied_at_ms = 40'000;
    g.new_devices["till-9"] = common::newUuid();
    g.cursors = {{"till-1", 4}, {"till-9", 1}};
    g.events = {{next, 0}, {late, 0}, {elsewhere, 0}};
    auto committed = l.commit(g);
    ASSERT_TRUE(committed.ok()) << committed.error().toString();
    EXPECT_EQ((*l.stockForSku("A"))[0].on_hand, 6);
    EXPECT_EQ((*l.stockForSku("B"))[0].on_hand, 3);
    EXPECT_EQ((*l.stockForSku("Z"))[0].on_hand, -1);
    auto after = l.devices();
    ASSERT_TRUE(after.ok());
    ASSERT_EQ(after->size(), 3u);
    for (const auto& d : *after) {
      if (d.device_id == "till-1") {
        EXPECT_EQ(d.last_applied_seq, 4u);
        EXPECT_EQ(d.epoch, epoch_);
      }
    }
    EXPECT_TRUE(l.verifyOnHand()->empty());
  }

  std::vector<std::string> event_ids_;
  std::string epoch_;
};

class SqliteLedgerUpgradeTest : public LedgerUpgradeTest {
 protected:
  std::string store() const override { return "sqlite"; }
};

class PgLedgerUpgradeTest : public LedgerUpgradeTest {
 protected:
  std::string store() const override { return "postgresql"; }
};

// Copies into `to` the rows of every table it has from the PostgreSQL database `from`, in the
// columns `to` has, as text (PostgreSQL reads each back as its column's type), then moves each
// identity column's sequence past the ids copied (rows an earlier release wrote took theirs from it).
void copyPgRows(common::SqlDb& to, common::SqlDb& from) {
  auto tables = to.prepare("SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()"
                           " AND table_type = 'BASE TABLE' AND table_name <> 'schema_versions' ORDER BY 1");
  ASSERT_TRUE(tables.ok());
  std::vector<std::string> names;
  ASSERT_TRUE(tables->eachRow([&](const common::SqlStmt& r) { names.push_back(r.columnText(0)); }).ok());
  ASSERT_FALSE(names.empty());
  for (const std::string& table : names) {
    auto cols = to.prepare("SELECT column_name, is_identity FROM information_schema.columns"
                           " WHERE table_schema = current_schema() AND table_name = ? ORDER BY ordinal_position");
    ASSERT_TRUE(cols.ok());
    cols->bind(1, table);
    std::vector<std::string> columns, identities;
    ASSERT_TRUE(cols->eachRow([&](const common::SqlStmt& r) {
                       columns.push_back(r.columnText(0));
                       if (r.columnText(1) == "YES") identities.push_back(r.columnText(0));
                     })
                    .ok());
    std::string select, insert, params;
    for (const std::string& c : columns) {
      select += (select.empty() ? "" : ", ") + c + "::text";
      insert += (insert.empty() ? "" : ", ") + c;
      params += params.empty() ? "?" : ", ?";
    }
    auto read = from.prepare("SELECT " + select + " FROM " + table);
    ASSERT_TRUE(read.ok()) << table << ": " << read.error().toString();
    std::vector<std::vector<std::optional<std::string>>> rows;
    ASSERT_TRUE(read->eachRow([&](const common::SqlStmt& r) {
                       rows.emplace_back();
                       for (size_t i = 0; i < columns.size(); ++i) {
                         const int col = static_cast<int>(i);
                         rows.back().push_back(r.columnIsNull(col) ? std::nullopt
                                                                   : std::optional<std::string>(r.columnText(col)));
                       }
                     })
                    .ok());
    for (const auto& row : rows) {
      auto ins = to.prepare("INSERT INTO " + table + " (" + insert + ") VALUES (" + params + ")");
      ASSERT_TRUE(ins.ok()) << table << ": " << ins.error().toString();
      for (size_t i = 0; i < row.size(); ++i) {
        if (row[i]) {
          ins->bind(static_cast<int>(i) + 1, *row[i]);
        } else {
          ins->bindNull(static_cast<int>(i) + 1);
        }
      }
      auto s = ins->run();
      ASSERT_TRUE(s.ok()) << table << ": " << s.error().toString();
    }
    for (const std::string& c : identities) {
      ASSERT_TRUE(to.exec("SELECT setval(pg_get_serial_sequence('" + table + "', '" + c + "'), max(" + c + ")) FROM " +
                          table + " HAVING count(*) > 0")
                      .ok());
    }
  }
}

}  // namespace

// A ledger file of each earlier schema version (SqlLedger::schemaSteps(), each recorded in
// schema_versions and, as releases before that table did, in user_version only) opens on this
// build with every row as it was and carries on; the file is at the current version.
TEST_F(SqliteLedgerUpgradeTest, ALedgerOfEachEarlierSchemaVersionKeepsWhatItApplied) {
  ASSERT_NO_FATAL_FAILURE(applyHistory());
  ledger_.reset();
  const auto& steps = coordinator::SqlLedger::schemaSteps();
  ASSERT_GE(steps.size(), 2u);
  const common::SqliteSchema schema{"ledger", steps, "user_version"};
  for (const test::EarlierSchema& e : test::earlierSchemas(steps.size(), static_cast<int64_t>(steps.size()))) {
    SCOPED_TRACE(e.describe());
    const std::string path = dir_.file("v" + std::to_string(e.version) + "-" + std::to_string(int(e.record)) + ".db");
    test::EarlierFile built;
    ASSERT_NO_FATAL_FAILURE(test::buildEarlierSchema(path, schema, e, target_, &built));
    ASSERT_TRUE(built.tables.count("events") && built.tables.count("on_hand") && built.tables.count("devices"));
    auto opened = coordinator::SqlLedger::open({.path = path});
    ASSERT_TRUE(opened.ok()) << opened.error().toString();
    test::expectRowsKept(built, path);
    EXPECT_EQ(test::versionsOf(path, "ledger"), std::make_pair(int64_t(steps.size()), int64_t(steps.size())));
    expectHistoryKeptAndCarriesOn(**opened, built.tables.count("transfers") > 0);
  }
}

// The same on PostgreSQL, whose ledger has steps of its own (SqlLedger::schemaSteps(kPostgres)):
// a database of each earlier version opens with that history and carries on, at the current version.
TEST_F(PgLedgerUpgradeTest, ALedgerOfEachEarlierSchemaVersionOnPostgresqlKeepsWhatItApplied) {
  ASSERT_NO_FATAL_FAILURE(applyHistory());
  ledger_.reset();
  auto scratch = coordinator::SqlLedger::connect({.path = target_}, false);
  ASSERT_TRUE(scratch.ok()) << scratch.error().toString();
  const auto& steps = coordinator::SqlLedger::schemaSteps(common::SqlDialect::kPostgres);
  ASSERT_GE(steps.size(), 2u);
  for (size_t version = 1; version < steps.size(); ++version) {
    SCOPED_TRACE("schema version " + std::to_string(version));
    const std::string target = test::ledgerTarget(store(), dir_, "v" + std::to_string(version));
    {
      auto db = coordinator::SqlLedger::connect({.path = target}, true);
      ASSERT_TRUE(db.ok()) << db.error().toString();
      auto migrated = (*db)->migrate({"ledger", {steps.begin(), steps.begin() + version}, ""});
      ASSERT_TRUE(migrated.ok()) << migrated.error().toString();
      ASSERT_NO_FATAL_FAILURE(copyPgRows(**db, **scratch));
    }
    auto opened = coordinator::SqlLedger::open({.path = target});
    ASSERT_TRUE(opened.ok()) << opened.error().toString();
    ASSERT_NO_FATAL_FAILURE(expectHistoryKeptAndCarriesOn(**opened, true));
    auto db = coordinator::SqlLedger::connect({.path = target}, false);
    ASSERT_TRUE(db.ok());
    EXPECT_EQ(*(*db)->schemaVersion("ledger"), static_cast<int64_t>(steps.size()));
  }
}

// A downgrade, on either store: a ledger a newer build has migrated is refused, saying which
// version it found, which this build supports and what to do, and is left as it was.
TEST_P(LedgerTest, ALedgerOfANewerSchemaIsRefusedAndLeftAsItWas) {
  apply({event("till-1", EventType::kReceive, 100, {{"A", 10, std::nullopt}}),
         event("till-1", EventType::kSale, 200, {{"A", 2, std::nullopt}})});
  ledger_.reset();
  const bool sqlite = store() == "sqlite";
  const auto known = static_cast<int64_t>(
      coordinator::SqlLedger::schemaSteps(sqlite ? common::SqlDialect::kSqlite : common::SqlDialect::kPostgres).size());
  {
    auto db = coordinator::SqlLedger::connect({.path = target_}, false);
    ASSERT_TRUE(db.ok()) << db.error().toString();
    ASSERT_EQ(*(*db)->schemaVersion("ledger"), known);
    ASSERT_TRUE((*db)->exec("UPDATE schema_versions SET version = " + std::to_string(known + 1) +
                            " WHERE component = 'ledger'")
                    .ok());
  }
  const std::string before = sqlite ? test::contentsOf(target_) : "";
  auto refused = coordinator::SqlLedger::open({.path = target_});
  ASSERT_FALSE(refused.ok());
  EXPECT_TRUE(test::refusedAsTooNew(refused.error(), "ledger", known + 1, known));
  if (sqlite) {
    EXPECT_EQ(test::contentsOf(target_), before);
  }
  auto db = coordinator::SqlLedger::connect({.path = target_}, false);
  ASSERT_TRUE(db.ok()) << db.error().toString();
  EXPECT_EQ(*(*db)->schemaVersion("ledger"), known + 1);
  EXPECT_EQ(*(*db)->queryInt("SELECT count(*) FROM events"), 2);
  EXPECT_EQ(*(*db)->queryInt("SELECT qty FROM on_hand"), 8);
}
