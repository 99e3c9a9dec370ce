#pragma once
// One small interface over the two SQL stores a coordinator can keep its ledger in: SQLite (the
// embedded default, sqlite.h) and PostgreSQL (postgres.h, libpq). Code written against SqlDb and
// SqlStmt runs unchanged on either; the SQL it prepares is SQLite's, and the PostgreSQL side
// translates the little that differs (see PgDb: `?`/`?N` placeholders, INSERT OR IGNORE).
// Keep statements to what both understand: no PRAGMAs, no SQLite-only functions, an explicit
// `ON CONFLICT (...) DO UPDATE` rather than INSERT OR REPLACE.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "sw/common/result.h"
#include "sw/common/sqlite.h"

namespace sw::common {

enum class SqlDialect { kSqlite, kPostgres };

// A prepared statement on one SqlDb connection. Binding is 1-based; a failed bind is reported
// by the next step() or run(). reset() clears the bindings.
class SqlStmt {
 public:
  class Impl {
   public:
    virtual ~Impl() = default;
    virtual void bindInt(int index, int64_t value) = 0;
    virtual void bindText(int index, std::string_view text) = 0;
    virtual void bindBlob(int index, std::string_view bytes) = 0;
    virtual void bindNull(int index) = 0;
    virtual Result<bool> step() = 0;
    virtual void reset() = 0;
    virtual int64_t columnInt(int col) const = 0;
    virtual std::string_view columnView(int col) const = 0;  // text or blob bytes
    virtual bool columnIsNull(int col) const = 0;
  };

  SqlStmt() = default;
  explicit SqlStmt(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

  SqlStmt& bind(int index, int64_t value) {
    impl_->bindInt(index, value);
    return *this;
  }
  SqlStmt& bind(int index, std::string_view text) {
    impl_->bindText(index, text);
    return *this;
  }
  SqlStmt& bind(int index, const std::string& text) { return bind(index, std::string_view(text)); }
  SqlStmt& bind(int index, const char* text) { return bind(index, std::string_view(text)); }
  SqlStmt& bind(int index, const std::optional<int64_t>& value) { return value ? bind(index, *value) : bindNull(index); }
  SqlStmt& bindBlob(int index, std::string_view bytes) {
    impl_->bindBlob(index, bytes);
    return *this;
  }
  SqlStmt& bindNull(int index) {
    impl_->bindNull(index);
    return *this;
  }

  // true when a row is ready, false when done; error on failure.
  Result<bool> step() { return impl_->step(); }
  // step() that expects no row back, then reset().
  Status run() {
    auto r = step();
    reset();
    if (!r) return r.error();
    return {};
  }
  template <typename F>
  Status eachRow(F&& f) {
    while (true) {
      auto r = step();
      if (!r) {
        reset();
        return r.error();
      }
      if (!*r) break;
      f(*this);
    }
    reset();
    return {};
  }
  template <typename F>
  Result<bool> firstRow(F&& f) {
    auto r = step();
    if (!r) {
      reset();
      return r.error();
    }
    if (*r) f(*this);
    reset();
    return *r;
  }
  void reset() { impl_->reset(); }

  int64_t columnInt(int col) const { return impl_->columnInt(col); }
  std::string_view columnView(int col) const { return impl_->columnView(col); }
  std::string columnText(int col) const { return std::string(impl_->columnView(col)); }
  bool columnIsNull(int col) const { return impl_->columnIsNull(col); }
  explicit operator bool() const { return impl_ != nullptr; }
  // Gives up the statement (for SqlDb::cached, which keeps it).
  std::unique_ptr<Impl> release() && { return std::move(impl_); }

 private:
  std::unique_ptr<Impl> impl_;
};

// One connection. Not safe from several threads at once: its owner serialises use.
class SqlDb {
 public:
  virtual ~SqlDb() = default;
  virtual SqlDialect dialect() const = 0;
  // Where it is, for messages ("ledger.db", "postgresql://host/db" without the password).
  virtual std::string describe() const = 0;
  virtual Status exec(std::string_view sql) = 0;
  virtual Result<SqlStmt> prepare(std::string_view sql) = 0;
  // The statement cache: prepare() once per SQL text, the statement kept on this connection and
  // lent out; when the returned SqlStmt goes away it is reset and given back. A statement still
  // out when the same SQL is asked for again (a nested use) is not shared: that caller gets
  // another one. (SQLite: SqliteDb::cached. PostgreSQL: a server-side prepared statement each.)
  virtual Result<SqlStmt> cached(std::string_view sql);
  virtual Result<int64_t> queryInt(std::string_view sql) = 0;
  // Rows changed by the last INSERT/UPDATE/DELETE run on this connection.
  virtual int64_t changes() const = 0;
  // A write transaction (SQLite: BEGIN IMMEDIATE), a read transaction that sees one snapshot
  // (PostgreSQL: REPEATABLE READ, READ ONLY), and their end.
  virtual Status begin() = 0;
  virtual Status beginRead() = 0;
  virtual Status commit() = 0;
  virtual Status rollback() = 0;
  virtual bool inTransaction() const = 0;
  // Brings one component's tables to schema.steps.size(), each step with its version in one
  // transaction; a newer recorded version than this code knows is refused (schema_too_new).
  virtual Status migrate(const SqliteSchema& schema) = 0;
  virtual Result<int64_t> schemaVersion(std::string_view component) = 0;

