// Holds: the allocations table and the held units in memory (see holds.h).

#include "sw/coordinator/orders/holds.h"

#include <algorithm>

#include "book_store.h"

namespace sw::coordinator {

using common::Error;
using common::Result;
using common::SqlStmt;
using common::Status;

namespace {

constexpr const char* kAllocationColumns = "SELECT id, line_id, sku, location, quantity, state, task_id FROM allocations ";

Result<std::vector<BookAllocation>> readAllocations(SqlStmt& st) {
  std::vector<BookAllocation> out;
  std::string bad;
  if (auto each_ok = st.eachRow([&](const SqlStmt& row) {
    out.push_back({row.columnInt(0), row.columnText(1), row.columnText(2), row.columnText(3), row.columnInt(4),
                   stateColumn(row, 5, parseAllocationState, "allocations.state", bad), row.columnText(6)});
  }); !each_ok) return each_ok.error();
  if (!bad.empty()) return badState(bad);
  return out;
}

}  // namespace

std::map<std::string, int64_t> Holds::reservedByLocation(const std::string& sku) {
  std::lock_guard<std::mutex> lock(store_.mu);
  auto it = held_.find(sku);
  return it == held_.end() ? std::map<std::string, int64_t>{} : it->second;
}

int64_t Holds::heldAt(const std::string& sku, const std::string& location) {
  std::lock_guard<std::mutex> lock(store_.mu);
  auto it = held_.find(sku);
  if (it == held_.end()) return 0;
  auto l = it->second.find(location);
  return l == it->second.end() ? 0 : l->second;
}

Result<std::vector<BookAllocation>> Holds::unrouted(int64_t limit) {
  std::lock_guard<std::mutex> lock(store_.mu);
  auto st = store_.db->cached(std::string(kAllocationColumns) + "WHERE state = 'reserved' AND location = '' ORDER BY id LIMIT ?");
  if (!st) return st.error();
  st->bind(1, limit);
  return readAllocations(*st);
}

Result<OrderRef> Holds::orderOf(int64_t allocation_id) {
  std::lock_guard<std::mutex> lock(store_.mu);
  auto st = store_.db->cached("SELECT channel, order_id FROM allocations WHERE id = ?");
  if (!st) return st.error();
  st->bind(1, allocation_id);
  auto r = st->step();
  if (!r) return r.error();
  if (!*r) return Error::reject("not_found", "no allocation " + std::to_string(allocation_id));
  return OrderRef{st->columnText(0), st->columnText(1)};
}

Status Holds::loadLocked() {
  auto st = store_.db->cached(
      "SELECT sku, location, SUM(quantity) FROM allocations WHERE state IN ('reserved', 'tasked') GROUP BY sku, location");
  if (!st) return st.error();
  held_.clear();
  return st->eachRow([&](const SqlStmt& row) { held_[row.columnText(0)][row.columnText(1)] = row.columnInt(2); });
}

Result<std::vector<BookAllocation>> Holds::ofOrderLocked(const OrderRef& order) {
  auto st = store_.db->cached(std::string(kAllocationColumns) + "WHERE channel = ? AND order_id = ? ORDER BY id");
  if (!st) return st.error();
  st->bind(1, order.channel).bind(2, order.order_id);
  return readAllocations(*st);
}

Result<int64_t> Holds::insertLocked(const OrderRef& order, const BookAllocation& a) {
  auto st = store_.db->cached(
      "INSERT INTO allocations (channel, order_id, line_id, sku, location, quantity, state, task_id, created_at_ms)"
      " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id");
  if (!st) return st.error();
  st->bind(1, order.channel).bind(2, order.order_id).bind(3, a.line_id).bind(4, a.sku).bind(5, a.location)
      .bind(6, a.quantity).bind(7, toString(a.state)).bind(8, a.task_id).bind(9, store_.clock.nowMs());
  int64_t id = 0;
  auto r = st->firstRow([&](const SqlStmt& row) { id = row.columnInt(0); });
  if (!r) return r.error();
  if (!*r) return Error::fatal("no_id", "order book: an allocation was inserted without an id");
  return id;
}

Status Holds::setLocked(int64_t id, int64_t quantity, AllocationState state) {
  auto st = store_.db->cached("UPDATE allocations SET quantity = ?, state = ? WHERE id = ?");
  if (!st) return st.error();
  st->bind(1, quantity).bind(2, toString(state)).bind(3, id);
  return st->run();
}

Result<Holds::Unrouted> Holds::unroutedLocked(int64_t id) {
  auto st = store_.db->cached(
      "SELECT channel, order_id, line_id, sku, quantity FROM allocations WHERE id = ? AND state = 'reserved' AND location = ''");
  if (!st) return st.error();
  st->bind(1, id);
  auto r = st->step();
  if (!r) return r.error();
  if (!*r) return Error::reject("not_unrouted", "allocation " + std::to_string(id) + " is not waiting for routing");
  return Unrouted{{st->columnText(0), st->columnText(1)}, st->columnText(2), st->columnText(3), st->columnInt(4)};
}

Status Holds::takeLocked(int64_t id, int64_t units, int64_t had) {
  auto st = units < had ? store_.db->cached("UPDATE allocations SET quantity = quantity - ?1 WHERE id = ?2")
                        : store_.db->cached("DELETE FROM allocations WHERE id = ?1");
  if (!st) return st.error();
  if (units < had) {
    st->bind(1, units).bind(2, id);
  } else {
    st->bind(1, id);
  }
  return st->run();
}

Result<std::vector<TaskUnitsTaken>> Holds::releaseLocked(const std::vector<BookAllocation>& allocs, int64_t quantity,
                                                         std::vector<std::string>* skus) {
  std::vector<TaskUnitsTaken> taken;
  // The released part of a lot split off keeps the lot's line, location and task.
  auto split = store_.db->cached(
      "INSERT INTO allocations (channel, order_id, line_id, sku, location, quantity, state, task_id, created_at_ms)"
      " SELECT channel, order_id, line_id, sku, location, ?, 'released', task_id, ? FROM allocations WHERE id = ?");
  if (!split) return split.error();
  for (const BookAllocation& a : allocs) {
    if (quantity <= 0) break;
    if (!isHeld(a.state)) continue;
    int64_t take = std::min(quantity, a.quantity);
    quantity -= take;
    if (take == a.quantity) {
      if (auto s = setLocked(a.id, a.quantity, AllocationState::kReleased); !s) return s.error();
    } else {
      if (auto s = setLocked(a.id, a.quantity - take, a.state); !s) return s.error();
      split->bind(1, take).bind(2, store_.clock.nowMs()).bind(3, a.id);
      if (auto s = split->run(); !s) return s.error();
    }
    stage(a.sku, a.location, -take);
    skus->push_back(a.sku);
    if (a.state == AllocationState::kTasked && !a.task_id.empty()) taken.push_back({a.id, a.task_id, take});
  }
  return taken;
}

void Holds::stage(const std::string& sku, const std::string& location, int64_t delta) {
  staged_.emplace_back(sku, location, delta);
}

void Holds::applyStaged() {
  for (const auto& [sku, location, delta] : staged_) {
    auto& m = held_[sku];
    m[location] += delta;
    if (m[location] == 0) m.erase(location);
    if (m.empty()) held_.erase(sku);
  }
  staged_.clear();
}

}  // namespace sw::coordinator
