#include "sw/common/postgres.h"

#include <libpq-fe.h>
#include <poll.h>

#include <cstdlib>
#include <vector>

#include "schema_too_new.h"
#include "sw/common/log.h"

namespace sw::common {

namespace {

constexpr Oid kByteaOid = 17;
constexpr Oid kBoolOid = 16;

std::string resultError(const PGresult* res, pg_conn* conn, std::string* sqlstate) {
  const char* state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : nullptr;
  *sqlstate = state ? state : (PQstatus(conn) == CONNECTION_BAD ? "08006" : "");
  const char* msg = res ? PQresultErrorMessage(res) : PQerrorMessage(conn);
  std::string out = msg && *msg ? msg : PQerrorMessage(conn);
  while (!out.empty() && (out.back() == '\n' || out.back() == ' ')) out.pop_back();
  return out;
}

bool resultOk(const PGresult* res) {
  ExecStatusType st = res ? PQresultStatus(res) : PGRES_FATAL_ERROR;
  return st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK;
}

int hexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// bytea in hex output format ("\x0a1b..."); anything else is returned as it is.
std::string decodeBytea(std::string_view text) {
  if (text.size() < 2 || text[0] != '\\' || text[1] != 'x') return std::string(text);
  std::string out;
  out.reserve((text.size() - 2) / 2);
  for (size_t i = 2; i + 1 < text.size(); i += 2) {
    int hi = hexValue(text[i]), lo = hexValue(text[i + 1]);
    if (hi < 0 || lo < 0) return std::string(text);
    out.push_back(static_cast<char>(hi * 16 + lo));
  }
  return out;
}

std::string encodeBytea(std::string_view bytes) {
  static const char* kHex = "0123456789abcdef";
  std::string out = "\\x";
  out.reserve(2 + bytes.size() * 2);
  for (unsigned char c : bytes) {
    out.push_back(kHex[c >> 4]);
    out.push_back(kHex[c & 15]);
  }
  return out;
}

class PgImpl final : public SqlStmt::Impl {
 public:
  PgImpl(PgDb* db, std::string name, int params)
      : db_(db), name_(std::move(name)), values_(static_cast<size_t>(params)), null_(static_cast<size_t>(params), 1) {}
  ~PgImpl() override { clear(); }

  void bindInt(int index, int64_t value) override { set(index, std::to_string(value)); }
  void bindText(int index, std::string_view text) override { set(index, std::string(text)); }
  void bindBlob(int index, std::string_view bytes) override { set(index, encodeBytea(bytes)); }
  void bindNull(int index) override {
    if (!check(index)) return;
    null_[static_cast<size_t>(index - 1)] = 1;
  }

  Result<bool> step() override {
    if (!res_) {
      if (bad_bind_) {
        int index = bad_bind_;
        reset();
        return Error::fatal("bind", "parameter " + std::to_string(index) + " is out of range for statement " + name_);
      }
      std::vector<const char*> ptrs(values_.size());
      for (size_t i = 0; i < values_.size(); ++i) ptrs[i] = null_[i] ? nullptr : values_[i].c_str();
      res_ = PQexecPrepared(db_->conn(), name_.c_str(), static_cast<int>(ptrs.size()), ptrs.data(), nullptr, nullptr, 0);
      if (!resultOk(res_)) {
        std::string state;
        std::string msg = resultError(res_, db_->conn(), &state);
        clear();
        return db_->failure("step", state, msg);
      }
      const char* n = PQcmdTuples(res_);
      db_->setChanges(n && *n ? std::strtoll(n, nullptr, 10) : 0);
      rows_ = PQntuples(res_);
      row_ = 0;
      decoded_.assign(static_cast<size_t>(PQnfields(res_)), std::nullopt);
    } else {
      ++row_;
      for (auto& d : decoded_) d.reset();
    }
    return row_ < rows_;
  }

  void reset() override {
    clear();
    for (size_t i = 0; i < null_.size(); ++i) null_[i] = 1;
    bad_bind_ = 0;
  }

