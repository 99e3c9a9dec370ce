// Security suite, hash chain (issue 16): real agent stores (SQLite), the coordinator's Sequencer
// and SqlLedger, and verify --chain's recomputation, against forged, replaced and replayed events.

#include <gtest/gtest.h>

#include <sqlite3.h>

#include "sw/agent/store.h"
#include "sw/common/chain.h"
#include "sw/common/codec.h"
#include "sw/common/uuid.h"
#include "sw/coordinator/ledger/sql_ledger.h"
#include "sw/coordinator/ingest/sequencer.h"
#include "test_support.h"

using namespace sw;
using coordinator::ApplyGroup;
using coordinator::Offer;

namespace {

class ChainTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto s = agent::Store::open({.path = dir_.file("till.db"), .device_id = "till-1", .location = "store-1",
                                 .kind = "till", .min_free_bytes = 0},
                                clock_);
    ASSERT_TRUE(s.ok());
    store_ = std::move(*s);
    auto l = coordinator::SqlLedger::open({.path = dir_.file("ledger.db")});
    ASSERT_TRUE(l.ok());
    ledger_ = std::move(*l);
  }
  void sell(int n, int64_t qty = 1) {
    for (int i = 0; i < n; ++i) {
      agent::EventDraft d;
      d.lines = {{"SKU-1", qty, common::Decimal::fromUnits(25000)}};
      ASSERT_TRUE(store_->record(d).ok());
    }
  }
  // The store's unacked events from `from` as the batch the agent would send.
  common::EventBatch pendingBatch(uint64_t from) {
    auto p = store_->pending(from, 1000, 1 << 20);
    EXPECT_TRUE(p.ok());
    std::vector<std::string_view> bodies;
    for (const auto& e : *p) bodies.push_back(e.body);
    auto b = common::decodeBatch(common::encodeBatchFromEncodedEvents(
        {"till-1", store_->epoch(), clock_.nowMs(), std::nullopt, store_->prevEpoch()}, bodies));
    EXPECT_TRUE(b.ok()) << b.error().toString();
    return *b;
  }
  // Offers the batch and commits what the Sequencer plans, as IngestService does.
  Offer apply(common::EventBatch batch) {
    const bool fresh = !seq_.known(batch.device_id);
    std::string epoch = batch.epoch;
    Offer o = seq_.offer(std::move(batch), 0, [&](const std::string& d, uint64_t s) {
      auto id = ledger_->eventIdAt(d, s);
      return id ? *id : std::nullopt;
    });
    ApplyGroup g;
    g.applied_at_ms = clock_.nowMs();
    if (fresh) g.new_devices["till-1"] = epoch;
    if (o.verdict == Offer::Verdict::kEpochSwitch) g.epoch_switches["till-1"] = {epoch, seq_.retiredEpochs("till-1")};
    if (o.chain_break) g.chain_breaks["till-1"] = "break";
    if (o.chain_moved) g.chain_heads["till-1"] = o.chain_head;
    for (auto& e : o.apply) g.events.push_back({e, 0});
    if (!o.apply.empty()) g.cursors["till-1"] = o.apply.back().seq;
    EXPECT_TRUE(ledger_->commit(g).ok());
    if (!o.apply.empty()) seq_.commit("till-1", o.apply.back().seq);
    seq_.commitAll();
    return o;
  }
  int64_t onHand() {
    auto rows = ledger_->stockForSku("SKU-1");
    EXPECT_TRUE(rows.ok());
    return rows->empty() ? 0 : rows->front().on_hand;
  }
  coordinator::ChainCheck verify() {
    auto c = ledger_->verifyChain("till-1");
    EXPECT_TRUE(c.ok());
    EXPECT_EQ(c->size(), 1u);
    return c->empty() ? coordinator::ChainCheck{} : c->front();
  }
  void sql(const std::string& q) {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(dir_.file("ledger.db").c_str(), &db), SQLITE_OK);
    char* err = nullptr;
    EXPECT_EQ(sqlite3_exec(db, q.c_str(), nullptr, nullptr, &err), SQLITE_OK) << (err ? err : "");
    sqlite3_free(err);
    sqlite3_close(db);
  }

  test::TempDir dir_;
  common::ManualClock clock_;
  std::unique_ptr<agent::Store> store_;
  std::unique_ptr<coordinator::SqlLedger> ledger_;
  coordinator::Sequencer seq_{coordinator::SequencerConfig{}};
};

