#pragma once
// The sales report's figures from the revenue lines (revenue.h): pure, no I/O. GET /v1/reports/sales
// (api/) reads the lines, adds the fulfilment accuracy and return rate of /v1/kpis, and sends
// this as JSON or CSV. Money is common::Decimal throughout, per currency: amounts of different
// currencies are never added together.

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "sw/common/decimal.h"
#include "sw/common/result.h"
#include "sw/coordinator/orders/revenue.h"

namespace sw::coordinator {

// A UTC calendar day "YYYY-MM-DD" (years 2000-2099) as days since 1970-01-01; anything else
// (another form, a day the month does not have) is refused naming `what`.
common::Result<int64_t> parseReportDay(const std::string& text, const char* what);
std::string reportDayText(int64_t days);
inline constexpr int64_t kDayMs = 86'400'000;

enum class ReportPeriod { kDay, kWeek };  // a week starts on Monday (ISO 8601)

// What GET /v1/reports/sales was asked (parseSalesQuery checks every parameter).
struct SalesQuery {
  int64_t from_day = 0;  // inclusive, days since the epoch (UTC)
  int64_t to_day = 0;    // inclusive
  ReportPeriod period = ReportPeriod::kDay;
  bool by_channel = true, by_location = true, by_sku = true;
  std::string channel, location, sku;  // filters ("" = all)
  bool csv = false;
  int64_t fromMs() const { return from_day * kDayMs; }
  int64_t untilMs() const { return (to_day + 1) * kDayMs; }  // exclusive
};
inline constexpr int64_t kMaxReportDays = 366;
// params: the query's parameters by name. today: the default `to` (and `from`). A parameter this
// route does not know, a bad day, from after to, a range over kMaxReportDays, a period other than
// day/week, `by` naming something else (or twice), a filter over 64 characters or with control
// characters, a format other than json/csv: bad_param, naming the parameter.
common::Result<SalesQuery> parseSalesQuery(const std::map<std::string, std::string>& params, int64_t today);

struct SalesFigures {
  int64_t units_sold = 0;      // sale + order units, less voided ones
  int64_t units_returned = 0;  // return + refund units
  common::Decimal gross;       // sale + order, before discounts (voided sales taken out)
  common::Decimal discounts;   // sale + order discounts
  common::Decimal refunds;     // return + refund amounts, less their discounts, before tax
  common::Decimal fees;        // what channels charged
  common::Decimal tax;         // tax on sales less tax given back
  common::Decimal net() const;  // gross - discounts - refunds
  // units_returned / units_sold in percent, 2 decimals rounded half up; none when nothing sold.
  std::optional<common::Decimal> returnRatePct() const;
};
// Adds one line's money (payouts are not revenue: left out). Fails on overflow.
common::Status addLine(SalesFigures& f, const RevenueLine& line);

struct SalesRow {
  std::string period;  // the day, or the Monday of the week
  std::string channel, location, sku;  // "" where the query does not group by it
  std::string currency;
  SalesFigures figures;
};
struct SalesReport {
  std::vector<SalesRow> rows;                    // by period, channel, location, sku, currency
  std::map<std::string, SalesFigures> totals;    // by currency
};
common::Result<SalesReport> buildSalesReport(const SalesQuery& query, const std::vector<RevenueLine>& lines);

nlohmann::ordered_json figuresJson(const SalesFigures& f);
nlohmann::ordered_json salesReportJson(const SalesQuery& query, const SalesReport& report);
// One header line and a line per row, RFC 4180 quoting; text that a spreadsheet would take for a
// formula (= + - @ first) gets a leading apostrophe.
std::string salesReportCsv(const SalesReport& report);
// One CSV field.
std::string csvField(const std::string& text);

}  // namespace sw::coordinator
