// Shopify orders: the REST Order JSON that the orders/* webhooks deliver, the refunds/create
// body, and GraphQL Order nodes from polling. Ids are uint64 in JSON (they exceed 2^53):
// nlohmann keeps them as integers, and they are printed from there, never through a double.

#include <algorithm>
#include <cctype>
#include <map>

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

std::string shortText(const json& j) {
  std::string s = j.dump();
  return s.size() > 60 ? s.substr(0, 60) + "..." : s;
}

// "gid://shopify/Order/123?x" -> "123"
std::string gidTail(const std::string& gid) {
  std::string s = gid;
  if (auto q = s.find('?'); q != std::string::npos) s.resize(q);
  auto slash = s.rfind('/');
  return slash == std::string::npos ? s : s.substr(slash + 1);
}

std::optional<Money> moneyOf(const json* m, std::string_view amount_key, std::string_view currency_key) {
  if (!m) return std::nullopt;
  auto amount = detail::money(get(*m, amount_key));
  std::string cur = str(*m, currency_key);
  if (!amount) return std::nullopt;
  return Money{*amount, cur};
}

// A REST amount in shop money: `<key>_set.shop_money`, else `<key>` in the order's currency.
std::optional<Money> shopAmount(const json& j, const std::string& key, const std::string& currency) {
  if (auto m = moneyOf(getPath(j, {key + "_set", "shop_money"}), "amount", "currency_code")) {
    if (m->currency.empty()) m->currency = currency;
    return m;
  }
  if (auto a = detail::money(get(j, key))) return Money{*a, currency};
  return std::nullopt;
}

// A line's tax (its tax_lines) and discounts (its discount_allocations, else total_discount).
void readLineCharges(const json& li, const std::string& currency, OrderLine& l, std::vector<std::string>& warnings) {
  auto sum = [&](const char* list, const char* key, std::optional<Money>& out, const char* what) {
    const json* parts = arr(li, list);
    if (!parts) return false;
    for (const json& p : *parts) {
      auto m = p.is_object() ? shopAmount(p, key, currency) : std::nullopt;
      if (!m || !detail::addCharge(out, *m)) {
        warnings.push_back("line " + l.line_id + ": a " + what + " without a readable amount; the line's " + what +
                           " is not known");
        out.reset();
        return true;
      }
    }
    if (!out) out = Money{common::Decimal(), currency};  // an empty list: none
    return true;
  };
  sum("tax_lines", "price", l.tax, "tax");
  if (!sum("discount_allocations", "amount", l.discount, "discount")) {
    if (auto d = shopAmount(li, "total_discount", currency); d && d->amount.scaled() >= 0) l.discount = d;
  }
}

OrderStatus restStatus(const json& j, std::string* raw) {
  std::string fin = str(j, "financial_status");
  std::string ful = str(j, "fulfillment_status");
  *raw = (fin.empty() ? "-" : fin) + "/" + (ful.empty() ? "unfulfilled" : ful);
  if (get(j, "cancelled_at")) return OrderStatus::kCancelled;
  if (fin == "refunded") return OrderStatus::kRefunded;
  if (fin == "voided") return OrderStatus::kCancelled;
  if (ful == "fulfilled") return OrderStatus::kFulfilled;
  if (ful == "partial") return OrderStatus::kPartiallyFulfilled;
  if (fin == "pending") return OrderStatus::kPending;
  if (fin == "paid" || fin == "authorized" || fin == "partially_paid" || fin == "partially_refunded" || fin.empty()) {
    return OrderStatus::kOpen;
  }
  return OrderStatus::kUnknown;
}

// restock_type: "return" (units came back and were restocked), "cancel" (not yet fulfilled,
// back to available), "legacy_restock"; "no_restock" or none: the units do not go back.
bool restockFor(const std::string& restock_type) {
  return restock_type == "return" || restock_type == "cancel" || restock_type == "legacy_restock";
}

