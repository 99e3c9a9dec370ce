// Shopify Admin GraphQL API, as much of it as Stockwire uses:
//   POST /admin/api/{version}/graphql.json (X-Shopify-Access-Token)
//   mutation inventorySetQuantities (changeFromQuantity and @idempotent mandatory from 2026-04),
//   query inventoryItems / inventoryItem / orders / order (with fulfillmentOrders, fulfillments) / shop,
//   mutation productVariantsBulkUpdate (variant price and compareAtPrice, userErrors per variant),
//   mutation fulfillmentCreate (fulfillment orders, remaining quantities, trackingInfo) and orderCancel,
//   the calculated-cost leaky bucket with extensions.cost on every answer, THROTTLED on HTTP 200,
//   orders/create and orders/cancelled webhooks signed with X-Shopify-Hmac-Sha256.
// Shopify Payments through the Admin REST API (payouts.h holds what was charged and refunded):
//   GET /admin/api/{version}/shopify_payments/payouts.json (date_min, date_max, status, limit, page_info)
//   GET /admin/api/{version}/shopify_payments/balance/transactions.json (payout_id, limit, page_info)
//   Link header paging (rel="next"/"previous" with page_info; page_info takes only limit beside it),
//   X-Shopify-Shop-Api-Call-Limit from a 40-request bucket leaking 2 a second, 429 with Retry-After.

#include <algorithm>
#include <cmath>
#include <map>
#include <regex>
#include <set>

#include "graphql.h"
#include "payouts.h"
#include "search_query.h"
#include "sim_core.h"

namespace sw::channelsim {

namespace {

constexpr double kMaxQueryCost = 1000;
constexpr int64_t kMutationCost = 10;
constexpr size_t kMaxInputList = 250;
constexpr int64_t kMaxQuantity = 1'000'000'000;
constexpr int kShopOffsetMinutes = -5 * 60;  // the shop's time zone, as in Shopify's sample payloads

const std::set<std::string> kReasons = {"correction", "cycle_count_available", "damaged", "movement_created",
                                        "movement_updated", "movement_received", "movement_canceled", "other",
                                        "promotion", "quality_control", "received", "reservation_created",
                                        "reservation_deleted", "reservation_updated", "restock", "safety_stock",
                                        "shrinkage"};

std::string gid(const char* type, uint64_t id) { return std::string("gid://shopify/") + type + "/" + std::to_string(id); }

json money(const std::string& amount, const std::string& currency) {
  return {{"amount", amount}, {"currency_code", currency}};
}
json moneyV2(const std::string& amount, const std::string& currency) {
  return {{"__typename", "MoneyV2"}, {"amount", amount}, {"currencyCode", currency}};
}

// "12.5" * 3 -> "37.50" (prices in the simulator are checked by parseCents first; "0.00" otherwise)
std::string times(const std::string& price, int64_t qty) { return centsText(parseCents(price).value_or(0) * qty); }

class ShopifySim final : public SimWithOrderViews<ShopifySim> {
  friend class SimWithOrderViews<ShopifySim>;

 public:
  explicit ShopifySim(SimContext& ctx) : ctx_(ctx), available_(ctx.options().bucket_size), at_ms_(ctx.monoMs()) {}


  void install(httplib::Server& server) override {
    server.Post(R"(/admin/api/([^/]+)/graphql\.json)", [this](const httplib::Request& req, httplib::Response& res) {
      if (!injectFault(ctx_, *this, req, res)) handle(req, res);
      ctx_.count("graphql", res.status);
    });
    server.Get(R"(/admin/api/([^/]+)/shopify_payments/payouts\.json)", [this](const httplib::Request& req, httplib::Response& res) {
      if (!injectFault(ctx_, *this, req, res) && restAllowed(req, res)) listPayouts(req, res);
      ctx_.count("payouts", res.status);
    });
    server.Get(R"(/admin/api/([^/]+)/shopify_payments/balance/transactions\.json)",
               [this](const httplib::Request& req, httplib::Response& res) {
                 if (!injectFault(ctx_, *this, req, res) && restAllowed(req, res)) listTransactions(req, res);
                 ctx_.count("balance_transactions", res.status);
               });
  }

  bool createPayout(const json& body, json* out, std::string* error) override {
    std::lock_guard lock(mu_);
    SimPayout p;
    int64_t now = ctx_.nowMs();
    if (!payouts_.makePayout(body, now, isoUtc(now).substr(0, 10), &p, error)) return false;
    json txs = json::array();
    for (const PayoutEntry& e : p.entries) txs.push_back(transactionJson(p, e));
    *out = {{"payout", payoutJson(p)}, {"transactions", txs}};
    return true;
  }

  void sendServerError(const httplib::Request&, httplib::Response& res) override {
    sendJson(res, 503, {{"errors", json::array({{{"message", "Internal error. Looks like something went wrong on our end."},
                                                  {"extensions", {{"code", "INTERNAL_SERVER_ERROR"}}}}})}});
  }

  void sendThrottled(const httplib::Request& req, httplib::Response& res) override {
    if (req.path.find("/shopify_payments/") != std::string::npos) {  // REST: 429 with Retry-After
      res.set_header("Retry-After", "1.0");
      return sendJson(res, 429, {{"errors", "Exceeded 2 calls per second for api client. Reduce request rates to resume uninterrupted service."}});
    }
    std::lock_guard lock(mu_);
    refill();
    available_ = 0;  // a storm: the bucket is empty for as long as it lasts
    sendJson(res, 200, throttledBody(kMutationCost));
  }

  SeedRules seedRules() const override { return {.negative_quantity = true}; }
  bool seed(const std::vector<SeedListing>& listings, json* out, std::string*) override {
    std::lock_guard lock(mu_);
    json created = json::array();
    for (const SeedListing& l : listings) {
      const std::string& sku = l.sku;
      Item* item = bySku(sku);
      if (!item) {
        Item it;
        it.id = next_item_id_++;
        it.variant_id = next_variant_id_++;
        it.product_id = next_product_id_++;
        it.sku = sku;
        it.title = l.title;
        it.price = l.price;
        items_.push_back(it);
        sku_index_[sku] = items_.size() - 1;
        id_index_[std::to_string(it.id)] = items_.size() - 1;
        item = &items_.back();
      }
      item->available = l.quantity;
      item->on_hand = l.quantity;
      created.push_back({{"sku", sku}, {"inventory_item_id", gid("InventoryItem", item->id)},
                         {"variant_id", gid("ProductVariant", item->variant_id)}, {"quantity", l.quantity}});
    }
    *out = {{"location_id", gid("Location", kLocationId)}, {"listings", created}};
    return true;
  }

  std::vector<ListingView> listings() override {
    std::lock_guard lock(mu_);
    std::vector<ListingView> out;
    for (const Item& it : items_) {
      ListingView v;
      v.sku = it.sku;
      v.quantity = it.available;
      v.channel_id = gid("InventoryItem", it.id);
      v.updated_at_ms = it.updated_at_ms;
      v.update_count = it.update_count;
      v.extra = {{"on_hand", it.on_hand}, {"location_id", gid("Location", kLocationId)},
                 {"variant", {{"id", gid("ProductVariant", it.variant_id)}, {"product_id", gid("Product", it.product_id)},
                              {"price", it.price}, {"compare_at_price", it.compare_at ? json(*it.compare_at) : json(nullptr)},
                              {"price_updates", it.price_updates}}}};
      out.push_back(v);
    }
    return out;
  }

  bool createOrder(const OrderRequest& request, const json& body, json* out, std::string* error) override {
    json order;
    {
      std::lock_guard lock(mu_);
      const std::string& currency = request.currency;
      std::string presentment = textField(body, "presentment_currency", currency);
      std::string rate = textField(body, "presentment_rate", "1");
      const std::string& country = request.country;
      int64_t now = ctx_.nowMs();
      uint64_t id = next_order_id_++;
      json lines = json::array();
      std::string total = "0.00";
      std::vector<std::pair<Item*, int64_t>> takes;
      int64_t total_cents = 0;
      for (const OrderLineRequest& line : request.lines) {
        const json& l = *line.raw;
        const std::string& sku = line.sku;
        const int64_t qty = line.quantity;
        Item* item = sku.empty() ? nullptr : bySku(sku);
        if (!sku.empty() && !item) {
          *error = "no listing with SKU " + sku;
          return false;
        }
        std::string price = line.price.value_or(item ? item->price : std::string("10.00"));
        if (!parseCents(price)) {
          *error = "price must look like 12.34";
          return false;
        }
        std::string pres_price = textField(l, "presentment_price", price);
        uint64_t line_id = next_line_id_++;
        json li = {{"id", line_id},
                   {"admin_graphql_api_id", gid("LineItem", line_id)},
                   {"current_quantity", qty},
                   {"fulfillable_quantity", qty},
                   {"fulfillment_service", "manual"},
                   {"fulfillment_status", nullptr},
                   {"gift_card", false},
                   {"name", item ? item->title : l.value("title", std::string("Custom item"))},
                   {"title", item ? item->title : l.value("title", std::string("Custom item"))},
                   {"price", price},
                   {"price_set", {{"shop_money", money(price, currency)}, {"presentment_money", money(pres_price, presentment)}}},
                   {"product_exists", item != nullptr},
                   {"product_id", item ? json(item->product_id) : json(nullptr)},
                   {"variant_id", item ? json(item->variant_id) : json(nullptr)},
                   {"quantity", qty},
                   {"requires_shipping", true},
                   {"sales_line_item_group_id", l.contains("group_id") ? l["group_id"] : json(nullptr)},
                   {"sku", sku.empty() ? json(nullptr) : json(sku)},
                   {"taxable", true},
                   {"total_discount", "0.00"},
                   {"variant_inventory_management", item ? json("shopify") : json(nullptr)},
                   {"tax_lines", json::array()},
                   {"discount_allocations", json::array()}};
        lines.push_back(std::move(li));
        total_cents += *parseCents(price) * qty;
        if (item) takes.emplace_back(item, qty);
      }
      total = centsText(total_cents);
      for (auto& [item, qty] : takes) {
        item->available -= qty;  // committed to the order: no longer available
      }
      // "shipping_line": {"code","title"?,"price"?}: the shipping method the buyer chose (the
      // merchant's pickup method too: Shopify names a pickup place only through it).
      json shipping_lines = json::array();
      if (body.contains("shipping_line")) {
        const json& sl = body["shipping_line"];
        if (!sl.is_object() || !sl.contains("code") || !sl["code"].is_string()) {
          *error = "shipping_line is {\"code\", \"title\"?, \"price\"?}";
          return false;
        }
        std::string price = textField(sl, "price", "0.00");
        if (!parseCents(price)) {
          *error = "price must look like 12.34";
          return false;
        }
        uint64_t sl_id = next_line_id_++;
        shipping_lines.push_back({{"id", sl_id},
                                  {"admin_graphql_api_id", gid("ShippingLine", sl_id)},
                                  {"code", sl["code"]},
                                  {"title", sl.value("title", sl["code"].get<std::string>())},
                                  {"price", price},
                                  {"price_set", {{"shop_money", money(price, currency)}, {"presentment_money", money(price, presentment)}}},
                                  {"source", "shopify"},
                                  {"carrier_identifier", nullptr},
                                  {"is_removed", false},
                                  {"discounted_price", price},
                                  {"tax_lines", json::array()},
                                  {"discount_allocations", json::array()}});
      }
      std::string created = isoOffset(now, kShopOffsetMinutes);
      uint64_t number = 1000 + (id - kFirstOrderId) + 1;
      auto given = [](const std::string& v, const char* fallback) { return v.empty() ? std::string(fallback) : v; };
      json address = {{"first_name", "Sam"}, {"last_name", "Buyer"}, {"address1", "1 Main St"},
                      {"city", given(request.ship_to.city, "Springfield")}, {"zip", given(request.ship_to.postal_code, "00000")},
                      {"province_code", request.ship_to.region.empty() ? json(nullptr) : json(request.ship_to.region)},
                      {"country", country}, {"country_code", country}, {"latitude", nullptr},
                      {"longitude", nullptr}, {"name", "Sam Buyer"}};
      order = {{"id", id},
               {"admin_graphql_api_id", gid("Order", id)},
               {"app_id", nullptr},
               {"cancel_reason", nullptr},
               {"cancelled_at", nullptr},
               {"closed_at", nullptr},
               {"confirmed", true},
               {"contact_email", "buyer@example.com"},
               {"created_at", created},
               {"currency", currency},
               {"presentment_currency", presentment},
               {"current_subtotal_price", total},
               {"current_total_price", total},
               {"email", "buyer@example.com"},
               {"financial_status", body.value("financial_status", "paid")},
               {"fulfillment_status", nullptr},
               {"name", "#" + std::to_string(number)},
               {"number", number - 1000},
               {"order_number", number},
               {"processed_at", created},
               {"subtotal_price", total},
               {"subtotal_price_set", {{"shop_money", money(total, currency)}, {"presentment_money", money(total, presentment)}}},
               {"test", false},
               {"total_price", total},
               {"total_price_set", {{"shop_money", money(total, currency)}, {"presentment_money", money(total, presentment)}}},
               {"updated_at", created},
               {"billing_address", address},
               {"shipping_address", address},
               {"customer", {{"id", next_customer_id_++}, {"email", "buyer@example.com"}, {"currency", currency}}},
               {"line_items", lines},
               {"shipping_lines", shipping_lines},
               {"refunds", json::array()},
               {"fulfillments", json::array()},
               {"presentment_rate", rate}};
      FulfillmentOrderRec fo;
      fo.id = next_fo_id_++;
      for (const json& li : lines) {
        int64_t q = li["quantity"].get<int64_t>();
        fo.lines.push_back({next_fo_line_id_++, li["id"].get<uint64_t>(), q, q});
      }
      orders_.push_back({order, now, {fo}, {}});
      if (order["financial_status"] == "paid") payouts_.charge(std::to_string(id), total_cents, currency, now);
    }
    sendWebhook("orders/create", order);
    *out = {{"order_id", std::to_string(order["id"].get<uint64_t>())}, {"order", order}};
    return true;
  }

