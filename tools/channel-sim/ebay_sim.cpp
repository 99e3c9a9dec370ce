// eBay Sell APIs, as much of them as Stockwire uses:
//   Inventory v1: POST /bulk_update_price_quantity (<= 25 entries; 200, or 207 with a statusCode
//     and errors per entry), GET /inventory_item/{sku}, GET /offer?sku=
//   Fulfillment v1: GET /order (filter=lastmodifieddate:[..]|creationdate:[..]|
//     orderfulfillmentstatus:{..}, brackets percent-encoded; limit/offset/next), GET /order/{id}
//   Refunds (POST /_sim/orders/<id>/refund {"lines":[{"line_id","quantity"}],"status"?}): what
//     issue_refund leaves on the order: a LineItemRefund (amount = the units' share of the line
//     cost, refundDate, refundId) in lineItems[].refunds[], an OrderRefund with refundStatus
//     (REFUNDED, or FAILED/PENDING when asked) in paymentSummary.refunds[], orderPaymentStatus
//     PARTIALLY_REFUNDED or FULLY_REFUNDED, and a new lastModifiedDate. Stock is not put back
//     (an eBay refund is money; returns are the Post-Order API's).
//   Finances v1 (payouts.h): GET /sell/finances/v1/payout (filter=payoutDate:[from..to], limit
//     1-200, offset), GET /payout/{payoutId}, GET /transaction (filter=payoutId:{id}, limit 1-1000,
//     offset); amounts {value, currency} unsigned with bookingEntry CREDIT/DEBIT. POST /_sim/payouts
//     pays out what was charged (each order's total, a 13.25% + 0.30 final value fee) and refunded
//     (REFUNDED refunds only, the refundId as the REFUND's transactionId) since the last payout.
//     Finances calls count against the Fulfillment quota here.
// A listing shows min(inventory item quantity, offer availableQuantity); each listing can be
// revised --revisions-per-day times per UTC day (then errorId 25019); each API has a daily call
// quota (then HTTP 429).

#include <algorithm>
#include <map>
#include <regex>
#include <set>

#include "payouts.h"
#include "sim_core.h"

namespace sw::channelsim {

namespace {

constexpr int64_t kDayMs = 86'400'000;
constexpr int64_t kNinetyDaysMs = 90 * kDayMs;
constexpr size_t kMaxBulk = 25;

json ebayError(int id, const std::string& domain, const std::string& category, const std::string& message,
               json parameters = nullptr) {
  json e = {{"errorId", id}, {"domain", domain}, {"category", category}, {"message", message}};
  if (!parameters.is_null()) e["parameters"] = std::move(parameters);
  return e;
}
json errors(json e) { return {{"errors", json::array({std::move(e)})}}; }

class EbaySim final : public SimWithOrderViews<EbaySim> {
  friend class SimWithOrderViews<EbaySim>;

 public:
  explicit EbaySim(SimContext& ctx) : ctx_(ctx) {}


  void install(httplib::Server& server) override {
    server.Post("/sell/inventory/v1/bulk_update_price_quantity",
                api("inventory", "bulkUpdatePriceQuantity", [this](const httplib::Request& q, httplib::Response& r) { bulk(q, r); }));
    server.Get(R"(/sell/inventory/v1/inventory_item/(.+))",
               api("inventory", "getInventoryItem", [this](const httplib::Request& q, httplib::Response& r) { getItem(q, r); }));
    server.Get("/sell/inventory/v1/offer",
               api("inventory", "getOffers", [this](const httplib::Request& q, httplib::Response& r) { getOffers(q, r); }));
    server.Get("/sell/fulfillment/v1/order",
               api("fulfillment", "getOrders", [this](const httplib::Request& q, httplib::Response& r) { getOrders(q, r); }));
    server.Get(R"(/sell/fulfillment/v1/order/([^/]+))",
               api("fulfillment", "getOrder", [this](const httplib::Request& q, httplib::Response& r) { getOrder(q, r); }));
    server.Post(R"(/sell/fulfillment/v1/order/([^/]+)/shipping_fulfillment)",
                api("fulfillment", "createShippingFulfillment",
                    [this](const httplib::Request& q, httplib::Response& r) { createFulfillment(q, r); }));
    server.Get("/sell/finances/v1/payout",
               api("fulfillment", "getPayouts", [this](const httplib::Request& q, httplib::Response& r) { getPayouts(q, r); }));
    server.Get(R"(/sell/finances/v1/payout/([^/]+))",
               api("fulfillment", "getPayout", [this](const httplib::Request& q, httplib::Response& r) { getPayout(q, r); }));
    server.Get("/sell/finances/v1/transaction",
               api("fulfillment", "getTransactions", [this](const httplib::Request& q, httplib::Response& r) { getTransactions(q, r); }));
    server.Get(R"(/sell/fulfillment/v1/order/([^/]+)/shipping_fulfillment)",
               api("fulfillment", "getShippingFulfillments",
                   [this](const httplib::Request& q, httplib::Response& r) { getFulfillments(q, r); }));
  }

  void sendServerError(const httplib::Request& req, httplib::Response& res) override {
    bool inventory = req.path.rfind("/sell/inventory", 0) == 0;
    sendJson(res, 500, errors(inventory ? ebayError(25001, "API_INVENTORY", "APPLICATION", "A system error has occurred.")
                                        : ebayError(30500, "API_FULFILLMENT", "APPLICATION", "System error")));
  }

  void sendThrottled(const httplib::Request&, httplib::Response& res) override {
    sendJson(res, 429, errors(ebayError(2001, "ACCESS", "REQUEST", "Too many requests. The request limit has been reached for the resource.")));
  }

  SeedRules seedRules() const override { return {}; }
  bool seed(const std::vector<SeedListing>& listings, json* out, std::string* error) override {
    std::lock_guard lock(mu_);
    json created = json::array();
    for (const SeedListing& s : listings) {
      const json& l = *s.raw;
      const std::string& sku = s.sku;
      auto offer_qty = l.contains("offer_quantity") ? jsonInt(l["offer_quantity"]) : std::optional<int64_t>(s.quantity);
      if (!offer_qty || *offer_qty < 0) {
        *error = "offer_quantity must be a whole number >= 0";
        return false;
      }
      Item& it = items_[sku];
      it.sku = sku;
      it.title = s.title;
      it.quantity = s.quantity;
      bool with_offer = !l.contains("offer") || l["offer"] != false;
      if (with_offer && it.offers.empty()) {
        Offer o;
        o.offer_id = std::to_string(next_offer_++);
        o.listing_id = std::to_string(next_listing_++);
        o.price_cents = parseCents(s.price).value_or(1000);
        it.offers.push_back(o);
      }
      for (Offer& o : it.offers) o.available = *offer_qty;
      json offers = json::array();
      for (const Offer& o : it.offers) offers.push_back({{"offerId", o.offer_id}, {"listingId", o.listing_id}});
      created.push_back({{"sku", sku}, {"quantity", s.quantity}, {"offers", offers}});
    }
    *out = {{"marketplace_id", "EBAY_US"}, {"listings", created}};
    return true;
  }

