#pragma once
// The agent's local store: every recorded event is committed here (WAL,
// synchronous=FULL) before the cashier gets an answer, and stays until the
// coordinator has acknowledged it as applied and the retention period has passed.
//
// Tables (schema version in user_version):
//   meta(key, value)            device_id, location, kind, epoch (store identity)
//   counters(last_seq, last_acked_seq, chain_head)   one row; seq is gapless per device; chain_head
//                               is the hash of the last event recorded (common/chain.h)
//   outbox(seq PK, event_id UNIQUE, idem_key UNIQUE, recorded_at_ms, body)
//   acks(through_seq PK, acked_at_ms)   one row per acknowledgement, for pruning after retention
//   local_moves(seq, line): this device's own stock effects, pruned with their events
//   down_state(kind, location): downlink versions held (see downlink.h); stock_view, stock_view_meta

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "sw/common/build_info.h"
#include "sw/common/clock.h"
#include "sw/common/event.h"
#include "sw/common/result.h"
#include "sw/common/sqlite.h"

namespace sw::agent {

struct StoreConfig {
  std::string path;
  std::string device_id;
  std::string location;
  std::string kind = "till";
  // Refuse new events when the filesystem holding the store has less free space than this.
  int64_t min_free_bytes = 16 * 1024 * 1024;
};

// What a caller records: everything but the identity fields the store assigns.
struct EventDraft {
  common::EventType type = common::EventType::kSale;
  std::vector<common::Line> lines;
  std::string other_location;
  std::string reason;
  std::string ref;
  std::string scope;  // counts: "location" for a whole-location count session
  std::string idempotency_key;  // optional; a repeat returns the first event instead of a new one
  std::vector<common::PriceFlag> price_flags;  // sales: what checkSalePrices() found
};

struct Recorded {
  uint64_t seq = 0;
  std::string event_id;
  int64_t occurred_at_ms = 0;
  bool duplicate = false;  // idempotency key seen before: nothing new was written
};

struct PendingEvent {
  uint64_t seq = 0;
  std::string body;  // encoded with common::encodeEvent()
};

// The last time recording failed for a reason outside the request (disk full, read-only, I/O).
struct WriteFailure {
  int64_t at_ms = 0;  // 0: the last attempt succeeded (or none failed yet)
  std::string code;
  std::string message;
};

// Local stock for one SKU at one location: the coordinator's last stock view plus this
// device's own moves the view does not include yet (other devices' unsynced sales are unknown).
struct StockEstimate {
  std::string location;
  bool in_view = false;        // the coordinator's view has this (location, SKU)
  int64_t view_on_hand = 0;
  uint64_t view_includes_seq = 0;  // this device's events up to here are in the view
  int64_t own_unsynced_moves = 0;
  int64_t estimate = 0;
};

struct StoreStats {
  uint64_t last_seq = 0;
  uint64_t last_acked_seq = 0;
  uint64_t queue_depth = 0;
  int64_t oldest_unsynced_recorded_at_ms = 0;  // 0 when nothing is unsynced
  int64_t disk_free_bytes = -1;
  uint64_t stored_events = 0;
  WriteFailure last_write_failure;
  // What recording took in the last hour (or since the store opened, if less; at least a
  // minute): estimated on-disk bytes per second, and how long the free space above the
  // reserve (StoreConfig::min_free_bytes) lasts at that rate if nothing is pruned (the device
  // stays offline). -1: nothing recorded in the window, or the free space is unknown.
  double recent_bytes_per_s = 0;
  int64_t disk_time_left_s = -1;
};

class Store {
 public:
  // Opens (or creates) the store. An existing store must belong to the same device id;
  // a damaged file is reported (fatal corrupt_database) and never replaced.
  static common::Result<std::unique_ptr<Store>> open(const StoreConfig& config, const common::Clock& clock);

  // Validates and durably commits one event; returns only after the commit. Disk full or
  // read-only gives a retry error and nothing is written.
  common::Result<Recorded> record(const EventDraft& draft);
  // Several events in one transaction (a count session, an import): all or none.
  common::Result<std::vector<Recorded>> recordMany(const std::vector<EventDraft>& drafts);

  // Up to max_events (and about max_bytes) unacked events with seq >= from_seq, in seq order.
  common::Result<std::vector<PendingEvent>> pending(uint64_t from_seq, size_t max_events, size_t max_bytes);
  // The event at seq, acknowledged or not, while the outbox still holds it (acknowledged events
  // are kept for the retention period); nullopt once pruned.
  common::Result<std::optional<PendingEvent>> retained(uint64_t seq);

  // Everything up to seq is applied by the coordinator. Never moves backwards.
  common::Status markAcked(uint64_t seq);

  // The coordinator no longer has events after seq (say it was restored from a backup): treat
  // them as unacknowledged again so they are resent. A reject error if some were pruned already.
  common::Status rewindAcked(uint64_t seq);

  // Deletes acknowledged events acknowledged more than retention_ms ago. Returns how many.
  common::Result<int64_t> prune(int64_t retention_ms);

