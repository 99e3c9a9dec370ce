#pragma once
// Thin RAII adapter over the SQLite C API, with the durability settings every
// Stockwire database uses: WAL, synchronous=FULL (checked, not assumed),
// busy_timeout, foreign keys; per-component schema versions (SqliteSchema), row iteration,
// checked binds, a statement cache, write and read transactions and savepoints.

#include <cstdint>
#include <map>
#include <array>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sw/common/result.h"

struct sqlite3;
struct sqlite3_stmt;

namespace sw::common {

class SqliteStmt {
 public:
  SqliteStmt() = default;
  explicit SqliteStmt(sqlite3_stmt* stmt) : stmt_(stmt) {}
  ~SqliteStmt();
  SqliteStmt(SqliteStmt&& other) noexcept : stmt_(other.stmt_), bind_rc_(other.bind_rc_), lent_(other.lent_) {
    other.stmt_ = nullptr;
    other.lent_ = nullptr;
  }
  SqliteStmt& operator=(SqliteStmt&& other) noexcept;
  SqliteStmt(const SqliteStmt&) = delete;
  SqliteStmt& operator=(const SqliteStmt&) = delete;

  // Binding is 1-based, as in SQLite. Text and blobs are copied (SQLITE_TRANSIENT). A bind that
  // fails (an index out of range, out of memory) is remembered and reported by the next step()
  // or run() instead of running the statement with a parameter missing; reset() forgets it.
  SqliteStmt& bind(int index, int64_t value);
  SqliteStmt& bind(int index, std::string_view text);
  SqliteStmt& bindBlob(int index, std::string_view bytes);
  SqliteStmt& bindDouble(int index, double value);  // named apart: bind(i, 5) must not be ambiguous
  SqliteStmt& bindNull(int index);
  SqliteStmt& bind(int index, const std::optional<int64_t>& value);

  // true when a row is ready, false when done; error on failure.
  Result<bool> step();
  // step() that expects no row back (INSERT/UPDATE/DELETE).
  Status run();
  // Steps through every row, calling f(*this) for each; then resets (bindings cleared).
  template <typename F>
  Status eachRow(F&& f) {
    while (true) {
      auto r = step();
      if (!r) return r.error();
      if (!*r) break;
      f(*this);
    }
    reset();
    return {};
  }
  // The first row only: f(*this) when there is one, then resets. True when there was a row.
  template <typename F>
  Result<bool> firstRow(F&& f) {
    auto r = step();
    if (!r) return r.error();
    if (*r) f(*this);
    reset();
    return *r;
  }
  void reset();

  int64_t columnInt(int col) const;
  double columnDouble(int col) const;
  std::string columnText(int col) const;
  std::string_view columnView(int col) const;  // valid until the next step/reset
  bool columnIsNull(int col) const;

  sqlite3_stmt* raw() const { return stmt_; }

 private:
  friend class SqliteDb;
  SqliteStmt& checkBind(int rc);
  void release();
  sqlite3_stmt* stmt_ = nullptr;
  int bind_rc_ = 0;  // SQLITE_OK, or the first failed bind since the last reset
  bool* lent_ = nullptr;  // a statement of SqliteDb's cache: reset and given back, not finalized
};

struct SqliteOptions {
  std::string path;
  bool create = true;          // create the file if missing
  bool read_only = false;
  int busy_timeout_ms = 5000;
  bool quick_check = false;    // run PRAGMA quick_check at open and fail if it is not "ok"
  // Bytes per page of a database this open creates (a power of two, 512-65536); 0 leaves
  // SQLite's default (4096). A file that already has content keeps the size it was made with.
  int page_size = 0;
};

// One component's tables, versioned on their own: one file may hold several components (the
// ledger file holds the ledger, registry, catalog and access tables). Versions are kept in the
// table schema_versions (component, version); step i moves the component from version i to i+1,
// each step and its new version in one transaction, so a crash leaves either version.
struct SqliteSchema {
  std::string component;           // e.g. "ledger", "catalog"
  std::vector<std::string> steps;  // never edit a released step: add one
  // How releases before schema_versions recorded this component's version, read once when
  // schema_versions has no row for it: "user_version" (PRAGMA user_version; then every step also
  // sets user_version, so those releases still refuse a newer file), or the name of a table
  // with rows (key, value) holding ('schema', version); "" = none (a new component: version 0).
  std::string legacy;
};

class SqliteDb {
 public:
  // Opens the database and applies/verifies WAL + synchronous=FULL. A file that is not a
  // database, or fails quick_check, is reported as a fatal "corrupt_database" error.
  static Result<SqliteDb> open(const SqliteOptions& options);

  SqliteDb() = default;
  ~SqliteDb();
  SqliteDb(SqliteDb&& other) noexcept
      : db_(other.db_), path_(std::move(other.path_)), cache_(std::move(other.cache_)) {
    other.db_ = nullptr;
  }
  SqliteDb& operator=(SqliteDb&& other) noexcept;
  SqliteDb(const SqliteDb&) = delete;
  SqliteDb& operator=(const SqliteDb&) = delete;

