#pragma once
// Ingest: receives device messages from MQTT, applies event batches to the ledger
// exactly once and in seq order per device, and acknowledges what is durable.
//
// Threads: the transport's callback thread decodes and validates each message and
// enqueues the result (a bounded queue; when it is full the callback waits while the apply
// thread drains it, which stops the broker from sending more, but never while the apply thread
// publishes, which needs the lock Paho holds during the callback); one apply thread owned here
// takes everything queued, plans it with the Sequencer, commits it to the ledger in one
// transaction, and only then publishes acks. Decoding and applying thus run in parallel.
// A message that cannot be decoded or validated is quarantined with its reason.

#include <array>
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>

#include "sw/common/clock.h"
#include "sw/common/metrics.h"
#include "sw/common/mqtt.h"
#include "sw/coordinator/ledger/ledger.h"
#include "sw/coordinator/fleet/registry.h"
#include "sw/coordinator/ingest/sequencer.h"

namespace sw::coordinator {

struct IngestConfig {
  SequencerConfig sequencer;
  size_t queue_capacity = 4096;        // messages waiting for the apply thread
  // Events per ledger transaction, at most. A group takes only what is already waiting, so a
  // live sale is never held back to fill one; the cap matters only during a catch-up. There a
  // larger group writes each on_hand page and index leaf it touches once for more events:
  // in alternating tools/bench drain runs, 8000 gave 73-75k events/s and 32,000 gave 80-92k;
  // tools/bench ledger, 1M events, alternating: 32,000 gave 102-105k events/s (8.5 us CPU and
  // 773 bytes written per event), 64,000 gave 139-142k (6.2 us, 560 bytes). A full group of
  // 64,000 commits in about 0.5 s, well inside the devices' 3 s least ack timeout.
  size_t max_group_events = 64'000;
  size_t max_quarantine_payload = 64 * 1024;
  // Device state messages (status figures, not events) are written with the next event group,
  // or on their own at most this often: a fleet of devices reporting every second must not cost
  // a ledger transaction (and an fsync) each.
  int64_t state_flush_ms = 500;
  std::string share_group;             // non-empty: subscribe with $share/<group>/ (several coordinators)
  // Who may sync. A batch is taken only from a registered, unrevoked device, named by its topic
  // (the broker's ACL ties the topic to the device's certificate), and only for the location the
  // registry gives it; anything else is quarantined with the reason. `serve` always sets one;
  // null (tests of the apply path only) takes every device at its word.
  DeviceRegistry* registry = nullptr;
  // The registry is re-read when another process changed it: at once when an unknown device
  // sends (it may just have been registered), and at least this often for known ones (so a
  // revocation made elsewhere takes effect within it).
  int64_t registry_refresh_ms = 1000;
  // A ledger split between coordinators (Ledger::partitions() > 0): how often the partitions
  // held are renewed, balanced and taken over (Ledger::maintainPartitions); a third of the lease.
  int64_t partition_check_ms = 1000;
};

struct IngestStats {
  std::atomic<uint64_t> messages{0};
  std::atomic<uint64_t> batches{0};
  std::atomic<uint64_t> events_applied{0};
  std::atomic<uint64_t> duplicates{0};
  std::atomic<uint64_t> held{0};
  std::atomic<uint64_t> dropped{0};
  std::atomic<uint64_t> quarantined{0};
  std::atomic<uint64_t> acks{0};
  std::atomic<uint64_t> resend_requests{0};
  std::atomic<uint64_t> commits{0};
  std::atomic<uint64_t> commit_failures{0};
  std::atomic<uint64_t> seq_conflicts{0};  // batches refused: a seq resent with another event id
  std::atomic<uint64_t> refused_identity{0};  // batches from unknown or revoked devices, or for another store
  std::atomic<uint64_t> refused_card_data{0};  // batches holding card data in a free-text field
  std::atomic<uint64_t> states_ignored{0};     // state messages from devices not in the registry
  std::atomic<uint64_t> chain_breaks{0};   // events refused: not linked to the device's chain head
  // A split ledger: messages of devices whose partition another coordinator holds (left to it),
  // partitions held now, and how many times they were taken or given up.
  std::atomic<uint64_t> not_ours{0};
  std::atomic<int64_t> partitions_held{0};
  std::atomic<uint64_t> partitions_taken{0};
  std::atomic<uint64_t> partitions_given{0};
  // Ledger commit (transaction) times, for /metrics.
  common::LatencyHistogram commit_latency;
  void recordCommit(uint64_t us) { commit_latency.observeUs(us); }
  // Occurred (device time corrected by its clock offset) to applied, of every event applied:
  // the same figure as the ledger's syncLatencies, observed as each group commits.
  common::LatencyHistogram sync_latency;
  std::atomic<int64_t> queue_depth{0};
};

class IngestService {
 public:
  IngestService(Ledger& ledger, common::MqttTransport& transport, const common::Clock& clock,
                IngestConfig config, std::string session);
  Ledger& ledger() { return ledger_; }
  ~IngestService();
  IngestService(const IngestService&) = delete;
  IngestService& operator=(const IngestService&) = delete;

