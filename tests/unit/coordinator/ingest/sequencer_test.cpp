#include <gtest/gtest.h>

#include <map>
#include <optional>

#include "sw/common/uuid.h"
#include "sw/coordinator/ingest/sequencer.h"

using namespace sw;
using coordinator::Offer;
using coordinator::Sequencer;

namespace {

const std::string kEpoch = common::newUuid();

common::EventBatch batch(uint64_t from, uint64_t to, const std::string& epoch = kEpoch) {
  common::EventBatch b;
  b.device_id = "till-1";
  b.epoch = epoch;
  for (uint64_t s = from; s <= to; ++s) {
    common::Event e;
    e.device_id = "till-1";
    e.seq = s;
    b.events.push_back(e);
  }
  return b;
}

common::EventBatch batchOf(const std::string& device, uint64_t from, uint64_t to) {
  common::EventBatch b = batch(from, to);
  b.device_id = device;
  for (auto& e : b.events) e.device_id = device;
  return b;
}

std::vector<uint64_t> seqs(const Offer& o) {
  std::vector<uint64_t> out;
  for (const auto& e : o.apply) out.push_back(e.seq);
  return out;
}

}  // namespace

TEST(Sequencer, FirstBatchRegistersTheDevice) {
  Sequencer s({});
  Offer o = s.offer(batch(1, 3), 0);
  EXPECT_EQ(o.verdict, Offer::Verdict::kNewDevice);
  EXPECT_EQ(seqs(o), (std::vector<uint64_t>{1, 2, 3}));
  EXPECT_EQ(s.applied("till-1"), 0u);  // not committed yet
  s.commit("till-1", 3);
  EXPECT_EQ(s.applied("till-1"), 3u);
}

TEST(Sequencer, DuplicatesAndOverlapsApplyOnce) {
  Sequencer s({});
  s.load("till-1", kEpoch, 5);
  Offer o = s.offer(batch(3, 7), 0);
  EXPECT_EQ(o.duplicates, 3u);
  EXPECT_EQ(seqs(o), (std::vector<uint64_t>{6, 7}));
  Offer again = s.offer(batch(3, 7), 0);  // planned but not committed: still a duplicate
  EXPECT_EQ(again.duplicates, 5u);
  EXPECT_TRUE(again.apply.empty());
}

TEST(Sequencer, GapIsHeldThenFilledInOrder) {
  Sequencer s({.reorder_timeout_ms = 1000, .max_held_per_device = 100});
  s.load("till-1", kEpoch, 0);
  Offer late = s.offer(batch(4, 6), 0);
  EXPECT_TRUE(late.apply.empty());
  EXPECT_EQ(late.held, 3u);
  Offer fill = s.offer(batch(1, 3), 10);
  EXPECT_EQ(seqs(fill), (std::vector<uint64_t>{1, 2, 3, 4, 5, 6}));
  EXPECT_EQ(s.heldCount("till-1"), 0u);
}

TEST(Sequencer, UnfilledGapAsksForAResendOncePerTimeout) {
  Sequencer s({.reorder_timeout_ms = 1000, .max_held_per_device = 100});
  s.load("till-1", kEpoch, 2);
  (void)s.offer(batch(5, 6), 0);
  EXPECT_TRUE(s.expiredGaps(999).empty());
  auto gaps = s.expiredGaps(1000);
  ASSERT_EQ(gaps.size(), 1u);
  EXPECT_EQ(gaps[0].second, 3u);
  EXPECT_TRUE(s.expiredGaps(1500).empty());
  EXPECT_EQ(s.expiredGaps(2000).size(), 1u);
}

