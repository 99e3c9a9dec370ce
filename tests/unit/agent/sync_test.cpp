#include <gtest/gtest.h>

#include <algorithm>

#include "fake_transport.h"
#include "sw/agent/sync.h"
#include "sw/common/codec.h"
#include "sw/common/topics.h"
#include "sw/common/uuid.h"
#include "test_support.h"

using namespace sw;
using namespace std::chrono_literals;
namespace topics = common::topics;

namespace {

class SyncTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto s = agent::Store::open({.path = dir_.file("a.db"), .device_id = "till-1", .location = "store-1",
                                 .kind = "till", .min_free_bytes = 0},
                                clock_);
    ASSERT_TRUE(s.ok());
    store_ = std::move(*s);
    config_.initial_batch_events = 4;
    config_.max_batch_events = 8;
    config_.window_batches = 2;
    config_.ack_timeout_ms = 1000;
    config_.state_interval_ms = 1'000'000;
  }
  void TearDown() override {
    if (sync_) sync_->stop();
  }
  void startSync() {
    sync_ = std::make_unique<agent::SyncLoop>(*store_, transport_, clock_, config_, "session-1");
    sync_->start();
    transport_.setConnected(true);
  }
  void record(int n) {
    for (int i = 0; i < n; ++i) {
      agent::EventDraft d;
      d.lines = {{"SKU-1", 1, std::nullopt}};
      ASSERT_TRUE(store_->record(d).ok());
    }
    if (sync_) sync_->notify();
  }
  void coordinatorOnline(const std::string& session) {
    transport_.deliver(std::string(topics::kCoordinatorState),
                       common::encodeCoordinatorState({true, session, clock_.nowMs()}));
  }
  void ack(uint64_t applied, std::optional<uint64_t> resend = std::nullopt, std::string epoch = "") {
    common::Ack a;
    a.applied_seq = applied;
    a.resend_from = resend;
    a.epoch = epoch.empty() ? store_->epoch() : epoch;
    a.coord_time_ms = clock_.nowMs();
    // The coordinator's acks answer a batch: they echo its send time (the agent refuses acks
    // that answer none and would refuse it, rewind or confirm what was not sent).
    for (const auto& p : transport_.published()) {
      if (p.topic != topics::events("till-1")) continue;
      if (auto b = common::decodeBatch(p.payload); b) last_sent_at_ = b->sent_at_ms;
    }
    a.echo_sent_at_ms = last_sent_at_;
    transport_.deliver(topics::ack("till-1"), common::encodeAck(a));
  }
  // Acknowledges everything up to applied and waits until the store has recorded it.
  void ackAndWait(uint64_t applied) {
    ack(applied);
    ASSERT_TRUE(test::waitFor([&] { return store_->stats()->last_acked_seq == applied; }, 2s));
  }
  // Seqs of every event batch published so far, in order, then cleared.
  std::vector<std::vector<uint64_t>> takeBatches() {
    std::vector<std::vector<uint64_t>> out;
    for (const auto& p : transport_.take()) {
      if (p.topic != topics::events("till-1")) continue;
      auto b = common::decodeBatch(p.payload);
      EXPECT_TRUE(b.ok());
      last_sent_at_ = b->sent_at_ms;
      std::vector<uint64_t> seqs;
      for (const auto& e : b->events) seqs.push_back(e.seq);
      out.push_back(seqs);
    }
    return out;
  }
  size_t statesPublished() {
    auto p = transport_.published();
    return std::count_if(p.begin(), p.end(), [](const auto& m) { return m.topic == topics::state("till-1"); });
  }
  // Returns once the loop has made a whole pass after the call, so that anything it would send
  // on waking has been sent. A connection notice makes it publish a birth state on its next pass
  // and changes nothing else; the second birth comes after the first pass has ended.
  void waitForALoopPass() {
    for (int i = 0; i < 2; ++i) {
      size_t before = statesPublished();
      transport_.notifyConnected();
      ASSERT_TRUE(test::waitFor([&] { return statesPublished() > before; }, 2s));
    }
  }
  size_t eventsPublished() {
    size_t n = 0;
    for (const auto& p : transport_.published()) {
      if (p.topic == topics::events("till-1")) n += common::decodeBatch(p.payload)->events.size();
    }
    return n;
  }

  test::TempDir dir_;
  common::ManualClock clock_;
  int64_t last_sent_at_ = 0;  // the send time of the latest batch seen, echoed by ack()
  std::unique_ptr<agent::Store> store_;
  test::FakeTransport transport_;
  agent::SyncConfig config_;
  std::unique_ptr<agent::SyncLoop> sync_;
};

}  // namespace

