#include "sw/coordinator/channels/shopify_connector.h"

#include <algorithm>
#include <set>

#include "connector_util.h"
#include "json_read.h"
#include "sw/common/uuid.h"
#include "sw/coordinator/channels/order_decode.h"

namespace sw::coordinator::channels {

using common::Decimal;
using common::Error;
using detail::get;
using detail::getPath;
using detail::str;
using nlohmann::json;

namespace {

constexpr double kMutationCost = 10;

constexpr const char* kSetMutation = R"(mutation StockwireSet($input: InventorySetQuantitiesInput!) {
  inventorySetQuantities(input: $input) @idempotent(key: KEY) {
    inventoryAdjustmentGroup { createdAt reason referenceDocumentUri changes { name delta quantityAfterChange item { id sku } location { id } } }
    userErrors { code field message }
  }
})";

constexpr const char* kLookupQuery = R"(query StockwireItems($first: Int!, $query: String!, $locationId: ID!) {
  inventoryItems(first: $first, query: $query) {
    nodes { id sku inventoryLevel(locationId: $locationId) { quantities(names: [NAME]) { name quantity } } }
  }
})";

// Prices are set on the variant: its id and its product's (productVariantsBulkUpdate takes both).
constexpr const char* kVariantQuery = R"(query StockwireVariants($first: Int!, $query: String!) {
  inventoryItems(first: $first, query: $query) { nodes { sku variant { id product { id } } } }
})";

constexpr const char* kOrdersQuery = R"(query StockwireOrders($first: Int!, $after: String, $query: String!, $lines: Int!) {
  orders(first: $first, after: $after, query: $query, sortKey: UPDATED_AT) {
    pageInfo { hasNextPage endCursor }
    nodes {
      id name createdAt updatedAt cancelledAt displayFinancialStatus displayFulfillmentStatus currencyCode
      totalPriceSet { shopMoney { amount currencyCode } }
      shippingAddress { countryCodeV2 zip city provinceCode name company address1 address2 phone }
      email phone customer { id displayName }
      billingAddress { countryCodeV2 }
      lineItems(first: $lines) {
        pageInfo { hasNextPage }
        nodes { id sku name quantity currentQuantity variant { id }
          originalUnitPriceSet { shopMoney { amount currencyCode } presentmentMoney { amount currencyCode } } }
      }
      shippingLines(first: 2) { nodes { code title isRemoved } }
      refunds(first: 10) { id createdAt
        refundLineItems(first: 20) { nodes { quantity restockType location { id } lineItem { id sku } } } }
    }
  }
})";
// Requested cost of one order node beyond its line items: the order and its money and address
// objects (8), shippingLines (2 + 2 nodes), refunds (a list: 2).
constexpr double kOrderNodeCost = 8 + 4 + 2;

constexpr const char* kFulfillmentOrdersQuery = R"(query StockwireFulfillmentOrders($id: ID!) {
  order(id: $id) {
    id
    cancelledAt
    fulfillments(first: 50) { id trackingInfo(first: 5) { number company } }
    fulfillmentOrders(first: 5) {
      nodes { id status lineItems(first: 50) { nodes { id remainingQuantity lineItem { id } } } }
    }
  }
})";
constexpr double kFulfillmentOrdersCost = 2 + 5 * (1 + 2 + 50 * 2.0) + 1 + 50;

constexpr const char* kFulfillmentCreate = R"(mutation StockwireFulfil($fulfillment: FulfillmentInput!, $message: String) {
  fulfillmentCreate(fulfillment: $fulfillment, message: $message) {
    fulfillment { id status trackingInfo(first: 5) { number company } }
    userErrors { field message }
  }
})";

constexpr const char* kOrderCancel = R"(mutation StockwireCancel($orderId: ID!, $reason: OrderCancelReason!, $restock: Boolean!, $refund: Boolean, $notifyCustomer: Boolean, $staffNote: String) {
  orderCancel(orderId: $orderId, reason: $reason, restock: $restock, refund: $refund, notifyCustomer: $notifyCustomer, staffNote: $staffNote) {
    job { id done }
    orderCancelUserErrors { code field message }
    userErrors { field message }
  }
})";

