// Encoding goes through nlohmann::json's DOM; decoding walks the DOM and checks
// every field's presence and type before validateBatch() checks the values.
// Batches are the exception on the hot path: decodeBatch() uses the streaming decoder in
// codec_sax.cpp, and decodeBatchDom() here is the reference it is checked against.

#include "sw/common/codec.h"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>

#include "sw/common/batch_decoders.h"
#include "sw/common/chain.h"

namespace sw::common {
namespace {

using nlohmann::json;

Error malformed(const std::string& what) { return Error::reject("malformed", what); }

std::string serialize(const json& j, WireFormat format) {
  switch (format) {
    case WireFormat::kJson: return j.dump();
    case WireFormat::kCbor: {
      auto v = json::to_cbor(j);
      return std::string(v.begin(), v.end());
    }
    case WireFormat::kMsgPack: {
      auto v = json::to_msgpack(j);
      return std::string(v.begin(), v.end());
    }
  }
  return {};
}

Result<json> parse(std::string_view bytes, WireFormat format) {
  try {
    switch (format) {
      case WireFormat::kJson: return json::parse(bytes.begin(), bytes.end());
      case WireFormat::kCbor: return json::from_cbor(bytes.begin(), bytes.end());
      case WireFormat::kMsgPack: return json::from_msgpack(bytes.begin(), bytes.end());
    }
  } catch (const json::exception& ex) {
    return malformed(std::string("cannot parse ") + std::string(wireFormatName(format)) + ": " + ex.what());
  }
  return malformed("unknown format");
}

// Field readers: each returns false and sets *err when the field is missing or of the wrong type.
bool getString(const json& o, const char* key, std::string* out, Error* err, bool required = true) {
  auto it = o.find(key);
  if (it == o.end()) {
    if (required) *err = malformed(std::string("missing field '") + key + "'");
    return !required;
  }
  if (!it->is_string()) {
    *err = malformed(std::string("field '") + key + "' must be a string");
    return false;
  }
  *out = it->get_ref<const std::string&>();
  return true;
}

bool getInt(const json& o, const char* key, int64_t* out, Error* err, bool required = true) {
  auto it = o.find(key);
  if (it == o.end()) {
    if (required) *err = malformed(std::string("missing field '") + key + "'");
    return !required;
  }
  if (it->is_number_unsigned()) {
    uint64_t u = it->get<uint64_t>();
    if (u > static_cast<uint64_t>(INT64_MAX)) {
      *err = malformed(std::string("field '") + key + "' out of range");
      return false;
    }
    *out = static_cast<int64_t>(u);
    return true;
  }
  if (!it->is_number_integer()) {
    *err = malformed(std::string("field '") + key + "' must be an integer");
    return false;
  }
  *out = it->get<int64_t>();
  return true;
}

bool getUint(const json& o, const char* key, uint64_t* out, Error* err, bool required = true) {
  int64_t v = 0;
  if (!getInt(o, key, &v, err, required)) return false;
  if (v < 0) {
    *err = malformed(std::string("field '") + key + "' cannot be negative");
    return false;
  }
  if (o.contains(key)) *out = static_cast<uint64_t>(v);
  return true;
}

bool getBool(const json& o, const char* key, bool* out, Error* err) {
  auto it = o.find(key);
  if (it == o.end() || !it->is_boolean()) {
    *err = malformed(std::string("field '") + key + "' must be a boolean");
    return false;
  }
  *out = it->get<bool>();
  return true;
}

Status checkVersion(const json& o) {
  if (!o.is_object()) return malformed("message is not an object");
  Error err;
  int64_t v = 0;
  if (!getInt(o, "v", &v, &err)) return err;
  if (v != kWireVersion) return Error::reject("unsupported_version", "wire version " + std::to_string(v) + " is not supported");
  return {};
}

json eventToJson(const Event& e) {
  json lines = json::array();
  size_t flag = 0;
  for (size_t i = 0; i < e.lines.size(); ++i) {
    const Line& l = e.lines[i];
    json jl = {{"sku", l.sku}, {"qty", l.qty}};
    if (l.unit_price) jl["price"] = l.unit_price->toString();
    if (flag < e.price_flags.size() && e.price_flags[flag].line == i + 1) {
      const PriceFlag& f = e.price_flags[flag++];
      jl["pchk"] = priceCheckName(f.check);
      if (f.list_price) jl["list"] = f.list_price->toString();
    }
    lines.push_back(std::move(jl));
  }
  json j = {{"seq", e.seq}, {"id", e.event_id}, {"type", eventTypeName(e.type)},
            {"at", e.occurred_at_ms}, {"loc", e.location}, {"lines", std::move(lines)}};
  if (!e.other_location.empty()) j["other"] = e.other_location;
  if (!e.reason.empty()) j["reason"] = e.reason;
  if (!e.ref.empty()) j["ref"] = e.ref;
  if (!e.scope.empty()) j["scope"] = e.scope;
  if (!e.prev_hash.empty()) j["prev"] = e.prev_hash;
  return j;
}

Result<Event> eventFromJson(const json& j) {
  if (!j.is_object()) return malformed("event is not an object");
  Event e;
  Error err;
  std::string type;
  if (!getUint(j, "seq", &e.seq, &err) || !getString(j, "id", &e.event_id, &err) ||
      !getString(j, "type", &type, &err) || !getInt(j, "at", &e.occurred_at_ms, &err) ||
      !getString(j, "loc", &e.location, &err) || !getString(j, "other", &e.other_location, &err, false) ||
      !getString(j, "reason", &e.reason, &err, false) || !getString(j, "ref", &e.ref, &err, false) ||
      !getString(j, "scope", &e.scope, &err, false) || !getString(j, "prev", &e.prev_hash, &err, false)) {
    return err;
  }
  auto t = parseEventType(type);
  if (!t) return Error::reject("bad_type", "unknown event type '" + type.substr(0, 32) + "'");
  e.type = *t;
  auto lit = j.find("lines");
  if (lit == j.end() || !lit->is_array()) return malformed("field 'lines' must be an array");
  if (lit->size() > kMaxLinesPerEvent) return Error::reject("too_many_lines", "at most 500 lines per event");
  e.lines.reserve(lit->size());
  for (const json& jl : *lit) {
    if (!jl.is_object()) return malformed("line is not an object");
    Line l;
    std::string price, pchk, list;
    if (!getString(jl, "sku", &l.sku, &err) || !getInt(jl, "qty", &l.qty, &err) ||
        !getString(jl, "price", &price, &err, false) || !getString(jl, "pchk", &pchk, &err, false) ||
        !getString(jl, "list", &list, &err, false)) {
      return err;
    }
    if (jl.contains("price")) {
      auto d = Decimal::parse(price);
      if (!d) return d.error();
      l.unit_price = *d;
    }
    e.lines.push_back(std::move(l));
    if (jl.contains("pchk") || jl.contains("list")) {
      auto f = priceFlagFromWire(static_cast<uint32_t>(e.lines.size()), pchk,
                                 jl.contains("list") ? std::optional<std::string>(list) : std::nullopt);
      if (!f) return f.error();
      e.price_flags.push_back(std::move(*f));
    }
  }
  return e;
}

}  // namespace

Result<PriceFlag> priceFlagFromWire(uint32_t line, std::string_view check, const std::optional<std::string>& list) {
  auto c = parsePriceCheck(check);
  if (!c) return Error::reject("bad_price_check", "line " + std::to_string(line) + ": unknown price check");
  PriceFlag f{line, *c, std::nullopt};
  if (list) {
    auto d = Decimal::parse(*list);
    if (!d) return d.error();
    f.list_price = *d;
  }
  return f;
}

namespace {

// Appends a msgpack/CBOR array header for n elements.
void appendArrayHeader(std::string* out, size_t n, WireFormat format) {
  if (format == WireFormat::kMsgPack) {
    if (n < 16) {
      out->push_back(static_cast<char>(0x90 | n));
    } else if (n <= 0xffff) {
      out->push_back(static_cast<char>(0xdc));
      out->push_back(static_cast<char>(n >> 8));
      out->push_back(static_cast<char>(n & 0xff));
    } else {
      out->push_back(static_cast<char>(0xdd));
      for (int s = 24; s >= 0; s -= 8) out->push_back(static_cast<char>((n >> s) & 0xff));
    }
  } else {  // CBOR major type 4
    if (n < 24) {
      out->push_back(static_cast<char>(0x80 | n));
    } else if (n <= 0xff) {
      out->push_back(static_cast<char>(0x98));
      out->push_back(static_cast<char>(n));
    } else if (n <= 0xffff) {
      out->push_back(static_cast<char>(0x99));
      out->push_back(static_cast<char>(n >> 8));
      out->push_back(static_cast<char>(n & 0xff));
    } else {
      out->push_back(static_cast<char>(0x9a));
      for (int s = 24; s >= 0; s -= 8) out->push_back(static_cast<char>((n >> s) & 0xff));
    }
  }
}

}  // namespace

std::string_view wireFormatName(WireFormat format) {
  switch (format) {
    case WireFormat::kJson: return "json";
    case WireFormat::kCbor: return "cbor";
    case WireFormat::kMsgPack: return "msgpack";
  }
  return "unknown";
}

std::string encodeEvent(const Event& event, WireFormat format) { return serialize(eventToJson(event), format); }

Result<Event> decodeEvent(std::string_view bytes, WireFormat format) {
  auto j = parse(bytes, format);
  if (!j) return j.error();
  return eventFromJson(*j);
}

std::string eventToJsonText(const Event& event) {
  json j = eventToJson(event);
  j["device"] = event.device_id;
  return j.dump(-1, ' ', false, json::error_handler_t::replace);  // reason/ref come from outside
}

std::string encodeBatchFromEncodedEvents(const BatchHeader& h, const std::vector<std::string_view>& events,
                                         WireFormat format) {
  json header = {{"v", kWireVersion}, {"dev", h.device_id}, {"epoch", h.epoch}, {"sent", h.sent_at_ms}};
  if (h.clock_offset_ms) header["clk"] = *h.clock_offset_ms;
  if (!h.prev_epoch.empty()) header["pep"] = h.prev_epoch;
  size_t total = 64 + h.device_id.size() + h.epoch.size();
  for (auto e : events) total += e.size() + 1;
  std::string out;
  out.reserve(total);
  if (format == WireFormat::kJson) {
    out = header.dump();
    out.pop_back();  // '}'
    out += ",\"events\":[";
    for (size_t i = 0; i < events.size(); ++i) {
      if (i) out += ',';
      out += events[i];
    }
    out += "]}";
    return out;
  }
  // A small map is written with its entry count in the first byte (msgpack fixmap 0x8N,
  // CBOR 0xaN); bump it by one and append the "events" entry by hand.
  out = serialize(header, format);
  out[0] = static_cast<char>(out[0] + 1);
  if (format == WireFormat::kMsgPack) {
    out.push_back(static_cast<char>(0xa0 | 6));
  } else {
    out.push_back(static_cast<char>(0x60 | 6));
  }
  out += "events";
  appendArrayHeader(&out, events.size(), format);
  for (auto e : events) out += e;
  return out;
}

std::string encodeBatch(const EventBatch& batch, WireFormat format) {
  std::vector<std::string> encoded;
  encoded.reserve(batch.events.size());
  for (const Event& e : batch.events) encoded.push_back(encodeEvent(e, format));
  std::vector<std::string_view> views(encoded.begin(), encoded.end());
  return encodeBatchFromEncodedEvents(
      {batch.device_id, batch.epoch, batch.sent_at_ms, batch.clock_offset_ms, batch.prev_epoch}, views, format);
}

Result<EventBatch> decodeBatch(std::string_view bytes, WireFormat format) {
  return decodeBatchStreaming(bytes, format);
}

Result<EventBatch> decodeBatchDom(std::string_view bytes, WireFormat format) {
  auto pj = parse(bytes, format);
  if (!pj) return pj.error();
  const json& j = *pj;
  if (auto s = checkVersion(j); !s) return s.error();
  EventBatch b;
  Error err;
  if (!getString(j, "dev", &b.device_id, &err) || !getString(j, "epoch", &b.epoch, &err) ||
      !getInt(j, "sent", &b.sent_at_ms, &err)) {
    return err;
  }
  if (j.contains("clk")) {
    int64_t clk = 0;
    if (!getInt(j, "clk", &clk, &err)) return err;
    b.clock_offset_ms = clk;
  }
  if (!getString(j, "pep", &b.prev_epoch, &err, false)) return err;
  auto it = j.find("events");
  if (it == j.end() || !it->is_array()) return malformed("field 'events' must be an array");
  b.events.reserve(it->size());
  for (const json& je : *it) {
    auto e = eventFromJson(je);
    if (!e) return e.error();
    e->device_id = b.device_id;
    b.events.push_back(std::move(*e));
  }
  if (auto s = validateBatch(b); !s) return s.error();
  return b;
}

std::string encodeAck(const Ack& ack, WireFormat format) {
  json j = {{"v", kWireVersion}, {"applied", ack.applied_seq}, {"epoch", ack.epoch},
            {"now", ack.coord_time_ms}, {"echo", ack.echo_sent_at_ms}};
  if (ack.resend_from) j["resend_from"] = *ack.resend_from;
  if (!ack.error.empty()) j["error"] = ack.error;
  if (ack.conflict_seq) j["conflict"] = *ack.conflict_seq;
  if (!ack.chain_head.empty()) j["chain"] = ack.chain_head;
  return serialize(j, format);
}

Result<Ack> decodeAck(std::string_view bytes, WireFormat format) {
  auto pj = parse(bytes, format);
  if (!pj) return pj.error();
  const json& j = *pj;
  if (auto s = checkVersion(j); !s) return s.error();
  Ack a;
  Error err;
  uint64_t resend = 0, conflict = 0;
  if (!getUint(j, "conflict", &conflict, &err, false)) return err;
  if (j.contains("conflict")) {
    if (conflict == 0) return malformed("conflict is a seq, from 1");
    a.conflict_seq = conflict;
  }
  if (!getUint(j, "applied", &a.applied_seq, &err) || !getString(j, "epoch", &a.epoch, &err, false) ||
      !getInt(j, "now", &a.coord_time_ms, &err) || !getInt(j, "echo", &a.echo_sent_at_ms, &err) ||
      !getUint(j, "resend_from", &resend, &err, false) || !getString(j, "error", &a.error, &err, false) ||
      !getString(j, "chain", &a.chain_head, &err, false)) {
    return err;
  }
  if (!a.chain_head.empty() && !isChainHash(a.chain_head)) return malformed("chain must be a SHA-256 hash in hex");
  if (j.contains("resend_from")) {
    if (resend == 0) return malformed("resend_from starts at 1");
    a.resend_from = resend;
  }
  return a;
}

std::string encodeDeviceState(const DeviceState& s) {
  json j = {{"v", kWireVersion}, {"online", s.online}, {"session", s.session}, {"at", s.at_ms}};
  if (s.online) {
    j["kind"] = s.kind;
    j["location"] = s.location;
    j["epoch"] = s.epoch;
    j["last_seq"] = s.last_seq;
    j["last_acked_seq"] = s.last_acked_seq;
    j["queue_depth"] = s.queue_depth;
    j["oldest_unsynced_age_s"] = s.oldest_unsynced_age_s;
    j["disk_free_bytes"] = s.disk_free_bytes;
    j["clock_offset_ms"] = s.clock_offset_ms;
    j["requests"] = s.requests;
    j["rejected_requests"] = s.rejected_requests;
    if (!s.version.empty()) j["version"] = s.version;
    if (s.disk_time_left_s >= 0) j["disk_time_left_s"] = s.disk_time_left_s;
    if (!s.last_error.empty()) {
      j["last_error"] = s.last_error;
      j["last_error_at"] = s.last_error_at_ms;
    }
  }
  return j.dump();
}

Result<DeviceState> decodeDeviceState(std::string_view bytes) {
  auto pj = parse(bytes, WireFormat::kJson);
  if (!pj) return pj.error();
  const json& j = *pj;
  if (auto s = checkVersion(j); !s) return s.error();
  DeviceState s;
  Error err;
  if (!getBool(j, "online", &s.online, &err) || !getString(j, "session", &s.session, &err) ||
      !getInt(j, "at", &s.at_ms, &err)) {
    return err;
  }
  if (s.online) {
    if (!getString(j, "kind", &s.kind, &err) || !getString(j, "location", &s.location, &err) ||
        !getString(j, "epoch", &s.epoch, &err) || !getUint(j, "last_seq", &s.last_seq, &err) ||
        !getUint(j, "last_acked_seq", &s.last_acked_seq, &err) ||
        !getUint(j, "queue_depth", &s.queue_depth, &err) ||
        !getInt(j, "oldest_unsynced_age_s", &s.oldest_unsynced_age_s, &err) ||
        !getInt(j, "disk_free_bytes", &s.disk_free_bytes, &err) ||
        !getInt(j, "clock_offset_ms", &s.clock_offset_ms, &err) ||
        // Absent from agents older than these counters.
        !getUint(j, "requests", &s.requests, &err, false) ||
        !getUint(j, "rejected_requests", &s.rejected_requests, &err, false) ||
        !getString(j, "version", &s.version, &err, false) ||
        !getInt(j, "disk_time_left_s", &s.disk_time_left_s, &err, false) ||
        !getString(j, "last_error", &s.last_error, &err, false) ||
        !getInt(j, "last_error_at", &s.last_error_at_ms, &err, false)) {
      return err;
    }
  }
  return s;
}

std::string encodeCoordinatorState(const CoordinatorState& s) {
  return json{{"v", kWireVersion}, {"online", s.online}, {"session", s.session}, {"at", s.at_ms}}.dump();
}

Result<CoordinatorState> decodeCoordinatorState(std::string_view bytes) {
  auto pj = parse(bytes, WireFormat::kJson);
  if (!pj) return pj.error();
  const json& j = *pj;
  if (auto s = checkVersion(j); !s) return s.error();
  CoordinatorState s;
  Error err;
  if (!getBool(j, "online", &s.online, &err) || !getString(j, "session", &s.session, &err) ||
      !getInt(j, "at", &s.at_ms, &err)) {
    return err;
  }
  return s;
}

}  // namespace sw::common
