#include "sw/agent/requests.h"

#include <nlohmann/json.hpp>

#include "sw/common/card_data.h"
#include "sw/common/json_text.h"
#include "sw/common/uuid.h"

namespace sw::agent {

using common::Error;
using common::EventType;
using common::Result;
using nlohmann::json;

namespace {

Error bad(std::string code, std::string message) { return Error::reject(std::move(code), std::move(message)); }

Result<json> parseObject(std::string_view body) { return common::parseJsonObjectBody(body); }

// Reads an optional string field; an error if present with another type.
Result<std::string> optString(const json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return std::string();
  if (!it->is_string()) return bad("bad_field", std::string("'") + key + "' must be a string");
  return it->get<std::string>();
}

Result<int64_t> needInt(const json& j, const char* key, const std::string& where) {
  auto it = j.find(key);
  if (it == j.end()) return bad("missing_field", where + "'" + key + "' is required");
  if (!it->is_number_integer()) return bad("bad_qty", where + "'" + key + "' must be a whole number");
  if (it->is_number_unsigned() && it->get<uint64_t>() > static_cast<uint64_t>(common::kMaxAbsQty)) {
    return bad("bad_qty", where + "'" + key + "' is out of range");
  }
  return it->get<int64_t>();
}

Result<common::Line> parseLine(const json& jl, const std::string& where, const char* qty_key, bool with_price) {
  if (!jl.is_object()) return bad("bad_line", where + "each line must be an object");
  common::Line line;
  auto sku = jl.find("sku");
  if (sku == jl.end() || !sku->is_string()) return bad("bad_sku", where + "'sku' must be a string");
  line.sku = sku->get<std::string>();
  if (!common::isValidSku(line.sku)) return bad("bad_sku", where + "'sku' must be 1-64 printable ASCII characters");
  auto qty = needInt(jl, qty_key, where);
  if (!qty) return qty.error();
  line.qty = *qty;
  if (with_price) {
    auto p = jl.find("unit_price");
    if (p != jl.end() && !p->is_null()) {
      if (!p->is_string()) return bad("bad_price", where + "'unit_price' must be a decimal string such as \"9.99\"");
      auto d = common::Decimal::parse(p->get<std::string>());
      if (!d) return bad("bad_price", where + d.error().message);
      if (d->scaled() < 0) return bad("bad_price", where + "'unit_price' cannot be negative");
      line.unit_price = *d;
    }
  }
  return line;
}

std::string lineWhere(size_t i) { return "line " + std::to_string(i + 1) + ": "; }

}  // namespace

Result<EventDraft> parseSaleRequest(std::string_view body, EventType type) {
  auto pj = parseObject(body);
  if (!pj) return pj.error();
  const json& j = *pj;
  EventDraft d;
  d.type = type;
  auto lines = j.find("lines");
  if (lines == j.end() || !lines->is_array() || lines->empty()) {
    return bad("no_lines", "'lines' must be a non-empty array");
  }
  if (lines->size() > common::kMaxLinesPerEvent) return bad("too_many_lines", "at most 500 lines");
  for (size_t i = 0; i < lines->size(); ++i) {
    auto l = parseLine((*lines)[i], lineWhere(i), "qty", true);
    if (!l) return l.error();
    if (l->qty <= 0) return bad("bad_qty", lineWhere(i) + "'qty' must be positive");
    d.lines.push_back(std::move(*l));
  }
  auto ref = optString(j, "ref");
  if (!ref) return ref.error();
  if (!ref->empty() && !common::isUuid(*ref)) return bad("bad_ref", "'ref' must be an event id (UUID)");
  d.ref = *ref;
  auto key = optString(j, "idempotency_key");
  if (!key) return key.error();
  d.idempotency_key = *key;
  if (auto s = checkNoCardData(d); !s) return s.error();
  return d;
}

Result<EventDraft> parseVoidRequest(std::string_view body) {
  auto pj = parseObject(body);
  if (!pj) return pj.error();
  const json& j = *pj;
  EventDraft d;
  d.type = EventType::kVoid;
  auto ref = optString(j, "ref");
  if (!ref) return ref.error();
  if (ref->empty()) return bad("missing_ref", "'ref' (the event id of the sale to void) is required");
  if (!common::isUuid(*ref)) return bad("bad_ref", "'ref' must be an event id (UUID)");
  d.ref = *ref;
  auto reason = optString(j, "reason");
  if (!reason) return reason.error();
  d.reason = *reason;
  auto key = optString(j, "idempotency_key");
  if (!key) return key.error();
  d.idempotency_key = *key;
  if (auto s = checkNoCardData(d); !s) return s.error();
  return d;
}

Result<EventDraft> parseMovementRequest(std::string_view body) {
  auto pj = parseObject(body);
  if (!pj) return pj.error();
  const json& j = *pj;
  auto type_name = optString(j, "type");
  if (!type_name) return type_name.error();
  auto type = common::parseEventType(*type_name);
  if (!type || *type == EventType::kSale || *type == EventType::kReturn || *type == EventType::kVoid) {
    return bad("bad_type", "'type' must be one of receive, adjust, count, transfer_out, transfer_in");
  }
  EventDraft d;
  d.type = *type;
  const char* qty_key = *type == EventType::kCount ? "counted" : "qty";
  auto lines = j.find("lines");
  if (lines != j.end()) {
    if (j.contains("sku")) return bad("bad_request", "give either 'sku' or 'lines', not both");
    if (!lines->is_array() || lines->empty()) return bad("no_lines", "'lines' must be a non-empty array");
    if (lines->size() > common::kMaxLinesPerEvent) return bad("too_many_lines", "at most 500 lines");
    for (size_t i = 0; i < lines->size(); ++i) {
      auto l = parseLine((*lines)[i], lineWhere(i), qty_key, false);
      if (!l) return l.error();
      d.lines.push_back(std::move(*l));
    }
  } else {
    auto l = parseLine(j, "", qty_key, false);
    if (!l) return l.error();
    d.lines.push_back(std::move(*l));
  }
  for (size_t i = 0; i < d.lines.size(); ++i) {
    int64_t q = d.lines[i].qty;
    std::string where = d.lines.size() > 1 ? lineWhere(i) : "";
    if (*type == EventType::kAdjust && q == 0) return bad("bad_qty", where + "an adjustment of 0 changes nothing");
    if (*type == EventType::kCount && q < 0) return bad("bad_qty", where + "'counted' cannot be negative");
    if (*type != EventType::kAdjust && *type != EventType::kCount && q <= 0) {
      return bad("bad_qty", where + "'qty' must be positive");
    }
  }
  auto reason = optString(j, "reason");
  if (!reason) return reason.error();
  d.reason = *reason;
  if (*type == EventType::kAdjust && d.reason.empty()) return bad("missing_reason", "an adjustment needs a 'reason'");
  if (*type == EventType::kTransferOut || *type == EventType::kTransferIn) {
    const char* alias = *type == EventType::kTransferOut ? "to" : "from";
    auto other = optString(j, "other_location");
    if (!other) return other.error();
    auto alt = optString(j, alias);
    if (!alt) return alt.error();
    d.other_location = other->empty() ? *alt : *other;
    if (d.other_location.empty()) {
      return bad("missing_other_location", std::string("a transfer needs 'other_location' (or '") + alias + "')");
    }
    if (!common::isValidId(d.other_location)) {
      return bad("bad_other_location", "'other_location' must be 1-64 of [A-Za-z0-9._:-]");
    }
  }
  // A count session that covered the whole location: SKUs not in the lines were counted as 0.
  auto scope = optString(j, "scope");
  if (!scope) return scope.error();
  if (!scope->empty()) {
    if (*type != EventType::kCount || *scope != common::kScopeLocation) {
      return bad("bad_scope", "'scope' is only for counts, and only \"location\" (every SKU not listed was counted 0)");
    }
    d.scope = *scope;
  }
  // A receipt may name the transfer_out it receives (its event_id), so short and over receipts
  // are matched to the right shipment; without it the oldest open transfer is matched.
  if (*type == EventType::kTransferIn) {
    auto ref = optString(j, "ref");
    if (!ref) return ref.error();
    if (!ref->empty() && !common::isUuid(*ref)) return bad("bad_ref", "'ref' must be the event_id of the transfer_out");
    d.ref = *ref;
  }
  auto key = optString(j, "idempotency_key");
  if (!key) return key.error();
  d.idempotency_key = *key;
  if (auto s = checkNoCardData(d); !s) return s.error();
  return d;
}

common::Status checkNoCardData(const EventDraft& d) {
  for (size_t i = 0; i < d.lines.size(); ++i) {
    if (common::containsCardData(d.lines[i].sku)) {
      return common::cardDataRefused(d.lines.size() > 1 ? lineWhere(i) + "'sku'" : "'sku'");
    }
  }
  if (common::containsCardData(d.reason)) return common::cardDataRefused("'reason'");
  if (common::containsCardData(d.ref)) return common::cardDataRefused("'ref'");
  if (common::containsCardData(d.other_location)) return common::cardDataRefused("'other_location'");
  if (common::containsCardData(d.idempotency_key)) return common::cardDataRefused("the idempotency key");
  return {};
}

}  // namespace sw::agent
