// OrderBook::importSqliteBook: a SQLite order book copied into a PostgreSQL one (order_book.h).
//
// Releases before the PostgreSQL order book kept it in `<local-db>.orders` beside a PostgreSQL
// ledger. `serve` imports such a file once (coordinator_main.cpp) so that every coordinator on the
// database shares one book. The two stores' tables are step for step the same (order_book.cpp
// kSchema / kPgSchema): the file is brought to this build's version first, then each table's rows
// are copied column by column, in the file's rowid order, which is the order the PostgreSQL
// `rowid` identity columns of orders and refunds (what their queries order by) then follow.

#include <algorithm>

#include "book_store.h"
#include "sw/common/sqlite.h"
#include "sw/coordinator/orders/order_book.h"

namespace sw::coordinator {

using common::Error;
using common::Result;
using common::SqlStmt;
using common::Status;

namespace {

constexpr const char* kImportedCounter = "imported_sqlite_book";

struct Column {
  std::string name;
  bool integer = false;  // bigint (else text)
};

// The columns of `table` on PostgreSQL that a copy writes, in order: every one but the
// GENERATED ALWAYS identities (the `rowid` columns), which PostgreSQL numbers itself.
Result<std::vector<Column>> pgColumns(common::SqlDb& db, const std::string& table) {
  auto st = db.prepare(
      "SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = current_schema()"
      " AND table_name = ? AND NOT (is_identity = 'YES' AND identity_generation = 'ALWAYS') ORDER BY ordinal_position");
  if (!st) return st.error();
  st->bind(1, table);
  std::vector<Column> out;
  std::string bad;
  if (auto s = st->eachRow([&](const SqlStmt& row) {
        std::string type = row.columnText(1);
        if (type != "bigint" && type != "text" && bad.empty()) bad = row.columnText(0) + " is " + type;
        out.push_back({row.columnText(0), type == "bigint"});
      });
      !s) {
    return s.error();
  }
  if (!bad.empty()) return Error::fatal("bad_schema", "order book import: " + table + "." + bad + ", not bigint or text");
  if (out.empty()) return Error::fatal("bad_schema", "order book import: no table " + table + " in " + db.describe());
  return out;
}

std::string joined(const std::vector<Column>& cols) {
  std::string s;
  for (const Column& c : cols) s += (s.empty() ? "" : ", ") + c.name;
  return s;
}

}  // namespace

const std::vector<std::string>& OrderBook::tableNames() {
  static const std::vector<std::string> kTables = {"orders",   "order_lines", "allocations", "tasks",
                                                   "task_lines", "fulfilments", "deliveries",  "cursors",
                                                   "ledger_scan", "counters",  "refunds",     "restocks",
                                                   "customers",   "customer_orders"};
  return kTables;
}

Result<OrderBook::ImportOutcome> OrderBook::importSqliteBook(const std::string& sqlite_path) {
  {
    std::lock_guard<std::mutex> lock(store_->mu);
    if (store_->db->dialect() != common::SqlDialect::kPostgres) {
      return Error::reject("bad_option", "order book import: only into a PostgreSQL order book");
    }
  }
  // Opening it as a book brings the file to this build's schema (or refuses a newer one).
  std::unique_ptr<OrderBook> from;
  {
    auto opened = OrderBook::open(sqlite_path, store_->clock);
    if (!opened) return opened.error();
    from = std::move(*opened);
    if (from->store_->db->dialect() != common::SqlDialect::kSqlite) {
      return Error::reject("bad_option", "order book import: " + sqlite_path + " is not a SQLite file");
    }
  }
  common::SqlDb& src = *from->store_->db;

  ImportOutcome outcome;
  Status s = write([&]() -> Status {
    common::SqlDb& dst = *store_->db;
    auto done = dst.queryInt(std::string("SELECT COUNT(*) FROM counters WHERE name = '") + kImportedCounter + "'");
    if (!done) return done.error();
    if (*done > 0) {
      // The file this book took in, left by a crash before serve renamed it, holds no order the
      // book lacks; any other file is another book, and is not merged.
      auto read = src.prepare("SELECT channel, order_id FROM orders");
      if (!read) return read.error();
      auto known = dst.prepare("SELECT COUNT(*) FROM orders WHERE channel = ? AND order_id = ?");
      if (!known) return known.error();
      int64_t missing = 0;
      Status lookup;
      if (auto r = read->eachRow([&](const SqlStmt& row) {
            if (!lookup) return;
            known->bind(1, row.columnView(0)).bind(2, row.columnView(1));
            auto found = known->firstRow([&](const SqlStmt& k) { missing += k.columnInt(0) == 0 ? 1 : 0; });
            if (!found) lookup = found.error();
          });
          !r) {
        return r;
      }
      if (!lookup) return lookup;
      if (missing > 0) {
        return Error::reject("book_not_empty", "order book import: " + dst.describe() + " already holds orders (it "
                                                   "took in a SQLite book before), and " + sqlite_path + " holds " +
                                                   std::to_string(missing) + " orders it does not. Nothing was "
                                                   "copied: keep the one that is current and move the other aside");
      }
      outcome.already_imported = true;
      return {};
    }
    auto held = dst.queryInt("SELECT (SELECT COUNT(*) FROM orders) + (SELECT COUNT(*) FROM tasks)"
                             " + (SELECT COUNT(*) FROM restocks)");
    if (!held) return held.error();
    if (*held > 0) {
      return Error::reject("book_not_empty", "order book import: " + dst.describe() + " already holds orders; " +
                                                 sqlite_path + " holds another book. Nothing was copied: keep the one "
                                                 "that is current and move the other aside");
    }
    // The schema's own rows (counters' task_ver) are replaced by the file's.
    if (auto e = dst.exec("DELETE FROM counters"); !e) return e;
    for (const std::string& table : tableNames()) {
      auto cols = pgColumns(dst, table);
      if (!cols) return cols.error();
      auto read = src.prepare("SELECT " + joined(*cols) + " FROM " + table + " ORDER BY rowid");
      if (!read) return read.error();
      std::string marks;
      for (size_t i = 1; i <= cols->size(); ++i) marks += (i > 1 ? ", ?" : "?") + std::to_string(i);
      auto ins = dst.prepare("INSERT INTO " + table + " (" + joined(*cols) + ") VALUES (" + marks + ")");
      if (!ins) return ins.error();
      int64_t copied = 0;
      Status row_error;
      if (auto r = read->eachRow([&](const SqlStmt& row) {
            if (!row_error) return;
            for (size_t i = 0; i < cols->size(); ++i) {
              const int col = static_cast<int>(i);
              if (row.columnIsNull(col)) {
                ins->bindNull(col + 1);
              } else if ((*cols)[i].integer) {
                ins->bind(col + 1, row.columnInt(col));
              } else {
                ins->bind(col + 1, row.columnView(col));
              }
            }
            row_error = ins->run();
            ++copied;
          });
          !r) {
        return r;
      }
      if (!row_error) return row_error;
      auto there = dst.queryInt("SELECT COUNT(*) FROM " + table);
      auto here = src.queryInt("SELECT COUNT(*) FROM " + table);
      if (!there) return there.error();
      if (!here) return here.error();
      if (*there != *here || copied != *here) {
        return Error::fatal("import_mismatch", "order book import: " + table + " has " + std::to_string(*here) +
                                                   " rows in " + sqlite_path + " but " + std::to_string(*there) +
                                                   " were written");
      }
      outcome.rows[table] = copied;
    }
    // Ids given explicitly do not move an identity's sequence: the next new row must come after them.
    for (const char* table : {"allocations", "fulfilments"}) {
      if (auto e = dst.exec(std::string("SELECT setval(pg_get_serial_sequence('") + table + "', 'id'), "
                            "COALESCE((SELECT MAX(id) FROM " + table + "), 0) + 1, false)");
          !e) {
        return e;
      }
    }
    auto mark = dst.prepare("INSERT INTO counters (name, value) VALUES (?, ?)");
    if (!mark) return mark.error();
    return mark->bind(1, kImportedCounter).bind(2, store_->clock.nowMs()).run();
  });
  if (!s) return s.error();
  if (!outcome.already_imported) {
    std::lock_guard<std::mutex> lock(store_->mu);
    if (auto loaded = holds_->loadLocked(); !loaded) return loaded.error();
  }
  return outcome;
}

}  // namespace sw::coordinator
