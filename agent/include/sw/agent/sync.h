#pragma once
// The sync loop: sends the outbox to the coordinator and records what it has applied.
//
// One thread, owned here (start/stop). State machine per connection:
//   disconnected -> connected, coordinator unknown/offline -> sending
// It sends only while the coordinator's retained presence says online, starting
// from last_acked_seq + 1 on every (re)connect and every new coordinator session.
// At most `window` events are unacknowledged at once. When acks stop coming for
// ack_timeout_ms it goes back to last_acked_seq + 1 and sends again (the coordinator
// applies each seq once, so a resend is harmless). Batch size adapts: it doubles
// while acks flow and halves after a resend.

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <thread>

#include "sw/agent/store.h"
#include "sw/common/clock.h"
#include "sw/common/mqtt.h"

namespace sw::agent {

struct SyncConfig {
  size_t initial_batch_events = 64;
  size_t max_batch_events = 1000;
  size_t max_batch_bytes = 192 * 1024;  // well under the broker's message_size_limit
  size_t window_batches = 4;            // batches in flight before waiting for an ack
  int64_t ack_timeout_ms = 3000;        // silence before resending from the last ack
  int64_t state_interval_ms = 5000;     // the state topic is refreshed at least this often...
  int64_t state_min_interval_ms = 1000; // ...and at most this often when the queue changes
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
  SyncStatus status() const;

 private:
  struct Inbound {
    std::string topic;
    std::string payload;
  };
  void run();
  void handleInbound(const Inbound& msg);
  void handleAck(std::string_view payload);
  void sendWhatFits();
  void publishState(bool online);

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
  std::thread thread_;

  // Loop-thread state (read by status() under mu_).
  SyncStatus status_;
  std::string coordinator_session_;
  uint64_t last_acked_ = 0;
  uint64_t next_seq_ = 1;              // next seq to send
  int64_t last_progress_mono_ = 0;
  int64_t last_state_mono_ = -1'000'000;
  uint64_t last_state_depth_ = UINT64_MAX;
  int64_t last_prune_mono_ = 0;
  int64_t newest_ack_coord_ms_ = 0;
  int64_t best_rtt_ms_ = -1;
  int64_t best_rtt_mono_ = 0;
};

}  // namespace sw::agent