// Only devices holding events are looked at: a gap filled is never asked for, and one that opens
// again later (after the device left that list) is asked for again.
TEST(Sequencer, AGapFilledIsNotAskedForAndANewOneIs) {
  Sequencer s({.reorder_timeout_ms = 1000, .max_held_per_device = 100});
  s.load("till-1", kEpoch, 0);
  s.load("till-2", kEpoch, 0);
  (void)s.offer(batch(3, 4), 0);                         // till-1: 1-2 missing
  (void)s.offer(batchOf("till-2", 3, 3), 0);             // till-2: 1-2 missing
  (void)s.offer(batch(1, 2), 10);                        // till-1's gap filled
  auto gaps = s.expiredGaps(1000);
  ASSERT_EQ(gaps.size(), 1u);
  EXPECT_EQ(gaps[0].first, "till-2");
  (void)s.offer(batchOf("till-2", 1, 2), 1100);
  EXPECT_TRUE(s.expiredGaps(3000).empty()) << "both gaps filled";
  (void)s.offer(batch(7, 7), 3000);                       // till-1: 5-6 missing now
  gaps = s.expiredGaps(4000);
  ASSERT_EQ(gaps.size(), 1u);
  EXPECT_EQ(gaps[0].first, "till-1");
  EXPECT_EQ(gaps[0].second, 5u);
}

TEST(Sequencer, HoldIsBounded) {
  Sequencer s({.reorder_timeout_ms = 1000, .max_held_per_device = 2});
  s.load("till-1", kEpoch, 0);
  Offer o = s.offer(batch(5, 9), 0);
  EXPECT_EQ(o.held, 2u);
  EXPECT_EQ(o.dropped, 3u);
}

TEST(Sequencer, OtherEpochIsRefused) {
  Sequencer s({});
  s.load("till-1", kEpoch, 10);
  std::string other = common::newUuid();
  Offer o = s.offer(batch(1, 2, other), 0);
  EXPECT_EQ(o.verdict, Offer::Verdict::kEpochMismatch);
  EXPECT_EQ(o.known_epoch, kEpoch);
  EXPECT_TRUE(o.apply.empty());
  EXPECT_EQ(s.applied("till-1"), 10u);
}

TEST(Sequencer, RollbackForgetsWhatWasPlanned) {
  Sequencer s({});
  s.load("till-1", kEpoch, 1);
  EXPECT_EQ(seqs(s.offer(batch(2, 4), 0)).size(), 3u);
  s.rollbackAll();
  // The failed commit's events come again (the device resends) and are applied this time.
  EXPECT_EQ(seqs(s.offer(batch(2, 4), 0)), (std::vector<uint64_t>{2, 3, 4}));
}

namespace {

// Events whose ids say which copy of the device's store made them ("a" or "b").
common::EventBatch idBatch(uint64_t from, uint64_t to, const std::string& copy, const std::string& epoch = kEpoch) {
  common::EventBatch b = batch(from, to, epoch);
  for (auto& e : b.events) e.event_id = copy + "-" + std::to_string(e.seq);
  return b;
}

}  // namespace

