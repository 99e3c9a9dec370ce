#include "sw/common/event.h"

#include <array>
#include <utility>

#include "sw/common/uuid.h"

namespace sw::common {
namespace {

constexpr std::array<std::pair<EventType, std::string_view>, 8> kTypeNames{{
    {EventType::kSale, "sale"},
    {EventType::kReturn, "return"},
    {EventType::kVoid, "void"},
    {EventType::kReceive, "receive"},
    {EventType::kAdjust, "adjust"},
    {EventType::kCount, "count"},
    {EventType::kTransferOut, "transfer_out"},
    {EventType::kTransferIn, "transfer_in"},
}};

Error bad(std::string code, std::string message) { return Error::reject(std::move(code), std::move(message)); }

}  // namespace

std::string_view priceCheckName(PriceCheck check) {
  switch (check) {
    case PriceCheck::kOverride: return "override";
    case PriceCheck::kNoPrice: return "no_price";
    case PriceCheck::kUncatalogued: return "uncatalogued";
  }
  return "unknown";
}

std::optional<PriceCheck> parsePriceCheck(std::string_view name) {
  for (PriceCheck c : {PriceCheck::kOverride, PriceCheck::kNoPrice, PriceCheck::kUncatalogued}) {
    if (priceCheckName(c) == name) return c;
  }
  return std::nullopt;
}

std::string_view eventTypeName(EventType type) {
  for (const auto& [t, name] : kTypeNames) {
    if (t == type) return name;
  }
  return "unknown";
}

std::optional<EventType> parseEventType(std::string_view name) {
  for (const auto& [t, n] : kTypeNames) {
    if (n == name) return t;
  }
  return std::nullopt;
}

bool isValidId(std::string_view id) {
  if (id.empty() || id.size() > kMaxIdLength) return false;
  for (char c : id) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
              c == '_' || c == '-' || c == ':';
    if (!ok) return false;
  }
  return true;
}

bool isValidSku(std::string_view sku) {
  if (sku.empty() || sku.size() > kMaxSkuLength) return false;
  if (sku.front() == ' ' || sku.back() == ' ') return false;
  for (char c : sku) {
    if (c < 0x20 || c > 0x7e) return false;
  }
  return true;
}

