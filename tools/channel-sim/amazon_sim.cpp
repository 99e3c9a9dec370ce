// Amazon Selling Partner API, as much of it as Stockwire uses:
//   Listings Items 2021-08-01: PATCH and GET /listings/2021-08-01/items/{sellerId}/{sku}
//   Feeds 2021-06-30: createFeedDocument, PUT to the pre-signed URL, createFeed (202), getFeed,
//                     getFeedDocument, the processing report (JSON_LISTINGS_FEED)
//   Orders v0: getOrders (CreatedAfter/LastUpdatedAfter, NextToken), getOrder, getOrderItems
//   Finances v0: listFinancialEvents (PostedAfter, PostedBefore at most two minutes ago,
//     MaxResultsPerPage 1-100, NextToken), listFinancialEventsByOrderId: the RefundEventList of
//     refunds made with POST /_sim/orders/<id>/refund {"lines":[{"line_id","quantity"}]} (one
//     ShipmentItemAdjustment per line, with its OrderAdjustmentItemId and QuantityShipped; the
//     order itself is not changed, as on Amazon, and no stock comes back)
//   Reports 2021-06-30 (settlements, payouts.h): getReports (reportTypes, processingStatuses,
//     createdSince, pageSize 1-100; nextToken alone on later pages), getReportDocument, and the
//     GET_V2_SETTLEMENT_REPORT_DATA_FLAT_FILE_V2 flat file (tab-separated; gzip with
//     --gzip-reports) at its pre-signed URL. POST /_sim/payouts settles what was charged (orders
//     not Pending: their OrderTotal, a 15% referral fee as ItemFees/Commission) and refunded (a
//     Refund row per OrderAdjustmentItemId, in merchant-adjustment-item-id) since the last one.
// Every answer has x-amzn-RequestId; every operation has its own token bucket (the published
// usage plan, scaled by --rate-scale) with x-amzn-RateLimit-Limit; 429 QuotaExceeded when empty.
// Accepted listing changes become visible after --apply-delay-ms (ACCEPTED is not "applied").

#include <zlib.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <regex>
#include <set>
#include <tuple>

#include "payouts.h"
#include "sim_core.h"

namespace sw::channelsim {

namespace {

struct Plan {
  const char* operation;
  double rate;
  double burst;
};
constexpr Plan kPlans[] = {
    {"patchListingsItem", 5, 5},   {"getListingsItem", 5, 10},   {"createFeedDocument", 0.5, 15},
    {"createFeed", 0.0083, 15},    {"getFeed", 2, 15},           {"getFeedDocument", 0.0222, 10},
    {"getOrders", 0.0167, 20},     {"getOrder", 0.5, 30},        {"getOrderItems", 0.5, 30},
    {"confirmShipment", 2, 10},    {"listFinancialEvents", 0.5, 30}, {"listFinancialEventsByOrderId", 0.5, 30},
    {"getReports", 0.0222, 10},    {"getReportDocument", 0.0167, 15},
};

constexpr const char* kSettlementType = "GET_V2_SETTLEMENT_REPORT_DATA_FLAT_FILE_V2";
// The V2 settlement flat file's columns, in Amazon's order.
constexpr const char* kSettlementColumns[] = {
    "settlement-id", "settlement-start-date", "settlement-end-date", "deposit-date", "total-amount", "currency",
    "transaction-type", "order-id", "merchant-order-id", "adjustment-id", "shipment-id", "marketplace-name",
    "amount-type", "amount-description", "amount", "fulfillment-id", "posted-date", "posted-date-time",
    "order-item-code", "merchant-order-item-id", "merchant-adjustment-item-id", "sku", "quantity-purchased",
    "promotion-id"};

const std::set<std::string> kStatuses = {"Pending", "Unshipped", "PartiallyShipped", "Shipped", "Canceled",
                                         "Unfulfillable", "InvoiceUnconfirmed", "PendingAvailability"};

json errorList(const std::string& code, const std::string& message) {
  return {{"errors", json::array({{{"code", code}, {"message", message}, {"details", ""}}})}};
}

std::string rateText(double r) {
  char buf[32];
  if (r == std::floor(r)) {
    std::snprintf(buf, sizeof buf, "%.1f", r);
  } else {
    std::snprintf(buf, sizeof buf, "%.4g", r);
  }
  return buf;
}

std::string gzip(const std::string& in) {
  z_stream zs{};
  deflateInit2(&zs, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  zs.avail_in = static_cast<uInt>(in.size());
  std::string out;
  char buf[16384];
  int rc;
  do {
    zs.next_out = reinterpret_cast<Bytef*>(buf);
    zs.avail_out = sizeof buf;
    rc = deflate(&zs, Z_FINISH);
    out.append(buf, sizeof buf - zs.avail_out);
  } while (rc == Z_OK);
  deflateEnd(&zs);
  return out;
}

std::vector<std::string> splitList(const std::string& s) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= s.size()) {
    size_t comma = s.find(',', start);
    std::string item = s.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    if (!item.empty()) out.push_back(item);
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return out;
}

class AmazonSim final : public SimWithOrderViews<AmazonSim> {
  friend class SimWithOrderViews<AmazonSim>;

 public:
  explicit AmazonSim(SimContext& ctx) : ctx_(ctx) {
    double scale = ctx.options().rate_scale;
    for (const Plan& p : kPlans) {
      Bucket b;
      b.rate = p.rate * scale;
      b.burst = std::max(1.0, std::round(p.burst * scale));
      b.tokens = b.burst;
      b.at = ctx.monoMs();
      buckets_[p.operation] = b;
    }
  }


  void install(httplib::Server& server) override {
    const std::string item = R"(/listings/2021-08-01/items/([^/]+)/(.+))";  // the SKU is percent-decoded and may hold "/"
    server.Patch(item, api("patchListingsItem", [this](const httplib::Request& q, httplib::Response& r) { patch(q, r); }));
    server.Get(item, api("getListingsItem", [this](const httplib::Request& q, httplib::Response& r) { getItem(q, r); }));
    server.Post("/feeds/2021-06-30/documents",
                api("createFeedDocument", [this](const httplib::Request& q, httplib::Response& r) { createDocument(q, r); }));
    server.Get(R"(/feeds/2021-06-30/documents/([^/]+))",
               api("getFeedDocument", [this](const httplib::Request& q, httplib::Response& r) { getDocument(q, r); }));
    server.Post("/feeds/2021-06-30/feeds", api("createFeed", [this](const httplib::Request& q, httplib::Response& r) { createFeed(q, r); }));
    server.Get(R"(/feeds/2021-06-30/feeds/([^/]+))", api("getFeed", [this](const httplib::Request& q, httplib::Response& r) { getFeed(q, r); }));
    server.Get("/orders/v0/orders", api("getOrders", [this](const httplib::Request& q, httplib::Response& r) { getOrders(q, r); }));
    server.Get(R"(/orders/v0/orders/([^/]+))", api("getOrder", [this](const httplib::Request& q, httplib::Response& r) { getOrder(q, r); }));
    server.Get(R"(/orders/v0/orders/([^/]+)/orderItems)",
               api("getOrderItems", [this](const httplib::Request& q, httplib::Response& r) { getOrderItems(q, r); }));
    server.Get("/finances/v0/financialEvents", api("listFinancialEvents", [this](const httplib::Request& q, httplib::Response& r) {
                 financialEvents(q, r, "");
               }));
    server.Get(R"(/finances/v0/orders/([^/]+)/financialEvents)",
               api("listFinancialEventsByOrderId",
                   [this](const httplib::Request& q, httplib::Response& r) { financialEvents(q, r, q.matches[1]); }));
    server.Post(R"(/orders/v0/orders/([^/]+)/shipmentConfirmation)",
                api("confirmShipment", [this](const httplib::Request& q, httplib::Response& r) { confirmShipment(q, r); }));
    // The pre-signed S3 URLs: authorised by their signature, not by the SP-API token.
    server.Get("/reports/2021-06-30/reports", api("getReports", [this](const httplib::Request& q, httplib::Response& r) { getReports(q, r); }));
    server.Get(R"(/reports/2021-06-30/documents/([^/]+))",
               api("getReportDocument", [this](const httplib::Request& q, httplib::Response& r) { getReportDocument(q, r); }));
    server.Put(R"(/s3/feed-documents/([^/]+))", [this](const httplib::Request& q, httplib::Response& r) { upload(q, r); });
    server.Get(R"(/s3/result-documents/([^/]+))", [this](const httplib::Request& q, httplib::Response& r) { download(q, r); });
  }

  void sendServerError(const httplib::Request&, httplib::Response& res) override {
    res.set_header("x-amzn-RequestId", ctx_.uuid());
    sendJson(res, 500, errorList("InternalFailure", "We encountered an internal error. Please try again."));
  }

