#include "sw/coordinator/wholesale/wholesale_store.h"

#include <charconv>

namespace sw::coordinator::wholesale {

using common::Error;
using common::Result;
using common::SqliteStmt;
using nlohmann::json;

namespace {

const std::vector<std::string> kSchema = {
    // v1
    "CREATE TABLE received_files ("
    "  id INTEGER PRIMARY KEY, partner TEXT NOT NULL, name TEXT NOT NULL, size INTEGER NOT NULL,"
    "  archived_as TEXT NOT NULL, received_at_ms INTEGER NOT NULL, state TEXT NOT NULL,"
    "  outcome TEXT NOT NULL DEFAULT '', detail TEXT NOT NULL DEFAULT '', done_at_ms INTEGER NOT NULL DEFAULT 0);"
    "CREATE INDEX received_files_state ON received_files(partner, state);"
    "CREATE TABLE interchanges_seen ("
    "  partner TEXT NOT NULL, sender_qualifier TEXT NOT NULL, sender_id TEXT NOT NULL, control TEXT NOT NULL,"
    "  file_id INTEGER NOT NULL, PRIMARY KEY (partner, sender_qualifier, sender_id, control));"
    "CREATE TABLE control_numbers ("
    "  partner TEXT NOT NULL, kind TEXT NOT NULL, last INTEGER NOT NULL, PRIMARY KEY (partner, kind));"
    "CREATE TABLE sent_files ("
    "  id INTEGER PRIMARY KEY, partner TEXT NOT NULL, kind TEXT NOT NULL, ref TEXT NOT NULL, name TEXT NOT NULL,"
    "  interchange TEXT NOT NULL, group_control TEXT NOT NULL, functional_id TEXT NOT NULL, sets TEXT NOT NULL,"
    "  sent_at_ms INTEGER NOT NULL, ack_status TEXT NOT NULL DEFAULT '', ack_detail TEXT NOT NULL DEFAULT '',"
    "  ack_at_ms INTEGER NOT NULL DEFAULT 0, UNIQUE (partner, kind, ref));"
    "CREATE INDEX sent_files_group ON sent_files(partner, functional_id, group_control);"
    "CREATE TABLE purchase_orders ("
    "  partner TEXT NOT NULL, po_number TEXT NOT NULL, order_id TEXT NOT NULL, po_date TEXT NOT NULL,"
    "  document TEXT NOT NULL, file_id INTEGER NOT NULL, created_at_ms INTEGER NOT NULL,"
    "  PRIMARY KEY (partner, po_number));",
    // v2: the partner's TA1 for each interchange we sent (issue 22)
    "ALTER TABLE sent_files ADD COLUMN ta1_status TEXT NOT NULL DEFAULT '';"
    "ALTER TABLE sent_files ADD COLUMN ta1_note INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE sent_files ADD COLUMN ta1_detail TEXT NOT NULL DEFAULT '';"
    "ALTER TABLE sent_files ADD COLUMN ta1_at_ms INTEGER NOT NULL DEFAULT 0;"
    "CREATE INDEX sent_files_interchange ON sent_files(partner, interchange);",
    // v3: backordered units shipped when stock arrives (issue 22): which POs still owe some, and
    // each release of them taken in as an order of its own
    "ALTER TABLE purchase_orders ADD COLUMN backorders_open INTEGER NOT NULL DEFAULT 0;"
    "CREATE TABLE backorder_releases ("
    "  order_id TEXT PRIMARY KEY, partner TEXT NOT NULL, po_number TEXT NOT NULL, release INTEGER NOT NULL,"
    "  lines TEXT NOT NULL, created_at_ms INTEGER NOT NULL, UNIQUE (partner, po_number, release));",
};

const char* kindName(edi::ControlKind kind) {
  switch (kind) {
    case edi::ControlKind::kInterchange:
      return "interchange";
    case edi::ControlKind::kGroup:
      return "group";
    case edi::ControlKind::kSet:
      return "set";
  }
  return "set";
}

constexpr const char* kFileColumns =
    "SELECT id, partner, name, size, archived_as, received_at_ms, state, outcome, detail, done_at_ms FROM received_files";

ReceivedFile readFile(const SqliteStmt& st) {
  ReceivedFile f;
  f.id = st.columnInt(0);
  f.partner = st.columnText(1);
  f.name = st.columnText(2);
  f.size = st.columnInt(3);
  f.archived_as = st.columnText(4);
  f.received_at_ms = st.columnInt(5);
  f.state = st.columnText(6);
  f.outcome = st.columnText(7);
  f.detail = st.columnText(8);
  f.done_at_ms = st.columnInt(9);
  return f;
}

constexpr const char* kSentColumns =
    "SELECT id, partner, kind, ref, name, interchange, group_control, functional_id, sets, sent_at_ms, ack_status,"
    " ack_detail, ack_at_ms, ta1_status, ta1_note, ta1_detail, ta1_at_ms FROM sent_files";

SentFile readSent(const SqliteStmt& st) {
  SentFile f;
  f.id = st.columnInt(0);
  f.partner = st.columnText(1);
  f.kind = st.columnText(2);
  f.ref = st.columnText(3);
  f.name = st.columnText(4);
  f.interchange = st.columnText(5);
  f.group_control = st.columnText(6);
  f.functional_id = st.columnText(7);
  json sets = json::parse(st.columnText(8), nullptr, false);
  if (sets.is_array()) {
    for (const json& s : sets) {
      if (s.is_string()) f.sets.push_back(s.get<std::string>());
    }
  }
  f.sent_at_ms = st.columnInt(9);
  f.ack_status = st.columnText(10);
  f.ack_detail = st.columnText(11);
  f.ack_at_ms = st.columnInt(12);
  f.ta1_status = st.columnText(13);
  f.ta1_note = static_cast<int>(st.columnInt(14));
  f.ta1_detail = st.columnText(15);
  f.ta1_at_ms = st.columnInt(16);
  return f;
}

// A control number as text without leading zeros ("000001421" -> "1421"), "" when it is not digits.
std::string plainNumber(const std::string& text) {
  uint64_t v = 0;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || p != text.data() + text.size()) return "";
  return std::to_string(v);
}

}  // namespace