  bool cancelOrder(const std::string& id, json* out, std::string* error) override {
    json order;
    {
      std::lock_guard lock(mu_);
      Order* o = findOrder(id);
      if (!o) {
        *error = "no order " + id;
        return false;
      }
      if (!o->body["cancelled_at"].is_null()) {
        *error = "order " + id + " is already cancelled";
        return false;
      }
      int64_t now = ctx_.nowMs();
      o->body["cancelled_at"] = isoOffset(now, kShopOffsetMinutes);
      o->body["cancel_reason"] = "customer";
      o->body["financial_status"] = "voided";
      o->body["updated_at"] = isoOffset(now, kShopOffsetMinutes);
      o->updated_ms = now;
      cancelLocked(*o, "customer", true);
      payouts_.voidCharge(id);
      order = o->body;
    }
    sendWebhook("orders/cancelled", order);
    sendWebhook("orders/updated", order);
    *out = {{"order_id", id}, {"order", order}};
    return true;
  }

  // POST /_sim/orders/<id>/refund {"lines":[{"line_id" or "sku","quantity","restock_type"}],"note"?}:
  // a refund made in the Shopify admin, sent as refunds/create and inside orders/updated.
  bool refundOrder(const std::string& id, const json& body, json* out, std::string* error) override {
    json refund;
    json order;
    {
      std::lock_guard lock(mu_);
      Order* o = findOrder(id);
      if (!o) {
        *error = "no order " + id;
        return false;
      }
      if (!body.is_object() || !body.contains("lines") || !body["lines"].is_array() || body["lines"].empty()) {
        *error = "expected {\"lines\":[{\"line_id\" or \"sku\",\"quantity\",\"restock_type\"}]}";
        return false;
      }
      int64_t now = ctx_.nowMs();
      uint64_t refund_id = next_refund_id_++;
      json items = json::array();
      std::vector<std::pair<json*, int64_t>> plan;
      for (const json& l : body["lines"]) {
        json* li = nullptr;
        for (json& x : o->body["line_items"]) {
          bool by_id = l.contains("line_id") && l["line_id"].is_string() &&
                       std::to_string(x["id"].get<uint64_t>()) == l["line_id"].get<std::string>();
          bool by_sku = !l.contains("line_id") && l.contains("sku") && x["sku"] == l["sku"];
          if (by_id || by_sku) li = &x;
        }
        auto qty = l.contains("quantity") ? jsonInt(l["quantity"]) : std::nullopt;
        std::string type = l.value("restock_type", "no_restock");
        if (!li || !qty || *qty < 1 || *qty > (*li)["current_quantity"].get<int64_t>()) {
          *error = "each refund line names a line of the order and at most its current quantity";
          return false;
        }
        if (type != "no_restock" && type != "cancel" && type != "return" && type != "legacy_restock") {
          *error = "restock_type is no_restock, cancel, return or legacy_restock";
          return false;
        }
        plan.emplace_back(li, *qty);
        items.push_back({{"id", next_refund_line_id_++}, {"line_item_id", (*li)["id"]}, {"location_id", type == "no_restock" ? json(nullptr) : json(kLocationId)},
                         {"quantity", *qty}, {"restock_type", type}, {"subtotal", times((*li)["price"].get<std::string>(), *qty)},
                         {"total_tax", "0.00"}, {"line_item", *li}});
        if (type != "no_restock") {
          if (Item* it = (*li)["sku"].is_string() ? bySku((*li)["sku"].get<std::string>()) : nullptr) it->available += *qty;
        }
      }
      for (auto& [li, qty] : plan) {
        (*li)["current_quantity"] = (*li)["current_quantity"].get<int64_t>() - qty;
        (*li)["fulfillable_quantity"] = std::max<int64_t>(0, (*li)["fulfillable_quantity"].get<int64_t>() - qty);
      }
      refund = {{"id", refund_id},
                {"admin_graphql_api_id", gid("Refund", refund_id)},
                {"created_at", isoOffset(now, kShopOffsetMinutes)},
                {"processed_at", isoOffset(now, kShopOffsetMinutes)},
                {"note", body.value("note", "")},
                {"order_id", o->body["id"]},
                {"restock", true},
                {"user_id", nullptr},
                {"refund_line_items", items},
                {"transactions", json::array()},
                {"order_adjustments", json::array()}};
      o->body["refunds"].push_back(refund);
      int64_t refunded_cents = 0;
      for (const json& it : items) refunded_cents += parseCents(it["subtotal"].get<std::string>()).value_or(0);
      payouts_.refund(id, std::to_string(refund_id), refunded_cents, now);
      o->body["financial_status"] = "partially_refunded";
      o->body["updated_at"] = isoOffset(now, kShopOffsetMinutes);
      o->updated_ms = now;
      order = o->body;
    }
    sendWebhook("refunds/create", refund, order["id"].get<uint64_t>());
    sendWebhook("orders/updated", order);
    *out = {{"order_id", id}, {"refund_id", std::to_string(refund["id"].get<uint64_t>())}, {"refund", refund}};
    return true;
  }


 private:
  static constexpr uint64_t kLocationId = 98765432109876543ULL;  // above 2^53, like real ids
  static constexpr uint64_t kFirstOrderId = 7001234567890123457ULL;

  struct Item {
    uint64_t id = 0;
    uint64_t variant_id = 0;
    uint64_t product_id = 0;
    std::string sku;
    std::string title;
    std::string price;
    std::optional<std::string> compare_at;  // compareAtPrice (null: none)
    int64_t price_updates = 0;              // variants productVariantsBulkUpdate changed
    int64_t available = 0;
    int64_t on_hand = 0;
    int64_t updated_at_ms = 0;
    int64_t update_count = 0;
  };
  struct FoLine {
    uint64_t id = 0;       // FulfillmentOrderLineItem
    uint64_t line_id = 0;  // LineItem
    int64_t total = 0;
    int64_t remaining = 0;
  };
  struct FulfillmentOrderRec {
    uint64_t id = 0;
    std::string status = "OPEN";  // OPEN, IN_PROGRESS, CLOSED
    std::vector<FoLine> lines;
  };
  struct FulfillmentRec {
    uint64_t id = 0;
    std::string number;
    std::string company;
    std::vector<std::pair<uint64_t, int64_t>> lines;  // LineItem id, quantity
    int64_t at_ms = 0;
  };
  struct Order {
    json body;
    int64_t updated_ms = 0;
    std::vector<FulfillmentOrderRec> fos;
    std::vector<FulfillmentRec> fulfillments;
  };
  struct Idempotent {
    std::string fingerprint;
    nlohmann::json payload;
  };
  struct GqlFailure {
    nlohmann::json errors;
    bool with_data_null = false;
  };

  // ---- Shopify Payments (REST) ----
  static constexpr double kRestBucket = 40;
  static constexpr double kRestLeakPerSec = 2;

  json payoutJson(const SimPayout& p) const {
    return {{"id", std::stoull(p.id)}, {"status", "paid"}, {"date", p.date}, {"currency", p.currency},
            {"amount", centsText(p.amount_cents)},
            {"summary", {{"adjustments_fee_amount", "0.00"}, {"charges_fee_amount", "0.00"}}}};
  }
  json transactionJson(const SimPayout& p, const PayoutEntry& e) const {
    const bool adjustment = e.type == "adjustment";
    return {{"id", std::stoull(e.id)},
            {"type", e.type},
            {"test", false},
            {"payout_id", std::stoull(p.id)},
            {"payout_status", "paid"},
            {"currency", p.currency},
            {"amount", centsText(e.amount_cents)},
            {"fee", centsText(e.fee_cents)},
            {"net", centsText(e.amount_cents - e.fee_cents)},
            {"source_id", std::stoull(e.source_id)},
            {"source_type", e.type == "payout" ? "payout" : e.type},
            {"source_order_id", e.order_id.empty() ? json(nullptr) : json(std::stoull(e.order_id))},
            {"source_order_transaction_id", e.order_id.empty() ? json(nullptr) : json(std::stoull(e.source_id))},
            {"adjustment_reason", adjustment ? json(e.description) : json(nullptr)},
            {"processed_at", isoUtc(e.at_ms, false)}};
  }

