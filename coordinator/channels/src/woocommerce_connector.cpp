#include "sw/coordinator/channels/woocommerce_connector.h"
#include "sw/coordinator/channels/settlement.h"

#include <openssl/evp.h>

#include <algorithm>

#include "connector_util.h"
#include "json_read.h"
#include "sw/coordinator/channels/order_decode.h"

namespace sw::coordinator::channels {

using common::Decimal;
using common::Error;
using detail::get;
using detail::str;
using nlohmann::json;

namespace {

constexpr const char* kBase = "/wp-json/wc/v3";
constexpr size_t kSkusPerLookup = 50;
constexpr int64_t kMaxRefundPages = 10;

std::string base64(const std::string& in) {
  std::string out(4 * ((in.size() + 2) / 3) + 1, '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), reinterpret_cast<const unsigned char*>(in.data()),
                          static_cast<int>(in.size()));
  out.resize(static_cast<size_t>(n));
  return out;
}

std::string wooErrorText(const HttpResponse& r, std::string* code) {
  auto j = json::parse(r.body, nullptr, false);
  if (!j.is_discarded() && j.is_object() && j.contains("code")) {
    *code = str(j, "code");
    return *code + ": " + str(j, "message");
  }
  return detail::snippet(r.body);
}

// "Unable to accept more than 100 items for this request." -> 100
std::optional<size_t> limitFromMessage(const std::string& message) {
  auto p = message.find("more than ");
  if (p == std::string::npos) return std::nullopt;
  p += 10;
  size_t n = 0;
  size_t digits = 0;
  while (p < message.size() && message[p] >= '0' && message[p] <= '9' && digits < 6) {
    n = n * 10 + static_cast<size_t>(message[p] - '0');
    ++p;
    ++digits;
  }
  if (digits == 0 || n == 0) return std::nullopt;
  return n;
}

// WooCommerce's modified_after without a zone and with dates_are_gmt=true. WordPress compares
// whole seconds and "after" is exclusive, so ask from one second earlier: an order changed in
// the same second as the last one seen is not missed (callers dedupe on id + date_modified_gmt).
std::string wooDate(const std::string& iso) {
  auto ms = detail::parseIsoMs(iso);
  std::string s = detail::formatIsoMs(ms.value_or(0) - 1000);
  return s.substr(0, 19);
}

}  // namespace

WooCommerceConnector::WooCommerceConnector(WooCommerceConfig config, std::unique_ptr<HttpClient> http,
                                           const common::Clock& clock)
    : config_(std::move(config)),
      http_(std::move(http)),
      clock_(clock),
      auth_header_("Basic " + base64(config_.consumer_key + ":" + config_.consumer_secret)),
      batch_limit_(config_.batch_limit),
      backoff_(clock, 1'000, 300'000) {}

common::Result<std::unique_ptr<WooCommerceConnector>> WooCommerceConnector::create(WooCommerceConfig config,
                                                                                   std::unique_ptr<HttpClient> http,
                                                                                   const common::Clock& clock) {
  if (config.consumer_key.empty() || config.consumer_secret.empty()) {
    return Error::fatal("no_credentials", "WooCommerce consumer key/secret are not set");
  }
  if (config.batch_limit < 1) return Error::fatal("bad_config", "WooCommerce batch_limit must be positive");
  if (config.order_page_size < 1 || config.order_page_size > 100) {
    return Error::fatal("bad_config", "WooCommerce order_page_size must be 1..100");
  }
  if (!http) return Error::fatal("bad_config", "no HTTP client");
  return std::unique_ptr<WooCommerceConnector>(new WooCommerceConnector(std::move(config), std::move(http), clock));
}

common::Result<HttpResponse> WooCommerceConnector::call(HttpRequest request, const std::string& what) {
  if (int64_t wait = backoff_.msUntilAllowed(); wait > 0) {
    return Error::retry("backoff", "WooCommerce " + what + ": waiting " + std::to_string(wait) + " ms after a 429");
  }
  request.headers.emplace_back("Authorization", auth_header_);
  request.headers.emplace_back("Accept", "application/json");
  auto r = http_->send(request);
  if (!r) return r.error();
  if (r->status == 429) {
    int64_t wait = backoff_.onRefused(parseRetryAfterMs(r->header("Retry-After")));
    return Error::retry("http_429", "WooCommerce " + what + ": too many requests; waiting " + std::to_string(wait) + " ms");
  }
  if (r->status < 500) backoff_.onSuccess();
  return r;
}

RateState WooCommerceConnector::rateState() const {
  RateState s;
  s.known = backoff_.refusedCount() > 0;
  s.blocked_until_ms = backoff_.blockedUntil();
  s.throttled_count = backoff_.refusedCount();
  s.source = "HTTP 429 from the host (WooCommerce has no limit of its own)";
  return s;
}

int64_t WooCommerceConnector::msUntilReady(Operation, size_t) const { return backoff_.msUntilAllowed(); }

common::Result<std::map<std::string, WooCommerceConnector::Product>> WooCommerceConnector::lookup(
    const std::vector<std::string>& skus) {
  std::map<std::string, Product> out;
  for (size_t start = 0; start < skus.size(); start += kSkusPerLookup) {
    size_t end = std::min(skus.size(), start + kSkusPerLookup);
    std::string list;
    for (size_t i = start; i < end; ++i) list += (i == start ? "" : ",") + skus[i];
    HttpRequest req;
    req.target = std::string(kBase) + "/products?sku=" + urlEncode(list) + "&per_page=100";
    auto r = call(req, "list products");
    if (!r) return r.error();
    std::string code;
    if (r->status != 200) return detail::statusError(*r, "WooCommerce list products", wooErrorText(*r, &code));
    auto j = detail::responseJson(*r, "WooCommerce list products");
    if (!j) return j.error();
    if (!j->is_array()) return Error::retry("bad_response", "WooCommerce products answer is not an array");
    std::lock_guard lock(mu_);
    for (const json& p : *j) {
      std::string sku = str(p, "sku");
      auto id = detail::wholeNumber(get(p, "id"));
      if (sku.empty() || !id) continue;
      Product prod;
      prod.id = *id;
      const json* ms = get(p, "manage_stock");
      prod.manage_stock = ms && ms->is_boolean() && ms->get<bool>();
      prod.stock_quantity = detail::wholeNumber(get(p, "stock_quantity"));
      ids_[sku] = prod.id;
      out[sku] = prod;
    }
  }
  return out;
}

common::Result<PushResult> WooCommerceConnector::batchUpdate(const std::vector<std::string>& skus, const ItemFields& fields,
                                                             const JudgeProduct& judge) {
  if (skus.empty()) return PushResult{};
  if (skus.size() > batch_limit_.load()) {
    return Error::reject("batch_too_large", "WooCommerce takes at most " + std::to_string(batch_limit_.load()) +
                                                " items per batch, got " + std::to_string(skus.size()));
  }
  std::vector<std::string> unknown;
  {
    std::lock_guard lock(mu_);
    for (const std::string& sku : skus) {
      if (!ids_.count(sku)) unknown.push_back(sku);
    }
  }
  if (!unknown.empty()) {
    auto found = lookup(unknown);
    if (!found) return found.error();
  }
  PushResult out;
  out.items.resize(skus.size());
  json update = json::array();
  std::map<int64_t, size_t> by_id;
  for (size_t i = 0; i < skus.size(); ++i) {
    ItemResult& r = out.items[i];
    r.sku = skus[i];
    int64_t id = 0;
    {
      std::lock_guard lock(mu_);
      auto it = ids_.find(skus[i]);
      if (it != ids_.end()) id = it->second;
    }
    if (id == 0) {
      r.outcome = ItemOutcome::kNotListed;  // GET products?sku= found no product
      r.code = "unknown_sku";
      r.message = "no WooCommerce product has SKU " + skus[i];
      continue;
    }
    if (by_id.count(id)) {
      r.outcome = ItemOutcome::kRejected;
      r.code = "duplicate";
      r.message = "the same product twice in one batch";
      continue;
    }
    json item = fields(i);
    item["id"] = id;
    update.push_back(std::move(item));
    by_id[id] = i;
  }
  if (update.empty()) return out;
  HttpRequest req;
  req.method = "POST";
  req.target = std::string(kBase) + "/products/batch";
  req.content_type = "application/json";
  req.body = json{{"update", std::move(update)}}.dump();
  auto resp = call(req, "products/batch");
  if (!resp) return resp.error();
  std::string code;
  if (resp->status == 413) {
    std::string text = wooErrorText(*resp, &code);
    if (auto limit = limitFromMessage(text)) batch_limit_ = *limit;
    return Error::retry("batch_too_large", "WooCommerce: " + text + " (batches are now at most " +
                                               std::to_string(batch_limit_.load()) + ")");
  }
  if (resp->status != 200) return detail::statusError(*resp, "WooCommerce products/batch", wooErrorText(*resp, &code));
  auto j = detail::responseJson(*resp, "WooCommerce products/batch");
  if (!j) return j.error();
  std::vector<bool> seen(skus.size(), false);
  if (const json* list = detail::arr(*j, "update")) {
    for (const json& p : *list) {
      auto id = detail::wholeNumber(get(p, "id"));
      if (!id || !by_id.count(*id)) continue;
      size_t i = by_id[*id];
      seen[i] = true;
      ItemResult& r = out.items[i];
      if (const json* err = get(p, "error")) {
        r.code = str(*err, "code");
        r.message = str(*err, "message");
        int64_t status = detail::wholeNumber(detail::getPath(*err, {"data", "status"})).value_or(400);
        r.outcome = status >= 500 ? ItemOutcome::kRetry : ItemOutcome::kRejected;
        if (r.code == "woocommerce_rest_product_invalid_id") {
          r.outcome = ItemOutcome::kNotListed;  // the product was deleted; a read looks the SKU up again
          std::lock_guard lock(mu_);
          ids_.erase(r.sku);
        }
        continue;
      }
      judge(i, p, r);
    }
  }
  for (const auto& [id, i] : by_id) {
    if (seen[i]) continue;
    out.items[i].outcome = ItemOutcome::kRetry;
    out.items[i].code = "no_entry";
    out.items[i].message = "the batch answer has no entry for product " + std::to_string(id);
  }
  return out;
}

common::Result<PushResult> WooCommerceConnector::pushQuantities(const std::vector<QuantityUpdate>& updates) {
  std::vector<std::string> skus;
  for (const QuantityUpdate& u : updates) skus.push_back(u.sku);
  auto fields = [&](size_t i) {
    json item = {{"stock_quantity", updates[i].quantity}};
    if (config_.enable_manage_stock) item["manage_stock"] = true;
    return item;
  };
  auto judge = [&](size_t i, const json& p, ItemResult& r) {
    auto qty = detail::wholeNumber(get(p, "stock_quantity"));
    const json* ms = get(p, "manage_stock");
    bool managed = ms && ms->is_boolean() && ms->get<bool>();
    if (managed && qty && *qty == updates[i].quantity) {
      r.outcome = ItemOutcome::kApplied;
      r.channel_quantity = *qty;
    } else if (!managed) {
      r.outcome = ItemOutcome::kRejected;
      r.code = "stock_not_managed";
      r.message = "the product does not manage stock, so stock_quantity is ignored";
    } else {
      r.outcome = ItemOutcome::kRetry;
      r.code = "not_applied";
      r.message = "the product answered with stock_quantity " + (qty ? std::to_string(*qty) : std::string("null"));
      r.channel_quantity = qty;
    }
  };
  return batchUpdate(skus, fields, judge);
}

// Sale dates go in the _gmt fields ("2026-11-27T10:00:00", no zone): date_on_sale_from/_to
// without _gmt are in the shop's own time zone, which the connector does not know.
common::Result<PushResult> WooCommerceConnector::pushPrices(const std::vector<PriceUpdate>& updates) {
  std::vector<std::string> skus;
  for (const PriceUpdate& u : updates) skus.push_back(u.price.sku);
  auto gmt = [](int64_t ms) { return detail::formatIsoMs(ms).substr(0, 19); };
  auto fields = [&](size_t i) {
    const ChannelPrice& p = updates[i].price;
    json item = {{"regular_price", p.regular.toString()}};
    if (p.sale) {
      item["sale_price"] = p.sale->toString();
      item["date_on_sale_from_gmt"] = gmt(p.sale_starts_ms);
      item["date_on_sale_to_gmt"] = gmt(p.sale_ends_ms);
    } else {
      item["sale_price"] = "";  // ends a sale the product shows
      item["date_on_sale_from_gmt"] = nullptr;
      item["date_on_sale_to_gmt"] = nullptr;
    }
    return item;
  };
  auto judge = [&](size_t i, const json& prod, ItemResult& r) {
    const ChannelPrice& p = updates[i].price;
    auto regular = Decimal::parse(str(prod, "regular_price"));
    std::string sale_text = str(prod, "sale_price");
    auto sale = Decimal::parse(sale_text);
    bool sale_matches = sale_text.empty() ? !p.sale : (sale && p.sale && *sale == *p.sale);
    if (regular && *regular == p.regular && sale_matches) {
      r.outcome = ItemOutcome::kApplied;
    } else {
      r.outcome = ItemOutcome::kRetry;
      r.code = "not_applied";
      r.message = "the product answered with regular_price '" + str(prod, "regular_price") + "', sale_price '" + sale_text + "'";
    }
  };
  return batchUpdate(skus, fields, judge);
}

common::Result<std::vector<ChannelLevel>> WooCommerceConnector::readQuantities(const std::vector<std::string>& skus) {
  auto found = lookup(skus);
  if (!found) return found.error();
  std::vector<ChannelLevel> out;
  for (const std::string& sku : skus) {
    ChannelLevel level;
    level.sku = sku;
    auto it = found->find(sku);
    if (it != found->end()) {
      level.found = true;
      level.channel_item_id = std::to_string(it->second.id);
      if (it->second.manage_stock) level.quantity = it->second.stock_quantity;
    }
    out.push_back(level);
  }
  return out;
}

// GET /orders/{id}/refunds, every page: the refund resources with their line items.
common::Result<json> WooCommerceConnector::orderRefunds(const std::string& order_id) {
  json all = json::array();
  for (int64_t page_no = 1; page_no <= kMaxRefundPages; ++page_no) {
    HttpRequest req;
    req.target = std::string(kBase) + "/orders/" + order_id + "/refunds?per_page=100&page=" + std::to_string(page_no);
    auto r = call(req, "list order refunds");
    if (!r) return r.error();
    std::string code;
    if (r->status != 200) return detail::statusError(*r, "WooCommerce list order refunds", wooErrorText(*r, &code));
    auto j = detail::responseJson(*r, "WooCommerce list order refunds");
    if (!j) return j.error();
    if (!j->is_array()) return Error::retry("bad_response", "WooCommerce refunds answer is not an array");
    for (json& e : *j) all.push_back(std::move(e));
    json tp = r->header("X-WP-TotalPages");
    if (page_no >= detail::wholeNumber(&tp).value_or(1) || j->empty()) return all;
  }
  return Error::reject("too_many_refunds", "order " + order_id + " has more than " + std::to_string(kMaxRefundPages * 100) + " refunds");
}

common::Result<OrderPage> WooCommerceConnector::pollOrders(const OrderCursor& cursor) {
  std::string since = cursor.updated_since;
  if (since.empty() || !detail::parseIsoMs(since)) since = detail::formatIsoMs(clock_.nowMs() - config_.order_lookback_ms);
  int64_t page_no = 1;
  if (!cursor.page_token.empty()) {
    json t = cursor.page_token;
    page_no = std::max<int64_t>(1, detail::wholeNumber(&t).value_or(1));
  }
  if (page_no == 1 || sweep_max_.empty()) sweep_max_ = since;
  HttpRequest req;
  req.target = std::string(kBase) + "/orders?modified_after=" + urlEncode(wooDate(since)) +
               "&dates_are_gmt=true&orderby=modified&order=asc&per_page=" + std::to_string(config_.order_page_size) +
               "&page=" + std::to_string(page_no);
  auto r = call(req, "list orders");
  if (!r) return r.error();
  std::string code;
  if (r->status != 200) return detail::statusError(*r, "WooCommerce list orders", wooErrorText(*r, &code));
  auto j = detail::responseJson(*r, "WooCommerce list orders");
  if (!j) return j.error();
  if (!j->is_array()) return Error::retry("bad_response", "WooCommerce orders answer is not an array");
  OrderPage page;
  auto max_ms = detail::parseIsoMs(sweep_max_).value_or(0);
  for (const json& listed : *j) {
    // An order lists its refunds as {id, reason, total}: the refunded lines are in the refund
    // resources, read here and put in their place. A failed read fails the page (the cursor stays).
    json o = listed;
    if (const json* refunds = o.is_object() ? detail::arr(o, "refunds") : nullptr; refunds && !refunds->empty()) {
      auto id = detail::idText(detail::get(o, "id"));
      if (id) {
        auto full = orderRefunds(*id);
        if (!full) return full.error();
        o["refunds"] = std::move(*full);
      }
    }
    auto decoded = decodeWooCommerce(o);
    if (!decoded) {
      page.warnings.push_back(decoded.error().toString());
      continue;
    }
    for (NormalizedOrder& d : *decoded) {
      if (auto ms = detail::parseIsoMs(d.updated_at); ms && *ms > max_ms) {
        max_ms = *ms;
        sweep_max_ = d.updated_at;
      }
      page.orders.push_back(std::move(d));
    }
  }
  json tp = r->header("X-WP-TotalPages");
  int64_t total_pages = detail::wholeNumber(&tp).value_or(1);
  if (page_no < total_pages && !j->empty()) {
    page.next_page_token = std::to_string(page_no + 1);
  } else {
    page.next_updated_since = sweep_max_;
  }
  return page;
}

common::Result<PayoutPage> WooCommerceConnector::fetchPayouts(const PayoutCursor& cursor) {
  std::string since = cursor.date_min;
  if (since.empty()) since = detail::formatIsoMs(clock_.nowMs() - 30LL * 86'400'000).substr(0, 10);
  int64_t page_no = 1;
  if (!cursor.page_token.empty()) {
    json t = cursor.page_token;
    auto n = detail::wholeNumber(&t);
    if (!n || *n < 1) return Error::reject("bad_cursor", "WooCommerce order totals: page token '" + cursor.page_token + "' is not a page");
    page_no = *n;
  }
  HttpRequest req;
  req.target = std::string(kBase) + "/orders?after=" + urlEncode(since + "T00:00:00") +
               "&dates_are_gmt=true&orderby=date&order=asc&per_page=100&page=" + std::to_string(page_no);
  auto r = call(req, "list orders for their totals");
  if (!r) return r.error();
  std::string code;
  if (r->status != 200) return detail::statusError(*r, "WooCommerce list orders", wooErrorText(*r, &code));
  auto payouts = decodeWooCommerceOrderTotals(r->body);
  if (!payouts) return payouts.error();
  PayoutPage page;
  page.payouts = std::move(*payouts);
  json tp = r->header("X-WP-TotalPages");
  if (page_no < detail::wholeNumber(&tp).value_or(1)) page.next_page_token = std::to_string(page_no + 1);
  return page;
}

}  // namespace sw::coordinator::channels

