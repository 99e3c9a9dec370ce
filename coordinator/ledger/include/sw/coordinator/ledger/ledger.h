#pragma once
// The inventory ledger: an append-only event and movement log, and an on-hand table per
// (location, SKU) derived from it. This header is what its users see (the row types and the
// Ledger interface); its store, on SQLite or PostgreSQL, is sql_ledger.h.
//
// Tables (names are interned: devices, locations and skus map names to integer ids):
//   devices(id, device_id, epoch, last_applied_seq, kind, location, online, last_seen_ms, state_json, ...)
//   events(dev, seq) PK: one row per applied event (type, location, times, refs; ids as 16-byte UUIDs)
//   movements(dev, seq, line) PK: one row per event line: sku, qty, price, the signed stock delta
//              and the corrected time (device time + the device's reported clock offset)
//   on_hand(loc, sku): qty = last count + deltas after it (or all deltas if never counted)
//   Views v_events, v_movements and v_on_hand show the same with names, for people using SQL.
//   quarantine: messages refused with their reason; they changed nothing else
//   anomalies: applied events the ledger could not fully honour (a void of an unknown sale, a pick
//              task confirmed on a second device, ...)
//   task_claims(ref): the device and seq that first confirmed each pick task
//   price_flags(dev, seq, line): sale lines the till flagged against its catalog (override, ...)
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
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "sw/common/clock.h"
#include "sw/common/event.h"
#include "sw/common/result.h"

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
  bool internal = false;   // one of the coordinator's own workers (the orders worker), not a device
  // Seq conflicts (see Sequencer): the epochs the device renumbered away from (most recent first,
  // space-separated), the seq it was told to renumber from while that is pending (0: none), how
  // many there have been, the last one.
  std::string retired_epochs;
  uint64_t resequencing = 0;
  int64_t seq_conflicts = 0;
  std::string last_conflict;
  int64_t last_conflict_at_ms = 0;
  // The hash chain: the hash of the device's last applied event (empty: never chained), how many
  // chain breaks it has had and the last one.
  std::string chain_head;
  int64_t chain_breaks = 0;
  std::string last_chain_break;
  int64_t last_chain_break_at_ms = 0;
};

// One device's hash chain as `verify --chain` found it.
struct ChainCheck {
  std::string device_id;
  bool ok = true;
  uint64_t chained_from = 0;   // the first chained seq (0: none chained)
  uint64_t events_checked = 0;  // chained events whose links held
  uint64_t break_seq = 0;       // the first break (with ok false)
  std::string message;
  std::string head;  // the device's stored chain head
};

struct SeqConflict {
  uint64_t seq = 0;
  std::string message;
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

// An applied event the ledger could not fully honour (see ledger.cpp: a void of an unknown
// sale, a pick task confirmed a second time, a duplicate event id, ...).
struct AnomalyRow {
  int64_t id = 0;
  std::string device_id;
  uint64_t seq = 0;
  std::string code;
  std::string message;
  int64_t at_ms = 0;
};

// Everything one commit writes.
struct ApplyGroup {
  std::vector<ApplyEvent> events;  // each device's events in seq order, contiguous
  std::map<std::string, std::string> new_devices;  // device -> epoch
  std::map<std::string, uint64_t> cursors;         // device -> last applied seq after this group
  std::vector<QuarantineRow> quarantined;
  std::vector<DeviceStateUpdate> states;
  std::set<std::string> internal_devices;  // event sources that are the coordinator's own workers
  std::map<std::string, SeqConflict> conflicts;  // device -> the seq conflict it was told of
  std::map<std::string, std::pair<std::string, std::string>> epoch_switches;  // device -> (epoch, previous)
  std::map<std::string, std::string> chain_heads;   // device -> its chain head after this group
  std::map<std::string, std::string> chain_breaks;  // device -> the chain break it had in this group
  // Recorded as given (device_id, seq, code, message; at = applied_at_ms): what the coordinator's own
  // workers found about an event of theirs (the orders worker: a pick of a withdrawn task put back).
  std::vector<AnomalyRow> anomalies;
  int64_t applied_at_ms = 0;
  // A ledger split into partitions (LedgerOptions::partitions): ingest applies only what the
  // partitions it holds cover, and sets this so that a group touching any other is refused
  // (retry "partition_not_held"). Unset (the orders worker's groups), a partition held by another
  // coordinator is written under its lease row's lock, and its holder told (see sql_ledger.h).
  bool held_partitions_only = false;
};

// Which partitions a coordinator took or gave up (Ledger::maintainPartitions).
struct PartitionChange {
  std::vector<int> acquired;
  std::vector<int> lost;     // taken over (its lease ran out) or given up to balance the share
  bool writer_lost = false;  // this coordinator held the writer lease and no longer does
  int coordinators = 1;      // coordinators alive on the ledger, this one included
};

// The partition a location's figures belong to, of `partitions` (FNV-1a of its name): every
// device at a location is applied by the one coordinator holding its partition.
int locationPartition(std::string_view location, int partitions);

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
    int64_t delta = 0;                  // 0 for counts: they are checkpoints
    std::optional<int64_t> correction;  // counts: what the count changed on hand when applied
    std::string price_check;            // the till's price check of this sale line (empty: none)
    std::optional<int64_t> list_price_units;  // the catalog's price beside it
  };
  std::vector<Move> moves;
};


