// Amazon and eBay settlement answers (coordinator/channels/src/decode_amazon_settlement.cpp,
// decode_ebay_finances.cpp): the first byte picks what the rest is read as.
//   0 mod 5: the Amazon V2 settlement flat file (TSV) through decodeAmazonSettlementReport;
//   1 mod 5: Amazon getReports through decodeAmazonReports;
//   2 mod 5: Amazon getReportDocument through decodeAmazonReportDocument;
//   3 mod 5: eBay getPayouts through decodeEbayPayouts;
//   4 mod 5: eBay getTransactions through decodeEbayTransactions.
// Must never crash; every refusal says why; every line read has net = amount - fee, and order and
// refund lines an order id.

#include <cstdint>
#include <cstdlib>
#include <string>

#include <nlohmann/json.hpp>

#include "sw/coordinator/channels/settlement.h"

using namespace sw::coordinator::channels;

namespace {

void checkLines(const std::vector<PayoutLine>& lines) {
  for (const PayoutLine& l : lines) {
    if (l.line_id.empty() || l.currency.empty()) std::abort();
    if (l.amount.scaled() - l.fee.scaled() != l.net.scaled()) std::abort();
    if ((l.kind == PayoutLineKind::kOrder || l.kind == PayoutLineKind::kRefund) && l.order_id.empty()) std::abort();
    if (l.kind == PayoutLineKind::kRefund && l.refund_id.empty()) std::abort();
    (void)toJson(l).dump();
  }
}

template <typename R>
void checkRefusal(const R& r) {
  if (!r.ok() && r.error().message.empty()) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  std::string payload(reinterpret_cast<const char*>(data + 1), size - 1);
  switch (data[0] % 5) {
    case 0: {
      auto p = decodeAmazonSettlementReport(payload);
      checkRefusal(p);
      if (p.ok()) {
        if (p->payout_id.empty() || p->currency.size() != 3) std::abort();
        checkLines(p->lines);
        (void)toJson(*p).dump();
      }
      break;
    }
    case 1: {
      auto l = decodeAmazonReports(payload);
      checkRefusal(l);
      if (l.ok()) {
        for (const AmazonReportRef& r : l->reports) {
          if (r.report_id.empty() || (r.processing_status == "DONE" && r.document_id.empty())) std::abort();
        }
      }
      break;
    }
    case 2: {
      auto d = decodeAmazonReportDocument(payload);
      checkRefusal(d);
      if (d.ok() && d->url.empty()) std::abort();
      break;
    }
    case 3: {
      auto p = decodeEbayPayouts(payload);
      checkRefusal(p);
      if (p.ok()) {
        for (const Payout& po : p->payouts) {
          if (po.payout_id.empty() || po.currency.size() != 3) std::abort();
        }
      }
      break;
    }
    default: {
      auto t = decodeEbayTransactions(payload);
      checkRefusal(t);
      if (t.ok()) checkLines(t->lines);
      break;
    }
  }
  return 0;
}