  std::vector<ListingView> listings() override {
    std::lock_guard lock(mu_);
    std::vector<ListingView> out;
    int64_t day = ctx_.nowMs() / kDayMs;
    for (const auto& [sku, it] : items_) {
      ListingView v;
      v.sku = sku;
      v.quantity = listed(it);
      v.channel_id = it.offers.empty() ? sku : it.offers[0].listing_id;
      v.updated_at_ms = it.updated_ms;
      v.update_count = it.update_count;
      json offers = json::array();
      for (const Offer& o : it.offers) {
        auto r = o.revisions.find(day);
        offers.push_back({{"offerId", o.offer_id}, {"listingId", o.listing_id}, {"availableQuantity", o.available},
                          {"price", {{"value", centsText(o.price_cents)}, {"currency", o.currency}}},
                          {"price_updates", o.price_updates},
                          {"revisions_today", r == o.revisions.end() ? 0 : r->second}});
      }
      v.extra = {{"inventory_quantity", it.quantity}, {"offers", offers}};
      out.push_back(v);
    }
    return out;
  }

  bool createOrder(const OrderRequest& request, const json& body, json* out, std::string* error) override {
    std::lock_guard lock(mu_);
    int64_t now = ctx_.nowMs();
    Order o;
    char id[32];
    std::snprintf(id, sizeof id, "%02llu-%05llu-%05llu", static_cast<unsigned long long>(10 + next_order_ % 90),
                  static_cast<unsigned long long>(10000 + (next_order_ * 37) % 90000),
                  static_cast<unsigned long long>(10000 + (next_order_ * 7919) % 90000));
    ++next_order_;
    o.id = id;
    o.created_ms = now;
    o.updated_ms = now;
    o.currency = request.currency;
    o.country = request.country;
    o.ship_to = request.ship_to;
    if (body.contains("pickup_location_key") && body["pickup_location_key"].is_string()) {
      o.pickup_location_key = body["pickup_location_key"];  // In-Store Pickup at this merchant location
    }
    std::vector<std::pair<Item*, int64_t>> takes;
    for (const OrderLineRequest& l : request.lines) {
      auto it = items_.find(l.sku);
      if (it == items_.end() || it->second.offers.empty()) {
        *error = "no listing (with an offer) for SKU " + l.sku;
        return false;
      }
      auto price = parseCents(l.price.value_or(centsText(it->second.offers[0].price_cents)));
      if (!price) {
        *error = "price must look like 12.34";
        return false;
      }
      Line line;
      line.id = std::to_string(next_line_++);
      line.sku = l.sku;
      line.omit_sku = l.raw->contains("omit_sku") && (*l.raw)["omit_sku"] == true;
      line.legacy_item = it->second.offers[0].listing_id;
      line.title = it->second.title;
      line.quantity = l.quantity;
      line.cost_cents = *price * l.quantity;
      o.lines.push_back(line);
      takes.emplace_back(&it->second, l.quantity);
    }
    for (auto& [item, qty] : takes) {
      item->quantity = std::max<int64_t>(0, item->quantity - qty);
      for (Offer& of : item->offers) of.available = std::max<int64_t>(0, of.available - qty);
    }
    orders_.push_back(o);
    int64_t total = 0;
    for (const Line& l : o.lines) total += l.cost_cents;
    payouts_.charge(o.id, total, o.currency, now);
    *out = {{"order_id", o.id}, {"order", orderJson(o)}};
    return true;
  }

  bool refundOrder(const std::string& id, const json& body, json* out, std::string* error) override {
    std::lock_guard lock(mu_);
    Order* o = findOrder(id);
    if (!o) {
      *error = "no order " + id;
      return false;
    }
    const json* lines = body.contains("lines") && body["lines"].is_array() ? &body["lines"] : nullptr;
    std::string status = body.value("status", std::string("REFUNDED"));
    if (!lines || lines->empty() || (status != "REFUNDED" && status != "FAILED" && status != "PENDING")) {
      *error = "give {\"lines\":[{\"line_id\",\"quantity\"}]} and optionally \"status\": REFUNDED, FAILED or PENDING";
      return false;
    }
    const std::string refund_id = "5" + std::to_string(100000000 + static_cast<int64_t>(o->refunds.size()) * 7919 +
                                                       static_cast<int64_t>(std::hash<std::string>{}(id) % 1000000));
    const int64_t now = ctx_.nowMs();
    int64_t total = 0;
    for (const json& want : *lines) {
      Line* line = nullptr;
      for (Line& l : o->lines) {
        if (l.id == want.value("line_id", std::string())) line = &l;
      }
      const int64_t qty = want.value("quantity", int64_t{0});
      if (!line || qty <= 0 || qty > line->quantity) {
        *error = "no line " + want.value("line_id", std::string()) + " with that many units";
        return false;
      }
      const int64_t cents = line->cost_cents * qty / line->quantity;
      line->refunds.push_back({refund_id, cents, now});
      total += cents;
    }
    o->refunds.push_back({refund_id, status, total, now});
    if (status == "REFUNDED") payouts_.refund(id, refund_id, total, now);
    o->updated_ms = now;
    *out = {{"order_id", id}, {"refund_id", refund_id}, {"order", orderJson(*o)}};
    return true;
  }

  // POST /_sim/payouts (payouts.h): what the Finances API then lists.
  bool createPayout(const json& body, json* out, std::string* error) override {
    std::lock_guard lock(mu_);
    const int64_t now = ctx_.nowMs();
    SimPayout p;
    if (!payouts_.makePayout(body, now, isoUtc(now).substr(0, 10), &p, error)) return false;
    json txs = json::array();
    for (const PayoutEntry& e : p.entries) {
      if (e.type != "payout") txs.push_back(transactionJson(p, e));
    }
    *out = {{"payout", payoutJson(p)}, {"transactions", txs}};
    return true;
  }

  bool cancelOrder(const std::string& id, json* out, std::string* error) override {
    std::lock_guard lock(mu_);
    for (Order& o : orders_) {
      if (o.id != id) continue;
      if (o.cancelled) {
        *error = "order " + id + " is already cancelled";
        return false;
      }
      o.cancelled = true;
      payouts_.voidCharge(id);
      o.updated_ms = ctx_.nowMs();
      for (const Line& l : o.lines) {
        auto it = items_.find(l.sku);
        if (it == items_.end()) continue;
        it->second.quantity += l.quantity;
        for (Offer& of : it->second.offers) of.available += l.quantity;
      }
      *out = {{"order_id", id}, {"order", orderJson(o)}};
      return true;
    }
    *error = "no order " + id;
    return false;
  }