TEST_F(ChainTest, EveryRecordedEventLinksToTheOneBefore) {
  sell(3);
  auto b = pendingBatch(1);
  ASSERT_EQ(b.events.size(), 3u);
  EXPECT_EQ(b.events[0].prev_hash, common::kChainGenesis);
  EXPECT_EQ(b.events[1].prev_hash, common::chainHash(b.events[0]));
  EXPECT_EQ(b.events[2].prev_hash, common::chainHash(b.events[1]));
}

TEST_F(ChainTest, AChainedHistoryVerifiesEndToEnd) {
  sell(5);
  apply(pendingBatch(1));
  auto c = verify();
  EXPECT_TRUE(c.ok) << c.message;
  EXPECT_EQ(c.chained_from, 1u);
  EXPECT_EQ(c.events_checked, 5u);
  EXPECT_EQ(c.head, common::chainHash(pendingBatch(5).events[0]));
}

TEST_F(ChainTest, AForgedEventIsAVisibleChainBreakAndChangesNoStock) {
  sell(3);
  apply(pendingBatch(1));
  ASSERT_EQ(onHand(), -3);
  // Published as the device: a valid next seq, another body, linked as its last batch's event was.
  common::EventBatch real = pendingBatch(3);
  common::EventBatch forged = real;
  common::Event& f = forged.events[0];
  f.seq = 4;
  f.event_id = common::newUuid();
  f.lines[0].qty = 50;
  for (const std::string& prev : {real.events[0].prev_hash, std::string(common::kChainGenesis), std::string()}) {
    f.prev_hash = prev;
    Offer o = apply(forged);
    ASSERT_TRUE(o.chain_break.has_value()) << "prev " << prev;
    EXPECT_EQ(o.chain_break->event_id, f.event_id);
    EXPECT_TRUE(o.apply.empty());
    EXPECT_EQ(onHand(), -3);
    EXPECT_EQ(seq_.applied("till-1"), 3u);
  }
  auto devices = ledger_->devices();
  ASSERT_TRUE(devices.ok());
  EXPECT_EQ(devices->front().chain_breaks, 3);
  // The device's own next sale links and applies.
  sell(1);
  Offer o = apply(pendingBatch(4));
  EXPECT_FALSE(o.chain_break.has_value());
  EXPECT_EQ(onHand(), -4);
  EXPECT_TRUE(verify().ok);
}

TEST_F(ChainTest, NothingAfterABreakAppliesUntilALinkedEventArrives) {
  sell(4);
  common::EventBatch all = pendingBatch(1);
  all.events[1].prev_hash = std::string(common::kChainGenesis);  // seq 2 broken
  Offer o = apply(all);
  ASSERT_TRUE(o.chain_break.has_value());
  EXPECT_EQ(o.chain_break->seq, 2u);
  EXPECT_EQ(o.chain_dropped, 2u);
  EXPECT_EQ(seq_.applied("till-1"), 1u);
  apply(pendingBatch(2));  // the real ones
  EXPECT_EQ(seq_.applied("till-1"), 4u);
  EXPECT_TRUE(verify().ok);
}

TEST_F(ChainTest, AReplacedEventInTheLedgerIsFoundByVerify) {
  sell(4);
  apply(pendingBatch(1));
  ASSERT_TRUE(verify().ok);
  sql("UPDATE movements SET qty = 9 WHERE seq = 2");
  auto c = verify();
  EXPECT_FALSE(c.ok);
  EXPECT_EQ(c.break_seq, 3u);
  EXPECT_NE(c.message.find("seq 2"), std::string::npos) << c.message;
  sql("UPDATE movements SET qty = 1 WHERE seq = 2");
  EXPECT_TRUE(verify().ok);
  sql("UPDATE events SET reason = 'x' WHERE seq = 4");  // the last one: only the head tells
  c = verify();
  EXPECT_FALSE(c.ok);
  EXPECT_EQ(c.break_seq, 4u);
  sql("UPDATE events SET reason = NULL WHERE seq = 4");
  sql("DELETE FROM movements WHERE seq = 3; DELETE FROM events WHERE seq = 3");
  c = verify();
  EXPECT_FALSE(c.ok);
  EXPECT_EQ(c.break_seq, 3u);
}

