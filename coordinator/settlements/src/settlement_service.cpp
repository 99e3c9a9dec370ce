#include "sw/coordinator/settlements/settlement_service.h"

#include <optional>
#include <regex>

namespace sw::coordinator::settlements {

using common::Error;
using common::Result;

namespace {

// "2026-12-07" or "2026-12-07T..." -> that day's 00:00 UTC in ms; nullopt when it does not start so.
std::optional<int64_t> dayStartMs(const std::string& date) {
  if (date.size() < 10 || date[4] != '-' || date[7] != '-') return std::nullopt;
  int y = 0, m = 0, d = 0;
  for (int i : {0, 1, 2, 3}) {
    if (date[i] < '0' || date[i] > '9') return std::nullopt;
    y = y * 10 + (date[i] - '0');
  }
  for (int i : {5, 6}) {
    if (date[i] < '0' || date[i] > '9') return std::nullopt;
    m = m * 10 + (date[i] - '0');
  }
  for (int i : {8, 9}) {
    if (date[i] < '0' || date[i] > '9') return std::nullopt;
    d = d * 10 + (date[i] - '0');
  }
  if (m < 1 || m > 12 || d < 1 || d > 31) return std::nullopt;
  // Days from 1970-01-01 (the civil-from-days inverse, proleptic Gregorian).
  y -= m <= 2;
  const int era = (y >= 0 ? y : y - 399) / 400;
  const int yoe = y - era * 400;
  const int doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const int doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return (static_cast<int64_t>(era) * 146097 + doe - 719468) * 86'400'000;
}

bool moneyMoved(const channels::Payout& p) {
  if (p.channel == channels::ChannelKind::kWooCommerce) return false;  // order totals, not a payout
  std::string s;
  for (char c : p.status) s += static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  return s.find("fail") == std::string::npos && s.find("cancel") == std::string::npos && s != "reversed";
}

}  // namespace

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
  if (revenue_ && moneyMoved(payout)) {
    std::vector<RevenueLine> lines;
    RevenueLine base;
    base.channel = channel;
    base.order_ref = payout.payout_id;
    base.at_ms = dayStartMs(payout.date).value_or(clock_.nowMs());
    base.currency = payout.currency;
    if (payout.amount.scaled() > 0) {
      RevenueLine l = base;
      l.source = "payout:" + channel + ":" + payout.payout_id;
      l.kind = RevenueKind::kPayout;
      l.gross = payout.amount;
      lines.push_back(std::move(l));
    }
    if (m->fees.scaled() > 0) {
      RevenueLine l = base;
      l.source = "fee:" + channel + ":" + payout.payout_id;
      l.kind = RevenueKind::kFee;
      l.gross = m->fees;
      lines.push_back(std::move(l));
    }
    if (!lines.empty()) {
      if (auto r = revenue_->record(lines); !r) return r.error();
    }
  }
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
