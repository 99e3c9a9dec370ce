#pragma once
// Pick tasks: one per (order, location), the lines to pick and the allocations they hold
// (tables `tasks`, `task_lines`). Status open -> done | cancelled (TaskStatus, states.h); every
// change gives the task a new `ver` from one global counter, which is the downlink version of the
// task's location (kind "tasks", pick_tasks.h).
//
// The reads below lock the order book; the writes are made by OrderBook inside its transactions.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "sw/common/decimal.h"
#include "sw/common/result.h"
#include "sw/common/sql.h"
#include "sw/coordinator/orders/book_change.h"
#include "sw/coordinator/orders/states.h"

namespace sw::coordinator {

struct TaskLine {
  std::string line_id;
  std::string sku;
  int64_t quantity = 0;
  int64_t allocation_id = 0;
};

// An order line's tax and discounts as the channel gave them for the whole line (all `quantity`
// units; revenue_sources.h shares them out over the units picked or refunded), in the line's
// price currency. Absent from the order as taken in: 0.
struct LineCharges {
  common::Decimal tax;
  common::Decimal discount;
  int64_t quantity = 0;
  bool operator==(const LineCharges&) const = default;
};

struct PickTask {
  std::string task_id;  // a UUID: the agent's pick events carry it as their ref
  std::string channel;
  std::string order_id;
  std::string order_name;
  std::string location;
  TaskStatus status = TaskStatus::kOpen;
  int64_t ver = 0;
  int64_t created_at_ms = 0;
  std::vector<TaskLine> lines;
  // line_id -> the order line's unit price and currency as the channel gave them: the pick sells
  // at the order's price, so online revenue is in the ledger.
  std::map<std::string, common::Money> line_prices;
  // line_id -> that order line's tax and discounts (the lines that have a price).
  std::map<std::string, LineCharges> line_charges;
};

class TaskBook {
 public:
  explicit TaskBook(BookStore& store) : store_(store) {}
  TaskBook(const TaskBook&) = delete;
  TaskBook& operator=(const TaskBook&) = delete;

  common::Result<std::vector<PickTask>> open();
  // Per location, the tasks (parcels to pick) created at or after since_ms and not cancelled: what
  // the location's daily capacity has used (routing.h).
  common::Result<std::map<std::string, int64_t>> createdSince(int64_t since_ms);
  common::Result<std::optional<PickTask>> get(const std::string& task_id);
  // Tasks created at or after since_ms that are cancelled (withdrawn from an offline location, or
  // their order cancelled): task id -> location. A pick for one may still come back from a device
  // that picked it offline (OrderService puts its units back on the shelf).
  common::Result<std::map<std::string, std::string>> cancelledSince(int64_t since_ms);
  // Downlink (kind "tasks"): versions and pages per location.
  common::Result<int64_t> version(const std::string& location);
  common::Result<std::vector<PickTask>> changedAfter(const std::string& location, int64_t after_ver, size_t limit);
  common::Result<std::vector<PickTask>> openAt(const std::string& location, const std::string& after_task_id,
                                               size_t limit);

 private:
  friend class OrderBook;
  // All below: the caller holds the lock, inside a transaction.
  common::Result<std::optional<PickTask>> getLocked(const std::string& task_id);
  common::Result<std::vector<PickTask>> ofOrderLocked(const OrderRef& order);
  common::Status insertLocked(const PickTask& t);
  // Task lines lose the units released from their allocations; each task that lost any is
  // re-issued (new version) or, with nothing left, cancelled. Adds the open ones' locations.
  common::Status shrinkLocked(const std::vector<TaskUnitsTaken>& taken, std::vector<std::string>* locations);
  // Every open task of the order cancelled; adds their locations.
  common::Status cancelOpenLocked(const OrderRef& order, std::vector<std::string>* locations);
  common::Status doneLocked(const std::string& task_id);
  // One open task cancelled (a new version, so its location's devices drop it).
  common::Status cancelLocked(const std::string& task_id);
  common::Result<int64_t> nextVerLocked();
  // Columns: SW_TASK_COLUMNS (tasks.cpp).
  common::Result<std::vector<PickTask>> readLocked(common::SqlStmt& st);
  common::Status readLinesLocked(PickTask& t);

  BookStore& store_;
};

}  // namespace sw::coordinator