TEST_F(ChainTest, AReplayedOldBatchChangesNothing) {
  sell(3);
  common::EventBatch old = pendingBatch(1);
  apply(old);
  sell(2);
  apply(pendingBatch(4));
  const int64_t before = onHand();
  Offer o = apply(old);
  EXPECT_EQ(o.duplicates, 3u);
  EXPECT_TRUE(o.apply.empty());
  EXPECT_FALSE(o.chain_break.has_value());
  EXPECT_EQ(onHand(), before);
  EXPECT_TRUE(verify().ok);
}

TEST_F(ChainTest, DevicesFromBeforeTheChainAreAcceptedUntilTheyChain) {
  sell(4);
  common::EventBatch b = pendingBatch(1);
  b.events[0].prev_hash.clear();  // recorded before the chain
  b.events[1].prev_hash.clear();
  b.events[2].prev_hash = std::string(common::kChainGenesis);  // its first chained event
  b.events[3].prev_hash = common::chainHash(b.events[2]);
  b.events.resize(4);
  Offer o = apply(b);
  EXPECT_FALSE(o.chain_break.has_value());
  EXPECT_EQ(seq_.applied("till-1"), 4u);
  auto c = verify();
  EXPECT_TRUE(c.ok) << c.message;
  EXPECT_EQ(c.chained_from, 3u);
  // Once chained, an unchained event is a break.
  sell(1);
  common::EventBatch next = pendingBatch(5);
  next.events[0].prev_hash.clear();
  EXPECT_TRUE(apply(next).chain_break.has_value());
}

TEST_F(ChainTest, ResequenceAfterASeqConflictKeepsTheChainValid) {
  sell(5);
  apply(pendingBatch(1));  // the coordinator has 1..5
  ASSERT_TRUE(store_->markAcked(2).ok());
  // The coordinator holds other events than this store's at 3..5 (the store was put back to an
  // older copy): the store renumbers its unsent events after 5, linked to the coordinator's head.
  auto r = store_->resequence(3, 5, seq_.chainHead("till-1"));
  ASSERT_TRUE(r.ok());
  ASSERT_TRUE(r->has_value());
  EXPECT_EQ((*r)->shift, 3u);
  // The coordinator had marked the conflict (as when the device's seq 3 came with another id).
  common::EventBatch conflicting = pendingBatch(6);
  ASSERT_EQ(conflicting.events.front().seq, 6u);
  EXPECT_EQ(conflicting.events.front().prev_hash, seq_.chainHead("till-1"));
  // Make the Sequencer expect the switch: a batch under the old epoch at seq 3 with another id.
  common::EventBatch old = pendingBatch(6);
  old.epoch = (*r)->old_epoch;
  old.prev_epoch.clear();
  old.events.front().seq = 3;
  old.events.front().event_id = common::newUuid();
  old.events.resize(1);
  Offer c = apply(old);
  ASSERT_EQ(c.verdict, Offer::Verdict::kConflict);
  Offer sw = apply(pendingBatch(6));
  EXPECT_EQ(sw.verdict, Offer::Verdict::kEpochSwitch);
  EXPECT_FALSE(sw.chain_break.has_value());
  EXPECT_EQ(seq_.applied("till-1"), 8u);
  auto v = verify();
  EXPECT_TRUE(v.ok) << v.message;
  EXPECT_EQ(v.events_checked, 8u);
  // And the store's next event links to the last renumbered one.
  sell(1);
  apply(pendingBatch(9));
  EXPECT_EQ(seq_.applied("till-1"), 9u);
  EXPECT_TRUE(verify().ok);
}

}  // namespace
