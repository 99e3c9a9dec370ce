// SQLite adapter for the order book (see order_book.h for the tables and states).

#include "sw/coordinator/orders/order_book.h"

#include <algorithm>
#include <set>
#include <tuple>

#include "sw/common/uuid.h"

namespace sw::coordinator {

using common::Error;
using common::Result;
using common::SqliteStmt;
using common::SqliteTxn;
using common::Status;
using nlohmann::json;

namespace {

const std::vector<std::string> kSchema = {
    // v1
    "CREATE TABLE orders (channel TEXT NOT NULL, order_id TEXT NOT NULL, order_name TEXT NOT NULL DEFAULT '',"
    "  status TEXT NOT NULL, channel_status TEXT NOT NULL DEFAULT '', reason TEXT NOT NULL DEFAULT '',"
    "  ship_to_country TEXT NOT NULL DEFAULT '', pickup_location TEXT NOT NULL DEFAULT '',"
    "  created_at_ms INTEGER NOT NULL, updated_at_ms INTEGER NOT NULL, normalized TEXT NOT NULL,"
    "  PRIMARY KEY (channel, order_id));"
    "CREATE INDEX orders_by_time ON orders(created_at_ms);"
    "CREATE TABLE order_lines (channel TEXT NOT NULL, order_id TEXT NOT NULL, line_id TEXT NOT NULL,"
    "  sku TEXT NOT NULL, quantity INTEGER NOT NULL, released INTEGER NOT NULL DEFAULT 0, n INTEGER NOT NULL,"
    "  PRIMARY KEY (channel, order_id, line_id));"
    "CREATE TABLE allocations (id INTEGER PRIMARY KEY, channel TEXT NOT NULL, order_id TEXT NOT NULL,"
    "  line_id TEXT NOT NULL, sku TEXT NOT NULL, location TEXT NOT NULL, quantity INTEGER NOT NULL,"
    "  state TEXT NOT NULL, task_id TEXT NOT NULL DEFAULT '', created_at_ms INTEGER NOT NULL);"
    "CREATE INDEX allocations_by_order ON allocations(channel, order_id);"
    "CREATE INDEX allocations_by_state ON allocations(state, location);"
    "CREATE TABLE tasks (task_id TEXT PRIMARY KEY, channel TEXT NOT NULL, order_id TEXT NOT NULL,"
    "  location TEXT NOT NULL, status TEXT NOT NULL, ver INTEGER NOT NULL, created_at_ms INTEGER NOT NULL,"
    "  updated_at_ms INTEGER NOT NULL);"
    "CREATE INDEX tasks_by_location ON tasks(location, ver);"
    "CREATE INDEX tasks_by_order ON tasks(channel, order_id);"
    "CREATE TABLE task_lines (task_id TEXT NOT NULL, n INTEGER NOT NULL, line_id TEXT NOT NULL, sku TEXT NOT NULL,"
    "  quantity INTEGER NOT NULL, allocation_id INTEGER NOT NULL, PRIMARY KEY (task_id, n));"
    "CREATE TABLE fulfilments (id INTEGER PRIMARY KEY, channel TEXT NOT NULL, order_id TEXT NOT NULL,"
    "  task_id TEXT NOT NULL, location TEXT NOT NULL, tracking TEXT NOT NULL, lines TEXT NOT NULL,"
    "  status TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0, last_error TEXT NOT NULL DEFAULT '',"
    "  channel_fulfilment_id TEXT NOT NULL DEFAULT '', created_at_ms INTEGER NOT NULL,"
    "  reported_at_ms INTEGER NOT NULL DEFAULT 0);"
    "CREATE INDEX fulfilments_by_order ON fulfilments(channel, order_id);"
    "CREATE TABLE deliveries (channel TEXT NOT NULL, delivery_id TEXT NOT NULL, at_ms INTEGER NOT NULL,"
    "  PRIMARY KEY (channel, delivery_id));"
    "CREATE TABLE cursors (channel TEXT PRIMARY KEY, updated_since TEXT NOT NULL, page_token TEXT NOT NULL);"
    "CREATE TABLE ledger_scan (device TEXT PRIMARY KEY, seq INTEGER NOT NULL);"
    "CREATE TABLE counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL);"
    "INSERT INTO counters VALUES ('task_ver', 0);",
    // v2: refunds applied once, restocks into the ledger, channel cancellation of rejected orders
    "CREATE TABLE refunds (channel TEXT NOT NULL, refund_id TEXT NOT NULL, line_id TEXT NOT NULL,"
    "  order_id TEXT NOT NULL, quantity INTEGER NOT NULL, released INTEGER NOT NULL, restocked INTEGER NOT NULL,"
    "  at_ms INTEGER NOT NULL, PRIMARY KEY (channel, refund_id, line_id));"
    "CREATE TABLE restocks (seq INTEGER PRIMARY KEY, event_id TEXT NOT NULL, channel TEXT NOT NULL,"
    "  order_id TEXT NOT NULL, refund_id TEXT NOT NULL, line_id TEXT NOT NULL, sku TEXT NOT NULL,"
    "  location TEXT NOT NULL, quantity INTEGER NOT NULL, state TEXT NOT NULL, created_at_ms INTEGER NOT NULL,"
    "  applied_at_ms INTEGER NOT NULL DEFAULT 0);"
    "CREATE INDEX restocks_by_order ON restocks(channel, order_id);"
    "ALTER TABLE orders ADD COLUMN channel_cancel TEXT NOT NULL DEFAULT '';"
    "ALTER TABLE orders ADD COLUMN channel_cancel_error TEXT NOT NULL DEFAULT '';"
    "ALTER TABLE orders ADD COLUMN channel_cancel_attempts INTEGER NOT NULL DEFAULT 0;"
    "CREATE INDEX orders_by_cancel ON orders(channel_cancel);"
    "CREATE INDEX fulfilments_by_status ON fulfilments(status);",
};

// Reads a state column. A word this version does not know (the file was edited, or written by a
// newer version) is kept in `bad`, and the caller returns badState(bad) once the rows are read:
// never taken silently as another state.
template <typename E>
E stateColumn(const SqliteStmt& st, int col, std::optional<E> (*parse)(std::string_view), const char* what,
              std::string& bad) {
  std::string word = st.columnText(col);
  if (auto e = parse(word)) return *e;
  if (bad.empty()) bad = std::string(what) + " '" + word + "' is not a state this version knows";
  return E{};
}

Error badState(const std::string& bad) { return Error::fatal("bad_state", "order book: " + bad); }

json taskLinesJson(const std::vector<TaskLine>& lines) {
  json a = json::array();
  for (const TaskLine& l : lines) {
    a.push_back({{"line_id", l.line_id}, {"sku", l.sku}, {"quantity", l.quantity}, {"allocation_id", l.allocation_id}});
  }
  return a;
}

std::vector<TaskLine> taskLinesFrom(const std::string& text) {
  std::vector<TaskLine> out;
  json a = json::parse(text, nullptr, false);
  if (!a.is_array()) return out;
  for (const json& l : a) {
    if (!l.is_object()) continue;
    out.push_back({l.value("line_id", ""), l.value("sku", ""), l.value("quantity", int64_t{0}),
                   l.value("allocation_id", int64_t{0})});
  }
  return out;
}

// One reader for every query of fulfilments: kFulfilmentColumns then the query's WHERE/ORDER.
constexpr const char* kFulfilmentColumns =
    "SELECT id, channel, order_id, task_id, location, tracking, lines, status, attempts, last_error,"
    " channel_fulfilment_id, created_at_ms, reported_at_ms FROM fulfilments ";

Result<std::vector<Fulfilment>> readFulfilments(common::SqliteStmt& st) {
  std::vector<Fulfilment> out;
  std::string bad;
  if (auto each_ok = st.eachRow([&](const common::SqliteStmt&) {
    Fulfilment f;
    f.id = st.columnInt(0);
    f.channel = st.columnText(1);
    f.order_id = st.columnText(2);
    f.task_id = st.columnText(3);
    f.location = st.columnText(4);
    f.tracking_number = st.columnText(5);
    f.lines = taskLinesFrom(st.columnText(6));
    f.status = stateColumn(st, 7, parseFulfilmentStatus, "fulfilments.status", bad);
    f.attempts = st.columnInt(8);
    f.last_error = st.columnText(9);
    f.channel_fulfilment_id = st.columnText(10);
    f.created_at_ms = st.columnInt(11);
    f.reported_at_ms = st.columnInt(12);
    out.push_back(std::move(f));
  }); !each_ok) return each_ok.error();
  if (!bad.empty()) return badState(bad);
  return out;
}

// Columns: id, line_id, sku, location, quantity, state, task_id.
Result<std::vector<BookAllocation>> readAllocations(SqliteStmt& st) {
  std::vector<BookAllocation> out;
  std::string bad;
  if (auto each_ok = st.eachRow([&](const SqliteStmt& row) {
    out.push_back({row.columnInt(0), row.columnText(1), row.columnText(2), row.columnText(3), row.columnInt(4),
                   stateColumn(row, 5, parseAllocationState, "allocations.state", bad), row.columnText(6)});
  }); !each_ok) return each_ok.error();
  if (!bad.empty()) return badState(bad);
  return out;
}

}  // namespace

Result<std::unique_ptr<OrderBook>> OrderBook::open(const std::string& path, const common::Clock& clock) {
  std::unique_ptr<OrderBook> book(new OrderBook(clock));
  if (auto s = book->init(path); !s) return s.error();
  return book;
}

Status OrderBook::init(const std::string& path) {
  auto db = common::SqliteDb::open({.path = path});
  if (!db) return db.error();
  db_ = std::move(*db);
  if (auto s = db_.migrate({"orders", kSchema, "user_version"}); !s) return s;
  return loadHeld();
}

Status OrderBook::loadHeld() {
  auto st = db_.prepare(
      "SELECT sku, location, SUM(quantity) FROM allocations WHERE state IN ('reserved', 'tasked') GROUP BY sku, location");
  if (!st) return st.error();
  held_.clear();
  if (auto each_ok = st->eachRow([&](const common::SqliteStmt&) {
    held_[st->columnText(0)][st->columnText(1)] = st->columnInt(2);
  }); !each_ok) return each_ok.error();
  return {};
}

void OrderBook::hold(const std::string& sku, const std::string& location, int64_t delta) {
  auto& m = held_[sku];
  m[location] += delta;
  if (m[location] == 0) m.erase(location);
  if (m.empty()) held_.erase(sku);
}

std::map<std::string, int64_t> OrderBook::reservedByLocation(const std::string& sku) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = held_.find(sku);
  return it == held_.end() ? std::map<std::string, int64_t>{} : it->second;
}