// refund_line_items of one refund -> releases; counts refunded units per line id.
common::Status refundReleases(const json& refund, std::vector<Release>* out, std::map<std::string, int64_t>* per_line,
                              std::vector<std::string>* warnings) {
  const json* items = arr(refund, "refund_line_items");
  if (!items) return {};
  std::string refund_id = idText(get(refund, "id")).value_or("");
  // API versions before restock_type (2017-ish) had one `restock` flag for the whole refund; a
  // line with its own restock_type follows that instead.
  const json* legacy = get(refund, "restock");
  bool legacy_restock = legacy && legacy->is_boolean() && legacy->get<bool>();
  for (const json& ri : *items) {
    if (!ri.is_object()) return Error::reject("bad_refund", "refund_line_items has a non-object entry");
    auto qty = wholeNumber(get(ri, "quantity"));
    if (!qty || *qty < 0) return Error::reject("bad_refund", "refund line without a whole quantity: " + shortText(ri));
    Release r;
    r.line_id = idText(get(ri, "line_item_id")).value_or("");
    const json* li = get(ri, "line_item");
    if (li) r.sku = str(*li, "sku");
    std::string type = str(ri, "restock_type");
    r.restock = type.empty() ? legacy_restock : restockFor(type);
    r.reason = type == "cancel" ? "cancelled" : (type == "return" || (type.empty() && r.restock) ? "returned" : "refunded");
    r.quantity = *qty;
    r.refund_id = refund_id;
    r.location_ref = idText(get(ri, "location_id")).value_or("");
    if (r.sku.empty()) warnings->push_back("refunded line " + r.line_id + " has no SKU");
    if (!r.line_id.empty()) (*per_line)[r.line_id] += *qty;
    if (r.quantity > 0) out->push_back(std::move(r));
  }
  return {};
}

// The buyer of a REST order (webhook): the shipping address's name and phone first, then the
// order's and the customer record's.
CustomerContact restCustomer(const json& j, std::vector<std::string>* w) {
  CustomerContact c;
  const json* ship = get(j, "shipping_address");
  const json* customer = get(j, "customer");
  if (customer) c.buyer_id = idText(get(*customer, "id")).value_or("");
  for (const json* e : {get(j, "contact_email"), get(j, "email"), customer ? get(*customer, "email") : nullptr}) {
    if (c.email.empty()) c.email = detail::contactEmail(e, w);
  }
  if (ship) c.name = detail::contactText(get(*ship, "name"), 200, "name", w);
  if (c.name.empty()) c.name = detail::fullName(ship, "first_name", "last_name", w);
  if (c.name.empty()) c.name = detail::fullName(customer, "first_name", "last_name", w);
  for (const json* p : {ship ? get(*ship, "phone") : nullptr, get(j, "phone"), customer ? get(*customer, "phone") : nullptr}) {
    if (c.phone.empty()) c.phone = detail::contactText(p, 40, "phone", w);
  }
  c.ship_to = detail::postalAddress(ship, {{"company", "address1", "address2"}, "city", "province_code", "zip", "country_code"}, w);
  if (ship && c.ship_to.region.empty()) c.ship_to.region = detail::contactText(get(*ship, "province"), 64, "region", w);
  return c;
}

// The buyer of a GraphQL order node (polling): shippingAddress, email, phone, customer.
CustomerContact graphqlCustomer(const json& n, std::vector<std::string>* w) {
  CustomerContact c;
  const json* ship = get(n, "shippingAddress");
  const json* customer = get(n, "customer");
  if (customer) c.buyer_id = gidTail(str(*customer, "id"));
  c.email = detail::contactEmail(get(n, "email"), w);
  if (c.email.empty() && customer) c.email = detail::contactEmail(get(*customer, "email"), w);
  if (ship) c.name = detail::contactText(get(*ship, "name"), 200, "name", w);
  if (c.name.empty() && customer) c.name = detail::contactText(get(*customer, "displayName"), 200, "name", w);
  if (ship) c.phone = detail::contactText(get(*ship, "phone"), 40, "phone", w);
  if (c.phone.empty()) c.phone = detail::contactText(get(n, "phone"), 40, "phone", w);
  c.ship_to = detail::postalAddress(ship, {{"company", "address1", "address2"}, "city", "provinceCode", "zip", "countryCodeV2"}, w);
  return c;
}