json toJson(const ReceivedFile& f) {
  return {{"id", f.id},           {"partner", f.partner},       {"name", f.name},
          {"size", f.size},       {"archived_as", f.archived_as}, {"received_at_ms", f.received_at_ms},
          {"state", f.state},     {"outcome", f.outcome},       {"detail", f.detail},
          {"done_at_ms", f.done_at_ms}};
}

json toJson(const SentFile& f) {
  return {{"id", f.id},
          {"partner", f.partner},
          {"kind", f.kind},
          {"ref", f.ref},
          {"name", f.name},
          {"interchange", f.interchange},
          {"group_control", f.group_control},
          {"functional_id", f.functional_id},
          {"sets", f.sets},
          {"sent_at_ms", f.sent_at_ms},
          {"ack_status", f.ack_status.empty() ? json(nullptr) : json(f.ack_status)},
          {"ack_detail", f.ack_detail},
          {"ack_at_ms", f.ack_at_ms == 0 ? json(nullptr) : json(f.ack_at_ms)},
          {"ta1", f.ta1_status.empty() ? json(nullptr)
                                       : json{{"status", f.ta1_status}, {"note", f.ta1_note}, {"detail", f.ta1_detail},
                                              {"at_ms", f.ta1_at_ms}}}};
}

common::SchemaVersion WholesaleStore::schemaVersion() { return {"wholesale", static_cast<int64_t>(kSchema.size())}; }

const std::vector<std::string>& WholesaleStore::schemaSteps() { return kSchema; }

Result<std::unique_ptr<WholesaleStore>> WholesaleStore::open(const std::string& path) {
  std::unique_ptr<WholesaleStore> s(new WholesaleStore());
  auto db = common::SqliteDb::open({.path = path});
  if (!db) return db.error();
  s->db_ = std::move(*db);
  // A new component: no release before schema_versions kept it anywhere.
  if (auto m = s->db_.migrate({"wholesale", kSchema, ""}); !m) return m.error();
  return s;
}

