// Fulfilments: the fulfilments table (see fulfilments.h).

#include "sw/coordinator/orders/fulfilments.h"

#include "book_store.h"

namespace sw::coordinator {

using common::Result;
using common::SqlStmt;
using common::Status;

Result<std::vector<Fulfilment>> FulfilmentBook::pending(int64_t limit) {
  std::lock_guard<std::mutex> lock(store_.mu);
  return queryLocked("WHERE status = 'pending' ORDER BY id LIMIT ?", [&](SqlStmt& st) { st.bind(1, limit); });
}

Result<std::vector<Fulfilment>> FulfilmentBook::failed(int64_t limit) {
  std::lock_guard<std::mutex> lock(store_.mu);
  return queryLocked("WHERE status = 'failed' ORDER BY id DESC LIMIT ?", [&](SqlStmt& st) { st.bind(1, limit); });
}

Status FulfilmentBook::reported(int64_t id, const std::string& channel_fulfilment_id) {
  std::lock_guard<std::mutex> lock(store_.mu);
  auto st = store_.db->cached(
      "UPDATE fulfilments SET status = 'reported', attempts = attempts + 1, channel_fulfilment_id = ?,"
      " reported_at_ms = ?, last_error = '' WHERE id = ?");
  if (!st) return st.error();
  st->bind(1, channel_fulfilment_id).bind(2, store_.clock.nowMs()).bind(3, id);
  return st->run();
}

Status FulfilmentBook::triedAndFailed(int64_t id, const std::string& error) {
  std::lock_guard<std::mutex> lock(store_.mu);
  auto st = store_.db->cached("UPDATE fulfilments SET attempts = attempts + 1, last_error = ? WHERE id = ?");
  if (!st) return st.error();
  st->bind(1, error).bind(2, id);
  return st->run();
}

Status FulfilmentBook::gaveUp(int64_t id, const std::string& error) {
  std::lock_guard<std::mutex> lock(store_.mu);
  auto st = store_.db->cached("UPDATE fulfilments SET status = 'failed', attempts = attempts + 1, last_error = ? WHERE id = ?");
  if (!st) return st.error();
  st->bind(1, error).bind(2, id);
  return st->run();
}

Result<bool> FulfilmentBook::retry(int64_t id) {
  std::lock_guard<std::mutex> lock(store_.mu);
  auto st = store_.db->cached("UPDATE fulfilments SET status = 'pending' WHERE id = ? AND status = 'failed'");
  if (!st) return st.error();
  st->bind(1, id);
  if (auto s = st->run(); !s) return s.error();
  return store_.db->changes() > 0;
}

Status FulfilmentBook::recordLocked(const PickTask& t, const std::vector<TaskLine>& shipped,
                                    const std::string& tracking) {
  auto f = store_.db->cached(
      "INSERT INTO fulfilments (channel, order_id, task_id, location, tracking, lines, status, created_at_ms)"
      " VALUES (?, ?, ?, ?, ?, ?, 'pending', ?)");
  if (!f) return f.error();
  f->bind(1, t.channel).bind(2, t.order_id).bind(3, t.task_id).bind(4, t.location).bind(5, tracking)
      .bind(6, taskLinesJson(shipped).dump()).bind(7, store_.clock.nowMs());
  return f->run();
}

Result<std::vector<Fulfilment>> FulfilmentBook::ofOrderLocked(const OrderRef& order) {
  return queryLocked("WHERE channel = ? AND order_id = ? ORDER BY id",
                     [&](SqlStmt& st) { st.bind(1, order.channel).bind(2, order.order_id); });
}

// One reader for every query of fulfilments.
Result<std::vector<Fulfilment>> FulfilmentBook::queryLocked(const char* where_order_limit,
                                                            const std::function<void(SqlStmt&)>& bind) {
  auto st = store_.db->cached(
      std::string("SELECT id, channel, order_id, task_id, location, tracking, lines, status, attempts, last_error,"
                  " channel_fulfilment_id, created_at_ms, reported_at_ms FROM fulfilments ") +
      where_order_limit);
  if (!st) return st.error();
  bind(*st);
  std::vector<Fulfilment> out;
  std::string bad;
  if (auto each_ok = st->eachRow([&](const SqlStmt& row) {
    Fulfilment f;
    f.id = row.columnInt(0);
    f.channel = row.columnText(1);
    f.order_id = row.columnText(2);
    f.task_id = row.columnText(3);
    f.location = row.columnText(4);
    f.tracking_number = row.columnText(5);
    f.lines = taskLinesFrom(row.columnText(6));
    f.status = stateColumn(row, 7, parseFulfilmentStatus, "fulfilments.status", bad);
    f.attempts = row.columnInt(8);
    f.last_error = row.columnText(9);
    f.channel_fulfilment_id = row.columnText(10);
    f.created_at_ms = row.columnInt(11);
    f.reported_at_ms = row.columnInt(12);
    out.push_back(std::move(f));
  }); !each_ok) return each_ok.error();
  if (!bad.empty()) return badState(bad);
  return out;
}

}  // namespace sw::coordinator