TEST_F(SyncTest, SubscribesToItsAckAndCoordinatorPresence) {
  startSync();
  auto subs = transport_.subscriptions();
  EXPECT_NE(std::find(subs.begin(), subs.end(), "sw/v1/dev/till-1/ack"), subs.end());
  EXPECT_NE(std::find(subs.begin(), subs.end(), "sw/v1/coord/state"), subs.end());
}

TEST_F(SyncTest, WaitsForTheCoordinatorThenSendsInOrderWithinTheWindow) {
  record(20);
  startSync();
  // Birth state goes out, but no events while the coordinator is not known to be online.
  ASSERT_TRUE(test::waitFor([&] { return !transport_.published().empty(); }, 2s));
  EXPECT_EQ(eventsPublished(), 0u);
  coordinatorOnline("c1");
  ASSERT_TRUE(test::waitFor([&] { return eventsPublished() == 8; }, 2s));
  auto batches = takeBatches();
  ASSERT_EQ(batches.size(), 2u);
  EXPECT_EQ(batches[0], (std::vector<uint64_t>{1, 2, 3, 4}));
  EXPECT_EQ(batches[1], (std::vector<uint64_t>{5, 6, 7, 8}));
  // Window of 2 batches is full: nothing more until an ack.
  ASSERT_NO_FATAL_FAILURE(waitForALoopPass());
  EXPECT_TRUE(takeBatches().empty());
  ASSERT_NO_FATAL_FAILURE(ackAndWait(8));
  // Acks flowing doubled the batch size (4 -> 8): the remaining 12 go in batches of 8 and 4.
  ASSERT_TRUE(test::waitFor([&] { return eventsPublished() == 12; }, 2s));
  batches = takeBatches();
  ASSERT_EQ(batches.size(), 2u);
  EXPECT_EQ(batches[0], (std::vector<uint64_t>{9, 10, 11, 12, 13, 14, 15, 16}));
  EXPECT_EQ(batches[1].back(), 20u);
}

TEST_F(SyncTest, AnAckForPartOfTheWindowAlreadyGrowsTheBatch) {
  // A backlogged coordinator acknowledges a window a part at a time. Growing only on an ack for
  // everything in flight would keep a catching-up device at its first batch size for good.
  record(40);
  startSync();
  coordinatorOnline("c1");
  ASSERT_TRUE(test::waitFor([&] { return eventsPublished() == 8; }, 2s));
  EXPECT_EQ(takeBatches().size(), 2u);  // 1-4 and 5-8 fill the window of 2 x 4
  ack(4);
  // Batches of 8 now, so the window holds 16 events: 5-8 still out, then 9-16 and 17-20.
  ASSERT_TRUE(test::waitFor([&] { return eventsPublished() == 12; }, 2s));
  auto batches = takeBatches();
  ASSERT_EQ(batches.size(), 2u);
  EXPECT_EQ(batches[0], (std::vector<uint64_t>{9, 10, 11, 12, 13, 14, 15, 16}));
  EXPECT_EQ(batches[1], (std::vector<uint64_t>{17, 18, 19, 20}));
  EXPECT_EQ(sync_->status().batch_events, 8u);
}

