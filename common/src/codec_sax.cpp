// Streaming batch decoder: nlohmann's SAX events build the EventBatch directly, without a DOM.
//
// It must answer exactly as the DOM decoder in codec.cpp does (decodeBatchDom), which parses the
// whole message first and then checks fields in a fixed order. So this decoder never stops at the
// first bad field: it records what it saw for every field it knows (absent, a value, the wrong
// type), lets the parser run to the end (a syntax error anywhere wins, as it does for the DOM), and
// then applies the DOM decoder's checks in the DOM decoder's order, with the same codes and words.
// A repeated key overwrites the earlier value (last wins, like nlohmann's object); values under
// unknown keys are skipped whatever their shape.

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <utility>

#include "sw/common/batch_decoders.h"

namespace sw::common {
namespace {

using nlohmann::json;

Error malformed(std::string what) { return Error::reject("malformed", std::move(what)); }

// What the message held for one field, as far as the keys seen so far go.
enum class Got : uint8_t { kAbsent, kOk, kWrongType, kOutOfRange };

// The DOM decoder's field readers (getString, getInt, getUint in codec.cpp), applied to what was
// recorded: the same checks with the same messages.
bool checkString(Got got, const char* key, Error* err, bool required = true) {
  switch (got) {
    case Got::kOk: return true;
    case Got::kAbsent:
      if (required) *err = malformed(std::string("missing field '") + key + "'");
      return !required;
    default: *err = malformed(std::string("field '") + key + "' must be a string"); return false;
  }
}

bool checkInt(Got got, const char* key, Error* err, bool required = true) {
  switch (got) {
    case Got::kOk: return true;
    case Got::kAbsent:
      if (required) *err = malformed(std::string("missing field '") + key + "'");
      return !required;
    case Got::kOutOfRange: *err = malformed(std::string("field '") + key + "' out of range"); return false;
    case Got::kWrongType: break;
  }
  *err = malformed(std::string("field '") + key + "' must be an integer");
  return false;
}

bool checkUint(Got got, int64_t value, const char* key, Error* err) {
  if (!checkInt(got, key, err)) return false;
  if (value < 0) {
    *err = malformed(std::string("field '") + key + "' cannot be negative");
    return false;
  }
  return true;
}

// A batch is 5 levels deep; only skipped values go deeper.
constexpr size_t kUnknownLength = static_cast<size_t>(-1);
// No encoded event is smaller than this (a valid one is about 90 bytes in MessagePack), so a count
// announced in an array header is trusted for reserve() only as far as the bytes could hold it.
constexpr size_t kMinEventBytes = 64;
constexpr size_t kMinLineBytes = 8;

class BatchSax {
 public:
  BatchSax(WireFormat format, size_t input_size)
      : format_(format),
        input_size_(input_size),
        // The JSON lexer hands over its own token buffer, which keeps its capacity if we copy
        // from it; the binary readers hand over a fresh string per value, which we can take.
        move_strings_(format != WireFormat::kJson),
        max_depth_(format == WireFormat::kJson ? std::numeric_limits<size_t>::max() : kMaxBinaryNesting) {}

  // --- nlohmann SAX interface ---
  bool null() { return scalar(); }
  bool boolean(bool) { return scalar(); }
  bool number_float(double, const std::string&) { return scalar(); }
  bool binary(json::binary_t&) { return scalar(); }
  bool number_integer(int64_t v) { return integer(v, Got::kOk); }
  bool number_unsigned(uint64_t v) {
    if (v > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) return integer(0, Got::kOutOfRange);
    return integer(static_cast<int64_t>(v), Got::kOk);
  }
  bool string(std::string& s);
  bool key(std::string& k);
  bool start_object(size_t len);
  bool end_object();
  bool start_array(size_t len);
  bool end_array();
  bool parse_error(size_t, const std::string&, const json::exception& ex) {
    fail(malformed("cannot parse " + std::string(wireFormatName(format_)) + ": " + ex.what()));
    return false;
  }

  Result<EventBatch> finish();

