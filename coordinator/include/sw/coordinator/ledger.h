#pragma once
// The inventory ledger on SQLite: an append-only event and movement log, and an
// on-hand table per (location, SKU) derived from it.
//
// Tables (names are interned: devices, locations and skus map names to integer ids):
//   devices(id, device_id, epoch, last_applied_seq, kind, location, online, last_seen_ms, state_json, ...)
//   events(dev, seq) PK: one row per applied event (type, location, times, refs; ids as 16-byte UUIDs)
//   movements(dev, seq, line) PK: one row per event line: sku, qty, price, the signed stock delta
//              and the corrected time (device time + the device's reported clock offset)
//   on_hand(loc, sku): qty = last count + deltas after it (or all deltas if never counted)
//   Views v_events, v_movements and v_on_hand show the same with names, for people using SQL.
//   quarantine: messages refused with their reason; they changed nothing else
//   anomalies: applied events the ledger could not fully honour (a void of an unknown sale, ...)
//
// Counts are checkpoints: a movement whose corrected time is at or before the latest count
// at its (location, SKU) is absorbed by that count; later movements apply on top.
// Every write happens in commit(), one transaction per group of batches.

#include <cstdint>
#include <functional>
#include <memory>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "sw/common/clock.h"
#include "sw/common/event.h"
#include "sw/common/result.h"
#include "sw/common/sqlite.h"

namespace sw::coordinator {

struct DeviceRow {
  std::string device_id;
  std::string epoch;
  uint64_t last_applied_seq = 0;
  std::string kind;
  std::string location;
  bool online = false;
  int64_t first_seen_ms = 0;
  int64_t last_seen_ms = 0;
  int64_t last_applied_at_ms = 0;
  std::string state_json;  // the device's last state message, as received
};

struct ApplyEvent {
  common::Event event;
  int64_t clock_offset_ms = 0;  // from the batch header (0 if the device did not know it yet)
};

struct QuarantineRow {
  int64_t received_at_ms = 0;
  std::string topic;
  std::string device_id;  // from the topic, may be empty
  std::string code;
  std::string reason;
  std::string payload;
};

struct DeviceStateUpdate {
  std::string device_id;
  bool online = false;
  std::string kind;
  std::string location;
  std::string state_json;
  int64_t at_ms = 0;  // coordinator time of receipt
};

// Everything one commit writes.
struct ApplyGroup {
  std::vector<ApplyEvent> events;  // each device's events in seq order, contiguous
  std::map<std::string, std::string> new_devices;  // device -> epoch
  std::map<std::string, uint64_t> cursors;         // device -> last applied seq after this group
  std::vector<QuarantineRow> quarantined;
  std::vector<DeviceStateUpdate> states;
  int64_t applied_at_ms = 0;
};

struct StockRow {
  std::string location;
  std::string sku;
  int64_t on_hand = 0;
  std::optional<int64_t> last_count_at_ms;
  std::optional<int64_t> last_counted;
  int64_t updated_at_ms = 0;
};

// One applied event as the ledger shows it: the event's fields and its movement lines.
struct LedgerEvent {
  std::string device_id;
  uint64_t seq = 0;
  std::string event_id;
  std::string type;
  std::string location;
  std::string other_location;
  std::string reason;
  std::string ref;
  std::string voided_by;
  int64_t device_at_ms = 0;
  int64_t at_ms = 0;
  int64_t applied_at_ms = 0;
  int64_t apply_order = 0;  // global order in which the ledger applied events
  struct Move {
    std::string location;
    std::string sku;
    int64_t qty = 0;
    std::optional<int64_t> price_units;
    int64_t delta = 0;
  };
  std::vector<Move> moves;
};

// What a commit changed, for those who react to it (stock views, channel pushes).
struct CommitInfo {
  std::vector<std::pair<std::string, std::string>> changed;  // (location, sku) whose on-hand changed
  std::vector<std::string> locations;                        // distinct locations of `changed`
};

// One row of a location's stock view as sent down to its devices.
struct StockViewRow {
  std::string sku;
  int64_t on_hand = 0;
  int64_t version = 0;
};

struct StockViewPage {
  std::vector<StockViewRow> rows;
  int64_t version = 0;             // the location's stock version this page is consistent with
  uint64_t device_applied_seq = 0;  // the asking device's events the figures include
  bool more = false;
};

struct LedgerOptions {
  std::string path;
  int64_t cache_mib = 64;
};

class SqliteLedger {
 public:
  static common::Result<std::unique_ptr<SqliteLedger>> open(const LedgerOptions& options);

