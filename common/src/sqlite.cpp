#include "sw/common/sqlite.h"

#include <fcntl.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <mutex>
#include <thread>
#include <utility>

#include "schema_too_new.h"
#include "sw/common/log.h"

namespace sw::common {

Error sqliteError(int rc, std::string_view context, std::string_view detail) {
  std::string msg = std::string(context) + ": " + std::string(detail);
  switch (rc & 0xff) {
    case SQLITE_FULL:
      return Error::retry("disk_full", msg + " (the disk is full; free space and try again)");
    case SQLITE_READONLY:
      return Error::retry("read_only", msg + " (the database or its folder is read-only)");
    case SQLITE_IOERR:
    case SQLITE_CANTOPEN:
      return Error::retry("io_error", msg);
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return Error::retry("busy", msg);
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      return Error::fatal("corrupt_database", msg);
    case SQLITE_CONSTRAINT:
      return Error::reject("constraint", msg);
    case SQLITE_NOMEM:
      return Error::fatal("out_of_memory", msg);
    default:
      return Error::fatal("sqlite_error", msg);
  }
}

SqliteStmt::~SqliteStmt() { release(); }

void SqliteStmt::release() {
  if (!stmt_) return;
  if (lent_) {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
    *lent_ = false;
  } else {
    sqlite3_finalize(stmt_);
  }
  stmt_ = nullptr;
  lent_ = nullptr;
}

SqliteStmt& SqliteStmt::operator=(SqliteStmt&& other) noexcept {
  if (this != &other) {
    release();
    stmt_ = other.stmt_;
    bind_rc_ = other.bind_rc_;
    lent_ = other.lent_;
    other.stmt_ = nullptr;
    other.lent_ = nullptr;
  }
  return *this;
}

SqliteStmt& SqliteStmt::checkBind(int rc) {
  if (rc != SQLITE_OK && bind_rc_ == SQLITE_OK) bind_rc_ = rc;
  return *this;
}

SqliteStmt& SqliteStmt::bind(int index, int64_t value) { return checkBind(sqlite3_bind_int64(stmt_, index, value)); }

SqliteStmt& SqliteStmt::bind(int index, std::string_view text) {
  return checkBind(sqlite3_bind_text(stmt_, index, text.data(), static_cast<int>(text.size()), SQLITE_TRANSIENT));
}

SqliteStmt& SqliteStmt::bindDouble(int index, double value) { return checkBind(sqlite3_bind_double(stmt_, index, value)); }

SqliteStmt& SqliteStmt::bindBlob(int index, std::string_view bytes) {
  return checkBind(sqlite3_bind_blob(stmt_, index, bytes.data(), static_cast<int>(bytes.size()), SQLITE_TRANSIENT));
}

SqliteStmt& SqliteStmt::bindNull(int index) { return checkBind(sqlite3_bind_null(stmt_, index)); }

SqliteStmt& SqliteStmt::bind(int index, const std::optional<int64_t>& value) {
  return value ? bind(index, *value) : bindNull(index);
}

Result<bool> SqliteStmt::step() {
  if (bind_rc_ != SQLITE_OK) {
    Error e = sqliteError(bind_rc_, "bind", sqlite3_errstr(bind_rc_));
    reset();
    return e;
  }
  int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  sqlite3* db = sqlite3_db_handle(stmt_);
  Error e = sqliteError(rc, "step", sqlite3_errmsg(db));
  sqlite3_reset(stmt_);
  return e;
}

Status SqliteStmt::run() {
  auto r = step();
  reset();
  if (!r) return r.error();
  return {};
}

void SqliteStmt::reset() {
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
  bind_rc_ = SQLITE_OK;
}

int64_t SqliteStmt::columnInt(int col) const { return sqlite3_column_int64(stmt_, col); }

double SqliteStmt::columnDouble(int col) const { return sqlite3_column_double(stmt_, col); }

std::string SqliteStmt::columnText(int col) const { return std::string(columnView(col)); }

std::string_view SqliteStmt::columnView(int col) const {
  const void* p = sqlite3_column_blob(stmt_, col);
  int n = sqlite3_column_bytes(stmt_, col);
  if (!p || n <= 0) return {};
  return {static_cast<const char*>(p), static_cast<size_t>(n)};
}

bool SqliteStmt::columnIsNull(int col) const { return sqlite3_column_type(stmt_, col) == SQLITE_NULL; }

SqliteDb::~SqliteDb() {
  dropCache();
  if (db_) sqlite3_close_v2(db_);
}

void SqliteDb::dropCache() {
  // A statement still lent out when its connection goes is a caller's bug; it is finalized with
  // the rest (close_v2 would otherwise keep the connection alive for it).
  for (auto& [sql, c] : cache_) sqlite3_finalize(c.stmt);
  cache_.clear();
}

SqliteDb& SqliteDb::operator=(SqliteDb&& other) noexcept {
  if (this != &other) {
    dropCache();
    if (db_) sqlite3_close_v2(db_);
    db_ = other.db_;
    path_ = std::move(other.path_);
    cache_ = std::move(other.cache_);
    other.db_ = nullptr;
  }
  return *this;
}

Result<SqliteDb> SqliteDb::open(const SqliteOptions& options) {
  // Nothing here reads SQLite's memory statistics; keeping them takes a global mutex on every
  // allocation, which every connection in the process would share.
  static std::once_flag no_memstatus;
  std::call_once(no_memstatus, [] { (void)sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0); });
  SqliteDb db;
  db.path_ = options.path;
  int flags = SQLITE_OPEN_NOMUTEX;
  if (options.read_only) {
    flags |= SQLITE_OPEN_READONLY;
  } else {
    flags |= SQLITE_OPEN_READWRITE;
    if (options.create) flags |= SQLITE_OPEN_CREATE;
  }
  if (!options.read_only && options.path != ":memory:" && !options.path.empty()) {
    // Ledgers and stores hold every sale: owner-only (0600). SQLite gives the -wal and -shm files
    // the database file's mode, so the file is made 0600 before SQLite makes it, and an existing
    // file (and its -wal/-shm) left with a wider mode is narrowed at every open.
    // Only a file that does not exist yet is opened here: closing a descriptor of a database
    // file this process already has open would drop every POSIX lock SQLite holds on it.
    struct stat existing {};
    if (options.create && ::stat(options.path.c_str(), &existing) != 0 && errno == ENOENT) {
      int fd = ::open(options.path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
      if (fd >= 0) ::close(fd);
    }
    for (const char* suffix : kSqliteFileSuffixes) {
      const std::string f = options.path + suffix;
      struct stat st {};
      if (::stat(f.c_str(), &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & 0077) != 0) {
        if (::chmod(f.c_str(), st.st_mode & 0700) != 0) {
          SW_WARN("sqlite") << "cannot make " << f << " owner-only: " << std::strerror(errno);
        }
      }
    }
  }
  int rc = sqlite3_open_v2(options.path.c_str(), &db.db_, flags, nullptr);
  if (rc != SQLITE_OK) {
    std::string detail = db.db_ ? sqlite3_errmsg(db.db_) : "cannot open";
    return sqliteError(rc, "open " + options.path, detail);
  }
  sqlite3_extended_result_codes(db.db_, 1);
  sqlite3_busy_timeout(db.db_, options.busy_timeout_ms);

  // Reading the schema is the first thing that touches the file's contents: a file that is
  // not a database fails here with SQLITE_NOTADB.
  if (auto r = db.queryInt("PRAGMA schema_version"); !r) {
    Error e = r.error();
    if (e.code == "corrupt_database" || e.code == "sqlite_error") {
      return Error::fatal("corrupt_database", options.path + " is not a valid SQLite database (" + e.message +
                                                  "); it was left untouched");
    }
    return e;
  }
  if (options.quick_check) {
    auto r = db.queryText("PRAGMA quick_check");
    if (!r || *r != "ok") {
      std::string why = r ? *r : r.error().message;
      return Error::fatal("corrupt_database", options.path + " failed its integrity check (" + why +
                                                  "); it was left untouched");
    }
  }
  if (!options.read_only) {
    // Before the switch to WAL, which writes the file's first page: SQLite takes the size only
    // while the database is still empty.
    if (options.page_size > 0) {
      if (auto s = db.exec("PRAGMA page_size=" + std::to_string(options.page_size)); !s) return s.error();
    }
    auto mode = db.queryText("PRAGMA journal_mode=WAL");
    if (!mode) return mode.error();
    if (*mode != "wal") return Error::fatal("no_wal", options.path + ": cannot switch to WAL (got " + *mode + ")");
    if (auto s = db.exec("PRAGMA synchronous=FULL"); !s) return s.error();
    auto sync = db.queryInt("PRAGMA synchronous");
    if (!sync) return sync.error();
    if (*sync != 2) {
      return Error::fatal("not_durable", options.path + ": synchronous is " + std::to_string(*sync) +
                                             " after setting FULL (2); refusing to run without durable commits");
    }
    if (auto s = db.exec("PRAGMA foreign_keys=ON"); !s) return s.error();
  }
  return db;
}

Status SqliteDb::exec(std::string_view sql) {
  std::string s(sql);
  char* err = nullptr;
  int rc = sqlite3_exec(db_, s.c_str(), nullptr, nullptr, &err);
  if (rc != SQLITE_OK) {
    std::string detail = err ? err : sqlite3_errmsg(db_);
    sqlite3_free(err);
    return sqliteError(rc, "exec", detail);
  }
  return {};
}

Result<SqliteStmt> SqliteDb::prepare(std::string_view sql) {
  sqlite3_stmt* stmt = nullptr;
  int rc = sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT, &stmt,
                              nullptr);
  if (rc != SQLITE_OK) return sqliteError(rc, "prepare", sqlite3_errmsg(db_));
  return SqliteStmt(stmt);
}