 private:
  struct Offer {
    std::string offer_id;
    std::string listing_id;
    int64_t available = 0;
    int64_t price_cents = 1000;
    std::string currency = "USD";
    int64_t price_updates = 0;          // bulk_update_price_quantity entries that set the price
    std::map<int64_t, int> revisions;  // UTC day -> revisions that day
  };
  struct Item {
    std::string sku;
    std::string title;
    int64_t quantity = 0;
    std::vector<Offer> offers;
    int64_t updated_ms = 0;
    int64_t update_count = 0;
  };
  struct Line {
    std::string id;
    std::string sku;
    bool omit_sku = false;
    std::string legacy_item;
    std::string title;
    int64_t quantity = 0;
    int64_t cost_cents = 0;
    struct Refund {
      std::string id;
      int64_t amount_cents = 0;
      int64_t at_ms = 0;
    };
    std::vector<Refund> refunds;
  };
  struct Fulfillment {
    std::string id;  // the tracking number when one was given (as eBay does), else a number
    std::string carrier;
    std::string tracking_number;
    std::string shipped_date;
    std::vector<std::pair<std::string, int64_t>> lines;  // lineItemId, quantity
  };
  struct Order {
    std::string id;
    int64_t created_ms = 0;
    int64_t updated_ms = 0;
    std::string currency;
    std::string country;
    ShipToRequest ship_to;  // "" parts: the sample address's
    bool cancelled = false;
    std::string pickup_location_key;
    std::vector<Line> lines;
    std::vector<Fulfillment> fulfillments;
    struct Refund {
      std::string id;
      std::string status;  // REFUNDED, FAILED or PENDING
      int64_t amount_cents = 0;
      int64_t at_ms = 0;
    };
    std::vector<Refund> refunds;
  };

  static int64_t shippedOf(const Order& o, const std::string& line_id) {
    int64_t n = 0;
    for (const Fulfillment& f : o.fulfillments) {
      for (const auto& [id, q] : f.lines) {
        if (id == line_id) n += q;
      }
    }
    return n;
  }
  static std::string lineStatus(const Order& o, const Line& l) {
    int64_t n = shippedOf(o, l.id);
    return n == 0 ? "NOT_STARTED" : n >= l.quantity ? "FULFILLED" : "IN_PROGRESS";
  }
  static std::string orderStatus(const Order& o) {
    bool all = true, any = false;
    for (const Line& l : o.lines) {
      std::string st = lineStatus(o, l);
      all = all && st == "FULFILLED";
      any = any || st != "NOT_STARTED";
    }
    return all && !o.lines.empty() ? "FULFILLED" : any ? "IN_PROGRESS" : "NOT_STARTED";
  }
  static json fulfillmentJson(const Order& o, const Fulfillment& f) {
    json items = json::array();
    for (const auto& [id, q] : f.lines) items.push_back({{"lineItemId", id}, {"quantity", q}});
    return {{"fulfillmentId", f.id}, {"lineItems", items}, {"shippedDate", f.shipped_date},
            {"shipmentTrackingNumber", f.tracking_number}, {"shippingCarrierCode", f.carrier},
            {"href", "/sell/fulfillment/v1/order/" + o.id + "/shipping_fulfillment/" + f.id}};
  }

  // POST /order/{orderId}/shipping_fulfillment (ShippingFulfillmentDetails): 201 + Location.
  void createFulfillment(const httplib::Request& req, httplib::Response& res) {
    auto bad = [&](int id, const std::string& message) {
      sendJson(res, 400, errors(ebayError(id, "API_FULFILLMENT", "REQUEST", message)));
    };
    json body = json::parse(req.body, nullptr, false);
    if (body.is_discarded() || !body.is_object()) return bad(32600, "Invalid input data");
    for (const auto& [k, v] : body.items()) {
      if (k != "lineItems" && k != "shippedDate" && k != "shippingCarrierCode" && k != "trackingNumber") {
        return bad(32600, "Invalid input data: unknown field " + k);
      }
      if (k != "lineItems" && !v.is_string()) return bad(32600, "Invalid input data: " + k + " must be a string");
    }
    if (!body.contains("lineItems") || !body["lineItems"].is_array() || body["lineItems"].empty()) {
      return bad(32600, "Invalid input data: lineItems is required");
    }
    bool has_carrier = body.contains("shippingCarrierCode") && !body["shippingCarrierCode"].get<std::string>().empty();
    bool has_tracking = body.contains("trackingNumber") && !body["trackingNumber"].get<std::string>().empty();
    if (has_carrier != has_tracking) return bad(32300, "Invalid shipment tracking number or carrier");
    std::string shipped = body.value("shippedDate", isoUtc(ctx_.nowMs()));
    static const std::regex kDate(R"(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z)");
    if (!std::regex_match(shipped, kDate) || !parseIso(shipped)) return bad(32500, "Invalid shipped date");
    std::lock_guard lock(mu_);
    Order* o = nullptr;
    for (Order& x : orders_) {
      if (x.id == req.matches[1].str()) o = &x;
    }
    if (!o) return bad(32100, "Invalid order Id");
    if (o->cancelled) return bad(32600, "Invalid input data: the order is cancelled");
    Fulfillment f;
    f.carrier = body.value("shippingCarrierCode", "");
    f.tracking_number = body.value("trackingNumber", "");
    f.shipped_date = shipped;
    std::map<std::string, int64_t> asked;
    for (const json& li : body["lineItems"]) {
      if (!li.is_object() || !li.contains("lineItemId") || !li["lineItemId"].is_string()) return bad(32200, "Invalid line item id");
      std::string id = li["lineItemId"];
      const Line* line = nullptr;
      for (const Line& l : o->lines) {
        if (l.id == id) line = &l;
      }
      if (!line) return bad(32200, "Invalid line item id");
      int64_t q = line->quantity - shippedOf(*o, id);
      if (li.contains("quantity")) {
        if (!li["quantity"].is_number_integer()) return bad(32600, "Invalid input data: quantity must be an integer");
        q = li["quantity"].get<int64_t>();
      }
      asked[id] += q;
      if (q < 1 || shippedOf(*o, id) + asked[id] > line->quantity) {
        return bad(32600, "Invalid input data: line item " + id + " has fewer units left to ship");
      }
      f.lines.emplace_back(id, q);
    }
    f.id = has_tracking ? f.tracking_number : std::to_string(999 + o->fulfillments.size());
    for (const Fulfillment& old : o->fulfillments) {
      if (old.id != f.id) continue;
      if (old.lines == f.lines && old.carrier == f.carrier) {  // the same package again (ours: eBay does not document it)
        res.set_header("Location", req.path + "/" + f.id);
        return sendJson(res, 201, json::object());
      }
      return bad(32300, "Invalid shipment tracking number or carrier: already used for another package of this order");
    }
    o->fulfillments.push_back(f);
    o->updated_ms = ctx_.nowMs();
    res.set_header("Location", "http://" + req.get_header_value("Host") + req.path + "/" + f.id);
    sendJson(res, 201, json::object());
  }