std::string userErrorsText(const json* errors) {
  std::string out;
  if (!errors || !errors->is_array()) return out;
  for (const json& e : *errors) {
    std::string field;
    if (const json* f = get(e, "field"); f && f->is_array()) {
      for (const json& part : *f) field += (field.empty() ? "" : ".") + (part.is_string() ? part.get<std::string>() : part.dump());
    }
    std::string code = str(e, "code");
    out += (out.empty() ? "" : "; ") + (code.empty() ? "" : code + " ") + (field.empty() ? "" : field + ": ") + str(e, "message");
  }
  return out;
}

std::string replaceAll(std::string s, const std::string& from, const std::string& to) {
  for (size_t p = s.find(from); p != std::string::npos; p = s.find(from, p + to.size())) s.replace(p, from.size(), to);
  return s;
}

// A value for Shopify's search syntax: double-quoted, with \ and " escaped.
std::string searchValue(const std::string& v) {
  std::string out = "\"";
  for (char c : v) {
    if (c == '"' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  return out + "\"";
}

// ["input","quantities","3","changeFromQuantity"] -> 3; -1 if the error is not about one item.
int itemIndex(const json& field) {
  if (!field.is_array()) return -1;
  for (size_t i = 0; i + 1 < field.size(); ++i) {
    if (field[i].is_string() && field[i].get<std::string>() == "quantities") {
      const json& idx = field[i + 1];
      if (idx.is_number_integer()) return idx.get<int>();
      if (idx.is_string()) {
        auto n = detail::wholeNumber(&idx);
        if (n && *n >= 0 && *n < 100000) return static_cast<int>(*n);
      }
    }
  }
  return -1;
}

}  // namespace

common::Result<std::unique_ptr<ShopifyConnector>> ShopifyConnector::create(ShopifyConfig config,
                                                                           std::unique_ptr<HttpClient> http,
                                                                           const common::Clock& clock) {
  if (config.access_token.empty()) return Error::fatal("no_credentials", "Shopify access token is not set");
  if (config.location_id.rfind("gid://shopify/Location/", 0) != 0) {
    return Error::fatal("bad_config", "Shopify location_id must be a gid://shopify/Location/… id");
  }
  if (config.api_version.size() != 7 || config.api_version[4] != '-') {
    return Error::fatal("bad_config", "Shopify api_version looks like 2026-04, not '" + config.api_version + "'");
  }
  if (!http) return Error::fatal("bad_config", "no HTTP client");
  return std::unique_ptr<ShopifyConnector>(new ShopifyConnector(std::move(config), std::move(http), clock));
}

common::Result<json> ShopifyConnector::graphql(const std::string& query, const json& variables, double cost_guess) {
  HttpRequest req;
  req.method = "POST";
  req.target = "/admin/api/" + config_.api_version + "/graphql.json";
  req.headers = {{"X-Shopify-Access-Token", config_.access_token}, {"Accept", "application/json"}};
  req.content_type = "application/json";
  req.body = json{{"query", query}, {"variables", variables}}.dump();
  auto r = http_->send(req);
  if (!r) return r.error();
  const std::string what = "Shopify GraphQL";
  if (r->status == 429) {
    bucket_.observeThrottled(cost_guess);
    return Error::retry("throttled", what + ": HTTP 429 Throttled");
  }
  if (r->status != 200) return detail::statusError(*r, what);
  auto j = detail::responseJson(*r, what);
  if (!j) return j.error();
  const json* cost = getPath(*j, {"extensions", "cost"});
  if (const json* ts = cost ? get(*cost, "throttleStatus") : nullptr) {
    const json* mx = get(*ts, "maximumAvailable");
    const json* cur = get(*ts, "currentlyAvailable");
    const json* rr = get(*ts, "restoreRate");
    if (mx && cur && rr && mx->is_number() && cur->is_number() && rr->is_number()) {
      bucket_.observe(mx->get<double>(), cur->get<double>(), rr->get<double>());
    }
  }
  if (const json* errs = get(*j, "errors")) {
    std::string message = "errors";
    std::string code;
    if (errs->is_array() && !errs->empty()) {
      message = str(errs->at(0), "message");
      code = detail::strPath(errs->at(0), {"extensions", "code"});
    } else if (errs->is_string()) {
      message = errs->get<std::string>();
    }
    if (code == "THROTTLED") {
      double requested = cost_guess;
      if (const json* rq = cost ? get(*cost, "requestedQueryCost") : nullptr; rq && rq->is_number()) {
        requested = rq->get<double>();
      }
      bucket_.observeThrottled(requested);
      return Error::retry("throttled", what + ": THROTTLED (needs " + std::to_string(static_cast<int>(requested)) +
                                           " points, " + std::to_string(bucket_.msUntil(requested)) + " ms to refill)");
    }
    if (code == "INTERNAL_SERVER_ERROR") return Error::retry("shopify_internal", what + ": " + message);
    // Errors with no data, or with every top-level field null, mean the operation did not run.
    bool ran = false;
    if (const json* data = get(*j, "data"); data && data->is_object()) {
      for (const auto& [k, v] : data->items()) ran = ran || !v.is_null();
    }
    if (!ran) return Error::reject(code.empty() ? "graphql_error" : code, what + ": " + message);
  }
  if (!get(*j, "data")) return Error::retry("bad_response", what + ": answer has no data");
  return j;
}

int64_t ShopifyConnector::msUntilReady(Operation op, size_t items) const {
  if (op == Operation::kPayouts) return rest_.msUntilAllowed();
  double cost = kMutationCost;
  if (op == Operation::kRead) cost = 2 + 3.0 * static_cast<double>(std::min<size_t>(items, kMaxSkusPerLookup));
  if (op == Operation::kPollOrders) cost = 2 + config_.order_page_size * (kOrderNodeCost + 5.0 * config_.order_lines_per_page);
  if (op == Operation::kOrderUpdate) cost = kFulfillmentOrdersCost;
  return bucket_.msUntil(cost);
}

std::string ShopifyConnector::inventoryItemId(const std::string& sku) const {
  std::lock_guard lock(ids_mu_);
  auto it = item_ids_.find(sku);
  return it == item_ids_.end() ? std::string() : it->second;
}

common::Result<std::vector<ChannelLevel>> ShopifyConnector::lookup(const std::vector<std::string>& skus) {
  std::vector<ChannelLevel> out;
  std::string query_text = replaceAll(kLookupQuery, "NAME", json(config_.quantity_name).dump());
  for (size_t start = 0; start < skus.size(); start += kMaxSkusPerLookup) {
    size_t end = std::min(skus.size(), start + kMaxSkusPerLookup);
    std::string search;
    for (size_t i = start; i < end; ++i) search += (i == start ? "" : " OR ") + std::string("sku:") + searchValue(skus[i]);
    json vars = {{"first", static_cast<int>(end - start)}, {"query", search}, {"locationId", config_.location_id}};
    auto j = graphql(query_text, vars, 2 + 3.0 * static_cast<double>(end - start));
    if (!j) return j.error();
    std::map<std::string, ChannelLevel> found;
    if (const json* nodes = getPath(*j, {"data", "inventoryItems", "nodes"}); nodes && nodes->is_array()) {
      for (const json& n : *nodes) {
        std::string sku = str(n, "sku");
        std::string id = str(n, "id");
        if (sku.empty() || id.empty()) continue;
        ChannelLevel level;
        level.sku = sku;
        level.found = true;
        level.channel_item_id = id;
        if (const json* qs = getPath(n, {"inventoryLevel", "quantities"}); qs && qs->is_array()) {
          for (const json& q : *qs) {
            if (str(q, "name") == config_.quantity_name) level.quantity = detail::wholeNumber(get(q, "quantity"));
          }
        }
        found[sku] = level;
      }
    }
    std::lock_guard lock(ids_mu_);
    for (size_t i = start; i < end; ++i) {
      auto it = found.find(skus[i]);
      if (it == found.end()) {
        ChannelLevel missing;
        missing.sku = skus[i];
        out.push_back(missing);
        continue;
      }
      item_ids_[skus[i]] = it->second.channel_item_id;
      out.push_back(it->second);
    }
  }
  return out;
}

// productVariantsBulkUpdate, one aliased field per product in one request: the variant's price is
// what a buyer pays now and, while a promotion runs, compareAtPrice the regular price (Shopify's
// "was" price; it has no sale dates, so the push scheduler's timers start and end the sale).
common::Result<PushResult> ShopifyConnector::pushPrices(const std::vector<PriceUpdate>& updates) {
  PushResult out;
  out.items.resize(updates.size());
  if (updates.empty()) return out;
  if (updates.size() > kMaxQuantitiesPerCall) {
    return Error::reject("batch_too_large", "Shopify takes at most 250 list inputs per call");
  }
  std::vector<std::string> unknown;
  {
    std::lock_guard lock(ids_mu_);
    for (const PriceUpdate& u : updates) {
      if (!variants_.count(u.price.sku)) unknown.push_back(u.price.sku);
    }
  }
  for (size_t start = 0; start < unknown.size(); start += kMaxSkusPerLookup) {
    size_t end = std::min(unknown.size(), start + kMaxSkusPerLookup);
    std::string search;
    for (size_t i = start; i < end; ++i) search += (i == start ? "" : " OR ") + std::string("sku:") + searchValue(unknown[i]);
    auto j = graphql(kVariantQuery, {{"first", static_cast<int>(end - start)}, {"query", search}}, 2 + 3.0 * static_cast<double>(end - start));
    if (!j) return j.error();
    if (const json* nodes = getPath(*j, {"data", "inventoryItems", "nodes"}); nodes && nodes->is_array()) {
      std::lock_guard lock(ids_mu_);
      for (const json& n : *nodes) {
        std::string sku = str(n, "sku");
        std::string variant = detail::strPath(n, {"variant", "id"});
        std::string product = detail::strPath(n, {"variant", "product", "id"});
        if (!sku.empty() && !variant.empty() && !product.empty()) variants_[sku] = {variant, product};
      }
    }
  }
  std::map<std::string, std::vector<size_t>> by_product;
  std::map<std::string, std::string> variant_of;  // sku -> variant gid
  for (size_t i = 0; i < updates.size(); ++i) {
    ItemResult& r = out.items[i];
    r.sku = updates[i].price.sku;
    std::lock_guard lock(ids_mu_);
    auto it = variants_.find(r.sku);
    if (it == variants_.end()) {
      r.outcome = ItemOutcome::kNotListed;
      r.code = "unknown_sku";
      r.message = "no Shopify variant has SKU " + r.sku;
      continue;
    }
    by_product[it->second.product].push_back(i);
    variant_of[r.sku] = it->second.variant;
  }
  if (by_product.empty()) return out;
  std::string decl, body;
  json vars = json::object();
  std::vector<std::pair<std::string, std::vector<size_t>>> fields;
  for (const auto& [product, idx] : by_product) {
    std::string n = std::to_string(fields.size());
    decl += std::string(decl.empty() ? "" : ", ") + "$p" + n + ": ID!, $v" + n + ": [ProductVariantsBulkInput!]!";
    body += "  p" + n + ": productVariantsBulkUpdate(productId: $p" + n + ", variants: $v" + n +
            ") { productVariants { id price compareAtPrice } userErrors { code field message } }\n";
    json variants = json::array();
    for (size_t i : idx) {
      const ChannelPrice& p = updates[i].price;
      variants.push_back({{"id", variant_of[p.sku]},
                          {"price", p.current().toString()},
                          {"compareAtPrice", p.sale ? json(p.regular.toString()) : json(nullptr)}});
    }
    vars["p" + n] = product;
    vars["v" + n] = std::move(variants);
    fields.emplace_back("p" + n, idx);
  }
  std::string query = "mutation StockwirePrices(" + decl + ") {\n" + body + "}";
  auto j = graphql(query, vars, kMutationCost * static_cast<double>(fields.size()));
  if (!j) return j.error();
  for (const auto& [alias, idx] : fields) {
    const json* payload = getPath(*j, {"data", alias});
    std::map<std::string, const json*> shown;  // variant gid -> what the answer shows
    if (const json* pv = payload ? get(*payload, "productVariants") : nullptr; pv && pv->is_array()) {
      for (const json& v : *pv) shown[str(v, "id")] = &v;
    }
    std::string error_code, error_message;
    bool product_gone = false;
    if (const json* errs = payload ? get(*payload, "userErrors") : nullptr; errs && errs->is_array() && !errs->empty()) {
      error_code = str(errs->at(0), "code");
      error_message = str(errs->at(0), "message");
      product_gone = error_code == "PRODUCT_DOES_NOT_EXIST";
    }
    for (size_t i : idx) {
      ItemResult& r = out.items[i];
      const ChannelPrice& p = updates[i].price;
      auto it = shown.find(variant_of[p.sku]);
      if (it != shown.end()) {
        auto price = Decimal::parse(str(*it->second, "price"));
        const json* cmp = get(*it->second, "compareAtPrice");
        bool cmp_ok = p.sale ? (cmp && cmp->is_string() && Decimal::parse(cmp->get<std::string>()) &&
                                *Decimal::parse(cmp->get<std::string>()) == p.regular)
                             : (!cmp || cmp->is_null());
        if (price && *price == p.current() && cmp_ok) {
          r.outcome = ItemOutcome::kApplied;
          continue;
        }
        r.outcome = ItemOutcome::kRetry;
        r.code = "not_applied";
        r.message = "the variant answered with price " + str(*it->second, "price");
        continue;
      }
      if (error_code.empty()) {
        r.outcome = ItemOutcome::kRetry;
        r.code = "no_entry";
        r.message = "the answer does not show this variant";
        continue;
      }
      // All or nothing without allowPartialUpdates: one bad variant refuses its product's others.
      r.code = error_code;
      r.message = error_message;
      r.outcome = product_gone || error_code == "PRODUCT_VARIANT_DOES_NOT_EXIST" ? ItemOutcome::kNotListed : ItemOutcome::kRejected;
      if (r.outcome == ItemOutcome::kNotListed) {
        std::lock_guard lock(ids_mu_);
        variants_.erase(p.sku);
      }
    }
  }
  return out;
}

common::Result<std::vector<ChannelLevel>> ShopifyConnector::readQuantities(const std::vector<std::string>& skus) {
  return lookup(skus);
}

common::Result<PushResult> ShopifyConnector::setOnce(const std::vector<QuantityUpdate>& updates,
                                                     const std::vector<std::string>& ids, const std::string& key) {
  json quantities = json::array();
  for (size_t i = 0; i < updates.size(); ++i) {
    json q = {{"inventoryItemId", ids[i]}, {"locationId", config_.location_id}, {"quantity", updates[i].quantity}};
    q["changeFromQuantity"] = updates[i].expected_previous ? json(*updates[i].expected_previous) : json(nullptr);
    quantities.push_back(std::move(q));
  }
  json input = {{"name", config_.quantity_name},
                {"reason", config_.reason},
                {"referenceDocumentUri", config_.reference_prefix + key},
                {"quantities", std::move(quantities)}};
  std::string mutation = replaceAll(kSetMutation, "KEY", json(key).dump());
  auto j = graphql(mutation, json{{"input", std::move(input)}}, kMutationCost);
  if (!j) return j.error();
  const json* payload = getPath(*j, {"data", "inventorySetQuantities"});
  if (!payload) return Error::retry("bad_response", "Shopify: inventorySetQuantities returned nothing");
  PushResult out;
  for (const QuantityUpdate& u : updates) {
    ItemResult r;
    r.sku = u.sku;
    r.outcome = ItemOutcome::kApplied;
    r.channel_quantity = u.quantity;
    out.items.push_back(std::move(r));
  }
  const json* errors = get(*payload, "userErrors");
  if (!errors || !errors->is_array() || errors->empty()) return out;
  // The mutation is all-or-nothing: nothing was applied. Items with their own error get it;
  // the rest are marked kRetry with code "batch_failed" for the caller (or our split) to resend.
  std::vector<bool> own(updates.size(), false);
  for (ItemResult& r : out.items) {
    r.outcome = ItemOutcome::kRetry;
    r.code = "batch_failed";
    r.message = "not applied: another item in the same mutation failed";
    r.channel_quantity.reset();
  }
  for (const json& e : *errors) {
    std::string code = str(e, "code");
    std::string message = str(e, "message");
    int idx = itemIndex(e.is_object() && e.contains("field") ? e["field"] : json());
    auto apply = [&](size_t i) {
      ItemResult& r = out.items[i];
      own[i] = true;
      r.code = code.empty() ? "user_error" : code;
      r.message = message;
      if (code == "CHANGE_FROM_QUANTITY_STALE" || code == "COMPARE_QUANTITY_STALE") {
        r.outcome = ItemOutcome::kStale;
      } else if (code == "IDEMPOTENCY_CONCURRENT_REQUEST") {
        r.outcome = ItemOutcome::kRetry;
        r.retry_after_ms = 1000;
      } else {
        r.outcome = ItemOutcome::kRejected;
        if (code == "INVALID_INVENTORY_ITEM") {
          // The inventory item went away: the SKU is no longer listed (a read looks it up again).
          r.outcome = ItemOutcome::kNotListed;
          std::lock_guard lock(ids_mu_);
          item_ids_.erase(r.sku);
        }
      }
    };
    if (idx >= 0 && static_cast<size_t>(idx) < updates.size()) {
      apply(static_cast<size_t>(idx));
    } else {
      for (size_t i = 0; i < updates.size(); ++i) apply(i);
    }
  }
  return out;
}

common::Result<PushResult> ShopifyConnector::pushQuantities(const std::vector<QuantityUpdate>& updates) {
  if (updates.empty()) return PushResult{};
  if (updates.size() > kMaxQuantitiesPerCall) {
    return Error::reject("batch_too_large", "Shopify takes at most 250 quantities per call, got " + std::to_string(updates.size()));
  }
  // Map SKUs to inventory items, looking up the ones not seen before.
  std::vector<std::string> unknown;
  for (const QuantityUpdate& u : updates) {
    if (inventoryItemId(u.sku).empty()) unknown.push_back(u.sku);
  }
  if (!unknown.empty()) {
    auto looked = lookup(unknown);
    if (!looked) return looked.error();
  }
  PushResult out;
  out.items.resize(updates.size());
  std::vector<size_t> send_idx;
  std::vector<QuantityUpdate> send;
  std::vector<std::string> ids;
  std::vector<std::string> key_parts;
  for (size_t i = 0; i < updates.size(); ++i) {
    const QuantityUpdate& u = updates[i];
    out.items[i].sku = u.sku;
    std::string id = inventoryItemId(u.sku);
    if (id.empty()) {
      out.items[i].outcome = ItemOutcome::kNotListed;
      out.items[i].code = "unknown_sku";
      out.items[i].message = "no Shopify inventory item has SKU " + u.sku;
      continue;
    }
    if (u.quantity < 0) {
      out.items[i].outcome = ItemOutcome::kRejected;
      out.items[i].code = "bad_quantity";
      out.items[i].message = "quantity must not be negative";
      continue;
    }
    send_idx.push_back(i);
    send.push_back(u);
    ids.push_back(id);
    key_parts.push_back(u.sku + "=" + std::to_string(u.quantity) + "/" +
                        (u.idempotency_key.empty() ? common::newUuid() : u.idempotency_key));
  }
  if (send.empty()) return out;
  std::string key = send.size() == 1 && !send[0].idempotency_key.empty() ? send[0].idempotency_key : detail::derivedKey(key_parts);
  auto first = setOnce(send, ids, key);
  if (!first) return first.error();
  // Send the innocent bystanders of a failed all-or-nothing mutation once more, on their own.
  std::vector<size_t> again;
  for (size_t k = 0; k < send.size(); ++k) {
    if (first->items[k].outcome == ItemOutcome::kRetry && first->items[k].code == "batch_failed") again.push_back(k);
  }
  if (!again.empty() && again.size() < send.size()) {
    std::vector<QuantityUpdate> send2;
    std::vector<std::string> ids2;
    for (size_t k : again) {
      send2.push_back(send[k]);
      ids2.push_back(ids[k]);
    }
    auto second = setOnce(send2, ids2, detail::derivedKey({key, "rest"}));
    if (second) {
      for (size_t n = 0; n < again.size(); ++n) first->items[again[n]] = second->items[n];
    } else {
      for (size_t k : again) {
        first->items[k].code = second.error().code;
        first->items[k].message = second.error().message;
      }
    }
  }
  for (size_t k = 0; k < send.size(); ++k) out.items[send_idx[k]] = first->items[k];
  return out;
}

common::Result<OrderPage> ShopifyConnector::pollOrders(const OrderCursor& cursor) {
  std::string since = cursor.updated_since;
  if (since.empty()) since = detail::formatIsoMs(clock_.nowMs() - config_.order_lookback_ms);
  json vars = {{"first", config_.order_page_size},
               {"query", "updated_at:>='" + since + "'"},
               {"lines", config_.order_lines_per_page}};
  vars["after"] = cursor.page_token.empty() ? json(nullptr) : json(cursor.page_token);
  auto j = graphql(kOrdersQuery, vars, 2 + config_.order_page_size * (kOrderNodeCost + 5.0 * config_.order_lines_per_page));
  if (!j) return j.error();
  const json* conn = getPath(*j, {"data", "orders"});
  if (!conn) return Error::retry("bad_response", "Shopify: orders returned nothing");
  OrderPage page;
  std::string max_updated = since;
  auto max_ms = detail::parseIsoMs(since).value_or(0);
  if (const json* nodes = get(*conn, "nodes"); nodes && nodes->is_array()) {
    for (const json& n : *nodes) {
      json wrapped = {{"data", {{"order", n}}}};
      auto orders = decodeShopify(wrapped);
      if (!orders) {
        page.warnings.push_back(orders.error().toString());
        continue;
      }
      for (NormalizedOrder& o : *orders) {
        if (const json* more = getPath(n, {"lineItems", "pageInfo", "hasNextPage"}); more && more->is_boolean() && more->get<bool>()) {
          o.lines_complete = false;
          o.warnings.push_back("more line items than one page: fetch the order on its own");
        }
        if (auto ms = detail::parseIsoMs(o.updated_at); ms && *ms > max_ms) {
          max_ms = *ms;
          max_updated = o.updated_at;
        }
        page.orders.push_back(std::move(o));
      }
    }
  }
  const json* more = getPath(*conn, {"pageInfo", "hasNextPage"});
  if (more && more->is_boolean() && more->get<bool>()) {
    page.next_page_token = detail::strPath(*conn, {"pageInfo", "endCursor"});
  }
  page.next_updated_since = page.next_page_token.empty() ? max_updated : since;
  return page;
}

common::Result<std::string> ShopifyConnector::reportFulfilment(const FulfilmentReport& report) {
  if (report.order_id.empty() || report.order_id.find_first_not_of("0123456789") != std::string::npos) {
    return Error::reject("bad_order_id", "Shopify order ids are numbers, not '" + report.order_id + "'");
  }
  if (report.lines.empty()) return Error::reject("nothing_shipped", "a fulfilment needs at least one line");
  const std::string order_gid = "gid://shopify/Order/" + report.order_id;
  auto j = graphql(kFulfillmentOrdersQuery, json{{"id", order_gid}}, kFulfillmentOrdersCost);
  if (!j) return j.error();
  const json* order = getPath(*j, {"data", "order"});
  if (!order || order->is_null()) return Error::reject("unknown_order", "Shopify has no order " + report.order_id);
  // Units still to fulfil per line item, per open fulfillment order (in Shopify's order).
  struct Open {
    std::string fo_id;
    std::string fo_line_id;
    int64_t remaining = 0;
  };
  std::map<std::string, std::vector<Open>> open;  // LineItem gid -> where it can be fulfilled
  if (const json* fos = getPath(*order, {"fulfillmentOrders", "nodes"}); fos && fos->is_array()) {
    for (const json& fo : *fos) {
      std::string status = str(fo, "status");
      if (status != "OPEN" && status != "IN_PROGRESS") continue;
      const json* items = getPath(fo, {"lineItems", "nodes"});
      if (!items || !items->is_array()) continue;
      for (const json& li : *items) {
        auto remaining = detail::wholeNumber(get(li, "remainingQuantity")).value_or(0);
        std::string line_gid = detail::strPath(li, {"lineItem", "id"});
        if (remaining > 0 && !line_gid.empty()) open[line_gid].push_back({str(fo, "id"), str(li, "id"), remaining});
      }
    }
  }
  std::map<std::string, std::vector<std::pair<std::string, int64_t>>> by_fo;  // FO gid -> (FO line gid, qty)
  std::vector<std::string> fo_order;
  bool none_left = true;
  for (const FulfilmentLine& l : report.lines) {
    if (l.quantity <= 0) continue;
    const std::string line_gid = "gid://shopify/LineItem/" + l.line_id;
    int64_t need = l.quantity;
    for (Open& o : open[line_gid]) {
      int64_t take = std::min(need, o.remaining);
      if (take <= 0) continue;
      none_left = false;
      if (!by_fo.count(o.fo_id)) fo_order.push_back(o.fo_id);
      by_fo[o.fo_id].emplace_back(o.fo_line_id, take);
      o.remaining -= take;
      need -= take;
    }
    if (need > 0 && !by_fo.empty()) {
      return Error::reject("over_quantity", "Shopify order " + report.order_id + " line " + l.line_id + ": " +
                                                std::to_string(need) + " more units than are left to fulfil");
    }
  }
  if (none_left) {
    // Already fulfilled: by an earlier try of this report whose answer was lost, or by hand.
    if (const json* fs = get(*order, "fulfillments"); fs && fs->is_array()) {
      for (const json& f : *fs) {
        if (const json* ti = get(f, "trackingInfo"); ti && ti->is_array()) {
          for (const json& t : *ti) {
            if (str(t, "number") == report.tracking_number) return str(f, "id");
          }
        }
      }
    }
    return Error::reject("nothing_to_fulfil", "Shopify order " + report.order_id +
                                                  ": no open fulfillment order has these line items left to fulfil");
  }
  json by_order = json::array();
  for (const std::string& fo : fo_order) {
    json items = json::array();
    for (const auto& [id, qty] : by_fo[fo]) items.push_back({{"id", id}, {"quantity", qty}});
    by_order.push_back({{"fulfillmentOrderId", fo}, {"fulfillmentOrderLineItems", items}});
  }
  json fulfillment = {{"lineItemsByFulfillmentOrder", by_order},
                      {"trackingInfo", {{"number", report.tracking_number}, {"company", report.carrier}}},
                      {"notifyCustomer", true}};
  auto m = graphql(kFulfillmentCreate,
                   json{{"fulfillment", fulfillment}, {"message", "Shipped from " + report.ship_from}}, kMutationCost);
  if (!m) return m.error();
  const json* payload = getPath(*m, {"data", "fulfillmentCreate"});
  if (!payload || payload->is_null()) return Error::retry("bad_response", "Shopify: fulfillmentCreate returned nothing");
  const json* errors = get(*payload, "userErrors");
  if (errors && errors->is_array() && !errors->empty()) {
    return Error::reject("user_errors", "Shopify fulfillmentCreate: " + userErrorsText(errors));
  }
  std::string id = detail::strPath(*payload, {"fulfillment", "id"});
  if (id.empty()) return Error::retry("bad_response", "Shopify: fulfillmentCreate gave no fulfillment id");
  return id;
}

common::Result<std::string> ShopifyConnector::cancelOrder(const CancelRequest& request) {
  if (request.order_id.empty() || request.order_id.find_first_not_of("0123456789") != std::string::npos) {
    return Error::reject("bad_order_id", "Shopify order ids are numbers, not '" + request.order_id + "'");
  }
  const std::string order_gid = "gid://shopify/Order/" + request.order_id;
  json vars = {{"orderId", order_gid},
               {"reason", "INVENTORY"},
               {"restock", false},
               {"refund", true},
               {"notifyCustomer", true},
               {"staffNote", request.reason.substr(0, 255)}};
  auto m = graphql(kOrderCancel, vars, kMutationCost);
  if (!m) return m.error();
  const json* payload = getPath(*m, {"data", "orderCancel"});
  if (!payload || payload->is_null()) return Error::retry("bad_response", "Shopify: orderCancel returned nothing");
  std::string errors = userErrorsText(get(*payload, "orderCancelUserErrors"));
  if (errors.empty()) errors = userErrorsText(get(*payload, "userErrors"));
  if (!errors.empty()) {
    // Cancelled already (an earlier try whose answer was lost, or by hand)? Then it is done.
    auto q = graphql("query StockwireCancelled($id: ID!) { order(id: $id) { id cancelledAt } }", json{{"id", order_gid}}, 1);
    if (q) {
      const json* at = getPath(*q, {"data", "order", "cancelledAt"});
      if (at && at->is_string()) return std::string("cancelled at ") + at->get<std::string>();
    }
    return Error::reject("user_errors", "Shopify orderCancel: " + errors);
  }
  std::string job = detail::strPath(*payload, {"job", "id"});
  return job.empty() ? std::string("cancel requested") : job;
}

}  // namespace sw::coordinator::channels