common::Result<NormalizedOrder> restOrder(const json& j) {
  NormalizedOrder o;
  o.channel = ChannelKind::kShopify;
  auto id = idText(get(j, "id"));
  if (!id) {
    std::string gid = str(j, "admin_graphql_api_id");
    if (!gid.empty()) id = gidTail(gid);
  }
  if (!id) return Error::reject("missing_order_id", "Shopify order has no id (expected a number such as 820982911946154508)");
  o.order_id = *id;
  o.order_name = str(j, "name");
  if (o.order_name.empty()) {
    if (auto n = idText(get(j, "order_number"))) o.order_name = *n;
  }
  o.created_at = str(j, "created_at");
  o.updated_at = str(j, "updated_at");
  o.currency = str(j, "currency");
  o.total = detail::money(get(j, "total_price"));
  if (!o.total) {
    if (auto m = moneyOf(getPath(j, {"total_price_set", "shop_money"}), "amount", "currency_code")) o.total = m->amount;
  }
  o.status = restStatus(j, &o.channel_status);
  o.ship_to_country = strPath(j, {"shipping_address", "country_code"});
  o.ship_to = detail::shipToPlace(get(j, "shipping_address"), "zip", "city", "province_code", &o.warnings);
  if (o.ship_to.region.empty()) {
    if (const json* a = get(j, "shipping_address")) o.ship_to.region = detail::addressPart(get(*a, "province"), 64, "region", &o.warnings);
  }
  o.customer_country = strPath(j, {"billing_address", "country_code"});
  if (o.customer_country.empty()) o.customer_country = strPath(j, {"customer", "default_address", "country_code"});
  o.customer = restCustomer(j, &o.warnings);

  const json* items = get(j, "line_items");
  if (!items) {
    o.lines_complete = false;
    o.warnings.push_back("the payload has no line_items");
  } else if (!items->is_array()) {
    return Error::reject("bad_line_items", "line_items is not an array");
  } else if (items->size() > kMaxLines) {
    return Error::reject("too_many_lines", "more than " + std::to_string(kMaxLines) + " line items");
  } else {
    for (const json& li : *items) {
      if (!li.is_object()) return Error::reject("bad_line", "a line item is not an object: " + shortText(li));
      OrderLine l;
      l.line_id = idText(get(li, "id")).value_or("");
      auto qty = wholeNumber(get(li, "quantity"));
      if (!qty || *qty < 0) {
        return Error::reject("bad_quantity", "line " + l.line_id + " has no whole, non-negative quantity");
      }
      l.quantity = *qty;
      if (auto cq = wholeNumber(get(li, "current_quantity"))) l.current_quantity = *cq;
      l.sku = str(li, "sku");
      l.title = str(li, "name");
      if (l.title.empty()) l.title = str(li, "title");
      if (auto v = idText(get(li, "variant_id"))) {
        l.channel_item_id = "variant:" + *v;
      } else if (auto p = idText(get(li, "product_id"))) {
        l.channel_item_id = "product:" + *p;
      }
      if (l.sku.empty()) {
        l.sku_missing = true;
        o.warnings.push_back("line " + l.line_id + " (" + l.title + ") has no SKU" +
                             (l.channel_item_id.empty() ? "" : "; channel item " + l.channel_item_id));
      }
      if (auto g = idText(get(li, "sales_line_item_group_id"))) l.group_id = *g;
      auto shop = moneyOf(getPath(li, {"price_set", "shop_money"}), "amount", "currency_code");
      if (!shop) {
        if (auto p = detail::money(get(li, "price"))) shop = Money{*p, o.currency};
      }
      if (shop && shop->currency.empty()) shop->currency = o.currency;
      l.unit_price = shop;
      auto pres = moneyOf(getPath(li, {"price_set", "presentment_money"}), "amount", "currency_code");
      if (pres && shop && pres->currency != shop->currency) l.presentment_unit_price = pres;
      if (!l.unit_price) o.warnings.push_back("line " + l.line_id + " has no price");
      readLineCharges(li, o.currency, l, o.warnings);
      o.lines.push_back(std::move(l));
    }
  }

  // Local pickup shows only in the shipping line the merchant set up for it: its code (or
  // title) is kept as the reference that channel_locations may map to a store.
  if (const json* shipping = arr(j, "shipping_lines")) {
    for (const json& sl : *shipping) {
      const json* removed = get(sl, "is_removed");
      if (removed && removed->is_boolean() && removed->get<bool>()) continue;
      std::string code = str(sl, "code");
      o.pickup.ref_field = "shipping_lines[].code";
      if (code.empty()) {
        code = str(sl, "title");
        o.pickup.ref_field = "shipping_lines[].title";
      }
      o.pickup.ref = code;
      if (code.empty()) o.pickup.ref_field.clear();
      break;
    }
  }

  std::map<std::string, int64_t> refunded;
  if (const json* refunds = arr(j, "refunds")) {
    for (const json& r : *refunds) {
      if (auto s = refundReleases(r, &o.releases, &refunded, &o.warnings); !s) return s.error();
    }
  }
  for (const OrderLine& l : o.lines) {
    int64_t ref = refunded.count(l.line_id) ? refunded[l.line_id] : 0;
    int64_t current = l.current_quantity.value_or(l.quantity);
    if (o.status == OrderStatus::kCancelled) {
      // Whatever was not already released by a refund line goes back now.
      int64_t rest = l.quantity - ref;
      if (rest > 0) o.releases.push_back({l.line_id, l.sku, rest, "cancelled", false});
    } else if (l.current_quantity) {
      int64_t removed = l.quantity - current - ref;
      if (removed > 0) o.releases.push_back({l.line_id, l.sku, removed, "removed", false});
    }
  }
  return o;
}

