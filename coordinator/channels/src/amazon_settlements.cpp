// Amazon settlement reports through the Reports API 2021-06-30 (amazon_connector.h, "payouts";
// shapes and sources in settlement.h):
//   GET /reports/2021-06-30/reports?reportTypes=GET_V2_SETTLEMENT_REPORT_DATA_FLAT_FILE_V2
//       &processingStatuses=DONE&createdSince=ISO&pageSize=N     (later pages: ?nextToken=T alone)
//   GET /reports/2021-06-30/documents/{reportDocumentId}  -> pre-signed url (+ compressionAlgorithm)
//   GET <url>                                             -> the flat file, gzip when GZIP
// Settlement reports are scheduled by Amazon (about every two weeks per marketplace); they are
// not requested with createReport. Usage plans (reports_2021-06-30.json): getReports 0.0222/s
// burst 10, getReportDocument 0.0167/s burst 15; a page of settlement_page_size (≤ 10) reports
// stays within the document burst.

#include "connector_util.h"
#include "json_read.h"
#include "sw/coordinator/channels/amazon_connector.h"
#include "sw/coordinator/channels/gzip.h"
#include "sw/coordinator/channels/settlement.h"

namespace sw::coordinator::channels {

using common::Error;
using common::Result;

namespace {
constexpr size_t kMaxSettlementBytes = 64 * 1024 * 1024;
}  // namespace

Result<PayoutPage> AmazonConnector::fetchPayouts(const PayoutCursor& cursor) {
  HttpRequest list;
  if (!cursor.page_token.empty()) {
    list.target = "/reports/2021-06-30/reports?nextToken=" + urlEncode(cursor.page_token);
  } else {
    std::string since = cursor.date_min;
    if (since.empty()) since = detail::formatIsoMs(clock_.nowMs() - config_.payout_lookback_days * 86'400'000).substr(0, 10);
    list.target = "/reports/2021-06-30/reports?reportTypes=" + std::string(kAmazonSettlementReportType) +
                  "&processingStatuses=DONE&pageSize=" + std::to_string(config_.settlement_page_size) +
                  "&createdSince=" + urlEncode(since + "T00:00:00Z");
  }
  auto r = call("getReports", list);
  if (!r) return r.error();
  if (r->status != 200) return detail::statusError(*r, "Amazon getReports");
  auto reports = decodeAmazonReports(r->body);
  if (!reports) return reports.error();
  PayoutPage page;
  page.next_page_token = reports->next_token;
  for (const AmazonReportRef& ref : reports->reports) {
    if (ref.processing_status != "DONE" || ref.report_type != kAmazonSettlementReportType) continue;
    HttpRequest get_doc;
    get_doc.target = "/reports/2021-06-30/documents/" + urlEncode(ref.document_id);
    auto d = call("getReportDocument", get_doc);
    if (!d) return d.error();
    if (d->status != 200) return detail::statusError(*d, "Amazon getReportDocument " + ref.document_id);
    auto doc = decodeAmazonReportDocument(d->body);
    if (!doc) return doc.error();
    HttpRequest download;
    download.target = doc->url;  // pre-signed: no access token
    auto file = http_->send(download);
    if (!file) return file.error();
    if (file->status != 200) return detail::statusError(*file, "Amazon settlement report download");
    std::string body = std::move(file->body);
    if (doc->gzip) {
      auto plain = detail::gunzip(body, kMaxSettlementBytes);
      if (!plain) return plain.error();
      body = std::move(*plain);
    } else if (body.size() > kMaxSettlementBytes) {
      return Error::reject("too_large", "Amazon settlement report " + ref.report_id + " is larger than 64 MiB");
    }
    auto payout = decodeAmazonSettlementReport(body);
    if (!payout) {
      return Error::reject(payout.error().code, "report " + ref.report_id + ": " + payout.error().message);
    }
    page.payouts.push_back(std::move(*payout));
  }
  return page;
}

}  // namespace sw::coordinator::channels