  int64_t columnInt(int col) const override {
    if (!valid(col) || PQgetisnull(res_, row_, col)) return 0;
    const char* v = PQgetvalue(res_, row_, col);
    if (PQftype(res_, col) == kBoolOid) return v[0] == 't' ? 1 : 0;
    return std::strtoll(v, nullptr, 10);
  }

  std::string_view columnView(int col) const override {
    if (!valid(col) || PQgetisnull(res_, row_, col)) return {};
    const char* v = PQgetvalue(res_, row_, col);
    std::string_view text(v, static_cast<size_t>(PQgetlength(res_, row_, col)));
    if (PQftype(res_, col) != kByteaOid) return text;
    auto& slot = decoded_[static_cast<size_t>(col)];
    if (!slot) slot = decodeBytea(text);
    return *slot;
  }

  bool columnIsNull(int col) const override { return !valid(col) || PQgetisnull(res_, row_, col); }

 private:
  bool check(int index) {
    if (index < 1 || static_cast<size_t>(index) > values_.size()) {
      if (!bad_bind_) bad_bind_ = index;
      return false;
    }
    return true;
  }
  void set(int index, std::string value) {
    if (!check(index)) return;
    values_[static_cast<size_t>(index - 1)] = std::move(value);
    null_[static_cast<size_t>(index - 1)] = 0;
  }
  bool valid(int col) const { return res_ && row_ < rows_ && col >= 0 && col < PQnfields(res_); }
  void clear() {
    if (res_) PQclear(res_);
    res_ = nullptr;
    rows_ = row_ = 0;
  }