common::Result<NormalizedOrder> refundEvent(const json& j) {
  NormalizedOrder o;
  o.channel = ChannelKind::kShopify;
  o.event = "refund";
  auto id = idText(get(j, "order_id"));
  if (!id) return Error::reject("missing_order_id", "Shopify refund has no order_id");
  o.order_id = *id;
  o.created_at = str(j, "created_at");
  o.updated_at = str(j, "processed_at");
  o.lines_complete = false;
  std::map<std::string, int64_t> per_line;
  if (auto s = refundReleases(j, &o.releases, &per_line, &o.warnings); !s) return s.error();
  return o;
}

OrderStatus graphqlStatus(const json& n, std::string* raw) {
  std::string fin = str(n, "displayFinancialStatus");
  std::string ful = str(n, "displayFulfillmentStatus");
  *raw = (fin.empty() ? "-" : fin) + "/" + (ful.empty() ? "-" : ful);
  if (get(n, "cancelledAt")) return OrderStatus::kCancelled;
  if (fin == "REFUNDED") return OrderStatus::kRefunded;
  if (fin == "VOIDED") return OrderStatus::kCancelled;
  if (ful == "FULFILLED") return OrderStatus::kFulfilled;
  if (ful == "PARTIALLY_FULFILLED") return OrderStatus::kPartiallyFulfilled;
  if (fin == "PENDING") return OrderStatus::kPending;
  return OrderStatus::kOpen;
}

// A connection as {nodes:[...]} or {edges:[{node}]}; nullptr entries skipped.
std::vector<const json*> connectionNodes(const json* c) {
  std::vector<const json*> out;
  if (!c) return out;
  if (const json* nodes = arr(*c, "nodes")) {
    for (const json& n : *nodes) out.push_back(&n);
  } else if (const json* edges = arr(*c, "edges")) {
    for (const json& e : *edges) {
      if (const json* n = get(e, "node")) out.push_back(n);
    }
  }
  return out;
}

