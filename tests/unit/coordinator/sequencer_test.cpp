#include <gtest/gtest.h>

#include "sw/common/uuid.h"
#include "sw/coordinator/sequencer.h"

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
