#include "sw/coordinator/channels/walmart_connector.h"

#include <algorithm>
#include <set>

#include "connector_util.h"
#include "json_read.h"
#include "sw/common/uuid.h"
#include "sw/coordinator/channels/order_decode.h"

namespace sw::coordinator::channels {

using common::Error;
using detail::get;
using detail::getPath;
using detail::str;
using nlohmann::json;

namespace {

constexpr const char* kFeedBoundary = "----stockwire-walmart-feed";
constexpr int64_t kFeedPageLimit = 50;  // GET /v3/feeds/{feedId} limit is at most 50
constexpr int64_t kReleasedWindowMs = 180LL * 24 * 3600 * 1000;  // Walmart keeps 180 days of orders

std::string base64(std::string_view in) {
  static const char* kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    uint32_t v = (uint32_t(uint8_t(in[i])) << 16) | (uint32_t(uint8_t(in[i + 1])) << 8) | uint8_t(in[i + 2]);
    for (int s = 18; s >= 0; s -= 6) out.push_back(kAlphabet[(v >> s) & 63]);
  }
  if (i + 1 == in.size()) {
    uint32_t v = uint32_t(uint8_t(in[i])) << 16;
    out += {kAlphabet[(v >> 18) & 63], kAlphabet[(v >> 12) & 63], '=', '='};
  } else if (i + 2 == in.size()) {
    uint32_t v = (uint32_t(uint8_t(in[i])) << 16) | (uint32_t(uint8_t(in[i + 1])) << 8);
    out += {kAlphabet[(v >> 18) & 63], kAlphabet[(v >> 12) & 63], kAlphabet[(v >> 6) & 63], '='};
  }
  return out;
}

// Walmart's {"errors":[{"code","field","description"|"message",...}]} (or {"error":[...]} as some
// gateways spell it), as "CODE: text"; the first code in *code.
std::string errorText(const HttpResponse& r, std::string* code = nullptr) {
  auto j = json::parse(r.body, nullptr, false);
  const json* errs = nullptr;
  if (!j.is_discarded()) {
    errs = detail::arr(j, "errors");
    if (!errs) errs = detail::arr(j, "error");
    if (!errs) {
      if (const json* e = get(j, "errors"); e && e->is_object()) errs = detail::arr(*e, "error");
    }
  }
  if (!errs || errs->empty()) return detail::snippet(r.body);
  std::string out;
  for (const json& e : *errs) {
    std::string c = str(e, "code");
    std::string text = str(e, "description");
    if (text.empty()) text = str(e, "message");
    if (code && code->empty()) *code = c;
    out += (out.empty() ? "" : "; ") + c + (text.empty() ? "" : ": " + text);
  }
  return out;
}

// A Decimal as a JSON number (Walmart's amounts are numbers: {"currency":"USD","amount":9.99}).
json amountJson(common::Decimal d) { return json::parse(d.toString()); }

json priceBody(const ChannelPrice& p) {
  json pricing;
  if (p.sale && *p.sale < p.regular) {
    pricing = {{"currentPriceType", "REDUCED"},
               {"currentPrice", {{"currency", p.currency}, {"amount", amountJson(*p.sale)}}},
               {"comparisonPriceType", "BASE"},
               {"comparisonPrice", {{"currency", p.currency}, {"amount", amountJson(p.regular)}}}};
  } else {
    pricing = {{"currentPriceType", "BASE"}, {"currentPrice", {{"currency", p.currency}, {"amount", amountJson(p.current())}}}};
  }
  return {{"sku", p.sku}, {"pricing", json::array({pricing})}};
}

// Carriers Walmart names in CarrierNameType.carrier; others go as otherCarrier.
bool knownCarrier(const std::string& c) {
  static const std::set<std::string> kCarriers = {"UPS", "USPS", "FedEx", "Airborne", "OnTrac", "DHL", "LS", "UDS", "UPSMI", "FDX",
                                                  "PILOT", "ESTES", "SAIA"};
  return kCarriers.count(c) > 0;
}

}  // namespace

// ---- feed status (outside input) ----------------------------------------------------------------