int64_t OrderBook::heldAt(const std::string& sku, const std::string& location) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = held_.find(sku);
  if (it == held_.end()) return 0;
  auto l = it->second.find(location);
  return l == it->second.end() ? 0 : l->second;
}

Result<bool> OrderBook::firstDelivery(const std::string& channel, const std::string& delivery_id) {
  std::lock_guard<std::mutex> lock(mu_);
  auto st = db_.prepare("INSERT OR IGNORE INTO deliveries (channel, delivery_id, at_ms) VALUES (?, ?, ?)");
  if (!st) return st.error();
  st->bind(1, channel).bind(2, delivery_id).bind(3, clock_.nowMs());
  if (auto s = st->run(); !s) return s.error();
  return db_.changes() > 0;
}

Result<int64_t> OrderBook::nextVer() {
  auto st = db_.prepare("UPDATE counters SET value = value + 1 WHERE name = 'task_ver' RETURNING value");
  if (!st) return st.error();
  auto r = st->step();
  if (!r) return r.error();
  if (!*r) return Error::fatal("no_counter", "orders database lost its task_ver counter");
  return st->columnInt(0);
}

Status OrderBook::insertTask(const PickTask& t) {
  auto st = db_.prepare(
      "INSERT INTO tasks (task_id, channel, order_id, location, status, ver, created_at_ms, updated_at_ms)"
      " VALUES (?, ?, ?, ?, ?, ?, ?, ?)");
  if (!st) return st.error();
  auto ver = nextVer();
  if (!ver) return ver.error();
  int64_t now = clock_.nowMs();
  st->bind(1, t.task_id).bind(2, t.channel).bind(3, t.order_id).bind(4, t.location).bind(5, std::string("open"))
      .bind(6, *ver).bind(7, now).bind(8, now);
  if (auto s = st->run(); !s) return s;
  auto ln = db_.prepare(
      "INSERT INTO task_lines (task_id, n, line_id, sku, quantity, allocation_id) VALUES (?, ?, ?, ?, ?, ?)");
  if (!ln) return ln.error();
  int64_t n = 0;
  for (const TaskLine& l : t.lines) {
    ln->bind(1, t.task_id).bind(2, n++).bind(3, l.line_id).bind(4, l.sku).bind(5, l.quantity).bind(6, l.allocation_id);
    if (auto s = ln->run(); !s) return s;
  }
  return {};
}

