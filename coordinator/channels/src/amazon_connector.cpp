#include "sw/coordinator/channels/amazon_connector.h"

#include <algorithm>
#include <string_view>

#include "connector_util.h"
#include "json_read.h"
#include "sw/coordinator/channels/order_decode.h"

namespace sw::coordinator::channels {

using common::Error;
using detail::get;
using detail::getPath;
using detail::str;
using nlohmann::json;

namespace {

struct UsagePlan {
  const char* operation;
  double rate;
  double burst;
};
// The published default usage plans (spec files in shared/contracts/amazon-sp-api): only the
// starting point; x-amzn-RateLimit-Limit on each answer replaces the rate.
constexpr UsagePlan kPlans[] = {
    {"patchListingsItem", 5, 5},      {"getListingsItem", 5, 10},  {"createFeedDocument", 0.5, 15},
    {"createFeed", 0.0083, 15},       {"getFeed", 2, 15},          {"getFeedDocument", 0.0222, 10},
    {"getOrders", 0.0167, 20},        {"getOrderItems", 0.5, 30},  {"confirmShipment", 2, 10},
    {"listFinancialEvents", 0.5, 30}, {"getReports", 0.0222, 10}, {"getReportDocument", 0.0167, 15},
};

constexpr const char* kFeedContentType = "application/json; charset=UTF-8";
constexpr size_t kMaxReportBytes = 64 * 1024 * 1024;
// Issue code of a PATCH (or feed message) for a SKU the seller has no listing for ("The SKU '…'
// does not exist for this seller"), as tools/channel-sim answers it. Amazon itself may accept such
// a PATCH (it makes an incomplete listing), which is why the push scheduler reads a SKU with
// getListingsItem (404: not listed) before its first push.
constexpr std::string_view kNoSuchSkuIssue = "4000001";

std::string errorListText(const HttpResponse& r) {
  auto j = json::parse(r.body, nullptr, false);
  if (const json* errs = j.is_discarded() ? nullptr : detail::arr(j, "errors"); errs && !errs->empty()) {
    return str(errs->at(0), "code") + ": " + str(errs->at(0), "message");
  }
  return detail::snippet(r.body);
}

std::string issuesText(const json& issues, std::string* first_code) {
  std::string out;
  if (!issues.is_array()) return out;
  for (const json& i : issues) {
    if (str(i, "severity") != "ERROR") continue;
    if (first_code->empty()) *first_code = str(i, "code");
    out += (out.empty() ? "" : "; ") + str(i, "code") + " " + str(i, "message");
  }
  return out;
}

}  // namespace

AmazonConnector::AmazonConnector(AmazonConfig config, std::unique_ptr<HttpClient> http, const common::Clock& clock)
    : config_(std::move(config)), http_(std::move(http)), clock_(clock) {
  for (const UsagePlan& p : kPlans) buckets_[p.operation] = std::make_unique<TokenBucket>(clock_, p.rate, p.burst);
}

common::Result<std::unique_ptr<AmazonConnector>> AmazonConnector::create(AmazonConfig config,
                                                                         std::unique_ptr<HttpClient> http,
                                                                         const common::Clock& clock) {
  if (config.access_token.empty()) return Error::fatal("no_credentials", "Amazon access token is not set");
  if (config.seller_id.empty()) return Error::fatal("bad_config", "Amazon seller_id is not set");
  if (config.marketplace_id.empty()) return Error::fatal("bad_config", "Amazon marketplace_id is not set");
  if (config.order_page_size < 1 || config.order_page_size > 100) {
    return Error::fatal("bad_config", "Amazon order_page_size must be 1..100");
  }
  if (config.settlement_page_size < 1 || config.settlement_page_size > 10) {
    return Error::fatal("bad_config", "Amazon settlement_page_size must be 1..10");
  }
  if (config.max_batch < 1 || config.max_batch > 25'000) return Error::fatal("bad_config", "Amazon max_batch must be 1..25000");
  if (!http) return Error::fatal("bad_config", "no HTTP client");
  return std::unique_ptr<AmazonConnector>(new AmazonConnector(std::move(config), std::move(http), clock));
}

TokenBucket& AmazonConnector::bucket(const std::string& operation) const {
  std::lock_guard lock(mu_);
  auto& b = buckets_[operation];
  if (!b) b = std::make_unique<TokenBucket>(clock_, 1, 1);
  return *b;
}

common::Result<HttpResponse> AmazonConnector::call(const std::string& operation, HttpRequest request) {
  TokenBucket& b = bucket(operation);
  if (!b.tryTake()) {
    return Error::retry("rate_limited", "Amazon " + operation + ": usage plan exhausted for " +
                                            std::to_string(b.msUntilToken()) + " ms");
  }
  request.headers.emplace_back("x-amz-access-token", config_.access_token);
  request.headers.emplace_back("Accept", "application/json");
  auto r = http_->send(request);
  if (!r) return r.error();
  double rate = 0;
  if (parseRateHeader(r->header("x-amzn-RateLimit-Limit"), &rate)) b.learnRate(rate);
  if (r->status == 429) {
    b.onThrottled();
    return Error::retry("QuotaExceeded", "Amazon " + operation + ": 429 " + errorListText(*r));
  }
  return r;
}

RateState AmazonConnector::operationState(const std::string& operation) const { return bucket(operation).state(); }

RateState AmazonConnector::rateState() const { return operationState("patchListingsItem"); }

size_t AmazonConnector::pendingFeeds() const {
  std::lock_guard lock(mu_);
  return feeds_.size();
}

int64_t AmazonConnector::msUntilReady(Operation op, size_t items) const {
  switch (op) {
    case Operation::kPush:
      if (items >= config_.feed_threshold) {
        return std::max(bucket("createFeedDocument").msUntilToken(), bucket("createFeed").msUntilToken());
      }
      return bucket("patchListingsItem").msUntilToken();
    case Operation::kRead:
      return bucket("getListingsItem").msUntilToken();
    case Operation::kPollOrders:
      return bucket(pending_count_.load() == 0 ? "getOrders" : "getOrderItems").msUntilToken();
    case Operation::kOrderUpdate:
      return bucket("confirmShipment").msUntilToken();
    case Operation::kPayouts:
      return bucket("getReports").msUntilToken();
  }
  return 0;
}

common::Result<PushResult> AmazonConnector::pushQuantities(const std::vector<QuantityUpdate>& updates) {
  if (updates.empty()) return PushResult{};
  if (updates.size() > config_.max_batch) {
    return Error::reject("batch_too_large", "at most " + std::to_string(config_.max_batch) + " updates per push");
  }
  if (updates.size() >= config_.feed_threshold) return pushFeed(updates);
  return pushPatches(updates);
}

common::Result<PushResult> AmazonConnector::patchEach(const std::vector<std::string>& skus, const PatchFor& patch_for,
                                                      const OnAccepted& on_accepted) {
  PushResult out;
  bool stop = false;
  std::string stop_code;
  std::string stop_message;
  for (size_t i = 0; i < skus.size(); ++i) {
    ItemResult r;
    r.sku = skus[i];
    if (stop) {
      r.outcome = ItemOutcome::kRetry;
      r.code = stop_code;
      r.message = stop_message;
      r.retry_after_ms = bucket("patchListingsItem").msUntilToken();
      out.items.push_back(std::move(r));
      continue;
    }
    std::optional<json> patches = patch_for(i, r);
    if (!patches) {  // patch_for decided r
      out.items.push_back(std::move(r));
      continue;
    }
    HttpRequest req;
    req.method = "PATCH";
    req.target = "/listings/2021-08-01/items/" + urlEncode(config_.seller_id) + "/" + urlEncode(skus[i]) +
                 "?marketplaceIds=" + urlEncode(config_.marketplace_id) + "&issueLocale=en_US";
    req.content_type = "application/json";
    req.body = json{{"productType", config_.product_type}, {"patches", std::move(*patches)}}.dump();
    auto resp = call("patchListingsItem", req);
    if (!resp) {
      if (resp.error().kind == common::ErrorKind::kFatal) return resp.error();
      // Throttled or the network is gone: this and the rest wait.
      r.outcome = ItemOutcome::kRetry;
      r.code = resp.error().code;
      r.message = resp.error().message;
      r.retry_after_ms = bucket("patchListingsItem").msUntilToken();
      stop = true;
      stop_code = r.code;
      stop_message = "not sent: " + r.message;
      out.items.push_back(std::move(r));
      continue;
    }
    if (resp->status == 200) {
      auto j = detail::responseJson(*resp, "Amazon patchListingsItem");
      std::string status = j ? str(*j, "status") : "";
      if (status == "ACCEPTED") {
        r.outcome = ItemOutcome::kAccepted;
        r.submission_id = str(*j, "submissionId");
        r.message = "accepted; Amazon applies it asynchronously";
        on_accepted(i, r);
      } else if (status == "INVALID") {
        r.outcome = ItemOutcome::kRejected;
        r.message = issuesText(j->contains("issues") ? (*j)["issues"] : json(), &r.code);
        if (r.code.empty()) r.code = "INVALID";
        if (r.code == kNoSuchSkuIssue) r.outcome = ItemOutcome::kNotListed;
      } else {
        r.outcome = ItemOutcome::kRetry;
        r.code = "bad_response";
        r.message = "unexpected submission status '" + status + "'";
      }
    } else {
      Error e = detail::statusError(*resp, "Amazon patchListingsItem", errorListText(*resp));
      if (e.kind == common::ErrorKind::kFatal) return e;
      r.outcome = e.kind == common::ErrorKind::kRetry ? ItemOutcome::kRetry : ItemOutcome::kRejected;
      if (resp->status == 404) r.outcome = ItemOutcome::kNotListed;
      r.code = e.code;
      r.message = e.message;
    }
    out.items.push_back(std::move(r));
  }
  return out;
}

common::Result<PushResult> AmazonConnector::pushPatches(const std::vector<QuantityUpdate>& updates) {
  std::vector<std::string> skus;
  for (const QuantityUpdate& u : updates) skus.push_back(u.sku);
  auto patch_for = [&](size_t i, ItemResult& r) -> std::optional<json> {
    if (updates[i].quantity < 0) {
      r.outcome = ItemOutcome::kRejected;
      r.code = "bad_quantity";
      r.message = "quantity must not be negative";
      return std::nullopt;
    }
    json value = json::array({{{"fulfillment_channel_code", config_.fulfillment_channel_code}, {"quantity", updates[i].quantity}}});
    return json::array({{{"op", "replace"}, {"path", "/attributes/fulfillment_availability"}, {"value", value}}});
  };
  return patchEach(skus, patch_for, [&](size_t i, ItemResult& r) { r.channel_quantity = updates[i].quantity; });
}

// purchasable_offer: our_price always; discounted_price with the promotion's window while one runs
// (Amazon ends it at end_at on its own; the push scheduler also sends the offer without it then).
// A PATCH per SKU, accepted and applied later like stock.
common::Result<PushResult> AmazonConnector::pushPrices(const std::vector<PriceUpdate>& updates) {
  std::vector<std::string> skus;
  for (const PriceUpdate& u : updates) skus.push_back(u.price.sku);
  auto amount = [](const common::Decimal& d) { return json::parse(d.toString()); };  // a JSON number, as the schema has it
  auto patch_for = [&](size_t i, ItemResult& r) -> std::optional<json> {
    const ChannelPrice& p = updates[i].price;
    if (p.currency.size() != 3) {
      r.outcome = ItemOutcome::kRejected;
      r.code = "bad_currency";
      r.message = "Amazon needs an ISO 4217 currency, got '" + p.currency + "'";
      return std::nullopt;
    }
    json offer = {{"marketplace_id", config_.marketplace_id},
                  {"currency", p.currency},
                  {"our_price", json::array({{{"schedule", json::array({{{"value_with_tax", amount(p.regular)}}})}}})}};
    if (p.sale) {
      offer["discounted_price"] = json::array({{{"schedule", json::array({{{"value_with_tax", amount(*p.sale)},
                                                                            {"start_at", detail::formatIsoMs(p.sale_starts_ms)},
                                                                            {"end_at", detail::formatIsoMs(p.sale_ends_ms)}}})}}});
    }
    return json::array({{{"op", "replace"}, {"path", "/attributes/purchasable_offer"}, {"value", json::array({offer})}}});
  };
  return patchEach(skus, patch_for, [](size_t, ItemResult&) {});
}

common::Result<PushResult> AmazonConnector::pushFeed(const std::vector<QuantityUpdate>& updates) {
  json messages = json::array();
  PendingFeed feed;
  PushResult out;
  out.items.resize(updates.size());
  for (size_t i = 0; i < updates.size(); ++i) {
    const QuantityUpdate& u = updates[i];
    out.items[i].sku = u.sku;
    if (u.quantity < 0) {
      out.items[i].outcome = ItemOutcome::kRejected;
      out.items[i].code = "bad_quantity";
      out.items[i].message = "quantity must not be negative";
      continue;
    }
    feed.skus.push_back(u.sku);
    json value = json::array({{{"fulfillment_channel_code", config_.fulfillment_channel_code}, {"quantity", u.quantity}}});
    messages.push_back({{"messageId", feed.skus.size()},
                        {"sku", u.sku},
                        {"operationType", "PATCH"},
                        {"productType", config_.product_type},
                        {"patches", json::array({{{"op", "replace"},
                                                  {"path", "/attributes/fulfillment_availability"},
                                                  {"value", value}}})}});
  }
  if (messages.empty()) return out;
  json document = {{"header", {{"sellerId", config_.seller_id}, {"version", "2.0"}, {"issueLocale", "en_US"}}},
                   {"messages", std::move(messages)}};

  HttpRequest create_doc;
  create_doc.method = "POST";
  create_doc.target = "/feeds/2021-06-30/documents";
  create_doc.content_type = "application/json";
  create_doc.body = json{{"contentType", kFeedContentType}}.dump();
  auto doc = call("createFeedDocument", create_doc);
  if (!doc) return doc.error();
  if (doc->status != 201 && doc->status != 200) return detail::statusError(*doc, "Amazon createFeedDocument", errorListText(*doc));
  auto doc_json = detail::responseJson(*doc, "Amazon createFeedDocument");
  if (!doc_json) return doc_json.error();
  std::string document_id = str(*doc_json, "feedDocumentId");
  std::string url = str(*doc_json, "url");
  if (document_id.empty() || url.empty()) return Error::retry("bad_response", "createFeedDocument gave no feedDocumentId/url");

  // The pre-signed URL carries its own authorisation: no access token on this request.
  HttpRequest upload;
  upload.method = "PUT";
  upload.target = url;
  upload.content_type = kFeedContentType;
  upload.body = document.dump();
  auto up = http_->send(upload);
  if (!up) return up.error();
  if (up->status < 200 || up->status > 299) return detail::statusError(*up, "Amazon feed upload");

  HttpRequest create_feed;
  create_feed.method = "POST";
  create_feed.target = "/feeds/2021-06-30/feeds";
  create_feed.content_type = "application/json";
  create_feed.body = json{{"feedType", "JSON_LISTINGS_FEED"},
                          {"marketplaceIds", json::array({config_.marketplace_id})},
                          {"inputFeedDocumentId", document_id}}
                         .dump();
  auto created = call("createFeed", create_feed);
  if (!created) return created.error();
  if (created->status != 202) return detail::statusError(*created, "Amazon createFeed", errorListText(*created));
  auto created_json = detail::responseJson(*created, "Amazon createFeed");
  if (!created_json) return created_json.error();
  feed.feed_id = str(*created_json, "feedId");
  if (feed.feed_id.empty()) return Error::retry("bad_response", "createFeed gave no feedId");
  for (ItemResult& r : out.items) {
    if (r.code.empty()) {
      r.outcome = ItemOutcome::kAccepted;
      r.submission_id = feed.feed_id;
      r.message = "in feed " + feed.feed_id;
    }
  }
  std::lock_guard lock(mu_);
  feeds_.push_back(std::move(feed));
  return out;
}

common::Result<std::vector<ItemResult>> AmazonConnector::feedResults(const PendingFeed& feed,
                                                                     const std::string& document_id) {
  HttpRequest get_doc;
  get_doc.target = "/feeds/2021-06-30/documents/" + urlEncode(document_id);
  auto doc = call("getFeedDocument", get_doc);
  if (!doc) return doc.error();
  if (doc->status != 200) return detail::statusError(*doc, "Amazon getFeedDocument", errorListText(*doc));
  auto doc_json = detail::responseJson(*doc, "Amazon getFeedDocument");
  if (!doc_json) return doc_json.error();
  HttpRequest download;
  download.target = str(*doc_json, "url");
  if (download.target.empty()) return Error::retry("bad_response", "getFeedDocument gave no url");
  auto report = http_->send(download);
  if (!report) return report.error();
  if (report->status != 200) return detail::statusError(*report, "Amazon report download");
  std::string body = std::move(report->body);
  if (str(*doc_json, "compressionAlgorithm") == "GZIP") {
    auto plain = detail::gunzip(body, kMaxReportBytes);
    if (!plain) return plain.error();
    body = std::move(*plain);
  }
  auto j = json::parse(body, nullptr, false);
  if (j.is_discarded()) return Error::retry("bad_response", "processing report is not JSON");
  std::vector<ItemResult> out;
  for (size_t i = 0; i < feed.skus.size(); ++i) {
    ItemResult r;
    r.sku = feed.skus[i];
    r.outcome = ItemOutcome::kApplied;
    r.submission_id = feed.feed_id;
    out.push_back(std::move(r));
  }
  if (const json* issues = detail::arr(j, "issues")) {
    for (const json& issue : *issues) {
      auto mid = detail::wholeNumber(get(issue, "messageId"));
      if (!mid || *mid < 1 || static_cast<size_t>(*mid) > out.size()) continue;
      if (str(issue, "severity") != "ERROR") continue;
      ItemResult& r = out[static_cast<size_t>(*mid) - 1];
      r.outcome = str(issue, "code") == kNoSuchSkuIssue && r.outcome != ItemOutcome::kRejected ? ItemOutcome::kNotListed
                                                                                                  : ItemOutcome::kRejected;
      if (r.code.empty()) r.code = str(issue, "code");
      r.message += (r.message.empty() ? "" : "; ") + str(issue, "message");
    }
  }
  return out;
}

common::Result<std::vector<ItemResult>> AmazonConnector::collectAccepted() {
  std::vector<PendingFeed> feeds;
  {
    std::lock_guard lock(mu_);
    feeds.assign(feeds_.begin(), feeds_.end());
  }
  std::vector<ItemResult> out;
  std::vector<std::string> finished;
  for (const PendingFeed& feed : feeds) {
    HttpRequest req;
    req.target = "/feeds/2021-06-30/feeds/" + urlEncode(feed.feed_id);
    auto r = call("getFeed", req);
    if (!r) {
      if (r.error().kind == common::ErrorKind::kFatal || out.empty()) return r.error();
      break;
    }
    if (r->status != 200) return detail::statusError(*r, "Amazon getFeed", errorListText(*r));
    auto j = detail::responseJson(*r, "Amazon getFeed");
    if (!j) return j.error();
    std::string status = str(*j, "processingStatus");
    if (status == "DONE") {
      auto results = feedResults(feed, str(*j, "resultFeedDocumentId"));
      if (!results) return results.error();
      out.insert(out.end(), results->begin(), results->end());
      finished.push_back(feed.feed_id);
    } else if (status == "FATAL" || status == "CANCELLED") {
      for (const std::string& sku : feed.skus) {
        ItemResult ir;
        ir.sku = sku;
        ir.outcome = ItemOutcome::kRetry;
        ir.code = "feed_" + status;
        ir.message = "feed " + feed.feed_id + " ended " + status + ": send again";
        ir.submission_id = feed.feed_id;
        out.push_back(std::move(ir));
      }
      finished.push_back(feed.feed_id);
    }
  }
  std::lock_guard lock(mu_);
  for (const std::string& id : finished) {
    feeds_.erase(std::remove_if(feeds_.begin(), feeds_.end(), [&](const PendingFeed& f) { return f.feed_id == id; }),
                 feeds_.end());
  }
  return out;
}

common::Result<std::vector<ChannelLevel>> AmazonConnector::readQuantities(const std::vector<std::string>& skus) {
  std::vector<ChannelLevel> out;
  for (const std::string& sku : skus) {
    HttpRequest req;
    req.target = "/listings/2021-08-01/items/" + urlEncode(config_.seller_id) + "/" + urlEncode(sku) +
                 "?marketplaceIds=" + urlEncode(config_.marketplace_id) + "&includedData=summaries,fulfillmentAvailability";
    auto r = call("getListingsItem", req);
    if (!r) {
      if (out.empty() || r.error().kind == common::ErrorKind::kFatal) return r.error();
      break;  // rate-limited part way: return what was read; ask again for the rest
    }
    ChannelLevel level;
    level.sku = sku;
    if (r->status == 404) {
      out.push_back(level);
      continue;
    }
    if (r->status != 200) return detail::statusError(*r, "Amazon getListingsItem", errorListText(*r));
    auto j = detail::responseJson(*r, "Amazon getListingsItem");
    if (!j) return j.error();
    level.found = true;
    if (const json* s = detail::arr(*j, "summaries"); s && !s->empty()) level.channel_item_id = str(s->at(0), "asin");
    if (const json* fa = detail::arr(*j, "fulfillmentAvailability")) {
      for (const json& f : *fa) {
        if (str(f, "fulfillmentChannelCode") == config_.fulfillment_channel_code) {
          level.quantity = detail::wholeNumber(get(f, "quantity"));
        }
      }
    }
    out.push_back(level);
  }
  return out;
}

common::Result<OrderPage> AmazonConnector::pollOrders(const OrderCursor& cursor) {
  OrderPage page;
  std::string since = cursor.updated_since;
  if (since.empty()) since = detail::formatIsoMs(clock_.nowMs() - config_.order_lookback_ms);
  if (cursor.page_token.empty() && pending_orders_.empty()) {
    next_token_.clear();
    finance_token_.clear();
    max_updated_ = since;
  }
  // 3. After the orders, the refunds posted in the lookback window (Finances v0). They are read
  // again on every sweep; each item adjustment is applied once (its OrderAdjustmentItemId).
  auto refunds = [&]() {
    pollRefunds(&page);
    if (!finance_token_.empty()) {
      page.next_page_token = "refunds";
    } else {
      page.next_updated_since = max_updated_.empty() ? since : max_updated_;
    }
    return page;
  };
  if (cursor.page_token == "refunds" && !finance_token_.empty()) return refunds();
  // 1. List orders when none are waiting for their items.
  if (pending_orders_.empty() && (cursor.page_token.empty() || !next_token_.empty())) {
    HttpRequest req;
    req.target = "/orders/v0/orders?MarketplaceIds=" + urlEncode(config_.marketplace_id);
    if (!next_token_.empty()) {
      req.target += "&NextToken=" + urlEncode(next_token_);
    } else {
      req.target += "&LastUpdatedAfter=" + urlEncode(since) + "&MaxResultsPerPage=" + std::to_string(config_.order_page_size);
    }
    auto r = call("getOrders", req);
    if (!r) return r.error();
    if (r->status != 200) return detail::statusError(*r, "Amazon getOrders", errorListText(*r));
    auto j = detail::responseJson(*r, "Amazon getOrders");
    if (!j) return j.error();
    const json* orders = getPath(*j, {"payload", "Orders"});
    if (!orders || !orders->is_array()) return Error::retry("bad_response", "getOrders answer has no payload.Orders");
    for (const json& o : *orders) pending_orders_.push_back(o);
    next_token_ = detail::strPath(*j, {"payload", "NextToken"});
  }
  // 2. Fetch the items of as many listed orders as the getOrderItems bucket allows.
  auto max_ms = detail::parseIsoMs(max_updated_).value_or(0);
  while (!pending_orders_.empty()) {
    const json& o = pending_orders_.front();
    std::string id = str(o, "AmazonOrderId");
    HttpRequest req;
    req.target = "/orders/v0/orders/" + urlEncode(id) + "/orderItems";
    auto r = call("getOrderItems", req);
    if (!r) {
      if (r.error().kind == common::ErrorKind::kFatal || page.orders.empty()) return r.error();
      break;
    }
    json items;
    if (r->status == 200) {
      auto j = detail::responseJson(*r, "Amazon getOrderItems");
      if (!j) return j.error();
      items = std::move(*j);
    } else if (r->status != 404) {
      return detail::statusError(*r, "Amazon getOrderItems", errorListText(*r));
    }
    json combined = json::array({{{"payload", o}}});
    if (!items.is_null()) combined.push_back(items);
    auto decoded = decodeAmazon(combined);
    if (!decoded) {
      page.warnings.push_back("order " + id + ": " + decoded.error().toString());
    } else {
      for (NormalizedOrder& n : *decoded) {
        if (auto ms = detail::parseIsoMs(n.updated_at); ms && *ms > max_ms) {
          max_ms = *ms;
          max_updated_ = n.updated_at;
        }
        page.orders.push_back(std::move(n));
      }
    }
    pending_orders_.pop_front();
  }
  pending_count_ = pending_orders_.size();
  if (!pending_orders_.empty()) {
    page.next_page_token = "items";
  } else if (!next_token_.empty()) {
    page.next_page_token = "next";
  } else {
    return refunds();
  }
  return page;
}

void AmazonConnector::pollRefunds(OrderPage* page) {
  HttpRequest req;
  req.target = "/finances/v0/financialEvents?MaxResultsPerPage=100";
  req.target += finance_token_.empty()
                    ? "&PostedAfter=" + urlEncode(detail::formatIsoMs(clock_.nowMs() - config_.order_lookback_ms))
                    : "&NextToken=" + urlEncode(finance_token_);
  finance_token_.clear();
  auto r = call("listFinancialEvents", req);
  // Refunds wait for the next sweep when they cannot be read now: the orders stand on their own.
  if (!r) {
    page->warnings.push_back("refunds not read: " + r.error().toString());
    return;
  }
  if (r->status != 200) {
    page->warnings.push_back("refunds not read: Amazon listFinancialEvents " + std::to_string(r->status) + " " +
                             errorListText(*r));
    return;
  }
  auto j = detail::responseJson(*r, "Amazon listFinancialEvents");
  if (!j) {
    page->warnings.push_back(j.error().toString());
    return;
  }
  const json* events = getPath(*j, {"payload", "FinancialEvents"});
  if (events && events->is_object()) {
    auto decoded = decodeAmazon(json{{"payload", {{"FinancialEvents", *events}}}});
    if (!decoded) {
      page->warnings.push_back("refunds: " + decoded.error().toString());
    } else {
      for (NormalizedOrder& n : *decoded) page->orders.push_back(std::move(n));
    }
  }
  finance_token_ = detail::strPath(*j, {"payload", "NextToken"});
}

common::Result<std::string> AmazonConnector::reportFulfilment(const FulfilmentReport& report) {
  if (report.order_id.empty()) return Error::reject("bad_order_id", "no Amazon order id");
  if (report.package_number <= 0) return Error::reject("bad_package", "packageReferenceId must be a positive number");
  json items = json::array();
  for (const FulfilmentLine& l : report.lines) {
    if (l.quantity <= 0) continue;
    if (l.line_id.empty()) return Error::reject("no_line_id", "Amazon confirmShipment names each orderItemId; a line has none");
    items.push_back({{"orderItemId", l.line_id}, {"quantity", l.quantity}});
  }
  if (items.empty()) return Error::reject("nothing_shipped", "a shipment needs at least one order item");
  int64_t shipped = report.shipped_at_ms > 0 ? report.shipped_at_ms : clock_.nowMs();
  json package = {{"packageReferenceId", std::to_string(report.package_number)},
                  {"carrierCode", report.carrier},
                  {"trackingNumber", report.tracking_number},
                  {"shipDate", detail::formatIsoMs(shipped)},
                  {"orderItems", items}};
  // carrierName is required when carrierCode is "Other".
  if (report.carrier == "Other") package["carrierName"] = "Stockwire " + report.ship_from;
  HttpRequest req;
  req.method = "POST";
  req.target = "/orders/v0/orders/" + urlEncode(report.order_id) + "/shipmentConfirmation";
  req.body = json{{"marketplaceId", config_.marketplace_id}, {"packageDetail", package}}.dump();
  req.content_type = "application/json";
  auto r = call("confirmShipment", req);
  if (!r) return r.error();
  if (r->status != 204) return detail::statusError(*r, "Amazon confirmShipment", errorListText(*r));
  return std::string("package ") + std::to_string(report.package_number);
}

common::Result<std::string> AmazonConnector::cancelOrder(const CancelRequest& request) {
  return Error::reject("not_supported", "Amazon order " + request.order_id +
                                            ": Orders v0 has no cancel operation (updateShipmentStatus knows only "
                                            "ReadyForPickup/PickedUp/RefusedPickup); cancel it in Seller Central");
}

}  // namespace sw::coordinator::channels
