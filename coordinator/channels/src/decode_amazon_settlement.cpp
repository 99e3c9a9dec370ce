// Readers of Amazon's settlement answers (settlement.h): the Reports API's report list and report
// document, and the V2 settlement flat file itself (tab-separated text). Outside input: every
// field is checked before anything is kept, and a file that does not fit is refused whole.

#include <map>

#include <nlohmann/json.hpp>

#include "json_read.h"
#include "settlement_read.h"
#include "sw/coordinator/channels/order_decode.h"
#include "sw/coordinator/channels/settlement.h"

namespace sw::coordinator::channels {

using common::Decimal;
using common::Error;
using common::Result;
using detail::bad;
using detail::idField;
using detail::listOf;
using detail::textField;
using nlohmann::json;

Result<AmazonReportList> decodeAmazonReports(std::string_view body) {
  auto j = parseOutsideJson(body);
  if (!j) return j.error();
  auto list = listOf(*j, "reports");
  if (!list) return list.error();
  AmazonReportList out;
  for (const json& r : **list) {
    if (!r.is_object()) return bad("report", "each report must be an object");
    AmazonReportRef ref;
    auto id = idField(r, "reportId", "report", true);
    if (!id) return id.error();
    ref.report_id = *id;
    const std::string what = "report " + ref.report_id;
    auto type = textField(r, "reportType", what, 100);
    auto status = textField(r, "processingStatus", what, 20);
    auto doc = textField(r, "reportDocumentId", what, 200);
    auto end = textField(r, "dataEndTime", what, 40);
    if (!type) return type.error();
    if (!status) return status.error();
    if (!doc) return doc.error();
    if (!end) return end.error();
    if (status->empty()) return bad(what, "processingStatus is missing");
    if (*status == "DONE" && doc->empty()) return bad(what, "DONE without a reportDocumentId");
    ref.report_type = *type;
    ref.processing_status = *status;
    ref.document_id = *doc;
    ref.data_end_time = *end;
    out.reports.push_back(std::move(ref));
  }
  auto next = textField(*j, "nextToken", "answer", 4096);
  if (!next) return next.error();
  out.next_token = *next;
  return out;
}

Result<AmazonReportDocument> decodeAmazonReportDocument(std::string_view body) {
  auto j = parseOutsideJson(body);
  if (!j) return j.error();
  if (!j->is_object()) return bad("report document", "expected a JSON object");
  AmazonReportDocument d;
  auto id = textField(*j, "reportDocumentId", "report document", 200);
  auto url = textField(*j, "url", "report document", 8192);
  auto algo = textField(*j, "compressionAlgorithm", "report document", 20);
  if (!id) return id.error();
  if (!url) return url.error();
  if (!algo) return algo.error();
  if (url->empty()) return bad("report document", "url is missing");
  if (!algo->empty() && *algo != "GZIP") return bad("report document", "unknown compressionAlgorithm '" + *algo + "'");
  d.document_id = *id;
  d.url = *url;
  d.gzip = *algo == "GZIP";
  return d;
}

namespace {

std::vector<std::string_view> splitTabs(std::string_view row) {
  std::vector<std::string_view> out;
  size_t start = 0;
  for (;;) {
    size_t tab = row.find('\t', start);
    out.push_back(row.substr(start, tab == std::string_view::npos ? std::string_view::npos : tab - start));
    if (tab == std::string_view::npos) return out;
    start = tab + 1;
  }
}

// Text cells are kept only when short and free of control characters.
bool plainCell(std::string_view v, size_t max) {
  if (v.size() > max) return false;
  for (char c : v) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) return false;
  }
  return true;
}

bool addTo(Decimal* sum, Decimal d) {
  int64_t v = 0;
  if (__builtin_add_overflow(sum->scaled(), d.scaled(), &v)) return false;
  *sum = Decimal::fromUnits(v);
  return true;
}

}  // namespace