Result<BookChange> OrderBook::insertOrder(const NewOrder& in) {
  std::lock_guard<std::mutex> lock(mu_);
  auto txn = SqliteTxn::begin(db_);
  if (!txn) return txn.error();
  const BookOrder& o = in.order;
  int64_t now = clock_.nowMs();
  auto st = db_.prepare(
      "INSERT INTO orders (channel, order_id, order_name, status, channel_status, reason, ship_to_country,"
      " pickup_location, created_at_ms, updated_at_ms, normalized, channel_cancel)"
      " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
  if (!st) return st.error();
  st->bind(1, o.channel).bind(2, o.order_id).bind(3, o.order_name).bind(4, toString(o.status)).bind(5, o.channel_status)
      .bind(6, o.reason).bind(7, o.ship_to_country).bind(8, o.pickup_location).bind(9, now).bind(10, now)
      .bind(11, o.normalized.dump()).bind(12, toString(o.channel_cancel));
  if (auto s = st->run(); !s) return s.error();
  auto ln = db_.prepare(
      "INSERT INTO order_lines (channel, order_id, line_id, sku, quantity, released, n) VALUES (?, ?, ?, ?, ?, 0, ?)");
  if (!ln) return ln.error();
  int64_t n = 0;
  for (const BookLine& l : o.lines) {
    ln->bind(1, o.channel).bind(2, o.order_id).bind(3, l.line_id).bind(4, l.sku).bind(5, l.quantity).bind(6, n++);
    if (auto s = ln->run(); !s) return s.error();
  }
  auto al = db_.prepare(
      "INSERT INTO allocations (channel, order_id, line_id, sku, location, quantity, state, task_id, created_at_ms)"
      " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)");
  if (!al) return al.error();
  std::vector<int64_t> ids;
  BookChange change;
  std::set<std::string> skus;
  for (const BookAllocation& a : in.allocations) {
    if (!isHeld(a.state)) return Error::reject("bad_allocation", "a new order's allocations are reserved or tasked");
    al->bind(1, o.channel).bind(2, o.order_id).bind(3, a.line_id).bind(4, a.sku).bind(5, a.location)
        .bind(6, a.quantity).bind(7, toString(a.state)).bind(8, a.task_id).bind(9, now);
    if (auto s = al->run(); !s) return s.error();
    ids.push_back(db_.lastInsertRowid());
    skus.insert(a.sku);
  }
  std::set<std::string> locs;
  for (PickTask t : in.tasks) {
    for (TaskLine& l : t.lines) {
      if (l.allocation_id < 0 || static_cast<size_t>(l.allocation_id) >= ids.size()) {
        return Error::reject("bad_task", "task line names no allocation");
      }
      l.allocation_id = ids[static_cast<size_t>(l.allocation_id)];
    }
    if (auto s = insertTask(t); !s) return s.error();
    locs.insert(t.location);
  }
  if (auto s = txn->commit(); !s) return s.error();
  for (const BookAllocation& a : in.allocations) hold(a.sku, a.location, a.quantity);
  change.skus.assign(skus.begin(), skus.end());
  change.locations.assign(locs.begin(), locs.end());
  return change;
}

Result<std::vector<BookAllocation>> OrderBook::allocationsOf(const std::string& channel, const std::string& order_id) {
  auto st = db_.prepare(
      "SELECT id, line_id, sku, location, quantity, state, task_id FROM allocations WHERE channel = ? AND order_id = ?"
      " ORDER BY id");
  if (!st) return st.error();
  st->bind(1, channel).bind(2, order_id);
  return readAllocations(*st);
}

Status OrderBook::readTaskLines(PickTask& t) {
  auto st = db_.prepare("SELECT line_id, sku, quantity, allocation_id FROM task_lines WHERE task_id = ? ORDER BY n");
  if (!st) return st.error();
  st->bind(1, t.task_id);
  t.lines.clear();
  if (auto each_ok = st->eachRow([&](const common::SqliteStmt&) {
    t.lines.push_back({st->columnText(0), st->columnText(1), st->columnInt(2), st->columnInt(3)});
  }); !each_ok) return each_ok.error();
  st->reset();
  // The order's prices, from the order as taken in (orders.normalized).
  t.line_prices.clear();
  auto o = db_.prepare("SELECT normalized FROM orders WHERE channel = ? AND order_id = ?");
  if (!o) return o.error();
  o->bind(1, t.channel).bind(2, t.order_id);
  auto r = o->step();
  if (!r) return r.error();
  if (!*r) return {};
  json n = json::parse(o->columnText(0), nullptr, false);
  if (!n.is_object() || !n.contains("lines") || !n["lines"].is_array()) return {};
  for (const json& l : n["lines"]) {
    if (!l.is_object() || !l.contains("line_id") || !l["line_id"].is_string() || !l.contains("unit_price") ||
        !l["unit_price"].is_string()) {
      continue;
    }
    std::string currency = l.contains("currency") && l["currency"].is_string() ? l["currency"].get<std::string>() : "";
    t.line_prices[l["line_id"].get<std::string>()] = {l["unit_price"].get<std::string>(), currency};
  }
  return {};
}

// Columns: task_id, channel, order_id, location, status, ver, created_at_ms, order_name.
Result<std::vector<PickTask>> OrderBook::readTasks(SqliteStmt& st) {
  std::vector<PickTask> out;
  std::string bad;
  if (auto each_ok = st.eachRow([&](const common::SqliteStmt&) {
    PickTask t;
    t.task_id = st.columnText(0);
    t.channel = st.columnText(1);
    t.order_id = st.columnText(2);
    t.location = st.columnText(3);
    t.status = stateColumn(st, 4, parseTaskStatus, "tasks.status", bad);
    t.ver = st.columnInt(5);
    t.created_at_ms = st.columnInt(6);
    t.order_name = st.columnText(7);
    out.push_back(std::move(t));
  }); !each_ok) return each_ok.error();
  if (!bad.empty()) return badState(bad);
  st.reset();
  for (PickTask& t : out) {
    if (auto s = readTaskLines(t); !s) return s.error();
  }
  return out;
}

#define SW_TASK_COLUMNS \
  "SELECT t.task_id, t.channel, t.order_id, t.location, t.status, t.ver, t.created_at_ms," \
  " COALESCE(o.order_name, '') FROM tasks t LEFT JOIN orders o ON o.channel = t.channel AND o.order_id = t.order_id "

Result<std::optional<BookOrder>> OrderBook::order(const std::string& channel, const std::string& order_id) {
  std::lock_guard<std::mutex> lock(mu_);
  auto st = db_.prepare(
      "SELECT order_name, status, channel_status, reason, ship_to_country, pickup_location, created_at_ms,"
      " updated_at_ms, normalized, channel_cancel, channel_cancel_error, channel_cancel_attempts"
      " FROM orders WHERE channel = ? AND order_id = ?");
  if (!st) return st.error();
  st->bind(1, channel).bind(2, order_id);
  auto r = st->step();
  if (!r) return r.error();
  if (!*r) return std::optional<BookOrder>{};
  std::string bad;
  BookOrder o;
  o.channel = channel;
  o.order_id = order_id;
  o.order_name = st->columnText(0);
  o.status = stateColumn(*st, 1, parseOrderState, "orders.status", bad);
  o.channel_status = st->columnText(2);
  o.reason = st->columnText(3);
  o.ship_to_country = st->columnText(4);
  o.pickup_location = st->columnText(5);
  o.created_at_ms = st->columnInt(6);
  o.updated_at_ms = st->columnInt(7);
  o.normalized = json::parse(st->columnText(8), nullptr, false);
  o.channel_cancel = stateColumn(*st, 9, parseChannelCancel, "orders.channel_cancel", bad);
  o.channel_cancel_error = st->columnText(10);
  o.channel_cancel_attempts = st->columnInt(11);
  st->reset();
  auto rs = db_.prepare(
      "SELECT seq, event_id, refund_id, line_id, sku, location, quantity, state, created_at_ms, applied_at_ms"
      " FROM restocks WHERE channel = ? AND order_id = ? ORDER BY seq");
  if (!rs) return rs.error();
  rs->bind(1, channel).bind(2, order_id);
  if (auto each_ok = rs->eachRow([&](const common::SqliteStmt&) {
    Restock x;
    x.seq = rs->columnInt(0);
    x.event_id = rs->columnText(1);
    x.channel = channel;
    x.order_id = order_id;
    x.refund_id = rs->columnText(2);
    x.line_id = rs->columnText(3);
    x.sku = rs->columnText(4);
    x.location = rs->columnText(5);
    x.quantity = rs->columnInt(6);
    x.state = stateColumn(*rs, 7, parseRestockState, "restocks.state", bad);
    x.created_at_ms = rs->columnInt(8);
    x.applied_at_ms = rs->columnInt(9);
    o.restocks.push_back(std::move(x));
  }); !each_ok) return each_ok.error();
  if (!bad.empty()) return badState(bad);
  auto rf = db_.prepare(
      "SELECT refund_id, line_id, quantity, released, restocked, at_ms FROM refunds WHERE channel = ? AND order_id = ?"
      " ORDER BY rowid");
  if (!rf) return rf.error();
  rf->bind(1, channel).bind(2, order_id);
  if (auto each_ok = rf->eachRow([&](const common::SqliteStmt&) {
    o.refunds.push_back({rf->columnText(0), rf->columnText(1), rf->columnInt(2), rf->columnInt(3), rf->columnInt(4),
                         rf->columnInt(5)});
  }); !each_ok) return each_ok.error();
  auto ln = db_.prepare("SELECT line_id, sku, quantity, released FROM order_lines WHERE channel = ? AND order_id = ? ORDER BY n");
  if (!ln) return ln.error();
  ln->bind(1, channel).bind(2, order_id);
  if (auto each_ok = ln->eachRow([&](const common::SqliteStmt&) {
    o.lines.push_back({ln->columnText(0), ln->columnText(1), ln->columnInt(2), ln->columnInt(3)});
  }); !each_ok) return each_ok.error();
  auto allocs = allocationsOf(channel, order_id);
  if (!allocs) return allocs.error();
  o.allocations = std::move(*allocs);
  auto ts = db_.prepare(SW_TASK_COLUMNS "WHERE t.channel = ? AND t.order_id = ? ORDER BY t.created_at_ms, t.ver");
  if (!ts) return ts.error();
  ts->bind(1, channel).bind(2, order_id);
  auto tasks = readTasks(*ts);
  if (!tasks) return tasks.error();
  o.tasks = std::move(*tasks);
  auto fs = db_.prepare(std::string(kFulfilmentColumns) + "WHERE channel = ? AND order_id = ? ORDER BY id");
  if (!fs) return fs.error();
  fs->bind(1, channel).bind(2, order_id);
  auto fulfilments = readFulfilments(*fs);
  if (!fulfilments) return fulfilments.error();
  o.fulfilments = std::move(*fulfilments);
  return std::optional<BookOrder>(std::move(o));
}

Result<std::vector<BookOrder>> OrderBook::orders(std::optional<OrderState> status, int64_t limit) {
  const std::string word = status ? toString(*status) : "";
  return ordersOf(
      "SELECT channel, order_id FROM orders WHERE ? = '' OR status = ? ORDER BY created_at_ms DESC, rowid DESC LIMIT ?",
      [&](SqliteStmt& st) { st.bind(1, word).bind(2, word).bind(3, limit); });
}

Result<std::vector<BookOrder>> OrderBook::ordersOf(const char* keys_sql, const std::function<void(SqliteStmt&)>& bind) {
  std::vector<std::pair<std::string, std::string>> keys;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto st = db_.prepare(keys_sql);
    if (!st) return st.error();
    bind(*st);
    if (auto each_ok = st->eachRow([&](const SqliteStmt& row) { keys.emplace_back(row.columnText(0), row.columnText(1)); });
        !each_ok) {
      return each_ok.error();
    }
  }
  // Each order is read on its own (order() takes the lock again): lines, allocations, tasks, ...
  std::vector<BookOrder> out;
  for (const auto& [c, id] : keys) {
    auto o = order(c, id);
    if (!o) return o.error();
    if (*o) out.push_back(std::move(**o));
  }
  return out;
}

