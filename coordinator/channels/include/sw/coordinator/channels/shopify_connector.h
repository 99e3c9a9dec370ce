#pragma once
// Shopify Admin GraphQL API (POST /admin/api/{version}/graphql.json).
//   push:  inventorySetQuantities with changeFromQuantity (compare-and-set; explicit null when
//          the caller has no expectation) and @idempotent(key:), mandatory from 2026-04.
//          The mutation is all-or-nothing: when some items fail (stale, unknown item), the
//          others are sent once more on their own, under a key derived from the first.
//   price: productVariantsBulkUpdate (one aliased field per product) with price and compareAtPrice;
//          variant and product ids from inventoryItems { sku variant { id product { id } } } (cached).
//   read:  inventoryItems(query: "sku:'A' OR sku:'B'") with inventoryLevel(locationId:) quantities;
//          also how SKUs are mapped to InventoryItem ids (cached).
//   poll:  orders(query: "updated_at:>='…'", sortKey: UPDATED_AT) with cursor paging.
//   fulfil: order.fulfillmentOrders (OPEN / IN_PROGRESS, remainingQuantity per line) then
//          fulfillmentCreate(fulfillment: {lineItemsByFulfillmentOrder, trackingInfo {number company},
//          notifyCustomer}); userErrors refuse the report. A retry after a lost answer finds the
//          units already fulfilled and returns the fulfillment that carries the tracking number.
//   cancel: orderCancel(orderId, reason: INVENTORY, restock: false (Stockwire sets the quantity),
//          refund: true, notifyCustomer: true); userErrors on an order already cancelled count as done.
//   payouts: Admin REST shopify_payments/payouts.json?date_min=&limit= (Link header page_info
//          paging), and for each payout shopify_payments/balance/transactions.json?payout_id=&limit=250
//          (all its pages); the REST limit is its own: a 429 holds REST calls for Retry-After (else a
//          doubling backoff), X-Shopify-Shop-Api-Call-Limit at its maximum holds them for one leak (0.5 s).
//   rate:  the calculated-cost bucket from extensions.cost.throttleStatus on every answer;
//          THROTTLED (HTTP 200, or 429) is a retry error with the bucket updated.

#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "sw/common/clock.h"
#include "sw/coordinator/channels/connector.h"
#include "sw/coordinator/channels/http_client.h"
#include "sw/coordinator/channels/rate_limit.h"

namespace sw::coordinator::channels {

struct ShopifyConfig {
  std::string api_version = "2026-04";
  std::string access_token;  // X-Shopify-Access-Token (from config or environment, never the repo)
  std::string location_id;   // gid://shopify/Location/…: the location whose quantity Stockwire sets
  std::string quantity_name = "available";
  std::string reason = "correction";
  std::string reference_prefix = "gid://stockwire/SyncJob/";
  int order_page_size = 8;       // orders per page; with 20 lines each this stays under 1000 points
  int order_lines_per_page = 20;
  int64_t order_lookback_ms = 24LL * 3600 * 1000;
  int payout_page_size = 10;        // payouts per page (each page then reads their transactions)
  int64_t payout_lookback_days = 30;
};

class ShopifyConnector final : public ChannelConnector {
 public:
  static constexpr size_t kMaxQuantitiesPerCall = 250;  // GraphQL list inputs are capped at 250
  static constexpr int kMaxSkusPerLookup = 50;

  static common::Result<std::unique_ptr<ShopifyConnector>> create(ShopifyConfig config, std::unique_ptr<HttpClient> http,
                                                                  const common::Clock& clock);

  ChannelKind kind() const override { return ChannelKind::kShopify; }
  size_t maxBatch() const override { return kMaxQuantitiesPerCall; }
  bool supportsCompareAndSet() const override { return true; }
  common::Result<PushResult> pushQuantities(const std::vector<QuantityUpdate>& updates) override;
  // productVariantsBulkUpdate per product (aliased, one request): variant price = the price now,
  // compareAtPrice = the regular price while a promotion runs, else null.
  common::Result<PushResult> pushPrices(const std::vector<PriceUpdate>& updates) override;
  common::Result<std::vector<ChannelLevel>> readQuantities(const std::vector<std::string>& skus) override;
  common::Result<OrderPage> pollOrders(const OrderCursor& cursor) override;
  common::Result<std::string> reportFulfilment(const FulfilmentReport& report) override;
  common::Result<std::string> cancelOrder(const CancelRequest& request) override;
  common::Result<PayoutPage> fetchPayouts(const PayoutCursor& cursor) override;
  RateState rateState() const override { return bucket_.state(); }
  int64_t msUntilReady(Operation op, size_t items = 1) const override;

  // The InventoryItem gid a SKU maps to, once looked up.
  std::string inventoryItemId(const std::string& sku) const;

 private:
  ShopifyConnector(ShopifyConfig config, std::unique_ptr<HttpClient> http, const common::Clock& clock)
      : config_(std::move(config)), http_(std::move(http)), clock_(clock), bucket_(clock), rest_(clock, 1'000, 60'000) {}
  // One Admin REST GET (target after /admin/api/{version}/): the answer when it is 200, else an
  // Error (429 retry with the REST backoff updated).
  common::Result<HttpResponse> restGet(const std::string& target, const std::string& what);
  common::Result<nlohmann::json> graphql(const std::string& query, const nlohmann::json& variables, double cost_guess);
  common::Result<std::vector<ChannelLevel>> lookup(const std::vector<std::string>& skus);
  common::Result<PushResult> setOnce(const std::vector<QuantityUpdate>& updates, const std::vector<std::string>& ids,
                                     const std::string& key);

  ShopifyConfig config_;
  std::unique_ptr<HttpClient> http_;
  const common::Clock& clock_;
  CostBucket bucket_;
  Backoff rest_;  // the REST Admin API's own limit (payouts)
  mutable std::mutex ids_mu_;
  std::map<std::string, std::string> item_ids_;  // sku -> gid://shopify/InventoryItem/…
  struct Variant {
    std::string variant;  // gid://shopify/ProductVariant/…
    std::string product;  // gid://shopify/Product/…
  };
  std::map<std::string, Variant> variants_;  // sku -> its variant, from the same lookup
};

}  // namespace sw::coordinator::channels