  void sendThrottled(const httplib::Request&, httplib::Response& res) override {
    res.set_header("x-amzn-RequestId", ctx_.uuid());
    sendJson(res, 429, errorList("QuotaExceeded", "You exceeded your quota for the requested resource."));
  }

  SeedRules seedRules() const override { return {}; }
  bool seed(const std::vector<SeedListing>& listings, json* out, std::string*) override {
    std::lock_guard lock(mu_);
    json created = json::array();
    for (const SeedListing& l : listings) {
      const std::string& sku = l.sku;
      Listing& li = listings_[sku];
      if (li.sku.empty()) {
        li.sku = sku;
        char asin[16];
        std::snprintf(asin, sizeof asin, "B0%08llu", static_cast<unsigned long long>(next_asin_++));
        li.asin = asin;
        li.created_ms = ctx_.nowMs();
      }
      li.product_type = textField(*l.raw, "product_type", "PRODUCT");
      li.title = l.title;
      li.price = l.price;
      li.quantity = l.quantity;
      created.push_back({{"sku", sku}, {"asin", li.asin}, {"product_type", li.product_type}, {"quantity", l.quantity}});
    }
    *out = {{"seller_id", ctx_.options().seller_id}, {"marketplace_id", kMarketplace}, {"listings", created}};
    return true;
  }

  std::vector<ListingView> listings() override {
    std::lock_guard lock(mu_);
    std::vector<ListingView> out;
    for (const auto& [sku, l] : listings_) {
      ListingView v;
      v.sku = sku;
      v.quantity = l.quantity;
      v.channel_id = l.asin;
      v.updated_at_ms = l.updated_ms;
      v.update_count = l.update_count;
      v.extra = {{"product_type", l.product_type}, {"pending_submissions", l.pending}};
      if (l.offer) {
        const Listing::Offer& o = *l.offer;
        int64_t now = ctx_.nowMs();
        bool discounted = o.discounted_cents && now >= o.discount_start_ms && now < o.discount_end_ms;
        v.extra["purchasable_offer"] = {
            {"currency", o.currency},
            {"our_price", centsText(o.our_price_cents)},
            {"discounted_price", o.discounted_cents ? json(centsText(*o.discounted_cents)) : json(nullptr)},
            {"start_at", o.discounted_cents ? json(isoUtc(o.discount_start_ms)) : json(nullptr)},
            {"end_at", o.discounted_cents ? json(isoUtc(o.discount_end_ms)) : json(nullptr)},
            {"price", centsText(discounted ? *o.discounted_cents : o.our_price_cents)},
            {"updates", l.price_updates}};
      }
      out.push_back(v);
    }
    return out;
  }

  bool createOrder(const OrderRequest& request, const json& body, json* out, std::string* error) override {
    std::lock_guard lock(mu_);
    std::string status = textField(body, "status", "Unshipped");
    if (!kStatuses.count(status)) {
      *error = "status must be an Amazon OrderStatus";
      return false;
    }
    int64_t now = ctx_.nowMs();
    Order o;
    char id[32];
    std::snprintf(id, sizeof id, "113-%07llu-%07llu", static_cast<unsigned long long>(1000000 + next_order_ % 9000000),
                  static_cast<unsigned long long>(4000000 + (next_order_ * 7919) % 5000000));
    ++next_order_;
    o.id = id;
    o.created_ms = now;
    o.updated_ms = now;
    o.status = status;
    o.currency = request.currency;
    o.country = request.country;
    o.ship_to = request.ship_to;
    std::vector<std::pair<Listing*, int64_t>> takes;
    for (const OrderLineRequest& l : request.lines) {
      auto it = listings_.find(l.sku);
      if (it == listings_.end()) {
        *error = "no listing with SKU " + l.sku;
        return false;
      }
      auto price = parseCents(l.price.value_or(it->second.price));
      if (!price) {
        *error = "price must look like 12.34";
        return false;
      }
      char item_id[20];
      std::snprintf(item_id, sizeof item_id, "%014llu", static_cast<unsigned long long>(next_item_++));
      o.items.push_back({item_id, l.sku, it->second.asin, it->second.title, l.quantity, *price * l.quantity});
      takes.emplace_back(&it->second, l.quantity);
    }
    for (auto& [li, qty] : takes) li->quantity = std::max<int64_t>(0, li->quantity - qty);
    int64_t pending_ms = body.value("pending_ms", static_cast<int64_t>(0));
    orders_.push_back(o);
    if (status != "Pending" && status != "Canceled") payouts_.charge(o.id, totalOf(o), o.currency, now);
    if (status == "Pending" && pending_ms > 0) {
      std::string oid = o.id;
      ctx_.schedule(pending_ms, [this, oid] {
        std::lock_guard l2(mu_);
        for (Order& ord : orders_) {
          if (ord.id == oid && ord.status == "Pending") {
            ord.status = "Unshipped";
            ord.updated_ms = ctx_.nowMs();
            payouts_.charge(ord.id, totalOf(ord), ord.currency, ord.updated_ms);
          }
        }
      });
    }
    *out = {{"order_id", o.id}, {"order", orderJson(o)}, {"order_items", itemsJson(o)}};
    return true;
  }

  bool refundOrder(const std::string& id, const json& body, json* out, std::string* error) override {
    std::lock_guard lock(mu_);
    const Order* o = findOrder(id);
    if (!o) {
      *error = "no order " + id;
      return false;
    }
    if (!body.contains("lines") || !body["lines"].is_array() || body["lines"].empty()) {
      *error = "give {\"lines\":[{\"line_id\",\"quantity\"}]}";
      return false;
    }
    RefundEvent e;
    e.order_id = id;
    e.posted_ms = ctx_.nowMs();
    for (const json& want : body["lines"]) {
      const OrderItem* item = nullptr;
      for (const OrderItem& it : o->items) {
        if (it.id == want.value("line_id", std::string())) item = &it;
      }
      const int64_t qty = want.value("quantity", int64_t{0});
      if (!item || qty <= 0 || qty > item->quantity) {
        *error = "no order item " + want.value("line_id", std::string()) + " with that many units";
        return false;
      }
      const std::string adjustment = std::to_string(70000000000000LL + static_cast<int64_t>(refunds_.size()) * 100 +
                                                    static_cast<int64_t>(e.items.size()));
      e.items.emplace_back(item->id, adjustment, qty, item->price_cents * qty / item->quantity);
    }
    refunds_.push_back(e);
    for (const auto& [item_id, adjustment, qty, cents] : e.items) payouts_.refund(id, adjustment, cents, e.posted_ms);
    *out = {{"order_id", id}, {"refund_event", refundJson(e, o->currency)}};
    return true;
  }

  // POST /_sim/payouts: a settlement of what is not settled yet (payouts.h), as a DONE
  // settlement report with its flat file.
  bool createPayout(const json& body, json* out, std::string* error) override {
    std::lock_guard lock(mu_);
    const int64_t now = ctx_.nowMs();
    SimPayout p;
    if (!payouts_.makePayout(body, now, isoUtc(now).substr(0, 10), &p, error)) return false;
    Report r;
    r.report_id = std::to_string(next_report_++);
    r.document_id = "amzn1.spdoc.1.4.na." + ctx_.uuid();
    r.created_ms = now;
    r.start_ms = last_settlement_ms_ ? last_settlement_ms_ : now - 14 * 86'400'000LL;
    last_settlement_ms_ = now;
    const std::string tsv = settlementFile(p, r);
    Document d;
    d.content_type = "text/tab-separated-values; charset=UTF-8";
    d.signature = ctx_.uuid();
    d.uploaded = true;
    d.compressed = ctx_.options().gzip_reports;
    d.content = d.compressed ? gzip(tsv) : tsv;
    documents_[r.document_id] = d;
    reports_.push_back(r);
    *out = {{"payout", {{"id", p.id}, {"amount", centsText(p.amount_cents)}, {"currency", p.currency}, {"date", p.date}}},
            {"report", reportJson(r)},
            {"flat_file", tsv}};
    return true;
  }

  bool cancelOrder(const std::string& id, json* out, std::string* error) override {
    std::lock_guard lock(mu_);
    for (Order& o : orders_) {
      if (o.id != id) continue;
      if (o.status == "Canceled") {
        *error = "order " + id + " is already cancelled";
        return false;
      }
      o.status = "Canceled";
      o.updated_ms = ctx_.nowMs();
      payouts_.voidCharge(id);
      for (const OrderItem& it : o.items) {
        auto l = listings_.find(it.sku);
        if (l != listings_.end()) l->second.quantity += it.quantity;
      }
      *out = {{"order_id", id}, {"order", orderJson(o)}};
      return true;
    }
    *error = "no order " + id;
    return false;
  }

 private:
  static constexpr const char* kMarketplace = "ATVPDKIKX0DER";

