// Sales history on the ledger's store: a connection of its own (see Ledger::openSalesHistory).

#include <mutex>

#include "sw/coordinator/ledger/sql_ledger.h"

namespace sw::coordinator {

using common::Result;

namespace {

class SqlSalesHistory final : public SalesHistory {
 public:
  static Result<std::unique_ptr<SalesHistory>> open(const LedgerOptions& options) {
    std::unique_ptr<SqlSalesHistory> h(new SqlSalesHistory());
    // The ledger has created the store and its schema; this connection only reads.
    auto db = SqlLedger::connect(options, false);
    if (!db) return db.error();
    h->db_ = std::move(*db);
    // Ids first so the (loc, sku, at_ms) index answers the range.
    auto st = h->db_->prepare(
        "SELECT COALESCE(SUM(m.qty), 0) FROM movements m"
        " WHERE m.loc = (SELECT id FROM locations WHERE name = ?1)"
        "   AND m.sku = (SELECT id FROM skus WHERE sku = ?2)"
        "   AND m.at_ms > ?3 AND m.at_ms <= ?4 AND m.kind = 'sale'");
    if (!st) return st.error();
    h->sold_ = std::move(*st);
    return std::unique_ptr<SalesHistory>(std::move(h));
  }

  Result<int64_t> unitsSold(const std::string& location, const std::string& sku, int64_t end_ms,
                            int64_t window_ms) override {
    std::lock_guard lock(mu_);
    sold_.reset();
    sold_.bind(1, location).bind(2, sku).bind(3, end_ms - window_ms).bind(4, end_ms);
    auto row = sold_.step();
    if (!row) {
      sold_.reset();
      return row.error();
    }
    int64_t units = *row ? sold_.columnInt(0) : 0;
    sold_.reset();
    return units;
  }

  Result<std::vector<std::string>> skus() override {
    std::lock_guard lock(mu_);
    auto st = db_->prepare("SELECT sku FROM skus ORDER BY sku");
    if (!st) return st.error();
    std::vector<std::string> out;
    if (auto each_ok = st->eachRow([&](const common::SqlStmt& row) { out.push_back(row.columnText(0)); }); !each_ok) {
      return each_ok.error();
    }
    return out;
  }

 private:
  SqlSalesHistory() = default;
  std::mutex mu_;
  std::unique_ptr<common::SqlDb> db_;
  common::SqlStmt sold_;
};

}  // namespace

Result<std::unique_ptr<SalesHistory>> SqlLedger::openSalesHistory() { return SqlSalesHistory::open(options_); }

}  // namespace sw::coordinator