  Status exec(std::string_view sql);
  Result<SqliteStmt> prepare(std::string_view sql);
  // The statement cache: the same as prepare(), but the compiled statement is kept on this
  // connection and lent out; when the returned SqliteStmt goes away it is reset and given back
  // instead of finalized. A statement still out when the same SQL is asked for again (a nested
  // use) is not shared: that caller gets a fresh one. At most kStatementCacheSize are kept.
  Result<SqliteStmt> cached(std::string_view sql);
  static constexpr size_t kStatementCacheSize = 256;
  // Single integer from the first column of the first row (e.g. a PRAGMA).
  Result<int64_t> queryInt(std::string_view sql);
  Result<std::string> queryText(std::string_view sql);

  // Brings one component's tables to schema.steps.size() (see SqliteSchema). A component whose
  // recorded version is newer than this code knows is refused (fatal "schema_too_new": a
  // downgrade), and nothing is changed.
  Status migrate(const SqliteSchema& schema);
  // The version recorded for a component (0: none yet).
  Result<int64_t> schemaVersion(std::string_view component);

  int64_t lastInsertRowid() const;
  int changes() const;
  const std::string& path() const { return path_; }
  sqlite3* handle() const { return db_; }

  // The error for the last failed call on this connection, classified.
  Error lastError(std::string_view context) const;

 private:
  struct Cached {
    sqlite3_stmt* stmt = nullptr;
    bool lent = false;
  };
  void dropCache();
  sqlite3* db_ = nullptr;
  std::string path_;
  std::map<std::string, Cached, std::less<>> cache_;  // node addresses stay put, moves included
};

// BEGIN IMMEDIATE on construction; rolls back on destruction unless commit() succeeded.
class SqliteTxn {
 public:
  static Result<SqliteTxn> begin(SqliteDb& db);
  SqliteTxn(SqliteTxn&& other) noexcept : db_(other.db_) { other.db_ = nullptr; }
  SqliteTxn(const SqliteTxn&) = delete;
  SqliteTxn& operator=(const SqliteTxn&) = delete;
  SqliteTxn& operator=(SqliteTxn&&) = delete;
  ~SqliteTxn();
  Status commit();

 private:
  explicit SqliteTxn(SqliteDb* db) : db_(db) {}
  SqliteDb* db_;
};

// BEGIN (deferred) on construction, ended on destruction: every read inside sees one snapshot of
// the database (WAL), so figures read by several statements agree.
class SqliteReadTxn {
 public:
  static Result<SqliteReadTxn> begin(SqliteDb& db);
  SqliteReadTxn(SqliteReadTxn&& other) noexcept : db_(other.db_) { other.db_ = nullptr; }
  SqliteReadTxn(const SqliteReadTxn&) = delete;
  SqliteReadTxn& operator=(const SqliteReadTxn&) = delete;
  SqliteReadTxn& operator=(SqliteReadTxn&&) = delete;
  ~SqliteReadTxn();

 private:
  explicit SqliteReadTxn(SqliteDb* db) : db_(db) {}
  SqliteDb* db_;
};

// SAVEPOINT inside an open transaction: release() keeps what was done since; rollback(), or
// destruction without release(), undoes it alone (the transaction goes on).
class SqliteSavepoint {
 public:
  static Result<SqliteSavepoint> begin(SqliteDb& db, std::string name);
  SqliteSavepoint(SqliteSavepoint&& other) noexcept : db_(other.db_), name_(std::move(other.name_)) {
    other.db_ = nullptr;
  }
  SqliteSavepoint(const SqliteSavepoint&) = delete;
  SqliteSavepoint& operator=(const SqliteSavepoint&) = delete;
  SqliteSavepoint& operator=(SqliteSavepoint&&) = delete;
  ~SqliteSavepoint();
  Status release();
  Status rollback();  // to the savepoint, and releases it

 private:
  SqliteSavepoint(SqliteDb* db, std::string name) : db_(db), name_(std::move(name)) {}
  SqliteDb* db_;
  std::string name_;
};

// Maps an SQLite result code to our error kinds: full disk, read-only and I/O errors are
// retry, corruption is fatal, constraint violations are reject.
Error sqliteError(int rc, std::string_view context, std::string_view detail);

// A database file's own name, then the files SQLite keeps beside it: WAL, shared memory, rollback
// journal. Whatever moves, narrows or removes a database does so to all of them.
inline constexpr std::array<const char*, 4> kSqliteFileSuffixes = {"", "-wal", "-shm", "-journal"};
// Removes the files SQLite keeps beside `path` (and `path` itself unless sidecars_only); missing
// ones are no error. kRetry `write_failed` with the file and errno text otherwise.
Status removeSqliteFiles(const std::string& path, bool sidecars_only = false);

// Copies the database at `from` to `to` with SQLite's online backup: `from` may be open and
// written by another process meanwhile, and the copy is the database as of one moment (its
// committed transactions, WAL included). Written to a 0600 temp file beside `to`, fsynced, then
// renamed over `to` (whose stale -wal and -shm are removed first: SQLite would replay them into
// the new file) and the directory fsynced. kReject `not_found` when `from` does not exist,
// fatal `corrupt_database` when it is not a database, kRetry `write_failed` when `to` cannot
// be written; `to` is left as it was on any failure.
Status sqliteCopy(const std::string& from, const std::string& to);

}  // namespace sw::common
