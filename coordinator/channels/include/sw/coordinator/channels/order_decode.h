#pragma once
// Decoders for orders as each channel sends them. Outside input: every decoder accepts
// any bytes and either returns orders or a reject Error that says what is wrong; none
// of them throws or crashes.
//
// Accepted payloads:
//   shopify:     orders/create|updated|cancelled webhook body (REST Order JSON), refunds/create
//                body, a GraphQL Order node or an {"data":{"orders":...}} polling response
//   amazon:      Orders v0 getOrders / getOrder / getOrderItems responses (or a JSON array of
//                them, merged by AmazonOrderId), Orders 2026-01-01 searchOrders / getOrder,
//                the ORDER_CHANGE notification (bare, in an array, or in an EventBridge envelope),
//                Finances v0 listFinancialEvents[ByOrderId] (RefundEventList: refund events)
//   ebay:        Fulfillment getOrders ({"orders":[...]}) or getOrder (one Order); line refunds
//                (lineItems[].refunds[]) are releases under their refundId
//   woocommerce: the order JSON (REST GET or order.created/updated webhook), an array of orders,
//                an orders/batch response; order refunds (GET /orders/{id}/refunds, a list or one),
//                alone or as the order's refunds[] entries
//   walmart:     Orders v3 getAllReleasedOrders / getAllOrders ({"list":{"meta","elements":{"order":[...]}}}),
//                getAnOrder and the acknowledge/shipping/cancel/refund answers ({"order":{...}}), a bare
//                purchase order, or an array of any of them (decode_walmart.cpp)

#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "sw/common/result.h"
#include "sw/coordinator/channels/order.h"

namespace sw::coordinator::channels {

// Payloads bigger than this are refused before parsing.
inline constexpr size_t kMaxOrderPayloadBytes = 8 * 1024 * 1024;
// Deeper nesting than this is refused (no real order comes close).
inline constexpr int kMaxJsonDepth = 64;

// Parses JSON from outside: size and depth checked, big integers kept exact.
common::Result<nlohmann::json> parseOutsideJson(std::string_view text);

common::Result<std::vector<NormalizedOrder>> decodeOrders(ChannelKind channel, std::string_view payload);

// Per channel, on already parsed JSON (used by the connectors for polled pages).
common::Result<std::vector<NormalizedOrder>> decodeShopify(const nlohmann::json& j);
common::Result<std::vector<NormalizedOrder>> decodeAmazon(const nlohmann::json& j);
common::Result<std::vector<NormalizedOrder>> decodeEbay(const nlohmann::json& j);
common::Result<std::vector<NormalizedOrder>> decodeWooCommerce(const nlohmann::json& j);
common::Result<std::vector<NormalizedOrder>> decodeWalmart(const nlohmann::json& j);

}  // namespace sw::coordinator::channels
