// eBay orders from the Fulfillment API: getOrders ({"orders":[...]}, paged) and getOrder (one
// Order). lineItemCost is the line's price before discounts (unit price x quantity); sku is
// optional (listings made outside the Inventory API have none: matched by legacyItemId).
// Line refunds (lineItems[].refunds[], issued with issue_refund) are releases under their refundId.

#include <algorithm>
#include <map>
#include <set>
#include <tuple>

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

std::optional<Money> ebayMoney(const json* m) {
  if (!m) return std::nullopt;
  auto a = detail::money(get(*m, "value"));
  if (!a) return std::nullopt;
  return Money{*a, str(*m, "currency")};
}

std::optional<Money> ebayConvertedFrom(const json* m) {
  if (!m) return std::nullopt;
  auto a = detail::money(get(*m, "convertedFromValue"));
  std::string cur = str(*m, "convertedFromCurrency");
  if (!a || cur.empty()) return std::nullopt;
  return Money{*a, cur};
}

// Country of an eBay Address: countryCode in current versions, country in v1.11.
std::string countryOf(const json* address) {
  if (!address) return "";
  std::string c = str(*address, "countryCode");
  return c.empty() ? str(*address, "country") : c;
}

// One lineItems[].refunds[] entry (LineItemRefund: amount, refundDate, refundId) -> a release.
// eBay gives money, not units: the units are the whole units the amount pays for at the line's
// unit price (lineItemCost / quantity), at most the line's quantity; less than one unit's worth
// is a money-only refund (price adjustment) and releases nothing. eBay's refund never says the
// item came back (returns are the Post-Order API's), so it is never a restock.
common::Status lineRefund(const json& r, const OrderLine& l, const std::set<std::string>& failed, std::vector<Release>* out,
                          std::map<std::string, int64_t>* per_line, std::vector<std::string>* warnings) {
  std::string id = str(r, "refundId");
  auto amount = ebayMoney(get(r, "amount"));
  std::string what = amount ? amount->amount.toString() + " " + amount->currency : std::string("(no amount)");
  if (id.empty()) {
    warnings->push_back("line item " + l.line_id + " refunded " + what + " without a refundId: nothing released");
    return {};
  }
  if (failed.count(id)) {
    warnings->push_back("refund " + id + " of line item " + l.line_id + " FAILED at eBay: nothing released");
    return {};
  }
  if (!amount || amount->amount.scaled() < 0) return Error::reject("bad_refund", "refund " + id + " has no non-negative amount");
  if (!l.unit_price || l.unit_price->amount.scaled() <= 0 || l.quantity <= 0) {
    warnings->push_back("refund " + id + " of line item " + l.line_id + ": the line has no price, so no units are known");
    return {};
  }
  int64_t done = per_line->count(l.line_id) ? (*per_line)[l.line_id] : 0;
  int64_t units = amount->amount.scaled() / l.unit_price->amount.scaled();
  // A refund of the whole line cost is every unit, whatever rounding the unit price had.
  if (l.line_total && amount->amount >= l.line_total->amount) units = l.quantity;
  units = std::min(units, l.quantity - done);
  if (units <= 0) {
    warnings->push_back("refund " + id + " of line item " + l.line_id + " (" + what + ") is less than a unit: money only");
    return {};
  }
  Release rel;
  rel.line_id = l.line_id;
  rel.sku = l.sku;
  rel.quantity = units;
  rel.reason = "refunded";
  rel.refund_id = id;
  (*per_line)[l.line_id] = done + units;
  out->push_back(std::move(rel));
  return {};
}

// The buyer: buyer.username (the buyer id), the ship-to contact of the first fulfilment
// instruction (fullName, email, primaryPhone, contactAddress), and buyerRegistrationAddress where
// the ship-to has no name or email.
CustomerContact ebayCustomer(const json& j, std::vector<std::string>* w) {
  CustomerContact c;
  c.buyer_id = detail::contactText(getPath(j, {"buyer", "username"}), 64, "buyer id", w);
  const json* ship = nullptr;
  if (const json* fsi = arr(j, "fulfillmentStartInstructions"); fsi && !fsi->empty()) {
    ship = getPath(fsi->at(0), {"shippingStep", "shipTo"});
  }
  const json* reg = getPath(j, {"buyer", "buyerRegistrationAddress"});
  for (const json* contact : {ship, reg}) {
    if (!contact) continue;
    if (c.name.empty()) c.name = detail::contactText(get(*contact, "fullName"), 200, "name", w);
    if (c.email.empty()) c.email = detail::contactEmail(get(*contact, "email"), w);
    if (c.phone.empty()) c.phone = detail::contactText(getPath(*contact, {"primaryPhone", "phoneNumber"}), 40, "phone", w);
  }
  const json* address = ship ? get(*ship, "contactAddress") : nullptr;
  c.ship_to = detail::postalAddress(address, {{"addressLine1", "addressLine2"}, "city", "stateOrProvince", "postalCode", "countryCode"}, w);
  if (c.ship_to.country.empty()) c.ship_to.country = countryOf(address);
  return c;
}

