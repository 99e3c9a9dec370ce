// WooCommerce REST API v3 (/wp-json/wc/v3), as much of it as Stockwire uses:
//   POST /products/batch (create/update/delete, at most --batch-limit items in all, else 413;
//     a failed item is {"id", "error":{...}} inside HTTP 200; stock_quantity only acts with
//     manage_stock true; regular_price, sale_price ("" ends the sale, and its dates),
//     date_on_sale_from[_gmt] / date_on_sale_to[_gmt] (no zone: _gmt UTC, else the shop's zone;
//     null clears), a bad one is rest_invalid_param; price and on_sale follow the dates), GET /products?sku=a,b, GET|PUT /products/{id},
//   GET /orders?modified_after=&dates_are_gmt=&per_page=&page= (X-WP-Total, X-WP-TotalPages, Link),
//   GET /orders/{id}, POST|GET /orders/{id}/refunds, GET /orders/{id}/refunds/{rid} (a refund's
//     lines have negative quantities and name the order line in meta _refunded_item_id; with
//     api_restock, the default, the units go back to the product and the order line counts them
//     in meta _restock_refunded_items; the order lists only {id, reason, total} of each refund,
//     and its date_modified moves, with an order.updated delivery), POST|GET /webhooks: order.created / order.updated deliveries signed with
//   X-WC-Webhook-Signature, a ping on creation (form body webhook_id=<id>), disabled after
//   --webhook-disable-after consecutive failed deliveries. WooCommerce itself never retries.
// POST /_sim/payouts {"amount_changes":[{"order_id","amount"}]}: there are no payouts; an order then lists
//   another total than it was sold for (date_modified unchanged), for reconciling the order totals.
// Auth: HTTP Basic (consumer key : consumer secret) or consumer_key/consumer_secret parameters.

#include <algorithm>
#include <map>
#include <regex>
#include <set>

#include "sim_core.h"

namespace sw::channelsim {

namespace {

constexpr const char* kBase = "/wp-json/wc/v3";
constexpr int kSiteOffsetMinutes = -180;  // the shop's local time, as in WooCommerce's examples

json wcError(const std::string& code, const std::string& message, int status, json params = nullptr) {
  json data = {{"status", status}};
  if (!params.is_null()) data["params"] = std::move(params);
  return {{"code", code}, {"message", message}, {"data", data}};
}

// WordPress reads integers from numbers or numeric strings.
std::optional<int64_t> wpInt(const json& v) { return jsonInt(v, true); }

class WooCommerceSim final : public SimWithOrderViews<WooCommerceSim> {
  friend class SimWithOrderViews<WooCommerceSim>;

 public:
  explicit WooCommerceSim(SimContext& ctx) : ctx_(ctx) {
    const SimOptions& o = ctx.options();
    if (!o.webhook_url.empty()) {
      for (const char* topic : {"order.created", "order.updated"}) {
        std::string error;
        addWebhook(json{{"name", std::string("Stockwire ") + topic}, {"topic", topic}, {"delivery_url", o.webhook_url},
                        {"secret", o.webhook_secret}},
                   nullptr, &error);
      }
    }
  }


  void install(httplib::Server& server) override {
    std::string b = kBase;
    server.Post(b + "/products/batch", api("products/batch", [this](const httplib::Request& q, httplib::Response& r) { batch(q, r); }));
    server.Get(b + "/products", api("products", [this](const httplib::Request& q, httplib::Response& r) { listProducts(q, r); }));
    server.Get(b + R"(/products/(\d+))", api("product", [this](const httplib::Request& q, httplib::Response& r) { getProduct(q, r); }));
    server.Put(b + R"(/products/(\d+))", api("product:update", [this](const httplib::Request& q, httplib::Response& r) { putProduct(q, r); }));
    server.Get(b + "/orders", api("orders", [this](const httplib::Request& q, httplib::Response& r) { listOrders(q, r); }));
    server.Get(b + R"(/orders/(\d+))", api("order", [this](const httplib::Request& q, httplib::Response& r) { getOrder(q, r); }));
    server.Put(b + R"(/orders/(\d+))", api("order:update", [this](const httplib::Request& q, httplib::Response& r) { putOrder(q, r); }));
    server.Get(b + R"(/orders/(\d+)/refunds)", api("order:refunds", [this](const httplib::Request& q, httplib::Response& r) { listRefunds(q, r); }));
    server.Get(b + R"(/orders/(\d+)/refunds/(\d+))", api("order:refund", [this](const httplib::Request& q, httplib::Response& r) { getRefund(q, r); }));
    server.Post(b + R"(/orders/(\d+)/refunds)", api("order:refunds:create", [this](const httplib::Request& q, httplib::Response& r) { createRefund(q, r); }));
    server.Post(b + R"(/orders/(\d+)/notes)", api("order:notes", [this](const httplib::Request& q, httplib::Response& r) { addNote(q, r); }));
    server.Post(b + "/webhooks", api("webhooks:create", [this](const httplib::Request& q, httplib::Response& r) { createWebhook(q, r); }));
    server.Get(b + "/webhooks", api("webhooks", [this](const httplib::Request& q, httplib::Response& r) { listWebhooks(q, r); }));
    server.Get(b + R"(/webhooks/(\d+))", api("webhook", [this](const httplib::Request& q, httplib::Response& r) { getWebhook(q, r); }));
  }

  void sendServerError(const httplib::Request&, httplib::Response& res) override {
    sendJson(res, 500, wcError("internal_server_error", "There has been a critical error on this website.", 500));
  }

  void sendThrottled(const httplib::Request&, httplib::Response& res) override {
    // WooCommerce has no rate limit of its own; hosts in front of it answer like this.
    res.set_header("Retry-After", "1");
    sendJson(res, 429, wcError("rest_too_many_requests", "Too many requests.", 429));
  }

  SeedRules seedRules() const override { return {.sku_may_be_empty = true, .negative_quantity = true}; }
  bool seed(const std::vector<SeedListing>& listings, json* out, std::string*) override {
    std::lock_guard lock(mu_);
    json created = json::array();
    for (const SeedListing& s : listings) {
      const json& l = *s.raw;
      const std::string& sku = s.sku;
      Product* p = sku.empty() ? nullptr : bySku(sku);
      if (!p) {
        Product np;
        np.id = next_product_++;
        np.sku = sku;
        np.created_ms = ctx_.nowMs();
        np.modified_ms = np.created_ms;
        products_.push_back(np);
        p = &products_.back();
      }
      p->name = s.title;
      p->price_cents = parseCents(s.price).value_or(1000);
      p->manage_stock = !l.contains("manage_stock") || l["manage_stock"] == true;
      if (p->manage_stock) {
        p->stock_quantity = s.quantity;
      } else {
        p->stock_quantity.reset();
      }
      created.push_back({{"sku", sku}, {"id", p->id}, {"manage_stock", p->manage_stock}, {"quantity", s.quantity}});
    }
    *out = {{"listings", created}};
    return true;
  }

