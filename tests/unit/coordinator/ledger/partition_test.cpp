// Issue 19: a ledger on PostgreSQL split between coordinators (LedgerOptions::partitions,
// src/partitions.cpp). Two SqlLedger objects with different writer ids stand for two coordinators
// on one database: shares, fencing after a takeover, writes to a partition another holds, apply
// order across hand-overs, and names added by both at once.

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <set>
#include <thread>

#include "sw/common/postgres.h"
#include "sw/common/uuid.h"
#include "sw/coordinator/ledger/sql_ledger.h"
#include "sql_stores.h"
#include "test_support.h"

using namespace sw;
using common::EventType;
using coordinator::ApplyGroup;
using coordinator::SqlLedger;

namespace {

constexpr int kParts = 8;

class PartitionTest : public ::testing::Test {
 protected:
  void SetUp() override { target_ = test::ledgerTarget("postgresql", dir_); }

  std::unique_ptr<SqlLedger> open(const std::string& writer, int partitions = kParts, int64_t lease_ms = 60'000) {
    auto l = SqlLedger::open({.path = target_, .writer_id = writer, .lease_ms = lease_ms, .partitions = partitions});
    EXPECT_TRUE(l.ok()) << l.error().toString();
    return l.ok() ? std::move(*l) : nullptr;
  }

  coordinator::PartitionChange maintain(SqlLedger& l) {
    auto ch = l.maintainPartitions();
    EXPECT_TRUE(ch.ok()) << ch.error().toString();
    return ch.ok() ? *ch : coordinator::PartitionChange{};
  }

  // A location name in `partition`.
  static std::string locationIn(int partition) {
    for (int i = 0;; ++i) {
      std::string loc = "store-" + std::to_string(i);
      if (coordinator::locationPartition(loc, kParts) == partition) return loc;
    }
  }

  // The admin's view: expire every lease `holder` has (it stalled, or was killed).
  void expireLeasesOf(const std::string& holder) {
    auto admin = common::PgDb::open({.url = target_});
    ASSERT_TRUE(admin.ok());
    auto st = (*admin)->prepare("UPDATE partition_lease SET expires_at_ms = 0 WHERE holder = ?");
    ASSERT_TRUE(st.ok());
    ASSERT_TRUE(st->bind(1, holder).run().ok());
    auto gone = (*admin)->prepare("UPDATE coordinator_presence SET expires_at_ms = 0 WHERE holder = ?");
    ASSERT_TRUE(gone.ok());
    ASSERT_TRUE(gone->bind(1, holder).run().ok());
  }

  ApplyGroup group(const std::string& device, EventType type, const std::string& loc, const std::string& sku,
                   int64_t qty, bool held_only = true) {
    common::Event e;
    e.device_id = device;
    e.seq = ++seq_[device];
    e.event_id = common::newUuid();
    e.type = type;
    e.occurred_at_ms = 1000 * static_cast<int64_t>(e.seq);
    e.location = loc;
    e.lines = {{sku, qty, std::nullopt}};
    ApplyGroup g;
    g.applied_at_ms = 1;
    if (e.seq == 1) g.new_devices[device] = common::newUuid();
    g.cursors[device] = e.seq;
    g.events.push_back({e, 0});
    g.held_partitions_only = held_only;
    return g;
  }

  static int64_t onHand(SqlLedger& l, const std::string& sku, const std::string& loc) {
    auto rows = l.stockForSku(sku);
    EXPECT_TRUE(rows.ok());
    for (const auto& r : *rows) {
      if (r.location == loc) return r.on_hand;
    }
    return INT64_MIN;
  }

  test::TempDir dir_;
  std::string target_;
  std::map<std::string, uint64_t> seq_;
};

}  // namespace

