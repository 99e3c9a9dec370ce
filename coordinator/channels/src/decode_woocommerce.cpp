// WooCommerce orders: the REST order JSON (GET /orders/{id}, and the body of the
// order.created / order.updated webhooks), arrays of them, and orders/batch responses; order
// refunds (GET /orders/{id}/refunds, one refund or a list), alone or inside an order's refunds[]
// (the connector puts the refund resources there, since the order itself lists only id/total).
// A refund line names the order line it refunds in its meta _refunded_item_id and has a negative
// quantity. Whether units went back on the shelf is not in the refund (api_restock is write-only):
// WooCommerce counts restocked units on the order's own line, meta _restock_refunded_items.
// Line prices: "price" is a JSON number (a float); the exact unit price is subtotal / quantity
// from the string "subtotal", and "price" is used only when that does not divide exactly.

#include <algorithm>
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

OrderStatus wooStatus(const std::string& s) {
  if (s == "pending" || s == "on-hold" || s == "checkout-draft") return OrderStatus::kPending;
  if (s == "processing") return OrderStatus::kOpen;
  if (s == "completed") return OrderStatus::kFulfilled;
  if (s == "cancelled") return OrderStatus::kCancelled;
  if (s == "refunded") return OrderStatus::kRefunded;
  if (s == "failed") return OrderStatus::kFailed;
  return OrderStatus::kUnknown;
}

// "2017-03-22T19:28:08" (the *_gmt fields carry no zone) -> "2017-03-22T19:28:08Z"
std::string gmt(const json& j, std::string_view key, std::string_view local_key) {
  std::string v = str(j, key);
  if (!v.empty()) return v.back() == 'Z' ? v : v + "Z";
  return str(j, local_key);
}

// The value of meta_data[key] as text ("311" or 311), "" when absent.
std::string metaText(const json& owner, std::string_view key) {
  const json* meta = arr(owner, "meta_data");
  if (!meta) return "";
  for (const json& m : *meta) {
    if (str(m, "key") == key) return idText(get(m, "value")).value_or("");
  }
  return "";
}

bool isRefund(const json& j) {
  return j.is_object() && !j.contains("status") && !j.contains("order_key") &&
         (j.contains("refunded_by") || j.contains("refunded_payment") || (j.contains("amount") && j.contains("line_items")));
}

// The order id of a bare refund resource: its _links.up[].href ends in /orders/<id>.
std::string refundOrderId(const json& r) {
  if (const json* up = getPath(r, {"_links", "up"}); up && up->is_array()) {
    for (const json& l : *up) {
      std::string href = str(l, "href");
      auto pos = href.rfind("/orders/");
      if (pos == std::string::npos) continue;
      std::string id = href.substr(pos + 8);
      while (!id.empty() && id.back() == '/') id.pop_back();
      if (!id.empty() && id.find_first_not_of("0123456789") == std::string::npos) return id;
    }
  }
  return "";
}

// One refund resource -> releases (refund id, the refunded order line, units). `restocked`
// (order line id -> units WooCommerce restocked on that line, all refunds together) marks the
// refund lines of restocked lines as restocks capped at that total: the order book restocks up
// to it less what earlier refunds of the line restocked. nullptr: not known (a bare refund).
common::Status wooRefundReleases(const json& r, const std::map<std::string, int64_t>* restocked, std::vector<Release>* out,
                                 std::map<std::string, int64_t>* per_line, std::vector<std::string>* warnings) {
  if (!r.is_object()) return Error::reject("bad_refund", "a WooCommerce refund is not an object");
  auto rid = idText(get(r, "id"));
  if (!rid) return Error::reject("bad_refund", "a WooCommerce refund has no id");
  const json* items = get(r, "line_items");
  if (!items) return {};
  if (!items->is_array()) return Error::reject("bad_refund", "refund " + *rid + ": line_items is not an array");
  if (items->size() > kMaxLines) return Error::reject("too_many_lines", "refund " + *rid + " has too many line items");
  for (const json& li : *items) {
    if (!li.is_object()) return Error::reject("bad_refund", "refund " + *rid + " has a line item that is not an object");
    auto qty = wholeNumber(get(li, "quantity"));
    if (!qty) return Error::reject("bad_refund", "refund " + *rid + " has a line without a whole quantity");
    if (*qty > 0) return Error::reject("bad_refund", "refund " + *rid + " has a positive quantity (refund lines are negative)");
    Release rel;
    rel.refund_id = *rid;
    rel.line_id = metaText(li, "_refunded_item_id");
    rel.sku = str(li, "sku");
    rel.quantity = -*qty;
    rel.reason = "refunded";
    if (rel.quantity == 0) continue;  // a money-only refund of the line
    if (rel.line_id.empty()) {
      warnings->push_back("refund " + *rid + " line " + idText(get(li, "id")).value_or("?") +
                          " does not name the order line it refunds (meta _refunded_item_id)");
      continue;
    }
    if (restocked) {
      auto it = restocked->find(rel.line_id);
      if (it != restocked->end() && it->second > 0) {
        rel.restock = true;
        rel.restock_limit = it->second;
        rel.reason = "returned";
      }
    }
    (*per_line)[rel.line_id] += rel.quantity;
    out->push_back(std::move(rel));
  }
  return {};
}