Result<int64_t> WholesaleStore::beginFile(const std::string& partner, const std::string& name, int64_t size,
                                          const std::string& archived_as, int64_t now_ms) {
  std::lock_guard lock(mu_);
  auto st = db_.cached(
      "INSERT INTO received_files (partner, name, size, archived_as, received_at_ms, state)"
      " VALUES (?, ?, ?, ?, ?, 'received')");
  if (!st) return st.error();
  st->bind(1, partner).bind(2, name).bind(3, size).bind(4, archived_as).bind(5, now_ms);
  if (auto r = st->run(); !r) return r.error();
  return db_.lastInsertRowid();
}

Result<std::vector<ReceivedFile>> WholesaleStore::unfinishedFiles(const std::string& partner) {
  std::lock_guard lock(mu_);
  auto st = db_.prepare(std::string(kFileColumns) + " WHERE partner = ? AND state = 'received' ORDER BY id");
  if (!st) return st.error();
  st->bind(1, partner);
  std::vector<ReceivedFile> out;
  if (auto s = st->eachRow([&](const SqliteStmt& r) { out.push_back(readFile(r)); }); !s) return s.error();
  return out;
}

common::Status WholesaleStore::finishFile(int64_t id, const std::string& outcome, const std::string& detail,
                                          const std::vector<edi::InterchangeKey>& taken, int64_t now_ms) {
  std::lock_guard lock(mu_);
  auto txn = common::SqliteTxn::begin(db_);
  if (!txn) return txn.error();
  auto up = db_.cached(
      "UPDATE received_files SET state = 'done', outcome = ?, detail = ?, done_at_ms = ? WHERE id = ?"
      " AND state = 'received'");
  if (!up) return up.error();
  up->bind(1, outcome).bind(2, detail.substr(0, 2000)).bind(3, now_ms).bind(4, id);
  if (auto r = up->run(); !r) return r.error();
  auto partner = db_.prepare("SELECT partner FROM received_files WHERE id = ?");
  if (!partner) return partner.error();
  partner->bind(1, id);
  std::string who;
  if (auto r = partner->firstRow([&](const SqliteStmt& row) { who = row.columnText(0); }); !r) return r.error();
  for (const edi::InterchangeKey& k : taken) {
    auto ins = db_.cached(
        "INSERT OR IGNORE INTO interchanges_seen (partner, sender_qualifier, sender_id, control, file_id)"
        " VALUES (?, ?, ?, ?, ?)");
    if (!ins) return ins.error();
    ins->bind(1, who).bind(2, k.sender_qualifier).bind(3, k.sender_id).bind(4, k.control).bind(5, id);
    if (auto r = ins->run(); !r) return r.error();
  }
  return txn->commit();
}

Result<std::vector<ReceivedFile>> WholesaleStore::files(const std::string& partner, int64_t limit) {
  std::lock_guard lock(mu_);
  auto st = db_.prepare(std::string(kFileColumns) + " WHERE (? = '' OR partner = ?) ORDER BY id DESC LIMIT ?");
  if (!st) return st.error();
  st->bind(1, partner).bind(2, partner).bind(3, limit);
  std::vector<ReceivedFile> out;
  if (auto s = st->eachRow([&](const SqliteStmt& r) { out.push_back(readFile(r)); }); !s) return s.error();
  return out;
}

Result<bool> WholesaleStore::seen(const std::string& partner, const edi::InterchangeKey& key) {
  std::lock_guard lock(mu_);
  auto st = db_.cached(
      "SELECT 1 FROM interchanges_seen WHERE partner = ? AND sender_qualifier = ? AND sender_id = ? AND control = ?");
  if (!st) return st.error();
  st->bind(1, partner).bind(2, key.sender_qualifier).bind(3, key.sender_id).bind(4, key.control);
  return st->firstRow([](const SqliteStmt&) {});
}