Status OrderBook::updateOrderStatus(const std::string& channel, const std::string& order_id) {
  auto st = db_.prepare(
      "UPDATE orders SET updated_at_ms = ?1, status = CASE"
      "  WHEN status IN ('rejected_no_stock', 'cancelled') THEN status"
      "  WHEN shipped > 0 AND held > 0 THEN 'partially_shipped'"
      "  WHEN shipped > 0 THEN 'shipped'"
      "  ELSE 'accepted' END"
      " FROM (SELECT COALESCE(SUM(CASE WHEN state = 'shipped' THEN quantity END), 0) AS shipped,"
      "              COALESCE(SUM(CASE WHEN state IN ('reserved', 'tasked') THEN quantity END), 0) AS held"
      "       FROM allocations WHERE channel = ?2 AND order_id = ?3)"
      " WHERE channel = ?2 AND order_id = ?3");
  if (!st) return st.error();
  st->bind(1, clock_.nowMs()).bind(2, channel).bind(3, order_id);
  return st->run();
}

Result<BookChange> OrderBook::releaseAllocations(const std::vector<BookAllocation>& allocs, int64_t quantity,
                                                 BookChange change) {
  std::set<std::string> skus(change.skus.begin(), change.skus.end());
  std::set<std::string> locs(change.locations.begin(), change.locations.end());
  auto upd = db_.prepare("UPDATE allocations SET quantity = ?, state = ? WHERE id = ?");
  if (!upd) return upd.error();
  auto ins = db_.prepare(
      "INSERT INTO allocations (channel, order_id, line_id, sku, location, quantity, state, task_id, created_at_ms)"
      " SELECT channel, order_id, line_id, sku, location, ?, 'released', task_id, ? FROM allocations WHERE id = ?");
  if (!ins) return ins.error();
  auto tl = db_.prepare("UPDATE task_lines SET quantity = quantity - ? WHERE allocation_id = ?");
  if (!tl) return tl.error();
  std::set<std::string> touched_tasks;
  for (const BookAllocation& a : allocs) {
    if (quantity <= 0) break;
    if (!isHeld(a.state)) continue;
    int64_t take = std::min(quantity, a.quantity);
    quantity -= take;
    if (take == a.quantity) {
      upd->bind(1, a.quantity).bind(2, std::string("released")).bind(3, a.id);
      if (auto s = upd->run(); !s) return s.error();
    } else {
      upd->bind(1, a.quantity - take).bind(2, toString(a.state)).bind(3, a.id);
      if (auto s = upd->run(); !s) return s.error();
      ins->bind(1, take).bind(2, clock_.nowMs()).bind(3, a.id);
      if (auto s = ins->run(); !s) return s.error();
    }
    pending_holds_.emplace_back(a.sku, a.location, -take);
    skus.insert(a.sku);
    if (a.state == AllocationState::kTasked && !a.task_id.empty()) {
      tl->bind(1, take).bind(2, a.id);
      if (auto s = tl->run(); !s) return s.error();
      touched_tasks.insert(a.task_id);
    }
  }
  // A task that lost units is re-issued (new version) or, when nothing is left, cancelled.
  for (const std::string& id : touched_tasks) {
    if (auto s = db_.exec("DELETE FROM task_lines WHERE quantity <= 0"); !s) return s.error();
    auto left = db_.prepare("SELECT COUNT(*) FROM task_lines WHERE task_id = ?");
    if (!left) return left.error();
    left->bind(1, id);
    auto r = left->step();
    if (!r) return r.error();
    bool empty = left->columnInt(0) == 0;
    left->reset();
    auto ver = nextVer();
    if (!ver) return ver.error();
    auto ut = db_.prepare(
        "UPDATE tasks SET ver = ?, updated_at_ms = ?, status = CASE WHEN ? THEN 'cancelled' ELSE status END"
        " WHERE task_id = ? AND status = 'open' RETURNING location");
    if (!ut) return ut.error();
    ut->bind(1, *ver).bind(2, clock_.nowMs()).bind(3, int64_t{empty ? 1 : 0}).bind(4, id);
    auto ur = ut->step();
    if (!ur) return ur.error();
    if (*ur) locs.insert(ut->columnText(0));
  }
  change.skus.assign(skus.begin(), skus.end());
  change.locations.assign(locs.begin(), locs.end());
  return change;
}