  struct Bucket {
    double rate = 1;
    double burst = 1;
    double tokens = 1;
    int64_t at = 0;
  };
  struct Listing {
    std::string sku;
    std::string asin;
    std::string product_type;
    std::string title;
    std::string price;
    int64_t quantity = 0;
    int64_t created_ms = 0;
    int64_t updated_ms = 0;
    int64_t update_count = 0;
    int64_t pending = 0;  // accepted submissions not yet applied
    // purchasable_offer, once a PATCH set it (applied like stock, after apply_delay_ms)
    struct Offer {
      std::string currency;
      int64_t our_price_cents = 0;
      std::optional<int64_t> discounted_cents;
      int64_t discount_start_ms = 0;
      int64_t discount_end_ms = 0;
    };
    std::optional<Offer> offer;
    int64_t price_updates = 0;
  };
  struct Document {
    std::string content_type;
    std::string signature;
    std::string content;
    bool uploaded = false;
    bool compressed = false;
  };
  struct Feed {
    std::string id;
    std::string type;
    json marketplaces;
    std::string input_document;
    std::string status = "IN_QUEUE";
    int64_t created_ms = 0;
    int64_t started_ms = 0;
    int64_t ended_ms = 0;
    std::string result_document;
  };
  struct OrderItem {
    std::string id;
    std::string sku;
    std::string asin;
    std::string title;
    int64_t quantity = 0;
    int64_t price_cents = 0;  // the line: unit price x quantity, as Amazon's ItemPrice
  };
  struct Package {
    std::string reference_id;
    std::string carrier_code;
    std::string carrier_name;
    std::string tracking_number;
    std::string ship_date;
    std::vector<std::pair<std::string, int64_t>> items;  // orderItemId, quantity
    std::string body;  // the packageDetail as received (a repeat of the same package is accepted)
  };
  struct Order {
    std::string id;
    int64_t created_ms = 0;
    int64_t updated_ms = 0;
    std::string status;
    std::string currency;
    std::string country;
    ShipToRequest ship_to;  // "" parts: the sample address's
    std::vector<OrderItem> items;
    std::vector<Package> packages;
  };
  struct RefundEvent {
    std::string order_id;
    int64_t posted_ms = 0;
    std::vector<std::tuple<std::string, std::string, int64_t, int64_t>> items;  // item id, adjustment id, qty, cents
  };

  static int64_t shippedOf(const Order& o, const std::string& item_id) {
    int64_t n = 0;
    for (const Package& p : o.packages) {
      for (const auto& [id, q] : p.items) {
        if (id == item_id) n += q;
      }
    }
    return n;
  }

  // POST /orders/v0/orders/{orderId}/shipmentConfirmation (ConfirmShipmentRequest): 204 or an ErrorList.
  void confirmShipment(const httplib::Request& req, httplib::Response& res) {
    json body = json::parse(req.body, nullptr, false);
    auto invalid = [&](const std::string& message) { sendJson(res, 400, errorList("InvalidInput", message)); };
    if (body.is_discarded() || !body.is_object()) return invalid("The request body is not a valid ConfirmShipmentRequest.");
    for (const auto& [k, v] : body.items()) {
      if (k != "marketplaceId" && k != "packageDetail" && k != "codCollectionMethod") return invalid("Unknown property " + k + ".");
    }
    if (!body.contains("marketplaceId") || !body["marketplaceId"].is_string()) return invalid("marketplaceId is required.");
    if (body["marketplaceId"] != kMarketplace) return invalid("Invalid marketplaceId " + body["marketplaceId"].get<std::string>() + ".");
    if (body.contains("codCollectionMethod") && body["codCollectionMethod"] != "DirectPayment") {
      return invalid("codCollectionMethod must be DirectPayment.");
    }
    if (!body.contains("packageDetail") || !body["packageDetail"].is_object()) return invalid("packageDetail is required.");
    const json& p = body["packageDetail"];
    static const std::set<std::string> kFields = {"packageReferenceId", "carrierCode", "carrierName", "shippingMethod",
                                                  "trackingNumber", "shipDate", "shipFromSupplySourceId", "orderItems"};
    for (const auto& [k, v] : p.items()) {
      if (!kFields.count(k)) return invalid("Unknown property packageDetail." + k + ".");
      if (k != "orderItems" && !v.is_string()) return invalid("packageDetail." + k + " must be a string.");
    }
    for (const char* k : {"packageReferenceId", "carrierCode", "trackingNumber", "shipDate"}) {
      if (!p.contains(k) || p[k].get<std::string>().empty()) return invalid(std::string("packageDetail.") + k + " is required.");
    }
    std::string ref = p["packageReferenceId"];
    if (ref.find_first_not_of("0123456789") != std::string::npos || std::all_of(ref.begin(), ref.end(), [](char c) { return c == '0'; })) {
      return invalid("packageReferenceId must be a positive number.");
    }
    if (p["carrierCode"] == "Other" && (!p.contains("carrierName") || p["carrierName"].get<std::string>().empty())) {
      return invalid("carrierName is required when carrierCode is Other.");
    }
    std::string ship_date = p["shipDate"];
    if (ship_date.size() < 20 || ship_date[10] != 'T' || !parseIso(ship_date)) return invalid("shipDate must be an ISO 8601 date-time.");
    if (!p.contains("orderItems") || !p["orderItems"].is_array() || p["orderItems"].empty()) {
      return invalid("packageDetail.orderItems is required.");
    }
    std::lock_guard lock(mu_);
    Order* o = nullptr;
    for (Order& x : orders_) {
      if (x.id == req.matches[1].str()) o = &x;
    }
    if (!o) return sendJson(res, 404, errorList("NotFound", "Order " + req.matches[1].str() + " was not found."));
    for (const Package& pk : o->packages) {
      if (pk.reference_id != ref) continue;
      if (pk.body == p.dump()) {
        res.status = 204;  // the same package confirmed again: nothing changes
        return;
      }
      return invalid("packageReferenceId " + ref + " is already used by another package of this order.");
    }
    if (o->status == "Canceled" || o->status == "Pending" || o->status == "Shipped") {
      return invalid("Order " + o->id + " is " + o->status + " and cannot be confirmed.");
    }
    Package pk;
    std::map<std::string, int64_t> asked;
    for (const json& it : p["orderItems"]) {
      if (!it.is_object() || !it.contains("orderItemId") || !it["orderItemId"].is_string()) return invalid("orderItemId is required.");
      if (!it.contains("quantity") || !it["quantity"].is_number_integer()) return invalid("quantity is required and an integer.");
      for (const auto& [k, v] : it.items()) {
        if (k != "orderItemId" && k != "quantity" && k != "transparencyCodes") return invalid("Unknown property orderItems." + k + ".");
      }
      std::string id = it["orderItemId"];
      int64_t q = it["quantity"].get<int64_t>();
      const OrderItem* item = nullptr;
      for (const OrderItem& x : o->items) {
        if (x.id == id) item = &x;
      }
      if (!item) return invalid("Order item " + id + " is not part of order " + o->id + ".");
      asked[id] += q;
      if (q < 1 || shippedOf(*o, id) + asked[id] > item->quantity) {
        return invalid("Quantity for order item " + id + " exceeds the quantity left to ship.");
      }
      pk.items.emplace_back(id, q);
    }
    pk.reference_id = ref;
    pk.carrier_code = p["carrierCode"];
    pk.carrier_name = p.value("carrierName", "");
    pk.tracking_number = p["trackingNumber"];
    pk.ship_date = ship_date;
    pk.body = p.dump();
    o->packages.push_back(pk);
    bool all = true;
    for (const OrderItem& x : o->items) all = all && shippedOf(*o, x.id) >= x.quantity;
    o->status = all ? "Shipped" : "PartiallyShipped";
    o->updated_ms = ctx_.nowMs();
    res.status = 204;
  }

  json viewOf(const Order& o) const {
    json lines = json::array();
    for (const OrderItem& it : o.items) {
      lines.push_back({{"line_id", it.id}, {"sku", it.sku}, {"quantity", it.quantity}, {"fulfilled", shippedOf(o, it.id)}});
    }
    json fs = json::array();
    for (const Package& p : o.packages) {
      json fl = json::array();
      for (const auto& [id, q] : p.items) fl.push_back({{"line_id", id}, {"quantity", q}});
      fs.push_back({{"id", p.reference_id}, {"tracking_number", p.tracking_number}, {"carrier", p.carrier_code},
                    {"carrier_name", p.carrier_name}, {"ship_date", p.ship_date}, {"lines", fl}});
    }
    return {{"order_id", o.id}, {"status", o.status}, {"cancelled", o.status == "Canceled"}, {"lines", lines}, {"fulfilments", fs}};
  }


  using Handler = std::function<void(const httplib::Request&, httplib::Response&)>;

