#pragma once
// The event envelope: what a device records and sends, and what the ledger applies.
// Every event carries its device id, a gapless per-device sequence number and a UUID.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sw/common/decimal.h"
#include "sw/common/result.h"

namespace sw::common {

enum class EventType {
  kSale,
  kReturn,
  kVoid,
  kReceive,
  kAdjust,
  kCount,
  kTransferOut,
  kTransferIn,
};

std::string_view eventTypeName(EventType type);
std::optional<EventType> parseEventType(std::string_view name);

struct Line {
  std::string sku;
  int64_t qty = 0;  // units of the item's base unit (each, or grams for weighed goods); for counts: counted
  std::optional<Decimal> unit_price;
  bool operator==(const Line&) const = default;
};

// What the till found when it checked a sale line's price against its catalog at the moment of
// sale (it never refuses the sale for it): a price other than the catalog's (the catalog price
// beside it), no price given, or a SKU the catalog does not know.
enum class PriceCheck { kOverride, kNoPrice, kUncatalogued };
std::string_view priceCheckName(PriceCheck check);
std::optional<PriceCheck> parsePriceCheck(std::string_view name);

struct PriceFlag {
  uint32_t line = 0;                    // 1-based index into Event::lines
  PriceCheck check = PriceCheck::kOverride;
  std::optional<Decimal> list_price;    // the catalog's price (overrides)
  bool operator==(const PriceFlag&) const = default;
};

struct Event {
  std::string device_id;
  uint64_t seq = 0;
  std::string event_id;      // UUID fixed at capture time
  EventType type = EventType::kSale;
  int64_t occurred_at_ms = 0;  // device clock
  std::string location;
  std::vector<Line> lines;
  std::string other_location;  // transfers: the other end
  std::string reason;          // adjustments: why
  std::string ref;             // voids: the sale's event id; returns: optionally the original sale
  // Counts only: empty (the lines' SKUs only) or "location" (a whole-location count session:
  // every SKU at the location that is not in the lines was counted as 0).
  std::string scope;
  std::vector<PriceFlag> price_flags;  // sales only, at most one per line, in line order
  // The hash chain (common/chain.h): the hash of this device's previous event, 64 lower-case hex
  // (kChainGenesis for its first chained event). Empty: recorded before the chain existed.
  std::string prev_hash;
  bool operator==(const Event&) const = default;
};

// Limits that keep one event (and so one MQTT message) bounded.
inline constexpr size_t kMaxLinesPerEvent = 500;
inline constexpr size_t kMaxIdLength = 64;
inline constexpr size_t kMaxSkuLength = 64;
inline constexpr size_t kMaxReasonLength = 200;
inline constexpr int64_t kMaxAbsQty = 1'000'000'000;
inline constexpr const char* kScopeLocation = "location";
// Times a device may report (ms since the Unix epoch): up to 2100-01-01T00:00:00Z. Later values are a
// broken clock or a forged message, and adding a clock offset to them could overflow.
inline constexpr int64_t kMaxEventTimeMs = 4'102'444'800'000;
// The largest clock offset a batch may carry: ten years either way.
inline constexpr int64_t kMaxClockOffsetMs = 10LL * 366 * 24 * 3600 * 1000;

// Device, location and similar ids end up in MQTT topics: [A-Za-z0-9._:-], 1..64.
bool isValidId(std::string_view id);
// SKUs: printable ASCII without leading/trailing space, 1..64.
bool isValidSku(std::string_view sku);

// Checks every field and the per-type rules (quantities, required references).
// Returns a kReject error naming the field.
Status validateEvent(const Event& event);

// What a device sends: a run of its events with contiguous ascending seqs.
struct EventBatch {
  std::string device_id;
  std::string epoch;      // id of the device's store; changes only if the store is re-created
  int64_t sent_at_ms = 0;  // device clock when the batch left, echoed in the ack for clock offset
  // Coordinator clock minus device clock as the device last measured it; the coordinator uses it
  // to put events on one time line. Absent (nullopt) until the device has had an ack.
  std::optional<int64_t> clock_offset_ms;
  // Set once a device has renumbered its unsent events after a seq conflict (see the agent's
  // README): the epoch it had before, which the coordinator must know for the switch.
  std::string prev_epoch;
  std::vector<Event> events;
};

Status validateBatch(const EventBatch& batch);

// Coordinator to device: everything up to applied_seq is durably applied.
struct Ack {
  uint64_t applied_seq = 0;
  std::optional<uint64_t> resend_from;  // the coordinator holds a gap: send again from here
  std::string epoch;                    // the epoch the coordinator knows for this device
  int64_t coord_time_ms = 0;            // coordinator clock when the ack was made
  int64_t echo_sent_at_ms = 0;          // the batch's sent_at_ms this ack answers (0 if none)
  std::string error;                    // set when the coordinator refuses the device (epoch mismatch)
  // The device sent, at this seq, an event other than the one the ledger has there (its store was
  // restored from an older copy): nothing of that batch was applied, and the device must renumber
  // its events from here on after applied_seq, under a new epoch.
  std::optional<uint64_t> conflict_seq;
  // With conflict_seq: the hash of the event the ledger has at applied_seq (the chain head the
  // renumbered events must link to); empty when the ledger holds no chained event of the device.
  std::string chain_head;
};

// Device birth/update (retained) and death (the MQTT will).
struct DeviceState {
  bool online = false;
  std::string session;  // new per MQTT connection
  std::string kind;     // "till", "handheld", ...
  std::string location;
  std::string epoch;
  int64_t at_ms = 0;
  uint64_t last_seq = 0;
  uint64_t last_acked_seq = 0;
  uint64_t queue_depth = 0;
  int64_t oldest_unsynced_age_s = 0;
  int64_t disk_free_bytes = -1;
  int64_t clock_offset_ms = 0;
  uint64_t requests = 0;           // answered by the device's local API since it started
  uint64_t rejected_requests = 0;  // of those, refused with a 4xx
  // Absent (empty, -1, 0) from agents older than these fields.
  std::string version;             // the agent's software version (common::version())
  int64_t disk_time_left_s = -1;   // until the store refuses writes at the last hour's recording rate; -1 unknown
  std::string last_error;          // the device's most recent error, empty if none
  int64_t last_error_at_ms = 0;
};

// The coordinator's retained presence; agents send only while it is online.
struct CoordinatorState {
  bool online = false;
  std::string session;
  int64_t at_ms = 0;
};

}  // namespace sw::common
