#pragma once
// One simulated device of the load generator: an in-memory outbox with a gapless seq, a store
// epoch and the hash chain, and the sync protocol as the agent's SyncLoop speaks it
// (agent/src/sync.cpp): batches built with common::encodeBatchFromEncodedEvents from events
// encoded once with common::encodeEvent, at most window_batches x batch_events unacknowledged,
// sending only while the coordinator's retained presence is online, resending from the last
// ack after a connection loss, a new coordinator session, a resend request or an ack timeout
// (RFC 6298 with Karn's rule, doubled after each timeout), the batch size doubling while acks
// come back quickly and halving after a resend, the clock offset from the fastest exchange, the
// retained state (every state_interval_ms, sooner when the queue or the last seq changed) and acks checked
// as the agent checks them before anything is done with them.
//
// What it does not do that the agent does: it keeps no acknowledged events (so a coordinator that
// lost acknowledged events cannot be helped: the device is marked refused), and it does not
// renumber after a seq conflict (also refused). Neither happens against a fresh ledger.
//
// No threads, no I/O: a Fleet worker drives it (fleet.h), a test can drive it by hand.

#include <cstdint>
#include <deque>
#include <string>
#include <string_view>
#include <vector>

#include "sw/agent/sync.h"
#include "sw/common/rtt.h"
#include "sw/common/event.h"
#include "sw/loadgen/lag_histogram.h"

namespace sw::loadgen {

// Where a device's messages go: its own MQTT connection.
class Publisher {
 public:
  virtual ~Publisher() = default;
  // Hands a message to the connection; false when it cannot take it now (not connected).
  virtual bool publish(const std::string& topic, std::string_view payload, int qos, bool retain) = 0;
  // The largest packet the broker accepts, as it announced in CONNACK; 0 if it did not.
  virtual uint32_t maxPacketSize() const { return 0; }
};

struct DeviceIdentity {
  std::string device_id;
  std::string location;
  std::string kind = "till";
};

// What one device did, for the report. Seqs are the device's own.
struct DeviceCounters {
  uint64_t recorded = 0;       // the last seq recorded
  uint64_t highest_sent = 0;   // the highest seq sent at least once
  uint64_t acked = 0;          // the last seq the coordinator acknowledged as applied
  uint64_t batches_sent = 0;
  uint64_t rewinds = 0;        // went back to the last ack (timeout, resend request, new session)
  uint64_t resend_requests = 0;
  uint64_t acks = 0;           // acks taken
  uint64_t bad_acks = 0;       // acks refused as inconsistent (never acted on)
  uint64_t states_sent = 0;
  int64_t recorded_units = 0;  // on-hand change of every event recorded (sales negative, returns positive)
  int64_t acked_units = 0;     // ...of the acknowledged ones
  std::string refused;         // why the coordinator refused this device (empty: it did not)
};

// Lag of acknowledged events: device time of the event to the ack that covered it arriving.
struct LagSink {
  LagHistogram live;      // events recorded while the device was connected
  LagHistogram catch_up;  // events recorded while it was offline
};

class SimDevice {
 public:
  SimDevice(DeviceIdentity identity, std::string epoch, std::string session, agent::SyncConfig config);

  const std::string& deviceId() const { return id_.device_id; }
  const std::string& location() const { return id_.location; }
  const std::string& epoch() const { return epoch_; }
  const DeviceCounters& counters() const { return c_; }
  size_t queueDepth() const { return outbox_.size(); }
  bool coordinatorOnline() const { return coordinator_online_; }
  // Every event recorded has been acknowledged.
  bool drained() const { return c_.acked == c_.recorded; }
  // The topics a device subscribes to (ack, coordinator presence), QoS 1.
  std::vector<std::string> subscriptions() const;
  // The retained state the broker publishes for it when the connection dies (the MQTT will).
  std::string willPayload(int64_t now_ms) const;

  // Records a sale or return of `lines` now: the next seq, a time-ordered event id, the link to
  // the chain head; encoded once. `live`: recorded while connected (for the lag figures).
  void record(common::EventType type, std::vector<common::Line> lines, int64_t now_ms, bool live);

  // The connection came up: a birth state is due. Lost: what was in flight may be gone.
  void connected();
  void lost();
  // A message on one of subscriptions().
  void message(std::string_view topic, std::string_view payload, int64_t now_ms, int64_t mono_ms, LagSink& lag);
  // While connected: publishes the state when due and sends what the window allows.
  void pump(Publisher& out, int64_t now_ms, int64_t mono_ms);
  // The offline state a clean stop publishes (no will is sent then).
  void publishOffline(Publisher& out, int64_t now_ms);

 private:
  struct Entry {
    uint64_t seq;
    int64_t occurred_ms;
    int32_t units;  // on-hand change
    bool live;
    std::string body;  // common::encodeEvent
  };
  struct InFlight {
    uint64_t last_seq;
    int64_t sent_mono;
    bool resent;
  };
  void handleAck(std::string_view payload, int64_t now_ms, int64_t mono_ms, LagSink& lag);
  std::string inconsistency(const common::Ack& ack, int64_t now_ms) const;
  void markAcked(uint64_t applied, int64_t now_ms, LagSink& lag);
  void sendWhatFits(Publisher& out, int64_t now_ms, int64_t mono_ms);
  void publishState(Publisher& out, bool online, int64_t now_ms);
  void rewind();
  void noteError(std::string why, int64_t now_ms);  // the device's last error, reported in its state

  DeviceIdentity id_;
  std::string epoch_;
  std::string session_;
  agent::SyncConfig config_;
  std::string events_topic_, ack_topic_, state_topic_;
  std::string chain_head_;
  std::deque<Entry> outbox_;  // front().seq == acked + 1
  DeviceCounters c_;

  bool coordinator_online_ = false;
  std::string coordinator_session_;
  bool birth_due_ = false;
  uint64_t next_seq_ = 1;
  size_t batch_events_;
  int64_t last_progress_mono_ = 0;
  int64_t last_state_mono_ = -1'000'000;
  uint64_t last_state_depth_ = UINT64_MAX;
  uint64_t last_state_seq_ = 0;
  int64_t newest_ack_coord_ms_ = 0;
  std::deque<InFlight> in_flight_;
  common::RttEstimator rtt_;
  int64_t rto_ms_;
  std::deque<int64_t> recent_sent_at_;
  static constexpr size_t kRecentBatches = 64;
  int64_t best_rtt_ms_ = -1;
  int64_t best_rtt_mono_ = 0;
  int64_t clock_offset_ms_ = 0;
  bool clock_offset_known_ = false;
  std::string last_error_;
  int64_t last_error_at_ms_ = 0;
};

}  // namespace sw::loadgen
