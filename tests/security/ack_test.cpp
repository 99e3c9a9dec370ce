// Security suite, the agent's acks (issue 16): forged acks on the device's ack topic are refused
// (counted, shown) and never acted on; the real acks after them still confirm and prune.

#include <gtest/gtest.h>

#include "fake_transport.h"
#include "sw/agent/sync.h"
#include "sw/common/codec.h"
#include "sw/common/topics.h"
#include "test_support.h"

using namespace sw;
using namespace std::chrono_literals;
namespace topics = common::topics;

namespace {

class ForgedAckTest : public ::testing::Test {
 protected:
  void SetUp() override {
    clock_.advanceMs(1'700'000'000'000);
    auto s = agent::Store::open({.path = dir_.file("a.db"), .device_id = "till-1", .location = "store-1",
                                 .kind = "till", .min_free_bytes = 0},
                                clock_);
    ASSERT_TRUE(s.ok());
    store_ = std::move(*s);
    config_.initial_batch_events = 4;
    config_.max_batch_events = 4;
    config_.window_batches = 1;
    config_.ack_timeout_ms = 1000;
    config_.state_interval_ms = 1'000'000;
    config_.retention_ms = 1000;
    config_.prune_interval_ms = 100;
    sync_ = std::make_unique<agent::SyncLoop>(*store_, transport_, clock_, config_, "session-1");
    sync_->start();
    transport_.setConnected(true);
  }
  // The coordinator comes online: sending starts (events recorded before go out in whole batches).
  void go() {
    transport_.deliver(std::string(topics::kCoordinatorState),
                       common::encodeCoordinatorState({true, "c1", clock_.nowMs()}));
  }
  void TearDown() override { sync_->stop(); }
  void record(int n) {
    for (int i = 0; i < n; ++i) {
      agent::EventDraft d;
      d.lines = {{"SKU-1", 1, std::nullopt}};
      ASSERT_TRUE(store_->record(d).ok());
    }
    sync_->notify();
  }
  // The batches sent so far (cleared): first seq, last seq and send time of each.
  struct Sent {
    uint64_t first, last;
    int64_t sent_at;
  };
  std::vector<Sent> takeBatches() {
    std::vector<Sent> out;
    for (const auto& p : transport_.take()) {
      if (p.topic != topics::events("till-1")) continue;
      auto b = common::decodeBatch(p.payload);
      EXPECT_TRUE(b.ok());
      out.push_back({b->events.front().seq, b->events.back().seq, b->sent_at_ms});
    }
    return out;
  }
  Sent waitForBatch() {
    std::vector<Sent> got;
    EXPECT_TRUE(test::waitFor([&] {
      sync_->notify();
      auto b = takeBatches();
      got.insert(got.end(), b.begin(), b.end());
      return !got.empty();
    }, 2s));
    return got.empty() ? Sent{} : got.back();
  }
  void deliver(const common::Ack& a) { transport_.deliver(topics::ack("till-1"), common::encodeAck(a)); }
  common::Ack ack(uint64_t applied, int64_t echo) {
    common::Ack a;
    a.applied_seq = applied;
    a.epoch = store_->epoch();
    a.coord_time_ms = clock_.nowMs();
    a.echo_sent_at_ms = echo;
    return a;
  }
  void expectBadAcks(uint64_t n) {
    ASSERT_TRUE(test::waitFor([&] { return sync_->status().bad_acks == n; }, 2s)) << sync_->status().bad_acks;
  }