TEST_F(SyncTest, BatchesStopGrowingWhileAcksComeBackSlowly) {
  // An ack slower than half the least ack timeout (here 1000 ms) means the coordinator's queue
  // is deep: a whole fleet doubling its batches then would push acks past the timeout.
  record(40);
  startSync();
  coordinatorOnline("c1");
  ASSERT_TRUE(test::waitFor([&] { return eventsPublished() == 8; }, 2s));
  EXPECT_EQ(takeBatches().size(), 2u);
  clock_.advanceMs(600);
  ASSERT_NO_FATAL_FAILURE(ackAndWait(4));
  ASSERT_NO_FATAL_FAILURE(waitForALoopPass());
  // Still batches of 4: only 9-12 fits beside 5-8 in the window of 2 x 4.
  auto batches = takeBatches();
  ASSERT_EQ(batches.size(), 1u);
  EXPECT_EQ(batches[0], (std::vector<uint64_t>{9, 10, 11, 12}));
  EXPECT_EQ(sync_->status().batch_events, 4u);
  EXPECT_EQ(sync_->status().resends, 0u);
}

TEST_F(SyncTest, AFirstConnectionReportedLateDoesNotSendTheFirstWindowTwice) {
  record(8);
  sync_ = std::make_unique<agent::SyncLoop>(*store_, transport_, clock_, config_, "session-1");
  sync_->start();
  // As Paho does it: connected and subscribed, the retained presence arrives and the first
  // window goes out...
  transport_.connectQuietly();
  coordinatorOnline("c1");
  ASSERT_TRUE(test::waitFor([&] { return eventsPublished() == 8; }, 2s));
  transport_.take();
  // ...and only then are the connection handlers told. The loop answers with a birth state and
  // sends what fits in the same pass, before it reads the ack below. Nothing was lost, so
  // nothing may be resent.
  transport_.notifyConnected();
  ASSERT_TRUE(test::waitFor([&] { return statesPublished() > 0; }, 2s));
  ASSERT_NO_FATAL_FAILURE(ackAndWait(8));
  EXPECT_TRUE(takeBatches().empty());
}

TEST_F(SyncTest, ALostConnectionResendsFromTheLastAck) {
  record(8);
  startSync();
  coordinatorOnline("c1");
  ASSERT_TRUE(test::waitFor([&] { return eventsPublished() == 8; }, 2s));
  ASSERT_NO_FATAL_FAILURE(ackAndWait(4));
  takeBatches();
  // 5-8 were in flight when the connection went: they are sent again once it is back.
  transport_.setConnected(false);
  transport_.setConnected(true);
  ASSERT_TRUE(test::waitFor([&] { return eventsPublished() == 4; }, 2s));
  auto batches = takeBatches();
  ASSERT_EQ(batches.size(), 1u);
  EXPECT_EQ(batches[0], (std::vector<uint64_t>{5, 6, 7, 8}));
}

TEST_F(SyncTest, SilenceMeansResendFromTheLastAck) {
  record(3);
  startSync();
  coordinatorOnline("c1");
  ASSERT_TRUE(test::waitFor([&] { return eventsPublished() == 3; }, 2s));
  ASSERT_NO_FATAL_FAILURE(ackAndWait(1));
  takeBatches();
  clock_.advanceMs(1500);  // past the ack timeout with 2 and 3 unacknowledged
  sync_->notify();
  ASSERT_TRUE(test::waitFor([&] { return eventsPublished() == 2; }, 2s));
  auto batches = takeBatches();
  ASSERT_EQ(batches.size(), 1u);
  EXPECT_EQ(batches[0], (std::vector<uint64_t>{2, 3}));
  EXPECT_EQ(sync_->status().resends, 1u);
}

TEST_F(SyncTest, ASlowButLiveCoordinatorStretchesTheAckTimeoutInsteadOfCausingResends) {
  config_.window_batches = 1;
  config_.initial_batch_events = 1;
  config_.max_batch_events = 1;
  record(6);
  startSync();
  coordinatorOnline("c1");
  // Each ack takes 2.5 s (the coordinator is draining a fleet): more than the 1 s floor.
  for (uint64_t seq = 1; seq <= 5; ++seq) {
    ASSERT_TRUE(test::waitFor([&] { return eventsPublished() == seq; }, 2s)) << seq;
    clock_.advanceMs(2500);
    ASSERT_NO_FATAL_FAILURE(ackAndWait(seq));
  }
  EXPECT_EQ(sync_->status().resends, 0u);
  EXPECT_GE(sync_->status().rto_ms, 2500);
  EXPECT_EQ(sync_->status().srtt_ms, 2500);
  // Another 2.5 s wait for seq 6 is within the learned timeout: still no resend.
  ASSERT_TRUE(test::waitFor([&] { return eventsPublished() == 6; }, 2s));
  clock_.advanceMs(2500);
  ASSERT_NO_FATAL_FAILURE(waitForALoopPass());
  EXPECT_EQ(sync_->status().resends, 0u);
  EXPECT_EQ(eventsPublished(), 6u);
}

