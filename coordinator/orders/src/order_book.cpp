// The order book's orders, and the writes that span its parts (see order_book.h).

#include "sw/coordinator/orders/order_book.h"

#include <algorithm>
#include <set>

#include "book_store.h"
#include "sw/common/postgres.h"
#include "sw/common/uuid.h"

namespace sw::coordinator {

using common::Error;
using common::Result;
using common::SqlStmt;
using common::SqlTxn;
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
    // v3: the routing decision (routing.h toJson(RoutePlan)) and its re-routes
    "ALTER TABLE orders ADD COLUMN routing TEXT NOT NULL DEFAULT '';"
    "CREATE INDEX tasks_by_created ON tasks(created_at_ms);",
    // v4: the customer book (customers.h)
    "CREATE TABLE customers (id TEXT PRIMARY KEY, match_key TEXT NOT NULL UNIQUE, name TEXT NOT NULL DEFAULT '',"
    "  email TEXT NOT NULL DEFAULT '', phone TEXT NOT NULL DEFAULT '', created_at_ms INTEGER NOT NULL,"
    "  updated_at_ms INTEGER NOT NULL, erased_at_ms INTEGER NOT NULL DEFAULT 0, erased_why TEXT NOT NULL DEFAULT '');"
    "CREATE TABLE customer_orders (channel TEXT NOT NULL, order_id TEXT NOT NULL, customer_id TEXT NOT NULL,"
    "  buyer_id TEXT NOT NULL DEFAULT '', name TEXT NOT NULL DEFAULT '', email TEXT NOT NULL DEFAULT '',"
    "  phone TEXT NOT NULL DEFAULT '', address TEXT NOT NULL DEFAULT '', restricted INTEGER NOT NULL DEFAULT 0,"
    "  at_ms INTEGER NOT NULL, purged_at_ms INTEGER NOT NULL DEFAULT 0, PRIMARY KEY (channel, order_id));"
    "CREATE INDEX customer_orders_by_customer ON customer_orders(customer_id);",
};

