// Reads that explain the ledger's figures: the counts and movements behind one (location, SKU),
// count discrepancies, transfers, the movement log per key, sync latency, and the check that
// recomputes every figure from the log. All run on the reader connection.
//
// One rule decides everything here and in ledger.cpp: a figure starts from the newest count of
// its (location, SKU) (by corrected time, then event id), whether that count listed the SKU or
// was a whole-location session that did not (counted 0); every movement the count did not see
// (SqlLedger::absorbs) is added on top.

#include <algorithm>
#include <map>

#include "sw/common/uuid.h"
#include "sw/coordinator/ledger/sql_ledger.h"

namespace sw::coordinator {

using common::Error;
using common::Result;
using common::SqlStmt;

std::string TransferRow::status() const {
  if (!sent) return "receipt_without_shipment";
  if (!received) return "in_transit";
  if (*received < *sent) return "short";
  if (*received > *sent) return "over";
  return "received";
}

namespace {

struct KeyMark {
  SqlLedger::CountMark mark;
  int64_t counted = 0;
  bool session = false;  // implied by a whole-location session that did not list the SKU
};

struct KeyMove {
  int64_t ord = 0;
  int64_t dev = 0;
  std::string device_id;
  int64_t seq = 0;
  int line = 0;
  std::string event_id;
  std::string type;
  int64_t qty = 0;
  int64_t delta = 0;
  std::optional<int64_t> price_units;
  std::optional<int64_t> correction;
  int64_t at = 0;
  int64_t device_at = 0;
  int64_t applied_at = 0;
};

// Statements prepared once per report and bound again for each key: a report such as verify
// visits every (location, SKU), and preparing per key cost more than running the queries.
class Statements {
 public:
  explicit Statements(common::SqlDb& db) : db_(db) {}
  Result<SqlStmt*> get(const std::string& sql) {
    auto it = stmts_.find(sql);
    if (it == stmts_.end()) {
      auto st = db_.prepare(sql);
      if (!st) return st.error();
      it = stmts_.emplace(sql, std::move(*st)).first;
    }
    it->second.reset();
    return &it->second;
  }
  // Finalizes them all: call before ending the read transaction, so none is left in progress.
  void clear() { stmts_.clear(); }