  // Token check, rate limit, request id and stats around one SP-API operation.
  Handler api(const std::string& operation, Handler inner) {
    return [this, operation, inner](const httplib::Request& req, httplib::Response& res) {
      if (injectFault(ctx_, *this, req, res)) return;
      res.set_header("x-amzn-RequestId", ctx_.uuid());
      if (req.get_header_value("x-amz-access-token") != ctx_.options().access_token) {
        sendJson(res, 403, errorList("Unauthorized", "Access to requested resource is denied."));
        ctx_.count(operation, 403);
        return;
      }
      double rate = 0;
      {
        std::lock_guard lock(mu_);
        Bucket& b = buckets_[operation];
        int64_t now = ctx_.monoMs();
        b.tokens = std::min(b.burst, b.tokens + b.rate * static_cast<double>(now - b.at) / 1000.0);
        b.at = now;
        rate = b.rate;
        if (b.tokens < 1.0) {
          res.set_header("x-amzn-RateLimit-Limit", rateText(rate));
          sendJson(res, 429, errorList("QuotaExceeded", "You exceeded your quota for the requested resource."));
          ctx_.count(operation, 429);
          return;
        }
        b.tokens -= 1.0;
      }
      res.set_header("x-amzn-RateLimit-Limit", rateText(rate));
      inner(req, res);
      ctx_.count(operation, res.status);
    };
  }

  bool checkMarketplace(const httplib::Request& req, httplib::Response& res, const char* param) {
    if (!req.has_param(param) || req.get_param_value(param).empty()) {
      sendJson(res, 400, errorList("InvalidInput", std::string("Missing required parameter '") + param + "'."));
      return false;
    }
    for (const std::string& m : splitList(req.get_param_value(param))) {
      if (m != kMarketplace) {
        sendJson(res, 400, errorList("InvalidInput", "Invalid marketplace identifier " + m + "."));
        return false;
      }
    }
    return true;
  }

  bool checkSeller(const httplib::Request& req, httplib::Response& res) {
    if (req.matches[1] != ctx_.options().seller_id) {
      sendJson(res, 403, errorList("Unauthorized", "Access to requested resource is denied."));
      return false;
    }
    return true;
  }

  static json issue(const std::string& code, const std::string& message, json attributes = json::array()) {
    return {{"code", code}, {"message", message}, {"severity", "ERROR"}, {"attributeNames", std::move(attributes)},
            {"categories", json::array({"INVALID_ATTRIBUTE"})}};
  }

  // Reads fulfillment_availability entries; nullopt + issue when they are not valid.
  static std::optional<int64_t> availability(const json& value, json* issues) {
    if (!value.is_array() || value.empty()) {
      issues->push_back(issue("90000900", "The attributes are invalid.", json::array({"fulfillment_availability"})));
      return std::nullopt;
    }
    std::optional<int64_t> out;
    for (const json& v : value) {
      if (!v.is_object() || !v.contains("fulfillment_channel_code") || !v["fulfillment_channel_code"].is_string()) {
        issues->push_back(issue("90000900", "'fulfillment_channel_code' is required but not supplied.",
                                json::array({"fulfillment_availability"})));
        return std::nullopt;
      }
      auto q = v.contains("quantity") ? jsonInt(v["quantity"]) : std::nullopt;
      if (!q || *q < 0) {
        issues->push_back(issue("90000900", "The value for 'quantity' must be a whole number of 0 or more.",
                                json::array({"fulfillment_availability"})));
        return std::nullopt;
      }
      if (v["fulfillment_channel_code"] == "DEFAULT") out = q;
    }
    if (!out) issues->push_back(issue("90000900", "No DEFAULT fulfillment_channel_code given.", json::array({"fulfillment_availability"})));
    return out;
  }

  // One schedule entry's value_with_tax (a JSON number, at most 2 decimals, >= 0), or nullopt.
  static std::optional<int64_t> scheduleCents(const json& list, const json** entry) {
    if (!list.is_array() || list.size() != 1 || !list[0].is_object() || !list[0].contains("schedule")) return std::nullopt;
    const json& sched = list[0]["schedule"];
    if (!sched.is_array() || sched.size() != 1 || !sched[0].is_object() || !sched[0].contains("value_with_tax")) return std::nullopt;
    const json& v = sched[0]["value_with_tax"];
    if (!v.is_number() || v.get<double>() < 0) return std::nullopt;
    double cents = v.get<double>() * 100;
    if (std::abs(cents - std::round(cents)) > 1e-6) return std::nullopt;
    *entry = &sched[0];
    return std::llround(cents);
  }

  // Reads a purchasable_offer value ([{marketplace_id, currency, our_price, discounted_price?}]);
  // nullopt + issues when it is not valid (the processing report's wording for a missing our_price).
  std::optional<Listing::Offer> purchasableOffer(const json& value, json* issues) {
    auto invalid = [&](const std::string& message) {
      issues->push_back(issue("90000900", message, json::array({"purchasable_offer"})));
      return std::nullopt;
    };
    if (!value.is_array() || value.size() != 1 || !value[0].is_object()) return invalid("The attributes are invalid.");
    const json& o = value[0];
    if (o.value("marketplace_id", "") != kMarketplace) return invalid("purchasable_offer.marketplace_id must be " + std::string(kMarketplace) + ".");
    if (!o.contains("currency") || !o["currency"].is_string() || o["currency"] != "USD") {
      return invalid("purchasable_offer.currency must be the marketplace's currency (USD).");
    }
    Listing::Offer out;
    out.currency = "USD";
    const json* entry = nullptr;
    auto ours = o.contains("our_price") ? scheduleCents(o["our_price"], &entry) : std::nullopt;
    if (!ours) {
      issues->push_back(issue("99022", "The field '\"prices\"' for the attribute 'purchasable_offer.our_price' does not have enough values. "
                                       "The required minimum is '1' value(s).", json::array({"purchasable_offer.our_price"})));
      return std::nullopt;
    }
    out.our_price_cents = *ours;
    if (o.contains("discounted_price")) {
      auto d = scheduleCents(o["discounted_price"], &entry);
      if (!d) return invalid("purchasable_offer.discounted_price needs one schedule with value_with_tax.");
      int64_t from = 0, to = 0;
      bool dated = false;
      if (entry->contains("start_at") && (*entry)["start_at"].is_string() && entry->contains("end_at") && (*entry)["end_at"].is_string()) {
        auto f = parseIso((*entry)["start_at"].get<std::string>());
        auto t = parseIso((*entry)["end_at"].get<std::string>());
        if (f && t) {
          from = *f;
          to = *t;
          dated = to > from;
        }
      }
      if (!dated) return invalid("purchasable_offer.discounted_price needs start_at before end_at (ISO 8601).");
      if (*d >= out.our_price_cents) return invalid("purchasable_offer.discounted_price must be below our_price.");
      out.discounted_cents = *d;
      out.discount_start_ms = from;
      out.discount_end_ms = to;
    }
    return out;
  }

  void patch(const httplib::Request& req, httplib::Response& res) {
    if (!checkSeller(req, res) || !checkMarketplace(req, res, "marketplaceIds")) return;
    if (req.get_header_value("Content-Type").rfind("application/json", 0) != 0) {
      return sendJson(res, 415, errorList("UnsupportedMediaType", "Content-Type must be application/json."));
    }
    json body = json::parse(req.body, nullptr, false);
    if (body.is_discarded() || !body.is_object()) return sendJson(res, 400, errorList("InvalidInput", "Request body is not valid JSON."));
    if (!body.contains("productType") || !body["productType"].is_string()) {
      return sendJson(res, 400, errorList("InvalidInput", "Required property 'productType' is missing."));
    }
    if (!body.contains("patches") || !body["patches"].is_array() || body["patches"].empty()) {
      return sendJson(res, 400, errorList("InvalidInput", "Required property 'patches' is missing or empty."));
    }
    for (const json& p : body["patches"]) {
      static const std::set<std::string> kOps = {"add", "replace", "merge", "delete"};
      if (!p.is_object() || !p.contains("op") || !p["op"].is_string() || !kOps.count(p["op"].get<std::string>()) ||
          !p.contains("path") || !p["path"].is_string() || p["path"].get<std::string>().rfind("/attributes/", 0) != 0) {
        return sendJson(res, 400, errorList("InvalidInput", "Each patch needs op (add|replace|merge|delete) and a path /attributes/..."));
      }
    }
    std::string sku = req.matches[2];
    bool preview = req.get_param_value("mode") == "VALIDATION_PREVIEW";
    json issues = json::array();
    std::optional<int64_t> quantity;
    std::optional<Listing::Offer> offer;
    std::lock_guard lock(mu_);
    auto it = listings_.find(sku);
    if (it == listings_.end()) {
      issues.push_back(issue("4000001", "The SKU '" + sku + "' does not exist for this seller in marketplace " + kMarketplace + "."));
    } else if (body["productType"] != it->second.product_type) {
      issues.push_back(issue("4000002", "The provided product type '" + body["productType"].get<std::string>() +
                                            "' does not match the product type of this listing ('" + it->second.product_type + "')."));
    } else {
      for (const json& p : body["patches"]) {
        if (p["path"] == "/attributes/purchasable_offer" && p["op"] != "delete") {
          offer = p.contains("value") ? purchasableOffer(p["value"], &issues) : std::nullopt;
          if (!offer) {
            if (issues.empty()) issues.push_back(issue("90000900", "The attributes are invalid.", json::array({"purchasable_offer"})));
            break;
          }
          continue;
        }
        if (p["path"] != "/attributes/fulfillment_availability") continue;  // other attributes are accepted unchanged
        if (p["op"] == "delete") {
          quantity = 0;
          continue;
        }
        if (!p.contains("value")) {
          issues.push_back(issue("90000900", "The attributes are invalid.", json::array({"fulfillment_availability"})));
          break;
        }
        quantity = availability(p["value"], &issues);
        if (!quantity) break;
      }
    }
    std::string submission = ctx_.uuid();
    json out = {{"sku", sku}, {"submissionId", submission}, {"issues", issues}};
    if (!issues.empty()) {
      out["status"] = "INVALID";
    } else if (preview) {
      out["status"] = "VALID";
    } else {
      out["status"] = "ACCEPTED";
      if (quantity) {
        ++it->second.pending;
        int64_t q = *quantity;
        ctx_.schedule(ctx_.options().apply_delay_ms, [this, sku, q] {
          std::lock_guard l2(mu_);
          auto l = listings_.find(sku);
          if (l == listings_.end()) return;
          l->second.quantity = q;
          l->second.updated_ms = ctx_.nowMs();
          ++l->second.update_count;
          --l->second.pending;
        });
      }
      if (offer) {
        ++it->second.pending;
        Listing::Offer o = *offer;
        ctx_.schedule(ctx_.options().apply_delay_ms, [this, sku, o] {
          std::lock_guard l2(mu_);
          auto l = listings_.find(sku);
          if (l == listings_.end()) return;
          l->second.offer = o;
          ++l->second.price_updates;
          l->second.updated_ms = ctx_.nowMs();
          --l->second.pending;
        });
      }
    }
    if (req.get_param_value("includedData").find("identifiers") != std::string::npos && it != listings_.end()) {
      out["identifiers"] = json::array({{{"marketplaceId", kMarketplace}, {"asin", it->second.asin}}});
    }
    sendJson(res, 200, out);
  }