// The buyer: customer_id (0 = guest: none), the shipping name and address (the billing one for an
// order without shipping), email and phone from billing (shipping.phone where given).
CustomerContact wooCustomer(const json& j, std::vector<std::string>* w) {
  CustomerContact c;
  if (auto id = idText(get(j, "customer_id")); id && *id != "0") c.buyer_id = *id;
  const json* billing = get(j, "billing");
  const json* shipping = get(j, "shipping");
  const detail::AddressKeys keys{{"company", "address_1", "address_2"}, "city", "state", "postcode", "country"};
  c.ship_to = detail::postalAddress(shipping, keys, w);
  const json* named = c.ship_to.empty() ? billing : shipping;
  if (c.ship_to.empty()) c.ship_to = detail::postalAddress(billing, keys, w);
  c.name = detail::fullName(named, "first_name", "last_name", w);
  if (c.name.empty()) c.name = detail::fullName(billing, "first_name", "last_name", w);
  if (billing) c.email = detail::contactEmail(get(*billing, "email"), w);
  if (shipping) c.phone = detail::contactText(get(*shipping, "phone"), 40, "phone", w);
  if (c.phone.empty() && billing) c.phone = detail::contactText(get(*billing, "phone"), 40, "phone", w);
  return c;
}

common::Result<NormalizedOrder> wooOrder(const json& j) {
  if (!j.is_object()) return Error::reject("bad_order", "a WooCommerce order is not an object");
  NormalizedOrder o;
  o.channel = ChannelKind::kWooCommerce;
  auto id = idText(get(j, "id"));
  if (!id) return Error::reject("missing_order_id", "a WooCommerce order has no id");
  o.order_id = *id;
  o.order_name = idText(get(j, "number")).value_or("");
  o.channel_status = str(j, "status");
  o.status = wooStatus(o.channel_status);
  o.created_at = gmt(j, "date_created_gmt", "date_created");
  o.updated_at = gmt(j, "date_modified_gmt", "date_modified");
  o.currency = str(j, "currency");
  o.total = detail::money(get(j, "total"));
  o.ship_to_country = strPath(j, {"shipping", "country"});
  o.customer_country = strPath(j, {"billing", "country"});
  o.ship_to = detail::shipToPlace(get(j, "shipping"), "postcode", "city", "state", &o.warnings);
  if (o.ship_to_country.empty()) {
    // No shipping address (a virtual or pickup order): the billing address stands in, as for the country.
    o.ship_to_country = o.customer_country;
    if (o.ship_to.empty()) o.ship_to = detail::shipToPlace(get(j, "billing"), "postcode", "city", "state", &o.warnings);
  }
  o.customer = wooCustomer(j, &o.warnings);

  // Local pickup: the classic "local_pickup" shipping method, or the block checkout's
  // "pickup_location" method whose meta_data "pickup_location" names the chosen place.
  if (const json* shipping = arr(j, "shipping_lines")) {
    for (const json& sl : *shipping) {
      std::string method = str(sl, "method_id");
      if (method != "local_pickup" && method != "pickup_location") continue;
      o.pickup.requested = true;
      o.pickup.ref = method;
      o.pickup.ref_field = "shipping_lines[].method_id";
      if (const json* meta = arr(sl, "meta_data")) {
        for (const json& m : *meta) {
          const json* value = get(m, "value");
          if (str(m, "key") == "pickup_location" && value && value->is_string() && !value->get<std::string>().empty()) {
            o.pickup.ref = value->get<std::string>();
            o.pickup.ref_field = "shipping_lines[].meta_data.pickup_location";
          }
        }
      }
      break;
    }
  }

  const json* items = get(j, "line_items");
  if (!items) {
    o.lines_complete = false;
    o.warnings.push_back(j.size() <= 2 ? "only the order id was sent (order.deleted?)" : "the order has no line_items");
  } else if (!items->is_array()) {
    return Error::reject("bad_line_items", "line_items is not an array");
  } else if (items->size() > kMaxLines) {
    return Error::reject("too_many_lines", "too many line items");
  } else {
    for (const json& li : *items) {
      if (!li.is_object()) return Error::reject("bad_line", "a line item is not an object");
      OrderLine l;
      l.line_id = idText(get(li, "id")).value_or("");
      auto qty = wholeNumber(get(li, "quantity"));
      if (!qty) return Error::reject("bad_quantity", "line " + l.line_id + " has no whole quantity");
      if (*qty < 0) return Error::reject("bad_quantity", "line " + l.line_id + " has a negative quantity (a refund, not an order)");
      l.quantity = *qty;
      l.sku = str(li, "sku");
      l.title = str(li, "name");
      std::string product = idText(get(li, "product_id")).value_or("0");
      std::string variation = idText(get(li, "variation_id")).value_or("0");
      if (variation != "0") {
        l.channel_item_id = "variation:" + variation;
      } else if (product != "0") {
        l.channel_item_id = "product:" + product;
      }
      if (l.sku.empty()) {
        l.sku_missing = true;
        o.warnings.push_back("line " + l.line_id + " (" + l.title + ") has an empty SKU; product_id " + product +
                             (variation != "0" ? ", variation_id " + variation : ""));
      }
      auto subtotal = detail::money(get(li, "subtotal"));
      bool exact = false;
      if (subtotal && l.quantity > 0) {
        auto unit = detail::divide(*subtotal, l.quantity, &exact);
        if (exact) l.unit_price = Money{unit, o.currency};
      }
      if (!l.unit_price) {
        if (auto p = detail::money(get(li, "price"))) l.unit_price = Money{*p, o.currency};
      }
      if (auto total = detail::money(get(li, "total"))) l.line_total = Money{*total, o.currency};
      if (!l.unit_price) o.warnings.push_back("line " + l.line_id + " has no price");
      // total_tax is the tax on `total`; coupons take `total` below `subtotal`: that is the discount.
      if (auto tax = detail::money(get(li, "total_tax")); tax && !detail::addCharge(l.tax, Money{*tax, o.currency})) {
        o.warnings.push_back("line " + l.line_id + ": total_tax is negative");
      }
      int64_t off = 0;
      if (subtotal && l.line_total &&
          (__builtin_sub_overflow(subtotal->scaled(), l.line_total->amount.scaled(), &off) ||
           !detail::addCharge(l.discount, Money{common::Decimal::fromUnits(off), o.currency}))) {
        o.warnings.push_back("line " + l.line_id + ": total is above subtotal (or out of range): no discount read");
      }
      o.lines.push_back(std::move(l));
    }
  }
  // Refunds: the order lists {id, reason, total} only; refund resources (with line_items) are
  // read into releases, oldest first.
  std::map<std::string, int64_t> refunded;
  if (const json* refunds = get(j, "refunds"); refunds && !refunds->is_null()) {
    if (!refunds->is_array()) return Error::reject("bad_refunds", "refunds is not an array");
    std::map<std::string, int64_t> restocked;
    if (items && items->is_array()) {
      for (const json& li : *items) {
        std::string n = metaText(li, "_restock_refunded_items");
        if (!n.empty() && n.size() < 10 && n.find_first_not_of("0123456789") == std::string::npos) {
          restocked[idText(get(li, "id")).value_or("")] = std::stoll(n);
        }
      }
    }
    std::vector<const json*> full;
    std::string summary_only;
    for (const json& r : *refunds) {
      if (r.is_object() && r.contains("line_items")) {
        full.push_back(&r);
      } else {
        auto t = detail::money(get(r, "total"));
        summary_only += (summary_only.empty() ? "" : ", ") + (t ? t->toString() : std::string("?"));
      }
    }
    std::stable_sort(full.begin(), full.end(), [](const json* a, const json* b) {
      auto x = wholeNumber(get(*a, "id")), y = wholeNumber(get(*b, "id"));
      return x.value_or(0) < y.value_or(0);
    });
    for (const json* r : full) {
      if (auto s = wooRefundReleases(*r, &restocked, &o.releases, &refunded, &o.warnings); !s) return s.error();
    }
    if (!summary_only.empty()) {
      o.warnings.push_back("refund(s) " + summary_only + " without their lines: the units are listed by GET /orders/" +
                           o.order_id + "/refunds");
    }
  }
  if (o.status == OrderStatus::kCancelled || o.status == OrderStatus::kRefunded || o.status == OrderStatus::kFailed) {
    // Whatever a refund with lines did not already give back goes back now.
    std::string reason = o.status == OrderStatus::kRefunded ? "refunded" : "cancelled";
    for (const OrderLine& l : o.lines) {
      int64_t rest = l.quantity - (refunded.count(l.line_id) ? refunded[l.line_id] : 0);
      if (rest > 0) o.releases.push_back({l.line_id, l.sku, rest, reason, false});
    }
  }
  return o;
}