TEST_F(PartitionTest, TwoCoordinatorsShareThePartitionsAndOnlyTheFirstIsPrimary) {
  auto a = open("coord-a");
  ASSERT_TRUE(a);
  EXPECT_EQ(maintain(*a).acquired.size(), static_cast<size_t>(kParts));  // alone: all of them
  EXPECT_TRUE(a->isPrimary());
  auto b = open("coord-b");
  ASSERT_TRUE(b);
  EXPECT_FALSE(b->isPrimary());  // the writer lease is a's
  EXPECT_TRUE(maintain(*b).acquired.empty());  // nothing free yet
  auto given = maintain(*a);  // a sees two alive and gives up half
  EXPECT_EQ(given.coordinators, 2);
  std::sort(given.lost.begin(), given.lost.end());
  EXPECT_EQ(given.lost, (std::vector<int>{4, 5, 6, 7}));  // the highest
  EXPECT_EQ(maintain(*b).acquired, (std::vector<int>{4, 5, 6, 7}));
  EXPECT_EQ(a->heldPartitions(), (std::vector<int>{0, 1, 2, 3}));
  EXPECT_EQ(b->heldPartitions(), (std::vector<int>{4, 5, 6, 7}));
  // Steady: nothing moves.
  EXPECT_TRUE(maintain(*a).lost.empty());
  EXPECT_TRUE(maintain(*b).acquired.empty());
  // A clean stop gives everything up, and the other takes it all.
  a.reset();
  EXPECT_EQ(maintain(*b).acquired, (std::vector<int>{0, 1, 2, 3}));
  EXPECT_TRUE(b->tryBecomePrimary().ok());
  EXPECT_TRUE(b->isPrimary());
}

TEST_F(PartitionTest, IngestIsRefusedAPartitionItDoesNotHold) {
  auto a = open("coord-a");
  ASSERT_TRUE(a);
  // Not maintained yet: holds nothing.
  auto refused = a->commit(group("till-1", EventType::kReceive, locationIn(0), "A", 5));
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, "partition_not_held");
  maintain(*a);
  seq_.clear();
  ASSERT_TRUE(a->commit(group("till-1", EventType::kReceive, locationIn(0), "A", 5)).ok());
  EXPECT_EQ(onHand(*a, "A", locationIn(0)), 5);
}

TEST_F(PartitionTest, AStalledHolderWritesNothingAfterItsPartitionIsTakenOver) {
  auto a = open("coord-a");
  auto b = open("coord-b");
  ASSERT_TRUE(a && b);
  maintain(*a);
  const std::string loc = locationIn(2);
  ASSERT_TRUE(a->commit(group("till-1", EventType::kReceive, loc, "A", 5)).ok());
  // a stalls past its leases (as a coordinator killed with SIGKILL would); b takes over.
  expireLeasesOf("coord-a");
  auto taken = maintain(*b);
  EXPECT_EQ(taken.acquired.size(), static_cast<size_t>(kParts));
  ApplyGroup sale = group("till-1", EventType::kSale, loc, "A", 1);
  auto lost = a->commit(sale);
  ASSERT_FALSE(lost.ok());
  EXPECT_EQ(lost.error().code, "partition_lost");
  EXPECT_EQ(onHand(*b, "A", loc), 5);
  // The device resends; the new holder applies it once.
  ASSERT_TRUE(b->commit(sale).ok());
  EXPECT_EQ(onHand(*b, "A", loc), 4);
  EXPECT_TRUE(b->verifyOnHand()->empty());
  // a learns it lost them at its next step.
  auto gone = maintain(*a);
  EXPECT_EQ(gone.lost.size(), static_cast<size_t>(kParts));
  EXPECT_TRUE(a->heldPartitions().empty());
}

TEST_F(PartitionTest, AWriteToAPartitionAnotherHoldsIsSeenByItsHolder) {
  auto a = open("coord-a");
  auto b = open("coord-b");
  ASSERT_TRUE(a && b);
  maintain(*a);  // a holds everything; b holds nothing
  const std::string loc = locationIn(1);
  ASSERT_TRUE(a->commit(group("till-1", EventType::kReceive, loc, "A", 10)).ok());
  auto v1 = a->stockVersion(loc);
  ASSERT_TRUE(v1.ok());
  // b writes there without holding it (the orders worker's groups): under the lease row's lock.
  ASSERT_TRUE(b->commit(group("orders", EventType::kSale, loc, "A", 3, /*held_only=*/false)).ok());
  EXPECT_EQ(onHand(*a, "A", loc), 7);
  auto v2 = a->stockVersion(loc);
  ASSERT_TRUE(v2.ok());
  EXPECT_GT(*v2, *v1);
  // a's next commit starts from the database, not from the 10 it kept in memory.
  ASSERT_TRUE(a->commit(group("till-1", EventType::kSale, loc, "A", 1)).ok());
  EXPECT_EQ(onHand(*a, "A", loc), 6);
  EXPECT_TRUE(a->verifyOnHand()->empty());
  auto v3 = a->stockVersion(loc);
  ASSERT_TRUE(v3.ok());
  EXPECT_GT(*v3, *v2);  // a took a block above b's
}

