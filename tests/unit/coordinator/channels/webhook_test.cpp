#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "sw/coordinator/channels/webhook.h"

namespace sw::coordinator::channels {
namespace {

std::string readData(const std::string& rel) {
  std::ifstream in(std::string(SW_CHANNEL_TEST_DATA) + "/" + rel, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

TEST(WebhookSignature, ShopifyTestVectorFromTheContracts) {
  // shared/contracts/NOTES.md: body {"id":788032119674292922}, secret uk-secret.
  EXPECT_EQ(hmacSha256Base64("uk-secret", R"({"id":788032119674292922})"), "1G60O0mjm8l0mIJ6dHz5QF4cOnTa7Z3LDmLeDoDhE6E=");
  EXPECT_TRUE(verifyHmacSha256Base64("uk-secret", R"({"id":788032119674292922})", "1G60O0mjm8l0mIJ6dHz5QF4cOnTa7Z3LDmLeDoDhE6E="));
  EXPECT_TRUE(verifyHmacSha256Base64("uk-secret", R"({"id":788032119674292922})", " 1G60O0mjm8l0mIJ6dHz5QF4cOnTa7Z3LDmLeDoDhE6E=\r\n"));
  // One changed byte in the body, the secret or the signature: refused.
  EXPECT_FALSE(verifyHmacSha256Base64("uk-secret", R"({"id":788032119674292923})", "1G60O0mjm8l0mIJ6dHz5QF4cOnTa7Z3LDmLeDoDhE6E="));
  EXPECT_FALSE(verifyHmacSha256Base64("uk-secreT", R"({"id":788032119674292922})", "1G60O0mjm8l0mIJ6dHz5QF4cOnTa7Z3LDmLeDoDhE6E="));
  EXPECT_FALSE(verifyHmacSha256Base64("uk-secret", R"({"id":788032119674292922})", "1G60O0mjm8l0mIJ6dHz5QF4cOnTa7Z3LDmLeDoDhE6F="));
  EXPECT_FALSE(verifyHmacSha256Base64("uk-secret", R"({"id":788032119674292922})", ""));
  // The raw bytes count: re-serialised JSON is a different message.
  EXPECT_FALSE(verifyHmacSha256Base64("uk-secret", R"({"id": 788032119674292922})", "1G60O0mjm8l0mIJ6dHz5QF4cOnTa7Z3LDmLeDoDhE6E="));
}

TEST(WebhookSignature, ConstantTimeEqualsIsEquality) {
  EXPECT_TRUE(constantTimeEquals("", ""));
  EXPECT_TRUE(constantTimeEquals("abc", "abc"));
  EXPECT_FALSE(constantTimeEquals("abc", "abd"));
  EXPECT_FALSE(constantTimeEquals("abc", "abcd"));
}

HeaderList shopifyHeaders(const std::string& body, const std::string& secret, const std::string& topic = "orders/create") {
  return {{"x-shopify-topic", topic},  // header names are case-insensitive
          {"X-Shopify-Hmac-Sha256", hmacSha256Base64(secret, body)},
          {"X-Shopify-Shop-Domain", "shop.myshopify.com"},
          {"X-Shopify-Webhook-Id", "b54557e4-bdd9-4b37-8a5f-bf7d70bcd043"},
          {"X-Shopify-Event-Id", "98880550-7158-44d4-b7cd-2c97c8a091b5"}};
}

TEST(ParseWebhook, ShopifyOrderCreate) {
  std::string body = readData("shopify/orders-create-webhook.example.json");
  auto d = parseWebhook(ChannelKind::kShopify, shopifyHeaders(body, "s3cret"), body, "s3cret");
  ASSERT_TRUE(d.ok()) << d.error().toString();
  EXPECT_EQ(d->kind, WebhookKind::kOrder);
  EXPECT_EQ(d->topic, "orders/create");
  EXPECT_EQ(d->delivery_id, "b54557e4-bdd9-4b37-8a5f-bf7d70bcd043");
  ASSERT_EQ(d->orders.size(), 1u);
  EXPECT_EQ(d->orders[0].order_id, "820982911946154508");
  EXPECT_EQ(d->orders[0].delivery_id, d->delivery_id);
}

TEST(ParseWebhook, ShopifyRefusesForgedOrMissingSignatures) {
  std::string body = readData("shopify/orders-create-webhook.example.json");
  auto forged = parseWebhook(ChannelKind::kShopify, shopifyHeaders(body, "other"), body, "s3cret");
  ASSERT_FALSE(forged.ok());
  EXPECT_EQ(forged.error().code, "signature_mismatch");
  HeaderList none = {{"X-Shopify-Topic", "orders/create"}};
  auto missing = parseWebhook(ChannelKind::kShopify, none, body, "s3cret");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, "signature_missing");
  auto no_secret = parseWebhook(ChannelKind::kShopify, shopifyHeaders(body, ""), body, "");
  ASSERT_FALSE(no_secret.ok());
  EXPECT_EQ(no_secret.error().kind, common::ErrorKind::kFatal);
  // A correctly signed body that is not an order: refused with the decoder's reason.
  std::string junk = "{\"id\": [";
  auto bad = parseWebhook(ChannelKind::kShopify, shopifyHeaders(junk, "s3cret"), junk, "s3cret");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code, "bad_json");
}

TEST(ParseWebhook, ShopifyOtherTopicsAreAcknowledgedAndIgnored) {
  std::string body = R"({"id":1})";
  auto d = parseWebhook(ChannelKind::kShopify, shopifyHeaders(body, "k", "app/uninstalled"), body, "k");
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->kind, WebhookKind::kOther);
  EXPECT_TRUE(d->orders.empty());
}

TEST(ParseWebhook, WooCommercePingAndSignedOrder) {
  auto ping = parseWebhook(ChannelKind::kWooCommerce, {{"Content-Type", "application/x-www-form-urlencoded"}}, "webhook_id=142", "wsec");
  ASSERT_TRUE(ping.ok()) << ping.error().toString();
  EXPECT_EQ(ping->kind, WebhookKind::kPing);
  EXPECT_EQ(ping->webhook_id, "142");

  std::string body = readData("woocommerce/order.retrieve.response.json");
  HeaderList h = {{"X-WC-Webhook-Topic", "order.updated"},
                  {"X-WC-Webhook-Signature", hmacSha256Base64("wsec", body)},
                  {"X-WC-Webhook-ID", "142"},
                  {"X-WC-Webhook-Delivery-ID", "6f5ee59a2b4a5d1e"},
                  {"X-WC-Webhook-Source", "https://example.com/"}};
  auto d = parseWebhook(ChannelKind::kWooCommerce, h, body, "wsec");
  ASSERT_TRUE(d.ok()) << d.error().toString();
  EXPECT_EQ(d->kind, WebhookKind::kOrder);
  EXPECT_EQ(d->delivery_id, "727@2017-03-22T19:28:08Z");  // order id + date_modified_gmt
  EXPECT_EQ(d->orders[0].order_id, "727");

  h[1].second = hmacSha256Base64("wrong", body);
  auto forged = parseWebhook(ChannelKind::kWooCommerce, h, body, "wsec");
  ASSERT_FALSE(forged.ok());
  EXPECT_EQ(forged.error().code, "signature_mismatch");
  // An unsigned body that is not a ping is refused.
  auto unsigned_body = parseWebhook(ChannelKind::kWooCommerce, {}, body, "wsec");
  ASSERT_FALSE(unsigned_body.ok());
  EXPECT_EQ(unsigned_body.error().code, "signature_missing");
  auto bad_ping = parseWebhook(ChannelKind::kWooCommerce, {}, "webhook_id=abc", "wsec");
  ASSERT_FALSE(bad_ping.ok());
}

TEST(ParseWebhook, PolledChannelsHaveNoWebhookEndpoint) {
  auto d = parseWebhook(ChannelKind::kAmazon, {}, "{}", "x");
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.error().code, "not_pushed");
}

}  // namespace
}  // namespace sw::coordinator::channels