Status validateEvent(const Event& e) {
  if (!isValidId(e.device_id)) return bad("bad_device_id", "device id must be 1-64 of [A-Za-z0-9._:-]");
  if (e.seq == 0) return bad("bad_seq", "seq starts at 1");
  if (!isUuid(e.event_id)) return bad("bad_event_id", "event id must be a UUID");
  if (e.occurred_at_ms <= 0) return bad("bad_occurred_at", "occurred_at must be a positive epoch time in ms");
  if (e.occurred_at_ms > kMaxEventTimeMs) {
    return bad("bad_occurred_at", "occurred_at is after 2100-01-01 (" + std::to_string(e.occurred_at_ms) + " ms)");
  }
  if (!isValidId(e.location)) return bad("bad_location", "location must be 1-64 of [A-Za-z0-9._:-]");
  if (e.lines.size() > kMaxLinesPerEvent) return bad("too_many_lines", "at most 500 lines per event");
  if (e.reason.size() > kMaxReasonLength) return bad("bad_reason", "reason is at most 200 characters");
  for (char c : e.reason) {
    if (static_cast<unsigned char>(c) < 0x20) return bad("bad_reason", "reason has a control character");
  }
  if (!e.ref.empty() && !isUuid(e.ref)) return bad("bad_ref", "ref must be the UUID of an event");
  if (!e.scope.empty() && (e.type != EventType::kCount || e.scope != kScopeLocation)) {
    return bad("bad_scope", "scope is only for counts, and only \"location\" (a whole-location count session)");
  }

  if (!e.prev_hash.empty()) {
    bool hex = e.prev_hash.size() == 64;
    for (char c : e.prev_hash) hex = hex && ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'));
    if (!hex) return bad("bad_prev_hash", "prev_hash must be 64 lower-case hex characters (SHA-256)");
  }

  bool needs_lines = e.type != EventType::kVoid;
  if (needs_lines && e.lines.empty()) return bad("no_lines", "at least one line is needed");
  for (size_t i = 0; i < e.lines.size(); ++i) {
    const Line& l = e.lines[i];
    std::string where = "line " + std::to_string(i + 1) + ": ";
    if (!isValidSku(l.sku)) return bad("bad_sku", where + "sku must be 1-64 printable ASCII characters");
    if (l.qty > kMaxAbsQty || l.qty < -kMaxAbsQty) return bad("bad_qty", where + "qty out of range");
    if (l.unit_price && l.unit_price->scaled() < 0) return bad("bad_price", where + "unit_price is negative");
    switch (e.type) {
      case EventType::kAdjust:
        if (l.qty == 0) return bad("bad_qty", where + "an adjustment of 0 changes nothing");
        break;
      case EventType::kCount:
        if (l.qty < 0) return bad("bad_qty", where + "counted cannot be negative");
        break;
      default:
        if (l.qty <= 0) return bad("bad_qty", where + "qty must be positive");
        break;
    }
  }
  uint32_t prev_flag = 0;
  for (const PriceFlag& f : e.price_flags) {
    if (e.type != EventType::kSale) return bad("bad_price_check", "price checks are for sales only");
    if (f.line == 0 || f.line > e.lines.size() || f.line <= prev_flag) {
      return bad("bad_price_check", "a price check names a line of the event, once, in line order");
    }
    prev_flag = f.line;
    if (f.list_price && f.list_price->scaled() < 0) return bad("bad_price_check", "a catalog price is not negative");
    if (f.check == PriceCheck::kOverride && !f.list_price) {
      return bad("bad_price_check", "an override carries the catalog price");
    }
  }
  switch (e.type) {
    case EventType::kVoid:
      if (e.ref.empty()) return bad("missing_ref", "a void names the sale it cancels in ref");
      break;
    case EventType::kAdjust:
      if (e.reason.empty()) return bad("missing_reason", "an adjustment needs a reason");
      break;
    case EventType::kTransferOut:
    case EventType::kTransferIn:
      if (!isValidId(e.other_location)) return bad("bad_other_location", "a transfer names the other location");
      if (e.other_location == e.location) return bad("bad_other_location", "a transfer needs two different locations");
      break;
    default:
      break;
  }
  return {};
}

Status validateBatch(const EventBatch& batch) {
  if (!isValidId(batch.device_id)) return bad("bad_device_id", "batch device id is not valid");
  if (batch.epoch.empty() || !isUuid(batch.epoch)) return bad("bad_epoch", "batch epoch must be a UUID");
  if (batch.events.empty()) return bad("empty_batch", "a batch carries at least one event");
  if (!batch.prev_epoch.empty() && (!isUuid(batch.prev_epoch) || batch.prev_epoch == batch.epoch)) {
    return bad("bad_prev_epoch", "prev_epoch must be the UUID of the device's previous epoch");
  }
  if (batch.sent_at_ms < 0 || batch.sent_at_ms > kMaxEventTimeMs) {
    return bad("bad_sent_at", "sent_at must be an epoch time in ms before 2100-01-01");
  }
  if (batch.clock_offset_ms && (*batch.clock_offset_ms > kMaxClockOffsetMs || *batch.clock_offset_ms < -kMaxClockOffsetMs)) {
    return bad("bad_clock_offset", "clock offset is more than ten years (" + std::to_string(*batch.clock_offset_ms) + " ms)");
  }
  uint64_t prev = 0;
  for (const Event& e : batch.events) {
    if (e.device_id != batch.device_id) return bad("device_mismatch", "event device differs from the batch");
    if (prev != 0 && e.seq != prev + 1) return bad("seq_not_contiguous", "seqs in a batch must be contiguous");
    prev = e.seq;
    if (auto s = validateEvent(e); !s) {
      Error err = s.error();
      err.message = "seq " + std::to_string(e.seq) + ": " + err.message;
      return err;
    }
  }
  return {};
}

}  // namespace sw::common
