// The load generator's simulated device speaks the agent's sync protocol: driven by hand here,
// its messages decoded with the real codec and checked as the coordinator checks them.

#include <gtest/gtest.h>

#include "sw/common/chain.h"
#include "sw/common/codec.h"
#include "sw/common/topics.h"
#include "sw/loadgen/sim_device.h"

using namespace sw;
namespace topics = common::topics;

namespace {

constexpr const char* kId = "lg-00001";
constexpr const char* kEpoch = "8a0c5d6e-0000-4000-8000-000000000001";

class RecordingPublisher final : public loadgen::Publisher {
 public:
  bool publish(const std::string& topic, std::string_view payload, int, bool retain) override {
    if (!up) return false;
    sent.push_back({topic, std::string(payload), retain});
    return true;
  }
  struct Message {
    std::string topic, payload;
    bool retain;
  };
  uint32_t maxPacketSize() const override { return max_packet; }
  bool up = true;
  uint32_t max_packet = 0;
  std::vector<Message> sent;
};

class SimDeviceTest : public ::testing::Test {
 protected:
  SimDeviceTest() : device_(makeDevice()) {}

  loadgen::SimDevice makeDevice() {
    config_.initial_batch_events = 4;
    config_.max_batch_events = 8;
    config_.window_batches = 2;
    config_.ack_timeout_ms = 1000;
    config_.state_interval_ms = 1'000'000;
    return loadgen::SimDevice({kId, "lg-store-0000", "till"}, kEpoch, "session-1", config_);
  }
  void record(int n, bool live = true) {
    for (int i = 0; i < n; ++i) {
      device_.record(common::EventType::kSale, {{"SKU-00001", 2, common::Decimal::parse("1.99").value()}}, now_,
                     live);
    }
  }
  void coordinatorOnline(const std::string& session) {
    device_.message(topics::kCoordinatorState, common::encodeCoordinatorState({true, session, now_}), now_, mono_,
                    lag_);
  }
  // The batches published since the last call, decoded.
  std::vector<common::EventBatch> takeBatches() {
    std::vector<common::EventBatch> out;
    for (const auto& m : out_.sent) {
      if (m.topic != topics::events(kId)) continue;
      auto b = common::decodeBatch(m.payload);
      EXPECT_TRUE(b.ok()) << b.error().toString();
      EXPECT_TRUE(common::validateBatch(*b).ok());
      last_sent_at_ = b->sent_at_ms;
      out.push_back(*b);
    }
    out_.sent.clear();
    return out;
  }
  std::vector<uint64_t> seqs(const common::EventBatch& b) {
    std::vector<uint64_t> s;
    for (const auto& e : b.events) s.push_back(e.seq);
    return s;
  }
  common::Ack ack(uint64_t applied) {
    common::Ack a;
    a.applied_seq = applied;
    a.epoch = kEpoch;
    a.coord_time_ms = now_;
    a.echo_sent_at_ms = last_sent_at_;
    return a;
  }
  void deliverAck(const common::Ack& a) { device_.message(topics::ack(kId), common::encodeAck(a), now_, mono_, lag_); }
  void advance(int64_t ms) {
    now_ += ms;
    mono_ += ms;
  }
  void pump() { device_.pump(out_, now_, mono_); }

  agent::SyncConfig config_;
  loadgen::SimDevice device_;
  RecordingPublisher out_;
  loadgen::LagSink lag_;
  int64_t now_ = 1'700'000'000'000;
  int64_t mono_ = 1'000;
  int64_t last_sent_at_ = 0;
};

}  // namespace

TEST_F(SimDeviceTest, SubscribesToItsAckAndTheCoordinatorPresence) {
  EXPECT_EQ(device_.subscriptions(), (std::vector<std::string>{"sw/v1/dev/lg-00001/ack", "sw/v1/coord/state"}));
  auto will = common::decodeDeviceState(device_.willPayload(now_));
  ASSERT_TRUE(will.ok());
  EXPECT_FALSE(will->online);
  EXPECT_EQ(will->session, "session-1");
}

TEST_F(SimDeviceTest, WaitsForTheCoordinatorThenSendsAChainedGaplessWindow) {
  record(20);
  device_.connected();
  pump();
  ASSERT_EQ(out_.sent.size(), 1u);  // the birth state only
  EXPECT_EQ(out_.sent[0].topic, topics::state(kId));
  EXPECT_TRUE(out_.sent[0].retain);
  auto birth = common::decodeDeviceState(out_.sent[0].payload);
  ASSERT_TRUE(birth.ok());
  EXPECT_TRUE(birth->online);
  EXPECT_EQ(birth->last_seq, 20u);
  EXPECT_EQ(birth->queue_depth, 20u);
  EXPECT_EQ(birth->epoch, kEpoch);
  out_.sent.clear();

  coordinatorOnline("c1");
  pump();
  auto batches = takeBatches();
  ASSERT_EQ(batches.size(), 2u);  // window: 2 batches of 4
  EXPECT_EQ(seqs(batches[0]), (std::vector<uint64_t>{1, 2, 3, 4}));
  EXPECT_EQ(seqs(batches[1]), (std::vector<uint64_t>{5, 6, 7, 8}));
  // The chain the coordinator checks: genesis, then each event's hash.
  std::string head(common::kChainGenesis);
  for (const auto& b : batches) {
    EXPECT_EQ(b.device_id, kId);
    EXPECT_EQ(b.epoch, kEpoch);
    for (common::Event e : b.events) {
      EXPECT_EQ(e.location, "lg-store-0000");
      EXPECT_EQ(e.prev_hash, head);
      e.device_id = b.device_id;
      head = common::chainHash(e);
    }
  }
  pump();
  EXPECT_TRUE(takeBatches().empty());  // the window is full until an ack
}