  std::vector<ListingView> listings() override {
    std::lock_guard lock(mu_);
    std::vector<ListingView> out;
    for (const Product& p : products_) {
      ListingView v;
      v.sku = p.sku;
      v.quantity = p.stock_quantity.value_or(0);
      v.channel_id = std::to_string(p.id);
      v.updated_at_ms = p.update_count ? p.modified_ms : 0;
      v.update_count = p.update_count;
      v.extra = {{"manage_stock", p.manage_stock}, {"stock_quantity", p.stock_quantity ? json(*p.stock_quantity) : json(nullptr)},
                 {"stock_status", stockStatus(p)},
                 {"prices", {{"price", centsText(onSale(p) ? *p.sale_cents : p.price_cents)},
                             {"regular_price", centsText(p.price_cents)},
                             {"sale_price", p.sale_cents ? json(centsText(*p.sale_cents)) : json(nullptr)},
                             {"on_sale", onSale(p)},
                             {"date_on_sale_from_gmt", p.sale_from_ms ? json(isoNoZone(*p.sale_from_ms)) : json(nullptr)},
                             {"date_on_sale_to_gmt", p.sale_to_ms ? json(isoNoZone(*p.sale_to_ms)) : json(nullptr)},
                             {"updates", p.price_updates}}}};
      out.push_back(v);
    }
    return out;
  }

  bool createOrder(const OrderRequest& request, const json& body, json* out, std::string* error) override {
    json order;
    {
      std::lock_guard lock(mu_);
      std::string status = textField(body, "status", "processing");
      int64_t now = ctx_.nowMs();
      Order o;
      o.id = next_order_++;
      o.created_ms = now;
      o.modified_ms = now;
      o.status = status;
      o.currency = request.currency;
      o.country = request.country;
      o.ship_to = request.ship_to;
      if (body.contains("pickup_location") && body["pickup_location"].is_string()) {
        o.pickup_location = body["pickup_location"];  // the block checkout's local pickup at this place
      }
      std::vector<std::pair<Product*, int64_t>> takes;
      for (const OrderLineRequest& line : request.lines) {
        const json& l = *line.raw;
        Product* p = nullptr;
        if (l.contains("product_id")) {
          auto pid = jsonInt(l["product_id"]);
          p = pid ? byId(*pid) : nullptr;
        } else if (l.contains("sku") && l["sku"].is_string()) {
          p = bySku(l["sku"].get<std::string>());
        }
        if (!p) {
          *error = "each line needs the sku or product_id of a seeded product";
          return false;
        }
        auto price = line.price ? parseCents(*line.price) : std::optional<int64_t>(onSale(*p) ? *p->sale_cents : p->price_cents);
        if (!price) {
          *error = "price must look like 12.34";
          return false;
        }
        o.lines.push_back({next_line_++, p->id, p->sku, p->name, line.quantity, *price, 0});
        takes.emplace_back(p, line.quantity);
      }
      for (auto& [p, qty] : takes) {
        if (p->manage_stock && p->stock_quantity) {
          *p->stock_quantity -= qty;
          p->modified_ms = now;
        }
      }
      orders_.push_back(o);
      order = orderJson(orders_.back());
    }
    fire("order.created", order);
    *out = {{"order_id", std::to_string(order["id"].get<int64_t>())}, {"order", order}};
    return true;
  }

  // POST /_sim/orders/<id>/refund takes the body of POST /orders/{id}/refunds.
  bool refundOrder(const std::string& id, const json& body, json* out, std::string* error) override {
    json refund, order;
    {
      std::lock_guard lock(mu_);
      Order* o = nullptr;
      for (Order& x : orders_) {
        if (std::to_string(x.id) == id) o = &x;
      }
      if (!o) {
        *error = "no order " + id;
        return false;
      }
      int status = 0;
      json err;
      if (!makeRefund(*o, body, &refund, &status, &err)) {
        *error = err.value("message", "refused");
        return false;
      }
      order = orderJson(*o);
    }
    fire("order.updated", order);
    *out = {{"order_id", id}, {"refund", refund}};
    return true;
  }

  // POST /_sim/payouts: WooCommerce pays out nothing itself (no payouts API); what reconciliation
  // reads are the order totals, so the discrepancy to inject is an order whose total the shop now
  // shows differently from what was sent: {"amount_changes":[{"order_id","amount":"12.34"}]}. The
  // order's date_modified does not move (as when the database was edited directly).
  bool createPayout(const json& body, json* out, std::string* error) override {
    std::lock_guard lock(mu_);
    if (!body.is_object() || (body.contains("amount_changes") && !body["amount_changes"].is_array())) {
      *error = "give {\"amount_changes\":[{\"order_id\",\"amount\"}]}";
      return false;
    }
    std::vector<std::pair<Order*, int64_t>> changes;
    for (const json& c : body.value("amount_changes", json::array())) {
      Order* o = c.is_object() ? findOrder(textField(c, "order_id", "")) : nullptr;
      auto cents = c.is_object() ? parseCents(textField(c, "amount", "")) : std::nullopt;
      if (!o || !cents) {
        *error = "amount_changes entries need an order_id of an order and an amount like \"12.34\"";
        return false;
      }
      changes.emplace_back(o, *cents);
    }
    json totals = json::array();
    for (auto& [o, cents] : changes) {
      o->total_override_cents = cents;
      totals.push_back({{"order_id", std::to_string(o->id)}, {"total", centsText(cents)}});
    }
    *out = {{"payout", nullptr}, {"changed", totals}};
    return true;
  }

  bool cancelOrder(const std::string& id, json* out, std::string* error) override {
    json order;
    {
      std::lock_guard lock(mu_);
      Order* o = nullptr;
      for (Order& x : orders_) {
        if (std::to_string(x.id) == id) o = &x;
      }
      if (!o) {
        *error = "no order " + id;
        return false;
      }
      if (o->status == "cancelled") {
        *error = "order " + id + " is already cancelled";
        return false;
      }
      o->status = "cancelled";
      o->modified_ms = ctx_.nowMs();
      for (const Line& l : o->lines) {
        Product* p = byId(l.product_id);
        if (p && p->manage_stock && p->stock_quantity) *p->stock_quantity += l.quantity;  // WooCommerce restocks on cancel
      }
      order = orderJson(*o);
    }
    fire("order.updated", order);
    *out = {{"order_id", id}, {"order", order}};
    return true;
  }

 private:
  struct Product {
    int64_t id = 0;
    std::string sku;
    std::string name;
    int64_t price_cents = 1000;                 // regular_price
    std::optional<int64_t> sale_cents;          // sale_price ("" = none)
    std::optional<int64_t> sale_from_ms;        // date_on_sale_from_gmt (null = from now)
    std::optional<int64_t> sale_to_ms;          // date_on_sale_to_gmt (null = open-ended)
    bool manage_stock = true;
    std::optional<int64_t> stock_quantity;
    int64_t created_ms = 0;
    int64_t modified_ms = 0;
    int64_t update_count = 0;
    int64_t price_updates = 0;  // items that set a price or sale field through the API
  };
  struct Line {
    int64_t id = 0;
    int64_t product_id = 0;
    std::string sku;
    std::string name;
    int64_t quantity = 0;
    int64_t price_cents = 0;
    int64_t restocked = 0;  // refunded units put back (meta _restock_refunded_items)
  };
  struct RefundLine {
    int64_t id = 0;
    int64_t line_id = 0;
    int64_t quantity = 0;  // positive here; negative in the JSON
    int64_t cents = 0;
  };
  struct Refund {
    int64_t id = 0;
    int64_t created_ms = 0;
    int64_t amount_cents = 0;
    std::string reason;
    bool api_refund = true;
    std::vector<RefundLine> lines;
  };
  struct Order {
    int64_t id = 0;
    int64_t created_ms = 0;
    int64_t modified_ms = 0;
    std::string status;
    std::string currency;
    std::string country;
    ShipToRequest ship_to;  // "" parts: the sample address's
    std::vector<Line> lines;
    std::vector<json> notes;
    std::string pickup_location;
    std::vector<Refund> refunds;
    std::optional<int64_t> total_override_cents;  // POST /_sim/payouts amount_changes
  };

