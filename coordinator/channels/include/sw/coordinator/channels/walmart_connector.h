#pragma once
// Walmart Marketplace (US) APIs, v3 (shared/contracts/walmart/, NOTES.md "Walmart Marketplace API").
//   auth:  OAuth client credentials: POST /v3/token (Basic clientId:clientSecret, grant_type=
//          client_credentials) -> access_token valid expires_in seconds (900). Renewed when less than
//          token_margin_ms of its life is left, and at once when a call answers 401 (then that call is
//          sent once more with the new token: the 401 means it was not carried out). Every call sends
//          WM_SEC.ACCESS_TOKEN, a fresh WM_QOS.CORRELATION_ID, WM_SVC.NAME and the Basic Authorization.
//   push:  fewer than feed_threshold updates: PUT /v3/inventory?sku= per SKU ({"sku","quantity":{"unit":
//          "EACH","amount"}}), kApplied from the answer. At or above it: one inventory feed (POST
//          /v3/feeds?feedType=inventory, multipart part "file", spec 1.4), every item kAccepted with the
//          feedId; collectAccepted() follows GET /v3/feeds/{feedId}?includeDetails=true (offset/limit
//          paging, 50 a page) to each item's ingestionStatus: a PROCESSED feed can hold failed items,
//          which are kRejected (dead letters), never applied.
//   price: fewer than feed_threshold prices: PUT /v3/price per SKU: BASE price, or while a promotion
//          runs the promotion's price as currentPriceType REDUCED with the regular price as
//          comparisonPrice (BASE). At or above it: one price feed (POST /v3/feeds?feedType=price, part
//          "file", spec 1.7, each entry the PUT's body), every item kAccepted with the feedId and
//          reported_later; collectAcceptedPrices() follows it exactly as collectAccepted() follows an
//          inventory feed (failed items of a PROCESSED feed kRejected).
//   read:  GET /v3/inventory?sku= per SKU (404: not listed).
//   poll:  a sweep is two queries, each paged with meta.nextCursor (a query string passed back as is):
//          GET /v3/orders/released (orders in Created status, createdStartDate = now - lookback), all
//          acknowledged (POST /v3/orders/{id}/acknowledge) after its last page; then GET /v3/orders?
//          lastModifiedStartDate=<since> for what changed (shipments, cancellations, refunds).
//   fulfil: POST /v3/orders/{id}/shipping, one orderLine per shipped line, status Shipped with trackingInfo.
//   cancel: GET /v3/orders/{id} for the lines' open units, then POST /v3/orders/{id}/cancel
//          (SELLER_CANCEL_OUT_OF_STOCK).
//   refund: refundOrder(): GET /v3/orders/{id} for each line's PRODUCT charge, then refundLines(): POST
//          /v3/orders/{id}/refund, per line the units' price as a negative PRODUCT charge with a
//          refundReason from Walmart's list (isFullRefund false: Walmart refunds the item price only).
//   rate:  per API, what Walmart says in X-Current-Token-Count / X-Next-Replenishment-Time (WalmartQuota,
//          rate_limit.h): a call is not made while the learned count is 0 before the replenishment time;
//          a 429 blocks the API until that time (or a doubling backoff when the header is absent).

#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "sw/common/clock.h"
#include "sw/coordinator/channels/connector.h"
#include "sw/coordinator/channels/http_client.h"
#include "sw/coordinator/channels/rate_limit.h"