// One GraphQL Refund: refundLineItems { quantity restockType location { id } lineItem { id sku } }.
// restockType is the enum RETURN / CANCEL / LEGACY_RESTOCK / NO_RESTOCK (the REST names in capitals);
// older versions also answer `restocked` (Boolean) without a type.
common::Status graphqlRefundReleases(const json& refund, std::vector<Release>* out, std::map<std::string, int64_t>* per_line,
                                     std::vector<std::string>* warnings) {
  if (!refund.is_object()) return Error::reject("bad_refund", "a refund is not an object");
  std::string refund_id = gidTail(str(refund, "id"));
  if (refund_id.empty()) return Error::reject("bad_refund", "a refund has no id: " + shortText(refund));
  for (const json* ri : connectionNodes(get(refund, "refundLineItems"))) {
    if (!ri->is_object()) return Error::reject("bad_refund", "refundLineItems has a non-object entry");
    auto qty = wholeNumber(get(*ri, "quantity"));
    if (!qty || *qty < 0) return Error::reject("bad_refund", "refund line without a whole quantity: " + shortText(*ri));
    Release r;
    r.line_id = gidTail(strPath(*ri, {"lineItem", "id"}));
    r.sku = strPath(*ri, {"lineItem", "sku"});
    std::string type = str(*ri, "restockType");
    std::transform(type.begin(), type.end(), type.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    const json* restocked = get(*ri, "restocked");
    r.restock = type.empty() ? (restocked && restocked->is_boolean() && restocked->get<bool>()) : restockFor(type);
    r.reason = type == "cancel" ? "cancelled" : (type == "return" || (type.empty() && r.restock) ? "returned" : "refunded");
    r.quantity = *qty;
    r.refund_id = refund_id;
    r.location_ref = gidTail(strPath(*ri, {"location", "id"}));
    if (r.sku.empty()) warnings->push_back("refunded line " + r.line_id + " has no SKU");
    if (!r.line_id.empty()) (*per_line)[r.line_id] += *qty;
    if (r.quantity > 0) out->push_back(std::move(r));
  }
  return {};
}

common::Result<NormalizedOrder> graphqlOrder(const json& n) {
  if (!n.is_object()) return Error::reject("bad_order", "an order node is not an object");
  NormalizedOrder o;
  o.channel = ChannelKind::kShopify;
  std::string gid = str(n, "id");
  if (gid.empty()) return Error::reject("missing_order_id", "GraphQL order node has no id");
  o.order_id = gidTail(gid);
  o.order_name = str(n, "name");
  o.created_at = str(n, "createdAt");
  o.updated_at = str(n, "updatedAt");
  o.currency = str(n, "currencyCode");
  if (auto t = moneyOf(getPath(n, {"totalPriceSet", "shopMoney"}), "amount", "currencyCode")) o.total = t->amount;
  o.status = graphqlStatus(n, &o.channel_status);
  o.ship_to_country = strPath(n, {"shippingAddress", "countryCodeV2"});
  o.ship_to = detail::shipToPlace(get(n, "shippingAddress"), "zip", "city", "provinceCode", &o.warnings);
  o.customer_country = strPath(n, {"billingAddress", "countryCodeV2"});
  o.customer = graphqlCustomer(n, &o.warnings);
  const json* li = get(n, "lineItems");
  if (!li) {
    o.lines_complete = false;
  }
  for (const json* item : connectionNodes(li)) {
    if (!item->is_object()) return Error::reject("bad_line", "a line item node is not an object");
    OrderLine l;
    l.line_id = gidTail(str(*item, "id"));
    auto qty = wholeNumber(get(*item, "quantity"));
    if (!qty || *qty < 0) return Error::reject("bad_quantity", "line " + l.line_id + " has no whole quantity");
    l.quantity = *qty;
    if (auto cq = wholeNumber(get(*item, "currentQuantity"))) l.current_quantity = *cq;
    l.sku = str(*item, "sku");
    l.title = str(*item, "name");
    std::string vid = strPath(*item, {"variant", "id"});
    if (!vid.empty()) l.channel_item_id = "variant:" + gidTail(vid);
    if (l.sku.empty()) {
      l.sku_missing = true;
      o.warnings.push_back("line " + l.line_id + " has no SKU");
    }
    l.unit_price = moneyOf(getPath(*item, {"originalUnitPriceSet", "shopMoney"}), "amount", "currencyCode");
    auto pres = moneyOf(getPath(*item, {"originalUnitPriceSet", "presentmentMoney"}), "amount", "currencyCode");
    if (pres && l.unit_price && pres->currency != l.unit_price->currency) l.presentment_unit_price = pres;
    o.lines.push_back(std::move(l));
  }
  // Shipping lines: the pickup reference, as in the REST order (shipping_lines[].code or title).
  for (const json* sl : connectionNodes(get(n, "shippingLines"))) {
    if (!sl->is_object()) continue;
    const json* removed = get(*sl, "isRemoved");
    if (removed && removed->is_boolean() && removed->get<bool>()) continue;
    std::string code = str(*sl, "code");
    o.pickup.ref_field = "shippingLines.code";
    if (code.empty()) {
      code = str(*sl, "title");
      o.pickup.ref_field = "shippingLines.title";
    }
    o.pickup.ref = code;
    if (code.empty()) o.pickup.ref_field.clear();
    break;
  }
  // Refunds (a list, or a connection) with their refund line items: the same releases, refund ids,
  // restock and location as a refunds/create webhook gives, so polling alone sees restocks.
  std::map<std::string, int64_t> refunded;
  if (const json* refunds = get(n, "refunds")) {
    std::vector<const json*> list;
    if (refunds->is_array()) {
      for (const json& r : *refunds) list.push_back(&r);
    } else {
      list = connectionNodes(refunds);
    }
    for (const json* r : list) {
      if (auto s = graphqlRefundReleases(*r, &o.releases, &refunded, &o.warnings); !s) return s.error();
    }
  }
  for (const OrderLine& l : o.lines) {
    int64_t ref = refunded.count(l.line_id) ? refunded[l.line_id] : 0;
    int64_t current = l.current_quantity.value_or(l.quantity);
    if (o.status == OrderStatus::kCancelled) {
      int64_t rest = l.quantity - ref;
      if (rest > 0) o.releases.push_back({l.line_id, l.sku, rest, "cancelled", false});
    } else if (l.current_quantity) {
      int64_t removed = l.quantity - current - ref;
      if (removed > 0) o.releases.push_back({l.line_id, l.sku, removed, "removed", false});
    }
  }
  return o;
}

common::Result<std::vector<NormalizedOrder>> graphqlResponse(const json& j) {
  const json* data = get(j, "data");
  if (!data) {
    if (const json* errs = arr(j, "errors"); errs && !errs->empty()) {
      return Error::reject("channel_error", "Shopify answered with errors: " + str(errs->at(0), "message"));
    }
    return Error::reject("bad_payload", "GraphQL response without data");
  }
  std::vector<NormalizedOrder> out;
  if (const json* one = get(*data, "order")) {
    auto o = graphqlOrder(*one);
    if (!o) return o.error();
    out.push_back(std::move(*o));
    return out;
  }
  const json* orders = get(*data, "orders");
  if (!orders) return Error::reject("bad_payload", "GraphQL data has neither order nor orders");
  for (const json* n : connectionNodes(orders)) {
    auto o = graphqlOrder(*n);
    if (!o) return o.error();
    out.push_back(std::move(*o));
  }
  return out;
}

}  // namespace

