// Entry point for order payloads from outside: size and depth limits, JSON parsing with
// the parser's exception caught here, then the channel's decoder.

#include "sw/coordinator/channels/order_decode.h"

#include <nlohmann/json.hpp>

namespace sw::coordinator::channels {

using common::Error;
using nlohmann::json;

common::Result<json> parseOutsideJson(std::string_view text) {
  if (text.size() > kMaxOrderPayloadBytes) {
    return Error::reject("payload_too_large", "payload is " + std::to_string(text.size()) + " bytes; the limit is " +
                                                  std::to_string(kMaxOrderPayloadBytes));
  }
  size_t first = text.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos) return Error::reject("empty_payload", "the payload is empty");
  // Nesting depth, counted outside strings, before the parser sees it.
  int depth = 0;
  bool in_string = false;
  bool escaped = false;
  for (char c : text) {
    if (in_string) {
      if (escaped) {
        escaped = false;
      } else if (c == '\\') {
        escaped = true;
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    if (c == '"') {
      in_string = true;
    } else if (c == '{' || c == '[') {
      if (++depth > kMaxJsonDepth) {
        return Error::reject("too_deep", "JSON nests deeper than " + std::to_string(kMaxJsonDepth) + " levels");
      }
    } else if (c == '}' || c == ']') {
      --depth;
    }
  }
  try {
    return json::parse(text.begin(), text.end());
  } catch (const json::exception& e) {
    std::string what = e.what();
    auto pos = what.find("] ");
    return Error::reject("bad_json", "not valid JSON: " + (pos == std::string::npos ? what : what.substr(pos + 2)));
  }
}

common::Result<std::vector<NormalizedOrder>> decodeOrders(ChannelKind channel, std::string_view payload) {
  auto j = parseOutsideJson(payload);
  if (!j) return j.error();
  try {
    switch (channel) {
      case ChannelKind::kShopify:
        return decodeShopify(*j);
      case ChannelKind::kAmazon:
        return decodeAmazon(*j);
      case ChannelKind::kEbay:
        return decodeEbay(*j);
      case ChannelKind::kWooCommerce:
        return decodeWooCommerce(*j);
    }
  } catch (const json::exception& e) {
    // The decoders read through json_read.h and should never get here; belt and braces.
    return Error::reject("bad_payload", std::string("unexpected JSON shape: ") + e.what());
  }
  return Error::reject("bad_channel", "unknown channel");
}

}  // namespace sw::coordinator::channels