namespace sw::coordinator::channels {

struct WalmartConfig {
  std::string client_id;
  std::string client_secret;
  std::string service_name = "Walmart Marketplace";  // WM_SVC.NAME
  std::string channel_type;                          // WM_CONSUMER.CHANNEL.TYPE (solution providers only)
  // Pushes of this many SKUs or more go as one inventory feed. Walmart allows about 10 inventory feeds an
  // hour and takes minutes to process one, while a single-item PUT shows at once: a few SKUs (one sale,
  // one receipt) go one by one; a reconciliation or the first push after start, which change many SKUs at
  // once, go as a feed so they do not spend the per-item allotment.
  size_t feed_threshold = 20;
  size_t max_batch = 1'000;  // items per feed (Walmart advises <= 1,000 items and < 10 MB per feed)
  int order_page_size = 100;  // limit, 1..200
  int64_t order_lookback_ms = 24LL * 3600 * 1000;
  int64_t token_margin_ms = 60'000;  // renew the token when less than this is left
};

// One feed's status page as GET /v3/feeds/{feedId}?includeDetails=true answers it (outside input:
// parseWalmartFeedStatus never throws; a body it cannot use is a retry error).
struct WalmartFeedItem {
  std::string sku;
  std::string status;  // SUCCESS, DATA_ERROR, SYSTEM_ERROR, TIMEOUT_ERROR, INPROGRESS, ...
  std::string code;    // the first ingestionErrors entry's code
  std::string message;
};
struct WalmartFeedStatus {
  std::string feed_id;
  std::string status;  // RECEIVED, INPROGRESS, PROCESSED, ERROR
  int64_t items_received = 0;
  int64_t items_succeeded = 0;
  int64_t items_failed = 0;
  int64_t items_processing = 0;
  int64_t offset = 0;
  int64_t limit = 0;
  std::vector<WalmartFeedItem> items;
};
common::Result<WalmartFeedStatus> parseWalmartFeedStatus(const nlohmann::json& j);

// A refund of some of an order's lines (money: Walmart's refund never says the item came back).
struct WalmartRefundLine {
  std::string line_id;  // lineNumber
  common::Money amount;  // positive; sent negative, as Walmart wants
  bool full = false;     // isFullRefund
  std::string reason = "CustomerChangedMind";  // refundReason: one of kWalmartRefundReasons
  std::string comment;                         // refundComments ("" = the reason)
};
// RefundChargeType.refundReason's enum in orders.json.
bool isWalmartRefundReason(const std::string& reason);

class WalmartConnector final : public ChannelConnector {
 public:
  static common::Result<std::unique_ptr<WalmartConnector>> create(WalmartConfig config, std::unique_ptr<HttpClient> http,
                                                                  const common::Clock& clock);

  ChannelKind kind() const override { return ChannelKind::kWalmart; }
  size_t maxBatch() const override { return config_.max_batch; }
  bool supportsCompareAndSet() const override { return false; }
  common::Result<PushResult> pushQuantities(const std::vector<QuantityUpdate>& updates) override;
  common::Result<PushResult> pushPrices(const std::vector<PriceUpdate>& updates) override;
  common::Result<std::vector<ChannelLevel>> readQuantities(const std::vector<std::string>& skus) override;
  common::Result<OrderPage> pollOrders(const OrderCursor& cursor) override;
  common::Result<std::vector<ItemResult>> collectAccepted() override;
  common::Result<std::vector<ItemResult>> collectAcceptedPrices() override;
  common::Result<std::string> reportFulfilment(const FulfilmentReport& report) override;
  common::Result<std::string> cancelOrder(const CancelRequest& request) override;
  common::Result<NormalizedOrder> refundOrder(const RefundRequest& request) override;
  RateState rateState() const override;
  int64_t msUntilReady(Operation op, size_t items = 1) const override;

  // POST /v3/orders/{id}/refund; returns the order as Walmart answers it, decoded.
  common::Result<NormalizedOrder> refundLines(const std::string& order_id, const std::vector<WalmartRefundLine>& lines);

  // For tests and metrics: what one API's quota looks like ("updateInventory", "feeds" (inventory feeds),
  // "priceFeeds", "getFeedStatus", "updatePrice", "getInventory", "releasedOrders", "orders", "orderUpdate", "token").
  RateState apiState(const std::string& api) const;
  size_t pendingFeeds() const;  // inventory and price feeds not finished yet
  int64_t tokenRenewals() const;