  // Idle statements of cached(), by SQL text. Shared with the statements lent out (sql.cpp), which
  // give themselves back only while it exists.
  using StmtPool = std::unordered_map<std::string, std::vector<std::unique_ptr<SqlStmt::Impl>>>;

 private:
  std::shared_ptr<StmtPool> pool_ = std::make_shared<StmtPool>();
};

// BEGIN on construction; rolls back on destruction unless commit() succeeded.
class SqlTxn {
 public:
  static Result<SqlTxn> begin(SqlDb& db);
  SqlTxn(SqlTxn&& other) noexcept : db_(other.db_) { other.db_ = nullptr; }
  SqlTxn(const SqlTxn&) = delete;
  SqlTxn& operator=(const SqlTxn&) = delete;
  SqlTxn& operator=(SqlTxn&&) = delete;
  ~SqlTxn();
  Status commit();

 private:
  explicit SqlTxn(SqlDb* db) : db_(db) {}
  SqlDb* db_;
};

// A read transaction: every read inside sees one snapshot. Ended on destruction.
class SqlReadTxn {
 public:
  static Result<SqlReadTxn> begin(SqlDb& db);
  SqlReadTxn(SqlReadTxn&& other) noexcept : db_(other.db_) { other.db_ = nullptr; }
  SqlReadTxn(const SqlReadTxn&) = delete;
  SqlReadTxn& operator=(const SqlReadTxn&) = delete;
  SqlReadTxn& operator=(SqlReadTxn&&) = delete;
  ~SqlReadTxn();

 private:
  explicit SqlReadTxn(SqlDb* db) : db_(db) {}
  SqlDb* db_;
};

// SQLite behind SqlDb (the connection keeps every setting SqliteDb::open gives it).
class SqliteSqlDb final : public SqlDb {
 public:
  static Result<std::unique_ptr<SqliteSqlDb>> open(const SqliteOptions& options);
  explicit SqliteSqlDb(SqliteDb db) : db_(std::move(db)) {}
  SqlDialect dialect() const override { return SqlDialect::kSqlite; }
  std::string describe() const override { return db_.path(); }
  Status exec(std::string_view sql) override { return db_.exec(sql); }
  Result<SqlStmt> prepare(std::string_view sql) override;
  Result<SqlStmt> cached(std::string_view sql) override;
  Result<int64_t> queryInt(std::string_view sql) override { return db_.queryInt(sql); }
  int64_t changes() const override { return db_.changes(); }
  Status begin() override { return db_.exec("BEGIN IMMEDIATE"); }
  Status beginRead() override { return db_.exec("BEGIN"); }
  Status commit() override { return db_.exec("COMMIT"); }
  Status rollback() override { return db_.exec("ROLLBACK"); }
  bool inTransaction() const override;
  Status migrate(const SqliteSchema& schema) override { return db_.migrate(schema); }
  Result<int64_t> schemaVersion(std::string_view component) override { return db_.schemaVersion(component); }

 private:
  SqliteDb db_;
};

// The scheme that names a PostgreSQL database: `postgresql://` or `postgres://` (libpq's URIs).
bool isPostgresUrl(std::string_view target);

}  // namespace sw::common