  // The token, the version and the REST call limit, for every REST call; false when answered.
  bool restAllowed(const httplib::Request& req, httplib::Response& res) {
    if (req.get_header_value("X-Shopify-Access-Token") != ctx_.options().access_token) {
      sendJson(res, 401, {{"errors", "[API] Invalid API key or access token (unrecognized login or wrong password)"}});
      return false;
    }
    if (!std::regex_match(req.matches[1].str(), std::regex(R"(\d{4}-(01|04|07|10)|unstable)"))) {
      sendJson(res, 404, {{"errors", "Not Found"}});
      return false;
    }
    std::lock_guard lock(mu_);
    int64_t now = ctx_.monoMs();
    rest_used_ = std::max(0.0, rest_used_ - static_cast<double>(now - rest_at_ms_) * kRestLeakPerSec / 1000.0);
    rest_at_ms_ = now;
    if (rest_used_ + 1 > kRestBucket) {
      res.set_header("Retry-After", "1.0");
      sendJson(res, 429, {{"errors", "Exceeded 2 calls per second for api client. Reduce request rates to resume uninterrupted service."}});
      return false;
    }
    rest_used_ += 1;
    res.set_header("X-Shopify-Shop-Api-Call-Limit",
                   std::to_string(static_cast<int>(std::ceil(rest_used_))) + "/" + std::to_string(static_cast<int>(kRestBucket)));
    return true;
  }

  // limit (1..250, default 50) and the offset a page_info stands for; false when answered.
  // The page_info also carries the query it pages ("o<offset>" + "p<payout id>" for transactions): *query.
  bool restPage(const httplib::Request& req, httplib::Response& res, const std::set<std::string>& filters, size_t* offset,
                int64_t* limit, std::string* query) {
    *limit = 50;
    if (req.has_param("limit")) {
      auto l = jsonInt(json(req.get_param_value("limit")), true);
      if (!l || *l < 1 || *l > 250) {
        sendJson(res, 400, {{"errors", {{"limit", "must be between 1 and 250"}}}});
        return false;
      }
      *limit = *l;
    }
    *offset = 0;
    if (req.has_param("page_info")) {
      for (const auto& [k, v] : req.params) {
        if (k != "page_info" && k != "limit" && filters.count(k)) {
          sendJson(res, 400, {{"errors", {{"page_info", "cannot be combined with other parameters than limit"}}}});
          return false;
        }
      }
      std::string info = req.get_param_value("page_info");
      size_t p = info.find('p');
      auto o = info.size() > 1 && info[0] == 'o' ? jsonInt(json(info.substr(1, p == std::string::npos ? p : p - 1)), true)
                                                 : std::nullopt;
      if (p != std::string::npos) *query = info.substr(p + 1);
      if (!o) {
        sendJson(res, 400, {{"errors", {{"page_info", "Invalid value."}}}});
        return false;
      }
      *offset = static_cast<size_t>(*o);
    }
    return true;
  }

  void setLinks(const httplib::Request& req, httplib::Response& res, size_t offset, int64_t limit, size_t total,
                const std::string& query) {
    std::string base = "http://" + req.get_header_value("Host") + req.path + "?limit=" + std::to_string(limit) + "&page_info=o";
    const std::string tail = query.empty() ? "" : "p" + query;
    std::string link;
    if (offset > 0) link = "<" + base + std::to_string(offset > static_cast<size_t>(limit) ? offset - limit : 0) + tail + ">; rel=\"previous\"";
    if (offset + static_cast<size_t>(limit) < total) {
      link += (link.empty() ? "" : ", ") + std::string("<") + base + std::to_string(offset + limit) + tail + ">; rel=\"next\"";
    }
    if (!link.empty()) res.set_header("Link", link);
  }

  void listPayouts(const httplib::Request& req, httplib::Response& res) {
    size_t offset = 0;
    int64_t limit = 0;
    std::string unused;
    if (!restPage(req, res, {"date_min", "date_max", "date", "status", "since_id", "last_id"}, &offset, &limit, &unused)) return;
    std::string date_min = req.get_param_value("date_min"), date_max = req.get_param_value("date_max");
    std::string status = req.get_param_value("status");
    static const std::regex kDate(R"(\d{4}-\d{2}-\d{2})");
    if ((!date_min.empty() && !std::regex_match(date_min, kDate)) || (!date_max.empty() && !std::regex_match(date_max, kDate))) {
      return sendJson(res, 400, {{"errors", {{"date", "must be a date in the format YYYY-MM-DD"}}}});
    }
    std::lock_guard lock(mu_);
    std::vector<json> all;
    const auto& list = payouts_.payouts();
    for (auto it = list.rbegin(); it != list.rend(); ++it) {  // newest first, as Shopify lists them
      if (!date_min.empty() && it->date < date_min) continue;
      if (!date_max.empty() && it->date > date_max) continue;
      if (!status.empty() && status != "paid") continue;
      all.push_back(payoutJson(*it));
    }
    json page = json::array();
    for (size_t i = offset; i < all.size() && page.size() < static_cast<size_t>(limit); ++i) page.push_back(all[i]);
    setLinks(req, res, offset, limit, all.size(), "");
    sendJson(res, 200, {{"payouts", page}});
  }

  void listTransactions(const httplib::Request& req, httplib::Response& res) {
    size_t offset = 0;
    int64_t limit = 0;
    std::string paged;
    if (!restPage(req, res, {"payout_id", "since_id", "last_id", "test", "payout_status"}, &offset, &limit, &paged)) return;
    std::lock_guard lock(mu_);
    std::string payout_id = req.has_param("page_info") ? paged : req.get_param_value("payout_id");
    std::vector<json> all;
    for (const SimPayout& p : payouts_.payouts()) {
      if (!payout_id.empty() && p.id != payout_id) continue;
      for (const PayoutEntry& e : p.entries) all.push_back(transactionJson(p, e));
    }
    json page = json::array();
    for (size_t i = offset; i < all.size() && page.size() < static_cast<size_t>(limit); ++i) page.push_back(all[i]);
    setLinks(req, res, offset, limit, all.size(), payout_id);
    sendJson(res, 200, {{"transactions", page}});
  }

  Item* bySku(const std::string& sku) {
    auto it = sku_index_.find(sku);
    return it == sku_index_.end() ? nullptr : &items_[it->second];
  }
  Item* byGid(const std::string& g) {
    static const std::string kPrefix = "gid://shopify/InventoryItem/";
    if (g.rfind(kPrefix, 0) != 0) return nullptr;
    auto it = id_index_.find(g.substr(kPrefix.size()));
    return it == id_index_.end() ? nullptr : &items_[it->second];
  }
  Order* findOrder(const std::string& id) {
    for (Order& o : orders_) {
      if (std::to_string(o.body["id"].get<uint64_t>()) == id || o.body["admin_graphql_api_id"] == id) return &o;
    }
    return nullptr;
  }

  // Cancels (the caller holds mu_): every fulfillment order closes; restock puts the units not
  // fulfilled back to available.
  void cancelLocked(Order& o, const std::string& reason, bool restock) {
    int64_t now = ctx_.nowMs();
    o.body["cancelled_at"] = isoOffset(now, kShopOffsetMinutes);
    o.body["cancel_reason"] = reason;
    o.body["financial_status"] = "voided";
    o.body["updated_at"] = isoOffset(now, kShopOffsetMinutes);
    o.updated_ms = now;
    for (json& li : o.body["line_items"]) {
      if (restock && li["sku"].is_string()) {
        if (Item* it = bySku(li["sku"].get<std::string>())) it->available += li["fulfillable_quantity"].get<int64_t>();
      }
      li["fulfillable_quantity"] = 0;
    }
    for (FulfillmentOrderRec& fo : o.fos) fo.status = "CLOSED";
  }
  int64_t fulfilledUnits(const Order& o, uint64_t line_id) const {
    int64_t n = 0;
    for (const FulfillmentRec& f : o.fulfillments) {
      for (const auto& [l, q] : f.lines) {
        if (l == line_id) n += q;
      }
    }
    return n;
  }
  std::string fulfillmentStatus(const Order& o) const {
    int64_t ordered = 0, done = 0;
    for (const json& li : o.body["line_items"]) {
      ordered += li["quantity"].get<int64_t>();
      done += fulfilledUnits(o, li["id"].get<uint64_t>());
    }
    if (done == 0) return "UNFULFILLED";
    return done >= ordered ? "FULFILLED" : "PARTIALLY_FULFILLED";
  }
  json viewOf(const Order& o) const {
    json lines = json::array();
    for (const json& li : o.body["line_items"]) {
      uint64_t lid = li["id"].get<uint64_t>();
      lines.push_back({{"line_id", std::to_string(lid)}, {"sku", li["sku"]}, {"quantity", li["quantity"]},
                       {"current_quantity", li["current_quantity"]}, {"fulfilled", fulfilledUnits(o, lid)}});
    }
    json fs = json::array();
    for (const FulfillmentRec& f : o.fulfillments) {
      json fl = json::array();
      for (const auto& [l, q] : f.lines) fl.push_back({{"line_id", std::to_string(l)}, {"quantity", q}});
      fs.push_back({{"id", gid("Fulfillment", f.id)}, {"tracking_number", f.number}, {"carrier", f.company},
                    {"lines", fl}, {"created_at", isoUtc(f.at_ms)}});
    }
    json fos = json::array();
    for (const FulfillmentOrderRec& fo : o.fos) fos.push_back({{"id", gid("FulfillmentOrder", fo.id)}, {"status", fo.status}});
    return {{"order_id", std::to_string(o.body["id"].get<uint64_t>())},
            {"name", o.body["name"]},
            {"cancelled", !o.body["cancelled_at"].is_null()},
            {"cancel_reason", o.body["cancel_reason"]},
            {"financial_status", o.body["financial_status"]},
            {"fulfillment_status", fulfillmentStatus(o)},
            {"lines", lines},
            {"fulfillment_orders", fos},
            {"fulfilments", fs},
            {"refunds", o.body["refunds"].size()}};
  }
  void flushWebhooks() {
    std::vector<std::pair<std::string, json>> out;
    {
      std::lock_guard lock(mu_);
      out.swap(outbox_);
    }
    for (const auto& [topic, order] : out) sendWebhook(topic, order);
  }