Result<SqliteStmt> SqliteDb::cached(std::string_view sql) {
  auto it = cache_.find(sql);
  if (it == cache_.end()) {
    if (cache_.size() >= kStatementCacheSize) return prepare(sql);
    auto st = prepare(sql);
    if (!st) return st.error();
    it = cache_.emplace(std::string(sql), Cached{st->stmt_, false}).first;
    st->stmt_ = nullptr;  // the cache owns it now
  }
  if (it->second.lent) return prepare(sql);
  it->second.lent = true;
  SqliteStmt out(it->second.stmt);
  out.lent_ = &it->second.lent;
  return out;
}

Result<int64_t> SqliteDb::queryInt(std::string_view sql) {
  auto st = prepare(sql);
  if (!st) return st.error();
  auto r = st->step();
  if (!r) return r.error();
  if (!*r) return Error::fatal("no_row", std::string(sql) + " returned no row");
  return st->columnInt(0);
}

Result<std::string> SqliteDb::queryText(std::string_view sql) {
  auto st = prepare(sql);
  if (!st) return st.error();
  auto r = st->step();
  if (!r) return r.error();
  if (!*r) return Error::fatal("no_row", std::string(sql) + " returned no row");
  return st->columnText(0);
}

namespace {

constexpr const char* kVersionsTable =
    "CREATE TABLE IF NOT EXISTS schema_versions (component TEXT PRIMARY KEY, version INTEGER NOT NULL)";

// The version an earlier release recorded for this component its own way (see SqliteSchema::legacy).
Result<int64_t> legacyVersion(SqliteDb& db, const std::string& legacy) {
  if (legacy.empty()) return int64_t{0};
  if (legacy == "user_version") return db.queryInt("PRAGMA user_version");
  auto st = db.prepare("SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = ?");
  if (!st) return st.error();
  st->bind(1, legacy);
  int64_t tables = 0;
  if (auto r = st->firstRow([&](const SqliteStmt& row) { tables = row.columnInt(0); }); !r) return r.error();
  if (tables == 0) return int64_t{0};
  auto v = db.prepare("SELECT CAST(value AS INTEGER) FROM \"" + legacy + "\" WHERE key = 'schema'");
  if (!v) return v.error();
  int64_t version = 0;
  if (auto r = v->firstRow([&](const SqliteStmt& row) { version = row.columnInt(0); }); !r) return r.error();
  return version;
}

// The version schema_versions holds for a component (the table must exist); nullopt: no row.
Result<std::optional<int64_t>> storedVersion(SqliteDb& db, std::string_view component) {
  auto st = db.prepare("SELECT version FROM schema_versions WHERE component = ?");
  if (!st) return st.error();
  st->bind(1, component);
  std::optional<int64_t> version;
  if (auto r = st->firstRow([&](const SqliteStmt& row) { version = row.columnInt(0); }); !r) return r.error();
  return version;
}

Status setVersion(SqliteDb& db, const SqliteSchema& schema, int64_t version) {
  auto st = db.prepare(
      "INSERT INTO schema_versions (component, version) VALUES (?, ?)"
      " ON CONFLICT (component) DO UPDATE SET version = excluded.version");
  if (!st) return st.error();
  st->bind(1, schema.component).bind(2, version);
  if (auto s = st->run(); !s) return s;
  if (schema.legacy == "user_version") return db.exec("PRAGMA user_version=" + std::to_string(version));
  return {};
}

}  // namespace