 private:
  struct PendingFeed {
    std::string feed_id;
    bool prices = false;                    // a price feed (else inventory)
    std::map<std::string, int64_t> sent;  // sku -> quantity (price: scaled price) sent in the feed
    int64_t next_offset = 0;                // PROCESSED: the next page of item details to read
    std::vector<ItemResult> results;        // read so far
  };
  WalmartConnector(WalmartConfig config, std::unique_ptr<HttpClient> http, const common::Clock& clock)
      : config_(std::move(config)), http_(std::move(http)), clock_(clock) {}
  WalmartQuota& quota(const std::string& api) const;
  common::Status ensureToken();
  common::Result<HttpResponse> send(const std::string& api, const HttpRequest& request);
  // One call of an API: paced by its quota, with the token and the WM_* headers; a 401 renews the
  // token and sends once more; a 429 blocks the API and is a retry error.
  common::Result<HttpResponse> call(const std::string& api, HttpRequest request);
  common::Result<PushResult> pushEach(const std::vector<QuantityUpdate>& updates);
  // GET /v3/orders/{id} (getAnOrder): the answer as Walmart gave it, and decoded.
  struct FetchedOrder {
    nlohmann::json raw;
    NormalizedOrder order;
  };
  common::Result<FetchedOrder> fetchOrder(const std::string& order_id);
  // One SKU's call of pushEach or pushPrices: the answer, or none with r a retry when only this
  // SKU's call failed (stop set once the allotment is used up); an error ends the whole push
  // (fatal, or the first SKU's call failing for another reason than the allotment).
  common::Result<std::optional<HttpResponse>> callForItem(const std::string& api, HttpRequest request, bool first,
                                                          ItemResult& r, bool& stop);
  // A SKU's answer other than success: 404 not listed, 408 or 5xx a retry, else refused.
  static void refusedItem(const HttpResponse& resp, const std::string& code, const std::string& text, ItemResult& r);
  common::Result<PushResult> pushFeed(const std::vector<QuantityUpdate>& updates);
  common::Result<PushResult> pushPriceFeed(const std::vector<PriceUpdate>& updates);
  // POST /v3/feeds?feedType=<feed_type> with the document as multipart part "file", on quota `api`:
  // the feedId.
  common::Result<std::string> postFeed(const std::string& feed_type, const std::string& api, const nlohmann::json& document);
  // Every item of out not refused already is kAccepted in the feed, which is kept to be followed.
  void feedAccepted(PendingFeed feed, PushResult& out);
  // False (r refused) when Walmart cannot take this price at all.
  static bool priceUsable(const ChannelPrice& p, ItemResult& r);
  // collectAccepted() (prices false) and collectAcceptedPrices(): follows every feed of that kind.
  common::Result<std::vector<ItemResult>> collectFeeds(bool prices);
  // Reads the next page of a feed; true when the feed is finished (its results complete).
  common::Result<bool> followFeed(PendingFeed& feed);
  common::Result<OrderPage> ordersPage(const std::string& api, const std::string& target, bool acknowledge,
                                       const std::string& since);
  void acknowledgeTaken(OrderPage* page);

  WalmartConfig config_;
  std::unique_ptr<HttpClient> http_;
  const common::Clock& clock_;
  mutable std::mutex mu_;  // quotas_, feeds_, token fields
  mutable std::map<std::string, std::unique_ptr<WalmartQuota>> quotas_;
  std::deque<PendingFeed> feeds_;
  std::string token_;
  int64_t token_expires_mono_ = 0;
  int64_t token_renewals_ = 0;
  std::string sweep_max_;  // newest change seen in this sweep's modified-orders phase
  std::vector<std::string> to_ack_;  // released orders taken in this sweep, acknowledged after its last released page
};

}  // namespace sw::coordinator::channels