Result<BookChange> OrderBook::cancelOrder(const std::string& channel, const std::string& order_id,
                                          const std::string& channel_status) {
  std::lock_guard<std::mutex> lock(mu_);
  pending_holds_.clear();
  auto txn = SqliteTxn::begin(db_);
  if (!txn) return txn.error();
  auto allocs = allocationsOf(channel, order_id);
  if (!allocs) return allocs.error();
  int64_t all = 0;
  for (const BookAllocation& a : *allocs) {
    if (isHeld(a.state)) all += a.quantity;
  }
  auto change = releaseAllocations(*allocs, all, {});
  if (!change) return change.error();
  // Tasks still open (all their units were released above, so none should be) are cancelled too.
  auto open = db_.prepare("SELECT task_id, location FROM tasks WHERE channel = ? AND order_id = ? AND status = 'open'");
  if (!open) return open.error();
  open->bind(1, channel).bind(2, order_id);
  std::vector<std::pair<std::string, std::string>> tasks;
  if (auto each_ok = open->eachRow([&](const common::SqliteStmt&) {
    tasks.emplace_back(open->columnText(0), open->columnText(1));
  }); !each_ok) return each_ok.error();
  for (const auto& [id, loc] : tasks) {
    auto ver = nextVer();
    if (!ver) return ver.error();
    auto ut = db_.prepare("UPDATE tasks SET status = 'cancelled', ver = ?, updated_at_ms = ? WHERE task_id = ?");
    if (!ut) return ut.error();
    ut->bind(1, *ver).bind(2, clock_.nowMs()).bind(3, id);
    if (auto s = ut->run(); !s) return s.error();
    change->locations.push_back(loc);
  }
  auto st = db_.prepare("UPDATE orders SET status = 'cancelled', channel_status = ?, updated_at_ms = ? WHERE channel = ? AND order_id = ?");
  if (!st) return st.error();
  st->bind(1, channel_status).bind(2, clock_.nowMs()).bind(3, channel).bind(4, order_id);
  if (auto s = st->run(); !s) return s.error();
  if (auto s = txn->commit(); !s) return s.error();
  for (const auto& [sku, loc, d] : pending_holds_) hold(sku, loc, d);
  pending_holds_.clear();
  return change;
}

Result<BookChange> OrderBook::releaseLine(const std::string& channel, const std::string& order_id,
                                          const std::string& line_id, int64_t quantity) {
  std::lock_guard<std::mutex> lock(mu_);
  pending_holds_.clear();
  auto txn = SqliteTxn::begin(db_);
  if (!txn) return txn.error();
  auto allocs = allocationsOf(channel, order_id);
  if (!allocs) return allocs.error();
  std::vector<BookAllocation> line;
  for (const BookAllocation& a : *allocs) {
    if (a.line_id == line_id && isHeld(a.state)) line.push_back(a);
  }
  // Unrouted units first, then routed but not yet on a task, then those on a task.
  auto rank = [](const BookAllocation& a) { return a.location.empty() ? 0 : a.state == AllocationState::kReserved ? 1 : 2; };
  std::stable_sort(line.begin(), line.end(), [&](const auto& x, const auto& y) { return rank(x) < rank(y); });
  auto change = releaseAllocations(line, quantity, {});
  if (!change) return change.error();
  auto ul = db_.prepare("UPDATE order_lines SET released = released + ? WHERE channel = ? AND order_id = ? AND line_id = ?");
  if (!ul) return ul.error();
  ul->bind(1, quantity).bind(2, channel).bind(3, order_id).bind(4, line_id);
  if (auto s = ul->run(); !s) return s.error();
  if (auto s = updateOrderStatus(channel, order_id); !s) return s.error();
  if (auto s = txn->commit(); !s) return s.error();
  for (const auto& [sku, loc, d] : pending_holds_) hold(sku, loc, d);
  pending_holds_.clear();
  return change;
}

Result<std::vector<BookAllocation>> OrderBook::unrouted(int64_t limit) {
  std::lock_guard<std::mutex> lock(mu_);
  auto st = db_.prepare(
      "SELECT id, line_id, sku, location, quantity, state, task_id FROM allocations"
      " WHERE state = 'reserved' AND location = '' ORDER BY id LIMIT ?");
  if (!st) return st.error();
  st->bind(1, limit);
  return readAllocations(*st);
}

Result<OrderBook::OrderRef> OrderBook::orderOfAllocation(int64_t allocation_id) {
  std::lock_guard<std::mutex> lock(mu_);
  auto st = db_.prepare("SELECT channel, order_id FROM allocations WHERE id = ?");
  if (!st) return st.error();
  st->bind(1, allocation_id);
  auto r = st->step();
  if (!r) return r.error();
  if (!*r) return Error::reject("not_found", "no allocation " + std::to_string(allocation_id));
  return OrderRef{st->columnText(0), st->columnText(1)};
}

Result<BookChange> OrderBook::routeAllocation(int64_t allocation_id, const std::string& location, int64_t quantity,
                                              const std::string& task_id) {
  std::lock_guard<std::mutex> lock(mu_);
  pending_holds_.clear();
  auto txn = SqliteTxn::begin(db_);
  if (!txn) return txn.error();
  auto st = db_.prepare(
      "SELECT channel, order_id, line_id, sku, quantity FROM allocations WHERE id = ? AND state = 'reserved' AND location = ''");
  if (!st) return st.error();
  st->bind(1, allocation_id);
  auto r = st->step();
  if (!r) return r.error();
  if (!*r) return Error::reject("not_unrouted", "allocation " + std::to_string(allocation_id) + " is not waiting for routing");
  std::string channel = st->columnText(0), order_id = st->columnText(1), line_id = st->columnText(2),
              sku = st->columnText(3);
  int64_t have = st->columnInt(4);
  st->reset();
  if (quantity <= 0 || quantity > have) return Error::reject("bad_quantity", "cannot route more than the allocation holds");
  if (quantity < have) {
    auto upd = db_.prepare("UPDATE allocations SET quantity = quantity - ? WHERE id = ?");
    if (!upd) return upd.error();
    upd->bind(1, quantity).bind(2, allocation_id);
    if (auto s = upd->run(); !s) return s.error();
  } else {
    auto del = db_.prepare("DELETE FROM allocations WHERE id = ?");
    if (!del) return del.error();
    del->bind(1, allocation_id);
    if (auto s = del->run(); !s) return s.error();
  }
  auto ins = db_.prepare(
      "INSERT INTO allocations (channel, order_id, line_id, sku, location, quantity, state, task_id, created_at_ms)"
      " VALUES (?, ?, ?, ?, ?, ?, 'tasked', ?, ?)");
  if (!ins) return ins.error();
  ins->bind(1, channel).bind(2, order_id).bind(3, line_id).bind(4, sku).bind(5, location).bind(6, quantity)
      .bind(7, task_id).bind(8, clock_.nowMs());
  if (auto s = ins->run(); !s) return s.error();
  PickTask t;
  t.task_id = task_id;
  t.channel = channel;
  t.order_id = order_id;
  t.location = location;
  t.lines.push_back({line_id, sku, quantity, db_.lastInsertRowid()});
  if (auto s = insertTask(t); !s) return s.error();
  if (auto s = txn->commit(); !s) return s.error();
  hold(sku, "", -quantity);
  hold(sku, location, quantity);
  return BookChange{{sku}, {location}};
}