  void getItem(const httplib::Request& req, httplib::Response& res) {
    if (!checkSeller(req, res) || !checkMarketplace(req, res, "marketplaceIds")) return;
    std::string sku = req.matches[2];
    std::lock_guard lock(mu_);
    auto it = listings_.find(sku);
    if (it == listings_.end()) {
      return sendJson(res, 404, errorList("NOT_FOUND", "SKU '" + sku + "' not found in marketplace " + kMarketplace));
    }
    const Listing& l = it->second;
    std::string included = req.has_param("includedData") ? req.get_param_value("includedData") : "summaries";
    json out = {{"sku", sku}};
    for (const std::string& part : splitList(included)) {
      if (part == "summaries") {
        out["summaries"] = json::array({{{"marketplaceId", kMarketplace}, {"asin", l.asin}, {"productType", l.product_type},
                                          {"conditionType", "new_new"}, {"status", json::array({"BUYABLE", "DISCOVERABLE"})},
                                          {"itemName", l.title}, {"createdDate", isoUtc(l.created_ms, false)},
                                          {"lastUpdatedDate", isoUtc(l.updated_ms ? l.updated_ms : l.created_ms, false)}}});
      } else if (part == "fulfillmentAvailability") {
        out["fulfillmentAvailability"] = json::array({{{"fulfillmentChannelCode", "DEFAULT"}, {"quantity", l.quantity}}});
      } else if (part == "issues") {
        out["issues"] = json::array();
      } else if (part == "offers") {
        out["offers"] = json::array({{{"marketplaceId", kMarketplace}, {"offerType", "B2C"},
                                      {"price", {{"currencyCode", "USD"}, {"amount", l.price}}}}});
      } else if (part != "attributes" && part != "identifiers" && part != "procurement" && part != "relationships" &&
                 part != "productTypes") {
        return sendJson(res, 400, errorList("InvalidInput", "Invalid includedData value " + part + "."));
      }
    }
    sendJson(res, 200, out);
  }

  std::string base(const httplib::Request& req) const {
    std::string host = req.get_header_value("Host");
    return "http://" + (host.empty() ? ctx_.options().host : host);
  }

  void createDocument(const httplib::Request& req, httplib::Response& res) {
    json body = json::parse(req.body, nullptr, false);
    if (body.is_discarded() || !body.is_object() || !body.contains("contentType") || !body["contentType"].is_string()) {
      return sendJson(res, 400, errorList("InvalidInput", "Required property 'contentType' is missing."));
    }
    std::lock_guard lock(mu_);
    std::string id = ctx_.uuid();
    Document d;
    d.content_type = body["contentType"];
    d.signature = ctx_.uuid();
    documents_[id] = d;
    sendJson(res, 201, {{"feedDocumentId", id},
                        {"url", base(req) + "/s3/feed-documents/" + id + "?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Expires=300&X-Amz-Signature=" + d.signature}});
  }

  void upload(const httplib::Request& req, httplib::Response& res) {
    std::lock_guard lock(mu_);
    auto it = documents_.find(req.matches[1]);
    if (it == documents_.end() || req.get_param_value("X-Amz-Signature") != it->second.signature) {
      res.status = 403;
      res.set_content("<Error><Code>SignatureDoesNotMatch</Code></Error>", "application/xml");
      return;
    }
    if (req.get_header_value("Content-Type") != it->second.content_type) {
      res.status = 403;
      res.set_content("<Error><Code>SignatureDoesNotMatch</Code><Message>Content-Type differs from the one signed</Message></Error>",
                      "application/xml");
      return;
    }
    it->second.content = req.body;
    it->second.uploaded = true;
    res.status = 200;
  }

  void download(const httplib::Request& req, httplib::Response& res) {
    std::lock_guard lock(mu_);
    auto it = documents_.find(req.matches[1]);
    if (it == documents_.end() || req.get_param_value("X-Amz-Signature") != it->second.signature || !it->second.uploaded) {
      res.status = 403;
      res.set_content("<Error><Code>AccessDenied</Code></Error>", "application/xml");
      return;
    }
    res.status = 200;
    res.set_content(it->second.content, it->second.compressed ? "application/octet-stream" : it->second.content_type);
  }

  void getDocument(const httplib::Request& req, httplib::Response& res) {
    std::lock_guard lock(mu_);
    auto it = documents_.find(req.matches[1]);
    if (it == documents_.end()) return sendJson(res, 404, errorList("NotFound", "The requested feed document was not found."));
    json out = {{"feedDocumentId", req.matches[1].str()},
                {"url", base(req) + "/s3/result-documents/" + req.matches[1].str() + "?X-Amz-Signature=" + it->second.signature}};
    if (it->second.compressed) out["compressionAlgorithm"] = "GZIP";
    sendJson(res, 200, out);
  }

  void createFeed(const httplib::Request& req, httplib::Response& res) {
    json body = json::parse(req.body, nullptr, false);
    if (body.is_discarded() || !body.is_object()) return sendJson(res, 400, errorList("InvalidInput", "Request body is not valid JSON."));
    for (const char* k : {"feedType", "marketplaceIds", "inputFeedDocumentId"}) {
      if (!body.contains(k)) return sendJson(res, 400, errorList("InvalidInput", std::string("Required property '") + k + "' is missing."));
    }
    if (body["feedType"] != "JSON_LISTINGS_FEED") {
      return sendJson(res, 400, errorList("InvalidInput", "This simulator processes feedType JSON_LISTINGS_FEED only."));
    }
    if (!body["marketplaceIds"].is_array() || body["marketplaceIds"].empty()) {
      return sendJson(res, 400, errorList("InvalidInput", "marketplaceIds must be a non-empty array."));
    }
    std::lock_guard lock(mu_);
    std::string doc = body["inputFeedDocumentId"].is_string() ? body["inputFeedDocumentId"].get<std::string>() : "";
    auto d = documents_.find(doc);
    if (d == documents_.end() || !d->second.uploaded) {
      return sendJson(res, 400, errorList("InvalidInput", "Feed document " + doc + " does not exist or has no content."));
    }
    Feed f;
    f.id = std::to_string(50000000000ULL + feeds_.size() + 1);
    f.type = "JSON_LISTINGS_FEED";
    f.marketplaces = body["marketplaceIds"];
    f.input_document = doc;
    f.created_ms = ctx_.nowMs();
    feeds_[f.id] = f;
    std::string id = f.id;
    int64_t delay = ctx_.options().feed_delay_ms;
    ctx_.schedule(delay / 2, [this, id] {
      std::lock_guard l2(mu_);
      feeds_[id].status = "IN_PROGRESS";
      feeds_[id].started_ms = ctx_.nowMs();
    });
    ctx_.schedule(delay, [this, id] {
      try {
        processFeed(id);
      } catch (const std::exception& e) {  // a document shaped in a way the checks above missed
        std::lock_guard l2(mu_);
        feeds_[id].status = "FATAL";
        feeds_[id].ended_ms = ctx_.nowMs();
      }
    });
    sendJson(res, 202, {{"feedId", id}});
  }

