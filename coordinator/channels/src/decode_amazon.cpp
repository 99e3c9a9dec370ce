// Amazon orders: Orders API v0 (getOrders, getOrder, getOrderItems; ItemPrice is the price of
// the whole line, so the unit price is ItemPrice / QuantityOrdered; Pending orders carry no
// prices), Orders API 2026-01-01 (searchOrders, getOrder; unitPrice is per unit), and the
// ORDER_CHANGE notification (bare, in an array, or inside an EventBridge envelope), and refunds
// from the Finances API v0 (listFinancialEvents / listFinancialEventsByOrderId:
// payload.FinancialEvents.RefundEventList[] ShipmentEvent {AmazonOrderId, PostedDate,
// ShipmentItemAdjustmentList[{SellerSKU, OrderItemId, OrderAdjustmentItemId, QuantityShipped}]}).
// A refund event says money went back, not that the item did: it releases the units' holds and
// never restocks (a returned item is counted back in where it arrives).

#include <map>
#include <utility>

#include "json_read.h"
#include "sw/coordinator/channels/order_decode.h"

namespace sw::coordinator::channels {

using common::Error;
using detail::arr;
using detail::get;
using detail::getPath;
using detail::idText;
using detail::kMaxLines;
using detail::str;
using detail::strPath;
using detail::wholeNumber;
using nlohmann::json;

namespace {

OrderStatus v0Status(const std::string& s) {
  if (s == "Pending" || s == "PendingAvailability") return OrderStatus::kPending;
  if (s == "Unshipped" || s == "InvoiceUnconfirmed") return OrderStatus::kOpen;
  if (s == "PartiallyShipped") return OrderStatus::kPartiallyFulfilled;
  if (s == "Shipped") return OrderStatus::kFulfilled;
  if (s == "Canceled" || s == "Cancelled") return OrderStatus::kCancelled;
  if (s == "Unfulfillable") return OrderStatus::kFailed;
  return OrderStatus::kUnknown;
}

OrderStatus newStatus(const std::string& s) {
  if (s == "PENDING" || s == "PENDING_AVAILABILITY") return OrderStatus::kPending;
  if (s == "UNSHIPPED") return OrderStatus::kOpen;
  if (s == "PARTIALLY_SHIPPED") return OrderStatus::kPartiallyFulfilled;
  if (s == "SHIPPED") return OrderStatus::kFulfilled;
  if (s == "CANCELLED") return OrderStatus::kCancelled;
  if (s == "UNFULFILLABLE") return OrderStatus::kFailed;
  return OrderStatus::kUnknown;
}

std::optional<Money> amazonMoney(const json* m, std::string_view amount_key, std::string_view currency_key) {
  if (!m) return std::nullopt;
  auto a = detail::money(get(*m, amount_key));
  if (!a) return std::nullopt;
  return Money{*a, str(*m, currency_key)};
}

bool truthy(const json* v) {
  if (!v) return false;
  if (v->is_boolean()) return v->get<bool>();
  if (v->is_string()) return v->get_ref<const std::string&>() == "true";
  return false;
}

// Merges orders from several responses by order id, keeping first-seen order.
class Merger {
 public:
  NormalizedOrder& at(const std::string& id) {
    auto it = index_.find(id);
    if (it != index_.end()) return orders_[it->second];
    index_[id] = orders_.size();
    NormalizedOrder o;
    o.channel = ChannelKind::kAmazon;
    o.order_id = id;
    o.lines_complete = false;
    orders_.push_back(std::move(o));
    return orders_.back();
  }
  std::vector<NormalizedOrder> take() { return std::move(orders_); }
  bool empty() const { return orders_.empty(); }