Result<uint64_t> WholesaleStore::nextControl(const std::string& partner, edi::ControlKind kind) {
  std::lock_guard lock(mu_);
  auto txn = common::SqliteTxn::begin(db_);
  if (!txn) return txn.error();
  auto get = db_.cached("SELECT last FROM control_numbers WHERE partner = ? AND kind = ?");
  if (!get) return get.error();
  get->bind(1, partner).bind(2, kindName(kind));
  int64_t last = 0;
  if (auto r = get->firstRow([&](const SqliteStmt& row) { last = row.columnInt(0); }); !r) return r.error();
  // After 999999999 the numbers start again at 1 (X12 allows it; by then the first are long acknowledged).
  int64_t next = last >= 999'999'999 ? 1 : last + 1;
  auto put = db_.cached("INSERT OR REPLACE INTO control_numbers (partner, kind, last) VALUES (?, ?, ?)");
  if (!put) return put.error();
  put->bind(1, partner).bind(2, kindName(kind)).bind(3, next);
  if (auto r = put->run(); !r) return r.error();
  if (auto c = txn->commit(); !c) return c.error();
  return static_cast<uint64_t>(next);
}

Result<std::optional<SentFile>> WholesaleStore::sent(const std::string& partner, const std::string& kind,
                                                     const std::string& ref) {
  std::lock_guard lock(mu_);
  auto st = db_.prepare(std::string(kSentColumns) + " WHERE partner = ? AND kind = ? AND ref = ?");
  if (!st) return st.error();
  st->bind(1, partner).bind(2, kind).bind(3, ref);
  std::optional<SentFile> out;
  if (auto r = st->firstRow([&](const SqliteStmt& row) { out = readSent(row); }); !r) return r.error();
  return out;
}

Result<std::optional<SentFile>> WholesaleStore::sentByName(const std::string& partner, const std::string& name) {
  std::lock_guard lock(mu_);
  auto st = db_.prepare(std::string(kSentColumns) + " WHERE partner = ? AND name = ?");
  if (!st) return st.error();
  st->bind(1, partner).bind(2, name);
  std::optional<SentFile> out;
  if (auto r = st->firstRow([&](const SqliteStmt& row) { out = readSent(row); }); !r) return r.error();
  return out;
}

common::Status WholesaleStore::recordSent(const SentFile& f) {
  std::lock_guard lock(mu_);
  auto st = db_.cached(
      "INSERT INTO sent_files (partner, kind, ref, name, interchange, group_control, functional_id, sets, sent_at_ms)"
      " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)");
  if (!st) return st.error();
  st->bind(1, f.partner).bind(2, f.kind).bind(3, f.ref).bind(4, f.name).bind(5, f.interchange)
      .bind(6, f.group_control).bind(7, f.functional_id).bind(8, json(f.sets).dump()).bind(9, f.sent_at_ms);
  return st->run();
}

Result<std::vector<SentFile>> WholesaleStore::unacknowledged(const std::string& partner) {
  std::lock_guard lock(mu_);
  auto st = db_.prepare(std::string(kSentColumns) +
                        " WHERE partner = ? AND functional_id NOT IN ('', 'FA') AND ack_status = '' ORDER BY id");
  if (!st) return st.error();
  st->bind(1, partner);
  std::vector<SentFile> out;
  if (auto s = st->eachRow([&](const SqliteStmt& r) { out.push_back(readSent(r)); }); !s) return s.error();
  return out;
}

Result<int> WholesaleStore::acknowledge(const std::string& partner, const std::string& functional_id,
                                        const std::string& group_control, const std::string& status,
                                        const std::string& detail, int64_t now_ms) {
  std::string control = plainNumber(group_control);
  if (control.empty()) return 0;
  std::lock_guard lock(mu_);
  auto st = db_.cached(
      "UPDATE sent_files SET ack_status = ?, ack_detail = ?, ack_at_ms = ?"
      " WHERE partner = ? AND functional_id = ? AND group_control = ?");
  if (!st) return st.error();
  st->bind(1, status).bind(2, detail.substr(0, 2000)).bind(3, now_ms).bind(4, partner).bind(5, functional_id)
      .bind(6, control);
  if (auto r = st->run(); !r) return r.error();
  return db_.changes();
}