TEST_F(SyncTest, ResendFromInAnAckRewinds) {
  record(8);
  startSync();
  coordinatorOnline("c1");
  ASSERT_TRUE(test::waitFor([&] { return eventsPublished() == 8; }, 2s));
  takeBatches();
  ack(2, 3);  // the coordinator has 1-2 and a gap at 3
  ASSERT_TRUE(test::waitFor([&] { return eventsPublished() >= 2; }, 2s));
  auto batches = takeBatches();
  ASSERT_FALSE(batches.empty());
  EXPECT_EQ(batches[0].front(), 3u);
}

TEST_F(SyncTest, ANewCoordinatorSessionGetsEverythingUnackedAgain) {
  record(4);
  startSync();
  coordinatorOnline("c1");
  ASSERT_TRUE(test::waitFor([&] { return eventsPublished() == 4; }, 2s));
  takeBatches();
  coordinatorOnline("c2");
  ASSERT_TRUE(test::waitFor([&] { return eventsPublished() == 4; }, 2s));
  EXPECT_EQ(takeBatches()[0].front(), 1u);
}

TEST_F(SyncTest, RefusedByTheCoordinatorStopsSendingAndSaysWhy) {
  record(2);
  startSync();
  coordinatorOnline("c1");
  ASSERT_TRUE(test::waitFor([&] { return eventsPublished() == 2; }, 2s));
  ack(0, std::nullopt, common::newUuid());  // a different epoch
  ASSERT_TRUE(test::waitFor([&] { return sync_->status().refused; }, 2s));
  EXPECT_NE(sync_->status().refused_reason.find("epoch"), std::string::npos);
  takeBatches();
  record(1);
  clock_.advanceMs(5000);
  ASSERT_NO_FATAL_FAILURE(waitForALoopPass());
  EXPECT_TRUE(takeBatches().empty());
  EXPECT_EQ(store_->stats()->last_acked_seq, 0u);
}

TEST_F(SyncTest, ACoordinatorThatLostAcknowledgedEventsGetsThemAgain) {
  record(6);
  startSync();
  coordinatorOnline("c1");
  ASSERT_TRUE(test::waitFor([&] { return eventsPublished() == 6; }, 2s));
  ASSERT_NO_FATAL_FAILURE(ackAndWait(6));
  takeBatches();
  // Restored from a backup, the coordinator now has only 1..3 and asks for 4 onwards.
  clock_.advanceMs(10);
  ack(3, 4);
  ASSERT_TRUE(test::waitFor([&] { return eventsPublished() == 3; }, 2s));
  EXPECT_EQ(takeBatches()[0], (std::vector<uint64_t>{4, 5, 6}));
  EXPECT_EQ(store_->stats()->last_acked_seq, 3u);
  EXPECT_FALSE(sync_->status().refused);
}

