// The sales report's figures (see sales_report.h).

#include "sw/coordinator/orders/sales_report.h"

#include <cstdio>
#include <tuple>

#include "sw/common/iso_time.h"

namespace sw::coordinator {

using common::Decimal;
using common::Error;
using common::Result;
using common::Status;

namespace {

Error badParam(const std::string& message) { return Error::reject("bad_param", message); }

Result<Decimal> plus(const Decimal& a, const Decimal& b) {
  int64_t out = 0;
  if (__builtin_add_overflow(a.scaled(), b.scaled(), &out)) return Error::reject("amount_overflow", "sum too large");
  return Decimal::fromUnits(out);
}

Status addTo(Decimal& total, const Decimal& amount) {
  auto sum = plus(total, amount);
  if (!sum) return sum.error();
  total = *sum;
  return {};
}

Decimal minus(const Decimal& a, const Decimal& b) { return Decimal::fromUnits(a.scaled() - b.scaled()); }

// Days since the epoch of the Monday on or before `days` (1970-01-01 was a Thursday).
int64_t mondayOf(int64_t days) { return days - (((days + 3) % 7) + 7) % 7; }

Result<std::string> textParam(const std::map<std::string, std::string>& params, const char* name) {
  auto it = params.find(name);
  if (it == params.end()) return std::string();
  if (it->second.size() > 64) return badParam(std::string(name) + " is longer than 64 characters");
  for (unsigned char c : it->second) {
    if (c < 0x20 || c == 0x7f) return badParam(std::string(name) + " holds a control character");
  }
  return it->second;
}

Status parseBy(const std::string& text, SalesQuery& q) {
  q.by_channel = q.by_location = q.by_sku = false;
  size_t start = 0;
  while (true) {
    const size_t comma = text.find(',', start);
    const std::string part = text.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    bool* flag = part == "channel" ? &q.by_channel : part == "location" ? &q.by_location : part == "sku" ? &q.by_sku : nullptr;
    if (!flag) return badParam("by: '" + part + "' is not one of channel, location, sku");
    if (*flag) return badParam("by names '" + part + "' twice");
    *flag = true;
    if (comma == std::string::npos) return {};
    start = comma + 1;
  }
}

std::string pctText(const std::optional<Decimal>& pct) { return pct ? pct->toString() : ""; }

}  // namespace

Result<int64_t> parseReportDay(const std::string& text, const char* what) {
  auto bad = [&] { return badParam(std::string(what) + " must be a day YYYY-MM-DD (2000-2099), not '" + text + "'"); };
  if (text.size() != 10 || text[4] != '-' || text[7] != '-') return bad();
  for (size_t i : {0, 1, 2, 3, 5, 6, 8, 9}) {
    if (text[i] < '0' || text[i] > '9') return bad();
  }
  const int64_t y = std::stoll(text.substr(0, 4));
  const unsigned m = static_cast<unsigned>(std::stoul(text.substr(5, 2)));
  const unsigned d = static_cast<unsigned>(std::stoul(text.substr(8, 2)));
  if (y < 2000 || y > 2099 || m < 1 || m > 12 || d < 1 || d > 31) return bad();
  const int64_t days = common::daysFromCivil(y, m, d);
  int64_t y2 = 0;
  unsigned m2 = 0, d2 = 0;
  common::civilFromDays(days, &y2, &m2, &d2);
  if (y2 != y || m2 != m || d2 != d) return bad();  // 2026-02-30
  return days;
}

std::string reportDayText(int64_t days) {
  int64_t y = 0;
  unsigned m = 0, d = 0;
  common::civilFromDays(days, &y, &m, &d);
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04lld-%02u-%02u", static_cast<long long>(y), m, d);
  return buf;
}

Result<SalesQuery> parseSalesQuery(const std::map<std::string, std::string>& params, int64_t today) {
  static const std::set<std::string> kKnown = {"from", "to", "period", "by", "channel", "location", "sku", "format"};
  for (const auto& [name, value] : params) {
    if (!kKnown.count(name)) {
      return badParam("unknown parameter '" + name.substr(0, 64) +
                      "' (known: from, to, period, by, channel, location, sku, format)");
    }
  }
  SalesQuery q;
  q.to_day = today;
  if (auto it = params.find("to"); it != params.end()) {
    auto d = parseReportDay(it->second, "to");
    if (!d) return d.error();
    q.to_day = *d;
  }
  q.from_day = q.to_day;
  if (auto it = params.find("from"); it != params.end()) {
    auto d = parseReportDay(it->second, "from");
    if (!d) return d.error();
    q.from_day = *d;
  }
  if (q.from_day > q.to_day) return badParam("from is after to");
  if (q.to_day - q.from_day + 1 > kMaxReportDays) return badParam("from..to covers more than 366 days");
  if (auto it = params.find("period"); it != params.end()) {
    if (it->second == "day") q.period = ReportPeriod::kDay;
    else if (it->second == "week") q.period = ReportPeriod::kWeek;
    else return badParam("period must be day or week");
  }
  if (auto it = params.find("by"); it != params.end()) {
    if (auto s = parseBy(it->second, q); !s) return s.error();
  }
  for (auto [name, field] : {std::pair{"channel", &q.channel}, std::pair{"location", &q.location}, std::pair{"sku", &q.sku}}) {
    auto v = textParam(params, name);
    if (!v) return v.error();
    *field = *v;
  }
  if (auto it = params.find("format"); it != params.end()) {
    if (it->second == "csv") q.csv = true;
    else if (it->second != "json") return badParam("format must be json or csv");
  }
  return q;
}

Decimal SalesFigures::net() const { return minus(minus(gross, discounts), refunds); }

std::optional<Decimal> SalesFigures::returnRatePct() const {
  if (units_sold <= 0) return std::nullopt;
  // Hundredths of a percent, rounded half up: returned * 10000 / sold.
  const int64_t hundredths = (units_returned * 20'000 + units_sold) / (2 * units_sold);
  return Decimal::fromUnits(hundredths * 100);
}

Status addLine(SalesFigures& f, const RevenueLine& l) {
  switch (l.kind) {
    case RevenueKind::kSale:
    case RevenueKind::kOrder:
      f.units_sold += l.units;
      if (auto s = addTo(f.gross, l.gross); !s) return s;
      if (auto s = addTo(f.discounts, l.discount); !s) return s;
      return addTo(f.tax, l.tax);
    case RevenueKind::kReturn:
    case RevenueKind::kRefund:
      f.units_returned += l.units;
      if (auto s = addTo(f.refunds, minus(l.gross, l.discount)); !s) return s;
      return addTo(f.tax, Decimal::fromUnits(-l.tax.scaled()));
    case RevenueKind::kVoid:
      f.units_sold -= l.units;
      if (auto s = addTo(f.gross, Decimal::fromUnits(-l.gross.scaled())); !s) return s;
      if (auto s = addTo(f.discounts, Decimal::fromUnits(-l.discount.scaled())); !s) return s;
      return addTo(f.tax, Decimal::fromUnits(-l.tax.scaled()));
    case RevenueKind::kFee:
      return addTo(f.fees, l.gross);
    case RevenueKind::kPayout:
      return {};
  }
  return {};
}

Result<SalesReport> buildSalesReport(const SalesQuery& q, const std::vector<RevenueLine>& lines) {
  using Key = std::tuple<std::string, std::string, std::string, std::string, std::string>;
  std::map<Key, SalesFigures> groups;
  SalesReport out;
  for (const RevenueLine& l : lines) {
    if (l.kind == RevenueKind::kPayout) continue;
    if (l.at_ms < q.fromMs() || l.at_ms >= q.untilMs()) continue;
    if ((!q.channel.empty() && l.channel != q.channel) || (!q.location.empty() && l.location != q.location) ||
        (!q.sku.empty() && l.sku != q.sku)) {
      continue;
    }
    int64_t day = l.at_ms / kDayMs;
    if (q.period == ReportPeriod::kWeek) day = mondayOf(day);
    Key key{reportDayText(day), q.by_channel ? l.channel : "", q.by_location ? l.location : "", q.by_sku ? l.sku : "",
            l.currency};
    if (auto s = addLine(groups[key], l); !s) return s.error();
    if (auto s = addLine(out.totals[l.currency], l); !s) return s.error();
  }
  for (auto& [key, figures] : groups) {
    const auto& [period, channel, location, sku, currency] = key;
    out.rows.push_back({period, channel, location, sku, currency, figures});
  }
  return out;
}

nlohmann::ordered_json figuresJson(const SalesFigures& f) {
  nlohmann::ordered_json j;
  j["units_sold"] = f.units_sold;
  j["units_returned"] = f.units_returned;
  j["gross"] = f.gross.toString();
  j["discounts"] = f.discounts.toString();
  j["refunds"] = f.refunds.toString();
  j["net"] = f.net().toString();
  j["tax"] = f.tax.toString();
  j["fees"] = f.fees.toString();
  auto pct = f.returnRatePct();
  j["return_rate_pct"] = pct ? nlohmann::ordered_json(pct->toString()) : nlohmann::ordered_json(nullptr);
  return j;
}

nlohmann::ordered_json salesReportJson(const SalesQuery& q, const SalesReport& report) {
  nlohmann::ordered_json j;
  j["from"] = reportDayText(q.from_day);
  j["to"] = reportDayText(q.to_day);
  j["period"] = q.period == ReportPeriod::kDay ? "day" : "week";
  nlohmann::ordered_json by = nlohmann::ordered_json::array();
  if (q.by_channel) by.push_back("channel");
  if (q.by_location) by.push_back("location");
  if (q.by_sku) by.push_back("sku");
  j["by"] = by;
  j["rows"] = nlohmann::ordered_json::array();
  for (const SalesRow& r : report.rows) {
    nlohmann::ordered_json row;
    row["period"] = r.period;
    if (q.by_channel) row["channel"] = r.channel;
    if (q.by_location) row["location"] = r.location;
    if (q.by_sku) row["sku"] = r.sku;
    row["currency"] = r.currency;
    row.update(figuresJson(r.figures));
    j["rows"].push_back(row);
  }
  j["totals"] = nlohmann::ordered_json::array();
  for (const auto& [currency, f] : report.totals) {
    nlohmann::ordered_json t;
    t["currency"] = currency;
    t.update(figuresJson(f));
    j["totals"].push_back(t);
  }
  return j;
}

std::string csvField(const std::string& text) {
  std::string v = text;
  if (!v.empty() && (v[0] == '=' || v[0] == '+' || v[0] == '-' || v[0] == '@')) v.insert(v.begin(), '\'');
  if (v.find_first_of(",\"\r\n") == std::string::npos) return v;
  std::string out = "\"";
  for (char c : v) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

std::string salesReportCsv(const SalesReport& report) {
  std::string out =
      "period,channel,location,sku,currency,units_sold,units_returned,gross,discounts,refunds,net,tax,fees,"
      "return_rate_pct\r\n";
  for (const SalesRow& r : report.rows) {
    const SalesFigures& f = r.figures;
    out += r.period + "," + csvField(r.channel) + "," + csvField(r.location) + "," + csvField(r.sku) + "," +
           csvField(r.currency) + "," + std::to_string(f.units_sold) + "," + std::to_string(f.units_returned) + "," +
           f.gross.toString() + "," + f.discounts.toString() + "," + f.refunds.toString() + "," + f.net().toString() +
           "," + f.tax.toString() + "," + f.fees.toString() + "," + pctText(f.returnRatePct()) + "\r\n";
  }
  return out;
}

}  // namespace sw::coordinator
