#include <gtest/gtest.h>

#include <fstream>

#include "sw/agent/store.h"
#include "sw/common/codec.h"
#include "test_support.h"

using namespace sw;
using agent::EventDraft;
using agent::Store;
using common::EventType;

namespace {

EventDraft saleDraft(int64_t qty = 1, std::string key = "") {
  EventDraft d;
  d.type = EventType::kSale;
  d.lines = {{"SKU-1", qty, common::Decimal::parse("2.50").value()}};
  d.idempotency_key = std::move(key);
  return d;
}

class StoreTest : public ::testing::Test {
 protected:
  agent::StoreConfig config(const std::string& device = "till-1") {
    return {.path = dir_.file("agent.db"), .device_id = device, .location = "store-1", .kind = "till",
            .min_free_bytes = 0};
  }
  std::unique_ptr<Store> open() {
    auto s = Store::open(config(), clock_);
    EXPECT_TRUE(s.ok()) << s.error().toString();
    return std::move(*s);
  }
  test::TempDir dir_;
  common::ManualClock clock_;
};

}  // namespace

TEST_F(StoreTest, SeqIsGaplessAndSurvivesReopen) {
  {
    auto store = open();
    for (uint64_t i = 1; i <= 5; ++i) EXPECT_EQ(store->record(saleDraft())->seq, i);
  }
  auto store = open();
  EXPECT_EQ(store->record(saleDraft())->seq, 6u);
  auto st = store->stats();
  EXPECT_EQ(st->last_seq, 6u);
  EXPECT_EQ(st->queue_depth, 6u);
}

TEST_F(StoreTest, EpochIsStableForAStoreAndNewForANewOne) {
  std::string epoch;
  {
    auto store = open();
    epoch = store->epoch();
  }
  EXPECT_EQ(open()->epoch(), epoch);
  std::remove(dir_.file("agent.db").c_str());
  std::remove(dir_.file("agent.db-wal").c_str());
  std::remove(dir_.file("agent.db-shm").c_str());
  EXPECT_NE(open()->epoch(), epoch);
}

TEST_F(StoreTest, IdempotencyKeyReturnsTheFirstEvent) {
  auto store = open();
  auto a = store->record(saleDraft(1, "pos-42"));
  auto b = store->record(saleDraft(1, "pos-42"));
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_FALSE(a->duplicate);
  EXPECT_TRUE(b->duplicate);
  EXPECT_EQ(a->event_id, b->event_id);
  EXPECT_EQ(a->seq, b->seq);
  EXPECT_EQ(store->stats()->last_seq, 1u);
}

TEST_F(StoreTest, InvalidDraftWritesNothing) {
  auto store = open();
  EventDraft d = saleDraft(0);
  auto r = store->record(d);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, "bad_qty");
  EXPECT_EQ(store->stats()->last_seq, 0u);
}

TEST_F(StoreTest, PendingFollowsAcksAndByteBudget) {
  auto store = open();
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(store->record(saleDraft()).ok());
  auto p = store->pending(1, 100, 1 << 20);
  ASSERT_EQ(p->size(), 10u);
  EXPECT_EQ(p->front().seq, 1u);
  auto e = common::decodeEvent(p->front().body);
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->lines[0].sku, "SKU-1");
  size_t one = p->front().body.size();
  EXPECT_EQ(store->pending(1, 100, one * 3)->size(), 3u);
  EXPECT_EQ(store->pending(1, 100, 1)->size(), 1u);  // always at least one
  ASSERT_TRUE(store->markAcked(4).ok());
  p = store->pending(1, 100, 1 << 20);
  ASSERT_EQ(p->size(), 6u);
  EXPECT_EQ(p->front().seq, 5u);
  ASSERT_TRUE(store->markAcked(2).ok());  // never moves back
  EXPECT_EQ(store->stats()->last_acked_seq, 4u);
  auto bad = store->markAcked(11);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code, "ack_beyond_last");
}

