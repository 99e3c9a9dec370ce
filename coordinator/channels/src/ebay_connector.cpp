#include "sw/coordinator/channels/ebay_connector.h"

#include <algorithm>

#include "connector_util.h"
#include "json_read.h"
#include "sw/coordinator/channels/order_decode.h"

namespace sw::coordinator::channels {

using common::Error;
using detail::get;
using detail::str;
using nlohmann::json;

namespace {

constexpr const char* kInventory = "/sell/inventory/v1";
constexpr const char* kFulfillment = "/sell/fulfillment/v1";
constexpr int64_t kNinetyDaysMs = 90LL * 24 * 3600 * 1000;

std::string errorText(const json& errors, std::string* first_id) {
  std::string out;
  if (!errors.is_array()) return out;
  for (const json& e : errors) {
    std::string id = detail::idText(get(e, "errorId")).value_or("?");
    if (first_id->empty()) *first_id = id;
    std::string msg = str(e, "longMessage");
    if (msg.empty()) msg = str(e, "message");
    out += (out.empty() ? "" : "; ") + id + " " + msg;
  }
  return out;
}

std::string errorListText(const HttpResponse& r) {
  auto j = json::parse(r.body, nullptr, false);
  std::string id;
  if (!j.is_discarded() && j.is_object() && j.contains("errors")) return errorText(j["errors"], &id);
  return detail::snippet(r.body);
}

bool isRevisionLimit(const std::string& id, const std::string& message) {
  if (id != "25019") return false;
  std::string m = message;
  std::transform(m.begin(), m.end(), m.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return m.find("revis") != std::string::npos && (m.find("today") != std::string::npos || m.find("day") != std::string::npos);
}

}  // namespace

common::Result<std::unique_ptr<EbayConnector>> EbayConnector::create(EbayConfig config, std::unique_ptr<HttpClient> http,
                                                                     const common::Clock& clock) {
  if (config.access_token.empty()) return Error::fatal("no_credentials", "eBay access token is not set");
  if (config.order_page_size < 1 || config.order_page_size > 200) return Error::fatal("bad_config", "eBay order_page_size must be 1..200");
  if (config.payout_page_size < 1 || config.payout_page_size > 200) return Error::fatal("bad_config", "eBay payout_page_size must be 1..200");
  if (config.revisions_per_listing_per_day < 1) return Error::fatal("bad_config", "eBay revisions per day must be positive");
  if (!http) return Error::fatal("bad_config", "no HTTP client");
  return std::unique_ptr<EbayConnector>(new EbayConnector(std::move(config), std::move(http), clock));
}

common::Result<HttpResponse> EbayConnector::call(Backoff& backoff, HttpRequest request, const std::string& what) {
  if (int64_t wait = backoff.msUntilAllowed(); wait > 0) {
    return Error::retry("quota_backoff", "eBay " + what + ": waiting " + std::to_string(wait) + " ms after a 429");
  }
  request.headers.emplace_back("Authorization", "Bearer " + config_.access_token);
  request.headers.emplace_back("Accept", "application/json");
  request.headers.emplace_back("X-EBAY-C-MARKETPLACE-ID", config_.marketplace_id);
  auto r = http_->send(request);
  if (!r) return r.error();
  if (r->status == 429) {
    int64_t wait = backoff.onRefused(parseRetryAfterMs(r->header("Retry-After")));
    return Error::retry("http_429", "eBay " + what + ": call limit reached (" + errorListText(*r) + "); waiting " +
                                        std::to_string(wait) + " ms");
  }
  if (r->status < 500) backoff.onSuccess();
  return r;
}

RateState EbayConnector::rateState() const {
  RateState s;
  s.known = inventory_backoff_.refusedCount() > 0;
  s.blocked_until_ms = inventory_backoff_.blockedUntil();
  s.throttled_count = inventory_backoff_.refusedCount();
  s.source = "HTTP 429 (daily call limit)";
  return s;
}

int64_t EbayConnector::msUntilReady(Operation op, size_t) const {
  if (op == Operation::kPayouts) return finances_backoff_.msUntilAllowed();
  return op == Operation::kPollOrders || op == Operation::kOrderUpdate ? fulfillment_backoff_.msUntilAllowed()
                                                                       : inventory_backoff_.msUntilAllowed();
}

common::Result<std::vector<EbayConnector::Offer>> EbayConnector::offers(const std::string& sku, bool refresh) {
  {
    std::lock_guard lock(mu_);
    auto it = offers_.find(sku);
    if (it != offers_.end() && !refresh) return it->second;
  }
  HttpRequest req;
  req.target = std::string(kInventory) + "/offer?sku=" + urlEncode(sku) + "&marketplace_id=" + urlEncode(config_.marketplace_id);
  auto r = call(inventory_backoff_, req, "getOffers");
  if (!r) return r.error();
  std::vector<Offer> out;
  if (r->status == 200) {
    auto j = detail::responseJson(*r, "eBay getOffers");
    if (!j) return j.error();
    if (const json* list = detail::arr(*j, "offers")) {
      for (const json& o : *list) {
        Offer offer;
        offer.offer_id = str(o, "offerId");
        offer.available = detail::wholeNumber(get(o, "availableQuantity"));
        offer.published = str(o, "status") == "PUBLISHED";
        if (!offer.offer_id.empty()) out.push_back(std::move(offer));
      }
    }
  } else if (r->status != 404 && r->status != 400) {
    return detail::statusError(*r, "eBay getOffers", errorListText(*r));
  }
  std::lock_guard lock(mu_);
  offers_[sku] = out;
  return out;
}

common::Result<PushResult> EbayConnector::bulkUpdate(const std::vector<std::string>& skus, const EntryFor& entry_for,
                                                     const OnApplied& on_applied) {
  if (skus.empty()) return PushResult{};
  if (skus.size() > kMaxPerCall) {
    return Error::reject("batch_too_large", "eBay takes at most 25 SKUs per bulk_update_price_quantity");
  }
  PushResult out;
  out.items.resize(skus.size());
  json requests = json::array();
  std::vector<size_t> sent;
  for (size_t i = 0; i < skus.size(); ++i) {
    ItemResult& r = out.items[i];
    r.sku = skus[i];
    auto offer_list = offers(skus[i], false);
    if (!offer_list) {
      if (offer_list.error().kind == common::ErrorKind::kFatal) return offer_list.error();
      r.outcome = ItemOutcome::kRetry;
      r.code = offer_list.error().code;
      r.message = offer_list.error().message;
      continue;
    }
    std::optional<json> entry = entry_for(i, *offer_list, r);
    if (!entry) continue;  // entry_for decided r
    if (!budget_.tryUse(skus[i])) {
      r.outcome = ItemOutcome::kRetry;
      r.code = "revision_budget";
      r.message = "this listing has used its " + std::to_string(config_.revisions_per_listing_per_day) + " revisions today";
      r.retry_after_ms = budget_.msUntilReset();
      continue;
    }
    (*entry)["sku"] = skus[i];
    requests.push_back(std::move(*entry));
    sent.push_back(i);
  }
  if (sent.empty()) return out;
  HttpRequest req;
  req.method = "POST";
  req.target = std::string(kInventory) + "/bulk_update_price_quantity";
  req.content_type = "application/json";
  req.headers.emplace_back("Content-Language", config_.content_language);
  req.body = json{{"requests", std::move(requests)}}.dump();
  auto resp = call(inventory_backoff_, req, "bulkUpdatePriceQuantity");
  if (!resp) return resp.error();
  if (resp->status != 200 && resp->status != 207) {
    return detail::statusError(*resp, "eBay bulkUpdatePriceQuantity", errorListText(*resp));
  }
  auto j = detail::responseJson(*resp, "eBay bulkUpdatePriceQuantity");
  if (!j) return j.error();
  // Every entry for a SKU (one per offer, or one for the item) must be 200 for the SKU to count.
  std::map<std::string, std::vector<const json*>> by_sku;
  if (const json* responses = detail::arr(*j, "responses")) {
    for (const json& e : *responses) by_sku[str(e, "sku")].push_back(&e);
  }
  for (size_t i : sent) {
    ItemResult& r = out.items[i];
    auto it = by_sku.find(r.sku);
    if (it == by_sku.end()) {
      r.outcome = resp->status == 200 ? ItemOutcome::kApplied : ItemOutcome::kRetry;
      if (r.outcome == ItemOutcome::kRetry) {
        r.code = "no_entry";
        r.message = "the 207 answer has no entry for this SKU";
      } else {
        on_applied(i, r);
      }
      continue;
    }
    r.outcome = ItemOutcome::kApplied;
    on_applied(i, r);
    for (const json* e : it->second) {
      auto status = detail::wholeNumber(get(*e, "statusCode")).value_or(0);
      if (status == 200) continue;
      std::string id;
      std::string text = get(*e, "errors") ? errorText((*e)["errors"], &id) : "";
      r.channel_quantity.reset();
      r.code = id.empty() ? "status_" + std::to_string(status) : id;
      r.message = text.empty() ? "statusCode " + std::to_string(status) : text;
      if (isRevisionLimit(id, text)) {
        budget_.markExhausted(r.sku);
        r.outcome = ItemOutcome::kRetry;
        r.retry_after_ms = budget_.msUntilReset();
      } else if (id == "25001" || id == "25025" || status >= 500) {
        r.outcome = ItemOutcome::kRetry;
      } else {
        // 25702: eBay has no inventory item with this SKU, i.e. it is not listed there.
        r.outcome = id == "25702" ? ItemOutcome::kNotListed : ItemOutcome::kRejected;
        if (id == "25713" || id == "25702") {
          // An offer went away, or the SKU was not listed (its empty offer list is cached):
          // look them up again next time, so a listing made later gets its offers set too.
          std::lock_guard lock(mu_);
          offers_.erase(r.sku);
        }
      }
      break;
    }
  }
  return out;
}

common::Result<PushResult> EbayConnector::pushQuantities(const std::vector<QuantityUpdate>& updates) {
  std::vector<std::string> skus;
  for (const QuantityUpdate& u : updates) skus.push_back(u.sku);
  auto entry_for = [&](size_t i, const std::vector<Offer>& offer_list, ItemResult& r) -> std::optional<json> {
    const QuantityUpdate& u = updates[i];
    if (u.quantity < 0) {
      r.outcome = ItemOutcome::kRejected;
      r.code = "bad_quantity";
      r.message = "quantity must not be negative";
      return std::nullopt;
    }
    json entry = {{"shipToLocationAvailability", {{"quantity", u.quantity}}}};
    if (!offer_list.empty()) {
      json offers_json = json::array();
      for (const Offer& o : offer_list) offers_json.push_back({{"offerId", o.offer_id}, {"availableQuantity", u.quantity}});
      entry["offers"] = std::move(offers_json);
    }
    return entry;
  };
  return bulkUpdate(skus, entry_for, [&](size_t i, ItemResult& r) { r.channel_quantity = updates[i].quantity; });
}

// eBay's offer price is one price: bulk_update_price_quantity has no sale price or dates (markdown
// sales are the Marketing API's), so a running promotion's price is sent as the offer price and
// the regular price again when it ends (the push scheduler's timers do both).
common::Result<PushResult> EbayConnector::pushPrices(const std::vector<PriceUpdate>& updates) {
  std::vector<std::string> skus;
  for (const PriceUpdate& u : updates) skus.push_back(u.price.sku);
  auto entry_for = [&](size_t i, const std::vector<Offer>& offer_list, ItemResult& r) -> std::optional<json> {
    const ChannelPrice& p = updates[i].price;
    if (offer_list.empty()) {
      r.outcome = ItemOutcome::kNotListed;  // no offer: nothing is priced on eBay
      r.code = "no_offer";
      r.message = "eBay has no offer for " + p.sku;
      return std::nullopt;
    }
    if (p.currency.size() != 3) {
      r.outcome = ItemOutcome::kRejected;
      r.code = "bad_currency";
      r.message = "eBay needs an ISO 4217 currency, got '" + p.currency + "'";
      return std::nullopt;
    }
    json offers_json = json::array();
    for (const Offer& o : offer_list) {
      offers_json.push_back({{"offerId", o.offer_id}, {"price", {{"value", p.current().toString()}, {"currency", p.currency}}}});
    }
    return json{{"offers", std::move(offers_json)}};
  };
  return bulkUpdate(skus, entry_for, [](size_t, ItemResult&) {});
}

common::Result<std::vector<ChannelLevel>> EbayConnector::readQuantities(const std::vector<std::string>& skus) {
  std::vector<ChannelLevel> out;
  for (const std::string& sku : skus) {
    HttpRequest req;
    req.target = std::string(kInventory) + "/inventory_item/" + urlEncode(sku);
    auto r = call(inventory_backoff_, req, "getInventoryItem");
    if (!r) {
      if (out.empty() || r.error().kind == common::ErrorKind::kFatal) return r.error();
      break;
    }
    ChannelLevel level;
    level.sku = sku;
    if (r->status == 404 || r->status == 400) {
      out.push_back(level);
      continue;
    }
    if (r->status != 200) return detail::statusError(*r, "eBay getInventoryItem", errorListText(*r));
    auto j = detail::responseJson(*r, "eBay getInventoryItem");
    if (!j) return j.error();
    level.found = true;
    level.channel_item_id = sku;
    level.quantity = detail::wholeNumber(detail::getPath(*j, {"availability", "shipToLocationAvailability", "quantity"}));
    auto offer_list = offers(sku, true);
    if (!offer_list) return offer_list.error();
    for (const Offer& o : *offer_list) {
      if (!o.published || !o.available) continue;
      level.channel_item_id = o.offer_id;
      level.quantity = level.quantity ? std::min(*level.quantity, *o.available) : *o.available;
    }
    out.push_back(level);
  }
  return out;
}

common::Result<OrderPage> EbayConnector::pollOrders(const OrderCursor& cursor) {
  std::string since = cursor.updated_since;
  int64_t oldest = clock_.nowMs() - kNinetyDaysMs + 3'600'000;  // eBay looks back 90 days at most
  auto since_ms = detail::parseIsoMs(since);
  if (since.empty() || !since_ms) {
    since = detail::formatIsoMs(std::max(oldest, clock_.nowMs() - config_.order_lookback_ms));
  } else if (*since_ms < oldest) {
    since = detail::formatIsoMs(oldest);
  }
  int64_t offset = 0;
  if (!cursor.page_token.empty()) {
    json t = cursor.page_token;
    offset = detail::wholeNumber(&t).value_or(0);
  }
  HttpRequest req;
  req.target = std::string(kFulfillment) + "/order?filter=" + urlEncode("lastmodifieddate:[" + since + "..]") +
               "&limit=" + std::to_string(config_.order_page_size) + "&offset=" + std::to_string(offset);
  auto r = call(fulfillment_backoff_, req, "getOrders");
  if (!r) return r.error();
  if (r->status != 200) return detail::statusError(*r, "eBay getOrders", errorListText(*r));
  auto j = detail::responseJson(*r, "eBay getOrders");
  if (!j) return j.error();
  OrderPage page;
  if (cursor.page_token.empty() || sweep_max_.empty()) sweep_max_ = since;
  auto max_ms = detail::parseIsoMs(sweep_max_).value_or(0);
  size_t n = 0;
  if (const json* orders = detail::arr(*j, "orders")) {
    for (const json& o : *orders) {
      ++n;
      auto decoded = decodeEbay(o);
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
  }
  if (!str(*j, "next").empty() && n > 0) {
    page.next_page_token = std::to_string(offset + static_cast<int64_t>(n));
  } else {
    page.next_updated_since = sweep_max_;
  }
  return page;
}

common::Result<std::string> EbayConnector::reportFulfilment(const FulfilmentReport& report) {
  if (report.order_id.empty()) return Error::reject("bad_order_id", "no eBay order id");
  json items = json::array();
  for (const FulfilmentLine& l : report.lines) {
    if (l.quantity <= 0) continue;
    if (l.line_id.empty()) return Error::reject("no_line_id", "eBay fulfilments name each lineItemId; a line has none");
    items.push_back({{"lineItemId", l.line_id}, {"quantity", l.quantity}});
  }
  if (items.empty()) return Error::reject("nothing_shipped", "a fulfilment needs at least one line");
  HttpRequest req;
  req.method = "POST";
  req.target = std::string(kFulfillment) + "/order/" + urlEncode(report.order_id) + "/shipping_fulfillment";
  int64_t shipped = report.shipped_at_ms > 0 ? report.shipped_at_ms : clock_.nowMs();
  req.body = json{{"lineItems", items},
                  {"shippedDate", detail::formatIsoMs(shipped)},
                  {"shippingCarrierCode", report.carrier},
                  {"trackingNumber", report.tracking_number}}
                 .dump();
  req.content_type = "application/json";
  auto r = call(fulfillment_backoff_, req, "createShippingFulfillment");
  if (!r) return r.error();
  if (r->status != 201) return detail::statusError(*r, "eBay createShippingFulfillment", errorListText(*r));
  // Location: {ENV}/sell/fulfillment/v1/order/{ORDERID}/shipping_fulfillment/{FULFILLMENTID}
  std::string location = r->header("Location");
  auto slash = location.rfind('/');
  std::string id = slash == std::string::npos ? location : location.substr(slash + 1);
  if (id.empty()) return Error::retry("bad_response", "eBay createShippingFulfillment: 201 without a Location");
  return id;
}

common::Result<std::string> EbayConnector::cancelOrder(const CancelRequest& request) {
  return Error::reject("not_supported", "eBay order " + request.order_id +
                                            ": the Fulfillment API v1 has no seller cancel (only issue_refund); "
                                            "cancel it in Seller Hub");
}

}  // namespace sw::coordinator::channels