 private:
  // Where the parser is in the batch's shape. Anything else is skipped (skip_ > 0).
  enum class Ctx : uint8_t { kRoot, kTop, kEvents, kEvent, kLines, kLine, kDone };
  // What the next value is for.
  enum class Expect : uint8_t {
    kRoot,          // the message itself
    kIgnore,        // an unknown key's value
    kString,        // into *got_ and *str_
    kInt,           // into *got_ and *int_
    kEventType,     // an event's "type"
    kPrice,         // a line's "price"
    kEvents,        // the batch's "events" array
    kEventElement,  // one event
    kLines,         // an event's "lines" array
    kLineElement,   // one line
  };

  // Per event, reset when one starts; the values themselves go straight into the Event.
  struct EventFields {
    Got seq, id, type, at, loc, other, reason, ref, scope, prev, lines;
    int64_t seq_value;
    std::optional<EventType> type_value;
    std::string bad_type;  // for the message, only when the type is unknown
    size_t line_count;
    std::optional<Error> line_error;  // the first line that failed its checks
  };
  struct LineFields {
    Got sku, qty, price, pchk, list;
    std::optional<Error> price_error;
    Decimal price_value;
    std::string pchk_value, list_value;
  };

  bool scalar();
  bool integer(int64_t v, Got got);
  bool enterContainer(size_t len, bool is_object);
  void beginEvent(size_t len_hint);
  void finishEvent();
  void finishLine();
  void fail(Error e) {
    if (!failure_) failure_ = std::move(e);
  }
  void take(std::string* to, std::string& from) const {
    if (move_strings_) {
      *to = std::move(from);
    } else {
      to->assign(from);
    }
  }
  // Starts skipping the value that begins here (a container) and everything in it.
  bool skip() {
    skip_ = 1;
    return true;
  }
  bool expectField(Expect e, Got* got, std::string* str = nullptr, int64_t* num = nullptr) {
    expect_ = e;
    got_ = got;
    str_ = str;
    int_ = num;
    return true;
  }

  const WireFormat format_;
  const size_t input_size_;
  const bool move_strings_;
  const size_t max_depth_;

  // A syntax error, an array the DOM could not hold, or nesting past kMaxBinaryNesting: the parse
  // stops and this is the answer whatever else the message held.
  std::optional<Error> failure_;

  Ctx ctx_ = Ctx::kRoot;
  Expect expect_ = Expect::kRoot;
  Got* got_ = nullptr;
  std::string* str_ = nullptr;
  int64_t* int_ = nullptr;
  size_t skip_ = 0;   // depth inside a skipped value
  size_t depth_ = 0;  // nesting of the message as a whole

  bool root_is_object_ = false;
  Got v_ = Got::kAbsent, dev_ = Got::kAbsent, epoch_ = Got::kAbsent, sent_ = Got::kAbsent, clk_ = Got::kAbsent,
      pep_ = Got::kAbsent, events_ = Got::kAbsent;
  int64_t v_value_ = 0;
  int64_t clk_value_ = 0;
  std::optional<Error> event_error_;  // the first event that failed its checks
  EventBatch batch_;

