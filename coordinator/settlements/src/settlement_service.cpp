#include "sw/coordinator/settlements/settlement_service.h"

#include <regex>

namespace sw::coordinator::settlements {

using common::Error;
using common::Result;

Result<PayoutMatch> SettlementService::reconcile(const channels::Payout& payout) {
  const std::string channel = channels::channelName(payout.channel);
  OrderLookup orders = [&](const std::string& order_id) -> Result<std::optional<ExpectedOrder>> {
    auto o = book_.order(channel, order_id);
    if (!o) return o.error();
    if (!*o) return std::optional<ExpectedOrder>();
    std::vector<BookRefundLine> refunds;
    for (const AppliedRefund& r : (*o)->refunds) refunds.push_back({r.refund_id, r.line_id, r.quantity});
    return std::optional<ExpectedOrder>(expectedFrom(order_id, (*o)->normalized, refunds));
  };
  RefundPaidElsewhere paid = [&](const std::string& order_id, const std::string& refund_id) {
    return store_.refundPaid(channel, order_id, refund_id, payout.payout_id);
  };
  auto m = matchPayout(payout, orders, paid);
  if (!m) return m.error();
  if (auto s = store_.save(payout, *m, clock_.nowMs()); !s) return s.error();
  return m;
}

Result<FetchReport> SettlementService::fetch(const std::string& channel, const std::string& date_min) {
  static const std::regex kDate(R"(\d{4}-\d{2}-\d{2})");
  if (!date_min.empty() && !std::regex_match(date_min, kDate)) {
    return Error::reject("bad_param", "date_min must be YYYY-MM-DD, not '" + date_min + "'");
  }
  auto conn = registry_.connector(channel);
  if (!conn) return Error::reject("unknown_channel", "no enabled channel '" + channel + "' in the channels config");
  std::lock_guard lock(fetch_mu_);
  FetchReport report;
  report.channel = channel;
  channels::PayoutCursor cursor{date_min, ""};
  for (int n = 0; n < kMaxPages; ++n) {
    auto page = conn->fetchPayouts(cursor);
    if (!page) return page.error();
    report.pages++;
    for (const channels::Payout& p : page->payouts) {
      auto m = reconcile(p);
      if (!m) return m.error();
      (m->matched() ? report.matched : report.mismatched).push_back(p.payout_id);
      report.findings += static_cast<int64_t>(m->findings.size());
    }
    if (page->next_page_token.empty()) break;
    cursor.page_token = page->next_page_token;
  }
  return report;
}

}  // namespace sw::coordinator::settlements