  void refill() {
    int64_t now = ctx_.monoMs();
    available_ = std::min(ctx_.options().bucket_size, available_ + ctx_.options().restore_rate * (now - at_ms_) / 1000.0);
    at_ms_ = now;
  }
  json throttleStatus() const {
    return {{"maximumAvailable", ctx_.options().bucket_size},
            {"currentlyAvailable", std::floor(available_)},
            {"restoreRate", ctx_.options().restore_rate}};
  }
  json costJson(int64_t requested, json actual) const {
    return {{"cost", {{"requestedQueryCost", requested}, {"actualQueryCost", actual}, {"throttleStatus", throttleStatus()}}}};
  }
  json throttledBody(int64_t requested) const {
    return {{"errors", json::array({{{"message", "Throttled"},
                                     {"extensions", {{"code", "THROTTLED"},
                                                     {"documentation", "https://shopify.dev/api/usage/rate-limits"}}}}})},
            {"extensions", costJson(requested, nullptr)}};
  }
  static json gqlError(const std::string& message, int line = 0, int column = 0, json extensions = nullptr) {
    json e = {{"message", message}};
    if (line > 0) e["locations"] = json::array({{{"line", line}, {"column", column}}});
    if (!extensions.is_null()) e["extensions"] = std::move(extensions);
    return e;
  }
  void answerErrors(httplib::Response& res, json errors, int64_t requested = 0) {
    std::lock_guard lock(mu_);
    refill();
    sendJson(res, 200, {{"errors", std::move(errors)}, {"extensions", costJson(requested, requested)}});
  }

  void handle(const httplib::Request& req, httplib::Response& res) {
    if (req.get_header_value("X-Shopify-Access-Token") != ctx_.options().access_token) {
      return sendJson(res, 401, {{"errors", "[API] Invalid API key or access token (unrecognized login or wrong password)"}});
    }
    std::string version = req.matches[1];
    if (!std::regex_match(version, std::regex(R"(\d{4}-(01|04|07|10)|unstable)"))) {
      return sendJson(res, 404, {{"errors", "Not Found"}});
    }
    std::string query;
    json variables = json::object();
    std::string operation_name;
    std::string ctype = req.get_header_value("Content-Type");
    if (ctype.rfind("application/graphql", 0) == 0) {
      query = req.body;
    } else {
      json body = json::parse(req.body, nullptr, false);
      if (body.is_discarded() || !body.is_object() || !body.contains("query") || !body["query"].is_string()) {
        return sendJson(res, 400, {{"errors", {{"query", "Required parameter missing or invalid"}}}});
      }
      query = body["query"].get<std::string>();
      if (body.contains("variables") && !body["variables"].is_null()) {
        if (!body["variables"].is_object()) return answerErrors(res, json::array({gqlError("Variables are invalid JSON.")}));
        variables = body["variables"];
      }
      if (body.contains("operationName") && body["operationName"].is_string()) operation_name = body["operationName"];
    }
    std::vector<GqlOperation> ops;
    GqlError perr;
    if (!parseGraphql(query, &ops, &perr)) {
      return answerErrors(res, json::array({gqlError(perr.message, perr.line, perr.column)}));
    }
    const GqlOperation* op = nullptr;
    if (ops.size() == 1 && operation_name.empty()) {
      op = &ops[0];
    } else {
      for (const GqlOperation& o : ops) {
        if (o.name == operation_name) op = &o;
      }
      if (!op) {
        return answerErrors(res, json::array({gqlError(operation_name.empty() ? "An operation name is required"
                                                                               : "No operation named \"" + operation_name + "\"")}));
      }
    }
    // Apply variable defaults, then insist on the required ones.
    for (const GqlVariableDef& v : op->variables) {
      if (!variables.contains(v.name) && v.has_default) {
        json d;
        std::string err;
        if (resolveValue(v.default_value, json::object(), &d, &err)) variables[v.name] = d;
      }
      if (!v.type.empty() && v.type.back() == '!' && (!variables.contains(v.name) || variables[v.name].is_null())) {
        return answerErrors(res, json::array({gqlError("Variable $" + v.name + " of type " + v.type + " was provided invalid value", 1, 1,
                                                       {{"value", nullptr},
                                                        {"problems", json::array({{{"path", json::array()},
                                                                                   {"explanation", "Expected value to not be null"}}})}})}));
      }
    }
    bool mutation = op->type == "mutation";
    int64_t requested = mutation ? kMutationCost : requestedCost(op->selections, variables);
    if (requested > kMaxQueryCost) {
      return answerErrors(res, json::array({gqlError("Query cost is " + std::to_string(requested) +
                                                         ", which exceeds the single query max cost limit (1000).",
                                                     0, 0, {{"code", "MAX_COST_EXCEEDED"}, {"cost", requested}, {"maxCost", 1000}})}));
    }
    struct Flush {
      ShopifySim* self;
      ~Flush() { self->flushWebhooks(); }  // after the lock below is released
    } flush{this};
    std::lock_guard lock(mu_);
    refill();
    if (static_cast<double>(requested) > available_) return sendJson(res, 200, throttledBody(requested));
    available_ -= static_cast<double>(requested);
    json data = json::object();
    json errors = json::array();
    for (const GqlField& f : op->selections) {
      json value;
      GqlFailure failure;
      bool ok = mutation ? mutate(f, variables, version, &value, &failure) : read(f, variables, &value, &failure);
      if (!ok) {
        for (const json& e : failure.errors) errors.push_back(e);
        if (!failure.with_data_null) {
          available_ += static_cast<double>(requested);  // validation errors cost nothing
          sendJson(res, 200, {{"errors", errors}, {"extensions", costJson(requested, 0)}});
          return;
        }
        data[f.key()] = nullptr;
        continue;
      }
      data[f.key()] = std::move(value);
    }
    int64_t actual = mutation ? kMutationCost : actualCost(op->selections, data, variables);
    available_ = std::min(ctx_.options().bucket_size, available_ + static_cast<double>(requested - actual));
    json body = {{"data", data}, {"extensions", costJson(requested, actual)}};
    if (!errors.empty()) body["errors"] = errors;
    sendJson(res, 200, body);
  }

  // --- reads ---