  void getFulfillments(const httplib::Request& req, httplib::Response& res) {
    std::lock_guard lock(mu_);
    for (const Order& o : orders_) {
      if (o.id != req.matches[1].str()) continue;
      json list = json::array();
      for (const Fulfillment& f : o.fulfillments) list.push_back(fulfillmentJson(o, f));
      return sendJson(res, 200, {{"fulfillments", list}, {"total", list.size()}});
    }
    sendJson(res, 404, errors(ebayError(32100, "API_FULFILLMENT", "REQUEST", "Invalid order Id")));
  }

  json viewOf(const Order& o) const {
    json lines = json::array();
    for (const Line& l : o.lines) {
      lines.push_back({{"line_id", l.id}, {"sku", l.sku}, {"quantity", l.quantity}, {"fulfilled", shippedOf(o, l.id)}});
    }
    json fs = json::array();
    for (const Fulfillment& f : o.fulfillments) {
      json fl = json::array();
      for (const auto& [id, q] : f.lines) fl.push_back({{"line_id", id}, {"quantity", q}});
      fs.push_back({{"id", f.id}, {"tracking_number", f.tracking_number}, {"carrier", f.carrier},
                    {"shipped_date", f.shipped_date}, {"lines", fl}});
    }
    return {{"order_id", o.id}, {"status", orderStatus(o)}, {"cancelled", o.cancelled}, {"lines", lines}, {"fulfilments", fs}};
  }

  using Handler = std::function<void(const httplib::Request&, httplib::Response&)>;

  Order* findOrder(const std::string& id) {
    for (Order& o : orders_) {
      if (o.id == id) return &o;
    }
    return nullptr;
  }

  static int64_t listed(const Item& it) {
    if (it.offers.empty()) return it.quantity;
    return std::min(it.quantity, it.offers[0].available);
  }

  Handler api(const std::string& which, const std::string& operation, Handler inner) {
    return [this, which, operation, inner](const httplib::Request& req, httplib::Response& res) {
      if (injectFault(ctx_, *this, req, res)) return;
      if (req.get_header_value("Authorization") != "Bearer " + ctx_.options().access_token) {
        sendJson(res, 401, errors(ebayError(1001, "OAuth", "REQUEST", "Invalid access token")));
        ctx_.count(operation, 401);
        return;
      }
      {
        std::lock_guard lock(mu_);
        int64_t day = ctx_.nowMs() / kDayMs;
        int64_t limit = which == "inventory" ? ctx_.options().inventory_calls_per_day : ctx_.options().fulfillment_calls_per_day;
        int64_t& used = calls_[which][day];
        if (used >= limit) {
          sendThrottled(req, res);
          ctx_.count(operation, 429);
          return;
        }
        ++used;
      }
      inner(req, res);
      ctx_.count(operation, res.status);
    };
  }

  void bulk(const httplib::Request& req, httplib::Response& res) {
    if (req.get_header_value("Content-Type").rfind("application/json", 0) != 0) {
      return sendJson(res, 415, errors(ebayError(25709, "API_INVENTORY", "REQUEST", "Invalid value for header Content-Type.")));
    }
    json body = json::parse(req.body, nullptr, false);
    if (body.is_discarded() || !body.is_object() || !body.contains("requests") || !body["requests"].is_array() ||
        body["requests"].empty()) {
      return sendJson(res, 400, errors(ebayError(25709, "API_INVENTORY", "REQUEST", "Invalid value for requests.")));
    }
    if (body["requests"].size() > kMaxBulk) {
      return sendJson(res, 400, errors(ebayError(25727, "API_INVENTORY", "REQUEST",
                                                 "The number of InventoryItems in the request cannot exceed 25.")));
    }
    std::set<std::string> skus;
    for (const json& r : body["requests"]) {
      if (r.is_object() && r.contains("sku") && r["sku"].is_string() && !skus.insert(r["sku"].get<std::string>()).second) {
        return sendJson(res, 400, errors(ebayError(25734, "API_INVENTORY", "REQUEST", "SKU should be unique in the request.")));
      }
    }
    std::lock_guard lock(mu_);
    int64_t now = ctx_.nowMs();
    int64_t day = now / kDayMs;
    json responses = json::array();
    bool all_ok = true;
    for (const json& r : body["requests"]) {
      auto entryFail = [&](const std::string& sku, const std::string& offer, int status, json error) {
        json e = {{"sku", sku}, {"statusCode", status}, {"errors", json::array({std::move(error)})}};
        if (!offer.empty()) e["offerId"] = offer;
        responses.push_back(std::move(e));
        all_ok = false;
      };
      std::string sku = r.is_object() && r.contains("sku") && r["sku"].is_string() ? r["sku"].get<std::string>() : "";
      if (sku.empty()) {
        entryFail("", "", 400, ebayError(25709, "API_INVENTORY", "REQUEST", "Invalid value for sku."));
        continue;
      }
      auto found = items_.find(sku);
      if (found == items_.end()) {
        entryFail(sku, "", 404, ebayError(25702, "API_INVENTORY", "REQUEST", sku + " could not be found or is not available in the system.",
                                          json::array({{{"name", "sku"}, {"value", sku}}})));
        continue;
      }
      Item& item = found->second;
      std::optional<int64_t> new_qty;
      if (r.contains("shipToLocationAvailability")) {
        const json& a = r["shipToLocationAvailability"];
        auto q = a.is_object() && a.contains("quantity") ? jsonInt(a["quantity"]) : std::nullopt;
        if (!q || *q < 0) {
          entryFail(sku, "", 400, ebayError(25004, "API_INVENTORY", "REQUEST", "Invalid quantity. The quantity must be 0 or more."));
          continue;
        }
        new_qty = q;
      }
      std::vector<std::pair<Offer*, std::optional<int64_t>>> offer_changes;
      std::vector<std::pair<Offer*, std::optional<int64_t>>> offer_prices;
      bool bad = false;
      if (r.contains("offers")) {
        if (!r["offers"].is_array()) {
          entryFail(sku, "", 400, ebayError(25709, "API_INVENTORY", "REQUEST", "Invalid value for offers."));
          continue;
        }
        for (const json& of : r["offers"]) {
          std::string oid = of.is_object() && of.contains("offerId") && of["offerId"].is_string() ? of["offerId"].get<std::string>() : "";
          Offer* offer = nullptr;
          for (Offer& o : item.offers) {
            if (o.offer_id == oid) offer = &o;
          }
          if (!offer) {
            entryFail(sku, oid, 400, ebayError(25713, "API_INVENTORY", "REQUEST", "This Offer is not available : " + oid + "."));
            bad = true;
            break;
          }
          std::optional<int64_t> avail;
          if (of.contains("availableQuantity")) {
            avail = jsonInt(of["availableQuantity"]);
            if (!avail || *avail < 0) {
              entryFail(sku, oid, 400, ebayError(25004, "API_INVENTORY", "REQUEST", "Invalid quantity. availableQuantity must be 0 or more."));
              bad = true;
              break;
            }
          }
          std::optional<int64_t> price;
          if (of.contains("price")) {
            const json& p = of["price"];
            price = p.is_object() && p.contains("value") && p["value"].is_string() ? parseCents(p["value"].get<std::string>()) : std::nullopt;
            // Amount.currency: the listing's marketplace currency (USD here), as eBay requires.
            bool currency_ok = p.is_object() && (!p.contains("currency") || p["currency"] == offer->currency);
            if (!price || !currency_ok) {
              entryFail(sku, oid, 400, ebayError(25003, "API_INVENTORY", "REQUEST", "Invalid price."));
              bad = true;
              break;
            }
          }
          offer_changes.emplace_back(offer, avail);
          offer_prices.emplace_back(offer, price);
        }
      }
      if (bad) continue;
      // Every published offer of the item is a listing this revises.
      std::vector<Offer*> revised;
      for (Offer& o : item.offers) revised.push_back(&o);
      Offer* over = nullptr;
      for (Offer* o : revised) {
        if (o->revisions[day] >= ctx_.options().revisions_per_day) over = o;
      }
      if (over) {
        entryFail(sku, r.contains("offers") ? over->offer_id : "", 400,
                  ebayError(25019, "API_INVENTORY", "REQUEST",
                            "Cannot revise listing. This listing has already been revised " +
                                std::to_string(ctx_.options().revisions_per_day) + " times today.",
                            json::array({{{"name", "listingId"}, {"value", over->listing_id}}})));
        continue;
      }
      if (new_qty) item.quantity = *new_qty;
      for (auto& [o, avail] : offer_changes) {
        if (avail) o->available = *avail;
      }
      for (auto& [o, price] : offer_prices) {
        if (price) {
          o->price_cents = *price;
          ++o->price_updates;
        }
      }
      for (Offer* o : revised) ++o->revisions[day];
      item.updated_ms = now;
      ++item.update_count;
      if (r.contains("offers") && !r["offers"].empty()) {
        for (auto& [o, avail] : offer_changes) responses.push_back({{"offerId", o->offer_id}, {"sku", sku}, {"statusCode", 200}});
      } else {
        responses.push_back({{"sku", sku}, {"statusCode", 200}});
      }
    }
    sendJson(res, all_ok ? 200 : 207, {{"responses", responses}});
  }

