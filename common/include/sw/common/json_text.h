#pragma once
// JSON text at the edges: reading a request body that must be a JSON object (with an error that
// names what was wrong), and writing answers that hold stored or outside strings, which may
// not be UTF-8 (nlohmann's plain dump() throws on them, and the answer became a 500).

#include <nlohmann/json.hpp>

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "sw/common/result.h"

namespace sw::common {

// missing_body (empty), bad_json (does not parse, or is not an object). `shape` is appended
// to each message to say what to send, e.g. {"lines":[{"sku","qty"}]}.
Result<nlohmann::json> parseJsonObjectBody(std::string_view body, std::string_view shape = {});

// The JSON type of j as a person says it ("an array", "a string", ...).
const char* jsonTypeName(const nlohmann::json& j);

// j as JSON text; bytes in its strings that are not UTF-8 become U+FFFD instead of an exception.
// For every answer that holds a string from storage or from outside.
std::string toJsonText(const nlohmann::json& j);

// Offset of the first byte that is not part of valid UTF-8 (overlong forms, surrogates and
// code points past U+10FFFF count as invalid), or nullopt when all of it is valid.
std::optional<size_t> firstInvalidUtf8(std::string_view bytes);

// Raw bytes (a quarantined payload) shown without losing or faking any of them, at most
// max_bytes of them: {"encoding":"utf-8","text":..} when they are valid UTF-8, else
// {"encoding":"utf-8+base64","text":<the valid prefix>,"base64":<the rest, from the first bad
// byte>,"bad_byte_at":N}; "truncated":true when bytes was longer than max_bytes.
nlohmann::json bytesJson(std::string_view bytes, size_t max_bytes);

std::string base64Encode(std::string_view bytes);

}  // namespace sw::common
