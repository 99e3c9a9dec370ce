// Walmart Marketplace (US) APIs v3, as much of them as Stockwire uses (shared/contracts/walmart/):
//   POST /v3/token                 client credentials (Basic clientId:clientSecret, grant_type=
//                                  client_credentials) -> {"access_token","token_type","expires_in"}; a token
//                                  lives --token-life-s (900) and is then answered 401
//   PUT  /v3/inventory?sku=        one SKU's quantity {"sku","quantity":{"unit":"EACH","amount"}}
//   GET  /v3/inventory?sku=
//   POST /v3/feeds?feedType=inventory|price   multipart part "file"; -> {"feedId"}; RECEIVED, INPROGRESS,
//                                  then PROCESSED after --feed-delay-ms, with a per-item ingestionStatus:
//                                  an unknown SKU, a bad quantity or price, or a listing seeded with
//                                  "ingestion_error" fails (DATA_ERROR) while the others succeed
//   GET  /v3/feeds/{feedId}?includeDetails=true&offset=&limit= (limit <= 50)
//   PUT  /v3/price                 {"sku","pricing":[{"currentPriceType","currentPrice":{"currency","amount"},
//                                  "comparisonPriceType"?,"comparisonPrice"?}]}
//   GET  /v3/orders/released       orders with units in Created, createdStartDate, limit 1..200,
//                                  meta.nextCursor a query string (poIndex = where the next page starts)
//   GET  /v3/orders                lastModifiedStartDate, status, the same paging; GET /v3/orders/{id}
//   POST /v3/orders/{id}/acknowledge | shipping | cancel | refund
// Every call needs WM_SEC.ACCESS_TOKEN (401 when unknown or expired), WM_QOS.CORRELATION_ID and WM_SVC.NAME
// (400 INVALID_REQUEST_HEADER); errors are {"errors":[{code,field,description,info,severity,category,...}]}.
// Each API has its own allotment: --api-calls per --api-window-ms, refilled gradually (one call every
// window / calls), announced in X-Current-Token-Count and X-Next-Replenishment-Time (epoch ms) on every
// answer; over it, 429. Error codes for per-item feed failures are the simulator's own (Walmart's real
// codes are not in the contracts). No orders for a query is 404 CONTENT_NOT_FOUND, as Walmart answers.
// Control: GET /_sim/walmart (tokens issued, correlation ids seen and repeated), POST /_sim/walmart/expire-tokens.

#include <algorithm>
#include <map>
#include <set>

#include "sim_core.h"

namespace sw::channelsim {

namespace {

// RefundChargeType.refundReason in orders.json: Walmart takes no other reason.
const std::set<std::string> kRefundReasons = {"BillingError", "TaxExemptCustomer", "ItemNotAsAdvertised", "IncorrectItemReceived",
                                              "CancelledYetShipped", "ItemNotReceivedByCustomer", "IncorrectShippingPrice",
                                              "DamagedItem", "DefectiveItem", "CustomerChangedMind", "CustomerReceivedItemLate",
                                              "Missing Parts / Instructions", "Finance -> Goodwill", "Finance -> Rollback",
                                              "Buyer canceled", "Customer returned item", "General adjustment",
                                              "Merchandise not received", "Quality -> Missing Parts / Instructions",
                                              "Shipping & Delivery -> Damaged",
                                              "Shipping & Delivery -> Shipping Price Discrepancy", "Others"};

json wmError(const std::string& code, const std::string& field, const std::string& description,
             const std::string& category = "DATA") {
  return {{"code", code}, {"field", field}, {"description", description}, {"info", description}, {"severity", "ERROR"},
          {"category", category}, {"causes", json::array()}, {"errorIdentifiers", json::object()}};
}
json errors(json e) { return {{"errors", json::array({std::move(e)})}}; }

std::string alpha3(const std::string& c) {
  if (c == "US") return "USA";
  if (c == "CA") return "CAN";
  if (c == "MX") return "MEX";
  return c;
}

// A number written as Walmart writes money: 9.99 as a JSON number.
json centsNumber(int64_t cents) { return json::parse(centsText(cents)); }

// Money from a JSON number or string, in cents (rounded); nullopt if not money.
std::optional<int64_t> centsOf(const json& v) {
  if (v.is_number()) {
    double d = v.get<double>();
    if (!(d > -1e12 && d < 1e12)) return std::nullopt;
    return static_cast<int64_t>(d * 100 + (d < 0 ? -0.5 : 0.5));
  }
  if (v.is_string()) {
    std::string s = v.get<std::string>();
    bool neg = !s.empty() && s[0] == '-';
    auto c = parseCents(neg ? s.substr(1) : s);
    if (!c) return std::nullopt;
    return neg ? -*c : *c;
  }
  return std::nullopt;
}

// A query parameter from a target's query string (the cursor Walmart hands out is one).
std::map<std::string, std::string> queryOf(const httplib::Request& req) {
  std::map<std::string, std::string> out;
  for (const auto& [k, v] : req.params) out[k] = v;
  return out;
}

class WalmartSim final : public SimWithOrderViews<WalmartSim> {
  friend class SimWithOrderViews<WalmartSim>;

 public:
  explicit WalmartSim(SimContext& ctx) : ctx_(ctx) {}

  void install(httplib::Server& server) override {
    server.Post("/v3/token", [this](const httplib::Request& q, httplib::Response& r) { token(q, r); });
    server.Put("/v3/inventory", api("updateInventory", [this](const httplib::Request& q, httplib::Response& r) { putInventory(q, r); }));
    server.Get("/v3/inventory", api("getInventory", [this](const httplib::Request& q, httplib::Response& r) { getInventory(q, r); }));
    server.Post("/v3/feeds", api("feeds", [this](const httplib::Request& q, httplib::Response& r) { postFeed(q, r); }));
    server.Get(R"(/v3/feeds/([^/]+))", api("getFeedStatus", [this](const httplib::Request& q, httplib::Response& r) { getFeed(q, r); }));
    server.Put("/v3/price", api("updatePrice", [this](const httplib::Request& q, httplib::Response& r) { putPrice(q, r); }));
    server.Get("/v3/orders/released",
               api("releasedOrders", [this](const httplib::Request& q, httplib::Response& r) { listOrders(q, r, true); }));
    server.Get("/v3/orders", api("orders", [this](const httplib::Request& q, httplib::Response& r) { listOrders(q, r, false); }));
    server.Get(R"(/v3/orders/(\d+))", api("orders", [this](const httplib::Request& q, httplib::Response& r) { getOrder(q, r); }));
    server.Post(R"(/v3/orders/(\d+)/acknowledge)",
                api("orderUpdate", [this](const httplib::Request& q, httplib::Response& r) { acknowledge(q, r); }));
    server.Post(R"(/v3/orders/(\d+)/shipping)", api("orderUpdate", [this](const httplib::Request& q, httplib::Response& r) { ship(q, r); }));
    server.Post(R"(/v3/orders/(\d+)/cancel)", api("orderUpdate", [this](const httplib::Request& q, httplib::Response& r) { cancel(q, r); }));
    server.Post(R"(/v3/orders/(\d+)/refund)", api("orderUpdate", [this](const httplib::Request& q, httplib::Response& r) { refund(q, r); }));
    server.Get("/_sim/walmart", [this](const httplib::Request&, httplib::Response& r) {
      std::lock_guard lock(mu_);
      sendJson(r, 200, {{"tokens_issued", tokens_issued_}, {"correlation_ids", correlation_ids_.size()},
                        {"repeated_correlation_ids", repeated_correlation_ids_}, {"rejected_401", rejected_401_}});
    });
    server.Post("/_sim/walmart/expire-tokens", [this](const httplib::Request&, httplib::Response& r) {
      std::lock_guard lock(mu_);
      size_t n = tokens_.size();
      tokens_.clear();
      sendJson(r, 200, {{"expired", n}});
    });
  }