  EventFields ev_{};
  LineFields line_{};
};

bool isKey(const std::string& k, std::string_view name) { return std::string_view(k) == name; }

bool BatchSax::key(std::string& k) {
  if (skip_) return true;
  switch (ctx_) {
    case Ctx::kTop:
      if (isKey(k, "v")) return expectField(Expect::kInt, &v_, nullptr, &v_value_);
      if (isKey(k, "dev")) return expectField(Expect::kString, &dev_, &batch_.device_id);
      if (isKey(k, "epoch")) return expectField(Expect::kString, &epoch_, &batch_.epoch);
      if (isKey(k, "sent")) return expectField(Expect::kInt, &sent_, nullptr, &batch_.sent_at_ms);
      if (isKey(k, "clk")) return expectField(Expect::kInt, &clk_, nullptr, &clk_value_);
      if (isKey(k, "pep")) return expectField(Expect::kString, &pep_, &batch_.prev_epoch);
      if (isKey(k, "events")) return expectField(Expect::kEvents, &events_);
      break;
    case Ctx::kEvent: {
      Event& e = batch_.events.back();
      if (isKey(k, "seq")) return expectField(Expect::kInt, &ev_.seq, nullptr, &ev_.seq_value);
      if (isKey(k, "id")) return expectField(Expect::kString, &ev_.id, &e.event_id);
      if (isKey(k, "type")) return expectField(Expect::kEventType, &ev_.type);
      if (isKey(k, "at")) return expectField(Expect::kInt, &ev_.at, nullptr, &e.occurred_at_ms);
      if (isKey(k, "loc")) return expectField(Expect::kString, &ev_.loc, &e.location);
      if (isKey(k, "lines")) return expectField(Expect::kLines, &ev_.lines);
      if (isKey(k, "other")) return expectField(Expect::kString, &ev_.other, &e.other_location);
      if (isKey(k, "reason")) return expectField(Expect::kString, &ev_.reason, &e.reason);
      if (isKey(k, "ref")) return expectField(Expect::kString, &ev_.ref, &e.ref);
      if (isKey(k, "scope")) return expectField(Expect::kString, &ev_.scope, &e.scope);
      if (isKey(k, "prev")) return expectField(Expect::kString, &ev_.prev, &e.prev_hash);
      break;
    }
    case Ctx::kLine: {
      Line& l = batch_.events.back().lines.back();
      if (isKey(k, "sku")) return expectField(Expect::kString, &line_.sku, &l.sku);
      if (isKey(k, "qty")) return expectField(Expect::kInt, &line_.qty, nullptr, &l.qty);
      if (isKey(k, "price")) return expectField(Expect::kPrice, &line_.price);
      if (isKey(k, "pchk")) return expectField(Expect::kString, &line_.pchk, &line_.pchk_value);
      if (isKey(k, "list")) return expectField(Expect::kString, &line_.list, &line_.list_value);
      break;
    }
    default: break;
  }
  expect_ = Expect::kIgnore;
  return true;
}

bool BatchSax::string(std::string& s) {
  if (skip_) return true;
  switch (expect_) {
    case Expect::kString:
      *got_ = Got::kOk;
      take(str_, s);
      return true;
    case Expect::kEventType:
      ev_.type = Got::kOk;
      ev_.type_value = parseEventType(s);
      if (!ev_.type_value) ev_.bad_type = s.substr(0, 32);
      return true;
    case Expect::kPrice: {
      line_.price = Got::kOk;
      auto d = Decimal::parse(s);
      if (d) {
        line_.price_value = *d;
        line_.price_error.reset();
      } else {
        line_.price_error = d.error();
      }
      return true;
    }
    default: return scalar();
  }
}

bool BatchSax::integer(int64_t v, Got got) {
  if (skip_) return true;
  if (expect_ != Expect::kInt) return scalar();
  *got_ = got;
  *int_ = v;
  return true;
}

// A value that is not what a known field wants (or any value of an unknown one).
bool BatchSax::scalar() {
  if (skip_) return true;
  switch (expect_) {
    case Expect::kRoot: ctx_ = Ctx::kDone; return true;  // not an object: root_is_object_ stays false
    case Expect::kIgnore: return true;
    case Expect::kString:
    case Expect::kInt:
    case Expect::kEventType:
    case Expect::kPrice: *got_ = Got::kWrongType; return true;
    case Expect::kEvents:
      events_ = Got::kWrongType;
      batch_.events.clear();
      event_error_.reset();
      return true;
    case Expect::kEventElement:
      if (!event_error_) event_error_ = malformed("event is not an object");
      return true;
    case Expect::kLines:
      ev_.lines = Got::kWrongType;
      batch_.events.back().lines.clear();
      batch_.events.back().price_flags.clear();
      ev_.line_count = 0;
      ev_.line_error.reset();
      return true;
    case Expect::kLineElement:
      if (++ev_.line_count <= kMaxLinesPerEvent && !ev_.line_error) ev_.line_error = malformed("line is not an object");
      return true;
  }
  return true;
}

bool BatchSax::enterContainer(size_t len, bool is_object) {
  // The DOM decoder's parser throws when a header announces more elements than its containers can
  // ever hold (only CBOR's 8-byte lengths can), before reading them.
  static const size_t kMaxArray = json(json::value_t::array).max_size();
  static const size_t kMaxObject = json(json::value_t::object).max_size();
  if (len != kUnknownLength && len > (is_object ? kMaxObject : kMaxArray)) {
    failure_ = malformed("cannot parse " + std::string(wireFormatName(format_)) +
                         ": [json.exception.out_of_range.408] excessive " + (is_object ? "object" : "array") +
                         " size: " + std::to_string(len));
    return false;
  }
  if (++depth_ > max_depth_) {
    failure_ = malformed("nesting deeper than " + std::to_string(max_depth_) + " levels");
    return false;
  }
  if (skip_) {
    ++skip_;
    return true;
  }
  switch (expect_) {
    case Expect::kRoot:
      if (!is_object) {
        ctx_ = Ctx::kDone;
        return skip();
      }
      root_is_object_ = true;
      ctx_ = Ctx::kTop;
      expect_ = Expect::kIgnore;
      return true;
    case Expect::kEvents:
      batch_.events.clear();
      event_error_.reset();
      if (is_object) {
        events_ = Got::kWrongType;
        return skip();
      }
      events_ = Got::kOk;
      if (len != kUnknownLength) batch_.events.reserve(std::min(len, input_size_ / kMinEventBytes));
      ctx_ = Ctx::kEvents;
      expect_ = Expect::kEventElement;
      return true;
    case Expect::kEventElement:
      if (!is_object) {
        if (!event_error_) event_error_ = malformed("event is not an object");
        return skip();
      }
      if (event_error_) return skip();  // the batch is refused already; the rest need only parse
      beginEvent(len);
      return true;
    case Expect::kLines: {
      Event& e = batch_.events.back();
      e.lines.clear();
      e.price_flags.clear();
      ev_.line_count = 0;
      ev_.line_error.reset();
      if (is_object) {
        ev_.lines = Got::kWrongType;
        return skip();
      }
      ev_.lines = Got::kOk;
      if (len != kUnknownLength) {
        e.lines.reserve(std::min({len, kMaxLinesPerEvent, input_size_ / kMinLineBytes}));
      }
      ctx_ = Ctx::kLines;
      expect_ = Expect::kLineElement;
      return true;
    }
    case Expect::kLineElement:
      // The DOM decoder counts every element before it looks at any (too_many_lines comes first).
      if (++ev_.line_count > kMaxLinesPerEvent || ev_.line_error) return skip();
      if (!is_object) {
        ev_.line_error = malformed("line is not an object");
        return skip();
      }
      batch_.events.back().lines.emplace_back();
      line_ = LineFields{};
      ctx_ = Ctx::kLine;
      return true;
    case Expect::kString:
    case Expect::kInt:
    case Expect::kEventType:
    case Expect::kPrice: *got_ = Got::kWrongType; return skip();
    case Expect::kIgnore: return skip();
  }
  return skip();
}

bool BatchSax::start_object(size_t len) { return enterContainer(len, true); }
bool BatchSax::start_array(size_t len) { return enterContainer(len, false); }

bool BatchSax::end_object() {
  --depth_;
  if (skip_) {
    --skip_;
    return true;
  }
  switch (ctx_) {
    case Ctx::kLine:
      finishLine();
      ctx_ = Ctx::kLines;
      expect_ = Expect::kLineElement;
      break;
    case Ctx::kEvent:
      finishEvent();
      ctx_ = Ctx::kEvents;
      expect_ = Expect::kEventElement;
      break;
    case Ctx::kTop: ctx_ = Ctx::kDone; break;
    default: break;
  }
  return true;
}

bool BatchSax::end_array() {
  --depth_;
  if (skip_) {
    --skip_;
    return true;
  }
  switch (ctx_) {
    case Ctx::kLines: ctx_ = Ctx::kEvent; break;
    case Ctx::kEvents: ctx_ = Ctx::kTop; break;
    default: break;
  }
  return true;
}

void BatchSax::beginEvent(size_t) {
  batch_.events.emplace_back();
  ev_.seq = ev_.id = ev_.type = ev_.at = ev_.loc = ev_.other = ev_.reason = ev_.ref = ev_.scope = ev_.prev = ev_.lines = Got::kAbsent;
  ev_.seq_value = 0;
  ev_.type_value.reset();
  ev_.line_count = 0;
  ev_.line_error.reset();
  ctx_ = Ctx::kEvent;
}

// eventFromJson() in codec.cpp, in the same order.
void BatchSax::finishEvent() {
  Event& e = batch_.events.back();
  Error err;
  if (!checkUint(ev_.seq, ev_.seq_value, "seq", &err) || !checkString(ev_.id, "id", &err) ||
      !checkString(ev_.type, "type", &err) || !checkInt(ev_.at, "at", &err) || !checkString(ev_.loc, "loc", &err) ||
      !checkString(ev_.other, "other", &err, false) || !checkString(ev_.reason, "reason", &err, false) ||
      !checkString(ev_.ref, "ref", &err, false) || !checkString(ev_.scope, "scope", &err, false) ||
      !checkString(ev_.prev, "prev", &err, false)) {
    event_error_ = std::move(err);
  } else if (!ev_.type_value) {
    event_error_ = Error::reject("bad_type", "unknown event type '" + ev_.bad_type + "'");
  } else if (ev_.lines != Got::kOk) {
    event_error_ = malformed("field 'lines' must be an array");
  } else if (ev_.line_count > kMaxLinesPerEvent) {
    event_error_ = Error::reject("too_many_lines", "at most 500 lines per event");
  } else if (ev_.line_error) {
    event_error_ = std::move(*ev_.line_error);
  } else {
    e.seq = static_cast<uint64_t>(ev_.seq_value);
    e.type = *ev_.type_value;
    return;
  }
  batch_.events.pop_back();
}

// The line loop of eventFromJson().
void BatchSax::finishLine() {
  Event& e = batch_.events.back();
  Error err;
  if (!checkString(line_.sku, "sku", &err) || !checkInt(line_.qty, "qty", &err) ||
      !checkString(line_.price, "price", &err, false) || !checkString(line_.pchk, "pchk", &err, false) ||
      !checkString(line_.list, "list", &err, false)) {
    ev_.line_error = std::move(err);
  } else if (line_.price == Got::kOk && line_.price_error) {
    ev_.line_error = std::move(*line_.price_error);
  } else {
    if (line_.price == Got::kOk) e.lines.back().unit_price = line_.price_value;
    if (line_.pchk == Got::kAbsent && line_.list == Got::kAbsent) return;
    auto f = priceFlagFromWire(static_cast<uint32_t>(e.lines.size()), line_.pchk_value,
                               line_.list == Got::kOk ? std::optional<std::string>(line_.list_value) : std::nullopt);
    if (f) {
      e.price_flags.push_back(std::move(*f));
      return;
    }
    ev_.line_error = f.error();
  }
  e.lines.pop_back();
}

// decodeBatchDom() after its parse, in the same order.
Result<EventBatch> BatchSax::finish() {
  if (failure_) return *failure_;
  if (!root_is_object_) return malformed("message is not an object");
  Error err;
  if (!checkInt(v_, "v", &err)) return err;
  if (v_value_ != kWireVersion) {
    return Error::reject("unsupported_version", "wire version " + std::to_string(v_value_) + " is not supported");
  }
  if (!checkString(dev_, "dev", &err) || !checkString(epoch_, "epoch", &err) || !checkInt(sent_, "sent", &err)) {
    return err;
  }
  if (clk_ != Got::kAbsent) {
    if (!checkInt(clk_, "clk", &err)) return err;
    batch_.clock_offset_ms = clk_value_;
  }
  if (pep_ != Got::kAbsent && !checkString(pep_, "pep", &err)) return err;
  if (events_ != Got::kOk) return malformed("field 'events' must be an array");
  if (event_error_) return *event_error_;
  for (Event& e : batch_.events) e.device_id = batch_.device_id;
  if (auto s = validateBatch(batch_); !s) return s.error();
  return std::move(batch_);
}

json::input_format_t inputFormat(WireFormat format) {
  switch (format) {
    case WireFormat::kCbor: return json::input_format_t::cbor;
    case WireFormat::kMsgPack: return json::input_format_t::msgpack;
    case WireFormat::kJson: break;
  }
  return json::input_format_t::json;
}

}  // namespace

Result<EventBatch> decodeBatchStreaming(std::string_view bytes, WireFormat format) {
  BatchSax sax(format, bytes.size());
  bool parsed = json::sax_parse(bytes.data(), bytes.data() + bytes.size(), &sax, inputFormat(format), true);
  Result<EventBatch> out = sax.finish();
  // finish() reports why the parse stopped; a stop without a reason would be a bug here.
  if (!parsed && out.ok()) return malformed("cannot parse " + std::string(wireFormatName(format)));
  return out;
}

}  // namespace sw::common
