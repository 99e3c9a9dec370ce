#pragma once
// PostgreSQL behind SqlDb (sql.h), on libpq. Statements are written in SQLite's SQL and
// translated here where the two differ:
//   - `?` and `?N` placeholders become `$N` (outside quoted strings and identifiers);
//   - `INSERT OR IGNORE INTO ...` becomes `INSERT INTO ... ON CONFLICT DO NOTHING`.
// Parameters go as text with no declared type, so the server infers each from where it is used;
// blobs go as bytea hex (`\x...`) and bytea and boolean columns read back as bytes and 0/1.
// A connection that breaks is reset on the next call, its statements prepared again; the call
// that found it broken fails with a retry error (its transaction is gone).

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "sw/common/sql.h"

struct pg_conn;

namespace sw::common {

struct PgOptions {
  std::string url;  // postgresql://user@host:port/db?... (libpq's connection URI)
  std::string application_name = "stockwire";
};

class PgDb final : public SqlDb {
 public:
  static Result<std::unique_ptr<PgDb>> open(const PgOptions& options);
  ~PgDb() override;
  PgDb(const PgDb&) = delete;
  PgDb& operator=(const PgDb&) = delete;

  SqlDialect dialect() const override { return SqlDialect::kPostgres; }
  std::string describe() const override { return described_; }
  Status exec(std::string_view sql) override;
  Result<SqlStmt> prepare(std::string_view sql) override;
  Result<int64_t> queryInt(std::string_view sql) override;
  int64_t changes() const override { return changes_; }
  Status begin() override { return exec("BEGIN"); }
  Status beginRead() override { return exec("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"); }
  Status commit() override;
  Status rollback() override { return exec("ROLLBACK"); }
  bool inTransaction() const override;
  // Versions in schema_versions (component, version), as SqliteDb keeps them; every step runs
  // under one advisory lock, so coordinators starting together migrate once. `legacy` is unused.
  Status migrate(const SqliteSchema& schema) override;
  Result<int64_t> schemaVersion(std::string_view component) override;

  // The SQL sent to the server for a statement written for SQLite, and its parameter count.
  static std::string translate(std::string_view sqlite_sql, int* params = nullptr);
  // The URL without its password, for logs and messages.
  static std::string redactUrl(std::string_view url);

  // LISTEN/NOTIFY: after exec("LISTEN channel"), waits up to timeout_ms for notifications on
  // this connection and returns their payloads (none: the time passed). A broken connection is
  // an error (retry); its LISTEN is gone with it, so the caller opens a new one.
  Result<std::vector<std::string>> waitNotifications(int timeout_ms);

  // Used by statements (postgres.cpp).
  pg_conn* conn() const { return conn_; }
  void setChanges(int64_t n) { changes_ = n; }
  // After a failed call: resets a broken connection (preparing every statement again) and
  // returns the error to report.
  Error failure(std::string_view context, const std::string& sqlstate, const std::string& message);

 private:
  PgDb() = default;
  Status prepareOnServer(const std::string& name, const std::string& sql);
  pg_conn* conn_ = nullptr;
  std::string described_;
  int64_t changes_ = 0;
  int next_name_ = 0;
  std::map<std::string, std::string> prepared_;  // name -> translated SQL, for a reset
};

// Maps a SQLSTATE to our error kinds: a broken connection, serialization failures, deadlocks,
// a full disk and too many connections are retry; integrity violations are reject ("constraint");
// data corruption and everything else fatal.
Error pgError(const std::string& sqlstate, std::string_view context, std::string_view detail);

}  // namespace sw::common