  json levelFull(const Item& it) const {
    std::string at = it.updated_at_ms ? isoUtc(it.updated_at_ms, false) : isoUtc(ctx_.nowMs(), false);
    json quantities = json::array();
    for (auto [name, q] : {std::pair<const char*, int64_t>{"available", it.available}, {"on_hand", it.on_hand},
                           {"committed", it.on_hand - it.available}, {"incoming", 0}, {"reserved", 0}}) {
      quantities.push_back({{"__typename", "InventoryQuantity"}, {"name", name}, {"quantity", q}, {"updatedAt", at}});
    }
    return {{"__typename", "InventoryLevel"},
            {"id", "gid://shopify/InventoryLevel/" + std::to_string(it.id) + "?inventory_item_id=" + std::to_string(it.id)},
            {"quantities", quantities},
            {"location", locationFull()},
            {"updatedAt", at}};
  }
  static json locationFull() {
    return {{"__typename", "Location"}, {"id", gid("Location", kLocationId)}, {"name", "Stockwire Sim Warehouse"},
            {"legacyResourceId", std::to_string(kLocationId)}};
  }
  json itemFull(const Item& it) const {
    json level = levelFull(it);
    return {{"__typename", "InventoryItem"},
            {"id", gid("InventoryItem", it.id)},
            {"legacyResourceId", std::to_string(it.id)},
            {"sku", it.sku},
            {"tracked", true},
            {"inventoryLevel", {{"__choose", "locationId"}, {"options", {{gid("Location", kLocationId), level}}}}},
            {"inventoryLevels", {{"__connection", json::array({level})}}},
            {"variant", variantFull(it)}};
  }
  json variantFull(const Item& it) const {
    return {{"__typename", "ProductVariant"}, {"id", gid("ProductVariant", it.variant_id)}, {"sku", it.sku},
            {"price", it.price}, {"compareAtPrice", it.compare_at ? json(*it.compare_at) : json(nullptr)},
            {"inventoryQuantity", it.available}, {"title", it.title},
            {"product", {{"__typename", "Product"}, {"id", gid("Product", it.product_id)}}}};
  }
  json orderFull(const Order& o) const {
    const json& r = o.body;
    std::string cur = r["currency"];
    std::string pres = r["presentment_currency"];
    json lines = json::array();
    for (const json& li : r["line_items"]) {
      json variant = li["variant_id"].is_null()
                         ? json(nullptr)
                         : json{{"__typename", "ProductVariant"}, {"id", gid("ProductVariant", li["variant_id"].get<uint64_t>())},
                                {"sku", li["sku"]}};
      lines.push_back({{"__typename", "LineItem"},
                       {"id", li["admin_graphql_api_id"]},
                       {"sku", li["sku"]},
                       {"name", li["name"]},
                       {"title", li["title"]},
                       {"quantity", li["quantity"]},
                       {"currentQuantity", li["current_quantity"]},
                       {"variant", variant},
                       {"originalUnitPriceSet", {{"__typename", "MoneyBag"},
                                                 {"shopMoney", moneyV2(li["price_set"]["shop_money"]["amount"], cur)},
                                                 {"presentmentMoney", moneyV2(li["price_set"]["presentment_money"]["amount"], pres)}}}});
    }
    auto utc = [&](const json& v) -> json {
      if (!v.is_string()) return nullptr;
      auto ms = parseIso(v.get<std::string>());
      return ms ? json(isoUtc(*ms, false)) : json(nullptr);
    };
    std::string fin = r["financial_status"];
    std::transform(fin.begin(), fin.end(), fin.begin(), [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
    auto upper = [](std::string v) {
      std::transform(v.begin(), v.end(), v.begin(), [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
      return v;
    };
    json shipping = json::array();
    for (const json& sl : r.value("shipping_lines", json::array())) {
      shipping.push_back({{"__typename", "ShippingLine"},
                          {"id", sl["admin_graphql_api_id"]},
                          {"code", sl["code"]},
                          {"title", sl["title"]},
                          {"source", sl["source"]},
                          {"isRemoved", sl["is_removed"]},
                          {"originalPriceSet", {{"__typename", "MoneyBag"}, {"shopMoney", moneyV2(sl["price"], cur)},
                                                {"presentmentMoney", moneyV2(sl["price"], pres)}}}});
    }
    // Order.refunds is a plain list (not a connection); each refund's refundLineItems is a connection.
    json refunds = json::array();
    for (const json& rf : r["refunds"]) {
      json items = json::array();
      for (const json& ri : rf["refund_line_items"]) {
        const json& li = ri["line_item"];
        json location = ri["location_id"].is_null()
                            ? json(nullptr)
                            : json{{"__typename", "Location"}, {"id", gid("Location", ri["location_id"].get<uint64_t>())}};
        items.push_back({{"__typename", "RefundLineItem"},
                         {"id", gid("RefundLineItem", ri["id"].get<uint64_t>())},
                         {"quantity", ri["quantity"]},
                         {"restockType", upper(ri["restock_type"].get<std::string>())},
                         {"restocked", ri["restock_type"] != "no_restock"},
                         {"location", location},
                         {"lineItem", {{"__typename", "LineItem"}, {"id", li["admin_graphql_api_id"]}, {"sku", li["sku"]},
                                       {"name", li["name"]}, {"quantity", li["quantity"]}}},
                         {"subtotalSet", {{"__typename", "MoneyBag"}, {"shopMoney", moneyV2(ri["subtotal"], cur)},
                                          {"presentmentMoney", moneyV2(ri["subtotal"], pres)}}}});
      }
      refunds.push_back({{"__typename", "Refund"},
                         {"id", rf["admin_graphql_api_id"]},
                         {"createdAt", utc(rf["created_at"])},
                         {"note", rf["note"]},
                         {"refundLineItems", {{"__connection", items}}}});
    }
    const json& sa = r["shipping_address"];
    json address = {{"__typename", "MailingAddress"}, {"countryCodeV2", sa["country_code"]}, {"country", sa["country"]},
                    {"zip", sa.value("zip", json(nullptr))}, {"city", sa.value("city", json(nullptr))},
                    {"provinceCode", sa.value("province_code", json(nullptr))},
                    {"name", sa.value("name", json(nullptr))}, {"company", sa.value("company", json(nullptr))},
                    {"address1", sa.value("address1", json(nullptr))}, {"address2", sa.value("address2", json(nullptr))},
                    {"phone", sa.value("phone", json(nullptr))}};
    json customer = nullptr;
    if (r.contains("customer") && r["customer"].is_object()) {
      customer = {{"__typename", "Customer"},
                  {"id", "gid://shopify/Customer/" + r["customer"]["id"].dump()},
                  {"displayName", sa.value("name", json(""))}};
    }
    return {{"__typename", "Order"},
            {"email", r.value("email", json(nullptr))},
            {"phone", r.value("phone", json(nullptr))},
            {"customer", customer},
            {"id", r["admin_graphql_api_id"]},
            {"legacyResourceId", std::to_string(r["id"].get<uint64_t>())},
            {"name", r["name"]},
            {"createdAt", utc(r["created_at"])},
            {"updatedAt", utc(r["updated_at"])},
            {"cancelledAt", utc(r["cancelled_at"])},
            {"displayFinancialStatus", fin},
            {"displayFulfillmentStatus", fulfillmentStatus(o)},
            {"fulfillmentOrders", {{"__connection", fulfillmentOrdersFull(o)}}},
            {"fulfillments", fulfillmentsFull(o)},
            {"currencyCode", cur},
            {"presentmentCurrencyCode", pres},
            {"totalPriceSet", {{"__typename", "MoneyBag"}, {"shopMoney", moneyV2(r["total_price"], cur)},
                               {"presentmentMoney", moneyV2(r["total_price_set"]["presentment_money"]["amount"], pres)}}},
            {"shippingAddress", address},
            {"billingAddress", address},
            {"lineItems", {{"__connection", lines}}},
            {"shippingLines", {{"__connection", shipping}}},
            {"refunds", refunds}};
  }

  json fulfillmentOrdersFull(const Order& o) const {
    json out = json::array();
    for (const FulfillmentOrderRec& fo : o.fos) {
      json lines = json::array();
      for (const FoLine& l : fo.lines) {
        json sku;
        for (const json& li : o.body["line_items"]) {
          if (li["id"].get<uint64_t>() == l.line_id) sku = li["sku"];
        }
        lines.push_back({{"__typename", "FulfillmentOrderLineItem"},
                         {"id", gid("FulfillmentOrderLineItem", l.id)},
                         {"totalQuantity", l.total},
                         {"remainingQuantity", l.remaining},
                         {"sku", sku},
                         {"lineItem", {{"__typename", "LineItem"}, {"id", gid("LineItem", l.line_id)}, {"sku", sku}}}});
      }
      out.push_back({{"__typename", "FulfillmentOrder"},
                     {"id", gid("FulfillmentOrder", fo.id)},
                     {"status", fo.status},
                     {"requestStatus", "UNSUBMITTED"},
                     {"assignedLocation", {{"__typename", "FulfillmentOrderAssignedLocation"}, {"location", locationFull()}}},
                     {"deliveryMethod", {{"__typename", "DeliveryMethod"}, {"methodType", "SHIPPING"}}},
                     {"lineItems", {{"__connection", lines}}}});
    }
    return out;
  }
  json fulfillmentsFull(const Order& o) const {
    json out = json::array();
    for (const FulfillmentRec& f : o.fulfillments) {
      out.push_back({{"__typename", "Fulfillment"},
                     {"id", gid("Fulfillment", f.id)},
                     {"status", "SUCCESS"},
                     {"createdAt", isoUtc(f.at_ms, false)},
                     {"trackingInfo", json::array({{{"__typename", "FulfillmentTrackingInfo"},
                                                    {"number", f.number},
                                                    {"company", f.company},
                                                    {"url", nullptr}}})}});
    }
    return out;
  }

  bool fail(GqlFailure* failure, const GqlField& f, const std::string& message, json extensions = nullptr) {
    failure->errors.push_back(gqlError(message, f.line, f.column, std::move(extensions)));
    return false;
  }

  bool projectInto(const GqlField& f, const json& value, const json& variables, json* out, GqlFailure* failure) {
    json root = {{"__typename", "QueryRoot"}, {f.name, value}};
    json projected;
    GqlError err;
    if (!project(root, {f}, variables, &projected, &err)) {
      failure->errors.push_back(gqlError(err.message, err.line, err.column));
      return false;
    }
    *out = projected[f.key()];
    return true;
  }

  bool matchesOrder(const Order& o, const std::vector<std::vector<SearchTerm>>& query) {
    for (const auto& group : query) {
      bool all = true;
      for (const SearchTerm& t : group) {
        int64_t value_ms = 0;
        if (t.field == "updated_at") {
          value_ms = o.updated_ms;
        } else if (t.field == "created_at") {
          value_ms = parseIso(o.body["created_at"].get<std::string>()).value_or(0);
        } else if (t.field == "name") {
          all = all && o.body["name"] == t.value;
          continue;
        } else {
          all = false;
          continue;
        }
        auto v = parseIso(t.value);
        if (!v) {
          all = false;
          continue;
        }
        // Shopify compares at second precision.
        int64_t a = value_ms / 1000, b = *v / 1000;
        if (t.op == ">") all = all && a > b;
        if (t.op == ">=") all = all && a >= b;
        if (t.op == "<") all = all && a < b;
        if (t.op == "<=") all = all && a <= b;
        if (t.op == ":") all = all && a == b;
      }
      if (all) return true;
    }
    return false;
  }

  bool read(const GqlField& f, const json& variables, json* out, GqlFailure* failure) {
    json args;
    std::string err;
    if (!resolveArgs(f.args, variables, &args, &err)) return fail(failure, f, err);
    if (f.name == "shop") {
      return projectInto(f, {{"__typename", "Shop"}, {"name", "Stockwire Simulated Shop"},
                             {"myshopifyDomain", ctx_.options().shop_domain}, {"currencyCode", "USD"}},
                         variables, out, failure);
    }
    if (f.name == "inventoryItems") {
      std::vector<std::vector<SearchTerm>> query;
      std::string q = args.contains("query") && args["query"].is_string() ? args["query"].get<std::string>() : "";
      if (!q.empty() && !parseSearch(q, &query, &err)) return fail(failure, f, "Invalid search query: " + err);
      json nodes = json::array();
      for (const Item& it : items_) {
        bool match = q.empty();
        for (const auto& group : query) {
          bool all = true;
          for (const SearchTerm& t : group) {
            if (t.field == "sku") {
              all = all && t.op == ":" && it.sku == t.value;
            } else if (t.field == "id") {
              all = all && t.op == ":" && std::to_string(it.id) == t.value;
            } else {
              all = false;
            }
          }
          match = match || all;
        }
        if (match) nodes.push_back(itemFull(it));
      }
      return projectInto(f, {{"__connection", nodes}}, variables, out, failure);
    }
    if (f.name == "inventoryItem") {
      std::string id = args.contains("id") && args["id"].is_string() ? args["id"].get<std::string>() : "";
      const Item* it = byGid(id);
      return projectInto(f, it ? itemFull(*it) : json(nullptr), variables, out, failure);
    }
    if (f.name == "orders") {
      std::vector<std::vector<SearchTerm>> query;
      std::string q = args.contains("query") && args["query"].is_string() ? args["query"].get<std::string>() : "";
      if (!q.empty() && !parseSearch(q, &query, &err)) return fail(failure, f, "Invalid search query: " + err);
      std::vector<const Order*> list;
      for (const Order& o : orders_) {
        if (q.empty() || matchesOrder(o, query)) list.push_back(&o);
      }
      std::string sort = args.contains("sortKey") && args["sortKey"].is_string() ? args["sortKey"].get<std::string>() : "ID";
      if (sort == "UPDATED_AT") {
        std::stable_sort(list.begin(), list.end(), [](const Order* a, const Order* b) { return a->updated_ms < b->updated_ms; });
      } else if (sort != "ID" && sort != "CREATED_AT" && sort != "PROCESSED_AT") {
        return fail(failure, f, "Argument 'sortKey' on Field 'orders' has an invalid value (" + sort + ").");
      }
      if (args.contains("reverse") && args["reverse"].is_boolean() && args["reverse"].get<bool>()) {
        std::reverse(list.begin(), list.end());
      }
      json nodes = json::array();
      for (const Order* o : list) nodes.push_back(orderFull(*o));
      return projectInto(f, {{"__connection", nodes}}, variables, out, failure);
    }
    if (f.name == "order") {
      std::string id = args.contains("id") && args["id"].is_string() ? args["id"].get<std::string>() : "";
      for (const Order& o : orders_) {
        if (o.body["admin_graphql_api_id"] == id) return projectInto(f, orderFull(o), variables, out, failure);
      }
      return projectInto(f, nullptr, variables, out, failure);
    }
    return fail(failure, f, "Field '" + f.name + "' doesn't exist on type 'QueryRoot'",
                {{"code", "undefinedField"}, {"typeName", "QueryRoot"}, {"fieldName", f.name}});
  }

  // --- inventorySetQuantities ---

  static json userError(const std::string& code, json field, const std::string& message) {
    return {{"__typename", "InventorySetQuantitiesUserError"}, {"code", code}, {"field", std::move(field)}, {"message", message}};
  }

  bool mutate(const GqlField& f, const json& variables, const std::string& version, json* out, GqlFailure* failure) {
    if (f.name == "fulfillmentCreate") return fulfillmentCreate(f, variables, out, failure);
    if (f.name == "orderCancel") return orderCancel(f, variables, out, failure);
    if (f.name == "productVariantsBulkUpdate") return productVariantsBulkUpdate(f, variables, out, failure);
    if (f.name != "inventorySetQuantities") {
      return fail(failure, f, "Field '" + f.name + "' doesn't exist on type 'Mutation'",
                  {{"code", "undefinedField"}, {"typeName", "Mutation"}, {"fieldName", f.name}});
    }
    bool v2026_04 = version >= "2026-04";
    bool v2026_01 = version >= "2026-01";
    json args;
    std::string err;
    if (!resolveArgs(f.args, variables, &args, &err)) return fail(failure, f, err);
    std::string key;
    bool has_key = false;
    for (const GqlDirective& d : f.directives) {
      if (d.name != "idempotent") continue;
      if (!v2026_01) return fail(failure, f, "Directive 'idempotent' is not defined");
      json dargs;
      if (!resolveArgs(d.args, variables, &dargs, &err)) return fail(failure, f, err);
      if (!dargs.contains("key") || !dargs["key"].is_string() || dargs["key"].get<std::string>().empty()) {
        return fail(failure, f, "Directive 'idempotent' is missing required arguments: key");
      }
      key = dargs["key"].get<std::string>();
      has_key = true;
    }
    if (v2026_04 && !has_key) {
      failure->with_data_null = true;
      failure->errors.push_back({{"message", "The @idempotent directive is required for this mutation."},
                                 {"locations", json::array({{{"line", f.line}, {"column", f.column}}})},
                                 {"path", json::array({f.key()})},
                                 {"extensions", {{"code", "BAD_REQUEST"}}}});
      return false;
    }
    if (!args.contains("input") || !args["input"].is_object()) {
      return fail(failure, f, "Field 'inventorySetQuantities' is missing required arguments: input");
    }
    const json& input = args["input"];
    // Input shape (what GraphQL's type system would refuse before running anything).
    auto shapeError = [&](const std::string& path, const std::string& explanation) {
      return fail(failure, f, "Variable $input of type InventorySetQuantitiesInput! was provided invalid value for " + path +
                                  " (" + explanation + ")",
                  {{"problems", json::array({{{"path", path}, {"explanation", explanation}}})}});
    };
    std::set<std::string> input_fields = {"name", "reason", "referenceDocumentUri", "quantities"};
    if (!v2026_04) input_fields.insert("ignoreCompareQuantity");
    for (const auto& [k, v] : input.items()) {
      if (!input_fields.count(k)) return shapeError(k, "Field is not defined on InventorySetQuantitiesInput");
    }
    for (const char* req : {"name", "reason", "quantities"}) {
      if (!input.contains(req) || input[req].is_null()) return shapeError(req, "Expected value to not be null");
    }
    if (!input["name"].is_string() || !input["reason"].is_string()) return shapeError("name", "Could not coerce value to String");
    if (!input["quantities"].is_array()) return shapeError("quantities", "Expected a list");
    const json& quantities = input["quantities"];
    if (quantities.size() > kMaxInputList) {
      failure->with_data_null = true;
      failure->errors.push_back({{"message", "The input array size of " + std::to_string(quantities.size()) +
                                                 " is greater than the maximum allowed of 250."},
                                 {"locations", json::array({{{"line", f.line}, {"column", f.column}}})},
                                 {"path", json::array({f.key(), "input", "quantities"})},
                                 {"extensions", {{"code", "MAX_INPUT_SIZE_EXCEEDED"}}}});
      return false;
    }
    std::set<std::string> q_fields = {"inventoryItemId", "locationId", "quantity"};
    if (v2026_01) q_fields.insert("changeFromQuantity");
    if (!v2026_04) q_fields.insert("compareQuantity");
    for (size_t i = 0; i < quantities.size(); ++i) {
      const json& q = quantities[i];
      std::string p = "quantities." + std::to_string(i);
      if (!q.is_object()) return shapeError(p, "Expected an object");
      for (const auto& [k, v] : q.items()) {
        if (!q_fields.count(k)) return shapeError(p + "." + k, "Field is not defined on InventoryQuantityInput");
      }
      for (const char* req : {"inventoryItemId", "locationId", "quantity"}) {
        if (!q.contains(req) || q[req].is_null()) return shapeError(p + "." + req, "Expected value to not be null");
      }
      if (!q["quantity"].is_number_integer()) return shapeError(p + ".quantity", "Could not coerce value to Int");
      if (v2026_04 && !q.contains("changeFromQuantity")) {
        return shapeError(p + ".changeFromQuantity",
                          "changeFromQuantity is required from 2026-04; pass null explicitly to skip the compare-and-swap check");
      }
      if (q.contains("changeFromQuantity") && !q["changeFromQuantity"].is_null() && !q["changeFromQuantity"].is_number_integer()) {
        return shapeError(p + ".changeFromQuantity", "Could not coerce value to Int");
      }
    }
    // Idempotency: same key and same input -> the original answer; other input -> mismatch.
    std::string fingerprint = input.dump();
    if (has_key) {
      auto it = idempotent_.find(key);
      if (it != idempotent_.end()) {
        json payload = it->second.fingerprint == fingerprint
                           ? it->second.payload
                           : json{{"__typename", "InventorySetQuantitiesPayload"},
                                  {"inventoryAdjustmentGroup", nullptr},
                                  {"userErrors", json::array({userError("IDEMPOTENCY_KEY_PARAMETER_MISMATCH", nullptr,
                                                                        "The same idempotency key cannot be used with different operation parameters.")})}};
        return projectInto(f, payload, variables, out, failure);
      }
    }
    json payload = setQuantities(input, v2026_04, v2026_01);
    if (has_key) idempotent_[key] = {fingerprint, payload};
    return projectInto(f, payload, variables, out, failure);
  }

  json setQuantities(const json& input, bool v2026_04, bool v2026_01) {
    json errors = json::array();
    std::string name = input["name"];
    std::string reason = input["reason"];
    if (name != "available" && name != "on_hand") {
      errors.push_back(userError("INVALID_NAME", json::array({"input", "name"}), "The quantity name must be either 'available' or 'on_hand'."));
    }
    if (!kReasons.count(reason)) errors.push_back(userError("INVALID_REASON", json::array({"input", "reason"}), "The specified reason is invalid."));
    std::string ref = input.contains("referenceDocumentUri") && input["referenceDocumentUri"].is_string()
                          ? input["referenceDocumentUri"].get<std::string>()
                          : "";
    if (input.contains("referenceDocumentUri") && !input["referenceDocumentUri"].is_null() && ref.find("://") == std::string::npos) {
      errors.push_back(userError("INVALID_REFERENCE_DOCUMENT", json::array({"input", "referenceDocumentUri"}),
                                 "The specified reference document is invalid."));
    }
    bool ignore_compare = !v2026_01 && input.contains("ignoreCompareQuantity") && input["ignoreCompareQuantity"] == true;
    std::set<std::pair<std::string, std::string>> seen;
    std::vector<std::pair<Item*, int64_t>> plan;
    const json& quantities = input["quantities"];
    for (size_t i = 0; i < quantities.size(); ++i) {
      const json& q = quantities[i];
      json field = json::array({"input", "quantities", std::to_string(i)});
      auto at = [&](const char* leaf) {
        json f2 = field;
        f2.push_back(leaf);
        return f2;
      };
      std::string item_id = q["inventoryItemId"].is_string() ? q["inventoryItemId"].get<std::string>() : "";
      std::string location = q["locationId"].is_string() ? q["locationId"].get<std::string>() : "";
      int64_t quantity = q["quantity"].get<int64_t>();
      Item* it = byGid(item_id);
      if (!it) {
        errors.push_back(userError("INVALID_INVENTORY_ITEM", at("inventoryItemId"), "The specified inventory item could not be found."));
        continue;
      }
      if (location != gid("Location", kLocationId)) {
        errors.push_back(userError("INVALID_LOCATION", at("locationId"), "The specified location could not be found."));
        continue;
      }
      if (!seen.insert({item_id, location}).second) {
        errors.push_back(userError("NO_DUPLICATE_INVENTORY_ITEM_ID_GROUP_ID_PAIR", at("inventoryItemId"),
                                   "The combination of inventoryItemId and locationId must be unique."));
        continue;
      }
      if (quantity < 0 && name == "on_hand") {
        errors.push_back(userError("INVALID_QUANTITY_NEGATIVE", at("quantity"), "The quantity can't be negative."));
        continue;
      }
      if (quantity > kMaxQuantity) {
        errors.push_back(userError("INVALID_QUANTITY_TOO_HIGH", at("quantity"), "The total quantity can't be higher than 1,000,000,000."));
        continue;
      }
      if (quantity < -kMaxQuantity) {
        errors.push_back(userError("INVALID_QUANTITY_TOO_LOW", at("quantity"), "The total quantity can't be lower than -1,000,000,000."));
        continue;
      }
      int64_t current = name == "on_hand" ? it->on_hand : it->available;
      if (v2026_01) {
        if (q.contains("changeFromQuantity") && !q["changeFromQuantity"].is_null() &&
            q["changeFromQuantity"].get<int64_t>() != current) {
          errors.push_back(userError("CHANGE_FROM_QUANTITY_STALE", at("changeFromQuantity"),
                                     "The changeFromQuantity value does not match persisted value."));
          continue;
        }
      }
      if (!v2026_04 && !v2026_01 && !ignore_compare) {
        if (!q.contains("compareQuantity") || q["compareQuantity"].is_null()) {
          errors.push_back(userError("COMPARE_QUANTITY_REQUIRED", at("compareQuantity"),
                                     "The compareQuantity argument must be given to each quantity or ignored using ignoreCompareQuantity."));
          continue;
        }
        if (jsonInt(q["compareQuantity"]).value_or(INT64_MIN) != current) {
          errors.push_back(userError("COMPARE_QUANTITY_STALE", at("compareQuantity"), "The compareQuantity value does not match persisted value."));
          continue;
        }
      }
      plan.emplace_back(it, quantity);
    }
    if (!errors.empty()) {
      return {{"__typename", "InventorySetQuantitiesPayload"}, {"inventoryAdjustmentGroup", nullptr}, {"userErrors", errors}};
    }
    int64_t now = ctx_.nowMs();
    json changes = json::array();
    for (auto& [it, quantity] : plan) {
      int64_t delta = quantity - (name == "on_hand" ? it->on_hand : it->available);
      it->available += delta;
      it->on_hand += delta;
      it->updated_at_ms = now;
      ++it->update_count;
      json item = itemFull(*it);
      changes.push_back({{"__typename", "InventoryChange"}, {"name", name}, {"delta", delta},
                         {"quantityAfterChange", name == "on_hand" ? it->on_hand : it->available}, {"item", item},
                         {"location", locationFull()}, {"ledgerDocumentUri", nullptr}});
      std::string other = name == "on_hand" ? "available" : "on_hand";
      changes.push_back({{"__typename", "InventoryChange"}, {"name", other}, {"delta", delta},
                         {"quantityAfterChange", name == "on_hand" ? it->available : it->on_hand}, {"item", item},
                         {"location", locationFull()}, {"ledgerDocumentUri", nullptr}});
    }
    json group = {{"__typename", "InventoryAdjustmentGroup"},
                  {"id", gid("InventoryAdjustmentGroup", next_group_id_++)},
                  {"createdAt", isoUtc(now, false)},
                  {"reason", reason},
                  {"referenceDocumentUri", ref.empty() ? json(nullptr) : json(ref)},
                  {"changes", changes}};
    return {{"__typename", "InventorySetQuantitiesPayload"}, {"inventoryAdjustmentGroup", group}, {"userErrors", json::array()}};
  }

  // Arguments of a mutation field, checked against what the field accepts and requires (GraphQL
  // validation: failures are top-level errors, nothing runs).
  bool mutationArgs(const GqlField& f, const json& variables, const std::set<std::string>& accepted,
                    const std::vector<std::string>& required, json* args, GqlFailure* failure) {
    for (const auto& [name, value] : f.args) {
      if (!accepted.count(name)) return fail(failure, f, "Field '" + f.name + "' doesn't accept argument '" + name + "'");
    }
    std::string err;
    if (!resolveArgs(f.args, variables, args, &err)) return fail(failure, f, err);
    for (const std::string& r : required) {
      if (!args->contains(r) || (*args)[r].is_null()) {
        return fail(failure, f, "Field '" + f.name + "' is missing required arguments: " + r);
      }
    }
    return true;
  }

  static json plainUserError(json field, const std::string& message) {
    return {{"__typename", "UserError"}, {"field", std::move(field)}, {"message", message}};
  }

  // productVariantsBulkUpdate(productId: ID!, variants: [ProductVariantsBulkInput!]!, allowPartialUpdates):
  // variant price and compareAtPrice (money strings; compareAtPrice null clears it). Shape errors are
  // top-level GraphQL errors; an unknown product or variant, a bad amount, or a compareAtPrice not above
  // the price is a userError (ProductVariantsBulkUpdateUserError) and, without allowPartialUpdates,
  // nothing changes.
  bool productVariantsBulkUpdate(const GqlField& f, const json& variables, json* out, GqlFailure* failure) {
    json args;
    if (!mutationArgs(f, variables, {"productId", "variants", "allowPartialUpdates"}, {"productId", "variants"}, &args, failure)) {
      return false;
    }
    auto shapeError = [&](const std::string& path, const std::string& explanation) {
      return fail(failure, f, "Variable $variants of type [ProductVariantsBulkInput!]! was provided invalid value for " + path +
                                  " (" + explanation + ")",
                  {{"problems", json::array({{{"path", path}, {"explanation", explanation}}})}});
    };
    if (!args["productId"].is_string()) return fail(failure, f, "Argument 'productId' on Field 'productVariantsBulkUpdate' has an invalid value");
    const json& variants = args["variants"];
    if (!variants.is_array()) return shapeError("", "Expected a list");
    if (variants.size() > kMaxInputList) return shapeError("", "at most 250 entries");
    for (size_t i = 0; i < variants.size(); ++i) {
      const json& v = variants[i];
      std::string p = std::to_string(i);
      if (!v.is_object()) return shapeError(p, "Expected an object");
      for (const auto& [k, val] : v.items()) {
        if (k != "id" && k != "price" && k != "compareAtPrice") return shapeError(p + "." + k, "Field is not defined on ProductVariantsBulkInput");
      }
      if (!v.contains("id") || !v["id"].is_string()) return shapeError(p + ".id", "Expected value to not be null");
      if (v.contains("price") && !v["price"].is_string()) return shapeError(p + ".price", "Could not coerce value to Money");
      if (v.contains("compareAtPrice") && !v["compareAtPrice"].is_null() && !v["compareAtPrice"].is_string()) {
        return shapeError(p + ".compareAtPrice", "Could not coerce value to Money");
      }
    }
    auto userError = [](const std::string& code, json field, const std::string& message) {
      return json{{"__typename", "ProductVariantsBulkUpdateUserError"}, {"code", code}, {"field", std::move(field)}, {"message", message}};
    };
    bool partial = args.value("allowPartialUpdates", false);  // the caller holds mu_
    std::string product = args["productId"];
    bool product_known = false;
    for (const Item& it : items_) product_known = product_known || gid("Product", it.product_id) == product;
    json errors = json::array();
    std::vector<std::pair<Item*, const json*>> changes;
    if (!product_known) {
      errors.push_back(userError("PRODUCT_DOES_NOT_EXIST", json::array({"productId"}), "Product does not exist"));
    } else {
      for (size_t i = 0; i < variants.size(); ++i) {
        const json& v = variants[i];
        Item* item = nullptr;
        for (Item& it : items_) {
          if (gid("ProductVariant", it.variant_id) == v["id"] && gid("Product", it.product_id) == product) item = &it;
        }
        json field = json::array({"variants", std::to_string(i)});
        if (!item) {
          errors.push_back(userError("PRODUCT_VARIANT_DOES_NOT_EXIST", field, "Product variant does not exist"));
          continue;
        }
        auto price = v.contains("price") ? parseCents(v["price"].get<std::string>()) : parseCents(item->price);
        if (!price) {
          field.push_back("price");
          errors.push_back(userError("INVALID", field, "Price is invalid"));
          continue;
        }
        if (v.contains("compareAtPrice") && v["compareAtPrice"].is_string()) {
          auto cmp = parseCents(v["compareAtPrice"].get<std::string>());
          if (!cmp || *cmp <= *price) {
            field.push_back("compareAtPrice");
            errors.push_back(userError("COMPARE_AT_PRICE_LOWER_THAN_PRICE", field, "Compare at price needs to be higher than price"));
            continue;
          }
        }
        changes.emplace_back(item, &v);
      }
    }
    json updated = json::array();
    if (errors.empty() || partial) {
      for (auto& [item, v] : changes) {
        if (v->contains("price")) item->price = centsText(*parseCents((*v)["price"].get<std::string>()));
        if (v->contains("compareAtPrice")) {
          const json& c = (*v)["compareAtPrice"];
          item->compare_at = c.is_null() ? std::optional<std::string>() : std::optional<std::string>(centsText(*parseCents(c.get<std::string>())));
        }
        ++item->price_updates;
        item->updated_at_ms = ctx_.nowMs();
        updated.push_back(variantFull(*item));
      }
    }
    json payload = {{"__typename", "ProductVariantsBulkUpdatePayload"},
                    {"product", product_known ? json{{"__typename", "Product"}, {"id", product}} : json(nullptr)},
                    {"productVariants", errors.empty() || partial ? updated : json(nullptr)},
                    {"userErrors", errors}};
    return projectInto(f, payload, variables, out, failure);
  }

  // fulfillmentCreate(fulfillment: FulfillmentInput!, message: String): all or nothing.
  bool fulfillmentCreate(const GqlField& f, const json& variables, json* out, GqlFailure* failure) {
    json args;
    if (!mutationArgs(f, variables, {"fulfillment", "message"}, {"fulfillment"}, &args, failure)) return false;
    const json& in = args["fulfillment"];
    auto shapeError = [&](const std::string& path, const std::string& explanation) {
      return fail(failure, f, "Variable $fulfillment of type FulfillmentInput! was provided invalid value for " + path + " (" +
                                  explanation + ")",
                  {{"problems", json::array({{{"path", path}, {"explanation", explanation}}})}});
    };
    if (!in.is_object()) return shapeError("", "Expected an object");
    for (const auto& [k, v] : in.items()) {
      if (k != "lineItemsByFulfillmentOrder" && k != "trackingInfo" && k != "notifyCustomer" && k != "originAddress") {
        return shapeError(k, "Field is not defined on FulfillmentInput");
      }
    }
    if (!in.contains("lineItemsByFulfillmentOrder") || !in["lineItemsByFulfillmentOrder"].is_array()) {
      return shapeError("lineItemsByFulfillmentOrder", "Expected value to not be null");
    }
    const json& groups = in["lineItemsByFulfillmentOrder"];
    if (groups.size() > kMaxInputList) return shapeError("lineItemsByFulfillmentOrder", "at most 250 entries");
    for (size_t i = 0; i < groups.size(); ++i) {
      const json& g = groups[i];
      std::string p = "lineItemsByFulfillmentOrder." + std::to_string(i);
      if (!g.is_object()) return shapeError(p, "Expected an object");
      for (const auto& [k, v] : g.items()) {
        if (k != "fulfillmentOrderId" && k != "fulfillmentOrderLineItems") {
          return shapeError(p + "." + k, "Field is not defined on FulfillmentOrderLineItemsInput");
        }
      }
      if (!g.contains("fulfillmentOrderId") || !g["fulfillmentOrderId"].is_string()) {
        return shapeError(p + ".fulfillmentOrderId", "Expected value to not be null");
      }
      if (g.contains("fulfillmentOrderLineItems") && !g["fulfillmentOrderLineItems"].is_null()) {
        if (!g["fulfillmentOrderLineItems"].is_array()) return shapeError(p + ".fulfillmentOrderLineItems", "Expected a list");
        for (size_t k = 0; k < g["fulfillmentOrderLineItems"].size(); ++k) {
          const json& li = g["fulfillmentOrderLineItems"][k];
          std::string lp = p + ".fulfillmentOrderLineItems." + std::to_string(k);
          if (!li.is_object() || !li.contains("id") || !li["id"].is_string()) return shapeError(lp + ".id", "Expected value to not be null");
          if (!li.contains("quantity") || !li["quantity"].is_number_integer()) return shapeError(lp + ".quantity", "Could not coerce value to Int");
          for (const auto& [key, v] : li.items()) {
            if (key != "id" && key != "quantity") return shapeError(lp + "." + key, "Field is not defined on FulfillmentOrderLineItemInput");
          }
        }
      }
    }
    std::string number, company;
    if (in.contains("trackingInfo") && !in["trackingInfo"].is_null()) {
      const json& t = in["trackingInfo"];
      if (!t.is_object()) return shapeError("trackingInfo", "Expected an object");
      for (const auto& [k, v] : t.items()) {
        if (k != "number" && k != "numbers" && k != "company" && k != "url" && k != "urls") {
          return shapeError("trackingInfo." + k, "Field is not defined on FulfillmentTrackingInput");
        }
        if ((k == "number" || k == "company" || k == "url") && !v.is_null() && !v.is_string()) {
          return shapeError("trackingInfo." + k, "Could not coerce value to String");
        }
      }
      if (t.contains("number") && t["number"].is_string()) number = t["number"];
      if (t.contains("company") && t["company"].is_string()) company = t["company"];
    }
    auto refuse = [&](json field, const std::string& message) {
      json payload = {{"__typename", "FulfillmentCreatePayload"}, {"fulfillment", nullptr},
                      {"userErrors", json::array({plainUserError(std::move(field), message)})}};
      return projectInto(f, payload, variables, out, failure);
    };
    if (groups.empty()) return refuse(json::array({"fulfillment", "lineItemsByFulfillmentOrder"}), "Line items by fulfillment order can't be blank.");
    // Plan first: every fulfillment order of one order, open, every line known and within what remains.
    Order* order = nullptr;
    std::vector<std::pair<FoLine*, int64_t>> plan;
    std::vector<FulfillmentOrderRec*> touched;
    for (size_t i = 0; i < groups.size(); ++i) {
      json field = json::array({"fulfillment", "lineItemsByFulfillmentOrder", std::to_string(i), "fulfillmentOrderId"});
      std::string fo_gid = groups[i]["fulfillmentOrderId"];
      Order* owner = nullptr;
      FulfillmentOrderRec* fo = nullptr;
      for (Order& o : orders_) {
        for (FulfillmentOrderRec& x : o.fos) {
          if (gid("FulfillmentOrder", x.id) == fo_gid) {
            owner = &o;
            fo = &x;
          }
        }
      }
      if (!fo) return refuse(field, "Fulfillment order " + fo_gid + " does not exist.");
      if (order && owner != order) return refuse(field, "All fulfillment orders must belong to the same order.");
      order = owner;
      if (fo->status != "OPEN" && fo->status != "IN_PROGRESS") {
        std::string st = fo->status;
        std::transform(st.begin(), st.end(), st.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
        return refuse(field, "Fulfillment order " + fo_gid + " has an unfulfillable status= " + st + ".");
      }
      touched.push_back(fo);
      const json& items = groups[i].contains("fulfillmentOrderLineItems") ? groups[i]["fulfillmentOrderLineItems"] : json(nullptr);
      if (items.is_null()) {  // omitted: everything that remains
        for (FoLine& l : fo->lines) {
          if (l.remaining > 0) plan.emplace_back(&l, l.remaining);
        }
        continue;
      }
      for (size_t k = 0; k < items.size(); ++k) {
        json lfield = json::array({"fulfillment", "lineItemsByFulfillmentOrder", std::to_string(i), "fulfillmentOrderLineItems",
                                   std::to_string(k)});
        std::string id = items[k]["id"];
        int64_t qty = items[k]["quantity"].get<int64_t>();
        FoLine* line = nullptr;
        for (FoLine& l : fo->lines) {
          if (gid("FulfillmentOrderLineItem", l.id) == id) line = &l;
        }
        if (!line) return refuse(lfield, "Fulfillment order line item " + id + " does not belong to fulfillment order " + fo_gid + ".");
        int64_t already = 0;
        for (const auto& [pl, pq] : plan) {
          if (pl == line) already += pq;
        }
        if (qty <= 0 || qty + already > line->remaining) return refuse(lfield, "Invalid fulfillment order line item quantity requested.");
        plan.emplace_back(line, qty);
      }
    }
    if (plan.empty()) return refuse(json::array({"fulfillment"}), "Nothing left to fulfill on these fulfillment orders.");
    FulfillmentRec rec;
    rec.id = next_fulfillment_id_++;
    rec.number = number;
    rec.company = company;
    rec.at_ms = ctx_.nowMs();
    for (auto& [line, qty] : plan) {
      line->remaining -= qty;
      rec.lines.emplace_back(line->line_id, qty);
    }
    for (FulfillmentOrderRec* fo : touched) {
      bool left = false;
      for (const FoLine& l : fo->lines) left = left || l.remaining > 0;
      fo->status = left ? "IN_PROGRESS" : "CLOSED";
    }
    order->fulfillments.push_back(rec);
    // The REST order as the orders/updated webhook shows it.
    json rest_lines = json::array();
    for (const auto& [lid, q] : rec.lines) rest_lines.push_back({{"id", lid}, {"quantity", q}});
    for (json& li : order->body["line_items"]) {
      int64_t done = fulfilledUnits(*order, li["id"].get<uint64_t>());
      li["fulfillable_quantity"] = std::max<int64_t>(0, li["current_quantity"].get<int64_t>() - done);
      li["fulfillment_status"] = done == 0 ? json(nullptr) : json(done >= li["quantity"].get<int64_t>() ? "fulfilled" : "partial");
    }
    std::string status = fulfillmentStatus(*order);
    order->body["fulfillment_status"] = status == "FULFILLED" ? json("fulfilled") : json("partial");
    order->body["fulfillments"].push_back({{"id", rec.id}, {"admin_graphql_api_id", gid("Fulfillment", rec.id)},
                                           {"status", "success"}, {"tracking_number", number}, {"tracking_company", company},
                                           {"line_items", rest_lines}, {"created_at", isoOffset(rec.at_ms, kShopOffsetMinutes)}});
    order->body["updated_at"] = isoOffset(rec.at_ms, kShopOffsetMinutes);
    order->updated_ms = rec.at_ms;
    outbox_.emplace_back("orders/updated", order->body);
    json payload = {{"__typename", "FulfillmentCreatePayload"}, {"fulfillment", fulfillmentsFull(*order).back()},
                    {"userErrors", json::array()}};
    return projectInto(f, payload, variables, out, failure);
  }

  // orderCancel(orderId: ID!, reason: OrderCancelReason!, restock: Boolean!, refund, refundMethod,
  // notifyCustomer, staffNote): the job is done at once here (Shopify runs it asynchronously).
  bool orderCancel(const GqlField& f, const json& variables, json* out, GqlFailure* failure) {
    json args;
    if (!mutationArgs(f, variables, {"orderId", "reason", "restock", "refund", "refundMethod", "notifyCustomer", "staffNote"},
                      {"orderId", "reason", "restock"}, &args, failure)) {
      return false;
    }
    static const std::set<std::string> kCancelReasons = {"CUSTOMER", "DECLINED", "FRAUD", "INVENTORY", "OTHER", "STAFF"};
    if (!args["reason"].is_string() || !kCancelReasons.count(args["reason"].get<std::string>())) {
      return fail(failure, f, "Argument 'reason' on Field 'orderCancel' has an invalid value (" + args["reason"].dump() +
                                  "). Expected type 'OrderCancelReason!'.");
    }
    if (!args["restock"].is_boolean()) return fail(failure, f, "Argument 'restock' on Field 'orderCancel' has an invalid value. Expected type 'Boolean!'.");
    if (!args["orderId"].is_string()) return fail(failure, f, "Argument 'orderId' on Field 'orderCancel' has an invalid value. Expected type 'ID!'.");
    auto refuse = [&](const std::string& code, const std::string& message) {
      json e = {{"__typename", "OrderCancelUserError"}, {"code", code}, {"field", json::array({"orderId"})}, {"message", message}};
      json payload = {{"__typename", "OrderCancelPayload"}, {"job", nullptr}, {"orderCancelUserErrors", json::array({e})},
                      {"userErrors", json::array({plainUserError(json::array({"orderId"}), message)})}};
      return projectInto(f, payload, variables, out, failure);
    };
    std::string id = args["orderId"];
    Order* o = id.rfind("gid://shopify/Order/", 0) == 0 ? findOrder(id) : nullptr;
    if (!o) return refuse("NOT_FOUND", "Order does not exist");
    if (!o->body["cancelled_at"].is_null()) return refuse("INVALID", "Order has already been cancelled");
    if (!o->fulfillments.empty()) return refuse("INVALID", "Cannot cancel an order that has fulfillments");
    std::string reason = args["reason"];
    std::transform(reason.begin(), reason.end(), reason.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    cancelLocked(*o, reason, args["restock"].get<bool>());
    if (args.contains("staffNote") && args["staffNote"].is_string()) o->body["note"] = args["staffNote"];
    outbox_.emplace_back("orders/cancelled", o->body);
    outbox_.emplace_back("orders/updated", o->body);
    json payload = {{"__typename", "OrderCancelPayload"},
                    {"job", {{"__typename", "Job"}, {"id", gid("Job", next_job_id_++)}, {"done", true}}},
                    {"orderCancelUserErrors", json::array()},
                    {"userErrors", json::array()}};
    return projectInto(f, payload, variables, out, failure);
  }

  void sendWebhook(const std::string& topic, const json& order, uint64_t order_id_for_header = 0) {
    const SimOptions& o = ctx_.options();
    if (o.webhook_url.empty()) return;
    WebhookDelivery d;
    d.url = o.webhook_url;
    d.body = order.dump();
    d.topic = topic;
    d.max_attempts = o.webhook_retries;
    std::string order_id = std::to_string(order_id_for_header ? order_id_for_header : order["id"].get<uint64_t>());
    d.headers = {{"X-Shopify-Topic", topic},
                 {"X-Shopify-Hmac-Sha256", hmacSha256Base64(o.webhook_secret, d.body)},
                 {"X-Shopify-Shop-Domain", o.shop_domain},
                 {"X-Shopify-API-Version", "2026-04"},
                 {"X-Shopify-Webhook-Id", ctx_.uuid()},
                 {"X-Shopify-Event-Id", ctx_.uuid()},
                 {"X-Shopify-Triggered-At", isoUtc(ctx_.nowMs())},
                 {"X-Shopify-Order-Id", order_id}};
    ctx_.deliver(std::move(d));
  }

  SimContext& ctx_;
  std::mutex mu_;
  std::vector<Item> items_;  // never shrinks: the indexes below stay valid
  std::map<std::string, size_t> sku_index_;
  std::map<std::string, size_t> id_index_;  // decimal InventoryItem id
  std::vector<Order> orders_;
  std::vector<std::pair<std::string, json>> outbox_;  // webhooks to send once mu_ is released
  std::map<std::string, Idempotent> idempotent_;
  double available_;
  int64_t at_ms_;
  uint64_t next_item_id_ = 44846037123456789ULL;
  uint64_t next_variant_id_ = 39072856207466401ULL;
  uint64_t next_product_id_ = 7882436512345678ULL;
  uint64_t next_order_id_ = kFirstOrderId;
  uint64_t next_line_id_ = 9123456789012345601ULL;
  uint64_t next_customer_id_ = 115310627314723954ULL;
  uint64_t next_group_id_ = 1;
  uint64_t next_fo_id_ = 6034527698223450001ULL;
  uint64_t next_fo_line_id_ = 14012345678901230001ULL;
  uint64_t next_fulfillment_id_ = 5201234567890120001ULL;
  uint64_t next_refund_id_ = 9301234567890120001ULL;
  uint64_t next_refund_line_id_ = 1101234567890120001ULL;
  uint64_t next_job_id_ = 1;
  PayoutBook payouts_{FeeRule{}, 623721858ULL};
  double rest_used_ = 0;       // the REST call bucket
  int64_t rest_at_ms_ = 0;
};

}  // namespace

std::unique_ptr<ChannelSim> makeShopifySim(SimContext& ctx) { return std::make_unique<ShopifySim>(ctx); }

}  // namespace sw::channelsim
