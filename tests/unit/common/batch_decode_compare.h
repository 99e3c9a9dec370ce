#pragma once
// Runs the streaming batch decoder and the DOM reference on the same bytes and says how their
// answers differ, if they do. Shared by the differential unit test and the fuzz_decode_batch_*
// targets, so both hold the decoders to the same rule:
//  - same ok-ness; when ok, the same batch; when not, the same error kind, code and message;
//  - except for CBOR or MessagePack nested deeper than kMaxBinaryNesting, which the streaming
//    decoder refuses as "malformed" whatever the DOM decoder says (see batch_decoders.h).

#include <nlohmann/json.hpp>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "sw/common/batch_decoders.h"

namespace sw::test {

// Whether parsing `bytes` reaches a nesting depth over `limit` (before any syntax error stops it).
// Stops there, so deep inputs cost no deep recursion.
inline bool nestsDeeperThan(std::string_view bytes, common::WireFormat format, size_t limit) {
  using nlohmann::json;
  struct DepthSax {
    size_t limit;
    size_t depth = 0;
    bool exceeded = false;
    bool null() { return true; }
    bool boolean(bool) { return true; }
    bool number_integer(int64_t) { return true; }
    bool number_unsigned(uint64_t) { return true; }
    bool number_float(double, const std::string&) { return true; }
    bool string(std::string&) { return true; }
    bool binary(json::binary_t&) { return true; }
    bool key(std::string&) { return true; }
    bool start_object(size_t) { return enter(); }
    bool start_array(size_t) { return enter(); }
    bool end_object() {
      --depth;
      return true;
    }
    bool end_array() {
      --depth;
      return true;
    }
    bool parse_error(size_t, const std::string&, const json::exception&) { return false; }
    bool enter() {
      if (++depth > limit) exceeded = true;
      return !exceeded;
    }
  };
  DepthSax sax{limit};
  auto input_format = format == common::WireFormat::kJson   ? json::input_format_t::json
                      : format == common::WireFormat::kCbor ? json::input_format_t::cbor
                                                            : json::input_format_t::msgpack;
  (void)json::sax_parse(bytes.data(), bytes.data() + bytes.size(), &sax, input_format, true);
  return sax.exceeded;
}

inline std::string describe(const common::Result<common::EventBatch>& r) {
  if (r.ok()) return "ok (" + std::to_string(r->events.size()) + " events)";
  return r.error().toString();
}

// nullopt when the decoders agree on `bytes`, else what differs. `outcome`, if given, is set to
// "ok" or the error code.
inline std::optional<std::string> decodersDisagree(std::string_view bytes, common::WireFormat format,
                                                   std::string* outcome = nullptr) {
  auto streaming = common::decodeBatchStreaming(bytes, format);
  if (outcome) *outcome = streaming.ok() ? "ok" : streaming.error().code;
  if (format != common::WireFormat::kJson && nestsDeeperThan(bytes, format, common::kMaxBinaryNesting)) {
    if (streaming.ok() || streaming.error().code != "malformed") {
      return "nested deeper than kMaxBinaryNesting, yet the streaming decoder said " + describe(streaming);
    }
    return std::nullopt;
  }
  auto dom = common::decodeBatchDom(bytes, format);
  if (streaming.ok() != dom.ok()) return "streaming: " + describe(streaming) + "; dom: " + describe(dom);
  if (!dom.ok()) {
    const common::Error& s = streaming.error();
    const common::Error& d = dom.error();
    if (s.kind != d.kind || s.code != d.code || s.message != d.message) {
      return "streaming: " + s.toString() + "; dom: " + d.toString();
    }
    return std::nullopt;
  }
  const common::EventBatch& s = *streaming;
  const common::EventBatch& d = *dom;
  if (s.device_id != d.device_id || s.epoch != d.epoch || s.sent_at_ms != d.sent_at_ms ||
      s.clock_offset_ms != d.clock_offset_ms || s.prev_epoch != d.prev_epoch) {
    return "both ok, batch headers differ";
  }
  if (s.events != d.events) return "both ok, events differ";
  return std::nullopt;
}

}  // namespace sw::test