// A device with nothing left to send hears a new coordinator session come online (a restart,
// perhaps from a backup): it sends its last acknowledged event once more, and a coordinator that
// lost it asks for a resend from what it has, answering that batch, and gets the rest again.
TEST_F(SyncTest, ANewCoordinatorSessionHearsTheLastAcknowledgedEventOnceMore) {
  record(6);
  startSync();
  coordinatorOnline("c1");
  ASSERT_TRUE(test::waitFor([&] { return eventsPublished() == 6; }, 2s));
  ASSERT_NO_FATAL_FAILURE(ackAndWait(6));
  takeBatches();
  coordinatorOnline("c1");  // the same session again (a retained message redelivered): nothing
  ASSERT_NO_FATAL_FAILURE(waitForALoopPass());
  EXPECT_TRUE(takeBatches().empty());
  coordinatorOnline("c2");
  ASSERT_TRUE(test::waitFor([&] { return eventsPublished() == 1; }, 2s));
  EXPECT_EQ(takeBatches(), (std::vector<std::vector<uint64_t>>{{6}}));
  ASSERT_NO_FATAL_FAILURE(waitForALoopPass());
  EXPECT_TRUE(takeBatches().empty());  // once
  EXPECT_EQ(store_->stats()->last_acked_seq, 6u);
  clock_.advanceMs(10);
  ack(3, 4);
  ASSERT_TRUE(test::waitFor([&] { return eventsPublished() == 3; }, 2s));
  EXPECT_EQ(takeBatches()[0], (std::vector<uint64_t>{4, 5, 6}));
  EXPECT_EQ(store_->stats()->last_acked_seq, 3u);
}

// The probe's answer confirms the probe's seq and nothing sent after it: a store put back to an
// older copy numbers its new events with seqs the coordinator may hold under other events, so they
// wait to be compared, whatever cursor the coordinator answers the probe with.
TEST_F(SyncTest, TheAnswerToTheProbeConfirmsNothingSentAfterIt) {
  record(6);
  startSync();
  coordinatorOnline("c1");
  ASSERT_TRUE(test::waitFor([&] { return eventsPublished() == 6; }, 2s));
  ASSERT_NO_FATAL_FAILURE(ackAndWait(6));
  takeBatches();
  transport_.deliver(std::string(topics::kCoordinatorState), common::encodeCoordinatorState({false, "c1", clock_.nowMs()}));
  record(2);
  coordinatorOnline("c2");
  ASSERT_TRUE(test::waitFor([&] { return eventsPublished() == 3; }, 2s));
  EXPECT_EQ(takeBatches(), (std::vector<std::vector<uint64_t>>{{6}, {7, 8}}));
  ack(8);  // echoes the probe (sent in the same millisecond as 7-8 here)
  ASSERT_NO_FATAL_FAILURE(waitForALoopPass());
  EXPECT_EQ(store_->stats()->last_acked_seq, 6u);
  clock_.advanceMs(10);
  record(1);  // a batch of its own, answered on its own: that confirms it and what came before
  ASSERT_TRUE(test::waitFor([&] { return eventsPublished() == 1; }, 2s));
  takeBatches();
  ASSERT_NO_FATAL_FAILURE(ackAndWait(9));
}

TEST_F(SyncTest, AStaleAckDeliveredLateDoesNotRewind) {
  record(6);
  startSync();
  coordinatorOnline("c1");
  ASSERT_TRUE(test::waitFor([&] { return eventsPublished() == 6; }, 2s));
  common::Ack old;
  old.applied_seq = 2;
  old.resend_from = 3;
  old.epoch = store_->epoch();
  old.coord_time_ms = clock_.nowMs();
  clock_.advanceMs(10);
  ASSERT_NO_FATAL_FAILURE(ackAndWait(6));
  takeBatches();
  transport_.deliver(topics::ack("till-1"), common::encodeAck(old));
  ASSERT_NO_FATAL_FAILURE(waitForALoopPass());
  EXPECT_TRUE(takeBatches().empty());
  EXPECT_EQ(store_->stats()->last_acked_seq, 6u);
}

TEST_F(SyncTest, ClockOffsetFromTheAckEcho) {
  record(1);
  startSync();
  coordinatorOnline("c1");
  ASSERT_TRUE(test::waitFor([&] { return eventsPublished() == 1; }, 2s));
  common::Ack a;
  a.applied_seq = 1;
  a.epoch = store_->epoch();
  a.echo_sent_at_ms = clock_.nowMs();
  a.coord_time_ms = clock_.nowMs() + 60'000;  // the coordinator's clock is a minute ahead
  transport_.deliver(topics::ack("till-1"), common::encodeAck(a));
  ASSERT_TRUE(test::waitFor([&] { return sync_->status().clock_offset_known; }, 2s));
  EXPECT_EQ(sync_->status().clock_offset_ms, 60'000);
}
