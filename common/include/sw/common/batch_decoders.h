#pragma once
// The two implementations behind decodeBatch().
//
// decodeBatch() uses the streaming decoder: it builds the EventBatch straight from nlohmann's SAX
// events, with no DOM in between. The DOM decoder (parse into nlohmann::json, then walk it) is the
// original one, kept as the reference the streaming decoder must agree with: the differential unit
// test (tests/unit/common/batch_decode_diff_test.cpp), the fuzz targets and `tools/bench codec`
// run both. Production code calls decodeBatch().

#include <cstddef>
#include <string_view>

#include "sw/common/codec.h"
#include "sw/common/event.h"
#include "sw/common/result.h"

namespace sw::common {

// Accepts and rejects exactly what decodeBatchDom() does, with the same error code and message,
// except for the nesting limit below.
Result<EventBatch> decodeBatchStreaming(std::string_view bytes, WireFormat format);

// The reference: nlohmann::json DOM, then field by field.
Result<EventBatch> decodeBatchDom(std::string_view bytes, WireFormat format);

// nlohmann's CBOR and MessagePack readers recurse once per nesting level, so a message of a few
// hundred kilobytes of array headers ([[[[...]]]]) overflows the stack. The streaming decoder refuses
// ("malformed") CBOR and MessagePack messages nested deeper than this, before the recursion gets
// there; the DOM decoder has no such limit. A real batch is 5 levels deep (batch, events, event,
// lines, line). JSON is parsed without recursion and has no limit.
inline constexpr size_t kMaxBinaryNesting = 256;

}  // namespace sw::common