common::Result<NormalizedOrder> ebayOrder(const json& j) {
  if (!j.is_object()) return Error::reject("bad_order", "an eBay order is not an object");
  NormalizedOrder o;
  o.channel = ChannelKind::kEbay;
  o.order_id = str(j, "orderId");
  if (o.order_id.empty()) return Error::reject("missing_order_id", "an eBay order has no orderId");
  o.order_name = str(j, "legacyOrderId");
  o.created_at = str(j, "creationDate");
  o.updated_at = str(j, "lastModifiedDate");
  std::string fulfil = str(j, "orderFulfillmentStatus");
  std::string pay = str(j, "orderPaymentStatus");
  std::string cancel = strPath(j, {"cancelStatus", "cancelState"});
  o.channel_status = (fulfil.empty() ? "-" : fulfil) + "/" + (pay.empty() ? "-" : pay) +
                     (cancel.empty() ? "" : "/" + cancel);
  if (cancel == "CANCELED" || cancel == "CANCELLED") {
    o.status = OrderStatus::kCancelled;
  } else if (pay == "FULLY_REFUNDED") {
    o.status = OrderStatus::kRefunded;
  } else if (pay == "FAILED") {
    o.status = OrderStatus::kFailed;
  } else if (fulfil == "FULFILLED") {
    o.status = OrderStatus::kFulfilled;
  } else if (fulfil == "IN_PROGRESS") {
    o.status = OrderStatus::kPartiallyFulfilled;
  } else if (pay == "PENDING") {
    o.status = OrderStatus::kPending;
  } else if (fulfil == "NOT_STARTED") {
    o.status = OrderStatus::kOpen;
  }
  if (auto t = ebayMoney(getPath(j, {"pricingSummary", "total"}))) {
    o.total = t->amount;
    o.currency = t->currency;
  }
  if (const json* fsi = arr(j, "fulfillmentStartInstructions"); fsi && !fsi->empty()) {
    const json& first = fsi->at(0);
    const json* ship_to = getPath(first, {"shippingStep", "shipTo", "contactAddress"});
    o.ship_to_country = countryOf(ship_to);
    if (o.ship_to_country.empty()) {
      ship_to = get(first, "finalDestinationAddress");
      o.ship_to_country = countryOf(ship_to);
    }
    o.ship_to = detail::shipToPlace(ship_to, "postalCode", "city", "stateOrProvince", &o.warnings);
    // In-store pickup: the instruction names the merchant's store by its inventory location key.
    for (const json& fi : *fsi) {
      std::string type = str(fi, "fulfillmentInstructionsType");
      if (type != "PICKUP" && type != "PREPARE_FOR_PICKUP") continue;
      o.pickup.requested = true;
      std::string key = strPath(fi, {"pickupStep", "merchantLocationKey"});
      if (!key.empty()) {
        o.pickup.ref = key;
        o.pickup.ref_field = "fulfillmentStartInstructions[].pickupStep.merchantLocationKey";
        break;
      }
    }
  }
  o.customer_country = countryOf(getPath(j, {"buyer", "buyerRegistrationAddress", "contactAddress"}));
  if (o.customer_country.empty()) o.customer_country = countryOf(getPath(j, {"buyer", "taxAddress"}));
  o.customer = ebayCustomer(j, &o.warnings);
  if (cancel == "IN_PROGRESS") o.warnings.push_back("the buyer or seller has asked to cancel this order");

  // Refunds eBay reports FAILED (paymentSummary.refunds[].refundStatus) gave nothing back.
  std::set<std::string> failed;
  if (const json* prs = getPath(j, {"paymentSummary", "refunds"}); prs && prs->is_array()) {
    for (const json& r : *prs) {
      if (str(r, "refundStatus") == "FAILED" && !str(r, "refundId").empty()) failed.insert(str(r, "refundId"));
    }
  }
  std::map<std::string, int64_t> refunded;  // line item id -> units refunded by line refunds
  const json* items = get(j, "lineItems");
  if (!items) {
    o.lines_complete = false;
    o.warnings.push_back("the order has no lineItems");
  } else if (!items->is_array()) {
    return Error::reject("bad_line_items", "lineItems is not an array");
  } else if (items->size() > kMaxLines) {
    return Error::reject("too_many_lines", "too many line items");
  } else {
    for (const json& li : *items) {
      if (!li.is_object()) return Error::reject("bad_line", "a line item is not an object");
      OrderLine l;
      l.line_id = str(li, "lineItemId");
      auto qty = wholeNumber(get(li, "quantity"));
      if (!qty || *qty < 0) return Error::reject("bad_quantity", "line item " + l.line_id + " has no whole quantity");
      l.quantity = *qty;
      l.sku = str(li, "sku");
      l.title = str(li, "title");
      std::string item = str(li, "legacyItemId");
      std::string variation = str(li, "legacyVariationId");
      if (!item.empty()) l.channel_item_id = "item:" + item + (variation.empty() ? "" : "/" + variation);
      if (l.sku.empty()) {
        l.sku_missing = true;
        o.warnings.push_back("line item " + l.line_id + " has no sku" + (item.empty() ? "" : "; listing " + item));
      }
      const json* cost = get(li, "lineItemCost");
      if (auto total = ebayMoney(cost)) {
        l.line_total = total;
        if (l.quantity > 0) {
          bool exact = true;
          l.unit_price = Money{detail::divide(total->amount, l.quantity, &exact), total->currency};
          if (!exact) o.warnings.push_back("line item " + l.line_id + ": unit price rounded from lineItemCost / quantity");
        }
        if (auto from = ebayConvertedFrom(cost); from && l.quantity > 0) {
          bool exact = true;
          l.presentment_unit_price = Money{detail::divide(from->amount, l.quantity, &exact), from->currency};
        }
      } else {
        o.warnings.push_back("line item " + l.line_id + " has no lineItemCost");
      }
      // The line's taxes[].amount and appliedPromotions[].discountAmount (both always returned,
      // empty when none), in the seller's currency (`value`).
      for (auto [list, key, charge] : {std::tuple{"taxes", "amount", &l.tax},
                                       std::tuple{"appliedPromotions", "discountAmount", &l.discount}}) {
        const json* parts = arr(li, list);
        if (!parts) continue;
        bool readable = true;
        for (const json& p : *parts) {
          auto m = p.is_object() ? ebayMoney(get(p, key)) : std::nullopt;
          readable = readable && m && detail::addCharge(*charge, *m);
        }
        if (!readable) {
          charge->reset();
          o.warnings.push_back("line item " + l.line_id + ": " + list + " holds an amount that cannot be read");
        } else if (!*charge && l.line_total) {
          *charge = Money{common::Decimal(), l.line_total->currency};
        }
      }
      if (const json* refunds = get(li, "refunds"); refunds && !refunds->is_null()) {
        if (!refunds->is_array()) return Error::reject("bad_refunds", "line item " + l.line_id + ": refunds is not an array");
        for (const json& r : *refunds) {
          if (!r.is_object()) return Error::reject("bad_refund", "line item " + l.line_id + " has a refund that is not an object");
          if (auto s = lineRefund(r, l, failed, &o.releases, &refunded, &o.warnings); !s) return s.error();
        }
      }
      o.lines.push_back(std::move(l));
    }
  }
  if (o.status == OrderStatus::kCancelled || o.status == OrderStatus::kRefunded) {
    // Whatever the line refunds did not already give back goes back now.
    std::string reason = o.status == OrderStatus::kCancelled ? "cancelled" : "refunded";
    for (const OrderLine& l : o.lines) {
      int64_t rest = l.quantity - (refunded.count(l.line_id) ? refunded[l.line_id] : 0);
      if (rest > 0) o.releases.push_back({l.line_id, l.sku, rest, reason, false});
    }
  }
  return o;
}

}  // namespace

