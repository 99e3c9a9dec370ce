#include "sw/coordinator/channels/webhook.h"

#include <cctype>

#include "sw/coordinator/channels/order_decode.h"

namespace sw::coordinator::channels {

using common::Error;

namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i]))) return false;
  }
  return true;
}

constexpr size_t kMaxWebhookBody = 4 * 1024 * 1024;

common::Status checkSignature(std::string_view secret, std::string_view body, const std::string& signature,
                              const char* header) {
  if (secret.empty()) return Error::fatal("no_secret", "no webhook secret is configured for this channel");
  if (signature.empty()) return Error::reject("signature_missing", std::string("the delivery has no ") + header + " header");
  if (!verifyHmacSha256Base64(secret, body, signature)) {
    return Error::reject("signature_mismatch", std::string(header) + " does not match the body: not from the channel, or altered");
  }
  return {};
}

bool isShopifyOrderTopic(const std::string& t) {
  return t == "orders/create" || t == "orders/updated" || t == "orders/cancelled" || t == "orders/paid" ||
         t == "orders/fulfilled" || t == "orders/partially_fulfilled" || t == "refunds/create";
}

// "webhook_id=142" (form-encoded ping body) -> "142"
std::optional<std::string> pingId(std::string_view body) {
  body = trim(body);
  constexpr std::string_view kKey = "webhook_id=";
  if (body.substr(0, kKey.size()) != kKey) return std::nullopt;
  std::string_view id = body.substr(kKey.size());
  if (id.empty() || id.size() > 20) return std::nullopt;
  for (char c : id) {
    if (c < '0' || c > '9') return std::nullopt;
  }
  return std::string(id);
}

}  // namespace

bool verifyHmacSha256Base64(std::string_view secret, std::string_view body, std::string_view signature_b64) {
  std::string expected = hmacSha256Base64(secret, body);
  if (expected.empty()) return false;
  return constantTimeEquals(expected, trim(signature_b64));
}

std::string headerValue(const HeaderList& headers, std::string_view name) {
  for (const auto& [k, v] : headers) {
    if (iequals(k, name)) return v;
  }
  return {};
}

common::Result<WebhookDelivery> parseWebhook(ChannelKind channel, const HeaderList& headers, std::string_view body,
                                             std::string_view secret) {
  if (body.size() > kMaxWebhookBody) return Error::reject("payload_too_large", "webhook body is too large");
  WebhookDelivery d;
  d.channel = channel;
  switch (channel) {
    case ChannelKind::kShopify: {
      if (auto s = checkSignature(secret, body, headerValue(headers, "X-Shopify-Hmac-Sha256"), "X-Shopify-Hmac-Sha256"); !s) {
        return s.error();
      }
      d.topic = headerValue(headers, "X-Shopify-Topic");
      d.delivery_id = headerValue(headers, "X-Shopify-Webhook-Id");
      d.event_id = headerValue(headers, "X-Shopify-Event-Id");
      d.source = headerValue(headers, "X-Shopify-Shop-Domain");
      if (!isShopifyOrderTopic(d.topic)) {
        d.kind = WebhookKind::kOther;
        return d;
      }
      break;
    }
    case ChannelKind::kWooCommerce: {
      std::string sig = headerValue(headers, "X-WC-Webhook-Signature");
      if (sig.empty()) {
        if (auto id = pingId(body)) {
          d.kind = WebhookKind::kPing;
          d.webhook_id = *id;
          return d;
        }
      }
      if (auto s = checkSignature(secret, body, sig, "X-WC-Webhook-Signature"); !s) return s.error();
      d.topic = headerValue(headers, "X-WC-Webhook-Topic");
      d.event_id = headerValue(headers, "X-WC-Webhook-Delivery-ID");
      d.webhook_id = headerValue(headers, "X-WC-Webhook-ID");
      d.source = headerValue(headers, "X-WC-Webhook-Source");
      if (d.topic.rfind("order.", 0) != 0) {
        d.kind = WebhookKind::kOther;
        return d;
      }
      break;
    }
    case ChannelKind::kAmazon:
    case ChannelKind::kEbay:
    case ChannelKind::kWalmart:
    case ChannelKind::kWholesale:
      return Error::reject("not_pushed", std::string(channelName(channel)) +
                                             " orders are polled; this endpoint takes Shopify and WooCommerce webhooks only");
  }
  auto orders = decodeOrders(channel, body);
  if (!orders) return orders.error();
  d.kind = WebhookKind::kOrder;
  d.orders = std::move(*orders);
  for (NormalizedOrder& o : d.orders) {
    if (channel == ChannelKind::kWooCommerce) {
      // WooCommerce does not retry and sends a fresh delivery id each time: the order id and
      // its modification time identify one change of one order.
      d.delivery_id = o.order_id + "@" + o.updated_at;
    }
    o.delivery_id = d.delivery_id;
  }
  return d;
}

}  // namespace sw::coordinator::channels