  common::Result<std::vector<DeviceRow>> loadDevices();
  // Applies the whole group in one transaction, or nothing. info (optional) says what changed.
  common::Status commit(const ApplyGroup& group, CommitInfo* info = nullptr);

  // Reads (on a separate connection, safe from any thread).
  common::Result<std::vector<StockRow>> stockForSku(const std::string& sku);
  common::Result<std::vector<StockRow>> stockForLocation(const std::string& location);
  common::Result<std::vector<DeviceRow>> devices();
  common::Result<int64_t> countRows(const std::string& table);
  common::Result<std::vector<QuarantineRow>> quarantine(int64_t limit);
  // A device's applied events from from_seq on, in seq order.
  common::Result<std::vector<LedgerEvent>> eventsForDevice(const std::string& device, uint64_t from_seq,
                                                           int64_t limit);

  // Stock views: each on_hand row carries the version of the commit that last changed it.
  common::Result<int64_t> stockVersion(const std::string& location);
  // Rows of a location changed after `after_version` (version order), or, for a snapshot, rows
  // with sku > after_sku (key order). Both consistent with one read transaction.
  common::Result<StockViewPage> stockChanges(const std::string& location, const std::string& device,
                                             int64_t after_version, const std::string& after_sku, size_t max_rows);
  common::Result<StockViewPage> stockSnapshot(const std::string& location, const std::string& device,
                                              const std::string& after_sku, size_t max_rows);
  common::Result<std::vector<std::string>> locationNames();

  // Recomputes every on_hand row from the movement log; returns rows that differ (should be none).
  common::Result<std::vector<std::string>> verifyOnHand();

  // Test hook: called after the group's rows are written, before COMMIT.
  void setBeforeCommitHook(std::function<void()> hook) { before_commit_ = std::move(hook); }

 private:
  SqliteLedger() = default;
  common::Status init(const LedgerOptions& options);
  common::Status prepareStatements();
  common::Status applyEvent(const ApplyEvent& ae, int64_t applied_at_ms);
  struct OnHand {
    int64_t qty = 0;
    std::optional<int64_t> count_at;
    std::optional<int64_t> counted;
    bool dirty = false;
  };
  using Key = std::pair<int64_t, int64_t>;  // (location id, sku id)
  common::Result<OnHand*> onHand(Key key);
  common::Status applyDelta(Key key, int64_t delta, int64_t at_ms);
  common::Status applyCount(Key key, int64_t counted, int64_t at_ms);
  common::Status flushOnHand(int64_t now_ms, int64_t version, CommitInfo* info);

  // Names (devices, locations, SKUs) are stored once and referred to by integer ids, which
  // keeps every index key small and fast to compare.
  struct Interner {
    const char* table;
    const char* column;
    std::unordered_map<std::string, int64_t> ids;
    std::vector<std::string> added;  // in the open transaction: forgotten if it rolls back
    common::SqliteStmt find;
    common::SqliteStmt insert;
  };
  common::Result<int64_t> intern(Interner& in, const std::string& name);
  common::Status prepareInterner(Interner& in);

  std::mutex write_mu_;
  common::SqliteDb db_;
  std::mutex read_mu_;
  common::SqliteDb reader_;
  Interner devices_{"devices", "device_id", {}, {}, {}, {}};
  Interner locations_{"locations", "name", {}, {}, {}, {}};
  Interner skus_{"skus", "sku", {}, {}, {}, {}};
  common::SqliteStmt ins_event_;
  common::SqliteStmt ins_move_;
  common::SqliteStmt sel_onhand_;
  common::SqliteStmt up_onhand_;
  common::SqliteStmt sum_after_;
  common::SqliteStmt sel_ref_moves_;
  common::SqliteStmt up_device_;
  common::SqliteStmt set_epoch_;
  common::SqliteStmt ins_quarantine_;
  common::SqliteStmt up_state_;
  common::SqliteStmt mark_voided_;
  common::SqliteStmt ins_anomaly_;
  int64_t next_ord_ = 1;
  int64_t stock_ver_ = 0;
  std::map<Key, OnHand> onhand_cache_;  // per commit
  std::function<void()> before_commit_;
};

}  // namespace sw::coordinator