Result<std::vector<PickTask>> OrderBook::openTasks() {
  std::lock_guard<std::mutex> lock(mu_);
  auto st = db_.prepare(SW_TASK_COLUMNS "WHERE t.status = 'open' ORDER BY t.ver");
  if (!st) return st.error();
  return readTasks(*st);
}

Result<std::optional<PickTask>> OrderBook::task(const std::string& task_id) {
  std::lock_guard<std::mutex> lock(mu_);
  auto st = db_.prepare(SW_TASK_COLUMNS "WHERE t.task_id = ?");
  if (!st) return st.error();
  st->bind(1, task_id);
  auto tasks = readTasks(*st);
  if (!tasks) return tasks.error();
  if (tasks->empty()) return std::optional<PickTask>{};
  return std::optional<PickTask>(std::move(tasks->front()));
}

Result<BookChange> OrderBook::completeTask(const std::string& task_id, const std::map<std::string, int64_t>& picked,
                                           const std::string& tracking_number) {
  std::lock_guard<std::mutex> lock(mu_);
  pending_holds_.clear();
  auto txn = SqliteTxn::begin(db_);
  if (!txn) return txn.error();
  auto st = db_.prepare(SW_TASK_COLUMNS "WHERE t.task_id = ?");
  if (!st) return st.error();
  st->bind(1, task_id);
  auto tasks = readTasks(*st);
  if (!tasks) return tasks.error();
  if (tasks->empty()) return Error::reject("not_found", "no task " + task_id);
  const PickTask& t = tasks->front();
  if (t.status != TaskStatus::kOpen) return BookChange{};
  std::map<std::string, int64_t> left = picked;
  std::vector<TaskLine> shipped;
  std::set<std::string> skus;
  int64_t now = clock_.nowMs();
  auto upd = db_.prepare("UPDATE allocations SET quantity = ?, state = ? WHERE id = ?");
  if (!upd) return upd.error();
  auto ins = db_.prepare(
      "INSERT INTO allocations (channel, order_id, line_id, sku, location, quantity, state, task_id, created_at_ms)"
      " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)");
  if (!ins) return ins.error();
  for (const TaskLine& l : t.lines) {
    int64_t& avail = left[l.sku];
    int64_t p = std::clamp<int64_t>(avail, 0, l.quantity);
    avail -= p;
    int64_t short_units = l.quantity - p;
    skus.insert(l.sku);
    pending_holds_.emplace_back(l.sku, t.location, -l.quantity);
    if (p > 0) {
      upd->bind(1, p).bind(2, std::string("shipped")).bind(3, l.allocation_id);
      if (auto s = upd->run(); !s) return s.error();
      shipped.push_back({l.line_id, l.sku, p, l.allocation_id});
      if (short_units > 0) {
        ins->bind(1, t.channel).bind(2, t.order_id).bind(3, l.line_id).bind(4, l.sku).bind(5, t.location)
            .bind(6, short_units).bind(7, std::string("short")).bind(8, t.task_id).bind(9, now);
        if (auto s = ins->run(); !s) return s.error();
      }
    } else {
      upd->bind(1, l.quantity).bind(2, std::string("short")).bind(3, l.allocation_id);
      if (auto s = upd->run(); !s) return s.error();
    }
    if (short_units > 0) {
      // The units are still owed to the buyer: held again, unrouted, for the router to place elsewhere.
      ins->bind(1, t.channel).bind(2, t.order_id).bind(3, l.line_id).bind(4, l.sku).bind(5, std::string())
          .bind(6, short_units).bind(7, std::string("reserved")).bind(8, std::string()).bind(9, now);
      if (auto s = ins->run(); !s) return s.error();
      pending_holds_.emplace_back(l.sku, "", short_units);
    }
  }
  auto ver = nextVer();
  if (!ver) return ver.error();
  auto ut = db_.prepare("UPDATE tasks SET status = 'done', ver = ?, updated_at_ms = ? WHERE task_id = ?");
  if (!ut) return ut.error();
  ut->bind(1, *ver).bind(2, now).bind(3, task_id);
  if (auto s = ut->run(); !s) return s.error();
  if (!shipped.empty()) {
    auto f = db_.prepare(
        "INSERT INTO fulfilments (channel, order_id, task_id, location, tracking, lines, status, created_at_ms)"
        " VALUES (?, ?, ?, ?, ?, ?, 'pending', ?)");
    if (!f) return f.error();
    f->bind(1, t.channel).bind(2, t.order_id).bind(3, t.task_id).bind(4, t.location).bind(5, tracking_number)
        .bind(6, taskLinesJson(shipped).dump()).bind(7, now);
    if (auto s = f->run(); !s) return s.error();
  }
  if (auto s = updateOrderStatus(t.channel, t.order_id); !s) return s.error();
  if (auto s = txn->commit(); !s) return s.error();
  for (const auto& [sku, loc, d] : pending_holds_) hold(sku, loc, d);
  pending_holds_.clear();
  BookChange change;
  change.skus.assign(skus.begin(), skus.end());
  change.locations.push_back(t.location);
  return change;
}

Result<int64_t> OrderBook::taskVersion(const std::string& location) {
  std::lock_guard<std::mutex> lock(mu_);
  auto st = db_.prepare("SELECT COALESCE(MAX(ver), 0) FROM tasks WHERE location = ?");
  if (!st) return st.error();
  st->bind(1, location);
  auto r = st->step();
  if (!r) return r.error();
  return st->columnInt(0);
}

Result<std::vector<PickTask>> OrderBook::tasksChangedAfter(const std::string& location, int64_t after_ver,
                                                           size_t limit) {
  std::lock_guard<std::mutex> lock(mu_);
  auto st = db_.prepare(SW_TASK_COLUMNS "WHERE t.location = ? AND t.ver > ? ORDER BY t.ver LIMIT ?");
  if (!st) return st.error();
  st->bind(1, location).bind(2, after_ver).bind(3, static_cast<int64_t>(limit));
  return readTasks(*st);
}

Result<std::vector<PickTask>> OrderBook::openTasksAt(const std::string& location, const std::string& after_task_id,
                                                     size_t limit) {
  std::lock_guard<std::mutex> lock(mu_);
  auto st = db_.prepare(SW_TASK_COLUMNS
                        "WHERE t.location = ? AND t.status = 'open' AND t.task_id > ? ORDER BY t.task_id LIMIT ?");
  if (!st) return st.error();
  st->bind(1, location).bind(2, after_task_id).bind(3, static_cast<int64_t>(limit));
  return readTasks(*st);
}

Result<std::vector<Fulfilment>> OrderBook::pendingFulfilments(int64_t limit) {
  std::lock_guard<std::mutex> lock(mu_);
  auto st = db_.prepare(std::string(kFulfilmentColumns) + "WHERE status = 'pending' ORDER BY id LIMIT ?");
  if (!st) return st.error();
  st->bind(1, limit);
  return readFulfilments(*st);
}

Status OrderBook::fulfilmentReported(int64_t id, const std::string& channel_fulfilment_id) {
  std::lock_guard<std::mutex> lock(mu_);
  auto st = db_.prepare(
      "UPDATE fulfilments SET status = 'reported', attempts = attempts + 1, channel_fulfilment_id = ?,"
      " reported_at_ms = ?, last_error = '' WHERE id = ?");
  if (!st) return st.error();
  st->bind(1, channel_fulfilment_id).bind(2, clock_.nowMs()).bind(3, id);
  return st->run();
}