 private:
  std::map<std::string, size_t> index_;
  std::vector<NormalizedOrder> orders_;
};

// The buyer of an Orders v0 order. BuyerInfo and the address's name, lines and phone are
// restricted data: without a Restricted Data Token Amazon leaves them out (BuyerInfo absent or
// empty, ShippingAddress with only city, region, postal code and country). Then `restricted`.
CustomerContact v0Customer(const json& j, std::vector<std::string>* w) {
  CustomerContact c;
  const json* buyer = get(j, "BuyerInfo");
  const json* ship = get(j, "ShippingAddress");
  if (buyer) {
    c.email = detail::contactEmail(get(*buyer, "BuyerEmail"), w);
    c.name = detail::contactText(get(*buyer, "BuyerName"), 200, "name", w);
  }
  if (ship) {
    std::string recipient = detail::contactText(get(*ship, "Name"), 200, "name", w);
    if (c.name.empty()) c.name = recipient;
    c.phone = detail::contactText(get(*ship, "Phone"), 40, "phone", w);
  }
  c.ship_to = detail::postalAddress(
      ship, {{"CompanyName", "AddressLine1", "AddressLine2", "AddressLine3"}, "City", "StateOrRegion", "PostalCode", "CountryCode"}, w);
  c.restricted = c.email.empty() && c.name.empty() && c.ship_to.lines.empty();
  return c;
}

common::Status v0Order(const json& j, Merger* m) {
  std::string id = str(j, "AmazonOrderId");
  if (id.empty()) return Error::reject("missing_order_id", "an Amazon order has no AmazonOrderId");
  NormalizedOrder& o = m->at(id);
  o.channel_status = str(j, "OrderStatus");
  o.status = v0Status(o.channel_status);
  o.created_at = str(j, "PurchaseDate");
  o.updated_at = str(j, "LastUpdateDate");
  o.marketplace = str(j, "MarketplaceId");
  o.order_name = str(j, "SellerOrderId");
  if (auto t = amazonMoney(get(j, "OrderTotal"), "Amount", "CurrencyCode")) {
    o.total = t->amount;
    o.currency = t->currency;
  }
  o.ship_to_country = strPath(j, {"ShippingAddress", "CountryCode"});
  o.ship_to = detail::shipToPlace(get(j, "ShippingAddress"), "PostalCode", "City", "StateOrRegion", &o.warnings);
  o.customer = v0Customer(j, &o.warnings);
  if (o.status == OrderStatus::kPending) o.prices_pending = true;
  // In-store pickup: IsISPU; the store is named per item (OrderItem.StoreChainStoreId, from
  // getOrderItems) or by the supply source the order is to be filled from.
  if (truthy(get(j, "IsISPU"))) {
    o.pickup.requested = true;
    std::string source = strPath(j, {"FulfillmentInstruction", "FulfillmentSupplySourceId"});
    if (o.pickup.ref.empty() && !source.empty()) {
      o.pickup.ref = source;
      o.pickup.ref_field = "FulfillmentInstruction.FulfillmentSupplySourceId";
    }
  }
  return {};
}

common::Status v0Items(const json& payload, Merger* m) {
  std::string id = str(payload, "AmazonOrderId");
  if (id.empty()) return Error::reject("missing_order_id", "getOrderItems payload has no AmazonOrderId");
  const json* items = arr(payload, "OrderItems");
  if (!items) return Error::reject("bad_payload", "getOrderItems payload has no OrderItems array");
  if (items->size() > kMaxLines) return Error::reject("too_many_lines", "too many order items");
  NormalizedOrder& o = m->at(id);
  o.lines_complete = !get(payload, "NextToken");
  if (!o.lines_complete) o.warnings.push_back("more order items follow (NextToken): this is not the whole order");
  for (const json& it : *items) {
    if (!it.is_object()) return Error::reject("bad_line", "an order item is not an object");
    OrderLine l;
    l.line_id = str(it, "OrderItemId");
    auto qty = wholeNumber(get(it, "QuantityOrdered"));
    if (!qty || *qty < 0) return Error::reject("bad_quantity", "order item " + l.line_id + " has no whole QuantityOrdered");
    l.quantity = *qty;
    l.sku = str(it, "SellerSKU");
    l.title = str(it, "Title");
    std::string asin = str(it, "ASIN");
    if (!asin.empty()) l.channel_item_id = "asin:" + asin;
    if (l.sku.empty()) {
      l.sku_missing = true;
      o.warnings.push_back("order item " + l.line_id + " has no SellerSKU" + (asin.empty() ? "" : "; ASIN " + asin));
    }
    if (auto price = amazonMoney(get(it, "ItemPrice"), "Amount", "CurrencyCode")) {
      l.line_total = price;
      if (l.quantity > 0) {
        bool exact = true;
        l.unit_price = Money{detail::divide(price->amount, l.quantity, &exact), price->currency};
        if (!exact) o.warnings.push_back("order item " + l.line_id + ": unit price rounded from ItemPrice / QuantityOrdered");
      }
      if (o.currency.empty()) o.currency = price->currency;
    } else {
      o.prices_pending = true;
    }
    // ItemTax and PromotionDiscount are the whole item's (all QuantityOrdered units).
    for (auto [key, charge] : {std::pair{"ItemTax", &l.tax}, std::pair{"PromotionDiscount", &l.discount}}) {
      const json* given = get(it, key);
      if (!given) continue;
      auto money = amazonMoney(given, "Amount", "CurrencyCode");
      if (!money || !detail::addCharge(*charge, *money)) {
        o.warnings.push_back("order item " + l.line_id + ": " + key + " is not a readable amount");
      }
    }
    l.cancel_requested = truthy(getPath(it, {"BuyerRequestedCancel", "IsBuyerRequestedCancel"}));
    std::string store = str(it, "StoreChainStoreId");
    if (!store.empty() && o.pickup.ref_field != "OrderItems[].StoreChainStoreId") {
      o.pickup.ref = store;  // the store chain's store: preferred over a supply source id
      o.pickup.ref_field = "OrderItems[].StoreChainStoreId";
    }
    o.lines.push_back(std::move(l));
  }
  if (o.prices_pending) o.warnings.push_back("no prices yet (Amazon gives none while an order is Pending)");
  return {};
}

// The buyer of an Orders 2026-01-01 order: buyer (buyerName, buyerEmail) and
// recipient.deliveryAddress; restricted as in v0 when Amazon withholds them.
CustomerContact newCustomer(const json& j, std::vector<std::string>* w) {
  CustomerContact c;
  const json* buyer = get(j, "buyer");
  const json* ship = getPath(j, {"recipient", "deliveryAddress"});
  if (buyer) {
    c.email = detail::contactEmail(get(*buyer, "buyerEmail"), w);
    c.name = detail::contactText(get(*buyer, "buyerName"), 200, "name", w);
  }
  if (ship) {
    if (c.name.empty()) c.name = detail::contactText(get(*ship, "name"), 200, "name", w);
    c.phone = detail::contactText(get(*ship, "phone"), 40, "phone", w);
  }
  c.ship_to = detail::postalAddress(
      ship, {{"companyName", "addressLine1", "addressLine2", "addressLine3"}, "city", "stateOrRegion", "postalCode", "countryCode"}, w);
  c.restricted = c.email.empty() && c.name.empty() && c.ship_to.lines.empty();
  return c;
}

common::Status newOrder(const json& j, Merger* m) {
  if (!j.is_object()) return Error::reject("bad_order", "an order is not an object");
  std::string id = str(j, "orderId");
  if (id.empty()) return Error::reject("missing_order_id", "an Amazon order has no orderId");
  NormalizedOrder& o = m->at(id);
  o.created_at = str(j, "createdTime");
  o.updated_at = str(j, "lastUpdatedTime");
  o.marketplace = strPath(j, {"salesChannel", "marketplaceId"});
  o.channel_status = strPath(j, {"fulfillment", "fulfillmentStatus"});
  o.status = newStatus(o.channel_status);
  if (auto t = amazonMoney(getPath(j, {"proceeds", "grandTotal"}), "amount", "currencyCode")) {
    o.total = t->amount;
    o.currency = t->currency;
  }
  o.ship_to_country = strPath(j, {"recipient", "deliveryAddress", "countryCode"});
  o.ship_to = detail::shipToPlace(getPath(j, {"recipient", "deliveryAddress"}), "postalCode", "city", "stateOrRegion",
                                  &o.warnings);
  o.customer = newCustomer(j, &o.warnings);
  if (const json* programs = arr(j, "programs")) {
    for (const json& p : *programs) {
      // The 2026-01-01 order names no store for IN_STORE_PICK_UP: resolvePickup warns about it.
      if (p.is_string() && p.get<std::string>() == "IN_STORE_PICK_UP") o.pickup.requested = true;
    }
  }
  if (const json* aliases = arr(j, "orderAliases")) {
    for (const json& a : *aliases) {
      if (str(a, "aliasType") == "SELLER_ORDER_ID") o.order_name = str(a, "aliasId");
    }
  }
  const json* items = arr(j, "orderItems");
  if (!items) {
    o.warnings.push_back("the order has no orderItems");
    return {};
  }
  if (items->size() > kMaxLines) return Error::reject("too_many_lines", "too many order items");
  o.lines_complete = true;
  for (const json& it : *items) {
    if (!it.is_object()) return Error::reject("bad_line", "an order item is not an object");
    OrderLine l;
    l.line_id = str(it, "orderItemId");
    auto qty = wholeNumber(get(it, "quantityOrdered"));
    if (!qty || *qty < 0) return Error::reject("bad_quantity", "order item " + l.line_id + " has no whole quantityOrdered");
    l.quantity = *qty;
    l.sku = strPath(it, {"product", "sellerSku"});
    l.title = strPath(it, {"product", "title"});
    std::string asin = strPath(it, {"product", "asin"});
    if (!asin.empty()) l.channel_item_id = "asin:" + asin;
    if (l.sku.empty()) {
      l.sku_missing = true;
      o.warnings.push_back("order item " + l.line_id + " has no sellerSku" + (asin.empty() ? "" : "; ASIN " + asin));
    }
    l.unit_price = amazonMoney(getPath(it, {"product", "price", "unitPrice"}), "amount", "currencyCode");
    if (!l.unit_price) o.prices_pending = true;
    if (l.unit_price && o.currency.empty()) o.currency = l.unit_price->currency;
    int64_t fulfilled = wholeNumber(getPath(it, {"fulfillment", "quantityFulfilled"})).value_or(0);
    const json* cancel = get(it, "cancellation");
    bool executed = cancel && get(*cancel, "cancellationExecution");
    l.cancel_requested = cancel && get(*cancel, "cancellationRequest") && !executed;
    if ((executed || o.status == OrderStatus::kCancelled) && l.quantity - fulfilled > 0) {
      o.releases.push_back({l.line_id, l.sku, l.quantity - fulfilled, "cancelled", false});
    }
    o.lines.push_back(std::move(l));
  }
  if (o.prices_pending) o.warnings.push_back("some order items carry no price yet");
  return {};
}

common::Status orderChange(const json& n, Merger* m) {
  const json* change = getPath(n, {"Payload", "OrderChangeNotification"});
  if (!change) return Error::reject("bad_notification", "notification has no Payload.OrderChangeNotification");
  std::string id = str(*change, "AmazonOrderId");
  if (id.empty()) return Error::reject("missing_order_id", "ORDER_CHANGE without AmazonOrderId");
  NormalizedOrder& o = m->at(id);
  o.event = "order_change";
  o.delivery_id = strPath(n, {"NotificationMetadata", "NotificationId"});
  o.updated_at = strPath(*change, {"OrderChangeTrigger", "TimeOfOrderChange"});
  if (o.updated_at.empty()) o.updated_at = str(n, "EventTime");
  const json* summary = get(*change, "Summary");
  if (!summary) {
    o.warnings.push_back("ORDER_CHANGE without Summary: fetch the order with getOrder");
    return {};
  }
  o.channel_status = str(*summary, "OrderStatus");
  o.status = v0Status(o.channel_status);
  o.created_at = str(*summary, "PurchaseDate");
  o.marketplace = str(*summary, "MarketplaceId");
  std::string reason = strPath(*change, {"OrderChangeTrigger", "ChangeReason"});
  std::string type = str(*change, "OrderChangeType");
  if (!type.empty()) o.warnings.push_back("change: " + type + (reason.empty() ? "" : " (" + reason + ")"));
  const json* items = arr(*summary, "OrderItems");
  if (items && items->size() > kMaxLines) return Error::reject("too_many_lines", "too many order items");
  o.lines_complete = items != nullptr;
  if (items) {
    for (const json& it : *items) {
      if (!it.is_object()) return Error::reject("bad_line", "an order item is not an object");
      OrderLine l;
      l.line_id = str(it, "OrderItemId");
      auto qty = wholeNumber(get(it, "Quantity"));
      if (!qty || *qty < 0) return Error::reject("bad_quantity", "order item " + l.line_id + " has no whole Quantity");
      l.quantity = *qty;
      l.sku = str(it, "SellerSKU");
      if (l.sku.empty()) {
        l.sku_missing = true;
        o.warnings.push_back("order item " + l.line_id + " has no SellerSKU");
      }
      l.cancel_requested = truthy(get(it, "IsBuyerRequestedCancel"));
      int64_t shipped = wholeNumber(get(it, "QuantityShipped")).value_or(0);
      if (o.status == OrderStatus::kCancelled && l.quantity - shipped > 0) {
        o.releases.push_back({l.line_id, l.sku, l.quantity - shipped, "cancelled", false});
      }
      o.lines.push_back(std::move(l));
    }
  }
  o.warnings.push_back("notifications carry no prices: fetch getOrderItems for them");
  return {};
}

common::Status channelErrors(const json& j) {
  const json* errs = arr(j, "errors");
  if (!errs || errs->empty()) return {};
  const json& e = errs->at(0);
  return Error::reject("channel_error", "Amazon answered with an error: " + str(e, "code") + ": " + str(e, "message"));
}

// The refunds of a Finances API FinancialEvents object: one "refund" event per order, each item
// adjustment a release under its OrderAdjustmentItemId (PostedDate/OrderItemId when absent, the
// same on every read), so a refund read again by a later poll is applied once.
common::Status financialRefunds(const json& events, Merger* m) {
  if (!events.is_object()) return Error::reject("bad_payload", "FinancialEvents is not an object");
  const json* list = get(events, "RefundEventList");
  if (!list || list->is_null()) return {};
  if (!list->is_array()) return Error::reject("bad_payload", "RefundEventList is not an array");
  for (const json& e : *list) {
    if (!e.is_object()) return Error::reject("bad_refund", "a refund event is not an object");
    std::string id = str(e, "AmazonOrderId");
    if (id.empty()) return Error::reject("missing_order_id", "a refund event has no AmazonOrderId");
    const json* items = get(e, "ShipmentItemAdjustmentList");
    if (items && !items->is_null() && !items->is_array()) {
      return Error::reject("bad_refund", "refund of " + id + ": ShipmentItemAdjustmentList is not an array");
    }
    if (items && items->is_array() && items->size() > kMaxLines) return Error::reject("too_many_lines", "refund of " + id + " has too many items");
    NormalizedOrder& o = m->at(id);
    if (o.channel_status.empty()) o.event = "refund";
    std::string posted = str(e, "PostedDate");
    if (o.updated_at.empty()) o.updated_at = posted;
    if (!items || !items->is_array() || items->empty()) {
      o.warnings.push_back("a refund of " + id + " posted " + posted + " names no items: nothing released");
      continue;
    }
    for (const json& it : *items) {
      if (!it.is_object()) return Error::reject("bad_refund", "refund of " + id + ": an item adjustment is not an object");
      auto qty = wholeNumber(get(it, "QuantityShipped"));
      if (!qty || *qty < 0) return Error::reject("bad_refund", "refund of " + id + ": an item without a whole QuantityShipped");
      Release r;
      r.line_id = str(it, "OrderItemId");
      r.sku = str(it, "SellerSKU");
      r.quantity = *qty;
      r.reason = "refunded";
      r.refund_id = str(it, "OrderAdjustmentItemId");
      if (r.line_id.empty()) {
        o.warnings.push_back("a refund item of " + id + " has no OrderItemId: nothing released");
        continue;
      }
      if (r.refund_id.empty()) {
        if (posted.empty()) {
          o.warnings.push_back("refund item " + r.line_id + " of " + id + " has neither OrderAdjustmentItemId nor PostedDate");
          continue;
        }
        r.refund_id = posted + "/" + r.line_id;
      }
      if (r.quantity == 0) {
        o.warnings.push_back("refund " + r.refund_id + " of " + id + " is money only (QuantityShipped 0)");
        continue;
      }
      o.releases.push_back(std::move(r));
    }
  }
  return {};
}

common::Status one(const json& j, Merger* m) {
  if (!j.is_object()) return Error::reject("bad_payload", "expected a JSON object, got " + std::string(j.type_name()));
  if (const json* detail = get(j, "detail"); detail && detail->is_object() && j.contains("detail-type")) {
    return one(*detail, m);
  }
  // An SNS envelope (SQS subscribed to SNS): the notification is a JSON string in "Message".
  if (const json* message = get(j, "Message"); message && message->is_string() && j.contains("Type")) {
    json inner = json::parse(message->get_ref<const std::string&>(), nullptr, false);
    if (inner.is_discarded()) return Error::reject("bad_json", "the SNS Message is not JSON");
    return one(inner, m);
  }
  if (j.contains("NotificationType") || getPath(j, {"Payload", "OrderChangeNotification"})) {
    std::string type = str(j, "NotificationType");
    if (!type.empty() && type != "ORDER_CHANGE") {
      return Error::reject("unsupported_notification", "notification type " + type + " carries no order");
    }
    return orderChange(j, m);
  }
  if (const json* payload = get(j, "payload")) {
    if (!payload->is_object()) return Error::reject("bad_payload", "payload is not an object");
    bool any = false;
    if (const json* fe = get(*payload, "FinancialEvents")) {
      if (auto s = financialRefunds(*fe, m); !s) return s;
      any = true;
    }
    if (const json* orders = get(*payload, "Orders")) {
      if (!orders->is_array()) return Error::reject("bad_payload", "payload.Orders is not an array");
      for (const json& o : *orders) {
        if (!o.is_object()) return Error::reject("bad_order", "an order is not an object");
        if (auto s = v0Order(o, m); !s) return s;
      }
      any = true;
    }
    if (payload->contains("OrderStatus")) {
      if (auto s = v0Order(*payload, m); !s) return s;
      any = true;
    }
    if (payload->contains("OrderItems")) {
      if (auto s = v0Items(*payload, m); !s) return s;
      any = true;
    }
    if (!any) return Error::reject("bad_payload", "payload is neither getOrders, getOrder, getOrderItems nor listFinancialEvents");
    return {};
  }
  if (const json* orders = get(j, "orders")) {
    if (!orders->is_array()) return Error::reject("bad_payload", "orders is not an array");
    for (const json& o : *orders) {
      if (auto s = newOrder(o, m); !s) return s;
    }
    return {};
  }
  if (const json* order = get(j, "order")) return newOrder(*order, m);
  if (j.contains("AmazonOrderId") && j.contains("OrderStatus")) return v0Order(j, m);
  if (j.contains("AmazonOrderId") && j.contains("OrderItems")) return v0Items(j, m);
  if (j.contains("orderId") && j.contains("orderItems")) return newOrder(j, m);
  if (auto s = channelErrors(j); !s) return s;
  return Error::reject("not_an_order", "not an Amazon order payload (expected payload, orders, order or an ORDER_CHANGE notification)");
}

}  // namespace

common::Result<std::vector<NormalizedOrder>> decodeAmazon(const json& j) {
  Merger m;
  if (j.is_array()) {
    for (const json& e : j) {
      if (auto s = one(e, &m); !s) return s.error();
    }
  } else if (auto s = one(j, &m); !s) {
    return s.error();
  }
  if (m.empty()) return Error::reject("no_orders", "the payload holds no orders");
  auto out = m.take();
  for (NormalizedOrder& o : out) {
    if (o.status == OrderStatus::kCancelled && o.releases.empty()) {
      for (const OrderLine& l : o.lines) {
        if (l.quantity > 0) o.releases.push_back({l.line_id, l.sku, l.quantity, "cancelled", false});
      }
    }
    if (!o.lines_complete && o.lines.empty() && o.event == "order") {
      o.warnings.push_back("no order items in this payload: fetch getOrderItems for " + o.order_id);
    }
  }
  return out;
}

}  // namespace sw::coordinator::channels