  void getItem(const httplib::Request& req, httplib::Response& res) {
    std::lock_guard lock(mu_);
    auto it = items_.find(req.matches[1]);
    if (it == items_.end()) {
      return sendJson(res, 404, errors(ebayError(25710, "API_INVENTORY", "REQUEST",
                                                 "We didn't find the resource/entity you are requesting. Please verify the request")));
    }
    sendJson(res, 200, {{"sku", it->first},
                        {"locale", "en_US"},
                        {"product", {{"title", it->second.title}}},
                        {"condition", "NEW"},
                        {"availability", {{"shipToLocationAvailability", {{"quantity", it->second.quantity}}}}}});
  }

  void getOffers(const httplib::Request& req, httplib::Response& res) {
    std::string sku = req.get_param_value("sku");
    if (sku.empty()) return sendJson(res, 400, errors(ebayError(25709, "API_INVENTORY", "REQUEST", "Invalid value for sku.")));
    std::lock_guard lock(mu_);
    auto it = items_.find(sku);
    if (it == items_.end()) {
      return sendJson(res, 404, errors(ebayError(25713, "API_INVENTORY", "REQUEST", "This Offer is not available : " + sku + ".")));
    }
    json offers = json::array();
    for (const Offer& o : it->second.offers) {
      offers.push_back({{"offerId", o.offer_id},
                        {"sku", sku},
                        {"marketplaceId", "EBAY_US"},
                        {"format", "FIXED_PRICE"},
                        {"availableQuantity", o.available},
                        {"pricingSummary", {{"price", {{"value", centsText(o.price_cents)}, {"currency", "USD"}}}}},
                        {"listing", {{"listingId", o.listing_id}, {"listingStatus", "ACTIVE"}}},
                        {"status", "PUBLISHED"}});
    }
    sendJson(res, 200, {{"href", "/sell/inventory/v1/offer?sku=" + sku}, {"limit", 100}, {"offers", offers},
                        {"size", offers.size()}, {"total", offers.size()}});
  }

  json lineRefunds(const Order& o, const Line& l) const {
    json out = json::array();
    for (const Line::Refund& r : l.refunds) {
      out.push_back({{"amount", {{"value", centsText(r.amount_cents)}, {"currency", o.currency}}},
                     {"refundDate", isoUtc(r.at_ms)},
                     {"refundId", r.id},
                     {"refundReferenceId", "ref-" + r.id}});
    }
    return out;
  }
  json orderRefunds(const Order& o) const {
    json out = json::array();
    for (const Order::Refund& r : o.refunds) {
      out.push_back({{"amount", {{"value", centsText(r.amount_cents)}, {"currency", o.currency}}},
                     {"refundDate", isoUtc(r.at_ms)},
                     {"refundId", r.id},
                     {"refundReferenceId", "ref-" + r.id},
                     {"refundStatus", r.status}});
    }
    return out;
  }
  static std::string paymentStatus(const Order& o, int64_t total_cents) {
    if (o.cancelled) return "FULLY_REFUNDED";
    int64_t refunded = 0;
    for (const Order::Refund& r : o.refunds) {
      if (r.status == "REFUNDED") refunded += r.amount_cents;
    }
    if (refunded == 0) return "PAID";
    return refunded >= total_cents ? "FULLY_REFUNDED" : "PARTIALLY_REFUNDED";
  }