Error schemaTooNew(std::string_view where, std::string_view component, int64_t found, int64_t known) {
  return Error::fatal("schema_too_new", std::string(where) + ": the " + std::string(component) +
                                            " tables have schema version " + std::to_string(found) +
                                            ", newer than this program knows (" + std::to_string(known) +
                                            "); refusing to open them (run the newer version, or restore a backup "
                                            "made by this one)");
}

Result<int64_t> SqliteDb::schemaVersion(std::string_view component) {
  if (auto s = exec(kVersionsTable); !s) return s.error();
  auto version = storedVersion(*this, component);
  if (!version) return version.error();
  return version->value_or(0);
}

Status SqliteDb::migrate(const SqliteSchema& schema) {
  const auto known = static_cast<int64_t>(schema.steps.size());
  int64_t version = 0;
  {
    // The first open after an upgrade to schema_versions takes the version from where it was kept.
    auto txn = SqliteTxn::begin(*this);
    if (!txn) return txn.error();
    if (auto s = exec(kVersionsTable); !s) return s.error();
    auto stored = storedVersion(*this, schema.component);
    if (!stored) return stored.error();
    if (*stored) {
      version = **stored;
    } else {
      auto legacy = legacyVersion(*this, schema.legacy);
      if (!legacy) return legacy.error();
      version = *legacy;
      if (version > 0 && version <= known) {
        if (auto s = setVersion(*this, schema, version); !s) return s.error();
      }
    }
    if (version > known) return schemaTooNew(path_, schema.component, version, known);
    if (auto s = txn->commit(); !s) return s.error();
  }
  for (int64_t i = version; i < known; ++i) {
    auto txn = SqliteTxn::begin(*this);
    if (!txn) return txn.error();
    if (auto s = exec(schema.steps[static_cast<size_t>(i)]); !s) {
      return Error::fatal(s.error().code, path_ + ": " + schema.component + " schema step " + std::to_string(i + 1) +
                                              " failed: " + s.error().message);
    }
    if (auto s = setVersion(*this, schema, i + 1); !s) return s.error();
    if (auto s = txn->commit(); !s) return s.error();
  }
  return {};
}