Result<Payout> decodeAmazonSettlementReport(std::string_view tsv) {
  // Rows: split on \n, a trailing \r dropped (the files come with either ending).
  std::vector<std::string_view> rows;
  size_t start = 0;
  while (start < tsv.size()) {
    size_t nl = tsv.find('\n', start);
    std::string_view row = tsv.substr(start, nl == std::string_view::npos ? std::string_view::npos : nl - start);
    if (!row.empty() && row.back() == '\r') row.remove_suffix(1);
    if (!row.empty()) rows.push_back(row);
    if (rows.size() > kMaxPayoutLines + 2) {
      return Error::reject("too_many_lines", "settlement report: more than " + std::to_string(kMaxPayoutLines) + " rows");
    }
    if (nl == std::string_view::npos) break;
    start = nl + 1;
  }
  if (rows.size() < 2) return bad("settlement report", "expected a header row and a summary row");
  const std::vector<std::string_view> header = splitTabs(rows[0]);
  std::map<std::string_view, size_t> col;
  for (size_t i = 0; i < header.size(); ++i) {
    if (!col.emplace(header[i], i).second) return bad("settlement report", "column '" + std::string(header[i]).substr(0, 40) + "' twice");
  }
  for (const char* need : {"settlement-id", "total-amount", "currency", "transaction-type", "amount-type", "amount"}) {
    if (!col.count(need)) return bad("settlement report", std::string("no column ") + need);
  }
  auto cell = [&](const std::vector<std::string_view>& r, std::string_view name) -> std::string_view {
    auto it = col.find(name);
    return it == col.end() ? std::string_view() : r[it->second];
  };

  Payout p;
  p.channel = ChannelKind::kAmazon;
  p.status = "deposited";
  {
    const auto summary = splitTabs(rows[1]);
    if (summary.size() != header.size()) return bad("settlement report", "the summary row has another column count");
    std::string_view id = cell(summary, "settlement-id");
    if (id.empty() || !plainCell(id, 64)) return bad("settlement report", "the summary row has no settlement-id");
    p.payout_id = std::string(id);
    std::string_view total = cell(summary, "total-amount");
    auto amount = Decimal::parse(total);
    if (!amount) return bad("settlement " + p.payout_id, "total-amount '" + std::string(total.substr(0, 40)) + "' is not a decimal");
    p.amount = *amount;
    std::string_view currency = cell(summary, "currency");
    if (currency.size() != 3 || !plainCell(currency, 3)) return bad("settlement " + p.payout_id, "currency must be 3 letters");
    p.currency = std::string(currency);
    std::string_view deposit = cell(summary, "deposit-date");
    if (!plainCell(deposit, 40)) return bad("settlement " + p.payout_id, "deposit-date is not a date");
    // V2 dates look like "2026-12-07 16:32:45 UTC" (older files "07.12.2026 ..."): the day is kept
    // when it leads, else the text as given.
    p.date = deposit.size() >= 10 && deposit[4] == '-' && deposit[7] == '-' ? std::string(deposit.substr(0, 10))
                                                                            : std::string(deposit);
  }
  const std::string what = "settlement " + p.payout_id;
  std::map<std::string, size_t> line_of;  // grouping key -> index in p.lines
  for (size_t n = 2; n < rows.size(); ++n) {
    const auto r = splitTabs(rows[n]);
    const std::string where = what + " row " + std::to_string(n + 1);
    if (r.size() != header.size()) return bad(where, "has " + std::to_string(r.size()) + " columns, the header " + std::to_string(header.size()));
    if (cell(r, "settlement-id") != p.payout_id) return bad(where, "belongs to another settlement-id");
    std::string_view currency = cell(r, "currency");
    if (!currency.empty() && currency != p.currency) return bad(where, "currency differs from the settlement's");
    std::string_view type = cell(r, "transaction-type");
    std::string_view order_id = cell(r, "order-id");
    std::string_view adjustment = cell(r, "adjustment-id");
    std::string_view shipment = cell(r, "shipment-id");
    std::string_view amount_type = cell(r, "amount-type");
    std::string_view description = cell(r, "amount-description");
    std::string_view refund_item = cell(r, "merchant-adjustment-item-id");
    std::string_view posted = cell(r, "posted-date-time").empty() ? cell(r, "posted-date") : cell(r, "posted-date-time");
    if (type.empty() || !plainCell(type, 60)) return bad(where, "transaction-type is missing");
    for (std::string_view v : {order_id, adjustment, shipment, refund_item}) {
      if (!plainCell(v, 64)) return bad(where, "an id column is longer than 64 bytes or holds control characters");
    }
    for (std::string_view v : {amount_type, description, posted}) {
      if (!plainCell(v, 120)) return bad(where, "a text column is longer than 120 bytes or holds control characters");
    }
    std::string_view amount_text = cell(r, "amount");
    auto amount = Decimal::parse(amount_text);
    if (!amount) return bad(where, "amount '" + std::string(amount_text.substr(0, 40)) + "' is not a decimal");

    // One line per refunded item (merchant-adjustment-item-id) too: each is its own refund in the book.
    std::string key = std::string(type) + "/" + std::string(order_id) + "/" + std::string(adjustment) + "/" +
                      std::string(shipment) + (refund_item.empty() ? "" : "/" + std::string(refund_item));
    auto [it, fresh] = line_of.emplace(key, p.lines.size());
    if (fresh) {
      PayoutLine l;
      l.line_id = key;
      l.type = std::string(type);
      l.order_id = std::string(order_id);
      l.currency = p.currency;
      l.processed_at = std::string(posted);
      if (type == "Order") {
        if (order_id.empty()) return bad(where, "an Order row without order-id");
        l.kind = PayoutLineKind::kOrder;
      } else if (type == "Refund") {
        if (order_id.empty()) return bad(where, "a Refund row without order-id");
        l.kind = PayoutLineKind::kRefund;
        l.refund_id = std::string(refund_item.empty() ? adjustment : refund_item);
        if (l.refund_id.empty()) return bad(where, "a Refund row with neither merchant-adjustment-item-id nor adjustment-id");
      } else {
        // A fee until the line turns out to give money (a reserve released): then an adjustment.
        l.kind = order_id.empty() ? PayoutLineKind::kFee : PayoutLineKind::kAdjustment;
        l.description = std::string(description.empty() ? type : description);
      }
      p.lines.push_back(std::move(l));
    }
    PayoutLine& l = p.lines[it->second];
    const bool taken = l.kind != PayoutLineKind::kFee && (amount_type == "ItemFees" || amount_type == "ItemWithheldTax");
    if (taken) {
      if (!addTo(&l.fee, Decimal::fromUnits(-amount->scaled()))) return bad(where, "fees overflow");
      if (l.description.empty()) l.description = std::string(description);
    } else if (!addTo(&l.amount, *amount)) {
      return bad(where, "amounts overflow");
    }
    int64_t net = 0;
    if (__builtin_sub_overflow(l.amount.scaled(), l.fee.scaled(), &net)) return bad(where, "amounts overflow");
    l.net = Decimal::fromUnits(net);
  }
  for (PayoutLine& l : p.lines) {
    if (l.kind == PayoutLineKind::kFee && l.amount.scaled() > 0) l.kind = PayoutLineKind::kAdjustment;
  }
  return p;
}

}  // namespace sw::coordinator::channels
