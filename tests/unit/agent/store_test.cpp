#include <gtest/gtest.h>

#include <fstream>

#include "sw/agent/store.h"
#include "sw/common/codec.h"
#include "schema_upgrade.h"
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
    // Put the file back to schema 2 as that release wrote it: ack times on the outbox rows, no acks
    // table, the version in user_version only.
    auto db = common::SqliteDb::open({.path = dir_.file("agent.db"), .create = false});
    ASSERT_TRUE(db.ok()) << db.error().toString();
    for (const char* sql : {"ALTER TABLE outbox ADD COLUMN acked_at_ms INTEGER",
                            "UPDATE outbox SET acked_at_ms = (SELECT acked_at_ms FROM acks) WHERE seq <= 3",
                            "DROP TABLE acks", "DROP TABLE voids",
                            "ALTER TABLE counters DROP COLUMN chain_head", "DROP TABLE schema_versions",
                            "PRAGMA user_version = 2"}) {
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

// Time left on the disk follows what recording took in the last hour: unknown before any
// write, shrinking as the rate grows, unknown again once the hour has passed with no writes.
TEST_F(StoreTest, DiskTimeLeftFollowsTheLastHoursRecordingRate) {
  auto store = open();
  EXPECT_EQ(store->stats()->disk_time_left_s, -1);
  ASSERT_TRUE(store->record(saleDraft()).ok());
  clock_.advanceMs(600'000);
  auto one = store->stats();
  ASSERT_TRUE(one.ok());
  ASSERT_GT(one->disk_free_bytes, 0);
  ASSERT_GT(one->recent_bytes_per_s, 0.0);
  // One event's estimated size over ten minutes; the reserve is 0 in this config.
  EXPECT_EQ(one->disk_time_left_s,
            static_cast<int64_t>(static_cast<double>(one->disk_free_bytes) / one->recent_bytes_per_s));
  for (int i = 0; i < 9; ++i) ASSERT_TRUE(store->record(saleDraft()).ok());
  auto ten = store->stats();
  EXPECT_NEAR(ten->recent_bytes_per_s, 10 * one->recent_bytes_per_s, one->recent_bytes_per_s * 0.5);
  EXPECT_LT(ten->disk_time_left_s, one->disk_time_left_s / 5);
  clock_.advanceMs(3'600'000);
  EXPECT_EQ(store->stats()->disk_time_left_s, -1);
  EXPECT_EQ(store->stats()->recent_bytes_per_s, 0.0);
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

// Issue 15 item 5: a second void of the same sale was accepted at the till.
TEST_F(StoreTest, ASaleIsVoidedOnceAndTheSecondVoidWritesNothing) {
  auto store = open();
  auto sale = store->record(saleDraft());
  ASSERT_TRUE(sale.ok());
  EventDraft v;
  v.type = EventType::kVoid;
  v.ref = sale->event_id;
  auto first = store->record(v);
  ASSERT_TRUE(first.ok()) << first.error().toString();
  auto second = store->record(v);
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.error().code, "already_voided");
  EXPECT_NE(second.error().message.find(first->event_id), std::string::npos) << second.error().message;
  EXPECT_EQ(store->stats()->last_seq, 2u);
  // A retry with the first void's idempotency key still answers with the first void.
  v.idempotency_key = "void-1";
  EventDraft other = saleDraft();
  auto sale2 = store->record(other);
  v.ref = sale2->event_id;
  auto keyed = store->record(v);
  ASSERT_TRUE(keyed.ok());
  auto again = store->record(v);
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(again->duplicate);
  EXPECT_EQ(again->seq, keyed->seq);
}

TEST_F(StoreTest, AStoreFromBeforeTheVoidsTableKnowsItsEarlierVoids) {
  std::string sale_id;
  {
    auto store = open();
    sale_id = store->record(saleDraft())->event_id;
    EventDraft v;
    v.type = EventType::kVoid;
    v.ref = sale_id;
    ASSERT_TRUE(store->record(v).ok());
  }
  {
    auto db = common::SqliteDb::open({.path = dir_.file("agent.db"), .create = false});
    ASSERT_TRUE(db.ok());
    ASSERT_TRUE(db->exec("DROP TABLE voids").ok());
    ASSERT_TRUE(db->exec("ALTER TABLE counters DROP COLUMN chain_head").ok());
    ASSERT_TRUE(db->exec("DELETE FROM meta WHERE key = 'voids_filled'").ok());
    ASSERT_TRUE(db->exec("DROP TABLE schema_versions").ok());  // as a release before it wrote the file
    ASSERT_TRUE(db->exec("PRAGMA user_version = 3").ok());
  }
  auto store = open();
  EventDraft v;
  v.type = EventType::kVoid;
  v.ref = sale_id;
  auto r = store->record(v);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, "already_voided");
}

// Issue 15 item 2: after a seq conflict the store renumbers what the coordinator has not got.
TEST_F(StoreTest, ResequenceRenumbersUnsentEventsAfterWhatTheCoordinatorHas) {
  auto store = open();
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(store->record(saleDraft()).ok());
  ASSERT_TRUE(store->markAcked(2).ok());
  auto sale = store->record(saleDraft(2));  // seq 4
  EventDraft v;
  v.type = EventType::kVoid;
  v.ref = sale->event_id;
  ASSERT_TRUE(store->record(v).ok());  // seq 5
  const std::string old_epoch = store->epoch();
  // The coordinator has seqs up to 7 and another event at 3.
  auto r = store->resequence(3, 7);
  ASSERT_TRUE(r.ok()) << r.error().toString();
  ASSERT_TRUE(r->has_value());
  EXPECT_EQ((*r)->shift, 5u);
  EXPECT_EQ((*r)->events, 3u);
  EXPECT_EQ((*r)->acked_through, 7u);
  EXPECT_NE(store->epoch(), old_epoch);
  EXPECT_EQ(store->prevEpoch(), old_epoch);
  auto st = store->stats();
  EXPECT_EQ(st->last_seq, 10u);
  EXPECT_EQ(st->last_acked_seq, 7u);
  EXPECT_EQ(st->queue_depth, 3u);
  auto pending = store->pending(1, 10, 1 << 20);
  ASSERT_EQ(pending->size(), 3u);
  EXPECT_EQ(pending->front().seq, 8u);
  for (uint64_t seq = 8; seq <= 10; ++seq) {
    auto e = store->eventAt(seq);
    ASSERT_TRUE(e.ok()) << e.error().toString();
    EXPECT_EQ(e->seq, seq) << "the stored body carries its new seq";
  }
  EXPECT_EQ(store->eventAt(9)->event_id, sale->event_id);
  // The void's record moved with it: a second void is still refused, naming the new seq.
  auto again = store->record(v);
  ASSERT_FALSE(again.ok());
  EXPECT_NE(again.error().message.find("seq 10"), std::string::npos) << again.error().message;
  EXPECT_EQ(store->record(saleDraft())->seq, 11u);
  // A stale conflict (already handled) changes nothing.
  EXPECT_FALSE(store->resequence(3, 7)->has_value());
  // Survives reopen.
  const std::string epoch = store->epoch();
  store.reset();
  store = open();
  EXPECT_EQ(store->epoch(), epoch);
  EXPECT_EQ(store->prevEpoch(), old_epoch);
  EXPECT_EQ(store->resequenceInfo().count, 1);
  EXPECT_EQ(store->stats()->last_seq, 11u);
}

// Issue 21, upgrades: a store left by a build of each earlier schema version, with sales not yet
// sent, opens on this build with every one of them still to send, in order, under the same epoch;
// a retried sale still finds its first recording and the next one follows them. The rows are
// written in the columns every version's outbox has, with today's event bodies (the wire encoding
// is versioned apart from the tables).
TEST_F(StoreTest, AStoreOfEachEarlierSchemaVersionKeepsItsUnsentSales) {
  struct Row {
    int64_t seq, recorded_at_ms;
    std::string event_id, idem_key, type, body;
  };
  std::vector<Row> rows;
  std::string epoch;
  {
    auto scratch = Store::open({.path = dir_.file("scratch.db"), .device_id = "till-1", .location = "store-1",
                                .kind = "till", .min_free_bytes = 0},
                               clock_);
    ASSERT_TRUE(scratch.ok()) << scratch.error().toString();
    for (int i = 1; i <= 3; ++i) ASSERT_TRUE((*scratch)->record(saleDraft(i, "sale-" + std::to_string(i))).ok());
    epoch = (*scratch)->epoch();
    ASSERT_TRUE((*scratch)
                    ->read([&](common::SqliteDb& db) -> common::Status {
                      auto st = db.prepare("SELECT seq, recorded_at_ms, event_id, idem_key, type, body FROM outbox"
                                           " ORDER BY seq");
                      if (!st) return st.error();
                      return st->eachRow([&](const common::SqliteStmt& r) {
                        rows.push_back({r.columnInt(0), r.columnInt(1), r.columnText(2), r.columnText(3),
                                        r.columnText(4), r.columnText(5)});
                      });
                    })
                    .ok());
  }
  ASSERT_EQ(rows.size(), 3u);
  const auto& steps = Store::schemaSteps();
  ASSERT_GE(steps.size(), 2u);
  for (size_t version = 1; version < steps.size(); ++version) {
    SCOPED_TRACE("schema version " + std::to_string(version));
    const std::string path = dir_.file("v" + std::to_string(version) + ".db");
    {
      auto db = common::SqliteDb::open({.path = path});
      ASSERT_TRUE(db.ok());
      ASSERT_TRUE(db->migrate({"agent_store", std::vector<std::string>(steps.begin(), steps.begin() + version),
                               "user_version"})
                      .ok());
      auto meta = db->prepare("INSERT INTO meta (key, value) VALUES ('device_id', 'till-1'), ('epoch', ?)");
      ASSERT_TRUE(meta.ok());
      meta->bind(1, epoch);
      ASSERT_TRUE(meta->run().ok());
      for (const Row& r : rows) {
        auto ins = db->prepare(
            "INSERT INTO outbox (seq, recorded_at_ms, event_id, idem_key, type, body) VALUES (?, ?, ?, ?, ?, ?)");
        ASSERT_TRUE(ins.ok());
        ins->bind(1, r.seq).bind(2, r.recorded_at_ms).bind(3, r.event_id).bind(4, r.idem_key).bind(5, r.type);
        ins->bindBlob(6, r.body);
        ASSERT_TRUE(ins->run().ok());
      }
      ASSERT_TRUE(db->exec("UPDATE counters SET last_seq = 3").ok());
    }
    auto store = Store::open({.path = path, .device_id = "till-1", .location = "store-1", .kind = "till",
                              .min_free_bytes = 0},
                             clock_);
    ASSERT_TRUE(store.ok()) << store.error().toString();
    EXPECT_EQ((*store)->epoch(), epoch);
    auto pending = (*store)->pending(1, 100, 1 << 20);
    ASSERT_TRUE(pending.ok());
    ASSERT_EQ(pending->size(), 3u);
    for (size_t i = 0; i < 3; ++i) {
      EXPECT_EQ((*pending)[i].seq, i + 1);
      EXPECT_EQ((*pending)[i].body, rows[i].body);
    }
    auto again = (*store)->record(saleDraft(2, "sale-2"));
    ASSERT_TRUE(again.ok());
    EXPECT_EQ(again->seq, 2u) << "a retried sale is the one already recorded";
    auto next = (*store)->record(saleDraft(4));
    ASSERT_TRUE(next.ok());
    EXPECT_EQ(next->seq, 4u);
    EXPECT_TRUE(again->duplicate);
    int64_t now_version = 0;
    ASSERT_TRUE((*store)
                    ->read([&](common::SqliteDb& db) -> common::Status {
                      auto v = db.schemaVersion("agent_store");
                      if (!v) return v.error();
                      now_version = *v;
                      return {};
                    })
                    .ok());
    EXPECT_EQ(now_version, static_cast<int64_t>(steps.size()));
  }
}

// A downgrade: a store a newer build has migrated is refused, with what to do, and left as it was.
TEST_F(StoreTest, AStoreOfANewerSchemaIsRefusedAndLeftAsItWas) {
  {
    auto store = open();
    ASSERT_TRUE(store->record(saleDraft(1)).ok());
  }
  const auto newer = static_cast<int64_t>(Store::schemaSteps().size()) + 1;
  {
    auto db = common::SqliteDb::open({.path = dir_.file("agent.db")});
    ASSERT_TRUE(db.ok());
    ASSERT_TRUE(db->exec("UPDATE schema_versions SET version = " + std::to_string(newer) +
                         " WHERE component = 'agent_store'")
                    .ok());
  }
  auto refused = Store::open(config(), clock_);
  ASSERT_FALSE(refused.ok());
  EXPECT_TRUE(test::refusedAsTooNew(refused.error(), "agent_store", newer, newer - 1));
  auto db = common::SqliteDb::open({.path = dir_.file("agent.db")});
  ASSERT_TRUE(db.ok());
  EXPECT_EQ(*db->queryInt("SELECT version FROM schema_versions WHERE component = 'agent_store'"), newer);
  EXPECT_EQ(*db->queryInt("SELECT count(*) FROM outbox"), 1);
}