  json orderJson(const Order& o) const {
    int64_t total = 0;
    json lines = json::array();
    for (const Line& l : o.lines) {
      total += l.cost_cents;
      json li = {{"lineItemId", l.id},
                 {"legacyItemId", l.legacy_item},
                 {"title", l.title},
                 {"lineItemCost", {{"value", centsText(l.cost_cents)}, {"currency", o.currency}}},
                 {"quantity", l.quantity},
                 {"soldFormat", "FIXED_PRICE"},
                 {"listingMarketplaceId", "EBAY_US"},
                 {"purchaseMarketplaceId", "EBAY_US"},
                 {"lineItemFulfillmentStatus", lineStatus(o, l)},
                 {"total", {{"value", centsText(l.cost_cents)}, {"currency", o.currency}}},
                 {"deliveryCost", {{"shippingCost", {{"value", "0.0"}, {"currency", o.currency}}}}},
                 {"appliedPromotions", json::array()},
                 {"taxes", json::array()},
                 {"properties", {{"buyerProtection", true}}},
                 {"refunds", lineRefunds(o, l)},
                 {"lineItemFulfillmentInstructions", {{"shipByDate", isoUtc(o.created_ms + 3 * kDayMs)}, {"guaranteedDelivery", false}}}};
      if (!l.omit_sku) li["sku"] = l.sku;
      lines.push_back(std::move(li));
    }
    json price = {{"value", centsText(total)}, {"currency", o.currency}};
    return {{"orderId", o.id},
            {"legacyOrderId", o.lines.empty() ? o.id : o.lines[0].legacy_item + "-" + o.lines[0].id + "!" + std::to_string(o.created_ms % 100000)},
            {"creationDate", isoUtc(o.created_ms)},
            {"lastModifiedDate", isoUtc(o.updated_ms)},
            {"orderFulfillmentStatus", orderStatus(o)},
            {"orderPaymentStatus", paymentStatus(o, total)},
            {"sellerId", "stockwire_sim"},
            {"buyer", {{"username", "sim_buyer_" + o.id.substr(0, 2)}}},
            {"pricingSummary", {{"priceSubtotal", price}, {"deliveryCost", {{"value", "0.0"}, {"currency", o.currency}}}, {"total", price}}},
            {"cancelStatus", o.cancelled ? json{{"cancelState", "CANCELED"}, {"cancelledDate", isoUtc(o.updated_ms)},
                                                {"cancelRequests", json::array()}}
                                         : json{{"cancelState", "NONE_REQUESTED"}, {"cancelRequests", json::array()}}},
            {"paymentSummary", {{"totalDueSeller", price}, {"refunds", orderRefunds(o)}, {"payments", json::array()}}},
            {"fulfillmentStartInstructions",
             !o.pickup_location_key.empty()
                 ? json::array({{{"fulfillmentInstructionsType", "PREPARE_FOR_PICKUP"},
                                 {"ebaySupportedFulfillment", false},
                                 {"pickupStep", {{"merchantLocationKey", o.pickup_location_key}}}}})
                 :
             json::array({{{"fulfillmentInstructionsType", "SHIP_TO"},
                           {"ebaySupportedFulfillment", false},
                           {"minEstimatedDeliveryDate", isoUtc(o.created_ms + 3 * kDayMs)},
                           {"maxEstimatedDeliveryDate", isoUtc(o.created_ms + 7 * kDayMs)},
                           {"shippingStep", {{"shippingCarrierCode", "USPS"},
                                             {"shippingServiceCode", "USPSPriority"},
                                             {"shipTo", {{"fullName", "Sam Buyer"},
                                                         {"contactAddress", {{"addressLine1", "1 Main St"},
                                                                             {"city", o.ship_to.city.empty() ? "San Jose" : o.ship_to.city},
                                                                             {"stateOrProvince", o.ship_to.region.empty() ? "CA" : o.ship_to.region},
                                                                             {"postalCode", o.ship_to.postal_code.empty() ? "95125" : o.ship_to.postal_code},
                                                                             {"country", o.country}}},
                                                         {"primaryPhone", {{"phoneNumber", "4085551234"}}},
                                                         {"email", "buyer@example.com"}}}}}}})},
            {"fulfillmentHrefs", [&] {
               json hrefs = json::array();
               for (const Fulfillment& f : o.fulfillments) hrefs.push_back("/sell/fulfillment/v1/order/" + o.id + "/shipping_fulfillment/" + f.id);
               return hrefs;
             }()},
            {"salesRecordReference", std::to_string(1000 + (o.created_ms % 1000))},
            {"lineItems", lines}};
  }