TEST_F(StoreTest, PruneKeepsUnackedAndRecentlyAcked) {
  auto store = open();
  for (int i = 0; i < 6; ++i) ASSERT_TRUE(store->record(saleDraft()).ok());
  ASSERT_TRUE(store->markAcked(3).ok());
  EXPECT_EQ(*store->prune(60'000), 0);
  clock_.advanceMs(120'000);
  EXPECT_EQ(*store->prune(60'000), 3);
  auto st = store->stats();
  EXPECT_EQ(st->stored_events, 3u);
  EXPECT_EQ(st->queue_depth, 3u);
  EXPECT_EQ(store->record(saleDraft())->seq, 7u);  // seq continues after pruning
}

TEST_F(StoreTest, PruneTakesOnlyAPrefixWhenTheClockWasSetBack) {
  auto store = open();
  for (int i = 0; i < 6; ++i) ASSERT_TRUE(store->record(saleDraft()).ok());
  ASSERT_TRUE(store->markAcked(3).ok());
  clock_.jumpWallMs(-120'000);  // the device clock is set two minutes back
  ASSERT_TRUE(store->markAcked(6).ok());
  clock_.advanceMs(130'000);
  // 4..6 carry an older ack time than 1..3, but pruning them first would leave a gap.
  EXPECT_EQ(*store->prune(60'000), 0);
  EXPECT_EQ(store->stats()->stored_events, 6u);
  clock_.advanceMs(60'000);
  EXPECT_EQ(*store->prune(60'000), 6);
  EXPECT_EQ(store->stats()->stored_events, 0u);
  EXPECT_EQ(store->record(saleDraft())->seq, 7u);
}

TEST_F(StoreTest, RewoundEventsKeepTheirAckTimeForPruning) {
  auto store = open();
  for (int i = 0; i < 6; ++i) ASSERT_TRUE(store->record(saleDraft()).ok());
  ASSERT_TRUE(store->markAcked(6).ok());
  clock_.advanceMs(50'000);
  ASSERT_TRUE(store->rewindAcked(4).ok());  // 1..4 were acknowledged 50 s ago, 5..6 are not now
  clock_.advanceMs(20'000);
  EXPECT_EQ(*store->prune(60'000), 4);
  auto st = store->stats();
  EXPECT_EQ(st->stored_events, 2u);
  EXPECT_EQ(st->queue_depth, 2u);
  EXPECT_EQ(store->pending(1, 10, 1 << 20)->front().seq, 5u);
}

TEST_F(StoreTest, AStoreFromBeforeTheAcksTableKeepsItsAckTimes) {
  {
    auto store = open();
    for (int i = 0; i < 5; ++i) ASSERT_TRUE(store->record(saleDraft()).ok());
    ASSERT_TRUE(store->markAcked(3).ok());
  }
  {
    // Put the file back to schema 2: ack times on the outbox rows, no acks table.
    auto db = common::SqliteDb::open({.path = dir_.file("agent.db"), .create = false});
    ASSERT_TRUE(db.ok()) << db.error().toString();
    for (const char* sql : {"ALTER TABLE outbox ADD COLUMN acked_at_ms INTEGER",
                            "UPDATE outbox SET acked_at_ms = (SELECT acked_at_ms FROM acks) WHERE seq <= 3",
                            "DROP TABLE acks", "PRAGMA user_version = 2"}) {
      ASSERT_TRUE(db->exec(sql).ok()) << sql;
    }
  }
  auto store = open();
  auto st = store->stats();
  EXPECT_EQ(st->last_acked_seq, 3u);
  EXPECT_EQ(st->stored_events, 5u);
  EXPECT_EQ(*store->prune(60'000), 0);
  clock_.advanceMs(120'000);
  EXPECT_EQ(*store->prune(60'000), 3);
  EXPECT_EQ(store->pending(1, 10, 1 << 20)->front().seq, 4u);
}

TEST_F(StoreTest, RewindAckedResendsRetainedEventsButNotPrunedOnes) {
  auto store = open();
  for (int i = 0; i < 6; ++i) ASSERT_TRUE(store->record(saleDraft()).ok());
  ASSERT_TRUE(store->markAcked(6).ok());
  ASSERT_TRUE(store->rewindAcked(4).ok());
  EXPECT_EQ(store->stats()->queue_depth, 2u);
  EXPECT_EQ(store->pending(1, 10, 1 << 20)->front().seq, 5u);
  ASSERT_TRUE(store->markAcked(6).ok());
  clock_.advanceMs(120'000);
  ASSERT_EQ(*store->prune(60'000), 6);
  auto s = store->rewindAcked(2);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, "pruned");
  EXPECT_EQ(store->stats()->last_acked_seq, 6u);
}

TEST_F(StoreTest, OldestUnsyncedAge) {
  auto store = open();
  ASSERT_TRUE(store->record(saleDraft()).ok());
  int64_t t0 = clock_.nowMs();
  clock_.advanceMs(5000);
  ASSERT_TRUE(store->record(saleDraft()).ok());
  EXPECT_EQ(store->stats()->oldest_unsynced_recorded_at_ms, t0);
  ASSERT_TRUE(store->markAcked(2).ok());
  EXPECT_EQ(store->stats()->oldest_unsynced_recorded_at_ms, 0);
}

TEST_F(StoreTest, StoreOfAnotherDeviceIsRefused) {
  { open(); }
  auto other = Store::open(config("till-2"), clock_);
  ASSERT_FALSE(other.ok());
  EXPECT_EQ(other.error().code, "device_mismatch");
}

TEST_F(StoreTest, LowDiskRefusesNewSalesWithAClearError) {
  auto cfg = config();
  cfg.min_free_bytes = INT64_MAX;
  auto store = Store::open(cfg, clock_);
  ASSERT_TRUE(store.ok());
  auto r = (*store)->record(saleDraft());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, "disk_full");
  EXPECT_EQ(r.error().kind, common::ErrorKind::kRetry);
  EXPECT_EQ((*store)->stats()->last_seq, 0u);
}

TEST_F(StoreTest, CorruptStoreIsReportedNotReplaced) {
  { open()->record(saleDraft()).value(); }
  std::remove(dir_.file("agent.db-wal").c_str());
  std::string path = dir_.file("agent.db");
  {
    std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(0);
    f << "garbage garbage garbage!";
  }
  auto s = Store::open(config(), clock_);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, "corrupt_database");
  std::ifstream in(path, std::ios::binary);
  std::string head(7, '\0');
  in.read(head.data(), 7);
  EXPECT_EQ(head, "garbage");
}