// What a commit changed, for those who react to it (stock views, channel pushes).
struct CommitInfo {
  std::vector<std::pair<std::string, std::string>> changed;  // (location, sku) whose on-hand changed
  std::vector<std::string> locations;                        // distinct locations of `changed`
};

// Sale and return lines of the events the ledger applied in a window, at one location (sales
// voided by the time of the read left out). Amounts are the tills' unit prices times units, where
// the line had a price. internal: the coordinator's own worker (restocks of channel refunds).
struct SalesFigure {
  std::string location;
  bool internal = false;
  int64_t sold_units = 0;
  int64_t sold_amount = 0;    // common::Decimal scaled units (4 fraction digits)
  int64_t returned_units = 0;
  int64_t returned_amount = 0;
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

// One shipment line between two locations, as far as its ends have arrived.
struct TransferRow {
  int64_t id = 0;
  std::string from_location;
  std::string to_location;
  std::string sku;
  std::optional<int64_t> sent;  // nullopt: the receipt arrived, the shipment not (yet)
  int64_t sent_at_ms = 0;
  std::string out_device;
  uint64_t out_seq = 0;
  std::optional<int64_t> received;  // nullopt: in transit
  int64_t received_at_ms = 0;
  std::string in_device;
  uint64_t in_seq = 0;
  // in_transit, received, short, over, receipt_without_shipment
  std::string status() const;
};

// A movement as it bears on one (location, SKU) figure.
struct MovementRow {
  int64_t apply_order = 0;
  std::string device_id;
  uint64_t seq = 0;
  int line = 0;
  std::string event_id;
  std::string type;
  int64_t qty = 0;
  int64_t delta = 0;
  std::optional<int64_t> price_units;
  std::optional<int64_t> correction;  // counts: what the count changed on hand when applied
  int64_t at_ms = 0;  // corrected
  int64_t device_at_ms = 0;
  int64_t applied_at_ms = 0;
  bool in_on_hand = false;  // not absorbed by the count the current figure starts from
  bool late = false;        // (discrepancies) applied after the count it falls under
  bool ambiguous = false;   // (discrepancies) another device's, too close to the count to order
};

// The latest count of one (location, SKU) against what the ledger expected at that moment:
// the previous count (or 0) plus every movement between the two counts, late arrivals included.
struct CountDiscrepancy {
  std::string location;
  std::string sku;
  int64_t counted = 0;
  int64_t expected = 0;
  int64_t count_at_ms = 0;
  std::string count_device;
  uint64_t count_seq = 0;
  bool location_session = false;  // counted as 0 by a whole-location session that did not list it
  std::optional<int64_t> previous_count_at_ms;
  std::optional<int64_t> previous_counted;
  std::vector<MovementRow> moves;  // the movements between the two counts (first max_moves)
  size_t moves_total = 0;
  int64_t difference() const { return counted - expected; }
};

inline constexpr int64_t kDefaultCountTieMs = 2000;


// What the rest of the coordinator needs of the ledger: availability, orders, reports, routes,
// the downlink and ingest take a Ledger&, so a second store can stand behind it without touching
// them. SqlLedger (sql_ledger.h) is the one there is.
class Ledger {
 public:
  virtual ~Ledger() = default;

  virtual common::Result<std::vector<DeviceRow>> loadDevices() = 0;
  // Applies the whole group in one transaction, or nothing. info (optional) says what changed.
  virtual common::Status commit(const ApplyGroup& group, CommitInfo* info = nullptr) = 0;
  // A ledger split between coordinators (PostgreSQL, LedgerOptions::partitions): how many
  // partitions (0: not split, this coordinator applies every device), whether this coordinator
  // holds one now, and the periodic step that renews what it holds, takes its share of what is
  // free and gives up what is beyond its share.
  virtual int partitions() const = 0;
  virtual bool holdsPartition(int partition) const = 0;
  virtual common::Result<PartitionChange> maintainPartitions() = 0;