  PgDb* db_;
  std::string name_;
  std::vector<std::string> values_;
  std::vector<char> null_;
  int bad_bind_ = 0;
  PGresult* res_ = nullptr;
  int rows_ = 0;
  int row_ = 0;
  mutable std::vector<std::optional<std::string>> decoded_;
};

// Each migration step runs under this transaction-level advisory lock.
constexpr const char* kMigrationLock = "SELECT pg_advisory_xact_lock(7265626)";
constexpr const char* kVersionsTable =
    "CREATE TABLE IF NOT EXISTS schema_versions (component TEXT PRIMARY KEY, version BIGINT NOT NULL)";

}  // namespace

Error pgError(const std::string& sqlstate, std::string_view context, std::string_view detail) {
  std::string msg = std::string(context) + ": " + std::string(detail);
  auto cls = sqlstate.substr(0, 2);
  if (cls == "08" || cls == "57" || sqlstate == "40001" || sqlstate == "40P01" || sqlstate == "55P03" ||
      sqlstate == "53300") {
    return Error::retry("busy", msg);
  }
  if (sqlstate == "53100") return Error::retry("disk_full", msg + " (the database server's disk is full)");
  if (cls == "53") return Error::retry("io_error", msg);
  if (cls == "23") return Error::reject("constraint", msg);
  if (sqlstate == "XX001" || sqlstate == "XX002") return Error::fatal("corrupt_database", msg);
  if (sqlstate == "25006") return Error::retry("read_only", msg);
  return Error::fatal("postgres_error", msg + (sqlstate.empty() ? "" : " [" + sqlstate + "]"));
}

std::string PgDb::translate(std::string_view in, int* params) {
  std::string out;
  out.reserve(in.size() + 32);
  int next = 0, max_index = 0;
  char quote = 0;
  for (size_t i = 0; i < in.size(); ++i) {
    char c = in[i];
    if (quote) {
      out.push_back(c);
      if (c == quote) quote = 0;
      continue;
    }
    if (c == '\'' || c == '"') {
      quote = c;
      out.push_back(c);
      continue;
    }
    if (c != '?') {
      out.push_back(c);
      continue;
    }
    size_t j = i + 1;
    int index = 0;
    while (j < in.size() && in[j] >= '0' && in[j] <= '9') index = index * 10 + (in[j++] - '0');
    if (j == i + 1) index = ++next;
    i = j - 1;
    if (index > max_index) max_index = index;
    out += "$" + std::to_string(index);
  }
  constexpr std::string_view kIgnore = "INSERT OR IGNORE INTO";
  size_t start = out.find_first_not_of(" \t\n");
  if (start != std::string::npos && std::string_view(out).substr(start).starts_with(kIgnore)) {
    out.replace(start, kIgnore.size(), "INSERT INTO");
    out += " ON CONFLICT DO NOTHING";
  }
  if (params) *params = max_index;
  return out;
}

std::string PgDb::redactUrl(std::string_view url) {
  std::string out(url);
  // A password given as a query parameter.
  size_t pw = out.find("password=");
  if (pw != std::string::npos) {
    size_t end = out.find('&', pw);
    out.replace(pw + 9, (end == std::string::npos ? out.size() : end) - pw - 9, "***");
  }
  // user:password@ before the host.
  size_t scheme = out.find("://");
  if (scheme == std::string::npos) return out;
  size_t at = out.find('@', scheme + 3);
  size_t slash = out.find('/', scheme + 3);
  if (at == std::string::npos || (slash != std::string::npos && slash < at)) return out;
  size_t colon = out.find(':', scheme + 3);
  if (colon != std::string::npos && colon < at) out.replace(colon + 1, at - colon - 1, "***");
  return out;
}

Result<std::unique_ptr<PgDb>> PgDb::open(const PgOptions& options) {
  std::unique_ptr<PgDb> db(new PgDb());
  db->described_ = redactUrl(options.url);
  const char* keys[] = {"dbname", "application_name", "connect_timeout", nullptr};
  const char* values[] = {options.url.c_str(), options.application_name.c_str(), "10", nullptr};
  db->conn_ = PQconnectdbParams(keys, values, 1);
  if (!db->conn_) return Error::retry("busy", "postgres: out of memory connecting to " + db->described_);
  if (PQstatus(db->conn_) != CONNECTION_OK) {
    std::string msg = PQerrorMessage(db->conn_);
    while (!msg.empty() && msg.back() == '\n') msg.pop_back();
    return Error::retry("busy", "cannot connect to " + db->described_ + ": " + msg);
  }
  PQsetNoticeProcessor(db->conn_, [](void*, const char*) {}, nullptr);
  if (auto s = db->exec("SET client_min_messages = warning"); !s) return s.error();
  return db;
}

PgDb::~PgDb() {
  if (conn_) PQfinish(conn_);
}

Error PgDb::failure(std::string_view context, const std::string& sqlstate, const std::string& message) {
  Error e = pgError(sqlstate, context, message);
  if (PQstatus(conn_) == CONNECTION_BAD) {
    PQreset(conn_);
    if (PQstatus(conn_) == CONNECTION_OK) {
      PQsetNoticeProcessor(conn_, [](void*, const char*) {}, nullptr);
      for (const auto& [name, sql] : prepared_) {
        if (!prepareOnServer(name, sql)) break;
      }
      SW_WARN("postgres") << "connection to " << described_ << " was lost and is open again: " << message;
    }
    return Error::retry("busy", e.message);
  }
  return e;
}

bool PgDb::inTransaction() const { return PQtransactionStatus(conn_) != PQTRANS_IDLE; }

Status PgDb::exec(std::string_view sql) {
  PGresult* res = PQexec(conn_, std::string(sql).c_str());
  if (!resultOk(res)) {
    std::string state;
    std::string msg = resultError(res, conn_, &state);
    if (res) PQclear(res);
    return failure("exec", state, msg);
  }
  const char* n = PQcmdTuples(res);
  changes_ = n && *n ? std::strtoll(n, nullptr, 10) : 0;
  PQclear(res);
  return {};
}

Status PgDb::commit() {
  // COMMIT of a transaction an error has ended answers "ROLLBACK", not an error: say it failed.
  PGresult* res = PQexec(conn_, "COMMIT");
  if (!resultOk(res)) {
    std::string state;
    std::string msg = resultError(res, conn_, &state);
    if (res) PQclear(res);
    return failure("commit", state, msg);
  }
  const std::string tag = PQcmdStatus(res);
  PQclear(res);
  if (tag == "ROLLBACK") return Error::retry("rolled_back", "commit: the transaction had failed and was rolled back");
  return {};
}

Status PgDb::prepareOnServer(const std::string& name, const std::string& sql) {
  PGresult* res = PQprepare(conn_, name.c_str(), sql.c_str(), 0, nullptr);
  if (!resultOk(res)) {
    std::string state;
    std::string msg = resultError(res, conn_, &state);
    if (res) PQclear(res);
    return pgError(state, "prepare", msg + " in: " + sql);
  }
  PQclear(res);
  return {};
}

Result<SqlStmt> PgDb::prepare(std::string_view sql) {
  int params = 0;
  std::string translated = translate(sql, &params);
  std::string name = "sw" + std::to_string(++next_name_);
  if (auto s = prepareOnServer(name, translated); !s) {
    if (PQstatus(conn_) == CONNECTION_BAD) return failure("prepare", "08006", s.error().message);
    return s.error();
  }
  prepared_[name] = translated;
  return SqlStmt(std::make_unique<PgImpl>(this, name, params));
}

Result<int64_t> PgDb::queryInt(std::string_view sql) {
  PGresult* res = PQexec(conn_, std::string(sql).c_str());
  if (!resultOk(res)) {
    std::string state;
    std::string msg = resultError(res, conn_, &state);
    if (res) PQclear(res);
    return failure("query", state, msg);
  }
  int64_t v = 0;
  if (PQntuples(res) > 0 && PQnfields(res) > 0 && !PQgetisnull(res, 0, 0)) {
    v = std::strtoll(PQgetvalue(res, 0, 0), nullptr, 10);
  }
  PQclear(res);
  return v;
}

Result<int64_t> PgDb::schemaVersion(std::string_view component) {
  if (auto s = exec(kVersionsTable); !s) return s.error();
  auto st = prepare("SELECT COALESCE((SELECT version FROM schema_versions WHERE component = ?), 0)");
  if (!st) return st.error();
  st->bind(1, component);
  int64_t v = 0;
  auto r = st->firstRow([&](const SqlStmt& row) { v = row.columnInt(0); });
  if (!r) return r.error();
  return v;
}

Status PgDb::migrate(const SqliteSchema& schema) {
  const auto known = static_cast<int64_t>(schema.steps.size());
  while (true) {
    auto txn = SqlTxn::begin(*this);
    if (!txn) return txn.error();
    if (auto s = exec(kMigrationLock); !s) return s;
    if (auto s = exec(kVersionsTable); !s) return s;
    auto version = schemaVersion(schema.component);
    if (!version) return version.error();
    if (*version > known) return schemaTooNew(described_, schema.component, *version, known);
    if (*version == known) return txn->commit();
    if (auto s = exec(schema.steps[static_cast<size_t>(*version)]); !s) {
      return Error::fatal(s.error().code, described_ + ": " + schema.component + " schema step " +
                                              std::to_string(*version + 1) + " failed: " + s.error().message);
    }
    auto set = prepare(
        "INSERT INTO schema_versions (component, version) VALUES (?1, ?2)"
        " ON CONFLICT (component) DO UPDATE SET version = excluded.version");
    if (!set) return set.error();
    set->bind(1, schema.component).bind(2, *version + 1);
    if (auto s = set->run(); !s) return s;
    if (auto s = txn->commit(); !s) return s;
  }
}

Result<std::vector<std::string>> PgDb::waitNotifications(int timeout_ms) {
  std::vector<std::string> out;
  auto take = [&] {
    while (PGnotify* n = PQnotifies(conn_)) {
      out.emplace_back(n->extra ? n->extra : "");
      PQfreemem(n);
    }
  };
  take();
  if (!out.empty()) return out;
  const int fd = PQsocket(conn_);
  if (fd < 0) return Error::retry("connection_lost", "postgres: no connection to " + described_);
  pollfd p{fd, POLLIN, 0};
  const int r = ::poll(&p, 1, timeout_ms);
  if (r < 0) return out;  // a signal: the caller waits again
  if (r > 0 && PQconsumeInput(conn_) == 0) {
    return Error::retry("connection_lost", "postgres: " + std::string(PQerrorMessage(conn_)) + " (" + described_ + ")");
  }
  take();
  return out;
}

}  // namespace sw::common
