#pragma once
// Amazon Selling Partner API.
//   push:  fewer than feed_threshold updates: one Listings Items PATCH per SKU
//          (fulfillment_availability quantity); 200 ACCEPTED means "applied later" (kAccepted),
//          200 INVALID is a rejection with Amazon's issues. At or above the threshold: one
//          JSON_LISTINGS_FEED (createFeedDocument -> PUT to the pre-signed URL -> createFeed 202);
//          collectAccepted() follows the feed to its processing report.
//   price: one Listings Items PATCH per SKU, purchasable_offer (our_price, discounted_price with
//          start_at/end_at while a promotion runs); kAccepted like stock, never a feed.
//   read:  getListingsItem with includedData=fulfillmentAvailability, one SKU per call.
//   poll:  Orders v0 getOrders (LastUpdatedAfter, NextToken) + getOrderItems per order.
//   fulfil: Orders v0 confirmShipment; no cancel operation exists in Orders v0.
//   payouts: Reports API getReports (settlement reports Amazon made, DONE, created since the
//          look-back; nextToken paging), getReportDocument, the (gzip) flat file downloaded from
//          its pre-signed URL and read by decodeAmazonSettlementReport (amazon_settlements.cpp).
//   rate:  one token bucket per operation, starting from the published usage plan, the rate
//          replaced by x-amzn-RateLimit-Limit from each answer, emptied by a 429 QuotaExceeded.
//          Calls the local bucket says would be throttled are not made (kRetry, retry_after_ms).

#include <atomic>
#include <deque>
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

struct AmazonConfig {
  std::string access_token;  // LWA access token, sent as x-amz-access-token
  std::string seller_id;
  std::string marketplace_id = "ATVPDKIKX0DER";
  std::string product_type = "PRODUCT";
  std::string fulfillment_channel_code = "DEFAULT";
  size_t feed_threshold = 50;  // this many updates or more in one push go as a feed
  size_t max_batch = 10'000;   // feeds take up to 25,000 messages
  int order_page_size = 100;   // MaxResultsPerPage, 1..100
  int64_t order_lookback_ms = 24LL * 3600 * 1000;
  // Settlement reports per getReports page: each costs a getReportDocument (0.0167/s, burst 15).
  int settlement_page_size = 10;
  int64_t payout_lookback_days = 30;
};

class AmazonConnector final : public ChannelConnector {
 public:
  static common::Result<std::unique_ptr<AmazonConnector>> create(AmazonConfig config, std::unique_ptr<HttpClient> http,
                                                                 const common::Clock& clock);

  ChannelKind kind() const override { return ChannelKind::kAmazon; }
  size_t maxBatch() const override { return config_.max_batch; }
  bool supportsCompareAndSet() const override { return false; }
  common::Result<PushResult> pushQuantities(const std::vector<QuantityUpdate>& updates) override;
  // PATCH /attributes/purchasable_offer per SKU: our_price, and discounted_price with start_at/end_at
  // while a promotion runs. Accepted (kAccepted) and applied by Amazon later.
  common::Result<PushResult> pushPrices(const std::vector<PriceUpdate>& updates) override;
  common::Result<std::vector<ChannelLevel>> readQuantities(const std::vector<std::string>& skus) override;
  common::Result<OrderPage> pollOrders(const OrderCursor& cursor) override;
  common::Result<std::vector<ItemResult>> collectAccepted() override;
  // Orders v0 confirmShipment (2/s, burst 10): packageDetail {packageReferenceId = the shipment's
  // number, carrierCode, carrierName when "Other", trackingNumber, shipDate, orderItems}; 204.
  common::Result<std::string> reportFulfilment(const FulfilmentReport& report) override;
  // Orders v0 has no cancel operation: not_supported (a person cancels in Seller Central).
  common::Result<std::string> cancelOrder(const CancelRequest& request) override;
  // One getReports page of settlement reports (GET_V2_SETTLEMENT_REPORT_DATA_FLAT_FILE_V2), each
  // DONE one read whole: a payout per report.
  common::Result<PayoutPage> fetchPayouts(const PayoutCursor& cursor) override;
  RateState rateState() const override;
  int64_t msUntilReady(Operation op, size_t items = 1) const override;

  // The bucket for one operation ("patchListingsItem", "getOrders", ...), for tests and metrics.
  RateState operationState(const std::string& operation) const;
  size_t pendingFeeds() const;

 private:
  // Step 3 of a sweep: one page of refund events (Finances v0 listFinancialEvents) into page.
  void pollRefunds(OrderPage* page);
  struct PendingFeed {
    std::string feed_id;
    std::vector<std::string> skus;  // messageId = index + 1
  };
  AmazonConnector(AmazonConfig config, std::unique_ptr<HttpClient> http, const common::Clock& clock);
  TokenBucket& bucket(const std::string& operation) const;
  // One call of a rate-limited operation: gated by the local bucket, rate learned from the answer.
  common::Result<HttpResponse> call(const std::string& operation, HttpRequest request);
  common::Result<PushResult> pushPatches(const std::vector<QuantityUpdate>& updates);
  // One PATCH per SKU: patch_for(i, result) gives skus[i]'s patches, or nullopt having decided the
  // result; on_accepted(i, result) when Amazon answered ACCEPTED. Throttling stops the rest (kRetry).
  using PatchFor = std::function<std::optional<nlohmann::json>(size_t, ItemResult&)>;
  using OnAccepted = std::function<void(size_t, ItemResult&)>;
  common::Result<PushResult> patchEach(const std::vector<std::string>& skus, const PatchFor& patch_for,
                                       const OnAccepted& on_accepted);
  common::Result<PushResult> pushFeed(const std::vector<QuantityUpdate>& updates);
  common::Result<std::vector<ItemResult>> feedResults(const PendingFeed& feed, const std::string& document_id);

  AmazonConfig config_;
  std::unique_ptr<HttpClient> http_;
  const common::Clock& clock_;
  mutable std::map<std::string, std::unique_ptr<TokenBucket>> buckets_;
  mutable std::mutex mu_;  // buckets_ map and feeds_
  std::deque<PendingFeed> feeds_;
  // Orders polling state: orders listed by getOrders whose items are not fetched yet.
  std::deque<nlohmann::json> pending_orders_;
  std::atomic<size_t> pending_count_{0};  // pending_orders_.size(), readable from any thread
  std::string next_token_;
  std::string finance_token_;  // listFinancialEvents NextToken of the sweep under way
  std::string max_updated_;
};

}  // namespace sw::coordinator::channels
