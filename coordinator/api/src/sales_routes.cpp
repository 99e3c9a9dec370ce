#include "sales_routes.h"

#include "sw/common/http_json.h"
#include "sw/common/http_server.h"
#include "sw/coordinator/api/access.h"
#include "sw/coordinator/orders/journal.h"
#include "sw/coordinator/orders/sales_report.h"

namespace sw::coordinator {

using common::Error;
using nlohmann::json;

namespace {

void salesReport(Ledger& ledger, const common::Clock& clock, const KpiRouteExtras& extras, RevenueBook& revenue,
                 const httplib::Request& req, httplib::Response& res) {
  auto params = singleParams(req);
  if (!params) return common::sendError(res, params.error());
  auto query = parseSalesQuery(*params, clock.nowMs() / kDayMs);
  if (!query) return common::sendError(res, query.error());
  // A store manager reads its own store's report (access_policy.h): without location= it gets
  // that store's, and asking for another store is refused.
  if (req.get_header_value(kPrincipalRoleHeader) == roleName(Role::kStoreManager)) {
    const std::string own = req.get_header_value(kPrincipalLocationHeader);
    if (query->location.empty()) {
      query->location = own;
    } else if (query->location != own) {
      return common::sendError(res, 403,
                               Error::reject("forbidden", "a store_manager token for " + own +
                                                              " reads the sales of location " + own + " only (not " +
                                                              query->location + ")"));
    }
  }
  auto lines = revenue.lines(query->fromMs(), query->untilMs());
  if (!lines) return common::sendError(res, lines.error());
  auto report = buildSalesReport(*query, *lines);
  if (!report) return common::sendError(res, report.error());
  if (query->csv) {
    res.set_header("Content-Disposition", "attachment; filename=\"sales-" + reportDayText(query->from_day) + "-" +
                                              reportDayText(query->to_day) + ".csv\"");
    res.set_content(salesReportCsv(*report), "text/csv; charset=utf-8");
    return;
  }
  // The same figures, by the same code, as GET /v1/kpis, over the report's days and location.
  auto kpis = orderKpis(ledger, extras.orders, &revenue, {query->fromMs() - 1, query->untilMs() - 1, query->location});
  if (!kpis) return common::sendError(res, kpis.error());
  json body = salesReportJson(*query, *report);
  body["fulfilment_accuracy"] = fulfilmentAccuracyJson(kpis->fulfilment);
  body["return_rate"] = returnRateJson(kpis->returns, (query->untilMs() - query->fromMs()) / 3'600'000);
  common::sendJson(res, body);
}

void journal(RevenueBook& revenue, const httplib::Request& req, httplib::Response& res) {
  auto params = singleParams(req);
  if (!params) return common::sendError(res, params.error());
  auto query = parseJournalQuery(*params);
  if (!query) return common::sendError(res, query.error());
  auto format = parseJournalFormat(query->format);
  if (!format) return common::sendError(res, format.error());
  auto file = exportJournal(revenue, query->day, *format);
  if (!file) return common::sendError(res, file.error());
  res.set_header("X-Stockwire-Journal-Revision", std::to_string(file->record.revision));
  res.set_header("X-Stockwire-Re-Export", file->record.re_export ? "true" : "false");
  res.set_header("X-Stockwire-Journal-Digest", file->record.digest);
  res.set_header("Content-Disposition", "attachment; filename=\"journal-" + query->day + "-" + query->format + "-r" +
                                            std::to_string(file->record.revision) + ".csv\"");
  res.set_content(file->csv, "text/csv; charset=utf-8");
}

}  // namespace

common::Result<std::map<std::string, std::string>> singleParams(const httplib::Request& req) {
  std::map<std::string, std::string> out;
  for (const auto& [name, value] : req.params) {
    if (!out.emplace(name, value).second) {
      return Error::reject("bad_param", "parameter '" + name.substr(0, 64) + "' is given more than once");
    }
  }
  return out;
}

void addSalesRoutes(httplib::Server& server, Ledger& ledger, const common::Clock& clock, const KpiRouteExtras& extras,
                    RevenueBook& revenue) {
  server.Get("/v1/reports/sales", [&ledger, &clock, &extras, &revenue](const httplib::Request& req,
                                                                        httplib::Response& res) {
    salesReport(ledger, clock, extras, revenue, req, res);
  });
  server.Get("/v1/exports/journal", [&revenue](const httplib::Request& req, httplib::Response& res) {
    journal(revenue, req, res);
  });
}

}  // namespace sw::coordinator