TEST_F(PartitionTest, ApplyOrderAndStockVersionOnlyGrowAtALocationAcrossHandOvers) {
  auto a = open("coord-a");
  auto b = open("coord-b");
  ASSERT_TRUE(a && b);
  maintain(*a);
  const std::string loc = locationIn(5);
  std::vector<int64_t> versions;
  auto apply = [&](SqlLedger& l) {
    ASSERT_TRUE(l.commit(group("till-1", EventType::kReceive, loc, "A", 1)).ok());
    auto v = l.stockVersion(loc);
    ASSERT_TRUE(v.ok());
    versions.push_back(*v);
  };
  apply(*a);
  apply(*a);
  expireLeasesOf("coord-a");
  maintain(*b);
  apply(*b);
  expireLeasesOf("coord-b");
  maintain(*a);
  apply(*a);  // a's old block is below b's: it must have taken a new one
  for (size_t i = 1; i < versions.size(); ++i) EXPECT_GT(versions[i], versions[i - 1]) << i;
  auto moves = a->movementsFor(loc, "A", 0, 100);
  ASSERT_TRUE(moves.ok());
  ASSERT_EQ(moves->size(), 4u);
  for (size_t i = 1; i < moves->size(); ++i) EXPECT_GT((*moves)[i].apply_order, (*moves)[i - 1].apply_order);
  EXPECT_EQ(onHand(*a, "A", loc), 4);
}

TEST_F(PartitionTest, TheSplitIsFixedAndAWholeLedgerWriterIsRefused) {
  auto a = open("coord-a");
  ASSERT_TRUE(a);
  auto whole = SqlLedger::open({.path = target_, .writer_id = "coord-x"});
  ASSERT_FALSE(whole.ok());
  EXPECT_EQ(whole.error().code, "bad_option");
  auto other = SqlLedger::open({.path = target_, .writer_id = "coord-y", .partitions = 4});
  ASSERT_FALSE(other.ok());
  EXPECT_EQ(other.error().code, "bad_option");
  // Reading (verify) is fine.
  auto reader = SqlLedger::open({.path = target_, .writer_id = ""});
  ASSERT_TRUE(reader.ok()) << reader.error().toString();
}

TEST_F(PartitionTest, ALedgerWrittenWholeIsSplitOnlyOnceItsWriterHasStopped) {
  {
    auto whole = SqlLedger::open({.path = target_, .writer_id = "coord-x"});
    ASSERT_TRUE(whole.ok());
    ASSERT_TRUE((*whole)->commit(group("till-1", EventType::kReceive, locationIn(3), "A", 2, false)).ok());
    auto refused = SqlLedger::open({.path = target_, .writer_id = "coord-a", .partitions = kParts});
    ASSERT_FALSE(refused.ok());
    EXPECT_EQ(refused.error().code, "ledger_taken");
  }
  auto a = open("coord-a");
  ASSERT_TRUE(a);
  maintain(*a);
  ASSERT_TRUE(a->commit(group("till-1", EventType::kSale, locationIn(3), "A", 1)).ok());
  EXPECT_EQ(onHand(*a, "A", locationIn(3)), 1);
  auto moves = a->movementsFor(locationIn(3), "A", 0, 10);
  ASSERT_TRUE(moves.ok());
  ASSERT_EQ(moves->size(), 2u);
  EXPECT_GT((*moves)[1].apply_order, (*moves)[0].apply_order);
}