TEST_F(SimDeviceTest, AnAckPrunesTheOutboxAndOpensTheWindow) {
  record(10);
  device_.connected();
  coordinatorOnline("c1");
  pump();
  takeBatches();
  advance(40);
  deliverAck(ack(8));
  EXPECT_EQ(device_.counters().acked, 8u);
  EXPECT_EQ(device_.counters().acked_units, -16);  // 8 sales of 2 units
  EXPECT_EQ(device_.queueDepth(), 2u);
  EXPECT_EQ(lag_.live.count(), 8u);
  EXPECT_EQ(lag_.live.percentileMs(50), 40);
  pump();
  auto batches = takeBatches();
  ASSERT_EQ(batches.size(), 1u);
  EXPECT_EQ(seqs(batches[0]), (std::vector<uint64_t>{9, 10}));
  deliverAck(ack(10));
  EXPECT_TRUE(device_.drained());
}

TEST_F(SimDeviceTest, SilenceRewindsToTheLastAckAfterTheTimeout) {
  record(4);
  device_.connected();
  coordinatorOnline("c1");
  pump();
  ASSERT_EQ(takeBatches().size(), 1u);
  advance(999);
  pump();
  EXPECT_TRUE(takeBatches().empty());
  advance(2);
  pump();
  // From the last ack again, in batches half the size (as the agent after a silence).
  auto again = takeBatches();
  ASSERT_EQ(again.size(), 2u);
  EXPECT_EQ(seqs(again[0]), (std::vector<uint64_t>{1, 2}));
  EXPECT_EQ(seqs(again[1]), (std::vector<uint64_t>{3, 4}));
  EXPECT_EQ(device_.counters().rewinds, 1u);
}

TEST_F(SimDeviceTest, AResendRequestAndALostConnectionResendFromTheLastAck) {
  record(8);
  device_.connected();
  coordinatorOnline("c1");
  pump();
  takeBatches();
  common::Ack a = ack(2);
  a.resend_from = 3;
  deliverAck(a);
  EXPECT_EQ(device_.counters().resend_requests, 1u);
  pump();
  auto batches = takeBatches();
  ASSERT_FALSE(batches.empty());
  EXPECT_EQ(seqs(batches[0]).front(), 3u);

  device_.lost();
  device_.connected();
  pump();
  batches = takeBatches();
  ASSERT_FALSE(batches.empty());
  EXPECT_EQ(seqs(batches[0]).front(), 3u);
}

TEST_F(SimDeviceTest, ANewCoordinatorSessionResendsFromTheLastAck) {
  record(4);
  device_.connected();
  coordinatorOnline("c1");
  pump();
  takeBatches();
  coordinatorOnline("c2");
  pump();
  auto batches = takeBatches();
  ASSERT_EQ(batches.size(), 1u);
  EXPECT_EQ(seqs(batches[0]).front(), 1u);
}

TEST_F(SimDeviceTest, AcksThatAnswerNoBatchAndWouldConfirmUnsentSeqsAreRefused) {
  record(4);
  device_.connected();
  coordinatorOnline("c1");
  pump();
  takeBatches();
  common::Ack forged = ack(4);
  forged.echo_sent_at_ms = 0;
  forged.applied_seq = 99;
  deliverAck(forged);
  device_.message(topics::ack(kId), "not an ack", now_, mono_, lag_);
  EXPECT_EQ(device_.counters().bad_acks, 2u);
  EXPECT_EQ(device_.counters().acked, 0u);
  deliverAck(ack(4));
  EXPECT_EQ(device_.counters().acked, 4u);
}

TEST_F(SimDeviceTest, ARefusalStopsTheDeviceSending) {
  record(4);
  device_.connected();
  coordinatorOnline("c1");
  pump();
  takeBatches();
  common::Ack a = ack(0);
  a.error = "device 'lg-00001' sent store epoch X but the ledger knows epoch Y";
  a.epoch = "another";
  deliverAck(a);
  EXPECT_FALSE(device_.counters().refused.empty());
  advance(5000);
  pump();
  EXPECT_TRUE(takeBatches().empty());
}

TEST_F(SimDeviceTest, NothingIsSentWhileThePublisherRefusesAndItIsSentOnceItTakes) {
  record(4);
  device_.connected();
  coordinatorOnline("c1");
  out_.up = false;
  pump();
  EXPECT_EQ(device_.counters().batches_sent, 0u);
  out_.up = true;
  pump();
  EXPECT_EQ(takeBatches().size(), 1u);
}

TEST_F(SimDeviceTest, EventsRecordedOfflineCountAsCatchUp) {
  record(2, false);
  device_.connected();
  coordinatorOnline("c1");
  pump();
  takeBatches();
  advance(5000);
  deliverAck(ack(2));
  EXPECT_EQ(lag_.catch_up.count(), 2u);
  EXPECT_EQ(lag_.live.count(), 0u);
  EXPECT_EQ(lag_.catch_up.percentileMs(99), 5000);
}

TEST_F(SimDeviceTest, BatchesStayUnderTheBrokersPacketLimit) {
  out_.max_packet = 1200;  // half of it for events (as the agent keeps room for the rest)
  record(8);
  device_.connected();
  coordinatorOnline("c1");
  pump();
  for (const auto& m : out_.sent) EXPECT_LE(m.payload.size(), 1200u) << m.topic;
  auto batches = takeBatches();
  EXPECT_GT(batches.size(), 2u);  // smaller than the 4 events a batch may hold, so more of them
  size_t events = 0;
  for (const auto& b : batches) events += b.events.size();
  EXPECT_EQ(events, 8u);
}