  json viewOf(const Order& o) const {
    json lines = json::array();
    for (const Line& l : o.lines) lines.push_back({{"line_id", std::to_string(l.id)}, {"sku", l.sku}, {"quantity", l.quantity}});
    // WooCommerce core has no shipments: a fulfilment is a customer note (the tracking number is in it).
    json fs = json::array();
    for (const json& n : o.notes) {
      if (n.value("customer_note", false)) fs.push_back({{"note_id", n["id"]}, {"note", n["note"]}, {"date_created_gmt", n["date_created_gmt"]}});
    }
    json refunds = json::array();
    for (const Refund& r : o.refunds) {
      json rl = json::array();
      for (const RefundLine& x : r.lines) rl.push_back({{"line_id", std::to_string(x.line_id)}, {"quantity", x.quantity}});
      refunds.push_back({{"refund_id", std::to_string(r.id)}, {"amount", centsText(r.amount_cents)}, {"lines", rl}});
    }
    return {{"order_id", std::to_string(o.id)}, {"status", o.status}, {"cancelled", o.status == "cancelled"},
            {"lines", lines}, {"fulfilments", fs}, {"notes", o.notes}, {"refunds", refunds}};
  }

  struct Webhook {
    int64_t id = 0;
    std::string name;
    std::string topic;
    std::string delivery_url;
    std::string secret;
    std::string status = "active";
    int failures = 0;
    int64_t created_ms = 0;
  };
  using Handler = std::function<void(const httplib::Request&, httplib::Response&)>;

  Product* bySku(const std::string& sku) {
    for (Product& p : products_) {
      if (!sku.empty() && p.sku == sku) return &p;
    }
    return nullptr;
  }
  Product* byId(int64_t id) {
    for (Product& p : products_) {
      if (p.id == id) return &p;
    }
    return nullptr;
  }
  // As WooCommerce's is_on_sale(): a sale price below the regular one, inside its dates
  // (WooCommerce's cron also ends scheduled sales; here the dates are read at each answer).
  bool onSale(const Product& p) const {
    if (!p.sale_cents || *p.sale_cents >= p.price_cents) return false;
    int64_t now = ctx_.nowMs();
    if (p.sale_from_ms && now < *p.sale_from_ms) return false;
    if (p.sale_to_ms && now >= *p.sale_to_ms) return false;
    return true;
  }

  // A product date as the REST API takes it: "2026-11-27T10:00:00" (no zone; the _gmt fields
  // are UTC, the others the shop's zone), also with a Z. null or "" clears the date.
  // false: not a date.
  static bool saleDate(const json& v, bool gmt, std::optional<int64_t>* out) {
    if (v.is_null() || (v.is_string() && v.get<std::string>().empty())) {
      out->reset();
      return true;
    }
    if (!v.is_string()) return false;
    auto ms = parseIso(v.get<std::string>());
    if (!ms) return false;
    *out = gmt ? *ms : *ms - kSiteOffsetMinutes * 60'000LL;
    return true;
  }

  static std::string stockStatus(const Product& p) {
    if (!p.manage_stock) return "instock";
    return p.stock_quantity.value_or(0) > 0 ? "instock" : "outofstock";
  }

  std::string site(const httplib::Request* req = nullptr) const {
    std::string host = req ? req->get_header_value("Host") : "";
    return "http://" + (host.empty() ? ctx_.options().host : host);
  }

  Handler api(const std::string& operation, Handler inner) {
    return [this, operation, inner](const httplib::Request& req, httplib::Response& res) {
      if (injectFault(ctx_, *this, req, res)) return;
      std::string key, secret;
      std::string auth = req.get_header_value("Authorization");
      if (auth.rfind("Basic ", 0) == 0) {
        std::string decoded = base64Decode(auth.substr(6));
        auto colon = decoded.find(':');
        if (colon != std::string::npos) {
          key = decoded.substr(0, colon);
          secret = decoded.substr(colon + 1);
        }
      } else if (req.has_param("consumer_key")) {
        key = req.get_param_value("consumer_key");
        secret = req.get_param_value("consumer_secret");
      }
      if (key.empty()) {
        sendJson(res, 401, wcError("woocommerce_rest_cannot_view", "Sorry, you cannot list resources.", 401));
      } else if (key != ctx_.options().consumer_key) {
        sendJson(res, 401, wcError("woocommerce_rest_authentication_error", "Consumer key is invalid.", 401));
      } else if (secret != ctx_.options().consumer_secret) {
        sendJson(res, 401, wcError("woocommerce_rest_authentication_error", "Invalid signature - provided signature does not match.", 401));
      } else {
        inner(req, res);
      }
      ctx_.count(operation, res.status);
    };
  }

