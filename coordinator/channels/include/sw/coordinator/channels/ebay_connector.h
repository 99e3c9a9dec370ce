#pragma once
// eBay Sell APIs.
//   push:  Inventory API bulk_update_price_quantity, at most 25 SKUs per call, setting both the
//          inventory item's shipToLocationAvailability.quantity and each offer's
//          availableQuantity (the listing shows the smaller of the two). The answer is 200, or
//          207 Multi-Status with a statusCode and errors per entry, read entry by entry.
//          A listing can be revised 250 times per calendar day: counted here, and a listing the
//          channel says is used up waits until the next UTC midnight (kRetry, retry_after_ms).
//   price: the same call with only offers[{offerId, price{value, currency}}]: the price now (eBay's
//          offer has no sale price; see pushPrices).
//   read:  getInventoryItem + getOffers per SKU: min(item quantity, offer availableQuantity).
//   poll:  Fulfillment getOrders with filter=lastmodifieddate:[since..] (brackets percent-encoded),
//          limit/offset paging.
//   payouts: Finances API getPayouts (filter=payoutDate:[since..], limit/offset) and, per payout,
//          getTransactions (filter=payoutId:{id}, limit 200, offset paging), read by
//          decodeEbayPayouts / decodeEbayTransactions (ebay_finances.cpp). The Finances API has its
//          own host (https://apiz.ebay.com): finances_base_url.
//   rate:  daily call quotas: a 429 blocks the API (exponential backoff, Retry-After honoured).

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "sw/common/clock.h"
#include "sw/coordinator/channels/connector.h"
#include "sw/coordinator/channels/http_client.h"
#include "sw/coordinator/channels/rate_limit.h"

namespace sw::coordinator::channels {

struct EbayConfig {
  std::string access_token;  // OAuth user token (Authorization: Bearer)
  std::string marketplace_id = "EBAY_US";
  std::string content_language = "en-US";
  int revisions_per_listing_per_day = 250;
  int order_page_size = 50;  // limit; eBay allows up to 200
  int64_t order_lookback_ms = 24LL * 3600 * 1000;
  // The Finances API's host ("https://apiz.ebay.com" in production); "" = the connector's base_url.
  std::string finances_base_url;
  int payout_page_size = 20;  // getPayouts limit, 1..200
  int64_t payout_lookback_days = 30;
};

class EbayConnector final : public ChannelConnector {
 public:
  static constexpr size_t kMaxPerCall = 25;

  static common::Result<std::unique_ptr<EbayConnector>> create(EbayConfig config, std::unique_ptr<HttpClient> http,
                                                               const common::Clock& clock);

  ChannelKind kind() const override { return ChannelKind::kEbay; }
  size_t maxBatch() const override { return kMaxPerCall; }
  bool supportsCompareAndSet() const override { return false; }
  common::Result<PushResult> pushQuantities(const std::vector<QuantityUpdate>& updates) override;
  // bulk_update_price_quantity with offers[{offerId, price{value, currency}}] only (no quantity):
  // the price a buyer pays now (a running promotion's, else the regular one).
  common::Result<PushResult> pushPrices(const std::vector<PriceUpdate>& updates) override;
  common::Result<std::vector<ChannelLevel>> readQuantities(const std::vector<std::string>& skus) override;
  common::Result<OrderPage> pollOrders(const OrderCursor& cursor) override;
  // createShippingFulfillment: lineItems [{lineItemId, quantity}], shippedDate, shippingCarrierCode,
  // trackingNumber; 201 with the fulfillment's id in Location. Counts against the Fulfillment quota.
  common::Result<std::string> reportFulfilment(const FulfilmentReport& report) override;
  // The Fulfillment API v1 has no seller cancel: not_supported (a person cancels in Seller Hub).
  common::Result<std::string> cancelOrder(const CancelRequest& request) override;
  // One getPayouts page (page token = the next offset), each payout with all its transactions.
  common::Result<PayoutPage> fetchPayouts(const PayoutCursor& cursor) override;
  RateState rateState() const override;
  int64_t msUntilReady(Operation op, size_t items = 1) const override;

  int revisionsUsedToday(const std::string& sku) const { return budget_.used(sku); }

 private:
  struct Offer {
    std::string offer_id;
    std::optional<int64_t> available;
    bool published = false;
  };
  EbayConnector(EbayConfig config, std::unique_ptr<HttpClient> http, const common::Clock& clock)
      : config_(std::move(config)),
        http_(std::move(http)),
        clock_(clock),
        inventory_backoff_(clock, 1'000, 3'600'000),
        fulfillment_backoff_(clock, 1'000, 3'600'000),
        finances_backoff_(clock, 1'000, 3'600'000),
        budget_(clock, config_.revisions_per_listing_per_day) {}
  common::Result<HttpResponse> call(Backoff& backoff, HttpRequest request, const std::string& what);
  // The offers of a SKU (cached once known); empty when the SKU has none.
  common::Result<std::vector<Offer>> offers(const std::string& sku, bool refresh);
  // One bulk_update_price_quantity call: entry_for(i, offers, result) gives skus[i]'s request entry
  // (without "sku"), or nullopt having decided the result itself; on_applied(i, result) when eBay
  // answered 200 for it. The 207 entries, revision budget and offer cache are handled here.
  using EntryFor = std::function<std::optional<nlohmann::json>(size_t, const std::vector<Offer>&, ItemResult&)>;
  using OnApplied = std::function<void(size_t, ItemResult&)>;
  common::Result<PushResult> bulkUpdate(const std::vector<std::string>& skus, const EntryFor& entry_for,
                                        const OnApplied& on_applied);

  EbayConfig config_;
  std::unique_ptr<HttpClient> http_;
  const common::Clock& clock_;
  Backoff inventory_backoff_;
  Backoff fulfillment_backoff_;
  Backoff finances_backoff_;
  DailyRevisionBudget budget_;
  std::mutex mu_;
  std::map<std::string, std::vector<Offer>> offers_;
  std::string sweep_max_;  // newest lastModifiedDate seen since the first page of this sweep
};

}  // namespace sw::coordinator::channels