int64_t SqliteDb::lastInsertRowid() const { return sqlite3_last_insert_rowid(db_); }
int SqliteDb::changes() const { return sqlite3_changes(db_); }

Error SqliteDb::lastError(std::string_view context) const {
  return sqliteError(sqlite3_extended_errcode(db_), context, sqlite3_errmsg(db_));
}

Result<SqliteTxn> SqliteTxn::begin(SqliteDb& db) {
  if (auto s = db.exec("BEGIN IMMEDIATE"); !s) return s.error();
  return SqliteTxn(&db);
}

SqliteTxn::~SqliteTxn() {
  if (db_ && !sqlite3_get_autocommit(db_->handle())) {
    (void)db_->exec("ROLLBACK");
  }
}

Status SqliteTxn::commit() {
  SqliteDb* db = db_;
  db_ = nullptr;
  if (auto s = db->exec("COMMIT"); !s) {
    if (!sqlite3_get_autocommit(db->handle())) (void)db->exec("ROLLBACK");
    return s;
  }
  return {};
}

Result<SqliteReadTxn> SqliteReadTxn::begin(SqliteDb& db) {
  if (auto s = db.exec("BEGIN"); !s) return s.error();
  return SqliteReadTxn(&db);
}

SqliteReadTxn::~SqliteReadTxn() {
  // A read transaction changed nothing: ending it either way only releases the snapshot.
  if (db_ && !sqlite3_get_autocommit(db_->handle())) (void)db_->exec("ROLLBACK");
}

Result<SqliteSavepoint> SqliteSavepoint::begin(SqliteDb& db, std::string name) {
  if (auto s = db.exec("SAVEPOINT " + name); !s) return s.error();
  return SqliteSavepoint(&db, std::move(name));
}

SqliteSavepoint::~SqliteSavepoint() {
  if (db_) (void)rollback();
}

Status SqliteSavepoint::release() {
  SqliteDb* db = db_;
  db_ = nullptr;
  return db ? db->exec("RELEASE " + name_) : Status{};
}

