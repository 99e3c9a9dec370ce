#include "sw/coordinator/ledger/sql_ledger.h"

#include <set>
#include <unordered_set>

#include "sw/common/chain.h"
#include "sw/common/crash_point.h"
#include "sw/common/postgres.h"
#include "sw/common/uuid.h"

namespace sw::coordinator {

using common::Error;
using common::EventType;
using common::Result;
using common::SqlStmt;
using common::Status;

namespace {

const std::vector<std::string> kSchema = {
    // v1
    "CREATE TABLE devices ("
    "  id INTEGER PRIMARY KEY, device_id TEXT NOT NULL UNIQUE, epoch TEXT NOT NULL DEFAULT '',"
    "  last_applied_seq INTEGER NOT NULL DEFAULT 0, kind TEXT NOT NULL DEFAULT '', location TEXT NOT NULL DEFAULT '',"
    "  online INTEGER NOT NULL DEFAULT 0, first_seen_ms INTEGER NOT NULL DEFAULT 0,"
    "  last_seen_ms INTEGER NOT NULL DEFAULT 0, last_applied_at_ms INTEGER NOT NULL DEFAULT 0,"
    "  state_json TEXT NOT NULL DEFAULT '{}');"
    "CREATE TABLE locations (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);"
    "CREATE TABLE skus (id INTEGER PRIMARY KEY, sku TEXT NOT NULL UNIQUE);"
    "CREATE TABLE events ("
    "  dev INTEGER NOT NULL, seq INTEGER NOT NULL, event_id BLOB NOT NULL, type TEXT NOT NULL,"
    "  loc INTEGER NOT NULL, other_loc INTEGER, reason TEXT, ref BLOB,"
    "  device_at_ms INTEGER NOT NULL, at_ms INTEGER NOT NULL, applied_at_ms INTEGER NOT NULL,"
    "  voided_by BLOB, ord INTEGER NOT NULL, PRIMARY KEY (dev, seq)) WITHOUT ROWID;"
    "CREATE UNIQUE INDEX events_by_id ON events(event_id);"
    "CREATE TABLE movements ("
    "  dev INTEGER NOT NULL, seq INTEGER NOT NULL, line INTEGER NOT NULL, ord INTEGER NOT NULL,"
    "  kind TEXT NOT NULL, loc INTEGER NOT NULL, sku INTEGER NOT NULL, qty INTEGER NOT NULL,"
    "  price_units INTEGER, delta INTEGER NOT NULL, at_ms INTEGER NOT NULL,"
    "  PRIMARY KEY (dev, seq, line)) WITHOUT ROWID;"
    "CREATE INDEX movements_by_key ON movements(loc, sku, at_ms);"
    "CREATE TABLE on_hand ("
    "  loc INTEGER NOT NULL, sku INTEGER NOT NULL, qty INTEGER NOT NULL, count_at_ms INTEGER, counted INTEGER,"
    "  updated_at_ms INTEGER NOT NULL, ver INTEGER NOT NULL, PRIMARY KEY (loc, sku)) WITHOUT ROWID;"
    "CREATE INDEX on_hand_by_ver ON on_hand(loc, ver);"
    "CREATE TABLE quarantine ("
    "  id INTEGER PRIMARY KEY, received_at_ms INTEGER NOT NULL, topic TEXT NOT NULL, device_id TEXT,"
    "  code TEXT NOT NULL, reason TEXT NOT NULL, payload BLOB);"
    "CREATE TABLE anomalies ("
    "  id INTEGER PRIMARY KEY, dev INTEGER NOT NULL, seq INTEGER NOT NULL, code TEXT NOT NULL,"
    "  message TEXT NOT NULL, at_ms INTEGER NOT NULL);"
    "CREATE VIEW v_events AS SELECT d.device_id, e.seq, lower(hex(e.event_id)) AS event_id_hex, e.type,"
    "  l.name AS location, o.name AS other_location, e.reason, e.device_at_ms, e.at_ms, e.applied_at_ms, e.ord"
    "  FROM events e JOIN devices d ON d.id = e.dev JOIN locations l ON l.id = e.loc"
    "  LEFT JOIN locations o ON o.id = e.other_loc;"
    "CREATE VIEW v_movements AS SELECT d.device_id, m.seq, m.line, m.kind, l.name AS location, s.sku, m.qty,"
    "  m.price_units, m.delta, m.at_ms, m.ord FROM movements m JOIN devices d ON d.id = m.dev"
    "  JOIN locations l ON l.id = m.loc JOIN skus s ON s.id = m.sku;"
    "CREATE VIEW v_on_hand AS SELECT l.name AS location, s.sku, o.qty, o.count_at_ms, o.counted, o.updated_at_ms"
    "  FROM on_hand o JOIN locations l ON l.id = o.loc JOIN skus s ON s.id = o.sku;",
    // v2: which count a figure starts from (so counts order the same whatever order they arrive
    // in), whole-location count sessions, and transfers between locations (in transit until
    // received; a receipt that differs from the shipment is a discrepancy).
    "ALTER TABLE on_hand ADD COLUMN count_dev INTEGER;"
    "ALTER TABLE on_hand ADD COLUMN count_seq INTEGER;"
    "ALTER TABLE on_hand ADD COLUMN count_id BLOB;"
    "UPDATE on_hand SET count_dev = 0, count_seq = 0, count_id = x'' WHERE count_at_ms IS NOT NULL;"
    "CREATE TABLE location_counts ("
    "  loc INTEGER NOT NULL, at_ms INTEGER NOT NULL, event_id BLOB NOT NULL, dev INTEGER NOT NULL,"
    "  seq INTEGER NOT NULL, PRIMARY KEY (loc, at_ms, event_id)) WITHOUT ROWID;"
    "CREATE TABLE transfers ("
    "  id INTEGER PRIMARY KEY, from_loc INTEGER NOT NULL, to_loc INTEGER NOT NULL, sku INTEGER NOT NULL,"
    "  out_id BLOB, out_dev INTEGER, out_seq INTEGER, sent INTEGER, sent_at_ms INTEGER,"
    "  in_id BLOB, in_dev INTEGER, in_seq INTEGER, received INTEGER, received_at_ms INTEGER, in_ref BLOB);"
    "CREATE TABLE settings (key TEXT PRIMARY KEY, value INTEGER NOT NULL);"
    "CREATE INDEX transfers_by_route ON transfers(from_loc, to_loc, sku);"
    "CREATE INDEX transfers_by_out ON transfers(out_id);"
    "CREATE VIEW v_transfers AS SELECT t.id, f.name AS from_location, o.name AS to_location, s.sku, t.sent,"
    "  t.sent_at_ms, t.received, t.received_at_ms FROM transfers t JOIN locations f ON f.id = t.from_loc"
    "  JOIN locations o ON o.id = t.to_loc JOIN skus s ON s.id = t.sku;",
    // v3: what a count changed (its lines keep delta 0: counts are checkpoints, not deltas),
    // which device first confirmed each pick task (a task is done once: another device's
    // confirmation moves no stock), anomalies by code (counted in /metrics), and devices that are
    // the coordinator's own workers rather than devices (the orders worker).
    "ALTER TABLE movements ADD COLUMN correction INTEGER;"
    "CREATE TABLE task_claims (ref BLOB PRIMARY KEY, dev INTEGER NOT NULL, seq INTEGER NOT NULL) WITHOUT ROWID;"
    "CREATE INDEX anomalies_by_code ON anomalies(code);"
    "ALTER TABLE devices ADD COLUMN internal INTEGER NOT NULL DEFAULT 0;"
    // Seq conflicts (a device store restored from an older copy reusing seqs): the seq the device
    // was told to renumber from (0: none pending), the epochs it left behind, and the history.
    "ALTER TABLE devices ADD COLUMN retired_epochs TEXT NOT NULL DEFAULT '';"
    "ALTER TABLE devices ADD COLUMN resequencing INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE devices ADD COLUMN seq_conflicts INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE devices ADD COLUMN last_conflict TEXT NOT NULL DEFAULT '';"
    "ALTER TABLE devices ADD COLUMN last_conflict_at_ms INTEGER NOT NULL DEFAULT 0;"
    // Sale lines whose price the till flagged against its catalog (a price override, with the
    // catalog's price; no price; an uncatalogued SKU). The sale applied as sold.
    "CREATE TABLE price_flags (dev INTEGER NOT NULL, seq INTEGER NOT NULL, line INTEGER NOT NULL,"
    "  check_code TEXT NOT NULL, list_units INTEGER, PRIMARY KEY (dev, seq, line)) WITHOUT ROWID;",
    // v4: the hash chain (common/chain.h). Each event's link to the one before it (NULL: recorded
    // before the chain), each device's chain head and its chain breaks; and, for events applied
    // without their full rows (a duplicate event id has no events row, a task confirmed twice no
    // movements), their canonical bytes, so `verify --chain` can still recompute every link.
    "ALTER TABLE events ADD COLUMN prev_hash TEXT;"
    "ALTER TABLE devices ADD COLUMN chain_head TEXT NOT NULL DEFAULT '';"
    "ALTER TABLE devices ADD COLUMN chain_breaks INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE devices ADD COLUMN last_chain_break TEXT NOT NULL DEFAULT '';"
    "ALTER TABLE devices ADD COLUMN last_chain_break_at_ms INTEGER NOT NULL DEFAULT 0;"
    "CREATE TABLE chain_kept (dev INTEGER NOT NULL, seq INTEGER NOT NULL, prev_hash TEXT NOT NULL,"
    "  body BLOB NOT NULL, PRIMARY KEY (dev, seq)) WITHOUT ROWID;",
};

// The same tables on PostgreSQL, as SQLite's steps leave them (BIGINT for SQLite's INTEGER,
// BYTEA for BLOB, identity columns for INTEGER PRIMARY KEY). A later change is a new step here
// and in kSchema alike.
const std::vector<std::string> kPgSchema = {
    // v1 (SQLite's v4)
    "CREATE TABLE devices ("
    "  id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, device_id TEXT NOT NULL UNIQUE,"
    "  epoch TEXT NOT NULL DEFAULT '', last_applied_seq BIGINT NOT NULL DEFAULT 0, kind TEXT NOT NULL DEFAULT '',"
    "  location TEXT NOT NULL DEFAULT '', online BIGINT NOT NULL DEFAULT 0, first_seen_ms BIGINT NOT NULL DEFAULT 0,"
    "  last_seen_ms BIGINT NOT NULL DEFAULT 0, last_applied_at_ms BIGINT NOT NULL DEFAULT 0,"
    "  state_json TEXT NOT NULL DEFAULT '{}', internal BIGINT NOT NULL DEFAULT 0,"
    "  retired_epochs TEXT NOT NULL DEFAULT '', resequencing BIGINT NOT NULL DEFAULT 0,"
    "  seq_conflicts BIGINT NOT NULL DEFAULT 0, last_conflict TEXT NOT NULL DEFAULT '',"
    "  last_conflict_at_ms BIGINT NOT NULL DEFAULT 0, chain_head TEXT NOT NULL DEFAULT '',"
    "  chain_breaks BIGINT NOT NULL DEFAULT 0, last_chain_break TEXT NOT NULL DEFAULT '',"
    "  last_chain_break_at_ms BIGINT NOT NULL DEFAULT 0);"
    "CREATE TABLE locations (id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, name TEXT NOT NULL UNIQUE);"
    "CREATE TABLE skus (id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, sku TEXT NOT NULL UNIQUE);"
    "CREATE TABLE events ("
    "  dev BIGINT NOT NULL, seq BIGINT NOT NULL, event_id BYTEA NOT NULL, type TEXT NOT NULL,"
    "  loc BIGINT NOT NULL, other_loc BIGINT, reason TEXT, ref BYTEA,"
    "  device_at_ms BIGINT NOT NULL, at_ms BIGINT NOT NULL, applied_at_ms BIGINT NOT NULL,"
    "  voided_by BYTEA, ord BIGINT NOT NULL, prev_hash TEXT, PRIMARY KEY (dev, seq));"
    "CREATE UNIQUE INDEX events_by_id ON events(event_id);"
    "CREATE TABLE movements ("
    "  dev BIGINT NOT NULL, seq BIGINT NOT NULL, line BIGINT NOT NULL, ord BIGINT NOT NULL,"
    "  kind TEXT NOT NULL, loc BIGINT NOT NULL, sku BIGINT NOT NULL, qty BIGINT NOT NULL,"
    "  price_units BIGINT, delta BIGINT NOT NULL, at_ms BIGINT NOT NULL, correction BIGINT,"
    "  PRIMARY KEY (dev, seq, line));"
    "CREATE INDEX movements_by_key ON movements(loc, sku, at_ms);"
    "CREATE TABLE on_hand ("
    "  loc BIGINT NOT NULL, sku BIGINT NOT NULL, qty BIGINT NOT NULL, count_at_ms BIGINT, counted BIGINT,"
    "  updated_at_ms BIGINT NOT NULL, ver BIGINT NOT NULL, count_dev BIGINT, count_seq BIGINT, count_id BYTEA,"
    "  PRIMARY KEY (loc, sku));"
    "CREATE INDEX on_hand_by_ver ON on_hand(loc, ver);"
    "CREATE TABLE quarantine ("
    "  id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, received_at_ms BIGINT NOT NULL, topic TEXT NOT NULL,"
    "  device_id TEXT, code TEXT NOT NULL, reason TEXT NOT NULL, payload BYTEA);"
    "CREATE TABLE anomalies ("
    "  id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, dev BIGINT NOT NULL, seq BIGINT NOT NULL,"
    "  code TEXT NOT NULL, message TEXT NOT NULL, at_ms BIGINT NOT NULL);"
    "CREATE INDEX anomalies_by_code ON anomalies(code);"
    "CREATE TABLE location_counts ("
    "  loc BIGINT NOT NULL, at_ms BIGINT NOT NULL, event_id BYTEA NOT NULL, dev BIGINT NOT NULL,"
    "  seq BIGINT NOT NULL, PRIMARY KEY (loc, at_ms, event_id));"
    "CREATE TABLE transfers ("
    "  id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, from_loc BIGINT NOT NULL, to_loc BIGINT NOT NULL,"
    "  sku BIGINT NOT NULL, out_id BYTEA, out_dev BIGINT, out_seq BIGINT, sent BIGINT, sent_at_ms BIGINT,"
    "  in_id BYTEA, in_dev BIGINT, in_seq BIGINT, received BIGINT, received_at_ms BIGINT, in_ref BYTEA);"
    "CREATE INDEX transfers_by_route ON transfers(from_loc, to_loc, sku);"
    "CREATE INDEX transfers_by_out ON transfers(out_id);"
    "CREATE TABLE settings (key TEXT PRIMARY KEY, value BIGINT NOT NULL);"
    "CREATE TABLE task_claims (ref BYTEA PRIMARY KEY, dev BIGINT NOT NULL, seq BIGINT NOT NULL);"
    "CREATE TABLE price_flags (dev BIGINT NOT NULL, seq BIGINT NOT NULL, line BIGINT NOT NULL,"
    "  check_code TEXT NOT NULL, list_units BIGINT, PRIMARY KEY (dev, seq, line));"
    "CREATE TABLE chain_kept (dev BIGINT NOT NULL, seq BIGINT NOT NULL, prev_hash TEXT NOT NULL,"
    "  body BYTEA NOT NULL, PRIMARY KEY (dev, seq));"
    "CREATE VIEW v_events AS SELECT d.device_id, e.seq, encode(e.event_id, 'hex') AS event_id_hex, e.type,"
    "  l.name AS location, o.name AS other_location, e.reason, e.device_at_ms, e.at_ms, e.applied_at_ms, e.ord"
    "  FROM events e JOIN devices d ON d.id = e.dev JOIN locations l ON l.id = e.loc"
    "  LEFT JOIN locations o ON o.id = e.other_loc;"
    "CREATE VIEW v_movements AS SELECT d.device_id, m.seq, m.line, m.kind, l.name AS location, s.sku, m.qty,"
    "  m.price_units, m.delta, m.at_ms, m.ord FROM movements m JOIN devices d ON d.id = m.dev"
    "  JOIN locations l ON l.id = m.loc JOIN skus s ON s.id = m.sku;"
    "CREATE VIEW v_on_hand AS SELECT l.name AS location, s.sku, o.qty, o.count_at_ms, o.counted, o.updated_at_ms"
    "  FROM on_hand o JOIN locations l ON l.id = o.loc JOIN skus s ON s.id = o.sku;"
    "CREATE VIEW v_transfers AS SELECT t.id, f.name AS from_location, o.name AS to_location, s.sku, t.sent,"
    "  t.sent_at_ms, t.received, t.received_at_ms FROM transfers t JOIN locations f ON f.id = t.from_loc"
    "  JOIN locations o ON o.id = t.to_loc JOIN skus s ON s.id = t.sku;",
    // v2: the one writer lease (SqlLedger::acquireLease): who writes, its fencing token, until when.
    "CREATE TABLE writer_lease (id BIGINT PRIMARY KEY CHECK (id = 1), holder TEXT NOT NULL, token BIGINT NOT NULL,"
    "  expires_at_ms BIGINT NOT NULL);",
    // v3: a ledger split between coordinators (partitions.cpp): a lease per partition of the
    // locations, who is alive, and the blocks apply order numbers are taken from.
    "CREATE TABLE partition_lease (part INTEGER PRIMARY KEY, holder TEXT NOT NULL, token BIGINT NOT NULL,"
    "  gen BIGINT NOT NULL, expires_at_ms BIGINT NOT NULL);"
    "CREATE TABLE coordinator_presence (holder TEXT PRIMARY KEY, expires_at_ms BIGINT NOT NULL,"
    "  partitions INTEGER NOT NULL DEFAULT 0);"
    "CREATE SEQUENCE ord_blocks;",
};

void optText(SqlStmt& st, int idx, const std::string& v) {
  if (v.empty()) {
    st.bindNull(idx);
  } else {
    st.bind(idx, v);
  }
}

constexpr const char* kEventColumns =
    "events (dev, seq, event_id, type, loc, other_loc, reason, ref, device_at_ms, at_ms, applied_at_ms, ord, prev_hash)";
constexpr int kEventParams = 13;
constexpr const char* kMoveColumns =
    "movements (dev, seq, line, ord, kind, loc, sku, qty, price_units, delta, at_ms, correction)";
constexpr int kMoveParams = 12;
constexpr int kOnHandParams = 10;

// " VALUES (?,?,...)" with `rows` rows of `params` parameters.
std::string valuesSql(int params, int rows) {
  std::string row = "(?";
  for (int i = 1; i < params; ++i) row += ",?";
  row += ")";
  std::string out = " VALUES ";
  for (int r = 0; r < rows; ++r) out += (r ? "," : "") + row;
  return out;
}

// One events row, its parameters from base + 1 on.
void bindEvent(SqlStmt& st, int base, const common::Event& e, int64_t dev, int64_t loc, std::optional<int64_t> other,
               int64_t at, int64_t applied_at_ms, int64_t ord) {
  st.bind(base + 1, dev).bind(base + 2, static_cast<int64_t>(e.seq)).bindBlob(base + 3, common::uuidToBytes(e.event_id))
      .bind(base + 4, common::eventTypeName(e.type)).bind(base + 5, loc).bind(base + 6, other);
  optText(st, base + 7, e.reason);
  if (e.ref.empty()) {
    st.bindNull(base + 8);
  } else {
    st.bindBlob(base + 8, common::uuidToBytes(e.ref));
  }
  st.bind(base + 9, e.occurred_at_ms).bind(base + 10, at).bind(base + 11, applied_at_ms).bind(base + 12, ord);
  optText(st, base + 13, e.prev_hash);
}

struct MoveRow {
  int64_t dev, seq, line, ord;
  EventType type;
  int64_t loc, sku, qty;
  std::optional<int64_t> price;
  int64_t delta, at;
  std::optional<int64_t> correction;  // counts: what the count changed on hand when it was applied
};

void bindMove(SqlStmt& st, int base, const MoveRow& m) {
  st.bind(base + 1, m.dev).bind(base + 2, m.seq).bind(base + 3, m.line).bind(base + 4, m.ord)
      .bind(base + 5, common::eventTypeName(m.type)).bind(base + 6, m.loc).bind(base + 7, m.sku).bind(base + 8, m.qty)
      .bind(base + 9, m.price).bind(base + 10, m.delta).bind(base + 11, m.at).bind(base + 12, m.correction);
}

// What a line does to the stock at its location.
int64_t lineDelta(EventType type, int64_t qty) {
  switch (type) {
    case EventType::kSale:
    case EventType::kTransferOut:
      return -qty;
    case EventType::kReturn:
    case EventType::kReceive:
    case EventType::kAdjust:
    case EventType::kTransferIn:
      return qty;
    case EventType::kCount:
    case EventType::kVoid:
      return 0;
  }
  return 0;
}

// A second event with the same UUID (a device bug or a forged message) must not apply twice.
std::string duplicateMessage(const common::Event& e) {
  return "event id " + e.event_id + " was already applied under another (device, seq); skipped";
}

// Events staged for multi-row inserts: lines at one location and nothing to look up.
bool isPlain(const common::Event& e) {
  // A sale naming a pick task (ref) is checked against the task's first confirmation.
  return (e.type == EventType::kSale || e.type == EventType::kReturn || e.type == EventType::kReceive ||
          e.type == EventType::kAdjust) &&
         e.other_location.empty() && (e.type != EventType::kSale || e.ref.empty()) && e.price_flags.empty();
}

}  // namespace

common::SchemaVersion SqlLedger::schemaVersion() {
  // The same component name as its migrate() call; the version of the SQLite schema (kSchema).
  return {"ledger", static_cast<int64_t>(kSchema.size())};
}

const std::vector<std::string>& SqlLedger::schemaSteps(common::SqlDialect dialect) {
  return dialect == common::SqlDialect::kPostgres ? kPgSchema : kSchema;
}

Result<std::unique_ptr<SqlLedger>> SqlLedger::open(const LedgerOptions& options) {
  std::unique_ptr<SqlLedger> l(new SqlLedger());
  if (auto s = l->init(options); !s) return s.error();
  return l;
}

Result<std::unique_ptr<common::SqlDb>> SqlLedger::connect(const LedgerOptions& options, bool create) {
  if (common::isPostgresUrl(options.path)) {
    auto db = common::PgDb::open({.url = options.path, .application_name = "stockwire-ledger"});
    if (!db) return db.error();
    return std::unique_ptr<common::SqlDb>(std::move(*db));
  }
  auto db = common::SqliteSqlDb::open({.path = options.path, .create = create, .page_size = create ? kPageSize : 0});
  if (!db) return db.error();
  return std::unique_ptr<common::SqlDb>(std::move(*db));
}

Status SqlLedger::init(const LedgerOptions& options) {
  auto db = connect(options, true);
  if (!db) return db.error();
  db_ = std::move(*db);
  options_ = options;
  const bool sqlite = db_->dialect() == common::SqlDialect::kSqlite;
  if (auto s = db_->migrate(sqlite ? common::SqliteSchema{"ledger", kSchema, "user_version"}
                                   : common::SqliteSchema{"ledger", kPgSchema, ""});
      !s) {
    return s;
  }
  if (options_.count_tie_ms < -1) return Error::reject("bad_option", "count_tie_ms cannot be negative");
  auto tie = db_->queryInt("SELECT COALESCE((SELECT value FROM settings WHERE key = 'count_tie_ms'), -1)");
  if (!tie) return tie.error();
  if (*tie < 0) {
    if (options_.count_tie_ms < 0) options_.count_tie_ms = kDefaultCountTieMs;
    auto st = db_->prepare("INSERT INTO settings (key, value) VALUES ('count_tie_ms', ?)");
    if (!st) return st.error();
    st->bind(1, options_.count_tie_ms);
    if (auto s = st->run(); !s) return s;
  } else if (options_.count_tie_ms < 0) {
    options_.count_tie_ms = *tie;
  } else if (options_.count_tie_ms != *tie) {
    return Error::reject("bad_option", "this ledger orders counts with count_tie_ms=" + std::to_string(*tie) +
                                           " (fixed when it was created), not " + std::to_string(options_.count_tie_ms));
  }
  auto reader = connect(options, false);
  if (!reader) return reader.error();
  reader_ = std::move(*reader);
  if (sqlite) {
    if (auto s = db_->exec("PRAGMA cache_size=-" + std::to_string(options.cache_mib * 1024)); !s) return s;
    if (auto s = reader_->exec("PRAGMA cache_size=-" + std::to_string(options.cache_mib * 1024 / 2)); !s) return s;
    // A checkpoint every 125 MiB of WAL rather than SQLite's 1000 pages: pages the apply thread
    // rewrites often (on_hand, the leaves of the per-key movement index, which a group of 8000
    // events touches nearly all of) are copied to the database once per checkpoint, not once per
    // 4 MB. tools/bench ledger, 1M events, 4 KiB pages: 1221 bytes written per event with a
    // checkpoint every 4000 pages, 947 with 32,000. (Checkpoints on another connection and thread
    // were measured slower: with readers and the writer always active they rarely finish, and the
    // WAL only grows.) In pages of this file's size: a ledger made before kPageSize keeps 4 KiB.
    auto page = db_->queryInt("PRAGMA page_size");
    if (!page) return page.error();
    if (auto s = db_->exec("PRAGMA wal_autocheckpoint=" + std::to_string(kCheckpointBytes / *page)); !s) return s;
  }
  if (auto s = prepareStatements(); !s) return s;
  if (sqlite) {
    if (options_.partitions > 0) {
      return Error::reject("bad_option", "a ledger is split between coordinators on PostgreSQL only, not on " +
                                             db_->describe());
    }
    return {};
  }
  return initPartitions();
}

Status SqlLedger::acquireLease() {
  if (options_.writer_id.empty()) return {};
  const std::string now = kPgNowMs;
  auto take = db_->prepare(
      "INSERT INTO writer_lease (id, holder, token, expires_at_ms) VALUES (1, ?1, 1, " + now + " + ?2)"
      " ON CONFLICT (id) DO UPDATE SET holder = excluded.holder, token = writer_lease.token + 1,"
      " expires_at_ms = excluded.expires_at_ms"
      " WHERE writer_lease.holder = excluded.holder OR writer_lease.expires_at_ms < " + now + " RETURNING token");
  if (!take) return take.error();
  take->bind(1, options_.writer_id).bind(2, options_.lease_ms);
  auto got = take->firstRow([&](const SqlStmt& row) { lease_token_ = row.columnInt(0); });
  if (!got) return got.error();
  if (!*got) {
    auto who = db_->prepare("SELECT holder, expires_at_ms - " + now + " FROM writer_lease WHERE id = 1");
    if (!who) return who.error();
    std::string holder;
    int64_t left = 0;
    auto r = who->firstRow([&](const SqlStmt& row) {
      holder = row.columnText(0);
      left = row.columnInt(1);
    });
    if (!r) return r.error();
    return Error::retry("ledger_taken", db_->describe() + " is written by '" + holder + "' (its lease runs " +
                                            std::to_string(std::max<int64_t>(left, 0)) +
                                            " ms more); one coordinator writes a ledger at a time");
  }
  auto renew = db_->prepare(renewWriterLeaseSql());
  if (!renew) return renew.error();
  renew_lease_ = std::move(*renew);
  return {};
}

std::string SqlLedger::renewWriterLeaseSql() {
  return std::string("UPDATE writer_lease SET expires_at_ms = ") + kPgNowMs + " + ?2 WHERE id = 1 AND token = ?1";
}

SqlLedger::~SqlLedger() {
  stopListening();
  stopKeeping();
  std::lock_guard<std::mutex> lock(write_mu_);
  releasePartitions();
  if (lease_token_ == 0 || !db_) return;
  auto give = db_->prepare("UPDATE writer_lease SET expires_at_ms = 0 WHERE id = 1 AND token = ?");
  if (give) (void)give->bind(1, lease_token_.load()).run();
}

Status SqlLedger::prepareInterner(Interner& in) {
  auto f = db_->prepare(std::string("SELECT id FROM ") + in.table + " WHERE " + in.column + " = ?");
  if (!f) return f.error();
  in.find = std::move(*f);
  // On PostgreSQL another coordinator may add the same name meanwhile (a split ledger): then
  // nothing is returned and intern() reads the id it committed.
  const std::string on_conflict = db_->dialect() == common::SqlDialect::kPostgres
                                      ? std::string(" ON CONFLICT (") + in.column + ") DO NOTHING"
                                      : std::string();
  auto i = db_->prepare(std::string("INSERT INTO ") + in.table + " (" + in.column + ") VALUES (?)" + on_conflict +
                        " RETURNING id");
  if (!i) return i.error();
  in.insert = std::move(*i);
  auto b = db_->prepare(std::string("SELECT ") + in.column + " FROM " + in.table + " WHERE id = ?");
  if (!b) return b.error();
  in.by_id = std::move(*b);
  return {};
}

Status SqlLedger::prepareStatements() {
  for (Interner* in : {&devices_, &locations_, &skus_}) {
    if (auto s = prepareInterner(*in); !s) return s;
  }
  struct Def {
    SqlStmt* stmt;
    std::string sql;
  };
  // The inserts of events and their lines are built from their column lists: the staged ones
  // write kInsertRows rows at once.
  const std::string events = kEventColumns, moves = kMoveColumns;
  const Def defs[] = {
      {&ins_move_, "INSERT INTO " + moves + valuesSql(kMoveParams, 1)},
      {&ins_event_or_ignore_, "INSERT OR IGNORE INTO " + events + valuesSql(kEventParams, 1)},
      {&ins_events_many_, "INSERT OR IGNORE INTO " + events + valuesSql(kEventParams, kInsertRows)},
      {&ins_moves_many_, "INSERT OR IGNORE INTO " + moves + valuesSql(kMoveParams, kInsertRows)},
      {&sel_event_by_id_, "SELECT ord FROM events WHERE event_id = ?"},
      {&set_onhand_,
       "UPDATE on_hand SET qty = ?3, count_at_ms = ?4, counted = ?5, updated_at_ms = ?6, ver = ?7, count_dev = ?8,"
       " count_seq = ?9, count_id = ?10 WHERE loc = ?1 AND sku = ?2"},
      {&sel_onhand_,
       "SELECT qty, count_at_ms, counted, count_dev, count_seq, count_id FROM on_hand WHERE loc = ? AND sku = ?"},
      {&up_onhand_,
       "INSERT INTO on_hand (loc, sku, qty, count_at_ms, counted, updated_at_ms, ver, count_dev, count_seq, count_id)"
       " VALUES (?,?,?,?,?,?,?,?,?,?)"
       " ON CONFLICT (loc, sku) DO UPDATE SET qty = excluded.qty, count_at_ms = excluded.count_at_ms,"
       " counted = excluded.counted, updated_at_ms = excluded.updated_at_ms, ver = excluded.ver,"
       " count_dev = excluded.count_dev, count_seq = excluded.count_seq, count_id = excluded.count_id"},
      // What a count did not see: the same device's later events (its seq order is exact), other
      // devices' events clearly after it (see LedgerOptions::count_tie_ms). absorbs() is the same rule.
      {&sum_after_,
       "SELECT COALESCE(SUM(delta), 0) FROM movements WHERE loc = ?1 AND sku = ?2"
       " AND ((dev = ?3 AND seq > ?4) OR (dev <> ?3 AND at_ms > ?5))"},
      {&sel_loc_count_,
       "SELECT at_ms, event_id, dev, seq FROM location_counts WHERE loc = ? ORDER BY at_ms DESC, event_id DESC LIMIT 1"},
      {&ins_loc_count_, "INSERT OR IGNORE INTO location_counts (loc, at_ms, event_id, dev, seq) VALUES (?,?,?,?,?)"},
      {&sel_loc_skus_, "SELECT sku FROM on_hand WHERE loc = ?"},
      // Transfers are matched whichever end arrives first: a receipt waits for its shipment as
      // much as a shipment waits for its receipt. A receipt naming its shipment (ref) matches only it.
      {&match_early_receipt_,
       "SELECT id FROM transfers WHERE out_id IS NULL AND from_loc = ?1 AND to_loc = ?2 AND sku = ?3"
       " AND (in_ref = ?4 OR in_ref IS NULL) ORDER BY in_ref IS NULL, received_at_ms, id LIMIT 1"},
      {&match_shipment_ref_, "SELECT id FROM transfers WHERE out_id = ?1 AND sku = ?2 AND in_id IS NULL ORDER BY id LIMIT 1"},
      {&match_shipment_fifo_,
       "SELECT id FROM transfers WHERE in_id IS NULL AND out_id IS NOT NULL AND from_loc = ?1 AND to_loc = ?2"
       " AND sku = ?3 ORDER BY sent_at_ms, id LIMIT 1"},
      {&ins_transfer_out_,
       "INSERT INTO transfers (from_loc, to_loc, sku, out_id, out_dev, out_seq, sent, sent_at_ms)"
       " VALUES (?,?,?,?,?,?,?,?)"},
      {&ins_transfer_in_,
       "INSERT INTO transfers (from_loc, to_loc, sku, in_id, in_dev, in_seq, received, received_at_ms, in_ref)"
       " VALUES (?,?,?,?,?,?,?,?,?)"},
      {&set_transfer_out_,
       "UPDATE transfers SET out_id = ?2, out_dev = ?3, out_seq = ?4, sent = ?5, sent_at_ms = ?6 WHERE id = ?1"},
      {&set_transfer_in_,
       "UPDATE transfers SET in_id = ?2, in_dev = ?3, in_seq = ?4, received = ?5, received_at_ms = ?6, in_ref = ?7"
       " WHERE id = ?1"},
      {&sel_ref_moves_,
       "SELECT e.dev, e.seq, e.type, e.voided_by IS NOT NULL, m.loc, m.sku, m.qty, m.delta FROM events e"
       " LEFT JOIN movements m ON m.dev = e.dev AND m.seq = e.seq WHERE e.event_id = ? ORDER BY m.line"},
      {&set_epoch_, "UPDATE devices SET epoch = ?, first_seen_ms = ? WHERE id = ? AND epoch = ''"},
      {&up_device_, "UPDATE devices SET last_applied_seq = ?, last_applied_at_ms = ?, last_seen_ms = ? WHERE id = ?"},
      {&ins_quarantine_,
       "INSERT INTO quarantine (received_at_ms, topic, device_id, code, reason, payload) VALUES (?,?,?,?,?,?)"},
      {&up_state_,
       "UPDATE devices SET online = ?2, kind = CASE WHEN ?3 = '' THEN kind ELSE ?3 END,"
       " location = CASE WHEN ?4 = '' THEN location ELSE ?4 END,"
       // An offline message (the MQTT will) carries no figures: keep the last ones the device sent.
       // (?7 is ?2 again: PostgreSQL gives each parameter one type, and these two uses differ.)
       " state_json = CASE WHEN ?7 = 0 THEN state_json ELSE ?5 END, last_seen_ms = ?6,"
       " first_seen_ms = CASE WHEN first_seen_ms = 0 THEN ?6 ELSE first_seen_ms END WHERE id = ?1"},
      {&mark_voided_, "UPDATE events SET voided_by = ? WHERE dev = ? AND seq = ?"},
      {&ins_anomaly_, "INSERT INTO anomalies (dev, seq, code, message, at_ms) VALUES (?,?,?,?,?)"},
      {&sel_claim_, "SELECT dev, seq FROM task_claims WHERE ref = ?"},
      {&ins_price_flag_, "INSERT OR IGNORE INTO price_flags (dev, seq, line, check_code, list_units) VALUES (?,?,?,?,?)"},
      {&ins_claim_, "INSERT INTO task_claims (ref, dev, seq) VALUES (?,?,?)"},
      {&set_internal_, "UPDATE devices SET internal = 1 WHERE id = ? AND internal = 0"},
      {&set_conflict_,
       "UPDATE devices SET resequencing = ?1, seq_conflicts = seq_conflicts + 1, last_conflict = ?2,"
       " last_conflict_at_ms = ?3 WHERE id = ?4"},
      {&switch_epoch_, "UPDATE devices SET epoch = ?1, retired_epochs = ?2, resequencing = 0 WHERE id = ?3"},
      {&set_chain_head_, "UPDATE devices SET chain_head = ?1 WHERE id = ?2"},
      {&set_chain_break_,
       "UPDATE devices SET chain_breaks = chain_breaks + 1, last_chain_break = ?1, last_chain_break_at_ms = ?2"
       " WHERE id = ?3"},
      {&ins_chain_kept_,
       "INSERT INTO chain_kept (dev, seq, prev_hash, body) VALUES (?,?,?,?)"
       " ON CONFLICT (dev, seq) DO UPDATE SET prev_hash = excluded.prev_hash, body = excluded.body"},
  };
  for (const Def& d : defs) {
    auto st = db_->prepare(d.sql);
    if (!st) return st.error();
    *d.stmt = std::move(*st);
  }
  if (db_->dialect() == common::SqlDialect::kPostgres) {
    // On PostgreSQL each statement is a round trip: on-hand rows go kInsertRows per upsert.
    auto st = db_->prepare(
        "INSERT INTO on_hand (loc, sku, qty, count_at_ms, counted, updated_at_ms, ver, count_dev, count_seq, count_id)" +
        valuesSql(kOnHandParams, kInsertRows) +
        " ON CONFLICT (loc, sku) DO UPDATE SET qty = excluded.qty, count_at_ms = excluded.count_at_ms,"
        " counted = excluded.counted, updated_at_ms = excluded.updated_at_ms, ver = excluded.ver,"
        " count_dev = excluded.count_dev, count_seq = excluded.count_seq, count_id = excluded.count_id");
    if (!st) return st.error();
    up_onhand_many_ = std::move(*st);
  }
  auto move_ord = db_->queryInt("SELECT COALESCE(MAX(ord), 0) FROM movements");
  if (!move_ord) return move_ord.error();
  auto event_ord = db_->queryInt("SELECT COALESCE(MAX(ord), 0) FROM events");
  if (!event_ord) return event_ord.error();
  next_ord_ = std::max(*move_ord, *event_ord) + 1;
  auto ver = db_->queryInt("SELECT COALESCE(MAX(ver), 0) FROM on_hand");
  if (!ver) return ver.error();
  stock_ver_ = *ver;
  return {};
}

Result<int64_t> SqlLedger::internRepeated(Interner& in, LastName& last, const std::string& name) {
  if (last.id != 0 && last.name == name) return last.id;
  auto id = intern(in, name);
  if (!id) return id;
  last.name = name;
  last.id = *id;
  return id;
}

Result<const std::string*> SqlLedger::nameOf(Interner& in, int64_t id) {
  if (auto it = in.names.find(id); it != in.names.end()) return &it->second;
  in.by_id.bind(1, id);
  auto r = in.by_id.step();
  if (!r || !*r) {
    in.by_id.reset();
    if (!r) return r.error();
    return Error::fatal("corrupt_database", std::string("no ") + in.table + " row with id " + std::to_string(id));
  }
  std::string name(in.by_id.columnView(0));
  in.by_id.reset();
  // A row from an earlier transaction (this one's new rows were interned), so it stays valid
  // whatever becomes of the open transaction.
  in.ids.emplace(name, id);
  return &in.names.emplace(id, std::move(name)).first->second;
}

Result<int64_t> SqlLedger::intern(Interner& in, const std::string& name) {
  auto it = in.ids.find(name);
  if (it != in.ids.end()) return it->second;
  in.find.bind(1, name);
  auto r = in.find.step();
  if (!r) {
    in.find.reset();
    return r.error();
  }
  int64_t id = 0;
  if (*r) {
    id = in.find.columnInt(0);
    in.find.reset();
  } else {
    in.find.reset();
    in.insert.bind(1, name);
    auto ins = in.insert.step();
    if (!ins) {
      in.insert.reset();
      return ins.error();
    }
    if (*ins) {
      id = in.insert.columnInt(0);
      in.insert.reset();
      in.added.push_back(name);
    } else {
      in.insert.reset();  // added by another coordinator since the find (its transaction committed)
      auto again = in.find.bind(1, name).firstRow([&](const SqlStmt& row) { id = row.columnInt(0); });
      if (!again) return again.error();
      if (!*again) return Error::retry("intern", std::string("no ") + in.table + " row for '" + name + "'");
    }
  }
  in.ids.emplace(name, id);
  in.names.emplace(id, name);
  return id;
}

Status SqlLedger::internNewNames(const ApplyGroup& group) {
  // A name a transaction adds holds its unique index entry locked until it commits. Two
  // coordinators on one PostgreSQL adding the same new names in different orders (two stores'
  // batches each bringing SKUs A and B) would each wait for the other: a deadlock, one group
  // refused. Added here first, every table's new names in sorted order and the tables always
  // in the same order, one of them waits for the other's commit and then reads its id.
  std::set<std::string> devices, locations, skus;
  auto note = [](const Interner& in, std::set<std::string>& into, const std::string& name) {
    if (!name.empty() && !in.ids.contains(name)) into.insert(name);
  };
  for (const auto& [device, epoch] : group.new_devices) note(devices_, devices, device);
  for (const ApplyEvent& ae : group.events) {
    note(devices_, devices, ae.event.device_id);
    note(locations_, locations, ae.event.location);
    note(locations_, locations, ae.event.other_location);
    for (const common::Line& l : ae.event.lines) note(skus_, skus, l.sku);
  }
  const std::pair<Interner*, const std::set<std::string>*> tables[] = {
      {&devices_, &devices}, {&locations_, &locations}, {&skus_, &skus}};
  for (const auto& [in, names] : tables) {
    for (const std::string& name : *names) {
      if (auto id = intern(*in, name); !id) return id.error();
    }
  }
  return {};
}

Result<std::vector<DeviceRow>> SqlLedger::loadDevices() { return devices(); }

Result<SqlLedger::OnHand*> SqlLedger::onHand(Key key) {
  auto it = onhand_cache_.find(key);
  if (it != onhand_cache_.end()) return &it->second;
  OnHand oh;
  sel_onhand_.bind(1, key.first).bind(2, key.second);
  auto r = sel_onhand_.step();
  if (!r) {
    sel_onhand_.reset();
    return r.error();
  }
  bool found = *r;
  oh.stored = found;
  if (found) {
    oh.qty = sel_onhand_.columnInt(0);
    if (!sel_onhand_.columnIsNull(1)) {
      oh.count = CountMark{sel_onhand_.columnInt(1), sel_onhand_.columnInt(3), sel_onhand_.columnInt(4),
                           std::string(sel_onhand_.columnView(5))};
    }
    if (!sel_onhand_.columnIsNull(2)) oh.counted = sel_onhand_.columnInt(2);
  }
  sel_onhand_.reset();
  if (!found) {
    // Never seen here before, but a whole-location count may already have counted it: as 0.
    sel_loc_count_.bind(1, key.first);
    auto lc = sel_loc_count_.step();
    if (!lc) {
      sel_loc_count_.reset();
      return lc.error();
    }
    if (*lc) {
      oh.count = CountMark{sel_loc_count_.columnInt(0), sel_loc_count_.columnInt(2), sel_loc_count_.columnInt(3),
                           std::string(sel_loc_count_.columnView(1))};
      oh.counted = 0;
    }
    sel_loc_count_.reset();
  }
  OnHand* row = &onhand_cache_.emplace(key, oh).first->second;
  if (row->count && !found) markDirty(key, *row);  // counted 0 by a location session: write the row
  return row;
}

void SqlLedger::markDirty(Key key, OnHand& oh) {
  if (oh.dirty) return;
  oh.dirty = true;
  dirty_.push_back(key);
}

bool SqlLedger::absorbs(const CountMark& c, int64_t dev, int64_t seq, int64_t at) const {
  if (dev == c.dev) return seq < c.seq;
  return at <= c.at + options_.count_tie_ms;
}

Status SqlLedger::applyDelta(Key key, int64_t delta, int64_t at_ms, int64_t dev, int64_t seq) {
  auto oh = onHand(key);
  if (!oh) return oh.error();
  // The latest count already saw this movement's effect.
  if ((*oh)->count && absorbs(*(*oh)->count, dev, seq, at_ms)) return {};
  (*oh)->qty += delta;
  markDirty(key, **oh);
  return {};
}

Status SqlLedger::applyCount(Key key, int64_t counted, const CountMark& mark) {
  auto oh = onHand(key);
  if (!oh) return oh.error();
  if ((*oh)->count && !mark.newerThan(*(*oh)->count)) return {};  // an older count: superseded, kept in the log
  sum_after_.bind(1, key.first).bind(2, key.second).bind(3, mark.dev).bind(4, mark.seq)
      .bind(5, mark.at + options_.count_tie_ms);
  auto r = sum_after_.step();
  if (!r) {
    sum_after_.reset();
    return r.error();
  }
  int64_t after = sum_after_.columnInt(0);
  sum_after_.reset();
  (*oh)->qty = counted + after;
  (*oh)->count = mark;
  (*oh)->counted = counted;
  markDirty(key, **oh);
  return {};
}

Status SqlLedger::applyLocationCount(int64_t loc, const std::set<int64_t>& listed, const CountMark& mark) {
  ins_loc_count_.bind(1, loc).bind(2, mark.at).bindBlob(3, mark.id).bind(4, mark.dev).bind(5, mark.seq);
  if (auto s = ins_loc_count_.run(); !s) return s;
  // Every SKU known here that the session did not list was counted as 0: those with a row, and
  // those that got their first movement earlier in this same transaction (still only cached).
  std::set<int64_t> skus;
  sel_loc_skus_.bind(1, loc);
  while (true) {
    auto r = sel_loc_skus_.step();
    if (!r) {
      sel_loc_skus_.reset();
      return r.error();
    }
    if (!*r) break;
    skus.insert(sel_loc_skus_.columnInt(0));
  }
  sel_loc_skus_.reset();
  for (const auto& [key, oh] : onhand_cache_) {
    if (key.first == loc) skus.insert(key.second);
  }
  for (int64_t sku : skus) {
    if (listed.count(sku)) continue;
    if (auto s = applyCount({loc, sku}, 0, mark); !s) return s;
  }
  return {};
}

Status SqlLedger::applyTransfer(const common::Event& e, int64_t dev, int64_t loc, int64_t at) {
  auto other = intern(locations_, e.other_location);
  if (!other) return other.error();
  const std::string event_id = common::uuidToBytes(e.event_id);
  const std::string ref = e.ref.empty() ? std::string() : common::uuidToBytes(e.ref);
  const int64_t seq = static_cast<int64_t>(e.seq);
  auto firstId = [](SqlStmt& st) -> Result<std::optional<int64_t>> {
    auto r = st.step();
    std::optional<int64_t> id;
    if (r && *r) id = st.columnInt(0);
    st.reset();
    if (!r) return r.error();
    return id;
  };
  for (const common::Line& l : e.lines) {
    auto sku = intern(skus_, l.sku);
    if (!sku) return sku.error();
    if (e.type == EventType::kTransferOut) {
      match_early_receipt_.bind(1, loc).bind(2, *other).bind(3, *sku).bindBlob(4, event_id);
      auto id = firstId(match_early_receipt_);
      if (!id) return id.error();
      if (*id) {
        set_transfer_out_.bind(1, **id).bindBlob(2, event_id).bind(3, dev).bind(4, seq).bind(5, l.qty).bind(6, at);
        if (auto s = set_transfer_out_.run(); !s) return s;
      } else {
        ins_transfer_out_.bind(1, loc).bind(2, *other).bind(3, *sku).bindBlob(4, event_id).bind(5, dev)
            .bind(6, seq).bind(7, l.qty).bind(8, at);
        if (auto s = ins_transfer_out_.run(); !s) return s;
      }
      continue;
    }
    std::optional<int64_t> match;
    if (!ref.empty()) {
      match_shipment_ref_.bindBlob(1, ref).bind(2, *sku);
      auto id = firstId(match_shipment_ref_);
      if (!id) return id.error();
      match = *id;
    } else {
      match_shipment_fifo_.bind(1, *other).bind(2, loc).bind(3, *sku);
      auto id = firstId(match_shipment_fifo_);
      if (!id) return id.error();
      match = *id;
    }
    if (match) {
      set_transfer_in_.bind(1, *match).bindBlob(2, event_id).bind(3, dev).bind(4, seq).bind(5, l.qty).bind(6, at);
      if (ref.empty()) {
        set_transfer_in_.bindNull(7);
      } else {
        set_transfer_in_.bindBlob(7, ref);
      }
      if (auto s = set_transfer_in_.run(); !s) return s;
    } else {
      ins_transfer_in_.bind(1, *other).bind(2, loc).bind(3, *sku).bindBlob(4, event_id).bind(5, dev).bind(6, seq)
          .bind(7, l.qty).bind(8, at);
      if (ref.empty()) {
        ins_transfer_in_.bindNull(9);
      } else {
        ins_transfer_in_.bindBlob(9, ref);
      }
      if (auto s = ins_transfer_in_.run(); !s) return s;
    }
  }
  return {};
}

Status SqlLedger::flushOnHand(int64_t now_ms, int64_t version, CommitInfo* info) {
  std::set<int64_t> locs;
  auto bindRow = [&](SqlStmt& st, int base, const Key& key, const OnHand& oh) {
    st.bind(base + 1, key.first).bind(base + 2, key.second).bind(base + 3, oh.qty).bind(base + 5, oh.counted)
        .bind(base + 6, now_ms).bind(base + 7, version);
    if (oh.count) {
      st.bind(base + 4, oh.count->at).bind(base + 8, oh.count->dev).bind(base + 9, oh.count->seq)
          .bindBlob(base + 10, oh.count->id);
    } else {
      st.bindNull(base + 4).bindNull(base + 8).bindNull(base + 9).bindNull(base + 10);
    }
  };
  size_t batched = 0;  // dirty_ rows written by multi-row upserts (PostgreSQL)
  if (up_onhand_many_) {
    for (; dirty_.size() - batched >= kInsertRows; batched += kInsertRows) {
      for (int r = 0; r < kInsertRows; ++r) {
        const Key& key = dirty_[batched + static_cast<size_t>(r)];
        bindRow(up_onhand_many_, r * kOnHandParams, key, onhand_cache_.at(key));
      }
      if (auto s = up_onhand_many_.run(); !s) return s;
    }
  }
  for (size_t i = 0; i < dirty_.size(); ++i) {
    const Key& key = dirty_[i];
    const OnHand& oh = onhand_cache_.at(key);
    if (i >= batched) {
      // The cache knows whether the row exists: a plain UPDATE then costs one lookup, not two.
      SqlStmt& st = oh.stored ? set_onhand_ : up_onhand_;
      bindRow(st, 0, key, oh);
      if (auto s = st.run(); !s) return s;
    }
    if (info) {
      auto loc = nameOf(locations_, key.first);
      if (!loc) return loc.error();
      auto sku = nameOf(skus_, key.second);
      if (!sku) return sku.error();
      info->changed.emplace_back(**loc, **sku);
      if (locs.insert(key.first).second) info->locations.push_back(**loc);
    }
  }
  return {};
}

Status SqlLedger::applyEvent(const ApplyEvent& ae, int64_t applied_at_ms) {
  const common::Event& e = ae.event;
  int64_t at = e.occurred_at_ms + ae.clock_offset_ms;
  auto dev = internRepeated(devices_, last_device_, e.device_id);
  if (!dev) return dev.error();
  auto loc = internRepeated(locations_, last_location_, e.location);
  if (!loc) return loc.error();
  const int64_t seq = static_cast<int64_t>(e.seq);
  auto anomaly = [&](const std::string& code, const std::string& message) {
    return recordAnomaly(*dev, seq, code, message, applied_at_ms);
  };
  std::optional<int64_t> other;
  if (!e.other_location.empty()) {
    auto id = intern(locations_, e.other_location);
    if (!id) return id.error();
    other = *id;
  }
  // Not inserted (OR IGNORE): its event id or (device, seq) is already in the ledger. Ignoring
  // rather than failing keeps the transaction usable on PostgreSQL, where an error ends it.
  bindEvent(ins_event_or_ignore_, 0, e, *dev, *loc, other, at, applied_at_ms, next_ord_++);
  if (auto s = ins_event_or_ignore_.run(); !s) return s;
  if (db_->changes() == 0) {
    if (auto k = keepChained(*dev, e); !k) return k;
    return anomaly("duplicate_event_id", duplicateMessage(e));
  }

  auto insertMove = [&](int line, int64_t move_loc, int64_t sku, int64_t qty, std::optional<int64_t> price,
                        int64_t delta, std::optional<int64_t> correction = std::nullopt) {
    bindMove(ins_move_, 0, {*dev, seq, line, next_ord_++, e.type, move_loc, sku, qty, price, delta, at, correction});
    return ins_move_.run();
  };

  // A pick task is done once. The first device whose sale or count names the task claims it;
  // the same task confirmed on another device (tasks go to every device at the location) is
  // kept as an event but moves no stock, and is an anomaly.
  if ((e.type == EventType::kSale || e.type == EventType::kCount) && !e.ref.empty()) {
    const std::string ref = common::uuidToBytes(e.ref);
    sel_claim_.bindBlob(1, ref);
    auto r = sel_claim_.step();
    std::optional<std::pair<int64_t, int64_t>> claim;
    if (r && *r) claim = std::make_pair(sel_claim_.columnInt(0), sel_claim_.columnInt(1));
    sel_claim_.reset();
    if (!r) return r.error();
    if (claim && claim->first != *dev) {
      auto first = nameOf(devices_, claim->first);
      if (!first) return first.error();
      if (auto k = keepChained(*dev, e); !k) return k;
      return anomaly("task_already_confirmed", "task " + e.ref + " was confirmed first by " + **first + " (seq " +
                                                   std::to_string(claim->second) + "); this " +
                                                   std::string(common::eventTypeName(e.type)) + " from " +
                                                   e.device_id + " moved no stock");
    }
    if (!claim) {
      ins_claim_.bindBlob(1, ref).bind(2, *dev).bind(3, seq);
      if (auto s = ins_claim_.run(); !s) return s;
    }
  }

  if (e.type == EventType::kVoid) {
    struct Orig {
      int64_t loc, sku, qty, delta;
    };
    std::vector<Orig> orig;
    std::string orig_type;
    int64_t orig_dev = 0, orig_seq = 0;
    bool found = false, voided = false;
    sel_ref_moves_.bindBlob(1, common::uuidToBytes(e.ref));
    while (true) {
      auto r = sel_ref_moves_.step();
      if (!r) {
        sel_ref_moves_.reset();
        return r.error();
      }
      if (!*r) break;
      found = true;
      orig_dev = sel_ref_moves_.columnInt(0);
      orig_seq = sel_ref_moves_.columnInt(1);
      orig_type = sel_ref_moves_.columnText(2);
      voided = sel_ref_moves_.columnInt(3) != 0;
      if (!sel_ref_moves_.columnIsNull(4)) {
        orig.push_back({sel_ref_moves_.columnInt(4), sel_ref_moves_.columnInt(5), sel_ref_moves_.columnInt(6),
                        sel_ref_moves_.columnInt(7)});
      }
    }
    sel_ref_moves_.reset();
    std::string problem;
    if (!found) {
      problem = "void_unknown_ref";
    } else if (voided) {
      problem = "already_voided";
    } else if (orig_type == "void" || orig_type == "count") {
      problem = "void_not_voidable";
    }
    if (!problem.empty()) return anomaly(problem, "void of " + e.ref + " changed no stock (" + problem + ")");
    mark_voided_.bindBlob(1, common::uuidToBytes(e.event_id)).bind(2, orig_dev).bind(3, orig_seq);
    if (auto s = mark_voided_.run(); !s) return s;
    int line = 0;
    for (const Orig& o : orig) {
      if (o.delta == 0) continue;
      if (auto s = insertMove(++line, o.loc, o.sku, o.qty, std::nullopt, -o.delta); !s) return s;
      if (auto s = applyDelta({o.loc, o.sku}, -o.delta, at, *dev, static_cast<int64_t>(e.seq)); !s) return s;
    }
    return {};
  }

  for (const common::PriceFlag& pf : e.price_flags) {
    ins_price_flag_.bind(1, *dev).bind(2, seq).bind(3, static_cast<int64_t>(pf.line))
        .bind(4, common::priceCheckName(pf.check));
    if (pf.list_price) {
      ins_price_flag_.bind(5, pf.list_price->scaled());
    } else {
      ins_price_flag_.bindNull(5);
    }
    if (auto s = ins_price_flag_.run(); !s) return s;
  }

  CountMark mark;  // only counts need it
  if (e.type == EventType::kCount) mark = {at, *dev, static_cast<int64_t>(e.seq), common::uuidToBytes(e.event_id)};
  std::set<int64_t> listed;
  int line = 0;
  for (const common::Line& l : e.lines) {
    ++line;
    auto sku = intern(skus_, l.sku);
    if (!sku) return sku.error();
    std::optional<int64_t> price;
    if (l.unit_price) price = l.unit_price->scaled();
    int64_t delta = lineDelta(e.type, l.qty);
    Key key{*loc, *sku};
    listed.insert(*sku);
    if (e.type == EventType::kCount) {
      auto before = onHand(key);
      if (!before) return before.error();
      const int64_t was = (*before)->qty;
      if (auto s = applyCount(key, l.qty, mark); !s) return s;
      auto after = onHand(key);
      if (!after) return after.error();
      if (auto s = insertMove(line, *loc, *sku, l.qty, price, delta, (*after)->qty - was); !s) return s;
      continue;
    }
    if (auto s = insertMove(line, *loc, *sku, l.qty, price, delta); !s) return s;
    if (auto s = applyDelta(key, delta, at, *dev, static_cast<int64_t>(e.seq)); !s) return s;
  }
  if (e.type == EventType::kCount && e.scope == common::kScopeLocation) {
    if (auto s = applyLocationCount(*loc, listed, mark); !s) return s;
  }
  if (e.type == EventType::kTransferOut || e.type == EventType::kTransferIn) {
    if (auto s = applyTransfer(e, *dev, *loc, at); !s) return s;
  }
  return {};
}

Status SqlLedger::keepChained(int64_t dev, const common::Event& e) {
  if (e.prev_hash.empty()) return {};
  ins_chain_kept_.bind(1, dev).bind(2, static_cast<int64_t>(e.seq)).bind(3, e.prev_hash).bindBlob(4, common::chainBytes(e));
  return ins_chain_kept_.run();
}

Status SqlLedger::recordAnomaly(int64_t dev, int64_t seq, const std::string& code, const std::string& message,
                                   int64_t at_ms) {
  ins_anomaly_.bind(1, dev).bind(2, seq).bind(3, code).bind(4, message).bind(5, at_ms);
  return ins_anomaly_.run();
}

Status SqlLedger::stageEvent(const ApplyEvent& ae, int64_t applied_at_ms) {
  const common::Event& e = ae.event;
  auto dev = internRepeated(devices_, last_device_, e.device_id);
  if (!dev) return dev.error();
  auto loc = internRepeated(locations_, last_location_, e.location);
  if (!loc) return loc.error();
  staged_.push_back({&ae, *dev, *loc, e.occurred_at_ms + ae.clock_offset_ms, next_ord_, staged_skus_.size()});
  next_ord_ += 1 + static_cast<int64_t>(e.lines.size());
  for (const common::Line& l : e.lines) {
    auto sku = intern(skus_, l.sku);
    if (!sku) return sku.error();
    staged_skus_.push_back(*sku);
  }
  if (staged_.size() == kInsertRows) return flushStaged(applied_at_ms);
  return {};
}

Status SqlLedger::flushStaged(int64_t applied_at_ms) {
  if (staged_.empty()) return {};
  auto bindStaged = [&](SqlStmt& st, int base, const Staged& sg) {
    bindEvent(st, base, sg.ae->event, sg.dev, sg.loc, std::nullopt, sg.at, applied_at_ms, sg.ord);
  };
  // 1. The events rows. One not inserted (OR IGNORE) has an event id or (device, seq) already
  // in the ledger: it is not applied, and is an anomaly, as applyEvent() does.
  std::vector<char> inserted(staged_.size(), 1);
  if (staged_.size() == kInsertRows) {
    for (size_t i = 0; i < staged_.size(); ++i) bindStaged(ins_events_many_, static_cast<int>(i) * kEventParams, staged_[i]);
    if (auto s = ins_events_many_.run(); !s) return s;
    if (db_->changes() != kInsertRows) {
      for (size_t i = 0; i < staged_.size(); ++i) {
        sel_event_by_id_.bindBlob(1, common::uuidToBytes(staged_[i].ae->event.event_id));
        auto r = sel_event_by_id_.step();
        inserted[i] = r && *r && sel_event_by_id_.columnInt(0) == staged_[i].ord;  // ords are new
        sel_event_by_id_.reset();
        if (!r) return r.error();
      }
    }
  } else {
    for (size_t i = 0; i < staged_.size(); ++i) {
      bindStaged(ins_event_or_ignore_, 0, staged_[i]);
      if (auto s = ins_event_or_ignore_.run(); !s) return s;
      inserted[i] = db_->changes() == 1;
    }
  }
  // 2. Their lines, and what they do to the stock.
  std::vector<MoveRow> rows;
  for (size_t i = 0; i < staged_.size(); ++i) {
    const Staged& sg = staged_[i];
    const common::Event& e = sg.ae->event;
    const int64_t seq = static_cast<int64_t>(e.seq);
    if (!inserted[i]) {
      if (auto s = keepChained(sg.dev, e); !s) return s;
      if (auto s = recordAnomaly(sg.dev, seq, "duplicate_event_id", duplicateMessage(e), applied_at_ms); !s) return s;
      continue;
    }
    for (size_t n = 0; n < e.lines.size(); ++n) {
      const common::Line& l = e.lines[n];
      std::optional<int64_t> price;
      if (l.unit_price) price = l.unit_price->scaled();
      const int64_t line = static_cast<int64_t>(n) + 1, sku = staged_skus_[sg.first_sku + n];
      const int64_t delta = lineDelta(e.type, l.qty);
      rows.push_back({sg.dev, seq, line, sg.ord + line, e.type, sg.loc, sku, l.qty, price, delta, sg.at, std::nullopt});
      if (auto s = applyDelta({sg.loc, sku}, delta, sg.at, sg.dev, seq); !s) return s;
    }
  }
  size_t done = 0;
  for (; rows.size() - done >= kInsertRows; done += kInsertRows) {
    for (int r = 0; r < kInsertRows; ++r) bindMove(ins_moves_many_, r * kMoveParams, rows[done + static_cast<size_t>(r)]);
    if (auto s = ins_moves_many_.run(); !s) return s;
    // Each (device, seq) was just inserted once into events, so its lines cannot already exist.
    if (db_->changes() != kInsertRows) return Error::fatal("corrupt_database", "movement rows already present");
  }
  for (; done < rows.size(); ++done) {
    bindMove(ins_move_, 0, rows[done]);
    if (auto s = ins_move_.run(); !s) return s;
  }
  staged_.clear();
  staged_skus_.clear();
  return {};
}

Status SqlLedger::commit(const ApplyGroup& group, CommitInfo* info) {
  std::lock_guard<std::mutex> lock(write_mu_);
  if (info) *info = {};
  if (onhand_cache_.size() > kOnHandCacheMax) onhand_cache_.clear();
  dirty_.clear();
  int64_t saved_ord = next_ord_;
  for (Interner* in : {&devices_, &locations_, &skus_}) in->added.clear();
  auto fail = [&](const Error& e) {
    // The cache may hold this transaction's changes: forget it all, the database has the truth.
    onhand_cache_.clear();
    dirty_.clear();
    staged_.clear();
    staged_skus_.clear();
    last_device_ = {};
    last_location_ = {};
    next_ord_ = saved_ord;
    for (Interner* in : {&devices_, &locations_, &skus_}) {
      for (const auto& name : in->added) {
        auto it = in->ids.find(name);
        if (it == in->ids.end()) continue;
        in->names.erase(it->second);
        in->ids.erase(it);
      }
      in->added.clear();
    }
    return e;
  };
  auto txn = common::SqlTxn::begin(*db_);
  if (!txn) return fail(txn.error());
  // A split ledger: the partitions written are fenced before anything is read (partitions.cpp).
  bool foreign = false;
  const bool split = options_.partitions > 0;
  if (split) {
    auto fenced = fencePartitions(group, &foreign);
    saved_ord = next_ord_;  // a block taken by the fence is kept even if this group fails
    if (!fenced) return fail(fenced.error());
  }
  if (db_->dialect() == common::SqlDialect::kPostgres) {
    if (auto s = internNewNames(group); !s) return fail(s.error());
  }
  for (const auto& [device, epoch] : group.new_devices) {
    auto dev = intern(devices_, device);
    if (!dev) return fail(dev.error());
    set_epoch_.bind(1, epoch).bind(2, group.applied_at_ms).bind(3, *dev);
    if (auto s = set_epoch_.run(); !s) return fail(s.error());
  }
  for (const ApplyEvent& ae : group.events) {
    Status s;
    if (isPlain(ae.event)) {
      s = stageEvent(ae, group.applied_at_ms);
    } else if (s = flushStaged(group.applied_at_ms); s) {
      s = applyEvent(ae, group.applied_at_ms);  // sees every event before it
    }
    if (!s) return fail(s.error());
  }
  if (auto s = flushStaged(group.applied_at_ms); !s) return fail(s.error());
  // Split, a stock version is the commit's first apply order number (see kOrdBlock), and what
  // changed is told to the other coordinators when this commits (notifyOthers).
  CommitInfo told;
  CommitInfo* changed = info ? info : (split ? &told : nullptr);
  if (auto s = flushOnHand(group.applied_at_ms, split ? saved_ord : stock_ver_ + 1, changed); !s) {
    return fail(s.error());
  }
  if (split && !changed->changed.empty()) {
    if (auto s = notifyOthers(*changed); !s) return fail(s.error());
  }
  for (const auto& [device, c] : group.conflicts) {
    auto dev = intern(devices_, device);
    if (!dev) return fail(dev.error());
    set_conflict_.bind(1, static_cast<int64_t>(c.seq)).bind(2, c.message).bind(3, group.applied_at_ms).bind(4, *dev);
    if (auto s = set_conflict_.run(); !s) return fail(s.error());
  }
  for (const auto& [device, sw] : group.epoch_switches) {
    auto dev = intern(devices_, device);
    if (!dev) return fail(dev.error());
    switch_epoch_.bind(1, sw.first).bind(2, sw.second).bind(3, *dev);
    if (auto s = switch_epoch_.run(); !s) return fail(s.error());
  }
  for (const auto& [device, head] : group.chain_heads) {
    auto dev = intern(devices_, device);
    if (!dev) return fail(dev.error());
    set_chain_head_.bind(1, head).bind(2, *dev);
    if (auto s = set_chain_head_.run(); !s) return fail(s.error());
  }
  for (const auto& [device, why] : group.chain_breaks) {
    auto dev = intern(devices_, device);
    if (!dev) return fail(dev.error());
    set_chain_break_.bind(1, why).bind(2, group.applied_at_ms).bind(3, *dev);
    if (auto s = set_chain_break_.run(); !s) return fail(s.error());
  }
  for (const AnomalyRow& a : group.anomalies) {
    auto dev = intern(devices_, a.device_id);
    if (!dev) return fail(dev.error());
    if (auto s = recordAnomaly(*dev, static_cast<int64_t>(a.seq), a.code, a.message, group.applied_at_ms); !s) {
      return fail(s.error());
    }
  }
  for (const std::string& device : group.internal_devices) {
    auto dev = intern(devices_, device);
    if (!dev) return fail(dev.error());
    set_internal_.bind(1, *dev);
    if (auto s = set_internal_.run(); !s) return fail(s.error());
  }
  for (const auto& [device, seq] : group.cursors) {
    auto dev = intern(devices_, device);
    if (!dev) return fail(dev.error());
    up_device_.bind(1, static_cast<int64_t>(seq)).bind(2, group.applied_at_ms).bind(3, group.applied_at_ms)
        .bind(4, *dev);
    if (auto s = up_device_.run(); !s) return fail(s.error());
  }
  for (const QuarantineRow& q : group.quarantined) {
    ins_quarantine_.bind(1, q.received_at_ms).bind(2, q.topic);
    optText(ins_quarantine_, 3, q.device_id);
    ins_quarantine_.bind(4, q.code).bind(5, q.reason).bindBlob(6, q.payload);
    if (auto s = ins_quarantine_.run(); !s) return fail(s.error());
  }
  for (const DeviceStateUpdate& u : group.states) {
    auto dev = intern(devices_, u.device_id);
    if (!dev) return fail(dev.error());
    up_state_.bind(1, *dev).bind(2, static_cast<int64_t>(u.online)).bind(3, u.kind).bind(4, u.location)
        .bind(5, u.state_json).bind(6, u.at_ms).bind(7, static_cast<int64_t>(u.online));
    if (auto s = up_state_.run(); !s) return fail(s.error());
  }
  if (db_->dialect() == common::SqlDialect::kPostgres && !split) {
    // Fencing: this commit goes through only while this ledger still holds the writer lease.
    if (lease_token_ == 0) {
      return fail(Error::reject("read_only", db_->describe() + " was opened for reading (no writer id)"));
    }
    renew_lease_.bind(1, lease_token_.load()).bind(2, options_.lease_ms);
    if (auto s = renew_lease_.run(); !s) return fail(s.error());
    if (db_->changes() != 1) {
      return fail(Error::fatal("lease_lost", "another writer has taken " + db_->describe() + "'s lease from '" +
                                                 options_.writer_id + "'; nothing of this group was written"));
    }
  }
  if (before_commit_) {
    if (auto s = before_commit_(); !s) return fail(s.error());
  }
  common::crashPoint("coordinator.mid_batch");
  if (auto s = txn->commit(); !s) {
    if (info) *info = {};
    return fail(s.error());
  }
  ++stock_ver_;
  for (const Key& key : dirty_) {
    OnHand& oh = onhand_cache_.at(key);
    oh.dirty = false;
    oh.stored = true;
  }
  dirty_.clear();
  if (foreign) onhand_cache_.clear();  // rows of partitions others hold: theirs to keep
  return {};
}

namespace {

Result<std::vector<StockRow>> readStock(SqlStmt& st) {
  std::vector<StockRow> out;
  if (auto each_ok = st.eachRow([&](const common::SqlStmt&) {
    StockRow row;
    row.location = st.columnText(0);
    row.sku = st.columnText(1);
    row.on_hand = st.columnInt(2);
    if (!st.columnIsNull(3)) row.last_count_at_ms = st.columnInt(3);
    if (!st.columnIsNull(4)) row.last_counted = st.columnInt(4);
    row.updated_at_ms = st.columnInt(5);
    out.push_back(std::move(row));
  }); !each_ok) {
    return each_ok.error();
  }
  return out;
}

}  // namespace

Result<std::vector<StockRow>> SqlLedger::stockForSku(const std::string& sku) {
  std::lock_guard<std::mutex> lock(read_mu_);
  auto st = reader_->prepare(
      "SELECT l.name, s.sku, o.qty, o.count_at_ms, o.counted, o.updated_at_ms FROM on_hand o"
      " JOIN skus s ON s.id = o.sku JOIN locations l ON l.id = o.loc WHERE s.sku = ? ORDER BY l.name");
  if (!st) return st.error();
  st->bind(1, sku);
  return readStock(*st);
}

Result<std::vector<StockRow>> SqlLedger::stockForLocation(const std::string& location) {
  std::lock_guard<std::mutex> lock(read_mu_);
  auto st = reader_->prepare(
      "SELECT l.name, s.sku, o.qty, o.count_at_ms, o.counted, o.updated_at_ms FROM on_hand o"
      " JOIN skus s ON s.id = o.sku JOIN locations l ON l.id = o.loc WHERE l.name = ? ORDER BY s.sku");
  if (!st) return st.error();
  st->bind(1, location);
  return readStock(*st);
}

Result<std::vector<DeviceRow>> SqlLedger::devices() { return readDevices(nullptr); }

Result<std::optional<DeviceRow>> SqlLedger::deviceRow(const std::string& device) {
  auto rows = readDevices(&device);
  if (!rows) return rows.error();
  if (rows->empty()) return std::optional<DeviceRow>();
  return std::optional<DeviceRow>(std::move(rows->front()));
}

Result<std::vector<DeviceRow>> SqlLedger::readDevices(const std::string* only) {
  std::lock_guard<std::mutex> lock(read_mu_);
  auto st = reader_->prepare(
      std::string("SELECT device_id, epoch, last_applied_seq, kind, location, online, first_seen_ms, last_seen_ms,"
                  " last_applied_at_ms, state_json, internal, retired_epochs, resequencing, seq_conflicts, last_conflict,"
                  " last_conflict_at_ms, chain_head, chain_breaks, last_chain_break, last_chain_break_at_ms FROM devices") +
      (only ? " WHERE device_id = ?" : " ORDER BY device_id"));
  if (!st) return st.error();
  if (only) st->bind(1, *only);
  std::vector<DeviceRow> out;
  if (auto each_ok = st->eachRow([&](const common::SqlStmt&) {
    DeviceRow d;
    d.device_id = st->columnText(0);
    d.epoch = st->columnText(1);
    d.last_applied_seq = static_cast<uint64_t>(st->columnInt(2));
    d.kind = st->columnText(3);
    d.location = st->columnText(4);
    d.online = st->columnInt(5) != 0;
    d.first_seen_ms = st->columnInt(6);
    d.last_seen_ms = st->columnInt(7);
    d.last_applied_at_ms = st->columnInt(8);
    d.state_json = st->columnText(9);
    d.internal = st->columnInt(10) != 0;
    d.retired_epochs = st->columnText(11);
    d.resequencing = static_cast<uint64_t>(st->columnInt(12));
    d.seq_conflicts = st->columnInt(13);
    d.last_conflict = st->columnText(14);
    d.last_conflict_at_ms = st->columnInt(15);
    d.chain_head = st->columnText(16);
    d.chain_breaks = st->columnInt(17);
    d.last_chain_break = st->columnText(18);
    d.last_chain_break_at_ms = st->columnInt(19);
    out.push_back(std::move(d));
  }); !each_ok) {
    return each_ok.error();
  }
  return out;
}

Result<int64_t> SqlLedger::countRows(const std::string& table) {
  static const std::unordered_set<std::string> kTables = {"events", "movements", "on_hand", "quarantine",
                                                          "anomalies", "devices", "skus", "locations"};
  if (!kTables.count(table)) return Error::reject("bad_table", "unknown table " + table);
  std::lock_guard<std::mutex> lock(read_mu_);
  return reader_->queryInt("SELECT count(*) FROM " + table);
}

Result<std::vector<QuarantineRow>> SqlLedger::quarantine(int64_t limit) {
  std::lock_guard<std::mutex> lock(read_mu_);
  auto st = reader_->prepare(
      "SELECT received_at_ms, topic, COALESCE(device_id, ''), code, reason, payload FROM quarantine"
      " ORDER BY id DESC LIMIT ?");
  if (!st) return st.error();
  st->bind(1, limit);
  std::vector<QuarantineRow> out;
  if (auto each_ok = st->eachRow([&](const common::SqlStmt&) {
    out.push_back({st->columnInt(0), st->columnText(1), st->columnText(2), st->columnText(3), st->columnText(4),
                   st->columnText(5)});
  }); !each_ok) {
    return each_ok.error();
  }
  return out;
}

Result<std::vector<AnomalyRow>> SqlLedger::anomalies(const std::string& device, const std::string& code,
                                                        int64_t before_id, int64_t limit) {
  std::lock_guard<std::mutex> lock(read_mu_);
  auto st = reader_->prepare(
      "SELECT a.id, d.device_id, a.seq, a.code, a.message, a.at_ms FROM anomalies a JOIN devices d ON d.id = a.dev"
      " WHERE (?1 = 0 OR a.id < ?1) AND (?2 = '' OR d.device_id = ?2) AND (?3 = '' OR a.code = ?3)"
      " ORDER BY a.id DESC LIMIT ?4");
  if (!st) return st.error();
  st->bind(1, before_id).bind(2, device).bind(3, code).bind(4, limit);
  std::vector<AnomalyRow> out;
  if (auto each_ok = st->eachRow([&](const common::SqlStmt&) {
    out.push_back({st->columnInt(0), st->columnText(1), static_cast<uint64_t>(st->columnInt(2)), st->columnText(3),
                   st->columnText(4), st->columnInt(5)});
  }); !each_ok) {
    return each_ok.error();
  }
  return out;
}

Result<std::optional<std::string>> SqlLedger::eventIdAt(const std::string& device, uint64_t seq) {
  std::lock_guard<std::mutex> lock(read_mu_);
  if (!sel_event_id_at_) {
    auto st = reader_->prepare(
        "SELECT event_id FROM events WHERE dev = (SELECT id FROM devices WHERE device_id = ?) AND seq = ?");
    if (!st) return st.error();
    sel_event_id_at_ = std::move(*st);
  }
  sel_event_id_at_.bind(1, device).bind(2, static_cast<int64_t>(seq));
  auto r = sel_event_id_at_.step();
  std::optional<std::string> out;
  if (r && *r) out = common::uuidFromBytes(sel_event_id_at_.columnView(0));
  sel_event_id_at_.reset();
  if (!r) return r.error();
  return out;
}

Result<std::map<std::string, std::map<std::string, int64_t>>> SqlLedger::priceFlagsByDevice() {
  std::lock_guard<std::mutex> lock(read_mu_);
  auto st = reader_->prepare(
      "SELECT d.device_id, p.check_code, COUNT(*) FROM price_flags p JOIN devices d ON d.id = p.dev"
      " GROUP BY d.device_id, p.check_code");
  if (!st) return st.error();
  std::map<std::string, std::map<std::string, int64_t>> out;
  if (auto each_ok = st->eachRow([&](const common::SqlStmt&) {
    out[st->columnText(0)][st->columnText(1)] = st->columnInt(2);
  }); !each_ok) {
    return each_ok.error();
  }
  return out;
}

Result<std::map<std::string, int64_t>> SqlLedger::anomalyCounts() {
  std::lock_guard<std::mutex> lock(read_mu_);
  auto st = reader_->prepare("SELECT code, COUNT(*) FROM anomalies GROUP BY code");
  if (!st) return st.error();
  std::map<std::string, int64_t> out;
  if (auto each_ok = st->eachRow([&](const common::SqlStmt&) {
    out[st->columnText(0)] = st->columnInt(1);
  }); !each_ok) {
    return each_ok.error();
  }
  return out;
}

Result<std::vector<LedgerEvent>> SqlLedger::eventsForDevice(const std::string& device, uint64_t from_seq,
                                                               int64_t limit) {
  std::lock_guard<std::mutex> lock(read_mu_);
  auto st = reader_->prepare(
      "SELECT e.seq, e.event_id, e.type, l.name, COALESCE(o.name, ''), COALESCE(e.reason, ''), e.ref,"
      " e.voided_by, e.device_at_ms, e.at_ms, e.applied_at_ms, e.ord, ml.name, s.sku, m.qty, m.price_units, m.delta,"
      " m.correction, pf.check_code, pf.list_units"
      " FROM (SELECT * FROM events WHERE dev = (SELECT id FROM devices WHERE device_id = ?1) AND seq >= ?2"
      "       ORDER BY seq LIMIT ?3) e"
      " JOIN locations l ON l.id = e.loc LEFT JOIN locations o ON o.id = e.other_loc"
      " LEFT JOIN movements m ON m.dev = e.dev AND m.seq = e.seq"
      " LEFT JOIN price_flags pf ON pf.dev = m.dev AND pf.seq = m.seq AND pf.line = m.line"
      " LEFT JOIN locations ml ON ml.id = m.loc LEFT JOIN skus s ON s.id = m.sku ORDER BY e.seq, m.line");
  if (!st) return st.error();
  st->bind(1, device).bind(2, static_cast<int64_t>(from_seq)).bind(3, limit);
  std::vector<LedgerEvent> out;
  if (auto each_ok = st->eachRow([&](const common::SqlStmt&) {
    uint64_t seq = static_cast<uint64_t>(st->columnInt(0));
    if (out.empty() || out.back().seq != seq) {
      LedgerEvent e;
      e.device_id = device;
      e.seq = seq;
      e.event_id = common::uuidFromBytes(st->columnView(1));
      e.type = st->columnText(2);
      e.location = st->columnText(3);
      e.other_location = st->columnText(4);
      e.reason = st->columnText(5);
      if (!st->columnIsNull(6)) e.ref = common::uuidFromBytes(st->columnView(6));
      if (!st->columnIsNull(7)) e.voided_by = common::uuidFromBytes(st->columnView(7));
      e.device_at_ms = st->columnInt(8);
      e.at_ms = st->columnInt(9);
      e.applied_at_ms = st->columnInt(10);
      e.apply_order = st->columnInt(11);
      out.push_back(std::move(e));
    }
    if (!st->columnIsNull(12)) {
      LedgerEvent::Move m;
      m.location = st->columnText(12);
      m.sku = st->columnText(13);
      m.qty = st->columnInt(14);
      if (!st->columnIsNull(15)) m.price_units = st->columnInt(15);
      m.delta = st->columnInt(16);
      if (!st->columnIsNull(17)) m.correction = st->columnInt(17);
      if (!st->columnIsNull(18)) m.price_check = st->columnText(18);
      if (!st->columnIsNull(19)) m.list_price_units = st->columnInt(19);
      out.back().moves.push_back(std::move(m));
    }
  }); !each_ok) {
    return each_ok.error();
  }
  return out;
}

Result<int64_t> SqlLedger::stockVersion(const std::string& location) {
  std::lock_guard<std::mutex> lock(read_mu_);
  auto st = reader_->prepare(
      "SELECT COALESCE(MAX(o.ver), 0) FROM on_hand o WHERE o.loc = (SELECT id FROM locations WHERE name = ?)");
  if (!st) return st.error();
  st->bind(1, location);
  auto r = st->step();
  if (!r) return r.error();
  return *r ? st->columnInt(0) : 0;
}

namespace {

// Reads the rows of a stock view page plus its version and the device's applied seq, all in
// one read transaction so they agree.
Result<StockViewPage> readStockPage(common::SqlDb& db, const std::string& location, const std::string& device,
                                    const std::string& rows_sql, const std::function<void(SqlStmt&)>& bind,
                                    size_t max_rows) {
  auto txn = common::SqlReadTxn::begin(db);
  if (!txn) return txn.error();
  StockViewPage page;
  auto v = db.prepare("SELECT COALESCE(MAX(ver), 0) FROM on_hand WHERE loc = (SELECT id FROM locations WHERE name = ?)");
  if (!v) return v.error();
  v->bind(1, location);
  if (auto r = v->step(); !r) return r.error();
  page.version = v->columnInt(0);
  auto d = db.prepare("SELECT last_applied_seq FROM devices WHERE device_id = ?");
  if (!d) return d.error();
  d->bind(1, device);
  auto dr = d->step();
  if (!dr) return dr.error();
  if (*dr) page.device_applied_seq = static_cast<uint64_t>(d->columnInt(0));
  auto st = db.prepare(rows_sql);
  if (!st) return st.error();
  bind(*st);
  st->bind(3, static_cast<int64_t>(max_rows + 1));
  while (true) {
    auto r = st->step();
    if (!r) return r.error();
    if (!*r) break;
    if (page.rows.size() == max_rows) {
      page.more = true;
      break;
    }
    page.rows.push_back({st->columnText(0), st->columnInt(1), st->columnInt(2)});
  }
  return page;
}

}  // namespace

Result<StockViewPage> SqlLedger::stockChanges(const std::string& location, const std::string& device,
                                                 int64_t after_version, const std::string& after_sku,
                                                 size_t max_rows) {
  std::lock_guard<std::mutex> lock(read_mu_);
  return readStockPage(
      *reader_, location, device,
      "SELECT s.sku, o.qty, o.ver FROM on_hand o JOIN skus s ON s.id = o.sku"
      " WHERE o.loc = (SELECT id FROM locations WHERE name = ?1) AND (o.ver > ?2 OR (o.ver = ?2 AND s.sku > ?4))"
      " ORDER BY o.ver, s.sku LIMIT ?3",
      [&](SqlStmt& st) { st.bind(1, location).bind(2, after_version).bind(4, after_sku); }, max_rows);
}

Result<StockViewPage> SqlLedger::stockSnapshot(const std::string& location, const std::string& device,
                                                  const std::string& after_sku, size_t max_rows) {
  std::lock_guard<std::mutex> lock(read_mu_);
  return readStockPage(
      *reader_, location, device,
      "SELECT s.sku, o.qty, o.ver FROM on_hand o JOIN skus s ON s.id = o.sku"
      " WHERE o.loc = (SELECT id FROM locations WHERE name = ?1) AND s.sku > ?2 ORDER BY s.sku LIMIT ?3",
      [&](SqlStmt& st) { st.bind(1, location).bind(2, after_sku); }, max_rows);
}

Result<std::vector<std::string>> SqlLedger::locationNames() {
  std::lock_guard<std::mutex> lock(read_mu_);
  auto st = reader_->prepare("SELECT name FROM locations UNION SELECT location FROM devices WHERE location != ''");
  if (!st) return st.error();
  std::vector<std::string> out;
  if (auto each_ok = st->eachRow([&](const common::SqlStmt&) {
    out.push_back(st->columnText(0));
  }); !each_ok) {
    return each_ok.error();
  }
  return out;
}

}  // namespace sw::coordinator