  void sendServerError(const httplib::Request&, httplib::Response& res) override {
    sendJson(res, 500, errors(wmError("SYSTEM_ERROR.GMP_GATEWAY_API", "", "Internal server error", "SYSTEM")));
  }

  void sendThrottled(const httplib::Request&, httplib::Response& res) override {
    res.set_header("X-Current-Token-Count", "0");
    res.set_header("X-Next-Replenishment-Time", std::to_string(ctx_.nowMs() + 1'000));
    sendJson(res, 429, errors(wmError("REQUEST_THRESHOLD_VIOLATED.GMP_GATEWAY_API", "", "Too many requests", "REQUEST")));
  }

  SeedRules seedRules() const override { return {}; }
  bool seed(const std::vector<SeedListing>& listings, json* out, std::string* error) override {
    std::lock_guard lock(mu_);
    json created = json::array();
    for (const SeedListing& s : listings) {
      auto price = parseCents(s.price);
      if (!price) {
        *error = "price must look like 12.34";
        return false;
      }
      Item& it = items_[s.sku];
      it.sku = s.sku;
      it.title = s.title;
      it.quantity = s.quantity;
      it.price_cents = *price;
      const json& l = *s.raw;
      it.ingestion_error = l.contains("ingestion_error") && l["ingestion_error"].is_string() ? l["ingestion_error"].get<std::string>() : "";
      created.push_back({{"sku", s.sku}, {"quantity", s.quantity}});
    }
    *out = {{"mart", "WALMART_US"}, {"listings", created}};
    return true;
  }

  std::vector<ListingView> listings() override {
    std::lock_guard lock(mu_);
    std::vector<ListingView> out;
    for (const auto& [sku, it] : items_) {
      ListingView v;
      v.sku = sku;
      v.quantity = it.quantity;
      v.channel_id = sku;
      v.updated_at_ms = it.updated_ms;
      v.update_count = it.update_count;
      json pricing = {{"currentPriceType", it.price_type}, {"currentPrice", centsText(it.price_cents)}};
      if (it.comparison_cents > 0) pricing["comparisonPrice"] = centsText(it.comparison_cents);
      v.extra = {{"price", pricing}, {"price_updates", it.price_updates}, {"feed_updates", it.feed_updates}};
      out.push_back(v);
    }
    return out;
  }

  bool createOrder(const OrderRequest& request, const json&, json* out, std::string* error) override {
    std::lock_guard lock(mu_);
    int64_t now = ctx_.nowMs();
    Order o;
    o.id = std::to_string(1'796'000'000'000LL + static_cast<int64_t>(next_order_) * 7);
    o.customer_id = std::to_string(5'681'000'000'000LL + static_cast<int64_t>(next_order_) * 13);
    ++next_order_;
    o.created_ms = now;
    o.updated_ms = now;
    o.currency = request.currency;
    o.country = request.country;
    o.ship_to = request.ship_to;
    std::vector<std::pair<Item*, int64_t>> takes;
    int n = 0;
    for (const OrderLineRequest& l : request.lines) {
      auto it = items_.find(l.sku);
      if (it == items_.end()) {
        *error = "no listing for SKU " + l.sku;
        return false;
      }
      auto price = parseCents(l.price.value_or(centsText(it->second.price_cents)));
      if (!price) {
        *error = "price must look like 12.34";
        return false;
      }
      Line line;
      line.number = std::to_string(++n);
      line.sku = l.sku;
      line.title = it->second.title;
      line.quantity = l.quantity;
      line.cost_cents = *price * l.quantity;
      line.status_ms = now;
      line.statuses.push_back({"Created", l.quantity, {}, ""});
      o.lines.push_back(line);
      takes.emplace_back(&it->second, l.quantity);
    }
    for (auto& [item, qty] : takes) item->quantity = std::max<int64_t>(0, item->quantity - qty);
    orders_.push_back(o);
    *out = {{"order_id", o.id}, {"order", orderJson(o)}};
    return true;
  }

  // A cancellation made at Walmart (the customer's): every open unit is Cancelled.
  bool cancelOrder(const std::string& id, json* out, std::string* error) override {
    std::lock_guard lock(mu_);
    Order* o = findOrder(id);
    if (!o) {
      *error = "no order " + id;
      return false;
    }
    int64_t now = ctx_.nowMs();
    int64_t n = 0;
    for (Line& l : o->lines) {
      int64_t open = units(l, "Created") + units(l, "Acknowledged");
      if (open == 0) continue;
      take(l, open);
      l.statuses.push_back({"Cancelled", open, {}, "CUSTOMER_REQUESTED_SELLER_TO_CANCEL"});
      l.status_ms = now;
      restock(l.sku, open);
      n += open;
    }
    if (n == 0) {
      *error = "order " + id + " has nothing left to cancel";
      return false;
    }
    o->updated_ms = now;
    *out = {{"order_id", id}, {"order", orderJson(*o)}};
    return true;
  }

 private:
  struct Item {
    std::string sku;
    std::string title;
    int64_t quantity = 0;
    int64_t price_cents = 1000;
    std::string price_type = "BASE";
    int64_t comparison_cents = 0;
    std::string ingestion_error;  // seeded: every feed item for this SKU fails with it
    int64_t updated_ms = 0;
    int64_t update_count = 0;
    int64_t price_updates = 0;
    int64_t feed_updates = 0;
  };
  struct Status {
    std::string status;  // Created, Acknowledged, Shipped, Cancelled, Refund
    int64_t quantity = 0;
    json tracking;  // Shipped: trackingInfo as sent
    std::string reason;
  };
  struct Line {
    std::string number;
    std::string sku;
    std::string title;
    int64_t quantity = 0;
    int64_t cost_cents = 0;
    int64_t status_ms = 0;
    std::vector<Status> statuses;
    json refund;  // the latest refund, as Walmart shows it on the line
  };
  struct Order {
    std::string id;
    std::string customer_id;
    int64_t created_ms = 0;
    int64_t updated_ms = 0;
    std::string currency;
    std::string country;
    ShipToRequest ship_to;
    std::vector<Line> lines;
  };
  struct FeedItem {
    std::string sku;
    std::string status = "INPROGRESS";
    json errors;  // ingestionErrors
  };
  struct Feed {
    std::string id;
    std::string type;
    std::string status = "RECEIVED";
    int64_t submitted_ms = 0;
    std::vector<FeedItem> items;
    json raw;  // the items as sent
  };
  struct Allotment {
    double tokens = 0;
    int64_t at_ms = 0;
    bool started = false;
  };

  using Handler = std::function<void(const httplib::Request&, httplib::Response&)>;

  Order* findOrder(const std::string& id) {
    for (Order& o : orders_) {
      if (o.id == id) return &o;
    }
    return nullptr;
  }

  static int64_t units(const Line& l, const std::string& status) {
    int64_t n = 0;
    for (const Status& s : l.statuses) {
      if (s.status == status) n += s.quantity;
    }
    return n;
  }
  // Takes n open units off a line's Created/Acknowledged entries (Created first).
  static void take(Line& l, int64_t n) {
    for (const char* from : {"Created", "Acknowledged"}) {
      for (Status& s : l.statuses) {
        if (n == 0) break;
        if (s.status != from) continue;
        int64_t t = std::min(n, s.quantity);
        s.quantity -= t;
        n -= t;
      }
    }
    l.statuses.erase(std::remove_if(l.statuses.begin(), l.statuses.end(),
                                    [](const Status& s) { return s.quantity == 0 && (s.status == "Created" || s.status == "Acknowledged"); }),
                     l.statuses.end());
  }
  void restock(const std::string& sku, int64_t n) {
    auto it = items_.find(sku);
    if (it != items_.end()) it->second.quantity += n;
  }

  // The per-API allotment, refilled gradually; answers false (and fills res with a 429) when used up.
  bool spend(const std::string& name, httplib::Response& res) {
    const double cap = static_cast<double>(ctx_.options().walmart_api_calls);
    const double window = static_cast<double>(ctx_.options().walmart_api_window_ms);
    int64_t now = ctx_.monoMs();
    Allotment& a = allotments_[name];
    if (!a.started) {
      a.started = true;
      a.tokens = cap;
      a.at_ms = now;
    }
    a.tokens = std::min(cap, a.tokens + static_cast<double>(now - a.at_ms) * cap / window);
    a.at_ms = now;
    const int64_t per_token_ms = std::max<int64_t>(1, static_cast<int64_t>(window / cap));
    const int64_t next_ms = ctx_.nowMs() + static_cast<int64_t>((1.0 - (a.tokens - static_cast<int64_t>(a.tokens))) * per_token_ms);
    if (a.tokens < 1.0) {
      res.set_header("X-Current-Token-Count", "0");
      res.set_header("X-Next-Replenishment-Time", std::to_string(next_ms));
      sendJson(res, 429, errors(wmError("REQUEST_THRESHOLD_VIOLATED.GMP_GATEWAY_API", "", "Too many requests", "REQUEST")));
      return false;
    }
    a.tokens -= 1.0;
    res.set_header("X-Current-Token-Count", std::to_string(static_cast<int64_t>(a.tokens)));
    res.set_header("X-Next-Replenishment-Time", std::to_string(ctx_.nowMs() + per_token_ms));
    return true;
  }

  bool checkHeaders(const httplib::Request& req, httplib::Response& res) {
    if (req.get_header_value("WM_QOS.CORRELATION_ID").empty()) {
      sendJson(res, 400, errors(wmError("INVALID_REQUEST_HEADER.GMP_GATEWAY_API", "WM_QOS.CORRELATION_ID",
                                        "WM_QOS.CORRELATION_ID set null or invalid", "REQUEST")));
      return false;
    }
    if (req.get_header_value("WM_SVC.NAME").empty()) {
      sendJson(res, 400, errors(wmError("INVALID_REQUEST_HEADER.GMP_GATEWAY_API", "WM_SVC.NAME", "WM_SVC.NAME set null or invalid", "REQUEST")));
      return false;
    }
    if (!correlation_ids_.insert(req.get_header_value("WM_QOS.CORRELATION_ID")).second) ++repeated_correlation_ids_;
    return true;
  }

  Handler api(const std::string& operation, Handler inner) {
    return [this, operation, inner](const httplib::Request& req, httplib::Response& res) {
      if (injectFault(ctx_, *this, req, res)) return;
      {
        std::lock_guard lock(mu_);
        if (!checkHeaders(req, res)) {
          ctx_.count(operation, res.status);
          return;
        }
        auto t = tokens_.find(req.get_header_value("WM_SEC.ACCESS_TOKEN"));
        if (t == tokens_.end() || t->second <= ctx_.monoMs()) {
          ++rejected_401_;
          sendJson(res, 401, errors(wmError("UNAUTHORIZED.GMP_GATEWAY_API", "WM_SEC.ACCESS_TOKEN",
                                            t == tokens_.end() ? "Unauthorized token or payload" : "The access token has expired",
                                            "DATA")));
          ctx_.count(operation, 401);
          return;
        }
        if (!spend(operation, res)) {
          ctx_.count(operation, 429);
          return;
        }
      }
      inner(req, res);
      ctx_.count(operation, res.status);
    };
  }

  void token(const httplib::Request& req, httplib::Response& res) {
    if (injectFault(ctx_, *this, req, res)) return;
    std::lock_guard lock(mu_);
    if (!checkHeaders(req, res)) return ctx_.count("token", res.status);
    const std::string want = "Basic " + base64Encode(ctx_.options().client_id + ":" + ctx_.options().client_secret);
    if (req.get_header_value("Authorization") != want) {
      sendJson(res, 401, errors(wmError("UNAUTHORIZED.GMP_GATEWAY_API", "clientId", "Invalid client id or secret", "DATA")));
      return ctx_.count("token", 401);
    }
    if (req.get_header_value("Content-Type").rfind("application/x-www-form-urlencoded", 0) != 0 ||
        req.get_param_value("grant_type") != "client_credentials") {
      sendJson(res, 400, errors(wmError("INVALID_REQUEST_PARAM.GMP_GATEWAY_API", "grant_type",
                                        "grant_type must be client_credentials, form-encoded", "REQUEST")));
      return ctx_.count("token", 400);
    }
    if (!spend("token", res)) return ctx_.count("token", 429);
    std::string t = "wm-sim-" + ctx_.uuid();
    tokens_[t] = ctx_.monoMs() + ctx_.options().walmart_token_life_s * 1000;
    ++tokens_issued_;
    sendJson(res, 200, {{"access_token", t}, {"token_type", "Bearer"}, {"expires_in", ctx_.options().walmart_token_life_s}});
    ctx_.count("token", 200);
  }

  // {"sku","quantity":{"unit":"EACH","amount"}}: the amount, or an error text.
  static std::optional<int64_t> quantityOf(const json& q, std::string* why) {
    if (!q.is_object() || !q.contains("quantity") || !q["quantity"].is_object()) {
      *why = "quantity must be {\"unit\":\"EACH\",\"amount\":N}";
      return std::nullopt;
    }
    const json& qq = q["quantity"];
    if (qq.value("unit", std::string()) != "EACH") {
      *why = "quantity.unit must be EACH";
      return std::nullopt;
    }
    auto n = qq.contains("amount") ? jsonInt(qq["amount"]) : std::nullopt;
    if (!n || *n > 10'000'000) {
      *why = "quantity.amount must be a whole number from 0 to 10000000";
      return std::nullopt;
    }
    return n;
  }

  void putInventory(const httplib::Request& req, httplib::Response& res) {
    std::string sku = req.get_param_value("sku");
    json body = json::parse(req.body, nullptr, false);
    std::string why;
    if (sku.empty()) return sendJson(res, 400, errors(wmError("INVALID_REQUEST_PARAM.GMP_INVENTORY_API", "sku", "sku is required", "REQUEST")));
    if (body.is_discarded() || !body.is_object() || body.value("sku", std::string()) != sku) {
      return sendJson(res, 400, errors(wmError("INVALID_REQUEST_CONTENT.GMP_INVENTORY_API", "sku",
                                               "the body must be {\"sku\":\"" + sku + "\",\"quantity\":{...}}", "DATA")));
    }
    auto q = quantityOf(body, &why);
    if (!q) return sendJson(res, 400, errors(wmError("INVALID_REQUEST_CONTENT.GMP_INVENTORY_API", "quantity", why, "DATA")));
    std::lock_guard lock(mu_);
    auto it = items_.find(sku);
    if (it == items_.end()) {
      return sendJson(res, 404, errors(wmError("CONTENT_NOT_FOUND.GMP_INVENTORY_API", "sku", "Item not found: " + sku, "DATA")));
    }
    it->second.quantity = *q;
    it->second.updated_ms = ctx_.nowMs();
    ++it->second.update_count;
    sendJson(res, 200, {{"sku", sku}, {"quantity", {{"unit", "EACH"}, {"amount", *q}}}});
  }

  void getInventory(const httplib::Request& req, httplib::Response& res) {
    std::string sku = req.get_param_value("sku");
    std::lock_guard lock(mu_);
    auto it = items_.find(sku);
    if (it == items_.end()) {
      return sendJson(res, 404, errors(wmError("CONTENT_NOT_FOUND.GMP_INVENTORY_API", "sku", "Item not found: " + sku, "DATA")));
    }
    sendJson(res, 200, {{"sku", sku}, {"quantity", {{"unit", "EACH"}, {"amount", it->second.quantity}}}});
  }

  // {"sku","pricing":[{"currentPriceType","currentPrice":{"currency","amount"},...}]}: "" when it can be
  // applied (and *price, *type, *comparison set), else why not.
  static std::string readPrice(const json& p, int64_t* price, std::string* type, int64_t* comparison) {
    if (!p.is_object() || !p.contains("pricing") || !p["pricing"].is_array() || p["pricing"].size() != 1 ||
        !p["pricing"][0].is_object()) {
      return "pricing must be a list of one {\"currentPriceType\",\"currentPrice\"}";
    }
    const json& e = p["pricing"][0];
    *type = e.value("currentPriceType", std::string());
    if (*type != "BASE" && *type != "REDUCED" && *type != "CLEARANCE") return "currentPriceType must be BASE, REDUCED or CLEARANCE";
    const json* cp = e.contains("currentPrice") && e["currentPrice"].is_object() ? &e["currentPrice"] : nullptr;
    const int64_t current = cp && cp->contains("amount") ? centsOf((*cp)["amount"]).value_or(0) : 0;
    if (!cp || cp->value("currency", std::string()) != "USD" || current <= 0) {
      return "currentPrice must be {\"currency\":\"USD\",\"amount\":<more than 0>}";
    }
    *price = current;
    *comparison = 0;
    if (e.contains("comparisonPrice")) {
      const json& cmp = e["comparisonPrice"];
      int64_t above = cmp.is_object() && cmp.contains("amount") ? centsOf(cmp["amount"]).value_or(0) : 0;
      if (above <= current) return "comparisonPrice must be an amount above currentPrice";
      *comparison = above;
    }
    if (*type == "REDUCED" && *comparison == 0) return "a REDUCED price needs a comparisonPrice";
    return "";
  }

  void putPrice(const httplib::Request& req, httplib::Response& res) {
    json body = json::parse(req.body, nullptr, false);
    std::string sku = body.is_object() ? body.value("sku", std::string()) : "";
    if (sku.empty()) return sendJson(res, 400, errors(wmError("INVALID_REQUEST_CONTENT.GMP_PRICE_API", "sku", "sku is required", "DATA")));
    int64_t price = 0, comparison = 0;
    std::string type;
    std::string why = readPrice(body, &price, &type, &comparison);
    if (!why.empty()) return sendJson(res, 400, errors(wmError("INVALID_REQUEST_CONTENT.GMP_PRICE_API", "pricing", why, "DATA")));
    std::lock_guard lock(mu_);
    auto it = items_.find(sku);
    if (it == items_.end()) return sendJson(res, 404, errors(wmError("CONTENT_NOT_FOUND.GMP_PRICE_API", "sku", "Item not found: " + sku, "DATA")));
    it->second.price_cents = price;
    it->second.price_type = type;
    it->second.comparison_cents = comparison;
    ++it->second.price_updates;
    sendJson(res, 200, {{"ItemPriceResponse",
                         {{"mart", "WALMART_US"},
                          {"sku", sku},
                          {"message", "Thank you. Your price has been updated. Please allow up to five minutes for this change to be reflected on the site."}}}});
  }

  void postFeed(const httplib::Request& req, httplib::Response& res) {
    std::string type = req.get_param_value("feedType");
    if (type != "inventory" && type != "price") {
      return sendJson(res, 400, errors(wmError("INVALID_REQUEST_PARAM.GMP_FEED_API", "feedType", "feedType must be inventory or price (here)", "REQUEST")));
    }
    if (!req.has_file("file")) {
      return sendJson(res, 400, errors(wmError("INVALID_REQUEST_CONTENT.GMP_FEED_API", "file", "a multipart/form-data part named file is required", "REQUEST")));
    }
    const std::string content = req.get_file_value("file").content;
    if (static_cast<int64_t>(content.size()) > ctx_.options().walmart_feed_max_bytes) {
      return sendJson(res, 413, errors(wmError("REQUEST_ENTITY_TOO_LARGE.GMP_FEED_API", "file", "the feed file is too large", "REQUEST")));
    }
    json doc = json::parse(content, nullptr, false);
    const char* header = type == "inventory" ? "InventoryHeader" : "PriceHeader";
    const char* list = type == "inventory" ? "Inventory" : "Price";
    if (doc.is_discarded() || !doc.is_object() || !doc.contains(header) || !doc.contains(list) || !doc[list].is_array() || doc[list].empty()) {
      return sendJson(res, 400, errors(wmError("INVALID_REQUEST_CONTENT.GMP_FEED_API", "file",
                                               std::string("the file must be JSON {\"") + header + "\":{...},\"" + list + "\":[...]}", "DATA")));
    }
    if (doc[list].size() > 10'000) {
      return sendJson(res, 400, errors(wmError("INVALID_REQUEST_CONTENT.GMP_FEED_API", "file", "at most 10000 items per feed", "DATA")));
    }
    std::lock_guard lock(mu_);
    Feed f;
    std::string u = ctx_.uuid();
    u.erase(std::remove(u.begin(), u.end(), '-'), u.end());
    std::transform(u.begin(), u.end(), u.begin(), [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
    f.id = u + "@AQMBCgA";
    f.type = type;
    f.submitted_ms = ctx_.nowMs();
    f.raw = doc[list];
    for (const json& e : f.raw) f.items.push_back({e.is_object() ? e.value("sku", std::string()) : "", "INPROGRESS", nullptr});
    feeds_[f.id] = f;
    const std::string id = f.id;
    const int64_t delay = ctx_.options().feed_delay_ms;
    ctx_.schedule(delay / 2, [this, id] {
      std::lock_guard l(mu_);
      auto it = feeds_.find(id);
      if (it != feeds_.end() && it->second.status == "RECEIVED") it->second.status = "INPROGRESS";
    });
    ctx_.schedule(delay, [this, id] { processFeed(id); });
    sendJson(res, 200, {{"feedId", id}});
  }

  void processFeed(const std::string& id) {
    std::lock_guard lock(mu_);
    auto fit = feeds_.find(id);
    if (fit == feeds_.end()) return;
    Feed& f = fit->second;
    int64_t now = ctx_.nowMs();
    auto fail = [](FeedItem& item, const std::string& code, const std::string& description) {
      item.status = "DATA_ERROR";
      item.errors = {{"ingestionError", json::array({{{"type", "DATA_ERROR"}, {"code", code}, {"description", description}}})}};
    };
    for (size_t i = 0; i < f.items.size(); ++i) {
      FeedItem& item = f.items[i];
      const json& e = f.raw[i];
      auto it = items_.find(item.sku);
      if (item.sku.empty()) {
        fail(item, "SIM_MISSING_SKU", "the item has no sku");
      } else if (it == items_.end()) {
        fail(item, "SIM_SKU_NOT_FOUND", "no item with SKU " + item.sku);
      } else if (!it->second.ingestion_error.empty()) {
        fail(item, "SIM_INGESTION_ERROR", it->second.ingestion_error);
      } else if (f.type == "inventory") {
        std::string why;
        auto q = quantityOf(e, &why);
        if (!q) {
          fail(item, "SIM_BAD_QUANTITY", why);
        } else {
          item.status = "SUCCESS";
          it->second.quantity = *q;
          it->second.updated_ms = now;
          ++it->second.update_count;
          ++it->second.feed_updates;
        }
      } else {
        int64_t price = 0, comparison = 0;
        std::string type;
        std::string why = readPrice(e, &price, &type, &comparison);
        if (!why.empty()) {
          fail(item, "SIM_BAD_PRICE", why);
        } else {
          item.status = "SUCCESS";
          it->second.price_cents = price;
          it->second.price_type = type;
          it->second.comparison_cents = comparison;
          ++it->second.price_updates;
          ++it->second.feed_updates;
        }
      }
    }
    f.status = "PROCESSED";  // even with failed items: each must be read
  }

  void getFeed(const httplib::Request& req, httplib::Response& res) {
    bool details = req.get_param_value("includeDetails") == "true";
    auto offset = req.has_param("offset") ? jsonInt(json(req.get_param_value("offset")), true) : std::optional<int64_t>(0);
    auto limit = req.has_param("limit") ? jsonInt(json(req.get_param_value("limit")), true) : std::optional<int64_t>(20);
    if (!offset || !limit || *limit < 1 || *limit > 50) {
      return sendJson(res, 400, errors(wmError("INVALID_REQUEST_PARAM.GMP_FEED_API", "limit", "offset >= 0 and limit 1..50", "REQUEST")));
    }
    std::lock_guard lock(mu_);
    auto it = feeds_.find(req.matches[1]);
    if (it == feeds_.end()) {
      return sendJson(res, 404, errors(wmError("CONTENT_NOT_FOUND.GMP_FEED_API", "feedId", "no feed " + req.matches[1].str(), "DATA")));
    }
    const Feed& f = it->second;
    int64_t ok = 0, failed = 0, processing = 0;
    for (const FeedItem& i : f.items) {
      if (i.status == "SUCCESS") {
        ++ok;
      } else if (i.status == "INPROGRESS") {
        ++processing;
      } else {
        ++failed;
      }
    }
    json out = {{"feedId", f.id}, {"feedStatus", f.status}, {"feedSubmissionDate", f.submitted_ms},
                {"itemsReceived", f.items.size()}, {"itemsSucceeded", ok}, {"itemsFailed", failed},
                {"itemsProcessing", processing}, {"offset", *offset}, {"limit", *limit}};
    if (details) {
      json list = json::array();
      for (int64_t i = *offset; i < static_cast<int64_t>(f.items.size()) && i < *offset + *limit; ++i) {
        const FeedItem& item = f.items[static_cast<size_t>(i)];
        json e = {{"martId", 0}, {"sku", item.sku}, {"index", i}, {"ingestionStatus", item.status}};
        if (!item.errors.is_null()) e["ingestionErrors"] = item.errors;
        list.push_back(std::move(e));
      }
      out["itemDetails"] = {{"itemIngestionStatus", list}};
    }
    sendJson(res, 200, out);
  }

  json lineJson(const Order& o, const Line& l) const {
    json statuses = json::array();
    for (const Status& s : l.statuses) {
      json e = {{"status", s.status}, {"statusQuantity", {{"unitOfMeasurement", "EACH"}, {"amount", std::to_string(s.quantity)}}}};
      if (!s.reason.empty()) e["cancellationReason"] = s.reason;
      if (!s.tracking.is_null()) e["trackingInfo"] = s.tracking;
      statuses.push_back(std::move(e));
    }
    json line = {{"lineNumber", l.number},
                 {"item", {{"productName", l.title}, {"sku", l.sku}}},
                 {"charges", {{"charge", json::array({{{"chargeType", "PRODUCT"},
                                                      {"chargeName", "ItemPrice"},
                                                      {"chargeAmount", {{"currency", o.currency}, {"amount", centsNumber(l.cost_cents)}}},
                                                      {"tax", nullptr}}})}}},
                 {"orderLineQuantity", {{"unitOfMeasurement", "EACH"}, {"amount", std::to_string(l.quantity)}}},
                 {"statusDate", l.status_ms},
                 {"orderLineStatuses", {{"orderLineStatus", statuses}}},
                 {"fulfillment", {{"fulfillmentOption", "S2H"}, {"shipMethod", "STANDARD"}}}};
    if (!l.refund.is_null()) line["refund"] = l.refund;
    return line;
  }

  json orderJson(const Order& o) const {
    json lines = json::array();
    for (const Line& l : o.lines) lines.push_back(lineJson(o, l));
    const ShipToRequest& s = o.ship_to;
    return {{"purchaseOrderId", o.id},
            {"customerOrderId", o.customer_id},
            {"customerEmailId", "3A31739D8B0A45A1B23F7F8C81C8747F@relay.walmart.com"},
            {"orderType", "REGULAR"},
            {"orderDate", o.created_ms},
            {"shippingInfo",
             {{"phone", "2342423234"},
              {"estimatedDeliveryDate", o.created_ms + 5 * 86'400'000LL},
              {"estimatedShipDate", o.created_ms + 86'400'000LL},
              {"methodCode", "Standard"},
              {"postalAddress",
               {{"name", "Sim Buyer"},
                {"address1", "860 W California Ave"},
                {"city", s.city.empty() ? "Sunnyvale" : s.city},
                {"state", s.region.empty() ? "CA" : s.region},
                {"postalCode", s.postal_code.empty() ? "94086" : s.postal_code},
                {"country", alpha3(o.country)},
                {"addressType", "RESIDENTIAL"}}}}},
            {"orderLines", {{"orderLine", lines}}},
            {"shipNode", {{"type", "SellerFulfilled"}}}};
  }

  json viewOf(const Order& o) const {
    json lines = json::array();
    json fs = json::array();
    bool cancelled = true;
    for (const Line& l : o.lines) {
      lines.push_back({{"line_id", l.number}, {"sku", l.sku}, {"quantity", l.quantity}, {"fulfilled", units(l, "Shipped")},
                       {"cancelled", units(l, "Cancelled")}, {"refunded", units(l, "Refund")}, {"acknowledged", units(l, "Acknowledged")}});
      if (units(l, "Cancelled") < l.quantity) cancelled = false;
      for (const Status& s : l.statuses) {
        if (s.status != "Shipped") continue;
        fs.push_back({{"tracking_number", s.tracking.value("trackingNumber", std::string())},
                      {"carrier", s.tracking.contains("carrierName") ? s.tracking["carrierName"].dump() : ""},
                      {"lines", json::array({{{"line_id", l.number}, {"quantity", s.quantity}}})}});
      }
    }
    return {{"order_id", o.id}, {"cancelled", cancelled}, {"lines", lines}, {"fulfilments", fs}, {"order", orderJson(o)}};
  }

  void listOrders(const httplib::Request& req, httplib::Response& res, bool released) {
    auto q = queryOf(req);
    auto limit = q.count("limit") ? jsonInt(json(q["limit"]), true) : std::optional<int64_t>(100);
    auto offset = q.count("poIndex") ? jsonInt(json(q["poIndex"]), true) : std::optional<int64_t>(0);
    if (!limit || *limit < 1 || *limit > 200 || !offset) {
      return sendJson(res, 400, errors(wmError("INVALID_REQUEST_PARAM.GMP_ORDER_API", "limit", "limit must be 1..200", "REQUEST")));
    }
    std::optional<int64_t> created_from, modified_from;
    for (auto [key, out] : {std::pair<const char*, std::optional<int64_t>*>{"createdStartDate", &created_from},
                            {"lastModifiedStartDate", &modified_from}}) {
      if (!q.count(key)) continue;
      *out = parseIso(q[key]);
      if (!*out) {
        return sendJson(res, 400, errors(wmError("INVALID_REQUEST_PARAM.GMP_ORDER_API", key, std::string(key) + " must be ISO 8601", "REQUEST")));
      }
    }
    std::string status = q.count("status") ? q["status"] : "";
    std::lock_guard lock(mu_);
    const int64_t oldest = ctx_.nowMs() - 180LL * 86'400'000;
    std::vector<const Order*> match;
    for (const Order& o : orders_) {
      if (o.created_ms < oldest) continue;
      if (created_from && o.created_ms < *created_from) continue;
      if (modified_from && o.updated_ms < *modified_from) continue;
      bool created = false;
      for (const Line& l : o.lines) created = created || units(l, "Created") > 0;
      if (released && !created) continue;
      if (!status.empty()) {
        bool any = false;
        for (const Line& l : o.lines) any = any || units(l, status) > 0;
        if (!any) continue;
      }
      match.push_back(&o);
    }
    if (match.size() > 20'000) {
      return sendJson(res, 400, errors(wmError("INVALID_REQUEST_PARAM.GMP_ORDER_API", "createdStartDate", "more than 20000 orders: narrow the dates", "REQUEST")));
    }
    if (match.empty() || *offset >= static_cast<int64_t>(match.size())) {
      return sendJson(res, 404, errors(wmError("CONTENT_NOT_FOUND.GMP_ORDER_API", "", "No orders found", "DATA")));
    }
    json list = json::array();
    for (int64_t i = *offset; i < static_cast<int64_t>(match.size()) && i < *offset + *limit; ++i) {
      list.push_back(orderJson(*match[static_cast<size_t>(i)]));
    }
    json meta = {{"totalCount", match.size()}, {"limit", *limit}};
    if (*offset + *limit < static_cast<int64_t>(match.size())) {
      std::string cursor = "?limit=" + std::to_string(*limit) + "&hasMoreElements=true&soIndex=" + std::to_string(match.size()) +
                           "&poIndex=" + std::to_string(*offset + *limit) + "&sellerId=8";
      if (created_from) cursor += "&createdStartDate=" + isoUtc(*created_from);
      if (modified_from) cursor += "&lastModifiedStartDate=" + isoUtc(*modified_from);
      if (!status.empty()) cursor += "&status=" + status;
      meta["nextCursor"] = cursor;
    }
    sendJson(res, 200, {{"list", {{"meta", meta}, {"elements", {{"order", list}}}}}});
  }

  void getOrder(const httplib::Request& req, httplib::Response& res) {
    std::lock_guard lock(mu_);
    Order* o = findOrder(req.matches[1]);
    if (!o) return sendJson(res, 404, errors(wmError("CONTENT_NOT_FOUND.GMP_ORDER_API", "purchaseOrderId", "no order " + req.matches[1].str(), "DATA")));
    sendJson(res, 200, {{"order", orderJson(*o)}});
  }

  void acknowledge(const httplib::Request& req, httplib::Response& res) {
    std::lock_guard lock(mu_);
    Order* o = findOrder(req.matches[1]);
    if (!o) return sendJson(res, 404, errors(wmError("CONTENT_NOT_FOUND.GMP_ORDER_API", "purchaseOrderId", "no order " + req.matches[1].str(), "DATA")));
    int64_t now = ctx_.nowMs();
    bool any = false;
    for (Line& l : o->lines) {
      for (Status& s : l.statuses) {
        if (s.status != "Created") continue;
        s.status = "Acknowledged";
        l.status_ms = now;
        any = true;
      }
    }
    if (!any) {
      bool open = false;
      for (const Line& l : o->lines) open = open || units(l, "Acknowledged") > 0;
      if (!open) {
        return sendJson(res, 400, errors(wmError("INVALID_REQUEST_CONTENT.GMP_ORDER_API", "purchaseOrderId",
                                                 "the order has no units to acknowledge", "DATA")));
      }
    }
    o->updated_ms = now;
    sendJson(res, 200, {{"order", orderJson(*o)}});
  }

  // orderX.orderLines.orderLine[] of a shipping/cancel/refund body, or nullptr.
  static const json* bodyLines(const json& body, const char* top) {
    if (!body.is_object() || !body.contains(top) || !body[top].is_object()) return nullptr;
    const json& t = body[top];
    if (!t.contains("orderLines") || !t["orderLines"].is_object()) return nullptr;
    const json& ol = t["orderLines"];
    if (!ol.contains("orderLine") || !ol["orderLine"].is_array() || ol["orderLine"].empty()) return nullptr;
    return &ol["orderLine"];
  }
  Line* lineOf(Order& o, const json& entry) {
    if (!entry.is_object() || !entry.contains("lineNumber") || !entry["lineNumber"].is_string()) return nullptr;
    for (Line& l : o.lines) {
      if (l.number == entry["lineNumber"].get<std::string>()) return &l;
    }
    return nullptr;
  }
  static const json* firstStatus(const json& entry) {
    if (!entry.contains("orderLineStatuses") || !entry["orderLineStatuses"].is_object()) return nullptr;
    const json& s = entry["orderLineStatuses"];
    if (!s.contains("orderLineStatus") || !s["orderLineStatus"].is_array() || s["orderLineStatus"].size() != 1) return nullptr;
    return s["orderLineStatus"][0].is_object() ? &s["orderLineStatus"][0] : nullptr;
  }
  static std::optional<int64_t> statusQty(const json& st) {
    if (!st.contains("statusQuantity") || !st["statusQuantity"].is_object()) return std::nullopt;
    const json& q = st["statusQuantity"];
    if (!q.contains("amount") || !q["amount"].is_string()) return std::nullopt;  // Walmart's quantities are strings
    auto n = jsonInt(q["amount"], true);
    if (!n || *n < 1) return std::nullopt;
    return n;
  }
  void badBody(httplib::Response& res, const std::string& field, const std::string& why) {
    sendJson(res, 400, errors(wmError("INVALID_REQUEST_CONTENT.GMP_ORDER_API", field, why, "DATA")));
  }

  void ship(const httplib::Request& req, httplib::Response& res) {
    json body = json::parse(req.body, nullptr, false);
    const json* lines = bodyLines(body, "orderShipment");
    if (!lines) return badBody(res, "orderShipment", "expected {\"orderShipment\":{\"orderLines\":{\"orderLine\":[...]}}}");
    std::lock_guard lock(mu_);
    Order* o = findOrder(req.matches[1]);
    if (!o) return sendJson(res, 404, errors(wmError("CONTENT_NOT_FOUND.GMP_ORDER_API", "purchaseOrderId", "no order " + req.matches[1].str(), "DATA")));
    // Check all lines first: nothing changes unless every line can ship.
    std::vector<std::tuple<Line*, int64_t, json>> plan;
    std::map<std::string, int64_t> taken;
    for (const json& e : *lines) {
      Line* l = lineOf(*o, e);
      const json* st = l ? firstStatus(e) : nullptr;
      if (!l || !st) return badBody(res, "lineNumber", "each orderLine needs a known lineNumber and one orderLineStatus");
      if (st->value("status", std::string()) != "Shipped") return badBody(res, "status", "status must be Shipped");
      auto n = statusQty(*st);
      if (!n) return badBody(res, "statusQuantity", "statusQuantity.amount must be a string of a whole number >= 1");
      if (units(*l, "Created") > 0) return badBody(res, "lineNumber", "line " + l->number + " is not acknowledged yet");
      if (*n + taken[l->number] > units(*l, "Acknowledged")) {
        return badBody(res, "statusQuantity", "line " + l->number + " has only " + std::to_string(units(*l, "Acknowledged")) + " units to ship");
      }
      const json* ti = st->contains("trackingInfo") && (*st)["trackingInfo"].is_object() ? &(*st)["trackingInfo"] : nullptr;
      if (!ti || !ti->contains("trackingNumber") || !(*ti)["trackingNumber"].is_string() || !ti->contains("shipDateTime") ||
          !(*ti)["shipDateTime"].is_number_integer() || !ti->contains("carrierName") || !(*ti)["carrierName"].is_object()) {
        return badBody(res, "trackingInfo", "trackingInfo needs trackingNumber, shipDateTime (epoch ms) and carrierName");
      }
      taken[l->number] += *n;
      plan.emplace_back(l, *n, *ti);
    }
    int64_t now = ctx_.nowMs();
    for (auto& [l, n, ti] : plan) {
      take(*l, n);
      l->statuses.push_back({"Shipped", n, ti, ""});
      l->status_ms = now;
    }
    o->updated_ms = now;
    sendJson(res, 200, {{"order", orderJson(*o)}});
  }

  void cancel(const httplib::Request& req, httplib::Response& res) {
    static const std::set<std::string> kReasons = {"CUSTOMER_REQUESTED_SELLER_TO_CANCEL", "SELLER_CANCEL_PRICING_ERROR",
                                                   "SELLER_CANCEL_OUT_OF_STOCK", "SELLER_CANCEL_FRAUD_STOP_SHIPMENT",
                                                   "SELLER_CANCEL_ADDRESS_NOT_SERVICEABLE"};
    json body = json::parse(req.body, nullptr, false);
    const json* lines = bodyLines(body, "orderCancellation");
    if (!lines) return badBody(res, "orderCancellation", "expected {\"orderCancellation\":{\"orderLines\":{\"orderLine\":[...]}}}");
    std::lock_guard lock(mu_);
    Order* o = findOrder(req.matches[1]);
    if (!o) return sendJson(res, 404, errors(wmError("CONTENT_NOT_FOUND.GMP_ORDER_API", "purchaseOrderId", "no order " + req.matches[1].str(), "DATA")));
    std::vector<std::tuple<Line*, int64_t, std::string>> plan;
    std::map<std::string, int64_t> taken;
    for (const json& e : *lines) {
      Line* l = lineOf(*o, e);
      const json* st = l ? firstStatus(e) : nullptr;
      if (!l || !st) return badBody(res, "lineNumber", "each orderLine needs a known lineNumber and one orderLineStatus");
      if (st->value("status", std::string()) != "Cancelled") return badBody(res, "status", "status must be Cancelled");
      std::string reason = st->value("cancellationReason", std::string());
      if (!kReasons.count(reason)) return badBody(res, "cancellationReason", "cancellationReason is not one Walmart accepts");
      auto n = statusQty(*st);
      int64_t open = units(*l, "Created") + units(*l, "Acknowledged");
      if (!n || *n + taken[l->number] > open) {
        return badBody(res, "statusQuantity", "line " + l->number + " has " + std::to_string(open) + " units that can be cancelled");
      }
      taken[l->number] += *n;
      plan.emplace_back(l, *n, reason);
    }
    int64_t now = ctx_.nowMs();
    for (auto& [l, n, reason] : plan) {
      take(*l, n);
      l->statuses.push_back({"Cancelled", n, nullptr, reason});
      l->status_ms = now;
      restock(l->sku, n);
    }
    o->updated_ms = now;
    sendJson(res, 200, {{"order", orderJson(*o)}});
  }

  void refund(const httplib::Request& req, httplib::Response& res) {
    json body = json::parse(req.body, nullptr, false);
    const json* lines = bodyLines(body, "orderRefund");
    if (!lines) return badBody(res, "orderRefund", "expected {\"orderRefund\":{\"purchaseOrderId\",\"orderLines\":{\"orderLine\":[...]}}}");
    std::lock_guard lock(mu_);
    Order* o = findOrder(req.matches[1]);
    if (!o) return sendJson(res, 404, errors(wmError("CONTENT_NOT_FOUND.GMP_ORDER_API", "purchaseOrderId", "no order " + req.matches[1].str(), "DATA")));
    struct Plan {
      Line* line;
      int64_t units;
      json refund;
    };
    std::vector<Plan> plan;
    for (const json& e : *lines) {
      Line* l = lineOf(*o, e);
      if (!l) return badBody(res, "lineNumber", "each orderLine needs a known lineNumber");
      const json* refunds = e.contains("refunds") && e["refunds"].is_object() && e["refunds"].contains("refund") &&
                                    e["refunds"]["refund"].is_array() && !e["refunds"]["refund"].empty()
                                ? &e["refunds"]["refund"]
                                : nullptr;
      if (!refunds) return badBody(res, "refunds", "each orderLine needs refunds.refund[]");
      int64_t cents = 0;
      for (const json& r : *refunds) {
        const json* charges = r.is_object() && r.contains("refundCharges") && r["refundCharges"].is_object() &&
                                      r["refundCharges"].contains("refundCharge") && r["refundCharges"]["refundCharge"].is_array()
                                  ? &r["refundCharges"]["refundCharge"]
                                  : nullptr;
        if (!charges || charges->empty()) return badBody(res, "refundCharges", "each refund needs refundCharges.refundCharge[]");
        for (const json& c : *charges) {
          const json* amount = c.is_object() && c.contains("charge") && c["charge"].is_object() && c["charge"].contains("chargeAmount") &&
                                       c["charge"]["chargeAmount"].is_object() && c["charge"]["chargeAmount"].contains("amount")
                                   ? &c["charge"]["chargeAmount"]["amount"]
                                   : nullptr;
          auto a = amount ? centsOf(*amount) : std::nullopt;
          if (!a || *a >= 0) return badBody(res, "chargeAmount", "refund amounts are negative numbers");
          if (!c.contains("refundReason") || !c["refundReason"].is_string() || !kRefundReasons.count(c["refundReason"].get<std::string>())) {
            return badBody(res, "refundReason", "each refund charge needs a refundReason from RefundChargeType's enum");
          }
          cents -= *a;
        }
      }
      if (cents > l->cost_cents) return badBody(res, "chargeAmount", "line " + l->number + " is refunded more than it cost");
      int64_t shipped = units(*l, "Shipped") - units(*l, "Refund");
      bool full = e.value("isFullRefund", false);
      int64_t unit_cents = l->quantity > 0 ? l->cost_cents / l->quantity : 0;
      int64_t n = full ? shipped : (unit_cents > 0 ? std::min(shipped, cents / unit_cents) : 0);
      if (shipped <= 0) return badBody(res, "lineNumber", "line " + l->number + " has no shipped units to refund");
      json shown = (*refunds)[0];
      shown["refundId"] = "R" + std::to_string(900'000 + refunds_++);
      plan.push_back({l, std::max<int64_t>(0, n), shown});
    }
    int64_t now = ctx_.nowMs();
    for (Plan& p : plan) {
      if (p.units > 0) p.line->statuses.push_back({"Refund", p.units, nullptr, ""});
      p.line->refund = p.refund;
      p.line->status_ms = now;
    }
    o->updated_ms = now;
    sendJson(res, 200, {{"order", orderJson(*o)}});
  }

  SimContext& ctx_;
  std::mutex mu_;
  std::map<std::string, Item> items_;
  std::vector<Order> orders_;
  std::map<std::string, Feed> feeds_;
  std::map<std::string, int64_t> tokens_;  // token -> monotonic expiry
  std::map<std::string, Allotment> allotments_;
  std::set<std::string> correlation_ids_;
  int64_t repeated_correlation_ids_ = 0;
  int64_t tokens_issued_ = 0;
  int64_t rejected_401_ = 0;
  int64_t refunds_ = 0;
  uint64_t next_order_ = 1;
};

}  // namespace

std::unique_ptr<ChannelSim> makeWalmartSim(SimContext& ctx) { return std::make_unique<WalmartSim>(ctx); }

}  // namespace sw::channelsim
