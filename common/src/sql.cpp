#include "sw/common/sql.h"

#include <sqlite3.h>

namespace sw::common {

namespace {

class SqliteImpl final : public SqlStmt::Impl {
 public:
  explicit SqliteImpl(SqliteStmt st) : st_(std::move(st)) {}
  void bindInt(int index, int64_t value) override { st_.bind(index, value); }
  void bindText(int index, std::string_view text) override { st_.bind(index, text); }
  void bindBlob(int index, std::string_view bytes) override { st_.bindBlob(index, bytes); }
  void bindNull(int index) override { st_.bindNull(index); }
  Result<bool> step() override { return st_.step(); }
  void reset() override { st_.reset(); }
  int64_t columnInt(int col) const override { return st_.columnInt(col); }
  std::string_view columnView(int col) const override { return st_.columnView(col); }
  bool columnIsNull(int col) const override { return st_.columnIsNull(col); }

 private:
  SqliteStmt st_;
};

// A statement of SqlDb::cached(): forwards to the one it lends, and gives it back (reset) to the
// pool when the caller is done with it.
class LentImpl final : public SqlStmt::Impl {
 public:
  using Pool = SqlDb::StmtPool;
  LentImpl(std::unique_ptr<SqlStmt::Impl> inner, std::weak_ptr<Pool> home, std::string sql)
      : inner_(std::move(inner)), home_(std::move(home)), sql_(std::move(sql)) {}
  ~LentImpl() override {
    inner_->reset();
    if (auto pool = home_.lock()) (*pool)[sql_].push_back(std::move(inner_));
  }
  void bindInt(int index, int64_t value) override { inner_->bindInt(index, value); }
  void bindText(int index, std::string_view text) override { inner_->bindText(index, text); }
  void bindBlob(int index, std::string_view bytes) override { inner_->bindBlob(index, bytes); }
  void bindNull(int index) override { inner_->bindNull(index); }
  Result<bool> step() override { return inner_->step(); }
  void reset() override { inner_->reset(); }
  int64_t columnInt(int col) const override { return inner_->columnInt(col); }
  std::string_view columnView(int col) const override { return inner_->columnView(col); }
  bool columnIsNull(int col) const override { return inner_->columnIsNull(col); }

 private:
  std::unique_ptr<SqlStmt::Impl> inner_;
  std::weak_ptr<Pool> home_;
  std::string sql_;
};

}  // namespace

Result<SqlStmt> SqlDb::cached(std::string_view sql) {
  std::string key(sql);
  std::unique_ptr<SqlStmt::Impl> impl;
  if (auto it = pool_->find(key); it != pool_->end() && !it->second.empty()) {
    impl = std::move(it->second.back());
    it->second.pop_back();
  } else {
    auto st = prepare(sql);
    if (!st) return st.error();
    impl = std::move(*st).release();
  }
  return SqlStmt(std::make_unique<LentImpl>(std::move(impl), pool_, std::move(key)));
}

Result<std::unique_ptr<SqliteSqlDb>> SqliteSqlDb::open(const SqliteOptions& options) {
  auto db = SqliteDb::open(options);
  if (!db) return db.error();
  return std::make_unique<SqliteSqlDb>(std::move(*db));
}

Result<SqlStmt> SqliteSqlDb::prepare(std::string_view sql) {
  auto st = db_.prepare(sql);
  if (!st) return st.error();
  return SqlStmt(std::make_unique<SqliteImpl>(std::move(*st)));
}

Result<SqlStmt> SqliteSqlDb::cached(std::string_view sql) {
  auto st = db_.cached(sql);
  if (!st) return st.error();
  return SqlStmt(std::make_unique<SqliteImpl>(std::move(*st)));
}

bool SqliteSqlDb::inTransaction() const { return db_.handle() && !sqlite3_get_autocommit(db_.handle()); }

Result<SqlTxn> SqlTxn::begin(SqlDb& db) {
  if (auto s = db.begin(); !s) return s.error();
  return SqlTxn(&db);
}

SqlTxn::~SqlTxn() {
  if (db_ && db_->inTransaction()) (void)db_->rollback();
}

Status SqlTxn::commit() {
  SqlDb* db = db_;
  db_ = nullptr;
  if (auto s = db->commit(); !s) {
    if (db->inTransaction()) (void)db->rollback();
    return s;
  }
  return {};
}

Result<SqlReadTxn> SqlReadTxn::begin(SqlDb& db) {
  if (auto s = db.beginRead(); !s) return s.error();
  return SqlReadTxn(&db);
}

SqlReadTxn::~SqlReadTxn() {
  // A read transaction changed nothing: ending it either way only releases the snapshot.
  if (db_ && db_->inTransaction()) (void)db_->rollback();
}

bool isPostgresUrl(std::string_view target) {
  return target.starts_with("postgresql://") || target.starts_with("postgres://");
}

}  // namespace sw::common