namespace sw::coordinator::channels {

common::Result<std::string> WooCommerceConnector::reportFulfilment(const FulfilmentReport& report) {
  if (report.order_id.empty() || report.order_id.find_first_not_of("0123456789") != std::string::npos) {
    return Error::reject("bad_order_id", "WooCommerce order ids are numbers, not '" + report.order_id + "'");
  }
  std::string items;
  for (const FulfilmentLine& l : report.lines) {
    items += (items.empty() ? "" : ", ") + std::to_string(l.quantity) + " x " + l.sku;
  }
  HttpRequest note;
  note.method = "POST";
  note.target = std::string(kBase) + "/orders/" + report.order_id + "/notes";
  note.body = json{{"note", "Shipped " + items + " from " + report.ship_from + ", " + report.carrier + " tracking " +
                                report.tracking_number},
                   {"customer_note", true}}
                  .dump();
  note.content_type = "application/json";
  auto r = call(note, "add order note");
  if (!r) return r.error();
  std::string code;
  if (r->status != 201 && r->status != 200) return detail::statusError(*r, "WooCommerce add order note", wooErrorText(*r, &code));
  auto j = detail::responseJson(*r, "WooCommerce add order note");
  if (!j) return j.error();
  std::string note_id = j->contains("id") ? (*j)["id"].dump() : "";
  if (report.order_complete) {
    HttpRequest put;
    put.method = "PUT";
    put.target = std::string(kBase) + "/orders/" + report.order_id;
    put.body = json{{"status", "completed"}}.dump();
    put.content_type = "application/json";
    auto p = call(put, "complete order");
    if (!p) return p.error();
    if (p->status != 200) return detail::statusError(*p, "WooCommerce complete order", wooErrorText(*p, &code));
  }
  return note_id;
}

common::Result<std::string> WooCommerceConnector::cancelOrder(const CancelRequest& request) {
  if (request.order_id.empty() || request.order_id.find_first_not_of("0123456789") != std::string::npos) {
    return Error::reject("bad_order_id", "WooCommerce order ids are numbers, not '" + request.order_id + "'");
  }
  HttpRequest put;
  put.method = "PUT";
  put.target = std::string(kBase) + "/orders/" + request.order_id;
  put.body = json{{"status", "cancelled"}}.dump();
  put.content_type = "application/json";
  auto p = call(put, "cancel order");
  if (!p) return p.error();
  std::string code;
  if (p->status != 200) return detail::statusError(*p, "WooCommerce cancel order", wooErrorText(*p, &code));
  auto j = detail::responseJson(*p, "WooCommerce cancel order");
  if (!j) return j.error();
  std::string status = str(*j, "status");
  if (status != "cancelled") return Error::reject("not_cancelled", "WooCommerce kept order " + request.order_id + " " + status);
  HttpRequest note;
  note.method = "POST";
  note.target = std::string(kBase) + "/orders/" + request.order_id + "/notes";
  note.body = json{{"note", "Cancelled by Stockwire: " + request.reason}, {"customer_note", false}}.dump();
  note.content_type = "application/json";
  (void)call(note, "add order note");  // for the shop's staff; the cancellation stands without it
  return status;
}

}  // namespace sw::coordinator::channels
