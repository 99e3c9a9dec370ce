// Pick tasks: the tasks, task_lines and counters tables (see tasks.h).

#include "sw/coordinator/orders/tasks.h"

#include <set>

#include "book_store.h"
#include "sw/coordinator/orders/revenue_sources.h"

namespace sw::coordinator {

using common::Error;
using common::Result;
using common::SqlStmt;
using common::Status;
using nlohmann::json;

// Every task query: these columns, then its WHERE and ORDER (a macro, so each query is one literal).
#define SW_TASK_COLUMNS \
  "SELECT t.task_id, t.channel, t.order_id, t.location, t.status, t.ver, t.created_at_ms," \
  " COALESCE(o.order_name, '') FROM tasks t LEFT JOIN orders o ON o.channel = t.channel AND o.order_id = t.order_id "

Result<std::vector<PickTask>> TaskBook::open() {
  std::lock_guard<std::mutex> lock(store_.mu);
  auto st = store_.db->cached(SW_TASK_COLUMNS "WHERE t.status = 'open' ORDER BY t.ver");
  if (!st) return st.error();
  return readLocked(*st);
}

Result<std::optional<PickTask>> TaskBook::get(const std::string& task_id) {
  std::lock_guard<std::mutex> lock(store_.mu);
  return getLocked(task_id);
}

Result<std::map<std::string, int64_t>> TaskBook::createdSince(int64_t since_ms) {
  std::lock_guard<std::mutex> lock(store_.mu);
  auto st = store_.db->cached(
      "SELECT location, COUNT(*) FROM tasks WHERE created_at_ms >= ? AND status != 'cancelled' GROUP BY location");
  if (!st) return st.error();
  st->bind(1, since_ms);
  std::map<std::string, int64_t> out;
  for (;;) {
    auto r = st->step();
    if (!r) return r.error();
    if (!*r) break;
    out[st->columnText(0)] = st->columnInt(1);
  }
  st->reset();
  return out;
}

Result<std::map<std::string, std::string>> TaskBook::cancelledSince(int64_t since_ms) {
  std::lock_guard<std::mutex> lock(store_.mu);
  auto st = store_.db->cached("SELECT task_id, location FROM tasks WHERE created_at_ms >= ? AND status = 'cancelled'");
  if (!st) return st.error();
  st->bind(1, since_ms);
  std::map<std::string, std::string> out;
  if (auto each_ok = st->eachRow([&](const SqlStmt& row) { out[row.columnText(0)] = row.columnText(1); }); !each_ok) {
    return each_ok.error();
  }
  return out;
}

Result<int64_t> TaskBook::version(const std::string& location) {
  std::lock_guard<std::mutex> lock(store_.mu);
  auto st = store_.db->cached("SELECT COALESCE(MAX(ver), 0) FROM tasks WHERE location = ?");
  if (!st) return st.error();
  st->bind(1, location);
  auto r = st->step();
  if (!r) return r.error();
  return st->columnInt(0);
}

Result<std::vector<PickTask>> TaskBook::changedAfter(const std::string& location, int64_t after_ver, size_t limit) {
  std::lock_guard<std::mutex> lock(store_.mu);
  auto st = store_.db->cached(SW_TASK_COLUMNS "WHERE t.location = ? AND t.ver > ? ORDER BY t.ver LIMIT ?");
  if (!st) return st.error();
  st->bind(1, location).bind(2, after_ver).bind(3, static_cast<int64_t>(limit));
  return readLocked(*st);
}

Result<std::vector<PickTask>> TaskBook::openAt(const std::string& location, const std::string& after_task_id,
                                               size_t limit) {
  std::lock_guard<std::mutex> lock(store_.mu);
  auto st = store_.db->cached(SW_TASK_COLUMNS
                              "WHERE t.location = ? AND t.status = 'open' AND t.task_id > ? ORDER BY t.task_id LIMIT ?");
  if (!st) return st.error();
  st->bind(1, location).bind(2, after_task_id).bind(3, static_cast<int64_t>(limit));
  return readLocked(*st);
}

Result<std::optional<PickTask>> TaskBook::getLocked(const std::string& task_id) {
  auto st = store_.db->cached(SW_TASK_COLUMNS "WHERE t.task_id = ?");
  if (!st) return st.error();
  st->bind(1, task_id);
  auto tasks = readLocked(*st);
  if (!tasks) return tasks.error();
  if (tasks->empty()) return std::optional<PickTask>{};
  return std::optional<PickTask>(std::move(tasks->front()));
}

Result<std::vector<PickTask>> TaskBook::ofOrderLocked(const OrderRef& order) {
  auto st = store_.db->cached(SW_TASK_COLUMNS "WHERE t.channel = ? AND t.order_id = ? ORDER BY t.created_at_ms, t.ver");
  if (!st) return st.error();
  st->bind(1, order.channel).bind(2, order.order_id);
  return readLocked(*st);
}

Result<int64_t> TaskBook::nextVerLocked() {
  auto st = store_.db->cached("UPDATE counters SET value = value + 1 WHERE name = 'task_ver' RETURNING value");
  if (!st) return st.error();
  auto r = st->step();
  if (!r) return r.error();
  if (!*r) return Error::fatal("no_counter", "orders database lost its task_ver counter");
  return st->columnInt(0);
}

Status TaskBook::insertLocked(const PickTask& t) {
  auto st = store_.db->cached(
      "INSERT INTO tasks (task_id, channel, order_id, location, status, ver, created_at_ms, updated_at_ms)"
      " VALUES (?, ?, ?, ?, ?, ?, ?, ?)");
  if (!st) return st.error();
  auto ver = nextVerLocked();
  if (!ver) return ver.error();
  int64_t now = store_.clock.nowMs();
  st->bind(1, t.task_id).bind(2, t.channel).bind(3, t.order_id).bind(4, t.location).bind(5, toString(TaskStatus::kOpen))
      .bind(6, *ver).bind(7, now).bind(8, now);
  if (auto s = st->run(); !s) return s;
  auto ln = store_.db->cached(
      "INSERT INTO task_lines (task_id, n, line_id, sku, quantity, allocation_id) VALUES (?, ?, ?, ?, ?, ?)");
  if (!ln) return ln.error();
  int64_t n = 0;
  for (const TaskLine& l : t.lines) {
    ln->bind(1, t.task_id).bind(2, n++).bind(3, l.line_id).bind(4, l.sku).bind(5, l.quantity).bind(6, l.allocation_id);
    if (auto s = ln->run(); !s) return s;
  }
  return {};
}

Status TaskBook::shrinkLocked(const std::vector<TaskUnitsTaken>& taken, std::vector<std::string>* locations) {
  auto tl = store_.db->cached("UPDATE task_lines SET quantity = quantity - ? WHERE allocation_id = ?");
  if (!tl) return tl.error();
  std::set<std::string> touched;
  for (const TaskUnitsTaken& t : taken) {
    tl->bind(1, t.units).bind(2, t.allocation_id);
    if (auto s = tl->run(); !s) return s;
    touched.insert(t.task_id);
  }
  // A task that lost units is re-issued (new version) or, when nothing is left, cancelled.
  for (const std::string& id : touched) {
    if (auto s = store_.db->exec("DELETE FROM task_lines WHERE quantity <= 0"); !s) return s;
    auto left = store_.db->cached("SELECT COUNT(*) FROM task_lines WHERE task_id = ?");
    if (!left) return left.error();
    left->bind(1, id);
    auto r = left->step();
    if (!r) return r.error();
    bool empty = left->columnInt(0) == 0;
    left->reset();
    auto ver = nextVerLocked();
    if (!ver) return ver.error();
    auto ut = store_.db->cached(
        "UPDATE tasks SET ver = ?, updated_at_ms = ?, status = CASE WHEN ? THEN 'cancelled' ELSE status END"
        " WHERE task_id = ? AND status = 'open' RETURNING location");
    if (!ut) return ut.error();
    ut->bind(1, *ver).bind(2, store_.clock.nowMs()).bind(3, int64_t{empty ? 1 : 0}).bind(4, id);
    auto ur = ut->step();
    if (!ur) return ur.error();
    if (*ur) locations->push_back(ut->columnText(0));
  }
  return {};
}

Status TaskBook::cancelOpenLocked(const OrderRef& order, std::vector<std::string>* locations) {
  auto open = store_.db->cached("SELECT task_id, location FROM tasks WHERE channel = ? AND order_id = ? AND status = 'open'");
  if (!open) return open.error();
  open->bind(1, order.channel).bind(2, order.order_id);
  std::vector<std::pair<std::string, std::string>> tasks;
  if (auto each_ok = open->eachRow([&](const SqlStmt& row) { tasks.emplace_back(row.columnText(0), row.columnText(1)); });
      !each_ok) {
    return each_ok;
  }
  for (const auto& [id, loc] : tasks) {
    auto ver = nextVerLocked();
    if (!ver) return ver.error();
    auto ut = store_.db->cached("UPDATE tasks SET status = 'cancelled', ver = ?, updated_at_ms = ? WHERE task_id = ?");
    if (!ut) return ut.error();
    ut->bind(1, *ver).bind(2, store_.clock.nowMs()).bind(3, id);
    if (auto s = ut->run(); !s) return s;
    locations->push_back(loc);
  }
  return {};
}

Status TaskBook::doneLocked(const std::string& task_id) {
  auto ver = nextVerLocked();
  if (!ver) return ver.error();
  auto ut = store_.db->cached("UPDATE tasks SET status = 'done', ver = ?, updated_at_ms = ? WHERE task_id = ?");
  if (!ut) return ut.error();
  ut->bind(1, *ver).bind(2, store_.clock.nowMs()).bind(3, task_id);
  return ut->run();
}

Status TaskBook::cancelLocked(const std::string& task_id) {
  auto ver = nextVerLocked();
  if (!ver) return ver.error();
  auto ut = store_.db->cached(
      "UPDATE tasks SET status = 'cancelled', ver = ?, updated_at_ms = ? WHERE task_id = ? AND status = 'open'");
  if (!ut) return ut.error();
  ut->bind(1, *ver).bind(2, store_.clock.nowMs()).bind(3, task_id);
  return ut->run();
}

Status TaskBook::readLinesLocked(PickTask& t) {
  auto st = store_.db->cached("SELECT line_id, sku, quantity, allocation_id FROM task_lines WHERE task_id = ? ORDER BY n");
  if (!st) return st.error();
  st->bind(1, t.task_id);
  t.lines.clear();
  if (auto each_ok = st->eachRow([&](const SqlStmt& row) {
    t.lines.push_back({row.columnText(0), row.columnText(1), row.columnInt(2), row.columnInt(3)});
  }); !each_ok) return each_ok;
  st->reset();
  // The order's prices, from the order as taken in (orders.normalized).
  t.line_prices.clear();
  t.line_charges.clear();
  auto o = store_.db->cached("SELECT normalized FROM orders WHERE channel = ? AND order_id = ?");
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
    auto price = common::Decimal::parse(l["unit_price"].get<std::string>());
    if (!price) continue;  // the order was stored by channels::toJson, which writes prices this way
    std::string currency = l.contains("currency") && l["currency"].is_string() ? l["currency"].get<std::string>() : "";
    t.line_prices[l["line_id"].get<std::string>()] = {*price, currency};
    t.line_charges[l["line_id"].get<std::string>()] = orderLineCharges(l);
  }
  return {};
}

Result<std::vector<PickTask>> TaskBook::readLocked(SqlStmt& st) {
  std::vector<PickTask> out;
  std::string bad;
  if (auto each_ok = st.eachRow([&](const SqlStmt& row) {
    PickTask t;
    t.task_id = row.columnText(0);
    t.channel = row.columnText(1);
    t.order_id = row.columnText(2);
    t.location = row.columnText(3);
    t.status = stateColumn(row, 4, parseTaskStatus, "tasks.status", bad);
    t.ver = row.columnInt(5);
    t.created_at_ms = row.columnInt(6);
    t.order_name = row.columnText(7);
    out.push_back(std::move(t));
  }); !each_ok) return each_ok.error();
  if (!bad.empty()) return badState(bad);
  st.reset();
  for (PickTask& t : out) {
    if (auto s = readLinesLocked(t); !s) return s.error();
  }
  return out;
}

}  // namespace sw::coordinator
