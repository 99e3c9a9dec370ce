#pragma once
// One interface for every online sales channel (Shopify, Amazon, eBay, WooCommerce, Walmart).
//
// A connector speaks one channel's real API over HTTP and reports, per item, what the
// channel did with each quantity it was sent. It never sleeps and never retries on its
// own: it tells the caller (the push scheduler) what happened and how long the channel
// wants it to wait, from what the channel's own responses said (Shopify's throttleStatus,
// Amazon's x-amzn-RateLimit-Limit, eBay's and WooCommerce's 429/413), so pacing follows
// the real limits instead of numbers written into the code.
//
// Threads: a connector is used by one thread at a time, except rateState(),
// msUntilReady() and maxBatch(), which may be called from any thread.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sw/common/result.h"
#include "sw/coordinator/channels/order.h"
#include "sw/coordinator/channels/price_rules.h"
#include "sw/coordinator/channels/settlement.h"

namespace sw::coordinator::channels {

// One absolute quantity for one SKU on one channel.
struct QuantityUpdate {
  std::string sku;
  int64_t quantity = 0;
  // Compare-and-set: what we believe the channel shows now. Channels that offer it
  // (Shopify changeFromQuantity) refuse the update when it is stale; others ignore it.
  std::optional<int64_t> expected_previous;
  // One key per logical change, reused on every retry of that change (Shopify @idempotent).
  // Empty: the connector makes one up for this call only.
  std::string idempotency_key;
};

// One SKU's price on one channel, after the channel's price rules (price_rules.h): the regular
// price and, while a promotion runs, its price with its window. Absolute, like a quantity: sending
// it twice is harmless, and a price without `sale` ends any sale the channel shows.
struct PriceUpdate {
  ChannelPrice price;
};

enum class ItemOutcome {
  kApplied,   // the channel shows the new quantity now
  kAccepted,  // the channel took it and applies it later (Amazon); read back to be sure
  kStale,     // compare-and-set failed: the channel holds something else (see channel_quantity)
  kRejected,  // the channel refused this item; sending it again will not help (dead-letter it)
  kRetry,     // not done, for a transient reason (throttled, budget, 5xx on this item); try later
  // The channel says it has no listing for this SKU (eBay 25702, a WooCommerce product lookup
  // that finds none, Shopify no inventory item, Amazon 404 / "SKU does not exist"). Not an error:
  // a SKU sold only in stores is simply not offered there. Not sent again until a read finds it.
  kNotListed,
};
const char* itemOutcomeName(ItemOutcome outcome);

struct ItemResult {
  std::string sku;
  ItemOutcome outcome = ItemOutcome::kRetry;
  std::string code;     // the channel's own code where it gave one ("CHANGE_FROM_QUANTITY_STALE", "25702", ...)
  std::string message;  // for a person
  std::optional<int64_t> channel_quantity;  // what the channel holds, when it said so
  int64_t retry_after_ms = 0;               // kRetry: earliest sensible retry, 0 = unknown
  std::string submission_id;                // kAccepted: Amazon submissionId or feedId
  // kAccepted: the connector follows this item to its final outcome and reports it later, from
  // collectAccepted() for a quantity and collectAcceptedPrices() for a price (Walmart's feeds).
  bool reported_later = false;
};

struct PushResult {
  std::vector<ItemResult> items;  // one per update, in the order given
};

// What the channel shows for one SKU.
struct ChannelLevel {
  std::string sku;
  bool found = false;
  std::optional<int64_t> quantity;  // nullopt when found but the channel tracks no quantity
  std::string channel_item_id;      // the channel's id for the listing/item/product
};

// Where order polling resumes. Connectors fill next_* in; callers store it and pass it back.
struct OrderCursor {
  std::string updated_since;  // ISO 8601 UTC; empty = the connector's default look-back
  std::string page_token;     // opaque, from the previous page; empty = first page
};

struct OrderPage {
  std::vector<NormalizedOrder> orders;
  // Non-empty: more pages of this same query; call again with page_token = next_page_token.
  std::string next_page_token;
  // When this page was the last one: the updated_since to use next time.
  std::string next_updated_since;
  std::vector<std::string> warnings;  // orders the channel sent that could not be decoded
};

// The rate limit as last seen in the channel's responses.
struct RateState {
  bool known = false;            // false until the channel has told us anything
  double capacity = 0;           // bucket size (Shopify points, Amazon burst), 0 if unknown
  double available = 0;          // estimated now
  double refill_per_sec = 0;     // restore rate / request rate
  int64_t blocked_until_ms = 0;  // monotonic ms: the channel said stop until then (429, THROTTLED, quota)
  int64_t throttled_count = 0;   // how often the channel has throttled us
  std::string source;            // where the numbers came from, e.g. "extensions.cost.throttleStatus"
};

// Units of an order that left a store or warehouse, as told to the channel.
struct FulfilmentLine {
  std::string line_id;  // the channel's line/order-item id
  std::string sku;
  int64_t quantity = 0;
};

struct FulfilmentReport {
  std::string order_id;
  std::vector<FulfilmentLine> lines;
  std::string tracking_number;
  std::string carrier = "Other";
  std::string ship_from;  // Stockwire location name (for people; channels have their own location ids)
  bool order_complete = false;  // nothing of the order is left to ship after this
  int64_t package_number = 0;   // unique per shipment (Amazon packageReferenceId: positive numbers only)
  int64_t shipped_at_ms = 0;    // wall clock when it left (0 = now)
};

// An order Stockwire will not fill (strict policy: no stock), to be cancelled at the channel.
struct CancelRequest {
  std::string order_id;
  std::string reason;  // for people (the channel's note / staff note)
};

// Money back to a buyer for units of an order's lines, issued by Stockwire at the channel (the
// units coming back, if they do, are the channel's business: a refund here restocks nothing).
struct RefundLine {
  std::string line_id;  // the channel's line id
  int64_t quantity = 0;  // units refunded, each at the line's unit price
};
struct RefundRequest {
  std::string order_id;
  std::vector<RefundLine> lines;
  std::string reason;  // the channel's reason code where it has a list (Walmart refundReason); "" = the connector's default
  std::string note;    // free text for the buyer and the channel's staff (Walmart refundComments)
};

// Operations a caller may ask msUntilReady() about.
// kOrderUpdate: reportFulfilment(), cancelOrder() and refundOrder(); kPayouts: fetchPayouts().
enum class Operation { kPush, kRead, kPollOrders, kOrderUpdate, kPayouts };

class ChannelConnector {
 public:
  virtual ~ChannelConnector() = default;