  void getOrders(const httplib::Request& req, httplib::Response& res) {
    auto bad = [&](int id, const std::string& message) {
      sendJson(res, 400, errors(ebayError(id, "API_FULFILLMENT", "REQUEST", message)));
    };
    // Brackets and braces must arrive percent-encoded, as eBay's documentation requires.
    std::string raw_query = req.target.substr(std::min(req.target.size(), req.target.find('?')));
    if (raw_query.find_first_of("[]{}") != std::string::npos) {
      return bad(30800, "Invalid filter value: brackets and braces in filter must be URL-encoded (%5B %5D %7B %7D).");
    }
    int64_t limit = 50;
    int64_t offset = 0;
    if (req.has_param("limit")) {
      auto v = jsonInt(json(req.get_param_value("limit")), true);
      if (!v || *v < 1 || *v > 200) return bad(31100, "Invalid limit: " + req.get_param_value("limit"));
      limit = *v;
    }
    if (req.has_param("offset")) {
      auto v = jsonInt(json(req.get_param_value("offset")), true);
      if (!v || *v < 0) return bad(31000, "Invalid offset: " + req.get_param_value("offset"));
      offset = *v;
    }
    int64_t now = ctx_.nowMs();
    std::optional<int64_t> mod_from, mod_to, created_from, created_to;
    std::set<std::string> fulfillment;
    std::set<std::string> ids;
    if (req.has_param("orderIds")) {
      std::string list = req.get_param_value("orderIds");
      size_t start = 0;
      while (start <= list.size()) {
        size_t c = list.find(',', start);
        std::string id = list.substr(start, c == std::string::npos ? std::string::npos : c - start);
        if (!id.empty()) ids.insert(id);
        if (c == std::string::npos) break;
        start = c + 1;
      }
      if (ids.size() > 50) return bad(30900, "Exceeded maximum number of order IDs (the current limit is 50)");
    } else if (req.has_param("filter")) {
      std::string filter = req.get_param_value("filter");
      // Criteria are comma-separated; commas inside [..] or {..} belong to the value.
      std::vector<std::string> parts;
      std::string cur;
      int depth = 0;
      for (char c : filter) {
        if (c == '[' || c == '{') ++depth;
        if (c == ']' || c == '}') --depth;
        if (c == ',' && depth == 0) {
          parts.push_back(cur);
          cur.clear();
        } else {
          cur += c;
        }
      }
      if (!cur.empty()) parts.push_back(cur);
      for (const std::string& p : parts) {
        auto colon = p.find(':');
        if (colon == std::string::npos) return bad(30700, "Invalid filter name: " + p);
        std::string name = p.substr(0, colon);
        std::string value = p.substr(colon + 1);
        if (name == "lastmodifieddate" || name == "creationdate") {
          if (value.size() < 4 || value.front() != '[' || value.back() != ']') return bad(30800, "Invalid filter value " + value + " for filter " + name);
          std::string inner = value.substr(1, value.size() - 2);
          auto dots = inner.find("..");
          if (dots == std::string::npos) return bad(30800, "Invalid filter value " + value + " for filter " + name);
          std::string a = inner.substr(0, dots);
          std::string b = inner.substr(dots + 2);
          if (a.empty()) return bad(30820, "Start date is missing");
          auto from = parseIso(a);
          std::optional<int64_t> to;
          if (!from) return bad(30810, "Invalid date format");
          if (!b.empty()) {
            to = parseIso(b);
            if (!to) return bad(30810, "Invalid date format");
            if (*to < *from) return bad(30840, "Start date should be before end date");
          }
          if (*from > now + 60'000 || (to && *to > now + 60'000)) return bad(30850, "Start and end dates can't be in the future");
          if (*from < now - kNinetyDaysMs) return bad(30830, "Start date must be within 90 days of end date and current date.");
          (name == "lastmodifieddate" ? mod_from : created_from) = from;
          (name == "lastmodifieddate" ? mod_to : created_to) = to;
        } else if (name == "orderfulfillmentstatus") {
          if (value.size() < 2 || value.front() != '{' || value.back() != '}') return bad(30800, "Invalid filter value " + value + " for filter " + name);
          std::string inner = value.substr(1, value.size() - 2);
          size_t start = 0;
          while (start <= inner.size()) {
            size_t bar = inner.find('|', start);
            std::string s = inner.substr(start, bar == std::string::npos ? std::string::npos : bar - start);
            if (s != "NOT_STARTED" && s != "IN_PROGRESS" && s != "FULFILLED") return bad(30800, "Invalid filter value " + s + " for filter " + name);
            fulfillment.insert(s);
            if (bar == std::string::npos) break;
            start = bar + 1;
          }
        } else {
          return bad(30700, "Invalid filter name: " + name);
        }
      }
    }
    std::lock_guard lock(mu_);
    std::vector<const Order*> match;
    for (const Order& o : orders_) {
      if (!ids.empty()) {
        if (ids.count(o.id)) match.push_back(&o);
        continue;
      }
      if (o.created_ms < now - kNinetyDaysMs) continue;
      if (mod_from && o.updated_ms < *mod_from) continue;
      if (mod_to && o.updated_ms > *mod_to) continue;
      if (created_from && o.created_ms < *created_from) continue;
      if (created_to && o.created_ms > *created_to) continue;
      if (!fulfillment.empty() && !fulfillment.count("NOT_STARTED")) continue;
      match.push_back(&o);
    }
    std::stable_sort(match.begin(), match.end(), [](const Order* a, const Order* b) { return a->updated_ms < b->updated_ms; });
    json orders = json::array();
    for (int64_t i = offset; i < static_cast<int64_t>(match.size()) && i < offset + limit; ++i) orders.push_back(orderJson(*match[i]));
    std::string base = "/sell/fulfillment/v1/order?";
    std::string q = req.has_param("filter") ? "filter=" + httplib::detail::encode_query_param(req.get_param_value("filter")) + "&" : "";
    json out = {{"href", base + q + "limit=" + std::to_string(limit) + "&offset=" + std::to_string(offset)},
                {"total", match.size()},
                {"limit", limit},
                {"offset", offset},
                {"orders", orders}};
    if (offset + limit < static_cast<int64_t>(match.size())) {
      out["next"] = base + q + "limit=" + std::to_string(limit) + "&offset=" + std::to_string(offset + limit);
    }
    if (offset > 0) out["prev"] = base + q + "limit=" + std::to_string(limit) + "&offset=" + std::to_string(std::max<int64_t>(0, offset - limit));
    sendJson(res, 200, out);
  }

  static json amount(int64_t cents, const std::string& currency) {
    return {{"value", centsText(cents < 0 ? -cents : cents)}, {"currency", currency}};
  }

  json payoutJson(const SimPayout& p) const {
    int64_t count = 0;
    for (const PayoutEntry& e : p.entries) count += e.type != "payout";
    return {{"payoutId", p.id},
            {"payoutStatus", "SUCCEEDED"},
            {"payoutStatusDescription", "Funds sent"},
            {"payoutDate", isoUtc(p.at_ms)},
            {"amount", amount(p.amount_cents, p.currency)},
            {"transactionCount", count},
            {"payoutInstrument", {{"instrumentType", "BANK"}, {"nickname", "Checking ****6789"}, {"accountLastFourDigits", "6789"}}}};
  }

  // One payout entry as a Finances Transaction: a charge is a SALE (amount = what reached the
  // balance, totalFeeBasisAmount the order total, totalFeeAmount the final value fee), a refund a
  // REFUND (DEBIT), a fee a NON_SALE_CHARGE (DEBIT).
  json transactionJson(const SimPayout& p, const PayoutEntry& e) const {
    json t = {{"payoutId", p.id}, {"transactionStatus", "PAYOUT"}, {"transactionDate", isoUtc(e.at_ms)}};
    if (e.type == "charge") {
      t["transactionId"] = e.order_id;  // eBay uses the order id for the sale's transaction
      t["orderId"] = e.order_id;
      t["transactionType"] = "SALE";
      t["bookingEntry"] = "CREDIT";
      t["amount"] = amount(e.amount_cents - e.fee_cents, p.currency);
      t["totalFeeBasisAmount"] = amount(e.amount_cents, p.currency);
      t["totalFeeAmount"] = amount(e.fee_cents, p.currency);
      t["orderLineItems"] = json::array({{{"lineItemId", e.source_id},
                                          {"feeBasisAmount", amount(e.amount_cents, p.currency)},
                                          {"marketplaceFees", json::array({{{"feeType", "FINAL_VALUE_FEE"}, {"amount", amount(e.fee_cents, p.currency)}}})}}});
    } else if (e.type == "refund") {
      t["transactionId"] = e.source_id;
      t["orderId"] = e.order_id;
      t["transactionType"] = "REFUND";
      t["bookingEntry"] = "DEBIT";
      t["amount"] = amount(e.amount_cents, p.currency);
    } else {
      t["transactionId"] = "FEE-" + e.id;
      t["transactionType"] = "NON_SALE_CHARGE";
      t["bookingEntry"] = e.amount_cents < 0 ? "DEBIT" : "CREDIT";
      t["amount"] = amount(e.amount_cents, p.currency);
      t["feeType"] = "OTHER_FEES";
      t["transactionMemo"] = e.description;
    }
    return t;
  }