Result<int> WholesaleStore::acknowledgeInterchange(const std::string& partner, const std::string& interchange,
                                                   const std::string& status, int note, const std::string& detail,
                                                   int64_t now_ms) {
  std::lock_guard lock(mu_);
  auto st = db_.cached(
      "UPDATE sent_files SET ta1_status = ?, ta1_note = ?, ta1_detail = ?, ta1_at_ms = ? WHERE partner = ? AND interchange = ?");
  if (!st) return st.error();
  st->bind(1, status).bind(2, int64_t{note}).bind(3, detail.substr(0, 2000)).bind(4, now_ms).bind(5, partner).bind(6, interchange);
  if (auto r = st->run(); !r) return r.error();
  return db_.changes();
}

Result<std::vector<SentFile>> WholesaleStore::refusedInterchanges(const std::string& partner) {
  std::lock_guard lock(mu_);
  auto st = db_.prepare(std::string(kSentColumns) + " WHERE partner = ? AND ta1_status = 'rejected' ORDER BY id");
  if (!st) return st.error();
  st->bind(1, partner);
  std::vector<SentFile> out;
  if (auto s = st->eachRow([&](const SqliteStmt& r) { out.push_back(readSent(r)); }); !s) return s.error();
  return out;
}

Result<std::vector<SentFile>> WholesaleStore::sentFiles(const std::string& partner, int64_t limit) {
  std::lock_guard lock(mu_);
  auto st = db_.prepare(std::string(kSentColumns) + " WHERE partner = ? ORDER BY id DESC LIMIT ?");
  if (!st) return st.error();
  st->bind(1, partner).bind(2, limit);
  std::vector<SentFile> out;
  if (auto s = st->eachRow([&](const SqliteStmt& r) { out.push_back(readSent(r)); }); !s) return s.error();
  return out;
}

Result<int64_t> WholesaleStore::lastSentAt(const std::string& partner, const std::string& kind) {
  std::lock_guard lock(mu_);
  auto st = db_.cached("SELECT coalesce(max(sent_at_ms), 0) FROM sent_files WHERE partner = ? AND kind = ?");
  if (!st) return st.error();
  st->bind(1, partner).bind(2, kind);
  int64_t at = 0;
  if (auto r = st->firstRow([&](const SqliteStmt& row) { at = row.columnInt(0); }); !r) return r.error();
  return at;
}

common::Status WholesaleStore::recordPurchaseOrder(const PurchaseOrderRow& po, bool backorders_open) {
  std::lock_guard lock(mu_);
  auto st = db_.cached(
      "INSERT OR IGNORE INTO purchase_orders (partner, po_number, order_id, po_date, document, file_id, created_at_ms,"
      " backorders_open) VALUES (?, ?, ?, ?, ?, ?, ?, ?)");
  if (!st) return st.error();
  st->bind(1, po.partner).bind(2, po.po_number).bind(3, po.order_id).bind(4, po.po_date).bind(5, po.document.dump())
      .bind(6, po.file_id).bind(7, po.created_at_ms).bind(8, int64_t{backorders_open ? 1 : 0});
  return st->run();
}

namespace {

constexpr const char* kPoColumns =
    "SELECT partner, po_number, order_id, po_date, document, file_id, created_at_ms FROM purchase_orders";

PurchaseOrderRow readPo(const SqliteStmt& row) {
  PurchaseOrderRow p;
  p.partner = row.columnText(0);
  p.po_number = row.columnText(1);
  p.order_id = row.columnText(2);
  p.po_date = row.columnText(3);
  p.document = json::parse(row.columnText(4), nullptr, false);
  p.file_id = row.columnInt(5);
  p.created_at_ms = row.columnInt(6);
  return p;
}

constexpr const char* kReleaseColumns =
    "SELECT order_id, partner, po_number, release, lines, created_at_ms FROM backorder_releases";

BackorderRelease readRelease(const SqliteStmt& row) {
  BackorderRelease r;
  r.order_id = row.columnText(0);
  r.partner = row.columnText(1);
  r.po_number = row.columnText(2);
  r.release = row.columnInt(3);
  r.lines = json::parse(row.columnText(4), nullptr, false);
  if (!r.lines.is_object()) r.lines = json::object();
  r.created_at_ms = row.columnInt(5);
  return r;
}

}  // namespace