common::Result<WalmartFeedStatus> parseWalmartFeedStatus(const json& j) {
  if (!j.is_object()) return Error::retry("bad_response", "Walmart feed status is not a JSON object");
  WalmartFeedStatus s;
  s.feed_id = str(j, "feedId");
  s.status = str(j, "feedStatus");
  if (s.status.empty()) return Error::retry("bad_response", "Walmart feed status has no feedStatus");
  auto n = [&](const char* key) { return std::max<int64_t>(0, detail::wholeNumber(get(j, key)).value_or(0)); };
  s.items_received = n("itemsReceived");
  s.items_succeeded = n("itemsSucceeded");
  s.items_failed = n("itemsFailed");
  s.items_processing = n("itemsProcessing");
  s.offset = n("offset");
  s.limit = n("limit");
  const json* list = getPath(j, {"itemDetails", "itemIngestionStatus"});
  if (list && list->is_object()) list = nullptr;
  if (list && !list->is_array()) return Error::retry("bad_response", "itemIngestionStatus is not a list");
  if (list) {
    if (list->size() > 10'000) return Error::retry("bad_response", "itemIngestionStatus has too many entries");
    for (const json& e : *list) {
      if (!e.is_object()) continue;
      WalmartFeedItem item;
      item.sku = str(e, "sku");
      item.status = str(e, "ingestionStatus");
      const json* errs = getPath(e, {"ingestionErrors", "ingestionError"});
      if (!errs) errs = get(e, "ingestionErrors");
      if (errs && errs->is_array() && !errs->empty() && errs->at(0).is_object()) {
        item.code = str(errs->at(0), "code");
        item.message = str(errs->at(0), "description");
        if (item.message.empty()) item.message = str(errs->at(0), "message");
      }
      if (!item.sku.empty()) s.items.push_back(std::move(item));
    }
  }
  return s;
}

// ---- plumbing -----------------------------------------------------------------------------------

common::Result<std::unique_ptr<WalmartConnector>> WalmartConnector::create(WalmartConfig config,
                                                                           std::unique_ptr<HttpClient> http,
                                                                           const common::Clock& clock) {
  if (config.client_id.empty() || config.client_secret.empty()) {
    return Error::fatal("no_credentials", "Walmart client_id and client_secret are not set");
  }
  if (config.service_name.empty()) return Error::fatal("bad_config", "Walmart service_name (WM_SVC.NAME) is empty");
  if (config.order_page_size < 1 || config.order_page_size > 200) {
    return Error::fatal("bad_config", "Walmart order_page_size must be 1..200");
  }
  if (config.max_batch < 1 || config.max_batch > 10'000) return Error::fatal("bad_config", "Walmart max_batch must be 1..10000");
  if (config.feed_threshold < 1) return Error::fatal("bad_config", "Walmart feed_threshold must be at least 1");
  if (!http) return Error::fatal("bad_config", "no HTTP client");
  return std::unique_ptr<WalmartConnector>(new WalmartConnector(std::move(config), std::move(http), clock));
}

WalmartQuota& WalmartConnector::quota(const std::string& api) const {
  std::lock_guard lock(mu_);
  auto& q = quotas_[api];
  if (!q) q = std::make_unique<WalmartQuota>(clock_);
  return *q;
}

RateState WalmartConnector::apiState(const std::string& api) const { return quota(api).state(); }

RateState WalmartConnector::rateState() const { return apiState("updateInventory"); }

size_t WalmartConnector::pendingFeeds() const {
  std::lock_guard lock(mu_);
  return feeds_.size();
}

int64_t WalmartConnector::tokenRenewals() const {
  std::lock_guard lock(mu_);
  return token_renewals_;
}

int64_t WalmartConnector::msUntilReady(Operation op, size_t items) const {
  int64_t token = quota("token").msUntilAllowed();
  switch (op) {
    case Operation::kPush:
      return std::max(token, quota(items >= config_.feed_threshold ? "feeds" : "updateInventory").msUntilAllowed());
    case Operation::kRead:
      return std::max(token, quota("getInventory").msUntilAllowed());
    case Operation::kPollOrders:
      return std::max({token, quota("releasedOrders").msUntilAllowed(), quota("orders").msUntilAllowed()});
    case Operation::kOrderUpdate:
      return std::max(token, quota("orderUpdate").msUntilAllowed());
    case Operation::kPayouts:
      return 0;  // fetchPayouts is not done for Walmart (it answers not_supported without a call)
  }
  return 0;
}

common::Status WalmartConnector::ensureToken() {
  {
    std::lock_guard lock(mu_);
    if (!token_.empty() && clock_.monoMs() < token_expires_mono_ - config_.token_margin_ms) return {};
  }
  WalmartQuota& q = quota("token");
  if (int64_t wait = q.msUntilAllowed(); wait > 0) {
    return Error::retry("rate_limited", "Walmart token: waiting " + std::to_string(wait) + " ms for the allotment");
  }
  HttpRequest req;
  req.method = "POST";
  req.target = "/v3/token";
  req.content_type = "application/x-www-form-urlencoded";
  req.body = "grant_type=client_credentials";
  req.headers.emplace_back("Authorization", "Basic " + base64(config_.client_id + ":" + config_.client_secret));
  req.headers.emplace_back("Accept", "application/json");
  req.headers.emplace_back("WM_QOS.CORRELATION_ID", common::newUuid());
  req.headers.emplace_back("WM_SVC.NAME", config_.service_name);
  if (!config_.channel_type.empty()) req.headers.emplace_back("WM_CONSUMER.CHANNEL.TYPE", config_.channel_type);
  q.onCall();
  int64_t asked_at = clock_.monoMs();
  auto r = http_->send(req);
  if (!r) return r.error();
  q.observe(r->header("X-Current-Token-Count"), r->header("X-Next-Replenishment-Time"));
  if (r->status == 429) {
    q.onThrottled(r->header("X-Next-Replenishment-Time"));
    return Error::retry("http_429", "Walmart token: throttled: " + errorText(*r));
  }
  if (r->status == 400 || r->status == 401 || r->status == 403) {
    return Error::fatal("http_" + std::to_string(r->status),
                        "Walmart token: HTTP " + std::to_string(r->status) + ": " + errorText(*r) + " (check client_id/client_secret)");
  }
  if (r->status != 200) return detail::statusError(*r, "Walmart token", errorText(*r));
  auto j = detail::responseJson(*r, "Walmart token");
  if (!j) return j.error();
  std::string token = str(*j, "access_token");
  if (token.empty()) token = str(*j, "accessToken");
  auto life_s = detail::wholeNumber(get(*j, "expires_in"));
  if (!life_s) life_s = detail::wholeNumber(get(*j, "expiresIn"));
  if (token.empty()) return Error::retry("bad_response", "Walmart token: answer has no access_token");
  int64_t life_ms = std::clamp<int64_t>(life_s.value_or(900), 1, 86'400) * 1000;
  std::lock_guard lock(mu_);
  token_ = token;
  // Measured from when it was asked for: the token's life started no later than that.
  token_expires_mono_ = asked_at + life_ms;
  ++token_renewals_;
  return {};
}

common::Result<HttpResponse> WalmartConnector::send(const std::string& api, const HttpRequest& request) {
  if (auto s = ensureToken(); !s) return s.error();
  HttpRequest req = request;
  std::string token;
  {
    std::lock_guard lock(mu_);
    token = token_;
  }
  req.headers.emplace_back("WM_SEC.ACCESS_TOKEN", token);
  req.headers.emplace_back("Authorization", "Basic " + base64(config_.client_id + ":" + config_.client_secret));
  req.headers.emplace_back("WM_QOS.CORRELATION_ID", common::newUuid());  // one per request, retries included
  req.headers.emplace_back("WM_SVC.NAME", config_.service_name);
  req.headers.emplace_back("Accept", "application/json");
  if (!config_.channel_type.empty()) req.headers.emplace_back("WM_CONSUMER.CHANNEL.TYPE", config_.channel_type);
  WalmartQuota& q = quota(api);
  q.onCall();
  auto r = http_->send(req);
  if (!r) return r.error();
  q.observe(r->header("X-Current-Token-Count"), r->header("X-Next-Replenishment-Time"));
  return r;
}

common::Result<HttpResponse> WalmartConnector::call(const std::string& api, HttpRequest request) {
  if (int64_t wait = quota(api).msUntilAllowed(); wait > 0) {
    return Error::retry("rate_limited", "Walmart " + api + ": allotment used up for " + std::to_string(wait) + " ms");
  }
  auto r = send(api, request);
  if (!r) return r.error();
  if (r->status == 401) {
    // The token expired or was revoked: renew it and send this call once more (a 401 was not carried out).
    {
      std::lock_guard lock(mu_);
      token_.clear();
    }
    r = send(api, request);
    if (!r) return r.error();
    if (r->status == 401) return Error::fatal("http_401", "Walmart " + api + ": a new token is refused too: " + errorText(*r));
  }
  if (r->status == 429) {
    quota(api).onThrottled(r->header("X-Next-Replenishment-Time"));
    return Error::retry("http_429", "Walmart " + api + ": throttled (" + errorText(*r) + "); waiting " +
                                        std::to_string(quota(api).msUntilAllowed()) + " ms");
  }
  return r;
}

// ---- stock --------------------------------------------------------------------------------------

common::Result<PushResult> WalmartConnector::pushQuantities(const std::vector<QuantityUpdate>& updates) {
  if (updates.empty()) return PushResult{};
  if (updates.size() > config_.max_batch) {
    return Error::reject("batch_too_large", "at most " + std::to_string(config_.max_batch) + " updates per push");
  }
  if (updates.size() >= config_.feed_threshold) return pushFeed(updates);
  return pushEach(updates);
}

common::Result<std::optional<HttpResponse>> WalmartConnector::callForItem(const std::string& api, HttpRequest request,
                                                                          bool first, ItemResult& r, bool& stop) {
  auto resp = call(api, std::move(request));
  if (resp) return std::optional<HttpResponse>(std::move(*resp));
  const bool allotment = resp.error().code == "http_429" || resp.error().code == "rate_limited";
  // Fatal, or the first SKU failing for another reason than the allotment: the whole push fails.
  if (resp.error().kind == common::ErrorKind::kFatal || (first && !allotment)) return resp.error();
  r.outcome = ItemOutcome::kRetry;
  r.code = resp.error().code;
  r.message = resp.error().message;
  r.retry_after_ms = quota(api).msUntilAllowed();
  if (allotment) stop = true;
  return std::optional<HttpResponse>();
}

void WalmartConnector::refusedItem(const HttpResponse& resp, const std::string& code, const std::string& text,
                                   ItemResult& r) {
  if (resp.status == 404) {
    r.outcome = ItemOutcome::kNotListed;
  } else if (resp.status >= 500 || resp.status == 408) {
    r.outcome = ItemOutcome::kRetry;
  } else {
    r.outcome = ItemOutcome::kRejected;
  }
  r.code = code.empty() ? "http_" + std::to_string(resp.status) : code;
  r.message = text;
}

common::Result<PushResult> WalmartConnector::pushEach(const std::vector<QuantityUpdate>& updates) {
  PushResult out;
  out.items.resize(updates.size());
  bool stop = false;
  for (size_t i = 0; i < updates.size(); ++i) {
    const QuantityUpdate& u = updates[i];
    ItemResult& r = out.items[i];
    r.sku = u.sku;
    if (u.quantity < 0) {
      r.outcome = ItemOutcome::kRejected;
      r.code = "bad_quantity";
      r.message = "quantity must not be negative";
      continue;
    }
    if (stop) {
      r.outcome = ItemOutcome::kRetry;
      r.code = "rate_limited";
      r.message = "not sent: Walmart's allotment is used up";
      r.retry_after_ms = quota("updateInventory").msUntilAllowed();
      continue;
    }
    HttpRequest req;
    req.method = "PUT";
    req.target = "/v3/inventory?sku=" + urlEncode(u.sku);
    req.content_type = "application/json";
    req.body = json{{"sku", u.sku}, {"quantity", {{"unit", "EACH"}, {"amount", u.quantity}}}}.dump();
    auto answered = callForItem("updateInventory", std::move(req), i == 0, r, stop);
    if (!answered) return answered.error();
    if (!*answered) continue;
    const HttpResponse* resp = &**answered;
    std::string code;
    std::string text = errorText(*resp, &code);
    if (resp->status == 200) {
      auto j = detail::responseJson(*resp, "Walmart updateInventory");
      r.outcome = ItemOutcome::kApplied;
      r.channel_quantity = u.quantity;
      if (j) {
        if (auto q = detail::wholeNumber(getPath(*j, {"quantity", "amount"}))) r.channel_quantity = q;
      }
    } else if (resp->status == 403) {
      return detail::statusError(*resp, "Walmart updateInventory", text);
    } else {
      refusedItem(*resp, code, text, r);
    }
  }
  return out;
}

common::Result<std::string> WalmartConnector::postFeed(const std::string& feed_type, const std::string& api,
                                                      const json& document) {
  HttpRequest req;
  req.method = "POST";
  req.target = "/v3/feeds?feedType=" + feed_type;
  req.content_type = std::string("multipart/form-data; boundary=") + kFeedBoundary;
  req.body = std::string("--") + kFeedBoundary + "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"" + feed_type +
             ".json\"\r\nContent-Type: application/json\r\n\r\n" + document.dump() + "\r\n--" + kFeedBoundary + "--\r\n";
  const std::string what = "Walmart " + feed_type + " feed";
  auto resp = call(api, req);
  if (!resp) return resp.error();
  if (resp->status == 413) {
    return Error::retry("http_413", what + ": file too large (" + std::to_string(req.body.size()) + " bytes): send fewer items per feed");
  }
  if (resp->status != 200 && resp->status != 202) return detail::statusError(*resp, what, errorText(*resp));
  auto j = detail::responseJson(*resp, what);
  if (!j) return j.error();
  std::string feed_id = str(*j, "feedId");
  if (feed_id.empty()) return Error::retry("bad_response", what + ": answer has no feedId");
  return feed_id;
}

void WalmartConnector::feedAccepted(PendingFeed feed, PushResult& out) {
  for (ItemResult& r : out.items) {
    if (r.code.empty()) {
      r.outcome = ItemOutcome::kAccepted;
      r.submission_id = feed.feed_id;
      r.reported_later = true;
      r.message = "in feed " + feed.feed_id;
    }
  }
  std::lock_guard lock(mu_);
  feeds_.push_back(std::move(feed));
}

common::Result<PushResult> WalmartConnector::pushFeed(const std::vector<QuantityUpdate>& updates) {
  PushResult out;
  out.items.resize(updates.size());
  PendingFeed feed;
  json inventory = json::array();
  for (size_t i = 0; i < updates.size(); ++i) {
    const QuantityUpdate& u = updates[i];
    out.items[i].sku = u.sku;
    if (u.quantity < 0) {
      out.items[i].outcome = ItemOutcome::kRejected;
      out.items[i].code = "bad_quantity";
      out.items[i].message = "quantity must not be negative";
      continue;
    }
    if (!feed.sent.emplace(u.sku, u.quantity).second) {
      out.items[i].outcome = ItemOutcome::kRejected;
      out.items[i].code = "duplicate_sku";
      out.items[i].message = "the SKU is twice in one push";
      continue;
    }
    inventory.push_back({{"sku", u.sku}, {"quantity", {{"unit", "EACH"}, {"amount", u.quantity}}}});
  }
  if (inventory.empty()) return out;
  json document = {{"InventoryHeader", {{"version", "1.4"}}}, {"Inventory", std::move(inventory)}};
  auto feed_id = postFeed("inventory", "feeds", document);
  if (!feed_id) return feed_id.error();
  feed.feed_id = *feed_id;
  feedAccepted(std::move(feed), out);
  return out;
}

// A price feed (spec 1.7): {"PriceHeader":{"version":"1.7"},"Price":[{"sku","pricing":[...]}]}, each
// entry the body a single PUT /v3/price would send. Walmart says a SKU twice in one feed may fail
// (which price wins is not defined), so a SKU given twice is refused here instead.
common::Result<PushResult> WalmartConnector::pushPriceFeed(const std::vector<PriceUpdate>& updates) {
  PushResult out;
  out.items.resize(updates.size());
  PendingFeed feed;
  feed.prices = true;
  json prices = json::array();
  for (size_t i = 0; i < updates.size(); ++i) {
    const ChannelPrice& p = updates[i].price;
    ItemResult& r = out.items[i];
    r.sku = p.sku;
    if (!priceUsable(p, r)) continue;
    if (!feed.sent.emplace(p.sku, p.current().scaled()).second) {
      r.outcome = ItemOutcome::kRejected;
      r.code = "duplicate_sku";
      r.message = "the SKU is twice in one price feed";
      continue;
    }
    prices.push_back(priceBody(p));
  }
  if (prices.empty()) return out;
  json document = {{"PriceHeader", {{"version", "1.7"}}}, {"Price", std::move(prices)}};
  auto feed_id = postFeed("price", "priceFeeds", document);
  if (!feed_id) return feed_id.error();
  feed.feed_id = *feed_id;
  feedAccepted(std::move(feed), out);
  return out;
}

common::Result<bool> WalmartConnector::followFeed(PendingFeed& feed) {
  HttpRequest req;
  req.target = "/v3/feeds/" + urlEncode(feed.feed_id) + "?includeDetails=true&offset=" + std::to_string(feed.next_offset) +
               "&limit=" + std::to_string(kFeedPageLimit);
  auto r = call("getFeedStatus", req);
  if (!r) return r.error();
  if (r->status != 200) return detail::statusError(*r, "Walmart feed status", errorText(*r));
  auto j = detail::responseJson(*r, "Walmart feed status");
  if (!j) return j.error();
  auto s = parseWalmartFeedStatus(*j);
  if (!s) return s.error();
  auto result = [&](const std::string& sku) {
    ItemResult ir;
    ir.sku = sku;
    ir.submission_id = feed.feed_id;
    ir.reported_later = true;
    auto it = feed.sent.find(sku);
    if (it != feed.sent.end() && !feed.prices) ir.channel_quantity = it->second;
    return ir;
  };
  if (s->status == "ERROR") {
    // The whole feed failed (its file could not be read): nothing of it was applied; send again.
    feed.results.clear();
    for (const auto& [sku, q] : feed.sent) {
      ItemResult ir = result(sku);
      ir.outcome = ItemOutcome::kRetry;
      ir.code = "feed_ERROR";
      ir.message = "feed " + feed.feed_id + " ended ERROR: send again";
      feed.results.push_back(std::move(ir));
    }
    return true;
  }
  if (s->status != "PROCESSED") return false;  // RECEIVED, INPROGRESS: look again later
  if (feed.next_offset == 0) feed.results.clear();
  size_t before = feed.results.size();
  for (const WalmartFeedItem& item : s->items) {
    if (!feed.sent.count(item.sku)) continue;
    ItemResult ir = result(item.sku);
    ir.code = item.code;
    ir.message = item.message;
    if (item.status == "SUCCESS") {
      ir.outcome = ItemOutcome::kApplied;
    } else if (item.status == "DATA_ERROR") {
      // Processed and refused: this item will not be applied however often it is sent (a dead letter).
      ir.outcome = ItemOutcome::kRejected;
      if (ir.code.empty()) ir.code = "DATA_ERROR";
      if (ir.message.empty()) ir.message = "Walmart refused this item in feed " + feed.feed_id;
    } else {
      // SYSTEM_ERROR, TIMEOUT_ERROR, INPROGRESS in a PROCESSED feed, or a status not known here: not applied.
      ir.outcome = ItemOutcome::kRetry;
      if (ir.code.empty()) ir.code = item.status.empty() ? "no_status" : item.status;
      if (ir.message.empty()) ir.message = "feed " + feed.feed_id + ": item " + item.status + ": send again";
    }
    feed.results.push_back(std::move(ir));
  }
  size_t page = s->items.size();
  feed.next_offset += static_cast<int64_t>(page);
  (void)before;
  if (page > 0 && feed.next_offset < s->items_received) return false;  // more pages of item details
  // Every item Walmart did not report on is not known to be applied: send it again.
  std::set<std::string> seen;
  for (const ItemResult& ir : feed.results) seen.insert(ir.sku);
  for (const auto& [sku, q] : feed.sent) {
    if (seen.count(sku)) continue;
    ItemResult ir = result(sku);
    ir.outcome = ItemOutcome::kRetry;
    ir.code = "no_item_status";
    ir.message = "feed " + feed.feed_id + " is PROCESSED but says nothing of this SKU: send again";
    feed.results.push_back(std::move(ir));
  }
  return true;
}

common::Result<std::vector<ItemResult>> WalmartConnector::collectAccepted() { return collectFeeds(false); }

common::Result<std::vector<ItemResult>> WalmartConnector::collectAcceptedPrices() { return collectFeeds(true); }

common::Result<std::vector<ItemResult>> WalmartConnector::collectFeeds(bool prices) {
  std::vector<ItemResult> out;
  std::deque<PendingFeed> mine;  // this kind's feeds, taken out while they are followed
  {
    std::lock_guard lock(mu_);
    for (auto it = feeds_.begin(); it != feeds_.end();) {
      if (it->prices == prices) {
        mine.push_back(std::move(*it));
        it = feeds_.erase(it);
      } else {
        ++it;
      }
    }
  }
  std::optional<Error> failed;
  while (!mine.empty()) {
    PendingFeed feed = std::move(mine.front());
    mine.pop_front();
    // A feed's item pages are read one call at a time; a call that fails leaves the feed, and every
    // feed not looked at yet, for next time.
    bool finished = false;
    while (!failed) {
      auto done = followFeed(feed);
      if (!done) {
        failed = done.error();
      } else if (*done) {
        finished = true;
      }
      if (!done || *done || feed.next_offset == 0) break;
    }
    if (finished) {
      out.insert(out.end(), feed.results.begin(), feed.results.end());
      continue;
    }
    std::lock_guard lock(mu_);
    feeds_.push_back(std::move(feed));
  }
  if (failed && (failed->kind == common::ErrorKind::kFatal || out.empty())) return *failed;
  return out;
}

common::Result<std::vector<ChannelLevel>> WalmartConnector::readQuantities(const std::vector<std::string>& skus) {
  std::vector<ChannelLevel> out;
  for (const std::string& sku : skus) {
    HttpRequest req;
    req.target = "/v3/inventory?sku=" + urlEncode(sku);
    auto r = call("getInventory", req);
    if (!r) {
      if (out.empty() || r.error().kind == common::ErrorKind::kFatal) return r.error();
      break;  // the allotment ran out part way: what was read, the rest next time
    }
    ChannelLevel level;
    level.sku = sku;
    if (r->status == 404) {
      out.push_back(level);
      continue;
    }
    if (r->status != 200) return detail::statusError(*r, "Walmart getInventory", errorText(*r));
    auto j = detail::responseJson(*r, "Walmart getInventory");
    if (!j) return j.error();
    level.found = true;
    level.channel_item_id = sku;
    level.quantity = detail::wholeNumber(getPath(*j, {"quantity", "amount"}));
    out.push_back(level);
  }
  return out;
}

// ---- prices -------------------------------------------------------------------------------------

bool WalmartConnector::priceUsable(const ChannelPrice& p, ItemResult& r) {
  if (p.currency.size() == 3) return true;
  r.outcome = ItemOutcome::kRejected;
  r.code = "bad_currency";
  r.message = "Walmart needs an ISO 4217 currency, got '" + p.currency + "'";
  return false;
}

// Below feed_threshold one PUT /v3/price per SKU (applied when answered); at or above it one price
// feed, followed to each item's result by collectAcceptedPrices(), as inventory feeds are.
common::Result<PushResult> WalmartConnector::pushPrices(const std::vector<PriceUpdate>& updates) {
  if (updates.empty()) return PushResult{};
  if (updates.size() > config_.max_batch) {
    return Error::reject("batch_too_large", "at most " + std::to_string(config_.max_batch) + " prices per push");
  }
  if (updates.size() >= config_.feed_threshold) return pushPriceFeed(updates);
  PushResult out;
  out.items.resize(updates.size());
  bool stop = false;
  for (size_t i = 0; i < updates.size(); ++i) {
    const ChannelPrice& p = updates[i].price;
    ItemResult& r = out.items[i];
    r.sku = p.sku;
    if (!priceUsable(p, r)) continue;
    if (stop) {
      r.outcome = ItemOutcome::kRetry;
      r.code = "rate_limited";
      r.message = "not sent: Walmart's price allotment is used up";
      r.retry_after_ms = quota("updatePrice").msUntilAllowed();
      continue;
    }
    HttpRequest req;
    req.method = "PUT";
    req.target = "/v3/price";
    req.content_type = "application/json";
    req.body = priceBody(p).dump();
    auto answered = callForItem("updatePrice", std::move(req), i == 0, r, stop);
    if (!answered) return answered.error();
    if (!*answered) continue;
    const HttpResponse* resp = &**answered;
    std::string code;
    std::string text = errorText(*resp, &code);
    if (resp->status == 200) {
      // ItemPriceResponse {mart, sku, message, statusCode?, errors?}: errors inside a 200 are a refusal.
      auto j = detail::responseJson(*resp, "Walmart updatePrice");
      const json* body = j ? get(*j, "ItemPriceResponse") : nullptr;
      if (!body && j) body = &*j;
      const json* errs = body ? get(*body, "errors") : nullptr;
      if (errs && ((errs->is_array() && !errs->empty()) || errs->is_object())) {
        r.outcome = ItemOutcome::kRejected;
        r.code = "price_refused";
        r.message = errs->dump().substr(0, 300);
      } else {
        r.outcome = ItemOutcome::kApplied;
      }
    } else {
      refusedItem(*resp, code, text, r);
    }
  }
  return out;
}

// ---- orders -------------------------------------------------------------------------------------

// Page tokens: "R" + Walmart's nextCursor (released orders, next page), "M" + since (the modified
// orders' first page), "N" + nextCursor (modified orders, next page).
common::Result<OrderPage> WalmartConnector::pollOrders(const OrderCursor& cursor) {
  std::string since = cursor.updated_since;
  int64_t now = clock_.nowMs();
  auto since_ms = detail::parseIsoMs(since);
  int64_t oldest = now - kReleasedWindowMs + 3'600'000;
  if (since.empty() || !since_ms) {
    since = detail::formatIsoMs(std::max(oldest, now - config_.order_lookback_ms));
  } else if (*since_ms < oldest) {
    since = detail::formatIsoMs(oldest);
  }
  const std::string& t = cursor.page_token;
  const std::string limit = std::to_string(config_.order_page_size);
  if (t.empty()) {
    std::string created = detail::formatIsoMs(std::max(oldest, now - config_.order_lookback_ms));
    return ordersPage("releasedOrders", "/v3/orders/released?createdStartDate=" + urlEncode(created) + "&limit=" + limit, true,
                      since);
  }
  if (t[0] == 'R') return ordersPage("releasedOrders", "/v3/orders/released" + t.substr(1), true, since);
  if (t[0] == 'M') {
    std::string from = t.size() > 1 ? t.substr(1) : since;
    sweep_max_ = from;
    return ordersPage("orders", "/v3/orders?lastModifiedStartDate=" + urlEncode(from) + "&limit=" + limit, false, from);
  }
  if (t[0] == 'N') return ordersPage("orders", "/v3/orders" + t.substr(1), false, since);
  return Error::reject("bad_page_token", "not a Walmart page token: " + t.substr(0, 40));
}

common::Result<OrderPage> WalmartConnector::ordersPage(const std::string& api, const std::string& target, bool acknowledge,
                                                       const std::string& since) {
  if (target.find_first_of("\r\n ") != std::string::npos) {
    return Error::reject("bad_cursor", "Walmart's nextCursor holds spaces or line breaks");
  }
  HttpRequest req;
  req.target = target;
  auto r = call(api, req);
  if (!r) return r.error();
  if (r->status == 404) {
    // Walmart answers 404 with CONTENT_NOT_FOUND when no order matches: an empty page.
    OrderPage page;
    if (acknowledge) {
      acknowledgeTaken(&page);
      page.next_page_token = "M" + since;
    } else {
      page.next_updated_since = sweep_max_.empty() ? since : sweep_max_;
    }
    return page;
  }
  if (r->status != 200) return detail::statusError(*r, "Walmart " + api, errorText(*r));
  auto j = detail::responseJson(*r, "Walmart " + api);
  if (!j) return j.error();
  OrderPage page;
  const json* list = get(*j, "list");
  const json* orders = list ? getPath(*list, {"elements", "order"}) : nullptr;
  if (orders && orders->is_object()) {
    json one = json::array({*orders});
    j->at("list")["elements"]["order"] = one;
    orders = getPath(j->at("list"), {"elements", "order"});
  }
  size_t n = 0;
  auto max_ms = detail::parseIsoMs(sweep_max_).value_or(0);
  if (orders && orders->is_array()) {
    for (const json& o : *orders) {
      ++n;
      auto decoded = decodeWalmart(o);
      if (!decoded) {
        page.warnings.push_back(decoded.error().toString());
        continue;
      }
      for (NormalizedOrder& d : *decoded) {
        if (acknowledge && d.channel_status.find("Created") != std::string::npos) to_ack_.push_back(d.order_id);
        if (!acknowledge) {
          if (auto ms = detail::parseIsoMs(d.updated_at); ms && *ms > max_ms) {
            max_ms = *ms;
            sweep_max_ = d.updated_at;
          }
        }
        page.orders.push_back(std::move(d));
      }
    }
  }
  std::string next = list ? detail::strPath(*list, {"meta", "nextCursor"}) : "";
  if (!next.empty() && next[0] != '?') next = "?" + next;
  if (!next.empty() && n > 0) {
    page.next_page_token = (acknowledge ? "R" : "N") + next;
  } else if (acknowledge) {
    acknowledgeTaken(&page);
    page.next_page_token = "M" + since;  // released orders done: now what changed since the last sweep
  } else {
    page.next_updated_since = sweep_max_.empty() ? since : sweep_max_;
  }
  return page;
}

// Acknowledged only once every released page has been read: an acknowledged order leaves the released
// list, so acknowledging while paging would shift the pages under the cursor and skip orders. One that
// is not acknowledged now (throttled, refused) stays released and is taken and acknowledged next sweep.
void WalmartConnector::acknowledgeTaken(OrderPage* page) {
  std::vector<std::string> ids = std::move(to_ack_);
  to_ack_.clear();
  std::set<std::string> done;
  for (const std::string& id : ids) {
    if (!done.insert(id).second) continue;
    HttpRequest ack;
    ack.method = "POST";
    ack.target = "/v3/orders/" + urlEncode(id) + "/acknowledge";
    auto a = call("orderUpdate", ack);
    if (!a || a->status != 200) {
      page->warnings.push_back("Walmart order " + id + " not acknowledged yet (next sweep): " +
                               (a ? "HTTP " + std::to_string(a->status) + " " + errorText(*a) : a.error().toString()));
    }
  }
}

common::Result<std::string> WalmartConnector::reportFulfilment(const FulfilmentReport& report) {
  if (report.order_id.empty()) return Error::reject("bad_order_id", "no Walmart purchase order id");
  int64_t shipped = report.shipped_at_ms > 0 ? report.shipped_at_ms : clock_.nowMs();
  json carrier = knownCarrier(report.carrier) ? json{{"carrier", report.carrier}} : json{{"otherCarrier", report.carrier}};
  json lines = json::array();
  for (const FulfilmentLine& l : report.lines) {
    if (l.quantity <= 0) continue;
    if (l.line_id.empty()) return Error::reject("no_line_id", "Walmart shipments name each lineNumber; a line has none");
    json tracking = {{"shipDateTime", shipped},
                     {"carrierName", carrier},
                     {"methodCode", "Standard"},
                     {"trackingNumber", report.tracking_number}};
    lines.push_back({{"lineNumber", l.line_id},
                     {"orderLineStatuses",
                      {{"orderLineStatus", json::array({{{"status", "Shipped"},
                                                         {"statusQuantity", {{"unitOfMeasurement", "EACH"}, {"amount", std::to_string(l.quantity)}}},
                                                         {"trackingInfo", tracking}}})}}}});
  }
  if (lines.empty()) return Error::reject("nothing_shipped", "a shipment needs at least one line");
  HttpRequest req;
  req.method = "POST";
  req.target = "/v3/orders/" + urlEncode(report.order_id) + "/shipping";
  req.content_type = "application/json";
  req.body = json{{"orderShipment", {{"orderLines", {{"orderLine", lines}}}}}}.dump();
  auto r = call("orderUpdate", req);
  if (!r) return r.error();
  if (r->status != 200) return detail::statusError(*r, "Walmart shipOrderLines", errorText(*r));
  return "shipped:" + report.order_id + (report.tracking_number.empty() ? "" : ":" + report.tracking_number);
}

common::Result<WalmartConnector::FetchedOrder> WalmartConnector::fetchOrder(const std::string& order_id) {
  HttpRequest req;
  req.target = "/v3/orders/" + urlEncode(order_id);
  auto g = call("orders", req);
  if (!g) return g.error();
  if (g->status != 200) return detail::statusError(*g, "Walmart getAnOrder", errorText(*g));
  auto gj = detail::responseJson(*g, "Walmart getAnOrder");
  if (!gj) return gj.error();
  auto decoded = decodeWalmart(*gj);
  if (!decoded) return Error::retry("bad_response", "Walmart getAnOrder: " + decoded.error().message);
  return FetchedOrder{std::move(*gj), std::move(decoded->front())};
}

common::Result<std::string> WalmartConnector::cancelOrder(const CancelRequest& request) {
  if (request.order_id.empty()) return Error::reject("bad_order_id", "no Walmart purchase order id");
  auto fetched = fetchOrder(request.order_id);
  if (!fetched) return fetched.error();
  const json& raw = fetched->raw;
  const NormalizedOrder& o = fetched->order;
  // Units still open on each line: ordered, less cancelled and shipped (what the statuses say).
  std::map<std::string, int64_t> gone;
  for (const Release& rel : o.releases) gone[rel.line_id] += rel.quantity;
  json lines = json::array();
  const json* raw_lines = getPath(raw.contains("order") ? raw.at("order") : raw, {"orderLines", "orderLine"});
  for (const OrderLine& l : o.lines) {
    int64_t shipped = 0;
    if (raw_lines && raw_lines->is_array()) {
      for (const json& rl : *raw_lines) {
        if (detail::idText(get(rl, "lineNumber")).value_or("") != l.line_id) continue;
        if (const json* sts = getPath(rl, {"orderLineStatuses", "orderLineStatus"}); sts && sts->is_array()) {
          for (const json& st : *sts) {
            std::string s = str(st, "status");
            if (s == "Shipped" || s == "Delivered") shipped += detail::wholeNumber(getPath(st, {"statusQuantity", "amount"})).value_or(0);
          }
        }
      }
    }
    int64_t open = l.quantity - gone[l.line_id] - shipped;
    if (open <= 0) continue;
    lines.push_back({{"lineNumber", l.line_id},
                     {"orderLineStatuses",
                      {{"orderLineStatus", json::array({{{"status", "Cancelled"},
                                                         {"cancellationReason", "SELLER_CANCEL_OUT_OF_STOCK"},
                                                         {"statusQuantity", {{"unitOfMeasurement", "EACH"}, {"amount", std::to_string(open)}}}}})}}}});
  }
  if (lines.empty()) return Error::reject("nothing_to_cancel", "Walmart order " + request.order_id + " has no open units left");
  HttpRequest req;
  req.method = "POST";
  req.target = "/v3/orders/" + urlEncode(request.order_id) + "/cancel";
  req.content_type = "application/json";
  req.body = json{{"orderCancellation", {{"orderLines", {{"orderLine", lines}}}}}}.dump();
  auto r = call("orderUpdate", req);
  if (!r) return r.error();
  if (r->status != 200) return detail::statusError(*r, "Walmart cancelOrderLines", errorText(*r));
  return std::string("Cancelled");
}

bool isWalmartRefundReason(const std::string& reason) {
  static const std::set<std::string> kReasons = {"BillingError",
                                                 "TaxExemptCustomer",
                                                 "ItemNotAsAdvertised",
                                                 "IncorrectItemReceived",
                                                 "CancelledYetShipped",
                                                 "ItemNotReceivedByCustomer",
                                                 "IncorrectShippingPrice",
                                                 "DamagedItem",
                                                 "DefectiveItem",
                                                 "CustomerChangedMind",
                                                 "CustomerReceivedItemLate",
                                                 "Missing Parts / Instructions",
                                                 "Finance -> Goodwill",
                                                 "Finance -> Rollback",
                                                 "Buyer canceled",
                                                 "Customer returned item",
                                                 "General adjustment",
                                                 "Merchandise not received",
                                                 "Quality -> Missing Parts / Instructions",
                                                 "Shipping & Delivery -> Damaged",
                                                 "Shipping & Delivery -> Shipping Price Discrepancy",
                                                 "Others"};
  return kReasons.count(reason) > 0;
}

// The units' price on each line, from the order as Walmart holds it: the PRODUCT charge (the line
// total) when every unit is refunded, else the unit price times the units.
common::Result<NormalizedOrder> WalmartConnector::refundOrder(const RefundRequest& request) {
  if (request.order_id.empty()) return Error::reject("bad_order_id", "no Walmart purchase order id");
  if (request.lines.empty()) return Error::reject("nothing_refunded", "a refund needs at least one line");
  const std::string reason = request.reason.empty() ? "CustomerChangedMind" : request.reason;
  if (!isWalmartRefundReason(reason)) {
    return Error::reject("bad_refund_reason", "'" + reason.substr(0, 60) + "' is not one of Walmart's refund reasons");
  }
  auto fetched = fetchOrder(request.order_id);
  if (!fetched) return fetched.error();
  const NormalizedOrder& o = fetched->order;
  std::vector<WalmartRefundLine> lines;
  std::set<std::string> seen;
  for (const RefundLine& want : request.lines) {
    auto l = std::find_if(o.lines.begin(), o.lines.end(), [&](const OrderLine& x) { return x.line_id == want.line_id; });
    if (l == o.lines.end()) return Error::reject("unknown_line", "Walmart order " + request.order_id + " has no line " + want.line_id);
    if (!seen.insert(want.line_id).second) return Error::reject("bad_refund", "line " + want.line_id + " is named twice");
    if (want.quantity <= 0 || want.quantity > l->quantity) {
      return Error::reject("bad_refund", "line " + want.line_id + " has " + std::to_string(l->quantity) + " units; cannot refund " +
                                             std::to_string(want.quantity));
    }
    WalmartRefundLine r;
    r.line_id = want.line_id;
    r.reason = reason;
    r.comment = request.note;
    if (want.quantity == l->quantity && l->line_total) {
      r.amount = *l->line_total;
    } else if (l->unit_price) {
      r.amount = {common::Decimal::fromUnits(l->unit_price->amount.scaled() * want.quantity), l->unit_price->currency};
    } else {
      return Error::reject("no_price", "Walmart order " + request.order_id + " line " + want.line_id + " has no PRODUCT charge");
    }
    lines.push_back(std::move(r));
  }
  return refundLines(request.order_id, lines);
}

common::Result<NormalizedOrder> WalmartConnector::refundLines(const std::string& order_id,
                                                              const std::vector<WalmartRefundLine>& lines) {
  if (order_id.empty()) return Error::reject("bad_order_id", "no Walmart purchase order id");
  if (lines.empty()) return Error::reject("nothing_refunded", "a refund needs at least one line");
  json out_lines = json::array();
  for (const WalmartRefundLine& l : lines) {
    if (l.line_id.empty() || l.amount.amount.scaled() <= 0 || l.amount.currency.size() != 3) {
      return Error::reject("bad_refund", "each refund line needs a lineNumber and a positive amount with its currency");
    }
    if (!isWalmartRefundReason(l.reason)) {
      return Error::reject("bad_refund_reason", "'" + l.reason.substr(0, 60) + "' is not one of Walmart's refund reasons");
    }
    json charge = {{"chargeType", "PRODUCT"},
                   {"chargeName", "Item Price"},
                   {"chargeAmount", {{"currency", l.amount.currency}, {"amount", amountJson(common::Decimal::fromUnits(-l.amount.amount.scaled()))}}}};
    out_lines.push_back({{"lineNumber", l.line_id},
                         {"isFullRefund", l.full},
                         {"refunds", {{"refund", json::array({{{"refundComments", l.comment.empty() ? l.reason : l.comment},
                                                               {"refundCharges", {{"refundCharge", json::array({{{"refundReason", l.reason},
                                                                                                                 {"charge", charge}}})}}}}})}}}});
  }
  HttpRequest req;
  req.method = "POST";
  req.target = "/v3/orders/" + urlEncode(order_id) + "/refund";
  req.content_type = "application/json";
  req.body = json{{"orderRefund", {{"purchaseOrderId", order_id}, {"orderLines", {{"orderLine", out_lines}}}}}}.dump();
  auto r = call("orderUpdate", req);
  if (!r) return r.error();
  if (r->status != 200) return detail::statusError(*r, "Walmart refundOrderLines", errorText(*r));
  auto j = detail::responseJson(*r, "Walmart refundOrderLines");
  if (!j) return j.error();
  auto decoded = decodeWalmart(*j);
  if (!decoded) return Error::retry("bad_response", "Walmart refundOrderLines: " + decoded.error().message);
  return decoded->front();
}

}  // namespace sw::coordinator::channels
