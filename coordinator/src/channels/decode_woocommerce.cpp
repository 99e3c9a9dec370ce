// WooCommerce orders: the REST order JSON (GET /orders/{id}, and the body of the
// order.created / order.updated webhooks), arrays of them, and orders/batch responses.
// Line prices: "price" is a JSON number (a float); the exact unit price is subtotal / quantity
// from the string "subtotal", and "price" is used only when that does not divide exactly.

#include "json_read.h"
#include "sw/coordinator/channels/order_decode.h"

namespace sw::coordinator::channels {

using common::Error;
using detail::arr;
using detail::get;
using detail::getPath;
using detail::idText;
using detail::str;
using detail::strPath;
using detail::wholeNumber;
using nlohmann::json;

namespace {

constexpr size_t kMaxLines = 5000;

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
  if (o.ship_to_country.empty()) o.ship_to_country = o.customer_country;

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
      o.lines.push_back(std::move(l));
    }
  }
  if (o.status == OrderStatus::kCancelled || o.status == OrderStatus::kRefunded || o.status == OrderStatus::kFailed) {
    std::string reason = o.status == OrderStatus::kRefunded ? "refunded" : "cancelled";
    for (const OrderLine& l : o.lines) {
      if (l.quantity > 0) o.releases.push_back({l.line_id, l.sku, l.quantity, reason, false});
    }
  } else if (const json* refunds = arr(j, "refunds"); refunds && !refunds->empty()) {
    std::string sum;
    for (const json& r : *refunds) {
      auto t = detail::money(get(r, "total"));
      sum += (sum.empty() ? "" : ", ") + (t ? t->toString() : std::string("?"));
    }
    o.warnings.push_back("partial refund(s) " + sum + ": the units are listed by GET /orders/" + o.order_id + "/refunds");
  }
  return o;
}

}  // namespace

common::Result<std::vector<NormalizedOrder>> decodeWooCommerce(const json& j) {
  std::vector<NormalizedOrder> out;
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