  json productJson(const Product& p) const {
    int64_t local_c = p.created_ms + kSiteOffsetMinutes * 60'000LL;
    int64_t local_m = p.modified_ms + kSiteOffsetMinutes * 60'000LL;
    std::string slug = p.sku.empty() ? "product-" + std::to_string(p.id) : p.sku;
    std::transform(slug.begin(), slug.end(), slug.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    std::string url = site() + kBase + "/products/" + std::to_string(p.id);
    return {{"id", p.id},
            {"name", p.name},
            {"slug", slug},
            {"permalink", site() + "/product/" + slug + "/"},
            {"date_created", isoNoZone(local_c)},
            {"date_created_gmt", isoNoZone(p.created_ms)},
            {"date_modified", isoNoZone(local_m)},
            {"date_modified_gmt", isoNoZone(p.modified_ms)},
            {"type", "simple"},
            {"status", "publish"},
            {"featured", false},
            {"catalog_visibility", "visible"},
            {"description", ""},
            {"short_description", ""},
            {"sku", p.sku},
            {"price", centsText(onSale(p) ? *p.sale_cents : p.price_cents)},
            {"regular_price", centsText(p.price_cents)},
            {"sale_price", p.sale_cents ? centsText(*p.sale_cents) : ""},
            {"date_on_sale_from", p.sale_from_ms ? json(isoNoZone(*p.sale_from_ms + kSiteOffsetMinutes * 60'000LL)) : json(nullptr)},
            {"date_on_sale_from_gmt", p.sale_from_ms ? json(isoNoZone(*p.sale_from_ms)) : json(nullptr)},
            {"date_on_sale_to", p.sale_to_ms ? json(isoNoZone(*p.sale_to_ms + kSiteOffsetMinutes * 60'000LL)) : json(nullptr)},
            {"date_on_sale_to_gmt", p.sale_to_ms ? json(isoNoZone(*p.sale_to_ms)) : json(nullptr)},
            {"on_sale", onSale(p)},
            {"purchasable", true},
            {"total_sales", 0},
            {"virtual", false},
            {"downloadable", false},
            {"tax_status", "taxable"},
            {"tax_class", ""},
            {"manage_stock", p.manage_stock},
            {"stock_quantity", p.manage_stock && p.stock_quantity ? json(*p.stock_quantity) : json(nullptr)},
            {"stock_status", stockStatus(p)},
            {"backorders", "no"},
            {"backorders_allowed", false},
            {"backordered", false},
            {"sold_individually", false},
            {"weight", ""},
            {"dimensions", {{"length", ""}, {"width", ""}, {"height", ""}}},
            {"shipping_required", true},
            {"reviews_allowed", true},
            {"parent_id", 0},
            {"categories", json::array()},
            {"tags", json::array()},
            {"images", json::array()},
            {"attributes", json::array()},
            {"variations", json::array()},
            {"meta_data", json::array()},
            {"_links", {{"self", json::array({{{"href", url}}})}, {"collection", json::array({{{"href", site() + kBase + "/products"}}})}}}};
  }

  json orderJson(const Order& o) const {
    int64_t total = 0;
    json lines = json::array();
    for (const Line& l : o.lines) {
      int64_t sub = l.price_cents * l.quantity;
      total += sub;
      lines.push_back({{"id", l.id},
                       {"name", l.name},
                       {"product_id", l.product_id},
                       {"variation_id", 0},
                       {"quantity", l.quantity},
                       {"tax_class", ""},
                       {"subtotal", centsText(sub)},
                       {"subtotal_tax", "0.00"},
                       {"total", centsText(sub)},
                       {"total_tax", "0.00"},
                       {"taxes", json::array()},
                       {"meta_data", l.restocked > 0 ? json::array({{{"id", l.id * 100 + 1},
                                                                     {"key", "_restock_refunded_items"},
                                                                     {"value", std::to_string(l.restocked)},
                                                                     {"display_key", "_restock_refunded_items"},
                                                                     {"display_value", std::to_string(l.restocked)}}})
                                                     : json::array()},
                       {"sku", l.sku},
                       {"price", static_cast<double>(l.price_cents) / 100.0}});
    }
    int64_t local_c = o.created_ms + kSiteOffsetMinutes * 60'000LL;
    int64_t local_m = o.modified_ms + kSiteOffsetMinutes * 60'000LL;
    json address = {{"first_name", "Sam"}, {"last_name", "Buyer"}, {"company", ""}, {"address_1", "969 Market"}, {"address_2", ""},
                    {"city", o.ship_to.city.empty() ? "San Francisco" : o.ship_to.city},
                    {"state", o.ship_to.region.empty() ? "CA" : o.ship_to.region},
                    {"postcode", o.ship_to.postal_code.empty() ? "94103" : o.ship_to.postal_code}, {"country", o.country}};
    json billing = address;
    billing["email"] = "buyer@example.com";
    billing["phone"] = "(555) 555-5555";
    bool paid = o.status == "processing" || o.status == "completed";
    std::string url = site() + kBase + "/orders/" + std::to_string(o.id);
    if (o.total_override_cents) total = *o.total_override_cents;
    return {{"id", o.id},
            {"parent_id", 0},
            {"number", std::to_string(o.id)},
            {"order_key", "wc_order_" + std::to_string(o.id * 7919 % 1000000007)},
            {"created_via", "checkout"},
            {"version", "9.0.0"},
            {"status", o.status},
            {"currency", o.currency},
            {"date_created", isoNoZone(local_c)},
            {"date_created_gmt", isoNoZone(o.created_ms)},
            {"date_modified", isoNoZone(local_m)},
            {"date_modified_gmt", isoNoZone(o.modified_ms)},
            {"discount_total", "0.00"},
            {"discount_tax", "0.00"},
            {"shipping_total", "0.00"},
            {"shipping_tax", "0.00"},
            {"cart_tax", "0.00"},
            {"total", centsText(total)},
            {"total_tax", "0.00"},
            {"prices_include_tax", false},
            {"customer_id", 0},
            {"customer_ip_address", ""},
            {"customer_user_agent", ""},
            {"customer_note", ""},
            {"billing", billing},
            {"shipping", address},
            {"payment_method", "bacs"},
            {"payment_method_title", "Direct Bank Transfer"},
            {"transaction_id", ""},
            {"date_paid", paid ? json(isoNoZone(local_c)) : json(nullptr)},
            {"date_paid_gmt", paid ? json(isoNoZone(o.created_ms)) : json(nullptr)},
            {"date_completed", nullptr},
            {"date_completed_gmt", nullptr},
            {"cart_hash", ""},
            {"meta_data", json::array()},
            {"line_items", lines},
            {"tax_lines", json::array()},
            {"shipping_lines", o.pickup_location.empty()
                                   ? json::array()
                                   : json::array({{{"id", o.id * 10 + 1},
                                                   {"method_title", "Pickup"},
                                                   {"method_id", "pickup_location"},
                                                   {"instance_id", "0"},
                                                   {"total", "0.00"},
                                                   {"total_tax", "0.00"},
                                                   {"taxes", json::array()},
                                                   {"meta_data", json::array({{{"id", o.id * 10 + 2}, {"key", "pickup_location"},
                                                                               {"value", o.pickup_location}, {"display_key", "Pickup location"},
                                                                               {"display_value", o.pickup_location}}})}}})},
            {"fee_lines", json::array()},
            {"coupon_lines", json::array()},
            {"refunds", refundSummaries(o)},
            {"_links", {{"self", json::array({{{"href", url}}})}, {"collection", json::array({{{"href", site() + kBase + "/orders"}}})}}}};
  }

  // What an order says of its refunds: id, reason and total only, newest first.
  static json refundSummaries(const Order& o) {
    json out = json::array();
    for (auto it = o.refunds.rbegin(); it != o.refunds.rend(); ++it) {
      out.push_back({{"id", it->id}, {"reason", it->reason}, {"total", centsText(-it->amount_cents)}});
    }
    return out;
  }

  json refundJson(const Order& o, const Refund& r) const {
    json lines = json::array();
    for (const RefundLine& rl : r.lines) {
      const Line* l = nullptr;
      for (const Line& x : o.lines) {
        if (x.id == rl.line_id) l = &x;
      }
      if (!l) continue;
      lines.push_back({{"id", rl.id},
                       {"name", l->name},
                       {"product_id", l->product_id},
                       {"variation_id", 0},
                       {"quantity", -rl.quantity},
                       {"tax_class", ""},
                       {"subtotal", centsText(-rl.cents)},
                       {"subtotal_tax", "0.00"},
                       {"total", centsText(-rl.cents)},
                       {"total_tax", "0.00"},
                       {"taxes", json::array()},
                       {"meta_data", json::array({{{"id", rl.id * 100 + 1}, {"key", "_refunded_item_id"}, {"value", std::to_string(l->id)},
                                                   {"display_key", "_refunded_item_id"}, {"display_value", std::to_string(l->id)}}})},
                       {"sku", l->sku},
                       {"price", -static_cast<double>(l->price_cents) / 100.0}});
    }
    std::string order_url = site() + kBase + "/orders/" + std::to_string(o.id);
    return {{"id", r.id},
            {"date_created", isoNoZone(r.created_ms + kSiteOffsetMinutes * 60'000LL)},
            {"date_created_gmt", isoNoZone(r.created_ms)},
            {"amount", centsText(r.amount_cents)},
            {"reason", r.reason},
            {"refunded_by", 1},
            {"refunded_payment", r.api_refund},
            {"meta_data", json::array()},
            {"line_items", lines},
            {"shipping_lines", json::array()},
            {"tax_lines", json::array()},
            {"fee_lines", json::array()},
            {"_links", {{"self", json::array({{{"href", order_url + "/refunds/" + std::to_string(r.id)}}})},
                        {"collection", json::array({{{"href", order_url + "/refunds"}}})},
                        {"up", json::array({{{"href", order_url}}})}}}};
  }

  // A refund as POST /orders/{id}/refunds takes it: {amount?, reason?, api_refund?, api_restock?,
  // line_items:[{id (the order line), quantity, refund_total?}]}. Under mu_. false: *status and
  // *err say why (WooCommerce's codes).
  bool makeRefund(Order& o, const json& body, json* out, int* status, json* err) {
    auto fail = [&](int st, const std::string& code, const std::string& message) {
      *status = st;
      *err = wcError(code, message, st);
      return false;
    };
    if (!body.is_object()) return fail(400, "woocommerce_rest_invalid_json", "Invalid JSON body passed.");
    const json* items = body.contains("line_items") ? &body["line_items"] : nullptr;
    if (items && !items->is_array()) return fail(400, "rest_invalid_param", "Invalid parameter(s): line_items");
    Refund r;
    r.id = next_refund_id_++;
    r.created_ms = ctx_.nowMs();
    r.reason = body.contains("reason") && body["reason"].is_string() ? body["reason"].get<std::string>() : "";
    r.api_refund = !body.contains("api_refund") || body["api_refund"] != false;
    bool restock = !body.contains("api_restock") || body["api_restock"] != false;
    std::map<int64_t, int64_t> refunded_before;
    for (const Refund& x : o.refunds) {
      for (const RefundLine& rl : x.lines) refunded_before[rl.line_id] += rl.quantity;
    }
    int64_t lines_cents = 0;
    if (items) {
      for (const json& it : *items) {
        auto id = it.is_object() && it.contains("id") ? wpInt(it["id"]) : std::nullopt;
        auto qty = it.is_object() && it.contains("quantity") ? wpInt(it["quantity"]) : std::nullopt;
        Line* l = nullptr;
        for (Line& x : o.lines) {
          if (id && x.id == *id) l = &x;
        }
        if (!l) return fail(400, "woocommerce_rest_invalid_order_item_id", "Invalid order item ID.");
        if (!qty || *qty < 0 || *qty > l->quantity - refunded_before[l->id]) {
          return fail(400, "woocommerce_rest_cannot_create_order_refund", "Invalid refund quantity.");
        }
        int64_t cents = l->price_cents * *qty;
        if (it.contains("refund_total")) {
          const json& t = it["refund_total"];
          auto c = t.is_string() ? parseCents(t.get<std::string>()) : t.is_number() ? std::optional<int64_t>(std::llround(t.get<double>() * 100)) : std::nullopt;
          if (!c) return fail(400, "rest_invalid_param", "Invalid parameter(s): refund_total");
          cents = *c;
        }
        refunded_before[l->id] += *qty;
        lines_cents += cents;
        r.lines.push_back({next_refund_line_id_++, l->id, *qty, cents});
      }
    }
    r.amount_cents = lines_cents;
    if (body.contains("amount")) {
      const json& a = body["amount"];
      auto c = a.is_string() ? parseCents(a.get<std::string>()) : std::nullopt;
      if (!c) return fail(400, "rest_invalid_param", "Invalid parameter(s): amount");
      r.amount_cents = *c;  // takes precedence over the lines' totals
    }
    if (r.amount_cents <= 0) return fail(400, "woocommerce_rest_cannot_create_order_refund", "Refund amount must be greater than zero.");
    if (restock) {
      for (const RefundLine& rl : r.lines) {
        for (Line& l : o.lines) {
          if (l.id != rl.line_id || rl.quantity == 0) continue;
          l.restocked += rl.quantity;
          Product* p = byId(l.product_id);
          if (p && p->manage_stock && p->stock_quantity) *p->stock_quantity += rl.quantity;
        }
      }
    }
    o.refunds.push_back(r);
    bool all = true;
    for (const Line& l : o.lines) all = all && refunded_before[l.id] >= l.quantity;
    if (all) o.status = "refunded";
    o.modified_ms = ctx_.nowMs();
    *out = refundJson(o, o.refunds.back());
    return true;
  }

  // Applies one create/update item; returns the product JSON or the per-item error.
  json applyProduct(const json& item, bool create, int64_t now) {
    if (!item.is_object()) return {{"id", 0}, {"error", wcError("rest_invalid_param", "Invalid parameter(s): item", 400)}};
    Product* p = nullptr;
    Product fresh;
    if (create) {
      std::string sku = item.contains("sku") && item["sku"].is_string() ? item["sku"].get<std::string>() : "";
      if (!sku.empty() && bySku(sku)) return {{"id", 0}, {"error", wcError("product_invalid_sku", "Invalid or duplicated SKU.", 400)}};
      fresh.sku = sku;
      fresh.manage_stock = false;
      fresh.created_ms = now;
      p = &fresh;
    } else {
      auto id = item.contains("id") ? wpInt(item["id"]) : std::nullopt;
      p = id ? byId(*id) : nullptr;
      if (!p) return {{"id", id ? json(*id) : json(0)}, {"error", wcError("woocommerce_rest_product_invalid_id", "Invalid ID.", 400)}};
    }
    json id_json = create ? json(0) : json(p->id);
    std::optional<int64_t> qty;
    if (item.contains("stock_quantity") && !item["stock_quantity"].is_null()) {
      qty = wpInt(item["stock_quantity"]);
      if (!qty) {
        return {{"id", id_json},
                {"error", wcError("rest_invalid_param", "Invalid parameter(s): stock_quantity", 400,
                                  {{"stock_quantity", "stock_quantity is not of type integer."}})}};
      }
    }
    std::optional<bool> manage;
    if (item.contains("manage_stock")) {
      if (!item["manage_stock"].is_boolean()) {
        return {{"id", id_json},
                {"error", wcError("rest_invalid_param", "Invalid parameter(s): manage_stock", 400,
                                  {{"manage_stock", "manage_stock is not of type boolean."}})}};
      }
      manage = item["manage_stock"].get<bool>();
    }
    std::optional<int64_t> price;
    if (item.contains("regular_price")) {
      price = item["regular_price"].is_string() ? parseCents(item["regular_price"].get<std::string>()) : std::nullopt;
      if (!price) return {{"id", id_json}, {"error", wcError("rest_invalid_param", "Invalid parameter(s): regular_price", 400)}};
    }
    std::optional<std::optional<int64_t>> sale;  // outer: sent; inner nullopt: "" (no sale)
    if (item.contains("sale_price")) {
      const json& v = item["sale_price"];
      if (v.is_string() && v.get<std::string>().empty()) {
        sale = std::optional<int64_t>();
      } else {
        auto c = v.is_string() ? parseCents(v.get<std::string>()) : std::nullopt;
        if (!c) return {{"id", id_json}, {"error", wcError("rest_invalid_param", "Invalid parameter(s): sale_price", 400,
                                                            {{"sale_price", "sale_price is not of type string."}})}};
        sale = c;
      }
    }
    std::optional<std::optional<int64_t>> from, to;
    for (const char* k : {"date_on_sale_from", "date_on_sale_from_gmt", "date_on_sale_to", "date_on_sale_to_gmt"}) {
      if (!item.contains(k)) continue;
      std::string key = k;
      bool gmt = key.size() > 4 && key.compare(key.size() - 4, 4, "_gmt") == 0;
      std::optional<int64_t> value;
      if (!saleDate(item[k], gmt, &value)) {
        return {{"id", id_json}, {"error", wcError("rest_invalid_param", "Invalid parameter(s): " + key, 400,
                                                    {{key, "Invalid date."}})}};
      }
      (key.rfind("date_on_sale_from", 0) == 0 ? from : to) = value;
    }
    {
      std::optional<int64_t> f = from ? *from : p->sale_from_ms;
      std::optional<int64_t> t = to ? *to : p->sale_to_ms;
      if (f && t && *t <= *f) {
        return {{"id", id_json}, {"error", wcError("rest_invalid_param", "Invalid parameter(s): date_on_sale_to", 400,
                                                    {{"date_on_sale_to", "The sale end date must be after its start date."}})}};
      }
    }
    if (item.contains("sku") && item["sku"].is_string() && !create) {
      std::string sku = item["sku"];
      Product* other = bySku(sku);
      if (other && other != p) return {{"id", id_json}, {"error", wcError("product_invalid_sku", "Invalid or duplicated SKU.", 400)}};
      p->sku = sku;
    }
    if (item.contains("name") && item["name"].is_string()) p->name = item["name"];
    if (manage) p->manage_stock = *manage;
    if (price) p->price_cents = *price;
    if (sale) p->sale_cents = *sale;
    if (from) p->sale_from_ms = *from;
    if (to) p->sale_to_ms = *to;
    if (sale && !*sale) {  // WooCommerce clears the dates with the sale price
      p->sale_from_ms.reset();
      p->sale_to_ms.reset();
    }
    if (price || sale || from || to) ++p->price_updates;
    // stock_quantity only acts when the product manages stock.
    if (p->manage_stock) {
      if (qty) p->stock_quantity = *qty;
      if (!p->stock_quantity) p->stock_quantity = 0;
    } else {
      p->stock_quantity.reset();
    }
    p->modified_ms = now;
    ++p->update_count;
    if (create) {
      fresh.id = next_product_++;
      if (fresh.name.empty()) fresh.name = "Product " + fresh.sku;
      products_.push_back(fresh);
      return productJson(products_.back());
    }
    return productJson(*p);
  }

  void batch(const httplib::Request& req, httplib::Response& res) {
    json body = json::parse(req.body, nullptr, false);
    if (body.is_discarded() || !body.is_object()) {
      return sendJson(res, 400, wcError("rest_invalid_json", "Invalid JSON body passed.", 400));
    }
    size_t total = 0;
    for (const char* k : {"create", "update", "delete"}) {
      if (body.contains(k)) {
        if (!body[k].is_array()) {
          return sendJson(res, 400, wcError("rest_invalid_param", std::string("Invalid parameter(s): ") + k, 400,
                                            {{k, std::string(k) + " is not of type array."}}));
        }
        total += body[k].size();
      }
    }
    int limit = ctx_.options().batch_limit;
    if (total > static_cast<size_t>(limit)) {
      return sendJson(res, 413, wcError("woocommerce_rest_request_entity_too_large",
                                        "Unable to accept more than " + std::to_string(limit) + " items for this request.", 413));
    }
    std::lock_guard lock(mu_);
    int64_t now = ctx_.nowMs();
    json out = json::object();
    if (body.contains("create")) {
      out["create"] = json::array();
      for (const json& item : body["create"]) out["create"].push_back(applyProduct(item, true, now));
    }
    if (body.contains("update")) {
      out["update"] = json::array();
      for (const json& item : body["update"]) out["update"].push_back(applyProduct(item, false, now));
    }
    if (body.contains("delete")) {
      out["delete"] = json::array();
      for (const json& id_json : body["delete"]) {
        auto id = wpInt(id_json);
        auto it = std::find_if(products_.begin(), products_.end(), [&](const Product& p) { return id && p.id == *id; });
        if (it == products_.end()) {
          out["delete"].push_back({{"id", id ? json(*id) : json(0)}, {"error", wcError("woocommerce_rest_product_invalid_id", "Invalid ID.", 400)}});
          continue;
        }
        out["delete"].push_back(productJson(*it));
        products_.erase(it);
      }
    }
    sendJson(res, 200, out);
  }

  bool paging(const httplib::Request& req, httplib::Response& res, int64_t* per_page, int64_t* page) {
    *per_page = 10;
    *page = 1;
    if (req.has_param("per_page")) {
      auto v = wpInt(json(req.get_param_value("per_page")));
      if (!v || *v < 1 || *v > 100) {
        sendJson(res, 400, wcError("rest_invalid_param", "Invalid parameter(s): per_page", 400,
                                   {{"per_page", "per_page must be between 1 (inclusive) and 100 (inclusive)"}}));
        return false;
      }
      *per_page = *v;
    }
    if (req.has_param("page")) {
      auto v = wpInt(json(req.get_param_value("page")));
      if (!v || *v < 1) {
        sendJson(res, 400, wcError("rest_invalid_param", "Invalid parameter(s): page", 400, {{"page", "page must be greater than or equal to 1"}}));
        return false;
      }
      *page = *v;
    }
    return true;
  }

  // Sends one page of `all` with X-WP-Total, X-WP-TotalPages and Link headers.
  void sendPage(const httplib::Request& req, httplib::Response& res, const json& all, int64_t per_page, int64_t page,
                const std::string& path) {
    int64_t total = static_cast<int64_t>(all.size());
    int64_t pages = (total + per_page - 1) / per_page;
    if (page > 1 && page > pages && total > 0) {
      return sendJson(res, 400, wcError("woocommerce_rest_invalid_page_number",
                                        "The page number requested is larger than the number of pages available.", 400));
    }
    json out = json::array();
    for (int64_t i = (page - 1) * per_page; i < std::min(total, page * per_page); ++i) out.push_back(all[static_cast<size_t>(i)]);
    res.set_header("X-WP-Total", std::to_string(total));
    res.set_header("X-WP-TotalPages", std::to_string(pages));
    std::string link;
    std::string query;
    for (const auto& [k, v] : req.params) {
      if (k != "page") query += "&" + k + "=" + httplib::detail::encode_query_param(v);
    }
    std::string base = site(&req) + path + "?page=";
    if (page > 1) link += "<" + base + std::to_string(page - 1) + query + ">; rel=\"prev\"";
    if (page < pages) link += std::string(link.empty() ? "" : ", ") + "<" + base + std::to_string(page + 1) + query + ">; rel=\"next\"";
    if (!link.empty()) res.set_header("Link", link);
    sendJson(res, 200, out);
  }

  void listProducts(const httplib::Request& req, httplib::Response& res) {
    int64_t per_page, page;
    if (!paging(req, res, &per_page, &page)) return;
    std::set<std::string> skus;
    if (req.has_param("sku")) {
      std::string list = req.get_param_value("sku");
      size_t start = 0;
      while (start <= list.size()) {
        size_t c = list.find(',', start);
        std::string s = list.substr(start, c == std::string::npos ? std::string::npos : c - start);
        if (!s.empty()) skus.insert(s);
        if (c == std::string::npos) break;
        start = c + 1;
      }
    }
    std::lock_guard lock(mu_);
    json all = json::array();
    for (const Product& p : products_) {
      if (req.has_param("sku") && !skus.count(p.sku)) continue;
      all.push_back(productJson(p));
    }
    sendPage(req, res, all, per_page, page, std::string(kBase) + "/products");
  }

  void getProduct(const httplib::Request& req, httplib::Response& res) {
    std::lock_guard lock(mu_);
    Product* p = byId(std::stoll(req.matches[1]));
    if (!p) return sendJson(res, 404, wcError("woocommerce_rest_product_invalid_id", "Invalid ID.", 404));
    sendJson(res, 200, productJson(*p));
  }

  void putProduct(const httplib::Request& req, httplib::Response& res) {
    json body = json::parse(req.body, nullptr, false);
    if (body.is_discarded() || !body.is_object()) return sendJson(res, 400, wcError("rest_invalid_json", "Invalid JSON body passed.", 400));
    body["id"] = std::stoll(req.matches[1]);
    std::lock_guard lock(mu_);
    json r = applyProduct(body, false, ctx_.nowMs());
    if (r.contains("error")) {
      int status = r["error"]["data"]["status"];
      if (r["error"]["code"] == "woocommerce_rest_product_invalid_id") status = 404;
      return sendJson(res, status, r["error"]);
    }
    sendJson(res, 200, r);
  }

  void listOrders(const httplib::Request& req, httplib::Response& res) {
    int64_t per_page, page;
    if (!paging(req, res, &per_page, &page)) return;
    std::string gmt_param = req.get_param_value("dates_are_gmt");
    bool gmt = gmt_param == "true" || gmt_param == "1";
    std::map<std::string, int64_t> bounds;
    for (const char* k : {"after", "before", "modified_after", "modified_before"}) {
      if (!req.has_param(k)) continue;
      std::string v = req.get_param_value(k);
      auto ms = parseIso(v);
      if (!ms) {
        return sendJson(res, 400, wcError("rest_invalid_param", std::string("Invalid parameter(s): ") + k, 400, {{k, "Invalid date."}}));
      }
      // Without a zone and without dates_are_gmt, WordPress reads the date in the site's time zone.
      bool has_zone = v.size() > 19 && (v.back() == 'Z' || v[v.size() - 6] == '+' || v[v.size() - 6] == '-');
      if (!gmt && !has_zone) *ms -= kSiteOffsetMinutes * 60'000LL;
      bounds[k] = *ms;
    }
    std::string orderby = req.has_param("orderby") ? req.get_param_value("orderby") : "date";
    std::string order = req.has_param("order") ? req.get_param_value("order") : "desc";
    static const std::set<std::string> kOrderBy = {"date", "id", "include", "title", "slug", "modified"};
    if (!kOrderBy.count(orderby)) {
      return sendJson(res, 400, wcError("rest_invalid_param", "Invalid parameter(s): orderby", 400,
                                        {{"orderby", "orderby is not one of date, id, include, title, slug, and modified."}}));
    }
    if (order != "asc" && order != "desc") {
      return sendJson(res, 400, wcError("rest_invalid_param", "Invalid parameter(s): order", 400, {{"order", "order is not one of asc and desc."}}));
    }
    std::set<std::string> statuses;
    if (req.has_param("status") && req.get_param_value("status") != "any") {
      std::string list = req.get_param_value("status");
      size_t start = 0;
      while (start <= list.size()) {
        size_t c = list.find(',', start);
        statuses.insert(list.substr(start, c == std::string::npos ? std::string::npos : c - start));
        if (c == std::string::npos) break;
        start = c + 1;
      }
    }
    std::lock_guard lock(mu_);
    std::vector<const Order*> match;
    for (const Order& o : orders_) {
      // WordPress date queries compare whole seconds; "after" is exclusive.
      int64_t c = o.created_ms / 1000, m = o.modified_ms / 1000;
      if (bounds.count("after") && !(c > bounds["after"] / 1000)) continue;
      if (bounds.count("before") && !(c < bounds["before"] / 1000)) continue;
      if (bounds.count("modified_after") && !(m > bounds["modified_after"] / 1000)) continue;
      if (bounds.count("modified_before") && !(m < bounds["modified_before"] / 1000)) continue;
      if (!statuses.empty() && !statuses.count(o.status)) continue;
      match.push_back(&o);
    }
    std::stable_sort(match.begin(), match.end(), [&](const Order* a, const Order* b) {
      int64_t ka = orderby == "modified" ? a->modified_ms : (orderby == "id" ? a->id : a->created_ms);
      int64_t kb = orderby == "modified" ? b->modified_ms : (orderby == "id" ? b->id : b->created_ms);
      return order == "asc" ? ka < kb : ka > kb;
    });
    json all = json::array();
    for (const Order* o : match) all.push_back(orderJson(*o));
    sendPage(req, res, all, per_page, page, std::string(kBase) + "/orders");
  }

  void getOrder(const httplib::Request& req, httplib::Response& res) {
    std::lock_guard lock(mu_);
    for (const Order& o : orders_) {
      if (std::to_string(o.id) == req.matches[1]) return sendJson(res, 200, orderJson(o));
    }
    sendJson(res, 404, wcError("woocommerce_rest_shop_order_invalid_id", "Invalid ID.", 404));
  }

  // PUT /orders/{id}: only "status" is applied (the simulator keeps no other order fields writable).
  void putOrder(const httplib::Request& req, httplib::Response& res) {
    json body = json::parse(req.body, nullptr, false);
    if (!body.is_object()) return sendJson(res, 400, wcError("woocommerce_rest_invalid_json", "Invalid JSON body passed.", 400));
    static const std::set<std::string> kStatuses = {"pending", "processing", "on-hold", "completed", "cancelled", "refunded", "failed"};
    json order;
    {
      std::lock_guard lock(mu_);
      Order* o = nullptr;
      for (Order& x : orders_) {
        if (std::to_string(x.id) == req.matches[1]) o = &x;
      }
      if (!o) return sendJson(res, 404, wcError("woocommerce_rest_shop_order_invalid_id", "Invalid ID.", 404));
      if (body.contains("status")) {
        if (!body["status"].is_string() || !kStatuses.count(body["status"].get<std::string>())) {
          return sendJson(res, 400, wcError("rest_invalid_param", "Invalid parameter(s): status", 400));
        }
        std::string to = body["status"];
        if (to == "cancelled" && o->status != "cancelled") {
          for (const Line& l : o->lines) {  // WooCommerce puts the stock back when an order is cancelled
            Product* p = byId(l.product_id);
            if (p && p->manage_stock && p->stock_quantity) *p->stock_quantity += l.quantity;
          }
        }
        o->status = to;
        o->modified_ms = ctx_.nowMs();
      }
      order = orderJson(*o);
    }
    fire("order.updated", order);
    sendJson(res, 200, order);
  }

  // POST /orders/{id}/notes {"note","customer_note"}: 201 with the note.
  Order* findOrder(const std::string& id) {
    for (Order& x : orders_) {
      if (std::to_string(x.id) == id) return &x;
    }
    return nullptr;
  }

  // GET /orders/{id}/refunds: newest first, per_page/page like every list.
  void listRefunds(const httplib::Request& req, httplib::Response& res) {
    int64_t per_page, page;
    if (!paging(req, res, &per_page, &page)) return;
    std::lock_guard lock(mu_);
    Order* o = findOrder(req.matches[1]);
    if (!o) return sendJson(res, 404, wcError("woocommerce_rest_shop_order_invalid_id", "Invalid ID.", 404));
    json all = json::array();
    for (auto it = o->refunds.rbegin(); it != o->refunds.rend(); ++it) all.push_back(refundJson(*o, *it));
    int64_t total = static_cast<int64_t>(all.size());
    json out = json::array();
    for (int64_t i = (page - 1) * per_page; i < std::min(total, page * per_page); ++i) out.push_back(all[static_cast<size_t>(i)]);
    res.set_header("X-WP-Total", std::to_string(total));
    res.set_header("X-WP-TotalPages", std::to_string(std::max<int64_t>(1, (total + per_page - 1) / per_page)));
    sendJson(res, 200, out);
  }

  void getRefund(const httplib::Request& req, httplib::Response& res) {
    std::lock_guard lock(mu_);
    Order* o = findOrder(req.matches[1]);
    if (o) {
      for (const Refund& r : o->refunds) {
        if (std::to_string(r.id) == req.matches[2]) return sendJson(res, 200, refundJson(*o, r));
      }
    }
    sendJson(res, 404, wcError("woocommerce_rest_invalid_id", "Invalid ID.", 404));
  }

  void createRefund(const httplib::Request& req, httplib::Response& res) {
    json body = json::parse(req.body, nullptr, false);
    json refund, order;
    {
      std::lock_guard lock(mu_);
      Order* o = findOrder(req.matches[1]);
      if (!o) return sendJson(res, 404, wcError("woocommerce_rest_shop_order_invalid_id", "Invalid ID.", 404));
      int status = 0;
      json err;
      if (!makeRefund(*o, body, &refund, &status, &err)) return sendJson(res, status, err);
      order = orderJson(*o);
    }
    fire("order.updated", order);
    sendJson(res, 201, refund);
  }

  void addNote(const httplib::Request& req, httplib::Response& res) {
    json body = json::parse(req.body, nullptr, false);
    if (!body.is_object() || !body.contains("note") || !body["note"].is_string() || body["note"].get<std::string>().empty()) {
      return sendJson(res, 400, wcError("rest_missing_callback_param", "Missing parameter(s): note", 400));
    }
    std::lock_guard lock(mu_);
    Order* o = nullptr;
    for (Order& x : orders_) {
      if (std::to_string(x.id) == req.matches[1]) o = &x;
    }
    if (!o) return sendJson(res, 404, wcError("woocommerce_rest_shop_order_invalid_id", "Invalid ID.", 404));
    json note = {{"id", next_note_id_++}, {"author", "WooCommerce"}, {"date_created", isoNoZone(ctx_.nowMs())},
                 {"date_created_gmt", isoNoZone(ctx_.nowMs())}, {"note", body["note"]},
                 {"customer_note", body.value("customer_note", false)}};
    o->notes.push_back(note);
    sendJson(res, 201, note);
  }

  json webhookJson(const Webhook& w) const {
    std::string topic = w.topic;
    auto dot = topic.find('.');
    std::string url = site() + kBase + "/webhooks/" + std::to_string(w.id);
    return {{"id", w.id},
            {"name", w.name},
            {"status", w.status},
            {"topic", w.topic},
            {"resource", topic.substr(0, dot)},
            {"event", dot == std::string::npos ? "" : topic.substr(dot + 1)},
            {"hooks", json::array({"woocommerce_new_order", "woocommerce_update_order"})},
            {"delivery_url", w.delivery_url},
            {"date_created", isoNoZone(w.created_ms + kSiteOffsetMinutes * 60'000LL)},
            {"date_created_gmt", isoNoZone(w.created_ms)},
            {"date_modified", isoNoZone(w.created_ms + kSiteOffsetMinutes * 60'000LL)},
            {"date_modified_gmt", isoNoZone(w.created_ms)},
            {"_links", {{"self", json::array({{{"href", url}}})}, {"collection", json::array({{{"href", site() + kBase + "/webhooks"}}})}}}};
  }

  // Creates a webhook and pings its delivery URL. Caller must not hold mu_.
  bool addWebhook(const json& body, json* out, std::string* error) {
    static const std::set<std::string> kTopics = {"order.created", "order.updated", "order.deleted", "order.restored",
                                                  "product.created", "product.updated", "product.deleted", "product.restored"};
    std::string topic = body.contains("topic") && body["topic"].is_string() ? body["topic"].get<std::string>() : "";
    std::string url = body.contains("delivery_url") && body["delivery_url"].is_string() ? body["delivery_url"].get<std::string>() : "";
    if (!kTopics.count(topic)) {
      *error = "topic";
      return false;
    }
    if (url.rfind("http://", 0) != 0 && url.rfind("https://", 0) != 0) {
      *error = "delivery_url";
      return false;
    }
    Webhook w;
    {
      std::lock_guard lock(mu_);
      w.id = next_webhook_++;
      w.name = body.contains("name") && body["name"].is_string() ? body["name"].get<std::string>() : "Webhook " + std::to_string(w.id);
      w.topic = topic;
      w.delivery_url = url;
      w.secret = body.contains("secret") && body["secret"].is_string() ? body["secret"].get<std::string>() : ctx_.options().webhook_secret;
      if (body.contains("status") && body["status"].is_string()) w.status = body["status"];
      w.created_ms = ctx_.nowMs();
      webhooks_.push_back(w);
      if (out) *out = webhookJson(w);
    }
    WebhookDelivery ping;
    ping.url = url;
    ping.body = "webhook_id=" + std::to_string(w.id);
    ping.content_type = "application/x-www-form-urlencoded";
    ping.topic = "ping";
    ping.headers = {{"User-Agent", "WooCommerce/9.0.0 Hookshot (WordPress/6.5)"}};
    ctx_.deliver(std::move(ping));
    return true;
  }

  void createWebhook(const httplib::Request& req, httplib::Response& res) {
    json body = json::parse(req.body, nullptr, false);
    if (body.is_discarded() || !body.is_object()) return sendJson(res, 400, wcError("rest_invalid_json", "Invalid JSON body passed.", 400));
    json out;
    std::string error;
    if (!addWebhook(body, &out, &error)) {
      return sendJson(res, 400, wcError("rest_invalid_param", "Invalid parameter(s): " + error, 400, {{error, "Invalid " + error + "."}}));
    }
    sendJson(res, 201, out);
  }

  void listWebhooks(const httplib::Request&, httplib::Response& res) {
    std::lock_guard lock(mu_);
    json out = json::array();
    for (const Webhook& w : webhooks_) out.push_back(webhookJson(w));
    sendJson(res, 200, out);
  }

  void getWebhook(const httplib::Request& req, httplib::Response& res) {
    std::lock_guard lock(mu_);
    for (const Webhook& w : webhooks_) {
      if (std::to_string(w.id) == req.matches[1]) return sendJson(res, 200, webhookJson(w));
    }
    sendJson(res, 404, wcError("woocommerce_rest_webhook_invalid_id", "Invalid ID.", 404));
  }

  // Delivers an order event to every active webhook on that topic.
  void fire(const std::string& topic, const json& order) {
    std::vector<Webhook> targets;
    {
      std::lock_guard lock(mu_);
      for (const Webhook& w : webhooks_) {
        if (w.topic == topic && w.status == "active") targets.push_back(w);
      }
    }
    std::string body = order.dump();
    for (const Webhook& w : targets) {
      WebhookDelivery d;
      d.url = w.delivery_url;
      d.body = body;
      d.topic = topic;
      d.max_attempts = 1;  // WooCommerce does not retry
      d.headers = {{"User-Agent", "WooCommerce/9.0.0 Hookshot (WordPress/6.5)"},
                   {"X-WC-Webhook-Source", site() + "/"},
                   {"X-WC-Webhook-Topic", topic},
                   {"X-WC-Webhook-Resource", "order"},
                   {"X-WC-Webhook-Event", topic.substr(topic.find('.') + 1)},
                   {"X-WC-Webhook-Signature", hmacSha256Base64(w.secret, body)},
                   {"X-WC-Webhook-ID", std::to_string(w.id)},
                   {"X-WC-Webhook-Delivery-ID", ctx_.uuid()}};
      int64_t id = w.id;
      d.on_attempt = [this, id](int status) {
        std::lock_guard lock(mu_);
        for (Webhook& x : webhooks_) {
          if (x.id != id) continue;
          if (status >= 200 && status <= 299) {
            x.failures = 0;
          } else if (++x.failures >= ctx_.options().webhook_disable_after) {
            x.status = "disabled";
          }
        }
      };
      ctx_.deliver(std::move(d));
    }
  }

  SimContext& ctx_;
  std::mutex mu_;
  std::vector<Product> products_;
  std::vector<Order> orders_;
  int64_t next_note_id_ = 281;
  std::vector<Webhook> webhooks_;
  int64_t next_product_ = 790;
  int64_t next_order_ = 730;
  int64_t next_line_ = 320;
  int64_t next_refund_id_ = 740;
  int64_t next_refund_line_id_ = 900;
  int64_t next_webhook_ = 142;
};

}  // namespace

std::unique_ptr<ChannelSim> makeWooCommerceSim(SimContext& ctx) { return std::make_unique<WooCommerceSim>(ctx); }

}  // namespace sw::channelsim
