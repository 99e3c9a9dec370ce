// The accounting export's journal (see journal.h).

#include "sw/coordinator/orders/journal.h"

#include <array>
#include <set>

#include "sw/common/sha256.h"
#include "sw/coordinator/orders/sales_report.h"

namespace sw::coordinator {

using common::Decimal;
using common::Error;
using common::Result;

namespace {

// The figures of one entry, each sum rounded to cents once.
struct EntrySums {
  Decimal sales, discounts, returns, tax, fees, payouts;
};

Result<EntrySums> sumsOf(const std::vector<const RevenueLine*>& lines) {
  SalesFigures f;
  int64_t payouts = 0;
  for (const RevenueLine* l : lines) {
    if (auto s = addLine(f, *l); !s) return s.error();
    if (l->kind == RevenueKind::kPayout && __builtin_add_overflow(payouts, l->gross.scaled(), &payouts)) {
      return Error::reject("amount_overflow", "payouts too large");
    }
  }
  return EntrySums{toCents(f.gross), toCents(f.discounts), toCents(f.refunds), toCents(f.tax), toCents(f.fees),
                   toCents(Decimal::fromUnits(payouts))};
}

void addLineTo(std::vector<JournalLine>& out, const std::string& account, int64_t signed_debit, const std::string& memo) {
  if (signed_debit == 0) return;
  JournalLine l{account, {}, {}, memo};
  if (signed_debit > 0) l.debit = Decimal::fromUnits(signed_debit);
  else l.credit = Decimal::fromUnits(-signed_debit);
  out.push_back(std::move(l));
}

// MM/DD/YYYY, the date form both importers take by default.
std::string usDate(const std::string& day) { return day.substr(5, 2) + "/" + day.substr(8, 2) + "/" + day.substr(0, 4); }

std::string amountOrBlank(const Decimal& d) { return d.scaled() == 0 ? "" : d.toString(); }

std::string hex(const std::array<uint8_t, 32>& bytes) {
  static const char* kDigits = "0123456789abcdef";
  std::string out;
  for (uint8_t b : bytes) {
    out += kDigits[b >> 4];
    out += kDigits[b & 15];
  }
  return out;
}

}  // namespace

const char* journalFormatName(JournalFormat format) {
  return format == JournalFormat::kQuickBooks ? "quickbooks" : "netsuite";
}

Result<JournalFormat> parseJournalFormat(std::string_view name) {
  if (name == "quickbooks") return JournalFormat::kQuickBooks;
  if (name == "netsuite") return JournalFormat::kNetSuite;
  return Error::reject("bad_param", "format must be quickbooks or netsuite");
}

Decimal toCents(const Decimal& amount) {
  const int64_t v = amount.scaled();
  const int64_t cents = v >= 0 ? (v + 50) / 100 : -((-v + 50) / 100);
  return Decimal::fromUnits(cents * 100);
}

std::vector<RevenueBook::JournalKey> journalKeys(const std::vector<RevenueLine>& lines) {
  std::set<RevenueBook::JournalKey> keys;
  for (const RevenueLine& l : lines) keys.insert({l.channel, l.location, l.currency});
  return {keys.begin(), keys.end()};
}

Result<std::vector<JournalEntry>> buildJournal(const std::string& day, const std::vector<RevenueLine>& lines,
                                               const std::map<RevenueBook::JournalKey, int64_t>& numbers) {
  std::map<RevenueBook::JournalKey, std::vector<const RevenueLine*>> groups;
  for (const RevenueLine& l : lines) groups[{l.channel, l.location, l.currency}].push_back(&l);
  std::vector<JournalEntry> out;
  for (const auto& [key, group] : groups) {
    auto number = numbers.find(key);
    if (number == numbers.end()) return Error::fatal("no_journal_number", "no journal number for " + key.channel);
    auto sums = sumsOf(group);
    if (!sums) return sums.error();
    const std::string where = key.channel + " " + key.location + " " + day + (key.currency.empty() ? "" : " " + key.currency);
    JournalEntry e{key, number->second, {}};
    addLineTo(e.lines, "Sales", -sums->sales.scaled(), "sales " + where);
    addLineTo(e.lines, "Sales Discounts", sums->discounts.scaled(), "discounts " + where);
    addLineTo(e.lines, "Sales Returns", sums->returns.scaled(), "returns and refunds " + where);
    addLineTo(e.lines, "Sales Tax Payable", -sums->tax.scaled(), "tax " + where);
    addLineTo(e.lines, "Merchant Fees", sums->fees.scaled(), "fees " + where);
    addLineTo(e.lines, "Bank", sums->payouts.scaled(), "payouts " + where);
    const int64_t clearing = sums->sales.scaled() + sums->tax.scaled() - sums->discounts.scaled() -
                             sums->returns.scaled() - sums->fees.scaled() - sums->payouts.scaled();
    addLineTo(e.lines, "Clearing:" + key.channel, clearing, "to collect " + where);
    if (!e.lines.empty()) out.push_back(std::move(e));
  }
  return out;
}

std::string journalNumber(const std::string& day, int64_t number, int64_t revision) {
  std::string out = "SW" + day.substr(0, 4) + day.substr(5, 2) + day.substr(8, 2) + "-" + std::to_string(number);
  if (revision > 1) out += "-R" + std::to_string(revision);
  return out;
}

std::string renderJournal(JournalFormat format, const std::string& day, const std::vector<JournalEntry>& entries,
                          int64_t revision) {
  const bool qbo = format == JournalFormat::kQuickBooks;
  std::string out = qbo ? "Journal No,Journal Date,Account Name,Debits,Credits,Description,Location,Class\r\n"
                        : "External ID,Date,Currency,Account,Debit,Credit,Memo,Location,Class\r\n";
  const std::string date = usDate(day);
  for (const JournalEntry& e : entries) {
    const std::string no = journalNumber(day, e.number, revision);
    for (const JournalLine& l : e.lines) {
      if (qbo) {
        out += no + "," + date + "," + csvField(l.account) + "," + amountOrBlank(l.debit) + "," +
               amountOrBlank(l.credit) + "," + csvField(l.memo) + "," + csvField(e.key.location) + "," +
               csvField(e.key.channel) + "\r\n";
      } else {
        out += no + "," + date + "," + csvField(e.key.currency) + "," + csvField(l.account) + "," +
               amountOrBlank(l.debit) + "," + amountOrBlank(l.credit) + "," + csvField(l.memo) + "," +
               csvField(e.key.location) + "," + csvField(e.key.channel) + "\r\n";
      }
    }
  }
  return out;
}

Result<JournalQuery> parseJournalQuery(const std::map<std::string, std::string>& params) {
  JournalQuery q;
  for (const auto& [name, value] : params) {
    if (name == "day") q.day = value;
    else if (name == "format") q.format = value;
    else return Error::reject("bad_param", "unknown parameter '" + name.substr(0, 64) + "' (known: day, format)");
  }
  if (q.day.empty()) return Error::reject("bad_param", "day=YYYY-MM-DD is required");
  if (auto d = parseReportDay(q.day, "day"); !d) return d.error();
  if (q.format.empty()) return Error::reject("bad_param", "format=quickbooks|netsuite is required");
  if (auto f = parseJournalFormat(q.format); !f) return f.error();
  return q;
}

Result<JournalFile> exportJournal(RevenueBook& book, const std::string& day, JournalFormat format) {
  auto days = parseReportDay(day, "day");
  if (!days) return days.error();
  auto lines = book.lines(*days * kDayMs, (*days + 1) * kDayMs);
  if (!lines) return lines.error();
  auto numbers = book.journalNumbers(day, journalKeys(*lines));
  if (!numbers) return numbers.error();
  auto entries = buildJournal(day, *lines, *numbers);
  if (!entries) return entries.error();
  JournalFile out;
  out.csv = renderJournal(format, day, *entries, 1);
  auto record = book.recordExport(day, journalFormatName(format), hex(common::sha256(out.csv)));
  if (!record) return record.error();
  if (record->revision > 1) out.csv = renderJournal(format, day, *entries, record->revision);
  out.record = *record;
  out.entries = entries->size();
  return out;
}

}  // namespace sw::coordinator
