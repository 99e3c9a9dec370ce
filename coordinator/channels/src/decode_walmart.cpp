// Walmart Marketplace purchase orders (Orders API v3, shared/contracts/walmart/orders.json):
//   {"list":{"meta":{totalCount,limit,nextCursor},"elements":{"order":[...]}}}  getAllReleasedOrders, getAllOrders
//   {"order":{...}}                                                              getAnOrder, acknowledge, shipping,
//                                                                                cancel and refund answers
//   a bare purchase order ({"purchaseOrderId",...}), or a JSON array of any of these.
//
// One purchase order is one NormalizedOrder (order_id = purchaseOrderId, order_name = customerOrderId;
// one customer order can hold several purchase orders). Walmart's shapes: line quantities are strings
// ("1"), dates are epoch milliseconds, the PRODUCT charge's chargeAmount is what the line costs (read as
// the line total; unit = total / quantity, rounding flagged), the country is ISO alpha-3 ("USA").
// Line status is a list of (status, statusQuantity): Created/Acknowledged units are open, Shipped/
// Delivered fulfilled, Cancelled units are released ("cancelled"), Refund units released ("refunded",
// never restocked: a Walmart refund is money and says nothing of the item coming back). Walmart gives a
// refund no id per status entry, so each Refund entry is named "<purchaseOrderId>/<lineNumber>/refund/<n>"
// (its position among the line's Refund entries; Walmart only appends) and is applied once by intake.
// A line with a refund object but no Refund entries (as in Walmart's own examples) releases the whole
// units its PRODUCT refund charges pay for, under the refund's refundId (or "<po>/<line>/refund").

#include <algorithm>
#include <functional>
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
using detail::wholeNumber;
using nlohmann::json;