  common::Result<StoreStats> stats();
  common::Result<std::vector<StockEstimate>> estimateStock(const std::string& sku);

  // For the downlink's handlers: run fn in one write transaction on the store (all or nothing),
  // or just under the store's lock for reads.
  common::Status transaction(const std::function<common::Status(common::SqliteDb&)>& fn);
  common::Status read(const std::function<common::Status(common::SqliteDb&)>& fn);
  // Brings another component's tables in this file to its schema (catalog, receipts, pick tasks:
  // each its own version in schema_versions, sqlite.h).
  common::Status migrate(const common::SqliteSchema& schema);
  // The version open() brings the store's own tables (component agent_store) to.
  static common::SchemaVersion schemaVersion();
  // The steps of the store's own schema, in order: step i takes version i to i+1 (tests build a
  // store of each earlier version from them).
  static const std::vector<std::string>& schemaSteps();
  // Decodes one stored event (any seq still in the store), for inspection and tests.
  common::Result<common::Event> eventAt(uint64_t seq);

  const std::string& deviceId() const { return config_.device_id; }
  const std::string& location() const { return config_.location; }
  const std::string& kind() const { return config_.kind; }
  // The store's epoch, and the one it had before it last renumbered (empty if never): copies,
  // since resequence() changes them while other threads read.
  std::string epoch() const {
    std::lock_guard<std::mutex> lock(epoch_mu_);
    return epoch_;
  }
  std::string prevEpoch() const {
    std::lock_guard<std::mutex> lock(epoch_mu_);
    return prev_epoch_;
  }

  // The coordinator found, at conflict_seq, an event other than this store's (this store was
  // restored from an older copy and reused seqs it had already used): renumber every unsent event
  // from conflict_seq on to follow coordinator_applied, take a new epoch, and count what the
  // coordinator has up to coordinator_applied as acknowledged, all in one transaction. Nothing
  // (nullopt) if conflict_seq is already acknowledged or beyond this store's events (a stale ack).
  struct Resequenced {
    uint64_t from_seq = 0;   // the first event renumbered
    uint64_t shift = 0;      // added to each seq (0: none needed, only the epoch changes)
    uint64_t events = 0;     // how many were renumbered
    uint64_t acked_through = 0;
    std::string old_epoch, new_epoch;
    int64_t at_ms = 0;
  };
  // The hash chain is rebuilt too: the events after coordinator_applied link, in order, to
  // coordinator_chain_head (the conflict ack's; empty: the genesis hash).
  common::Result<std::optional<Resequenced>> resequence(uint64_t conflict_seq, uint64_t coordinator_applied,
                                                        const std::string& coordinator_chain_head = "");
  // The last resequence() and how many there have been (count 0: never).
  struct ResequenceInfo {
    int64_t count = 0;
    Resequenced last;
  };
  ResequenceInfo resequenceInfo() const {
    std::lock_guard<std::mutex> lock(epoch_mu_);
    return reseq_info_;
  }
  int64_t freeBytes() const;

 private:
  Store(StoreConfig config, const common::Clock& clock) : config_(std::move(config)), clock_(clock) {}
  common::Status init();
  common::Status recordLocalMoves(const common::Event& e);
  common::Status recordVoid(const common::Event& e);
  common::Status writeAck(uint64_t seq, int64_t at_ms);
  common::Status relink(uint64_t from_seq, const std::string& head);
  // The outbox events from from_seq on, decoded, in seq order (a body that does not decode is
  // corrupt_database).
  common::Result<std::vector<std::pair<int64_t, common::Event>>> outboxFrom(int64_t from_seq);

  StoreConfig config_;
  const common::Clock& clock_;
  mutable std::mutex epoch_mu_;  // guards epoch_, prev_epoch_, reseq_info_
  std::string epoch_;
  std::string prev_epoch_;
  ResequenceInfo reseq_info_;
  std::mutex mu_;  // guards db_ and its statements: one writer at a time
  common::SqliteDb db_;
  std::mutex read_mu_;  // guards reader_: the sync loop reads the outbox without blocking sales
  common::SqliteDb reader_;
  common::SqliteStmt find_idem_;
  common::SqliteStmt insert_;
  common::SqliteStmt bump_seq_;
  common::SqliteStmt select_counters_;
  common::SqliteStmt select_pending_;
  common::SqliteStmt insert_move_;
  common::SqliteStmt select_moves_of_event_;
  common::SqliteStmt find_void_;
  common::SqliteStmt insert_void_;
  WriteFailure last_failure_;  // guarded by mu_
  // Committed writes of the last hour: (monotonic ms, estimated bytes), one per transaction;
  // guarded by mu_.
  std::deque<std::pair<int64_t, int64_t>> recent_writes_;
  int64_t recent_bytes_ = 0;
  int64_t opened_at_mono_ms_ = 0;
  void pruneRecentWrites(int64_t mono_ms);
};

}  // namespace sw::agent