  // Reads: safe from any thread, and never wait for a commit.
  virtual common::Result<std::vector<StockRow>> stockForSku(const std::string& sku) = 0;
  virtual common::Result<std::vector<StockRow>> stockForLocation(const std::string& location) = 0;
  virtual common::Result<std::vector<DeviceRow>> devices() = 0;
  // One device's row, if the ledger has one (as committed; on the reader connection).
  virtual common::Result<std::optional<DeviceRow>> deviceRow(const std::string& device) = 0;
  virtual common::Result<int64_t> countRows(const std::string& table) = 0;
  virtual common::Result<std::vector<QuarantineRow>> quarantine(int64_t limit) = 0;
  // Anomalies newest first, with id < before_id (0: from the newest); device and code filter if set.
  virtual common::Result<std::vector<AnomalyRow>> anomalies(const std::string& device, const std::string& code,
                                                            int64_t before_id, int64_t limit) = 0;
  // The event id applied at (device, seq), if there is one.
  virtual common::Result<std::optional<std::string>> eventIdAt(const std::string& device, uint64_t seq) = 0;
  // Sale lines the tills flagged (common::PriceCheck names), by device and check.
  virtual common::Result<std::map<std::string, std::map<std::string, int64_t>>> priceFlagsByDevice() = 0;
  // How many anomalies there are of each code.
  virtual common::Result<std::map<std::string, int64_t>> anomalyCounts() = 0;
  // A device's applied events from from_seq on, in seq order.
  virtual common::Result<std::vector<LedgerEvent>> eventsForDevice(const std::string& device, uint64_t from_seq,
                                                                   int64_t limit) = 0;

  // Stock views: each on_hand row carries the version of the commit that last changed it.
  virtual common::Result<int64_t> stockVersion(const std::string& location) = 0;
  // Rows of a location changed after `after_version` (version order), or, for a snapshot, rows
  // with sku > after_sku (key order). Both consistent with one read transaction.
  virtual common::Result<StockViewPage> stockChanges(const std::string& location, const std::string& device,
                                                     int64_t after_version, const std::string& after_sku, size_t max_rows) = 0;
  virtual common::Result<StockViewPage> stockSnapshot(const std::string& location, const std::string& device,
                                                      const std::string& after_sku, size_t max_rows) = 0;
  virtual common::Result<std::vector<std::string>> locationNames() = 0;

  // Transfers touching a location (empty: all); open_only: still in transit.
  virtual common::Result<std::vector<TransferRow>> transfers(const std::string& location, const std::string& sku,
                                                             bool open_only, int64_t limit) = 0;
  // Latest count per (location, SKU), filtered by either if non-empty.
  virtual common::Result<std::vector<CountDiscrepancy>> countDiscrepancies(const std::string& location,
                                                                           const std::string& sku, size_t max_moves) = 0;
  // The movement log of one (location, SKU) in apply order, after apply order `after`.
  virtual common::Result<std::vector<MovementRow>> movementsFor(const std::string& location, const std::string& sku,
                                                                int64_t after, int64_t limit) = 0;
  // Applied minus occurred (corrected) time, in ms, of the newest `max_events` events applied
  // at or after since_ms, sorted ascending.
  virtual common::Result<std::vector<int64_t>> syncLatencies(int64_t since_ms, int64_t max_events) = 0;
  // Sales and returns of the events applied in (after_ms, until_ms], by location (and internal).
  virtual common::Result<std::vector<SalesFigure>> salesApplied(int64_t after_ms, int64_t until_ms) = 0;
  // Movements this close to a count are absorbed by it (LedgerOptions::count_tie_ms).
  virtual int64_t countTieMs() const = 0;

  // Recomputes every on_hand row from the movement log; returns rows that differ (should be none).
  virtual common::Result<std::vector<std::string>> verifyOnHand() = 0;
  // Recomputes every device's hash chain (or only_device's) from the ledger's tables, end to end
  // (chain.cpp for SQLite), and reports the first break of each.
  virtual common::Result<std::vector<ChainCheck>> verifyChain(const std::string& only_device = "") = 0;

  // A reader of sales for available-to-sell (exposure) and of the SKUs for reconciliation, on a
  // connection of its own so the push worker never queues behind the API's reads.
  virtual common::Result<std::unique_ptr<class SalesHistory>> openSalesHistory() = 0;
};

class SalesHistory {
 public:
  virtual ~SalesHistory() = default;
  // Units of `sku` sold at `location` with corrected time in (end_ms - window_ms, end_ms].
  virtual common::Result<int64_t> unitsSold(const std::string& location, const std::string& sku, int64_t end_ms,
                                            int64_t window_ms) = 0;
  // Every SKU the ledger knows, for reconciliation with the channels.
  virtual common::Result<std::vector<std::string>> skus() = 0;
};

}  // namespace sw::coordinator