  test::TempDir dir_;
  common::ManualClock clock_;
  std::unique_ptr<agent::Store> store_;
  test::FakeTransport transport_;
  agent::SyncConfig config_;
  std::unique_ptr<agent::SyncLoop> sync_;
};

TEST_F(ForgedAckTest, AnAckForASeqNotSentIsIgnored) {
  record(6);
  go();
  Sent b = waitForBatch();  // 1..4 (window of one batch)
  ASSERT_EQ(b.last, 4u);
  deliver(ack(6, 0));  // forged: 5..6 were never sent
  expectBadAcks(1);
  EXPECT_EQ(store_->stats()->last_acked_seq, 0u);
  EXPECT_NE(sync_->status().last_bad_ack.find("only up to 4 was sent"), std::string::npos);
  // The real ack still works and sync goes on.
  deliver(ack(4, b.sent_at));
  ASSERT_TRUE(test::waitFor([&] { return store_->stats()->last_acked_seq == 4; }, 2s));
  Sent next = waitForBatch();
  EXPECT_EQ(next.first, 5u);
  deliver(ack(6, next.sent_at));
  ASSERT_TRUE(test::waitFor([&] { return store_->stats()->last_acked_seq == 6; }, 2s));
}

TEST_F(ForgedAckTest, ABackwardsAckIsIgnored) {
  record(4);
  go();
  Sent b = waitForBatch();
  deliver(ack(4, b.sent_at));
  ASSERT_TRUE(test::waitFor([&] { return store_->stats()->last_acked_seq == 4; }, 2s));
  common::Ack back = ack(1, 0);
  back.resend_from = 2;  // "the coordinator lost 2..4": would rewind and resend
  deliver(back);
  expectBadAcks(1);
  EXPECT_EQ(store_->stats()->last_acked_seq, 4u);
  record(1);
  Sent next = waitForBatch();
  EXPECT_EQ(next.first, 5u);  // not 2: nothing was rewound
  deliver(ack(5, next.sent_at));
  ASSERT_TRUE(test::waitFor([&] { return store_->stats()->last_acked_seq == 5; }, 2s));
}

TEST_F(ForgedAckTest, AnAckWithAWildClockIsIgnoredAndTheClockOffsetStaysSane) {
  record(2);
  go();
  Sent b = waitForBatch();
  common::Ack wild = ack(2, b.sent_at);
  wild.coord_time_ms = clock_.nowMs() + 20LL * 366 * 24 * 3600 * 1000;  // twenty years ahead
  deliver(wild);
  expectBadAcks(1);
  common::Ack future_echo = ack(2, clock_.nowMs() + 1000);
  deliver(future_echo);
  expectBadAcks(2);
  EXPECT_EQ(store_->stats()->last_acked_seq, 0u);
  EXPECT_FALSE(sync_->status().clock_offset_known);
  deliver(ack(2, b.sent_at));
  // The store records the ack before the loop records the clock offset it measured: wait for both.
  ASSERT_TRUE(test::waitFor(
      [&] { return store_->stats()->last_acked_seq == 2 && sync_->status().clock_offset_known; }, 2s));
  EXPECT_LT(std::abs(sync_->status().clock_offset_ms), 1000);
  // The next batch carries a clock offset the coordinator accepts.
  record(1);
  ASSERT_TRUE(test::waitFor([&] {
    for (const auto& p : transport_.take()) {
      if (p.topic != topics::events("till-1")) continue;
      auto batch = common::decodeBatch(p.payload);
      return batch.ok() && batch->clock_offset_ms.has_value();
    }
    return false;
  }, 2s));
}

TEST_F(ForgedAckTest, AForgedRefusalOrConflictDoesNotStallTheDevice) {
  record(2);
  go();
  Sent b = waitForBatch();
  common::Ack refusal = ack(0, 0);
  refusal.error = "forged: your store was re-created";
  deliver(refusal);
  common::Ack other_epoch = ack(0, 0);
  other_epoch.epoch = "00000000-0000-4000-8000-000000000000";
  deliver(other_epoch);
  common::Ack conflict = ack(0, 0);
  conflict.conflict_seq = 1;
  deliver(conflict);
  expectBadAcks(3);
  EXPECT_FALSE(sync_->status().refused);
  EXPECT_EQ(store_->resequenceInfo().count, 0);
  deliver(ack(2, b.sent_at));
  ASSERT_TRUE(test::waitFor([&] { return store_->stats()->last_acked_seq == 2; }, 2s));
}

TEST_F(ForgedAckTest, AfterForgedAcksPruningKeepsEveryUnappliedEvent) {
  record(8);
  go();
  Sent b = waitForBatch();  // 1..4
  deliver(ack(8, 0));       // forged: would confirm 5..8, never sent
  deliver(ack(4, 0));       // forged but consistent-looking: 1..4 were sent
  expectBadAcks(1);
  deliver(ack(4, b.sent_at));
  ASSERT_TRUE(test::waitFor([&] { return store_->stats()->last_acked_seq == 4; }, 2s));
  clock_.advanceMs(5000);  // past the retention
  sync_->notify();
  ASSERT_TRUE(test::waitFor([&] { return store_->stats()->stored_events == 4; }, 3s)) << store_->stats()->stored_events;
  auto st = store_->stats();
  EXPECT_EQ(st->queue_depth, 4u);  // 5..8 kept, unsent or unacked
  for (uint64_t s = 5; s <= 8; ++s) EXPECT_TRUE(store_->eventAt(s).ok());
}

}  // namespace