Status OrderBook::fulfilmentFailed(int64_t id, const std::string& error) {
  std::lock_guard<std::mutex> lock(mu_);
  auto st = db_.prepare("UPDATE fulfilments SET attempts = attempts + 1, last_error = ? WHERE id = ?");
  if (!st) return st.error();
  st->bind(1, error).bind(2, id);
  return st->run();
}

Status OrderBook::fulfilmentGaveUp(int64_t id, const std::string& error) {
  std::lock_guard<std::mutex> lock(mu_);
  auto st = db_.prepare("UPDATE fulfilments SET status = 'failed', attempts = attempts + 1, last_error = ? WHERE id = ?");
  if (!st) return st.error();
  st->bind(1, error).bind(2, id);
  return st->run();
}

Result<bool> OrderBook::retryFulfilment(int64_t id) {
  std::lock_guard<std::mutex> lock(mu_);
  auto st = db_.prepare("UPDATE fulfilments SET status = 'pending' WHERE id = ? AND status = 'failed'");
  if (!st) return st.error();
  st->bind(1, id);
  if (auto s = st->run(); !s) return s.error();
  return db_.changes() > 0;
}

Result<RefundResult> OrderBook::applyRefund(const std::string& channel, const std::string& order_id,
                                            const std::string& refund_id, const std::string& line_id, int64_t quantity,
                                            bool restock, const std::string& location, int64_t restock_limit) {
  std::lock_guard<std::mutex> lock(mu_);
  pending_holds_.clear();
  RefundResult out;
  if (quantity <= 0) return out;
  auto txn = SqliteTxn::begin(db_);
  if (!txn) return txn.error();
  auto seen = db_.prepare("SELECT 1 FROM refunds WHERE channel = ? AND refund_id = ? AND line_id = ?");
  if (!seen) return seen.error();
  seen->bind(1, channel).bind(2, refund_id).bind(3, line_id);
  auto sr = seen->step();
  if (!sr) return sr.error();
  if (*sr) {
    out.duplicate = true;
    return out;
  }
  seen->reset();
  auto allocs = allocationsOf(channel, order_id);
  if (!allocs) return allocs.error();
  std::vector<BookAllocation> held;
  std::map<std::string, int64_t> shipped_at;  // location -> shipped units of this line
  std::string sku;
  for (const BookAllocation& a : *allocs) {
    if (a.line_id != line_id) continue;
    sku = a.sku;
    if (isHeld(a.state)) held.push_back(a);
    if (a.state == AllocationState::kShipped) shipped_at[a.location] += a.quantity;
  }
  auto rank = [](const BookAllocation& a) { return a.location.empty() ? 0 : a.state == AllocationState::kReserved ? 1 : 2; };
  std::stable_sort(held.begin(), held.end(), [&](const auto& x, const auto& y) { return rank(x) < rank(y); });
  int64_t held_units = 0;
  for (const BookAllocation& a : held) held_units += a.quantity;
  // The line still needs what was wanted at intake less every refund (this one included) and what
  // has shipped; only held units beyond that are released. So a refund whose units an order update
  // already released (Shopify GraphQL polling sees a refund only as a lower current quantity,
  // without its id) releases nothing more, and a refund of shipped units does not take held ones.
  auto ln = db_.prepare(
      "SELECT l.quantity, l.released, (SELECT COALESCE(SUM(f.quantity), 0) FROM refunds f"
      "  WHERE f.channel = l.channel AND f.order_id = l.order_id AND f.line_id = l.line_id)"
      " FROM order_lines l WHERE l.channel = ? AND l.order_id = ? AND l.line_id = ?");
  if (!ln) return ln.error();
  ln->bind(1, channel).bind(2, order_id).bind(3, line_id);
  auto lr = ln->step();
  if (!lr) return lr.error();
  int64_t wanted = *lr ? ln->columnInt(0) : held_units;
  int64_t released_by_updates = *lr ? ln->columnInt(1) : 0;
  int64_t refunded = *lr ? ln->columnInt(2) + quantity : quantity;
  ln->reset();
  int64_t shipped_units = 0;
  for (const auto& [loc, n] : shipped_at) shipped_units += n;
  int64_t need = std::max<int64_t>(0, wanted - refunded - shipped_units);
  out.released = std::clamp<int64_t>(held_units - need, 0, quantity);
  auto change = releaseAllocations(held, out.released, {});
  if (!change) return change.error();
  out.change = std::move(*change);
  // Units updates released for the lower quantity that this refund explains move from the line's
  // count to the refund's: order updates release what a line lost less what refunds account for,
  // minus the line's count, so no unit is counted on both sides.
  if (int64_t covered = std::min(released_by_updates, quantity - out.released); covered > 0) {
    auto ul = db_.prepare("UPDATE order_lines SET released = released - ? WHERE channel = ? AND order_id = ? AND line_id = ?");
    if (!ul) return ul.error();
    ul->bind(1, covered).bind(2, channel).bind(3, order_id).bind(4, line_id);
    if (auto s = ul->run(); !s) return s.error();
  }
  int64_t left = quantity - out.released;
  if (restock && left > 0 && !sku.empty()) {
    auto done = db_.prepare("SELECT COALESCE(SUM(quantity), 0) FROM restocks WHERE channel = ? AND order_id = ? AND line_id = ?");
    if (!done) return done.error();
    done->bind(1, channel).bind(2, order_id).bind(3, line_id);
    auto dr = done->step();
    if (!dr) return dr.error();
    int64_t already = done->columnInt(0);
    done->reset();
    int64_t may = shipped_units;
    if (restock_limit >= 0) {
      // The channel's count also holds units it restocked that never left here (refunded before
      // shipping: released from holds, not restocked). Counted as accounted for, which may
      // restock too little (a released refund the channel did not restock), never too much.
      auto rel = db_.prepare("SELECT COALESCE(SUM(released), 0) FROM refunds WHERE channel = ? AND order_id = ? AND line_id = ?");
      if (!rel) return rel.error();
      rel->bind(1, channel).bind(2, order_id).bind(3, line_id);
      auto rr = rel->step();
      if (!rr) return rr.error();
      int64_t released_before = rel->columnInt(0);
      rel->reset();
      may = std::min(shipped_units, restock_limit - released_before);
    }
    out.restocked = std::clamp<int64_t>(may - already, 0, left);
    out.location = location;
    if (out.location.empty()) {
      // Where the units shipped from (most units first): they come back there.
      int64_t best = -1;
      for (const auto& [loc, n] : shipped_at) {
        if (n > best) {
          best = n;
          out.location = loc;
        }
      }
    }
    if (out.restocked > 0 && !out.location.empty()) {
      auto ins = db_.prepare(
          "INSERT INTO restocks (event_id, channel, order_id, refund_id, line_id, sku, location, quantity, state,"
          " created_at_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'pending', ?)");
      if (!ins) return ins.error();
      ins->bind(1, common::newUuid()).bind(2, channel).bind(3, order_id).bind(4, refund_id).bind(5, line_id).bind(6, sku)
          .bind(7, out.location).bind(8, out.restocked).bind(9, clock_.nowMs());
      if (auto s = ins->run(); !s) return s.error();
    } else {
      out.restocked = 0;
    }
  }
  auto rec = db_.prepare(
      "INSERT INTO refunds (channel, refund_id, line_id, order_id, quantity, released, restocked, at_ms)"
      " VALUES (?, ?, ?, ?, ?, ?, ?, ?)");
  if (!rec) return rec.error();
  rec->bind(1, channel).bind(2, refund_id).bind(3, line_id).bind(4, order_id).bind(5, quantity).bind(6, out.released)
      .bind(7, out.restocked).bind(8, clock_.nowMs());
  if (auto s = rec->run(); !s) return s.error();
  if (auto s = updateOrderStatus(channel, order_id); !s) return s.error();
  if (auto s = txn->commit(); !s) return s.error();
  for (const auto& [k, loc, d] : pending_holds_) hold(k, loc, d);
  pending_holds_.clear();
  return out;
}