common::Result<std::vector<NormalizedOrder>> decodeShopify(const json& j) {
  std::vector<NormalizedOrder> out;
  if (j.is_array()) {
    for (const json& e : j) {
      auto more = decodeShopify(e);
      if (!more) return more.error();
      for (auto& o : *more) out.push_back(std::move(o));
    }
    if (out.empty()) return Error::reject("no_orders", "the array holds no orders");
    return out;
  }
  if (!j.is_object()) return Error::reject("bad_payload", "a Shopify order is a JSON object, got " + std::string(j.type_name()));
  if (j.contains("data") || (j.contains("errors") && !j.contains("id"))) return graphqlResponse(j);
  // REST resource wrappers: GET orders/{id}.json {"order":{…}}, GET orders.json {"orders":[…]},
  // GET orders/{id}/refunds/{rid}.json {"refund":{…}}, GET orders/{id}/refunds.json {"refunds":[…]}.
  // (An order itself has "refunds" too, but also an id and line_items.)
  if (!j.contains("id") && !j.contains("line_items")) {
    for (const char* key : {"order", "refund"}) {
      if (const json* one = get(j, key); one && one->is_object()) return decodeShopify(*one);
    }
    for (const char* key : {"orders", "refunds"}) {
      const json* list = get(j, key);
      if (!list) continue;
      if (!list->is_array()) return Error::reject("bad_payload", std::string(key) + " is not an array");
      if (list->empty()) return Error::reject("no_orders", std::string("the page holds no ") + key);
      for (const json& e : *list) {
        if (!e.is_object()) return Error::reject("bad_payload", std::string("an entry of ") + key + " is not an object");
        if (std::string(key) == "refunds" && !e.contains("order_id")) {
          return Error::reject("missing_order_id", "Shopify refund has no order_id");
        }
      }
      return decodeShopify(*list);
    }
  }
  if (j.contains("refund_line_items") && j.contains("order_id")) {
    auto r = refundEvent(j);
    if (!r) return r.error();
    out.push_back(std::move(*r));
    return out;
  }
  const json* id = get(j, "id");
  if (id && id->is_string() && id->get_ref<const std::string&>().rfind("gid://", 0) == 0) {
    auto o = graphqlOrder(j);
    if (!o) return o.error();
    out.push_back(std::move(*o));
    return out;
  }
  if (!j.contains("id") && !j.contains("line_items")) {
    return Error::reject("not_an_order", "this is not a Shopify order (no id, no line_items)");
  }
  auto o = restOrder(j);
  if (!o) return o.error();
  out.push_back(std::move(*o));
  return out;
}

}  // namespace sw::coordinator::channels
