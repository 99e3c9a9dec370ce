// Entry point for order payloads from outside: size and depth limits, JSON parsing with
// the parser's exception caught here, then the channel's decoder.

#include "sw/coordinator/channels/order_decode.h"

#include <nlohmann/json.hpp>

#include <optional>


namespace sw::coordinator::channels {

using common::Error;
using nlohmann::json;

namespace {

// Two or more complete JSON objects or arrays separated by whitespace, as one array; nullopt
// otherwise. Split where the nesting depth (counted outside strings) returns to zero.
std::optional<json> parseSequence(std::string_view text) {
  json all = json::array();
  int depth = 0;
  bool in_string = false;
  bool escaped = false;
  size_t start = std::string_view::npos;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
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
    if (depth == 0 && start == std::string_view::npos) {
      if (c == ' ' || c == '\t' || c == '\r' || c == '\n') continue;
      if (c != '{' && c != '[') return std::nullopt;
      start = i;
    }
    if (c == '"') {
      in_string = true;
    } else if (c == '{' || c == '[') {
      ++depth;
    } else if ((c == '}' || c == ']') && --depth == 0) {
      json one = json::parse(text.substr(start, i + 1 - start), nullptr, false);
      if (one.is_discarded()) return std::nullopt;
      all.push_back(std::move(one));
      start = std::string_view::npos;
    }
  }
  if (depth != 0 || all.size() < 2) return std::nullopt;
  return all;
}

}  // namespace

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
    // Several documents one after another (cat getOrder.json getOrderItems.json | ...) read as an array.
    if (auto seq = parseSequence(text)) return *seq;
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
      case ChannelKind::kWalmart:
        return decodeWalmart(*j);
      case ChannelKind::kWholesale:
        return Error::reject("bad_channel", "wholesale orders are X12 850 files: read them with edi-decode");
    }
  } catch (const json::exception& e) {
    // The decoders read through json_read.h and should never get here; belt and braces.
    return Error::reject("bad_payload", std::string("unexpected JSON shape: ") + e.what());
  }
  return Error::reject("bad_channel", "unknown channel");
}

}  // namespace sw::coordinator::channels