Result<std::map<std::string, int64_t>> OrderBook::refundedUnits(const std::string& channel, const std::string& order_id) {
  std::lock_guard<std::mutex> lock(mu_);
  auto st = db_.prepare("SELECT line_id, SUM(quantity) FROM refunds WHERE channel = ? AND order_id = ? GROUP BY line_id");
  if (!st) return st.error();
  st->bind(1, channel).bind(2, order_id);
  std::map<std::string, int64_t> out;
  if (auto each_ok = st->eachRow([&](const common::SqliteStmt&) {
    out[st->columnText(0)] = st->columnInt(1);
  }); !each_ok) return each_ok.error();
  return out;
}

Result<std::vector<Restock>> OrderBook::pendingRestocks(int64_t limit) {
  std::lock_guard<std::mutex> lock(mu_);
  auto st = db_.prepare(
      "SELECT seq, event_id, channel, order_id, refund_id, line_id, sku, location, quantity, created_at_ms"
      " FROM restocks WHERE state = 'pending' ORDER BY seq LIMIT ?");
  if (!st) return st.error();
  st->bind(1, limit);
  std::vector<Restock> out;
  if (auto each_ok = st->eachRow([&](const common::SqliteStmt&) {
    Restock x;
    x.seq = st->columnInt(0);
    x.event_id = st->columnText(1);
    x.channel = st->columnText(2);
    x.order_id = st->columnText(3);
    x.refund_id = st->columnText(4);
    x.line_id = st->columnText(5);
    x.sku = st->columnText(6);
    x.location = st->columnText(7);
    x.quantity = st->columnInt(8);
    x.state = RestockState::kPending;
    x.created_at_ms = st->columnInt(9);
    out.push_back(std::move(x));
  }); !each_ok) return each_ok.error();
  return out;
}

Status OrderBook::restocksApplied(int64_t up_to_seq) {
  std::lock_guard<std::mutex> lock(mu_);
  auto st = db_.prepare("UPDATE restocks SET state = 'applied', applied_at_ms = ? WHERE state = 'pending' AND seq <= ?");
  if (!st) return st.error();
  st->bind(1, clock_.nowMs()).bind(2, up_to_seq);
  return st->run();
}

Result<std::vector<BookOrder>> OrderBook::ordersToCancel(int64_t limit) {
  return ordersOf("SELECT channel, order_id FROM orders WHERE channel_cancel = 'pending' ORDER BY created_at_ms LIMIT ?",
                  [&](SqliteStmt& st) { st.bind(1, limit); });
}

Status OrderBook::setChannelCancel(const std::string& channel, const std::string& order_id, ChannelCancel state,
                                   const std::string& error) {
  std::lock_guard<std::mutex> lock(mu_);
  auto st = db_.prepare(
      "UPDATE orders SET channel_cancel = ?, channel_cancel_error = ?, channel_cancel_attempts = channel_cancel_attempts + 1,"
      " updated_at_ms = ? WHERE channel = ? AND order_id = ?");
  if (!st) return st.error();
  st->bind(1, toString(state)).bind(2, error).bind(3, clock_.nowMs()).bind(4, channel).bind(5, order_id);
  return st->run();
}

Result<OrderBook::Attention> OrderBook::attention(int64_t limit) {
  std::lock_guard<std::mutex> lock(mu_);
  Attention out;
  auto fs = db_.prepare(std::string(kFulfilmentColumns) + "WHERE status = 'failed' ORDER BY id DESC LIMIT ?");
  if (!fs) return fs.error();
  fs->bind(1, limit);
  auto failed = readFulfilments(*fs);
  if (!failed) return failed.error();
  out.failed_fulfilments = std::move(*failed);
  auto cs = db_.prepare(
      "SELECT channel, order_id, order_name, status, reason, channel_cancel, channel_cancel_error,"
      " channel_cancel_attempts, created_at_ms, updated_at_ms FROM orders WHERE channel_cancel IN ('manual', 'failed')"
      " ORDER BY updated_at_ms DESC LIMIT ?");
  if (!cs) return cs.error();
  cs->bind(1, limit);
  std::string bad;
  if (auto each_ok = cs->eachRow([&](const common::SqliteStmt&) {
    BookOrder o;
    o.channel = cs->columnText(0);
    o.order_id = cs->columnText(1);
    o.order_name = cs->columnText(2);
    o.status = stateColumn(*cs, 3, parseOrderState, "orders.status", bad);
    o.reason = cs->columnText(4);
    o.channel_cancel = stateColumn(*cs, 5, parseChannelCancel, "orders.channel_cancel", bad);
    o.channel_cancel_error = cs->columnText(6);
    o.channel_cancel_attempts = cs->columnInt(7);
    o.created_at_ms = cs->columnInt(8);
    o.updated_at_ms = cs->columnInt(9);
    out.cancels.push_back(std::move(o));
  }); !each_ok) return each_ok.error();
  if (!bad.empty()) return badState(bad);
  return out;
}

Result<std::pair<std::string, std::string>> OrderBook::cursor(const std::string& channel) {
  std::lock_guard<std::mutex> lock(mu_);
  auto st = db_.prepare("SELECT updated_since, page_token FROM cursors WHERE channel = ?");
  if (!st) return st.error();
  st->bind(1, channel);
  auto r = st->step();
  if (!r) return r.error();
  if (!*r) return std::pair<std::string, std::string>{};
  return std::pair<std::string, std::string>{st->columnText(0), st->columnText(1)};
}

Status OrderBook::setCursor(const std::string& channel, const std::string& updated_since, const std::string& page_token) {
  std::lock_guard<std::mutex> lock(mu_);
  auto st = db_.prepare(
      "INSERT INTO cursors (channel, updated_since, page_token) VALUES (?, ?, ?)"
      " ON CONFLICT (channel) DO UPDATE SET updated_since = excluded.updated_since, page_token = excluded.page_token");
  if (!st) return st.error();
  st->bind(1, channel).bind(2, updated_since).bind(3, page_token);
  return st->run();
}

Result<uint64_t> OrderBook::scanned(const std::string& device) {
  std::lock_guard<std::mutex> lock(mu_);
  auto st = db_.prepare("SELECT seq FROM ledger_scan WHERE device = ?");
  if (!st) return st.error();
  st->bind(1, device);
  auto r = st->step();
  if (!r) return r.error();
  return *r ? static_cast<uint64_t>(st->columnInt(0)) : uint64_t{0};
}

Status OrderBook::setScanned(const std::string& device, uint64_t seq) {
  std::lock_guard<std::mutex> lock(mu_);
  auto st = db_.prepare(
      "INSERT INTO ledger_scan (device, seq) VALUES (?, ?) ON CONFLICT (device) DO UPDATE SET seq = MAX(seq, excluded.seq)");
  if (!st) return st.error();
  st->bind(1, device).bind(2, static_cast<int64_t>(seq));
  return st->run();
}

}  // namespace sw::coordinator