  // limit and offset as eBay reads them; false having answered 400.
  bool pageParams(const httplib::Request& req, httplib::Response& res, int64_t max, int64_t* limit, int64_t* offset) {
    auto bad = [&](int id, const std::string& message) {
      sendJson(res, 400, errors(ebayError(id, "API_FINANCES", "REQUEST", message)));
      return false;
    };
    std::string raw_query = req.target.substr(std::min(req.target.size(), req.target.find('?')));
    if (raw_query.find_first_of("[]{}") != std::string::npos) {
      return bad(135002, "Invalid filter: brackets and braces in filter must be URL-encoded (%5B %5D %7B %7D).");
    }
    if (req.has_param("limit")) {
      auto v = jsonInt(json(req.get_param_value("limit")), true);
      if (!v || *v < 1 || *v > max) return bad(135001, "Invalid limit: " + req.get_param_value("limit"));
      *limit = *v;
    }
    if (req.has_param("offset")) {
      auto v = jsonInt(json(req.get_param_value("offset")), true);
      if (!v || *v < 0) return bad(135001, "Invalid offset: " + req.get_param_value("offset"));
      *offset = *v;
    }
    return true;
  }

  template <typename T>
  void sendPage(httplib::Response& res, const std::string& path, const std::string& filter, const char* key,
                const std::vector<T>& all, int64_t limit, int64_t offset) {
    json list = json::array();
    for (int64_t i = offset; i < static_cast<int64_t>(all.size()) && i < offset + limit; ++i) list.push_back(all[i]);
    const std::string q = filter.empty() ? "" : "filter=" + httplib::detail::encode_query_param(filter) + "&";
    auto href = [&](int64_t at) { return path + "?" + q + "limit=" + std::to_string(limit) + "&offset=" + std::to_string(at); };
    json out = {{"href", href(offset)}, {"total", all.size()}, {"limit", limit}, {"offset", offset}, {key, list}};
    if (offset + limit < static_cast<int64_t>(all.size())) out["next"] = href(offset + limit);
    if (offset > 0) out["prev"] = href(std::max<int64_t>(0, offset - limit));
    sendJson(res, 200, out);
  }

  void getPayouts(const httplib::Request& req, httplib::Response& res) {
    int64_t limit = 20, offset = 0;
    if (!pageParams(req, res, 200, &limit, &offset)) return;
    std::optional<int64_t> from, to;
    const std::string filter = req.get_param_value("filter");
    if (!filter.empty()) {
      // payoutDate:[from..to], either end may be left out.
      const std::string name = "payoutDate:";
      const size_t dots = filter.find("..");
      if (filter.rfind(name, 0) != 0 || filter.size() < name.size() + 4 || filter[name.size()] != '[' || filter.back() != ']' ||
          dots == std::string::npos) {
        return sendJson(res, 400, errors(ebayError(135002, "API_FINANCES", "REQUEST", "Invalid filter: " + filter)));
      }
      const std::string a = filter.substr(name.size() + 1, dots - name.size() - 1);
      const std::string b = filter.substr(dots + 2, filter.size() - dots - 3);
      if (!a.empty() && !(from = parseIso(a))) return sendJson(res, 400, errors(ebayError(135002, "API_FINANCES", "REQUEST", "Invalid date " + a)));
      if (!b.empty() && !(to = parseIso(b))) return sendJson(res, 400, errors(ebayError(135002, "API_FINANCES", "REQUEST", "Invalid date " + b)));
    }
    std::lock_guard lock(mu_);
    std::vector<json> all;
    for (const SimPayout& p : payouts_.payouts()) {
      if ((from && p.at_ms < *from) || (to && p.at_ms > *to)) continue;
      all.push_back(payoutJson(p));
    }
    sendPage(res, "/sell/finances/v1/payout", filter, "payouts", all, limit, offset);
  }

  void getPayout(const httplib::Request& req, httplib::Response& res) {
    std::lock_guard lock(mu_);
    for (const SimPayout& p : payouts_.payouts()) {
      if (p.id == req.matches[1]) return sendJson(res, 200, payoutJson(p));
    }
    sendJson(res, 404, errors(ebayError(135003, "API_FINANCES", "REQUEST", "The payout ID " + req.matches[1].str() + " was not found.")));
  }

  void getTransactions(const httplib::Request& req, httplib::Response& res) {
    int64_t limit = 20, offset = 0;
    if (!pageParams(req, res, 1000, &limit, &offset)) return;
    const std::string filter = req.get_param_value("filter");
    std::string payout_id;
    if (!filter.empty()) {
      const std::string name = "payoutId:";
      if (filter.rfind(name, 0) != 0 || filter.size() < name.size() + 3 || filter[name.size()] != '{' || filter.back() != '}') {
        return sendJson(res, 400, errors(ebayError(135002, "API_FINANCES", "REQUEST", "Invalid filter: " + filter)));
      }
      payout_id = filter.substr(name.size() + 1, filter.size() - name.size() - 2);
    }
    std::lock_guard lock(mu_);
    std::vector<json> all;
    for (const SimPayout& p : payouts_.payouts()) {
      if (!payout_id.empty() && p.id != payout_id) continue;
      for (const PayoutEntry& e : p.entries) {
        if (e.type != "payout") all.push_back(transactionJson(p, e));
      }
    }
    sendPage(res, "/sell/finances/v1/transaction", filter, "transactions", all, limit, offset);
  }

  void getOrder(const httplib::Request& req, httplib::Response& res) {
    std::lock_guard lock(mu_);
    for (const Order& o : orders_) {
      if (o.id == req.matches[1]) return sendJson(res, 200, orderJson(o));
    }
    sendJson(res, 404, errors(ebayError(32100, "API_FULFILLMENT", "REQUEST", "Invalid order ID: " + req.matches[1].str())));
  }

  SimContext& ctx_;
  std::mutex mu_;
  std::map<std::string, Item> items_;
  std::vector<Order> orders_;
  std::map<std::string, std::map<int64_t, int64_t>> calls_;  // api -> day -> calls
  PayoutBook payouts_{FeeRule{1325, 30}, 6000012345ULL};  // final value fee 13.25% + 0.30
  uint64_t next_offer_ = 5000000001ULL;
  uint64_t next_listing_ = 110550000001ULL;
  uint64_t next_order_ = 1;
  uint64_t next_line_ = 10000000000001ULL;
};

}  // namespace

std::unique_ptr<ChannelSim> makeEbaySim(SimContext& ctx) { return std::make_unique<EbaySim>(ctx); }

}  // namespace sw::channelsim
