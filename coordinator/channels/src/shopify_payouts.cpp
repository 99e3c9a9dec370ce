// Shopify Payments payouts through the Admin REST API (shopify_connector.h, "payouts"):
//   GET /admin/api/{version}/shopify_payments/payouts.json?date_min=YYYY-MM-DD&limit=N
//   GET /admin/api/{version}/shopify_payments/balance/transactions.json?payout_id=ID&limit=250
// both paged by the Link header's rel="next" page_info (with page_info only limit may be sent).
// Payouts have no GraphQL cost: REST calls have their own limit (a leaky bucket of requests,
// shown in X-Shopify-Shop-Api-Call-Limit "used/max"; 429 with Retry-After when over it).

#include <charconv>

#include "connector_util.h"
#include "json_read.h"
#include "sw/coordinator/channels/shopify_connector.h"

namespace sw::coordinator::channels {

using common::Error;
using common::Result;

namespace {

constexpr int kTransactionsPerPage = 250;  // the REST maximum for limit
constexpr int kMaxTransactionPages = 400;  // 100,000 lines (kMaxPayoutLines) per payout at most
constexpr int64_t kRestLeakMs = 500;       // the REST bucket leaks 2 requests a second (standard plans)

// "39/40" -> true when the bucket is full.
bool callLimitFull(const std::string& header) {
  size_t slash = header.find('/');
  if (slash == std::string::npos) return false;
  int used = 0, max = 0;
  auto a = std::from_chars(header.data(), header.data() + slash, used);
  auto b = std::from_chars(header.data() + slash + 1, header.data() + header.size(), max);
  return a.ec == std::errc() && b.ec == std::errc() && max > 0 && used >= max;
}

}  // namespace

Result<HttpResponse> ShopifyConnector::restGet(const std::string& target, const std::string& what) {
  if (int64_t wait = rest_.msUntilAllowed(); wait > 0) {
    return Error::retry("throttled", what + ": REST calls held for " + std::to_string(wait) + " ms after a 429");
  }
  HttpRequest req;
  req.method = "GET";
  req.target = "/admin/api/" + config_.api_version + "/" + target;
  req.headers = {{"X-Shopify-Access-Token", config_.access_token}, {"Accept", "application/json"}};
  auto r = http_->send(req);
  if (!r) return r.error();
  if (r->status == 429) {
    int64_t wait = rest_.onRefused(parseRetryAfterMs(r->header("Retry-After")));
    return Error::retry("throttled", what + ": HTTP 429 (REST limit), held for " + std::to_string(wait) + " ms");
  }
  if (r->status != 200) return detail::statusError(*r, what);
  rest_.onSuccess();
  if (callLimitFull(r->header("X-Shopify-Shop-Api-Call-Limit"))) rest_.onRefused(kRestLeakMs);
  return r;
}

Result<PayoutPage> ShopifyConnector::fetchPayouts(const PayoutCursor& cursor) {
  const std::string limit = "limit=" + std::to_string(config_.payout_page_size);
  std::string target = "shopify_payments/payouts.json?" + limit;
  if (!cursor.page_token.empty()) {
    target += "&page_info=" + urlEncode(cursor.page_token);
  } else {
    std::string since = cursor.date_min;
    if (since.empty()) since = detail::formatIsoMs(clock_.nowMs() - config_.payout_lookback_days * 86'400'000).substr(0, 10);
    target += "&date_min=" + urlEncode(since);
  }
  auto r = restGet(target, "Shopify payouts");
  if (!r) return r.error();
  auto payouts = decodeShopifyPayouts(r->body);
  if (!payouts) return payouts.error();
  PayoutPage page;
  page.next_page_token = shopifyNextPageInfo(r->header("Link"));
  for (Payout& p : *payouts) {
    std::string info;
    for (int n = 0;; ++n) {
      if (n == kMaxTransactionPages) {
        return Error::reject("too_many_lines", "Shopify payout " + p.payout_id + " has more than " +
                                                   std::to_string(kMaxPayoutLines) + " transactions");
      }
      std::string t = "shopify_payments/balance/transactions.json?limit=" + std::to_string(kTransactionsPerPage);
      t += info.empty() ? "&payout_id=" + urlEncode(p.payout_id) : "&page_info=" + urlEncode(info);
      auto tr = restGet(t, "Shopify balance transactions of payout " + p.payout_id);
      if (!tr) return tr.error();
      auto lines = decodeShopifyBalanceTransactions(tr->body);
      if (!lines) return lines.error();
      for (PayoutLine& l : *lines) p.lines.push_back(std::move(l));
      info = shopifyNextPageInfo(tr->header("Link"));
      if (info.empty()) break;
    }
    page.payouts.push_back(std::move(p));
  }
  return page;
}

}  // namespace sw::coordinator::channels
