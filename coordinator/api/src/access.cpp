#include "sw/coordinator/api/access.h"

#include "sw/common/event.h"

namespace sw::coordinator {

using common::Error;
using common::Result;
using common::Status;

namespace {

// Steps of the access tables (versioned in schema_versions; releases before that had no version:
// step 1 creates the tables only where they are missing, so it also adopts their files).
const common::SqliteSchema kSchema = {"access", {
    "CREATE TABLE IF NOT EXISTS api_tokens (name TEXT PRIMARY KEY, sha256 TEXT NOT NULL UNIQUE,"
    " role TEXT NOT NULL, location TEXT NOT NULL, created_at_ms INTEGER NOT NULL,"
    " revoked_at_ms INTEGER NOT NULL DEFAULT 0);"
    "CREATE TABLE IF NOT EXISTS audit_log (id INTEGER PRIMARY KEY AUTOINCREMENT, at_ms INTEGER NOT NULL,"
    " who TEXT NOT NULL, role TEXT NOT NULL, remote TEXT NOT NULL, method TEXT NOT NULL, path TEXT NOT NULL,"
    " target TEXT NOT NULL, status INTEGER NOT NULL, outcome TEXT NOT NULL);",
    // v2: whose personal data a request read, exported or erased (the customer id)
    "ALTER TABLE audit_log ADD COLUMN subject TEXT NOT NULL DEFAULT '';"
    "CREATE INDEX audit_log_by_subject ON audit_log(subject) WHERE subject != '';",
}, ""};

}  // namespace

const char* roleName(Role role) {
  switch (role) {
    case Role::kAdmin: return "admin";
    case Role::kStoreManager: return "store_manager";
    case Role::kViewer: return "viewer";
  }
  return "viewer";
}

std::optional<Role> parseRole(std::string_view name) {
  if (name == "admin") return Role::kAdmin;
  if (name == "store_manager") return Role::kStoreManager;
  if (name == "viewer") return Role::kViewer;
  return std::nullopt;
}

common::SchemaVersion SqliteAccess::schemaVersion() {
  return common::schemaVersionOf(kSchema);
}

const std::vector<std::string>& SqliteAccess::schemaSteps() { return kSchema.steps; }

Result<std::unique_ptr<SqliteAccess>> SqliteAccess::open(const std::string& path, const common::Clock& clock) {
  // Shares the file with the ledger's writer: wait for it rather than fail a request.
  auto db = common::SqliteDb::open({.path = path, .busy_timeout_ms = 30'000});
  if (!db) return db.error();
  if (auto s = db->migrate(kSchema); !s) return s.error();
  return std::unique_ptr<SqliteAccess>(new SqliteAccess(std::move(*db), clock));
}

Result<std::string> SqliteAccess::createToken(const std::string& name, Role role, const std::string& location) {
  if (!common::isValidId(name)) return Error::reject("bad_name", "a token name is 1-64 of [A-Za-z0-9._:-]");
  if (role == Role::kStoreManager && !common::isValidId(location)) {
    return Error::reject("bad_location", "a store_manager token needs --location LOC (its own store)");
  }
  if (role != Role::kStoreManager && !location.empty()) {
    return Error::reject("bad_location", "only a store_manager token has a location");
  }
  auto secret = newTokenSecret();
  if (!secret) return secret.error();
  std::lock_guard lock(mu_);
  auto st = db_.prepare(
      "INSERT INTO api_tokens (name, sha256, role, location, created_at_ms) VALUES (?, ?, ?, ?, ?)"
      " ON CONFLICT (name) DO NOTHING");
  if (!st) return st.error();
  st->bind(1, name).bind(2, sha256Hex(*secret)).bind(3, std::string_view(roleName(role))).bind(4, location);
  st->bind(5, clock_.nowMs());
  if (auto s = st->run(); !s) return s.error();
  if (db_.changes() == 0) {
    return Error::reject("name_in_use", "a token named '" + name + "' exists (revoked ones keep their name)");
  }
  return *secret;
}

Result<std::vector<TokenInfo>> SqliteAccess::tokens() {
  std::lock_guard lock(mu_);
  auto st = db_.prepare("SELECT name, role, location, created_at_ms, revoked_at_ms FROM api_tokens ORDER BY name");
  if (!st) return st.error();
  std::vector<TokenInfo> out;
  if (auto each_ok = st->eachRow([&](const common::SqliteStmt&) {
    TokenInfo t;
    t.name = st->columnText(0);
    t.role = parseRole(st->columnText(1)).value_or(Role::kViewer);
    t.location = st->columnText(2);
    t.created_at_ms = st->columnInt(3);
    t.revoked_at_ms = st->columnInt(4);
    out.push_back(std::move(t));
  }); !each_ok) {
    return each_ok.error();
  }
  return out;
}

Result<bool> SqliteAccess::revokeToken(const std::string& name) {
  std::lock_guard lock(mu_);
  auto st = db_.prepare("UPDATE api_tokens SET revoked_at_ms = ? WHERE name = ? AND revoked_at_ms = 0");
  if (!st) return st.error();
  st->bind(1, std::max<int64_t>(1, clock_.nowMs())).bind(2, name);
  if (auto s = st->run(); !s) return s.error();
  return db_.changes() > 0;
}

Result<std::optional<Principal>> SqliteAccess::authenticate(std::string_view secret) {
  if (secret.size() != 68 || secret.substr(0, 4) != "swt_") return std::optional<Principal>();
  // Looked up by hash: the secret itself is never compared or stored.
  const std::string digest = sha256Hex(secret);
  std::lock_guard lock(mu_);
  auto st = db_.prepare("SELECT name, role, location FROM api_tokens WHERE sha256 = ? AND revoked_at_ms = 0");
  if (!st) return st.error();
  st->bind(1, digest);
  auto r = st->step();
  if (!r) return r.error();
  if (!*r) return std::optional<Principal>();
  auto role = parseRole(st->columnText(1));
  if (!role) return std::optional<Principal>();
  return std::optional<Principal>(Principal{st->columnText(0), *role, st->columnText(2)});
}

Status SqliteAccess::recordAudit(const AuditEntry& e) {
  std::lock_guard lock(mu_);
  auto st = db_.prepare(
      "INSERT INTO audit_log (at_ms, who, role, remote, method, path, target, status, outcome, subject)"
      " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
  if (!st) return st.error();
  st->bind(1, e.at_ms ? e.at_ms : clock_.nowMs()).bind(2, e.who).bind(3, e.role).bind(4, e.remote);
  st->bind(5, e.method).bind(6, e.path).bind(7, e.target).bind(8, static_cast<int64_t>(e.status)).bind(9, e.outcome);
  st->bind(10, e.subject);
  return st->run();
}

Result<std::vector<AuditEntry>> SqliteAccess::audit(const AuditQuery& q) {
  std::string sql =
      "SELECT id, at_ms, who, role, remote, method, path, target, status, outcome, subject FROM audit_log WHERE 1 = 1";
  // Every value is bound; only the shape of the query depends on which filters are given.
  if (!q.who.empty()) sql += " AND who = ?1";
  if (!q.method.empty()) sql += " AND method = ?2";
  if (!q.path_prefix.empty()) sql += " AND substr(path, 1, length(?3)) = ?3";
  if (q.status != 0) sql += " AND status = ?4";
  if (q.refused_only) sql += " AND status >= 400";
  if (q.since_ms > 0) sql += " AND at_ms >= ?5";
  if (q.until_ms > 0) sql += " AND at_ms <= ?6";
  if (q.before_id > 0) sql += " AND id < ?7";
  if (!q.subject.empty()) sql += " AND subject = ?9";
  sql += " ORDER BY id DESC LIMIT ?8";
  std::lock_guard lock(mu_);
  auto st = db_.prepare(sql);
  if (!st) return st.error();
  if (!q.who.empty()) st->bind(1, q.who);
  if (!q.method.empty()) st->bind(2, q.method);
  if (!q.path_prefix.empty()) st->bind(3, q.path_prefix);
  if (q.status != 0) st->bind(4, static_cast<int64_t>(q.status));
  if (q.since_ms > 0) st->bind(5, q.since_ms);
  if (q.until_ms > 0) st->bind(6, q.until_ms);
  if (q.before_id > 0) st->bind(7, q.before_id);
  st->bind(8, q.limit);
  if (!q.subject.empty()) st->bind(9, q.subject);
  std::vector<AuditEntry> out;
  if (auto each_ok = st->eachRow([&](const common::SqliteStmt&) {
    AuditEntry e;
    e.id = st->columnInt(0);
    e.at_ms = st->columnInt(1);
    e.who = st->columnText(2);
    e.role = st->columnText(3);
    e.remote = st->columnText(4);
    e.method = st->columnText(5);
    e.path = st->columnText(6);
    e.target = st->columnText(7);
    e.status = static_cast<int>(st->columnInt(8));
    e.outcome = st->columnText(9);
    e.subject = st->columnText(10);
    out.push_back(std::move(e));
  }); !each_ok) {
    return each_ok.error();
  }
  return out;
}

}  // namespace sw::coordinator
