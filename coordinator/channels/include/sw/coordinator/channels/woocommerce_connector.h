#pragma once
// WooCommerce REST API v3 (/wp-json/wc/v3).
//   push:  POST products/batch {"update":[{id, manage_stock: true, stock_quantity}]}; products are
//          addressed by id, looked up by SKU (GET products?sku=a,b) and cached. A failed item
//          comes back as {"id", "error":{code,message,data:{status}}} inside HTTP 200. Over the
//          batch limit the answer is 413 woocommerce_rest_request_entity_too_large, whose message
//          states the limit: maxBatch() learns it from there.
//          Simple products only; variations (products/{id}/variations/batch) are not handled yet.
//   price: the same products/batch with regular_price, sale_price ("" ends a sale) and
//          date_on_sale_from_gmt / date_on_sale_to_gmt (the promotion's window, UTC).
//   read:  GET products?sku=… (stock_quantity when manage_stock is on).
//   poll:  GET orders?modified_after=…&dates_are_gmt=true&orderby=modified&order=asc&page=N
//          with X-WP-TotalPages.
//   payouts: WooCommerce has none; GET orders?after=…&orderby=date&order=asc&per_page=100&page=N,
//          each paid order read as its own "payout" of order totals (decodeWooCommerceOrderTotals).
//   rate:  none in WooCommerce itself; hosts may answer 429 (Retry-After honoured, else backoff).

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "sw/common/clock.h"
#include "sw/coordinator/channels/connector.h"
#include "sw/coordinator/channels/http_client.h"
#include "sw/coordinator/channels/rate_limit.h"

namespace sw::coordinator::channels {

struct WooCommerceConfig {
  std::string consumer_key;  // HTTP Basic over HTTPS (consumer key : consumer secret)
  std::string consumer_secret;
  size_t batch_limit = 100;       // WooCommerce's default; lowered when a 413 says otherwise
  bool enable_manage_stock = true;  // send manage_stock: true so stock_quantity takes effect
  int order_page_size = 100;        // per_page, 1..100
  int64_t order_lookback_ms = 24LL * 3600 * 1000;
};

class WooCommerceConnector final : public ChannelConnector {
 public:
  static common::Result<std::unique_ptr<WooCommerceConnector>> create(WooCommerceConfig config,
                                                                      std::unique_ptr<HttpClient> http,
                                                                      const common::Clock& clock);

  ChannelKind kind() const override { return ChannelKind::kWooCommerce; }
  size_t maxBatch() const override { return batch_limit_.load(); }
  bool supportsCompareAndSet() const override { return false; }
  common::Result<PushResult> pushQuantities(const std::vector<QuantityUpdate>& updates) override;
  common::Result<PushResult> pushPrices(const std::vector<PriceUpdate>& updates) override;
  common::Result<std::vector<ChannelLevel>> readQuantities(const std::vector<std::string>& skus) override;
  common::Result<OrderPage> pollOrders(const OrderCursor& cursor) override;
  // One page of orders created since date_min (default 30 days), each paid one a payout of its
  // totals (settlement.h); page token = the next page number.
  common::Result<PayoutPage> fetchPayouts(const PayoutCursor& cursor) override;
  // WooCommerce core has no shipment object: the tracking number goes into a customer note
  // (POST orders/{id}/notes, its id is returned) and, once the whole order has shipped, the
  // order is set to completed (PUT orders/{id}).
  common::Result<std::string> reportFulfilment(const FulfilmentReport& report) override;
  // PUT orders/{id} {"status":"cancelled"}, then a private note saying why.
  common::Result<std::string> cancelOrder(const CancelRequest& request) override;
  RateState rateState() const override;
  int64_t msUntilReady(Operation op, size_t items = 1) const override;

 private:
  struct Product {
    int64_t id = 0;
    bool manage_stock = false;
    std::optional<int64_t> stock_quantity;
  };
  WooCommerceConnector(WooCommerceConfig config, std::unique_ptr<HttpClient> http, const common::Clock& clock);
  common::Result<HttpResponse> call(HttpRequest request, const std::string& what);
  // Looks up products by SKU (chunks of 50), refreshing the cache.
  common::Result<std::map<std::string, Product>> lookup(const std::vector<std::string>& skus);
  // POST products/batch with fields(i) for skus[i] (looked up by SKU first); judge(i, product, result)
  // decides each product the answer gives back. Per-item errors, 413 and unknown SKUs are handled here.
  using ItemFields = std::function<nlohmann::json(size_t)>;
  using JudgeProduct = std::function<void(size_t, const nlohmann::json&, ItemResult&)>;
  common::Result<PushResult> batchUpdate(const std::vector<std::string>& skus, const ItemFields& fields,
                                         const JudgeProduct& judge);
  // GET /orders/{id}/refunds (all pages): the refund resources, with their line items.
  common::Result<nlohmann::json> orderRefunds(const std::string& order_id);

  WooCommerceConfig config_;
  std::unique_ptr<HttpClient> http_;
  const common::Clock& clock_;
  std::string auth_header_;
  std::atomic<size_t> batch_limit_;
  Backoff backoff_;
  std::mutex mu_;
  std::map<std::string, int64_t> ids_;  // sku -> product id
  std::string sweep_max_;
};

}  // namespace sw::coordinator::channels