  void processFeed(const std::string& id) {
    std::lock_guard lock(mu_);
    Feed& f = feeds_[id];
    const std::string& content = documents_[f.input_document].content;
    json doc = json::parse(content, nullptr, false);
    json issues = json::array();
    int64_t processed = 0, accepted = 0, invalid = 0;
    bool fatal = false;
    std::string fatal_reason;
    if (doc.is_discarded() || !doc.is_object() || !doc.contains("header") || !doc["header"].is_object() ||
        !doc.contains("messages") || !doc["messages"].is_array()) {
      fatal = true;
      fatal_reason = "The feed is not a JSON_LISTINGS_FEED document (header and messages are required).";
    } else if (doc["header"].value("sellerId", "") != ctx_.options().seller_id || doc["header"].value("version", "") != "2.0") {
      fatal = true;
      fatal_reason = "The header's sellerId must be this seller and version must be 2.0.";
    } else if (doc["messages"].empty() || doc["messages"].size() > 25000) {
      fatal = true;
      fatal_reason = "A feed holds 1 to 25,000 messages.";
    }
    if (!fatal) {
      static const std::set<std::string> kOps = {"UPDATE", "PARTIAL_UPDATE", "DELETE", "PATCH"};
      for (const json& m : doc["messages"]) {
        ++processed;
        json mid = m.is_object() && m.contains("messageId") ? m["messageId"] : json(nullptr);
        std::string sku = m.is_object() ? m.value("sku", "") : "";
        std::string op = m.is_object() ? m.value("operationType", "") : "";
        auto bad = [&](const std::string& code, const std::string& message) {
          issues.push_back({{"messageId", mid}, {"sku", sku}, {"code", code}, {"severity", "ERROR"}, {"message", message}});
          ++invalid;
        };
        if (!mid.is_number_integer() || sku.empty() || !kOps.count(op)) {
          bad("100", "messageId, sku and operationType (UPDATE|PARTIAL_UPDATE|DELETE|PATCH) are required.");
          continue;
        }
        auto l = listings_.find(sku);
        if (op == "DELETE") {
          if (l != listings_.end()) listings_.erase(l);
          ++accepted;
          continue;
        }
        if (!m.contains("productType") || !m["productType"].is_string()) {
          bad("100", "'productType' is required for " + op + ".");
          continue;
        }
        if (l == listings_.end() && op != "UPDATE") {
          bad("4000001", "The SKU '" + sku + "' does not exist for this seller.");
          continue;
        }
        json item_issues = json::array();
        std::optional<int64_t> q;
        bool has_availability = false;
        if (op == "PATCH") {
          if (!m.contains("patches") || !m["patches"].is_array() || m["patches"].empty()) {
            bad("100", "'patches' is required for PATCH.");
            continue;
          }
          for (const json& p : m["patches"]) {
            if (p.is_object() && p.value("path", "") == "/attributes/fulfillment_availability" && p.contains("value")) {
              has_availability = true;
              q = availability(p["value"], &item_issues);
            }
          }
        } else {
          if (!m.contains("attributes") || !m["attributes"].is_object()) {
            bad("100", "'attributes' is required for " + op + ".");
            continue;
          }
          if (m["attributes"].contains("fulfillment_availability")) {
            has_availability = true;
            q = availability(m["attributes"]["fulfillment_availability"], &item_issues);
          }
        }
        if (!item_issues.empty()) {
          for (json& i : item_issues) {
            issues.push_back({{"messageId", mid}, {"sku", sku}, {"code", i["code"]}, {"severity", "ERROR"}, {"message", i["message"]},
                              {"attributeName", "fulfillment_availability"}});
          }
          ++invalid;
          continue;
        }
        Listing& li = listings_[sku];
        if (li.sku.empty()) {
          li.sku = sku;
          li.asin = "B0SIMFEED" + std::to_string(processed);
          li.product_type = m["productType"];
          li.created_ms = ctx_.nowMs();
        }
        if (has_availability && q) {
          li.quantity = *q;
          li.updated_ms = ctx_.nowMs();
          ++li.update_count;
        }
        ++accepted;
      }
    }
    json report = {{"header", {{"sellerId", ctx_.options().seller_id}, {"version", "2.0"}, {"feedId", id}}},
                   {"issues", fatal ? json::array({{{"code", "100"}, {"severity", "ERROR"}, {"message", fatal_reason}}}) : issues},
                   {"summary", {{"errors", fatal ? 1 : static_cast<int64_t>(issues.size())}, {"warnings", 0},
                                {"messagesProcessed", processed}, {"messagesAccepted", accepted}, {"messagesInvalid", invalid}}}};
    Document result;
    result.content_type = "application/json; charset=UTF-8";
    result.signature = ctx_.uuid();
    result.uploaded = true;
    result.compressed = ctx_.options().gzip_reports;
    result.content = result.compressed ? gzip(report.dump()) : report.dump();
    std::string result_id = ctx_.uuid();
    documents_[result_id] = result;
    f.result_document = result_id;
    f.status = fatal ? "FATAL" : "DONE";
    if (f.started_ms == 0) f.started_ms = ctx_.nowMs();
    f.ended_ms = ctx_.nowMs();
  }

  void getFeed(const httplib::Request& req, httplib::Response& res) {
    std::lock_guard lock(mu_);
    auto it = feeds_.find(req.matches[1]);
    if (it == feeds_.end()) return sendJson(res, 404, errorList("NotFound", "The requested feed was not found."));
    const Feed& f = it->second;
    json out = {{"feedId", f.id}, {"feedType", f.type}, {"marketplaceIds", f.marketplaces},
                {"createdTime", isoUtc(f.created_ms)}, {"processingStatus", f.status}};
    if (f.started_ms) out["processingStartTime"] = isoUtc(f.started_ms);
    if (f.ended_ms) out["processingEndTime"] = isoUtc(f.ended_ms);
    if (!f.result_document.empty()) out["resultFeedDocumentId"] = f.result_document;
    sendJson(res, 200, out);
  }

  json orderJson(const Order& o) const {
    int64_t total = 0;
    int64_t units = 0;
    int64_t shipped = 0;
    for (const OrderItem& it : o.items) {
      total += it.price_cents;
      units += it.quantity;
      shipped += shippedOf(o, it.id);
    }
    json j = {{"AmazonOrderId", o.id},
              {"PurchaseDate", isoUtc(o.created_ms, false)},
              {"LastUpdateDate", isoUtc(o.updated_ms, false)},
              {"OrderStatus", o.status},
              {"FulfillmentChannel", "MFN"},
              {"SalesChannel", "Amazon.com"},
              {"ShipServiceLevel", "Std US D2D Dom"},
              {"NumberOfItemsShipped", shipped},
              {"NumberOfItemsUnshipped", o.status == "Canceled" ? 0 : units - shipped},
              {"PaymentMethod", "Other"},
              {"PaymentMethodDetails", json::array({"Standard"})},
              {"MarketplaceId", kMarketplace},
              {"ShipmentServiceLevelCategory", "Standard"},
              {"OrderType", "StandardOrder"},
              {"EarliestShipDate", isoUtc(o.created_ms + 86'400'000, false)},
              {"LatestShipDate", isoUtc(o.created_ms + 3 * 86'400'000, false)},
              {"IsBusinessOrder", false},
              {"IsPrime", false},
              {"IsPremiumOrder", false},
              {"IsGlobalExpressEnabled", false},
              {"IsSoldByAB", false},
              {"IsISPU", false},
              {"IsAccessPointOrder", false},
              {"ShippingAddress", {{"City", o.ship_to.city.empty() ? "SEATTLE" : o.ship_to.city},
                                   {"StateOrRegion", o.ship_to.region.empty() ? "WA" : o.ship_to.region},
                                   {"PostalCode", o.ship_to.postal_code.empty() ? "98101" : o.ship_to.postal_code},
                                   {"CountryCode", o.country}}}};
    if (o.status != "Pending") j["OrderTotal"] = {{"CurrencyCode", o.currency}, {"Amount", centsText(total)}};
    return j;
  }