common::Result<std::vector<NormalizedOrder>> decodeEbay(const json& j) {
  std::vector<NormalizedOrder> out;
  if (j.is_array()) {
    for (const json& e : j) {
      auto o = ebayOrder(e);
      if (!o) return o.error();
      out.push_back(std::move(*o));
    }
  } else if (!j.is_object()) {
    return Error::reject("bad_payload", "an eBay payload is a JSON object, got " + std::string(j.type_name()));
  } else if (const json* orders = get(j, "orders")) {
    if (!orders->is_array()) return Error::reject("bad_payload", "orders is not an array");
    for (const json& e : *orders) {
      auto o = ebayOrder(e);
      if (!o) return o.error();
      out.push_back(std::move(*o));
    }
    if (out.empty()) return Error::reject("no_orders", "getOrders returned no orders (total " +
                                                           idText(get(j, "total")).value_or("?") + ")");
  } else if (j.contains("orderId")) {
    auto o = ebayOrder(j);
    if (!o) return o.error();
    out.push_back(std::move(*o));
  } else if (const json* errs = arr(j, "errors"); errs && !errs->empty()) {
    const json& e = errs->at(0);
    return Error::reject("channel_error", "eBay answered with error " + idText(get(e, "errorId")).value_or("?") + ": " +
                                              str(e, "message"));
  } else {
    return Error::reject("not_an_order", "not an eBay order payload (expected orderId or orders)");
  }
  if (out.empty()) return Error::reject("no_orders", "the payload holds no orders");
  return out;
}

}  // namespace sw::coordinator::channels
