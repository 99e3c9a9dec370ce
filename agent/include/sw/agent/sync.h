#pragma once
// The sync loop: sends the outbox to the coordinator and records what it has applied.
//
// One thread, owned here (start/stop). State machine per connection:
//   disconnected -> connected, coordinator unknown/offline -> sending
// It sends only while the coordinator's retained presence says online, starting
// from last_acked_seq + 1 on every (re)connect and every new coordinator session.
// At most `window` events are unacknowledged at once. When acks stop coming for longer
// than the retransmission timeout it goes back to last_acked_seq + 1 and sends again (the
// coordinator applies each seq once, so a resend is harmless). The timeout follows the
// measured round trip (RFC 6298: srtt + 4 rttvar, Karn's rule, doubled after each
// timeout), never below ack_timeout_ms: a coordinator busy draining a whole fleet is slow,
// not gone. Batch size adapts: it doubles while acks flow back within half of ack_timeout_ms,
// stays while they are slower (the coordinator's queue is deep), and halves after a resend.
//
// Acks are checked before anything is done with them (anyone who can publish on the ack topic
// could otherwise stall or prune this device): an ack is refused, logged, counted and shown in
// /v1/status (alert `bad_ack`) when its clock is out of bounds (coordinator time not a time
// before 2100, or further than common::kMaxClockOffsetMs from ours; an echo later than now) or
// when it does not answer a batch this device sent (its echo is none of the last 64 batches'
// send times) and yet would confirm a seq not sent, move the acknowledged seq backwards, refuse
// the device, name another epoch or report a seq conflict. Real acks after a refused one work.

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "sw/agent/store.h"
#include "sw/common/rtt.h"
#include "sw/common/clock.h"
#include "sw/common/mqtt.h"

namespace sw::agent {

struct SyncConfig {
  // The batch size a sync loop starts with; it adapts from there. tools/bench drain,
  // alternating runs (100 devices catching up at once, growth held while acks are slow): 256
  // gave 99.8k, 94.4k, 101.4k and 104.9k events/s; 64 gave 90.9k, 80.9k, 95.6k and 101.7k.
  // With 64 the first ledger groups of a catch-up were small, and a group of ~11,000 events
  // cost 17 us per event against 7.8 us for a full one.
  size_t initial_batch_events = 256;
  size_t max_batch_events = 1000;
  size_t max_batch_bytes = 192 * 1024;  // well under the broker's message_size_limit
  size_t window_batches = 4;            // batches in flight before waiting for an ack
  int64_t ack_timeout_ms = 3000;        // the least silence before resending from the last ack
  int64_t max_ack_timeout_ms = 120'000; // the most
  int64_t state_interval_ms = 5000;     // the state topic is refreshed at least this often...
  int64_t state_min_interval_ms = 1000; // ...and at most this often when the queue or the last seq changes
  int64_t retention_ms = 7LL * 24 * 3600 * 1000;  // acked events are kept this long, then pruned
  int64_t prune_interval_ms = 60'000;
  bool wait_for_coordinator = true;     // send only while the coordinator's presence is online
};

struct SyncStatus {
  bool broker_connected = false;
  bool coordinator_online = false;
  bool refused = false;          // the coordinator refused this device (e.g. its store was re-created)
  std::string refused_reason;
  int64_t clock_offset_ms = 0;   // coordinator clock minus ours, from the fastest recent ack
  bool clock_offset_known = false;
  int64_t last_ack_at_ms = 0;
  size_t batch_events = 0;
  uint64_t resends = 0;
  uint64_t batches_sent = 0;
  int64_t rto_ms = 0;            // current retransmission timeout
  int64_t srtt_ms = 0;           // smoothed ack round trip (0 until measured)
  // Acks refused as inconsistent (see SyncLoop::handleAck): never acted on.
  uint64_t bad_acks = 0;
  std::string last_bad_ack;
  int64_t last_bad_ack_at_ms = 0;
  // The sync loop's most recent error (refusal, bad ack, outbox read), reported in the state.
  std::string last_error;
  int64_t last_error_at_ms = 0;
};

class SyncLoop {
 public:
  SyncLoop(Store& store, common::MqttTransport& transport, const common::Clock& clock, SyncConfig config,
           std::string session);
  ~SyncLoop();
  SyncLoop(const SyncLoop&) = delete;
  SyncLoop& operator=(const SyncLoop&) = delete;

