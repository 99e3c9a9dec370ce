// eBay payouts through the Finances API v1 (ebay_connector.h, "payouts"; shapes and sources in
// settlement.h):
//   GET {finances}/sell/finances/v1/payout?filter=payoutDate:%5B<since>..%5D&limit=N&offset=O
//   GET {finances}/sell/finances/v1/transaction?filter=payoutId:%7B<id>%7D&limit=200&offset=O
// Filter brackets and braces are percent-encoded, as for the Fulfillment API. A 429 (daily call
// limit) blocks the Finances calls only (their own backoff).

#include <charconv>

#include "connector_util.h"
#include "json_read.h"
#include "sw/coordinator/channels/ebay_connector.h"
#include "sw/coordinator/channels/settlement.h"

namespace sw::coordinator::channels {

using common::Error;
using common::Result;

namespace {
constexpr int kTransactionsPerPage = 200;  // getTransactions' largest limit
constexpr int64_t kMaxTransactionPages = static_cast<int64_t>(kMaxPayoutLines) / kTransactionsPerPage;
}  // namespace

Result<PayoutPage> EbayConnector::fetchPayouts(const PayoutCursor& cursor) {
  const std::string base = config_.finances_base_url + "/sell/finances/v1/";
  int64_t offset = 0;
  if (!cursor.page_token.empty()) {
    const std::string& t = cursor.page_token;
    auto [end, ec] = std::from_chars(t.data(), t.data() + t.size(), offset);
    if (ec != std::errc() || end != t.data() + t.size() || offset < 0) {
      return Error::reject("bad_cursor", "eBay payouts: page token '" + t + "' is not an offset");
    }
  }
  std::string since = cursor.date_min;
  if (since.empty()) since = detail::formatIsoMs(clock_.nowMs() - config_.payout_lookback_days * 86'400'000).substr(0, 10);
  HttpRequest req;
  req.target = base + "payout?filter=" + urlEncode("payoutDate:[" + since + "T00:00:00.000Z..]") +
               "&limit=" + std::to_string(config_.payout_page_size) + "&offset=" + std::to_string(offset);
  auto r = call(finances_backoff_, req, "getPayouts");
  if (!r) return r.error();
  if (r->status != 200) return detail::statusError(*r, "eBay getPayouts");
  auto payouts = decodeEbayPayouts(r->body);
  if (!payouts) return payouts.error();
  PayoutPage page;
  if (payouts->page.has_next) page.next_page_token = std::to_string(offset + static_cast<int64_t>(payouts->payouts.size()));
  for (Payout& p : payouts->payouts) {
    for (int64_t n = 0, at = 0;; ++n) {
      if (n == kMaxTransactionPages) {
        return Error::reject("too_many_lines", "eBay payout " + p.payout_id + " has more than " +
                                                   std::to_string(kMaxPayoutLines) + " transactions");
      }
      HttpRequest t;
      t.target = base + "transaction?filter=" + urlEncode("payoutId:{" + p.payout_id + "}") +
                 "&limit=" + std::to_string(kTransactionsPerPage) + "&offset=" + std::to_string(at);
      auto tr = call(finances_backoff_, t, "getTransactions of payout " + p.payout_id);
      if (!tr) return tr.error();
      if (tr->status != 200) return detail::statusError(*tr, "eBay getTransactions of payout " + p.payout_id);
      auto lines = decodeEbayTransactions(tr->body);
      if (!lines) return lines.error();
      at += static_cast<int64_t>(lines->lines.size());
      for (PayoutLine& l : lines->lines) p.lines.push_back(std::move(l));
      if (!lines->page.has_next || lines->lines.empty()) break;
    }
    page.payouts.push_back(std::move(p));
  }
  return page;
}

}  // namespace sw::coordinator::channels