Status SqliteSavepoint::rollback() {
  SqliteDb* db = db_;
  db_ = nullptr;
  if (!db) return {};
  if (auto s = db->exec("ROLLBACK TO " + name_); !s) return s;
  return db->exec("RELEASE " + name_);
}

Status removeSqliteFiles(const std::string& path, bool sidecars_only) {
  for (const char* suffix : kSqliteFileSuffixes) {
    if (sidecars_only && *suffix == '\0') continue;
    const std::string f = path + suffix;
    if (::unlink(f.c_str()) != 0 && errno != ENOENT) {
      return Error::retry("write_failed", "cannot remove " + f + ": " + std::strerror(errno));
    }
  }
  return {};
}

Status sqliteCopy(const std::string& from, const std::string& to) {
  struct stat st {};
  if (::stat(from.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) {
    return Error::reject("not_found", "no database file " + from);
  }
  auto close = [](sqlite3* db) {
    if (db) sqlite3_close_v2(db);
  };
  std::unique_ptr<sqlite3, decltype(close)> src(nullptr, close), dst(nullptr, close);
  sqlite3* raw = nullptr;
  // Read-write without create: a reader of a WAL database may need to write its -shm.
  int rc = sqlite3_open_v2(from.c_str(), &raw, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, nullptr);
  src.reset(raw);
  if (rc != SQLITE_OK) return sqliteError(rc, "open " + from, raw ? sqlite3_errmsg(raw) : "cannot open");
  sqlite3_busy_timeout(src.get(), 5000);
  const std::string tmp = to + ".tmp";
  (void)removeSqliteFiles(tmp);  // a crashed copy's leftovers; failing that, the create below says why
  int fd = ::open(tmp.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) return Error::retry("write_failed", "cannot create " + tmp + ": " + std::strerror(errno));
  ::close(fd);
  auto cleanup = [&tmp](Error e) {
    (void)removeSqliteFiles(tmp);
    return e;
  };
  raw = nullptr;
  rc = sqlite3_open_v2(tmp.c_str(), &raw, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, nullptr);
  dst.reset(raw);
  if (rc != SQLITE_OK) return cleanup(sqliteError(rc, "open " + tmp, raw ? sqlite3_errmsg(raw) : "cannot open"));
  sqlite3_backup* b = sqlite3_backup_init(dst.get(), "main", src.get(), "main");
  if (!b) return cleanup(sqliteError(sqlite3_errcode(dst.get()), "back up " + from, sqlite3_errmsg(dst.get())));
  // All pages in one step: one read transaction on the source, so one moment's database. A
  // writer holding the source (rollback journal only; WAL readers never wait) is waited for.
  for (int tries = 0;; ++tries) {
    rc = sqlite3_backup_step(b, -1);
    if ((rc == SQLITE_BUSY || rc == SQLITE_LOCKED) && tries < 100) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      continue;
    }
    break;
  }
  int fin = sqlite3_backup_finish(b);
  if (rc != SQLITE_DONE) {
    Error e = sqliteError(rc, "back up " + from, sqlite3_errstr(rc));
    if ((rc & 0xff) == SQLITE_NOTADB || (rc & 0xff) == SQLITE_CORRUPT) {
      e = Error::fatal("corrupt_database", from + " is not a valid SQLite database (" + e.message + ")");
    }
    return cleanup(e);
  }
  if (fin != SQLITE_OK) return cleanup(sqliteError(fin, "back up " + from, sqlite3_errmsg(dst.get())));
  // The copy's pages all in the main file (a WAL-mode copy checkpoints on close).
  dst.reset();
  src.reset();
  fd = ::open(tmp.c_str(), O_RDWR | O_CLOEXEC);
  if (fd < 0 || ::fsync(fd) != 0) {
    Error e = Error::retry("write_failed", "cannot fsync " + tmp + ": " + std::strerror(errno));
    if (fd >= 0) ::close(fd);
    return cleanup(e);
  }
  ::close(fd);
  (void)removeSqliteFiles(tmp, /*sidecars_only=*/true);
  if (auto s = removeSqliteFiles(to, /*sidecars_only=*/true); !s) return cleanup(s.error());
  if (::rename(tmp.c_str(), to.c_str()) != 0) {
    return cleanup(Error::retry("write_failed", "cannot rename " + tmp + " to " + to + ": " + std::strerror(errno)));
  }
  std::string dir = std::filesystem::path(to).parent_path().string();
  int dfd = ::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
  return {};
}

}  // namespace sw::common