  json itemsJson(const Order& o) const {
    json items = json::array();
    for (const OrderItem& it : o.items) {
      json j = {{"ASIN", it.asin},
                {"SellerSKU", it.sku},
                {"OrderItemId", it.id},
                {"Title", it.title},
                {"QuantityOrdered", it.quantity},
                {"QuantityShipped", shippedOf(o, it.id)},
                {"ProductInfo", {{"NumberOfItems", "1"}}},
                {"IsGift", "false"},
                {"ConditionId", "New"},
                {"ConditionSubtypeId", "New"},
                {"IsTransparency", false},
                {"SerialNumberRequired", false}};
      if (o.status != "Pending") {
        j["ItemPrice"] = {{"CurrencyCode", o.currency}, {"Amount", centsText(it.price_cents)}};
        j["ItemTax"] = {{"CurrencyCode", o.currency}, {"Amount", "0.00"}};
        j["PromotionDiscount"] = {{"CurrencyCode", o.currency}, {"Amount", "0.00"}};
      }
      items.push_back(std::move(j));
    }
    return items;
  }

  // A NextToken this simulator made: the first page's filter and the offset reached.
  static bool readNextToken(const std::string& token, json* filter, int64_t* offset) {
    json t = json::parse(base64Decode(token), nullptr, false);
    if (t.is_discarded() || !t.is_object() || !t.contains("f") || !t.contains("o") || !t["o"].is_number_integer()) {
      return false;
    }
    *filter = t["f"];
    *offset = t["o"].get<int64_t>();
    return true;
  }
  // MaxResultsPerPage (1-100, default 100), or nullopt when it is not that.
  static std::optional<int64_t> maxResultsPerPage(const httplib::Request& req) {
    if (!req.has_param("MaxResultsPerPage")) return 100;
    json v = req.get_param_value("MaxResultsPerPage");
    auto n = jsonInt(v, true);
    if (!n || *n < 1 || *n > 100) return std::nullopt;
    return *n;
  }

  void getOrders(const httplib::Request& req, httplib::Response& res) {
    if (!checkMarketplace(req, res, "MarketplaceIds")) return;
    json filter;
    int64_t offset = 0;
    if (req.has_param("NextToken")) {
      if (!readNextToken(req.get_param_value("NextToken"), &filter, &offset)) {
        return sendJson(res, 400, errorList("InvalidInput", "Invalid NextToken."));
      }
    } else {
      bool created = req.has_param("CreatedAfter");
      bool updated = req.has_param("LastUpdatedAfter");
      if (created == updated) {
        return sendJson(res, 400, errorList("InvalidInput", created ? "CreatedAfter and LastUpdatedAfter cannot both be given."
                                                                    : "Either CreatedAfter or LastUpdatedAfter must be given."));
      }
      std::string key = created ? "CreatedAfter" : "LastUpdatedAfter";
      auto after = parseIso(req.get_param_value(key));
      if (!after) return sendJson(res, 400, errorList("InvalidInput", "Invalid " + key + ": expected ISO 8601."));
      auto page = maxResultsPerPage(req);
      if (!page) return sendJson(res, 400, errorList("InvalidInput", "MaxResultsPerPage must be 1 to 100."));
      filter = {{"by", created ? "created" : "updated"}, {"after", *after}, {"page", *page}, {"before", ctx_.nowMs()},
                {"statuses", req.has_param("OrderStatuses") ? json(splitList(req.get_param_value("OrderStatuses"))) : json::array()}};
    }
    std::lock_guard lock(mu_);
    bool by_created = filter["by"] == "created";
    int64_t after = filter["after"].get<int64_t>();
    int64_t before = filter["before"].get<int64_t>();
    std::set<std::string> statuses;
    for (const json& s : filter["statuses"]) statuses.insert(s.get<std::string>());
    std::vector<const Order*> match;
    for (const Order& o : orders_) {
      int64_t t = by_created ? o.created_ms : o.updated_ms;
      // Second precision, as the ISO dates Amazon returns.
      if (t / 1000 < after / 1000 || t > before) continue;
      if (!statuses.empty() && !statuses.count(o.status)) continue;
      match.push_back(&o);
    }
    std::stable_sort(match.begin(), match.end(), [by_created](const Order* a, const Order* b) {
      return (by_created ? a->created_ms : a->updated_ms) < (by_created ? b->created_ms : b->updated_ms);
    });
    int64_t page = filter["page"].get<int64_t>();
    json list = json::array();
    for (int64_t i = offset; i < static_cast<int64_t>(match.size()) && i < offset + page; ++i) list.push_back(orderJson(*match[i]));
    json payload = {{"Orders", list}};
    payload[by_created ? "CreatedBefore" : "LastUpdatedBefore"] = isoUtc(before, false);
    if (offset + page < static_cast<int64_t>(match.size())) {
      payload["NextToken"] = base64Encode(json{{"f", filter}, {"o", offset + page}}.dump());
    }
    sendJson(res, 200, {{"payload", payload}});
  }

  // A ShipmentEvent of RefundEventList (Finances v0).
  json refundJson(const RefundEvent& e, const std::string& currency) const {
    json items = json::array();
    for (const auto& [item_id, adjustment, qty, cents] : e.items) {
      std::string sku;
      if (const Order* o = findOrder(e.order_id)) {
        for (const OrderItem& it : o->items) {
          if (it.id == item_id) sku = it.sku;
        }
      }
      items.push_back({{"SellerSKU", sku},
                       {"OrderItemId", item_id},
                       {"OrderAdjustmentItemId", adjustment},
                       {"QuantityShipped", qty},
                       {"ItemChargeAdjustmentList",
                        json::array({{{"ChargeType", "Principal"},
                                      {"ChargeAmount", {{"CurrencyCode", currency}, {"CurrencyAmount", -static_cast<double>(cents) / 100}}}}})}});
    }
    return {{"AmazonOrderId", e.order_id},
            {"SellerOrderId", e.order_id},
            {"MarketplaceName", "Amazon.com"},
            {"PostedDate", isoUtc(e.posted_ms, false)},
            {"ShipmentItemAdjustmentList", items}};
  }

  // GET /finances/v0/financialEvents and /finances/v0/orders/{id}/financialEvents.
  void financialEvents(const httplib::Request& req, httplib::Response& res, const std::string& order_id) {
    json filter;
    int64_t offset = 0;
    const int64_t now = ctx_.nowMs();
    if (req.has_param("NextToken")) {
      if (!readNextToken(req.get_param_value("NextToken"), &filter, &offset)) {
        return sendJson(res, 400, errorList("InvalidInput", "Invalid NextToken."));
      }
    } else {
      int64_t after = 0, before = now - 120'000;
      if (order_id.empty()) {
        if (!req.has_param("PostedAfter")) return sendJson(res, 400, errorList("InvalidInput", "PostedAfter is required."));
        auto a = parseIso(req.get_param_value("PostedAfter"));
        if (!a) return sendJson(res, 400, errorList("InvalidInput", "Invalid PostedAfter: expected ISO 8601."));
        after = *a;
      }
      if (req.has_param("PostedBefore")) {
        auto b = parseIso(req.get_param_value("PostedBefore"));
        if (!b || *b > now - 120'000 || *b <= after) {
          return sendJson(res, 400, errorList("InvalidInput", "PostedBefore must be after PostedAfter and at least two minutes ago."));
        }
        before = *b;
      }
      auto page = maxResultsPerPage(req);
      if (!page) return sendJson(res, 400, errorList("InvalidInput", "MaxResultsPerPage must be 1 to 100."));
      filter = {{"after", after}, {"before", before}, {"page", *page}, {"order", order_id}};
    }
    std::lock_guard lock(mu_);
    const std::string only = filter["order"].get<std::string>();
    if (!only.empty() && !findOrder(only)) {
      return sendJson(res, 404, errorList("NotFound", "Order " + only + " was not found."));
    }
    std::vector<const RefundEvent*> match;
    for (const RefundEvent& e : refunds_) {
      if (!only.empty() && e.order_id != only) continue;
      // With --rate-scale the simulator runs faster than Amazon: events become listable at once,
      // PostedBefore only bounds what an explicit PostedBefore asks for.
      if (e.posted_ms < filter["after"].get<int64_t>()) continue;
      if (req.has_param("PostedBefore") && e.posted_ms > filter["before"].get<int64_t>()) continue;
      match.push_back(&e);
    }
    const int64_t page = filter["page"].get<int64_t>();
    json list = json::array();
    for (int64_t i = offset; i < static_cast<int64_t>(match.size()) && i < offset + page; ++i) {
      const Order* o = findOrder(match[i]->order_id);
      list.push_back(refundJson(*match[i], o ? o->currency : "USD"));
    }
    json payload = {{"FinancialEvents", {{"ShipmentEventList", json::array()}, {"RefundEventList", list}}}};
    if (offset + page < static_cast<int64_t>(match.size())) {
      payload["NextToken"] = base64Encode(json{{"f", filter}, {"o", offset + page}}.dump());
    }
    sendJson(res, 200, {{"payload", payload}});
  }

  struct Report {
    std::string report_id;
    std::string document_id;
    int64_t created_ms = 0;
    int64_t start_ms = 0;
  };

  static int64_t totalOf(const Order& o) {
    int64_t total = 0;
    for (const OrderItem& it : o.items) total += it.price_cents;
    return total;
  }