// A bare refund or list of refunds (GET /orders/{id}/refunds[/{rid}]): releases of one order,
// the order id from _links.up. Nothing says whether the units were restocked.
common::Result<NormalizedOrder> wooRefunds(const std::vector<const json*>& refunds) {
  NormalizedOrder o;
  o.channel = ChannelKind::kWooCommerce;
  o.event = "refund";
  o.lines_complete = false;
  std::map<std::string, int64_t> per_line;
  for (const json* r : refunds) {
    std::string id = refundOrderId(*r);
    if (id.empty()) return Error::reject("missing_order_id", "a WooCommerce refund does not name its order (_links.up)");
    if (!o.order_id.empty() && id != o.order_id) {
      return Error::reject("mixed_orders", "refunds of orders " + o.order_id + " and " + id + " in one payload");
    }
    o.order_id = id;
    if (o.created_at.empty()) o.created_at = gmt(*r, "date_created_gmt", "date_created");
    if (auto s = wooRefundReleases(*r, nullptr, &o.releases, &per_line, &o.warnings); !s) return s.error();
  }
  o.warnings.push_back("a refund alone does not say whether its units were restocked (the order's line meta "
                       "_restock_refunded_items does): no restock taken from it");
  return o;
}

}  // namespace

common::Result<std::vector<NormalizedOrder>> decodeWooCommerce(const json& j) {
  std::vector<NormalizedOrder> out;
  // GET /orders/{id}/refunds (a list) or /refunds/{rid} (one).
  if (isRefund(j) || (j.is_array() && !j.empty() && isRefund(j.front()))) {
    std::vector<const json*> refunds;
    if (j.is_array()) {
      for (const json& r : j) {
        if (!isRefund(r)) return Error::reject("bad_refund", "a list of refunds holds something else");
        refunds.push_back(&r);
      }
    } else {
      refunds.push_back(&j);
    }
    auto o = wooRefunds(refunds);
    if (!o) return o.error();
    out.push_back(std::move(*o));
    return out;
  }
  auto add = [&](const json& e) -> common::Status {
    if (e.is_object() && get(e, "error")) return {};  // a failed item inside a batch response
    auto o = wooOrder(e);
    if (!o) return o.error();
    out.push_back(std::move(*o));
    return {};
  };
  if (j.is_array()) {
    for (const json& e : j) {
      if (auto s = add(e); !s) return s.error();
    }
  } else if (!j.is_object()) {
    return Error::reject("bad_payload", "a WooCommerce order is a JSON object, got " + std::string(j.type_name()));
  } else if (j.contains("create") || j.contains("update") || j.contains("delete")) {
    for (const char* k : {"create", "update", "delete"}) {
      if (const json* a = arr(j, k)) {
        for (const json& e : *a) {
          if (auto s = add(e); !s) return s.error();
        }
      }
    }
  } else if (j.contains("code") && j.contains("message") && !j.contains("id")) {
    return Error::reject("channel_error", "WooCommerce answered with error " + str(j, "code") + ": " + str(j, "message"));
  } else if (j.contains("webhook_id") && !j.contains("id")) {
    return Error::reject("not_an_order", "this is a webhook ping, not an order");
  } else {
    if (auto s = add(j); !s) return s.error();
  }
  if (out.empty()) return Error::reject("no_orders", "the payload holds no orders");
  return out;
}

}  // namespace sw::coordinator::channels