// Issue 15 item 2: a repeated seq with another event id was counted as a duplicate and skipped.
TEST(Sequencer, ASeqResentWithAnotherEventIsAConflictAndChangesNothing) {
  Sequencer s({});
  std::map<uint64_t, std::string> ledger;  // what the ledger holds for till-1
  auto lookup = [&](const std::string&, uint64_t seq) -> std::optional<std::string> {
    auto it = ledger.find(seq);
    if (it == ledger.end()) return std::nullopt;
    return it->second;
  };
  Offer first = s.offer(idBatch(1, 5, "a"), 0, lookup);
  for (const auto& e : first.apply) ledger[e.seq] = e.event_id;
  s.commit("till-1", 5);
  s.commitAll();
  // The same events again are duplicates; 3..6 of another copy conflict at 4.
  EXPECT_EQ(s.offer(idBatch(1, 5, "a"), 0, lookup).duplicates, 5u);
  common::EventBatch restored = idBatch(1, 6, "a");
  for (auto& e : restored.events) {
    if (e.seq >= 4) e.event_id = "b-" + std::to_string(e.seq);
  }
  Offer c = s.offer(restored, 0, lookup);
  EXPECT_EQ(c.verdict, Offer::Verdict::kConflict);
  EXPECT_EQ(c.conflict_seq, 4u);
  EXPECT_EQ(c.existing_id, "a-4");
  ASSERT_TRUE(c.conflict_event.has_value());
  EXPECT_EQ(c.conflict_event->event_id, "b-4");
  EXPECT_TRUE(c.apply.empty()) << "seq 6 must not be applied from a conflicting batch";
  EXPECT_EQ(s.resequencing("till-1"), 4u);
  s.commitAll();

  // A new epoch that does not name the old one is still a mismatch; naming it switches.
  const std::string next = common::newUuid();
  EXPECT_EQ(s.offer(idBatch(6, 7, "b", next), 0, lookup).verdict, Offer::Verdict::kEpochMismatch);
  common::EventBatch renumbered = idBatch(6, 8, "b", next);
  renumbered.prev_epoch = kEpoch;
  Offer sw = s.offer(renumbered, 0, lookup);
  EXPECT_EQ(sw.verdict, Offer::Verdict::kEpochSwitch);
  EXPECT_EQ(sw.previous_epoch, kEpoch);
  EXPECT_EQ(seqs(sw), (std::vector<uint64_t>{6, 7, 8}));
  EXPECT_EQ(s.epoch("till-1"), next);
  EXPECT_EQ(s.resequencing("till-1"), 0u);
  // A batch of the old epoch whose events the ledger has is a duplicate, not a mismatch.
  Offer stale = s.offer(idBatch(1, 3, "a"), 0, lookup);
  EXPECT_EQ(stale.verdict, Offer::Verdict::kStaleEpoch);
  EXPECT_TRUE(stale.apply.empty());
  // Events under the old epoch that the ledger does not have there (still in flight from before
  // the renumbering, or the store put back to a copy from then) conflict, answered under it.
  Offer old = s.offer(idBatch(4, 5, "c"), 0, lookup);
  EXPECT_EQ(old.verdict, Offer::Verdict::kConflict);
  EXPECT_TRUE(old.retired_epoch);
  EXPECT_EQ(old.conflict_seq, 4u);
  EXPECT_EQ(s.resequencing("till-1"), 0u) << "no renumbering is awaited from the current epoch";
  // Such a store renumbers and names its old epoch: switched, though no conflict was pending.
  for (const auto& e : sw.apply) ledger[e.seq] = e.event_id;
  s.commit("till-1", 8);
  s.commitAll();
  const std::string third = common::newUuid();
  common::EventBatch again = idBatch(9, 9, "c", third);
  again.prev_epoch = kEpoch;
  Offer sw2 = s.offer(again, 0, lookup);
  EXPECT_EQ(sw2.verdict, Offer::Verdict::kEpochSwitch);
  EXPECT_EQ(s.retiredEpochs("till-1"), next + " " + kEpoch);
}

TEST(Sequencer, AConflictWithAHeldOrPlannedEventIsFoundToo) {
  Sequencer s({});
  s.offer(idBatch(1, 2, "a"), 0);
  Offer held = s.offer(idBatch(5, 6, "a"), 0);
  EXPECT_EQ(held.held, 2u);
  Offer c = s.offer(idBatch(3, 5, "b"), 0);
  EXPECT_EQ(c.verdict, Offer::Verdict::kConflict);
  EXPECT_EQ(c.conflict_seq, 5u);
  EXPECT_EQ(c.dropped_held.size(), 2u) << "held events of the old numbering are handed back, not lost";
  EXPECT_EQ(s.heldCount("till-1"), 0u);
  // Planned but not yet committed: 1..2 of copy a.
  Offer p = s.offer(idBatch(2, 2, "b"), 0);
  EXPECT_EQ(p.verdict, Offer::Verdict::kConflict);
  EXPECT_EQ(p.conflict_seq, 2u);
}

TEST(Sequencer, AFailedCommitUndoesAConflictMarkAndAnEpochSwitch) {
  Sequencer s({});
  s.load("till-1", kEpoch, 5, "", 4);  // told to renumber from 4 before a restart
  const std::string next = common::newUuid();
  common::EventBatch renumbered = idBatch(6, 6, "b", next);
  renumbered.prev_epoch = kEpoch;
  EXPECT_EQ(s.offer(renumbered, 0).verdict, Offer::Verdict::kEpochSwitch);
  s.rollbackAll();
  EXPECT_EQ(s.epoch("till-1"), kEpoch);
  EXPECT_EQ(s.resequencing("till-1"), 4u);
  EXPECT_EQ(s.offer(renumbered, 0).verdict, Offer::Verdict::kEpochSwitch);
  s.commit("till-1", 6);
  s.commitAll();
  s.rollbackAll();
  EXPECT_EQ(s.epoch("till-1"), next);
}
