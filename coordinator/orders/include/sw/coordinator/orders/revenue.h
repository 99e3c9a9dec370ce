#pragma once
// Revenue in one place: every sale, return, online order, refund, fee and payout as money, with
// the amount, currency and tax its source gave, in the order book's store (component "revenue":
// the `<db>.orders` file beside a SQLite ledger, the ledger's database on PostgreSQL), read by the
// sales report (sales_report.h) and the accounting export (journal.h).
//
// Tables (schemaSteps()):
//   revenue_lines(source) PK       one money fact: kind, channel ("pos" for tills and handhelds),
//                                  location, SKU, the order or event it belongs to, when it happened,
//                                  units, gross (units x unit price, before discounts), discount,
//                                  tax, currency; amounts as Decimal's scaled integers (4 digits).
//                                  `source` names where it came from, so a fact is recorded once.
//   journal_numbers(day, channel, location, currency) PK   the number a day's journal entry of one
//                                  channel and store keeps on every export of that day
//   revenue_scan(device) PK        the last seq of each device whose applied events the orders
//                                  worker has turned into revenue lines (revenue_sources.h)
//   journal_exports(id) PK         every export: day, format, revision (1, 2, ... when that day's
//                                  figures changed since the export before), digest, re-export mark
//
// Threads: every method may be called from any thread (one mutex around the connection).

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sw/common/build_info.h"
#include "sw/common/clock.h"
#include "sw/common/decimal.h"
#include "sw/common/result.h"
#include "sw/common/sql.h"

namespace sw::coordinator {

// sale/return: a till's or handheld's; order: units of an online order picked and shipped;
// refund: a channel's refund of shipped units; fee: what a channel charged; payout: what it paid;
// void: a till's sale taken back whole (its lines, reversed).
enum class RevenueKind { kSale, kReturn, kOrder, kRefund, kFee, kPayout, kVoid };
const char* revenueKindName(RevenueKind kind);
std::optional<RevenueKind> parseRevenueKind(std::string_view name);

// The channel name of sales made at tills and handhelds.
inline constexpr const char* kPosChannel = "pos";

struct RevenueLine {
  std::string source;  // unique: "till:<event id>:<line>", "pick:<channel>:<order>:<task>:<line>", ...
  RevenueKind kind = RevenueKind::kSale;
  std::string channel;
  std::string location;
  std::string sku;        // "" for fees and payouts
  std::string order_ref;  // the channel's order id, or the till event's id
  int64_t at_ms = 0;      // when it happened (coordinator time line)
  int64_t units = 0;      // never negative; the kind says which way
  common::Decimal gross;     // units x unit price, before discounts; never negative
  common::Decimal discount;  // never negative
  common::Decimal tax;       // never negative
  std::string currency;      // ISO 4217 as the source gave it; "" when it did not say
  bool operator==(const RevenueLine&) const = default;
};

// What a line is missing or has wrong: empty source, negative figures, a currency that is not
// three capital letters (or empty). Checked before anything is written.
common::Status checkRevenueLine(const RevenueLine& line);

// units x unit price, exactly (overflow is refused).
common::Result<common::Decimal> lineAmount(const common::Decimal& unit_price, int64_t units);

// One export of a day's journal (RevenueBook::recordExport).
struct JournalExport {
  std::string day;     // YYYY-MM-DD
  std::string format;  // "quickbooks", "netsuite"
  int64_t revision = 1;
  std::string digest;  // SHA-256 hex of the journal as rendered at revision 1
  bool re_export = false;  // the day was exported in this format before
  int64_t at_ms = 0;
};

class RevenueBook {
 public:
  // target: a SQLite file, or a postgresql:// URL.
  static common::Result<std::unique_ptr<RevenueBook>> open(const std::string& target, const common::Clock& clock);
  static common::SchemaVersion schemaVersion();
  // Step i takes version i to i+1 (SQLite; pgSchemaSteps() the same for PostgreSQL).
  static const std::vector<std::string>& schemaSteps();
  static const std::vector<std::string>& pgSchemaSteps();
  ~RevenueBook();
  RevenueBook(const RevenueBook&) = delete;
  RevenueBook& operator=(const RevenueBook&) = delete;

  // Writes the lines in one transaction; a line whose source is already recorded is left as it
  // was. Every line is checked first (a bad one refuses the whole call, nothing written).
  // Returns how many were new.
  common::Result<int64_t> record(const std::vector<RevenueLine>& lines);
  // The events of `device` up to `seq` are recorded: their lines, and for each void the lines of
  // the sale it names reversed (kind void), all with the cursor in one transaction. Returns how
  // many lines were new.
  struct TillVoid {
    std::string void_event_id;
    std::string sale_event_id;
    int64_t at_ms = 0;
  };
  common::Result<int64_t> recordScanned(const std::string& device, uint64_t seq, const std::vector<RevenueLine>& lines,
                                        const std::vector<TillVoid>& voids);
  // The seq recordScanned last took, by device (a device not there: 0), read at once so a round
  // over a large fleet is one query.
  common::Result<std::map<std::string, uint64_t>> scanCursors();
  // Lines with from_ms <= at_ms < until_ms, by time then source.
  common::Result<std::vector<RevenueLine>> lines(int64_t from_ms, int64_t until_ms);

  // The journal numbers of a day's (channel, location, currency) groups: kept ones as they were,
  // new ones numbered after the day's highest, in the order given.
  struct JournalKey {
    std::string channel, location, currency;
    auto operator<=>(const JournalKey&) const = default;
  };
  common::Result<std::map<JournalKey, int64_t>> journalNumbers(const std::string& day, const std::vector<JournalKey>& keys);
  // Records an export of `day` in `format` whose content has `digest`: the same revision as the
  // latest export of that day and format when the digest is the same, the next one otherwise;
  // re_export when that day and format were exported before.
  common::Result<JournalExport> recordExport(const std::string& day, const std::string& format, const std::string& digest);
  // Every export of a day, oldest first.
  common::Result<std::vector<JournalExport>> exports(const std::string& day);

 private:
  explicit RevenueBook(const common::Clock& clock) : clock_(clock) {}
  common::Status init(const std::string& target);
  common::Result<int64_t> insertLocked(const std::vector<RevenueLine>& lines);
  common::Result<std::vector<RevenueLine>> voidLinesLocked(const TillVoid& v);

  const common::Clock& clock_;
  std::mutex mu_;
  std::unique_ptr<common::SqlDb> db_;
};

}  // namespace sw::coordinator