Result<std::vector<PurchaseOrderRow>> WholesaleStore::backorderedPurchaseOrders(const std::string& partner) {
  std::lock_guard lock(mu_);
  auto st = db_.prepare(std::string(kPoColumns) +
                        " WHERE partner = ? AND backorders_open = 1 ORDER BY created_at_ms, po_number");
  if (!st) return st.error();
  st->bind(1, partner);
  std::vector<PurchaseOrderRow> out;
  if (auto s = st->eachRow([&](const SqliteStmt& row) { out.push_back(readPo(row)); }); !s) return s.error();
  return out;
}

common::Status WholesaleStore::closeBackorders(const std::string& partner, const std::string& po_number) {
  std::lock_guard lock(mu_);
  auto st = db_.cached("UPDATE purchase_orders SET backorders_open = 0 WHERE partner = ? AND po_number = ?");
  if (!st) return st.error();
  st->bind(1, partner).bind(2, po_number);
  return st->run();
}

Result<std::vector<BackorderRelease>> WholesaleStore::releases(const std::string& partner, const std::string& po_number) {
  std::lock_guard lock(mu_);
  auto st = db_.prepare(std::string(kReleaseColumns) + " WHERE partner = ? AND po_number = ? ORDER BY release");
  if (!st) return st.error();
  st->bind(1, partner).bind(2, po_number);
  std::vector<BackorderRelease> out;
  if (auto s = st->eachRow([&](const SqliteStmt& row) { out.push_back(readRelease(row)); }); !s) return s.error();
  return out;
}

Result<std::optional<BackorderRelease>> WholesaleStore::releaseOf(const std::string& order_id) {
  std::lock_guard lock(mu_);
  auto st = db_.prepare(std::string(kReleaseColumns) + " WHERE order_id = ?");
  if (!st) return st.error();
  st->bind(1, order_id);
  std::optional<BackorderRelease> out;
  if (auto r = st->firstRow([&](const SqliteStmt& row) { out = readRelease(row); }); !r) return r.error();
  return out;
}

common::Status WholesaleStore::recordRelease(const BackorderRelease& r) {
  std::lock_guard lock(mu_);
  auto st = db_.cached(
      "INSERT INTO backorder_releases (order_id, partner, po_number, release, lines, created_at_ms)"
      " VALUES (?, ?, ?, ?, ?, ?)");
  if (!st) return st.error();
  st->bind(1, r.order_id).bind(2, r.partner).bind(3, r.po_number).bind(4, r.release).bind(5, r.lines.dump())
      .bind(6, r.created_at_ms);
  return st->run();
}

Result<std::set<std::string>> WholesaleStore::archivedNames(const std::string& partner) {
  std::lock_guard lock(mu_);
  auto st = db_.prepare("SELECT archived_as FROM received_files WHERE partner = ?");
  if (!st) return st.error();
  st->bind(1, partner);
  std::set<std::string> out;
  if (auto s = st->eachRow([&](const SqliteStmt& row) {
        const std::string path = row.columnText(0);
        const size_t slash = path.find_last_of('/');
        out.insert(slash == std::string::npos ? path : path.substr(slash + 1));
      });
      !s) {
    return s.error();
  }
  return out;
}

Result<std::optional<PurchaseOrderRow>> WholesaleStore::purchaseOrder(const std::string& partner,
                                                                      const std::string& po_number) {
  std::lock_guard lock(mu_);
  auto st = db_.prepare(std::string(kPoColumns) + " WHERE partner = ? AND po_number = ?");
  if (!st) return st.error();
  st->bind(1, partner).bind(2, po_number);
  std::optional<PurchaseOrderRow> out;
  auto r = st->firstRow([&](const SqliteStmt& row) { out = readPo(row); });
  if (!r) return r.error();
  return out;
}

Result<uint64_t> DurableControlNumbers::next(edi::ControlKind kind) {
  auto n = store_.nextControl(partner_, kind);
  if (!n) return n.error();
  switch (kind) {
    case edi::ControlKind::kInterchange:
      interchange = *n;
      break;
    case edi::ControlKind::kGroup:
      group = *n;
      break;
    case edi::ControlKind::kSet:
      sets.push_back(*n);
      break;
  }
  return *n;
}

}  // namespace sw::coordinator::wholesale