// Two coordinators add the same new SKU at once: the second waits on the first's uncommitted row,
// then reads its id instead of failing on the unique name.
TEST_F(PartitionTest, TwoCoordinatorsAddingTheSameNameAtOnceBothCommit) {
  auto a = open("coord-a");
  auto b = open("coord-b");
  ASSERT_TRUE(a && b);
  maintain(*a);
  maintain(*b);
  maintain(*a);  // gives 4..7 up
  maintain(*b);
  std::mutex mu;
  std::condition_variable cv;
  bool a_inserted = false, b_waiting = false;
  a->setBeforeCommitHook([&]() -> common::Status {
    std::unique_lock<std::mutex> lock(mu);
    a_inserted = true;
    cv.notify_all();
    cv.wait(lock, [&] { return b_waiting; });
    return {};
  });
  std::thread ta([&] { EXPECT_TRUE(a->commit(group("till-a", EventType::kReceive, locationIn(0), "NEW", 2)).ok()); });
  {
    std::unique_lock<std::mutex> lock(mu);
    cv.wait(lock, [&] { return a_inserted; });
  }
  std::atomic<bool> b_done{false};
  std::thread tb([&] {
    EXPECT_TRUE(b->commit(group("till-b", EventType::kReceive, locationIn(4), "NEW", 3)).ok());
    b_done = true;
  });
  // b is blocked on a's row once PostgreSQL shows a lock not granted.
  auto admin = common::PgDb::open({.url = target_});
  ASSERT_TRUE(admin.ok());
  for (int i = 0; i < 3000 && !b_done; ++i) {
    auto n = (*admin)->queryInt("SELECT COUNT(*) FROM pg_locks WHERE NOT granted");
    ASSERT_TRUE(n.ok());
    if (*n > 0) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  {
    std::lock_guard<std::mutex> lock(mu);
    b_waiting = true;
  }
  cv.notify_all();
  ta.join();
  tb.join();
  a->setBeforeCommitHook({});
  EXPECT_EQ(onHand(*a, "NEW", locationIn(0)), 2);
  EXPECT_EQ(onHand(*a, "NEW", locationIn(4)), 3);
  EXPECT_EQ(*(*admin)->queryInt("SELECT COUNT(*) FROM skus WHERE sku = 'NEW'"), 1);
}

// Two coordinators whose batches bring the same new SKUs in other orders: each adds a group's new
// names in sorted order, so one waits for the other instead of both waiting on each other. The
// other coordinator here is a plain connection adding SKU-A and then SKU-B in its own open
// transaction; the ledger's group names SKU-B first. Had the ledger added SKU-B before waiting on
// SKU-A, the connection's SKU-B would wait on the ledger: a deadlock, and PostgreSQL refuses one.
TEST_F(PartitionTest, NewSkusNamedInOtherOrdersAreAddedInOneOrderSoNoCommitDeadlocks) {
  auto a = open("coord-a");
  ASSERT_TRUE(a);
  maintain(*a);
  auto other = common::PgDb::open({.url = target_});
  ASSERT_TRUE(other.ok());
  auto txn = common::SqlTxn::begin(**other);
  ASSERT_TRUE(txn.ok());
  ASSERT_TRUE((*other)->exec("INSERT INTO skus (sku) VALUES ('SKU-A')").ok());
  ApplyGroup g = group("till-a", EventType::kReceive, locationIn(0), "SKU-B", 2);
  g.events[0].event.lines.push_back({"SKU-A", 5, std::nullopt});
  std::atomic<bool> committed{false};
  common::Status applied;
  std::thread ta([&] {
    applied = a->commit(g);
    committed = true;
  });
  auto admin = common::PgDb::open({.url = target_});
  ASSERT_TRUE(admin.ok());
  bool waiting = false;
  for (int i = 0; i < 3000 && !committed && !waiting; ++i) {
    auto n = (*admin)->queryInt("SELECT COUNT(*) FROM pg_locks WHERE NOT granted");
    ASSERT_TRUE(n.ok());
    waiting = *n > 0;
    if (!waiting) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_TRUE(waiting) << "the ledger's commit did not wait on the other's uncommitted SKU-A";
  auto second = (*other)->exec("INSERT INTO skus (sku) VALUES ('SKU-B')");
  EXPECT_TRUE(second.ok()) << second.error().toString();
  EXPECT_TRUE(txn->commit().ok());
  ta.join();
  EXPECT_TRUE(applied.ok()) << applied.error().toString();
  EXPECT_EQ(onHand(*a, "SKU-B", locationIn(0)), 2);
  EXPECT_EQ(onHand(*a, "SKU-A", locationIn(0)), 5);
  EXPECT_EQ(*(*admin)->queryInt("SELECT COUNT(*) FROM skus WHERE sku IN ('SKU-A', 'SKU-B')"), 2);
}

// The leases are renewed off the apply thread: a coordinator whose apply thread does no
// maintenance for twice its lease (a long catch-up of commits, as under load) keeps its
// presence, its partitions and the writer lease, and another coordinator takes none of them.
TEST_F(PartitionTest, LeasesAreKeptWhileTheApplyThreadDoesNoMaintenance) {
  auto a = open("coord-a", kParts, 900);
  ASSERT_TRUE(a);
  maintain(*a);
  ASSERT_EQ(a->heldPartitions().size(), static_cast<size_t>(kParts));
  ASSERT_TRUE(a->isPrimary());
  ASSERT_TRUE(a->commit(group("till-a", EventType::kReceive, locationIn(1), "A", 5)).ok());
  std::this_thread::sleep_for(std::chrono::milliseconds(2000));
  auto b = open("coord-b", kParts, 900);
  ASSERT_TRUE(b);
  auto took = maintain(*b);
  EXPECT_EQ(took.coordinators, 2);
  EXPECT_TRUE(took.acquired.empty()) << took.acquired.size() << " partition(s) taken from a live coordinator";
  auto primary = b->tryBecomePrimary();
  ASSERT_FALSE(primary.ok());
  EXPECT_EQ(primary.error().code, "ledger_taken");
  EXPECT_FALSE(b->isPrimary());
  // a goes on: its commits are not fenced, and its next maintenance balances the shares.
  ASSERT_TRUE(a->commit(group("till-a", EventType::kSale, locationIn(1), "A", 1)).ok());
  auto gave = maintain(*a);
  EXPECT_TRUE(gave.lost.size() == static_cast<size_t>(kParts / 2) && !gave.writer_lost);
  EXPECT_TRUE(a->isPrimary());
  EXPECT_EQ(maintain(*b).acquired.size(), static_cast<size_t>(kParts / 2));
}

// The primary's channels and downlink follow stock applied by any coordinator (LISTEN/NOTIFY).
TEST_F(PartitionTest, WhatAnotherCoordinatorCommitsIsToldToTheListenerAndItsOwnIsNot) {
  auto a = open("coord-a");
  auto b = open("coord-b");
  ASSERT_TRUE(a && b);
  maintain(*a);
  std::mutex mu;
  std::condition_variable cv;
  std::vector<coordinator::CommitInfo> told;
  ASSERT_TRUE(b->listenToOthers([&](const coordinator::CommitInfo& info) {
    std::lock_guard<std::mutex> lock(mu);
    told.push_back(info);
    cv.notify_all();
  }).ok());
  ASSERT_TRUE(a->listenToOthers([&](const coordinator::CommitInfo&) { ADD_FAILURE() << "a was told its own"; }).ok());
  // The listener may not be listening yet: commit until it hears one (at most 10 s).
  const std::string loc = locationIn(6);
  std::unique_lock<std::mutex> lock(mu);
  for (int i = 0; i < 100 && told.empty(); ++i) {
    lock.unlock();
    ASSERT_TRUE(a->commit(group("till-1", EventType::kReceive, loc, "SKU-" + std::to_string(i), 1)).ok());
    lock.lock();
    cv.wait_for(lock, std::chrono::milliseconds(100), [&] { return !told.empty(); });
  }
  ASSERT_FALSE(told.empty());
  ASSERT_EQ(told[0].changed.size(), 1u);
  EXPECT_EQ(told[0].changed[0].first, loc);
  EXPECT_EQ(told[0].locations, std::vector<std::string>{loc});
  lock.unlock();
  b->stopListening();
  a->stopListening();
}