  // Loads device cursors, subscribes and starts the apply thread.
  common::Status start();
  // Publishes the offline presence, stops the thread and the transport.
  void stop();

  const IngestStats& stats() const { return stats_; }
  // Connected to the broker with its subscriptions in place.
  bool connected() const { return transport_.isConnected(); }
  size_t heldCount(const std::string& device);
  // The registry ingest trusts (may be null in tests without one).
  const DeviceRegistry* registry() const { return config_.registry; }

  // Called on the apply thread after each commit that changed on-hand figures (set before
  // start): stock views and channel pushes follow from here. Keep it short.
  void setStockChangedHook(std::function<void(const CommitInfo&)> hook) { stock_changed_ = std::move(hook); }
  // A split ledger: called on the apply thread after each maintenance step (partitions taken or
  // lost, the writer lease lost); keep it short.
  void setPartitionHook(std::function<void(const PartitionChange&)> hook) { partition_hook_ = std::move(hook); }
  // Test hook: called after a group is committed and before its acks are published.
  void setAfterCommitHook(std::function<void()> hook) { after_commit_ = std::move(hook); }

 private:
  // A message as the callback thread leaves it: decoded, or the reason it could not be.
  struct Message {
    enum class Kind { kBatch, kState, kBad, kIgnored, kNotOurs };
    Kind kind = Kind::kBad;
    std::string topic;
    std::string device;          // from the topic
    common::EventBatch batch;    // kBatch
    common::DeviceState state;   // kState
    std::string state_json;      // kState: the payload as received
    common::Error error;         // kBad
    std::string payload;         // kBad: kept for the quarantine
    int partition = 0;           // a split ledger: the device's (its registered location's)
  };
  void enqueue(std::string_view topic, std::string_view payload);
  void run();
  void processGroup(std::deque<Message>& msgs, bool final_flush = false);
  Message decode(std::string_view topic, std::string_view payload);
  // The device as the registry has it, re-reading the registry on a miss (rate-limited).
  std::optional<RegisteredDevice> registered(const std::string& device) const;
  void publishPresence(bool online);
  // The apply thread is past its group's commit: a callback waiting for room stops waiting.
  void endDraining();
  void publishAck(const std::string& device, const common::Ack& ack);
  // A split ledger (apply thread): renew, balance and take partitions; devices of partitions gone
  // or taken are forgotten, those taken are read again from the ledger and asked to resend.
  void checkPartitions();
  // The partition of a device's messages: its registered location's (or, unregistered, its id's).
  int partitionOf(const std::optional<RegisteredDevice>& reg, const std::string& device) const;
  // Whether this coordinator applies the message now (always, unless split).
  bool ours(const Message& m) const;

  Ledger& ledger_;
  common::MqttTransport& transport_;
  const common::Clock& clock_;
  IngestConfig config_;
  std::string session_;
  Sequencer sequencer_;
  IngestStats stats_;

  std::mutex mu_;
  std::condition_variable cv_;       // apply thread waits for messages
  std::condition_variable room_cv_;  // callback waits for room
  std::deque<Message> queue_;
  // Under mu_: the apply thread is taking and committing a group, which calls no MQTT, so a
  // callback may wait for room (see enqueue()); false from the commit on (acks, hooks) and idle.
  bool draining_ = false;
  bool stop_ = false;
  bool connected_event_ = false;
  std::thread thread_;
  std::mutex seq_mu_;  // guards sequencer_ for heldCount() from other threads
  std::function<void()> after_commit_;
  std::function<void(const CommitInfo&)> stock_changed_;
  std::function<void(const PartitionChange&)> partition_hook_;
  int partitions_ = 0;                 // Ledger::partitions() at start
  int64_t next_partition_check_mono_ = 0;
  int64_t last_device_sweep_mono_ = 0;
  static constexpr int64_t kDeviceSweepMs = 5000;
  std::atomic<bool> republish_presence_{false};  // another coordinator's went offline (split)
  // Apply thread only: the newest state of each device not yet written (see state_flush_ms).
  std::map<std::string, DeviceStateUpdate> pending_states_;
  int64_t last_state_flush_mono_ = 0;
  // Apply thread only: the events vector of the last group, emptied, with its capacity.
  std::vector<ApplyEvent> spare_events_;
  mutable std::atomic<int64_t> registry_refreshed_mono_{0};
  std::unordered_map<std::string, int64_t> last_echo_;  // apply thread: each device's latest batch send time
};

}  // namespace sw::coordinator