  json reportJson(const Report& r) const {
    return {{"reportId", r.report_id},
            {"reportType", kSettlementType},
            {"dataStartTime", isoUtc(r.start_ms, false)},
            {"dataEndTime", isoUtc(r.created_ms, false)},
            {"createdTime", isoUtc(r.created_ms, false)},
            {"processingStatus", "DONE"},
            {"processingStartTime", isoUtc(r.created_ms, false)},
            {"processingEndTime", isoUtc(r.created_ms, false)},
            {"marketplaceIds", json::array({kMarketplace})},
            {"reportDocumentId", r.document_id}};
  }

  // The flat file of one payout: header, summary row, then rows per entry. A charge is an Order
  // with ItemPrice/Principal and ItemFees/Commission; a refund a Refund with ItemPrice/Principal;
  // a fee (adjustment) a ServiceFee row; the payout's own entry is the summary row's total.
  std::string settlementFile(const SimPayout& p, const Report& r) const {
    auto dateText = [](int64_t ms) {
      std::string iso = isoUtc(ms, false);  // 2026-12-07T16:32:45Z
      return iso.substr(0, 10) + " " + iso.substr(11, 8) + " UTC";
    };
    auto row = [](std::map<std::string, std::string> cells) {
      std::string line;
      for (const char* c : kSettlementColumns) {
        if (!line.empty() || c != kSettlementColumns[0]) line += '\t';
        line += cells[c];
      }
      return line + "\n";
    };
    std::string out;
    for (const char* c : kSettlementColumns) out += std::string(c == kSettlementColumns[0] ? "" : "\t") + c;
    out += "\n";
    out += row({{"settlement-id", p.id},
                {"settlement-start-date", dateText(r.start_ms)},
                {"settlement-end-date", dateText(r.created_ms)},
                {"deposit-date", p.date + " " + dateText(r.created_ms).substr(11)},
                {"total-amount", centsText(p.amount_cents)},
                {"currency", p.currency}});
    for (const PayoutEntry& e : p.entries) {
      std::map<std::string, std::string> base = {{"settlement-id", p.id}, {"marketplace-name", "Amazon.com"},
                                                 {"fulfillment-id", "MFN"}, {"posted-date", dateText(e.at_ms).substr(0, 10)},
                                                 {"posted-date-time", dateText(e.at_ms)}};
      auto with = [&](std::map<std::string, std::string> more) {
        for (auto& [k, v] : base) more.emplace(k, v);
        return row(std::move(more));
      };
      if (e.type == "charge") {
        std::map<std::string, std::string> order = {{"transaction-type", "Order"}, {"order-id", e.order_id},
                                                    {"merchant-order-id", e.order_id}, {"shipment-id", "S" + e.source_id}};
        auto part = [&](const char* type, const char* description, int64_t cents) {
          auto cells = order;
          cells["amount-type"] = type;
          cells["amount-description"] = description;
          cells["amount"] = centsText(cents);
          return with(std::move(cells));
        };
        out += part("ItemPrice", "Principal", e.amount_cents);
        out += part("ItemFees", "Commission", -e.fee_cents);
      } else if (e.type == "refund") {
        out += with({{"transaction-type", "Refund"}, {"order-id", e.order_id}, {"merchant-order-id", e.order_id},
                     {"adjustment-id", "amzn1.adj." + e.id}, {"merchant-adjustment-item-id", e.source_id},
                     {"amount-type", "ItemPrice"}, {"amount-description", "Principal"}, {"amount", centsText(e.amount_cents)}});
      } else if (e.type == "adjustment") {
        out += with({{"transaction-type", "ServiceFee"}, {"amount-type", "other-transaction"},
                     {"amount-description", e.description}, {"amount", centsText(e.amount_cents)}});
      }
    }
    return out;
  }

  // GET /reports/2021-06-30/reports: settlement reports only (other types list nothing).
  void getReports(const httplib::Request& req, httplib::Response& res) {
    json filter;
    int64_t offset = 0;
    if (req.has_param("nextToken")) {
      if (req.params.size() != 1) {
        return sendJson(res, 400, errorList("InvalidInput", "When nextToken is given, no other parameter may be."));
      }
      if (!readNextToken(req.get_param_value("nextToken"), &filter, &offset)) {
        return sendJson(res, 400, errorList("InvalidInput", "Invalid nextToken."));
      }
    } else {
      if (!req.has_param("reportTypes")) return sendJson(res, 400, errorList("InvalidInput", "reportTypes is required."));
      int64_t page = 10;
      if (req.has_param("pageSize")) {
        auto v = jsonInt(json(req.get_param_value("pageSize")), true);
        if (!v || *v < 1 || *v > 100) return sendJson(res, 400, errorList("InvalidInput", "pageSize must be 1 to 100."));
        page = *v;
      }
      int64_t since = ctx_.nowMs() - 90 * 86'400'000LL;
      if (req.has_param("createdSince")) {
        auto v = parseIso(req.get_param_value("createdSince"));
        if (!v) return sendJson(res, 400, errorList("InvalidInput", "Invalid createdSince: expected ISO 8601."));
        since = *v;
      }
      json types = json::array(), statuses = json::array();
      for (const std::string& t : splitList(req.get_param_value("reportTypes"))) types.push_back(t);
      for (const std::string& st : splitList(req.get_param_value("processingStatuses"))) statuses.push_back(st);
      filter = {{"types", types}, {"statuses", statuses}, {"since", since}, {"page", page}};
    }
    std::lock_guard lock(mu_);
    std::vector<const Report*> match;
    const bool settlements = std::find(filter["types"].begin(), filter["types"].end(), kSettlementType) != filter["types"].end();
    const bool done = filter["statuses"].empty() ||
                      std::find(filter["statuses"].begin(), filter["statuses"].end(), "DONE") != filter["statuses"].end();
    for (auto it = reports_.rbegin(); it != reports_.rend(); ++it) {  // newest first
      if (settlements && done && it->created_ms >= filter["since"].get<int64_t>()) match.push_back(&*it);
    }
    const int64_t page = filter["page"].get<int64_t>();
    json list = json::array();
    for (int64_t i = offset; i < static_cast<int64_t>(match.size()) && i < offset + page; ++i) list.push_back(reportJson(*match[i]));
    json out = {{"reports", list}};
    if (offset + page < static_cast<int64_t>(match.size())) out["nextToken"] = base64Encode(json{{"f", filter}, {"o", offset + page}}.dump());
    sendJson(res, 200, out);
  }

  void getReportDocument(const httplib::Request& req, httplib::Response& res) {
    std::lock_guard lock(mu_);
    auto it = documents_.find(req.matches[1]);
    if (it == documents_.end() || it->first.rfind("amzn1.spdoc.", 0) != 0) {
      return sendJson(res, 404, errorList("NotFound", "The requested report document was not found."));
    }
    json out = {{"reportDocumentId", it->first},
                {"url", base(req) + "/s3/result-documents/" + it->first + "?X-Amz-Signature=" + it->second.signature}};
    if (it->second.compressed) out["compressionAlgorithm"] = "GZIP";
    sendJson(res, 200, out);
  }

  const Order* findOrder(const std::string& id) const {
    for (const Order& o : orders_) {
      if (o.id == id) return &o;
    }
    return nullptr;
  }

  void getOrder(const httplib::Request& req, httplib::Response& res) {
    std::lock_guard lock(mu_);
    const Order* o = findOrder(req.matches[1]);
    if (!o) return sendJson(res, 404, errorList("NotFound", "Order " + req.matches[1].str() + " was not found."));
    sendJson(res, 200, {{"payload", orderJson(*o)}});
  }

  void getOrderItems(const httplib::Request& req, httplib::Response& res) {
    std::lock_guard lock(mu_);
    const Order* o = findOrder(req.matches[1]);
    if (!o) return sendJson(res, 404, errorList("NotFound", "Order " + req.matches[1].str() + " was not found."));
    sendJson(res, 200, {{"payload", {{"AmazonOrderId", o->id}, {"OrderItems", itemsJson(*o)}}}});
  }

  SimContext& ctx_;
  std::mutex mu_;
  std::map<std::string, Bucket> buckets_;
  std::map<std::string, Listing> listings_;
  std::map<std::string, Document> documents_;
  std::map<std::string, Feed> feeds_;
  std::vector<Order> orders_;
  std::vector<RefundEvent> refunds_;
  PayoutBook payouts_{FeeRule{1500, 0}, 11783925041ULL};  // a 15% referral fee, no fixed part
  std::vector<Report> reports_;
  int64_t last_settlement_ms_ = 0;
  uint64_t next_report_ = 50013019000ULL;
  uint64_t next_asin_ = 71000001;
  uint64_t next_order_ = 1;
  uint64_t next_item_ = 68828574383266ULL;
};

}  // namespace

std::unique_ptr<ChannelSim> makeAmazonSim(SimContext& ctx) { return std::make_unique<AmazonSim>(ctx); }

}  // namespace sw::channelsim