// The same tables on PostgreSQL, step for step (the same version means the same tables): 64-bit
// integers, identity columns where SQLite has its rowid aliases, and a `rowid` identity column in
// orders and refunds, which the queries order by (SQLite's implicit rowid there).
const std::vector<std::string> kPgSchema = {
    // v1
    "CREATE TABLE orders (channel TEXT NOT NULL, order_id TEXT NOT NULL, order_name TEXT NOT NULL DEFAULT '',"
    "  status TEXT NOT NULL, channel_status TEXT NOT NULL DEFAULT '', reason TEXT NOT NULL DEFAULT '',"
    "  ship_to_country TEXT NOT NULL DEFAULT '', pickup_location TEXT NOT NULL DEFAULT '',"
    "  created_at_ms BIGINT NOT NULL, updated_at_ms BIGINT NOT NULL, normalized TEXT NOT NULL,"
    "  rowid BIGINT GENERATED ALWAYS AS IDENTITY, PRIMARY KEY (channel, order_id));"
    "CREATE INDEX orders_by_time ON orders(created_at_ms);"
    "CREATE TABLE order_lines (channel TEXT NOT NULL, order_id TEXT NOT NULL, line_id TEXT NOT NULL,"
    "  sku TEXT NOT NULL, quantity BIGINT NOT NULL, released BIGINT NOT NULL DEFAULT 0, n BIGINT NOT NULL,"
    "  PRIMARY KEY (channel, order_id, line_id));"
    "CREATE TABLE allocations (id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, channel TEXT NOT NULL,"
    "  order_id TEXT NOT NULL, line_id TEXT NOT NULL, sku TEXT NOT NULL, location TEXT NOT NULL,"
    "  quantity BIGINT NOT NULL, state TEXT NOT NULL, task_id TEXT NOT NULL DEFAULT '', created_at_ms BIGINT NOT NULL);"
    "CREATE INDEX allocations_by_order ON allocations(channel, order_id);"
    "CREATE INDEX allocations_by_state ON allocations(state, location);"
    "CREATE TABLE tasks (task_id TEXT PRIMARY KEY, channel TEXT NOT NULL, order_id TEXT NOT NULL,"
    "  location TEXT NOT NULL, status TEXT NOT NULL, ver BIGINT NOT NULL, created_at_ms BIGINT NOT NULL,"
    "  updated_at_ms BIGINT NOT NULL);"
    "CREATE INDEX tasks_by_location ON tasks(location, ver);"
    "CREATE INDEX tasks_by_order ON tasks(channel, order_id);"
    "CREATE TABLE task_lines (task_id TEXT NOT NULL, n BIGINT NOT NULL, line_id TEXT NOT NULL, sku TEXT NOT NULL,"
    "  quantity BIGINT NOT NULL, allocation_id BIGINT NOT NULL, PRIMARY KEY (task_id, n));"
    "CREATE TABLE fulfilments (id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, channel TEXT NOT NULL,"
    "  order_id TEXT NOT NULL, task_id TEXT NOT NULL, location TEXT NOT NULL, tracking TEXT NOT NULL,"
    "  lines TEXT NOT NULL, status TEXT NOT NULL, attempts BIGINT NOT NULL DEFAULT 0,"
    "  last_error TEXT NOT NULL DEFAULT '', channel_fulfilment_id TEXT NOT NULL DEFAULT '',"
    "  created_at_ms BIGINT NOT NULL, reported_at_ms BIGINT NOT NULL DEFAULT 0);"
    "CREATE INDEX fulfilments_by_order ON fulfilments(channel, order_id);"
    "CREATE TABLE deliveries (channel TEXT NOT NULL, delivery_id TEXT NOT NULL, at_ms BIGINT NOT NULL,"
    "  PRIMARY KEY (channel, delivery_id));"
    "CREATE TABLE cursors (channel TEXT PRIMARY KEY, updated_since TEXT NOT NULL, page_token TEXT NOT NULL);"
    "CREATE TABLE ledger_scan (device TEXT PRIMARY KEY, seq BIGINT NOT NULL);"
    "CREATE TABLE counters (name TEXT PRIMARY KEY, value BIGINT NOT NULL);"
    "INSERT INTO counters VALUES ('task_ver', 0);",
    // v2
    "CREATE TABLE refunds (channel TEXT NOT NULL, refund_id TEXT NOT NULL, line_id TEXT NOT NULL,"
    "  order_id TEXT NOT NULL, quantity BIGINT NOT NULL, released BIGINT NOT NULL, restocked BIGINT NOT NULL,"
    "  at_ms BIGINT NOT NULL, rowid BIGINT GENERATED ALWAYS AS IDENTITY, PRIMARY KEY (channel, refund_id, line_id));"
    "CREATE TABLE restocks (seq BIGINT PRIMARY KEY, event_id TEXT NOT NULL, channel TEXT NOT NULL,"
    "  order_id TEXT NOT NULL, refund_id TEXT NOT NULL, line_id TEXT NOT NULL, sku TEXT NOT NULL,"
    "  location TEXT NOT NULL, quantity BIGINT NOT NULL, state TEXT NOT NULL, created_at_ms BIGINT NOT NULL,"
    "  applied_at_ms BIGINT NOT NULL DEFAULT 0);"
    "CREATE INDEX restocks_by_order ON restocks(channel, order_id);"
    "ALTER TABLE orders ADD COLUMN channel_cancel TEXT NOT NULL DEFAULT '';"
    "ALTER TABLE orders ADD COLUMN channel_cancel_error TEXT NOT NULL DEFAULT '';"
    "ALTER TABLE orders ADD COLUMN channel_cancel_attempts BIGINT NOT NULL DEFAULT 0;"
    "CREATE INDEX orders_by_cancel ON orders(channel_cancel);"
    "CREATE INDEX fulfilments_by_status ON fulfilments(status);",
    // v3
    "ALTER TABLE orders ADD COLUMN routing TEXT NOT NULL DEFAULT '';"
    "CREATE INDEX tasks_by_created ON tasks(created_at_ms);",
    // v4
    "CREATE TABLE customers (id TEXT PRIMARY KEY, match_key TEXT NOT NULL UNIQUE, name TEXT NOT NULL DEFAULT '',"
    "  email TEXT NOT NULL DEFAULT '', phone TEXT NOT NULL DEFAULT '', created_at_ms BIGINT NOT NULL,"
    "  updated_at_ms BIGINT NOT NULL, erased_at_ms BIGINT NOT NULL DEFAULT 0, erased_why TEXT NOT NULL DEFAULT '');"
    "CREATE TABLE customer_orders (channel TEXT NOT NULL, order_id TEXT NOT NULL, customer_id TEXT NOT NULL,"
    "  buyer_id TEXT NOT NULL DEFAULT '', name TEXT NOT NULL DEFAULT '', email TEXT NOT NULL DEFAULT '',"
    "  phone TEXT NOT NULL DEFAULT '', address TEXT NOT NULL DEFAULT '', restricted BIGINT NOT NULL DEFAULT 0,"
    "  at_ms BIGINT NOT NULL, purged_at_ms BIGINT NOT NULL DEFAULT 0, PRIMARY KEY (channel, order_id));"
    "CREATE INDEX customer_orders_by_customer ON customer_orders(customer_id);",
};

}  // namespace

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

std::vector<std::string> sortedUnique(std::vector<std::string> v) {
  std::sort(v.begin(), v.end());
  v.erase(std::unique(v.begin(), v.end()), v.end());
  return v;
}

OrderBook::OrderBook(const common::Clock& clock)
    : store_(std::make_unique<BookStore>(clock)),
      holds_(std::make_unique<Holds>(*store_)),
      tasks_(std::make_unique<TaskBook>(*store_)),
      fulfilments_(std::make_unique<FulfilmentBook>(*store_)),
      progress_(std::make_unique<IntakeProgress>(*store_)),
      customers_(std::make_unique<CustomerBook>(*store_)) {}

OrderBook::~OrderBook() = default;

common::SchemaVersion OrderBook::schemaVersion() {
  // The same component name as its migrate() call.
  return {"orders", static_cast<int64_t>(kSchema.size())};
}

const std::vector<std::string>& OrderBook::schemaSteps() { return kSchema; }

Result<std::unique_ptr<OrderBook>> OrderBook::open(const std::string& path, const common::Clock& clock) {
  std::unique_ptr<OrderBook> book(new OrderBook(clock));
  if (auto s = book->init(path); !s) return s.error();
  return book;
}

Status OrderBook::init(const std::string& target) {
  std::lock_guard<std::mutex> lock(store_->mu);
  if (common::isPostgresUrl(target)) {
    auto db = common::PgDb::open({.url = target, .application_name = "stockwire-orders"});
    if (!db) return db.error();
    store_->db = std::move(*db);
  } else {
    auto db = common::SqliteSqlDb::open({.path = target});
    if (!db) return db.error();
    store_->db = std::move(*db);
  }
  const bool sqlite = store_->db->dialect() == common::SqlDialect::kSqlite;
  if (auto s = store_->db->migrate(sqlite ? common::SqliteSchema{"orders", kSchema, "user_version"}
                                          : common::SqliteSchema{"orders", kPgSchema, ""});
      !s) {
    return s;
  }
  return holds_->loadLocked();
}