  void start();
  // Publishes an offline state (a clean stop sends no will) and joins the thread.
  void stop();
  // Wakes the loop after a new event was recorded.
  void notify();
  // The local HTTP API answered a request (rejected: with a 4xx). Reported in the device state,
  // so the coordinator's KPIs see every device's rejected requests.
  void countRequest(bool rejected);
  uint64_t requestCount() const { return requests_.load(); }
  uint64_t rejectedRequestCount() const { return rejected_requests_.load(); }
  SyncStatus status() const;

 private:
  std::atomic<uint64_t> requests_{0};
  std::atomic<uint64_t> rejected_requests_{0};
  struct Inbound {
    std::string topic;
    std::string payload;
  };
  void run();
  void handleInbound(const Inbound& msg);
  void handleAck(std::string_view payload);
  void handleConflict(const common::Ack& ack);
  // Why an ack cannot be the coordinator's answer to what this device sent (empty: it can).
  std::string inconsistency(const common::Ack& ack, int64_t now) const;
  bool answersOurBatch(const common::Ack& ack) const;
  // The highest seq sent up to and including the batch this ack answers (nullopt: none of ours).
  // An ack confirms at most that: batches sent after it may not have been compared yet.
  std::optional<uint64_t> answeredThrough(const common::Ack& ack) const;
  void rememberSent(int64_t sent_at_ms, uint64_t highest_seq, bool probe);
  void sendWhatFits();
  void publishState(bool online);
  // Records the loop's last error (noteErrorLocked: mu_ held).
  void noteError(std::string why);
  void noteErrorLocked(std::string why);

  Store& store_;
  common::MqttTransport& transport_;
  const common::Clock& clock_;
  SyncConfig config_;
  std::string session_;

  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Inbound> inbound_;
  bool stop_ = false;
  bool wake_ = false;
  bool connected_event_ = false;  // a (re)connect happened since the loop last looked
  bool lost_event_ = false;       // the connection was lost since the loop last looked
  std::thread thread_;

  // Loop-thread state (read by status() under mu_).
  SyncStatus status_;
  std::string coordinator_session_;
  // A new coordinator session came online: the last acknowledged event goes once more (see
  // sendWhatFits), so a coordinator restored from a backup learns what it no longer has.
  bool probe_ = false;
  uint64_t last_acked_ = 0;
  uint64_t next_seq_ = 1;              // next seq to send
  int64_t last_progress_mono_ = 0;
  int64_t last_state_mono_ = -1'000'000;
  uint64_t last_state_depth_ = UINT64_MAX;
  uint64_t last_state_seq_ = 0;  // last_seq in the last state published
  int64_t last_prune_mono_ = 0;
  int64_t newest_ack_coord_ms_ = 0;
  struct InFlight {
    uint64_t last_seq;
    int64_t sent_mono;
    bool resent;  // Karn: no round-trip sample from a batch that was sent more than once
  };
  std::deque<InFlight> in_flight_;
  common::RttEstimator rtt_;
  int64_t rto_ms_ = 0;
  uint64_t highest_sent_ = 0;  // seqs above last_acked_ up to this were sent at least once
  struct Sent {
    int64_t sent_at_ms;    // the batch header's time, which acks echo
    uint64_t highest_seq;  // its last seq (the probe: the acknowledged seq it repeats)
    bool probe;
  };
  std::deque<Sent> recent_sent_;  // the last kRecentBatches batches sent
  static constexpr size_t kRecentBatches = 64;
  int64_t best_rtt_ms_ = -1;
  int64_t best_rtt_mono_ = 0;
};

}  // namespace sw::agent
