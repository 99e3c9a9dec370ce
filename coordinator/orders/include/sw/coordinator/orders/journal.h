#pragma once
// The accounting export: a day's journal, one balanced entry per (channel, location, currency),
// from the revenue lines (revenue.h), as the CSV that QuickBooks Online's journal entry import
// and NetSuite's journal entry CSV import take (coordinator/README.md "Accounting export" names
// the columns and where they are documented).
//
// Each entry (amounts rounded half away from zero to cents, each sum once):
//   Sales                credit  gross of sales and order picks
//   Sales Discounts      debit   their discounts
//   Sales Returns        debit   returns and refunds, less their discounts, before tax
//   Sales Tax Payable    credit  tax on sales less tax given back (debit when negative)
//   Merchant Fees        debit   what the channel charged
//   Bank                 debit   what the channel paid out
//   Clearing:<channel>   debit   what is left to balance (credit when negative)
// Lines of zero are left out; an entry that would be all zero is left out.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sw/common/decimal.h"
#include "sw/common/result.h"
#include "sw/coordinator/orders/revenue.h"

namespace sw::coordinator {

enum class JournalFormat { kQuickBooks, kNetSuite };
const char* journalFormatName(JournalFormat format);
// "quickbooks" or "netsuite"; anything else is bad_param.
common::Result<JournalFormat> parseJournalFormat(std::string_view name);

struct JournalLine {
  std::string account;
  common::Decimal debit;   // cents; 0 on a credit line
  common::Decimal credit;  // cents; 0 on a debit line
  std::string memo;
};

struct JournalEntry {
  RevenueBook::JournalKey key;
  int64_t number = 0;  // RevenueBook::journalNumbers: the same on every export of the day
  std::vector<JournalLine> lines;
};

// Rounded half away from zero to whole cents.
common::Decimal toCents(const common::Decimal& amount);

// The entries of `day` (YYYY-MM-DD) from that day's lines, in key order. numbers must hold
// every key the lines have (journalKeys).
common::Result<std::vector<JournalEntry>> buildJournal(const std::string& day, const std::vector<RevenueLine>& lines,
                                                       const std::map<RevenueBook::JournalKey, int64_t>& numbers);
// The distinct (channel, location, currency) of the lines that carry money, sorted.
std::vector<RevenueBook::JournalKey> journalKeys(const std::vector<RevenueLine>& lines);

// The entry's journal number: "SW" + YYYYMMDD + "-" + number, and "-R<revision>" from revision 2.
std::string journalNumber(const std::string& day, int64_t number, int64_t revision);
// The CSV (header line, then a line per journal line; CRLF line ends).
std::string renderJournal(JournalFormat format, const std::string& day, const std::vector<JournalEntry>& entries,
                          int64_t revision);

// What GET /v1/exports/journal was asked: day=YYYY-MM-DD (required) and format=quickbooks|netsuite
// (required); any other parameter is bad_param.
struct JournalQuery {
  std::string day;
  std::string format;
};
common::Result<JournalQuery> parseJournalQuery(const std::map<std::string, std::string>& params);

// What exportJournal gives: the bytes and the export as recorded.
struct JournalFile {
  std::string csv;
  JournalExport record;
  size_t entries = 0;
};
// Reads the day's lines, numbers the entries, renders, and records the export (revision and
// re-export mark: RevenueBook::recordExport over the digest of the rendering at revision 1).
common::Result<JournalFile> exportJournal(RevenueBook& book, const std::string& day, JournalFormat format);

}  // namespace sw::coordinator