namespace {

// The ISO 3166 alpha-3 codes Walmart's marketplaces ship to, as alpha-2; anything of two letters
// is taken as it is.
std::string countryAlpha2(const std::string& c) {
  static const std::map<std::string, std::string> kAlpha3 = {{"USA", "US"}, {"CAN", "CA"}, {"MEX", "MX"}, {"CHL", "CL"},
                                                             {"PRI", "PR"}, {"GUM", "GU"}, {"VIR", "VI"}};
  if (c.size() == 2) return c;
  auto it = kAlpha3.find(c);
  return it == kAlpha3.end() ? c : it->second;
}

// Epoch milliseconds (a number, or a string of digits) as ISO 8601; "" when absent or not a time.
std::string epochIso(const json* v) {
  auto ms = wholeNumber(v);
  if (!ms || *ms <= 0 || *ms > 32'503'680'000'000LL) return "";  // after year 3000 is not a date
  return detail::formatIsoMs(*ms);
}

// The list a Walmart "wrapper" object holds: {"orderLine":[...]} -> the array. Walmart's XML-born JSON
// sometimes sends one object where a list of one is meant; that is taken as a list of one.
const json* listIn(const json& j, std::string_view wrapper, std::string_view key) {
  const json* w = get(j, wrapper);
  if (!w) return nullptr;
  return get(*w, key);
}

common::Status forEach(const json* list, const char* what, const std::function<common::Status(const json&)>& fn) {
  if (!list) return {};
  if (list->is_object()) return fn(*list);
  if (!list->is_array()) return Error::reject("bad_" + std::string(what), std::string(what) + " is not a list");
  if (list->size() > kMaxLines) return Error::reject("too_many_lines", std::string("too many ") + what + " entries");
  for (const json& e : *list) {
    if (!e.is_object()) return Error::reject("bad_" + std::string(what), std::string("a ") + what + " entry is not an object");
    if (auto s = fn(e); !s) return s;
  }
  return {};
}

std::optional<Money> walmartMoney(const json* m) {
  if (!m || !m->is_object()) return std::nullopt;
  auto a = detail::money(get(*m, "amount"));
  if (!a) return std::nullopt;
  return Money{*a, str(*m, "currency")};
}

// a + b, or nullopt when the sum does not fit.
std::optional<common::Decimal> add(common::Decimal a, common::Decimal b) {
  int64_t sum = 0;
  if (__builtin_add_overflow(a.scaled(), b.scaled(), &sum)) return std::nullopt;
  return common::Decimal::fromUnits(sum);
}

struct LineUnits {
  int64_t open = 0, shipped = 0, cancelled = 0, refunded = 0, other = 0;
};

// The buyer: customerEmailId (Walmart's relay address for the buyer), shippingInfo.phone and
// shippingInfo.postalAddress (name, address1, address2, city, state, postalCode, country).
// Walmart gives no customer id: the customer is found by the email.
CustomerContact walmartCustomer(const json& j, std::vector<std::string>* w) {
  CustomerContact c;
  c.email = detail::contactEmail(get(j, "customerEmailId"), w);
  c.phone = detail::contactText(getPath(j, {"shippingInfo", "phone"}), 40, "phone", w);
  const json* address = getPath(j, {"shippingInfo", "postalAddress"});
  if (address) c.name = detail::contactText(get(*address, "name"), 200, "name", w);
  c.ship_to = detail::postalAddress(address, {{"address1", "address2"}, "city", "state", "postalCode", "country"}, w);
  return c;
}

common::Result<NormalizedOrder> walmartOrder(const json& j) {
  if (!j.is_object()) return Error::reject("bad_order", "a Walmart purchase order is not an object");
  NormalizedOrder o;
  o.channel = ChannelKind::kWalmart;
  auto po = idText(get(j, "purchaseOrderId"));
  if (!po || po->empty()) return Error::reject("missing_order_id", "a Walmart order has no purchaseOrderId");
  if (po->size() > 64) return Error::reject("bad_order_id", "purchaseOrderId is longer than 64 characters");
  o.order_id = *po;
  o.order_name = idText(get(j, "customerOrderId")).value_or("");
  o.created_at = epochIso(get(j, "orderDate"));
  o.marketplace = "WALMART_US";
  const json* address = getPath(j, {"shippingInfo", "postalAddress"});
  if (address && address->is_object()) {
    o.ship_to_country = countryAlpha2(detail::addressPart(get(*address, "country"), 3, "country", &o.warnings));
    o.ship_to = detail::shipToPlace(address, "postalCode", "city", "state", &o.warnings);
  }
  o.customer = walmartCustomer(j, &o.warnings);
  int64_t updated_ms = detail::wholeNumber(get(j, "orderDate")).value_or(0);

  const json* lines = listIn(j, "orderLines", "orderLine");
  if (!lines) {
    o.lines_complete = false;
    o.warnings.push_back("the order has no orderLines");
  }
  LineUnits all;
  common::Decimal total;
  bool have_total = false;
  auto each_line = [&](const json& li) -> common::Status {
    OrderLine l;
    l.line_id = idText(get(li, "lineNumber")).value_or("");
    if (l.line_id.empty()) return Error::reject("bad_line", "an order line has no lineNumber");
    if (l.line_id.size() > 32) return Error::reject("bad_line", "a lineNumber is longer than 32 characters");
    auto qty = wholeNumber(getPath(li, {"orderLineQuantity", "amount"}));
    if (!qty || *qty < 0 || *qty > 1'000'000) {
      return Error::reject("bad_quantity", "order line " + l.line_id + " has no whole orderLineQuantity.amount");
    }
    l.quantity = *qty;
    const json* item = get(li, "item");
    l.sku = item ? str(*item, "sku") : "";
    l.title = item ? str(*item, "productName") : "";
    if (l.sku.empty()) {
      l.sku_missing = true;
      o.warnings.push_back("order line " + l.line_id + " has no sku");
    }
    bool tax_unreadable = false;
    if (auto s = forEach(listIn(li, "charges", "charge"), "charge",
                         [&](const json& c) -> common::Status {
                           if (str(c, "chargeType") != "PRODUCT") return {};
                           auto m = walmartMoney(get(c, "chargeAmount"));
                           if (!m) return Error::reject("bad_charge", "order line " + l.line_id + ": a PRODUCT charge has no amount");
                           // The charge's tax (tax.taxAmount), when it has one.
                           if (const json* t = getPath(c, {"tax", "taxAmount"})) {
                             auto tax = walmartMoney(t);
                             if (!tax || !detail::addCharge(l.tax, *tax)) {
                               tax_unreadable = true;
                             }
                           }
                           if (!l.line_total) {
                             l.line_total = *m;
                             return {};
                           }
                           auto sum = add(l.line_total->amount, m->amount);
                           if (!sum) return Error::reject("bad_charge", "order line " + l.line_id + ": charges too large");
                           l.line_total->amount = *sum;
                           return {};
                         });
        !s) {
      return s;
    }
    if (tax_unreadable) {
      l.tax.reset();
      o.warnings.push_back("order line " + l.line_id + ": a PRODUCT charge's tax cannot be read");
    } else if (!l.tax && l.line_total) {
      l.tax = Money{common::Decimal(), l.line_total->currency};  // no tax on its charges
    }
    if (l.line_total) {
      if (l.quantity > 0) {
        bool exact = true;
        l.unit_price = Money{detail::divide(l.line_total->amount, l.quantity, &exact), l.line_total->currency};
        if (!exact) o.warnings.push_back("order line " + l.line_id + ": unit price rounded from the PRODUCT charge / quantity");
      }
      if (o.currency.empty()) o.currency = l.line_total->currency;
      auto sum = have_total ? add(total, l.line_total->amount) : std::optional<common::Decimal>(l.line_total->amount);
      if (!sum) return Error::reject("bad_charge", "the order's charges are too large");
      total = *sum;
      have_total = true;
    } else {
      o.warnings.push_back("order line " + l.line_id + " has no PRODUCT charge");
    }
    if (auto d = wholeNumber(get(li, "statusDate")); d && *d > updated_ms) updated_ms = *d;

    LineUnits u;
    int refund_n = 0;
    if (auto s = forEach(listIn(li, "orderLineStatuses", "orderLineStatus"), "orderLineStatus",
                         [&](const json& st) -> common::Status {
                           std::string status = str(st, "status");
                           auto n = wholeNumber(getPath(st, {"statusQuantity", "amount"}));
                           if (!n || *n < 0 || *n > l.quantity) {
                             return Error::reject("bad_status_quantity", "order line " + l.line_id + ": status " + status +
                                                                             " has no whole statusQuantity within the line's quantity");
                           }
                           if (status == "Created" || status == "Acknowledged") {
                             u.open += *n;
                           } else if (status == "Shipped" || status == "Delivered") {
                             u.shipped += *n;
                           } else if (status == "Cancelled") {
                             u.cancelled += *n;
                             if (*n > 0) o.releases.push_back({l.line_id, l.sku, *n, "cancelled", false});
                           } else if (status == "Refund" || status == "Refunded") {
                             u.refunded += *n;
                             ++refund_n;
                             if (*n > 0) {
                               Release r{l.line_id, l.sku, *n, "refunded", false};
                               r.refund_id = o.order_id + "/" + l.line_id + "/refund/" + std::to_string(refund_n);
                               o.releases.push_back(std::move(r));
                             }
                           } else {
                             u.other += *n;
                             o.warnings.push_back("order line " + l.line_id + " has status '" + status.substr(0, 40) + "'");
                           }
                           return {};
                         });
        !s) {
      return s;
    }
    // A refund Walmart shows only as the line's refund object (refundCharges, negative amounts), without
    // Refund status entries (the getAnOrder/refundOrderLines examples): the units are the whole units
    // its PRODUCT charges pay for at the line's unit price (all of them when it is the whole line cost);
    // less than one unit's worth is money only and releases nothing.
    if (refund_n == 0) {
      if (const json* refund = get(li, "refund"); refund && refund->is_object()) {
        int64_t cents = 0;
        bool bad = false;
        if (auto s = forEach(listIn(*refund, "refundCharges", "refundCharge"), "refundCharge",
                             [&](const json& rc) -> common::Status {
                               const json* charge = get(rc, "charge");
                               if (!charge || str(*charge, "chargeType") != "PRODUCT") return {};
                               auto m = walmartMoney(get(*charge, "chargeAmount"));
                               if (!m) {
                                 bad = true;
                                 return {};
                               }
                               int64_t v = m->amount.scaled() < 0 ? -m->amount.scaled() : m->amount.scaled();
                               if (__builtin_add_overflow(cents, v, &cents)) bad = true;
                               return {};
                             });
            !s) {
          return s;
        }
        std::string id = str(*refund, "refundId");
        if (id.empty()) id = o.order_id + "/" + l.line_id + "/refund";
        int64_t n = 0;
        if (bad) {
          o.warnings.push_back("order line " + l.line_id + ": a refund charge has no amount: nothing released");
        } else if (l.unit_price && l.unit_price->amount.scaled() > 0 && l.quantity > 0) {
          n = cents / l.unit_price->amount.scaled();
          if (l.line_total && cents >= l.line_total->amount.scaled()) n = l.quantity;
          n = std::min(n, l.quantity - u.cancelled);
          if (n <= 0 && cents > 0) o.warnings.push_back("order line " + l.line_id + ": refund " + id + " is less than a unit: money only");
        } else if (cents > 0) {
          o.warnings.push_back("order line " + l.line_id + ": refund " + id + " on a line without a price: no units known");
        }
        if (n > 0) {
          Release r{l.line_id, l.sku, n, "refunded", false};
          r.refund_id = id;
          o.releases.push_back(std::move(r));
          u.refunded += n;
        }
      }
    }
    if (u.cancelled + u.refunded > l.quantity) {
      return Error::reject("bad_status_quantity", "order line " + l.line_id + " cancels and refunds more than it holds");
    }
    if (u.cancelled > 0) l.current_quantity = l.quantity - u.cancelled;
    if (get(li, "intentToCancel") && str(li, "intentToCancel") != "" && str(li, "intentToCancel") != "false") {
      l.cancel_requested = true;
      o.warnings.push_back("the buyer asked to cancel order line " + l.line_id);
    }
    all.open += u.open;
    all.shipped += u.shipped;
    all.cancelled += u.cancelled;
    all.refunded += u.refunded;
    all.other += u.other;
    o.lines.push_back(std::move(l));
    return {};
  };
  if (auto s = forEach(lines, "orderLine", each_line); !s) return s.error();
  if (have_total) o.total = total;
  o.updated_at = updated_ms > 0 ? detail::formatIsoMs(updated_ms) : o.created_at;

  int64_t ordered = 0;
  for (const OrderLine& l : o.lines) ordered += l.quantity;
  std::string words;
  auto word = [&](const char* w, int64_t n) {
    if (n > 0) words += (words.empty() ? "" : "/") + std::string(w) + ":" + std::to_string(n);
  };
  word("Created/Acknowledged", all.open);
  word("Shipped/Delivered", all.shipped);
  word("Cancelled", all.cancelled);
  word("Refund", all.refunded);
  word("other", all.other);
  o.channel_status = words;
  if (ordered == 0 || o.lines.empty()) {
    o.status = OrderStatus::kUnknown;
  } else if (all.cancelled >= ordered) {
    o.status = OrderStatus::kCancelled;
  } else if (all.refunded > 0 && all.refunded + all.cancelled >= ordered) {
    o.status = OrderStatus::kRefunded;
  } else if (all.shipped > 0 && all.shipped + all.cancelled + all.refunded >= ordered) {
    o.status = OrderStatus::kFulfilled;
  } else if (all.shipped > 0) {
    o.status = OrderStatus::kPartiallyFulfilled;
  } else if (all.open > 0) {
    o.status = OrderStatus::kOpen;
  }
  return o;
}

common::Status addOrders(const json& j, std::vector<NormalizedOrder>* out, int depth);

common::Status addOne(const json& j, std::vector<NormalizedOrder>* out) {
  auto o = walmartOrder(j);
  if (!o) return o.error();
  out->push_back(std::move(*o));
  return {};
}

common::Status addOrders(const json& j, std::vector<NormalizedOrder>* out, int depth) {
  if (depth > 2) return Error::reject("bad_payload", "arrays of Walmart payloads nest too deep");
  if (j.is_array()) {
    for (const json& e : j) {
      if (auto s = addOrders(e, out, depth + 1); !s) return s;
    }
    return {};
  }
  if (!j.is_object()) return Error::reject("bad_payload", "a Walmart payload is a JSON object, got " + std::string(j.type_name()));
  if (const json* errs = arr(j, "errors"); errs && !errs->empty()) {
    const json& e = errs->at(0);
    std::string text = str(e, "description");
    if (text.empty()) text = str(e, "message");
    return Error::reject("channel_error", "Walmart answered with error " + str(e, "code") + ": " + text.substr(0, 200));
  }
  if (const json* list = get(j, "list")) {
    if (!list->is_object()) return Error::reject("bad_payload", "list is not an object");
    const json* orders = listIn(*list, "elements", "order");
    if (!orders) return {};  // an empty page
    return forEach(orders, "order", [&](const json& o) { return addOne(o, out); });
  }
  if (const json* one = get(j, "order")) return addOne(*one, out);
  if (j.contains("purchaseOrderId")) return addOne(j, out);
  return Error::reject("not_an_order", "not a Walmart order payload (expected list.elements.order, order or purchaseOrderId)");
}

}  // namespace

common::Result<std::vector<NormalizedOrder>> decodeWalmart(const json& j) {
  std::vector<NormalizedOrder> out;
  if (auto s = addOrders(j, &out, 0); !s) return s.error();
  if (out.empty()) return Error::reject("no_orders", "the payload holds no orders");
  return out;
}

}  // namespace sw::coordinator::channels