  virtual ChannelKind kind() const = 0;
  // Most updates one pushQuantities() call sends in one request (learned: WooCommerce's 413 lowers it).
  virtual size_t maxBatch() const = 0;
  virtual bool supportsCompareAndSet() const = 0;

  // Sends the quantities. The call fails as a whole (Error) only when the request as a whole
  // failed: kRetry for network errors, timeouts, 5xx, 429/THROTTLED; kReject for a request the
  // channel refused outright (400 on the whole batch); kFatal for credentials the channel does
  // not accept. Otherwise every update has its own ItemResult.
  virtual common::Result<PushResult> pushQuantities(const std::vector<QuantityUpdate>& updates) = 0;

  // Sends prices: one ItemResult per update (kApplied when the channel's answer shows the price;
  // channel_quantity is not used). Errors as for pushQuantities. A connector whose channel
  // prices are not done yet answers Error reject "not_supported".
  virtual common::Result<PushResult> pushPrices(const std::vector<PriceUpdate>& updates);

  // What the channel shows now for these SKUs (for read-back and nightly reconciliation).
  virtual common::Result<std::vector<ChannelLevel>> readQuantities(const std::vector<std::string>& skus) = 0;

  // One page of orders created or changed since cursor.updated_since.
  virtual common::Result<OrderPage> pollOrders(const OrderCursor& cursor) = 0;

  // Async channels (Amazon feeds): outcomes of items reported kAccepted earlier that are now final.
  virtual common::Result<std::vector<ItemResult>> collectAccepted() { return std::vector<ItemResult>{}; }
  // The same for prices a pushPrices() answered kAccepted with reported_later (Walmart's price feeds):
  // each result carries the submission_id it was accepted under.
  virtual common::Result<std::vector<ItemResult>> collectAcceptedPrices() { return std::vector<ItemResult>{}; }

  // Tells the channel these units shipped (Shopify fulfillmentCreate, Amazon confirmShipment,
  // eBay createShippingFulfillment, WooCommerce order note + status). Returns the channel's id
  // for the fulfilment where it gives one. Errors as for pushQuantities; kReject means the
  // channel refused this report for good (unknown line, more than was ordered): a person must look.
  virtual common::Result<std::string> reportFulfilment(const FulfilmentReport& report);

  // Cancels an order at the channel (Shopify orderCancel, WooCommerce status "cancelled").
  // Returns what the channel said (a job id, the new status). A channel whose API has no seller
  // cancel answers Error reject "not_supported": the order needs a person (Amazon, eBay).
  virtual common::Result<std::string> cancelOrder(const CancelRequest& request);

  // One page of what the channel paid out (settlement.h), each payout with all its lines
  // (Shopify Payments payouts and their balance transactions). Errors as for pushQuantities.
  // A connector whose channel's payouts are not read yet answers Error reject "not_supported".
  virtual common::Result<PayoutPage> fetchPayouts(const PayoutCursor& cursor);

  // Refunds units of an order at the channel (Walmart refundOrderLines). Returns the order as the
  // channel shows it afterwards, whose releases carry the channel's refund ids, for the caller to
  // take in as any delivery (so the refund is applied once, whichever delivery brings it). kReject
  // means the channel refused this refund (more than was shipped, an unknown line); a channel whose
  // API cannot refund answers Error reject "not_supported".
  virtual common::Result<NormalizedOrder> refundOrder(const RefundRequest& request);

  virtual RateState rateState() const = 0;
  // Milliseconds until an operation of this kind is expected not to be throttled (0 = now),
  // for a push of `items` updates.
  virtual int64_t msUntilReady(Operation op, size_t items = 1) const = 0;
};

}  // namespace sw::coordinator::channels
