#include "sw/common/json_text.h"

#include <cstdint>
#include <string>

namespace sw::common {

const char* jsonTypeName(const nlohmann::json& j) {
  switch (j.type()) {
    case nlohmann::json::value_t::null: return "null";
    case nlohmann::json::value_t::object: return "an object";
    case nlohmann::json::value_t::array: return "an array";
    case nlohmann::json::value_t::string: return "a string";
    case nlohmann::json::value_t::boolean: return "a boolean";
    case nlohmann::json::value_t::number_integer:
    case nlohmann::json::value_t::number_unsigned:
    case nlohmann::json::value_t::number_float: return "a number";
    case nlohmann::json::value_t::binary: return "binary";
    case nlohmann::json::value_t::discarded: return "not JSON";
  }
  return "unknown";
}

Result<nlohmann::json> parseJsonObjectBody(std::string_view body, std::string_view shape) {
  const std::string send = shape.empty() ? std::string() : "; send " + std::string(shape);
  if (body.find_first_not_of(" \t\r\n") == std::string_view::npos) {
    return Error::reject("missing_body", "the request has no body (a JSON object is required)" + send);
  }
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(body.begin(), body.end());
  } catch (const nlohmann::json::parse_error& e) {
    // e.what() is "[json.exception.parse_error.101] parse error at line 1, column 2: ..."
    std::string what = e.what();
    if (auto p = what.find("] "); p != std::string::npos) what = what.substr(p + 2);
    return Error::reject("bad_json", "the request body is not valid JSON: " + what + send);
  }
  if (!j.is_object()) {
    return Error::reject("bad_json", std::string("the request body must be a JSON object, not ") + jsonTypeName(j) + send);
  }
  return j;
}

}  // namespace sw::common

namespace sw::common {

std::string toJsonText(const nlohmann::json& j) { return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace); }

std::optional<size_t> firstInvalidUtf8(std::string_view s) {
  size_t i = 0;
  const size_t n = s.size();
  while (i < n) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      ++i;
      continue;
    }
    size_t len = 0;
    uint32_t cp = 0;
    if (c >= 0xC2 && c <= 0xDF) {
      len = 2;
      cp = c & 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
      len = 3;
      cp = c & 0x0F;
    } else if (c >= 0xF0 && c <= 0xF4) {
      len = 4;
      cp = c & 0x07;
    } else {
      return i;  // a continuation byte first, C0/C1 (always overlong), or F5-FF
    }
    if (i + len > n) return i;
    for (size_t k = 1; k < len; ++k) {
      const auto cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xC0) != 0x80) return i;
      cp = (cp << 6) | (cc & 0x3F);
    }
    if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10FFFF)) || (cp >= 0xD800 && cp <= 0xDFFF)) {
      return i;
    }
    i += len;
  }
  return std::nullopt;
}

std::string base64Encode(std::string_view in) {
  static const char* kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((in.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    const uint32_t v = static_cast<uint32_t>(static_cast<unsigned char>(in[i])) << 16 |
                       static_cast<uint32_t>(static_cast<unsigned char>(in[i + 1])) << 8 |
                       static_cast<unsigned char>(in[i + 2]);
    out += {kAlphabet[v >> 18], kAlphabet[(v >> 12) & 63], kAlphabet[(v >> 6) & 63], kAlphabet[v & 63]};
  }
  if (i + 1 == in.size()) {
    const uint32_t v = static_cast<uint32_t>(static_cast<unsigned char>(in[i])) << 16;
    out += {kAlphabet[v >> 18], kAlphabet[(v >> 12) & 63], '=', '='};
  } else if (i + 2 == in.size()) {
    const uint32_t v = static_cast<uint32_t>(static_cast<unsigned char>(in[i])) << 16 |
                       static_cast<uint32_t>(static_cast<unsigned char>(in[i + 1])) << 8;
    out += {kAlphabet[v >> 18], kAlphabet[(v >> 12) & 63], kAlphabet[(v >> 6) & 63], '='};
  }
  return out;
}

nlohmann::json bytesJson(std::string_view bytes, size_t max_bytes) {
  const bool truncated = bytes.size() > max_bytes;
  std::string_view shown = bytes.substr(0, max_bytes);
  auto bad = firstInvalidUtf8(shown);
  // A cut through a multi-byte character is the cut's fault, not the payload's: show up to it.
  if (bad && truncated && shown.size() - *bad < 4) {
    auto in_full = firstInvalidUtf8(bytes.substr(*bad, 4));
    if (!in_full || *in_full > 0) {  // the character at the cut is whole and valid in the payload
      shown = shown.substr(0, *bad);
      bad.reset();
    }
  }
  nlohmann::json j;
  if (!bad) {
    j = {{"encoding", "utf-8"}, {"text", std::string(shown)}};
  } else {
    j = {{"encoding", "utf-8+base64"},
         {"text", std::string(shown.substr(0, *bad))},
         {"base64", base64Encode(shown.substr(*bad))},
         {"bad_byte_at", *bad}};
  }
  if (truncated) j["truncated"] = true;
  return j;
}

}  // namespace sw::common