 private:
  common::SqlDb& db_;
  std::map<std::string, SqlStmt> stmts_;
};

// Every count that bears on (loc, sku), oldest first.
Result<std::vector<KeyMark>> loadMarks(Statements& db, int64_t loc, int64_t sku) {
  std::vector<KeyMark> marks;
  auto st = db.get(
      "SELECT m.at_ms, m.dev, m.seq, e.event_id, m.qty FROM movements m JOIN events e ON e.dev = m.dev AND"
      " e.seq = m.seq WHERE m.loc = ? AND m.sku = ? AND m.kind = 'count'");
  if (!st) return st.error();
  (*st)->bind(1, loc).bind(2, sku);
  if (auto s = (*st)->eachRow([&](SqlStmt& r) {
        marks.push_back({{r.columnInt(0), r.columnInt(1), r.columnInt(2), std::string(r.columnView(3))},
                         r.columnInt(4), false});
      });
      !s) {
    return s.error();
  }
  auto ls = db.get("SELECT at_ms, dev, seq, event_id FROM location_counts WHERE loc = ?");
  if (!ls) return ls.error();
  (*ls)->bind(1, loc);
  if (auto s = (*ls)->eachRow([&](SqlStmt& r) {
        std::string id(r.columnView(3));
        bool listed = std::any_of(marks.begin(), marks.end(), [&](const KeyMark& m) { return m.mark.id == id; });
        if (!listed) marks.push_back({{r.columnInt(0), r.columnInt(1), r.columnInt(2), id}, 0, true});
      });
      !s) {
    return s.error();
  }
  std::sort(marks.begin(), marks.end(), [](const KeyMark& a, const KeyMark& b) { return b.mark.newerThan(a.mark); });
  return marks;
}

// Every movement of (loc, sku) that changes stock, in apply order.
Result<std::vector<KeyMove>> loadMoves(Statements& db, int64_t loc, int64_t sku, int64_t after_ord,
                                       int64_t limit, bool with_zero) {
  std::vector<KeyMove> moves;
  auto st = db.get(std::string(
      "SELECT m.ord, m.dev, d.device_id, m.seq, m.line, e.event_id, m.kind, m.qty, m.delta, m.price_units, m.at_ms,"
      " e.device_at_ms, e.applied_at_ms, m.correction FROM movements m JOIN events e ON e.dev = m.dev AND e.seq = m.seq"
      " JOIN devices d ON d.id = m.dev WHERE m.loc = ?1 AND m.sku = ?2 AND m.ord > ?3") +
      (with_zero ? "" : " AND m.delta <> 0") + " ORDER BY m.ord LIMIT ?4");
  if (!st) return st.error();
  (*st)->bind(1, loc).bind(2, sku).bind(3, after_ord).bind(4, limit);
  if (auto s = (*st)->eachRow([&](SqlStmt& r) {
        KeyMove m;
        m.ord = r.columnInt(0);
        m.dev = r.columnInt(1);
        m.device_id = r.columnText(2);
        m.seq = r.columnInt(3);
        m.line = static_cast<int>(r.columnInt(4));
        m.event_id = common::uuidFromBytes(r.columnView(5));
        m.type = r.columnText(6);
        m.qty = r.columnInt(7);
        m.delta = r.columnInt(8);
        if (!r.columnIsNull(9)) m.price_units = r.columnInt(9);
        m.at = r.columnInt(10);
        m.device_at = r.columnInt(11);
        m.applied_at = r.columnInt(12);
        if (!r.columnIsNull(13)) m.correction = r.columnInt(13);
        moves.push_back(std::move(m));
      });
      !s) {
    return s.error();
  }
  return moves;
}

MovementRow toRow(const KeyMove& m) {
  MovementRow r;
  r.apply_order = m.ord;
  r.device_id = m.device_id;
  r.seq = static_cast<uint64_t>(m.seq);
  r.line = m.line;
  r.event_id = m.event_id;
  r.type = m.type;
  r.qty = m.qty;
  r.delta = m.delta;
  r.price_units = m.price_units;
  r.correction = m.correction;
  r.at_ms = m.at;
  r.device_at_ms = m.device_at;
  r.applied_at_ms = m.applied_at;
  return r;
}

Result<std::optional<int64_t>> idOf(common::SqlDb& db, const char* table, const char* column,
                                    const std::string& name) {
  auto st = db.prepare(std::string("SELECT id FROM ") + table + " WHERE " + column + " = ?");
  if (!st) return st.error();
  st->bind(1, name);
  auto r = st->step();
  if (!r) return r.error();
  if (!*r) return std::optional<int64_t>();
  return std::optional<int64_t>(st->columnInt(0));
}

}  // namespace

Result<std::vector<std::string>> SqlLedger::verifyOnHand() {
  std::lock_guard<std::mutex> lock(read_mu_);
  auto txn = common::SqlReadTxn::begin(*reader_);
  if (!txn) return txn.error();
  struct Key3 {
    int64_t loc, sku;
    std::string name;
    std::optional<int64_t> on_hand;
  };
  std::vector<Key3> keys;
  auto st = reader_->prepare(
      "WITH k AS (SELECT DISTINCT loc, sku FROM movements UNION SELECT loc, sku FROM on_hand)"
      " SELECT k.loc, k.sku, l.name || '/' || s.sku, o.qty FROM k JOIN locations l ON l.id = k.loc"
      " JOIN skus s ON s.id = k.sku LEFT JOIN on_hand o ON o.loc = k.loc AND o.sku = k.sku");
  if (!st) return st.error();
  auto s = st->eachRow([&](SqlStmt& r) {
    keys.push_back({r.columnInt(0), r.columnInt(1), r.columnText(2),
                    r.columnIsNull(3) ? std::nullopt : std::optional<int64_t>(r.columnInt(3))});
  });
  std::vector<std::string> out;
  Statements stmts(*reader_);
  for (const Key3& k : keys) {
    if (!s) break;
    auto marks = loadMarks(stmts, k.loc, k.sku);
    auto moves = loadMoves(stmts, k.loc, k.sku, 0, INT64_MAX, false);
    if (!marks || !moves) {
      s = marks ? moves.error() : marks.error();
      break;
    }
    int64_t expected = marks->empty() ? 0 : marks->back().counted;
    for (const KeyMove& m : *moves) {
      if (marks->empty() || !absorbs(marks->back().mark, m.dev, m.seq, m.at)) expected += m.delta;
    }
    if (!k.on_hand || *k.on_hand != expected) {
      out.push_back(k.name + ": expected " + std::to_string(expected) + ", on_hand " +
                    (k.on_hand ? std::to_string(*k.on_hand) : std::string("missing")));
    }
  }
  stmts.clear();
  if (!s) return s.error();
  return out;
}

Result<std::vector<CountDiscrepancy>> SqlLedger::countDiscrepancies(const std::string& location,
                                                                       const std::string& sku, size_t max_moves) {
  std::lock_guard<std::mutex> lock(read_mu_);
  auto txn = common::SqlReadTxn::begin(*reader_);
  if (!txn) return txn.error();
  struct Row {
    int64_t loc, sku;
    std::string location, sku_name;
  };
  std::vector<Row> rows;
  auto st = reader_->prepare(
      "SELECT o.loc, o.sku, l.name, s.sku FROM on_hand o JOIN locations l ON l.id = o.loc"
      " JOIN skus s ON s.id = o.sku WHERE o.count_at_ms IS NOT NULL AND (?1 = '' OR l.name = ?1)"
      " AND (?2 = '' OR s.sku = ?2) ORDER BY l.name, s.sku");
  common::Status s;
  std::vector<CountDiscrepancy> out;
  if (!st) {
    s = st.error();
  } else {
    st->bind(1, location).bind(2, sku);
    s = st->eachRow([&](SqlStmt& r) { rows.push_back({r.columnInt(0), r.columnInt(1), r.columnText(2), r.columnText(3)}); });
  }
  Statements stmts(*reader_);
  for (const Row& row : rows) {
    if (!s) break;
    auto marks = loadMarks(stmts, row.loc, row.sku);
    auto moves = loadMoves(stmts, row.loc, row.sku, 0, INT64_MAX, false);
    if (!marks || !moves) {
      s = marks ? moves.error() : marks.error();
      break;
    }
    if (marks->empty()) continue;
    const CountMark& c = marks->back().mark;
    const KeyMark* p = marks->size() > 1 ? &(*marks)[marks->size() - 2] : nullptr;
    CountDiscrepancy d;
    d.location = row.location;
    d.sku = row.sku_name;
    d.counted = marks->back().counted;
    d.count_at_ms = c.at;
    d.location_session = marks->back().session;
    d.count_seq = static_cast<uint64_t>(c.seq);
    auto who = stmts.get("SELECT d.device_id, e.applied_at_ms FROM events e JOIN devices d ON d.id = e.dev"
                         " WHERE e.dev = ? AND e.seq = ?");
    if (!who) {
      s = who.error();
      break;
    }
    (*who)->bind(1, c.dev).bind(2, c.seq);
    int64_t count_applied_at = 0;
    if (auto r = (*who)->step(); r && *r) {
      d.count_device = (*who)->columnText(0);
      count_applied_at = (*who)->columnInt(1);
    }
    d.expected = p ? p->counted : 0;
    if (p) {
      d.previous_count_at_ms = p->mark.at;
      d.previous_counted = p->counted;
    }
    for (const KeyMove& m : *moves) {
      if (!absorbs(c, m.dev, m.seq, m.at) || (p && absorbs(p->mark, m.dev, m.seq, m.at))) continue;
      d.expected += m.delta;
      ++d.moves_total;
      if (d.moves.size() >= max_moves) continue;
      MovementRow mr = toRow(m);
      mr.late = m.applied_at > count_applied_at;
      mr.ambiguous = m.dev != c.dev && m.at > c.at - options_.count_tie_ms;
      d.moves.push_back(std::move(mr));
    }
    out.push_back(std::move(d));
  }
  stmts.clear();
  if (!s) return s.error();
  return out;
}

Result<std::vector<MovementRow>> SqlLedger::movementsFor(const std::string& location, const std::string& sku,
                                                            int64_t after, int64_t limit) {
  std::lock_guard<std::mutex> lock(read_mu_);
  auto txn = common::SqlReadTxn::begin(*reader_);
  if (!txn) return txn.error();
  auto run = [&]() -> Result<std::vector<MovementRow>> {
    auto loc = idOf(*reader_, "locations", "name", location);
    if (!loc) return loc.error();
    auto sk = idOf(*reader_, "skus", "sku", sku);
    if (!sk) return sk.error();
    std::vector<MovementRow> out;
    if (!*loc || !*sk) return out;
    Statements stmts(*reader_);
    auto marks = loadMarks(stmts, **loc, **sk);
    if (!marks) return marks.error();
    auto moves = loadMoves(stmts, **loc, **sk, after, limit, true);
    if (!moves) return moves.error();
    for (const KeyMove& m : *moves) {
      MovementRow r = toRow(m);
      r.in_on_hand = r.delta != 0 && (marks->empty() || !absorbs(marks->back().mark, m.dev, m.seq, m.at));
      out.push_back(std::move(r));
    }
    return out;
  };
  auto out = run();
  return out;
}

Result<std::vector<TransferRow>> SqlLedger::transfers(const std::string& location, const std::string& sku,
                                                         bool open_only, int64_t limit) {
  std::lock_guard<std::mutex> lock(read_mu_);
  auto st = reader_->prepare(
      "SELECT t.id, f.name, o.name, s.sku, t.sent, t.sent_at_ms, COALESCE(od.device_id, ''), t.out_seq, t.received,"
      " t.received_at_ms, COALESCE(id.device_id, ''), t.in_seq FROM transfers t"
      " JOIN locations f ON f.id = t.from_loc JOIN locations o ON o.id = t.to_loc JOIN skus s ON s.id = t.sku"
      " LEFT JOIN devices od ON od.id = t.out_dev LEFT JOIN devices id ON id.id = t.in_dev"
      " WHERE (?1 = '' OR f.name = ?1 OR o.name = ?1) AND (?2 = '' OR s.sku = ?2)"
      " AND (?3 = 0 OR t.in_id IS NULL) ORDER BY t.id LIMIT ?4");
  if (!st) return st.error();
  st->bind(1, location).bind(2, sku).bind(3, open_only ? 1 : 0).bind(4, limit);
  std::vector<TransferRow> out;
  auto s = st->eachRow([&](SqlStmt& r) {
    TransferRow t;
    t.id = r.columnInt(0);
    t.from_location = r.columnText(1);
    t.to_location = r.columnText(2);
    t.sku = r.columnText(3);
    if (!r.columnIsNull(4)) t.sent = r.columnInt(4);
    if (!r.columnIsNull(5)) t.sent_at_ms = r.columnInt(5);
    t.out_device = r.columnText(6);
    if (!r.columnIsNull(7)) t.out_seq = static_cast<uint64_t>(r.columnInt(7));
    if (!r.columnIsNull(8)) t.received = r.columnInt(8);
    if (!r.columnIsNull(9)) t.received_at_ms = r.columnInt(9);
    t.in_device = r.columnText(10);
    if (!r.columnIsNull(11)) t.in_seq = static_cast<uint64_t>(r.columnInt(11));
    out.push_back(std::move(t));
  });
  if (!s) return s.error();
  return out;
}

Result<std::vector<int64_t>> SqlLedger::syncLatencies(int64_t since_ms, int64_t max_events) {
  std::lock_guard<std::mutex> lock(read_mu_);
  auto st = reader_->prepare(
      "SELECT applied_at_ms - at_ms FROM events WHERE applied_at_ms >= ? ORDER BY ord DESC LIMIT ?");
  if (!st) return st.error();
  st->bind(1, since_ms).bind(2, max_events);
  std::vector<int64_t> out;
  auto s = st->eachRow([&](SqlStmt& r) { out.push_back(r.columnInt(0)); });
  if (!s) return s.error();
  std::sort(out.begin(), out.end());
  return out;
}

Result<std::vector<SalesFigure>> SqlLedger::salesApplied(int64_t after_ms, int64_t until_ms) {
  std::lock_guard<std::mutex> lock(read_mu_);
  auto st = reader_->prepare(
      "SELECT l.name, d.internal, e.type, SUM(m.qty), SUM(COALESCE(m.price_units, 0) * m.qty)"
      " FROM events e JOIN movements m ON m.dev = e.dev AND m.seq = e.seq"
      " JOIN devices d ON d.id = e.dev JOIN locations l ON l.id = m.loc"
      " WHERE e.applied_at_ms > ? AND e.applied_at_ms <= ? AND e.type IN ('sale', 'return') AND e.voided_by IS NULL"
      " GROUP BY l.name, d.internal, e.type ORDER BY l.name, d.internal");
  if (!st) return st.error();
  st->bind(1, after_ms).bind(2, until_ms);
  std::vector<SalesFigure> out;
  auto s = st->eachRow([&](SqlStmt& r) {
    std::string location = r.columnText(0);
    bool internal = r.columnInt(1) != 0;
    if (out.empty() || out.back().location != location || out.back().internal != internal) {
      out.push_back({.location = location, .internal = internal});
    }
    SalesFigure& f = out.back();
    if (r.columnText(2) == "sale") {
      f.sold_units += r.columnInt(3);
      f.sold_amount += r.columnInt(4);
    } else {
      f.returned_units += r.columnInt(3);
      f.returned_amount += r.columnInt(4);
    }
  });
  if (!s) return s.error();
  return out;
}

}  // namespace sw::coordinator