void OrderBook::fenceWith(int64_t writer_lease_token) {
  std::lock_guard<std::mutex> lock(store_->mu);
  store_->writer_lease_token = writer_lease_token;
}

Status OrderBook::write(const std::function<Status()>& fn) {
  std::lock_guard<std::mutex> lock(store_->mu);
  holds_->dropStaged();
  auto txn = SqlTxn::begin(*store_->db);
  if (!txn) return txn.error();
  if (store_->writer_lease_token != 0) {
    auto st = store_->db->cached("SELECT token FROM writer_lease WHERE id = 1 FOR SHARE");
    if (!st) return st.error();
    int64_t token = 0;
    if (auto r = st->firstRow([&](const SqlStmt& row) { token = row.columnInt(0); }); !r) return r.error();
    if (token != store_->writer_lease_token) {
      return Error::fatal("lease_lost", "order book: the ledger's writer lease has passed to another coordinator "
                                        "(token " + std::to_string(token) + ", this one holds " +
                                        std::to_string(store_->writer_lease_token) + "): not written");
    }
  }
  Status s = fn();
  if (s) s = txn->commit();
  if (!s) {
    holds_->dropStaged();
    return s;
  }
  holds_->applyStaged();
  return {};
}

Result<BookChange> OrderBook::insertOrder(const NewOrder& in) {
  BookChange change;
  Status s = write([&]() -> Status {
    const BookOrder& o = in.order;
    const OrderRef ref{o.channel, o.order_id};
    int64_t now = store_->clock.nowMs();
    auto st = store_->db->cached(
        "INSERT INTO orders (channel, order_id, order_name, status, channel_status, reason, ship_to_country,"
        " pickup_location, created_at_ms, updated_at_ms, normalized, channel_cancel, routing)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
    if (!st) return st.error();
    st->bind(1, o.channel).bind(2, o.order_id).bind(3, o.order_name).bind(4, toString(o.status))
        .bind(5, o.channel_status).bind(6, o.reason).bind(7, o.ship_to_country).bind(8, o.pickup_location)
        .bind(9, now).bind(10, now).bind(11, o.normalized.dump()).bind(12, toString(o.channel_cancel))
        .bind(13, o.routing.is_null() ? std::string() : o.routing.dump());
    if (auto r = st->run(); !r) return r;
    auto ln = store_->db->cached(
        "INSERT INTO order_lines (channel, order_id, line_id, sku, quantity, released, n) VALUES (?, ?, ?, ?, ?, 0, ?)");
    if (!ln) return ln.error();
    int64_t n = 0;
    for (const BookLine& l : o.lines) {
      ln->bind(1, o.channel).bind(2, o.order_id).bind(3, l.line_id).bind(4, l.sku).bind(5, l.quantity).bind(6, n++);
      if (auto r = ln->run(); !r) return r;
    }
    std::vector<int64_t> ids;
    for (const BookAllocation& a : in.allocations) {
      if (!isHeld(a.state)) return Error::reject("bad_allocation", "a new order's allocations are reserved or tasked");
      auto id = holds_->insertLocked(ref, a);
      if (!id) return id.error();
      ids.push_back(*id);
      holds_->stage(a.sku, a.location, a.quantity);
      change.skus.push_back(a.sku);
    }
    for (PickTask t : in.tasks) {
      for (TaskLine& l : t.lines) {
        if (l.allocation_id < 0 || static_cast<size_t>(l.allocation_id) >= ids.size()) {
          return Error::reject("bad_task", "task line names no allocation");
        }
        l.allocation_id = ids[static_cast<size_t>(l.allocation_id)];
      }
      if (auto r = tasks_->insertLocked(t); !r) return r;
      change.locations.push_back(t.location);
    }
    return customers_->recordLocked(ref, in.customer, now);
  });
  if (!s) return s.error();
  change.skus = sortedUnique(std::move(change.skus));
  change.locations = sortedUnique(std::move(change.locations));
  return change;
}

namespace {
// The order's row without where its customer is: normalized.ship_to, and the ship_to point of
// its routing and of each re-route (the source, options and costs stay).
struct StrippedOrder {
  std::string normalized, routing;
};
StrippedOrder withoutShipTo(const std::string& normalized, const std::string& routing) {
  StrippedOrder out{normalized, routing};
  json n = json::parse(normalized, nullptr, false);
  if (n.is_object()) {
    n.erase("ship_to");
    out.normalized = n.dump();
  }
  if (!routing.empty()) {
    json r = json::parse(routing, nullptr, false);
    if (r.is_object()) {
      r.erase("ship_to");
      if (r.contains("reroutes") && r["reroutes"].is_array()) {
        for (json& x : r["reroutes"]) {
          if (x.is_object()) x.erase("ship_to");
        }
      }
      out.routing = r.dump();
    }
  }
  return out;
}
}  // namespace

Status OrderBook::erasePersonalLocked(const std::vector<OrderRef>& orders, int64_t now_ms, int64_t* erased) {
  auto get = store_->db->cached("SELECT normalized, routing FROM orders WHERE channel = ? AND order_id = ?");
  if (!get) return get.error();
  auto up = store_->db->cached("UPDATE orders SET normalized = ?, routing = ? WHERE channel = ? AND order_id = ?");
  if (!up) return up.error();
  for (const OrderRef& ref : orders) {
    get->bind(1, ref.channel).bind(2, ref.order_id);
    std::optional<StrippedOrder> row;
    auto r = get->firstRow([&](const SqlStmt& st) { row = withoutShipTo(st.columnText(0), st.columnText(1)); });
    if (!r) return r.error();
    bool changed = false;
    if (row) {
      up->bind(1, row->normalized).bind(2, row->routing).bind(3, ref.channel).bind(4, ref.order_id);
      if (auto w = up->run(); !w) return w;
      changed = true;
    }
    auto purged = customers_->purgeOrderLocked(ref, now_ms);
    if (!purged) return purged.error();
    if (changed || *purged) ++*erased;
  }
  return {};
}

Result<int64_t> OrderBook::eraseShipTo(int64_t before_ms, int64_t limit) {
  int64_t erased = 0;
  Status s = write([&]() -> Status {
    auto st = store_->db->cached(
        "SELECT channel, order_id FROM orders WHERE updated_at_ms < ?"
        " AND status IN ('shipped', 'cancelled', 'rejected_no_stock')"
        " AND (normalized LIKE '%\"ship_to\":{%' OR routing LIKE '%\"ship_to\":[%'"
        "      OR EXISTS (SELECT 1 FROM customer_orders c WHERE c.channel = orders.channel"
        "                 AND c.order_id = orders.order_id AND c.purged_at_ms = 0)) LIMIT ?");
    if (!st) return st.error();
    st->bind(1, before_ms).bind(2, limit);
    std::vector<OrderRef> rows;
    if (auto r = st->eachRow([&](const SqlStmt& row) { rows.push_back({row.columnText(0), row.columnText(1)}); }); !r) {
      return r;
    }
    const int64_t now = store_->clock.nowMs();
    if (auto r = erasePersonalLocked(rows, now, &erased); !r) return r;
    auto retired = customers_->retireEmptiedLocked(now);
    if (!retired) return retired.error();
    return {};
  });
  if (!s) return s.error();
  return erased;
}

Result<Erasure> OrderBook::eraseCustomer(const std::string& customer_id) {
  Erasure out;
  out.customer_id = customer_id;
  bool known = false;
  Status s = write([&]() -> Status {
    auto c = customers_->byIdLocked(customer_id);
    if (!c) return c.error();
    if (!*c) return {};
    known = true;
    out.already_erased = (*c)->erased_at_ms != 0;
    std::vector<OrderRef> refs;
    for (const CustomerOrder& o : (*c)->orders) refs.push_back({o.channel, o.order_id});
    const int64_t now = store_->clock.nowMs();
    if (auto r = erasePersonalLocked(refs, now, &out.orders); !r) return r;
    return customers_->tombstoneLocked(customer_id, "request", now);
  });
  if (!s) return s.error();
  if (!known) return Error::reject("not_found", "no customer " + customer_id.substr(0, 64));
  return out;
}

Status OrderBook::recordReroute(const std::string& channel, const std::string& order_id, const json& plan) {
  return write([&]() -> Status { return appendRerouteLocked({channel, order_id}, plan); });
}

Status OrderBook::appendRerouteLocked(const OrderRef& order, const json& plan) {
  auto st = store_->db->cached("SELECT routing FROM orders WHERE channel = ? AND order_id = ?");
  if (!st) return st.error();
  st->bind(1, order.channel).bind(2, order.order_id);
  auto r = st->step();
  if (!r) return r.error();
  if (!*r) return Error::reject("not_found", "no such order");
  json routing = st->columnText(0).empty() ? json::object() : json::parse(st->columnText(0), nullptr, false);
  st->reset();
  if (!routing.is_object()) routing = json::object();
  json& reroutes = routing["reroutes"];
  if (!reroutes.is_array()) reroutes = json::array();
  reroutes.push_back(plan);
  while (reroutes.size() > kMaxReroutesKept) reroutes.erase(reroutes.begin());
  auto up = store_->db->cached("UPDATE orders SET routing = ? WHERE channel = ? AND order_id = ?");
  if (!up) return up.error();
  up->bind(1, routing.dump()).bind(2, order.channel).bind(3, order.order_id);
  return up->run();
}

Result<BookChange> OrderBook::withdrawTask(const std::string& task_id, const std::vector<TaskMove>& moves,
                                           const json& reroute) {
  BookChange change;
  Status s = write([&]() -> Status {
    auto found = tasks_->getLocked(task_id);
    if (!found) return found.error();
    if (!*found) return Error::reject("not_found", "no task " + task_id);
    const PickTask& t = **found;
    if (t.status != TaskStatus::kOpen) return Error::reject("not_open", "task " + task_id + " is no longer open");
    const OrderRef ref{t.channel, t.order_id};
    // Every unit of every line placed, nowhere back at the task's own location.
    std::map<std::string, int64_t> placed;
    for (const TaskMove& m : moves) {
      if (m.quantity <= 0 || m.location.empty() || m.location == t.location) {
        return Error::reject("bad_moves", "a move of task " + task_id + " goes nowhere");
      }
      placed[m.line_id] += m.quantity;
    }
    std::map<std::string, const TaskLine*> line_of;
    for (const TaskLine& l : t.lines) {
      line_of[l.line_id] = &l;
      if (placed[l.line_id] != l.quantity) {
        return Error::reject("bad_moves", "the moves of task " + task_id + " do not place line " + l.line_id + " whole");
      }
    }
    if (placed.size() != line_of.size()) return Error::reject("bad_moves", "a move names a line the task does not have");
    auto allocs = holds_->ofOrderLocked(ref);
    if (!allocs) return allocs.error();
    for (const TaskLine& l : t.lines) {
      auto a = std::find_if(allocs->begin(), allocs->end(), [&](const BookAllocation& x) { return x.id == l.allocation_id; });
      if (a == allocs->end() || a->state != AllocationState::kTasked || a->quantity != l.quantity) {
        return Error::fatal("task_holds", "task " + task_id + " line " + l.line_id + " does not match its allocation");
      }
      if (auto r = holds_->takeLocked(l.allocation_id, l.quantity, l.quantity); !r) return r;
      holds_->stage(l.sku, t.location, -l.quantity);
      change.skus.push_back(l.sku);
    }
    if (auto r = tasks_->cancelLocked(task_id); !r) return r;
    change.locations.push_back(t.location);
    // One new task per location, its lines in the order the moves name them.
    std::map<std::string, PickTask> to;
    std::vector<std::string> order_of;
    for (const TaskMove& m : moves) {
      const TaskLine& l = *line_of[m.line_id];
      auto [it, fresh] = to.try_emplace(m.location);
      PickTask& nt = it->second;
      if (fresh) {
        nt.task_id = common::newUuid();
        nt.channel = t.channel;
        nt.order_id = t.order_id;
        nt.location = m.location;
        order_of.push_back(m.location);
      }
      auto id = holds_->insertLocked(ref, {0, l.line_id, l.sku, m.location, m.quantity, AllocationState::kTasked, nt.task_id});
      if (!id) return id.error();
      nt.lines.push_back({l.line_id, l.sku, m.quantity, *id});
      holds_->stage(l.sku, m.location, m.quantity);
    }
    json entry = reroute;
    json new_tasks = json::array();
    for (const std::string& loc : order_of) {
      if (auto r = tasks_->insertLocked(to[loc]); !r) return r;
      new_tasks.push_back({{"location", loc}, {"task_id", to[loc].task_id}});
      change.locations.push_back(loc);
    }
    entry["new_tasks"] = new_tasks;
    if (auto r = appendRerouteLocked(ref, entry); !r) return r;
    return updateOrderStatusLocked(ref);
  });
  if (!s) return s.error();
  change.skus = sortedUnique(std::move(change.skus));
  change.locations = sortedUnique(std::move(change.locations));
  return change;
}

Result<int64_t> OrderBook::restockLatePick(const std::string& task_id, const std::map<std::string, int64_t>& picked) {
  int64_t units = 0;
  Status s = write([&]() -> Status {
    auto found = tasks_->getLocked(task_id);
    if (!found) return found.error();
    if (!*found) return Error::reject("not_found", "no task " + task_id);
    const PickTask& t = **found;
    if (t.status != TaskStatus::kCancelled) return {};
    const std::string ref = std::string(kLatePickRef) + task_id;
    auto seen = store_->db->cached("SELECT COUNT(*) FROM restocks WHERE channel = ? AND order_id = ? AND refund_id = ?");
    if (!seen) return seen.error();
    seen->bind(1, t.channel).bind(2, t.order_id).bind(3, ref);
    int64_t before = 0;
    if (auto r = seen->firstRow([&](const SqlStmt& row) { before = row.columnInt(0); }); !r) return r.error();
    if (before > 0) return {};
    auto ins = store_->db->cached(
        "INSERT INTO restocks (seq, event_id, channel, order_id, refund_id, line_id, sku, location, quantity, state,"
        " created_at_ms) SELECT COALESCE(MAX(seq), 0) + 1, ?, ?, ?, ?, ?, ?, ?, ?, 'pending', ? FROM restocks");
    if (!ins) return ins.error();
    for (const auto& [sku, qty] : picked) {
      if (qty <= 0) continue;
      std::string line_id;
      for (const TaskLine& l : t.lines) {
        if (l.sku == sku) line_id = l.line_id;
      }
      ins->bind(1, common::newUuid()).bind(2, t.channel).bind(3, t.order_id).bind(4, ref).bind(5, line_id)
          .bind(6, sku).bind(7, t.location).bind(8, qty).bind(9, store_->clock.nowMs());
      if (auto r = ins->run(); !r) return r;
      units += qty;
    }
    return {};
  });
  if (!s) return s.error();
  return units;
}

Result<std::optional<BookOrder>> OrderBook::order(const std::string& channel, const std::string& order_id) {
  std::lock_guard<std::mutex> lock(store_->mu);
  return orderLocked({channel, order_id});
}

Result<std::optional<BookOrder>> OrderBook::orderLocked(const OrderRef& ref) {
  auto st = store_->db->cached(
      "SELECT order_name, status, channel_status, reason, ship_to_country, pickup_location, created_at_ms,"
      " updated_at_ms, normalized, channel_cancel, channel_cancel_error, channel_cancel_attempts, routing"
      " FROM orders WHERE channel = ? AND order_id = ?");
  if (!st) return st.error();
  st->bind(1, ref.channel).bind(2, ref.order_id);
  auto r = st->step();
  if (!r) return r.error();
  if (!*r) return std::optional<BookOrder>{};
  std::string bad;
  BookOrder o;
  o.channel = ref.channel;
  o.order_id = ref.order_id;
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
  if (std::string routing = st->columnText(12); !routing.empty()) {
    o.routing = json::parse(routing, nullptr, false);
    if (o.routing.is_discarded()) o.routing = nullptr;
  }
  st->reset();
  if (!bad.empty()) return badState(bad);
  if (auto s = readRefundsLocked(o); !s) return s.error();
  auto ln = store_->db->cached(
      "SELECT line_id, sku, quantity, released FROM order_lines WHERE channel = ? AND order_id = ? ORDER BY n");
  if (!ln) return ln.error();
  ln->bind(1, ref.channel).bind(2, ref.order_id);
  if (auto each_ok = ln->eachRow([&](const SqlStmt& row) {
    o.lines.push_back({row.columnText(0), row.columnText(1), row.columnInt(2), row.columnInt(3)});
  }); !each_ok) return each_ok.error();
  auto allocs = holds_->ofOrderLocked(ref);
  if (!allocs) return allocs.error();
  o.allocations = std::move(*allocs);
  auto tasks = tasks_->ofOrderLocked(ref);
  if (!tasks) return tasks.error();
  o.tasks = std::move(*tasks);
  auto fulfilments = fulfilments_->ofOrderLocked(ref);
  if (!fulfilments) return fulfilments.error();
  o.fulfilments = std::move(*fulfilments);
  return std::optional<BookOrder>(std::move(o));
}

Result<std::vector<BookOrder>> OrderBook::orders(std::optional<OrderState> status, int64_t limit) {
  const std::string word = status ? toString(*status) : "";
  return ordersOf(
      "SELECT channel, order_id FROM orders WHERE ? = '' OR status = ? ORDER BY created_at_ms DESC, rowid DESC LIMIT ?",
      [&](SqlStmt& st) { st.bind(1, word).bind(2, word).bind(3, limit); });
}

Result<std::vector<BookOrder>> OrderBook::ordersOf(const char* keys_sql, const std::function<void(SqlStmt&)>& bind) {
  std::vector<OrderRef> keys;
  {
    std::lock_guard<std::mutex> lock(store_->mu);
    auto st = store_->db->cached(keys_sql);
    if (!st) return st.error();
    bind(*st);
    if (auto each_ok = st->eachRow([&](const SqlStmt& row) { keys.push_back({row.columnText(0), row.columnText(1)}); });
        !each_ok) {
      return each_ok.error();
    }
  }
  // Each order is read on its own (order() takes the lock again): lines, allocations, tasks, ...
  std::vector<BookOrder> out;
  for (const OrderRef& k : keys) {
    auto o = order(k.channel, k.order_id);
    if (!o) return o.error();
    if (*o) out.push_back(std::move(**o));
  }
  return out;
}

Status OrderBook::updateOrderStatusLocked(const OrderRef& order) {
  auto st = store_->db->cached(
      "UPDATE orders SET updated_at_ms = ?1, status = CASE"
      "  WHEN status IN ('rejected_no_stock', 'cancelled') THEN status"
      "  WHEN shipped > 0 AND held > 0 THEN 'partially_shipped'"
      "  WHEN shipped > 0 THEN 'shipped'"
      "  ELSE 'accepted' END"
      " FROM (SELECT COALESCE(SUM(CASE WHEN state = 'shipped' THEN quantity END), 0) AS shipped,"
      "              COALESCE(SUM(CASE WHEN state IN ('reserved', 'tasked') THEN quantity END), 0) AS held"
      "       FROM allocations WHERE channel = ?2 AND order_id = ?3) AS held_units"
      " WHERE channel = ?2 AND order_id = ?3");
  if (!st) return st.error();
  st->bind(1, store_->clock.nowMs()).bind(2, order.channel).bind(3, order.order_id);
  return st->run();
}

Result<BookChange> OrderBook::releaseLocked(const std::vector<BookAllocation>& allocs, int64_t quantity) {
  BookChange change;
  auto taken = holds_->releaseLocked(allocs, quantity, &change.skus);
  if (!taken) return taken.error();
  if (auto s = tasks_->shrinkLocked(*taken, &change.locations); !s) return s.error();
  change.skus = sortedUnique(std::move(change.skus));
  change.locations = sortedUnique(std::move(change.locations));
  return change;
}

Result<BookChange> OrderBook::cancelOrder(const std::string& channel, const std::string& order_id,
                                          const std::string& channel_status) {
  BookChange change;
  Status s = write([&]() -> Status {
    const OrderRef ref{channel, order_id};
    auto allocs = holds_->ofOrderLocked(ref);
    if (!allocs) return allocs.error();
    int64_t all = 0;
    for (const BookAllocation& a : *allocs) {
      if (isHeld(a.state)) all += a.quantity;
    }
    auto released = releaseLocked(*allocs, all);
    if (!released) return released.error();
    change = std::move(*released);
    // Tasks still open (all their units were released above, so none should be) are cancelled too.
    if (auto c = tasks_->cancelOpenLocked(ref, &change.locations); !c) return c;
    auto st = store_->db->cached(
        "UPDATE orders SET status = 'cancelled', channel_status = ?, updated_at_ms = ? WHERE channel = ? AND order_id = ?");
    if (!st) return st.error();
    st->bind(1, channel_status).bind(2, store_->clock.nowMs()).bind(3, channel).bind(4, order_id);
    return st->run();
  });
  if (!s) return s.error();
  return change;
}

Result<BookChange> OrderBook::releaseLine(const std::string& channel, const std::string& order_id,
                                          const std::string& line_id, int64_t quantity) {
  BookChange change;
  Status s = write([&]() -> Status {
    const OrderRef ref{channel, order_id};
    auto allocs = holds_->ofOrderLocked(ref);
    if (!allocs) return allocs.error();
    std::vector<BookAllocation> line;
    for (const BookAllocation& a : *allocs) {
      if (a.line_id == line_id && isHeld(a.state)) line.push_back(a);
    }
    // Unrouted units first, then routed but not yet on a task, then those on a task.
    auto rank = [](const BookAllocation& a) { return a.location.empty() ? 0 : a.state == AllocationState::kReserved ? 1 : 2; };
    std::stable_sort(line.begin(), line.end(), [&](const auto& x, const auto& y) { return rank(x) < rank(y); });
    auto released = releaseLocked(line, quantity);
    if (!released) return released.error();
    change = std::move(*released);
    auto ul = store_->db->cached(
        "UPDATE order_lines SET released = released + ? WHERE channel = ? AND order_id = ? AND line_id = ?");
    if (!ul) return ul.error();
    ul->bind(1, quantity).bind(2, channel).bind(3, order_id).bind(4, line_id);
    if (auto r = ul->run(); !r) return r;
    return updateOrderStatusLocked(ref);
  });
  if (!s) return s.error();
  return change;
}

Result<BookChange> OrderBook::routeAllocation(int64_t allocation_id, const std::string& location, int64_t quantity,
                                              const std::string& task_id) {
  BookChange change;
  Status s = write([&]() -> Status {
    auto a = holds_->unroutedLocked(allocation_id);
    if (!a) return a.error();
    if (quantity <= 0 || quantity > a->quantity) {
      return Error::reject("bad_quantity", "cannot route more than the allocation holds");
    }
    if (auto r = holds_->takeLocked(allocation_id, quantity, a->quantity); !r) return r;
    auto id = holds_->insertLocked(a->order, {0, a->line_id, a->sku, location, quantity, AllocationState::kTasked, task_id});
    if (!id) return id.error();
    PickTask t;
    t.task_id = task_id;
    t.channel = a->order.channel;
    t.order_id = a->order.order_id;
    t.location = location;
    t.lines.push_back({a->line_id, a->sku, quantity, *id});
    if (auto r = tasks_->insertLocked(t); !r) return r;
    holds_->stage(a->sku, "", -quantity);
    holds_->stage(a->sku, location, quantity);
    change = BookChange{{a->sku}, {location}};
    return {};
  });
  if (!s) return s.error();
  return change;
}

Result<BookChange> OrderBook::completeTask(const std::string& task_id, const std::map<std::string, int64_t>& picked,
                                           const std::string& tracking_number) {
  BookChange change;
  Status s = write([&]() -> Status {
    auto found = tasks_->getLocked(task_id);
    if (!found) return found.error();
    if (!*found) return Error::reject("not_found", "no task " + task_id);
    const PickTask& t = **found;
    if (t.status != TaskStatus::kOpen) return {};
    const OrderRef ref{t.channel, t.order_id};
    std::map<std::string, int64_t> left = picked;
    std::vector<TaskLine> shipped;
    for (const TaskLine& l : t.lines) {
      int64_t& avail = left[l.sku];
      int64_t p = std::clamp<int64_t>(avail, 0, l.quantity);
      avail -= p;
      int64_t short_units = l.quantity - p;
      change.skus.push_back(l.sku);
      holds_->stage(l.sku, t.location, -l.quantity);
      if (p > 0) {
        if (auto r = holds_->setLocked(l.allocation_id, p, AllocationState::kShipped); !r) return r;
        shipped.push_back({l.line_id, l.sku, p, l.allocation_id});
        if (short_units > 0) {
          auto id = holds_->insertLocked(ref, {0, l.line_id, l.sku, t.location, short_units, AllocationState::kShort, t.task_id});
          if (!id) return id.error();
        }
      } else {
        if (auto r = holds_->setLocked(l.allocation_id, l.quantity, AllocationState::kShort); !r) return r;
      }
      if (short_units > 0) {
        // The units are still owed to the buyer: held again, unrouted, for the router to place elsewhere.
        auto id = holds_->insertLocked(ref, {0, l.line_id, l.sku, "", short_units, AllocationState::kReserved, ""});
        if (!id) return id.error();
        holds_->stage(l.sku, "", short_units);
      }
    }
    if (auto r = tasks_->doneLocked(task_id); !r) return r;
    if (!shipped.empty()) {
      if (auto r = fulfilments_->recordLocked(t, shipped, tracking_number); !r) return r;
    }
    change.locations.push_back(t.location);
    return updateOrderStatusLocked(ref);
  });
  if (!s) return s.error();
  change.skus = sortedUnique(std::move(change.skus));
  return change;
}

Result<std::vector<BookOrder>> OrderBook::ordersToCancel(int64_t limit) {
  return ordersOf("SELECT channel, order_id FROM orders WHERE channel_cancel = 'pending' ORDER BY created_at_ms LIMIT ?",
                  [&](SqlStmt& st) { st.bind(1, limit); });
}

Status OrderBook::setChannelCancel(const std::string& channel, const std::string& order_id, ChannelCancel state,
                                   const std::string& error) {
  std::lock_guard<std::mutex> lock(store_->mu);
  auto st = store_->db->cached(
      "UPDATE orders SET channel_cancel = ?, channel_cancel_error = ?, channel_cancel_attempts = channel_cancel_attempts + 1,"
      " updated_at_ms = ? WHERE channel = ? AND order_id = ?");
  if (!st) return st.error();
  st->bind(1, toString(state)).bind(2, error).bind(3, store_->clock.nowMs()).bind(4, channel).bind(5, order_id);
  return st->run();
}

Result<std::map<OrderState, int64_t>> OrderBook::countByState() {
  std::lock_guard<std::mutex> lock(store_->mu);
  auto st = store_->db->cached("SELECT status, COUNT(*) FROM orders GROUP BY status");
  if (!st) return st.error();
  std::map<OrderState, int64_t> out;
  std::string bad;
  if (auto each_ok = st->eachRow([&](const SqlStmt& row) {
    out[stateColumn(row, 0, parseOrderState, "orders.status", bad)] += row.columnInt(1);
  }); !each_ok) return each_ok.error();
  if (!bad.empty()) return badState(bad);
  return out;
}

Result<OrderBook::KpiFigures> OrderBook::kpiFigures(int64_t after_ms, int64_t until_ms, const std::string& location) {
  std::lock_guard<std::mutex> lock(store_->mu);
  auto rt = common::SqlReadTxn::begin(*store_->db);  // the three reads see one snapshot
  if (!rt) return rt.error();
  KpiFigures out;
  auto acc = store_->db->cached(
      "SELECT COUNT(*), COALESCE(SUM(complete), 0) FROM (SELECT CASE WHEN"
      "  NOT EXISTS (SELECT 1 FROM fulfilments f WHERE f.channel = o.channel AND f.order_id = o.order_id"
      "              AND f.status <> 'reported')"
      "  AND NOT EXISTS (SELECT 1 FROM order_lines l WHERE l.channel = o.channel AND l.order_id = o.order_id"
      "                  AND l.sku <> '' AND l.quantity - l.released >"
      "                  (SELECT COALESCE(SUM(a.quantity), 0) FROM allocations a WHERE a.channel = l.channel"
      "                   AND a.order_id = l.order_id AND a.line_id = l.line_id AND a.state = 'shipped'))"
      "  AND NOT EXISTS (SELECT 1 FROM fulfilments f WHERE f.channel = o.channel AND f.order_id = o.order_id"
      "                  AND f.created_at_ms > o.created_at_ms + ?) THEN 1 ELSE 0 END AS complete"
      " FROM orders o WHERE o.status = 'shipped' AND NOT EXISTS (SELECT 1 FROM fulfilments f"
      "  WHERE f.channel = o.channel AND f.order_id = o.order_id AND f.status = 'pending')"
      "  AND (SELECT MAX(f.created_at_ms) FROM fulfilments f WHERE f.channel = o.channel AND f.order_id = o.order_id)"
      "      > ? AND (SELECT MAX(f.created_at_ms) FROM fulfilments f WHERE f.channel = o.channel"
      "                AND f.order_id = o.order_id) <= ?"
      "  AND (CAST(? AS TEXT) = '' OR EXISTS (SELECT 1 FROM fulfilments f WHERE f.channel = o.channel"
      "       AND f.order_id = o.order_id AND f.location = ?))) AS settled");
  if (!acc) return acc.error();
  acc->bind(1, kShipOnTimeMs).bind(2, after_ms).bind(3, until_ms).bind(4, location).bind(5, location);
  if (auto r = acc->firstRow([&](const SqlStmt& row) {
        out.shipped_settled = row.columnInt(0);
        out.shipped_complete = row.columnInt(1);
      }); !r) {
    return r.error();
  }
  auto ref = store_->db->cached(
      "SELECT COALESCE(SUM(CASE WHEN quantity > released THEN quantity - released ELSE 0 END), 0) FROM refunds WHERE at_ms > ? AND at_ms <= ?");
  if (!ref) return ref.error();
  ref->bind(1, after_ms).bind(2, until_ms);
  if (auto r = ref->firstRow([&](const SqlStmt& row) { out.refunded_shipped_units = row.columnInt(0); }); !r) {
    return r.error();
  }
  auto units = store_->db->cached(
      "SELECT o.channel, COALESCE(SUM(l.quantity), 0) FROM orders o JOIN order_lines l"
      " ON l.channel = o.channel AND l.order_id = o.order_id"
      " WHERE o.created_at_ms > ? AND o.created_at_ms <= ? AND o.status <> 'rejected_no_stock' GROUP BY o.channel");
  if (!units) return units.error();
  units->bind(1, after_ms).bind(2, until_ms);
  if (auto s = units->eachRow([&](const SqlStmt& row) {
        out.ordered_units_by_channel[row.columnText(0)] = row.columnInt(1);
      }); !s) {
    return s.error();
  }
  return out;
}

Result<OrderBook::Attention> OrderBook::attention(int64_t limit) {
  Attention out;
  auto failed = fulfilments_->failed(limit);
  if (!failed) return failed.error();
  out.failed_fulfilments = std::move(*failed);
  std::lock_guard<std::mutex> lock(store_->mu);
  auto cs = store_->db->cached(
      "SELECT channel, order_id, order_name, status, reason, channel_cancel, channel_cancel_error,"
      " channel_cancel_attempts, created_at_ms, updated_at_ms FROM orders WHERE channel_cancel IN ('manual', 'failed')"
      " ORDER BY updated_at_ms DESC LIMIT ?");
  if (!cs) return cs.error();
  cs->bind(1, limit);
  std::string bad;
  if (auto each_ok = cs->eachRow([&](const SqlStmt& row) {
    BookOrder o;
    o.channel = row.columnText(0);
    o.order_id = row.columnText(1);
    o.order_name = row.columnText(2);
    o.status = stateColumn(row, 3, parseOrderState, "orders.status", bad);
    o.reason = row.columnText(4);
    o.channel_cancel = stateColumn(row, 5, parseChannelCancel, "orders.channel_cancel", bad);
    o.channel_cancel_error = row.columnText(6);
    o.channel_cancel_attempts = row.columnInt(7);
    o.created_at_ms = row.columnInt(8);
    o.updated_at_ms = row.columnInt(9);
    out.cancels.push_back(std::move(o));
  }); !each_ok) return each_ok.error();
  if (!bad.empty()) return badState(bad);
  return out;
}

}  // namespace sw::coordinator
