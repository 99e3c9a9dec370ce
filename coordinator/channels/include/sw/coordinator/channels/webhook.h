#pragma once
// Webhook deliveries from channels that push (Shopify, WooCommerce): the signature is checked
// on the raw body bytes, in constant time, before anything in the body is looked at.
//
//   Shopify:     X-Shopify-Hmac-Sha256 = base64(HMAC-SHA256(key = app client secret, raw body))
//   WooCommerce: X-WC-Webhook-Signature = the same, with the webhook's secret. On creation
//                WooCommerce POSTs an unsigned ping "webhook_id=<id>" (form-encoded): answer 200.
// Amazon and eBay are polled (Amazon notifications arrive through SQS/EventBridge, not HTTP).

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "sw/common/result.h"
#include "sw/coordinator/channels/order.h"

namespace sw::coordinator::channels {

// base64(HMAC-SHA256(key, message)), standard alphabet with padding (OpenSSL adapter).
std::string hmacSha256Base64(std::string_view key, std::string_view message);
// Equal length and bytes, in time that does not depend on where they differ.
bool constantTimeEquals(std::string_view a, std::string_view b);
// True when signature_b64 is base64(HMAC-SHA256(secret, body)). Surrounding spaces are ignored.
bool verifyHmacSha256Base64(std::string_view secret, std::string_view body, std::string_view signature_b64);

using HeaderList = std::vector<std::pair<std::string, std::string>>;
// Case-insensitive header lookup; empty if absent.
std::string headerValue(const HeaderList& headers, std::string_view name);

enum class WebhookKind {
  kOrder,  // carries orders (created, updated, cancelled, refund)
  kPing,   // WooCommerce's creation ping: answer 200, nothing to do
  kOther,  // a topic Stockwire does not act on: answer 200 and ignore
};

struct WebhookDelivery {
  ChannelKind channel = ChannelKind::kShopify;
  WebhookKind kind = WebhookKind::kOther;
  std::string topic;        // "orders/create", "order.updated", ...
  std::string delivery_id;  // dedupe key: X-Shopify-Webhook-Id, or WooCommerce order id + date_modified_gmt
  std::string event_id;     // X-Shopify-Event-Id / X-WC-Webhook-Delivery-ID
  std::string source;       // X-Shopify-Shop-Domain / X-WC-Webhook-Source
  std::string webhook_id;   // X-WC-Webhook-ID, or the ping's webhook_id
  std::vector<NormalizedOrder> orders;
};

// Verifies and decodes one delivery. Errors: reject "signature_missing" / "signature_mismatch"
// (answer 401 and change nothing), reject for a body that is not an order, fatal "no_secret"
// when no secret is configured.
common::Result<WebhookDelivery> parseWebhook(ChannelKind channel, const HeaderList& headers, std::string_view body,
                                             std::string_view secret);

}  // namespace sw::coordinator::channels
